package ui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/workflow"
)

// evalCases drives three cases through the loop and returns their codes:
//
//   - a: 市政管理局 (A) signs, handles, the check passes, closed;
//   - b: A signs, handles, the first check fails (rework), handles again, passes, closed;
//   - c: 园林绿化局 (B, handler_b) signs and handles; not yet checked.
//
// A's month: signed 2/2 on time, handled 3/3 on time, checks 3 with 1 rework, closed
// 2/2, no extension, no rating — score with the department's default weights
// (10 + 10 + 30 + 15 × 2/3 + 5) / 70 = 92.86. B's: 100 (no checks, so no 返工率).
func evalCases(t *testing.T, c *city) (a, b, cc string) {
	t.Helper()
	ctx := context.Background()
	hb := &gl.User{Name: "handler_b", DisplayName: "园林 孙丽", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["B"]}}
	if err := c.svc.AddUser(ctx, hb, testPassword); err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	through := func(code, handler string, dept int64) {
		c.act(t, "shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0101"})
		c.act(t, "dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: dept})
		c.act(t, handler, code, workflow.Input{Action: gl.ActionSign})
		c.act(t, handler, code, workflow.Input{Action: gl.ActionFeedback, Note: "已处理"})
	}
	check := func(code string, passed *bool) {
		c.act(t, "operator", code, workflow.Input{Action: gl.ActionSendCheck})
		c.act(t, "grid_member", code, workflow.Input{Action: gl.ActionCheck, Passed: passed, Note: "现场核查"})
	}
	a = c.report(t, "井盖缺失", 30.25, 120.12)
	through(a, "handler_a", c.dept["A"])
	check(a, &yes)
	c.act(t, "shift_lead", a, workflow.Input{Action: gl.ActionClose})

	b = c.report(t, "路灯不亮", 30.26, 120.13)
	through(b, "handler_a", c.dept["A"])
	check(b, &no)
	c.act(t, "handler_a", b, workflow.Input{Action: gl.ActionFeedback, Note: "重新更换灯泡"})
	check(b, &yes)
	c.act(t, "shift_lead", b, workflow.Input{Action: gl.ActionClose})

	cc = c.report(t, "树木倒伏", 30.27, 120.14)
	through(cc, "handler_b", c.dept["B"])
	return a, b, cc
}

