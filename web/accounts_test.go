package web_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web"
	"github.com/gridloop/gridloop/web/limit"
)

// browserClient is a cookie-keeping client that does not follow redirects.
func browserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func postForm(t *testing.T, cl *http.Client, u string, v url.Values) answer {
	t.Helper()
	res, err := cl.PostForm(u, v)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := make([]byte, 0, 1<<16)
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func getPage(t *testing.T, cl *http.Client, u string) answer {
	t.Helper()
	res, err := cl.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := make([]byte, 0, 1<<16)
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *secCity) audit(f store.AuditFilter) []store.AuditEntry {
	c.t.Helper()
	out, _, err := c.svc.AuditLog(context.Background(), &service.Principal{System: true}, f)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// TestSignInThrottling: five failures lock an account for everyone (the right
// password included) with a clear 429, every attempt is in the audit log, and an
// admin can unlock it; twenty failures from one address lock the address.
func TestSignInThrottling(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		op := roleUser(gl.RoleOperator)
		cl := browserClient()
		for i := 1; i <= 5; i++ {
			a := postForm(t, cl, c.url+"/login", url.Values{"username": {op}, "password": {"wrong-password-" + strconv.Itoa(i)}})
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests // the fifth failure locks at once
			}
			if a.status != want {
				t.Fatalf("failure %d: %d", i, a.status)
			}
		}
		a := postForm(t, cl, c.url+"/login", url.Values{"username": {op}, "password": {secPassword}})
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "此账号登录失败次数过多") || a.header.Get("Retry-After") == "" {
			t.Fatalf("locked account with the right password: %d %q, Retry-After %q", a.status, a.body, a.header.Get("Retry-After"))
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditSignInFailed, Actor: op})); n != 5 {
			t.Errorf("%d failures audited, want 5", n)
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditSignInLocked})); n != 1 {
			t.Errorf("%d refusals while locked audited, want 1", n)
		}
		// Another account from the same address is not affected.
		if a := postForm(t, browserClient(), c.url+"/login", url.Values{"username": {roleUser(gl.RoleDispatcher)}, "password": {secPassword}}); a.status != http.StatusSeeOther {
			t.Fatalf("another account: %d", a.status)
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditSignIn, Actor: roleUser(gl.RoleDispatcher)})); n != 1 {
			t.Errorf("successful sign-in audited %d times", n)
		}
		// An admin unlocks it (audited), and the right password works again.
		adm := c.session(roleUser(gl.RoleAdmin), false)
		if a := getPage(t, adm, c.url+"/admin/users/"+op); !strings.Contains(a.body, `id="user-locked"`) {
			t.Errorf("the admin page does not say the account is locked")
		}
		if a := postForm(t, adm, c.url+"/admin/users/"+op+"/unlock", url.Values{}); a.status != http.StatusSeeOther {
			t.Fatalf("unlock: %d %s", a.status, a.body)
		}
		if a := postForm(t, browserClient(), c.url+"/login", url.Values{"username": {op}, "password": {secPassword}}); a.status != http.StatusSeeOther {
			t.Fatalf("after unlock: %d", a.status)
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditUnlock})); n != 1 {
			t.Errorf("unlock audited %d times", n)
		}
		// Twenty failures from one address (five so far) lock the address: then even
		// a good account is refused from it.
		for i := 0; i < 15; i++ {
			postForm(t, cl, c.url+"/login", url.Values{"username": {"nobody" + strconv.Itoa(i)}, "password": {"whatever-it-is"}})
		}
		a = postForm(t, cl, c.url+"/login", url.Values{"username": {roleUser(gl.RoleSupervisor)}, "password": {secPassword}})
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "此网络地址登录失败次数过多") {
			t.Fatalf("locked address: %d %.300s", a.status, a.body)
		}
	})
}

