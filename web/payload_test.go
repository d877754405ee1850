package web_test

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/web/limit"
)

// hostilePayloads reads testdata/hostile.txt.
func hostilePayloads(t *testing.T) []string {
	b, err := os.ReadFile("testdata/hostile.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// escaped is p as html/template writes it in text.
func escaped(p string) string {
	var b bytes.Buffer
	template.Must(template.New("").Parse("{{.}}")).Execute(&b, p)
	return b.String()
}

// TestHostilePayloads submits every payload through every text field — reports
// (description, address, reporter's name) through the API, the web form and Open311;
// notes on actions and a reporter's supplement; category, department and user names
// and token labels in the admin and account pages — and checks that each is stored
// verbatim (read back through the API) and that no page shows it raw, only escaped.
func TestHostilePayloads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		op, sup, adm := roleUser(gl.RoleOperator), roleUser(gl.RoleSupervisor), roleUser(gl.RoleAdmin)
		// raw reports a page that shows p unescaped.
		raw := func(what, body, p string) {
			t.Helper()
			if strings.ContainsAny(p, `<>"'&`) && strings.Contains(body, p) {
				t.Errorf("%s shows %q unescaped", what, p)
			}
		}
		// shows reports a page that lacks p escaped.
		shows := func(what, body, p string) {
			t.Helper()
			raw(what, body, p)
			if !strings.Contains(body, escaped(p)) {
				t.Errorf("%s lacks %q (escaped as %q)", what, p, escaped(p))
			}
		}
		page := func(user, path string) string {
			t.Helper()
			a := c.call("GET", path, user, nil)
			if a.status != http.StatusOK {
				t.Fatalf("GET %s as %s: %d %.200s", path, user, a.status, a.body)
			}
			return a.body
		}
		must := func(a answer, want int, what string) answer {
			t.Helper()
			if a.status != want {
				t.Fatalf("%s: %d, want %d: %.300s", what, a.status, want, a.body)
			}
			return a
		}
		for i, p := range hostilePayloads(t) {
			// A report through the API, read back, revealed.
			a := must(c.call("POST", "/api/v1/reports", op, map[string]any{"description": p, "address": p, "reporter_name": p,
				"reporter_phone": "13812345678", "lat": 30.259, "lng": 120.151}), 201, "API report")
			code, token := a.json()["code"].(string), a.json()["tracking_token"].(string)
			got := must(c.call("GET", "/api/v1/cases/"+code, sup, nil), 200, "read back").json()
			if got["description"] != p || got["address"] != p {
				t.Errorf("payload %d: stored %q / %q, sent %q", i, got["description"], got["address"], p)
			}
			if rep := must(c.call("POST", "/api/v1/cases/"+code+"/reveal", sup, nil), 200, "reveal").json(); rep["reporter_name"] != p {
				t.Errorf("payload %d: reporter stored %q", i, rep["reporter_name"])
			}
			// Notes: a staff comment through the API and the page, a reporter's supplement.
			must(c.call("POST", "/api/v1/cases/"+code+"/actions/comment", op, map[string]any{"note": p}), 200, "API comment")
			must(c.call("POST", "/cases/"+code+"/actions/comment", sup, formOf("note", p)), 303, "page comment")
			must(c.call("POST", "/api/v1/track/"+token+"/actions/supplement", "", map[string]any{"note": p}), 200, "supplement")
			evs := c.call("GET", "/api/v1/cases/"+code+"/events", sup, nil).json()["items"].([]any)
			notes := 0
			for _, e := range evs {
				if e.(map[string]any)["note"] == p {
					notes++
				}
			}
			if notes != 3 {
				t.Errorf("payload %d: %d of 3 notes stored verbatim", i, notes)
			}
			// Pages: the case (masked, then revealed), lists, the reporter's page.
			casePage := page(sup, "/cases/"+code)
			shows("case page", casePage, p)
			raw("case page", casePage, p)
			revealed := must(c.call("POST", "/cases/"+code+"/reveal", sup, formOf("reason", p)), 200, "reveal page").body
			shows("revealed case page", revealed, p)
			raw("case list", page(sup, "/cases"), p)
			raw("work page", page(op, "/work"), p)
			shows("tracking page", page("", "/track/"+token), p)
			if strings.ContainsAny(p, "<>&") && strings.Contains(page(sup, "/map/cases.json"), p) {
				t.Errorf("map data shows %q with its <, > or & unescaped", p)
			}

			// The web form: stored verbatim, and shown escaped when the form comes back.
			form := formOf("description", p, "address", p, "reporter_name", p, "lat", "30.259", "lng", "120.151")
			a = c.call("POST", "/report", "", form)
			if a.status == 200 { // "already reported nearby?" (public_similar.go): the matches are payloads too
				raw("similar cases offered", a.body, p)
				form.Set("similar_seen", "1")
				a = c.call("POST", "/report", "", form)
			}
			if a.status != 303 {
				t.Fatalf("web report: %d %.300s", a.status, a.body)
			}
			loc, _ := url.Parse(a.header.Get("Location"))
			if got := c.call("GET", "/api/v1/cases/"+loc.Query().Get("code"), sup, nil).json(); got["description"] != p || got["address"] != p {
				t.Errorf("payload %d through the form: stored %q / %q", i, got["description"], got["address"])
			}
			again := c.call("POST", "/report", "", formOf("description", p, "address", p, "reporter_name", p, "lat", "north"))
			if again.status != 422 {
				t.Fatalf("web report with a bad latitude: %d", again.status)
			}
			shows("report form shown again", again.body, p)

			// Open311.
			a = must(c.call("POST", "/open311/v2/requests.json", op, formOf("service_code", "C0101", "lat", "30.259", "long", "120.151",
				"attribute[urgent]", "no", "description", p, "address_string", p, "first_name", p)), 200, "Open311 report")
			id := regexp.MustCompile(`"service_request_id": "(\d+)"`).FindStringSubmatch(a.body)
			if id == nil {
				t.Fatalf("Open311 answer: %s", a.body)
			}
			if got := c.call("GET", "/api/v1/cases/"+id[1], sup, nil).json(); !strings.HasPrefix(got["description"].(string), p) || got["address"] != p {
				t.Errorf("payload %d through Open311: stored %q / %q", i, got["description"], got["address"])
			}
			xml := page("", "/open311/v2/requests/"+id[1]+".xml")
			raw("Open311 XML", xml, p)

			// Admin: a category, a department, a user's display name; a token's label.
			catCode := fmt.Sprintf("X%02d", i)
			must(c.call("POST", "/admin/categories", adm, formOf("new", "1", "code", catCode, "kind", "event", "major_code", "X",
				"major_name", p, "name", p, "filing_condition", p, "closing_condition", p, "handling_value", "2", "handling_unit", "work_day",
				"response_value", "1", "response_unit", "hour", "active", "1")), 303, "category")
			must(c.call("POST", "/admin/departments", adm, formOf("code", fmt.Sprintf("D%02d", i), "name", p, "kind", "bureau")), 303, "department")
			userName := fmt.Sprintf("u%02d", i)
			must(c.call("POST", "/admin/users", adm, formOf("name", userName, "display_name", p, "password", secPassword, "roles", "operator")), 303, "user")
			must(c.call("POST", "/account/tokens", op, formOf("name", p)), 200, "token")
			var catFound, deptFound bool
			for _, it := range c.call("GET", "/api/v1/categories", sup, nil).json()["items"].([]any) {
				m := it.(map[string]any)
				catFound = catFound || (m["code"] == catCode && m["name"] == p && m["major_name"] == p && m["closing_condition"] == p)
			}
			for _, it := range c.call("GET", "/api/v1/departments", sup, nil).json()["items"].([]any) {
				deptFound = deptFound || it.(map[string]any)["name"] == p
			}
			u, err := c.svc.UserByName(context.Background(), userName)
			if !catFound || !deptFound || err != nil || u.DisplayName != p {
				t.Errorf("payload %d: category %v, department %v, display name %q stored verbatim", i, catFound, deptFound, u.DisplayName)
			}
			shows("categories page", page(adm, "/admin/categories"), p)
			shows("category page", page(adm, "/admin/categories/"+catCode), p)
			shows("departments page", page(adm, "/admin/departments"), p)
			shows("users page", page(adm, "/admin/users"), p)
			shows("account page", page(op, "/account"), p)
			raw("audit page", page(adm, "/admin/audit?action=pii.reveal"), p) // the reason, in JSON
			// Signed in as the user named p: the header shows the name escaped.
			c.session(userName, true)
			shows("the layout's user name", page(userName, "/work"), p)
			raw("the report form's categories", page("", "/report"), p)
		}
		// The database is intact: the tables the SQL payloads aim at still answer.
		if a := c.call("GET", "/api/v1/cases?limit=500", sup, nil); a.status != 200 || a.json()["total"].(float64) < float64(3*len(hostilePayloads(t))) {
			t.Errorf("cases after the payloads: %d %.200s", a.status, a.body)
		}
	})
}

