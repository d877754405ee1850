package store

import (
	"strings"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestHotQueriesUseTheirIndexes: queries that run on every request or event read an
// index range, not the whole cases table, on SQLite (whose planner needs the query to
// spell out a partial index's predicate). A plan, not a timing: it fails the same way on
// any machine.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	db := openDB(t, dbtest.SQLite(t))
	tests := []struct {
		name, query string
		args        []any
		wantIndex   string
	}{
		{"duplicates of a case (every event)", duplicatesQuery, []any{"2026112200001", "merged"}, "cases_duplicate_of"},
		{"capped count of a work list", `SELECT count(*) FROM (SELECT 1 FROM cases WHERE status IN (?) LIMIT ?) AS capped`,
			[]any{"reported", CountCap + 1}, "cases_status_created"},
	}
	view(t, db, func(tx *Tx) error {
		// A handler's work list: the department's open cases in two states, by deadline.
		where, args := tx.where(CaseFilter{DeptIDs: []int64{7}, Statuses: []gridloop.Status{gridloop.StatusDispatched, gridloop.StatusHandling}}, false, false)
		tests = append(tests, struct {
			name, query string
			args        []any
			wantIndex   string
		}{"a department's work list", `SELECT id FROM cases` + where + ` ORDER BY ` + caseOrders[OrderDueAsc] + ` LIMIT 20`, args, "case_depts_open"})
		return nil
	})
	for _, tt := range tests {
		view(t, db, func(tx *Tx) error {
			rows, err := tx.query(t.Context(), `EXPLAIN QUERY PLAN `+tt.query, tt.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					return err
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, tt.wantIndex) {
				t.Errorf("%s: plan %q does not use %s", tt.name, got, tt.wantIndex)
			}
			return rows.Err()
		})
	}
}
