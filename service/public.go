package service

// Public reporting (向群众汇报, issue #9 §3): the board and map of the cases of public
// categories, with personal data masked and the departments' replies, and the public
// statistics by department and area, read from the evaluation rollups.

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
)

// Personal data in free text: mobile and landline numbers, ID card numbers, emails.
var (
	idCardRe   = regexp.MustCompile(`[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]`)
	mobileRe   = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`)
	landlineRe = regexp.MustCompile(`0\d{2,3}[- ]\d{7,8}|\(0\d{2,3}\)\d{7,8}`)
	emailRe    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
)

// maskPersonal hides personal data in a text shown to the public: ID card numbers,
// phone numbers and email addresses, and the reporter's name where it appears.
func maskPersonal(text, name string) string {
	if mayHavePersonal(text) {
		text = maskNumbers(text)
	}
	if name = strings.TrimSpace(name); utf8.RuneCountInString(name) >= 2 {
		text = strings.ReplaceAll(text, name, MaskName(name))
	}
	return text
}

// mayHavePersonal is a quick look for what maskNumbers masks: seven digits in a row
// (spaces and dashes between them allowed) or an @.
func mayHavePersonal(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if run++; run >= 7 {
				return true
			}
		case c == '@':
			return true
		case c == '-' || c == ' ':
		default:
			run = 0
		}
	}
	return false
}

func maskNumbers(text string) string {
	text = idCardRe.ReplaceAllStringFunc(text, func(s string) string { return s[:4] + strings.Repeat("*", len(s)-6) + s[len(s)-2:] })
	text = mobileRe.ReplaceAllStringFunc(text, MaskPhone)
	text = landlineRe.ReplaceAllStringFunc(text, func(s string) string {
		return s[:len(s)-4] + "****"
	})
	text = emailRe.ReplaceAllStringFunc(text, func(s string) string {
		at := strings.IndexByte(s, '@')
		return s[:1] + "***" + s[at:]
	})
	return text
}

// PublicStatuses are the states the public board shows: accepted cases (registered)
// until closed. Reports not yet accepted, rejected, merged or withdrawn are left out.
var PublicStatuses = []gl.Status{gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling, gl.StatusHandled,
	gl.StatusChecking, gl.StatusChecked, gl.StatusSuspended, gl.StatusClosed}

// PublicCase is a case as the public sees it: no names, no phones, personal data in the
// description masked; the address is kept.
type PublicCase struct {
	Code         string        `json:"code"`
	Status       gl.Status     `json:"status"`
	StatusLabel  string        `json:"status_label"`
	CategoryCode string        `json:"category_code"`
	Category     string        `json:"category"`
	Description  string        `json:"description"`
	Address      string        `json:"address,omitempty"`
	Area         string        `json:"area,omitempty"` // district · street · community
	Lat          float64       `json:"lat"`
	Lng          float64       `json:"lng"`
	Dept         string        `json:"dept,omitempty"` // the lead department
	Interest     int           `json:"interest"`
	ReopenCount  int           `json:"reopen_count"`
	CreatedAt    time.Time     `json:"created_at"`
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`
	Replies      []PublicReply `json:"replies"`
}

// PublicReply is a department's reply (feedback), the closing note or a reopening.
type PublicReply struct {
	At     time.Time `json:"at"`
	Action gl.Action `json:"action"`
	Label  string    `json:"label"`
	Dept   string    `json:"dept,omitempty"`
	Note   string    `json:"note,omitempty"`
}

// LatestReply is the department's most recent reply, nil before the first: after a
// rework or a reopening the department answers again, and the board's list shows only
// the answer that stands (the case's page shows them all).
func (pc PublicCase) LatestReply() *PublicReply {
	for i := len(pc.Replies) - 1; i >= 0; i-- {
		if pc.Replies[i].Action == gl.ActionFeedback {
			return &pc.Replies[i]
		}
	}
	return nil
}

// replyActions are the events whose notes the public board shows.
var replyActions = []gl.Action{gl.ActionFeedback, gl.ActionClose, gl.ActionReopen}