// TestControlCharacters: text with control characters or bytes that are not UTF-8
// (PostgreSQL stores neither a NUL nor those) is refused or stored, never a 500, in
// bodies and in URLs.
func TestControlCharacters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		for _, s := range []string{"a\x00b", "bell\x07", "\u2028line\u2029", "\xff\xfe bad utf-8"} {
			a := c.call("POST", "/api/v1/reports", roleUser(gl.RoleOperator), map[string]any{"description": s, "lat": 30.259, "lng": 120.151})
			if a.status >= 500 {
				t.Errorf("API report %q: %d %s", s, a.status, a.body)
			}
			a = c.call("POST", "/report", "", formOf("description", s, "lat", "30.259", "lng", "120.151"))
			if a.status >= 500 {
				t.Errorf("web report %q: %d", s, a.status)
			}
			a = c.call("POST", "/api/v1/cases/"+c.code+"/actions/comment", roleUser(gl.RoleOperator), map[string]any{"note": s})
			if a.status >= 500 {
				t.Errorf("comment %q: %d %s", s, a.status, a.body)
			}
		}
		// In a URL: refused with 400 before any handler sees it.
		for _, p := range []string{"/api/v1/cases?q=%00", "/api/v1/cases/%00", "/cases?q=%00", "/cases/a%00b",
			"/open311/v2/requests/a%00.json", "/api/v1/cases?q=%ff", "/track/%00", "/api/v1/track/%00"} {
			if a := c.call("GET", p, roleUser(gl.RoleSupervisor), nil); a.status != http.StatusBadRequest {
				t.Errorf("GET %s: %d, want 400", p, a.status)
			}
		}
	})
}
