package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// staleCaseDepts lists the case_depts rows whose copies of the case's columns differ
// from the case, the rows of departments the case holds no assignment of, and the
// assignments without a row.
func staleCaseDepts(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	view(t, db, func(tx *Tx) error {
		ctx := t.Context()
		rows, err := tx.query(ctx, `SELECT d.case_id, d.dept_id FROM case_depts d JOIN cases c ON c.id = d.case_id
			WHERE d.status <> c.status OR d.created_at <> c.created_at OR d.category_code <> c.category_code
				OR d.overdue <> c.overdue OR d.due IS DISTINCT FROM c.due ORDER BY 1, 2`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c, d int64
			if err := rows.Scan(&c, &d); err != nil {
				rows.Close()
				return err
			}
			out = append(out, fmt.Sprintf("case %d dept %d: stale copy", c, d))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		held := map[[2]int64]bool{}
		rows, err = tx.query(ctx, `SELECT case_id, dept_id FROM case_depts`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k [2]int64
			if err := rows.Scan(&k[0], &k[1]); err != nil {
				rows.Close()
				return err
			}
			held[k] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		cases, err := tx.cases(ctx, `SELECT `+caseColumns+` FROM cases ORDER BY id`)
		if err != nil {
			return err
		}
		for _, c := range cases {
			for _, a := range c.Assignments {
				if !held[[2]int64{c.ID, a.DeptID}] {
					out = append(out, fmt.Sprintf("case %d dept %d: no row", c.ID, a.DeptID))
				}
				delete(held, [2]int64{c.ID, a.DeptID})
			}
		}
		for k := range held {
			out = append(out, fmt.Sprintf("case %d dept %d: row without an assignment", k[0], k[1]))
		}
		slices.Sort(out)
		return nil
	})
	return out
}

// TestCaseDeptsCarryCaseColumns: case_depts copies each case's status, created_at,
// category, overdue flag and deadline, and every way of writing a case keeps the copies
// equal to the case (a stale copy would put a closed case among a department's open ones
// on the dashboard, or out of deadline order in its work list); the department-scoped
// dashboard counts and work lists, read from the copies, equal the same read from the
// cases.
func TestCaseDeptsCarryCaseColumns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		check := func(step string) {
			t.Helper()
			if stale := staleCaseDepts(t, db); len(stale) > 0 {
				t.Fatalf("%s: case_depts out of step with the cases: %v", step, stale)
			}
		}
		day := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
		mk := func(code string, status gridloop.Status, cat string, depts ...int64) *gridloop.Case {
			c := minimalCase(code)
			c.Status, c.CategoryCode, c.CreatedAt, c.UpdatedAt = status, cat, day, day
			for i, d := range depts {
				c.Assignments = append(c.Assignments, gridloop.Assignment{DeptID: d, Lead: i == 0})
			}
			return c
		}
		a := insertCase(t, db, mk("A", gridloop.StatusDispatched, "0101", 1, 2))
		bulk := []*gridloop.Case{
			mk("B", gridloop.StatusHandling, "0102", 1),
			mk("C", gridloop.StatusClosed, "0101", 2, 3),
			mk("D", gridloop.StatusReported, ""),
		}
		bulk[0].Overdue = true
		bulk[0].Due = ptr(day.Add(48 * time.Hour))
		bulk[1].Due = ptr(day.Add(24 * time.Hour))
		update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, bulk) })
		check("after the inserts")

		steps := []struct {
			name   string
			c      *gridloop.Case
			change func(c *gridloop.Case)
		}{
			// a was stored dispatched without a deadline: NULL to a time, then the
			// deadline alone changes (an extension approved, a suspension resumed).
			{"a deadline set", a, func(c *gridloop.Case) { c.Due = ptr(day.Add(72 * time.Hour)) }},
			{"deadline extended", a, func(c *gridloop.Case) { c.Due = ptr(c.Due.Add(24 * time.Hour)) }},
			{"status", a, func(c *gridloop.Case) { c.Status = gridloop.StatusHandling }},
			{"overdue flag", a, func(c *gridloop.Case) { c.Overdue = true }},
			{"category", a, func(c *gridloop.Case) { c.CategoryCode = "0303" }},
			{"a department added", a, func(c *gridloop.Case) {
				c.Assignments = append(c.Assignments, gridloop.Assignment{DeptID: 4})
			}},
			{"a department gone and the status", a, func(c *gridloop.Case) {
				c.Assignments = c.Assignments[1:]
				c.Status = gridloop.StatusHandled
			}},
			{"nothing copied", a, func(c *gridloop.Case) { c.UrgeCount++ }},
			{"closed", bulk[0], func(c *gridloop.Case) { c.Status, c.Overdue = gridloop.StatusClosed, false }},
			{"reopened: a fresh deadline", bulk[1], func(c *gridloop.Case) {
				c.Status, c.Due = gridloop.StatusDispatched, ptr(day.Add(96*time.Hour))
			}},
			{"dispatched", bulk[2], func(c *gridloop.Case) {
				c.Status, c.CategoryCode = gridloop.StatusDispatched, "0102"
				c.Assignments = []gridloop.Assignment{{DeptID: 3, Lead: true}}
				c.Due = ptr(day.Add(24 * time.Hour))
			}},
			{"deadline cleared", bulk[2], func(c *gridloop.Case) { c.Due = nil }},
			{"return approved", bulk[1], func(c *gridloop.Case) {
				c.Assignments, c.Status, c.Due = nil, gridloop.StatusRegistered, nil
			}},
			{"re-dispatched", bulk[1], func(c *gridloop.Case) {
				c.Assignments = []gridloop.Assignment{{DeptID: 2, Lead: true}, {DeptID: 1}}
				c.Status, c.Due = gridloop.StatusDispatched, ptr(day.Add(24*time.Hour))
			}},
		}
		for _, s := range steps {
			s.change(s.c)
			s.c.Version++
			update(t, db, func(tx *Tx) error { return tx.UpdateCase(ctx, s.c) })
			check("after " + s.name)

			// The dashboard's department counts from case_depts equal those from the
			// cases (an area prefix that every case has takes the other path).
			for _, depts := range [][]int64{{1}, {2}, {3}, {1, 2, 3, 4}} {
				since, until := day.Add(-time.Hour), day.Add(time.Hour)
				f := CaseFilter{DeptIDs: depts, Since: &since, Until: &until}
				all := f
				all.AreaPrefixes = []string{""}
				view(t, db, func(tx *Tx) error {
					for _, g := range []CaseFilter{f, all} {
						if deptOnly(g) != (len(g.AreaPrefixes) == 0) {
							t.Fatalf("deptOnly(%+v) = %v", g, deptOnly(g))
						}
					}
					what := fmt.Sprintf("%s, departments %v", s.name, depts)
					sc1, err := tx.CountByStatusChannel(ctx, f)
					if err != nil {
						return err
					}
					sc2, err := tx.CountByStatusChannel(ctx, all)
					if err != nil {
						return err
					}
					equal(t, what+": today by status and channel", sc1, sc2)
					tc1, err := tx.TopCategories(ctx, f, 10)
					if err != nil {
						return err
					}
					tc2, err := tx.TopCategories(ctx, all, 10)
					if err != nil {
						return err
					}
					equal(t, what+": top categories", tc1, tc2)
					f.Since, f.Until, all.Since, all.Until = nil, nil, nil, nil
					o1, err := tx.CountOpenByStatus(ctx, f)
					if err != nil {
						return err
					}
					o2, err := tx.CountOpenByStatus(ctx, all)
					if err != nil {
						return err
					}
					equal(t, what+": open by status", o1, o2)
					l1, n1, err := tx.OverdueOpen(ctx, f, 10)
					if err != nil {
						return err
					}
					l2, n2, err := tx.OverdueOpen(ctx, all, 10)
					if err != nil {
						return err
					}
					equal(t, what+": overdue", n1, n2)
					equal(t, what+": overdue list", codes(l1), codes(l2))

					// The work list in deadline order, from case_depts and from the cases.
					w := CaseFilter{DeptIDs: depts, Statuses: workStatuses, Order: OrderDueAsc}
					wAll := w
					wAll.AreaPrefixes = []string{""}
					if !workList(w) || workList(wAll) {
						t.Fatalf("workList(%+v) = %v, workList(%+v) = %v", w, workList(w), wAll, workList(wAll))
					}
					w1, t1, err := tx.ListCases(ctx, w)
					if err != nil {
						return err
					}
					w2, t2, err := tx.ListCases(ctx, wAll)
					if err != nil {
						return err
					}
					equal(t, what+": work list total", t1, t2)
					equal(t, what+": work list", codes(w1), codes(w2))
					return nil
				})
			}
		}
	})
}

// workStatuses are the states of a handler's work list.
var workStatuses = []gridloop.Status{gridloop.StatusDispatched, gridloop.StatusHandling}