// TestSessions: sessions live in the database (a second node, and a restart, know
// them), cookies are HttpOnly and SameSite (and Secure over TLS), and signing out
// everywhere, or a new password, ends every session of the user.
func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		sup := roleUser(gl.RoleSupervisor)
		one, two := browserClient(), browserClient()
		for _, cl := range []*http.Client{one, two} {
			a := postForm(t, cl, c.url+"/login", url.Values{"username": {sup}, "password": {secPassword}})
			if a.status != http.StatusSeeOther {
				t.Fatalf("sign in: %d", a.status)
			}
			var cookie *http.Cookie
			for _, ck := range (&http.Response{Header: a.header}).Cookies() {
				if ck.Name == "gridloop_session" {
					cookie = ck
				}
			}
			if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
				t.Fatalf("session cookie over plain HTTP: %+v", cookie)
			}
		}
		// A second node over the same database knows the session.
		node2 := httptest.NewServer((&web.Server{Svc: c.svc, Log: c.svc.Logger, Limits: limit.Unlimited}).Handler())
		defer node2.Close()
		u1, _ := url.Parse(c.url)
		u2, _ := url.Parse(node2.URL)
		two2 := browserClient()
		two2.Jar.SetCookies(u2, one.Jar.Cookies(u1))
		if a := getPage(t, two2, node2.URL+"/work"); a.status != http.StatusOK {
			t.Fatalf("the session on another node: %d", a.status)
		}
		// Sign out everywhere from session one: both sessions end, on both nodes.
		if a := postForm(t, one, c.url+"/account/signout-everywhere", url.Values{}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/login" {
			t.Fatalf("sign out everywhere: %d %s", a.status, a.header.Get("Location"))
		}
		for name, cl := range map[string]*http.Client{"one": one, "two": two} {
			if a := getPage(t, cl, c.url+"/work"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
				t.Errorf("session %s after signing out everywhere: %d", name, a.status)
			}
		}
		if a := getPage(t, two2, node2.URL+"/work"); a.status != http.StatusSeeOther {
			t.Errorf("the copy on the other node after signing out everywhere: %d", a.status)
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditSignOutEverywhere})); n != 1 {
			t.Errorf("sign-out everywhere audited %d times", n)
		}
		// An admin's new password for a user ends that user's sessions too.
		disp := c.session(roleUser(gl.RoleDispatcher), true)
		adm := c.session(roleUser(gl.RoleAdmin), true)
		if a := postForm(t, adm, c.url+"/admin/users/"+roleUser(gl.RoleDispatcher)+"/password", url.Values{"password": {"another-long-password"}}); a.status != http.StatusSeeOther {
			t.Fatalf("set password: %d %.300s", a.status, a.body)
		}
		if a := getPage(t, disp, c.url+"/work"); a.status != http.StatusSeeOther {
			t.Errorf("the dispatcher's session after a new password: %d", a.status)
		}
		entries := c.audit(store.AuditFilter{Action: "admin.users"})
		if len(entries) != 1 || !strings.Contains(entries[0].Details, "[redacted]") || strings.Contains(entries[0].Details, "another-long-password") {
			t.Errorf("the admin change in the audit log: %+v", entries)
		}
		if n := len(c.audit(store.AuditFilter{Action: service.AuditPasswordSet})); n != 1 {
			t.Errorf("password change audited %d times", n)
		}
		// Changing one's own password keeps this session and ends the others.
		mine, other := c.session(roleUser(gl.RoleHandler), true), browserClient()
		postForm(t, other, c.url+"/login", url.Values{"username": {roleUser(gl.RoleHandler)}, "password": {secPassword}})
		if a := postForm(t, mine, c.url+"/account/password", url.Values{"current_password": {"wrong-one-here"}, "password": {"a-brand-new-password"}}); a.status != http.StatusUnprocessableEntity {
			t.Errorf("a wrong current password: %d", a.status)
		}
		if a := postForm(t, mine, c.url+"/account/password", url.Values{"current_password": {secPassword}, "password": {"a-brand-new-password"}}); a.status != http.StatusSeeOther {
			t.Fatalf("change own password: %d %.300s", a.status, a.body)
		}
		if a := getPage(t, mine, c.url+"/work"); a.status != http.StatusOK {
			t.Errorf("own session after changing the password: %d", a.status)
		}
		if a := getPage(t, other, c.url+"/work"); a.status != http.StatusSeeOther {
			t.Errorf("other session after changing the password: %d", a.status)
		}

		// Over TLS the cookie is Secure and the answer carries HSTS.
		tlsSrv := httptest.NewTLSServer((&web.Server{Svc: c.svc, Log: c.svc.Logger, Limits: limit.Unlimited}).Handler())
		defer tlsSrv.Close()
		tc := tlsSrv.Client()
		tc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		tc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		a := postForm(t, tc, tlsSrv.URL+"/login", url.Values{"username": {sup}, "password": {secPassword}})
		if !strings.Contains(strings.Join(a.header.Values("Set-Cookie"), ";"), "Secure") || a.header.Get("Strict-Transport-Security") == "" {
			t.Errorf("over TLS: Set-Cookie %q, HSTS %q", a.header.Values("Set-Cookie"), a.header.Get("Strict-Transport-Security"))
		}
	})
}

