package service

// The citizen's side of the loop (issue #9, docs/citizen.md): similar cases and "me
// too" (similar.go, followup.go), follow-ups and reopening (followup.go), the public
// board (public.go) and notifications (notify.go). This file holds their shared state,
// the city's settings for them, and the hooks' registration.

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// citizen is the Service's state for issue #9.
type citizen struct {
	sim      simState                        // the similar-case index (similar.go)
	settings atomic.Pointer[CitizenSettings] // nil until loaded: the defaults
	notify   atomic.Pointer[NotifyConfig]    // which channels messages are written for
	staff    staffCache                      // users and their contacts, for recipients (notify.go)
	cats     catCache                        // categories: public or not, names
}

// enableCitizen registers the hooks of issue #9 and loads the city's settings. New
// calls it; the index of similar cases is built on first use (or by jobs.Citizen at
// start).
func (s *Service) enableCitizen(ctx context.Context) {
	if s.citizen.notify.Load() == nil {
		cfg := NotifyConfigFromEnv()
		s.citizen.notify.Store(&cfg)
	}
	s.OnEvent(s.similarHint)  // the index follows committed changes (similar.go)
	s.OnEvent(s.followUpHook) // a follow-up per closing, answered by ratings (followup.go)
	s.OnEvent(s.notifyHook)   // the message log (notify.go)
	if err := s.ReloadCitizenSettings(ctx); err != nil {
		s.Logger.Error("citizen settings: using the defaults", "err", err)
	}
}

// CitizenSettings are the city's rules for the citizen's side of the loop, kept in the
// settings table (key "citizen") and editable by admins. Zero values mean the default.
type CitizenSettings struct {
	// ReopenDays is how many days after closing a reporter may still say "not fixed"
	// (0: the workflow policy's, 7 days).
	ReopenDays int `json:"reopen_days"`
	// FollowUpDays is how long a follow-up waits for an answer before it is counted by
	// Unanswered (default 7).
	FollowUpDays int `json:"followup_days"`
	// Unanswered is how an unanswered follow-up counts in 解决率 and 满意率: satisfied,
	// unsatisfied or excluded (the default).
	Unanswered string `json:"unanswered"`
	// SimilarRadius is the search radius of similar cases per category code, in metres;
	// the key "" is the default for every other category (200 m when absent).
	SimilarRadius map[string]float64 `json:"similar_radius,omitempty"`
	// MeTooScore is the score from which a citizen's report is interrupted with "this
	// looks already reported" (default 0.45; the list of similar cases starts at 0.30).
	MeTooScore float64 `json:"me_too_score"`
}

// Defaults of CitizenSettings.
const (
	DefaultFollowUpDays = 7
	DefaultUnanswered   = workflow.CountedExcluded
	DefaultMeTooScore   = 0.45
	settingsKeyCitizen  = "citizen"
)

// withDefaults fills the zero values.
func (c CitizenSettings) withDefaults(pol workflow.Policy) CitizenSettings {
	if c.ReopenDays <= 0 {
		c.ReopenDays = int(math.Round(pol.ReopenWindow.Hours() / 24))
	}
	if c.FollowUpDays <= 0 {
		c.FollowUpDays = DefaultFollowUpDays
	}
	if c.Unanswered == "" {
		c.Unanswered = DefaultUnanswered
	}
	if c.MeTooScore <= 0 {
		c.MeTooScore = DefaultMeTooScore
	}
	return c
}

func (c *CitizenSettings) validate() error {
	switch {
	case c.ReopenDays < 0 || c.ReopenDays > 365:
		return gl.FieldError("reopen_days", "重新办理期限须为 1–365 天（0 表示默认）")
	case c.FollowUpDays < 0 || c.FollowUpDays > 90:
		return gl.FieldError("followup_days", "回访等待期须为 1–90 天（0 表示默认）")
	case c.MeTooScore < 0 || (c.MeTooScore > 0 && (c.MeTooScore < 0.3 || c.MeTooScore > 1)):
		return gl.FieldError("me_too_score", "提示阈值须在 0.3 到 1 之间（0 表示默认）")
	}
	switch c.Unanswered {
	case "", workflow.CountedSatisfied, workflow.CountedUnsatisfied, workflow.CountedExcluded:
	default:
		return gl.FieldError("unanswered", "未答复的回访须按 satisfied（满意）、unsatisfied（不满意）或 excluded（不计入）处理")
	}
	for code, r := range c.SimilarRadius {
		if r < 10 || r > 5000 || math.IsNaN(r) {
			return gl.FieldError("similar_radius", "类别「%s」的查重半径须为 10–5000 米", code)
		}
	}
	return nil
}

// CitizenSettings returns the settings in force, with the defaults filled in.
func (s *Service) CitizenSettings() CitizenSettings {
	var c CitizenSettings
	if p := s.citizen.settings.Load(); p != nil {
		c = *p
	}
	return c.withDefaults(s.Policy)
}

