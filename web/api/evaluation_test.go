package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/workflow"
)

// exerciseEvaluation calls every route of evaluation.go and export.go once with
// success, and some refusals, through the validating client: TestOpenAPIValidatesRealTraffic
// calls it after its flows, so that the document covers these routes too.
func exerciseEvaluation(t *testing.T, c *city) {
	t.Helper()
	defer shortStream()()
	month := time.Now().In(shanghai).Format("2006-01")
	c.want(200, "GET", "/api/v1/evaluation", "supervisor", nil)
	c.want(200, "GET", "/api/v1/evaluation?dim=area&period=week&level=community", "supervisor", nil)
	c.want(200, "GET", "/api/v1/evaluation?dim=department&subtree=true&top=1&start="+time.Now().Format("2006-01-02"), "supervisor", nil)
	c.want(400, "GET", "/api/v1/evaluation?dim=planet", "supervisor", nil, bad, "")
	c.want(200, "GET", "/api/v1/evaluation/indicators", "operator", nil)
	c.want(200, "GET", "/api/v1/evaluation/weights", "operator", nil)
	c.want(200, "PUT", "/api/v1/evaluation/weights/grid_member", "admin", map[string]any{"weights": map[string]any{"valid_report_rate": 50, "verify_on_time_rate": 50}})
	c.want(400, "PUT", "/api/v1/evaluation/weights/grid_member", "admin", map[string]any{"weights": map[string]any{"valid_report_rate": -1}}, bad, "")
	c.want(403, "PUT", "/api/v1/evaluation/weights/grid_member", "supervisor", map[string]any{"weights": nil})
	c.want(200, "PUT", "/api/v1/evaluation/weights/grid_member", "admin", map[string]any{"weights": nil})
	c.want(200, "GET", "/api/v1/dashboard", "supervisor", nil)
	c.want(200, "GET", "/api/v1/events/stream?max_seconds=1", "supervisor", nil)
	c.want(400, "GET", "/api/v1/events/stream?max_seconds=0", "supervisor", nil, bad, "")
	c.want(200, "GET", "/api/v1/reports/evaluation.xlsx?by=department&month="+month, "supervisor", nil)
	c.want(400, "GET", "/api/v1/reports/evaluation.xlsx?month=November", "supervisor", nil, bad, "")
	c.want(200, "GET", "/api/v1/exports/cases.csv?status=handling,closed", "supervisor", nil)
	c.want(400, "GET", "/api/v1/exports/cases.csv?from=yesterday", "supervisor", nil, bad, "")
	job := c.want(202, "POST", "/api/v1/exports?kind=cases.csv", "supervisor", nil)
	done := waitExport(t, c, job.str("id"), "supervisor")
	c.want(200, "GET", done.str("file_url"), "supervisor", nil)
	c.want(404, "GET", "/api/v1/exports/"+job.str("id"), "operator", nil) // another user's job
	c.want(404, "GET", "/api/v1/exports/no-such-job/file", "supervisor", nil)
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// shortStream makes streams poll and beat quickly, and returns the undo.
func shortStream() func() {
	poll, beat := api.StreamPoll, api.StreamHeartbeat
	api.StreamPoll, api.StreamHeartbeat = 50*time.Millisecond, 300*time.Millisecond
	return func() { api.StreamPoll, api.StreamHeartbeat = poll, beat }
}

// waitExport polls an export job until it is done.
func waitExport(t *testing.T, c *city, id, user string) answer {
	t.Helper()
	for range 200 {
		a := c.want(200, "GET", "/api/v1/exports/"+id, user, nil)
		switch a.str("status") {
		case "done":
			return a
		case "failed":
			t.Fatalf("export failed: %s", a.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("export %s did not finish", id)
	return answer{}
}

// evalFixture is a city with areas and a grid, three departments, scoped users, and
// cases through the whole loop reported today.
type evalFixture struct {
	*city
	codes map[string][]string // department code → its cases
}

func newEvalFixture(t *testing.T, b dbtest.Backend) *evalFixture {
	t.Helper()
	_, router := loadDoc(t)
	c := newCity(t, b, router)
	ctx := context.Background()
	svc := c.svc
	err := svc.ImportAreas(ctx, []gl.Area{
		{Code: "330100", Name: "杭州市", Level: gl.LevelCity},
		{Code: "330106", Name: "西湖区", Level: gl.LevelDistrict, ParentCode: "330100"},
		{Code: "330106002", Name: "北山街道", Level: gl.LevelStreet, ParentCode: "330106"},
		{Code: "330106002056", Name: "曲院社区", Level: gl.LevelCommunity, ParentCode: "330106002"},
		{Code: "330106004", Name: "西溪街道", Level: gl.LevelStreet, ParentCode: "330106"},
		{Code: "330106004053", Name: "石灰桥社区", Level: gl.LevelCommunity, ParentCode: "330106004"},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.UpdateGeo(ctx, func(tx *store.Tx) error {
		box := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
			return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
		}
		return tx.PutGrids(ctx, []store.GridShape{
			{Code: "330106002056001", AreaCode: "330106002056", Geom: box(120.14, 30.25, 120.16, 30.27)},
			{Code: "330106004053001", AreaCode: "330106004053", Geom: box(120.14, 30.27, 120.16, 30.29)},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ code, parent, area string }{{"A", "", "330106002"}, {"A1", "A", ""}, {"B", "", "330106004"}} {
		dep := &gl.Department{Code: d.code, Name: "部门" + d.code, Kind: gl.DeptBureau, ParentID: c.dept[d.parent], AreaCode: d.area}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		c.dept[d.code] = dep.ID
	}
	for _, u := range []struct {
		name  string
		role  gl.Role
		depts []int64
		areas []string
	}{
		{"handler_a", gl.RoleHandler, []int64{c.dept["A"]}, nil},
		{"handler_a1", gl.RoleHandler, []int64{c.dept["A1"]}, nil},
		{"handler_b", gl.RoleHandler, []int64{c.dept["B"]}, nil},
		{"street_beishan", gl.RoleSupervisor, nil, []string{"330106002"}},
		{"worker_beishan", gl.RoleGridMember, nil, []string{"330106002056"}},
	} {
		if err := svc.AddUser(ctx, &gl.User{Name: u.name, Roles: []gl.Role{u.role}, DeptScope: u.depts, AreaScope: u.areas}, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.tokens[u.name], err = svc.IssueToken(ctx, u.name, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	f := &evalFixture{city: c, codes: map[string][]string{}}
	principal := func(name string) *service.Principal {
		u, err := svc.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return svc.NewPrincipal(u)
	}
	act := func(who, code string, in workflow.Input) {
		t.Helper()
		if _, err := svc.Act(ctx, principal(who), code, in, nil); err != nil {
			t.Fatalf("%s %s as %s: %v", in.Action, code, who, err)
		}
	}
	yes, no := true, false
	// Cases in 北山 go to A (two closed, satisfied; one handling), in 西溪 to B (one
	// closed after a failed check, one handling, one still waiting for dispatch).
	for i, plan := range []struct {
		dept, handler string
		lat           float64
		close, rework bool
	}{
		{"A", "handler_a", 30.26, true, false}, {"A", "handler_a", 30.26, true, false}, {"A", "handler_a", 30.255, false, false},
		{"B", "handler_b", 30.28, true, true}, {"B", "handler_b", 30.285, false, false}, {"", "", 30.28, false, false},
	} {
		lat, lng := plan.lat, 120.15
		res, err := svc.Report(ctx, principal("operator"), service.ReportInput{Description: fmt.Sprintf("问题%d", i),
			Lat: &lat, Lng: &lng, Channel: gl.ChannelHotline, CategoryCode: "E0101"}, "")
		if err != nil {
			t.Fatal(err)
		}
		code := res.Case.Code
		act("shift_lead", code, workflow.Input{Action: gl.ActionRegister})
		if plan.dept == "" {
			continue
		}
		f.codes[plan.dept] = append(f.codes[plan.dept], code)
		act("dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept[plan.dept]})
		act(plan.handler, code, workflow.Input{Action: gl.ActionSign})
		if !plan.close {
			continue
		}
		act(plan.handler, code, workflow.Input{Action: gl.ActionFeedback, Note: "已处理"})
		checker := "worker_beishan"
		if plan.dept == "B" {
			checker = "grid_member" // 西溪 is outside worker_beishan's scope
		}
		if plan.rework {
			act("operator", code, workflow.Input{Action: gl.ActionSendCheck})
			act(checker, code, workflow.Input{Action: gl.ActionCheck, Passed: &no, Note: "未处理完"})
			act(plan.handler, code, workflow.Input{Action: gl.ActionFeedback, Note: "已返工"})
		}
		act("operator", code, workflow.Input{Action: gl.ActionSendCheck})
		act(checker, code, workflow.Input{Action: gl.ActionCheck, Passed: &yes})
		act("shift_lead", code, workflow.Input{Action: gl.ActionClose})
		if _, err := svc.ActAsReporter(ctx, res.TrackingToken, workflow.Input{Action: gl.ActionRate,
			Satisfaction: gl.Satisfied, Fixed: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// rows maps an evaluation answer's rows by id.
func rows(a answer) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := a.get("rows").([]any)
	for _, r := range list {
		m := r.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func indicator(row map[string]any, id string) any {
	for _, v := range row["indicators"].([]any) {
		m := v.(map[string]any)
		if m["id"] == id {
			return m["value"]
		}
	}
	return "missing"
}

func checkValidated(t *testing.T, c *city) {
	t.Helper()
	for _, ex := range c.val.log {
		name := fmt.Sprintf("%s %s → %d", ex.method, ex.path, ex.status)
		switch {
		case ex.route == "":
			t.Errorf("%s: %v", name, ex.reqErr)
		case ex.bad && ex.reqErr == nil:
			t.Errorf("%s: breaks the document on purpose, yet validates", name)
		case !ex.bad && ex.reqErr != nil:
			t.Errorf("%s: request does not match the document: %v", name, ex.reqErr)
		}
		if ex.respErr != nil {
			t.Errorf("%s: answer does not match the document: %.1500s", name, ex.respErr.Error())
		}
	}
}

// TestEvaluationAPI checks the figures, scores, scopes and names of the evaluation, the
// weights, the dashboard, the live feed, the workbook and the exports, on both
// databases, every exchange validated against the OpenAPI document.
func TestEvaluationAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newEvalFixture(t, b)
		c := f.city
		a, b1 := fmt.Sprint(c.dept["A"]), fmt.Sprint(c.dept["B"])

		// Departments this month: A closed 2 of 2 on time, satisfied; B closed 1 after a rework.
		ev := c.want(200, "GET", "/api/v1/evaluation?dim=department", "supervisor", nil)
		rs := rows(ev)
		if len(rs) != 2 || rs[a] == nil || rs[b1] == nil {
			t.Fatalf("department rows: %s", ev.raw)
		}
		if rs[a]["name"] != "部门A" || indicator(rs[a], "handled_on_time_rate") != 1.0 || indicator(rs[a], "satisfaction_rate") != 1.0 {
			t.Errorf("A: %v", rs[a])
		}
		if indicator(rs[b1], "rework_rate") != 0.5 || indicator(rs[a], "rework_rate") != 0.0 {
			t.Errorf("rework: A %v, B %v", indicator(rs[a], "rework_rate"), indicator(rs[b1], "rework_rate"))
		}
		if rs[a]["rank"] != 1.0 || rs[b1]["rank"] != 2.0 || rs[a]["score"].(float64) <= rs[b1]["score"].(float64) {
			t.Errorf("ranking: A %v %v, B %v %v", rs[a]["rank"], rs[a]["score"], rs[b1]["rank"], rs[b1]["score"])
		}
		if ev.str("weights_for") != "department" || ev.get("indicators.0.definition") == "" || ev.str("period") != "month" {
			t.Errorf("evaluation head: %.400s", ev.raw)
		}
		if indicator(rs[a], "valid_report_rate") != nil {
			t.Errorf("an indicator without data must be null: %v", indicator(rs[a], "valid_report_rate"))
		}

		// Scope: a department's handler sees its subtree only; a street supervisor its
		// areas and the departments of its street; the city and roles are for the city.
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=department", "handler_a", nil)); len(got) != 1 || got[a] == nil {
			t.Errorf("handler_a sees departments %v", keys(got))
		}
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=department", "handler_a1", nil)); len(got) != 0 {
			t.Errorf("handler_a1 sees departments %v", keys(got))
		}
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=area", "handler_a", nil)); len(got) != 0 {
			t.Errorf("a department scope sees areas %v", keys(got))
		}
		areas := rows(c.want(200, "GET", "/api/v1/evaluation?dim=area", "supervisor", nil))
		if len(areas) != 5 || areas["330106002056"]["name"] != "曲院社区" || areas["330106"]["level"] != "district" {
			t.Errorf("areas: %v", keys(areas))
		}
		street := rows(c.want(200, "GET", "/api/v1/evaluation?dim=area", "street_beishan", nil))
		if len(street) != 2 || street["330106002"] == nil || street["330106002056"] == nil {
			t.Errorf("北山 supervisor sees areas %v", keys(street))
		}
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=department", "street_beishan", nil)); len(got) != 1 || got[a] == nil {
			t.Errorf("北山 supervisor sees departments %v", keys(got))
		}
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=grid_member", "street_beishan", nil)); len(got) != 1 {
			t.Errorf("北山 supervisor sees grid workers %v", keys(got))
		}
		for _, dim := range []string{"city", "role"} {
			if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim="+dim, "street_beishan", nil)); len(got) != 0 {
				t.Errorf("a scoped user sees %s rows %v", dim, keys(got))
			}
		}
		c.want(400, "GET", "/api/v1/evaluation?dim=area&level=planet", "supervisor", nil, bad, "")
		c.want(400, "GET", "/api/v1/evaluation?dim=department&level=street", "supervisor", nil)
		if got := rows(c.want(200, "GET", "/api/v1/evaluation?dim=area&level=community", "supervisor", nil)); len(got) != 2 {
			t.Errorf("communities: %v", keys(got))
		}
		// Paged, the page's rows are ranked among all and read whole.
		full := c.want(200, "GET", "/api/v1/evaluation?dim=department", "supervisor", nil)
		for i, path := range []string{"?dim=department&limit=1", "?dim=department&limit=1&offset=1"} {
			page := c.want(200, "GET", "/api/v1/evaluation"+path, "supervisor", nil)
			if page.num("total") != 2 || len(page.get("rows").([]any)) != 1 {
				t.Fatalf("%s: %.300s", path, page.raw)
			}
			want, _ := json.Marshal(full.get(fmt.Sprintf("rows.%d", i)))
			got, _ := json.Marshal(page.get("rows.0"))
			if string(got) != string(want) {
				t.Errorf("%s: row\n %s\nwant\n %s", path, got, want)
			}
		}
		c.want(400, "GET", "/api/v1/evaluation?limit=-1", "supervisor", nil, bad, "")
		roles := rows(c.want(200, "GET", "/api/v1/evaluation?dim=role&period=day", "supervisor", nil))
		if roles["shift_lead"]["name"] != "值班长" || roles["shift_lead"]["weights_for"] != "shift_lead" || roles["operator"]["score"] != nil {
			t.Errorf("roles: %v %v", roles["shift_lead"], roles["operator"])
		}
		top := rows(c.want(200, "GET", "/api/v1/evaluation?dim=department&subtree=1&top=1&period=week", "supervisor", nil))
		if len(top) != 2 {
			t.Errorf("top-level departments: %v", keys(top))
		}
		last := time.Now().In(shanghai).AddDate(0, -2, 0).Format("2006-01-02")
		if got := c.want(200, "GET", "/api/v1/evaluation?start="+last, "supervisor", nil); len(rows(got)) != 0 || !strings.HasSuffix(got.str("start"), "-01") {
			t.Errorf("two months ago: %.300s", got.raw)
		}

		// Weights: an admin's weights change the scores; null restores the defaults.
		c.want(200, "PUT", "/api/v1/evaluation/weights/department", "admin", map[string]any{"weights": map[string]any{"rework_rate": 1}})
		rs = rows(c.want(200, "GET", "/api/v1/evaluation?dim=department", "supervisor", nil))
		if rs[a]["score"] != 100.0 || rs[b1]["score"] != 50.0 {
			t.Errorf("scores by rework alone: A %v, B %v", rs[a]["score"], rs[b1]["score"])
		}
		if w := c.want(200, "GET", "/api/v1/evaluation/weights", "operator", nil); w.get("weights.department.rework_rate") != 1.0 {
			t.Errorf("weights: %.300s", w.raw)
		}
		c.want(400, "PUT", "/api/v1/evaluation/weights/department", "admin", map[string]any{"weights": map[string]any{"charm": 1}})
		c.want(400, "PUT", "/api/v1/evaluation/weights/department", "admin", map[string]any{"weights": map[string]any{"rework_rate": 0}})
		c.want(400, "PUT", "/api/v1/evaluation/weights/astronaut", "admin", map[string]any{"weights": nil}, bad, "")
		c.want(403, "PUT", "/api/v1/evaluation/weights/department", "supervisor", map[string]any{"weights": nil})
		c.want(200, "PUT", "/api/v1/evaluation/weights/department", "admin", map[string]any{"weights": map[string]any{}})
		if w := c.want(200, "GET", "/api/v1/evaluation/weights", "operator", nil); w.get("weights.department.handled_on_time_rate") != 30.0 {
			t.Errorf("defaults not restored: %.300s", w.raw)
		}
		if ind := c.want(200, "GET", "/api/v1/evaluation/indicators", "operator", nil); ind.str("items.0.name") != "立案率" {
			t.Errorf("indicators: %.300s", ind.raw)
		}

		// The dashboard.
		d := c.want(200, "GET", "/api/v1/dashboard", "supervisor", nil)
		if d.num("today_cases.total") != 6 || d.num("open.total") != 3 || d.str("scope") != "city" {
			t.Errorf("dashboard today %v open %v: %.600s", d.get("today_cases.total"), d.get("open.total"), d.raw)
		}
		trend, _ := d.get("trend").([]any)
		if len(trend) != service.TrendDays || trend[len(trend)-1].(map[string]any)["reported"] != 6.0 {
			t.Errorf("trend: %v", trend[len(trend)-1])
		}
		if d.str("top_categories.0.code") != "E0101" || d.num("top_categories.0.count") != 6 || d.str("top_categories.0.name") != "暴露垃圾" {
			t.Errorf("top categories: %v", d.get("top_categories"))
		}
		if d.str("department_ranking.0.name") != "部门A" || d.num("department_ranking.0.rank") != 1 {
			t.Errorf("ranking: %v", d.get("department_ranking"))
		}
		heat, _ := d.get("heat.grids").([]any)
		if len(heat) != 2 || d.num("heat.communities.0.count")+d.num("heat.communities.1.count") != 6 {
			t.Errorf("heat: %v", d.get("heat"))
		}
		if d.num("overdue.total") != 0 {
			t.Errorf("overdue: %v", d.get("overdue"))
		}
		// A month on, the two cases still being handled are overdue, oldest first.
		ctx := context.Background()
		c.svc.Now = func() time.Time { return time.Now().Add(40 * 24 * time.Hour) }
		if n, err := c.svc.FlagOverdue(ctx); err != nil || n != 2 {
			t.Fatalf("overdue clock flagged %d: %v", n, err)
		}
		d = c.want(200, "GET", "/api/v1/dashboard", "supervisor", nil)
		if d.num("overdue.total") != 2 || d.str("overdue.items.0.light") != "red" || d.str("overdue.items.0.code") != f.codes["A"][2] {
			t.Errorf("overdue list: %.800s", d.get("overdue"))
		}
		db := c.want(200, "GET", "/api/v1/dashboard", "handler_b", nil)
		if db.num("overdue.total") != 1 || db.str("overdue.items.0.code") != f.codes["B"][1] || db.str("scope") != "department" {
			t.Errorf("handler_b's overdue list: %v", db.get("overdue"))
		}
		if g, _ := db.get("heat.grids").([]any); len(g) != 0 {
			t.Errorf("a department scope sees the heat map: %v", g)
		}
		c.svc.Now = time.Now

		// Exports: CSV inside the scope, streamed and as a job; the workbook.
		csvA := c.want(200, "GET", "/api/v1/exports/cases.csv", "handler_a", nil)
		if !strings.HasPrefix(csvA.raw, "\ufeff案件编号,状态,") || !strings.Contains(csvA.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv head: %.200q", csvA.raw)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvA.raw, "\ufeff"))).ReadAll()
		if err != nil || len(recs) != 1+len(f.codes["A"]) || recs[1][0] != f.codes["A"][0] || recs[1][14] != "部门A" {
			t.Fatalf("handler_a's csv (%v): %q", err, recs)
		}
		all := c.want(200, "GET", "/api/v1/exports/cases.csv?status=closed", "supervisor", nil)
		if n := strings.Count(all.raw, "\r\n"); n != 4 {
			t.Errorf("closed cases csv has %d lines, want 4", n)
		}
		job := c.want(202, "POST", "/api/v1/exports?kind=cases.csv", "handler_a", nil)
		if job.header.Get("Location") != "/api/v1/exports/"+job.str("id") {
			t.Errorf("job location %q", job.header.Get("Location"))
		}
		done := waitExport(t, c, job.str("id"), "handler_a")
		if done.num("rows_done") != 3 || done.num("rows_total") != 3 {
			t.Errorf("job progress: %s", done.raw)
		}
		file := c.want(200, "GET", done.str("file_url"), "handler_a", nil)
		if file.raw != csvA.raw[:len(file.raw)] || len(file.raw) != len(csvA.raw) {
			t.Errorf("the job's file differs from the streamed export")
		}
		c.want(404, "GET", done.str("file_url"), "handler_b", nil)
		xjob := c.want(202, "POST", "/api/v1/exports?kind=evaluation.xlsx&by=area", "supervisor", nil)
		xdone := waitExport(t, c, xjob.str("id"), "supervisor")
		c.want(200, "GET", xdone.str("file_url"), "supervisor", nil)
		c.want(400, "POST", "/api/v1/exports?kind=pdf", "supervisor", nil, bad, "")

		wb := c.want(200, "GET", "/api/v1/reports/evaluation.xlsx", "supervisor", nil)
		x, err := excelize.OpenReader(bytes.NewReader([]byte(wb.raw)))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		want := []string{"单位（含下级）", "部门明细", "区县", "街道", "社区", "指标说明"}
		if got := x.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("sheets %v, want %v", got, want)
		}
		if v, _ := x.GetCellValue("部门明细", "B4"); v != "部门A" {
			t.Errorf("部门明细 B4 = %q, want the best department", v)
		}
		if v, _ := x.GetCellValue("部门明细", "A4"); v != "1" {
			t.Errorf("部门明细 A4 = %q, want rank 1", v)
		}
		if v, _ := x.GetCellValue("指标说明", "C2"); !strings.Contains(v, "立案数") {
			t.Errorf("definitions: %q", v)
		}
		if v, _ := x.GetCellValue("社区", "B4"); v != "曲院社区" && v != "石灰桥社区" {
			t.Errorf("社区 B4 = %q", v)
		}

		checkValidated(t, c)
	})
}

// plainClient reads streams, which the validating client would wait on forever.
var plainClient = &http.Client{}

func newRequest(ctx context.Context, url, token string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return req, nil
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEventStream reads the live feed as a client would: a new event in scope arrives
// as a case_event, one outside the scope does not, heartbeats keep a quiet stream
// alive, and the handler returns when the client goes away.
func TestEventStream(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		defer shortStream()()
		f := newEvalFixture(t, b)
		c := f.city
		ctx := context.Background()
		read := func(user string, d time.Duration, during func()) string {
			t.Helper()
			rctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			req, _ := newRequest(rctx, c.url+"/api/v1/events/stream", c.tokens[user])
			res, err := plainClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
				t.Fatalf("content type %q", ct)
			}
			go func() {
				time.Sleep(150 * time.Millisecond)
				during()
			}()
			var buf bytes.Buffer
			tmp := make([]byte, 4096)
			for {
				n, err := res.Body.Read(tmp)
				buf.Write(tmp[:n])
				if err != nil {
					break
				}
			}
			return buf.String()
		}
		urge := func(code string) func() {
			return func() {
				u, _ := c.svc.UserByName(ctx, "supervisor")
				if _, err := c.svc.Act(ctx, c.svc.NewPrincipal(u), code, workflow.Input{Action: gl.ActionUrge, Note: "请加快"}, nil); err != nil {
					t.Error(err)
				}
			}
		}
		got := read("handler_a", 900*time.Millisecond, urge(f.codes["A"][2]))
		if !strings.Contains(got, "event: case_event") || !strings.Contains(got, `"case_code":"`+f.codes["A"][2]+`"`) ||
			!strings.Contains(got, `"action_label":"督办"`) || !strings.Contains(got, ": ping") {
			t.Errorf("handler_a's stream: %q", got)
		}
		got = read("handler_a", 700*time.Millisecond, urge(f.codes["B"][1]))
		if strings.Contains(got, "event: case_event") {
			t.Errorf("handler_a sees B's case: %q", got)
		}
		// Resuming after an id replays what came since.
		req, _ := newRequest(ctx, c.url+"/api/v1/events/stream?max_seconds=1", c.tokens["supervisor"])
		req.Header.Set("Last-Event-ID", "1")
		res, err := plainClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(res.Body)
		res.Body.Close()
		if n := strings.Count(buf.String(), "event: case_event"); n < 20 {
			t.Errorf("resume from id 1 replayed %d events", n)
		}
	})
}
