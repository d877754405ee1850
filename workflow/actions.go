package workflow

import (
	"slices"

	gl "github.com/gridloop/gridloop"
)

type data = map[string]any

func requireNote(in Input, what string) error {
	if in.Note == "" {
		return gl.FieldError("note", "请填写%s", what)
	}
	return nil
}

func noteRequired(_ *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	return nil, requireNote(in, "内容")
}

func sendVerify(c *gl.Case, _ Actor, _ Input, _ Env, _ *gl.Event) (data, error) {
	c.Status = gl.StatusVerifying
	return nil, nil
}

func verify(c *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	if in.Valid == nil {
		return nil, gl.FieldError("valid", "请说明核实结果（情况属实与否）")
	}
	c.Verified = *in.Valid
	c.Status = gl.StatusReported
	return data{"valid": *in.Valid}, nil
}

func register(c *gl.Case, _ Actor, in Input, env Env, _ *gl.Event) (data, error) {
	if env.Category == nil {
		return nil, gl.FieldError("category_code", "立案须选择问题类别")
	}
	if in.Urgent != nil {
		c.Urgent = *in.Urgent
	}
	c.CategoryCode = env.Category.Code
	c.Urgent = c.Urgent || env.Category.Urgent
	c.Status = gl.StatusRegistered
	c.RegisteredAt = ptr(env.Now)
	return data{"category_code": c.CategoryCode, "urgent": c.Urgent}, nil
}

func reject(c *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	if err := requireNote(in, "不予立案的理由"); err != nil {
		return nil, err
	}
	c.Status = gl.StatusRejected
	return nil, nil
}

func merge(c *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	if in.ParentCode == "" {
		return nil, gl.FieldError("parent_code", "请指定要合并到的案件编号")
	}
	if in.ParentCode == c.Code {
		return nil, gl.FieldError("parent_code", "不能合并到自身")
	}
	c.DuplicateOf = in.ParentCode
	c.Status = gl.StatusMerged
	return data{"parent_code": in.ParentCode}, nil
}

func withdraw(c *gl.Case, _ Actor, _ Input, _ Env, _ *gl.Event) (data, error) {
	c.Status = gl.StatusWithdrawn
	return nil, nil
}

func dispatch(c *gl.Case, _ Actor, in Input, env Env, ev *gl.Event) (data, error) {
	if in.DeptID == 0 {
		return nil, gl.FieldError("dept_id", "请选择主办部门")
	}
	if _, ok := env.Depts.Get(in.DeptID); !ok {
		return nil, gl.FieldError("dept_id", "部门 %d 不存在", in.DeptID)
	}
	as := []gl.Assignment{{DeptID: in.DeptID, Lead: true, State: gl.AssignmentDispatched}}
	for _, id := range in.CoDeptIDs {
		if _, ok := env.Depts.Get(id); !ok {
			return nil, gl.FieldError("co_dept_ids", "协办部门 %d 不存在", id)
		}
		if slices.ContainsFunc(as, func(a gl.Assignment) bool { return a.DeptID == id }) {
			return nil, gl.FieldError("co_dept_ids", "部门 %d 重复", id)
		}
		as = append(as, gl.Assignment{DeptID: id, State: gl.AssignmentDispatched})
	}
	if env.Category == nil {
		return nil, gl.Errorf(gl.EINVALIDSTATE, "案件没有问题类别，无法计算处置时限")
	}
	c.Assignments = as
	c.Status = gl.StatusDispatched
	c.DispatchedAt = ptr(env.Now)
	c.SignDue = utc(env.Calendar.Deadline(env.Now, env.Category.ResponseLimit))
	limit := env.Category.Limit(c.Urgent)
	c.Due = utc(env.Calendar.Deadline(env.Now, limit))
	c.DueWorking = limit.Unit.Working()
	c.DueStart = ptr(env.Now)
	ev.DeptID = in.DeptID
	d := data{"dept_id": in.DeptID, "limit": limit, "due": c.Due}
	if c.SuggestedDeptID != 0 && c.SuggestedDeptID != in.DeptID {
		d["overrode_dept_id"] = c.SuggestedDeptID
	}
	if len(in.CoDeptIDs) > 0 {
		d["co_dept_ids"] = in.CoDeptIDs
	}
	return d, nil
}