// cell is the figure of indicator id in a ranking row's HTML: "100%2/2" (the rate and
// numerator/denominator, tags removed).
func cell(row, id string) string {
	i := strings.Index(row, `data-ind="`+id+`"`)
	if i < 0 {
		return ""
	}
	s := row[i:]
	s = s[strings.Index(s, ">")+1:]
	s = s[:strings.Index(s, "</td>")]
	return stripTags(s)
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func scoreOf(row string) string {
	i := strings.Index(row, `class="score">`)
	if i < 0 {
		return ""
	}
	s := row[i+len(`class="score">`):]
	return s[:strings.Index(s, "<")]
}

// TestEvaluationPages checks the ranking, the definitions, the weights form and its
// errors, and the scopes, with figures computed by hand from cases driven through the
// loop, on both databases.
func TestEvaluationPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		base := c.url
		evalCases(t, c)
		idA, idB := strconv.FormatInt(c.dept["A"], 10), strconv.FormatInt(c.dept["B"], 10)

		// The ranking: this month's departments by default, B (100) before A (92.86).
		sup := signIn(t, base, "supervisor")
		st, body, _ := get(t, sup, base+"/evaluation")
		if st != 200 {
			t.Fatalf("ranking: %d", st)
		}
		rowA, rowB := rowOf(body, `id="row-`+idA+`"`), rowOf(body, `id="row-`+idB+`"`)
		if !strings.Contains(rowA, "市政管理局") || !strings.Contains(rowB, "园林绿化局") {
			t.Fatalf("rows: A %q, B %q", rowA, rowB)
		}
		for _, w := range []struct{ id, want string }{
			{evaluation.ClosingRate, "100%2/2"}, {evaluation.ReworkRate, "33.33%1/3"}, {evaluation.HandlingRate, "100%3/3"},
			{evaluation.SignOnTimeRate, "100%2/2"}, {evaluation.ExtensionRate, "0%0/3"}, {evaluation.SatisfactionRate, "—"},
		} {
			if got := cell(rowA, w.id); got != w.want {
				t.Errorf("A's %s: %q, want %q", w.id, got, w.want)
			}
		}
		if s := scoreOf(rowA); s != "92.86" {
			t.Errorf("A's score %q, want 92.86", s)
		}
		if s := scoreOf(rowB); s != "100.00" {
			t.Errorf("B's score %q, want 100.00", s)
		}
		if !strings.Contains(rowB, `<td class="rank">1</td>`) || !strings.Contains(rowA, `<td class="rank">2</td>`) ||
			strings.Index(body, `id="row-`+idB+`"`) > strings.Index(body, `id="row-`+idA+`"`) {
			t.Error("B should rank first, A second")
		}
		// Each figure's definition: a header tooltip, a link and a footnote.
		head := rowOf(body, `id="col-closing_rate"`)
		if !strings.Contains(head, "结案数 ÷ 应结案数") || !strings.Contains(body, `href="/evaluation/indicators#closing_rate"`) ||
			!strings.Contains(body, `id="def-closing_rate"`) || !strings.Contains(body, "权重 30") || !strings.Contains(body, "按期处置率 30") {
			t.Error("the figures' definitions or weights are missing")
		}
		if strings.Contains(body, "eval.") {
			t.Errorf("an untranslated key: %s", body[strings.Index(body, "eval."):][:40])
		}
		// Other periods and dimensions.
		if _, body, _ := get(t, sup, base+"/evaluation?period=day"); scoreOf(rowOf(body, `id="row-`+idA+`"`)) != "92.86" {
			t.Error("today's ranking differs from the month's")
		}
		gm, _ := c.svc.UserByName(t.Context(), "grid_member")
		_, body, _ = get(t, sup, base+"/evaluation?dim=grid_member")
		if row := rowOf(body, `id="row-`+strconv.FormatInt(gm.ID, 10)+`"`); !strings.Contains(row, "网格员 陈静") || cell(row, evaluation.CheckOnTimeRate) != "100%3/3" {
			t.Errorf("grid worker row: %q", stripTags(row))
		}
		if st, body, _ := get(t, sup, base+"/evaluation?dim=role"); st != 200 || !strings.Contains(body, "值班长") {
			t.Fatalf("roles: %d", st)
		}
		if st, body, _ := get(t, sup, base+"/evaluation?dim=unit"); st != 200 || !strings.Contains(rowOf(body, `id="row-`+idA+`"`), "92.86") {
			t.Fatalf("units: %d", st)
		}
		if st, body, _ := get(t, sup, base+"/evaluation?date=2026-13-45"); st != 422 || !strings.Contains(body, "日期须为 YYYY-MM-DD") || !strings.Contains(body, `value="2026-13-45"`) {
			t.Fatalf("bad date: %d", st)
		}
		if st, _, _ := get(t, sup, base+"/evaluation?dim=nope"); st != 422 {
			t.Fatalf("bad dimension: %d", st)
		}

		// A department-scoped user sees its own department only, and no place figures.
		ha := signIn(t, base, "handler_a")
		_, body, _ = get(t, ha, base+"/evaluation")
		if !strings.Contains(body, `id="row-`+idA+`"`) || strings.Contains(body, "园林绿化局") || !strings.Contains(body, `id="scoped"`) {
			t.Error("handler_a's ranking is not limited to department A")
		}
		if _, body, _ := get(t, ha, base+"/evaluation?dim=district"); !strings.Contains(body, `id="empty"`) {
			t.Error("handler_a sees area figures")
		}

		// The definitions page: every indicator with formula, events, standard, weights.
		gmc := signIn(t, base, "grid_member")
		st, body, _ = get(t, gmc, base+"/evaluation/indicators")
		if st != 200 {
			t.Fatalf("definitions: %d", st)
		}
		body = html.UnescapeString(body)
		for _, ind := range evaluation.Indicators {
			if !strings.Contains(body, `id="`+ind.ID+`"`) || !strings.Contains(body, ind.Definition) {
				t.Errorf("definitions lack %s", ind.ID)
			}
		}
		sec := body[strings.Index(body, `id="registration_rate"`):]
		sec = sec[:strings.Index(sec, "</section>")]
		for _, want := range []string{"立案数 ÷ (立案数 + 不予立案数 + 合并数)", "不予立案（reject）", "GB/T 30428.4"} {
			if !strings.Contains(sec, want) {
				t.Errorf("立案率 lacks %q", want)
			}
		}
		sec = body[strings.Index(body, `id="handled_on_time_rate"`):]
		sec = sec[:strings.Index(sec, "</section>")]
		if !strings.Contains(sec, "部门 30") || !strings.Contains(sec, "处置时限") {
			t.Errorf("按期处置率 lacks its default weight or timeliness rule: %s", stripTags(sec))
		}
		if !strings.Contains(body, "北京市接诉即办工作条例") || strings.Contains(body, "eval.") {
			t.Error("definitions: standard missing or an untranslated key")
		}

		// Weights: only admins; a bad weight keeps what was typed and saves nothing.
		if st, _, _ := post(t, sup, base+"/admin/evaluation", url.Values{"subject": {"department"}, "w_rework_rate": {"1"}}); st != 403 {
			t.Fatalf("supervisor saving weights: %d", st)
		}
		adm := signIn(t, base, "admin")
		if _, body, _ := get(t, adm, base+"/admin"); !strings.Contains(body, `href="/admin/evaluation"`) {
			t.Error("the admin home does not link the weights")
		}
		st, body, _ = get(t, adm, base+"/admin/evaluation")
		if st != 200 || !strings.Contains(body, `name="w_handled_on_time_rate" value="30"`) {
			t.Fatalf("weights form: %d", st)
		}
		weights := url.Values{"subject": {"department"}, "op": {"save"}, "w_handling_rate": {"10"}, "w_handled_on_time_rate": {"30"}}
		for _, bad := range []struct{ value, want string }{
			{"-5", "「返工率」的权重不能为负数"}, {"abc", "「返工率」的权重须为数字"}, {"NaN", "「返工率」的权重须为数字"},
		} {
			weights.Set("w_rework_rate", bad.value)
			st, body, _ := post(t, adm, base+"/admin/evaluation", weights)
			if st != 422 || !strings.Contains(body, bad.want) || !strings.Contains(body, `name="w_rework_rate" value="`+bad.value+`"`) ||
				!strings.Contains(body, `name="w_handled_on_time_rate" value="30"`) || !strings.Contains(body, "请修改下面标出的内容") {
				t.Fatalf("weight %q: %d %s", bad.value, st, stripTags(rowOf(body, `id="wrow-rework_rate"`)))
			}
		}
		zero := url.Values{"subject": {"department"}, "w_handling_rate": {"0"}, "w_rework_rate": {""}}
		if st, body, _ := post(t, adm, base+"/admin/evaluation", zero); st != 422 || !strings.Contains(body, "至少一项指标的权重须大于 0") || !strings.Contains(body, `name="w_handling_rate" value="0"`) {
			t.Fatalf("all zero: %d", st)
		}
		if w, _ := c.svc.Weights(t.Context(), "department"); !maps(w, evaluation.DefaultWeights("department")) {
			t.Fatalf("a refused form changed the weights: %v", w)
		}
		// Only 返工率 (typed full-width): A scores 1 − 1/3, B has no checks and no score.
		st, _, h := post(t, adm, base+"/admin/evaluation", url.Values{"subject": {"department"}, "w_rework_rate": {"１"}})
		if st != 303 || h.Get("Location") != "/admin/evaluation?subject=department" {
			t.Fatalf("save weights: %d %s", st, h.Get("Location"))
		}
		if _, body, _ := get(t, adm, base+"/admin/evaluation?subject=department"); !strings.Contains(body, "已保存「部门」的权重") || !strings.Contains(body, `name="w_rework_rate" value="1"`) {
			t.Error("saved weights: no flash or not shown")
		}
		_, body, _ = get(t, sup, base+"/evaluation")
		rowA, rowB = rowOf(body, `id="row-`+idA+`"`), rowOf(body, `id="row-`+idB+`"`)
		if scoreOf(rowA) != "66.67" || scoreOf(rowB) != "—" || !strings.Contains(rowA, `<td class="rank">1</td>`) || !strings.Contains(body, "返工率 1") {
			t.Errorf("after the new weights: A %q, B %q", scoreOf(rowA), scoreOf(rowB))
		}
		if _, body, _ := get(t, sup, base+"/evaluation/indicators"); !strings.Contains(rowOf(body, `id="w-rework_rate"`), "（现 1）") {
			t.Error("the definitions do not show the weight in force")
		}
		if st, _, _ := post(t, adm, base+"/admin/evaluation", url.Values{"subject": {"department"}, "op": {"reset"}}); st != 303 {
			t.Fatalf("reset: %d", st)
		}
		if _, body, _ := get(t, sup, base+"/evaluation"); scoreOf(rowOf(body, `id="row-`+idA+`"`)) != "92.86" {
			t.Error("the defaults are not back")
		}
		if st, _, _ := post(t, adm, base+"/admin/evaluation", url.Values{"subject": {"nobody"}, "w_rework_rate": {"1"}}); st != 400 {
			t.Fatalf("unknown subject: %d", st)
		}
	})
}

