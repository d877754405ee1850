package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web"
)

// city is a small city over a real server: departments, users and their tokens.
type city struct {
	t      *testing.T
	url    string
	svc    *service.Service
	tokens map[string]string // user name → API token
	dept   map[string]int64  // department code → id
}

func newCity(t *testing.T, b dbtest.Backend) *city {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	var err error
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	c := &city{t: t, svc: svc, tokens: map[string]string{}, dept: map[string]int64{}}
	for _, d := range []struct{ code, parent string }{{"A", ""}, {"A1", "A"}, {"B", ""}, {"C", ""}} {
		dep := &gl.Department{Code: d.code, Name: "部门" + d.code, Kind: gl.DeptBureau, ParentID: c.dept[d.parent]}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		c.dept[d.code] = dep.ID
	}
	for _, u := range []struct {
		name string
		role gl.Role
		dept string
	}{
		{"operator", gl.RoleOperator, ""}, {"shift_lead", gl.RoleShiftLead, ""}, {"dispatcher", gl.RoleDispatcher, ""},
		{"handler_a", gl.RoleHandler, "A"}, {"handler_a1", gl.RoleHandler, "A1"}, {"handler_b", gl.RoleHandler, "B"},
		{"handler_c", gl.RoleHandler, "C"}, {"grid_member", gl.RoleGridMember, ""}, {"supervisor", gl.RoleSupervisor, ""},
		{"admin", gl.RoleAdmin, ""},
	} {
		user := &gl.User{Name: u.name, Roles: []gl.Role{u.role}}
		if u.dept != "" {
			user.DeptScope = []int64{c.dept[u.dept]}
		}
		if err := svc.AddUser(ctx, user, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.tokens[u.name], err = svc.IssueToken(ctx, u.name, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer((&web.Server{Svc: svc, Log: svc.Logger}).Handler())
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// resp is a decoded JSON answer.
type resp struct {
	status int
	body   map[string]any
	raw    string
}

func (r resp) str(path string) string {
	v := r.get(path)
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func (r resp) num(path string) float64 {
	f, _ := r.get(path).(float64)
	return f
}

// get follows a dotted path through the JSON answer.
func (r resp) get(path string) any {
	var v any = r.body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (c *city) do(method, path, user string, body any, header ...string) resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+c.tokens[user])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out
}

// report files a new case and returns its code and tracking token.
func (c *city) report(extra map[string]any) (code, token string) {
	c.t.Helper()
	body := map[string]any{"description": "曙光路人行道上井盖缺失，行人容易踩空", "lat": 30.259, "lng": 120.151,
		"channel": "hotline", "reporter_name": "王先生", "reporter_phone": "13812345678"}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do("POST", "/api/v1/reports", "operator", body)
	if r.status != 201 {
		c.t.Fatalf("report: %d %s", r.status, r.raw)
	}
	return r.str("code"), r.str("tracking_token")
}

// act performs an action and requires it to succeed, returning the case's new status.
func (c *city) act(code, user, action string, params map[string]any) resp {
	c.t.Helper()
	r := c.do("POST", "/api/v1/cases/"+code+"/actions/"+action, user, params)
	if r.status != 200 {
		c.t.Fatalf("%s by %s: %d %s", action, user, r.status, r.raw)
	}
	return r
}

func (c *city) mustStatus(r resp, want gl.Status) {
	c.t.Helper()
	if got := r.str("case.status"); got != string(want) {
		c.t.Fatalf("status %s, want %s (%s)", got, want, r.raw)
	}
}

func (c *city) track(token, action string, params map[string]any) resp {
	c.t.Helper()
	r := c.do("POST", "/api/v1/track/"+token+"/actions/"+action, "", params)
	if r.status != 200 {
		c.t.Fatalf("reporter %s: %d %s", action, r.status, r.raw)
	}
	return r
}

// toChecked drives a registered case's lead through handling to a passed check.
func (c *city) handleAndCheck(code, handler string) {
	c.t.Helper()
	c.mustStatus(c.act(code, handler, "feedback", map[string]any{"note": "已更换新井盖"}), gl.StatusHandled)
	c.mustStatus(c.act(code, "operator", "send_check", nil), gl.StatusChecking)
	c.mustStatus(c.act(code, "grid_member", "check", map[string]any{"passed": true, "note": "现场核查已修复"}), gl.StatusChecked)
}

func TestWholeLoopOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		code, token := c.report(nil)
		A := c.dept["A"]

		c.mustStatus(c.act(code, "operator", "send_verify", nil), gl.StatusVerifying)
		c.mustStatus(c.act(code, "grid_member", "verify", map[string]any{"valid": true, "note": "情况属实"}), gl.StatusReported)
		r := c.act(code, "shift_lead", "register", map[string]any{"category_code": "C0101"})
		c.mustStatus(r, gl.StatusRegistered)
		c.mustStatus(c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": A}), gl.StatusDispatched)
		r = c.act(code, "handler_a", "sign", nil)
		c.mustStatus(r, gl.StatusHandling)
		if r.get("case.due") == nil || r.str("case.light") != "green" {
			t.Fatalf("a signed case has a deadline and a green light: %s", r.raw)
		}
		c.mustStatus(c.act(code, "handler_a", "feedback", map[string]any{"note": "已处理"}), gl.StatusHandled)
		c.mustStatus(c.act(code, "operator", "send_check", nil), gl.StatusChecking)
		r = c.act(code, "grid_member", "check", map[string]any{"passed": false, "note": "井盖未固定"})
		c.mustStatus(r, gl.StatusHandling)
		if r.num("case.rework_count") != 1 {
			t.Fatalf("rework not counted: %s", r.raw)
		}
		c.handleAndCheck(code, "handler_a")
		c.mustStatus(c.act(code, "shift_lead", "close", nil), gl.StatusClosed)

		// The reporter says it is not fixed: the case goes back to the same department.
		tr := c.track(token, "rate", map[string]any{"satisfaction": "unsatisfied", "fixed": false, "note": "井盖又松了"})
		if tr.str("status") != "handling" || tr.num("reopen_count") != 1 {
			t.Fatalf("not fixed must reopen: %s", tr.raw)
		}
		got := c.do("GET", "/api/v1/cases/"+code, "handler_a", nil)
		if got.status != 200 || got.str("assignments.0") == "" && len(got.get("assignments").([]any)) != 1 {
			t.Fatalf("reopened case must be the same department's: %s", got.raw)
		}
		c.handleAndCheck(code, "handler_a")
		c.mustStatus(c.act(code, "shift_lead", "close", nil), gl.StatusClosed)
		tr = c.track(token, "rate", map[string]any{"satisfaction": "satisfied", "fixed": true})
		if tr.str("status") != "closed" || tr.str("satisfaction") != "satisfied" {
			t.Fatalf("final rating: %s", tr.raw)
		}

		// The history has every step, in order; the reporter's view hides internal steps.
		evs := c.do("GET", "/api/v1/cases/"+code+"/events", "supervisor", nil)
		items := evs.get("items").([]any)
		var actions []string
		for _, it := range items {
			actions = append(actions, it.(map[string]any)["action"].(string))
		}
		want := "report send_verify verify register dispatch sign feedback send_check check feedback send_check check close rate feedback send_check check close rate"
		if strings.Join(actions, " ") != want {
			t.Fatalf("events:\n got %s\nwant %s", strings.Join(actions, " "), want)
		}
		view := c.do("GET", "/api/v1/track/"+token, "", nil)
		if strings.Contains(view.raw, "send_verify") || strings.Contains(view.raw, "王先生") || strings.Contains(view.raw, "13812345678") {
			t.Fatalf("tracking view leaks internal steps or personal data: %s", view.raw)
		}
	})
}

func TestSidePathsOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		A, B, C, A1 := c.dept["A"], c.dept["B"], c.dept["C"], c.dept["A1"]
		registered := func() string {
			code, _ := c.report(map[string]any{"category_code": "E0303"})
			c.act(code, "shift_lead", "register", nil)
			return code
		}
		handling := func(dept int64, handler string) string {
			code := registered()
			c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": dept})
			c.act(code, handler, "sign", nil)
			return code
		}

		t.Run("return", func(t *testing.T) {
			code := registered()
			c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": C})
			c.act(code, "handler_c", "request_return", map[string]any{"note": "不属于本单位职责"})
			if r := c.do("POST", "/api/v1/cases/"+code+"/actions/request_return", "handler_c", map[string]any{"note": "again"}); r.status != 409 {
				t.Fatalf("second pending request: %d %s", r.status, r.raw)
			}
			r := c.act(code, "dispatcher", "approve", nil)
			c.mustStatus(r, gl.StatusRegistered)
			if r.num("case.return_count") != 1 || r.get("case.assignments") != nil {
				t.Fatalf("return: %s", r.raw)
			}
			if r := c.do("GET", "/api/v1/cases/"+code, "handler_c", nil); r.status != 404 {
				t.Fatalf("a returned case leaves the department's view: %d", r.status)
			}
			r = c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": A})
			c.mustStatus(r, gl.StatusDispatched)
		})

		t.Run("extension", func(t *testing.T) {
			code := handling(A, "handler_a")
			before := c.do("GET", "/api/v1/cases/"+code, "dispatcher", nil).str("due")
			c.act(code, "handler_a", "request_extension", map[string]any{"note": "需要调配机械", "limit": map[string]any{"value": 2, "unit": "work_day"}})
			r := c.act(code, "dispatcher", "approve", nil)
			after := r.str("case.due")
			tb, _ := time.Parse(time.RFC3339Nano, before)
			ta, _ := time.Parse(time.RFC3339Nano, after)
			if !ta.After(tb.Add(24*time.Hour)) || r.num("case.extension_count") != 1 {
				t.Fatalf("extension by 2 work days moved due %s → %s", before, after)
			}
			// A denied request changes nothing but clears it.
			c.act(code, "handler_a", "request_extension", map[string]any{"note": "再延", "limit": map[string]any{"value": 1, "unit": "work_day"}})
			r = c.act(code, "dispatcher", "deny", map[string]any{"note": "不予延期"})
			if r.str("case.due") != after || r.get("case.pending_request") != nil {
				t.Fatalf("deny: %s", r.raw)
			}
		})

		t.Run("suspension", func(t *testing.T) {
			code := handling(A, "handler_a")
			c.act(code, "handler_a", "request_suspension", map[string]any{"note": "涉及产权纠纷"})
			r := c.act(code, "dispatcher", "approve", nil)
			c.mustStatus(r, gl.StatusSuspended)
			if r := c.do("POST", "/api/v1/cases/"+code+"/actions/feedback", "handler_a", map[string]any{"note": "x"}); r.status != 422 {
				t.Fatalf("feedback while suspended: %d %s", r.status, r.raw)
			}
			r = c.act(code, "handler_a", "resume", nil)
			c.mustStatus(r, gl.StatusHandling)
		})

		t.Run("merge", func(t *testing.T) {
			parent, _ := c.report(nil)
			dup, _ := c.report(nil)
			r := c.act(dup, "operator", "merge", map[string]any{"parent_code": parent})
			c.mustStatus(r, gl.StatusMerged)
			if r.str("case.duplicate_of") != parent {
				t.Fatalf("merge: %s", r.raw)
			}
			other, _ := c.report(nil)
			if r := c.do("POST", "/api/v1/cases/"+other+"/actions/merge", "operator", map[string]any{"parent_code": "nope"}); r.status != 400 {
				t.Fatalf("merge into unknown case: %d %s", r.status, r.raw)
			}
		})

		t.Run("reject", func(t *testing.T) {
			code, _ := c.report(nil)
			if r := c.do("POST", "/api/v1/cases/"+code+"/actions/reject", "shift_lead", nil); r.status != 400 {
				t.Fatalf("reject without a reason: %d %s", r.status, r.raw)
			}
			c.mustStatus(c.act(code, "shift_lead", "reject", map[string]any{"note": "不属于城市管理范围"}), gl.StatusRejected)
		})

		t.Run("withdraw", func(t *testing.T) {
			code, token := c.report(nil)
			tr := c.track(token, "withdraw", nil)
			if tr.str("status") != "withdrawn" || tr.str("code") != code {
				t.Fatalf("withdraw: %s", tr.raw)
			}
		})

		t.Run("co-handlers", func(t *testing.T) {
			code := registered()
			c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": A, "co_dept_ids": []int64{B}})
			c.mustStatus(c.act(code, "handler_a", "sign", nil), gl.StatusHandling)
			c.act(code, "handler_b", "sign", nil)
			c.mustStatus(c.act(code, "handler_a", "feedback", map[string]any{"note": "主办已处置"}), gl.StatusHandling)
			c.mustStatus(c.act(code, "handler_b", "feedback", map[string]any{"note": "协办已处置"}), gl.StatusHandled)
		})

		t.Run("sub-dispatch", func(t *testing.T) {
			code := handling(A, "handler_a")
			r := c.act(code, "handler_a", "sub_dispatch", map[string]any{"dept_id": A1})
			c.mustStatus(r, gl.StatusDispatched)
			c.mustStatus(c.act(code, "handler_a1", "sign", nil), gl.StatusHandling)
			c.mustStatus(c.act(code, "handler_a1", "feedback", map[string]any{"note": "科室已处置"}), gl.StatusHandled)
			if r := c.do("POST", "/api/v1/cases/"+registered()+"/actions/dispatch", "dispatcher", map[string]any{"dept_id": A}); r.status != 200 {
				t.Fatal(r.raw)
			}
		})

		t.Run("urge and overdue", func(t *testing.T) {
			code := handling(A, "handler_a")
			r := c.act(code, "supervisor", "urge", map[string]any{"note": "请加快办理"})
			if r.num("case.urge_count") != 1 {
				t.Fatalf("urge: %s", r.raw)
			}
			c.svc.Now = func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
			defer func() { c.svc.Now = time.Now }()
			n, err := c.svc.FlagOverdue(context.Background())
			if err != nil || n == 0 {
				t.Fatalf("overdue clock flagged %d: %v", n, err)
			}
			got := c.do("GET", "/api/v1/cases/"+code, "supervisor", nil)
			if got.get("overdue") != true || got.str("light") != "red" {
				t.Fatalf("overdue: %s", got.raw)
			}
			if n, _ := c.svc.FlagOverdue(context.Background()); n != 0 {
				t.Fatalf("a second run flagged %d again", n)
			}
			list := c.do("GET", "/api/v1/cases?overdue=true", "supervisor", nil)
			if list.num("total") < 1 {
				t.Fatalf("overdue filter: %s", list.raw)
			}
		})
	})
}

func TestBadInputOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		code, _ := c.report(nil)
		count := func() float64 { return c.do("GET", "/api/v1/cases", "supervisor", nil).num("total") }
		before := count()
		good := `{"description":"路灯不亮","lat":30.25,"lng":120.15}`
		for _, tc := range []struct {
			name, body string
			status     int
			field      string
		}{
			{"malformed JSON", `{"description": "x",`, 400, ""},
			{"not an object", `[1,2]`, 400, ""},
			{"empty body", ``, 400, ""},
			{"missing description", `{"lat":30.25,"lng":120.15}`, 400, "description"},
			{"missing location", `{"description":"路灯不亮"}`, 400, "lat"},
			{"latitude out of range", `{"description":"路灯不亮","lat":95,"lng":120.15}`, 400, "lat"},
			{"longitude out of range", `{"description":"路灯不亮","lat":30,"lng":-190}`, 400, "lng"},
			{"unknown category", `{"description":"路灯不亮","lat":30.25,"lng":120.15,"category_code":"ZZZ"}`, 400, "category_code"},
			{"unknown field", `{"description":"路灯不亮","lat":30.25,"lng":120.15,"colour":"red"}`, 400, "colour"},
			{"wrong type", `{"description":42,"lat":30.25,"lng":120.15}`, 400, "description"},
			{"bad phone", `{"description":"路灯不亮","lat":30.25,"lng":120.15,"reporter_phone":"call me"}`, 400, "reporter_phone"},
			{"bad channel", `{"description":"路灯不亮","lat":30.25,"lng":120.15,"channel":"pigeon"}`, 400, "channel"},
			{"oversize body", `{"description":"` + strings.Repeat("长", 1<<19) + `","lat":30.25,"lng":120.15}`, 413, ""},
			{"trailing data", good + `{}`, 400, ""},
		} {
			r := c.do("POST", "/api/v1/reports", "operator", tc.body)
			if r.status != tc.status || r.str("error.code") == "" || r.str("error.message") == "" || (tc.field != "" && r.str("error.field") != tc.field) {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			}
		}
		if r := c.do("POST", "/api/v1/reports", "", good); r.status != 401 {
			t.Errorf("no token: %d", r.status)
		}
		if n := count(); n != before {
			t.Fatalf("bad input created cases: %v → %v", before, n)
		}

		version := c.do("GET", "/api/v1/cases/"+code, "operator", nil).num("version")
		for _, tc := range []struct {
			name, user, action string
			body               any
			status             int
		}{
			{"wrong state", "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"]}, 422},
			{"wrong role", "grid_member", "register", nil, 403},
			{"stale version", "operator", "send_verify", map[string]any{"version": 1 + int(version)}, 409},
			{"unknown action", "operator", "teleport", nil, 404},
			{"unknown case", "operator", "send_verify", nil, 404},
			{"missing parameter", "shift_lead", "register", nil, 400},
			{"malformed JSON", "operator", "send_verify", `{"version":`, 400},
		} {
			target := code
			if tc.name == "unknown case" {
				target = "19990101" + "00001"
			}
			r := c.do("POST", "/api/v1/cases/"+target+"/actions/"+tc.action, tc.user, tc.body)
			if r.status != tc.status || r.str("error.message") == "" {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			}
		}
		after := c.do("GET", "/api/v1/cases/"+code, "operator", nil)
		if after.num("version") != version || after.str("status") != "reported" {
			t.Fatalf("refused actions changed the case: %s", after.raw)
		}
		events := c.do("GET", "/api/v1/cases/"+code+"/events", "operator", nil)
		if n := len(events.get("items").([]any)); n != 1 {
			t.Fatalf("refused actions recorded %d events", n)
		}
	})
}

