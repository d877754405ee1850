package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web"
	"github.com/gridloop/gridloop/web/limit"
	"github.com/gridloop/gridloop/workflow"
)

// secCity is the city of the security tests: two streets (街道 A and B, each a
// department), one account per staff role over the whole city, handlers of each
// street, and "other": every staff role, but scoped to street B. Street A has one
// case, dispatched to it, whose reporter left a name and phone.
type secCity struct {
	t      *testing.T
	svc    *service.Service
	url    string
	dept   map[string]int64
	tokens map[string]string       // user → API token
	web    map[string]*http.Client // user → a signed-in browser session (cookies)
	code   string                  // street A's case
	track  string                  // its tracking token
}

const secPassword = "a-long-test-password"

// roleUser is the account holding just role r, over the whole city.
func roleUser(r gl.Role) string { return "r_" + string(r) }

func newSecCity(t *testing.T, b dbtest.Backend, limits *limit.Limits) *secCity {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	var err error
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	c := &secCity{t: t, svc: svc, dept: map[string]int64{}, tokens: map[string]string{}, web: map[string]*http.Client{}}
	for _, d := range []struct{ code, name string }{{"SA", "街道A"}, {"SB", "街道B"}} {
		dep := &gl.Department{Code: d.code, Name: d.name, Kind: gl.DeptStreet}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		c.dept[d.code] = dep.ID
	}
	type acct struct {
		name  string
		roles []gl.Role
		dept  string
	}
	var accts []acct
	for _, r := range gl.StaffRoles {
		accts = append(accts, acct{roleUser(r), []gl.Role{r}, ""})
	}
	accts = append(accts, acct{"other", gl.StaffRoles, "SB"}, acct{"handler_sa", []gl.Role{gl.RoleHandler}, "SA"},
		acct{"handler_sb", []gl.Role{gl.RoleHandler}, "SB"})
	for _, a := range accts {
		u := &gl.User{Name: a.name, Roles: a.roles}
		if a.dept != "" {
			u.DeptScope = []int64{c.dept[a.dept]}
		}
		if err := svc.AddUser(ctx, u, secPassword); err != nil {
			t.Fatal(err)
		}
		if c.tokens[a.name], err = svc.IssueToken(ctx, a.name, "test", 0); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer((&web.Server{Svc: svc, Log: svc.Logger, Limits: limits}).Handler())
	t.Cleanup(srv.Close)
	c.url = srv.URL
	c.code, c.track = c.caseIn("SA", "街道A 的井盖缺失")
	return c
}

// caseIn files a case (with the reporter's name and phone) and dispatches it to the
// street's department; it returns its code and tracking token.
func (c *secCity) caseIn(street, desc string) (string, string) {
	c.t.Helper()
	ctx := context.Background()
	lat, lng := 30.259, 120.151
	op := c.principal(roleUser(gl.RoleOperator))
	res, err := c.svc.Report(ctx, op, service.ReportInput{Description: desc, Lat: &lat, Lng: &lng,
		ReporterName: "王小明", ReporterPhone: "13812345678", Channel: gl.ChannelHotline}, "")
	if err != nil {
		c.t.Fatal(err)
	}
	code := res.Case.Code
	if _, err := c.svc.Act(ctx, c.principal(roleUser(gl.RoleShiftLead)), code, actInput(gl.ActionRegister, "C0101", 0), nil); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.svc.Act(ctx, c.principal(roleUser(gl.RoleDispatcher)), code, actInput(gl.ActionDispatch, "", c.dept[street]), nil); err != nil {
		c.t.Fatal(err)
	}
	return code, res.TrackingToken
}

func (c *secCity) principal(name string) *service.Principal {
	c.t.Helper()
	u, err := c.svc.UserByName(context.Background(), name)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.svc.NewPrincipal(u)
}

// session returns a signed-in browser session of user (signing in on first use, or
// again with fresh set).
func (c *secCity) session(user string, fresh bool) *http.Client {
	c.t.Helper()
	if cl, ok := c.web[user]; ok && !fresh {
		return cl
	}
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.PostForm(c.url+"/login", url.Values{"username": {user}, "password": {secPassword}})
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in %s: %d", user, res.StatusCode)
	}
	c.web[user] = cl
	return cl
}

// answer is an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) json() map[string]any {
	var m map[string]any
	json.Unmarshal([]byte(a.body), &m)
	return m
}

// call sends a request as user: "" is anonymous; on /api/ the user's bearer token,
// on /open311/ its api_key, elsewhere its browser session. A body of url.Values is a
// form, anything else JSON.
func (c *secCity) call(method, path, user string, body any) answer {
	c.t.Helper()
	return c.callWith(method, path, user, body, nil)
}

// callWith is call with extra request headers.
func (c *secCity) callWith(method, path, user string, body any, header map[string]string) answer {
	c.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		if strings.HasPrefix(path, "/open311/") && user != "" {
			b.Set("api_key", c.tokens[user])
		}
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd, ctype = strings.NewReader(b), "application/json"
	default:
		j, _ := json.Marshal(b)
		rd, ctype = strings.NewReader(string(j)), "application/json"
	}
	if strings.HasPrefix(path, "/open311/") && user != "" && rd == nil {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "api_key=" + url.QueryEscape(c.tokens[user])
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	switch {
	case user == "":
	case strings.HasPrefix(path, "/api/"):
		req.Header.Set("Authorization", "Bearer "+c.tokens[user])
	case strings.HasPrefix(path, "/open311/"):
	default:
		cl = c.session(user, false)
	}
	res, err := cl.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s as %q: %v", method, path, user, err)
	}
	defer res.Body.Close()
	var b []byte
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ = io.ReadAll(io.LimitReader(res.Body, 8<<20))
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func actInput(a gl.Action, cat string, dept int64) workflow.Input {
	return workflow.Input{Action: a, CategoryCode: cat, DeptID: dept}
}

// formOf is a form of key, value pairs.
func formOf(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
