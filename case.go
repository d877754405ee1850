package gridloop

import (
	"time"

	"github.com/gridloop/gridloop/worktime"
)

// Channel is where a report came from.
type Channel string

const (
	ChannelWeb     Channel = "web"     // citizen web/H5 form
	ChannelHotline Channel = "hotline" // 12345 call taken by an operator
	ChannelApp     Channel = "app"     // mobile app / mini program
	ChannelPatrol  Channel = "patrol"  // grid worker's own finding: skips verification
	ChannelCamera  Channel = "camera"  // camera / AI detection: always verified first
	ChannelOpen311 Channel = "open311"
	ChannelAPI     Channel = "api"
)

var channelLabels = map[Channel][2]string{
	ChannelWeb:     {"网页上报", "Web"},
	ChannelHotline: {"12345热线", "12345 hotline"},
	ChannelApp:     {"移动端", "App"},
	ChannelPatrol:  {"网格员巡查", "Grid patrol"},
	ChannelCamera:  {"智能识别", "Camera / AI"},
	ChannelOpen311: {"Open311", "Open311"},
	ChannelAPI:     {"系统接口", "API"},
}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { _, ok := channelLabels[c]; return ok }

// Label is the channel's name in lang.
func (c Channel) Label(lang string) string { return label(channelLabels[c], lang, string(c)) }

// Satisfaction is the reporter's rating of a closed case.
type Satisfaction string

const (
	Satisfied   Satisfaction = "satisfied"   // 满意
	Basic       Satisfaction = "basic"       // 基本满意
	Unsatisfied Satisfaction = "unsatisfied" // 不满意
)

// Valid reports whether s is a known rating.
func (s Satisfaction) Valid() bool {
	return s == Satisfied || s == Basic || s == Unsatisfied
}

// Assignment is one department's share of a case: the lead or a co-handler (街巷吹哨、部门报到).
type Assignment struct {
	DeptID     int64           `json:"dept_id"`
	Lead       bool            `json:"lead"`
	State      AssignmentState `json:"state"`
	FromDeptID int64           `json:"from_dept_id,omitempty"` // set by sub-dispatch
	SignedAt   *time.Time      `json:"signed_at,omitempty"`
	HandledAt  *time.Time      `json:"handled_at,omitempty"`
}

// AssignmentState is where one department is in its share of the work.
type AssignmentState string

const (
	AssignmentDispatched AssignmentState = "dispatched" // waiting to be signed for
	AssignmentSigned     AssignmentState = "signed"     // being handled
	AssignmentHandled    AssignmentState = "handled"    // fed back
)

// RequestKind is a side request that needs a dispatcher's approval.
type RequestKind string

const (
	RequestReturn     RequestKind = "return"     // 退回
	RequestExtension  RequestKind = "extension"  // 延期
	RequestSuspension RequestKind = "suspension" // 挂账
)

// Request is a pending approval request on a case; a case has at most one at a time.
type Request struct {
	Kind   RequestKind     `json:"kind"`
	ByUser int64           `json:"by_user"`
	DeptID int64           `json:"dept_id"`
	Reason string          `json:"reason"`
	Limit  *worktime.Limit `json:"limit,omitempty"` // extension asked for
	At     time.Time       `json:"at"`
}

