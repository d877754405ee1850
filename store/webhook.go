package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Webhook is a subscription: where to post which case events, and the secret to sign
// them with.
type Webhook struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"` // actions, or ["*"] for every event
	Secret      string    `json:"-"`      // shown once, by the API, when set
	Active      bool      `json:"active"`
	Description string    `json:"description,omitempty"`
	CreatedBy   int64     `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Wants reports whether the subscription takes events of action.
func (w *Webhook) Wants(action string) bool {
	for _, e := range w.Events {
		if e == "*" || e == action {
			return true
		}
	}
	return false
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // waiting for its next attempt
	DeliveryDelivered = "delivered" // a 2xx answer came
	DeliveryDead      = "dead"      // out of attempts or too old; a replay revives it
)

// Delivery is one (subscription, event) in the outbox, with its attempts.
type Delivery struct {
	ID          string            `json:"id"`
	WebhookID   int64             `json:"webhook_id"`
	EventID     int64             `json:"event_id"`
	CaseCode    string            `json:"case_code"`
	Action      string            `json:"action"`
	State       string            `json:"state"`
	Attempts    int               `json:"attempts"`
	NextAt      *time.Time        `json:"next_at,omitempty"` // pending deliveries only
	LastStatus  int               `json:"last_status,omitempty"`
	LastError   string            `json:"last_error,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	DeliveredAt *time.Time        `json:"delivered_at,omitempty"`
	Log         []DeliveryAttempt `json:"log"` // oldest first
	Payload     []byte            `json:"-"`
}

// DeliveryAttempt is one entry of the delivery log.
type DeliveryAttempt struct {
	Attempt    int       `json:"attempt"` // 1, 2, 3… over the delivery's life
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty"` // absent when no HTTP answer came
	Error      string    `json:"error,omitempty"`
	DurationMS int64     `json:"duration_ms"`
	Worker     string    `json:"worker,omitempty"`
}

// Claim is a delivery a worker has leased: what it needs to post it and to record the
// outcome.
type Claim struct {
	ID         string
	WebhookID  int64
	Action     string
	URL        string
	Secret     string
	Payload    []byte
	Attempt    int       // the number of this attempt, over the delivery's life
	Tries      int       // the number of this attempt in the current round
	RoundStart time.Time // when the current round began (enqueue or replay)
	LeaseToken string
	LeaseUntil time.Time
}

const webhookColumns = `id, url, events, secret, active, description, created_by, created_at, updated_at`

func scanWebhook(s scanner) (*Webhook, error) {
	var (
		w          Webhook
		events     string
		by         sql.NullInt64
		created, u nullTime
	)
	if err := s.Scan(&w.ID, &w.URL, &events, &w.Secret, &w.Active, &w.Description, &by, &created, &u); err != nil {
		return nil, err
	}
	var err error
	if w.Events, err = parseList[string](events); err != nil {
		return nil, fmt.Errorf("webhook %d events: %w", w.ID, err)
	}
	w.CreatedBy, w.CreatedAt, w.UpdatedAt = by.Int64, created.Time, u.Time
	return &w, nil
}

