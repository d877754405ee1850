package web_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/web"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/web/limit"
	"github.com/gridloop/gridloop/web/open311"
	"github.com/gridloop/gridloop/web/ui"
)

// The permission matrix: every route of every surface (the JSON API, the pages, the
// map and photo endpoints, Open311, the health checks) declares a permission; this
// test calls each one as anonymous, as every staff role, and as a user of another
// scope, over real HTTP, and checks who is let through.
//
// testdata/permissions.golden is the reviewed table of route → permission, with the
// allow/deny of each role. A route whose permission changes, or a new route, fails the
// test until the golden file is regenerated (go test ./web -run TestPermissionMatrix
// -update) and the change reviewed in the diff.

var update = flag.Bool("update", false, "rewrite testdata/permissions.golden from the route tables")

// matrixRoute is one route of one surface.
type matrixRoute struct {
	Surface string // api, ui, open311, server
	Method  string
	Path    string // the pattern, with {variables}
	Perm    gl.Permission
}

func (r matrixRoute) key() string { return r.Surface + " " + r.Method + " " + r.Path }

// allRoutes collects every route table.
func allRoutes(t *testing.T, pages *ui.UI) []matrixRoute {
	var out []matrixRoute
	for _, rt := range api.Routes {
		out = append(out, matrixRoute{"api", rt.Method, rt.Pattern, rt.Perm})
	}
	for _, rt := range pages.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		out = append(out, matrixRoute{"ui", method, path, rt.Perm})
	}
	for _, rt := range open311.Routes() {
		out = append(out, matrixRoute{"open311", rt.Method, rt.Path, rt.Perm})
	}
	for _, rt := range web.Routes {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		out = append(out, matrixRoute{"server", method, path, rt.Perm})
	}
	return out
}

// principals are who the matrix calls as: anonymous, each staff role, and "other"
// (every role, scoped to street B: it may call everything, but street A's case must
// stay out of its sight).
func principals() []string {
	out := []string{""}
	for _, r := range gl.StaffRoles {
		out = append(out, roleUser(r))
	}
	return append(out, "other")
}

// allows says whether principal may pass the gate of perm.
func allows(principal string, perm gl.Permission) bool {
	switch principal {
	case "":
		return perm == gl.PermPublic
	case "other":
		return true // every staff role
	}
	return gl.Role(strings.TrimPrefix(principal, "r_")).Can(perm)
}

// fill turns a route's pattern into a URL path for the city: the variables get street
// A's case, its tracking token, or values that exist nowhere (so that an allowed call
// changes nothing that matters). It reports whether the path addresses the case.
func (c *secCity) fill(r matrixRoute) (string, bool) {
	p := r.Path
	onCase := false
	code := "x"
	switch {
	case strings.Contains(p, "/categories/{code}"):
		code = "C0101"
	case strings.Contains(p, "/grids/{code}"):
		code = "330000000000000"
	case strings.Contains(p, "{code}"):
		code, onCase = c.code, true
	}
	id := "999999"
	switch {
	case strings.HasPrefix(p, "/photos/"):
		id = strings.Repeat("0", 32)
	case strings.HasPrefix(p, "/api/v1/exports/"), strings.HasPrefix(p, "/admin/imports/jobs/"):
		id = "no-such-job"
	case r.Surface == "open311" && strings.Contains(p, "/requests/"):
		id, onCase = c.code, true
	case r.Surface == "open311" && strings.Contains(p, "/services/"):
		id = "C0101"
	case r.Surface == "open311" && strings.Contains(p, "/tokens/"):
		id = c.track
	}
	action := "comment"
	if strings.Contains(p, "/track/") {
		action = "supplement"
	}
	rep := strings.NewReplacer("{code}", code, "{id}", id, "{action}", action, "{token}", c.track,
		"{name}", "nobody", "{op}", "no-such-op", "{role}", "grid_member", "{date}", "2000-01-01",
		"{kind}", "no-such-kind", "{path...}", "app.css", "{$}", "")
	p = rep.Replace(p)
	if strings.HasSuffix(p, "/events/stream") {
		p += "?max_seconds=1"
	}
	return p, onCase
}

// denied says whether an answer is the gate refusing perm: no credentials (401, or a
// page sending the browser to sign in, or Open311 asking for an api_key), or a 403
// that names the permission.
func denied(r matrixRoute, a answer) bool {
	named := a.status == http.StatusForbidden && strings.Contains(a.body, "permission "+string(r.Perm)+" required")
	switch r.Surface {
	case "api":
		return a.status == http.StatusUnauthorized || named
	case "ui":
		return named || (a.status == http.StatusSeeOther && strings.HasPrefix(a.header.Get("Location"), "/login?next="))
	case "open311":
		return named || (a.status == http.StatusForbidden && strings.Contains(a.body, "api_key is required"))
	}
	return false
}