// PublicQuery selects cases of the public board.
type PublicQuery struct {
	State    string // "" every public state, "open" not closed, "closed"
	Category string
	Area     string // area code prefix
	Days     int    // changed in the last Days days (0: any time)
	Limit    int    // default 20, at most 2000 (the map)
	Offset   int
}

// PublicCases returns a page of the public board, newest report first, and the total
// up to store.CountCap+1 ("more than store.CountCap").
func (s *Service) PublicCases(ctx context.Context, q PublicQuery) ([]PublicCase, int, error) {
	cats, err := s.categoryMap(ctx)
	if err != nil {
		return nil, 0, err
	}
	f := store.PublicFilter{Category: q.Category, AreaPrefix: q.Area, Limit: q.Limit, Offset: q.Offset}
	for code, c := range cats {
		if c.Public {
			f.Categories = append(f.Categories, code)
		}
	}
	switch q.State {
	case "":
		f.Statuses = PublicStatuses
	case "open":
		f.Statuses = PublicStatuses[:len(PublicStatuses)-1]
	case "closed":
		f.Statuses = []gl.Status{gl.StatusClosed}
	default:
		return nil, 0, gl.FieldError("state", "状态须为 open（办理中）或 closed（已办结）")
	}
	if q.Category != "" && !publicCategory(cats, q.Category) {
		return []PublicCase{}, 0, nil
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	if f.Limit > 2000 || f.Offset < 0 || q.Days < 0 {
		return nil, 0, gl.FieldError("limit", "分页参数无效")
	}
	if q.Days > 0 {
		since := s.now().Add(-time.Duration(q.Days) * 24 * time.Hour)
		f.Since = &since
	}
	var list []gl.Case
	var total int
	var replies map[int64][]gl.Event
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if list, total, err = tx.PublicCases(ctx, f); err != nil {
			return err
		}
		ids := make([]int64, len(list))
		for i := range list {
			ids[i] = list[i].ID
		}
		replies, err = tx.PublicEvents(ctx, ids, replyActions)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]PublicCase, len(list))
	for i := range list {
		out[i] = s.publicCase(&list[i], cats, replies[list[i].ID])
	}
	return out, total, nil
}

// PublicCaseByCode returns one case of the board; ENOTFOUND unless it is public.
func (s *Service) PublicCaseByCode(ctx context.Context, code string) (*PublicCase, error) {
	cats, err := s.categoryMap(ctx)
	if err != nil {
		return nil, err
	}
	var c *gl.Case
	var replies map[int64][]gl.Event
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CaseByCode(ctx, code); err != nil {
			return err
		}
		replies, err = tx.PublicEvents(ctx, []int64{c.ID}, replyActions)
		return err
	})
	if err != nil || !publicCategory(cats, c.CategoryCode) || !isPublicStatus(c.Status) {
		if err == nil || gl.ErrorCode(err) == gl.ENOTFOUND {
			return nil, gl.Errorf(gl.ENOTFOUND, "案件 %s 不存在或未公开", code)
		}
		return nil, err
	}
	pc := s.publicCase(c, cats, replies[c.ID])
	return &pc, nil
}

func isPublicStatus(st gl.Status) bool {
	for _, p := range PublicStatuses {
		if p == st {
			return true
		}
	}
	return false
}

func (s *Service) publicCase(c *gl.Case, cats map[string]gl.Category, evs []gl.Event) PublicCase {
	pc := PublicCase{Code: c.Code, Status: c.Status, StatusLabel: c.Status.Label("zh"), CategoryCode: c.CategoryCode,
		Category: cats[c.CategoryCode].Name, Description: maskPersonal(c.Description, c.ReporterName),
		Address: maskPersonal(c.Address, c.ReporterName), Area: s.publicAreaNames(c.AreaCode), Lat: c.Lat, Lng: c.Lng,
		Interest: c.Interest, ReopenCount: c.ReopenCount, CreatedAt: c.CreatedAt, ClosedAt: c.ClosedAt, Replies: []PublicReply{}}
	if d, ok := s.Depts().Get(c.LeadDeptID()); ok {
		pc.Dept = d.Name
	}
	for _, e := range evs {
		r := PublicReply{At: e.At, Action: e.Action, Label: e.Action.Label("zh"), Note: maskPersonal(e.Note, c.ReporterName)}
		if d, ok := s.Depts().Get(e.DeptID); ok && e.Action == gl.ActionFeedback {
			r.Dept = d.Name
		}
		pc.Replies = append(pc.Replies, r)
	}
	return pc
}

