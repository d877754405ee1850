// Package jobs runs gridloop's background work. Every job is safe to run on many nodes
// over one database: the work it picks is locked in the database, not in memory.
package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/service"
)

// OverdueClock flags cases whose handling deadline has passed, every Interval.
type OverdueClock struct {
	Svc      *service.Service
	Log      *slog.Logger
	Interval time.Duration
}

// Run ticks until ctx is done.
func (j *OverdueClock) Run(ctx context.Context) {
	if j.Interval <= 0 {
		j.Interval = 30 * time.Second
	}
	every(ctx, j.Interval, true, func() {
		n, err := j.Svc.FlagOverdue(ctx)
		if err != nil && ctx.Err() == nil {
			j.Log.Error("overdue clock", "err", err)
		} else if n > 0 {
			j.Log.Info("cases flagged overdue", "count", n)
		}
	})
}
