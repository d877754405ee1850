package service

import (
	"context"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// The live feed of new events (the command screen's ticker, /api/v1/events/stream).
//
// Each connection polls the events table by id, about once a second (Feed.Poll), and
// keeps the events of cases inside its principal's scope. Polling rather than fanning
// out from the event hook: a hook runs before the commit, so it would have to hold
// events until the transaction commits, and it only sees this node's events, while a
// poll sees every node's committed events. The poll is one indexed range read of the
// primary key.
//
// On PostgreSQL ids are taken when a row is inserted, not when its transaction commits,
// so an event can become visible after one with a higher id. Each poll there re-reads
// the events of the last FeedLateWindow and skips those already sent. SQLite commits
// one writer at a time, so ids become visible in order.

// FeedLateWindow is how far back a PostgreSQL poll looks for events that committed
// late.
const FeedLateWindow = 5 * time.Second

// FeedBatch is the most events one poll reads.
const FeedBatch = 500

// FeedEvent is one event as the feed shows it: no notes, no personal data.
type FeedEvent struct {
	ID           int64     `json:"id"`
	CaseCode     string    `json:"case_code"`
	Action       gl.Action `json:"action"`
	ActionLabel  string    `json:"action_label"`
	From         gl.Status `json:"from,omitempty"`
	To           gl.Status `json:"to"`
	StatusLabel  string    `json:"status_label"`
	Actor        string    `json:"actor"`
	Role         gl.Role   `json:"role"`
	RoleLabel    string    `json:"role_label"`
	DeptID       int64     `json:"dept_id,omitempty"`
	DeptName     string    `json:"dept_name,omitempty"`
	CategoryCode string    `json:"category_code,omitempty"`
	AreaCode     string    `json:"area_code,omitempty"`
	GridCode     string    `json:"grid_code,omitempty"`
	Lat          float64   `json:"lat"`
	Lng          float64   `json:"lng"`
	At           time.Time `json:"at"`
}

// Feed is one subscriber's position in the event log.
type Feed struct {
	s      *Service
	p      *Principal
	cursor int64               // the highest event id read
	sent   map[int64]time.Time // ids read within the late window (PostgreSQL), and when
	marks  []feedMark          // the cursor before each poll of the late window
}

type feedMark struct {
	at     time.Time
	cursor int64
}

// NewFeed starts a feed for p after the event with id after; after < 0 starts at the
// newest event (only events from now on). A client resuming with a Last-Event-ID more
// than FeedBatch×10 events back starts at the newest event instead.
func (s *Service) NewFeed(ctx context.Context, p *Principal, after int64) (*Feed, error) {
	var newest int64
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		newest, err = tx.MaxEventID(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if after < 0 || after > newest || newest-after > FeedBatch*10 {
		after = newest
	}
	return &Feed{s: s, p: p, cursor: after, sent: map[int64]time.Time{}}, nil
}

// Cursor is the id of the last event the feed has read.
func (f *Feed) Cursor() int64 { return f.cursor }

// Poll returns the events recorded since the last poll that p may see, in id order.
// more reports whether a full batch was read (poll again at once).
func (f *Feed) Poll(ctx context.Context) (events []FeedEvent, more bool, err error) {
	now := time.Now()
	late := f.s.DB.Dialect() == store.Postgres
	from, before := f.cursor, f.cursor
	if late {
		for _, m := range f.marks {
			if now.Sub(m.at) <= FeedLateWindow {
				from = min(from, m.cursor)
				break
			}
		}
	}
	var evs []gl.Event
	var cases map[int64]*gl.Case
	err = f.s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if evs, err = tx.EventsAfter(ctx, from, FeedBatch); err != nil || len(evs) == 0 {
			return err
		}
		var ids []int64
		for _, e := range evs {
			ids = append(ids, e.CaseID)
		}
		cases, err = tx.CasesByIDs(ctx, ids)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	tree := f.s.Depts()
	for _, e := range evs {
		f.cursor = max(f.cursor, e.ID)
		if late {
			if _, ok := f.sent[e.ID]; ok {
				continue
			}
			f.sent[e.ID] = now
		}
		c := cases[e.CaseID]
		if c == nil || !f.p.canSee(c) {
			continue
		}
		fe := FeedEvent{ID: e.ID, CaseCode: c.Code, Action: e.Action, ActionLabel: e.Action.Label("zh"),
			From: e.From, To: e.To, StatusLabel: e.To.Label("zh"), Actor: e.Actor, Role: e.Role,
			RoleLabel: e.Role.Label("zh"), DeptID: e.DeptID, CategoryCode: c.CategoryCode,
			AreaCode: c.AreaCode, GridCode: c.GridCode, Lat: c.Lat, Lng: c.Lng, At: e.At}
		if d, ok := tree.Get(e.DeptID); ok {
			fe.DeptName = d.Name
		}
		events = append(events, fe)
	}
	if late {
		f.marks = append(f.marks, feedMark{at: now, cursor: before})
		cut := 0
		for cut < len(f.marks)-1 && now.Sub(f.marks[cut+1].at) > FeedLateWindow {
			cut++
		}
		f.marks = f.marks[cut:]
		for id, at := range f.sent {
			if now.Sub(at) > 2*FeedLateWindow {
				delete(f.sent, id)
			}
		}
	}
	return events, len(evs) == FeedBatch, nil
}
