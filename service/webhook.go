package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/webhook"
)

// WebhookInput creates or edits a subscription. In an edit, absent fields stay as they are.
type WebhookInput struct {
	URL         *string  `json:"url,omitempty"`
	Events      []string `json:"events,omitempty"` // actions, or ["*"]
	Secret      *string  `json:"secret,omitempty"` // generated when a new subscription has none
	Active      *bool    `json:"active,omitempty"`
	Description *string  `json:"description,omitempty"`
}

// apply checks in and copies it onto w.
func (in WebhookInput) apply(w *store.Webhook) error {
	if in.URL != nil {
		u, err := url.Parse(strings.TrimSpace(*in.URL))
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			return gl.FieldError("url", "回调地址须为 http:// 或 https:// 开头的完整网址")
		case len(*in.URL) > 2000:
			return gl.FieldError("url", "回调地址不能超过 2000 个字符")
		case u.Fragment != "":
			return gl.FieldError("url", "回调地址不能含 #片段")
		}
		w.URL = u.String()
	}
	if in.Events != nil {
		if len(in.Events) == 0 {
			return gl.FieldError("events", "请至少订阅一种事件（或 \"*\" 订阅全部）")
		}
		var events []string
		for _, e := range in.Events {
			e = strings.TrimSpace(e)
			if e == "*" {
				events = []string{"*"}
				break
			}
			if !gl.Action(e).Valid() {
				return gl.FieldError("events", "未知的事件类型「%s」", e)
			}
			if !slices.Contains(events, e) {
				events = append(events, e)
			}
		}
		w.Events = events
	}
	if in.Secret != nil {
		n := utf8.RuneCountInString(*in.Secret)
		if n < 16 || n > 256 {
			return gl.FieldError("secret", "签名密钥须为 16 到 256 个字符")
		}
		w.Secret = *in.Secret
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	if in.Description != nil {
		if utf8.RuneCountInString(*in.Description) > 200 {
			return gl.FieldError("description", "说明不能超过 200 字")
		}
		w.Description = strings.TrimSpace(*in.Description)
	}
	return nil
}

// NewWebhookSecret returns a random signing secret.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// CreateWebhook adds a subscription; without a secret one is generated. The URL is
// required; without events it takes every event ("*"). The answer carries the secret.
func (s *Service) CreateWebhook(ctx context.Context, p *Principal, in WebhookInput) (*store.Webhook, error) {
	if in.URL == nil || strings.TrimSpace(*in.URL) == "" {
		return nil, gl.FieldError("url", "请填写回调地址")
	}
	now := s.now()
	w := &store.Webhook{Events: []string{"*"}, Secret: NewWebhookSecret(), Active: true, CreatedAt: now, UpdatedAt: now}
	if p != nil && p.User != nil {
		w.CreatedBy = p.User.ID
	}
	if err := in.apply(w); err != nil {
		return nil, err
	}
	if err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.InsertWebhook(ctx, w) }); err != nil {
		return nil, err
	}
	return w, nil
}

// UpdateWebhook edits a subscription.
func (s *Service) UpdateWebhook(ctx context.Context, id int64, in WebhookInput) (*store.Webhook, error) {
	var w *store.Webhook
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if w, err = tx.WebhookByID(ctx, id); err != nil {
			return err
		}
		if err := in.apply(w); err != nil {
			return err
		}
		w.UpdatedAt = s.now()
		return tx.UpdateWebhook(ctx, w)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook deletes a subscription with its deliveries and their log. To pause one
// and keep what is queued, set it inactive instead.
func (s *Service) DeleteWebhook(ctx context.Context, id int64) error {
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.DeleteWebhook(ctx, id) })
}

// Webhook returns one subscription.
func (s *Service) Webhook(ctx context.Context, id int64) (*store.Webhook, error) {
	var w *store.Webhook
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		w, err = tx.WebhookByID(ctx, id)
		return err
	})
	return w, err
}

// Webhooks lists every subscription.
func (s *Service) Webhooks(ctx context.Context) ([]store.Webhook, error) {
	var out []store.Webhook
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Webhooks(ctx, false)
		return err
	})
	return out, err
}

// WebhookDeliveries lists a subscription's deliveries, newest first, each with its log
// of attempts, and the total; state "" is every state.
func (s *Service) WebhookDeliveries(ctx context.Context, id int64, state string, limit, offset int) ([]store.Delivery, int, error) {
	if state != "" && !store.ValidDeliveryState(state) {
		return nil, 0, gl.FieldError("state", "投递状态须为 pending、delivered 或 dead")
	}
	var out []store.Delivery
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		if _, err := tx.WebhookByID(ctx, id); err != nil {
			return err
		}
		var err error
		out, total, err = tx.Deliveries(ctx, id, state, limit, offset)
		return err
	})
	return out, total, err
}