func TestIdempotentReport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		body := map[string]any{"description": "垃圾满溢", "lat": 30.25, "lng": 120.15}
		r1 := c.do("POST", "/api/v1/reports", "operator", body, "Idempotency-Key", "k-1")
		r2 := c.do("POST", "/api/v1/reports", "operator", body, "Idempotency-Key", "k-1")
		r3 := c.do("POST", "/api/v1/reports", "operator", body, "Idempotency-Key", "k-2")
		if r1.status != 201 || r2.status != 201 || r1.str("code") != r2.str("code") || r1.str("tracking_token") != r2.str("tracking_token") {
			t.Fatalf("retry must return the first result:\n%s\n%s", r1.raw, r2.raw)
		}
		if r3.str("code") == r1.str("code") {
			t.Fatal("a new key must make a new case")
		}
		if n := c.do("GET", "/api/v1/cases", "supervisor", nil).num("total"); n != 2 {
			t.Fatalf("%v cases, want 2", n)
		}
	})
}

func TestScopeHidesOtherDepartments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		code, _ := c.report(map[string]any{"category_code": "E0303"})
		c.act(code, "shift_lead", "register", nil)
		c.act(code, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"]})
		if r := c.do("GET", "/api/v1/cases/"+code, "handler_b", nil); r.status != 404 {
			t.Fatalf("another department's handler sees the case: %d", r.status)
		}
		if r := c.do("GET", "/api/v1/cases", "handler_b", nil); r.num("total") != 0 {
			t.Fatalf("another department's list: %s", r.raw)
		}
		if r := c.do("GET", "/api/v1/cases", "handler_a", nil); r.num("total") != 1 {
			t.Fatalf("own department's list: %s", r.raw)
		}
		if r := c.do("POST", "/api/v1/cases/"+code+"/actions/sign", "handler_b", nil); r.status != 404 {
			t.Fatalf("another department signs: %d", r.status)
		}
		if r := c.do("GET", "/api/v1/cases/"+code, "handler_a1", nil); r.status != 404 {
			t.Fatalf("a child unit sees its parent's case before sub-dispatch: %d", r.status)
		}
	})
}
