package workflow

import (
	"slices"

	gl "github.com/gridloop/gridloop"
)

// rule is one action of the loop: who may take it, in which states, what else must
// hold for this actor (guard), and what it does (apply). apply may return extra data
// to record on the event.
type rule struct {
	action gl.Action
	roles  []gl.Role
	states []gl.Status
	public bool // shown on the reporter's tracking page
	guard  func(c *gl.Case, a Actor, role gl.Role, env Env) error
	apply  func(c *gl.Case, a Actor, in Input, env Env, ev *gl.Event) (map[string]any, error)
}

type (
	roles  = []gl.Role
	states = []gl.Status
)

var (
	staff = roles{gl.RoleGridMember, gl.RoleOperator, gl.RoleShiftLead, gl.RoleDispatcher, gl.RoleHandler, gl.RoleSupervisor, gl.RoleAdmin}
	// beforeRegister are the states in which intake decisions are made.
	beforeRegister = states{gl.StatusReported, gl.StatusVerifying}
	// inWork are the states between registration and closing.
	inWork = states{gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling, gl.StatusHandled, gl.StatusChecking, gl.StatusChecked, gl.StatusSuspended}
	open   = append(slices.Clone(beforeRegister), inWork...)
)

var rules = map[gl.Action]rule{}

func init() {
	for _, r := range []rule{
		{action: gl.ActionSendVerify, roles: roles{gl.RoleOperator, gl.RoleShiftLead}, states: states{gl.StatusReported}, apply: sendVerify},
		{action: gl.ActionVerify, roles: roles{gl.RoleGridMember}, states: states{gl.StatusVerifying}, apply: verify},
		{action: gl.ActionRegister, roles: roles{gl.RoleShiftLead}, states: states{gl.StatusReported}, public: true, apply: register},
		{action: gl.ActionReject, roles: roles{gl.RoleShiftLead}, states: beforeRegister, public: true, apply: reject},
		{action: gl.ActionMerge, roles: roles{gl.RoleOperator, gl.RoleShiftLead}, states: beforeRegister, public: true, apply: merge},
		{action: gl.ActionWithdraw, roles: roles{gl.RoleCitizen}, states: beforeRegister, public: true, apply: withdraw},
		{action: gl.ActionDispatch, roles: roles{gl.RoleDispatcher}, states: states{gl.StatusRegistered}, public: true, apply: dispatch},
		{action: gl.ActionSign, roles: roles{gl.RoleHandler}, states: states{gl.StatusDispatched, gl.StatusHandling}, public: true, guard: holdsAssignment(gl.AssignmentDispatched), apply: sign},
		{action: gl.ActionSubDispatch, roles: roles{gl.RoleHandler}, states: states{gl.StatusDispatched, gl.StatusHandling}, guard: holdsAssignment(gl.AssignmentDispatched, gl.AssignmentSigned), apply: subDispatch},
		{action: gl.ActionFeedback, roles: roles{gl.RoleHandler}, states: states{gl.StatusHandling}, public: true, guard: holdsAssignment(gl.AssignmentSigned), apply: feedback},
		{action: gl.ActionSendCheck, roles: roles{gl.RoleOperator, gl.RoleShiftLead}, states: states{gl.StatusHandled}, apply: sendCheck},
		{action: gl.ActionCheck, roles: roles{gl.RoleGridMember}, states: states{gl.StatusChecking}, public: true, apply: checkResult},
		{action: gl.ActionClose, roles: roles{gl.RoleShiftLead}, states: states{gl.StatusChecked}, public: true, apply: closeCase},
		{action: gl.ActionRate, roles: roles{gl.RoleCitizen}, states: states{gl.StatusClosed}, public: true, guard: notRated, apply: rate},
		{action: gl.ActionReopen, roles: roles{gl.RoleCitizen, gl.RoleSupervisor}, states: states{gl.StatusClosed}, public: true, guard: withinReopenWindow, apply: reopen},
		{action: gl.ActionRequestReturn, roles: roles{gl.RoleHandler}, states: states{gl.StatusDispatched, gl.StatusHandling}, guard: leadWithoutPending, apply: request(gl.RequestReturn)},
		{action: gl.ActionRequestExtension, roles: roles{gl.RoleHandler}, states: states{gl.StatusHandling}, guard: leadWithoutPending, apply: request(gl.RequestExtension)},
		{action: gl.ActionRequestSuspension, roles: roles{gl.RoleHandler}, states: states{gl.StatusHandling}, guard: leadWithoutPending, apply: request(gl.RequestSuspension)},
		{action: gl.ActionApprove, roles: roles{gl.RoleDispatcher}, states: states{gl.StatusDispatched, gl.StatusHandling}, guard: hasPending, apply: approve},
		{action: gl.ActionDeny, roles: roles{gl.RoleDispatcher}, states: states{gl.StatusDispatched, gl.StatusHandling}, guard: hasPending, apply: deny},
		{action: gl.ActionResume, roles: roles{gl.RoleDispatcher, gl.RoleHandler}, states: states{gl.StatusSuspended}, public: true, guard: leadIfHandler, apply: resume},
		{action: gl.ActionComment, roles: staff, states: gl.Statuses, apply: noteRequired},
		{action: gl.ActionSupplement, roles: roles{gl.RoleCitizen}, states: open, public: true, apply: noteRequired},
		{action: gl.ActionUrge, roles: roles{gl.RoleSupervisor}, states: inWork, apply: urge},
		{action: gl.ActionFlagOverdue, roles: roles{gl.RoleSystem}, states: states{gl.StatusDispatched, gl.StatusHandling}, guard: pastDue, apply: flagOverdue},
		// Side actions (gl.SideActions, workflow/citizen.go): never offered by Available.
		{action: gl.ActionMeToo, roles: roles{gl.RoleCitizen, gl.RoleOperator}, states: open, public: true, apply: meToo},
		{action: gl.ActionFollowUp, roles: roles{gl.RoleSystem}, states: states{gl.StatusClosed}, public: true, guard: notRated, apply: followUp},
	} {
		rules[r.action] = r
	}
}

