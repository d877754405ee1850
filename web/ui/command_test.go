package ui_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/web/ui"
	"github.com/gridloop/gridloop/workflow"
)

// commandSeed is what seedCommand made.
type commandSeed struct {
	west, east []string        // codes of the cases reported in the west and the east street
	overdue    map[string]bool // codes flagged overdue
}

// seedCommand gives the city (with its space) a history for the command dashboard:
// cases reported over the last days (clock moved back), most of them taken round the
// loop and rated, some left handling until they are overdue; cases reported today
// through several channels; handler_b for department B and street_west, a supervisor
// scoped to the west street.
func (c *city) seedCommand(t *testing.T, days int) *commandSeed {
	t.Helper()
	ctx := context.Background()
	svc := c.svc
	depts := []string{"A", "B", "C", "D", "E", "F"}
	for i, name := range []string{"城管执法局", "环境卫生管理处", "住房和城乡建设局", "北山街道办事处"} {
		dep := &gl.Department{Code: depts[2+i], Name: name, Kind: gl.DeptBureau}
		if dep.Code == "F" {
			dep.AreaCode = streetWest // the street's office: in the street supervisor's ranking
		}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		c.dept[dep.Code] = dep.ID
	}
	for _, u := range []*gl.User{
		{Name: "handler_b", DisplayName: "园林 孙丽", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["B"]}},
		{Name: "handler_x", DisplayName: "联络员 吴涛", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["C"], c.dept["D"], c.dept["E"], c.dept["F"]}},
		{Name: "street_west", DisplayName: "北山街道 督办", Roles: []gl.Role{gl.RoleSupervisor}, AreaScope: []string{streetWest}},
	} {
		if err := svc.AddUser(ctx, u, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	who := map[string]*service.Principal{}
	for _, n := range []string{"operator", "shift_lead", "dispatcher", "handler_a", "handler_b", "handler_x", "grid_member"} {
		u, err := svc.UserByName(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		who[n] = svc.NewPrincipal(u)
	}
	clock := time.Now()
	svc.Now = func() time.Time { return clock }
	defer func() { svc.Now = time.Now }()
	step := func() {
		if clock.Before(time.Now().Add(-time.Hour)) {
			clock = clock.Add(6 * time.Minute)
		}
	}
	act := func(p *service.Principal, code string, in workflow.Input) {
		t.Helper()
		step()
		if _, err := svc.Act(ctx, p, code, in, nil); err != nil {
			t.Fatalf("%s %s: %v", in.Action, code, err)
		}
	}
	seed := &commandSeed{overdue: map[string]bool{}}
	cats := []string{"E0101", "C0101", "E0303", "E0101", "E0501", "C0104", "E0503", "E0101", "C0302", "E0201", "E0303", "C0205"}
	yes := true
	report := func(n int, p *service.Principal, ch gl.Channel) (*service.ReportResult, bool) {
		t.Helper()
		lat := 30.226 + float64((n*5)%7)*0.0105
		lng := 120.104 + float64((n*7)%9)*0.0108
		step()
		res, err := svc.Report(ctx, p, service.ReportInput{Description: "巡查发现的问题 " + cats[n%len(cats)],
			Lat: &lat, Lng: &lng, Channel: ch, CategoryCode: cats[n%len(cats)], Address: "测试路 " + itoa(n) + " 号"}, "")
		if err != nil {
			t.Fatal(err)
		}
		west := lng < 120.15
		if west {
			seed.west = append(seed.west, res.Case.Code)
		} else {
			seed.east = append(seed.east, res.Case.Code)
		}
		return res, west
	}
	loc := svc.Calendar().Location()
	n := 0
	for d := days; d >= 1; d-- {
		y, m, dd := time.Now().In(loc).AddDate(0, 0, -d).Date()
		clock = time.Date(y, m, dd, 9, 0, 0, 0, loc)
		for i := 0; i < 1+d%3; i++ {
			n++
			res, _ := report(n, who["operator"], []gl.Channel{gl.ChannelHotline, gl.ChannelWeb, gl.ChannelApp}[n%3])
			code := res.Case.Code
			act(who["shift_lead"], code, workflow.Input{Action: gl.ActionRegister, CategoryCode: cats[n%len(cats)]})
			dept, handler := c.dept[depts[n%len(depts)]], who["handler_x"]
			switch depts[n%len(depts)] {
			case "A":
				handler = who["handler_a"]
			case "B":
				handler = who["handler_b"]
			}
			act(who["dispatcher"], code, workflow.Input{Action: gl.ActionDispatch, DeptID: dept})
			act(handler, code, workflow.Input{Action: gl.ActionSign})
			if d <= 2 || n%4 == 0 {
				continue // left handling: overdue by now
			}
			act(handler, code, workflow.Input{Action: gl.ActionFeedback, Note: "已处理"})
			act(who["operator"], code, workflow.Input{Action: gl.ActionSendCheck})
			act(who["grid_member"], code, workflow.Input{Action: gl.ActionCheck, Passed: &yes})
			act(who["shift_lead"], code, workflow.Input{Action: gl.ActionClose})
			sat := []gl.Satisfaction{gl.Satisfied, gl.Satisfied, gl.Basic, gl.Unsatisfied}[n%4]
			step()
			if _, err := svc.ActAsReporter(ctx, res.TrackingToken, workflow.Input{Action: gl.ActionRate, Satisfaction: sat, Fixed: &yes}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Today, through several channels; a few registered and dispatched, two taken
	// round the whole loop.
	svc.Now = time.Now
	for i, ch := range []gl.Channel{gl.ChannelHotline, gl.ChannelHotline, gl.ChannelWeb, gl.ChannelApp, gl.ChannelPatrol, gl.ChannelCamera, gl.ChannelHotline, gl.ChannelPatrol} {
		n++
		p := who["operator"]
		if ch == gl.ChannelPatrol {
			p = who["grid_member"]
		}
		res, _ := report(n, p, ch)
		code := res.Case.Code
		if i%2 == 1 && ch != gl.ChannelPatrol || ch == gl.ChannelCamera {
			continue
		}
		act(who["shift_lead"], code, workflow.Input{Action: gl.ActionRegister, CategoryCode: cats[n%len(cats)]})
		if i%4 != 0 && ch != gl.ChannelPatrol {
			continue
		}
		act(who["dispatcher"], code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		if ch != gl.ChannelPatrol {
			continue
		}
		act(who["handler_a"], code, workflow.Input{Action: gl.ActionSign})
		act(who["handler_a"], code, workflow.Input{Action: gl.ActionFeedback, Note: "已处理"})
		act(who["operator"], code, workflow.Input{Action: gl.ActionSendCheck})
		act(who["grid_member"], code, workflow.Input{Action: gl.ActionCheck, Passed: &yes})
		act(who["shift_lead"], code, workflow.Input{Action: gl.ActionClose})
	}
	if _, err := svc.FlagOverdue(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*service.Principal{who["shift_lead"]} {
		d, err := svc.DashboardOf(ctx, p, []string{"overdue"})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range d.Overdue.Items {
			seed.overdue[it.Code] = true
		}
	}
	return seed
}

// dashboardOf is the dashboard the service computes for user.
func (c *city) dashboardOf(t *testing.T, user string) *service.Dashboard {
	t.Helper()
	u, err := c.svc.UserByName(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.svc.Dashboard(context.Background(), c.svc.NewPrincipal(u))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCommandPages runs the command dashboard's routes without a browser, on both
// databases: who may open them, what the page frame holds, and that the data and the
// live feed keep to the user's scope.
func TestCommandPages(t *testing.T) {
	defer func(d time.Duration) { api.StreamPoll = d }(api.StreamPoll)
	api.StreamPoll = 100 * time.Millisecond
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		c.addSpace(t)
		seed := c.seedCommand(t, 4)
		base := c.url
		if len(seed.west) == 0 || len(seed.east) == 0 || len(seed.overdue) == 0 {
			t.Fatalf("seed: west %v, east %v, overdue %v", seed.west, seed.east, seed.overdue)
		}

		// Every route needs evaluation.read (every staff role holds it); without a
		// session the browser is sent to sign in.
		for _, rt := range ui.Must(ui.New(c.svc, nil)).Routes() {
			if strings.Contains(rt.Pattern, " /command") && rt.Perm != gl.PermEvalRead {
				t.Errorf("%s needs %s, want %s", rt.Pattern, rt.Perm, gl.PermEvalRead)
			}
		}
		anon := client(t)
		for _, p := range []string{"/command", "/command/data.json", "/command/events/stream?max_seconds=1"} {
			if st, _, h := get(t, anon, base+p); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
				t.Errorf("anonymous %s: %d %s", p, st, h.Get("Location"))
			}
		}

		// The page: the frame, the scripts, the definitions, the nav link.
		sup := signIn(t, base, "supervisor")
		st, body, h := get(t, sup, base+"/command")
		if st != 200 || !strings.Contains(body, `id="command-config"`) || !strings.Contains(body, "/static/command.js?v=") ||
			!strings.Contains(body, "vendor/echarts/echarts.min.js?v=") || !strings.Contains(body, "vendor/leaflet/leaflet.js?v=") ||
			!strings.Contains(body, `data-refresh="60"`) || !strings.Contains(body, "杭州市") || !strings.Contains(body, "统计范围：全市") {
			t.Fatalf("command page: %d %.300s", st, body)
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(body, "<script>") {
			t.Errorf("command page: CSP %q or an inline script", csp)
		}
		for _, want := range []string{"按期处置率：按期处置数 ÷ 应处置数", "满意率：", "综合得分：处置率×10", // ranking columns and score
			"今天上报的案件，按其当前所处状态计数", "近 7 日（含今天）上报的案件数", `href="/command"`, "指挥大屏"} {
			if !strings.Contains(body, want) {
				t.Errorf("command page lacks %q", want)
			}
		}
		if _, en, _ := get(t, sup, base+"/command?lang=en&refresh=30"); !strings.Contains(en, "Grid governance command centre") ||
			!strings.Contains(en, `data-refresh="30"`) || !strings.Contains(en, "On-time handling rate") {
			t.Errorf("English command page: %.300s", en)
		}
		if st, _, _ := get(t, sup, base+"/command?refresh=1"); st != http.StatusBadRequest {
			t.Errorf("refresh=1: %d", st)
		}
		get(t, sup, base+"/command?lang=zh")

		// The data: the service's dashboard for the user's scope.
		var all service.Dashboard
		st, body, _ = get(t, sup, base+"/command/data.json")
		if st != 200 {
			t.Fatalf("data.json: %d %s", st, body)
		}
		decodeJSON(t, body, &all)
		want := c.dashboardOf(t, "supervisor")
		if all.Scope != "city" || all.TodayCases.Total != want.TodayCases.Total || all.TodayCases.Total != 8 ||
			all.Open.Total != want.Open.Total || all.Overdue.Total != len(seed.overdue) || len(all.DepartmentRanking) != len(want.DepartmentRanking) {
			t.Errorf("supervisor's data: today %d (service %d), open %d, overdue %d (seeded %d), ranking %d",
				all.TodayCases.Total, want.TodayCases.Total, all.Open.Total, all.Overdue.Total, len(seed.overdue), len(all.DepartmentRanking))
		}
		if len(all.Heat.Grids) == 0 || len(all.Trend) != service.TrendDays || len(all.TopCategories) == 0 {
			t.Errorf("supervisor's data: heat %d grids, trend %d days, %d categories", len(all.Heat.Grids), len(all.Trend), len(all.TopCategories))
		}
		var part service.Dashboard
		_, body, _ = get(t, sup, base+"/command/data.json?sections=today,overdue")
		decodeJSON(t, body, &part)
		if part.TodayCases.Total != 8 || part.Overdue.Total != all.Overdue.Total || len(part.Trend) != 0 || len(part.Heat.Grids) != 0 {
			t.Errorf("sections=today,overdue: %+v", part)
		}
		if st, body, _ := get(t, sup, base+"/command/data.json?sections=nonsense"); st != 400 || !strings.Contains(body, `"code":"invalid"`) {
			t.Errorf("unknown section: %d %s", st, body)
		}
		var en service.Dashboard
		_, body, _ = get(t, sup, base+"/command/data.json?lang=en")
		decodeJSON(t, body, &en)
		if en.TodayCases.ByStatus[0].Label != "Reported" || en.TodayCases.ByChannel[1].Label != "12345 hotline" {
			t.Errorf("English labels: %+v %+v", en.TodayCases.ByStatus[0], en.TodayCases.ByChannel[1])
		}
		get(t, sup, base+"/command?lang=zh")

		// A street's supervisor sees the street only: its cases, grids and overdue list.
		west := signIn(t, base, "street_west")
		var ws service.Dashboard
		_, body, _ = get(t, west, base+"/command/data.json")
		decodeJSON(t, body, &ws)
		if ws.Scope != "area" || ws.TodayCases.Total == 0 || ws.TodayCases.Total >= all.TodayCases.Total {
			t.Errorf("street_west's today: %d of %d (scope %s)", ws.TodayCases.Total, all.TodayCases.Total, ws.Scope)
		}
		for _, g := range ws.Heat.Grids {
			if !strings.HasPrefix(g.Code, streetWest) {
				t.Errorf("street_west's heat map has grid %s", g.Code)
			}
		}
		for _, code := range seed.east {
			if strings.Contains(body, code) {
				t.Errorf("street_west's data names the east street's case %s", code)
			}
		}
		if ws.Overdue.Total == 0 || ws.Overdue.Total >= all.Overdue.Total {
			t.Errorf("street_west's overdue: %d of %d", ws.Overdue.Total, all.Overdue.Total)
		}
		if _, page, _ := get(t, west, base+"/command"); !strings.Contains(page, "统计范围：西湖区 · 北山街道") ||
			!strings.Contains(page, `"area_scope":["`+streetWest+`"]`) {
			t.Errorf("street_west's page: scope not shown")
		}

		// A department's handler: its department's cases and ranking row, no heat map.
		ha := signIn(t, base, "handler_a")
		var hs service.Dashboard
		_, body, _ = get(t, ha, base+"/command/data.json")
		decodeJSON(t, body, &hs)
		if hs.Scope != "department" || len(hs.Heat.Grids) != 0 || hs.Overdue.Total == 0 {
			t.Errorf("handler_a's data: scope %s, heat %d, overdue %d", hs.Scope, len(hs.Heat.Grids), hs.Overdue.Total)
		}
		for _, it := range hs.Overdue.Items {
			if it.DeptID != c.dept["A"] {
				t.Errorf("handler_a's overdue list has %s of department %d", it.Code, it.DeptID)
			}
		}
		for _, r := range hs.DepartmentRanking {
			if r.ID != c.dept["A"] && r.ID != c.dept["A1"] {
				t.Errorf("handler_a's ranking has department %d", r.ID)
			}
		}

		// The live feed: server-sent events behind the session; a first connection with
		// backlog=1 replays recent events in the scope only.
		feed := func(cl *http.Client, path string) string {
			t.Helper()
			res, err := cl.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
			var sb strings.Builder
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				sb.WriteString(sc.Text() + "\n")
			}
			return sb.String()
		}
		all1 := feed(sup, "/command/events/stream?backlog=1&max_seconds=1")
		if !strings.Contains(all1, "event: case_event") || !strings.Contains(all1, seed.east[len(seed.east)-1]) ||
			!strings.Contains(all1, seed.west[len(seed.west)-1]) {
			t.Errorf("supervisor's backlog: %.500s", all1)
		}
		w1 := feed(west, "/command/events/stream?backlog=1&max_seconds=1")
		if !strings.Contains(w1, seed.west[len(seed.west)-1]) {
			t.Errorf("street_west's backlog lacks its case: %.500s", w1)
		}
		for _, code := range seed.east {
			if strings.Contains(w1, code) {
				t.Errorf("street_west's feed shows the east street's case %s", code)
			}
		}
		if quiet := feed(sup, "/command/events/stream?max_seconds=1"); strings.Contains(quiet, "event: case_event") {
			t.Errorf("a stream without backlog replayed: %.300s", quiet)
		}
		if st, body, _ := get(t, sup, base+"/command/events/stream?max_seconds=0"); st != 400 || !strings.Contains(body, "max_seconds") {
			t.Errorf("max_seconds=0: %d %s", st, body)
		}
	})
}
