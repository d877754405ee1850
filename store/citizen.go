package store

// The citizen's side of the loop (issue #9, migration 00008): what the similar-case
// index reads, followers, follow-ups (回访), the notification log, staff contacts and
// the public board.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gridloop/gridloop"
)

// CaseDoc is what the similar-case index keeps of a case, with what its callers need
// to filter and show a match without reading the case again.
type CaseDoc struct {
	ID           int64
	Code         string
	Status       gridloop.Status
	CategoryCode string
	Description  string
	Address      string
	AreaCode     string
	Lat, Lng     float64
	Depts        []int64 // departments holding an assignment
	Interest     int
	CreatedAt    time.Time
}

const caseDocColumns = `id, code, status, category_code, description, address, area_code, lat, lng, assignments, interest, created_at`

func scanCaseDoc(s scanner) (CaseDoc, error) {
	var d CaseDoc
	var assignments string
	var created nullTime
	if err := s.Scan(&d.ID, &d.Code, &d.Status, &d.CategoryCode, &d.Description, &d.Address, &d.AreaCode,
		&d.Lat, &d.Lng, &assignments, &d.Interest, &created); err != nil {
		return d, err
	}
	as, err := parseList[gridloop.Assignment](assignments)
	if err != nil {
		return d, fmt.Errorf("case %s: decode assignments: %w", d.Code, err)
	}
	for _, a := range as {
		d.Depts = append(d.Depts, a.DeptID)
	}
	d.CreatedAt = created.Time
	return d, nil
}