// publicAreaNames is the chain of names of an area below the city, "" when unknown.
func (s *Service) publicAreaNames(code string) string {
	if code == "" {
		return ""
	}
	var names []string
	for _, a := range s.AreaChain(code) {
		if a.Level != gl.LevelCity {
			names = append(names, a.Name)
		}
	}
	return strings.Join(names, " · ")
}

// PublicStats are the public figures of one period: reply, on-time, resolution and
// satisfaction rates by department (top-level, with their sections) and by district.
type PublicStats struct {
	Period      evaluation.Period `json:"period"`
	Start       string            `json:"start"`
	End         string            `json:"end"`
	City        PublicRates       `json:"city"`
	Departments []PublicRates     `json:"departments"`
	Areas       []PublicRates     `json:"areas"`
}

// PublicRates are one row of the public statistics. A rate is null without data.
type PublicRates struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ReplyRate: cases the department replied to (fed back) ÷ cases it had to (处置率).
	ReplyRate *float64 `json:"reply_rate"`
	// OnTimeRate: replies within the handling limit ÷ cases it had to (按期处置率).
	OnTimeRate *float64 `json:"on_time_rate"`
	// ResolutionRate and SatisfactionRate: Beijing's 解决率 and 满意率 from the reporters'
	// ratings (and unanswered follow-ups, as the city counts them).
	ResolutionRate   *float64 `json:"resolution_rate"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	Handled          int64    `json:"handled"` // replies counted
	Rated            int64    `json:"rated"`   // ratings counted
}

// PublicStats computes the public figures of the period containing day (2006-01-02,
// "" for now) from the rollups: no scan of the cases.
func (s *Service) PublicStats(ctx context.Context, period evaluation.Period, day string) (*PublicStats, error) {
	if period == "" {
		period = evaluation.Month
	}
	system := &Principal{System: true}
	depts, err := s.Evaluate(ctx, system, EvalQuery{Dim: evaluation.DimDepartment, Period: period, Start: day, Subtree: true, Top: true})
	if err != nil {
		return nil, err
	}
	areas, err := s.Evaluate(ctx, system, EvalQuery{Dim: evaluation.DimArea, Period: period, Start: day, Level: "district"})
	if err != nil {
		return nil, err
	}
	city, err := s.Evaluate(ctx, system, EvalQuery{Dim: evaluation.DimCity, Period: period, Start: day})
	if err != nil {
		return nil, err
	}
	out := &PublicStats{Period: depts.Period, Start: depts.Start, End: depts.End, Departments: []PublicRates{}, Areas: []PublicRates{},
		City: PublicRates{ID: evaluation.CityID, Name: "全市"}}
	for _, r := range depts.Rows {
		out.Departments = append(out.Departments, publicRates(r))
	}
	for _, r := range areas.Rows {
		out.Areas = append(out.Areas, publicRates(r))
	}
	if len(city.Rows) > 0 {
		out.City = publicRates(city.Rows[0])
		out.City.Name = "全市"
	}
	return out, nil
}

func publicRates(r EvalRow) PublicRates {
	out := PublicRates{ID: r.ID, Name: r.Name, Handled: r.Counters.Handled, Rated: r.Counters.Rated}
	for _, v := range r.Indicators {
		switch v.ID {
		case evaluation.HandlingRate:
			out.ReplyRate = v.Value
		case evaluation.HandledOnTimeRate:
			out.OnTimeRate = v.Value
		case evaluation.ResolutionRate:
			out.ResolutionRate = v.Value
		case evaluation.SatisfactionRate:
			out.SatisfactionRate = v.Value
		}
	}
	return out
}
