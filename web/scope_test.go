package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/limit"
)

// TestStreetScope: a handler of street B is refused street A's case by its id, and
// does not find it in lists, on the map, in statistics or in exports (API, pages and
// Open311 alike), while street A's handler does; both databases.
func TestStreetScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		a := c.code
		bCode, _ := c.caseIn("SB", "街道B 的路灯不亮")

		type check struct {
			what, method, path string
			body               any
		}
		byID := []check{
			{"API case", "GET", "/api/v1/cases/" + a, nil},
			{"API history", "GET", "/api/v1/cases/" + a + "/events", nil},
			{"API action", "POST", "/api/v1/cases/" + a + "/actions/comment", map[string]any{"note": "看看"}},
			{"page", "GET", "/cases/" + a, nil},
			{"page action", "POST", "/cases/" + a + "/actions/comment", formOf("note", "看看")},
			{"Open311 request", "GET", "/open311/v2/requests/" + a + ".json", nil},
			{"Open311 update", "POST", "/open311/v2/servicerequestupdates.json", formOf("service_request_id", a,
				"update_id", "x1", "status", "open")},
		}
		for _, ch := range byID {
			if got := c.call(ch.method, ch.path, "handler_sb", ch.body); got.status != http.StatusNotFound {
				t.Errorf("by id, %s: street B's handler got %d, want 404: %.200s", ch.what, got.status, got.body)
			}
			if got := c.call(ch.method, ch.path, "handler_sa", ch.body); got.status >= 300 && got.status != http.StatusSeeOther {
				t.Errorf("by id, %s: street A's handler got %d: %.200s", ch.what, got.status, got.body)
			}
		}

		// Lists, the map, statistics and exports: street B's own case, never A's.
		job := c.call("POST", "/api/v1/exports?kind=cases.csv", "handler_sb", nil).json()
		jobURL, _ := job["url"].(string)
		if jobURL == "" {
			t.Fatalf("export job: %v", job)
		}
		var file answer
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if st := c.call("GET", jobURL, "handler_sb", nil).json(); st["status"] == service.JobDone {
				file = c.call("GET", jobURL+"/file", "handler_sb", nil)
				break
			}
		}
		lists := []struct {
			what, path string
			got        *answer
		}{
			{"API list", "/api/v1/cases", nil},
			{"API list, asking for street A's department", "/api/v1/cases?department=" + itoa(c.dept["SA"]), nil},
			{"API search", "/api/v1/cases?q=" + a, nil},
			{"case list page", "/cases", nil},
			{"work page", "/work", nil},
			{"map", "/map/cases.json?status=", nil},
			{"Open311 list", "/open311/v2/requests.json", nil},
			{"dashboard", "/api/v1/dashboard", nil},
			{"evaluation", "/api/v1/evaluation?dim=department", nil},
			{"CSV export", "/api/v1/exports/cases.csv", nil},
			{"export job", "", &file},
		}
		for _, l := range lists {
			for _, who := range []struct {
				user       string
				sees, hide string
			}{{"handler_sb", bCode, a}, {"handler_sa", a, bCode}} {
				var got answer
				if l.got != nil {
					if who.user != "handler_sb" {
						continue
					}
					got = *l.got
				} else {
					got = c.call("GET", l.path, who.user, nil)
				}
				if got.status != http.StatusOK {
					t.Errorf("%s as %s: %d %.200s", l.what, who.user, got.status, got.body)
					continue
				}
				if strings.Contains(got.body, who.hide) {
					t.Errorf("%s as %s shows the other street's case %s", l.what, who.user, who.hide)
				}
				wantSeen := !strings.Contains(l.what, "asking for street A") && l.what != "API search" &&
					l.what != "dashboard" && l.what != "evaluation" && l.what != "work page"
				if wantSeen && !strings.Contains(got.body, who.sees) {
					t.Errorf("%s as %s lacks its own street's case %s: %.300s", l.what, who.user, who.sees, got.body)
				}
			}
		}
		// The evaluation by department: each street's handler gets its own row only.
		for user, own := range map[string]string{"handler_sa": "街道A", "handler_sb": "街道B"} {
			ev := c.call("GET", "/api/v1/evaluation?dim=department", user, nil)
			other := map[string]string{"街道A": "街道B", "街道B": "街道A"}[own]
			if !strings.Contains(ev.body, `"name":"`+own+`"`) || strings.Contains(ev.body, other) {
				t.Errorf("evaluation of %s: want %s's row only: %.400s", user, own, ev.body)
			}
		}
		// The dashboard counts one open case for each street's handler, two for the city.
		for user, want := range map[string]float64{"handler_sa": 1, "handler_sb": 1, roleUser(gl.RoleSupervisor): 2} {
			d := c.call("GET", "/api/v1/dashboard?sections=open", user, nil).json()
			if open, _ := d["open"].(map[string]any); open == nil || open["total"] != want {
				t.Errorf("dashboard of %s: open %v, want %v", user, d["open"], want)
			}
		}
	})
}