// EachOpenCaseDoc calls fn for every case not in a final state, in id order.
func (tx *Tx) EachOpenCaseDoc(ctx context.Context, fn func(CaseDoc) error) error {
	rows, err := tx.query(ctx, `SELECT `+caseDocColumns+` FROM cases WHERE status NOT IN (`+placeholders(len(finalStatuses))+`) ORDER BY id`, finalStatuses...)
	if err != nil {
		return fmt.Errorf("store: open cases: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanCaseDoc(rows)
		if err != nil {
			return fmt.Errorf("store: open cases: %w", err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CaseDocs returns the cases with ids, whatever their state (unknown ids left out).
func (tx *Tx) CaseDocs(ctx context.Context, ids []int64) ([]CaseDoc, error) {
	var out []CaseDoc
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		rows, err := tx.query(ctx, `SELECT `+caseDocColumns+` FROM cases WHERE id IN (`+placeholders(len(part))+`)`, int64Args(part)...)
		if err != nil {
			return nil, fmt.Errorf("store: cases by id: %w", err)
		}
		for rows.Next() {
			d, err := scanCaseDoc(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: cases by id: %w", err)
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: cases by id: %w", err)
		}
	}
	return out, nil
}

// CaseText is a case's free text, which the similar-case index does not keep in memory.
type CaseText struct{ Description, Address string }

// CaseTexts returns the description and address of the cases with ids, whatever their
// state, by id (unknown ids left out): one query per 500 ids. The IN list is padded to
// 8, 16, 32 … ids (repeating the last) so that few statements are prepared.
func (tx *Tx) CaseTexts(ctx context.Context, ids []int64) (map[int64]CaseText, error) {
	out := make(map[int64]CaseText, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		n := 8
		for n < len(part) {
			n *= 2
		}
		n = min(n, 500)
		args := int64Args(part)
		for len(args) < n {
			args = append(args, part[len(part)-1])
		}
		rows, err := tx.query(ctx, `SELECT id, description, address FROM cases WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: case texts: %w", err)
		}
		for rows.Next() {
			var id int64
			var t CaseText
			if err := rows.Scan(&id, &t.Description, &t.Address); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: case texts: %w", err)
			}
			out[id] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: case texts: %w", err)
		}
	}
	return out, nil
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// EventRef is an event's id and its case.
type EventRef struct{ ID, CaseID int64 }

// EventRefsAfter returns up to limit events with an id above after, in id order.
func (tx *Tx) EventRefsAfter(ctx context.Context, after int64, limit int) ([]EventRef, error) {
	return tx.eventRefs(ctx, `SELECT id, case_id FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// EventRefs returns the events with ids that exist (now, in this transaction's view).
func (tx *Tx) EventRefs(ctx context.Context, ids []int64) ([]EventRef, error) {
	var out []EventRef
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		refs, err := tx.eventRefs(ctx, `SELECT id, case_id FROM events WHERE id IN (`+placeholders(len(part))+`)`, int64Args(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, refs...)
	}
	return out, nil
}

func (tx *Tx) eventRefs(ctx context.Context, q string, args ...any) ([]EventRef, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: event ids: %w", err)
	}
	defer rows.Close()
	var out []EventRef
	for rows.Next() {
		var r EventRef
		if err := rows.Scan(&r.ID, &r.CaseID); err != nil {
			return nil, fmt.Errorf("store: event ids: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Followers.

// Follower is a citizen who follows a case ("me too") with a tracking token of their own.
type Follower struct {
	ID        int64     `json:"id"`
	CaseID    int64     `json:"case_id"`
	TokenHash string    `json:"-"`
	Phone     string    `json:"-"`
	Email     string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// InsertFollower stores f and sets f.ID.
func (tx *Tx) InsertFollower(ctx context.Context, f *Follower) error {
	err := tx.queryRow(ctx, `INSERT INTO followers (case_id, token_hash, phone, email, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		f.CaseID, f.TokenHash, f.Phone, f.Email, tx.timeArg(f.CreatedAt)).Scan(&f.ID)
	return wrap(err, "insert follower", "查询码重复 (duplicate token)")
}

const followerColumns = `id, case_id, token_hash, phone, email, created_at`

func scanFollower(s scanner) (*Follower, error) {
	var f Follower
	var created nullTime
	if err := s.Scan(&f.ID, &f.CaseID, &f.TokenHash, &f.Phone, &f.Email, &created); err != nil {
		return nil, err
	}
	f.CreatedAt = created.Time
	return &f, nil
}

// FollowerByHash returns the follower whose token hashes to hash, or ENOTFOUND.
func (tx *Tx) FollowerByHash(ctx context.Context, hash string) (*Follower, error) {
	f, err := scanFollower(tx.queryRow(ctx, `SELECT `+followerColumns+` FROM followers WHERE token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("查询码无效 (unknown token)")
	} else if err != nil {
		return nil, fmt.Errorf("store: follower: %w", err)
	}
	return f, nil
}

// Followers returns the followers of a case, oldest first.
func (tx *Tx) Followers(ctx context.Context, caseID int64) ([]Follower, error) {
	rows, err := tx.query(ctx, `SELECT `+followerColumns+` FROM followers WHERE case_id = ? ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: followers: %w", err)
	}
	defer rows.Close()
	var out []Follower
	for rows.Next() {
		f, err := scanFollower(rows)
		if err != nil {
			return nil, fmt.Errorf("store: followers: %w", err)
		}
		out = append(out, *f)
	}
	return out, rows.Err()
}

// duplicatesQuery runs on every event of a case (the notification hook asks who follows
// it). Its "duplicate_of <> empty string" lets the planner use the partial index
// cases_duplicate_of (it cannot tell that a bound code is never empty); without it, every
// merged case was read.
const duplicatesQuery = `SELECT ` + caseColumns + ` FROM cases WHERE duplicate_of = ? AND duplicate_of <> '' AND status = ? ORDER BY id`

// Duplicates returns the cases merged into the case with code (status merged,
// duplicate_of = code), oldest first.
func (tx *Tx) Duplicates(ctx context.Context, code string) ([]gridloop.Case, error) {
	cases, err := tx.cases(ctx, duplicatesQuery, code, string(gridloop.StatusMerged))
	if err != nil {
		return nil, fmt.Errorf("store: duplicates of %s: %w", code, err)
	}
	return cases, nil
}

// Follow-ups (回访).

// Counted values of a follow-up besides the city's policy for unanswered ones.
const (
	FollowUpOpen     = ""         // waiting for an answer
	FollowUpAnswered = "answered" // the reporter (or a follower) answered
	FollowUpVoid     = "void"     // staff reopened the case before anyone answered
)

// FollowUp is the question "fixed? satisfied?" after one closing of a case.
type FollowUp struct {
	ID           int64      `json:"id"`
	CaseID       int64      `json:"case_id"`
	CloseEventID int64      `json:"close_event_id"`
	AskedAt      time.Time  `json:"asked_at"`
	Channel      string     `json:"channel"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	Answer       string     `json:"answer,omitempty"`
	Fixed        *bool      `json:"fixed,omitempty"`
	CountedAs    string     `json:"counted_as"`
	CountedAt    *time.Time `json:"counted_at,omitempty"`
	EventID      int64      `json:"event_id,omitempty"`
}

const followUpColumns = `id, case_id, close_event_id, asked_at, channel, answered_at, answer, fixed, counted_as, counted_at, event_id`

func scanFollowUp(s scanner) (FollowUp, error) {
	var f FollowUp
	var asked, answered, counted nullTime
	var fixed sql.NullBool
	var ev sql.NullInt64
	if err := s.Scan(&f.ID, &f.CaseID, &f.CloseEventID, &asked, &f.Channel, &answered, &f.Answer, &fixed, &f.CountedAs, &counted, &ev); err != nil {
		return f, err
	}
	f.AskedAt, f.AnsweredAt, f.CountedAt = asked.Time, answered.Ptr(), counted.Ptr()
	f.Fixed, f.EventID = boolPtr(fixed), ev.Int64
	return f, nil
}

// InsertFollowUp stores a new, open follow-up and sets f.ID.
func (tx *Tx) InsertFollowUp(ctx context.Context, f *FollowUp) error {
	err := tx.queryRow(ctx, `INSERT INTO followups (case_id, close_event_id, asked_at, channel) VALUES (?, ?, ?, ?) RETURNING id`,
		f.CaseID, f.CloseEventID, tx.timeArg(f.AskedAt), f.Channel).Scan(&f.ID)
	return wrap(err, "insert follow-up", "")
}

// AnswerFollowUps closes the open follow-ups of a case: answered (answer and fixed
// given) or void. It returns how many it closed.
func (tx *Tx) AnswerFollowUps(ctx context.Context, caseID int64, at time.Time, countedAs, answer string, fixed *bool, eventID int64) (int64, error) {
	var answeredAt any
	if countedAs == FollowUpAnswered {
		answeredAt = tx.timeArg(at)
	}
	res, err := tx.exec(ctx, `UPDATE followups SET answered_at = ?, answer = ?, fixed = ?, counted_as = ?, counted_at = ?, event_id = ?
		WHERE case_id = ? AND counted_as = ''`,
		answeredAt, answer, nullBool(fixed), countedAs, tx.timeArg(at), nullID(eventID), caseID)
	if err != nil {
		return 0, wrap(err, "answer follow-ups", "")
	}
	return res.RowsAffected()
}

// DueFollowUps returns up to limit open follow-ups asked before before, oldest first.
// On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so that nodes running the
// follow-up job together take different ones; call it inside Update.
func (tx *Tx) DueFollowUps(ctx context.Context, before time.Time, limit int) ([]FollowUp, error) {
	q := `SELECT ` + followUpColumns + ` FROM followups WHERE counted_as = '' AND asked_at < ? ORDER BY asked_at, id LIMIT ?`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	return tx.followUps(ctx, q, tx.timeArg(before), limit)
}

// CountFollowUp records how an unanswered follow-up was counted.
func (tx *Tx) CountFollowUp(ctx context.Context, id int64, countedAs string, at time.Time, eventID int64) error {
	res, err := tx.exec(ctx, `UPDATE followups SET counted_as = ?, counted_at = ?, event_id = ? WHERE id = ? AND counted_as = ''`,
		countedAs, tx.timeArg(at), nullID(eventID), id)
	return tx.oneRow(res, err, "count follow-up", "回访记录 %d 不存在或已计入 (follow-up not open)", id)
}

// FollowUps returns the follow-ups of a case, oldest first.
func (tx *Tx) FollowUps(ctx context.Context, caseID int64) ([]FollowUp, error) {
	return tx.followUps(ctx, `SELECT `+followUpColumns+` FROM followups WHERE case_id = ? ORDER BY id`, caseID)
}

func (tx *Tx) followUps(ctx context.Context, q string, args ...any) ([]FollowUp, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: follow-ups: %w", err)
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		f, err := scanFollowUp(rows)
		if err != nil {
			return nil, fmt.Errorf("store: follow-ups: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Notifications.

// Notification states.
const (
	NotifyPending = "pending"
	NotifySent    = "sent"
	NotifyFailed  = "failed"
)

// Recipient kinds.
const (
	RecipientUser     = "user"     // a staff user (RecipientID: user id)
	RecipientReporter = "reporter" // the reporter of a case (RecipientID: case id)
	RecipientFollower = "follower" // a follower (RecipientID: follower id)
	RecipientWebhook  = "webhook"  // a URL (RecipientID: 0)
)

// Notification is one message to one recipient on one channel: the log row.
type Notification struct {
	ID            int64      `json:"id"`
	CaseID        int64      `json:"-"`
	CaseCode      string     `json:"case_code,omitempty"`
	EventID       int64      `json:"event_id,omitempty"`
	RecipientKind string     `json:"recipient_kind"`
	RecipientID   int64      `json:"recipient_id,omitempty"`
	Recipient     string     `json:"recipient"`
	Channel       string     `json:"channel"`
	Template      string     `json:"template"`
	Subject       string     `json:"subject,omitempty"`
	Body          string     `json:"body"`
	Link          string     `json:"link,omitempty"`
	Status        string     `json:"status"`
	Error         string     `json:"error,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAt        time.Time  `json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at,omitempty"`
	ReadAt        *time.Time `json:"read_at,omitempty"`
	LeaseToken    string     `json:"-"`
}

const notificationColumns = `n.id, n.case_id, COALESCE(c.code, ''), n.event_id, n.recipient_kind, n.recipient_id, n.recipient,
	n.channel, n.template, n.subject, n.body, n.link, n.status, n.error, n.attempts, n.next_at, n.created_at, n.sent_at, n.read_at`

const notificationFrom = ` FROM notifications n LEFT JOIN cases c ON c.id = n.case_id`

func scanNotification(s scanner) (Notification, error) {
	var n Notification
	var caseID, eventID, recipientID sql.NullInt64
	var next, created, sent, read nullTime
	err := s.Scan(&n.ID, &caseID, &n.CaseCode, &eventID, &n.RecipientKind, &recipientID, &n.Recipient, &n.Channel,
		&n.Template, &n.Subject, &n.Body, &n.Link, &n.Status, &n.Error, &n.Attempts, &next, &created, &sent, &read)
	n.CaseID, n.EventID, n.RecipientID = caseID.Int64, eventID.Int64, recipientID.Int64
	n.NextAt, n.CreatedAt, n.SentAt, n.ReadAt = next.Time, created.Time, sent.Ptr(), read.Ptr()
	return n, err
}

// InsertNotifications stores new messages (status pending unless set) and sets their ids.
func (tx *Tx) InsertNotifications(ctx context.Context, ns []*Notification) error {
	const cols = 14
	for start := 0; start < len(ns); start += 50 {
		part := ns[start:min(start+50, len(ns))]
		values := make([]string, len(part))
		args := make([]any, 0, cols*len(part))
		for i, n := range part {
			if n.Status == "" {
				n.Status = NotifyPending
			}
			values[i] = `(` + placeholders(cols) + `)`
			args = append(args, nullID(n.CaseID), nullID(n.EventID), n.RecipientKind, nullID(n.RecipientID), n.Recipient,
				n.Channel, n.Template, n.Subject, n.Body, n.Link, n.Status, tx.timeArg(n.NextAt), tx.timeArg(n.CreatedAt),
				tx.timePtrArg(n.SentAt))
		}
		rows, err := tx.query(ctx, `INSERT INTO notifications (case_id, event_id, recipient_kind, recipient_id, recipient,
			channel, template, subject, body, link, status, next_at, created_at, sent_at) VALUES `+strings.Join(values, ", ")+` RETURNING id`, args...)
		if err != nil {
			return wrap(err, "insert notifications", "")
		}
		i := 0
		for rows.Next() {
			if err := rows.Scan(&part[i].ID); err != nil {
				rows.Close()
				return fmt.Errorf("store: insert notifications: %w", err)
			}
			i++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrap(err, "insert notifications", "")
		}
	}
	return nil
}

// ClaimNotifications leases up to limit due pending messages until leaseUntil under
// token, and counts an attempt for each. On PostgreSQL the rows are picked FOR UPDATE
// SKIP LOCKED, so that senders on many nodes take different ones.
func (tx *Tx) ClaimNotifications(ctx context.Context, now, leaseUntil time.Time, token string, limit int) ([]Notification, error) {
	if limit <= 0 {
		limit = 20
	}
	pick := `SELECT id FROM notifications WHERE status = 'pending' AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)
		ORDER BY next_at, id LIMIT ?`
	if tx.dialect == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	n := tx.timeArg(now)
	rows, err := tx.query(ctx, `UPDATE notifications SET lease_until = ?, lease_token = ?, attempts = attempts + 1
		WHERE id IN (`+pick+`) RETURNING id`, tx.timeArg(leaseUntil), token, n, n, limit)
	if err != nil {
		return nil, wrap(err, "claim notifications", "")
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: claim notifications: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return nil, err
	}
	out, err := tx.notifications(ctx, `SELECT `+notificationColumns+notificationFrom+` WHERE n.id IN (`+placeholders(len(ids))+`) ORDER BY n.next_at, n.id`, int64Args(ids)...)
	for i := range out {
		out[i].LeaseToken = token
	}
	return out, err
}

// FinishNotification records the outcome of an attempt while the claim still holds
// its lease: status sent (at), failed (with errMsg), or pending again at next. It
// reports whether the lease still held.
func (tx *Tx) FinishNotification(ctx context.Context, n Notification, status, errMsg string, at, next time.Time) (bool, error) {
	var sent any
	if status == NotifySent {
		sent = tx.timeArg(at)
	}
	res, err := tx.exec(ctx, `UPDATE notifications SET status = ?, error = ?, sent_at = ?, next_at = ?, lease_until = NULL, lease_token = NULL
		WHERE id = ? AND lease_token = ?`, status, errMsg, sent, tx.timeArg(next), n.ID, n.LeaseToken)
	if err != nil {
		return false, wrap(err, "finish notification", "")
	}
	k, err := res.RowsAffected()
	return k == 1, err
}

// NextNotificationAt is when the earliest pending message is due, or nil.
func (tx *Tx) NextNotificationAt(ctx context.Context) (*time.Time, error) {
	var t nullTime
	if err := tx.queryRow(ctx, `SELECT MIN(next_at) FROM notifications WHERE status = 'pending'`).Scan(&t); err != nil {
		return nil, fmt.Errorf("store: next notification: %w", err)
	}
	return t.Ptr(), nil
}

// UnreadCap is how far an inbox's unread messages are counted: a department's user who
// never marks them read gathers tens of thousands, and counting 100,000 took a third of
// the workbench's time; the page says "999+".
const UnreadCap = 999

// Inbox returns the newest in-app messages of a recipient and how many are unread,
// counted up to UnreadCap+1.
func (tx *Tx) Inbox(ctx context.Context, kind string, id int64, limit int) ([]Notification, int, error) {
	unread, err := tx.countUpTo(ctx, `notifications WHERE recipient_kind = ? AND recipient_id = ? AND channel = 'inapp' AND read_at IS NULL`,
		[]any{kind, id}, UnreadCap+1)
	if err != nil {
		return nil, 0, fmt.Errorf("store: inbox: %w", err)
	}
	out, err := tx.notifications(ctx, `SELECT `+notificationColumns+notificationFrom+`
		WHERE n.recipient_kind = ? AND n.recipient_id = ? AND n.channel = 'inapp' ORDER BY n.id DESC LIMIT ?`, kind, id, limit)
	return out, unread, err
}

// MarkRead marks the in-app messages of a recipient up to id upTo as read.
func (tx *Tx) MarkRead(ctx context.Context, kind string, id, upTo int64, at time.Time) error {
	_, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE recipient_kind = ? AND recipient_id = ? AND channel = 'inapp'
		AND read_at IS NULL AND id <= ?`, tx.timeArg(at), kind, id, upTo)
	return wrap(err, "mark notifications read", "")
}

// MarkCaseMessagesRead marks as read, at at, the unread in-app messages of template about
// caseID sent to the recipients of kind with the given ids: reminders whose ask is done.
func (tx *Tx) MarkCaseMessagesRead(ctx context.Context, caseID int64, template, kind string, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{tx.timeArg(at), caseID, template, kind}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE case_id = ? AND channel = 'inapp' AND template = ?
		AND recipient_kind = ? AND read_at IS NULL AND recipient_id IN (`+placeholders(len(ids))+`)`, args...)
	return wrap(err, "mark a case's messages read", "")
}

// NotificationFilter selects rows of the message log.
type NotificationFilter struct {
	CaseID        int64
	Status        string
	Channel       string
	RecipientKind string
	RecipientID   int64
	Limit, Offset int
}

// NotificationLog returns one page of the message log, newest first, and the total,
// counted up to CountCap+1 as the case lists are: the log holds every message ever sent,
// and counting a channel's 100,000 took 24 ms.
func (tx *Tx) NotificationLog(ctx context.Context, f NotificationFilter) ([]Notification, int, error) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.CaseID != 0 {
		add(`n.case_id = ?`, f.CaseID)
	}
	if f.Status != "" {
		add(`n.status = ?`, f.Status)
	}
	if f.Channel != "" {
		add(`n.channel = ?`, f.Channel)
	}
	if f.RecipientKind != "" {
		add(`n.recipient_kind = ?`, f.RecipientKind)
	}
	if f.RecipientID != 0 {
		add(`n.recipient_id = ?`, f.RecipientID)
	}
	where := ""
	if len(conds) > 0 {
		where = ` WHERE ` + strings.Join(conds, ` AND `)
	}
	total, err := tx.countUpTo(ctx, `notifications n`+where, args, CountCap+1)
	if err != nil {
		return nil, 0, fmt.Errorf("store: notification log: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	out, err := tx.notifications(ctx, `SELECT `+notificationColumns+notificationFrom+where+` ORDER BY n.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, max(f.Offset, 0))...)
	return out, total, err
}

func (tx *Tx) notifications(ctx context.Context, q string, args ...any) ([]Notification, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("store: notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Staff contacts.

// UserContact is where a staff user is told besides the workbench.
type UserContact struct {
	UserID     int64     `json:"user_id"`
	Email      string    `json:"email,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	WebhookURL string    `json:"webhook_url,omitempty"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// PutUserContact sets a user's contact details.
func (tx *Tx) PutUserContact(ctx context.Context, c *UserContact) error {
	_, err := tx.exec(ctx, `INSERT INTO user_contacts (user_id, email, phone, webhook_url, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, phone = excluded.phone,
			webhook_url = excluded.webhook_url, updated_at = excluded.updated_at`,
		c.UserID, c.Email, c.Phone, c.WebhookURL, tx.timeArg(c.UpdatedAt))
	return wrap(err, "put user contact", "")
}

// UserContacts returns every staff contact, by user id.
func (tx *Tx) UserContacts(ctx context.Context) (map[int64]UserContact, error) {
	rows, err := tx.query(ctx, `SELECT user_id, email, phone, webhook_url, updated_at FROM user_contacts`)
	if err != nil {
		return nil, fmt.Errorf("store: user contacts: %w", err)
	}
	defer rows.Close()
	out := map[int64]UserContact{}
	for rows.Next() {
		var c UserContact
		var at nullTime
		if err := rows.Scan(&c.UserID, &c.Email, &c.Phone, &c.WebhookURL, &at); err != nil {
			return nil, fmt.Errorf("store: user contacts: %w", err)
		}
		c.UpdatedAt = at.Time
		out[c.UserID] = c
	}
	return out, rows.Err()
}

// The public board.

// PublicFilter selects the cases of the public board.
type PublicFilter struct {
	Categories []string          // the public categories (required: none selects nothing)
	Statuses   []gridloop.Status // required
	Category   string            // one of Categories, or ""
	AreaPrefix string
	Since      *time.Time // updated_at >= Since
	Limit      int
	Offset     int
}

// PublicCases returns one page of the cases f selects, newest report first, and how
// many it selects in all up to CountCap+1 ("more than CountCap"): the board is anyone's,
// and counting its 850,000 closed cases at 1M took 1.2 s a page. Not most recently
// changed first: the board shows when a case was reported, and changes the board does
// not show (an unanswered follow-up counted a week after closing, a supervisor's
// urging) would bring old cases back to its top.
func (tx *Tx) PublicCases(ctx context.Context, f PublicFilter) ([]gridloop.Case, int, error) {
	if len(f.Categories) == 0 || len(f.Statuses) == 0 {
		return nil, 0, nil
	}
	count, args := tx.publicQuery(f, publicCount)
	var total int
	if err := tx.queryRow(ctx, count, append(args, CountCap+1)...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: public cases: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if total == 0 || (f.Offset >= total && total <= CountCap) {
		return nil, total, nil
	}
	use := publicFewCases
	if total > CountCap {
		use = publicManyCases
	}
	page, args := tx.publicQuery(f, use)
	cases, err := tx.cases(ctx, page, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: public cases: %w", err)
	}
	return cases, total, nil
}

// The board's queries (publicQuery).
const (
	publicCount     = iota // the capped count; the cap is the last argument
	publicFewCases         // a page of at most CountCap cases; limit and offset last
	publicManyCases        // a page of more than CountCap cases; limit and offset last
)

// publicQuery returns one of the board's queries for f and its arguments.
//
// Which index reads them matters at a million cases, and SQLite's planner, on stale or
// missing statistics, guesses wrong, so on SQLite the query says it: a condition marked
// "+" is only a filter, never read through an index. The list of public categories is
// always one (it is most categories). The count reads the area prefix's range when
// there is one, else the category's when there is one, else the states'
// (cases_status_created; the open states' range is the shortest way to count the open
// cases), and stops at the cap. Once it is known how
// many cases there are, a page of many is read in date order and stops at its limit:
// cases_created_at, or cases_status_created for one state, or cases_category_created
// for one category; and a page of few (CountCap at most) as the count read them, and
// sorted: for an area of a few hundred cases, or of none, a read in date order would go
// through the whole table to find them, and one of every case of the states filtered
// by area too (1.2 s each at 1M cases) (TestHotQueriesUseTheirIndexes).
func (tx *Tx) publicQuery(f PublicFilter, which int) (string, []any) {
	var args []any
	for _, c := range f.Categories {
		args = append(args, c)
	}
	for _, s := range f.Statuses {
		args = append(args, string(s))
	}
	filterOnly := func(yes bool) string {
		if yes && tx.dialect == SQLite {
			return "+"
		}
		return ""
	}
	states := false // the states' list only a filter
	area := false   // the area prefix only a filter
	switch which {
	case publicCount, publicFewCases:
		// A category's range is at most a few percent of the cases; the closed state's
		// is most of them (a category's closed cases counted from it: 100 ms at 1M).
		states = f.AreaPrefix != "" || f.Category != ""
	case publicManyCases:
		states, area = len(f.Statuses) > 1, true
	}
	conds := []string{filterOnly(true) + `category_code IN (` + placeholders(len(f.Categories)) + `)`,
		filterOnly(states) + `status IN (` + placeholders(len(f.Statuses)) + `)`}
	if f.Category != "" {
		conds = append(conds, `category_code = ?`)
		args = append(args, f.Category)
	}
	if f.AreaPrefix != "" {
		if tx.dialect == SQLite {
			conds = append(conds, filterOnly(area)+`area_code GLOB ?`)
			args = append(args, escapeGlob(f.AreaPrefix)+"*")
		} else {
			conds = append(conds, `area_code LIKE ? ESCAPE '\'`)
			args = append(args, escapeLike(f.AreaPrefix)+"%")
		}
	}
	if f.Since != nil {
		conds = append(conds, `updated_at >= ?`)
		args = append(args, tx.timeArg(*f.Since))
	}
	where := ` WHERE ` + strings.Join(conds, ` AND `)
	if which == publicCount {
		return `SELECT count(*) FROM (SELECT 1 FROM cases` + where + ` LIMIT ?) AS capped`, args
	}
	return `SELECT ` + caseColumns + ` FROM cases` + where + ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, args
}

// PublicEvents returns the public events with one of actions of the cases with ids,
// by case, in order.
func (tx *Tx) PublicEvents(ctx context.Context, caseIDs []int64, actions []gridloop.Action) (map[int64][]gridloop.Event, error) {
	out := map[int64][]gridloop.Event{}
	if len(caseIDs) == 0 || len(actions) == 0 {
		return out, nil
	}
	for start := 0; start < len(caseIDs); start += 500 {
		part := caseIDs[start:min(start+500, len(caseIDs))]
		args := int64Args(part)
		for _, a := range actions {
			args = append(args, string(a))
		}
		evs, err := tx.eventList(ctx, `SELECT `+eventColumns+` FROM events WHERE case_id IN (`+placeholders(len(part))+`)
			AND action IN (`+placeholders(len(actions))+`) AND public ORDER BY case_id, seq`, args...)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			out[e.CaseID] = append(out[e.CaseID], e)
		}
	}
	return out, nil
}
