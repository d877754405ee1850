package evaluation

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

// A small city for generated histories: three top-level departments with sections, two
// categories (working-time and natural-time limits), a few communities and grids, and a
// pool of actors in every role.

const (
	deptBureau  = 10 // 市政局: sections 12, 13
	deptUrban   = 11 // 城管局: section 14
	deptStreet  = 20 // 街道: community 21
	sectionRoad = 12
)

var (
	shanghaiLoc = worktime.Default().Location()
	testDepts   = gl.NewDeptTree([]gl.Department{
		{ID: deptBureau, Name: "市政局", Kind: gl.DeptBureau},
		{ID: deptUrban, Name: "城管局", Kind: gl.DeptBureau},
		{ID: sectionRoad, ParentID: deptBureau, Name: "道路科", Kind: gl.DeptSection},
		{ID: 13, ParentID: deptBureau, Name: "排水科", Kind: gl.DeptSection},
		{ID: 14, ParentID: deptUrban, Name: "一中队", Kind: gl.DeptSection},
		{ID: deptStreet, Name: "西湖街道", Kind: gl.DeptStreet},
		{ID: 21, ParentID: deptStreet, Name: "翠苑社区", Kind: gl.DeptCommunity},
	})
	topDepts       = []int64{deptBureau, deptUrban, deptStreet}
	testCategories = []*gl.Category{
		{Code: "0101", Kind: gl.KindComponent, Name: "井盖破损",
			HandlingLimit: worktime.Limit{Value: 8, Unit: worktime.WorkHour},
			UrgentLimit:   worktime.Limit{Value: 2, Unit: worktime.Hour},
			ResponseLimit: worktime.Limit{Value: 30, Unit: worktime.Minute}},
		{Code: "0201", Kind: gl.KindEvent, Name: "暴露垃圾",
			HandlingLimit: worktime.Limit{Value: 2, Unit: worktime.Day},
			ResponseLimit: worktime.Limit{Value: 4, Unit: worktime.Hour}},
	}
	communities = []string{"330106001001", "330106001002", "330106002001", "330105003004", "330105", ""}
	gridMembers = []int64{101, 102, 103}
)

func testActors() []workflow.Actor {
	as := []workflow.Actor{
		{UserID: 0, Name: "市民", Roles: []gl.Role{gl.RoleCitizen}},
		{UserID: 0, Name: "系统", Roles: []gl.Role{gl.RoleSystem}},
		{UserID: 201, Name: "受理员", Roles: []gl.Role{gl.RoleOperator}},
		{UserID: 301, Name: "值班长甲", Roles: []gl.Role{gl.RoleShiftLead}},
		{UserID: 302, Name: "值班长乙", Roles: []gl.Role{gl.RoleOperator, gl.RoleShiftLead}},
		{UserID: 401, Name: "派遣员甲", Roles: []gl.Role{gl.RoleDispatcher}},
		{UserID: 402, Name: "派遣员乙", Roles: []gl.Role{gl.RoleDispatcher}},
		{UserID: 601, Name: "督办", Roles: []gl.Role{gl.RoleSupervisor}},
	}
	for _, id := range gridMembers {
		as = append(as, workflow.Actor{UserID: id, Name: fmt.Sprint("网格员", id), Roles: []gl.Role{gl.RoleGridMember}})
	}
	for _, d := range testDepts.All() {
		as = append(as, workflow.Actor{UserID: 500 + d.ID, Name: d.Name, Roles: []gl.Role{gl.RoleHandler}, Depts: testDepts.Subtree(d.ID)})
	}
	return as
}

// step is one event with the case as it was before it.
type step struct {
	before gl.Case
	ev     gl.Event
}

type generator struct {
	rng    *rand.Rand
	cal    *worktime.Calendar
	policy workflow.Policy
	actors []workflow.Actor
}

func newGenerator(seed uint64) *generator {
	return &generator{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		cal:    worktime.Default(),
		policy: workflow.DefaultPolicy(),
		actors: testActors(),
	}
}

