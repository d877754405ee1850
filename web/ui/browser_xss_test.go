package ui_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// noScriptRan fails if a payload's script ran on the page: every payload of the corpus
// sets window.__xss when it runs.
func (b *browser) noScriptRan(where string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.__xss !== "undefined" || typeof window.parent.__xss !== "undefined"`))
	if err != nil {
		b.t.Fatalf("%s: %v", where, err)
	}
	if ran {
		b.t.Fatalf("%s: a payload's script ran (window.__xss is set)", where)
	}
}

// bodyText is the page's visible text.
func (b *browser) bodyText() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		b.t.Fatalf("body text: %v", err)
	}
	return s
}

// TestBrowserHostilePayloads: pages holding every payload of web/testdata/hostile.txt
// — typed into the report form, and stored as cases, notes, categories, departments
// and user names — are loaded in Chromium: each payload shows as text, and none runs.
func TestBrowserHostilePayloads(t *testing.T) {
	chromium(t)
	b, err := os.ReadFile("../testdata/hostile.txt")
	if err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			payloads = append(payloads, line)
		}
	}
	c := newCity(t, dbtest.SQLite(t))
	ctx := context.Background()
	svc := c.svc
	principal := func(name string) *service.Principal {
		u, err := svc.UserByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return svc.NewPrincipal(u)
	}
	op := principal("operator")
	type stored struct{ code, token string }
	var cases []stored
	for i, p := range payloads {
		lat, lng := 30.259, 120.151
		res, err := svc.Report(ctx, op, service.ReportInput{Description: p, Address: p, ReporterName: p, ReporterPhone: "13812345678",
			Lat: &lat, Lng: &lng, Channel: gl.ChannelHotline}, "")
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		if _, err := svc.Act(ctx, op, res.Case.Code, workflow.Input{Action: gl.ActionComment, Note: p}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ActAsReporter(ctx, res.TrackingToken, workflow.Input{Action: gl.ActionSupplement, Note: p}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, stored{res.Case.Code, res.TrackingToken})
		cat := gl.DefaultCategories()[0]
		cat.Code, cat.Name, cat.MajorName, cat.ClosingCondition = fmt.Sprintf("X%02d", i), p, p, p
		if err := svc.PutCategory(ctx, &cat); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddDepartment(ctx, &gl.Department{Code: fmt.Sprintf("D%02d", i), Name: p, Kind: gl.DeptBureau}); err != nil {
			t.Fatal(err)
		}
		if err := svc.AddUser(ctx, &gl.User{Name: fmt.Sprintf("u%02d", i), DisplayName: p, Roles: []gl.Role{gl.RoleOperator}}, testPassword); err != nil {
			t.Fatal(err)
		}
	}

	tab := startBrowser(t, c.url)
	citizen, staff, admin := tab(true), tab(false), tab(false)

	// Typed into the report form: shown back after an error, filed, tracked.
	for _, p := range payloads[:4] {
		citizen.open("/report")
		citizen.set("#description", p)
		citizen.set("#address", p)
		citizen.set("#reporter_name", p)
		citizen.set("#lat", "north")
		citizen.set("#lng", "120.151")
		citizen.submit("form[action='/report'] button.primary")
		citizen.noScriptRan("the report form shown again")
		citizen.valueIs("#description", p)
		citizen.valueIs("#address", p)
	}
	citizen.shot("hostile-report-form")
	for i, s := range cases {
		citizen.open("/track/" + s.token)
		citizen.noScriptRan(fmt.Sprintf("tracking page of payload %d", i))
		if !strings.Contains(citizen.bodyText(), payloads[i]) {
			t.Errorf("tracking page of payload %d does not show it as text", i)
		}
	}

	// Staff: lists, the workbench, the map, each case page, revealed.
	staff.login("supervisor")
	for _, path := range []string{"/cases", "/work", "/map"} {
		staff.open(path)
		staff.noScriptRan(path)
	}
	for i, s := range cases {
		staff.open("/cases/" + s.code)
		staff.noScriptRan(fmt.Sprintf("case page of payload %d", i))
		if got := staff.text("#description"); got != payloads[i] {
			t.Errorf("case page of payload %d shows %q", i, got)
		}
		staff.submit("#reveal")
		staff.noScriptRan(fmt.Sprintf("revealed case page of payload %d", i))
		if got := staff.text("#reporter-revealed"); !strings.Contains(got, payloads[i]) {
			t.Errorf("revealed reporter of payload %d: %q", i, got)
		}
		if i == 0 {
			staff.shot("hostile-case-revealed")
		}
	}

	// Admin pages: categories, departments, users, the audit log; and signed in as a
	// user whose display name is a payload.
	admin.login("admin")
	for _, path := range []string{"/admin/categories", "/admin/departments", "/admin/users", "/admin/audit", "/admin/categories/X00", "/report"} {
		admin.open(path)
		admin.noScriptRan(path)
	}
	admin.shot("hostile-admin-users")
	admin.logout()
	for i := range payloads {
		admin.open("/login")
		admin.set("#username", fmt.Sprintf("u%02d", i))
		admin.set("#password", testPassword)
		admin.submit("form[action='/login'] button")
		admin.noScriptRan(fmt.Sprintf("workbench of the user named payload %d", i))
		admin.submit("form[action='/logout'] button")
	}
}