// Guards: what must hold for this actor on this case, beyond role and state.

func holdsAssignment(want ...gl.AssignmentState) func(*gl.Case, Actor, gl.Role, Env) error {
	return func(c *gl.Case, a Actor, _ gl.Role, _ Env) error {
		if myAssignment(c, a, want...) < 0 {
			return gl.Errorf(gl.EFORBIDDEN, "本部门在此案件上没有可执行此操作的任务")
		}
		return nil
	}
}

// myAssignment is the index of an assignment of one of the actor's departments in one of
// the wanted states, preferring the lead's; -1 if none.
func myAssignment(c *gl.Case, a Actor, want ...gl.AssignmentState) int {
	found := -1
	for i, as := range c.Assignments {
		if slices.Contains(a.Depts, as.DeptID) && slices.Contains(want, as.State) {
			if as.Lead {
				return i
			}
			if found < 0 {
				found = i
			}
		}
	}
	return found
}

func isLead(c *gl.Case, a Actor) bool {
	lead, ok := c.Lead()
	return ok && slices.Contains(a.Depts, lead.DeptID)
}

func leadWithoutPending(c *gl.Case, a Actor, _ gl.Role, _ Env) error {
	if !isLead(c, a) {
		return gl.Errorf(gl.EFORBIDDEN, "只有主办部门可以提出申请")
	}
	if c.Pending != nil {
		return gl.Errorf(gl.ECONFLICT, "案件已有待审批的申请")
	}
	return nil
}

func hasPending(c *gl.Case, _ Actor, _ gl.Role, _ Env) error {
	if c.Pending == nil {
		return gl.Errorf(gl.EINVALIDSTATE, "案件没有待审批的申请")
	}
	return nil
}

func leadIfHandler(c *gl.Case, a Actor, role gl.Role, _ Env) error {
	if role == gl.RoleHandler && !isLead(c, a) {
		return gl.Errorf(gl.EFORBIDDEN, "只有主办部门可以恢复办理")
	}
	return nil
}

func notRated(c *gl.Case, _ Actor, _ gl.Role, _ Env) error {
	if c.RatedAt != nil && c.ClosedAt != nil && !c.RatedAt.Before(*c.ClosedAt) {
		return gl.Errorf(gl.ECONFLICT, "您已评价过本次办理结果")
	}
	return nil
}

func withinReopenWindow(c *gl.Case, _ Actor, role gl.Role, env Env) error {
	if role == gl.RoleCitizen && c.ClosedAt != nil && env.Now.Sub(*c.ClosedAt) > env.Policy.ReopenWindow {
		return gl.Errorf(gl.EINVALIDSTATE, "已超过结案后 %d 天的重新办理期限", int(env.Policy.ReopenWindow.Hours()/24))
	}
	return nil
}

func pastDue(c *gl.Case, _ Actor, _ gl.Role, env Env) error {
	if c.Due == nil || !env.Now.After(*c.Due) {
		return gl.Errorf(gl.EINVALIDSTATE, "案件尚未超期")
	}
	if c.Overdue {
		return gl.Errorf(gl.ECONFLICT, "案件已标记为超期")
	}
	return nil
}
