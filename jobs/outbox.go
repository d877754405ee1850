package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// What the two outbox senders (NotifySender, WebhookDelivery) share: a loop that claims
// a batch of due rows under a lease and sleeps until the next falls due, the claims
// worked a few at a time, and retries that back off exponentially.

// poller runs round until ctx is done: again at once after a full batch (there may be
// more due now), else after interval, or sooner when next says a row falls due, but
// never sooner than floor.
type poller struct {
	name     string // for the log
	log      *slog.Logger
	interval time.Duration
	floor    time.Duration
	batch    int
	round    func(context.Context) (int, error)
	next     func(context.Context) (*time.Time, error)
	now      func() time.Time
	between  func(context.Context) // after each round; may be nil
}

func (p poller) run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := p.round(ctx)
		if err != nil && ctx.Err() == nil {
			p.log.Error(p.name, "err", err)
		}
		if p.between != nil {
			p.between(ctx)
		}
		if n == p.batch && err == nil {
			continue
		}
		wait := p.interval
		if err == nil {
			if next, err := p.next(ctx); err == nil && next != nil {
				wait = min(wait, max(next.Sub(p.now()), p.floor))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// workClaims works each claim, at most concurrency at once, and returns the first
// error any of them returned.
func workClaims[C any](ctx context.Context, claims []C, concurrency int, work func(context.Context, C) error) error {
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, c := range claims {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := work(ctx, c); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// backoff is the wait after the failed-th failed attempt: base, doubled for each
// failure after the first, at most most.
func backoff(base, most time.Duration, failed int) time.Duration {
	d := base
	for i := 1; i < failed && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}
