package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/notify"
	"github.com/gridloop/gridloop/service"
)

// Citizen runs the background work of the citizen's side of the loop (issue #9): it
// keeps the similar-case index in step with the database (every SimilarInterval), sends
// the message log (NotifySender) and counts unanswered follow-ups (FollowUps). Every
// part is safe on many nodes: each node keeps its own index; messages and follow-ups
// are claimed in the database.
type Citizen struct {
	Svc *service.Service
	Log *slog.Logger
	// Channels send the messages; nil: DefaultChannels.
	Channels notify.Channels
	// SimilarInterval is how often the index looks for new events (default 3s).
	SimilarInterval time.Duration
	// SettingsInterval is how often the city's settings are re-read (default 30s).
	SettingsInterval time.Duration
}

// DefaultChannels are the channels configured by the environment: in-app always, SMS
// through the logging provider (GRIDLOOP_SMS=off turns it off), email when
// GRIDLOOP_SMTP_HOST is set (notify.EmailFromEnv), webhooks (signed with
// GRIDLOOP_NOTIFY_WEBHOOK_SECRET when set).
func DefaultChannels(log *slog.Logger) (notify.Channels, error) {
	cs := notify.Channels{}
	cs.Add(notify.InAppChannel{})
	cfg := service.NotifyConfigFromEnv()
	if cfg.SMS {
		cs.Add(&notify.SMSChannel{Provider: notify.LogProvider{Log: log}})
	}
	email, err := notify.EmailFromEnv()
	if err != nil {
		return nil, err
	}
	if email != nil {
		cs.Add(email)
	}
	cs.Add(&notify.WebhookChannel{Secret: envSecret()})
	return cs, nil
}

// Run works until ctx is done.
func (j *Citizen) Run(ctx context.Context) {
	if j.Log == nil {
		j.Log = slog.Default()
	}
	if j.Channels == nil {
		cs, err := DefaultChannels(j.Log)
		if err != nil {
			j.Log.Error("notification channels: only in-app messages are sent", "err", err)
			cs = notify.Channels{}.Add(notify.InAppChannel{})
		}
		j.Channels = cs
	}
	go (&NotifySender{Svc: j.Svc, Log: j.Log, Channels: j.Channels}).Run(ctx)
	go (&FollowUps{Svc: j.Svc, Log: j.Log}).Run(ctx)
	j.similar(ctx)
}

// similar builds the index at start and syncs it until ctx is done; now and then it
// re-reads the settings, so that an admin's change on another node applies here too.
func (j *Citizen) similar(ctx context.Context) {
	interval := j.SimilarInterval
	if interval <= 0 {
		interval = 3 * time.Second
	}
	settingsEvery := j.SettingsInterval
	if settingsEvery <= 0 {
		settingsEvery = 30 * time.Second
	}
	lastSettings := time.Now()
	every(ctx, interval, true, func() {
		if err := j.Svc.SyncSimilar(ctx); err != nil && ctx.Err() == nil {
			j.Log.Error("similar cases: sync", "err", err)
		}
		if time.Since(lastSettings) > settingsEvery {
			lastSettings = time.Now()
			if err := j.Svc.ReloadCitizenSettings(ctx); err != nil && ctx.Err() == nil {
				j.Log.Error("citizen settings: reload", "err", err)
			}
		}
	})
}
