package evaluation

import (
	"encoding/json"
	"strconv"
	"time"

	gl "github.com/gridloop/gridloop"
)

// eventData is every field of Event.Data that the indicators read (workflow/actions.go
// and the service's report).
type eventData struct {
	Channel      gl.Channel `json:"channel"`        // report
	AreaCode     string     `json:"area_code"`      // report (wanted: see docs/indicators.md)
	GridCode     string     `json:"grid_code"`      // report (wanted)
	RespGridCode string     `json:"resp_grid_code"` // report (wanted)

	Valid          *bool           `json:"valid"`            // verify
	DeptID         int64           `json:"dept_id"`          // dispatch, sign, sub_dispatch, feedback
	FromDeptID     int64           `json:"from_dept_id"`     // sub_dispatch
	OverrodeDeptID int64           `json:"overrode_dept_id"` // dispatch
	Lead           bool            `json:"lead"`             // sign, feedback
	Late           bool            `json:"late"`             // sign
	OnTime         bool            `json:"on_time"`          // feedback, close
	Passed         *bool           `json:"passed"`           // check
	Satisfaction   gl.Satisfaction `json:"satisfaction"`     // rate
	Fixed          *bool           `json:"fixed"`            // rate
	Reopened       bool            `json:"reopened"`         // rate
	CountedAs      string          `json:"counted_as"`       // follow_up: satisfied, unsatisfied or excluded
	Kind           gl.RequestKind  `json:"kind"`             // approve, deny, request_*
	Approved       bool            `json:"approved"`         // approve, deny
}

// countsAsRating reports whether a follow_up event stands for a citizen's rating: the
// follow-up went unanswered and the city's policy counts it (not "excluded").
func (d eventData) countsAsRating() bool {
	return d.CountedAs != "" && d.CountedAs != "excluded"
}

func parseData(raw json.RawMessage) eventData {
	var d eventData
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &d) // a malformed payload counts as an empty one
	}
	return d
}

// Deltas returns the counter increments that one event causes, for every bucket it
// touches, given the case as it was just before the event. For the report event, which
// has no case before it, pass the case as it was created; with nil, the case's place,
// channel and reporter are read from the event (data area_code, grid_code,
// resp_grid_code, channel; the actor as reporter).
//
// Every bucket an event touches gets the same increments: the city; the district,
// street and community of the case's area code; its unit and responsibility grids; the
// department the event concerns; the acting role and staff member; and the grid worker
// (the actor of a check or verification, or the reporter of a patrol report on its
// report and intake decision). Each is counted by day, ISO week and month of ev.At in
// loc (Asia/Shanghai when nil). Events that count nothing return nil.
func Deltas(before *gl.Case, ev gl.Event, loc *time.Location) map[Key]Counters {
	inc, ok := EventIncrement(before, ev, loc)
	if !ok {
		return nil
	}
	out := make(map[Key]Counters, inc.members.n*len(Periods))
	inc.spread(out, true)
	return out
}

