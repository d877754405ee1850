package workflow

import (
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

func mustApply(t *testing.T, c gl.Case, role gl.Role, in Input, now time.Time) gl.Case {
	t.Helper()
	r, err := Apply(c, actorAs(role), in, testEnv(now))
	if err != nil {
		t.Fatalf("%s as %s: %v", in.Action, role, err)
	}
	return r.Case
}

func TestReopenWindow(t *testing.T) {
	closed := fixture(gl.StatusClosed, gl.ActionReopen)
	late := closed.ClosedAt.Add(8 * 24 * time.Hour)
	_, err := Apply(closed, actorAs(gl.RoleCitizen), Input{Action: gl.ActionReopen, Note: "没修好"}, testEnv(late))
	if gl.ErrorCode(err) != gl.EINVALIDSTATE {
		t.Fatalf("citizen after the window: %v", err)
	}
	_, err = Apply(closed, actorAs(gl.RoleCitizen), Input{Action: gl.ActionRate, Satisfaction: gl.Unsatisfied, Fixed: ptr(false)}, testEnv(late))
	if gl.ErrorCode(err) != gl.EINVALIDSTATE {
		t.Fatalf("'not fixed' after the window must not reopen: %v", err)
	}
	c := mustApply(t, closed, gl.RoleSupervisor, Input{Action: gl.ActionReopen, Note: "督办复查未解决"}, late)
	if c.Status != gl.StatusHandling || c.ReopenCount != 1 || c.Assignments[0].State != gl.AssignmentSigned || c.Due == nil || !c.Due.After(late) {
		t.Fatalf("supervisor reopen: %+v", c)
	}
}

func TestRateOncePerClosing(t *testing.T) {
	closed := fixture(gl.StatusClosed, gl.ActionRate)
	c := mustApply(t, closed, gl.RoleCitizen, validInput(gl.ActionRate), t0)
	if _, err := Apply(c, actorAs(gl.RoleCitizen), validInput(gl.ActionRate), testEnv(t0.Add(time.Minute))); gl.ErrorCode(err) != gl.ECONFLICT {
		t.Fatalf("second rating: %v", err)
	}
}

func TestCoHandlersAndSubDispatch(t *testing.T) {
	env := testEnv(t0)
	c := fixture(gl.StatusRegistered, gl.ActionDispatch)
	if _, err := Apply(c, actorAs(gl.RoleDispatcher), Input{Action: gl.ActionDispatch, DeptID: leadDept, CoDeptIDs: []int64{leadDept}}, env); gl.ErrorCode(err) != gl.EINVALID {
		t.Fatalf("lead repeated as co-handler: %v", err)
	}
	if _, err := Apply(c, actorAs(gl.RoleDispatcher), Input{Action: gl.ActionDispatch, DeptID: 999}, env); gl.ErrorCode(err) != gl.EINVALID {
		t.Fatalf("unknown department: %v", err)
	}
	c = mustApply(t, c, gl.RoleDispatcher, Input{Action: gl.ActionDispatch, DeptID: leadDept, CoDeptIDs: []int64{coDept}}, t0)
	lead := Actor{UserID: 1, Roles: []gl.Role{gl.RoleHandler}, Depts: []int64{leadDept, childDept}}
	co := Actor{UserID: 2, Roles: []gl.Role{gl.RoleHandler}, Depts: []int64{coDept}}
	child := Actor{UserID: 3, Roles: []gl.Role{gl.RoleHandler}, Depts: []int64{childDept}}
	step := func(a Actor, in Input) gl.Case {
		t.Helper()
		r, err := Apply(c, a, in, env)
		if err != nil {
			t.Fatalf("%s by %v: %v", in.Action, a.Depts, err)
		}
		return r.Case
	}
	c = step(co, Input{Action: gl.ActionSign})
	if c.Status != gl.StatusDispatched {
		t.Fatalf("a co-handler's signature does not start handling: %s", c.Status)
	}
	if _, err := Apply(c, co, Input{Action: gl.ActionRequestReturn, Note: "x"}, env); gl.ErrorCode(err) != gl.EFORBIDDEN {
		t.Fatalf("only the lead asks to return: %v", err)
	}
	if _, err := Apply(c, lead, Input{Action: gl.ActionSubDispatch, DeptID: coDept}, env); gl.ErrorCode(err) != gl.EINVALID {
		t.Fatalf("sub-dispatch to a unit that is not a child: %v", err)
	}
	c = step(lead, Input{Action: gl.ActionSubDispatch, DeptID: childDept})
	c = step(child, Input{Action: gl.ActionSign})
	if c.Status != gl.StatusHandling {
		t.Fatalf("the child unit's signature starts handling: %s", c.Status)
	}
	c = step(child, Input{Action: gl.ActionFeedback, Note: "已处置"})
	if c.Status != gl.StatusHandling {
		t.Fatalf("handled before the co-handler fed back")
	}
	c = step(co, Input{Action: gl.ActionFeedback, Note: "已配合处置"})
	if c.Status != gl.StatusHandled || c.HandledAt == nil {
		t.Fatalf("lead and co-handler fed back: %s", c.Status)
	}
}

func TestSuspensionPausesTheClock(t *testing.T) {
	c := fixture(gl.StatusHandling, gl.ActionRequestSuspension)
	c.Assignments = c.Assignments[:1]
	due := *c.Due
	c = mustApply(t, c, gl.RoleHandler, Input{Action: gl.ActionRequestSuspension, Note: "待法院判决"}, t0)
	c = mustApply(t, c, gl.RoleDispatcher, Input{Action: gl.ActionApprove}, t0)
	if c.Status != gl.StatusSuspended || c.Pending != nil {
		t.Fatalf("suspension approved: %+v", c)
	}
	cal := worktime.Default()
	remaining := cal.Elapsed(t0, due, true)
	resumed := t0.Add(7 * 24 * time.Hour) // a week later, Monday 09:00
	c = mustApply(t, c, gl.RoleDispatcher, Input{Action: gl.ActionResume}, resumed)
	if got := cal.Elapsed(resumed, *c.Due, true); got != remaining {
		t.Fatalf("after resume %v of working time left, want %v", got, remaining)
	}
	if _, err := Apply(c, actorAs(gl.RoleSystem), Input{Action: gl.ActionFlagOverdue}, testEnv(resumed.Add(time.Hour))); gl.ErrorCode(err) != gl.EINVALIDSTATE {
		t.Fatalf("not overdue after resume: %v", err)
	}
}

func TestExtensionUnitMustMatch(t *testing.T) {
	c := fixture(gl.StatusHandling, gl.ActionRequestExtension)
	_, err := Apply(c, actorAs(gl.RoleHandler), Input{Action: gl.ActionRequestExtension, Note: "x", Limit: &worktime.Limit{Value: 2, Unit: worktime.Day}}, testEnv(t0))
	if gl.ErrorCode(err) != gl.EINVALID {
		t.Fatalf("natural days on a working-time deadline: %v", err)
	}
}

func TestOverdueStaysCounted(t *testing.T) {
	c := fixture(gl.StatusHandling, gl.ActionFlagOverdue)
	c.Assignments = c.Assignments[:1]
	c = mustApply(t, c, gl.RoleSystem, Input{Action: gl.ActionFlagOverdue}, t0)
	c = mustApply(t, c, gl.RoleHandler, Input{Action: gl.ActionFeedback, Note: "迟办完成"}, t0.Add(time.Hour))
	if !c.Overdue || c.Status != gl.StatusHandled {
		t.Fatalf("overdue must stay set after handling: %+v", c)
	}
	if got := c.Light(worktime.Default(), t0.Add(2*time.Hour)); got != worktime.Red {
		t.Fatalf("a late case's light stays red, got %q", got)
	}
}
