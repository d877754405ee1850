package workflow

import (
	"fmt"
	"slices"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

// expected is the closed loop of DESIGN.md written out by hand, independently of the
// rule table: for each action, who may take it and in which states.
var expected = map[gl.Action]struct {
	roles  []gl.Role
	states []gl.Status
}{
	gl.ActionSendVerify:        {rl(gl.RoleOperator, gl.RoleShiftLead), st(gl.StatusReported)},
	gl.ActionVerify:            {rl(gl.RoleGridMember), st(gl.StatusVerifying)},
	gl.ActionRegister:          {rl(gl.RoleShiftLead), st(gl.StatusReported)},
	gl.ActionReject:            {rl(gl.RoleShiftLead), st(gl.StatusReported, gl.StatusVerifying)},
	gl.ActionMerge:             {rl(gl.RoleOperator, gl.RoleShiftLead), st(gl.StatusReported, gl.StatusVerifying)},
	gl.ActionWithdraw:          {rl(gl.RoleCitizen), st(gl.StatusReported, gl.StatusVerifying)},
	gl.ActionDispatch:          {rl(gl.RoleDispatcher), st(gl.StatusRegistered)},
	gl.ActionSign:              {rl(gl.RoleHandler), st(gl.StatusDispatched, gl.StatusHandling)},
	gl.ActionSubDispatch:       {rl(gl.RoleHandler), st(gl.StatusDispatched, gl.StatusHandling)},
	gl.ActionFeedback:          {rl(gl.RoleHandler), st(gl.StatusHandling)},
	gl.ActionSendCheck:         {rl(gl.RoleOperator, gl.RoleShiftLead), st(gl.StatusHandled)},
	gl.ActionCheck:             {rl(gl.RoleGridMember), st(gl.StatusChecking)},
	gl.ActionClose:             {rl(gl.RoleShiftLead), st(gl.StatusChecked)},
	gl.ActionRate:              {rl(gl.RoleCitizen), st(gl.StatusClosed)},
	gl.ActionReopen:            {rl(gl.RoleCitizen, gl.RoleSupervisor), st(gl.StatusClosed)},
	gl.ActionRequestReturn:     {rl(gl.RoleHandler), st(gl.StatusDispatched, gl.StatusHandling)},
	gl.ActionRequestExtension:  {rl(gl.RoleHandler), st(gl.StatusHandling)},
	gl.ActionRequestSuspension: {rl(gl.RoleHandler), st(gl.StatusHandling)},
	gl.ActionApprove:           {rl(gl.RoleDispatcher), st(gl.StatusDispatched, gl.StatusHandling)},
	gl.ActionDeny:              {rl(gl.RoleDispatcher), st(gl.StatusDispatched, gl.StatusHandling)},
	gl.ActionResume:            {rl(gl.RoleDispatcher, gl.RoleHandler), st(gl.StatusSuspended)},
	gl.ActionComment:           {rl(gl.RoleGridMember, gl.RoleOperator, gl.RoleShiftLead, gl.RoleDispatcher, gl.RoleHandler, gl.RoleSupervisor, gl.RoleAdmin), gl.Statuses},
	gl.ActionSupplement:        {rl(gl.RoleCitizen), st(gl.StatusReported, gl.StatusVerifying, gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling, gl.StatusHandled, gl.StatusChecking, gl.StatusChecked, gl.StatusSuspended)},
	gl.ActionUrge:              {rl(gl.RoleSupervisor), st(gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling, gl.StatusHandled, gl.StatusChecking, gl.StatusChecked, gl.StatusSuspended)},
	gl.ActionFlagOverdue:       {rl(gl.RoleSystem), st(gl.StatusDispatched, gl.StatusHandling)},
	// side actions (gl.SideActions)
	gl.ActionMeToo:    {rl(gl.RoleCitizen, gl.RoleOperator), st(gl.StatusReported, gl.StatusVerifying, gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling, gl.StatusHandled, gl.StatusChecking, gl.StatusChecked, gl.StatusSuspended)},
	gl.ActionFollowUp: {rl(gl.RoleSystem), st(gl.StatusClosed)},
}

// expectedTo is the state each allowed action leads to from the fixture of each state.
// Actions not listed leave the state as it was.
var expectedTo = map[gl.Action]map[gl.Status]gl.Status{
	gl.ActionSendVerify: {gl.StatusReported: gl.StatusVerifying},
	gl.ActionVerify:     {gl.StatusVerifying: gl.StatusReported},
	gl.ActionRegister:   {gl.StatusReported: gl.StatusRegistered},
	gl.ActionReject:     {gl.StatusReported: gl.StatusRejected, gl.StatusVerifying: gl.StatusRejected},
	gl.ActionMerge:      {gl.StatusReported: gl.StatusMerged, gl.StatusVerifying: gl.StatusMerged},
	gl.ActionWithdraw:   {gl.StatusReported: gl.StatusWithdrawn, gl.StatusVerifying: gl.StatusWithdrawn},
	gl.ActionDispatch:   {gl.StatusRegistered: gl.StatusDispatched},
	gl.ActionSign:       {gl.StatusDispatched: gl.StatusHandling},
	// the fixture's handling case has a co-handler who has not fed back, so it stays handling
	gl.ActionFeedback:    {gl.StatusHandling: gl.StatusHandling},
	gl.ActionSendCheck:   {gl.StatusHandled: gl.StatusChecking},
	gl.ActionCheck:       {gl.StatusChecking: gl.StatusChecked},
	gl.ActionClose:       {gl.StatusChecked: gl.StatusClosed},
	gl.ActionReopen:      {gl.StatusClosed: gl.StatusHandling},
	gl.ActionApprove:     {gl.StatusDispatched: gl.StatusRegistered, gl.StatusHandling: gl.StatusRegistered}, // fixture's request is a return
	gl.ActionResume:      {gl.StatusSuspended: gl.StatusHandling},
	gl.ActionSubDispatch: {gl.StatusDispatched: gl.StatusDispatched, gl.StatusHandling: gl.StatusDispatched},
}

func rl(r ...gl.Role) []gl.Role     { return r }
func st(s ...gl.Status) []gl.Status { return s }

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai) // a Monday morning

