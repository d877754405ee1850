package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// client is a cookie-keeping HTTP client that does not follow redirects.
func client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func post(t *testing.T, c *http.Client, u string, v url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestPages runs the forms without a browser (no JavaScript at all), on both databases.
func TestPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		city := newCity(t, b)
		base := city.url
		citizen := client(t)

		// Home, in Chinese by default and in English on request.
		if st, body, _ := get(t, citizen, base+"/"); st != 200 || !strings.Contains(body, "城市问题，随手上报") {
			t.Fatalf("home: %d", st)
		}
		if _, body, _ := get(t, citizen, base+"/?lang=en"); !strings.Contains(body, "Report a problem in your city") {
			t.Fatal("home in English")
		}
		if _, body, _ := get(t, citizen, base+"/report"); !strings.Contains(body, "Not sure") {
			t.Fatal("the lang cookie is not remembered")
		}
		get(t, citizen, base+"/?lang=zh")

		// Static files: content-hashed URL, immutable caching.
		_, body, _ := get(t, citizen, base+"/report")
		i := strings.Index(body, "/static/app.css?v=")
		if i < 0 {
			t.Fatal("no hashed stylesheet URL")
		}
		cssURL := body[i : i+strings.Index(body[i:], `"`)]
		if st, _, h := get(t, citizen, base+cssURL); st != 200 || !strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.HasPrefix(h.Get("Content-Type"), "text/css") {
			t.Fatalf("static: %d %v", st, h)
		}

		// A bad latitude keeps what was typed; a good report redirects to the done page.
		form := url.Values{"description": {"路灯不亮"}, "lat": {"abc"}, "lng": {"120.1"}, "address": {"文三路"}, "reporter_phone": {"13812345678"}}
		st, body, _ := post(t, citizen, base+"/report", form)
		if st != 422 || !strings.Contains(body, "纬度须为数字") || !strings.Contains(body, "路灯不亮</textarea>") || !strings.Contains(body, `value="文三路"`) {
			t.Fatalf("bad latitude: %d", st)
		}
		form.Set("lat", "30.27")
		st, _, h := post(t, citizen, base+"/report", form)
		loc := h.Get("Location")
		if st != 303 || !strings.HasPrefix(loc, "/report/done?") {
			t.Fatalf("report: %d %s", st, loc)
		}
		q, _ := url.ParseQuery(loc[strings.Index(loc, "?")+1:])
		code, token := q.Get("code"), q.Get("token")
		if _, body, _ := get(t, citizen, base+loc); !strings.Contains(body, "/track/"+token) || !strings.Contains(body, code) {
			t.Fatal("done page lacks the tracking link")
		}

		// A cross-origin form post is refused (CSRF).
		st, _, _ = post(t, citizen, base+"/track/"+token+"/withdraw", url.Values{}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if st != http.StatusForbidden {
			t.Fatalf("cross-origin post: %d, want 403", st)
		}
		// An empty supplement is refused next to the form.
		st, body, _ = post(t, citizen, base+"/track/"+token+"/supplement", url.Values{"note": {""}})
		if st != 422 || !strings.Contains(body, "请填写内容") {
			t.Fatalf("empty supplement: %d", st)
		}
		// A bad token is a not-found page.
		if st, _, _ := get(t, citizen, base+"/track/nope"); st != 404 {
			t.Fatalf("bad token: %d", st)
		}

		// Staff pages need a session.
		staff := client(t)
		if st, _, h := get(t, staff, base+"/work"); st != 303 || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
			t.Fatalf("work without session: %d %s", st, h.Get("Location"))
		}
		// Unknown users, wrong passwords and disabled accounts get one generic message.
		for _, c := range []struct{ user, pw string }{{"nobody", testPassword}, {"operator", "wrong-password"}, {"disabled", testPassword}} {
			st, body, _ := post(t, staff, base+"/login", url.Values{"username": {c.user}, "password": {c.pw}})
			if st != 401 || !strings.Contains(body, "用户名或密码错误") {
				t.Fatalf("login %s: %d", c.user, st)
			}
		}
		st, _, h = post(t, staff, base+"/login", url.Values{"username": {"shift_lead"}, "password": {testPassword}, "next": {"/cases/" + code}})
		if st != 303 || h.Get("Location") != "/cases/"+code {
			t.Fatalf("login: %d %s", st, h.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range (&http.Response{Header: h}).Cookies() {
			if c.Name == "gridloop_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie: %+v", session)
		}

		// A stale version is refused with a clear message; the page shows the fresh one.
		act := base + "/cases/" + code + "/actions/"
		st, _, _ = post(t, staff, act+"comment", url.Values{"version": {"1"}, "note": {"先看看"}})
		if st != 303 {
			t.Fatalf("comment: %d", st)
		}
		st, body, _ = post(t, staff, act+"register", url.Values{"version": {"1"}, "category_code": {"C0104"}, "note": {"路灯"}})
		if st != 409 || !strings.Contains(body, "案件已被他人修改") || !strings.Contains(body, `name="version" value="2"`) {
			t.Fatalf("stale register: %d", st)
		}
		st, _, _ = post(t, staff, act+"register", url.Values{"version": {"2"}, "category_code": {"C0104"}})
		if st != 303 {
			t.Fatalf("register: %d", st)
		}
		if _, body, _ := get(t, staff, base+"/cases/"+code); !strings.Contains(body, "已完成「立案」") || !strings.Contains(body, "已立案") {
			t.Fatal("no flash after register")
		}
		// Shift leads see no dispatch form; the reporter's phone is masked until they
		// reveal it, which the audit log records.
		if _, body, _ := get(t, staff, base+"/cases/"+code); strings.Contains(body, `id="act-dispatch"`) ||
			strings.Contains(body, "13812345678") || !strings.Contains(body, "138****5678") || !strings.Contains(body, `id="reveal"`) {
			t.Fatal("case page: wrong actions, or the reporter not masked, or no reveal button")
		}
		if st, body, _ := post(t, staff, base+"/cases/"+code+"/reveal", url.Values{"reason": {"回访"}}); st != 200 || !strings.Contains(body, "13812345678") {
			t.Fatalf("reveal: %d", st)
		}
		if entries, _, err := city.svc.AuditLog(t.Context(), &service.Principal{System: true}, store.AuditFilter{Action: service.AuditReveal, CaseCode: code}); err != nil || len(entries) != 1 || entries[0].Actor != "shift_lead" || !strings.Contains(entries[0].Details, "回访") {
			t.Fatalf("reveal not audited: %v %+v", err, entries)
		}
		// Filtered list and paging.
		if _, body, _ := get(t, staff, base+"/cases?status=registered"); !strings.Contains(body, code) || !strings.Contains(body, "共 1 件") {
			t.Fatal("registered list")
		}
		if st, _, _ := get(t, staff, base+"/cases?status=bogus"); st != 400 {
			t.Fatalf("bogus status: %d", st)
		}
		// Logging out ends the session.
		post(t, staff, base+"/logout", nil)
		if st, _, _ := get(t, staff, base+"/work"); st != 303 {
			t.Fatalf("work after logout: %d", st)
		}
	})
}