// TestNarrowToken: a supervisor's token narrowed to street B and to reading sees
// street B's case only, cannot act, and stops working the moment it is revoked.
func TestNarrowToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		bCode, _ := c.caseIn("SB", "街道B 的路灯不亮")
		ctx := context.Background()
		sup := c.principal(roleUser(gl.RoleSupervisor))
		secret, tok, err := c.svc.IssueTokenWith(ctx, sup, sup.User.Name, service.TokenOptions{Name: "读街道B",
			DeptScope: []int64{c.dept["SB"]}, Perms: []gl.Permission{gl.PermCaseRead, gl.PermAccountSelf}})
		if err != nil {
			t.Fatal(err)
		}
		c.tokens["narrow"] = secret
		list := c.call("GET", "/api/v1/cases", "narrow", nil)
		if list.status != 200 || !strings.Contains(list.body, bCode) || strings.Contains(list.body, c.code) {
			t.Fatalf("narrow token's list: %d %.300s", list.status, list.body)
		}
		if got := c.call("GET", "/api/v1/cases/"+c.code, "narrow", nil); got.status != 404 {
			t.Errorf("narrow token on street A's case: %d", got.status)
		}
		if got := c.call("POST", "/api/v1/cases/"+bCode+"/actions/urge", "narrow", map[string]any{"note": "快"}); got.status != 403 ||
			!strings.Contains(got.body, "permission case.act required") {
			t.Errorf("narrow token acting: %d %s", got.status, got.body)
		}
		if got := c.call("GET", "/api/v1/evaluation", "narrow", nil); got.status != 403 {
			t.Errorf("narrow token reading evaluation: %d", got.status)
		}
		// The supervisor's own token still acts everywhere.
		if got := c.call("POST", "/api/v1/cases/"+c.code+"/actions/urge", roleUser(gl.RoleSupervisor), map[string]any{"note": "快"}); got.status != 200 {
			t.Errorf("supervisor urging: %d %s", got.status, got.body)
		}
		// A token cannot be wider than its user.
		hb := c.principal("handler_sb")
		if _, _, err := c.svc.IssueTokenWith(ctx, hb, "handler_sb", service.TokenOptions{Name: "x", DeptScope: []int64{c.dept["SA"]}}); gl.ErrorCode(err) != gl.EINVALID {
			t.Errorf("handler of B narrowing to A: %v", err)
		}
		if _, _, err := c.svc.IssueTokenWith(ctx, hb, "handler_sb", service.TokenOptions{Name: "x", Perms: []gl.Permission{gl.PermAdminUsers}}); gl.ErrorCode(err) != gl.EINVALID {
			t.Errorf("handler asking for admin.users: %v", err)
		}
		if _, _, err := c.svc.IssueTokenWith(ctx, hb, roleUser(gl.RoleSupervisor), service.TokenOptions{Name: "x"}); gl.ErrorCode(err) != gl.EFORBIDDEN {
			t.Errorf("handler issuing a token for the supervisor: %v", err)
		}
		// Revoked: refused at once (the token cache is emptied on revocation).
		if err := c.svc.RevokeTokenOf(ctx, sup, tok.ID); err != nil {
			t.Fatal(err)
		}
		if got := c.call("GET", "/api/v1/cases", "narrow", nil); got.status != 401 {
			t.Errorf("revoked token: %d", got.status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