var shanghai = worktime.Default().Location()

const (
	leadDept  = 10
	coDept    = 11
	childDept = 12
)

func testEnv(now time.Time) Env {
	cat := &gl.Category{
		Code: "0101", Kind: gl.KindComponent, Name: "井盖破损",
		HandlingLimit: worktime.Limit{Value: 8, Unit: worktime.WorkHour},
		UrgentLimit:   worktime.Limit{Value: 2, Unit: worktime.Hour},
		ResponseLimit: worktime.Limit{Value: 30, Unit: worktime.Minute},
	}
	return Env{
		Now:      now,
		Calendar: worktime.Default(),
		Category: cat,
		Depts: gl.NewDeptTree([]gl.Department{
			{ID: leadDept, Name: "市政局"}, {ID: coDept, Name: "城管局"},
			{ID: childDept, ParentID: leadDept, Name: "市政局道路科"},
		}),
		Policy: DefaultPolicy(),
	}
}

// fixture builds a consistent case in state s, shaped so that the guards of action
// pass for an actor holding the allowed role.
func fixture(s gl.Status, action gl.Action) gl.Case {
	c := gl.Case{ID: 1, Code: "20261123-00001", Status: s, Version: 3, Channel: gl.ChannelWeb,
		CategoryCode: "0101", Description: "井盖缺失", CreatedAt: t0.Add(-48 * time.Hour)}
	due := t0.Add(4 * time.Hour)
	if action == gl.ActionFlagOverdue {
		due = t0.Add(-time.Minute)
	}
	switch s {
	case gl.StatusDispatched:
		c.Assignments = []gl.Assignment{{DeptID: leadDept, Lead: true, State: gl.AssignmentDispatched}}
	case gl.StatusHandling:
		c.Assignments = []gl.Assignment{
			{DeptID: leadDept, Lead: true, State: gl.AssignmentSigned},
			{DeptID: coDept, State: gl.AssignmentDispatched},
		}
	case gl.StatusSuspended:
		c.Assignments = []gl.Assignment{{DeptID: leadDept, Lead: true, State: gl.AssignmentSigned}}
		c.SuspendedAt = ptr(t0.Add(-time.Hour))
	case gl.StatusHandled, gl.StatusChecking, gl.StatusChecked, gl.StatusClosed:
		c.Assignments = []gl.Assignment{{DeptID: leadDept, Lead: true, State: gl.AssignmentHandled}}
		c.HandledAt = ptr(t0.Add(-2 * time.Hour))
	}
	if len(c.Assignments) > 0 {
		c.Due, c.DueStart, c.DueWorking = &due, ptr(t0.Add(-24*time.Hour)), true
	}
	if s == gl.StatusClosed {
		c.ClosedAt = ptr(t0.Add(-time.Hour))
	}
	if action == gl.ActionApprove || action == gl.ActionDeny {
		c.Pending = &gl.Request{Kind: gl.RequestReturn, DeptID: leadDept, Reason: "不属于本部门职责", At: t0.Add(-time.Hour)}
	}
	return c
}