// EventIncrement is Deltas in compact form: the event's counters and the members whose
// buckets they go to, for the day, week and month of the event (Increment.AddTo expands
// it). ok is false when the event counts nothing.
func EventIncrement(before *gl.Case, ev gl.Event, loc *time.Location) (inc Increment, ok bool) {
	data := parseData(ev.Data)
	c := before
	if c == nil {
		c = &gl.Case{}
	}
	area, grid, respGrid := c.AreaCode, c.GridCode, c.RespGridCode
	channel, reporter := c.Channel, c.ReporterID
	if ev.Action == gl.ActionReport && before == nil {
		area, grid, respGrid = data.AreaCode, data.GridCode, data.RespGridCode
		channel, reporter = data.Channel, ev.ActorID
	}
	patrol := channel == gl.ChannelPatrol && reporter != 0

	var d Counters
	var dept int64       // the department the event concerns
	var gridMember int64 // a grid worker credited besides the actor
	inStage := c.StageDue == nil || !ev.At.After(*c.StageDue)
	switch ev.Action {
	case gl.ActionReport:
		d.Reported = 1
		if patrol {
			gridMember = reporter
		}
	case gl.ActionVerify:
		d.VerifyTasks = 1
		d.VerifiedOnTime = b2i(inStage)
	case gl.ActionRegister:
		d.Registered = 1
		d.RegisteredOnTime = b2i(inStage)
		if patrol {
			d.Patrol, d.PatrolValid, gridMember = 1, 1, reporter
		}
	case gl.ActionReject:
		d.Rejected = 1
		if patrol {
			d.Patrol, gridMember = 1, reporter
		}
	case gl.ActionMerge:
		d.Merged = 1
		if patrol {
			d.Patrol, gridMember = 1, reporter
		}
	case gl.ActionWithdraw:
		d.Withdrawn = 1
	case gl.ActionDispatch:
		d.Dispatched = 1
		d.DispatchedOnTime = b2i(inStage)
		d.Overrode = b2i(data.OverrodeDeptID != 0)
		dept = ev.DeptID
	case gl.ActionSign:
		d.Signed = 1
		d.SignedOnTime = b2i(!data.Late)
		if data.Lead {
			d.Accepted = 1
			d.Responded = b2i(!data.Late)
		}
		dept = ev.DeptID
	case gl.ActionFeedback:
		if ev.To == gl.StatusHandled {
			d.ShouldHandle, d.Handled = 1, 1
			d.HandledOnTime = b2i(data.OnTime)
			d.Extended = b2i(c.ExtensionCount > 0)
			dept = c.LeadDeptID()
		}
	case gl.ActionCheck:
		d.CheckTasks = 1
		d.CheckedOnTime = b2i(inStage)
		d.Rework = b2i(data.Passed != nil && !*data.Passed)
		dept = c.LeadDeptID()
	case gl.ActionClose:
		d.ShouldClose, d.Closed = 1, 1
		d.ClosedOnTime = b2i(data.OnTime)
		d.ClosedPromptly = b2i(inStage)
		dept = c.LeadDeptID()
	case gl.ActionRate:
		d.Rated = 1
		d.Resolved = b2i(data.Fixed != nil && *data.Fixed)
		d.Satisfied = b2i(data.Satisfaction == gl.Satisfied)
		d.Basic = b2i(data.Satisfaction == gl.Basic)
		d.Reopened = b2i(data.Reopened)
		dept = c.LeadDeptID()
	case gl.ActionFollowUp:
		// An unanswered follow-up counted by the city's policy stands for a rating.
		if data.countsAsRating() {
			d.Rated = 1
			d.Resolved = b2i(data.Fixed != nil && *data.Fixed)
			d.Satisfied = b2i(data.Satisfaction == gl.Satisfied)
			d.Basic = b2i(data.Satisfaction == gl.Basic)
			dept = c.LeadDeptID()
		}
	case gl.ActionReopen:
		d.Reopened = 1
		dept = c.LeadDeptID()
	case gl.ActionApprove:
		switch data.Kind {
		case gl.RequestReturn:
			d.Returned = 1
		case gl.RequestExtension:
			d.Extensions = 1
		case gl.RequestSuspension:
			d.Suspended = 1
		}
		dept = ev.DeptID
	case gl.ActionUrge:
		d.Urged = 1
		dept = c.LeadDeptID()
	case gl.ActionFlagOverdue:
		d.Overdue = 1
		d.ShouldHandle, d.ShouldClose = 1, 1
		d.Extended = b2i(c.ExtensionCount > 0)
		d.Unresponded = b2i(ev.From == gl.StatusDispatched)
		dept = ev.DeptID
	}
	if d.IsZero() {
		return Increment{}, false
	}
	ms := &inc.members
	ms.addPlace(area, grid, respGrid)
	if dept != 0 {
		ms.add(DimDepartment, strconv.FormatInt(dept, 10))
	}
	addActor(ms, ev)
	if gridMember != 0 {
		ms.add(DimGridMember, strconv.FormatInt(gridMember, 10))
	}
	inc.Counters = d
	inc.starts = periodStarts(ev.At, loc)
	return inc, true
}

// addActor adds the acting role, the staff member, and the grid worker when the actor
// acted as one.
func addActor(ms *members, ev gl.Event) {
	ms.add(DimRole, string(ev.Role))
	if ev.ActorID == 0 || !ev.Role.IsStaff() {
		return
	}
	id := strconv.FormatInt(ev.ActorID, 10)
	ms.add(DimUser, id)
	if ev.Role == gl.RoleGridMember {
		ms.add(DimGridMember, id)
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