// InsertWebhook adds a subscription and sets w.ID.
func (tx *Tx) InsertWebhook(ctx context.Context, w *Webhook) error {
	events, err := jsonList(w.Events)
	if err != nil {
		return err
	}
	w.CreatedAt, w.UpdatedAt = normTime(w.CreatedAt), normTime(w.UpdatedAt)
	err = tx.queryRow(ctx, `INSERT INTO webhooks (url, events, secret, active, description, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, w.URL, events, w.Secret, w.Active, w.Description,
		nullID(w.CreatedBy), tx.timeArg(w.CreatedAt), tx.timeArg(w.UpdatedAt)).Scan(&w.ID)
	return wrap(err, "insert webhook", "")
}

// UpdateWebhook saves every editable field of w (ENOTFOUND if there is no such webhook).
func (tx *Tx) UpdateWebhook(ctx context.Context, w *Webhook) error {
	events, err := jsonList(w.Events)
	if err != nil {
		return err
	}
	w.UpdatedAt = normTime(w.UpdatedAt)
	res, err := tx.exec(ctx, `UPDATE webhooks SET url = ?, events = ?, secret = ?, active = ?, description = ?, updated_at = ?
		WHERE id = ?`, w.URL, events, w.Secret, w.Active, w.Description, tx.timeArg(w.UpdatedAt), w.ID)
	return tx.oneRow(res, err, "update webhook", "webhook %d 不存在 (no such webhook)", w.ID)
}

// DeleteWebhook deletes a subscription with its deliveries and their log.
func (tx *Tx) DeleteWebhook(ctx context.Context, id int64) error {
	// The log and the outbox go first: SQLite cascades only with foreign keys on, and
	// being explicit costs nothing.
	if _, err := tx.exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM outbox WHERE webhook_id = ?)`, id); err != nil {
		return wrap(err, "delete webhook log", "")
	}
	if _, err := tx.exec(ctx, `DELETE FROM outbox WHERE webhook_id = ?`, id); err != nil {
		return wrap(err, "delete webhook deliveries", "")
	}
	res, err := tx.exec(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
	return tx.oneRow(res, err, "delete webhook", "webhook %d 不存在 (no such webhook)", id)
}

// WebhookByID returns one subscription.
func (tx *Tx) WebhookByID(ctx context.Context, id int64) (*Webhook, error) {
	w, err := scanWebhook(tx.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("webhook %d 不存在 (no such webhook)", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: webhook %d: %w", id, err)
	}
	return w, nil
}

// Webhooks lists the subscriptions by id; with activeOnly only the active ones.
func (tx *Tx) Webhooks(ctx context.Context, activeOnly bool) ([]Webhook, error) {
	q := `SELECT ` + webhookColumns + ` FROM webhooks`
	if activeOnly {
		q += ` WHERE active`
	}
	rows, err := tx.query(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("store: webhooks: %w", err)
		}
		out = append(out, *w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: webhooks: %w", err)
	}
	return out, nil
}

// EnqueueDelivery adds a delivery to the outbox, due at once. d.ID, WebhookID, EventID,
// Action, Payload and CreatedAt must be set; the case is the event's.
func (tx *Tx) EnqueueDelivery(ctx context.Context, d *Delivery, caseID int64) error {
	d.CreatedAt = normTime(d.CreatedAt)
	d.State, d.Attempts = DeliveryPending, 0
	at := tx.timeArg(d.CreatedAt)
	_, err := tx.exec(ctx, `INSERT INTO outbox (id, webhook_id, event_id, case_id, action, payload, state, round_start, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
		d.ID, d.WebhookID, d.EventID, caseID, d.Action, string(d.Payload), at, at, at)
	return wrap(err, "enqueue webhook delivery", "")
}

// claimable is the predicate of a delivery a worker may take at ?: pending, due, not
// leased (or its lease ran out), of an active subscription. It repeats outbox_due.
const claimable = `o.state = 'pending' AND o.next_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?)
	AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = o.webhook_id AND w.active)`

// ClaimDeliveries leases up to limit due deliveries to the caller until leaseUntil, under
// token, earliest first, and counts the attempt. On PostgreSQL the candidate rows are
// locked FOR UPDATE SKIP LOCKED, so workers claiming at once take different rows; SQLite
// has one writer. Call it inside Update, and post the claims after it commits.
func (tx *Tx) ClaimDeliveries(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]Claim, error) {
	if limit <= 0 {
		limit = 20
	}
	pick := `SELECT o.id FROM outbox o WHERE ` + claimable + ` ORDER BY o.next_at, o.id LIMIT ?`
	if tx.dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	n := tx.timeArg(now)
	rows, err := tx.query(ctx, `UPDATE outbox SET lease_until = ?, lease_token = ?, attempts = attempts + 1, tries = tries + 1
		WHERE id IN (`+pick+`)
		RETURNING id, webhook_id, action, payload, attempts, tries, round_start`,
		tx.timeArg(leaseUntil), token, n, n, limit)
	if err != nil {
		return nil, wrap(err, "claim webhook deliveries", "")
	}
	var out []Claim
	for rows.Next() {
		var c Claim
		var payload string
		var start nullTime
		if err := rows.Scan(&c.ID, &c.WebhookID, &c.Action, &payload, &c.Attempt, &c.Tries, &start); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
		}
		c.Payload, c.RoundStart, c.LeaseToken, c.LeaseUntil = []byte(payload), start.Time, token, normTime(leaseUntil)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim webhook deliveries: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// Where to and how to sign: read now, so that an edited URL or secret applies to
	// deliveries already queued.
	hooks := map[int64]*Webhook{}
	for _, c := range out {
		if hooks[c.WebhookID] == nil {
			w, err := tx.WebhookByID(ctx, c.WebhookID)
			if err != nil {
				return nil, err
			}
			hooks[c.WebhookID] = w
		}
	}
	for i := range out {
		w := hooks[out[i].WebhookID]
		out[i].URL, out[i].Secret = w.URL, w.Secret
	}
	return out, nil
}

// NextDeliveryAt returns when the earliest pending delivery becomes claimable (its due
// time, or the end of its lease), or nil when nothing is pending.
func (tx *Tx) NextDeliveryAt(ctx context.Context) (*time.Time, error) {
	var next nullTime
	err := tx.queryRow(ctx, `SELECT MIN(CASE WHEN o.lease_until IS NOT NULL AND o.lease_until > o.next_at
			THEN o.lease_until ELSE o.next_at END)
		FROM outbox o WHERE o.state = 'pending'
		AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = o.webhook_id AND w.active)`).Scan(&next)
	if err != nil {
		return nil, fmt.Errorf("store: next webhook delivery: %w", err)
	}
	return next.Ptr(), nil
}

// FinishDelivery records the outcome of a claimed attempt: the new state (pending with
// nextAt for a retry, delivered or dead), the HTTP status (0 for none) and the error.
// It changes the row only while the claim still holds its lease, and reports whether
// it did; a worker that lost its lease (it ran over, or an admin replayed the delivery)
// changes nothing. The lease is released either way.
func (tx *Tx) FinishDelivery(ctx context.Context, c Claim, state string, at, nextAt time.Time, status int, errMsg string) (bool, error) {
	var delivered any
	if state == DeliveryDelivered {
		delivered = tx.timeArg(at)
	}
	res, err := tx.exec(ctx, `UPDATE outbox SET state = ?, next_at = ?, lease_until = NULL, lease_token = NULL,
			last_status = ?, last_error = ?, delivered_at = ?
		WHERE id = ? AND lease_token = ?`,
		state, tx.timeArg(nextAt), nullID(int64(status)), errMsg, delivered, c.ID, c.LeaseToken)
	if err != nil {
		return false, wrap(err, "finish webhook delivery", "")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: finish webhook delivery: %w", err)
	}
	return n == 1, nil
}

// LogDeliveryAttempt appends an attempt to a delivery's log.
func (tx *Tx) LogDeliveryAttempt(ctx context.Context, deliveryID string, a DeliveryAttempt) error {
	_, err := tx.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms, worker)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, deliveryID, a.Attempt, tx.timeArg(a.At), nullID(int64(a.StatusCode)), a.Error,
		a.DurationMS, a.Worker)
	return wrap(err, "log webhook attempt", "")
}

// ReplayDelivery puts a delivery back in the queue, due at now, with a fresh round of
// attempts; its id stays the same. A worker still posting it loses its claim: the row
// is taken again when that lease ends.
func (tx *Tx) ReplayDelivery(ctx context.Context, id string, now time.Time) error {
	n := tx.timeArg(now)
	res, err := tx.exec(ctx, `UPDATE outbox SET state = 'pending', next_at = ?, tries = 0, round_start = ?,
		lease_token = NULL, delivered_at = NULL WHERE id = ?`, n, n, id)
	return tx.oneRow(res, err, "replay webhook delivery", "投递 %s 不存在 (no such delivery)", id)
}

const deliveryColumns = `o.id, o.webhook_id, o.event_id, c.code, o.action, o.state, o.attempts, o.next_at,
	o.last_status, o.last_error, o.created_at, o.delivered_at, o.payload`

func scanDelivery(s scanner) (*Delivery, error) {
	var (
		d                    Delivery
		next, created, deliv nullTime
		status               sql.NullInt64
		payload              string
	)
	err := s.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.CaseCode, &d.Action, &d.State, &d.Attempts, &next,
		&status, &d.LastError, &created, &deliv, &payload)
	if err != nil {
		return nil, err
	}
	if d.State == DeliveryPending {
		d.NextAt = next.Ptr()
	}
	d.LastStatus, d.CreatedAt, d.DeliveredAt, d.Payload = int(status.Int64), created.Time, deliv.Ptr(), []byte(payload)
	d.Log = []DeliveryAttempt{}
	return &d, nil
}

// DeliveryByID returns one delivery with its log.
func (tx *Tx) DeliveryByID(ctx context.Context, id string) (*Delivery, error) {
	d, err := scanDelivery(tx.queryRow(ctx, `SELECT `+deliveryColumns+` FROM outbox o JOIN cases c ON c.id = o.case_id
		WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("投递 %s 不存在 (no such delivery)", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: webhook delivery %s: %w", id, err)
	}
	if err := tx.attachLogs(ctx, []*Delivery{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// Deliveries lists a subscription's deliveries, newest first, with their logs and the
// total count; state "" is every state.
func (tx *Tx) Deliveries(ctx context.Context, webhookID int64, state string, limit, offset int) ([]Delivery, int, error) {
	where, args := `o.webhook_id = ?`, []any{webhookID}
	if state != "" {
		where += ` AND o.state = ?`
		args = append(args, state)
	}
	var total int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM outbox o WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count webhook deliveries: %w", err)
	}
	rows, err := tx.query(ctx, `SELECT `+deliveryColumns+` FROM outbox o JOIN cases c ON c.id = o.case_id
		WHERE `+where+` ORDER BY o.created_at DESC, o.event_id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	var ptrs []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("store: webhook deliveries: %w", err)
		}
		ptrs = append(ptrs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: webhook deliveries: %w", err)
	}
	if err := tx.attachLogs(ctx, ptrs); err != nil {
		return nil, 0, err
	}
	out := make([]Delivery, len(ptrs))
	for i, d := range ptrs {
		out[i] = *d
	}
	return out, total, nil
}

// attachLogs reads the attempts of ds in one query.
func (tx *Tx) attachLogs(ctx context.Context, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := map[string]*Delivery{}
	args := make([]any, len(ds))
	for i, d := range ds {
		byID[d.ID] = d
		args[i] = d.ID
	}
	rows, err := tx.query(ctx, `SELECT delivery_id, attempt, at, status_code, error, duration_ms, worker
		FROM webhook_attempts WHERE delivery_id IN (`+placeholders(len(ds))+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("store: webhook delivery log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id     string
			a      DeliveryAttempt
			at     nullTime
			status sql.NullInt64
		)
		if err := rows.Scan(&id, &a.Attempt, &at, &status, &a.Error, &a.DurationMS, &a.Worker); err != nil {
			return fmt.Errorf("store: webhook delivery log: %w", err)
		}
		a.At, a.StatusCode = at.Time, int(status.Int64)
		byID[id].Log = append(byID[id].Log, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: webhook delivery log: %w", err)
	}
	return nil
}

// PurgeDeliveries deletes delivered and dead deliveries created before before, with
// their log, and says how many.
func (tx *Tx) PurgeDeliveries(ctx context.Context, before time.Time) (int64, error) {
	b := tx.timeArg(before)
	done := `SELECT id FROM outbox WHERE state <> 'pending' AND created_at < ?`
	if _, err := tx.exec(ctx, `DELETE FROM webhook_attempts WHERE delivery_id IN (`+done+`)`, b); err != nil {
		return 0, fmt.Errorf("store: purge webhook log: %w", err)
	}
	res, err := tx.exec(ctx, `DELETE FROM outbox WHERE state <> 'pending' AND created_at < ?`, b)
	if err != nil {
		return 0, fmt.Errorf("store: purge webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}

// ValidDeliveryState reports whether s is pending, delivered or dead.
func ValidDeliveryState(s string) bool {
	return s == DeliveryPending || s == DeliveryDelivered || s == DeliveryDead
}
