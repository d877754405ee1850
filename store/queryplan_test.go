package store

import (
	"fmt"
	"slices"
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
	// Many cases of a department, newest first: read in date order, each case's
	// assignments probed (ListCases), never the department's cases sorted.
	view(t, db, func(tx *Tx) error {
		for _, f := range []CaseFilter{
			{DeptIDs: []int64{7, 8}, probeDepts: true},
			{DeptIDs: []int64{7}, Query: "井盖", probeDepts: true},
		} {
			where, args := tx.where(f, false, false)
			plan := queryPlan(t, tx, `SELECT id FROM cases`+where+` ORDER BY `+caseOrders[""]+` LIMIT 20`, args...)
			if !strings.Contains(plan, "cases_created_at") || strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("a department's cases %+v: plan %q, want cases_created_at and no sort", f, plan)
			}
		}
		return nil
	})
	// The public board, anyone's page: a page of many cases read in date order from an
	// index, never every case of the filter sorted (a temporary B-tree); its count and a
	// page of few from the area's range when there is an area.
	view(t, db, func(tx *Tx) error {
		cats := []string{"C0101", "C0104"}
		statuses := []gridloop.Status{gridloop.StatusRegistered, gridloop.StatusClosed}
		for _, q := range []struct {
			name  string
			f     PublicFilter
			which int
			want  string
			sort  bool // a temporary B-tree is allowed
		}{
			{"the board", PublicFilter{Categories: cats, Statuses: statuses}, publicManyCases, "cases_created_at", false},
			{"the board's closed cases", PublicFilter{Categories: cats, Statuses: statuses[1:]}, publicManyCases, "cases_status_created", false},
			{"the board by category", PublicFilter{Categories: cats, Statuses: statuses, Category: "C0101"}, publicManyCases, "cases_category_created", false},
			{"the board of a district", PublicFilter{Categories: cats, Statuses: statuses, AreaPrefix: "330106"}, publicManyCases, "cases_created_at", false},
			{"the board of a community, few cases", PublicFilter{Categories: cats, Statuses: statuses, AreaPrefix: "330106001001"}, publicFewCases, "cases_area_status", true},
			{"the board's count", PublicFilter{Categories: cats, Statuses: statuses}, publicCount, "cases_status_created", false},
			{"the board's count in an area", PublicFilter{Categories: cats, Statuses: statuses, AreaPrefix: "330106001001"}, publicCount, "cases_area_status", false},
			{"the board's count of a category's closed cases", PublicFilter{Categories: cats, Statuses: statuses[1:], Category: "C0101"}, publicCount, "cases_category_created", false},
			{"the board's count of a category's open cases", PublicFilter{Categories: cats, Statuses: statuses[:1], Category: "C0101"}, publicCount, "cases_category_created", false},
			{"a page of a category's few open cases", PublicFilter{Categories: cats, Statuses: statuses[:1], Category: "C0101"}, publicFewCases, "cases_category_created", true},
		} {
			query, args := tx.publicQuery(q.f, q.which)
			if q.which == publicCount {
				args = append(args, CountCap+1)
			} else {
				args = append(args, 20, 0)
			}
			plan := queryPlan(t, tx, query, args...)
			if !strings.Contains(plan, q.want) || !q.sort && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s: plan %q, want %s (a sort allowed: %v)", q.name, plan, q.want, q.sort)
			}
		}
		return nil
	})
	// The same board with a category, on the statistics a million-case store had after
	// PRAGMA optimize sampled it (analysis_limit 400): a category seemed to hold twice
	// the cases a state does, and SQLite counted a category's closed cases from the
	// closed state's range (100 ms at 1M). The category's range is read whatever the
	// statistics say. (On the writer: the statistics are loaded by the connection that
	// writes them.)
	update(t, db, func(tx *Tx) error {
		for _, q := range []string{`ANALYZE`, `DELETE FROM sqlite_stat1 WHERE tbl = 'cases'`,
			`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('cases', 'cases_category_created', '1000483 401 1'),
				('cases', 'cases_status_created', '1000483 201 1 1'), ('cases', 'cases_area_status', '1000483 401 267'),
				('cases', 'cases_created_at', '1000483 1'), ('cases', 'sqlite_autoindex_cases_1', '1000483 1')`,
			`ANALYZE sqlite_schema`} {
			if _, err := tx.exec(t.Context(), q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		cats := []string{"C0101", "C0104"}
		for _, q := range []struct {
			name  string
			f     PublicFilter
			which int
		}{
			{"closed, counted", PublicFilter{Categories: cats, Statuses: []gridloop.Status{gridloop.StatusClosed}, Category: "C0101"}, publicCount},
			{"open, counted", PublicFilter{Categories: cats, Statuses: []gridloop.Status{gridloop.StatusRegistered, gridloop.StatusHandling}, Category: "C0101"}, publicCount},
			{"open, a page of few", PublicFilter{Categories: cats, Statuses: []gridloop.Status{gridloop.StatusRegistered, gridloop.StatusHandling}, Category: "C0101"}, publicFewCases},
		} {
			query, args := tx.publicQuery(q.f, q.which)
			if q.which == publicCount {
				args = append(args, CountCap+1)
			} else {
				args = append(args, 20, 0)
			}
			if plan := queryPlan(t, tx, query, args...); !strings.Contains(plan, "cases_category_created") {
				t.Errorf("a category's cases, %s, on sampled statistics: plan %q, want cases_category_created", q.name, plan)
			}
		}
		return nil
	})
	// A department's work list, counted and paged in due order from case_depts (the
	// department and its subtree): covering ranges of case_depts_open, and the cases
	// read only by the page's ids. A full scan of cases, or a case looked up for each of
	// the department's rows (an IN list or a correlated probe) fails.
	forbid := []string{"SCAN cases", "LIST SUBQUERY", "CORRELATED"}
	view(t, db, func(tx *Tx) error {
		for _, depts := range [][]int64{{7}, {7, 8, 9}} {
			f := CaseFilter{DeptIDs: depts, Statuses: []gridloop.Status{gridloop.StatusDispatched, gridloop.StatusHandling}}
			count, page, args := tx.workListQueries(f)
			for _, q := range []struct {
				name, query string
				args        []any
				want        []string
			}{
				{"count", count, append(slices.Clone(args), CountCap+1), []string{"USING COVERING INDEX case_depts_open"}},
				{"page", page, append(slices.Clone(args), 20, 0),
					[]string{"USING COVERING INDEX case_depts_open", "SEARCH cases USING INTEGER PRIMARY KEY"}},
			} {
				plan := queryPlan(t, tx, q.query, q.args...)
				for _, w := range q.want {
					if !strings.Contains(plan, w) {
						t.Errorf("work list of %v, %s: plan %q lacks %q", depts, q.name, plan, w)
					}
				}
				for _, no := range forbid {
					if strings.Contains(plan, no) {
						t.Errorf("work list of %v, %s: plan %q has %q", depts, q.name, plan, no)
					}
				}
			}
		}
		return nil
	})
	for _, tt := range tests {
		view(t, db, func(tx *Tx) error {
			if got := queryPlan(t, tx, tt.query, tt.args...); !strings.Contains(got, tt.wantIndex) {
				t.Errorf("%s: plan %q does not use %s", tt.name, got, tt.wantIndex)
			}
			return nil
		})
	}
}

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of q, its lines joined by "; ".
func queryPlan(t *testing.T, tx *Tx, q string, args ...any) string {
	t.Helper()
	rows, err := tx.query(t.Context(), `EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("explain %s: %v", q, err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("explain %s: %v", q, err)
	}
	return strings.Join(plan, "; ")
}

// TestSavedAnswerLookupWithStaleStatistics: intake looks up a batch's Idempotency-Keys
// through the primary key even when SQLite's statistics were taken while the table was
// small (the demo's ANALYZE). An OR of (scope, key) pairs was planned as a scan of the
// whole table then, and intake slowed as the table grew (3,000 → 900 reports/s within
// 20,000 reports).
func TestSavedAnswerLookupWithStaleStatistics(t *testing.T) {
	db := openDB(t, dbtest.SQLite(t))
	ctx := t.Context()
	update(t, db, func(tx *Tx) error {
		var rs []IdemResponse
		for i := range 5 {
			rs = append(rs, IdemResponse{IdemKey{"report:1", fmt.Sprint("k", i)}, 201, []byte(`{}`)})
		}
		if err := tx.SaveIdempotentMany(ctx, rs); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `ANALYZE`)
		return err
	})
	view(t, db, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'idempotency'`).Scan(&n); err != nil || n == 0 {
			t.Fatalf("no statistics for idempotency (%d rows, %v): the test needs them", n, err)
		}
		plan := queryPlan(t, tx, idempotencyLookup, "report:1", "k1")
		if !strings.Contains(plan, "SEARCH idempotency USING INDEX") || strings.Contains(plan, "SCAN") {
			t.Errorf("saved answer lookup: plan %q, want a search of the primary key", plan)
		}
		got, err := tx.IdempotentMany(ctx, []IdemKey{{"report:1", "k1"}, {"report:1", "k4"}, {"report:1", "nope"}, {"report:2", "k1"}})
		if err != nil {
			return err
		}
		if len(got) != 2 || string(got[IdemKey{"report:1", "k4"}]) != `{}` {
			t.Errorf("IdempotentMany: %q, want k1 and k4", got)
		}
		return nil
	})
}
