package service_test

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
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

// evalCity is the space test's city (areas, unit grids, a responsibility grid, four
// top-level departments) grown for evaluation: child units, a handler per unit, two
// grid workers, a supervisor and a second dispatcher, and a clock the test moves.
type evalCity struct {
	*spaceCity
	now      time.Time
	actors   []*service.Principal
	handlers map[int64]*service.Principal // department id → its handler
	kids     map[int64][]int64            // department id → child units
	top      []int64                      // top-level departments
	workers  []*service.Principal         // grid workers
	rng      *rand.Rand
	cases    []evalCase
}

type evalCase struct {
	code, token string
	id          int64
}

func newEvalCity(t *testing.T, b dbtest.Backend, seed uint64) *evalCity {
	t.Helper()
	ctx := context.Background()
	sc := newSpaceCity(t, b)
	ec := &evalCity{spaceCity: sc, handlers: map[int64]*service.Principal{}, kids: map[int64][]int64{},
		rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	ec.now = time.Date(2026, 10, 26, 8, 0, 0, 0, worktime.Default().Location())
	sc.svc.Now = func() time.Time { return ec.now }
	sc.svc.OutsidePolicy = service.OutsideUnlocated
	for _, code := range []string{"CGJ", "SZZX", "XH", "BS"} {
		ec.top = append(ec.top, sc.dept[code])
	}
	for _, d := range []struct{ code, parent string }{{"CGJ1", "CGJ"}, {"CGJ2", "CGJ"}, {"XH1", "XH"}} {
		dep := &gl.Department{Code: d.code, Name: "部门" + d.code, Kind: gl.DeptSection, ParentID: sc.dept[d.parent]}
		if err := sc.svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		sc.dept[d.code] = dep.ID
		ec.kids[dep.ParentID] = append(ec.kids[dep.ParentID], dep.ID)
	}
	add := func(name string, roles []gl.Role, depts []int64, areas []string) *service.Principal {
		u := &gl.User{Name: name, Roles: roles, DeptScope: depts, AreaScope: areas}
		if err := sc.svc.AddUser(ctx, u, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		return sc.svc.NewPrincipal(u)
	}
	codes := slices.Sorted(maps.Keys(sc.dept))
	for _, code := range codes {
		id := sc.dept[code]
		ec.handlers[id] = add("handler_"+strings.ToLower(code), []gl.Role{gl.RoleHandler}, []int64{id}, nil)
	}
	sc.users[gl.RoleGridMember] = add("grid1", []gl.Role{gl.RoleGridMember}, nil, []string{beishan})
	sc.users[gl.RoleSupervisor] = add("supervisor", []gl.Role{gl.RoleSupervisor}, nil, nil)
	ec.workers = []*service.Principal{sc.users[gl.RoleGridMember], add("grid2", []gl.Role{gl.RoleGridMember}, nil, []string{xixi})}
	ec.actors = []*service.Principal{
		sc.users[gl.RoleOperator], sc.users[gl.RoleShiftLead], sc.users[gl.RoleDispatcher],
		sc.users[gl.RoleSupervisor], ec.workers[0], ec.workers[1],
		add("dispatcher2", []gl.Role{gl.RoleDispatcher}, nil, nil),
		add("lead2", []gl.Role{gl.RoleOperator, gl.RoleShiftLead}, nil, nil),
	}
	for _, code := range codes {
		ec.actors = append(ec.actors, ec.handlers[sc.dept[code]])
	}
	// Routing rules suggest a department, which dispatchers sometimes override.
	for _, r := range []service.RoutingRuleInput{
		{AreaCode: beishan, DeptID: sc.dept["BS"]},
		{AreaCode: xihu, CategoryCode: "C0101", DeptID: sc.dept["SZZX"]},
		{AreaCode: city, DeptID: sc.dept["CGJ"]},
	} {
		if _, err := sc.svc.AddRoutingRule(ctx, sc.users[gl.RoleAdmin], r); err != nil {
			t.Fatal(err)
		}
	}
	return ec
}

func (ec *evalCity) pick(n int) int        { return ec.rng.IntN(n) }
func (ec *evalCity) chance(p float64) bool { return ec.rng.Float64() < p }

// advance moves the clock on: mostly minutes, sometimes hours, now and then days, so
// that stage limits, response limits and deadlines are both met and missed.
func (ec *evalCity) advance() {
	switch r := ec.pick(100); {
	case r < 70:
		ec.now = ec.now.Add(time.Duration(1+ec.pick(15)) * time.Minute)
	case r < 92:
		ec.now = ec.now.Add(time.Duration(15+ec.pick(120)) * time.Minute)
	case r < 99:
		ec.now = ec.now.Add(time.Duration(2+ec.pick(20)) * time.Hour)
	default:
		ec.now = ec.now.Add(time.Duration(1+ec.pick(3)) * 24 * time.Hour)
	}
}

// report files a new case through the service, on a random channel, mostly inside the
// city's grids.
func (ec *evalCity) report(t *testing.T) {
	t.Helper()
	lat, lng := 30.25+0.04*ec.rng.Float64(), 120.14+0.02*ec.rng.Float64()
	if ec.chance(0.08) {
		lat, lng = 0.5, 0.5 // outside every grid: an unlocated case without area
	}
	in := service.ReportInput{Description: fmt.Sprintf("第%d个问题", len(ec.cases)+1), Lat: &lat, Lng: &lng}
	var p *service.Principal = &service.Principal{}
	switch ec.pick(6) {
	case 0:
		in.Channel = gl.ChannelWeb
	case 1:
		in.Channel, p = gl.ChannelHotline, ec.users[gl.RoleOperator]
	case 2, 3:
		in.Channel, p = gl.ChannelPatrol, ec.workers[ec.pick(len(ec.workers))]
	case 4:
		in.Channel = gl.ChannelCamera
	case 5:
		in.Channel = gl.ChannelApp
	}
	if ec.chance(0.6) {
		in.CategoryCode = evalCategories[ec.pick(len(evalCategories))]
	}
	res, err := ec.svc.Report(context.Background(), p, in, "")
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	ec.cases = append(ec.cases, evalCase{code: res.Case.Code, token: res.TrackingToken, id: res.Case.ID})
}

// evalCategories have working-hour, natural-hour and working-day limits.
var evalCategories = []string{"C0101", "E0101", "E0401", "C0104"}

// actionWeights favour moving the loop forward; notes and side requests are rarer.
var actionWeights = map[gl.Action]float64{
	gl.ActionComment: 0.1, gl.ActionSupplement: 0.1, gl.ActionUrge: 0.3, gl.ActionReject: 0.5,
	gl.ActionMerge: 0.3, gl.ActionWithdraw: 0.2, gl.ActionSendVerify: 1, gl.ActionRequestReturn: 0.4,
	gl.ActionRequestExtension: 1, gl.ActionRequestSuspension: 0.4, gl.ActionReopen: 1, gl.ActionRate: 8,
	gl.ActionDeny: 1,
}

// step takes one random action allowed on a case, as one of those who may take it:
// mostly on one of the newest cases (so that steps of one case come minutes apart,
// within their limits, as often as not), sometimes on any case.
func (ec *evalCity) step(t *testing.T) bool {
	t.Helper()
	ctx := context.Background()
	var k evalCase
	var c *gl.Case
	for try := 0; try < 4; try++ {
		if n := len(ec.cases); ec.chance(0.85) {
			k = ec.cases[n-1-ec.pick(min(n, 6))]
		} else {
			k = ec.cases[ec.pick(n)]
		}
		var err error
		if c, err = ec.svc.Case(ctx, ec.users[gl.RoleSupervisor], k.code); err != nil {
			t.Fatal(err)
		}
		if c.Status.Open() || c.Status == gl.StatusClosed && c.RatedAt == nil {
			break // rather a case with work left
		}
	}
	// Who may take each action (nil: the reporter, by tracking token); the action is
	// drawn by its weight, then one of those who may take it.
	who := map[gl.Action][]*service.Principal{}
	var acts []gl.Action
	add := func(p *service.Principal, a gl.Action) {
		if a == gl.ActionFlagOverdue {
			return // the clock's, in drive
		}
		if _, ok := who[a]; !ok {
			acts = append(acts, a)
		}
		who[a] = append(who[a], p)
	}
	for _, p := range ec.actors {
		for _, a := range ec.svc.Available(p, c) {
			add(p, a)
		}
	}
	for _, a := range ec.svc.Available(&service.Principal{ReporterOf: c.ID}, c) {
		add(nil, a)
	}
	if len(acts) == 0 {
		return false
	}
	total := 0.0
	weight := func(a gl.Action) float64 {
		if w, ok := actionWeights[a]; ok {
			return w
		}
		return 3
	}
	for _, a := range acts {
		total += weight(a)
	}
	x, i := ec.rng.Float64()*total, 0
	for ; i < len(acts)-1 && x >= weight(acts[i]); i++ {
		x -= weight(acts[i])
	}
	action := acts[i]
	p := who[action][ec.pick(len(who[action]))]
	in := ec.input(c, p, action)
	var err error
	if p == nil {
		_, err = ec.svc.ActAsReporter(ctx, k.token, in)
	} else {
		_, err = ec.svc.Act(ctx, p, k.code, in, nil)
	}
	switch gl.ErrorCode(err) {
	case "":
		return true
	case gl.EINVALID, gl.EINVALIDSTATE, gl.EFORBIDDEN, gl.ENOTFOUND:
		// A parameter the random input got wrong, or a case outside the actor's scope
		// (Available judges roles and states, not scope): nothing is recorded.
		return false
	}
	t.Fatalf("%s on %s: %v", action, k.code, err)
	return false
}

func (ec *evalCity) input(c *gl.Case, p *service.Principal, action gl.Action) workflow.Input {
	in := workflow.Input{Action: action, Note: "说明"}
	yes := func(prob float64) *bool { b := ec.chance(prob); return &b }
	switch action {
	case gl.ActionVerify:
		in.Valid = yes(0.8)
	case gl.ActionRegister:
		if c.CategoryCode == "" || ec.chance(0.1) {
			in.CategoryCode = evalCategories[ec.pick(len(evalCategories))]
		}
		if ec.chance(0.2) {
			in.Urgent = yes(0.5)
		}
	case gl.ActionMerge:
		for range 5 {
			o := ec.cases[ec.pick(len(ec.cases))]
			if o.code != c.Code {
				in.ParentCode = o.code
				break
			}
		}
	case gl.ActionDispatch:
		in.DeptID = ec.top[ec.pick(len(ec.top))]
		if c.SuggestedDeptID != 0 && ec.chance(0.6) {
			in.DeptID = c.SuggestedDeptID
		}
		// Co-handlers from other branches only: sub_dispatch events do not say whether
		// they moved the lead, and a recomputation tells by the department
		// (docs/indicators.md, "What the event log lacks").
		for _, d := range ec.top {
			if d != in.DeptID && ec.chance(0.15) {
				in.CoDeptIDs = append(in.CoDeptIDs, d)
			}
		}
	case gl.ActionSubDispatch:
		for _, a := range c.Assignments {
			if slices.Contains(p.Depts, a.DeptID) && len(ec.kids[a.DeptID]) > 0 {
				in.DeptID = ec.kids[a.DeptID][ec.pick(len(ec.kids[a.DeptID]))]
				break
			}
		}
	case gl.ActionCheck:
		in.Passed = yes(0.7)
	case gl.ActionRate:
		in.Satisfaction = []gl.Satisfaction{gl.Satisfied, gl.Basic, gl.Unsatisfied}[ec.pick(3)]
		in.Fixed = yes(0.75)
	case gl.ActionRequestExtension:
		unit := worktime.Hour
		if c.DueWorking {
			unit = worktime.WorkHour
		}
		in.Limit = &worktime.Limit{Value: 1 + ec.pick(8), Unit: unit}
	}
	return in
}

// drive runs n random steps: new reports, actions, and the overdue clock.
func (ec *evalCity) drive(t *testing.T, n int) (events int) {
	t.Helper()
	ctx := context.Background()
	for range n {
		ec.advance()
		if len(ec.cases) == 0 || ec.chance(0.12) {
			ec.report(t)
			events++
			continue
		}
		if ec.step(t) {
			events++
		}
		if ec.chance(0.2) {
			flagged, err := ec.svc.FlagOverdue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			events += flagged
		}
	}
	return events
}

// liveRollups reads the whole rollups table (or the staging table).
func liveRollups(t *testing.T, svc *service.Service, staging bool) map[evaluation.Key]evaluation.Counters {
	t.Helper()
	if !staging { // the live figures are the table and its journal
		if _, err := svc.FoldRollups(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	out := map[evaluation.Key]evaluation.Counters{}
	err := svc.DB.View(context.Background(), func(tx *store.Tx) error {
		return tx.EachRollup(context.Background(), staging, func(r store.RollupRow) error {
			out[r.Key] = r.Counters
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedHistories reads every case's events back from the store.
func storedHistories(t *testing.T, db *store.DB) [][]gl.Event {
	t.Helper()
	var hs [][]gl.Event
	err := db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		hs, err = tx.CaseHistories(context.Background(), 0, 1<<62, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func compareBuckets(t *testing.T, what string, got, want map[evaluation.Key]evaluation.Counters) {
	t.Helper()
	var keys []evaluation.Key
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b evaluation.Key) int {
		return cmp.Or(cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Period, b.Period), cmp.Compare(a.Start, b.Start))
	})
	bad := 0
	for _, k := range keys {
		if got[k] != want[k] {
			bad++
			if bad <= 8 {
				t.Errorf("%s: bucket %v:\n got  %+v\n want %+v", what, k, got[k], want[k])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d buckets differ", what, bad, len(keys))
	}
}

// TestRollupsProperty drives random case histories through the real service (reports,
// every allowed action by whoever may take it, the overdue clock, the clock moving on)
// and checks that the rollups table, kept event by event in each event's transaction,
// equals evaluation.Recompute over the events read back from the store, in every
// bucket. Then it rebuilds the table from the log, with events recorded in the middle
// of the rebuild, and checks the rebuilt table equals the incremental one.
func TestRollupsProperty(t *testing.T) {
	steps := 2500
	if testing.Short() {
		steps = 400
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 20261122)
		events := ec.drive(t, steps)

		hs := storedHistories(t, ec.svc.DB)
		recomputed := evaluation.Recompute(hs, worktime.Default().Location())
		live := liveRollups(t, ec.svc, false)
		actions := map[gl.Action]int{}
		n := 0
		for _, h := range hs {
			for _, e := range h {
				actions[e.Action]++
				n++
			}
		}
		t.Logf("%d cases, %d events (%d counted by the driver), %d buckets; actions %v", len(hs), n, events, len(live), actions)
		if n != events {
			t.Errorf("the store holds %d events, the driver recorded %d", n, events)
		}
		compareBuckets(t, "incremental vs Recompute", live, recomputed)
		if chk, err := ec.svc.CheckRollups(ctx, nil); err != nil || chk.DiffCount != 0 || chk.CategoryDiffs != 0 {
			t.Fatalf("check of the incremental tables: %v, %d bucket and %d category differences", err, chk.DiffCount, chk.CategoryDiffs)
		}

		// Every counter was exercised somewhere (the city's months hold every event).
		var sum evaluation.Counters
		for k, c := range live {
			if k.Dim == evaluation.DimCity && k.Period == evaluation.Month {
				sum.Add(c)
			}
		}
		fields := sum.Fields()
		for i, name := range evaluation.CounterFields {
			if *fields[i] == 0 {
				t.Errorf("counter %s never incremented: the random histories miss a path", name)
			}
		}

		// Rebuild from the log, recording events between batches: the rebuild must
		// fold them in at the swap.
		var during int
		res, err := ec.svc.RebuildRollups(ctx, service.RebuildOptions{Batch: 25, FlushKeys: 500,
			Progress: func(done, total int64) {
				if during < 30 {
					during += ec.drive(t, 3)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("rebuild: %v; %d events recorded during it", res, during)
		if !res.Swapped || res.Tail == 0 {
			t.Errorf("rebuild: swapped %v, tail %d: want a swap and cases with events recorded during the rebuild", res.Swapped, res.Tail)
		}
		rebuilt := liveRollups(t, ec.svc, false)
		compareBuckets(t, "rebuilt vs Recompute", rebuilt, evaluation.Recompute(storedHistories(t, ec.svc.DB), worktime.Default().Location()))
		if staged := liveRollups(t, ec.svc, true); len(staged) != 0 {
			t.Errorf("staging table holds %d rows after the swap", len(staged))
		}

		// More events on the rebuilt table, then check without swapping.
		ec.drive(t, 100)
		chk, err := ec.svc.CheckRollups(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if chk.DiffCount != 0 || chk.Swapped {
			t.Fatalf("check after rebuild: %d differences (swapped %v), first %+v", chk.DiffCount, chk.Swapped, chk.Differences)
		}

		// A check notices a table that went wrong, and a rebuild repairs it.
		err = ec.svc.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.AddRollups(ctx, map[evaluation.Key]evaluation.Counters{
				{Dim: evaluation.DimCity, ID: evaluation.CityID, Period: evaluation.Day, Start: "2026-10-26"}: {Reported: 5},
				{Dim: evaluation.DimDepartment, ID: "999", Period: evaluation.Month, Start: "2026-10-01"}:     {Closed: 1},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		err = ec.svc.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.AddCategoryMonths(ctx, map[store.CategoryMonth]int64{{Month: "2026-10-01", Category: "C0101"}: 3})
		})
		if err != nil {
			t.Fatal(err)
		}
		if chk, err = ec.svc.CheckRollups(ctx, nil); err != nil || chk.DiffCount != 2 || chk.CategoryDiffs != 1 {
			t.Fatalf("check of a damaged table: %d differences, %d in categories, err %v; want 2 and 1", chk.DiffCount, chk.CategoryDiffs, err)
		}
		if _, err := ec.svc.RebuildRollups(ctx, service.RebuildOptions{}); err != nil {
			t.Fatal(err)
		}
		if chk, err = ec.svc.CheckRollups(ctx, nil); err != nil || chk.DiffCount != 0 || chk.CategoryDiffs != 0 {
			t.Fatalf("check after repair: %d differences, %d in categories, err %v", chk.DiffCount, chk.CategoryDiffs, err)
		}
	})
}

// TestRollupsRollBackWithEvent checks that a hook's increments commit or roll back with
// the event: an action refused after the hook ran leaves no trace in the rollups.
func TestRollupsRollBackWithEvent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 7)
		ec.svc.OnEvent(func(ctx context.Context, tx *store.Tx, before, after *gl.Case, ev *gl.Event) error {
			if ev.Action == gl.ActionReject {
				return gl.Errorf(gl.ECONFLICT, "refused by a later hook")
			}
			return nil
		})
		ec.report(t)
		before := liveRollups(t, ec.svc, false)
		_, err := ec.svc.Act(ctx, ec.users[gl.RoleShiftLead], ec.cases[0].code, workflow.Input{Action: gl.ActionReject, Note: "重复"}, nil)
		if gl.ErrorCode(err) != gl.ECONFLICT {
			t.Fatalf("reject: err = %v, want the hook's conflict", err)
		}
		compareBuckets(t, "after a rolled-back event", liveRollups(t, ec.svc, false), before)
		if before[evaluation.Key{Dim: evaluation.DimCity, ID: evaluation.CityID, Period: evaluation.Day, Start: "2026-10-26"}].Reported != 1 {
			t.Errorf("the report was not counted: %v", before)
		}
	})
}

// TestRollupsConcurrent reports and acts from many goroutines at once (intake's group
// commit writes reports in batches; on PostgreSQL actions run in parallel and share the
// city's buckets) and checks the rollups still equal a recomputation.
func TestRollupsConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 11)
		const workers, each = 24, 3
		errs := make(chan error, workers)
		// Two folders run meanwhile, as two nodes' jobs would: the journal's entries
		// must reach the table once each, whoever folds them.
		stop := make(chan struct{})
		folded := make(chan int, 2)
		for range 2 {
			go func() {
				n := 0
				defer func() { folded <- n }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					k, err := ec.svc.FoldRollups(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					n += k
					time.Sleep(time.Millisecond)
				}
			}()
		}
		codes := make(chan string, workers*each)
		for w := range workers {
			go func() {
				var err error
				for i := range each {
					lat, lng := 30.255+0.001*float64(w), 120.145+0.001*float64(i)
					var res *service.ReportResult
					res, err = ec.svc.Report(ctx, ec.users[gl.RoleOperator], service.ReportInput{
						Description: "并发上报", Lat: &lat, Lng: &lng, Channel: gl.ChannelHotline, CategoryCode: "E0101"}, "")
					if err != nil {
						break
					}
					codes <- res.Case.Code
				}
				errs <- err
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		close(codes)
		// As many actions at once as there are reporters: each holds a connection, and
		// the PostgreSQL pool has 20.
		for range workers {
			go func() {
				var err error
				for code := range codes {
					if _, err = ec.svc.Act(ctx, ec.users[gl.RoleShiftLead], code, workflow.Input{Action: gl.ActionRegister}, nil); err != nil {
						break
					}
				}
				errs <- err
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		if n := <-folded + <-folded; n == 0 {
			t.Error("the folders folded nothing while events were recorded")
		}
		live := liveRollups(t, ec.svc, false)
		compareBuckets(t, "concurrent", live, evaluation.Recompute(storedHistories(t, ec.svc.DB), worktime.Default().Location()))
		month := live[evaluation.Key{Dim: evaluation.DimCity, ID: evaluation.CityID, Period: evaluation.Month, Start: "2026-10-01"}]
		if month.Reported != workers*each || month.Registered != workers*each {
			t.Errorf("city month: reported %d registered %d, want %d each", month.Reported, month.Registered, workers*each)
		}
	})
}