// Case is the current state of one problem; its history is its events.
type Case struct {
	ID            int64   `json:"id"`
	Code          string  `json:"code"`
	Status        Status  `json:"status"`
	Version       int     `json:"version"`
	Channel       Channel `json:"channel"`
	CategoryCode  string  `json:"category_code,omitempty"`
	Urgent        bool    `json:"urgent"`
	Description   string  `json:"description"`
	Address       string  `json:"address,omitempty"`
	Lat           float64 `json:"lat"`
	Lng           float64 `json:"lng"`
	AreaCode      string  `json:"area_code,omitempty"`      // community (or finer known) area at report time
	GridCode      string  `json:"grid_code,omitempty"`      // unit grid at report time
	RespGridCode  string  `json:"resp_grid_code,omitempty"` // responsibility grid at report time
	ReporterName  string  `json:"reporter_name,omitempty"`
	ReporterPhone string  `json:"reporter_phone,omitempty"`
	ReporterID    int64   `json:"reporter_user_id,omitempty"` // staff who reported it (grid worker, operator)
	// TrackingHash is the SHA-256 of the reporter's secret tracking token; the token itself is never stored.
	TrackingHash string   `json:"-"`
	Photos       []string `json:"photos,omitempty"`

	Verified    bool   `json:"verified"`
	DuplicateOf string `json:"duplicate_of,omitempty"`

	SuggestedDeptID int64        `json:"suggested_dept_id,omitempty"`
	Assignments     []Assignment `json:"assignments,omitempty"`
	Pending         *Request     `json:"pending_request,omitempty"`

	ReworkCount    int `json:"rework_count"`
	ReopenCount    int `json:"reopen_count"`
	ReturnCount    int `json:"return_count"`
	ExtensionCount int `json:"extension_count"`
	UrgeCount      int `json:"urge_count"`
	Interest       int `json:"interest"` // "me too" count, for later

	// StageDue is the natural-time limit of the current stage (verify, register, dispatch, check).
	StageDue *time.Time `json:"stage_due,omitempty"`
	// SignDue is the response limit for signing after dispatch.
	SignDue *time.Time `json:"sign_due,omitempty"`
	// Due is the handling deadline; Working says whether it runs on working time.
	Due         *time.Time `json:"due,omitempty"`
	DueWorking  bool       `json:"due_working"`
	DueStart    *time.Time `json:"due_start,omitempty"` // when the handling clock started, for lights
	SuspendedAt *time.Time `json:"suspended_at,omitempty"`
	Overdue     bool       `json:"overdue"` // ever late in handling; stays counted
	OverdueAt   *time.Time `json:"overdue_at,omitempty"`

	RegisteredAt *time.Time   `json:"registered_at,omitempty"`
	DispatchedAt *time.Time   `json:"dispatched_at,omitempty"`
	HandledAt    *time.Time   `json:"handled_at,omitempty"`
	ClosedAt     *time.Time   `json:"closed_at,omitempty"`
	RatedAt      *time.Time   `json:"rated_at,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`
	Fixed        *bool        `json:"fixed,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Lead returns the lead department's assignment, if the case has been dispatched.
func (c *Case) Lead() (Assignment, bool) {
	for _, a := range c.Assignments {
		if a.Lead {
			return a, true
		}
	}
	return Assignment{}, false
}

// LeadDeptID is the lead department's id, or 0.
func (c *Case) LeadDeptID() int64 {
	a, _ := c.Lead()
	return a.DeptID
}

// AssignmentFor returns the index of the assignment held by one of depts, or -1.
func (c *Case) AssignmentFor(depts []int64) int {
	for i, a := range c.Assignments {
		for _, d := range depts {
			if a.DeptID == d {
				return i
			}
		}
	}
	return -1
}

// StageLight is the light of the current stage's clock now (verify, register, dispatch,
// check: natural time, its limit given), or "" when the stage has no deadline: green
// below 80 % of the limit, yellow to 100 %, red past it, as the handling clock.
func (c *Case) StageLight(limit time.Duration, now time.Time) worktime.Light {
	if c.StageDue == nil || limit <= 0 {
		return ""
	}
	if now.After(*c.StageDue) {
		return worktime.Red
	}
	return worktime.LightOf(now.Sub(c.StageDue.Add(-limit)), limit)
}

// Light is the case's deadline light now: green/yellow/red, or "" when no handling clock runs.
func (c *Case) Light(cal *worktime.Calendar, now time.Time) worktime.Light {
	if c.Due == nil || c.DueStart == nil {
		return ""
	}
	switch c.Status {
	case StatusDispatched, StatusHandling:
	case StatusSuspended:
		if c.SuspendedAt != nil {
			now = *c.SuspendedAt
		}
	default:
		if c.Overdue {
			return worktime.Red
		}
		return ""
	}
	return cal.LightAt(*c.DueStart, *c.Due, now, c.DueWorking)
}
