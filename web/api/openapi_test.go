package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/api"
)

// loadDoc parses and validates the embedded document and builds its router.
func loadDoc(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// TestOpenAPICoversRoutes: the document has every route of api.Routes and nothing
// else, each with the access the route table declares.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc, _ := loadDoc(t)
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	ids := map[string]string{}
	for _, rt := range api.Routes {
		key := rt.Method + " " + rt.Pattern
		op, ok := documented[key]
		if !ok {
			t.Errorf("route %s is not in web/api/openapi.json: document it", key)
			continue
		}
		delete(documented, key)
		if got := op.Extensions["x-access"]; got != string(rt.Access()) {
			t.Errorf("%s: x-access %v in the document, %s in the route table", key, got, rt.Access())
		}
		if got := op.Extensions["x-permission"]; got != string(rt.Perm) {
			t.Errorf("%s: x-permission %v in the document, %s in the route table", key, got, rt.Perm)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Access() == api.Public) {
			t.Errorf("%s: security in the document does not match access %s", key, rt.Access())
		}
		if prev, dup := ids[op.OperationID]; dup || op.OperationID == "" {
			t.Errorf("%s: operationId %q missing or also used by %s", key, op.OperationID, prev)
		}
		ids[op.OperationID] = key
		if rt.Access() != api.Public && op.Responses.Status(401) == nil {
			t.Errorf("%s: no 401 answer documented", key)
		}
		if rt.Access() != api.Public && op.Responses.Status(403) == nil {
			t.Errorf("%s: no 403 answer documented", key)
		}
	}
	for key := range documented {
		t.Errorf("the document has %s, which is not in api.Routes", key)
	}
}

// exchange is one request and answer that went through the validating transport.
type exchange struct {
	method, path string
	body         string // the start of the request body, for messages
	status       int
	bad          bool // the request breaks the document on purpose
	route        string
	reqErr       error
	respErr      error
}

// validator is an http.RoundTripper that validates every request and answer against
// the document with kin-openapi. A request with the header X-Test-Bad (removed before
// sending) breaks the document on purpose: its validation must fail.
type validator struct {
	router routers.Router
	mu     sync.Mutex
	log    []exchange
}

func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if in.SecurityScheme.Type == "http" && in.SecurityScheme.Scheme == "bearer" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok && tok != "" {
			return nil
		}
		return errors.New("no bearer token")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	bad := req.Header.Get("X-Test-Bad") != ""
	req.Header.Del("X-Test-Bad")
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(answer))

	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(body))
	vreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	ex := exchange{method: req.Method, path: req.URL.RequestURI(), status: res.StatusCode, bad: bad, body: string(body)}
	if len(ex.body) > 80 {
		ex.body = strings.ToValidUTF8(ex.body[:80], "") + "…"
	}
	route, params, err := v.router.FindRoute(vreq)
	if err != nil {
		ex.reqErr = fmt.Errorf("no route in the document: %w", err)
		ex.respErr = ex.reqErr
	} else {
		ex.route = route.Method + " " + route.Path
		opts := &openapi3filter.Options{AuthenticationFunc: bearerOnly, IncludeResponseStatus: true, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
		ex.reqErr = openapi3filter.ValidateRequest(ctx, in)
		ex.respErr = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(answer)), Options: opts,
		})
	}
	v.mu.Lock()
	v.log = append(v.log, ex)
	v.mu.Unlock()
	return res, nil
}

// city is a small city over a real server whose client validates every exchange.
type city struct {
	t      *testing.T
	url    string
	svc    *service.Service
	client *http.Client
	val    *validator
	tokens map[string]string
	dept   map[string]int64
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) get(path string) any {
	var v any = a.body
	for _, k := range strings.Split(path, ".") {
		switch m := v.(type) {
		case map[string]any:
			v = m[k]
		case []any:
			var i int
			if _, err := fmt.Sscan(k, &i); err != nil || i >= len(m) {
				return nil
			}
			v = m[i]
		default:
			return nil
		}
	}
	return v
}

func (a answer) str(path string) string {
	if s, ok := a.get(path).(string); ok {
		return s
	}
	return fmt.Sprint(a.get(path))
}

func (a answer) num(path string) int64 {
	f, _ := a.get(path).(float64)
	return int64(f)
}

