package service

import (
	"context"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// Case returns the case with code if p may see it.
func (s *Service) Case(ctx context.Context, p *Principal, code string) (*gl.Case, error) {
	var c *gl.Case
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.CaseByCode(ctx, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !p.canSee(c) {
		return nil, gl.Errorf(gl.ENOTFOUND, "案件 %s 不存在", code)
	}
	return c, nil
}

// CaseEvents returns the full history of the case with code.
func (s *Service) CaseEvents(ctx context.Context, p *Principal, code string) ([]gl.Event, error) {
	c, err := s.Case(ctx, p, code)
	if err != nil {
		return nil, err
	}
	var evs []gl.Event
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		evs, err = tx.Events(ctx, c.ID)
		return err
	})
	return evs, err
}

// Cases lists the cases matching f inside p's scope, with the total count up to
// store.CountCap+1 ("more than store.CountCap").
func (s *Service) Cases(ctx context.Context, p *Principal, f store.CaseFilter) ([]gl.Case, int, error) {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, 0, gl.FieldError("status", "未知的案件状态「%s」", st)
		}
	}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, 0, gl.FieldError("limit", "分页参数不能为负数")
	}
	var list []gl.Case
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		list, total, err = tx.ListCases(ctx, p.scope(f))
		return err
	})
	return list, total, err
}

// Tracking is the reporter's public-safe view of a case: no internal notes, no staff names.
type Tracking struct {
	Code        string    `json:"code"`
	Status      gl.Status `json:"status"`
	StatusLabel string    `json:"status_label"`
	Category    string    `json:"category,omitempty"`
	Description string    `json:"description"`
	Address     string    `json:"address,omitempty"`
	CreatedAt   string    `json:"created_at"`
	// Due is the department's handling deadline (办理时限) while it works on the case
	// (dispatched, handling): what the city has promised the reporter.
	Due          string          `json:"due,omitempty"`
	ClosedAt     string          `json:"closed_at,omitempty"`
	Satisfaction gl.Satisfaction `json:"satisfaction,omitempty"`
	ReopenCount  int             `json:"reopen_count"`
	Timeline     []TrackingStep  `json:"timeline"`
	Actions      []gl.Action     `json:"actions"` // what the reporter may do now
}

// TrackingStep is one public step of the case's history.
type TrackingStep struct {
	At     string    `json:"at"`
	Action gl.Action `json:"action"`
	Label  string    `json:"label"`
	Status gl.Status `json:"status"`
	Note   string    `json:"note,omitempty"`
}

// trackingLayout is how the tracking views write times, in the city's time zone.
const trackingLayout = "2006-01-02 15:04"

// trackingHead is the public summary of c (of category cat, if any), without its
// timeline and actions.
func (s *Service) trackingHead(c *gl.Case, cat *gl.Category) *Tracking {
	loc := s.Calendar().Location()
	t := &Tracking{Code: c.Code, Status: c.Status, StatusLabel: c.Status.Label("zh"), Description: c.Description,
		Address: c.Address, CreatedAt: c.CreatedAt.In(loc).Format(trackingLayout), Satisfaction: c.Satisfaction,
		ReopenCount: c.ReopenCount, Timeline: []TrackingStep{}}
	if cat != nil {
		t.Category = cat.Name
	}
	if c.ClosedAt != nil {
		t.ClosedAt = c.ClosedAt.In(loc).Format(trackingLayout)
	}
	if c.Due != nil && (c.Status == gl.StatusDispatched || c.Status == gl.StatusHandling) {
		t.Due = c.Due.In(loc).Format(trackingLayout)
	}
	return t
}

// Track returns the public view of the case whose tracking token this is.
func (s *Service) Track(ctx context.Context, token string) (*Tracking, error) {
	var c *gl.Case
	var evs []gl.Event
	var cat *gl.Category
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CaseByTrackingHash(ctx, TrackingHash(token)); err != nil {
			return trackingNotFound(err)
		}
		if c.CategoryCode != "" {
			if cat, err = tx.CategoryByCode(ctx, c.CategoryCode); err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
				return err
			}
		}
		evs, err = tx.Events(ctx, c.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	loc := s.Calendar().Location()
	t := s.trackingHead(c, cat)
	for _, e := range evs {
		if !e.Public {
			continue
		}
		step := TrackingStep{At: e.At.In(loc).Format(trackingLayout), Action: e.Action, Label: e.Action.Label("zh"), Status: e.To}
		// The reporter sees departments' replies and their own words, not internal notes.
		switch e.Action {
		case gl.ActionFeedback, gl.ActionSupplement, gl.ActionReject, gl.ActionReopen, gl.ActionClose:
			step.Note = e.Note
		}
		t.Timeline = append(t.Timeline, step)
	}
	t.Actions = s.Available(&Principal{ReporterOf: c.ID}, c)
	if t.Actions == nil {
		t.Actions = []gl.Action{}
	}
	return t, nil
}
