package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/store"
)

// PlannerStatistics keeps SQLite's query-planner statistics in step with the tables'
// growth (store.DB.Optimize), every Interval (default one hour): a store that took its
// statistics when it was small would otherwise keep the plans of a small store. Each
// node may run it; on PostgreSQL it does nothing.
type PlannerStatistics struct {
	DB       *store.DB
	Log      *slog.Logger
	Interval time.Duration
}

// Run ticks until ctx is done.
func (j *PlannerStatistics) Run(ctx context.Context) {
	if j.Interval <= 0 {
		j.Interval = time.Hour
	}
	every(ctx, j.Interval, false, func() {
		start := time.Now()
		if err := j.DB.Optimize(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("planner statistics", "err", err)
		} else if d := time.Since(start); d > time.Second {
			j.Log.Warn("planner statistics took long", "took", d)
		}
	})
}
