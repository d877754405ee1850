package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// simulation drives demo cases through the loop on a moving clock.
type simulation struct {
	svc   *service.Service
	users *demoUsers
	depts *demoDepts
	// places gives real points in the Hangzhou city (nil: random points in the old demo box).
	places *places
	rng    *rand.Rand
	now    time.Time // the real now: simulated time never passes it
	tl     *timeline
	open   []string // codes of the cases open at the simulated time, for merges
}

// closeCase takes code off the open cases.
func (s *simulation) closeCase(code string) {
	if i := slices.Index(s.open, code); i >= 0 {
		s.open = slices.Delete(s.open, i, i+1)
	}
}

// outcomes are where demo cases end up, with weights: every state of the loop is present.
var outcomes = []struct {
	status gl.Status
	weight int
}{
	{gl.StatusReported, 6}, {gl.StatusVerifying, 4}, {gl.StatusRegistered, 5}, {gl.StatusDispatched, 6},
	{gl.StatusHandling, 14}, {gl.StatusSuspended, 2}, {gl.StatusHandled, 4}, {gl.StatusChecking, 4},
	{gl.StatusChecked, 3}, {gl.StatusClosed, 42}, {gl.StatusRejected, 4}, {gl.StatusMerged, 3}, {gl.StatusWithdrawn, 3},
}

func (s *simulation) pickOutcome() gl.Status {
	total := 0
	for _, o := range outcomes {
		total += o.weight
	}
	n := s.rng.IntN(total)
	for _, o := range outcomes {
		if n < o.weight {
			return o.status
		}
		n -= o.weight
	}
	return gl.StatusClosed
}

// plan draws a case's outcome and the time of its report: recent states start
// recently; closed cases spread over the last four weeks.
func (s *simulation) plan() (gl.Status, time.Time) {
	target := s.pickOutcome()
	back := time.Duration(1+s.rng.IntN(24*26)) * time.Hour
	if !target.Final() {
		back = time.Duration(10+s.rng.IntN(60*48)) * time.Minute
	}
	return target, s.now.Add(-back)
}

// step moves the case's clock on by a plausible pause, never past the real now, and
// lets the cases due before then run. It reports whether the demo goes on.
func (c *caseRun) step(minMinutes, maxMinutes int) bool {
	s := c.sim
	d := time.Duration(minMinutes+s.rng.IntN(maxMinutes-minMinutes+1)) * time.Minute
	if limit := s.now.Add(-time.Minute); c.clock.Add(d).After(limit) {
		// Close to the real now: take a share of what is left, so steps stay in order.
		d = limit.Sub(c.clock) / 4
	}
	c.clock = c.clock.Add(d)
	if !s.tl.wait(c.clock, c.wake) {
		c.err = errAborted
		return false
	}
	return true
}

// oneCase reports a case at the simulated time at (the service's clock is there) and
// drives it to target, waking on wake after each step.
func (s *simulation) oneCase(ctx context.Context, target gl.Status, at time.Time, wake chan struct{}) error {
	cats, err := s.svc.Categories(ctx)
	if err != nil {
		return err
	}
	cat := cats[s.rng.IntN(len(cats))]

	channel := []gl.Channel{gl.ChannelWeb, gl.ChannelHotline, gl.ChannelHotline, gl.ChannelApp, gl.ChannelPatrol}[s.rng.IntN(5)]
	// A call is recorded by an operator; a web or app report is the citizen's own; a
	// patrol finding the grid worker's.
	reporter := &service.Principal{}
	switch channel {
	case gl.ChannelHotline:
		reporter = s.users.byRole[gl.RoleOperator]
	case gl.ChannelPatrol:
		reporter = s.users.byRole[gl.RoleGridMember]
	}
	lat, lng := 30.22+s.rng.Float64()*0.1, 120.10+s.rng.Float64()*0.12
	if s.places != nil {
		lat, lng = s.places.point(s.rng)
	}
	in := service.ReportInput{
		Description: describe(cat, s.rng), Lat: &lat, Lng: &lng, Channel: channel,
		Address: fmt.Sprintf("%s%d号附近", streets[s.rng.IntN(len(streets))], 1+s.rng.IntN(300)),
	}
	if channel != gl.ChannelPatrol {
		in.ReporterName = surnames[s.rng.IntN(len(surnames))] + "先生"
		in.ReporterPhone = fmt.Sprintf("13%d%08d", 5+s.rng.IntN(5), s.rng.IntN(1e8))
	}
	if s.rng.IntN(3) > 0 {
		in.CategoryCode = cat.Code
	}
	res, err := s.svc.Report(ctx, reporter, in, "")
	if err != nil {
		return err
	}
	s.open = append(s.open, res.Case.Code)
	c := &caseRun{sim: s, code: res.Case.Code, token: res.TrackingToken, cat: cat, ctx: ctx, clock: at, wake: wake}
	return c.drive(target, channel)
}

