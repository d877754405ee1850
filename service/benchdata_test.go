package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

// Scale data for the dashboard and ranking benchmarks (docs/benchmarks.md): a city of
// 10 districts × 10 streets × 10 communities × 10 unit grids (10,000 grids, 2,000
// responsibility grids), 40 top-level departments with 4 sections each, 100 grid
// workers and a few dozen staff; N cases reported evenly over the 365 days before
// benchNow, each with a scripted history (report, verification for camera reports,
// register or reject/merge/withdraw, dispatch, sign, sometimes an extension or an
// urge, feedback, check with rework, close, rate, and a flag_overdue when its deadline
// passes first), cut off at benchNow so recent cases are open in every state. Cases and
// events are written with the store's multi-row inserts; the rollups are the sum of
// evaluation.Deltas over the events, each given the case as it was before the event,
// added with the additive upsert every chunk of cases — no workflow, no per-event
// transaction. TestBenchDataConsistent checks, on a small run, that these rollups equal
// a rebuild from the events.

// benchNow is the data's present: the benchmarks' clock.
var benchNow = time.Date(2026, 11, 22, 10, 0, 0, 0, worktime.Default().Location())

// benchDataVersion changes when the generator does, so that a cached store is rebuilt.
const benchDataVersion = "v1"

type benchCity struct {
	districts, streets, communities []string
	grids                           []string // unit grid codes
	tops                            []int64  // top-level departments
	sections                        map[int64][]int64
	operators, leads, dispatchers   []int64
	workers                         []int64 // grid workers
	handlers                        map[int64]int64
	supervisor                      int64
	cats                            []string
}