// ReloadCitizenSettings re-reads the settings from the store (every node does now and
// then: an admin's change on one node reaches the others).
func (s *Service) ReloadCitizenSettings(ctx context.Context) error {
	var raw string
	var ok bool
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		raw, ok, err = tx.Setting(ctx, settingsKeyCitizen)
		return err
	})
	if err != nil {
		return err
	}
	var c CitizenSettings
	if ok {
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return gl.Errorf(gl.EINTERNAL, "settings %q: %v", settingsKeyCitizen, err)
		}
	}
	s.citizen.settings.Store(&c)
	return nil
}

// SetCitizenSettings stores new settings (zero values: the defaults) and puts them in
// force on this node at once, on the others within a minute.
func (s *Service) SetCitizenSettings(ctx context.Context, c CitizenSettings) (CitizenSettings, error) {
	if err := c.validate(); err != nil {
		return CitizenSettings{}, err
	}
	if len(c.SimilarRadius) == 0 {
		c.SimilarRadius = nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return CitizenSettings{}, err
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, settingsKeyCitizen, string(b)) }); err != nil {
		return CitizenSettings{}, err
	}
	s.citizen.settings.Store(&c)
	return s.CitizenSettings(), nil
}

// policy is the workflow policy with the city's settings applied: the reopen window.
func (s *Service) policy() workflow.Policy {
	pol := s.Policy
	if c := s.citizen.settings.Load(); c != nil && c.ReopenDays > 0 {
		pol.ReopenWindow = time.Duration(c.ReopenDays) * 24 * time.Hour
	}
	return pol
}

// NotifyConfig says which channels messages are written for besides in-app (which is
// always on) and how links in them start. The sender job must have the same channels.
type NotifyConfig struct {
	Email bool // SMTP is configured: email to followers and staff with an address
	SMS   bool // an SMS provider (the logging one by default): texts to reporters' and staff phones
	// StaffWebhook is a URL every staff message is also posted to (a group chat bot).
	StaffWebhook string
	// BaseURL starts the links in messages (https://city.example); "" leaves them relative.
	BaseURL string
}

// NotifyConfigFromEnv reads GRIDLOOP_SMTP_HOST (email on when set), GRIDLOOP_SMS ("off"
// turns texts off), GRIDLOOP_NOTIFY_WEBHOOK and GRIDLOOP_BASE_URL.
func NotifyConfigFromEnv() NotifyConfig {
	return NotifyConfig{
		Email:        os.Getenv("GRIDLOOP_SMTP_HOST") != "",
		SMS:          !strings.EqualFold(os.Getenv("GRIDLOOP_SMS"), "off"),
		StaffWebhook: os.Getenv("GRIDLOOP_NOTIFY_WEBHOOK"),
		BaseURL:      strings.TrimRight(os.Getenv("GRIDLOOP_BASE_URL"), "/"),
	}
}

// SetNotifyConfig replaces the channel configuration (tests, embedding programs).
func (s *Service) SetNotifyConfig(c NotifyConfig) {
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	s.citizen.notify.Store(&c)
}

func (s *Service) notifyConfig() NotifyConfig {
	if c := s.citizen.notify.Load(); c != nil {
		return *c
	}
	return NotifyConfig{}
}

// catCache holds the categories for a few seconds: public or not, their names.
type catCache struct {
	mu   sync.Mutex
	at   time.Time
	cats map[string]gl.Category
}

const catCacheTTL = 10 * time.Second

// categoryMap returns every category by code, from a cache at most catCacheTTL old.
// Not for event hooks: they use categoryMapIn with their transaction.
func (s *Service) categoryMap(ctx context.Context) (map[string]gl.Category, error) {
	if m := s.citizen.cats.fresh(); m != nil {
		return m, nil
	}
	list, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	return s.citizen.cats.store(list), nil
}

// categoryMapIn is categoryMap read through tx when stale: an event hook must not wait
// for a connection of its own while it holds one (a pool of them would run dry).
func (s *Service) categoryMapIn(ctx context.Context, tx *store.Tx) (map[string]gl.Category, error) {
	if m := s.citizen.cats.fresh(); m != nil {
		return m, nil
	}
	list, err := tx.Categories(ctx)
	if err != nil {
		return nil, err
	}
	return s.citizen.cats.store(list), nil
}

// fresh is the cached map, or nil when it is stale. The lock is never held while
// reading the store.
func (cc *catCache) fresh() map[string]gl.Category {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.cats != nil && time.Since(cc.at) < catCacheTTL {
		return cc.cats
	}
	return nil
}

func (cc *catCache) store(list []gl.Category) map[string]gl.Category {
	m := make(map[string]gl.Category, len(list))
	for _, c := range list {
		m[c.Code] = c
	}
	cc.mu.Lock()
	cc.cats, cc.at = m, time.Now()
	cc.mu.Unlock()
	return m
}

// publicCategory reports whether cases of code may be shown to the public.
func publicCategory(cats map[string]gl.Category, code string) bool {
	c, ok := cats[code]
	return ok && c.Public
}
