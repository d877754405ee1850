package service_test

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// TestDashboardScopes drives random case histories through the service (reports,
// dispatches to units and sections, reassignments, category changes, the overdue clock)
// and checks the dashboard inside department and area scopes against the same figures
// counted from the cases themselves: the department scope reads the copies of the
// cases' columns in case_depts, and the area scope's top categories
// category_area_months, both kept in the cases' and events' transactions.
func TestDashboardScopes(t *testing.T) {
	steps, busy := 1000, 400
	if testing.Short() {
		steps, busy = 300, 200
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 7077)
		ec.drive(t, steps) // weeks of history, with overdue cases
		// Then a busy few hours: many reports today, and work on them.
		for range busy {
			ec.now = ec.now.Add(time.Minute)
			if ec.chance(0.4) {
				ec.report(t)
				continue
			}
			ec.step(t)
			if ec.chance(0.1) {
				if _, err := ec.svc.FlagOverdue(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		var principals []*service.Principal
		for _, id := range ec.top {
			principals = append(principals, ec.handlers[id])
		}
		principals = append(principals, ec.workers...)
		principals = append(principals, &service.Principal{System: true})
		checked := 0
		for _, p := range principals {
			d, err := ec.svc.Dashboard(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			loc := ec.svc.Calendar().Location()
			today, err := time.ParseInLocation("2006-01-02", d.Today, loc)
			if err != nil {
				t.Fatal(err)
			}
			month, err := time.ParseInLocation("2006-01-02", d.MonthStart, loc)
			if err != nil {
				t.Fatal(err)
			}
			f := store.CaseFilter{}
			if p.User != nil {
				f.AreaPrefixes = p.User.AreaScope
				if len(p.User.DeptScope) > 0 {
					f.DeptIDs = p.Depts
				}
			}
			var cases []gl.Case
			err = ec.svc.DB.View(ctx, func(tx *store.Tx) error {
				for f.Offset = 0; ; f.Offset += store.MaxLimit {
					f.Limit = store.MaxLimit
					page, _, err := tx.ListCases(ctx, f)
					if err != nil {
						return err
					}
					cases = append(cases, page...)
					if len(page) < store.MaxLimit {
						return nil
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			who := d.Scope
			if p.User != nil {
				who += " " + p.User.Name
			}
			todayStatus, todayChannel, open, cats := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
			var overdue []gl.Case
			for _, c := range cases {
				if !c.CreatedAt.Before(today) && c.CreatedAt.Before(today.AddDate(0, 0, 1)) {
					todayStatus[string(c.Status)]++
					todayChannel[string(c.Channel)]++
				}
				if !c.CreatedAt.Before(month) && c.CreatedAt.Before(month.AddDate(0, 1, 0)) {
					cats[c.CategoryCode]++
				}
				if c.Status.Open() {
					open[string(c.Status)]++
					if c.Overdue {
						overdue = append(overdue, c)
					}
				}
			}
			counts := func(cs []service.Count) map[string]int {
				out := map[string]int{}
				for _, c := range cs {
					if c.Count != 0 {
						out[c.Key] = c.Count
					}
				}
				return out
			}
			if got := counts(d.TodayCases.ByStatus); !maps.Equal(got, todayStatus) {
				t.Errorf("%s: today by status %v, counted %v", who, got, todayStatus)
			}
			if got := counts(d.TodayCases.ByChannel); !maps.Equal(got, todayChannel) {
				t.Errorf("%s: today by channel %v, counted %v", who, got, todayChannel)
			}
			if got := counts(d.Open.ByStatus); !maps.Equal(got, open) {
				t.Errorf("%s: open by status %v, counted %v", who, got, open)
			}
			var wantCats []service.CategoryRow
			for code, n := range cats {
				wantCats = append(wantCats, service.CategoryRow{Code: code, Count: n})
			}
			slices.SortFunc(wantCats, func(a, b service.CategoryRow) int {
				return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Code, b.Code))
			})
			wantCats = wantCats[:min(len(wantCats), service.TopCategoryCount)]
			var gotCats []service.CategoryRow
			for _, c := range d.TopCategories {
				gotCats = append(gotCats, service.CategoryRow{Code: c.Code, Count: c.Count})
			}
			if !slices.Equal(gotCats, wantCats) {
				t.Errorf("%s: top categories %v, counted %v", who, gotCats, wantCats)
			}
			// ORDER BY due, id: SQLite puts cases without a deadline (suspended) first,
			// PostgreSQL last.
			slices.SortFunc(overdue, func(x, y gl.Case) int {
				switch {
				case x.Due == nil && y.Due != nil:
					return map[bool]int{true: -1, false: 1}[b.Name == dbtest.SQLiteName]
				case x.Due != nil && y.Due == nil:
					return map[bool]int{true: 1, false: -1}[b.Name == dbtest.SQLiteName]
				case x.Due != nil && y.Due != nil:
					if c := x.Due.Compare(*y.Due); c != 0 {
						return c
					}
				}
				return cmp.Compare(x.ID, y.ID)
			})
			var wantOverdue, gotOverdue []string
			for _, c := range overdue[:min(len(overdue), service.OverdueListSize)] {
				wantOverdue = append(wantOverdue, c.Code)
			}
			for _, it := range d.Overdue.Items {
				gotOverdue = append(gotOverdue, it.Code)
			}
			if d.Overdue.Total != len(overdue) || !slices.Equal(gotOverdue, wantOverdue) {
				t.Errorf("%s: overdue %d %v, counted %d %v", who, d.Overdue.Total, gotOverdue, len(overdue), wantOverdue)
			}
			if len(cases) > 0 && len(cats) > 0 {
				checked++
			}
			t.Logf("%s: %d cases, %d open, %d overdue, %d reported today, %d categories this month",
				who, len(cases), d.Open.Total, len(overdue), d.TodayCases.Total, len(cats))
		}
		if checked < len(principals)-1 {
			t.Errorf("only %d of %d scopes had cases this month", checked, len(principals))
		}
	})
}
