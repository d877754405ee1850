package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gridloop/gridloop/notify"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// NotifySender sends the message log. Each round it claims a batch of due messages
// with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, so senders on many nodes take
// different rows), hands each to its channel and records the outcome while it still
// holds the lease: sent; failed (a permanent error, no such channel, or MaxAttempts
// reached); or pending again after Backoff·2^(attempts-1), capped at MaxBackoff.
// Delivery is at least once: a sender that dies after sending leaves the row to be sent
// again when its lease ends.
type NotifySender struct {
	Svc      *service.Service
	Log      *slog.Logger
	Channels notify.Channels

	Interval    time.Duration // longest wait between looks at the log (default 2s)
	Batch       int           // messages claimed at once (default 50)
	Concurrency int           // sends in flight (default 4)
	Timeout     time.Duration // one attempt (default 30s)
	Lease       time.Duration // default 2·Timeout + 30s
	Backoff     time.Duration // first retry delay (default 1m)
	MaxBackoff  time.Duration // default 2h
	MaxAttempts int           // default 8
	// MaxAge is how old a message may be when it is sent (default 24h): a text about a
	// case after a long outage, or about a back-dated case (the demo), helps nobody. An
	// older one fails as expired. In-app messages never expire: they are the inbox.
	MaxAge time.Duration
}

func (j *NotifySender) defaults() {
	if j.Log == nil {
		j.Log = slog.Default()
	}
	if j.Channels == nil {
		j.Channels = notify.Channels{}.Add(notify.InAppChannel{})
	}
	if j.Interval <= 0 {
		j.Interval = 2 * time.Second
	}
	if j.Batch <= 0 {
		j.Batch = 50
	}
	if j.Concurrency <= 0 {
		j.Concurrency = 4
	}
	if j.Timeout <= 0 {
		j.Timeout = 30 * time.Second
	}
	if j.Lease <= 0 {
		j.Lease = 2*j.Timeout + 30*time.Second
	}
	if j.Backoff <= 0 {
		j.Backoff = time.Minute
	}
	if j.MaxBackoff <= 0 {
		j.MaxBackoff = 2 * time.Hour
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 8
	}
	if j.MaxAge <= 0 {
		j.MaxAge = 24 * time.Hour
	}
}

// Run sends until ctx is done.
func (j *NotifySender) Run(ctx context.Context) {
	j.defaults()
	poller{name: "notifications", log: j.Log, interval: j.Interval, floor: j.Interval / 20, batch: j.Batch,
		round: j.RunOnce, next: j.Svc.NextNotificationAt, now: j.Svc.Now}.run(ctx)
}

// RunOnce claims one batch of due messages, sends them and records the outcomes. It
// returns how many it claimed.
func (j *NotifySender) RunOnce(ctx context.Context) (int, error) {
	j.defaults()
	claims, err := j.Svc.ClaimNotifications(ctx, j.Batch, j.Lease)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	return len(claims), workClaims(ctx, claims, j.Concurrency, j.send)
}

// Delay is the wait after the attempts-th failed attempt.
func (j *NotifySender) Delay(attempts int) time.Duration {
	return backoff(j.Backoff, j.MaxBackoff, attempts)
}

func (j *NotifySender) send(ctx context.Context, n store.Notification) error {
	var err error
	expired := false
	ch, ok := j.Channels[n.Channel]
	switch {
	case !ok:
		err = notify.Permanent(fmt.Errorf("channel %q is not configured", n.Channel))
	case n.Channel != notify.InApp && j.Svc.Now().Sub(n.CreatedAt) > j.MaxAge:
		err, expired = notify.Permanent(fmt.Errorf("expired: not sent within %s", j.MaxAge)), true
	default:
		sctx, cancel := context.WithTimeout(ctx, j.Timeout)
		err = ch.Send(sctx, service.NotifyMessage(n))
		cancel()
	}
	now := j.Svc.Now()
	status, msg, next := store.NotifySent, "", now
	switch {
	case err == nil:
	case ctx.Err() != nil:
		status, msg = store.NotifyPending, "aborted: sender shutting down ("+err.Error()+")"
	case notify.IsPermanent(err) || n.Attempts >= j.MaxAttempts:
		status, msg = store.NotifyFailed, err.Error()
	default:
		status, msg, next = store.NotifyPending, err.Error(), now.Add(j.Delay(n.Attempts))
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	held, ferr := j.Svc.FinishNotification(rctx, n, status, msg, next)
	if ferr != nil {
		return fmt.Errorf("record notification %d: %w", n.ID, ferr)
	}
	if !held {
		j.Log.Warn("notification lease lost before the outcome was recorded", "notification", n.ID)
	}
	if status == store.NotifyFailed && !expired {
		j.Log.Warn("notification failed", "notification", n.ID, "channel", n.Channel, "template", n.Template, "attempts", n.Attempts, "err", msg)
	}
	return nil
}

// envSecret is the signing secret of notification webhooks, if any.
func envSecret() string { return os.Getenv("GRIDLOOP_NOTIFY_WEBHOOK_SECRET") }
