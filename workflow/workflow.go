// Package workflow is the closed loop's state machine: given a case, an actor and an
// action, it checks the actor may act, the state allows it and the input is valid, then
// returns the changed case and the event to record. It is pure: no I/O, no clock of its own.
package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

// Actor is who acts. Roles are the roles the actor holds; the first that the action
// permits is the role recorded on the event. Depts are the departments a handler works
// for, subtrees included (the service expands them). A citizen actor is always the
// reporter of the case at hand: the service authenticates them by the tracking token.
type Actor struct {
	UserID int64
	Name   string
	Roles  []gl.Role
	Depts  []int64
}

// Input is the action and its parameters; each action reads the ones it needs.
type Input struct {
	Action gl.Action `json:"action"`
	Note   string    `json:"note,omitempty"`
	Photos []string  `json:"photos,omitempty"`

	Valid        *bool           `json:"valid,omitempty"`         // verify: is the report true?
	Passed       *bool           `json:"passed,omitempty"`        // check: is it fixed?
	CategoryCode string          `json:"category_code,omitempty"` // register: (re)classify
	Urgent       *bool           `json:"urgent,omitempty"`        // register
	DeptID       int64           `json:"dept_id,omitempty"`       // dispatch: lead; sub_dispatch: child unit
	CoDeptIDs    []int64         `json:"co_dept_ids,omitempty"`   // dispatch: co-handlers
	ParentCode   string          `json:"parent_code,omitempty"`   // merge: the case this duplicates
	Limit        *worktime.Limit `json:"limit,omitempty"`         // request_extension: extra time
	Satisfaction gl.Satisfaction `json:"satisfaction,omitempty"`  // rate
	Fixed        *bool           `json:"fixed,omitempty"`         // rate: false reopens
}

// Policy holds the city's rules that the loop needs.
type Policy struct {
	// ReopenWindow is how long after closing a reporter may say "not fixed".
	ReopenWindow time.Duration
	// StageLimits are natural-time limits for the stages before and after handling.
	StageLimits map[gl.Status]time.Duration
}

// DefaultPolicy is a city's usual practice.
func DefaultPolicy() Policy {
	return Policy{
		ReopenWindow: 7 * 24 * time.Hour,
		StageLimits: map[gl.Status]time.Duration{
			gl.StatusReported:   30 * time.Minute, // accept and register
			gl.StatusVerifying:  time.Hour,        // grid worker verifies on site
			gl.StatusRegistered: 30 * time.Minute, // dispatch
			gl.StatusChecking:   2 * time.Hour,    // grid worker checks on site
			gl.StatusChecked:    30 * time.Minute, // close
		},
	}
}

// Env is what an action may consult besides the case: time, calendar, the case's
// category (after register: the chosen one), the department tree and the policy.
type Env struct {
	Now      time.Time
	Calendar *worktime.Calendar
	Category *gl.Category
	Depts    *gl.DeptTree
	Policy   Policy
}

// Result is the changed case and the event that records the change.
type Result struct {
	Case  gl.Case
	Event gl.Event
}

// Apply performs in on a copy of c. Refusals are *gl.Error: EFORBIDDEN when no role of
// the actor may take the action (or the handler is not on the case), EINVALIDSTATE when
// the case's state does not allow it, EINVALID or ECONFLICT for bad parameters.
func Apply(c gl.Case, a Actor, in Input, env Env) (Result, error) {
	r, ok := rules[in.Action]
	if !ok {
		return Result{}, gl.FieldError("action", "未知操作「%s」", in.Action)
	}
	role, err := check(r, &c, a, env)
	if err != nil {
		return Result{}, err
	}
	c = clone(c)
	from := c.Status
	ev := gl.Event{
		CaseID:  c.ID,
		Action:  in.Action,
		ActorID: a.UserID,
		Actor:   a.Name,
		Role:    role,
		From:    from,
		Note:    strings.TrimSpace(in.Note),
		Public:  r.public,
		At:      env.Now,
	}
	in.Note = ev.Note
	data, err := r.apply(&c, a, in, env, &ev)
	if err != nil {
		return Result{}, err
	}
	ev.To = c.Status
	if c.Status != from {
		setStageDue(&c, env)
	}
	if len(in.Photos) > 0 {
		if data == nil {
			data = map[string]any{}
		}
		data["photos"] = in.Photos
	}
	if data != nil {
		ev.Data, _ = json.Marshal(data)
	}
	c.Version++
	c.UpdatedAt = env.Now
	return Result{Case: c, Event: ev}, nil
}

// Allowed reports why a may not take action on c now (nil when it may), judging only
// role, state and the actor's place on the case, not parameters.
func Allowed(c gl.Case, a Actor, action gl.Action, env Env) error {
	r, ok := rules[action]
	if !ok {
		return gl.FieldError("action", "未知操作「%s」", action)
	}
	_, err := check(r, &c, a, env)
	return err
}

// Available lists the actions a may take on c now, in the loop's order.
func Available(c gl.Case, a Actor, env Env) []gl.Action {
	var out []gl.Action
	for _, act := range gl.Actions {
		if Allowed(c, a, act, env) == nil {
			out = append(out, act)
		}
	}
	return out
}

// RolesFor returns the roles that may take action at all, and StatesFor the states
// it applies in: the rule table, for documentation and the UI.
func RolesFor(action gl.Action) []gl.Role    { return slices.Clone(rules[action].roles) }
func StatesFor(action gl.Action) []gl.Status { return slices.Clone(rules[action].states) }

func check(r rule, c *gl.Case, a Actor, env Env) (gl.Role, error) {
	role, ok := pickRole(r.roles, a.Roles)
	if !ok {
		return "", gl.Errorf(gl.EFORBIDDEN, "当前角色无权执行「%s」", r.action.Label("zh"))
	}
	if !slices.Contains(r.states, c.Status) {
		return "", gl.Errorf(gl.EINVALIDSTATE, "案件处于「%s」状态，不能执行「%s」", c.Status.Label("zh"), r.action.Label("zh"))
	}
	if r.guard != nil {
		if err := r.guard(c, a, role, env); err != nil {
			return "", err
		}
	}
	return role, nil
}

func pickRole(allowed, held []gl.Role) (gl.Role, bool) {
	for _, r := range held {
		if slices.Contains(allowed, r) {
			return r, true
		}
	}
	return "", false
}

// setStageDue starts the natural-time clock of the stage the case has entered.
func setStageDue(c *gl.Case, env Env) {
	c.StageDue = nil
	if d, ok := env.Policy.StageLimits[c.Status]; ok && d > 0 {
		t := env.Now.Add(d)
		c.StageDue = &t
	}
}

func clone(c gl.Case) gl.Case {
	c.Assignments = slices.Clone(c.Assignments)
	c.Photos = slices.Clone(c.Photos)
	if c.Pending != nil {
		p := *c.Pending
		c.Pending = &p
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// utc keeps every stored instant in UTC, whatever zone the calendar computed it in.
func utc(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}