func sign(c *gl.Case, a Actor, _ Input, env Env, ev *gl.Event) (data, error) {
	i := myAssignment(c, a, gl.AssignmentDispatched)
	as := &c.Assignments[i]
	as.State = gl.AssignmentSigned
	as.SignedAt = ptr(env.Now)
	ev.DeptID = as.DeptID
	if as.Lead {
		c.Status = gl.StatusHandling
	}
	late := c.SignDue != nil && env.Now.After(*c.SignDue)
	return data{"dept_id": as.DeptID, "lead": as.Lead, "late": late}, nil
}

func subDispatch(c *gl.Case, a Actor, in Input, env Env, ev *gl.Event) (data, error) {
	i := myAssignment(c, a, gl.AssignmentDispatched, gl.AssignmentSigned)
	as := &c.Assignments[i]
	if in.DeptID == 0 {
		return nil, gl.FieldError("dept_id", "请选择下派的下级单位")
	}
	if !env.Depts.IsChild(as.DeptID, in.DeptID) {
		return nil, gl.FieldError("dept_id", "只能下派给本单位的直属下级单位")
	}
	from := as.DeptID
	as.FromDeptID = from
	as.DeptID = in.DeptID
	as.State = gl.AssignmentDispatched
	as.SignedAt = nil
	if as.Lead {
		c.Status = gl.StatusDispatched
	}
	ev.DeptID = in.DeptID
	return data{"from_dept_id": from, "dept_id": in.DeptID}, nil
}

func feedback(c *gl.Case, a Actor, in Input, env Env, ev *gl.Event) (data, error) {
	if err := requireNote(in, "处置结果说明"); err != nil {
		return nil, err
	}
	i := myAssignment(c, a, gl.AssignmentSigned)
	as := &c.Assignments[i]
	as.State = gl.AssignmentHandled
	as.HandledAt = ptr(env.Now)
	ev.DeptID = as.DeptID
	waiting := 0
	for _, x := range c.Assignments {
		if x.State != gl.AssignmentHandled {
			waiting++
		}
	}
	if waiting == 0 {
		c.Status = gl.StatusHandled
		c.HandledAt = ptr(env.Now)
	}
	onTime := c.Due == nil || !env.Now.After(*c.Due)
	return data{"dept_id": as.DeptID, "lead": as.Lead, "waiting": waiting, "on_time": onTime}, nil
}

func sendCheck(c *gl.Case, _ Actor, _ Input, _ Env, _ *gl.Event) (data, error) {
	c.Status = gl.StatusChecking
	return nil, nil
}

func checkResult(c *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	if in.Passed == nil {
		return nil, gl.FieldError("passed", "请说明核查结果（是否已处置到位）")
	}
	if *in.Passed {
		c.Status = gl.StatusChecked
		return data{"passed": true}, nil
	}
	if err := requireNote(in, "核查不通过的原因"); err != nil {
		return nil, err
	}
	c.ReworkCount++
	backToWork(c)
	return data{"passed": false, "rework": c.ReworkCount}, nil
}

// backToWork returns every department's share to "signed" for rework or reopening.
func backToWork(c *gl.Case) {
	for i := range c.Assignments {
		c.Assignments[i].State = gl.AssignmentSigned
		c.Assignments[i].HandledAt = nil
	}
	c.HandledAt = nil
	c.Status = gl.StatusHandling
}

func closeCase(c *gl.Case, _ Actor, _ Input, env Env, _ *gl.Event) (data, error) {
	c.Status = gl.StatusClosed
	c.ClosedAt = ptr(env.Now)
	onTime := !c.Overdue && (c.Due == nil || (c.HandledAt != nil && !c.HandledAt.After(*c.Due)))
	return data{"on_time": onTime}, nil
}

func rate(c *gl.Case, a Actor, in Input, env Env, ev *gl.Event) (data, error) {
	if !in.Satisfaction.Valid() {
		return nil, gl.FieldError("satisfaction", "请选择满意、基本满意或不满意")
	}
	if in.Fixed == nil {
		return nil, gl.FieldError("fixed", "请说明问题是否已解决")
	}
	c.Satisfaction = in.Satisfaction
	c.Fixed = ptr(*in.Fixed)
	c.RatedAt = ptr(env.Now)
	d := data{"satisfaction": in.Satisfaction, "fixed": *in.Fixed}
	if !*in.Fixed {
		if err := withinReopenWindow(c, a, gl.RoleCitizen, env); err != nil {
			return nil, err
		}
		doReopen(c, env)
		d["reopened"] = true
		d["reopen"] = c.ReopenCount
	}
	return d, nil
}

