package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/webhook"
)

// WebhookDelivery posts the webhook outbox. Each round it claims a batch of due
// deliveries with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, so workers on many
// nodes take different rows), posts them signed (package webhook), logs every attempt
// and records the outcome while it still holds the lease. A failed attempt is retried
// after Backoff·2^(tries-1), capped at MaxBackoff, with jitter; after MaxAttempts tries
// or MaxAge the delivery is dead, until an admin replays it.
//
// No row is posted by two workers at once: an attempt is bounded by Timeout, and the
// lease outlasts it. Delivery is at least once: a worker that dies after posting leaves
// the row to be posted again when its lease ends.
type WebhookDelivery struct {
	Svc *service.Service
	Log *slog.Logger
	// Client posts the deliveries; nil is a plain client (Timeout bounds each attempt).
	Client *http.Client
	// Worker names this worker in the delivery log; default host/pid/random.
	Worker string

	Interval    time.Duration // longest wait between looks at the outbox (default 1s)
	Batch       int           // deliveries claimed at once (default 20)
	Concurrency int           // posts in flight at once (default 4)
	Timeout     time.Duration // one attempt, answer included (default 10s)
	Lease       time.Duration // how long a claim holds its rows (default 2·Timeout + 30s, at least Timeout + 5s)

	Backoff     time.Duration // delay before the first retry (default 30s)
	MaxBackoff  time.Duration // longest delay between retries (default 6h)
	MaxAttempts int           // attempts per round before the delivery is dead (default 15)
	MaxAge      time.Duration // age of a round after which a failure is final (default 72h)
	// Jitter spreads a delay d; default uniform in [d/2, d].
	Jitter func(d time.Duration) time.Duration

	// Retention is how long delivered and dead deliveries stay in the log (default 30
	// days; negative keeps them forever). Purged hourly.
	Retention time.Duration
}

func (j *WebhookDelivery) defaults() {
	if j.Log == nil {
		j.Log = slog.Default()
	}
	if j.Worker == "" {
		host, _ := os.Hostname()
		b := make([]byte, 3)
		rand.Read(b)
		j.Worker = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if j.Interval <= 0 {
		j.Interval = time.Second
	}
	if j.Batch <= 0 {
		j.Batch = 20
	}
	if j.Concurrency <= 0 {
		j.Concurrency = 4
	}
	if j.Timeout <= 0 {
		j.Timeout = 10 * time.Second
	}
	if j.Lease <= 0 {
		j.Lease = 2*j.Timeout + 30*time.Second
	}
	if j.Lease < j.Timeout+5*time.Second {
		j.Lease = j.Timeout + 5*time.Second
	}
	if j.Backoff <= 0 {
		j.Backoff = 30 * time.Second
	}
	if j.MaxBackoff <= 0 {
		j.MaxBackoff = 6 * time.Hour
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 15
	}
	if j.MaxAge <= 0 {
		j.MaxAge = 72 * time.Hour
	}
	if j.Jitter == nil {
		j.Jitter = func(d time.Duration) time.Duration {
			if d < 2 {
				return d
			}
			return d/2 + mrand.N(d/2+1)
		}
	}
	if j.Retention == 0 {
		j.Retention = 30 * 24 * time.Hour
	}
}

// Delay is the wait after the tries-th failed attempt of a round, before jitter.
func (j *WebhookDelivery) Delay(tries int) time.Duration {
	return backoff(j.Backoff, j.MaxBackoff, tries)
}

// Run delivers until ctx is done, and purges the log of old deliveries hourly.
func (j *WebhookDelivery) Run(ctx context.Context) {
	j.defaults()
	lastPurge := time.Time{}
	purge := func(ctx context.Context) {
		if j.Retention <= 0 || time.Since(lastPurge) <= time.Hour {
			return
		}
		lastPurge = time.Now()
		if k, err := j.Svc.PurgeDeliveries(ctx, j.Retention); err != nil && ctx.Err() == nil {
			j.Log.Error("webhook delivery purge", "err", err)
		} else if k > 0 {
			j.Log.Info("webhook deliveries purged", "count", k)
		}
	}
	poller{name: "webhook delivery", log: j.Log, interval: j.Interval, floor: j.Interval / 50, batch: j.Batch,
		round: j.RunOnce, next: j.Svc.NextDeliveryAt, now: j.Svc.Now, between: purge}.run(ctx)
}

// RunOnce claims one batch of due deliveries, posts them and records the outcomes. It
// returns how many it claimed.
func (j *WebhookDelivery) RunOnce(ctx context.Context) (int, error) {
	j.defaults()
	claims, err := j.Svc.ClaimDeliveries(ctx, j.Batch, j.Lease)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	return len(claims), workClaims(ctx, claims, j.Concurrency, j.deliver)
}

// deliver makes one attempt of a claimed delivery and records it.
func (j *WebhookDelivery) deliver(ctx context.Context, c store.Claim) error {
	start := j.Svc.Now()
	actx, cancel := context.WithTimeout(ctx, j.Timeout)
	res := webhook.Post(actx, j.Client, c.URL, c.Secret, c.ID, c.Action, c.Payload, start)
	cancel()
	now := j.Svc.Now()
	a := store.DeliveryAttempt{Attempt: c.Attempt, At: start, StatusCode: res.StatusCode, Error: res.Err,
		DurationMS: res.Duration.Milliseconds(), Worker: j.Worker}
	state, next := store.DeliveryPending, now
	switch {
	case res.OK():
		state = store.DeliveryDelivered
	case ctx.Err() != nil:
		// Shutting down: the attempt was cut short; let the next worker try again at once.
		a.Error = "aborted: worker shutting down (" + res.Err + ")"
	case c.Tries >= j.MaxAttempts || now.Sub(c.RoundStart) >= j.MaxAge:
		state = store.DeliveryDead
	default:
		next = now.Add(j.Jitter(j.Delay(c.Tries)))
	}
	// Record even when ctx is done: the attempt happened.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	held, err := j.Svc.FinishDelivery(rctx, c, a, state, next)
	if err != nil {
		return fmt.Errorf("record webhook delivery %s: %w", c.ID, err)
	}
	if !held {
		j.Log.Warn("webhook delivery lease lost before the outcome was recorded", "delivery", c.ID, "attempt", c.Attempt)
	}
	if state == store.DeliveryDead {
		j.Log.Warn("webhook delivery dead", "delivery", c.ID, "webhook", c.WebhookID, "attempts", c.Attempt, "err", res.Err)
	}
	return nil
}