// body is what the matrix sends to a route: an empty form or JSON object, which every
// handler refuses or treats as a no-op after the gate.
func body(r matrixRoute) any {
	switch r.Method {
	case "GET", "HEAD", "DELETE":
		return nil
	}
	if r.Surface == "api" {
		return "{}"
	}
	if strings.HasPrefix(r.Path, "/grid/tasks/") {
		return url.Values{"action": {"verify"}}
	}
	return url.Values{}
}

// checkMatrix calls every route as every principal and returns what differs from
// want (route key → permission), and how many calls it made.
func (c *secCity) checkMatrix(routes []matrixRoute, want map[string]gl.Permission) (problems []string, calls int) {
	for _, who := range principals() {
		name := who
		if name == "" {
			name = "anonymous"
		}
		for _, r := range routes {
			perm, ok := want[r.key()]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: no expected permission", r.key()))
				continue
			}
			path, onCase := c.fill(r)
			a := c.call(r.Method, path, who, body(r))
			calls++
			gotDenied := denied(r, a)
			wantAllowed := allows(who, perm)
			switch {
			case wantAllowed && gotDenied:
				problems = append(problems, fmt.Sprintf("%s as %s: want allowed (%s), got %d %.120s", r.key(), name, perm, a.status, a.body))
			case !wantAllowed && !gotDenied:
				problems = append(problems, fmt.Sprintf("%s as %s: want denied (needs %s), got %d %.120s", r.key(), name, perm, a.status, a.body))
			case a.status >= 500:
				problems = append(problems, fmt.Sprintf("%s as %s: %d %.200s", r.key(), name, a.status, a.body))
			case !scoped(perm) || who != "other":
			case onCase && a.status != http.StatusNotFound:
				problems = append(problems, fmt.Sprintf("%s as other (street B): street A's case answered %d, want 404", r.key(), a.status))
			case a.status < 300 && strings.Contains(a.body, c.code):
				problems = append(problems, fmt.Sprintf("%s as other (street B): the answer names street A's case %s", r.key(), c.code))
			}
			// Calls that end a session leave the principal signed out: sign in again.
			if who != "" && !gotDenied && (strings.HasSuffix(r.Path, "/logout") || strings.Contains(r.Path, "signout")) {
				c.session(who, true)
			}
		}
	}
	return problems, calls
}

// scoped says whether what a permission opens is limited by the caller's scope: not
// public routes (what the public sees, or what a tracking token opens, is the same for
// everyone) and not the audit log (a whole-city record for administrators).
func scoped(perm gl.Permission) bool { return perm != gl.PermPublic && perm != gl.PermAuditRead }

// golden renders the matrix: each route, its permission, and Y/- per principal.
func golden(routes []matrixRoute) string {
	var b strings.Builder
	b.WriteString("# The permission matrix (web/perm_test.go): every route, the permission it needs, and whether\n")
	b.WriteString("# each caller gets past the gate. Regenerate with: go test ./web -run TestPermissionMatrix -update\n")
	b.WriteString("# \"other\" holds every role but only street B's scope: it passes every gate and is refused street\n")
	b.WriteString("# A's case (404) and sees none of it in lists, maps, statistics and exports.\n#\n")
	cols := []string{"anon"}
	for _, r := range gl.StaffRoles {
		cols = append(cols, string(r))
	}
	cols = append(cols, "other")
	fmt.Fprintf(&b, "# %-7s %-6s %-45s %-18s %s\n", "surface", "method", "path", "permission", strings.Join(cols, " "))
	for _, r := range routes {
		var marks []string
		for i, who := range principals() {
			m := "-"
			if allows(who, r.Perm) {
				m = "Y"
			}
			marks = append(marks, fmt.Sprintf("%-*s", len(cols[i]), m))
		}
		fmt.Fprintf(&b, "%-9s %-6s %-45s %-18s %s\n", r.Surface, r.Method, r.Path, r.Perm, strings.TrimRight(strings.Join(marks, " "), " "))
	}
	return b.String()
}

// readGolden reads route key → permission from the golden file.
func readGolden(t *testing.T, path string) map[string]gl.Permission {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go test ./web -run TestPermissionMatrix -update", err)
	}
	out := map[string]gl.Permission{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || strings.HasPrefix(line, "#") {
			continue
		}
		out[f[0]+" "+f[1]+" "+f[2]] = gl.Permission(f[3])
	}
	return out
}

