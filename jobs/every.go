package jobs

import (
	"context"
	"time"
)

// every calls fn every interval until ctx is done; with now, first once at the start.
func every(ctx context.Context, interval time.Duration, now bool, fn func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	if now {
		fn()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fn()
	}
}
