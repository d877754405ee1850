package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/service"
)

// RollupFold folds the rollups' journal into the rollups every Interval (default 2 s):
// reads fold first anyway, so this bounds the journal and lets many reports' increments
// to one bucket be written once. Safe on many nodes: folds take turns in the database.
type RollupFold struct {
	Svc      *service.Service
	Log      *slog.Logger
	Interval time.Duration
}

// Run ticks until ctx is done.
func (j *RollupFold) Run(ctx context.Context) {
	if j.Interval <= 0 {
		j.Interval = 2 * time.Second
	}
	every(ctx, j.Interval, false, func() {
		if _, err := j.Svc.FoldRollups(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("rollup fold", "err", err)
		}
	})
}