func maps(a, b evaluation.Weights) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// exportJob starts an export as c with the form, waits for the job and returns the
// downloaded file.
func exportJob(t *testing.T, c *http.Client, base string, form url.Values) (string, http.Header) {
	t.Helper()
	st, body, h := post(t, c, base+"/reports/exports", form)
	loc := h.Get("Location")
	if st != 303 || !strings.HasPrefix(loc, "/reports/exports/") {
		t.Fatalf("start export: %d %s", st, stripTags(body))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body, _ := get(t, c, base+loc+"/progress")
		var s struct {
			State   string `json:"state"`
			Percent int    `json:"percent"`
			Done    int    `json:"done"`
			FileURL string `json:"file_url"`
			Error   string `json:"error"`
		}
		decodeJSON(t, body, &s)
		if s.State == "done" {
			if s.Percent != 100 || s.FileURL != loc+"/file" {
				t.Fatalf("done job: %+v", s)
			}
			break
		}
		if s.State != "running" || time.Now().After(deadline) {
			t.Fatalf("export job: %+v", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	st, body, _ = get(t, c, base+loc)
	if st != 200 || !strings.Contains(body, `id="download"`) || !strings.Contains(body, `href="`+loc+`/file"`) || !strings.Contains(body, "已完成") {
		t.Fatalf("job page: %d", st)
	}
	st, body, h = get(t, c, base+loc+"/file")
	if st != 200 {
		t.Fatalf("file: %d %v", st, h)
	}
	return body, h
}

// exportCSV runs a CSV export of cases and returns the rows' case codes, sorted.
func exportCSV(t *testing.T, c *http.Client, base string, form url.Values) []string {
	t.Helper()
	body, h := exportJob(t, c, base, form)
	if !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), ".csv") {
		t.Fatalf("file: %v", h)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("the CSV has no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) == 0 || recs[0][0] != "案件编号" {
		t.Fatalf("CSV: %v %q", err, recs)
	}
	var codes []string
	for _, r := range recs[1:] {
		codes = append(codes, r[0])
	}
	slices.Sort(codes)
	return codes
}

// TestReportPages checks the workbook download and CSV exports as jobs: filters,
// scope, errors that keep the form, on both databases.
func TestReportPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		base := c.url
		a, bb, cc := evalCases(t, c)
		month := c.svc.Now().In(c.svc.Calendar().Location()).Format("2006-01")

		op := signIn(t, base, "operator")
		st, body, _ := get(t, op, base+"/reports")
		if st != 200 || !strings.Contains(body, `id="workbook-form"`) || !strings.Contains(body, `id="export-form"`) ||
			!strings.Contains(body, `value="`+month+`"`) || strings.Contains(body, "reports.") {
			t.Fatalf("reports page: %d", st)
		}
		// Grid workers read evaluations but may not export cases.
		gmc := signIn(t, base, "grid_member")
		if _, body, _ := get(t, gmc, base+"/reports"); strings.Contains(body, `id="export-form"`) || !strings.Contains(body, `id="no-export"`) {
			t.Error("a grid worker is offered the case export")
		}
		if st, _, _ := post(t, gmc, base+"/reports/exports", url.Values{}); st != 403 {
			t.Fatalf("grid worker export: %d", st)
		}

		// The workbook: a valid xlsx with the departments' sheets and A's score.
		if st, body, _ := get(t, op, base+"/reports/evaluation.xlsx?month=2026-13"); st != 422 || !strings.Contains(body, "月份须为 YYYY-MM 格式") || !strings.Contains(body, `value="2026-13"`) {
			t.Fatalf("bad month: %d", st)
		}
		st, body, h := get(t, op, base+"/reports/evaluation.xlsx?month="+month+"&by=department")
		if st != 200 || h.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
			!strings.Contains(h.Get("Content-Disposition"), "evaluation-"+month+".xlsx") {
			t.Fatalf("workbook: %d %v", st, h)
		}
		x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		defer x.Close()
		if got := x.GetSheetList(); !slices.Equal(got, []string{"单位（含下级）", "部门明细", "指标说明"}) {
			t.Fatalf("sheets %q", got)
		}
		rows, err := x.GetRows("部门明细")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rows {
			if len(r) > 3 && r[1] == "市政管理局" {
				found = true
				if r[0] != "2" || !strings.HasPrefix(r[3], "92.86") {
					t.Errorf("A's row in the workbook: %q", r)
				}
			}
		}
		if !found {
			t.Errorf("A is not in the workbook: %q", rows)
		}

		// CSV exports as jobs: filters, and the user's scope.
		if got := exportCSV(t, op, base, url.Values{"status": {"closed"}}); !slices.Equal(got, sorted(a, bb)) {
			t.Errorf("closed cases: %q", got)
		}
		if got := exportCSV(t, op, base, url.Values{"department": {strconv.FormatInt(c.dept["B"], 10)}}); !slices.Equal(got, []string{cc}) {
			t.Errorf("department B: %q", got)
		}
		if got := exportCSV(t, op, base, url.Values{"q": {"路灯"}, "category": {"C0101"}}); !slices.Equal(got, []string{bb}) {
			t.Errorf("keyword: %q", got)
		}
		ha := signIn(t, base, "handler_a")
		if got := exportCSV(t, ha, base, url.Values{}); !slices.Equal(got, sorted(a, bb)) {
			t.Errorf("handler_a's export: %q", got)
		}
		// The workbook as a job; the reports page lists the session's exports.
		file, h := exportJob(t, op, base, url.Values{"kind": {"evaluation.xlsx"}, "month": {month}, "by": {"area"}})
		if !strings.HasPrefix(h.Get("Content-Type"), "application/vnd.openxmlformats") {
			t.Fatalf("workbook job: %v", h)
		}
		if x, err := excelize.OpenReader(strings.NewReader(file)); err != nil {
			t.Fatalf("the workbook job's file does not open: %v", err)
		} else if got := x.GetSheetList(); !slices.Equal(got, []string{"区县", "街道", "社区", "指标说明"}) {
			t.Fatalf("workbook job's sheets %q", got)
		}
		if _, body, _ := get(t, op, base+"/reports"); strings.Count(rowOf(body, `id="recent-exports"`), `class="badge job-done"`) != 4 ||
			!strings.Contains(body, "evaluation-"+month+".xlsx") {
			t.Error("the reports page does not list the session's exports")
		}
		if st, body, _ := post(t, op, base+"/reports/exports", url.Values{"kind": {"evaluation.xlsx"}, "month": {"11/2026"}}); st != 422 || !strings.Contains(body, "月份须为 YYYY-MM 格式") {
			t.Fatalf("workbook job, bad month: %d", st)
		}
		// Someone else's job is not found.
		_, _, h = post(t, op, base+"/reports/exports", url.Values{"status": {"handled"}})
		job := h.Get("Location")
		if st, _, _ := get(t, ha, base+job); st != 404 {
			t.Fatalf("another user's job: %d", st)
		}
		if st, _, _ := get(t, ha, base+job+"/file"); st != 404 {
			t.Fatalf("another user's file: %d", st)
		}
		// Bad filters keep what was typed.
		st, body, _ = post(t, op, base+"/reports/exports", url.Values{"from": {"2026-11-30"}, "to": {"2026-11-01"}, "q": {"井盖"}})
		if st != 422 || !strings.Contains(body, "结束日期不能早于开始日期") || !strings.Contains(body, `value="井盖"`) || !strings.Contains(body, `value="2026-11-30"`) {
			t.Fatalf("bad range: %d", st)
		}
		if st, body, _ := post(t, op, base+"/reports/exports", url.Values{"from": {"yesterday"}, "status": {"bogus"}}); st != 422 ||
			!strings.Contains(body, "日期须为 YYYY-MM-DD 格式") || !strings.Contains(body, "未知的案件状态") {
			t.Fatalf("bad date and status: %d", st)
		}
	})
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
