package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/service"
)

// FollowUps counts the follow-ups (回访) still unanswered after the city's waiting
// period, by its policy (service.CitizenSettings: satisfied, unsatisfied or excluded),
// every Interval. Each is recorded as a follow_up event on its case, which the
// evaluation can count like a rating (docs/citizen.md).
type FollowUps struct {
	Svc      *service.Service
	Log      *slog.Logger
	Interval time.Duration // default 10 minutes
}

// Run ticks until ctx is done.
func (j *FollowUps) Run(ctx context.Context) {
	if j.Interval <= 0 {
		j.Interval = 10 * time.Minute
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	every(ctx, j.Interval, true, func() {
		n, err := j.Svc.CountUnansweredFollowUps(ctx)
		if err != nil && ctx.Err() == nil {
			j.Log.Error("follow-ups", "err", err)
		} else if n > 0 {
			j.Log.Info("unanswered follow-ups counted", "count", n, "as", j.Svc.CitizenSettings().Unanswered)
		}
	})
}