// setupBenchCity creates the city's areas, departments and users through the store
// (users with an unusable password hash: hashing hundreds of passwords is slow).
func setupBenchCity(ctx context.Context, svc *service.Service) (*benchCity, error) {
	bc := &benchCity{sections: map[int64][]int64{}, handlers: map[int64]int64{}}
	var areas []gl.Area
	areas = append(areas, gl.Area{Code: "330100", Name: "基准市", Level: gl.LevelCity})
	for d := 1; d <= 10; d++ {
		dc := fmt.Sprintf("3301%02d", d+10)
		bc.districts = append(bc.districts, dc)
		areas = append(areas, gl.Area{Code: dc, Name: fmt.Sprintf("第%d区", d), Level: gl.LevelDistrict, ParentCode: "330100"})
		for s := 1; s <= 10; s++ {
			sc := fmt.Sprintf("%s%03d", dc, s)
			bc.streets = append(bc.streets, sc)
			areas = append(areas, gl.Area{Code: sc, Name: fmt.Sprintf("第%d区%d街道", d, s), Level: gl.LevelStreet, ParentCode: dc})
			for c := 1; c <= 10; c++ {
				cc := fmt.Sprintf("%s%03d", sc, c)
				bc.communities = append(bc.communities, cc)
				areas = append(areas, gl.Area{Code: cc, Name: fmt.Sprintf("%d-%d-%d社区", d, s, c), Level: gl.LevelCommunity, ParentCode: sc})
				for g := 1; g <= 10; g++ {
					bc.grids = append(bc.grids, fmt.Sprintf("%s%03d", cc, g))
				}
			}
		}
	}
	if err := svc.ImportAreas(ctx, areas); err != nil {
		return nil, err
	}
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			return nil, err
		}
		bc.cats = append(bc.cats, c.Code)
	}
	err := svc.DB.Update(ctx, func(tx *store.Tx) error {
		for i := 1; i <= 40; i++ {
			top := &gl.Department{Code: fmt.Sprintf("D%02d", i), Name: fmt.Sprintf("单位%02d", i), Kind: gl.DeptBureau}
			if i > 30 {
				top.Kind, top.AreaCode = gl.DeptStreet, bc.streets[i]
			}
			if err := tx.InsertDepartment(ctx, top); err != nil {
				return err
			}
			bc.tops = append(bc.tops, top.ID)
			for j := 1; j <= 4; j++ {
				sec := &gl.Department{Code: fmt.Sprintf("D%02d-%d", i, j), Name: fmt.Sprintf("单位%02d科%d", i, j),
					Kind: gl.DeptSection, ParentID: top.ID}
				if err := tx.InsertDepartment(ctx, sec); err != nil {
					return err
				}
				bc.sections[top.ID] = append(bc.sections[top.ID], sec.ID)
			}
		}
		add := func(name string, role gl.Role, depts []int64, areas []string) (int64, error) {
			u := &gl.User{Name: name, DisplayName: name, Roles: []gl.Role{role}, DeptScope: depts, AreaScope: areas}
			if err := tx.InsertUser(ctx, u, "!"); err != nil {
				return 0, err
			}
			return u.ID, nil
		}
		var err error
		for i := range 10 {
			id, err := add(fmt.Sprintf("operator%d", i), gl.RoleOperator, nil, nil)
			if err != nil {
				return err
			}
			bc.operators = append(bc.operators, id)
		}
		for i := range 6 {
			id, err := add(fmt.Sprintf("lead%d", i), gl.RoleShiftLead, nil, nil)
			if err != nil {
				return err
			}
			bc.leads = append(bc.leads, id)
			if id, err = add(fmt.Sprintf("dispatcher%d", i), gl.RoleDispatcher, nil, nil); err != nil {
				return err
			}
			bc.dispatchers = append(bc.dispatchers, id)
		}
		for i := range 100 {
			id, err := add(fmt.Sprintf("worker%03d", i), gl.RoleGridMember, nil, []string{bc.streets[i]})
			if err != nil {
				return err
			}
			bc.workers = append(bc.workers, id)
		}
		for _, top := range bc.tops {
			id, err := add(fmt.Sprintf("handler%d", top), gl.RoleHandler, []int64{top}, nil)
			if err != nil {
				return err
			}
			bc.handlers[top] = id
		}
		bc.supervisor, err = add("supervisor", gl.RoleSupervisor, nil, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return bc, svc.Reload(ctx)
}

// benchGen scripts case histories.
type benchGen struct {
	bc     *benchCity
	rng    *rand.Rand
	loc    *time.Location
	limits map[gl.Status]time.Duration
	seq    map[string]int
}

// history is one case: the case as it ends, and each event with the case before it.
type history struct {
	c      *gl.Case
	events []*gl.Event
	before []gl.Case
}

func (g *benchGen) pick(n int) int        { return g.rng.IntN(n) }
func (g *benchGen) chance(p float64) bool { return g.rng.Float64() < p }
func (g *benchGen) minutes(a, b int) time.Duration {
	return time.Duration(a+g.pick(b-a+1)) * time.Minute
}

// oneCase scripts the history of a case reported at t0, cut off at now.
func (g *benchGen) oneCase(t0, now time.Time) *history {
	bc := g.bc
	grid := bc.grids[g.pick(len(bc.grids))]
	c := &gl.Case{Status: gl.StatusReported, Version: 1, CategoryCode: bc.cats[g.pick(len(bc.cats))],
		Description: "基准数据案件", Lat: 30.2 + g.rng.Float64()*0.2, Lng: 120.0 + g.rng.Float64()*0.3,
		AreaCode: grid[:12], GridCode: grid, RespGridCode: fmt.Sprintf("R%s-%d", grid[:12], grid[14]%2),
		CreatedAt: t0, UpdatedAt: t0}
	day := t0.In(g.loc).Format("20060102")
	g.seq[day]++
	c.Code = fmt.Sprintf("%s%05d", day, g.seq[day])
	role := gl.RoleCitizen
	switch r := g.pick(100); {
	case r < 30:
		c.Channel = gl.ChannelHotline
		c.ReporterID, role = bc.operators[g.pick(len(bc.operators))], gl.RoleOperator
	case r < 55:
		c.Channel, c.Verified = gl.ChannelPatrol, true
		c.ReporterID, role = bc.workers[g.pick(len(bc.workers))], gl.RoleGridMember
	case r < 62:
		c.Channel, c.Status = gl.ChannelCamera, gl.StatusVerifying
	case r < 85:
		c.Channel = gl.ChannelApp
	default:
		c.Channel = gl.ChannelWeb
	}
	h := &history{c: c}
	g.setStage(c, t0)
	at := t0
	emit := func(ev *gl.Event, apply func()) bool {
		if ev.At.After(now) {
			return false
		}
		h.before = append(h.before, *c)
		if apply != nil {
			apply()
		}
		ev.Seq = len(h.events) + 1
		ev.To = c.Status
		if ev.From != ev.To {
			g.setStage(c, ev.At)
		}
		c.Version++
		c.UpdatedAt = ev.At
		h.events = append(h.events, ev)
		return true
	}
	data := func(m map[string]any) json.RawMessage { b, _ := json.Marshal(m); return b }
	report := &gl.Event{Action: gl.ActionReport, ActorID: c.ReporterID, Role: role, To: c.Status, Public: true, At: t0,
		Data: data(map[string]any{"channel": c.Channel, "area_code": c.AreaCode, "grid_code": c.GridCode, "resp_grid_code": c.RespGridCode})}
	// The report event's "before" is the case as created.
	h.before = append(h.before, *c)
	report.Seq = 1
	h.events = append(h.events, report)
	worker := bc.workers[g.pick(len(bc.workers))]
	next := func(a, b int) time.Time { at = at.Add(g.minutes(a, b)); return at }
	step := func(action gl.Action, actor int64, role gl.Role, to gl.Status, dept int64, d map[string]any, t time.Time, also func()) bool {
		ev := &gl.Event{Action: action, ActorID: actor, Role: role, From: c.Status, DeptID: dept, At: t}
		if d != nil {
			ev.Data = data(d)
		}
		return emit(ev, func() {
			c.Status = to
			if also != nil {
				also()
			}
		})
	}
	if c.Status == gl.StatusVerifying {
		if !step(gl.ActionVerify, worker, gl.RoleGridMember, gl.StatusReported, 0, map[string]any{"valid": true}, next(10, 90), func() { c.Verified = true }) {
			return h
		}
	}
	lead := bc.leads[g.pick(len(bc.leads))]
	switch r := g.pick(100); {
	case r < 4:
		step(gl.ActionReject, lead, gl.RoleShiftLead, gl.StatusRejected, 0, nil, next(5, 60), nil)
		return h
	case r < 6:
		step(gl.ActionMerge, lead, gl.RoleShiftLead, gl.StatusMerged, 0, nil, next(5, 60), func() { c.DuplicateOf = c.Code })
		return h
	case r < 7 && c.Channel != gl.ChannelPatrol:
		step(gl.ActionWithdraw, 0, gl.RoleCitizen, gl.StatusWithdrawn, 0, nil, next(5, 60), nil)
		return h
	}
	if !step(gl.ActionRegister, lead, gl.RoleShiftLead, gl.StatusRegistered, 0, map[string]any{"category_code": c.CategoryCode},
		next(5, 45), func() { t := at; c.RegisteredAt = &t }) {
		return h
	}
	if g.chance(0.003) {
		return h // left waiting for dispatch
	}
	top := bc.tops[g.pick(len(bc.tops))]
	dept := top
	if g.chance(0.6) {
		dept = bc.sections[top][g.pick(4)]
	}
	limit := []time.Duration{4 * time.Hour, 24 * time.Hour, 48 * time.Hour, 72 * time.Hour, 120 * time.Hour}[g.pick(5)]
	dispatchData := map[string]any{"dept_id": dept}
	if g.chance(0.1) {
		dispatchData["overrode_dept_id"] = bc.tops[g.pick(len(bc.tops))]
	}
	if !step(gl.ActionDispatch, bc.dispatchers[g.pick(len(bc.dispatchers))], gl.RoleDispatcher, gl.StatusDispatched, dept, dispatchData,
		next(5, 45), func() {
			t, due, signDue := at, at.Add(limit), at.Add(30*time.Minute)
			c.DispatchedAt, c.Due, c.DueStart, c.SignDue = &t, &due, &t, &signDue
			c.Assignments = []gl.Assignment{{DeptID: dept, Lead: true, State: gl.AssignmentDispatched}}
		}) {
		return h
	}
	handler := bc.handlers[top]
	// The handling time: most on time, some late (the overdue clock flags them first).
	work := time.Duration(float64(limit) * (0.1 + 1.1*g.rng.Float64()))
	flag := func(t time.Time) bool {
		if c.Overdue || c.Due == nil || t.Before(*c.Due) {
			return true
		}
		ft := c.Due.Add(time.Minute)
		return step(gl.ActionFlagOverdue, 0, gl.RoleSystem, c.Status, c.LeadDeptID(), nil, ft, func() {
			c.Overdue, c.OverdueAt = true, &ft
		})
	}
	signAt := next(3, 60)
	if !flag(signAt) {
		return h
	}
	late := signAt.After(*c.SignDue)
	if !step(gl.ActionSign, handler, gl.RoleHandler, gl.StatusHandling, dept, map[string]any{"dept_id": dept, "lead": true, "late": late},
		signAt, func() { c.Assignments[0].State, c.Assignments[0].SignedAt = gl.AssignmentSigned, &signAt }) {
		return h
	}
	if g.chance(0.015) {
		flag(now) // never fed back: overdue once its deadline passes, and open ever since
		return h
	}
	if g.chance(0.05) {
		if !step(gl.ActionUrge, bc.supervisor, gl.RoleSupervisor, c.Status, 0, nil, next(30, 600), func() { c.UrgeCount++ }) {
			return h
		}
	}
	if g.chance(0.04) {
		ext := limit / 2
		if !step(gl.ActionApprove, bc.dispatchers[0], gl.RoleDispatcher, c.Status, dept, map[string]any{"kind": "extension", "approved": true},
			next(30, 300), func() { due := c.Due.Add(ext); c.Due, c.ExtensionCount = &due, c.ExtensionCount+1 }) {
			return h
		}
		work += ext / 2
	}
	rounds := 1
	if g.chance(0.08) {
		rounds = 2
	}
	for round := range rounds {
		fb := at.Add(work / time.Duration(rounds))
		if !flag(fb) {
			return h
		}
		onTime := !fb.After(*c.Due)
		if !step(gl.ActionFeedback, handler, gl.RoleHandler, gl.StatusHandled, dept, map[string]any{"dept_id": dept, "lead": true, "on_time": onTime},
			fb, func() { at = fb; c.HandledAt = &fb; c.Assignments[0].State = gl.AssignmentHandled }) {
			return h
		}
		if !step(gl.ActionSendCheck, bc.operators[g.pick(len(bc.operators))], gl.RoleOperator, gl.StatusChecking, 0, nil, next(5, 60), nil) {
			return h
		}
		passed := round == rounds-1
		to := gl.StatusChecked
		if !passed {
			to = gl.StatusHandling
		}
		if !step(gl.ActionCheck, worker, gl.RoleGridMember, to, 0, map[string]any{"passed": passed}, next(20, 180), func() {
			if !passed {
				c.ReworkCount++
				c.Assignments[0].State = gl.AssignmentSigned
			}
		}) {
			return h
		}
	}
	closeOnTime := !c.Overdue && c.HandledAt != nil && !c.HandledAt.After(*c.Due)
	if !step(gl.ActionClose, lead, gl.RoleShiftLead, gl.StatusClosed, 0, map[string]any{"on_time": closeOnTime}, next(5, 60),
		func() { t := at; c.ClosedAt = &t }) {
		return h
	}
	if g.chance(0.6) {
		sat := []gl.Satisfaction{gl.Satisfied, gl.Satisfied, gl.Satisfied, gl.Basic, gl.Unsatisfied}[g.pick(5)]
		fixed := sat != gl.Unsatisfied || g.chance(0.5)
		step(gl.ActionRate, 0, gl.RoleCitizen, gl.StatusClosed, 0, map[string]any{"satisfaction": sat, "fixed": fixed}, next(60, 2880),
			func() { t := at; c.RatedAt, c.Satisfaction, c.Fixed = &t, sat, &fixed })
	}
	return h
}

// setStage starts the natural-time clock of the stage the case is in, as the workflow does.
func (g *benchGen) setStage(c *gl.Case, at time.Time) {
	c.StageDue = nil
	if d, ok := g.limits[c.Status]; ok && d > 0 {
		t := at.Add(d)
		c.StageDue = &t
	}
}

// generateBenchData writes n cases reported over the days before benchNow into svc's
// store, chunk cases per transaction, with their events and rollups.
func generateBenchData(ctx context.Context, svc *service.Service, bc *benchCity, n, days int, seed uint64, progress func(done int)) error {
	g := &benchGen{bc: bc, rng: rand.New(rand.NewPCG(seed, seed*7+1)), loc: worktime.Default().Location(),
		limits: workflow.DefaultPolicy().StageLimits, seq: map[string]int{}}
	start := benchNow.Add(-time.Duration(days) * 24 * time.Hour)
	span := benchNow.Sub(start)
	const chunk = 10000
	for i := 0; i < n; i += chunk {
		k := min(chunk, n-i)
		hs := make([]*history, k)
		cases := make([]*gl.Case, k)
		for j := range k {
			t0 := start.Add(time.Duration(float64(span) * (float64(i+j) + g.rng.Float64()) / float64(n))).Truncate(time.Microsecond)
			hs[j] = g.oneCase(t0, benchNow)
			cases[j] = hs[j].c
		}
		err := svc.DB.Update(ctx, func(tx *store.Tx) error {
			if err := tx.InsertCases(ctx, cases); err != nil {
				return err
			}
			var evs []*gl.Event
			deltas := map[evaluation.Key]evaluation.Counters{}
			for _, h := range hs {
				for j, e := range h.events {
					e.CaseID = h.c.ID
					evs = append(evs, e)
					before := h.before[j]
					before.ID = h.c.ID
					for key, d := range evaluation.Deltas(&before, *e, g.loc) {
						c := deltas[key]
						c.Add(d)
						deltas[key] = c
					}
				}
			}
			if err := tx.InsertEvents(ctx, evs); err != nil {
				return err
			}
			cats := map[store.CategoryMonth]int64{}
			for _, h := range hs {
				month := evaluation.PeriodStart(evaluation.Month, h.c.CreatedAt, g.loc).Format("2006-01-02")
				cats[store.CategoryMonth{Month: month, Category: h.c.CategoryCode, Area: h.c.AreaCode}]++
			}
			if err := tx.AddCategoryMonths(ctx, cats); err != nil {
				return err
			}
			return tx.AddRollups(ctx, deltas)
		})
		if err != nil {
			return err
		}
		if progress != nil {
			progress(i + k)
		}
	}
	return nil
}

// openBenchService opens a migrated store and its service with the clock at benchNow.
func openBenchService(ctx context.Context, dsn string) (*service.Service, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	svc.Now = func() time.Time { return benchNow }
	if err := db.BulkLoad(ctx, 512); err != nil {
		db.Close()
		return nil, err
	}
	return svc, nil
}

// TestBenchDataConsistent generates a small run of the benchmark data and checks that
// its rollups, summed from Deltas, equal a rebuild from its events; and that the
// dashboard and rankings read it.
func TestBenchDataConsistent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc, err := openBenchService(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer svc.DB.Close()
		bc, err := setupBenchCity(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		if err := generateBenchData(ctx, svc, bc, 3000, 30, 1, nil); err != nil {
			t.Fatal(err)
		}
		res, err := svc.CheckRollups(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("check: %v", res)
		if res.DiffCount != 0 || res.CategoryDiffs != 0 {
			t.Fatalf("%d buckets and %d category rows differ from a rebuild; %+v", res.DiffCount, res.CategoryDiffs, res.Differences)
		}
		p := &service.Principal{System: true}
		d, err := svc.Dashboard(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if d.TodayCases.Total == 0 || d.Open.Total == 0 || d.Overdue.Total == 0 || len(d.DepartmentRanking) != 40 || len(d.Heat.Grids) == 0 {
			t.Errorf("dashboard of the bench data: today %d open %d overdue %d ranking %d heat %d",
				d.TodayCases.Total, d.Open.Total, d.Overdue.Total, len(d.DepartmentRanking), len(d.Heat.Grids))
		}
		ev, err := svc.Evaluate(ctx, p, service.EvalQuery{Dim: evaluation.DimDepartment})
		if err != nil || len(ev.Rows) == 0 || ev.Rows[0].Score == nil {
			t.Fatalf("department ranking: %v %v", err, ev)
		}
	})
}
