package open311_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/open311"
	"github.com/gridloop/gridloop/workflow"
)

// city is a small city behind a real server that mounts only the Open311 endpoint.
type city struct {
	t    *testing.T
	url  string
	svc  *service.Service
	keys map[string]string // user name → API token
	dept map[string]int64
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
	c := &city{t: t, svc: svc, keys: map[string]string{}, dept: map[string]int64{}}
	for _, code := range []string{"A", "B"} {
		d := &gl.Department{Code: code, Name: "部门" + code, Kind: gl.DeptBureau}
		if err := svc.AddDepartment(ctx, d); err != nil {
			t.Fatal(err)
		}
		c.dept[code] = d.ID
	}
	for _, u := range []struct {
		name string
		role gl.Role
		dept string
	}{
		// app is the account of the city's Open311 client app; it takes reports in.
		{"app", gl.RoleOperator, ""}, {"shift_lead", gl.RoleShiftLead, ""}, {"dispatcher", gl.RoleDispatcher, ""},
		{"handler_a", gl.RoleHandler, "A"}, {"grid_member", gl.RoleGridMember, ""},
	} {
		user := &gl.User{Name: u.name, Roles: []gl.Role{u.role}}
		if u.dept != "" {
			user.DeptScope = []int64{c.dept[u.dept]}
		}
		if err := svc.AddUser(ctx, user, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		if c.keys[u.name], err = svc.IssueToken(ctx, u.name, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	(&open311.Server{Svc: svc, Log: svc.Logger}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c.url = srv.URL
	return c
}

type answer struct {
	status int
	ctype  string
	body   []byte
}

// do sends a request: a GET with form as the query, a POST with it form-encoded.
func (c *city) do(method, path string, form url.Values) answer {
	c.t.Helper()
	var body io.Reader
	u := c.url + path
	if method == "GET" {
		if len(form) > 0 {
			u += "?" + form.Encode()
		}
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Content-Type"), raw}
}

// check requires the status, the format's content type and the document's schema.
func check(t *testing.T, a answer, ext string, status int, sc schema) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d:\n%s", a.status, status, a.body)
	}
	if ext == ".json" {
		if a.ctype != "application/json; charset=utf-8" {
			t.Fatalf("content type %q", a.ctype)
		}
		checkJSON(t, sc, a.body)
	} else {
		if a.ctype != "text/xml; charset=utf-8" {
			t.Fatalf("content type %q", a.ctype)
		}
		checkXML(t, sc, a.body)
	}
}

// get fetches path in XML and JSON, checks both against sc and decodes them into X and J.
func get[X, J any](c *city, path string, q url.Values, sc schema) (X, J) {
	c.t.Helper()
	var x X
	var j J
	a := c.do("GET", path+".xml", q)
	check(c.t, a, ".xml", 200, sc)
	decodeXML(c.t, a.body, &x)
	a = c.do("GET", path+".json", q)
	check(c.t, a, ".json", 200, sc)
	decodeJSON(c.t, a.body, &j)
	return x, j
}

// requests reads GET requests (or requests/{id}) in both formats, which must agree.
func (c *city) requests(path string, q url.Values) []tRequest {
	c.t.Helper()
	x, j := get[tRequests[tRequest], []tRequest](c, path, q, requestsSchema)
	if len(x.Items) == 0 && len(j) == 0 {
		return nil
	}
	if !reflect.DeepEqual(x.Items, j) {
		c.t.Fatalf("XML and JSON differ:\n xml %+v\njson %+v", x.Items, j)
	}
	for _, r := range j {
		for _, dt := range []string{r.RequestedDatetime, r.UpdatedDatetime} {
			if !w3cZoned.MatchString(dt) {
				c.t.Fatalf("datetime %q is not W3C with +08:00", dt)
			}
		}
		if r.ExpectedDatetime != "" && !w3cZoned.MatchString(r.ExpectedDatetime) {
			c.t.Fatalf("expected_datetime %q", r.ExpectedDatetime)
		}
	}
	return j
}

func (c *city) updates(q url.Values) []tUpdate {
	c.t.Helper()
	x, j := get[tUpdates[tUpdate], []tUpdate](c, "/open311/v2/servicerequestupdates", q, updatesSchema)
	if len(x.Items) != len(j) || (len(j) > 0 && !reflect.DeepEqual(x.Items, j)) {
		c.t.Fatalf("XML and JSON differ:\n xml %+v\njson %+v", x.Items, j)
	}
	for _, u := range j {
		if !w3cZoned.MatchString(u.UpdatedDatetime) {
			c.t.Fatalf("updated_datetime %q", u.UpdatedDatetime)
		}
	}
	return j
}

// report posts a request form-encoded, answering in ext, and returns its id and token.
func (c *city) report(ext string, form url.Values) (id, token string) {
	c.t.Helper()
	a := c.do("POST", "/open311/v2/requests"+ext, form)
	check(c.t, a, ext, 200, createdSchema)
	var items []tCreated
	if ext == ".json" {
		decodeJSON(c.t, a.body, &items)
	} else {
		var x tRequests[tCreated]
		decodeXML(c.t, a.body, &x)
		items = x.Items
	}
	if len(items) != 1 || items[0].ServiceRequestID == "" || items[0].Token == "" {
		c.t.Fatalf("POST requests answered %+v", items)
	}
	return items[0].ServiceRequestID, items[0].Token
}

// form is a valid request of service code at a point in Hangzhou.
func (c *city) form(code string, extra ...string) url.Values {
	f := url.Values{
		"api_key": {c.keys["app"]}, "service_code": {code}, "lat": {"30.259"}, "long": {"120.151"},
		"description": {"人行道上井盖缺失，行人容易踩空"}, "attribute[urgent]": {"no"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			f.Del(extra[i])
		} else {
			f.Set(extra[i], extra[i+1])
		}
	}
	return f
}

func (c *city) act(code, user string, in workflow.Input) {
	c.t.Helper()
	ctx := context.Background()
	u, err := c.svc.UserByName(ctx, user)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.svc.Act(ctx, c.svc.NewPrincipal(u), code, in, nil); err != nil {
		c.t.Fatalf("%s by %s: %v", in.Action, user, err)
	}
}

func (c *city) events(code string) []gl.Event {
	c.t.Helper()
	evs, err := c.svc.CaseEvents(context.Background(), &service.Principal{System: true}, code)
	if err != nil {
		c.t.Fatal(err)
	}
	return evs
}

func ids(rs []tRequest) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ServiceRequestID)
	}
	return out
}