// ReplayDelivery sends a delivery again, with the same delivery id, whatever its state:
// it is due at once with a fresh round of attempts.
func (s *Service) ReplayDelivery(ctx context.Context, id string) (*store.Delivery, error) {
	var d *store.Delivery
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ReplayDelivery(ctx, id, s.now()); err != nil {
			return err
		}
		var err error
		d, err = tx.DeliveryByID(ctx, id)
		return err
	})
	return d, err
}

// enqueueWebhooks is the event hook that fills the outbox: one delivery per active
// subscription that wants the event, in the event's transaction.
func (s *Service) enqueueWebhooks(ctx context.Context, tx *store.Tx, _, after *gl.Case, ev *gl.Event) error {
	hooks, err := tx.Webhooks(ctx, true)
	if err != nil || len(hooks) == 0 {
		return err
	}
	action := string(ev.Action)
	payload := webhook.Payload{Event: eventSummary(ev), Case: caseSummary(after)}
	for _, w := range hooks {
		if !w.Wants(action) {
			continue
		}
		payload.ID, payload.SubscriptionID = newDeliveryID(), w.ID
		body, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("service: webhook payload: %w", err)
		}
		d := &store.Delivery{ID: payload.ID, WebhookID: w.ID, EventID: ev.ID, Action: action, Payload: body, CreatedAt: ev.At}
		if err := tx.EnqueueDelivery(ctx, d, ev.CaseID); err != nil {
			return err
		}
	}
	return nil
}

func eventSummary(ev *gl.Event) webhook.Event {
	return webhook.Event{ID: ev.ID, Seq: ev.Seq, Action: string(ev.Action), ActionLabel: ev.Action.Label("zh"),
		Role: string(ev.Role), Actor: ev.Actor, From: string(ev.From), To: string(ev.To), DeptID: ev.DeptID,
		Note: ev.Note, Public: ev.Public, Data: ev.Data, At: ev.At}
}

// caseSummary is the public-safe view of c that deliveries carry.
func caseSummary(c *gl.Case) webhook.Case {
	out := webhook.Case{Code: c.Code, Status: string(c.Status), StatusLabel: c.Status.Label("zh"), Version: c.Version,
		Channel: string(c.Channel), CategoryCode: c.CategoryCode, Urgent: c.Urgent, Description: c.Description,
		Address: c.Address, Lat: c.Lat, Lng: c.Lng, AreaCode: c.AreaCode, GridCode: c.GridCode,
		LeadDeptID: c.LeadDeptID(), DuplicateOf: c.DuplicateOf, Due: c.Due, Overdue: c.Overdue,
		ReworkCount: c.ReworkCount, ReopenCount: c.ReopenCount, Satisfaction: string(c.Satisfaction),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ClosedAt: c.ClosedAt}
	for _, a := range c.Assignments {
		out.DeptIDs = append(out.DeptIDs, a.DeptID)
	}
	return out
}

// newDeliveryID returns a random (version 4) UUID.
func newDeliveryID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ClaimDeliveries leases up to limit due deliveries to a worker for lease, under a
// fresh lease token. Post them, then call FinishDelivery for each.
func (s *Service) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]store.Claim, error) {
	var out []store.Claim
	now := s.now()
	token := newDeliveryID()
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.ClaimDeliveries(ctx, now, now.Add(lease), token, limit)
		return err
	})
	return out, err
}

// FinishDelivery logs an attempt and records its outcome: state is delivered, dead, or
// pending with next the time of the next attempt. It reports whether the claim still
// held its lease (the attempt is logged either way).
func (s *Service) FinishDelivery(ctx context.Context, c store.Claim, a store.DeliveryAttempt, state string, next time.Time) (bool, error) {
	var held bool
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LogDeliveryAttempt(ctx, c.ID, a); err != nil {
			return err
		}
		var err error
		held, err = tx.FinishDelivery(ctx, c, state, a.At, next, a.StatusCode, a.Error)
		return err
	})
	return held, err
}

// NextDeliveryAt is when the earliest pending delivery can be claimed, or nil.
func (s *Service) NextDeliveryAt(ctx context.Context) (*time.Time, error) {
	var next *time.Time
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		next, err = tx.NextDeliveryAt(ctx)
		return err
	})
	return next, err
}

// PurgeDeliveries deletes delivered and dead deliveries older than age, with their log.
func (s *Service) PurgeDeliveries(ctx context.Context, age time.Duration) (int64, error) {
	var n int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		n, err = tx.PurgeDeliveries(ctx, s.now().Add(-age))
		return err
	})
	return n, err
}