// do sends a request as user ("" for none). header pairs follow the body; the pair
// "bad", "" marks a request that breaks the document on purpose.
func (c *city) do(method, path, user string, body any, header ...string) answer {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok, ok := c.tokens[user]; ok {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if user != "" {
		req.Header.Set("Authorization", "Bearer "+user) // a made-up token
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "bad" {
			req.Header.Set("X-Test-Bad", "1")
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	a := answer{status: res.StatusCode, header: res.Header, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	return a
}

// want sends a request and requires the status.
func (c *city) want(status int, method, path, user string, body any, header ...string) answer {
	c.t.Helper()
	a := c.do(method, path, user, body, header...)
	if a.status != status {
		c.t.Fatalf("%s %s as %q: %d, want %d: %s", method, path, user, a.status, status, a.raw)
	}
	return a
}

const bad = "bad"

func newCity(t *testing.T, b dbtest.Backend, router routers.Router) *city {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	var err error
	for _, cat := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &cat); err != nil {
			t.Fatal(err)
		}
	}
	c := &city{t: t, svc: svc, tokens: map[string]string{}, dept: map[string]int64{}, val: &validator{router: router}}
	c.client = &http.Client{Transport: c.val, Timeout: time.Minute}
	for _, u := range []struct {
		name string
		role gl.Role
	}{
		{"operator", gl.RoleOperator}, {"shift_lead", gl.RoleShiftLead}, {"dispatcher", gl.RoleDispatcher},
		{"grid_member", gl.RoleGridMember}, {"supervisor", gl.RoleSupervisor}, {"admin", gl.RoleAdmin},
		{"handler", gl.RoleHandler},
	} {
		if err := svc.AddUser(ctx, &gl.User{Name: u.name, Roles: []gl.Role{u.role}}, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.tokens[u.name], err = svc.IssueToken(ctx, u.name, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	(&api.API{Svc: svc, Log: svc.Logger}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

// TestOpenAPIValidatesRealTraffic drives the API through the e2e flows — intake, lists,
// every workflow action, the reporter's actions, categories, departments, areas, locate,
// routing rules, webhooks and their delivery log, and every kind of error — and
// validates each real request and answer against the document with kin-openapi.
func TestOpenAPIValidatesRealTraffic(t *testing.T) {
	_, router := loadDoc(t)
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b, router)
		ctx := context.Background()

		// The document itself.
		doc := c.want(200, "GET", "/api/openapi.json", "", nil)
		if !bytes.Equal([]byte(doc.raw), api.OpenAPI) {
			t.Fatal("GET /api/openapi.json does not serve the embedded document")
		}
		c.want(304, "GET", "/api/openapi.json", "", nil, "If-None-Match", doc.header.Get("ETag"))

		// Admin set-up over the API.
		c.want(200, "GET", "/api/v1/me", "operator", nil)
		c.want(200, "GET", "/api/v1/categories", "operator", nil)
		c.want(200, "PUT", "/api/v1/categories/Z01", "admin", map[string]any{"kind": "event", "name": "测试类别",
			"handling_limit": map[string]any{"value": 2, "unit": "work_day"}, "response_limit": map[string]any{"value": 30, "unit": "minute"}})
		c.want(400, "PUT", "/api/v1/categories/Z02", "admin", map[string]any{"kind": "event", "name": "坏时限",
			"handling_limit": map[string]any{"value": 0, "unit": "work_day"}, "response_limit": map[string]any{"value": 30, "unit": "minute"}})
		c.want(403, "PUT", "/api/v1/categories/Z01", "operator", map[string]any{"kind": "event", "name": "x",
			"handling_limit": map[string]any{"value": 2, "unit": "work_day"}, "response_limit": map[string]any{"value": 30, "unit": "minute"}})
		for _, d := range []struct{ code, parent string }{{"A", ""}, {"A1", "A"}, {"B", ""}} {
			body := map[string]any{"code": d.code, "name": "部门" + d.code, "kind": "bureau"}
			if d.parent != "" {
				body["parent_id"] = c.dept[d.parent]
				body["kind"] = "section"
			}
			c.dept[d.code] = c.want(201, "POST", "/api/v1/departments", "admin", body).num("id")
		}
		c.want(409, "POST", "/api/v1/departments", "admin", map[string]any{"code": "A", "name": "重复"})
		c.want(400, "POST", "/api/v1/departments", "admin", map[string]any{"code": "D", "name": "无上级", "parent_id": 999999})
		c.want(400, "POST", "/api/v1/departments", "admin", map[string]any{"name": "无代码"}, bad, "")
		c.want(200, "GET", "/api/v1/departments", "dispatcher", nil)
		handler := &gl.User{Name: "handler_a", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["A"]}}
		if err := c.svc.AddUser(ctx, handler, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		tok, err := c.svc.IssueToken(ctx, "handler_a", "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		c.tokens["handler_a"] = tok
		handlerB := &gl.User{Name: "handler_b", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["B"]}}
		if err := c.svc.AddUser(ctx, handlerB, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.tokens["handler_b"], err = c.svc.IssueToken(ctx, "handler_b", "test", 0); err != nil {
			t.Fatal(err)
		}
		handlerA1 := &gl.User{Name: "handler_a1", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["A1"]}}
		if err := c.svc.AddUser(ctx, handlerA1, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.tokens["handler_a1"], err = c.svc.IssueToken(ctx, "handler_a1", "test", 0); err != nil {
			t.Fatal(err)
		}

		// Space: areas, a grid, locate, routing rules.
		c.want(200, "GET", "/api/v1/areas", "operator", nil) // none yet
		err = c.svc.ImportAreas(ctx, []gl.Area{
			{Code: "330100", Name: "杭州市", Level: gl.LevelCity},
			{Code: "330106", Name: "西湖区", Level: gl.LevelDistrict, ParentCode: "330100"},
			{Code: "330106002", Name: "北山街道", Level: gl.LevelStreet, ParentCode: "330106"},
			{Code: "330106002056", Name: "曲院社区", Level: gl.LevelCommunity, ParentCode: "330106002"},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = c.svc.UpdateGeo(ctx, func(tx *store.Tx) error {
			g := orb.MultiPolygon{{{{120.14, 30.25}, {120.16, 30.25}, {120.16, 30.27}, {120.14, 30.27}, {120.14, 30.25}}}}
			return tx.PutGrids(ctx, []store.GridShape{{Code: "330106002056001", AreaCode: "330106002056", Geom: g}})
		})
		if err != nil {
			t.Fatal(err)
		}
		c.want(200, "GET", "/api/v1/areas", "operator", nil)
		c.want(200, "GET", "/api/v1/areas?parent=330106", "operator", nil)
		c.want(404, "GET", "/api/v1/areas?parent=999", "operator", nil)
		if a := c.want(200, "GET", "/api/v1/locate?lat=30.259&lng=120.151", "operator", nil); a.get("located") != true {
			t.Fatalf("locate: %s", a.raw)
		}
		c.want(200, "GET", "/api/v1/locate?lat=0&lng=0", "operator", nil)
		c.want(400, "GET", "/api/v1/locate?lat=abc&lng=1", "operator", nil, bad, "")
		c.want(400, "GET", "/api/v1/locate?lat=95&lng=1", "operator", nil, bad, "")
		c.want(400, "GET", "/api/v1/locate?lng=1", "operator", nil, bad, "")
		rule := c.want(201, "POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "330106", "dept_id": c.dept["A"]})
		rule2 := c.want(201, "POST", "/api/v1/routing-rules", "admin", map[string]any{"category_code": "C01", "area_code": "330106",
			"dept_id": c.dept["B"], "replaces": rule.num("id")})
		c.want(201, "POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "330106002", "dept_id": c.dept["A"]})
		c.want(400, "POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "999", "dept_id": c.dept["A"]})
		c.want(404, "POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "330106", "dept_id": c.dept["A"], "replaces": 999999})
		c.want(403, "POST", "/api/v1/routing-rules", "operator", map[string]any{"area_code": "330106", "dept_id": c.dept["A"]})
		c.want(400, "POST", "/api/v1/routing-rules", "admin", map[string]any{"dept_id": c.dept["A"]}, bad, "")
		c.want(200, "GET", "/api/v1/routing-rules", "admin", nil)
		c.want(204, "DELETE", fmt.Sprintf("/api/v1/routing-rules/%d", rule2.num("id")), "admin", nil)
		c.want(404, "DELETE", fmt.Sprintf("/api/v1/routing-rules/%d", rule2.num("id")), "admin", nil)
		c.want(404, "DELETE", "/api/v1/routing-rules/x", "admin", nil, bad, "")
		c.want(200, "GET", "/api/v1/routing-rules/history", "admin", nil)
		c.want(403, "GET", "/api/v1/routing-rules", "supervisor", nil)

		// Webhooks: a receiver, subscriptions, and the admin API's refusals.
		received := make(chan string, 1000)
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			received <- r.Header.Get("X-Gridloop-Delivery")
		}))
		defer receiver.Close()
		hook := c.want(201, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": receiver.URL + "/hook", "description": "全部事件"})
		if hook.str("secret") == "" || hook.header.Get("Location") == "" {
			t.Fatalf("a new webhook answers its secret and location: %s", hook.raw)
		}
		hookID := hook.num("id")
		some := c.want(201, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": receiver.URL + "/some",
			"events": []string{"register", "close"}, "secret": "0123456789abcdef-secret", "active": true})
		c.want(400, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": "ftp://example.com/x"})
		c.want(400, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": receiver.URL, "events": []string{"teleport"}}, bad, "")
		c.want(400, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": receiver.URL, "secret": "short"}, bad, "")
		c.want(400, "POST", "/api/v1/webhooks", "admin", map[string]any{"events": []string{"*"}}, bad, "")
		c.want(403, "POST", "/api/v1/webhooks", "supervisor", map[string]any{"url": receiver.URL})
		c.want(401, "GET", "/api/v1/webhooks", "", nil, bad, "")
		c.want(200, "GET", "/api/v1/webhooks", "admin", nil)
		if a := c.want(200, "GET", fmt.Sprintf("/api/v1/webhooks/%d", hookID), "admin", nil); a.get("secret") != nil {
			t.Fatalf("GET shows the secret: %s", a.raw)
		}
		c.want(404, "GET", "/api/v1/webhooks/999999", "admin", nil)
		patched := c.want(200, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", some.num("id")), "admin",
			map[string]any{"events": []string{"register", "close", "rate"}, "secret": "a-new-secret-of-some-length"})
		if patched.str("secret") != "a-new-secret-of-some-length" || len(patched.get("events").([]any)) != 3 {
			t.Fatalf("patch: %s", patched.raw)
		}
		c.want(400, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", some.num("id")), "admin", map[string]any{"events": []string{}}, bad, "")
		c.want(400, "PATCH", fmt.Sprintf("/api/v1/webhooks/%d", some.num("id")), "admin", map[string]any{"url": "not a url"})
		c.want(404, "PATCH", "/api/v1/webhooks/999999", "admin", map[string]any{"active": false})
		doomed := c.want(201, "POST", "/api/v1/webhooks", "admin", map[string]any{"url": receiver.URL + "/doomed"})
		c.want(204, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", doomed.num("id")), "admin", nil)
		c.want(404, "DELETE", fmt.Sprintf("/api/v1/webhooks/%d", doomed.num("id")), "admin", nil)

		// Intake and its refusals.
		report := map[string]any{"description": "曙光路人行道上井盖缺失，行人容易踩空", "lat": 30.259, "lng": 120.151,
			"channel": "hotline", "reporter_name": "王先生", "reporter_phone": "13812345678", "address": "曙光路 12 号"}
		first := c.want(201, "POST", "/api/v1/reports", "operator", report, "Idempotency-Key", "k-1")
		again := c.want(201, "POST", "/api/v1/reports", "operator", report, "Idempotency-Key", "k-1")
		if first.str("code") != again.str("code") {
			t.Fatal("idempotent retry made a second case")
		}
		code, token := first.str("code"), first.str("tracking_token")
		good := `{"description":"路灯不亮","lat":30.25,"lng":120.15}`
		for _, tc := range []struct {
			body   string
			status int
			bad    bool
		}{
			{`{"description": "x",`, 400, true},
			{`[1,2]`, 400, true},
			{``, 400, true},
			{`{"lat":30.25,"lng":120.15}`, 400, true},
			{`{"description":"路灯不亮"}`, 400, true},
			{`{"description":"路灯不亮","lat":95,"lng":120.15}`, 400, true},
			{`{"description":"路灯不亮","lat":30,"lng":-190}`, 400, true},
			{`{"description":"路灯不亮","lat":30.25,"lng":120.15,"colour":"red"}`, 400, true},
			{`{"description":42,"lat":30.25,"lng":120.15}`, 400, true},
			{`{"description":"路灯不亮","lat":30.25,"lng":120.15,"reporter_phone":"call me"}`, 400, true},
			{`{"description":"路灯不亮","lat":30.25,"lng":120.15,"channel":"pigeon"}`, 400, true},
			{`{"description":"` + strings.Repeat("长", 1<<19) + `","lat":30.25,"lng":120.15}`, 413, true},
			{good + `{}`, 400, false}, // trailing data: kin-openapi's decoder reads the first value only
			{`{"description":"路灯不亮","lat":30.25,"lng":120.15,"category_code":"ZZZ"}`, 400, false},
			{`{"description":"路灯不亮","lat":0,"lng":0}`, 400, false}, // outside every grid
			{`{"description":"路灯不亮","lat":30.25,"lng":120.15,"channel":"patrol"}`, 400, false},
		} {
			var h []string
			if tc.bad {
				h = []string{bad, ""}
			}
			c.want(tc.status, "POST", "/api/v1/reports", "operator", tc.body, h...)
		}
		c.want(401, "POST", "/api/v1/reports", "", good, bad, "")
		c.want(401, "POST", "/api/v1/reports", "not-a-real-token", good)
		c.want(400, "POST", "/api/v1/reports", "operator", good, "Idempotency-Key", strings.Repeat("k", 201), bad, "")
		c.want(201, "POST", "/api/v1/reports", "grid_member", map[string]any{"description": "巡查发现垃圾满溢", "lat": 30.26,
			"lng": 120.15, "channel": "patrol", "category_code": "E0303"})

		act := func(status int, code, user, action string, body any, h ...string) answer {
			t.Helper()
			return c.want(status, "POST", "/api/v1/cases/"+code+"/actions/"+action, user, body, h...)
		}
		newCase := func(extra map[string]any) (string, string) {
			t.Helper()
			body := map[string]any{"description": "人行道破损", "lat": 30.259, "lng": 120.151}
			for k, v := range extra {
				body[k] = v
			}
			a := c.want(201, "POST", "/api/v1/reports", "operator", body)
			return a.str("code"), a.str("tracking_token")
		}
		registered := func() string {
			t.Helper()
			code, _ := newCase(map[string]any{"category_code": "E0303"})
			act(200, code, "shift_lead", "register", nil)
			return code
		}
		handling := func() string {
			t.Helper()
			code := registered()
			act(200, code, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"]})
			act(200, code, "handler_a", "sign", nil)
			return code
		}

		// The whole loop, with a failed check and a reopen by the reporter.
		act(200, code, "operator", "send_verify", nil)
		act(200, code, "grid_member", "verify", map[string]any{"valid": true, "note": "情况属实"})
		reg := act(200, code, "shift_lead", "register", map[string]any{"category_code": "C0101", "urgent": true})
		act(200, code, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"], "version": reg.num("case.version")})
		act(200, code, "handler_a", "sign", nil)
		act(200, code, "handler_a", "comment", map[string]any{"note": "已安排人员"})
		act(200, code, "handler_a", "feedback", map[string]any{"note": "已处理"})
		act(200, code, "operator", "send_check", nil)
		act(200, code, "grid_member", "check", map[string]any{"passed": false, "note": "井盖未固定"})
		act(200, code, "handler_a", "feedback", map[string]any{"note": "已加固"})
		act(200, code, "operator", "send_check", nil)
		act(200, code, "grid_member", "check", map[string]any{"passed": true})
		act(200, code, "shift_lead", "close", map[string]any{"action": "close"})
		c.want(200, "GET", "/api/v1/track/"+token, "", nil)
		c.want(200, "POST", "/api/v1/track/"+token+"/actions/rate", "", map[string]any{"satisfaction": "unsatisfied", "fixed": false, "note": "井盖又松了"})
		act(200, code, "handler_a", "feedback", map[string]any{"note": "更换新井盖"})
		act(200, code, "operator", "send_check", nil)
		act(200, code, "grid_member", "check", map[string]any{"passed": true})
		act(200, code, "shift_lead", "close", nil)
		c.want(200, "POST", "/api/v1/track/"+token+"/actions/reopen", "", map[string]any{"note": "还是不行"})
		act(200, code, "handler_a", "feedback", map[string]any{"note": "彻底修好"})
		act(200, code, "operator", "send_check", nil)
		act(200, code, "grid_member", "check", map[string]any{"passed": true})
		act(200, code, "shift_lead", "close", nil)
		c.want(200, "POST", "/api/v1/track/"+token+"/actions/rate", "", map[string]any{"satisfaction": "satisfied", "fixed": true})
		c.want(200, "GET", "/api/v1/cases/"+code, "supervisor", nil)
		c.want(200, "GET", "/api/v1/cases/"+code+"/events", "supervisor", nil)
		c.want(200, "GET", "/api/v1/track/"+token, "", nil)
		c.want(404, "GET", "/api/v1/track/not-a-token", "", nil)
		c.want(422, "POST", "/api/v1/track/"+token+"/actions/withdraw", "", nil)
		c.want(404, "POST", "/api/v1/track/"+token+"/actions/teleport", "", nil, bad, "")

		// Side paths.
		ret := registered()
		act(200, ret, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["B"]})
		act(200, ret, "handler_b", "request_return", map[string]any{"note": "不属于本单位职责"})
		act(409, ret, "handler_b", "request_return", map[string]any{"note": "again"})
		act(200, ret, "dispatcher", "approve", nil)
		act(200, ret, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"], "co_dept_ids": []int64{c.dept["B"]}})
		act(200, ret, "handler_a", "sign", nil)
		act(200, ret, "handler_b", "sign", nil)
		act(200, ret, "handler_a", "feedback", map[string]any{"note": "主办已处置"})
		act(200, ret, "handler_b", "feedback", map[string]any{"note": "协办已处置", "photos": []string{}})

		ext := handling()
		act(200, ext, "handler_a", "request_extension", map[string]any{"note": "需要调配机械", "limit": map[string]any{"value": 2, "unit": "work_day"}})
		act(200, ext, "dispatcher", "approve", nil)
		act(200, ext, "handler_a", "request_extension", map[string]any{"note": "再延", "limit": map[string]any{"value": 1, "unit": "work_day"}})
		act(200, ext, "dispatcher", "deny", map[string]any{"note": "不予延期"})
		act(200, ext, "handler_a", "request_suspension", map[string]any{"note": "涉及产权纠纷"})
		act(200, ext, "dispatcher", "approve", nil)
		act(422, ext, "handler_a", "feedback", map[string]any{"note": "x"})
		act(200, ext, "handler_a", "resume", nil)
		act(200, ext, "supervisor", "urge", map[string]any{"note": "请加快办理"})
		act(200, ext, "handler_a", "sub_dispatch", map[string]any{"dept_id": c.dept["A1"]})
		act(200, ext, "handler_a1", "sign", nil)
		act(200, ext, "handler_a1", "feedback", map[string]any{"note": "科室已处置"})

		parent, _ := newCase(nil)
		dup, dupToken := newCase(nil)
		c.want(200, "POST", "/api/v1/track/"+dupToken+"/actions/supplement", "", map[string]any{"note": "补充：在公交站旁"})
		act(200, dup, "operator", "merge", map[string]any{"parent_code": parent})
		other, otherToken := newCase(nil)
		act(400, other, "operator", "merge", map[string]any{"parent_code": "nope"})
		act(400, other, "shift_lead", "reject", nil)
		rej, _ := newCase(nil)
		act(200, rej, "shift_lead", "reject", map[string]any{"note": "不属于城市管理范围"})
		c.want(200, "POST", "/api/v1/track/"+otherToken+"/actions/withdraw", "", nil)
		camera, _ := newCase(map[string]any{"channel": "camera", "photos": []string{}})
		act(200, camera, "grid_member", "verify", map[string]any{"valid": false, "note": "误报"})

		// Refusals of actions.
		fresh, _ := newCase(nil)
		version := c.want(200, "GET", "/api/v1/cases/"+fresh, "operator", nil).num("version")
		act(422, fresh, "dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"]})
		act(403, fresh, "grid_member", "register", nil)
		act(409, fresh, "operator", "send_verify", map[string]any{"version": version + 1})
		act(404, fresh, "operator", "teleport", nil, bad, "")
		act(404, "1999010100001", "operator", "send_verify", nil)
		act(400, fresh, "shift_lead", "register", nil)
		act(400, fresh, "operator", "send_verify", `{"version":`, bad, "")
		act(400, fresh, "operator", "send_verify", map[string]any{"action": "register"})
		act(400, fresh, "operator", "send_verify", map[string]any{"verison": 1}, bad, "")
		act(401, fresh, "", "send_verify", nil, bad, "")
		c.want(404, "GET", "/api/v1/cases/1999010100001", "operator", nil)
		c.want(404, "GET", "/api/v1/cases/1999010100001/events", "operator", nil)
		c.want(404, "GET", "/api/v1/cases/"+ext, "handler_b", nil) // outside the scope

		// Personal data: masked in views, revealed on request to pii.reveal, audited.
		pii, _ := newCase(map[string]any{"reporter_name": "王小明", "reporter_phone": "13812345678"})
		if v := c.want(200, "GET", "/api/v1/cases/"+pii, "operator", nil); strings.Contains(v.raw, "13812345678") ||
			v.str("reporter_phone") != "138****5678" || v.str("reporter_name") != "王**" {
			t.Fatalf("the reporter is not masked: %s", v.raw)
		}
		if v := c.want(200, "POST", "/api/v1/cases/"+pii+"/reveal", "operator", map[string]any{"reason": "回访"}); v.str("reporter_phone") != "13812345678" {
			t.Fatalf("reveal: %s", v.raw)
		}
		c.want(200, "POST", "/api/v1/cases/"+pii+"/reveal", "supervisor", nil)
		c.want(403, "POST", "/api/v1/cases/"+pii+"/reveal", "dispatcher", nil)
		c.want(403, "POST", "/api/v1/cases/"+ext+"/reveal", "handler_b", nil)
		c.want(400, "POST", "/api/v1/cases/"+pii+"/reveal", "operator", map[string]any{"why": "x"}, bad, "")
		c.want(401, "GET", "/api/v1/audit", "", nil, bad, "")
		c.want(403, "GET", "/api/v1/audit", "supervisor", nil)
		if v := c.want(200, "GET", "/api/v1/audit?action=pii.reveal&case="+pii, "admin", nil); v.num("total") != 2 {
			t.Fatalf("reveals in the audit log: %s", v.raw)
		}
		c.want(200, "GET", "/api/v1/audit?action=admin.&from=2020-01-01&to=2100-01-01&limit=5", "admin", nil)
		c.want(400, "GET", "/api/v1/audit?from=yesterday", "admin", nil, bad, "")

		// Lists.
		for _, q := range []string{"", "?status=reported,handling", "?status=reported&status=closed", "?department=" + fmt.Sprint(c.dept["A"]),
			"?category=E0303", "?q=井盖", "?order=due_asc&limit=2&offset=1", "?order=updated_desc", "?overdue=false"} {
			c.want(200, "GET", "/api/v1/cases"+q, "supervisor", nil)
		}
		c.want(200, "GET", "/api/v1/cases", "handler_a", nil)
		for _, q := range []string{"?limit=abc", "?limit=501", "?order=sideways", "?overdue=maybe", "?status=lost", "?department=x", "?offset=-1"} {
			c.want(400, "GET", "/api/v1/cases"+q, "supervisor", nil, bad, "")
		}

		// The delivery log: deliver what is queued, then read it and replay.
		before := c.want(200, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=pending&limit=5", hookID), "admin", nil)
		if before.num("total") == 0 {
			t.Fatalf("no pending deliveries: %s", before.raw)
		}
		job := &jobs.WebhookDelivery{Svc: c.svc, Batch: 500, Timeout: 5 * time.Second}
		for {
			n, err := job.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		log := c.want(200, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hookID), "admin", nil)
		if log.str("items.0.state") != "delivered" || log.num("items.0.log.0.status_code") != 200 {
			t.Fatalf("delivery log: %.600s", log.raw)
		}
		c.want(200, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=delivered&offset=3", some.num("id")), "admin", nil)
		c.want(400, "GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=lost", hookID), "admin", nil, bad, "")
		c.want(404, "GET", "/api/v1/webhooks/999999/deliveries", "admin", nil)
		id := log.str("items.0.id")
		if r := c.want(202, "POST", "/api/v1/webhooks/deliveries/"+id+"/replay", "admin", nil); r.str("state") != "pending" || r.str("id") != id {
			t.Fatalf("replay: %s", r.raw)
		}
		c.want(404, "POST", "/api/v1/webhooks/deliveries/no-such-delivery/replay", "admin", nil)
		c.want(403, "POST", "/api/v1/webhooks/deliveries/"+id+"/replay", "operator", nil)

		// Overdue: the clock moves a month on; the case's light is red.
		late := handling()
		c.svc.Now = func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
		if n, err := c.svc.FlagOverdue(ctx); err != nil || n == 0 {
			t.Fatalf("overdue clock flagged %d: %v", n, err)
		}
		if a := c.want(200, "GET", "/api/v1/cases/"+late, "supervisor", nil); a.str("light") != "red" {
			t.Fatalf("overdue case: %s", a.raw)
		}
		c.want(200, "GET", "/api/v1/cases?overdue=true", "supervisor", nil)
		c.svc.Now = time.Now

		exerciseEvaluation(t, c) // evaluation, dashboard, feed, reports, exports (evaluation_test.go)
		exerciseCitizen(t, c)    // similar cases, following, public board, notifications (citizen_test.go)

		checkLog(t, c.val.log)
	})
}

// checkLog requires every exchange to have validated (or, for deliberately broken
// requests, to have failed request validation), every documented operation to have
// been answered with success, and every error status to have been seen.
func checkLog(t *testing.T, log []exchange) {
	t.Helper()
	ok, statuses, succeeded := 0, map[int]int{}, map[string]bool{}
	for _, ex := range log {
		statuses[ex.status]++
		name := fmt.Sprintf("%s %s %s → %d", ex.method, ex.path, ex.body, ex.status)
		switch {
		case ex.route == "":
			t.Errorf("%s: %v", name, ex.reqErr)
			continue
		case ex.bad && ex.reqErr == nil:
			t.Errorf("%s: the request breaks the document on purpose, yet validates: the document is too loose", name)
		case !ex.bad && ex.reqErr != nil:
			t.Errorf("%s: request does not match the document: %v", name, ex.reqErr)
		}
		if ex.respErr != nil {
			msg := ex.respErr.Error()
			if len(msg) > 2000 {
				msg = msg[:2000] + "…"
			}
			t.Errorf("%s: answer does not match the document: %s", name, msg)
		}
		if ex.respErr == nil && (ex.bad == (ex.reqErr != nil)) {
			ok++
		}
		if ex.status < 400 {
			succeeded[ex.route] = true
		}
	}
	for _, rt := range api.Routes {
		if key := rt.Method + " " + rt.Pattern; !succeeded[key] {
			t.Errorf("no successful call of %s was validated: add one to this test", key)
		}
	}
	for _, s := range []int{400, 401, 403, 404, 409, 413, 422} {
		if statuses[s] == 0 {
			t.Errorf("no %d answer was validated", s)
		}
	}
	var seen []string
	for s, n := range statuses {
		seen = append(seen, fmt.Sprintf("%d×%d", s, n))
	}
	sort.Strings(seen)
	t.Logf("validated %d of %d real exchanges against the document (statuses %s)", ok, len(log), strings.Join(seen, " "))
}

// TestOpenAPIValidationIsStrict: the validator refuses answers that drift from the
// document — an undocumented field, a missing required one, a wrong type, an
// undocumented status — so the traffic test above cannot pass by being lenient.
func TestOpenAPIValidationIsStrict(t *testing.T) {
	_, router := loadDoc(t)
	me := `{"id":1,"name":"operator","display_name":"","roles":["operator"],"disabled":false,"created_at":"2026-05-01T08:00:00Z"}`
	for _, tc := range []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"as documented", 200, me, true},
		{"an undocumented field", 200, strings.Replace(me, `"id":1`, `"id":1,"password_hash":"x"`, 1), false},
		{"a missing required field", 200, strings.Replace(me, `"disabled":false,`, ``, 1), false},
		{"a wrong type", 200, strings.Replace(me, `"id":1`, `"id":"1"`, 1), false},
		{"an unknown role", 200, strings.Replace(me, `"operator"]`, `"wizard"]`, 1), false},
		{"a bad time", 200, strings.Replace(me, `2026-05-01T08:00:00Z`, `yesterday`, 1), false},
		{"an undocumented status", 418, `{"error":{"code":"internal","message":"x"}}`, false},
		{"an error without its code", 401, `{"error":{"message":"x"}}`, false},
	} {
		req := httptest.NewRequest("GET", "/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer x")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		opts := &openapi3filter.Options{AuthenticationFunc: bearerOnly, IncludeResponseStatus: true}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Www-Authenticate": {`Bearer realm="gridloop"`}}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: tc.status, Header: h, Body: io.NopCloser(strings.NewReader(tc.body)), Options: opts})
		if (err == nil) != tc.ok {
			t.Errorf("%s: validation error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