func TestOpen311(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		t.Run("discovery and services", func(t *testing.T) { c.t = t; testDiscoveryAndServices(c) })
		t.Run("errors", func(t *testing.T) { c.t = t; testErrors(c) })
		t.Run("client flow", func(t *testing.T) { c.t = t; testClientFlow(c) })
		t.Run("filters", func(t *testing.T) { c.t = t; testFilters(c) })
		t.Run("visibility", func(t *testing.T) { c.t = t; testVisibility(c) })
	})
}

func testDiscoveryAndServices(c *city) {
	t := c.t
	// XML is the default without an extension, on the root and on discovery.
	for _, p := range []string{"/open311/v2", "/open311/v2/discovery"} {
		a := c.do("GET", p, nil)
		check(t, a, "", 200, discoverySchema)
	}
	dx, dj := get[tDiscovery, tDiscovery](c, "/open311/v2/discovery", nil, discoverySchema)
	dx.XMLName = dj.XMLName
	if !reflect.DeepEqual(dx, dj) {
		t.Fatalf("discovery differs:\n%+v\n%+v", dx, dj)
	}
	if len(dj.Endpoints) != 1 || dj.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
		dj.Endpoints[0].URL != c.url+"/open311/v2" || dj.Changeset == "" || dj.Contact == "" || dj.KeyService == "" ||
		!slices.Equal(dj.Endpoints[0].Formats, []string{"text/xml", "application/json"}) {
		t.Fatalf("discovery: %+v", dj)
	}

	sx, sj := get[tServices, []tService](c, "/open311/v2/services", nil, servicesSchema)
	if !reflect.DeepEqual(sx.Items, sj) {
		t.Fatal("services differ between XML and JSON")
	}
	active := 0
	for _, cat := range gl.DefaultCategories() {
		if cat.Active {
			active++
		}
	}
	if len(sj) != active {
		t.Fatalf("%d services, want %d active categories", len(sj), active)
	}
	want := tService{ServiceCode: "C0101", ServiceName: "上水井盖", Description: "井盖破损、移位、缺失",
		Metadata: true, Type: "realtime", Keywords: "井盖, 自来水", Group: "公用设施"}
	if sj[0] != want {
		t.Fatalf("services[0] = %+v\nwant %+v", sj[0], want)
	}

	// A deactivated category is no longer a service.
	cat := gl.DefaultCategories()[1]
	cat.Active = false
	if err := c.svc.PutCategory(context.Background(), &cat); err != nil {
		t.Fatal(err)
	}
	_, sj = get[tServices, []tService](c, "/open311/v2/services", nil, servicesSchema)
	if len(sj) != active-1 || slices.ContainsFunc(sj, func(s tService) bool { return s.ServiceCode == cat.Code }) {
		t.Fatalf("inactive %s still listed", cat.Code)
	}
	if a := c.do("GET", "/open311/v2/services/"+cat.Code+".json", nil); a.status != 404 {
		t.Fatalf("definition of an inactive service: %d", a.status)
	}
	cat.Active = true
	c.svc.PutCategory(context.Background(), &cat)

	fx, fj := get[tDefinition, tDefinition](c, "/open311/v2/services/C0101", nil, definitionSchema)
	fx.XMLName = fj.XMLName
	if !reflect.DeepEqual(fx, fj) {
		t.Fatalf("definition differs:\n%+v\n%+v", fx, fj)
	}
	if fj.ServiceCode != "C0101" {
		t.Fatal(fj.ServiceCode)
	}
	types := map[string]bool{}
	for i, a := range fj.Attributes {
		types[a.Datatype] = true
		if a.Order != i+1 || a.Code == "" || a.Description == "" {
			t.Errorf("attribute %d: %+v", i, a)
		}
		list := a.Datatype == "singlevaluelist" || a.Datatype == "multivaluelist"
		if list != (len(a.Values) > 0) {
			t.Errorf("attribute %s (%s) has values %v", a.Code, a.Datatype, a.Values)
		}
		if a.Variable && a.DatatypeDescription == "" {
			t.Errorf("attribute %s has no datatype_description", a.Code)
		}
	}
	for _, dt := range []string{"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"} {
		if !types[dt] {
			t.Errorf("no attribute of datatype %s", dt)
		}
	}
	urgent := fj.Attributes[0]
	if urgent.Code != "urgent" || !urgent.Required || !urgent.Variable ||
		!reflect.DeepEqual(urgent.Values, []tValue{{"yes", "是"}, {"no", "否"}}) {
		t.Fatalf("urgent: %+v", urgent)
	}
	last := fj.Attributes[len(fj.Attributes)-1]
	if last.Variable || last.Code != "closing_condition" || !strings.Contains(last.Description, "井盖完好") {
		t.Fatalf("informational attribute: %+v", last)
	}
}