// caseRun is one case on its way to its target state.
type caseRun struct {
	sim   *simulation
	ctx   context.Context
	code  string
	token string
	cat   gl.Category
	dept  int64
	last  *service.ActResult
	err   error
	clock time.Time     // the case's simulated time
	wake  chan struct{} // its goroutine's wake-ups on the timeline
}

func (c *caseRun) do(role gl.Role, in workflow.Input) {
	c.as(c.sim.users.byRole[role], in)
}

func (c *caseRun) as(p *service.Principal, in workflow.Input) {
	if c.err != nil || !c.step(5, 150) {
		return
	}
	c.last, c.err = c.sim.svc.Act(c.ctx, p, c.code, in, nil)
	if c.err != nil {
		c.err = fmt.Errorf("%s: %w", in.Action, c.err)
		return
	}
	c.track(c.last)
}

// track keeps the simulation's open cases up to date with the case's new state.
func (c *caseRun) track(r *service.ActResult) {
	c.sim.closeCase(c.code)
	if r.Case.Status.Open() && r.Case.Status != gl.StatusMerged {
		c.sim.open = append(c.sim.open, c.code)
	}
}

func (c *caseRun) asReporter(in workflow.Input) {
	if c.err != nil || !c.step(30, 600) {
		return
	}
	r, err := c.sim.svc.ActAsReporter(c.ctx, c.token, in)
	if err != nil {
		c.err = fmt.Errorf("%s: %w", in.Action, err)
		return
	}
	c.track(r)
}

func (c *caseRun) handler() *service.Principal { return c.sim.users.handlers[c.dept] }

func yes() *bool { t := true; return &t }
func no() *bool  { f := false; return &f }

