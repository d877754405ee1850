package ui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestAdminPages sets up a city through the admin pages, without JavaScript, on both
// databases: limits, departments, accounts, routing, holidays and imports.
func TestAdminPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		base := c.url
		ctx := t.Context()

		// Only administrators.
		op := signIn(t, base, "operator")
		if st, body, _ := get(t, op, base+"/admin"); st != 403 || !strings.Contains(body, "permission admin.console required") {
			t.Fatalf("operator on /admin: %d", st)
		}
		if st, _, _ := post(t, op, base+"/admin/categories", url.Values{"code": {"C0101"}}); st != 403 {
			t.Fatalf("operator posting a category: %d", st)
		}
		adm := signIn(t, base, "admin")
		if st, body, _ := get(t, adm, base+"/admin"); st != 200 || !strings.Contains(body, `href="/admin/routing"`) || !strings.Contains(body, `href="/admin"`) {
			t.Fatalf("admin home: %d", st)
		}

		// Categories: change a handling limit; a bad value keeps what was typed.
		st, body, _ := get(t, adm, base+"/admin/categories/C0101")
		if st != 200 || !strings.Contains(body, `id="handling_value"`) {
			t.Fatalf("category form: %d", st)
		}
		form := url.Values{"code": {"C0101"}, "kind": {"component"}, "major_code": {"C01"}, "major_name": {"公用设施"},
			"name": {"上水井盖"}, "handling_value": {"x"}, "handling_unit": {"work_day"}, "urgent_value": {"4"},
			"urgent_unit": {"work_hour"}, "response_value": {"30"}, "response_unit": {"minute"}, "active": {"1"},
			"public": {"1"}, "filing_condition": {"井盖缺失、破损"}}
		st, body, _ = post(t, adm, base+"/admin/categories", form)
		if st != 422 || !strings.Contains(body, "时限须为正整数") || !strings.Contains(body, `value="x"`) || !strings.Contains(body, "井盖缺失、破损</textarea>") {
			t.Fatalf("bad limit: %d", st)
		}
		form.Set("handling_value", "5")
		if st, _, h := post(t, adm, base+"/admin/categories", form); st != 303 || !strings.HasPrefix(h.Get("Location"), "/admin/categories") {
			t.Fatalf("save category: %d", st)
		}
		_, body, _ = get(t, adm, base+"/admin/categories")
		if !strings.Contains(body, "已保存问题类别 C0101") || !strings.Contains(rowOf(body, `id="cat-C0101"`), "5 工作日") {
			t.Fatal("the new limit is not on the list")
		}
		cats, _ := c.svc.Categories(ctx)
		for _, cat := range cats {
			if cat.Code == "C0101" && (cat.HandlingLimit.Value != 5 || cat.UrgentLimit.Value != 4 || cat.Name != "上水井盖") {
				t.Fatalf("stored: %+v", cat)
			}
		}
		// A new category may not take an existing code.
		form.Set("new", "1")
		if st, body, _ := post(t, adm, base+"/admin/categories", form); st != 422 || !strings.Contains(body, "已存在") {
			t.Fatalf("duplicate code: %d", st)
		}

		// Departments: a child unit under A shows in the tree.
		st, _, _ = post(t, adm, base+"/admin/departments", url.Values{"parent_id": {strconv.FormatInt(c.dept["A"], 10)},
			"code": {"A2"}, "name": {"市政二所"}, "kind": {"section"}})
		if st != 303 {
			t.Fatalf("add department: %d", st)
		}
		if _, body, _ := get(t, adm, base+"/admin/departments"); !strings.Contains(body, "市政二所") || !strings.Contains(body, "科所") {
			t.Fatal("new department not in the tree")
		}
		if st, body, _ := post(t, adm, base+"/admin/departments", url.Values{"code": {""}, "name": {"无名"}, "kind": {"bureau"}}); st != 422 || !strings.Contains(body, "部门代码不能为空") {
			t.Fatalf("department without code: %d", st)
		}

		// Accounts: add one with roles and scope; a short password is refused and not echoed.
		user := url.Values{"name": {"grid2"}, "display_name": {"网格员 孙丽"}, "password": {"short"},
			"roles": {"grid_member", "operator"}, "dept_scope": {strconv.FormatInt(c.dept["B"], 10)}, "area_scope": {"330106, 330105"}}
		st, body, _ = post(t, adm, base+"/admin/users", user)
		if st != 422 || strings.Contains(body, `value="short"`) || !strings.Contains(body, `value="网格员 孙丽"`) {
			t.Fatalf("short password: %d", st)
		}
		user.Set("password", testPassword)
		if st, _, _ := post(t, adm, base+"/admin/users", user); st != 303 {
			t.Fatalf("add user: %d", st)
		}
		u2, err := c.svc.UserByName(ctx, "grid2")
		if err != nil || len(u2.Roles) != 2 || len(u2.AreaScope) != 2 || u2.AreaScope[1] != "330105" || u2.DeptScope[0] != c.dept["B"] {
			t.Fatalf("stored user: %+v %v", u2, err)
		}
		if _, body, _ := get(t, adm, base+"/admin/users"); !strings.Contains(rowOf(body, `id="user-grid2"`), "园林绿化局") {
			t.Fatal("user list lacks the scope")
		}
		// Edit the roles; then disable: the account can no longer sign in.
		if st, _, _ := post(t, adm, base+"/admin/users/grid2", url.Values{"display_name": {"网格员 孙丽"}, "roles": {"grid_member"}}); st != 303 {
			t.Fatalf("edit user: %d", st)
		}
		if u2, _ = c.svc.UserByName(ctx, "grid2"); len(u2.Roles) != 1 || len(u2.DeptScope) != 0 {
			t.Fatalf("edited user: %+v", u2)
		}
		if st, _, _ := post(t, adm, base+"/admin/users/grid2/disable", nil); st != 303 {
			t.Fatalf("disable: %d", st)
		}
		if st, _, _ := post(t, client(t), base+"/login", url.Values{"username": {"grid2"}, "password": {testPassword}}); st != 401 {
			t.Fatalf("disabled user signs in: %d", st)
		}
		// A new password works once the account is enabled again.
		post(t, adm, base+"/admin/users/grid2/enable", nil)
		if st, _, _ := post(t, adm, base+"/admin/users/grid2/password", url.Values{"password": {"another-long-password"}}); st != 303 {
			t.Fatalf("set password: %d", st)
		}
		if st, _, _ := post(t, client(t), base+"/login", url.Values{"username": {"grid2"}, "password": {"another-long-password"}}); st != 303 {
			t.Fatalf("new password: %d", st)
		}
		// Admins cannot lock themselves out.
		if st, _, _ := post(t, adm, base+"/admin/users/admin/disable", nil); st != 400 {
			t.Fatalf("self-disable: %d", st)
		}
		if st, body, _ := post(t, adm, base+"/admin/users/admin", url.Values{"roles": {"operator"}}); st != 422 || !strings.Contains(body, "不能取消自己的管理员角色") {
			t.Fatalf("self-demotion: %d", st)
		}

		// Routing rules need areas: import divisions through the import page.
		csv := "code,name,level,parent_code\n330100,杭州市,city,330000\n330106,西湖区,district,330100\n330106001,北山街道,street,330106\n"
		st, _, h := postMultipart(t, adm, base+"/admin/imports/divisions", nil, upload{"file", "divisions.csv", []byte(csv)})
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/admin/imports/jobs/") {
			t.Fatalf("start import: %d", st)
		}
		job := waitJob(t, adm, base+h.Get("Location"))
		if job.State != "done" || !strings.Contains(strings.Join(job.Lines, "\n"), "导入区划 3 个") {
			t.Fatalf("divisions job: %+v", job)
		}
		if _, body, _ := get(t, adm, base+h.Get("Location")); !strings.Contains(body, "导入区划 3 个") || !strings.Contains(body, `value="100"`) {
			t.Fatal("job page")
		}
		// A GeoJSON with a bad feature fails with a message; then a good one.
		bad := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"330106"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`
		_, _, h = postMultipart(t, adm, base+"/admin/imports/boundaries", url.Values{"level": {"district"}, "match": {"code"}}, upload{"file", "bad.geojson", []byte(bad)})
		if job := waitJob(t, adm, base+h.Get("Location")); job.State != "failed" || job.Error == "" {
			t.Fatalf("bad boundaries: %+v", job)
		}
		good := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"330106","name":"西湖区"},"geometry":{"type":"Polygon","coordinates":[[[120.1,30.22],[120.2,30.22],[120.2,30.3],[120.1,30.3],[120.1,30.22]]]}},{"type":"Feature","properties":{"code":"999999","name":"别处"},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}]}`
		_, _, h = postMultipart(t, adm, base+"/admin/imports/boundaries", url.Values{"level": {"district"}, "match": {"code"}}, upload{"file", "xihu.geojson", []byte(good)})
		if job := waitJob(t, adm, base+h.Get("Location")); job.State != "done" || !strings.Contains(strings.Join(job.Lines, "\n"), "匹配区划 1 个，未匹配 1 个") {
			t.Fatalf("boundaries: %+v", job)
		}
		// Responsibility grids with their workers, by user name.
		resp := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"R1","name":"北山一号","area_code":"330106001","workers":["grid_member","nobody"]},"geometry":{"type":"Polygon","coordinates":[[[120.1,30.22],[120.15,30.22],[120.15,30.3],[120.1,30.22]]]}}]}`
		_, _, h = postMultipart(t, adm, base+"/admin/imports/respgrids", nil, upload{"file", "resp.geojson", []byte(resp)})
		if job := waitJob(t, adm, base+h.Get("Location")); job.State != "done" || !strings.Contains(strings.Join(job.Lines, "\n"), "导入责任网格 1 个") ||
			!strings.Contains(strings.Join(job.Lines, "\n"), "未知账号: R1: nobody") {
			t.Fatalf("resp grids: %+v", job)
		}
		if _, _, rg, _ := c.svc.GeoStats(); rg != 1 {
			t.Fatalf("resp grids in the index: %d", rg)
		}
		// Grids need community boundaries: a clear failure here.
		if st, body, _ := post(t, adm, base+"/admin/imports/grids", url.Values{"area": {""}, "size": {"300"}}); st != 422 || !strings.Contains(body, "请填写区划代码") {
			t.Fatalf("grids without area: %d", st)
		}
		_, _, h = post(t, adm, base+"/admin/imports/grids", url.Values{"area": {"330106"}, "size": {"300"}})
		if job := waitJob(t, adm, base+h.Get("Location")); job.State != "failed" || !strings.Contains(job.Error, "没有带边界的社区") {
			t.Fatalf("grids: %+v", job)
		}
		if _, body, _ := get(t, adm, base+"/admin/imports"); !strings.Contains(body, "xihu.geojson") {
			t.Fatal("recent imports not listed")
		}

		// Routing: add, replace (retires the old one), retire; history keeps them all.
		rule := url.Values{"category_code": {"C01"}, "area_code": {"330106"}, "dept_id": {strconv.FormatInt(c.dept["A"], 10)}}
		if st, _, _ := post(t, adm, base+"/admin/routing", rule); st != 303 {
			t.Fatalf("add rule: %d", st)
		}
		rules, _ := c.svc.RoutingRules(ctx, false)
		if len(rules) != 1 {
			t.Fatalf("rules: %+v", rules)
		}
		first := strconv.FormatInt(rules[0].ID, 10)
		_, body, _ = get(t, adm, base+"/admin/routing")
		if row := rowOf(body, `id="rule-`+first+`"`); !strings.Contains(row, "公用设施") || !strings.Contains(row, "西湖区") || !strings.Contains(row, "市政管理局") {
			t.Fatalf("rule row: %s", row)
		}
		if _, body, _ := get(t, adm, base+"/admin/routing?edit="+first); !strings.Contains(body, `name="replaces" value="`+first+`"`) {
			t.Fatal("edit form lacks replaces")
		}
		rule.Set("replaces", first)
		rule.Set("dept_id", strconv.FormatInt(c.dept["B"], 10))
		if st, _, _ := post(t, adm, base+"/admin/routing", rule); st != 303 {
			t.Fatalf("replace rule: %d", st)
		}
		rules, _ = c.svc.RoutingRules(ctx, false)
		if len(rules) != 1 || rules[0].DeptID != c.dept["B"] {
			t.Fatalf("after replace: %+v", rules)
		}
		if st, body, _ := post(t, adm, base+"/admin/routing", url.Values{"area_code": {"123"}, "dept_id": {strconv.FormatInt(c.dept["B"], 10)}}); st != 422 || !strings.Contains(body, "区划 123 不存在") || !strings.Contains(body, `value="123"`) {
			t.Fatalf("unknown area: %d", st)
		}
		if st, _, _ := post(t, adm, base+"/admin/routing/"+strconv.FormatInt(rules[0].ID, 10)+"/retire", nil); st != 303 {
			t.Fatalf("retire: %d", st)
		}
		if _, body, _ := get(t, adm, base+"/admin/routing?history=1"); strings.Count(body, `<tr id="rule-`) != 2 || strings.Count(body, `class="inactive"`) != 2 {
			t.Fatal("history does not show both retired rules")
		}

		// Holidays: add a day, import a CSV (a bad line is named), delete a day.
		if st, _, _ := post(t, adm, base+"/admin/calendar", url.Values{"date": {"2027-10-01"}, "kind": {"holiday"}, "name": {"国庆节"}}); st != 303 {
			t.Fatalf("add day: %d", st)
		}
		if _, body, _ := get(t, adm, base+"/admin/calendar?year=2027"); !strings.Contains(rowOf(body, `id="day-2027-10-01"`), "国庆节") {
			t.Fatal("day not listed")
		}
		if st, body, _ := post(t, adm, base+"/admin/calendar", url.Values{"date": {"2027-13-01"}, "kind": {"holiday"}}); st != 422 || !strings.Contains(body, "YYYY-MM-DD") {
			t.Fatalf("bad date: %d", st)
		}
		badCSV := "date,kind,name\n2027-02-06,休,春节\n2027-02-30,休,春节\n"
		st, body, _ = postMultipart(t, adm, base+"/admin/calendar/import", nil, upload{"file", "2027.csv", []byte(badCSV)})
		if st != 422 || !strings.Contains(body, "line 3") {
			t.Fatalf("bad CSV: %d %s", st, attrAfter(body, `id="import-error"`, "role"))
		}
		goodCSV := "date,kind,name\n2027-02-06,休,春节\n2027-02-14,班,春节\n"
		if st, _, _ := postMultipart(t, adm, base+"/admin/calendar/import", nil, upload{"file", "2027.csv", []byte(goodCSV)}); st != 303 {
			t.Fatalf("import CSV: %d", st)
		}
		if !c.svc.Calendar().IsWorkday(time.Date(2027, 2, 14, 12, 0, 0, 0, c.svc.Calendar().Location())) {
			t.Fatal("make-up workday not in force")
		}
		if st, _, _ := post(t, adm, base+"/admin/calendar/2027-10-01/delete", nil); st != 303 {
			t.Fatalf("delete day: %d", st)
		}
		if c.svc.Calendar().IsWorkday(time.Date(2027, 10, 1, 12, 0, 0, 0, c.svc.Calendar().Location())) == false {
			t.Fatal("deleted holiday still in force (2027-10-01 is a Friday)")
		}
	})
}

// rowOf is the table row (or list item) of body that carries marker.
func rowOf(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</tr>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

type jobState struct {
	State string   `json:"state"`
	Lines []string `json:"lines"`
	Error string   `json:"error"`
}

// waitJob polls an import's progress until it ends.
func waitJob(t *testing.T, c *http.Client, jobURL string) jobState {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body, _ := get(t, c, jobURL+"/progress")
		var j jobState
		if st != 200 || json.Unmarshal([]byte(body), &j) != nil {
			t.Fatalf("progress of %s: %d %s", jobURL, st, body)
		}
		if j.State != "running" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still running", jobURL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