// validInput is a well-formed input for action.
func validInput(action gl.Action) Input {
	in := Input{Action: action, Note: "情况说明"}
	switch action {
	case gl.ActionVerify:
		in.Valid = ptr(true)
	case gl.ActionCheck:
		in.Passed = ptr(true)
	case gl.ActionDispatch:
		in.DeptID = leadDept
	case gl.ActionSubDispatch:
		in.DeptID = childDept
	case gl.ActionMerge:
		in.ParentCode = "20261122-00009"
	case gl.ActionRequestExtension:
		in.Limit = &worktime.Limit{Value: 4, Unit: worktime.WorkHour}
	case gl.ActionRate, gl.ActionFollowUp:
		in.Satisfaction, in.Fixed = gl.Satisfied, ptr(true)
	}
	return in
}

func actorAs(role gl.Role) Actor {
	return Actor{UserID: 7, Name: string(role), Roles: []gl.Role{role}, Depts: []int64{leadDept, coDept, childDept}}
}

// TestMatrix covers every (state, action, role) triple, allowed or refused.
func TestMatrix(t *testing.T) {
	all := append(slices.Clone(gl.Actions), gl.SideActions...)
	if len(expected) != len(all) {
		t.Fatalf("expected table has %d actions, domain has %d", len(expected), len(all))
	}
	n, allowed := 0, 0
	for _, action := range all {
		exp, ok := expected[action]
		if !ok {
			t.Fatalf("no expectation for action %s", action)
		}
		for _, state := range gl.Statuses {
			for _, role := range gl.AllRoles {
				n++
				name := fmt.Sprintf("%s/%s/%s", action, state, role)
				c := fixture(state, action)
				res, err := Apply(c, actorAs(role), validInput(action), testEnv(t0))
				switch {
				case !slices.Contains(exp.roles, role):
					if gl.ErrorCode(err) != gl.EFORBIDDEN {
						t.Errorf("%s: want forbidden, got %v", name, err)
					}
				case !slices.Contains(exp.states, state):
					if gl.ErrorCode(err) != gl.EINVALIDSTATE {
						t.Errorf("%s: want invalid_state, got %v", name, err)
					}
				default:
					allowed++
					if err != nil {
						t.Errorf("%s: want allowed, got %v", name, err)
						continue
					}
					want := state
					if to, ok := expectedTo[action][state]; ok {
						want = to
					}
					if res.Case.Status != want {
						t.Errorf("%s: to %s, want %s", name, res.Case.Status, want)
					}
					if res.Event.From != state || res.Event.To != res.Case.Status || res.Event.Action != action || res.Event.Role != role {
						t.Errorf("%s: event %+v does not record the step", name, res.Event)
					}
					if res.Case.Version != c.Version+1 {
						t.Errorf("%s: version %d, want %d", name, res.Case.Version, c.Version+1)
					}
				}
				// Available must agree with Apply on role and state; it never offers side actions.
				avail := slices.Contains(Available(c, actorAs(role), testEnv(t0)), action)
				if side := slices.Contains(gl.SideActions, action); side && avail {
					t.Errorf("%s: Available offers a side action", name)
				} else if !side && avail != (err == nil) {
					t.Errorf("%s: Available says %v, Apply error %v", name, avail, err)
				}
			}
		}
	}
	t.Logf("%d (action, state, role) triples, %d allowed", n, allowed)
}