func testErrors(c *city) {
	t := c.t
	long := strings.Repeat("很", open311.MaxDescription+1)
	for _, tc := range []struct {
		name, method, path string
		form               url.Values
		status             int
		want               string
	}{
		{"unknown resource", "GET", "/open311/v2/nope", nil, 404, "no such resource"},
		{"unknown service", "GET", "/open311/v2/services/NOPE", nil, 404, "service_code"},
		{"wrong method", "DELETE", "/open311/v2/requests", nil, 400, "method DELETE"},
		{"no api_key", "POST", "/open311/v2/requests", c.form("C0101", "api_key", ""), 403, "api_key is required"},
		{"bad api_key", "POST", "/open311/v2/requests", c.form("C0101", "api_key", "glt_nope"), 403, "invalid api_key"},
		{"no service_code", "POST", "/open311/v2/requests", c.form("C0101", "service_code", ""), 400, "service_code is required"},
		{"unknown service_code", "POST", "/open311/v2/requests", c.form("X99"), 404, "service_code"},
		{"address_string only", "POST", "/open311/v2/requests", c.form("C0101", "lat", "", "long", "", "address_string", "曙光路 12 号"), 400, "address_string requires lat/long; no geocoder configured"},
		{"address_id only", "POST", "/open311/v2/requests", c.form("C0101", "lat", "", "long", "", "address_id", "A-1"), 400, "address_id requires lat/long"},
		{"no location", "POST", "/open311/v2/requests", c.form("C0101", "lat", "", "long", ""), 400, "location is required"},
		{"lat without long", "POST", "/open311/v2/requests", c.form("C0101", "long", ""), 400, "together"},
		{"lat not a number", "POST", "/open311/v2/requests", c.form("C0101", "lat", "north"), 400, "lat must be a number"},
		{"lat out of range", "POST", "/open311/v2/requests", c.form("C0101", "lat", "91"), 400, "lat: "},
		{"required attribute missing", "POST", "/open311/v2/requests", c.form("C0101", "attribute[urgent]", ""), 400, "attribute[urgent] is required"},
		{"bad number", "POST", "/open311/v2/requests", c.form("C0101", "attribute[floor]", "three"), 400, "attribute[floor] must be a number"},
		{"bad datetime", "POST", "/open311/v2/requests", c.form("C0101", "attribute[observed_at]", "yesterday"), 400, "attribute[observed_at]"},
		{"datetime without zone", "POST", "/open311/v2/requests", c.form("C0101", "attribute[observed_at]", "2026-11-20T08:30:00"), 400, "time zone"},
		{"bad single value", "POST", "/open311/v2/requests", c.form("C0101", "attribute[urgent]", "maybe"), 400, `"maybe" is not one of yes, no`},
		{"two single values", "POST", "/open311/v2/requests", func() url.Values {
			f := c.form("C0101")
			f["attribute[urgent]"] = []string{"yes", "no"}
			return f
		}(), 400, "takes one value"},
		{"bad multi value", "POST", "/open311/v2/requests", c.form("C0101", "attribute[hazards][]", "fire"), 400, "attribute[hazards]"},
		{"string with line break", "POST", "/open311/v2/requests", c.form("C0101", "attribute[landmark]", "a\nb"), 400, "line breaks"},
		{"description too long", "POST", "/open311/v2/requests", c.form("C0101", "description", long), 400, "at most 4000"},
		{"bad media_url", "POST", "/open311/v2/requests", c.form("C0101", "media_url", "ftp://x/y.jpg"), 400, "media_url"},
		{"bad phone", "POST", "/open311/v2/requests", c.form("C0101", "phone", "call me"), 400, "phone: "},
		{"span over 90 days", "GET", "/open311/v2/requests", url.Values{"start_date": {"2026-01-01T00:00:00Z"}, "end_date": {"2026-06-01T00:00:00Z"}}, 400, "90 days"},
		{"end before start", "GET", "/open311/v2/requests", url.Values{"start_date": {"2026-06-01T00:00:00Z"}, "end_date": {"2026-05-01T00:00:00Z"}}, 400, "must be after"},
		{"bad start_date", "GET", "/open311/v2/requests", url.Values{"start_date": {"last week"}}, 400, "start_date"},
		{"bad status", "GET", "/open311/v2/requests", url.Values{"status": {"open,pending"}}, 400, "status must be open or closed"},
		{"bad page_size", "GET", "/open311/v2/requests", url.Values{"page_size": {"0"}}, 400, "page_size"},
		{"bad extensions", "GET", "/open311/v2/requests", url.Values{"extensions": {"please"}}, 400, "extensions"},
		{"bad api_key on GET", "GET", "/open311/v2/requests", url.Values{"api_key": {"glt_nope"}}, 403, "invalid api_key"},
		{"unknown request", "GET", "/open311/v2/requests/20991231999", nil, 404, "not found"},
		{"unknown token", "GET", "/open311/v2/tokens/nope", nil, 404, "token not found"},
		{"update without api_key", "POST", "/open311/v2/servicerequestupdates", url.Values{"service_request_id": {"1"}, "update_id": {"1"}, "status": {"OPEN"}}, 403, "api_key"},
		{"update of unknown request", "POST", "/open311/v2/servicerequestupdates", url.Values{"api_key": {c.keys["app"]}, "service_request_id": {"20991231999"}, "update_id": {"1"}, "status": {"OPEN"}}, 404, "not found"},
		{"update without update_id", "POST", "/open311/v2/servicerequestupdates", url.Values{"api_key": {c.keys["app"]}, "service_request_id": {"1"}, "status": {"OPEN"}}, 400, "update_id is required"},
		{"update with bad status", "POST", "/open311/v2/servicerequestupdates", url.Values{"api_key": {c.keys["app"]}, "service_request_id": {"1"}, "update_id": {"1"}, "status": {"DONE"}}, 400, "status must be OPEN or CLOSED"},
		{"update with bad datetime", "POST", "/open311/v2/servicerequestupdates", url.Values{"api_key": {c.keys["app"]}, "service_request_id": {"1"}, "update_id": {"1"}, "status": {"OPEN"}, "updated_datetime": {"now"}}, 400, "updated_datetime"},
		{"bad updates window", "GET", "/open311/v2/servicerequestupdates", url.Values{"start_date": {"2020-01-01"}, "end_date": {"2021-01-01"}}, 400, "90 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, ext := range []string{".xml", ".json", ""} {
				a := c.do(tc.method, tc.path+ext, tc.form)
				check(t, a, ext, tc.status, errorsSchema)
				var errs []tError
				if ext == ".json" {
					decodeJSON(t, a.body, &errs)
				} else {
					var x tErrors
					decodeXML(t, a.body, &x)
					errs = x.Items
				}
				if len(errs) != 1 || errs[0].Code != tc.status || !strings.Contains(errs[0].Description, tc.want) {
					t.Fatalf("%s%s: errors %+v, want code %d and %q", tc.path, ext, errs, tc.status, tc.want)
				}
			}
		})
	}
	// A JSON body is not a form.
	req, _ := http.NewRequest("POST", c.url+"/open311/v2/requests.json", strings.NewReader(`{"service_code":"C0101"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	check(t, answer{res.StatusCode, res.Header.Get("Content-Type"), raw}, ".json", 400, errorsSchema)
	if !strings.Contains(string(raw), "form-encoded") {
		t.Fatalf("JSON body: %s", raw)
	}
	// None of the refused requests made a case.
	if _, n, _ := c.svc.Cases(context.Background(), &service.Principal{System: true}, store.CaseFilter{}); n != 0 {
		t.Fatalf("%d cases after refused requests", n)
	}
}

func testClientFlow(c *city) {
	t := c.t
	ctx := context.Background()
	form := c.form("C0101",
		"address_string", "曙光路 12 号", "email", "wang@example.com", "device_id", "dev-1", "account_id", "acct-7",
		"first_name", "小明", "last_name", "王", "phone", "13812345678", "media_url", "https://img.example/1.jpg",
		"attribute[urgent]", "yes", "attribute[floor]", "1", "attribute[observed_at]", "2026-11-20T00:30:00Z",
		"attribute[landmark]", "杭州图书馆对面", "attribute[details]", "井口很深\n夜里看不见",
		"attribute[unknown]", "ignored")
	form["attribute[hazards][]"] = []string{"traffic", "pedestrians"}
	a := c.do("POST", "/open311/v2/requests.xml", form)
	check(t, a, ".xml", 200, createdSchema)
	var created tRequests[tCreated]
	decodeXML(t, a.body, &created)
	if len(created.Items) != 1 {
		t.Fatalf("created: %s", a.body)
	}
	cr := created.Items[0]
	if cr.ServiceRequestID == "" || cr.Token == "" || cr.AccountID != "acct-7" || !strings.Contains(cr.ServiceNotice, "处置时限") {
		t.Fatalf("created: %+v", cr)
	}
	id, token := cr.ServiceRequestID, cr.Token

	// The case is gridloop's, on channel open311, with the reporter and the attributes.
	cs, err := c.svc.Case(ctx, &service.Principal{System: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Channel != gl.ChannelOpen311 || cs.CategoryCode != "C0101" || cs.ReporterName != "王小明" ||
		cs.ReporterPhone != "13812345678" || cs.Address != "曙光路 12 号" || !slices.Equal(cs.Photos, []string{"https://img.example/1.jpg"}) {
		t.Fatalf("case: %+v", cs)
	}
	for _, line := range []string{"人行道上井盖缺失", "是否紧急：是", "影响：影响车辆通行、危及行人", "楼层：1",
		"发现时间：2026-11-20T08:30:00+08:00", "附近地标：杭州图书馆对面", "补充说明：井口很深\n夜里看不见"} {
		if !strings.Contains(cs.Description, line) {
			t.Fatalf("description lacks %q:\n%s", line, cs.Description)
		}
	}

	// Poll by token, in both formats.
	tx, tj := get[tRequests[tToken], []tToken](c, "/open311/v2/tokens/"+token, nil, tokenSchema)
	if len(tj) != 1 || tj[0] != (tToken{id, token}) || !reflect.DeepEqual(tx.Items, tj) {
		t.Fatalf("token: %+v %+v", tx.Items, tj)
	}

	// Read it by id: open, public fields only.
	rs := c.requests("/open311/v2/requests/"+id, nil)
	if len(rs) != 1 {
		t.Fatalf("requests/%s: %+v", id, rs)
	}
	r := rs[0]
	if r.ServiceRequestID != id || r.Status != "open" || r.ServiceCode != "C0101" || r.ServiceName != "上水井盖" ||
		r.Lat != 30.259 || r.Long != 120.151 || r.MediaURL != "https://img.example/1.jpg" || r.Address != "曙光路 12 号" ||
		r.AgencyResponsible != "" || r.ExpectedDatetime != "" || r.StatusNotes != "" || r.ExtendedAttributes != nil {
		t.Fatalf("request: %+v", r)
	}
	for _, ext := range []string{".xml", ".json"} {
		raw := string(c.do("GET", "/open311/v2/requests/"+id+ext, nil).body)
		if strings.Contains(raw, "王小明") || strings.Contains(raw, "13812345678") || strings.Contains(raw, "wang@example.com") {
			t.Fatalf("personal data in the public view:\n%s", raw)
		}
	}

	// Staff work the case through the loop; the department's reply becomes public.
	c.act(id, "shift_lead", workflow.Input{Action: gl.ActionRegister})
	c.act(id, "dispatcher", workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
	c.act(id, "handler_a", workflow.Input{Action: gl.ActionSign})
	c.act(id, "handler_a", workflow.Input{Action: gl.ActionComment, Note: "内部：需要调配车辆"})
	c.act(id, "handler_a", workflow.Input{Action: gl.ActionFeedback, Note: "已更换新井盖", Photos: []string{"https://img.example/fixed.jpg"}})

	r = c.requests("/open311/v2/requests/"+id, url.Values{"extensions": {"true"}})[0]
	if r.Status != "open" || r.AgencyResponsible != "部门A" || r.ExpectedDatetime == "" || r.StatusNotes != "已更换新井盖" ||
		r.ExtendedAttributes == nil || *r.ExtendedAttributes != (tExtended{"handled", "已处置", "in_progress"}) {
		t.Fatalf("handled request: %+v %+v", r, r.ExtendedAttributes)
	}

	// Updates: every public event after the report, in order, never internal notes.
	var public []gl.Event
	for _, e := range c.events(id) {
		if e.Public && e.Action != gl.ActionReport {
			public = append(public, e)
		}
	}
	ups := c.updates(nil)
	var mine []tUpdate
	for _, u := range ups {
		if u.ServiceRequestID == id {
			mine = append(mine, u)
		}
	}
	if len(mine) != len(public) || len(mine) != 4 {
		t.Fatalf("updates %+v, want the %d public events", mine, len(public))
	}
	for i, e := range public {
		u := mine[i]
		if u.UpdateID != strconv.FormatInt(e.ID, 10) || u.Status != "open" {
			t.Fatalf("update %d: %+v for event %+v", i, u, e)
		}
	}
	fb := mine[len(mine)-1]
	if fb.Description != "已更换新井盖" || fb.MediaURL != "https://img.example/fixed.jpg" {
		t.Fatalf("feedback update: %+v", fb)
	}
	for _, u := range ups {
		if strings.Contains(u.Description, "内部") {
			t.Fatalf("an internal note leaked: %+v", u)
		}
	}
	// A window before the events holds none of them.
	old := c.updates(url.Values{"start_date": {"2020-01-01"}, "end_date": {"2020-01-31"}})
	if len(old) != 0 {
		t.Fatalf("updates in 2020: %+v", old)
	}

	// The city's other system pushes an update back; the same update_id twice is refused.
	push := url.Values{"api_key": {c.keys["app"]}, "service_request_id": {id}, "update_id": {"ext-77"},
		"status": {"CLOSED"}, "updated_datetime": {"2026-11-21T10:00:00+08:00"}, "description": {"外部工单已完结"},
		"media_url": {"https://ext.example/77.jpg"}, "first_name": {"Ann"}, "last_name": {"Lee"}}
	a = c.do("POST", "/open311/v2/servicerequestupdates.json", push)
	check(t, a, ".json", 200, updateRefSchema)
	var refs []tUpdateRef
	decodeJSON(t, a.body, &refs)
	evs := c.events(id)
	last := evs[len(evs)-1]
	if len(refs) != 1 || refs[0].UpdateID != strconv.FormatInt(last.ID, 10) || last.Action != gl.ActionComment || last.Public ||
		!strings.HasPrefix(last.Note, "[open311 update_id=ext-77]") || !strings.Contains(last.Note, "外部工单已完结") ||
		!strings.Contains(last.Note, "CLOSED") || !strings.Contains(last.Note, "Ann Lee") || last.Actor != "app" {
		t.Fatalf("pushed update: %+v → %+v", refs, last)
	}
	if cs, _ := c.svc.Case(ctx, &service.Principal{System: true}, id); cs.Status != gl.StatusHandled {
		t.Fatalf("an external CLOSED must not close the case: %s", cs.Status)
	}
	for _, ext := range []string{".xml", ".json"} {
		a = c.do("POST", "/open311/v2/servicerequestupdates"+ext, push)
		check(t, a, ext, 400, errorsSchema)
		if !strings.Contains(string(a.body), "duplicate update_id") {
			t.Fatalf("duplicate: %s", a.body)
		}
	}
	// Another id is new; XML answer.
	push.Set("update_id", "ext-78")
	push.Set("status", "open")
	a = c.do("POST", "/open311/v2/servicerequestupdates.xml", push)
	check(t, a, ".xml", 200, updateRefSchema)
	var xrefs tUpdates[tUpdateRef]
	decodeXML(t, a.body, &xrefs)
	if len(xrefs.Items) != 1 || xrefs.Items[0].UpdateID == refs[0].UpdateID {
		t.Fatalf("second update: %s", a.body)
	}
	if n := len(c.events(id)); n != len(evs)+1 {
		t.Fatalf("%d events, want %d", n, len(evs)+1)
	}
	// Pushed updates are internal: not echoed in GET servicerequestupdates.
	for _, u := range c.updates(nil) {
		if u.UpdateID == refs[0].UpdateID || u.UpdateID == xrefs.Items[0].UpdateID {
			t.Fatalf("a pushed update is echoed back: %+v", u)
		}
	}

	// Closing: check, close. The request is closed; the detailed status says fixed.
	c.act(id, "app", workflow.Input{Action: gl.ActionSendCheck})
	c.act(id, "grid_member", workflow.Input{Action: gl.ActionCheck, Passed: new(true), Note: "现场核查已修复"})
	c.act(id, "shift_lead", workflow.Input{Action: gl.ActionClose, Note: "问题已解决，结案"})
	r = c.requests("/open311/v2/requests/"+id, url.Values{"extensions": {"true"}})[0]
	if r.Status != "closed" || r.StatusNotes != "问题已解决，结案" || r.ExtendedAttributes.DetailedStatus != "fixed" {
		t.Fatalf("closed request: %+v %+v", r, r.ExtendedAttributes)
	}
	if !slices.Contains(ids(c.requests("/open311/v2/requests", url.Values{"status": {"closed"}})), id) ||
		slices.Contains(ids(c.requests("/open311/v2/requests", url.Values{"status": {"open"}})), id) {
		t.Fatal("status filter")
	}
	last2 := c.updates(nil)
	if u := last2[len(last2)-1]; u.ServiceRequestID != id || u.Status != "closed" || u.Description != "问题已解决，结案" {
		t.Fatalf("close update: %+v", u)
	}
}

func testFilters(c *city) {
	t := c.t
	before := c.requests("/open311/v2/requests", nil)
	e1, _ := c.report(".json", c.form("E0303", "description", "路面坑洼一"))
	e2, _ := c.report("", c.form("E0303", "description", "路面坑洼二"))
	l1, _ := c.report(".json", c.form("C0104", "description", "路灯不亮"))
	all := c.requests("/open311/v2/requests", nil)
	if len(all) != len(before)+3 || !slices.Equal(ids(all)[:3], []string{l1, e2, e1}) {
		t.Fatalf("newest first: %v", ids(all))
	}

	if got := ids(c.requests("/open311/v2/requests", url.Values{"service_code": {"E0303"}})); !slices.Equal(got, []string{e2, e1}) {
		t.Fatalf("service_code: %v", got)
	}
	if got := ids(c.requests("/open311/v2/requests", url.Values{"service_code": {"E0303,C0104"}})); !slices.Equal(got, []string{l1, e2, e1}) {
		t.Fatalf("two service codes: %v", got)
	}
	if got := ids(c.requests("/open311/v2/requests", url.Values{"service_code": {"E0303", "C0104"}})); !slices.Equal(got, []string{l1, e2, e1}) {
		t.Fatalf("service_code repeated: %v", got)
	}
	// service_request_id overrides the other filters and keeps the order asked.
	q := url.Values{"service_request_id": {e1 + "," + l1 + ",20991231999"}, "service_code": {"C0101"}, "status": {"closed"}}
	if got := ids(c.requests("/open311/v2/requests", q)); !slices.Equal(got, []string{e1, l1}) {
		t.Fatalf("service_request_id: %v", got)
	}

	loc := c.svc.Calendar().Location()
	now := time.Now().In(loc)
	q = url.Values{"start_date": {now.Add(-time.Hour).Format(time.RFC3339)}, "end_date": {now.Add(time.Hour).Format(time.RFC3339)}}
	if got := c.requests("/open311/v2/requests", q); len(got) != len(all) {
		t.Fatalf("window around now: %d of %d", len(got), len(all))
	}
	oldest := all[len(all)-1].RequestedDatetime[:len(time.DateOnly)]
	if got := c.requests("/open311/v2/requests", url.Values{"start_date": {oldest}}); len(got) != len(all) {
		t.Fatalf("date-only start: %d", len(got))
	}
	if got := c.requests("/open311/v2/requests", url.Values{"start_date": {"2020-01-01T00:00:00+08:00"}, "end_date": {"2020-03-01T00:00:00+08:00"}}); len(got) != 0 {
		t.Fatalf("2020: %v", ids(got))
	}
	if got := c.requests("/open311/v2/requests", url.Values{"end_date": {"2020-03-01"}}); len(got) != 0 {
		t.Fatalf("end only: %v", ids(got))
	}

	// Pages of two, newest first, without overlap.
	var paged []string
	for page := 1; ; page++ {
		got := ids(c.requests("/open311/v2/requests", url.Values{"page": {strconv.Itoa(page)}, "page_size": {"2"}}))
		if len(got) == 0 {
			break
		}
		if len(got) > 2 {
			t.Fatalf("page %d has %d", page, len(got))
		}
		paged = append(paged, got...)
	}
	if !slices.Equal(paged, ids(all)) {
		t.Fatalf("pages %v, want %v", paged, ids(all))
	}

	// updated_after: only what changed since.
	mark := time.Now().In(loc).Format(time.RFC3339Nano)
	c.act(e1, "shift_lead", workflow.Input{Action: gl.ActionRegister})
	if got := ids(c.requests("/open311/v2/requests", url.Values{"updated_after": {mark}})); !slices.Equal(got, []string{e1}) {
		t.Fatalf("updated_after %s: %v", mark, got)
	}
	got := ids(c.requests("/open311/v2/requests", url.Values{"updated_before": {mark}}))
	if slices.Contains(got, e1) || !slices.Contains(got, e2) {
		t.Fatalf("updated_before: %v", got)
	}
	// With the "+" of the offset left unencoded, as clients often do.
	raw := c.do("GET", "/open311/v2/requests.json?updated_after="+mark, nil)
	check(t, raw, ".json", 200, requestsSchema)
	var rs []tRequest
	decodeJSON(t, raw.body, &rs)
	if !slices.Equal(ids(rs), []string{e1}) {
		t.Fatalf("unencoded +: %v", ids(rs))
	}
	// And the register shows among the updates, as action_scheduled in the extension.
	r := c.requests("/open311/v2/requests/"+e1, url.Values{"extensions": {"1"}})[0]
	if r.ExtendedAttributes.GridloopStatus != "registered" || r.ExtendedAttributes.DetailedStatus != "action_scheduled" {
		t.Fatalf("registered: %+v", r.ExtendedAttributes)
	}
	ups := c.updates(url.Values{"start_date": {mark}})
	if len(ups) != 1 || ups[0].ServiceRequestID != e1 || ups[0].Description != "立案（案件状态：已立案）" {
		t.Fatalf("updates since mark: %+v", ups)
	}
}

func testVisibility(c *city) {
	t := c.t
	// 危房 (C0501) is not a public category: the public cannot read it; staff can.
	id, token := c.report(".xml", c.form("C0501", "description", "墙体开裂"))
	if a := c.do("GET", "/open311/v2/requests/"+id+".json", nil); a.status != 404 {
		t.Fatalf("non-public request read publicly: %d %s", a.status, a.body)
	}
	if slices.Contains(ids(c.requests("/open311/v2/requests", nil)), id) {
		t.Fatal("non-public request listed publicly")
	}
	staff := url.Values{"api_key": {c.keys["app"]}}
	if got := c.requests("/open311/v2/requests/"+id, staff); len(got) != 1 || got[0].ServiceCode != "C0501" {
		t.Fatalf("staff read: %+v", got)
	}
	if !slices.Contains(ids(c.requests("/open311/v2/requests", staff)), id) {
		t.Fatal("staff list lacks the non-public request")
	}
	// The token still resolves for the client that filed it.
	_, tj := get[tRequests[tToken], []tToken](c, "/open311/v2/tokens/"+token, nil, tokenSchema)
	if len(tj) != 1 || tj[0].ServiceRequestID != id {
		t.Fatalf("token: %+v", tj)
	}
	// A handler sees only their department's cases, even with an api_key.
	if a := c.do("GET", "/open311/v2/requests/"+id+".xml", url.Values{"api_key": {c.keys["handler_a"]}}); a.status != 404 {
		t.Fatalf("out of scope: %d", a.status)
	}
}