// TestAccountTokens: a user issues a token narrowed to reading from the account
// page, sees its secret once, uses it, and revokes it.
func TestAccountTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		op := roleUser(gl.RoleOperator)
		cl := c.session(op, false)
		if a := getPage(t, cl, c.url+"/account"); a.status != http.StatusOK || !strings.Contains(a.body, "pii.reveal") {
			t.Fatalf("account page: %d", a.status)
		}
		a := postForm(t, cl, c.url+"/account/tokens", url.Values{"name": {"只读"}, "ttl_days": {"30"}, "permissions": {"case.read"}})
		m := regexp.MustCompile(`id="secret" readonly value="(glt_[^"]+)"`).FindStringSubmatch(a.body)
		if a.status != http.StatusOK || m == nil {
			t.Fatalf("issue a token: %d %.500s", a.status, a.body)
		}
		c.tokens["ro"] = m[1]
		if got := c.call("GET", "/api/v1/cases/"+c.code, "ro", nil); got.status != http.StatusOK {
			t.Errorf("read with the token: %d", got.status)
		}
		if got := c.call("POST", "/api/v1/cases/"+c.code+"/actions/comment", "ro", map[string]any{"note": "x"}); got.status != http.StatusForbidden {
			t.Errorf("act with a read-only token: %d", got.status)
		}
		// A permission the user does not hold is refused.
		if a := postForm(t, cl, c.url+"/account/tokens", url.Values{"name": {"admin"}, "permissions": {"admin.users"}}); a.status != http.StatusUnprocessableEntity {
			t.Errorf("a token with admin.users for an operator: %d", a.status)
		}
		// The page lists it, without the secret; revoking stops it at once.
		page := getPage(t, cl, c.url+"/account")
		id := regexp.MustCompile(`action="/account/tokens/(\d+)/revoke"`).FindAllStringSubmatch(page.body, -1)
		if strings.Contains(page.body, m[1]) || len(id) != 2 { // the setup's token and this one
			t.Fatalf("token list: %d revoke forms, secret shown %v", len(id), strings.Contains(page.body, m[1]))
		}
		for _, x := range id {
			postForm(t, cl, c.url+"/account/tokens/"+x[1]+"/revoke", url.Values{})
		}
		if got := c.call("GET", "/api/v1/cases/"+c.code, "ro", nil); got.status != http.StatusUnauthorized {
			t.Errorf("the revoked token: %d", got.status)
		}
		// Someone else's token cannot be revoked by id.
		sup := c.principal(roleUser(gl.RoleSupervisor))
		toks, _ := c.svc.Tokens(context.Background(), sup, sup.User.ID)
		if a := postForm(t, cl, c.url+"/account/tokens/"+strconv.FormatInt(toks[0].ID, 10)+"/revoke", url.Values{}); a.status != http.StatusNotFound {
			t.Errorf("revoking another user's token: %d", a.status)
		}
		if got := c.call("GET", "/api/v1/me", roleUser(gl.RoleSupervisor), nil); got.status != http.StatusOK {
			t.Errorf("the supervisor's token after the operator's attempt: %d", got.status)
		}
		if n := len(c.audit(store.AuditFilter{Action: "token."})); n != 3 {
			t.Errorf("%d token events audited, want 3 (issue, two revokes)", n)
		}
	})
}

// TestSecurityHeaders: every kind of answer carries the headers.
func TestSecurityHeaders(t *testing.T) {
	c := newSecCity(t, dbtest.SQLite(t), limit.Unlimited)
	for _, p := range []struct{ path, user string }{
		{"/", ""}, {"/report", ""}, {"/login", ""}, {"/track/nope", ""}, {"/static/app.css", ""}, {"/cases", roleUser(gl.RoleOperator)},
		{"/api/v1/cases", ""}, {"/api/v1/cases", roleUser(gl.RoleOperator)}, {"/api/openapi.json", ""},
		{"/open311/v2/services.xml", ""}, {"/healthz", ""}, {"/no/such/page", ""},
	} {
		a := c.call("GET", p.path, p.user, nil)
		h := a.header
		csp := h.Get("Content-Security-Policy")
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d headers %v", p.path, a.status, h)
		}
	}
	// Bodies are bounded: a form over 64 KiB is refused, a JSON body over 1 MiB too.
	big := strings.Repeat("x", 100<<10)
	if a := postForm(t, browserClient(), c.url+"/login", url.Values{"username": {big}}); a.status != http.StatusBadRequest {
		t.Errorf("a 100 KiB login form: %d", a.status)
	}
	if a := c.call("POST", "/api/v1/reports", roleUser(gl.RoleOperator), `{"description":"`+strings.Repeat("x", 2<<20)+`"}`); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MiB report: %d", a.status)
	}
}