func (g *generator) pick(n int) int        { return g.rng.IntN(n) }
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// advance moves time forward by a random step: mostly minutes, sometimes hours or days,
// so that stage limits, response limits and handling deadlines are both met and missed.
func (g *generator) advance(t time.Time) time.Time {
	switch r := g.pick(100); {
	case r < 45:
		return t.Add(time.Duration(1+g.pick(30)) * time.Minute)
	case r < 80:
		return t.Add(time.Duration(30+g.pick(330)) * time.Minute)
	case r < 95:
		return t.Add(time.Duration(6+g.pick(66)) * time.Hour)
	default:
		return t.Add(time.Duration(3+g.pick(8)) * 24 * time.Hour)
	}
}

// history generates one case's history by driving workflow.Apply with random actors
// and actions among those workflow.Available allows.
func (g *generator) history(id int64) []step {
	start := time.Date(2026, 10, 20, 0, 0, 0, 0, shanghaiLoc).Add(time.Duration(g.pick(50*24*60)) * time.Minute)
	cat := testCategories[g.pick(len(testCategories))]
	channels := []gl.Channel{gl.ChannelWeb, gl.ChannelHotline, gl.ChannelApp, gl.ChannelPatrol, gl.ChannelPatrol, gl.ChannelCamera}
	ch := channels[g.pick(len(channels))]
	area := communities[g.pick(len(communities))]
	grid, respGrid := "", ""
	if len(area) == 12 {
		grid = fmt.Sprintf("%s%03d", area, 1+g.pick(3))
		if g.chance(0.7) {
			respGrid = grid
		}
	}
	c := gl.Case{ID: id, Code: fmt.Sprintf("20261101%05d", id), Status: gl.StatusReported, Version: 1,
		Channel: ch, Description: "问题", AreaCode: area, GridCode: grid, RespGridCode: respGrid,
		CreatedAt: start, UpdatedAt: start}
	role := gl.RoleCitizen
	switch ch {
	case gl.ChannelPatrol:
		c.Verified = true
		c.ReporterID = gridMembers[g.pick(len(gridMembers))]
		role = gl.RoleGridMember
	case gl.ChannelHotline:
		c.ReporterID, role = 201, gl.RoleOperator
	case gl.ChannelCamera:
		c.Status = gl.StatusVerifying
	}
	if g.chance(0.5) {
		c.SuggestedDeptID = topDepts[g.pick(len(topDepts))]
	}
	if d, ok := g.policy.StageLimits[c.Status]; ok {
		due := start.Add(d)
		c.StageDue = &due
	}
	data, _ := json.Marshal(map[string]any{"channel": ch, "area_code": area, "grid_code": grid, "resp_grid_code": respGrid})
	report := gl.Event{CaseID: id, Seq: 1, Action: gl.ActionReport, ActorID: c.ReporterID, Role: role,
		To: c.Status, Public: true, Data: data, At: start}
	steps := []step{{before: c, ev: report}}

	now := start
	for attempt := 0; attempt < 80; attempt++ {
		if c.Status.Final() && g.chance(0.25) {
			break
		}
		now = g.advance(now)
		env := workflow.Env{Now: now, Calendar: g.cal, Category: cat, Depts: testDepts, Policy: g.policy}
		// Weighted choice among the actions someone may take now, then among those who may.
		var acts []gl.Action
		var weights []float64
		total := 0.0
		who := map[gl.Action][]workflow.Actor{}
		for _, act := range append(slices.Clone(gl.Actions), gl.SideActions...) {
			if !slices.Contains(workflow.StatesFor(act), c.Status) {
				continue
			}
			roles := workflow.RolesFor(act)
			for _, a := range g.actors {
				if slices.ContainsFunc(a.Roles, func(r gl.Role) bool { return slices.Contains(roles, r) }) &&
					workflow.Allowed(c, a, act, env) == nil {
					who[act] = append(who[act], a)
				}
			}
			if len(who[act]) > 0 {
				w := actionWeight[act]
				if w == 0 {
					w = 3
				}
				acts, weights = append(acts, act), append(weights, w)
				total += w
			}
		}
		if len(acts) == 0 {
			continue
		}
		x, i := g.rng.Float64()*total, 0
		for ; i < len(acts)-1 && x >= weights[i]; i++ {
			x -= weights[i]
		}
		ch := struct {
			a      workflow.Actor
			action gl.Action
		}{who[acts[i]][g.pick(len(who[acts[i]]))], acts[i]}
		in := g.input(c, ch.a, ch.action)
		res, err := workflow.Apply(c, ch.a, in, env)
		if err != nil {
			continue // e.g. "not fixed" after the reopen window: nothing happens
		}
		ev := res.Event
		ev.Seq = len(steps) + 1
		steps = append(steps, step{before: c, ev: ev})
		c = res.Case
	}
	return steps
}