func reopen(c *gl.Case, _ Actor, in Input, env Env, _ *gl.Event) (data, error) {
	if err := requireNote(in, "重新办理的原因"); err != nil {
		return nil, err
	}
	doReopen(c, env)
	return data{"reopen": c.ReopenCount}, nil
}

// doReopen sends a closed case back to the same departments with a fresh handling clock.
func doReopen(c *gl.Case, env Env) {
	c.ReopenCount++
	c.ClosedAt = nil
	backToWork(c)
	if env.Category != nil {
		limit := env.Category.Limit(c.Urgent)
		c.Due = utc(env.Calendar.Deadline(env.Now, limit))
		c.DueWorking = limit.Unit.Working()
		c.DueStart = ptr(env.Now)
	}
}

func request(kind gl.RequestKind) func(*gl.Case, Actor, Input, Env, *gl.Event) (data, error) {
	return func(c *gl.Case, a Actor, in Input, env Env, ev *gl.Event) (data, error) {
		if err := requireNote(in, "申请理由"); err != nil {
			return nil, err
		}
		req := &gl.Request{Kind: kind, ByUser: a.UserID, DeptID: c.LeadDeptID(), Reason: in.Note, At: env.Now}
		if kind == gl.RequestExtension {
			if in.Limit == nil || in.Limit.Value <= 0 || !in.Limit.Unit.Valid() {
				return nil, gl.FieldError("limit", "请填写申请延长的时间")
			}
			if in.Limit.Unit.Working() != c.DueWorking {
				return nil, gl.FieldError("limit", "延长时间的单位须与处置时限一致（%s）", unitKind(c.DueWorking))
			}
			req.Limit = in.Limit
		}
		c.Pending = req
		ev.DeptID = req.DeptID
		d := data{"kind": kind}
		if req.Limit != nil {
			d["limit"] = *req.Limit
		}
		return d, nil
	}
}

func unitKind(working bool) string {
	if working {
		return "工作时间"
	}
	return "自然时间"
}

func approve(c *gl.Case, _ Actor, _ Input, env Env, ev *gl.Event) (data, error) {
	req := *c.Pending
	c.Pending = nil
	ev.DeptID = req.DeptID
	d := data{"kind": req.Kind, "approved": true}
	switch req.Kind {
	case gl.RequestReturn:
		c.ReturnCount++
		c.Assignments = nil
		c.Due, c.DueStart, c.SignDue = nil, nil, nil
		c.Status = gl.StatusRegistered
	case gl.RequestExtension:
		if c.Due != nil {
			c.Due = utc(env.Calendar.Extend(*c.Due, *req.Limit))
		}
		c.ExtensionCount++
		d["due"] = c.Due
	case gl.RequestSuspension:
		c.Status = gl.StatusSuspended
		c.SuspendedAt = ptr(env.Now)
	}
	return d, nil
}

func deny(c *gl.Case, _ Actor, in Input, _ Env, ev *gl.Event) (data, error) {
	if err := requireNote(in, "驳回理由"); err != nil {
		return nil, err
	}
	kind := c.Pending.Kind
	ev.DeptID = c.Pending.DeptID
	c.Pending = nil
	return data{"kind": kind, "approved": false}, nil
}

func resume(c *gl.Case, _ Actor, _ Input, env Env, _ *gl.Event) (data, error) {
	if c.Due != nil && c.SuspendedAt != nil {
		c.Due = utc(env.Calendar.Resume(*c.SuspendedAt, *c.Due, env.Now, c.DueWorking))
	}
	c.SuspendedAt = nil
	c.Status = gl.StatusHandling
	return data{"due": c.Due}, nil
}

func urge(c *gl.Case, _ Actor, in Input, _ Env, _ *gl.Event) (data, error) {
	if err := requireNote(in, "督办意见"); err != nil {
		return nil, err
	}
	c.UrgeCount++
	return data{"urge": c.UrgeCount}, nil
}

func flagOverdue(c *gl.Case, _ Actor, _ Input, env Env, ev *gl.Event) (data, error) {
	c.Overdue = true
	c.OverdueAt = ptr(env.Now)
	ev.DeptID = c.LeadDeptID()
	return data{"due": c.Due}, nil
}