func (c *caseRun) drive(target gl.Status, channel gl.Channel) error {
	s := c.sim
	rng := s.rng
	switch target {
	case gl.StatusReported:
		return nil
	case gl.StatusWithdrawn:
		c.asReporter(workflow.Input{Action: gl.ActionWithdraw})
		return c.err
	case gl.StatusMerged:
		if !c.step(5, 150) {
			return c.err
		}
		s.closeCase(c.code) // not merged into itself
		if len(s.open) == 0 {
			break // nothing open to be a duplicate of: handled as a case of its own
		}
		parent := s.open[rng.IntN(len(s.open))]
		if _, err := s.svc.Act(c.ctx, s.users.byRole[gl.RoleOperator], c.code,
			workflow.Input{Action: gl.ActionMerge, ParentCode: parent, Note: "与已受理案件为同一问题"}, nil); err != nil {
			return fmt.Errorf("merge into %s: %w", parent, err)
		}
		return nil
	}
	if channel != gl.ChannelPatrol && rng.IntN(2) == 0 {
		c.do(gl.RoleOperator, workflow.Input{Action: gl.ActionSendVerify})
		if target == gl.StatusVerifying {
			return c.err
		}
		c.do(gl.RoleGridMember, workflow.Input{Action: gl.ActionVerify, Valid: yes(), Note: "现场核实，情况属实"})
	}
	if target == gl.StatusRejected {
		c.do(gl.RoleShiftLead, workflow.Input{Action: gl.ActionReject, Note: "不属于城市管理范围，已告知当事人向相关部门反映"})
		return c.err
	}
	c.do(gl.RoleShiftLead, workflow.Input{Action: gl.ActionRegister, CategoryCode: c.cat.Code})
	if target == gl.StatusRegistered || target == gl.StatusVerifying {
		return c.err
	}
	c.dept = s.depts.byMajor[c.cat.MajorCode]
	if c.last != nil && c.last.Case.SuggestedDeptID != 0 {
		c.dept = c.last.Case.SuggestedDeptID // the routing rules' suggestion
	}
	if c.dept == 0 {
		c.dept = s.depts.byCode["CGJ"]
	}
	if rng.IntN(12) == 0 { // a wrong first dispatch, returned and re-dispatched
		wrong := s.depts.byCode["330106004"]
		if wrong != c.dept {
			right := c.dept
			c.dept = wrong
			c.do(gl.RoleDispatcher, workflow.Input{Action: gl.ActionDispatch, DeptID: wrong})
			c.as(c.handler(), workflow.Input{Action: gl.ActionRequestReturn, Note: "不属于本单位职责范围"})
			c.do(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
			c.dept = right
		}
	}
	c.do(gl.RoleDispatcher, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept})
	if target == gl.StatusDispatched {
		return c.err
	}
	c.as(c.handler(), workflow.Input{Action: gl.ActionSign})
	if rng.IntN(8) == 0 {
		c.as(c.handler(), workflow.Input{Action: gl.ActionRequestExtension, Note: "需协调施工队伍，申请延期", Limit: extension(c.cat)})
		if target == gl.StatusHandling && rng.IntN(2) == 0 {
			return c.err // left pending for the dispatcher
		}
		c.do(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
	}
	if target == gl.StatusSuspended {
		c.as(c.handler(), workflow.Input{Action: gl.ActionRequestSuspension, Note: "涉及产权纠纷，需待法院判决后处理"})
		c.do(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
		return c.err
	}
	if target == gl.StatusHandling {
		return c.err
	}
	feedback := workflow.Input{Action: gl.ActionFeedback, Note: "已到现场处置完毕：" + c.cat.ClosingCondition}
	c.as(c.handler(), feedback)
	if target == gl.StatusHandled {
		return c.err
	}
	c.do(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
	if target == gl.StatusChecking {
		return c.err
	}
	if rng.IntN(6) == 0 { // rework
		c.do(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: no(), Note: "现场核查未处置到位"})
		c.as(c.handler(), workflow.Input{Action: gl.ActionFeedback, Note: "已按核查意见返工，重新处置完毕：" + c.cat.ClosingCondition})
		c.do(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
	}
	c.do(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: yes(), Note: "现场核查，已处置到位"})
	if target == gl.StatusChecked {
		return c.err
	}
	c.do(gl.RoleShiftLead, workflow.Input{Action: gl.ActionClose})
	if channel == gl.ChannelPatrol || rng.IntN(3) == 0 {
		return c.err // not every reporter rates
	}
	if rng.IntN(10) == 0 { // "not fixed": reopened and done again
		c.asReporter(workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Unsatisfied, Fixed: no(), Note: "问题没有解决"})
		c.as(c.handler(), workflow.Input{Action: gl.ActionFeedback, Note: "市民反映未解决，已再次到现场处置：" + c.cat.ClosingCondition})
		c.do(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
		c.do(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: yes(), Note: "复查已处置到位"})
		c.do(gl.RoleShiftLead, workflow.Input{Action: gl.ActionClose})
	}
	sat := []gl.Satisfaction{gl.Satisfied, gl.Satisfied, gl.Satisfied, gl.Basic, gl.Unsatisfied}[rng.IntN(5)]
	c.asReporter(workflow.Input{Action: gl.ActionRate, Satisfaction: sat, Fixed: yes()})
	return c.err
}