func TestApplyDoesNotMutateInput(t *testing.T) {
	c := fixture(gl.StatusHandling, gl.ActionFeedback)
	before := c.Assignments[0].State
	if _, err := Apply(c, actorAs(gl.RoleHandler), validInput(gl.ActionFeedback), testEnv(t0)); err != nil {
		t.Fatal(err)
	}
	if c.Assignments[0].State != before || c.Version != 3 {
		t.Fatalf("Apply changed its input case")
	}
}

// TestSideActions: me_too counts interest; follow_up ends the rating round of a
// closing without a rating, counted as the city says, and refuses a second time.
func TestSideActions(t *testing.T) {
	c := fixture(gl.StatusHandling, gl.ActionMeToo)
	c.Interest = 2
	res, err := Apply(c, actorAs(gl.RoleCitizen), Input{Action: gl.ActionMeToo}, testEnv(t0))
	if err != nil || res.Case.Interest != 3 || !res.Event.Public || string(res.Event.Data) != `{"interest":3}` {
		t.Fatalf("me_too: %+v %s %v", res.Case.Interest, res.Event.Data, err)
	}
	if _, err := Apply(fixture(gl.StatusClosed, gl.ActionMeToo), actorAs(gl.RoleCitizen), Input{Action: gl.ActionMeToo}, testEnv(t0)); gl.ErrorCode(err) != gl.EINVALIDSTATE {
		t.Fatalf("me_too on a closed case: %v", err)
	}

	closed := fixture(gl.StatusClosed, gl.ActionFollowUp)
	system := actorAs(gl.RoleSystem)
	for _, tc := range []struct {
		in   Input
		data string
	}{
		{Input{Action: gl.ActionFollowUp}, `{"answered":false,"counted_as":"excluded"}`},
		{Input{Action: gl.ActionFollowUp, Satisfaction: gl.Satisfied, Fixed: ptr(true)}, `{"answered":false,"counted_as":"satisfied","fixed":true,"satisfaction":"satisfied"}`},
		{Input{Action: gl.ActionFollowUp, Satisfaction: gl.Unsatisfied, Fixed: ptr(false)}, `{"answered":false,"counted_as":"unsatisfied","fixed":false,"satisfaction":"unsatisfied"}`},
	} {
		res, err := Apply(closed, system, tc.in, testEnv(t0))
		if err != nil {
			t.Fatal(err)
		}
		if string(res.Event.Data) != tc.data || res.Case.Status != gl.StatusClosed || res.Case.RatedAt == nil || res.Case.Satisfaction != "" || res.Case.Fixed != nil {
			t.Errorf("follow_up %+v: data %s, case %+v", tc.in, res.Event.Data, res.Case)
		}
		// The round is over: neither a second follow-up nor a rating, but reopen still works.
		if _, err := Apply(res.Case, system, tc.in, testEnv(t0)); gl.ErrorCode(err) != gl.ECONFLICT {
			t.Errorf("second follow_up: %v", err)
		}
		if _, err := Apply(res.Case, actorAs(gl.RoleCitizen), validInput(gl.ActionRate), testEnv(t0)); gl.ErrorCode(err) != gl.ECONFLICT {
			t.Errorf("rate after follow_up: %v", err)
		}
		if r, err := Apply(res.Case, actorAs(gl.RoleCitizen), Input{Action: gl.ActionReopen, Note: "没修好"}, testEnv(t0)); err != nil || r.Case.Status != gl.StatusHandling {
			t.Errorf("reopen after follow_up: %v", err)
		}
	}
	if _, err := Apply(closed, system, Input{Action: gl.ActionFollowUp, Satisfaction: "great"}, testEnv(t0)); gl.ErrorCode(err) != gl.EINVALID {
		t.Errorf("bad satisfaction: %v", err)
	}
}