// actionWeight makes some actions likelier than others (3 when not listed): the loop
// mostly moves forward, the overdue clock is quick, notes are rare.
var actionWeight = map[gl.Action]float64{
	gl.ActionComment: 0.2, gl.ActionSupplement: 0.2, gl.ActionUrge: 0.5,
	gl.ActionReject: 1, gl.ActionMerge: 1, gl.ActionWithdraw: 0.5,
	gl.ActionRequestReturn: 1, gl.ActionRequestExtension: 1, gl.ActionRequestSuspension: 0.7,
	gl.ActionReopen: 1, gl.ActionFlagOverdue: 20, gl.ActionRate: 6,
}

func (g *generator) input(c gl.Case, a workflow.Actor, action gl.Action) workflow.Input {
	in := workflow.Input{Action: action, Note: "说明"}
	yes := func(p float64) *bool { b := g.chance(p); return &b }
	switch action {
	case gl.ActionVerify:
		in.Valid = yes(0.8)
	case gl.ActionRegister:
		if g.chance(0.2) {
			in.Urgent = yes(0.5)
		}
	case gl.ActionMerge:
		in.ParentCode = "2026110100000"
	case gl.ActionDispatch:
		in.DeptID = topDepts[g.pick(len(topDepts))]
		if c.SuggestedDeptID != 0 && g.chance(0.6) {
			in.DeptID = c.SuggestedDeptID
		}
		for _, d := range topDepts { // co-handlers from other branches only (see TestProperty)
			if d != in.DeptID && g.chance(0.2) {
				in.CoDeptIDs = append(in.CoDeptIDs, d)
			}
		}
	case gl.ActionSubDispatch:
		// the assignment workflow picks: the lead's if the actor holds it, else the first
		held := -1
		for i, as := range c.Assignments {
			if slices.Contains(a.Depts, as.DeptID) && (as.State == gl.AssignmentDispatched || as.State == gl.AssignmentSigned) {
				if as.Lead {
					held = i
					break
				}
				if held < 0 {
					held = i
				}
			}
		}
		if held >= 0 {
			var kids []int64
			for _, d := range testDepts.All() {
				if d.ParentID == c.Assignments[held].DeptID {
					kids = append(kids, d.ID)
				}
			}
			if len(kids) > 0 {
				in.DeptID = kids[g.pick(len(kids))]
			}
		}
	case gl.ActionCheck:
		in.Passed = yes(0.7)
	case gl.ActionRate:
		in.Satisfaction = []gl.Satisfaction{gl.Satisfied, gl.Basic, gl.Unsatisfied}[g.pick(3)]
		in.Fixed = yes(0.7)
	case gl.ActionFollowUp: // the city's policy for unanswered follow-ups: excluded, or counted either way
		switch g.pick(3) {
		case 1:
			in.Satisfaction, in.Fixed = gl.Satisfied, yes(1)
		case 2:
			in.Satisfaction, in.Fixed = gl.Unsatisfied, yes(0)
		}
	case gl.ActionRequestExtension:
		unit := worktime.Hour
		if c.DueWorking {
			unit = worktime.WorkHour
		}
		in.Limit = &worktime.Limit{Value: 1 + g.pick(8), Unit: unit}
	}
	return in
}