// TestEveryRouteDeclaresAPermission: no route of any table lacks a known permission,
// and registering a route without one fails.
func TestEveryRouteDeclaresAPermission(t *testing.T) {
	c := newSecCity(t, dbtest.SQLite(t), limit.Unlimited)
	pages := ui.Must(ui.New(c.svc, nil))
	seen := map[string]bool{}
	for _, r := range allRoutes(t, pages) {
		if !r.Perm.Valid() {
			t.Errorf("%s declares no known permission (%q)", r.key(), r.Perm)
		}
		if seen[r.key()] {
			t.Errorf("%s appears twice", r.key())
		}
		seen[r.key()] = true
	}
	// A route whose permission was left out (or removed) stops the server from
	// starting: Register panics, and every test that starts one fails.
	routes := slices.Clone(api.Routes)
	routes[1].Perm = ""
	if err := api.CheckRoutes(routes); err == nil || !strings.Contains(err.Error(), routes[1].Pattern) {
		t.Errorf("api.CheckRoutes with a route without permission: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("api.Register accepted a route without permission")
			}
		}()
		(&api.API{Svc: c.svc, Routes: routes}).Register(http.NewServeMux())
	}()
	uiRoutes := pages.Routes()
	uiRoutes[3].Perm = ""
	if err := ui.CheckRoutes(uiRoutes); err == nil || !strings.Contains(err.Error(), uiRoutes[3].Pattern) {
		t.Errorf("ui.CheckRoutes with a route without permission: %v", err)
	}
	if err := open311.CheckRoutes(); err != nil {
		t.Error(err)
	}
}

// TestPermissionMatrix calls every route × every caller on both databases.
func TestPermissionMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newSecCity(t, b, limit.Unlimited)
		routes := allRoutes(t, ui.Must(ui.New(c.svc, nil)))
		goldenPath := filepath.Join("testdata", "permissions.golden")
		if *update && b.Name == dbtest.SQLiteName {
			if err := os.WriteFile(goldenPath, []byte(golden(routes)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := readGolden(t, goldenPath)
		for _, r := range routes {
			if p, ok := want[r.key()]; !ok {
				t.Errorf("%s (%s) is not in %s: review it, then run go test ./web -run TestPermissionMatrix -update", r.key(), r.Perm, goldenPath)
			} else if p != r.Perm {
				t.Errorf("%s needs %s in the route table but %s in %s: review the change, then run with -update", r.key(), r.Perm, p, goldenPath)
			}
			delete(want, r.key())
		}
		for k := range want {
			t.Errorf("%s is in %s but in no route table: run with -update", k, goldenPath)
		}
		if t.Failed() {
			return
		}
		want = readGolden(t, goldenPath)
		problems, calls := c.checkMatrix(routes, want)
		for _, p := range problems {
			t.Error(p)
		}
		t.Logf("permission matrix: %d routes × %d callers (anonymous, %d roles, another scope) = %d calls over HTTP, %d problems",
			len(routes), len(principals()), len(gl.StaffRoles), calls, len(problems))
	})
}

// TestPermissionMatrixCatchesAMissingGate: serve the API with one route's permission
// taken away (GET /api/v1/categories made public), and the matrix checker reports that
// anonymous callers now get through.
func TestPermissionMatrixCatchesAMissingGate(t *testing.T) {
	c := newSecCity(t, dbtest.SQLite(t), limit.Unlimited)
	want := readGolden(t, filepath.Join("testdata", "permissions.golden"))
	routes := slices.Clone(api.Routes)
	var weakened matrixRoute
	var table []matrixRoute
	for i, rt := range routes {
		if rt.Method == "GET" && rt.Pattern == "/api/v1/categories" {
			routes[i].Perm = gl.PermPublic
			weakened = matrixRoute{"api", rt.Method, rt.Pattern, rt.Perm}
		}
		table = append(table, matrixRoute{"api", rt.Method, rt.Pattern, routes[i].Perm})
	}
	if weakened.Perm == "" {
		t.Fatal("GET /api/v1/categories is not in api.Routes")
	}
	mux := http.NewServeMux()
	(&api.API{Svc: c.svc, Log: c.svc.Logger, Routes: routes}).Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c.url = srv.URL
	problems, _ := c.checkMatrix(table, want)
	found := false
	for _, p := range problems {
		if strings.HasPrefix(p, weakened.key()+" as anonymous: want denied (needs "+string(weakened.Perm)+")") {
			found = true
		} else {
			t.Errorf("unexpected problem: %s", p)
		}
	}
	if !found {
		t.Errorf("the matrix did not notice that %s lost its permission %s; problems: %q", weakened.key(), weakened.Perm, problems)
	}
}
