package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/bench"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

const genSummary = `Generate scale data: N realistic cases with full event histories, for benchmarks.

  gridloop gen -db data/big.db -cases 1000000 [-days 365] [-batch 5000] [-seed 1]

On a store without the demo city it first seeds the city (departments, accounts,
categories, and with the shared Hangzhou data its areas and unit grids). Each case is a
real complaint text (../shared/data/complaints.csv) at a point inside the city's unit
grids, reported on one of the intake channels and taken through the workflow in memory
(workflow.Apply, on a clock that moves through the last -days days): verified or not,
registered, dispatched (sometimes returned and re-dispatched), signed, extended,
suspended, fed back, checked (sometimes reworked), closed, rated (sometimes reopened),
flagged overdue when its deadline passed — or rejected, merged, withdrawn; recent cases
are left in every open state. Cases and events are written with multi-row INSERTs, -batch
cases per transaction, and the rollups are rebuilt at the end.

Run it with no server writing to the store: it numbers the cases itself.`

func (m *Main) gen(ctx context.Context, args []string) error {
	fs := m.flags("gen", genSummary)
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	n := fs.Int("cases", 100000, "cases to generate")
	days := fs.Int("days", 365, "the cases' reports spread over this many days up to now")
	batch := fs.Int("batch", 5000, "cases per transaction")
	seed := fs.Uint64("seed", 1, "random seed")
	rollups := fs.Bool("rollups", true, "rebuild the evaluation rollups from the events at the end")
	cacheMB := fs.Int("cache", 512, "SQLite: the writer's page cache during the load, in MB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("gen: unexpected arguments %v", fs.Args())
	}
	if *n <= 0 || *days <= 0 || *batch <= 0 {
		return errors.New("gen: -cases, -days and -batch must be positive")
	}
	start := time.Now()
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	if err := m.seed(ctx, svc, 1); err != nil {
		return err
	}
	if err := svc.DB.BulkLoad(ctx, *cacheMB); err != nil {
		return err
	}
	g, err := newGenerator(ctx, svc, *seed, *days, *n)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "gen: %d cases over %d days into %s (%s; %d points in %s)\n",
		*n, *days, *dsn, g.textSource, len(g.points), g.pointSource)

	// The generator fills batches while the store writes the previous one.
	type chunk struct {
		cases  []*gl.Case
		events [][]*gl.Event // per case
		nev    int
	}
	chunks := make(chan chunk, 2)
	genErr := make(chan error, 1)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(chunks)
		for i := 0; i < *n; i += *batch {
			k := min(*batch, *n-i)
			ch := chunk{cases: make([]*gl.Case, k), events: make([][]*gl.Event, k)}
			for j := range k {
				c, evs := g.oneCase(i + j)
				ch.cases[j], ch.events[j] = c, evs
				ch.nev += len(evs)
			}
			select {
			case chunks <- ch:
			case <-genCtx.Done():
				genErr <- genCtx.Err()
				return
			}
		}
		genErr <- nil
	}()

	done, events := 0, 0
	last := time.Time{}
	progress := func(final bool) {
		if !final && time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		el := time.Since(start)
		rate := float64(done) / el.Seconds()
		eta := ""
		if rate > 0 && done < *n {
			eta = ", ETA " + (time.Duration(float64(*n-done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(m.Stderr, "\rgen: %d/%d cases, %d events, %.0f cases/s, %s%s   ",
			done, *n, events, rate, el.Round(time.Second), eta)
		if final {
			fmt.Fprintln(m.Stderr)
		}
	}
	for ch := range chunks {
		err := svc.DB.Update(ctx, func(tx *store.Tx) error {
			days := map[string]int64{}
			for _, c := range ch.cases {
				seq := seqOf(c.Code)
				if day := c.Code[:8]; seq > days[day] {
					days[day] = seq
				}
			}
			for day, seq := range days {
				if err := tx.SetCaseSeq(ctx, day, seq); err != nil {
					return err
				}
			}
			if err := tx.InsertCases(ctx, ch.cases); err != nil {
				return err
			}
			evs := make([]*gl.Event, 0, ch.nev)
			for i, c := range ch.cases {
				for _, e := range ch.events[i] {
					e.CaseID = c.ID
					evs = append(evs, e)
				}
			}
			return tx.InsertEvents(ctx, evs)
		})
		if err != nil {
			cancel()
			for range chunks { // let the generator stop
			}
			return fmt.Errorf("gen: write cases %d–%d: %w", done+1, done+len(ch.cases), err)
		}
		done += len(ch.cases)
		events += ch.nev
		progress(false)
	}
	if err := <-genErr; err != nil {
		return err
	}
	progress(true)
	if g.refused > 0 {
		fmt.Fprintf(m.Stderr, "gen: %d workflow steps were refused and their cases stopped early (first: %v)\n", g.refused, g.firstRefusal)
	}
	fmt.Fprintf(m.Stdout, "gen: %d cases and %d events written in %s\n", done, events, time.Since(start).Round(time.Millisecond))

	if *rollups {
		t0, lastR := time.Now(), time.Time{}
		res, err := svc.RebuildRollups(ctx, service.RebuildOptions{Progress: func(d, total int64) {
			if time.Since(lastR) > time.Second {
				lastR = time.Now()
				fmt.Fprintf(m.Stderr, "\rgen: rebuilding rollups: %d/%d cases   ", d, total)
			}
		}})
		if err != nil {
			return fmt.Errorf("gen: rebuild rollups: %w", err)
		}
		fmt.Fprintf(m.Stderr, "\n")
		fmt.Fprintf(m.Stdout, "gen: rollups rebuilt from %d events (%d buckets) in %s\n", res.Events, res.Buckets, time.Since(t0).Round(time.Millisecond))
	}
	t0 := time.Now()
	if err := svc.DB.Analyze(ctx); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "gen: statistics updated in %s; done in %s\n", time.Since(t0).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

func seqOf(code string) int64 {
	var n int64
	for _, r := range code[8:] {
		n = n*10 + int64(r-'0')
	}
	return n
}

// generator makes cases and their histories in memory.
type generator struct {
	rng      *mrand.Rand
	cats     []gl.Category
	catBy    map[string]*gl.Category
	texts    []string
	points   []genPoint
	users    map[gl.Role]workflow.Actor
	handlers map[int64]workflow.Actor // by department
	depts    *gl.DeptTree
	fallback int64 // the department when routing suggests none
	suggest  map[[2]string]int64
	svc      *service.Service
	ctx      context.Context

	start, now time.Time
	span       time.Duration
	n          int
	seq        map[string]int64 // the day's last case number
	recent     []string         // codes of the latest cases, for merges

	textSource, pointSource string
	refused                 int
	firstRefusal            error
}

type genPoint struct {
	lat, lng             float64
	area, grid, respGrid string
}

func newGenerator(ctx context.Context, svc *service.Service, seed uint64, days, n int) (*generator, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	g := &generator{
		rng: mrand.New(mrand.NewPCG(seed, 1008)), svc: svc, ctx: ctx,
		now: now, span: time.Duration(days) * 24 * time.Hour, n: n,
		catBy: map[string]*gl.Category{}, users: map[gl.Role]workflow.Actor{}, handlers: map[int64]workflow.Actor{},
		suggest: map[[2]string]int64{}, seq: map[string]int64{}, depts: svc.Depts(),
	}
	g.start = now.Add(-g.span)
	cats, err := svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.Active {
			g.cats = append(g.cats, c)
		}
	}
	if len(g.cats) == 0 {
		return nil, errors.New("gen: the store has no active categories")
	}
	for i := range g.cats {
		g.catBy[g.cats[i].Code] = &g.cats[i]
	}

	dir := bench.DataDir()
	texts, err := bench.LoadTexts(dir)
	if err != nil {
		return nil, err
	}
	g.texts, g.textSource = texts.Items, fmt.Sprintf("%d texts from %s", len(texts.Items), texts.Source)

	// Accounts: the first of each role; handlers by the departments in their scope.
	var users []gl.User
	var seqs map[string]int64
	err = svc.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if users, err = tx.Users(ctx); err != nil {
			return err
		}
		seqs, err = tx.CaseSeqs(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	g.seq = seqs
	for _, u := range users {
		if u.Disabled {
			continue
		}
		p := svc.NewPrincipal(&u)
		for _, r := range u.Roles {
			a := workflow.Actor{UserID: u.ID, Name: p.Name(), Roles: []gl.Role{r}, Depts: p.Depts}
			if _, ok := g.users[r]; !ok && r != gl.RoleHandler {
				g.users[r] = a
			}
			if r == gl.RoleHandler {
				for _, d := range p.Depts {
					if _, ok := g.handlers[d]; !ok {
						g.handlers[d] = a
					}
				}
			}
		}
	}
	for _, r := range []gl.Role{gl.RoleOperator, gl.RoleShiftLead, gl.RoleDispatcher, gl.RoleGridMember} {
		if _, ok := g.users[r]; !ok {
			g.users[r] = workflow.Actor{Name: string(r), Roles: []gl.Role{r}}
		}
	}
	for _, d := range g.depts.All() {
		if d.ParentID == 0 && (g.fallback == 0 || d.Kind == gl.DeptBureau) {
			g.fallback = d.ID
			if d.Kind == gl.DeptBureau {
				break
			}
		}
	}
	if g.fallback == 0 {
		return nil, errors.New("gen: the store has no departments")
	}

	// Points inside the unit grids, found by asking the city's spatial index.
	const want = 100000
	for tries := 0; len(g.points) < want && tries < 40*want; tries++ {
		lat, lng := 30.15+g.rng.Float64()*0.25, 120.00+g.rng.Float64()*0.35
		pl := svc.Locate(lat, lng)
		if !pl.Located {
			if tries > 5000 && len(g.points) == 0 {
				break // no grids here: unlocated points
			}
			continue
		}
		g.points = append(g.points, genPoint{lat, lng, pl.AreaCode, pl.GridCode, pl.RespGridCode})
	}
	g.pointSource = "the city's unit grids"
	if len(g.points) == 0 {
		g.pointSource = "no unit grids: random points"
		for range 1000 {
			g.points = append(g.points, genPoint{lat: 30.22 + g.rng.Float64()*0.1, lng: 120.10 + g.rng.Float64()*0.12})
		}
	}
	return g, nil
}

// Where cases end: recent ones in every state, old ones mostly done.
var (
	genRecent = []struct {
		status gl.Status
		weight int
	}{
		{gl.StatusReported, 6}, {gl.StatusVerifying, 4}, {gl.StatusRegistered, 5}, {gl.StatusDispatched, 6},
		{gl.StatusHandling, 14}, {gl.StatusSuspended, 2}, {gl.StatusHandled, 4}, {gl.StatusChecking, 4},
		{gl.StatusChecked, 3}, {gl.StatusClosed, 42}, {gl.StatusRejected, 4}, {gl.StatusMerged, 3}, {gl.StatusWithdrawn, 3},
	}
	genOld = []struct {
		status gl.Status
		weight int
	}{
		{gl.StatusClosed, 86}, {gl.StatusRejected, 6}, {gl.StatusMerged, 4}, {gl.StatusWithdrawn, 3}, {gl.StatusSuspended, 1},
	}
	genChannels = []struct {
		ch     gl.Channel
		weight int
	}{
		{gl.ChannelHotline, 45}, {gl.ChannelApp, 20}, {gl.ChannelWeb, 15}, {gl.ChannelPatrol, 12}, {gl.ChannelAPI, 3},
		{gl.ChannelOpen311, 3}, {gl.ChannelCamera, 2},
	}
	genSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"}
	genStreets  = []string{"延安路", "解放路", "庆春路", "凤起路", "体育场路", "文三路", "文二路", "学院路", "教工路", "莫干山路", "湖墅南路", "中河中路", "建国北路", "秋涛路", "江南大道", "滨盛路", "文一西路", "古墩路", "紫金港路", "天目山路"}
)

func pick[T any](rng *mrand.Rand, items []struct {
	status T
	weight int
}) T {
	total := 0
	for _, it := range items {
		total += it.weight
	}
	n := rng.IntN(total)
	for _, it := range items {
		if n < it.weight {
			return it.status
		}
		n -= it.weight
	}
	return items[0].status
}

// genCase is one case being driven through the loop.
type genCase struct {
	g      *generator
	c      gl.Case
	events []*gl.Event
	clock  time.Time
	dept   int64
	err    error
}

// oneCase makes the i-th case (in report order) and its history.
func (g *generator) oneCase(i int) (*gl.Case, []*gl.Event) {
	rng := g.rng
	// Reports spread evenly over the span, in order, with a little jitter.
	at := g.start.Add(time.Duration(float64(g.span) * (float64(i) + rng.Float64()*0.9) / float64(g.n)))
	age := g.now.Sub(at)
	var target gl.Status
	if age < 3*24*time.Hour {
		target = pick(rng, genRecent)
	} else {
		target = pick(rng, genOld)
	}
	var channel gl.Channel
	{
		total := 0
		for _, c := range genChannels {
			total += c.weight
		}
		k := rng.IntN(total)
		for _, c := range genChannels {
			if k < c.weight {
				channel = c.ch
				break
			}
			k -= c.weight
		}
	}
	cat := &g.cats[rng.IntN(len(g.cats))]
	pt := g.points[rng.IntN(len(g.points))]
	local := at.In(g.svc.Calendar().Location())
	day := local.Format("20060102")
	g.seq[day]++
	code := fmt.Sprintf("%s%05d", day, g.seq[day])

	b := make([]byte, 18)
	rand.Read(b)
	c := gl.Case{
		Code: code, Status: gl.StatusReported, Version: 1, Channel: channel,
		Description: g.texts[rng.IntN(len(g.texts))],
		Address:     fmt.Sprintf("%s%d号附近", genStreets[rng.IntN(len(genStreets))], 1+rng.IntN(300)),
		Lat:         pt.lat, Lng: pt.lng, AreaCode: pt.area, GridCode: pt.grid, RespGridCode: pt.respGrid,
		TrackingHash: service.HashSecret(base64.RawURLEncoding.EncodeToString(b)),
		CreatedAt:    at, UpdatedAt: at,
	}
	if rng.IntN(3) > 0 {
		c.CategoryCode = cat.Code
	}
	// A call, an integration's or a camera's report is recorded by an operator's
	// account; a web or app report is the citizen's own (no user: "报告人", as
	// service.Report has it); a patrol finding the grid worker's.
	reporter := g.users[gl.RoleOperator]
	if channel == gl.ChannelWeb || channel == gl.ChannelApp {
		reporter = workflow.Actor{Name: "报告人"}
	}
	switch channel {
	case gl.ChannelPatrol:
		reporter = g.users[gl.RoleGridMember]
		c.Verified = true
	case gl.ChannelCamera:
		c.Status = gl.StatusVerifying
	default:
		c.ReporterName = genSurnames[rng.IntN(len(genSurnames))] + []string{"先生", "女士"}[rng.IntN(2)]
		c.ReporterPhone = fmt.Sprintf("13%d%08d", 5+rng.IntN(5), rng.IntN(1e8))
	}
	c.ReporterID = reporter.UserID
	if d, ok := g.svc.Policy.StageLimits[c.Status]; ok {
		due := at.Add(d)
		c.StageDue = &due
	}
	role := gl.RoleCitizen
	if len(reporter.Roles) > 0 {
		role = reporter.Roles[0]
	}
	ev := &gl.Event{Seq: 1, Action: gl.ActionReport, ActorID: c.ReporterID, Actor: reporter.Name, Role: role,
		To: c.Status, Public: true, At: at}
	ev.Data, _ = json.Marshal(map[string]any{"channel": c.Channel, "area_code": c.AreaCode, "grid_code": c.GridCode, "resp_grid_code": c.RespGridCode})

	gc := &genCase{g: g, c: c, events: []*gl.Event{ev}, clock: at}
	gc.drive(target, cat)
	gc.flagIfDue(g.now)
	if gc.err != nil {
		g.refused++
		if g.firstRefusal == nil {
			g.firstRefusal = fmt.Errorf("case %s: %w", code, gc.err)
		}
	}
	// Later duplicates merge into one of the last hundred reports.
	g.recent = append(g.recent, code)
	if len(g.recent) > 200 {
		g.recent = g.recent[len(g.recent)-100:]
	}
	out := gc.c
	return &out, gc.events
}

// step moves the case's clock on by minMin–maxMin minutes, never past now.
func (gc *genCase) step(minMin, maxMin int) {
	d := time.Duration(minMin+gc.g.rng.IntN(maxMin-minMin+1)) * time.Minute
	if limit := gc.g.now.Add(-time.Minute); gc.clock.Add(d).After(limit) {
		d = limit.Sub(gc.clock) / 4
	}
	gc.clock = gc.clock.Add(d)
}

// flagIfDue applies the deadline clock's flag when the handling deadline passed before at.
func (gc *genCase) flagIfDue(at time.Time) {
	c := &gc.c
	if gc.err != nil || c.Overdue || c.Due == nil || (c.Status != gl.StatusDispatched && c.Status != gl.StatusHandling) {
		return
	}
	flagAt := c.Due.Add(time.Minute) // the clock ticks soon after the deadline…
	if last := gc.events[len(gc.events)-1].At; !flagAt.After(last) {
		flagAt = last.Add(time.Second) // …or after the step that left the case late
	}
	if flagAt.Before(at) {
		gc.apply(workflow.Actor{Name: "系统", Roles: []gl.Role{gl.RoleSystem}}, workflow.Input{Action: gl.ActionFlagOverdue}, flagAt)
	}
}

func (gc *genCase) apply(a workflow.Actor, in workflow.Input, at time.Time) {
	if gc.err != nil {
		return
	}
	g := gc.g
	catCode := gc.c.CategoryCode
	if in.Action == gl.ActionRegister && in.CategoryCode != "" {
		catCode = in.CategoryCode
	}
	env := workflow.Env{Now: at, Calendar: g.svc.Calendar(), Category: g.catBy[catCode], Depts: g.depts, Policy: g.svc.Policy}
	c := gc.c
	if in.Action == gl.ActionRegister {
		c.SuggestedDeptID = g.suggestDept(catCode, c.AreaCode)
	}
	r, err := workflow.Apply(c, a, in, env)
	if err != nil {
		gc.err = fmt.Errorf("%s: %w", in.Action, err)
		return
	}
	ev := r.Event
	ev.Seq = len(gc.events) + 1
	gc.c = r.Case
	gc.events = append(gc.events, &ev)
}

// do is a staff action after a pause.
func (gc *genCase) do(a workflow.Actor, in workflow.Input) {
	gc.step(5, 150)
	gc.flagIfDue(gc.clock)
	gc.apply(a, in, gc.clock)
}

func (gc *genCase) role(r gl.Role, in workflow.Input) { gc.do(gc.g.users[r], in) }

func (gc *genCase) handler(in workflow.Input) {
	a, ok := gc.g.handlers[gc.dept]
	if !ok {
		name := "经办人"
		if d, ok := gc.g.depts.Get(gc.dept); ok {
			name = d.Name + " 经办人"
		}
		a = workflow.Actor{Name: name, Roles: []gl.Role{gl.RoleHandler}, Depts: gc.g.depts.Subtree(gc.dept)}
	}
	gc.do(a, in)
}

func (gc *genCase) reporter(in workflow.Input) {
	gc.step(30, 600)
	gc.apply(workflow.Actor{Name: "报告人", Roles: []gl.Role{gl.RoleCitizen}}, in, gc.clock)
}

func (g *generator) suggestDept(cat, area string) int64 {
	k := [2]string{cat, area}
	if id, ok := g.suggest[k]; ok {
		return id
	}
	id, err := g.svc.SuggestDept(g.ctx, cat, area)
	if err != nil {
		id = 0
	}
	g.suggest[k] = id
	return id
}

func genYes() *bool { t := true; return &t }
func genNo() *bool  { f := false; return &f }

// drive takes the case to target as the demo's simulation does, through workflow.Apply.
func (gc *genCase) drive(target gl.Status, cat *gl.Category) {
	g, rng := gc.g, gc.g.rng
	switch target {
	case gl.StatusReported:
		return
	case gl.StatusWithdrawn:
		gc.reporter(workflow.Input{Action: gl.ActionWithdraw})
		return
	case gl.StatusMerged:
		if len(g.recent) > 0 {
			gc.role(gl.RoleOperator, workflow.Input{Action: gl.ActionMerge, ParentCode: g.recent[rng.IntN(len(g.recent))], Note: "与已受理案件为同一问题"})
			return
		}
	}
	if gc.c.Status == gl.StatusVerifying || (gc.c.Channel != gl.ChannelPatrol && rng.IntN(2) == 0) {
		if gc.c.Status != gl.StatusVerifying {
			gc.role(gl.RoleOperator, workflow.Input{Action: gl.ActionSendVerify})
		}
		if target == gl.StatusVerifying {
			return
		}
		gc.role(gl.RoleGridMember, workflow.Input{Action: gl.ActionVerify, Valid: genYes(), Note: "现场核实，情况属实"})
	}
	if target == gl.StatusRejected {
		gc.role(gl.RoleShiftLead, workflow.Input{Action: gl.ActionReject, Note: "不属于城市管理范围，已告知当事人向相关部门反映"})
		return
	}
	gc.role(gl.RoleShiftLead, workflow.Input{Action: gl.ActionRegister, CategoryCode: cat.Code})
	if target == gl.StatusRegistered || target == gl.StatusVerifying {
		return
	}
	gc.dept = gc.c.SuggestedDeptID
	if gc.dept == 0 {
		gc.dept = g.fallback
	}
	if rng.IntN(12) == 0 && gc.dept != g.fallback { // a wrong first dispatch, returned
		right := gc.dept
		gc.dept = g.fallback
		gc.role(gl.RoleDispatcher, workflow.Input{Action: gl.ActionDispatch, DeptID: g.fallback})
		gc.handler(workflow.Input{Action: gl.ActionRequestReturn, Note: "不属于本单位职责范围"})
		gc.role(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
		gc.dept = right
	}
	gc.role(gl.RoleDispatcher, workflow.Input{Action: gl.ActionDispatch, DeptID: gc.dept})
	if target == gl.StatusDispatched {
		return
	}
	gc.handler(workflow.Input{Action: gl.ActionSign})
	if rng.IntN(8) == 0 {
		gc.handler(workflow.Input{Action: gl.ActionRequestExtension, Note: "需协调施工队伍，申请延期", Limit: genExtension(cat)})
		if target == gl.StatusHandling && rng.IntN(2) == 0 {
			return // left pending for the dispatcher
		}
		gc.role(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
	}
	if target == gl.StatusSuspended {
		gc.handler(workflow.Input{Action: gl.ActionRequestSuspension, Note: "涉及产权纠纷，需待法院判决后处理"})
		gc.role(gl.RoleDispatcher, workflow.Input{Action: gl.ActionApprove})
		return
	}
	if target == gl.StatusHandling {
		return
	}
	feedback := workflow.Input{Action: gl.ActionFeedback, Note: "已到现场处置完毕：" + cat.ClosingCondition}
	gc.handler(feedback)
	if target == gl.StatusHandled {
		return
	}
	gc.role(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
	if target == gl.StatusChecking {
		return
	}
	if rng.IntN(6) == 0 { // rework
		gc.role(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: genNo(), Note: "现场核查未处置到位"})
		gc.handler(workflow.Input{Action: gl.ActionFeedback, Note: "已按核查意见返工，重新处置完毕：" + cat.ClosingCondition})
		gc.role(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
	}
	gc.role(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: genYes(), Note: "现场核查，已处置到位"})
	if target == gl.StatusChecked {
		return
	}
	gc.role(gl.RoleShiftLead, workflow.Input{Action: gl.ActionClose})
	if gc.c.Channel == gl.ChannelPatrol || rng.IntN(3) == 0 {
		return // not every reporter rates
	}
	if rng.IntN(10) == 0 { // "not fixed": reopened and done again
		gc.reporter(workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Unsatisfied, Fixed: genNo(), Note: "问题没有解决"})
		gc.handler(workflow.Input{Action: gl.ActionFeedback, Note: "市民反映未解决，已再次到现场处置：" + cat.ClosingCondition})
		gc.role(gl.RoleOperator, workflow.Input{Action: gl.ActionSendCheck})
		gc.role(gl.RoleGridMember, workflow.Input{Action: gl.ActionCheck, Passed: genYes(), Note: "复查已处置到位"})
		gc.role(gl.RoleShiftLead, workflow.Input{Action: gl.ActionClose})
	}
	sat := []gl.Satisfaction{gl.Satisfied, gl.Satisfied, gl.Satisfied, gl.Basic, gl.Unsatisfied}[rng.IntN(5)]
	gc.reporter(workflow.Input{Action: gl.ActionRate, Satisfaction: sat, Fixed: genYes()})
}

// genExtension is a plausible extra time for an extension request: half the limit.
func genExtension(cat *gl.Category) *worktime.Limit {
	l := cat.Limit(false)
	l.Value = max(1, l.Value/2)
	return &l
}
