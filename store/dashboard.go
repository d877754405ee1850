package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/gridloop/gridloop"
)

// What the command dashboard reads from the cases table. Every query is bounded by an
// index (migrations/*/00005_rollups.sql): a range of created_at on
// cases_created_summary (index-only), the open statuses on the index that starts with
// status, and the open overdue cases on the partial index cases_overdue_open. Figures
// over longer periods come from the rollups.
//
// Inside a department scope (deptOnly) the queries read the departments' rows of
// case_depts, which carry the case's status, created_at, category and overdue flag
// (00012_dashboard_scope.sql): the open or overdue cases of a department are a range of
// case_depts_open, its cases of a day or a month a range of case_depts_created. A case
// held by several of the departments has a row for each: the counts take each case once.

// deptOnly reports whether f selects by departments alone (the dashboard's time range
// aside), so that the department's case_depts rows answer.
func deptOnly(f CaseFilter) bool {
	return len(f.DeptIDs) > 0 && len(f.AreaPrefixes) == 0 && f.CategoryCode == "" && f.ReporterID == 0 &&
		strings.TrimSpace(f.Query) == ""
}

// deptRows is the condition on case_depts of f's departments (and f's time range), and
// its arguments.
func (tx *Tx) deptRows(f CaseFilter, extra ...string) (string, []any) {
	conds := append([]string{`dept_id IN (` + placeholders(len(f.DeptIDs)) + `)`}, extra...)
	args := make([]any, 0, len(f.DeptIDs)+2)
	for _, d := range f.DeptIDs {
		args = append(args, d)
	}
	if f.Since != nil {
		conds = append(conds, `created_at >= ?`)
		args = append(args, tx.timeArg(*f.Since))
	}
	if f.Until != nil {
		conds = append(conds, `created_at < ?`)
		args = append(args, tx.timeArg(*f.Until))
	}
	return strings.Join(conds, ` AND `), args
}

// openDeptRows is the predicate of the partial index case_depts_open, word for word.
const openDeptRows = `status NOT IN ('closed', 'rejected', 'merged', 'withdrawn')`

// dashWhere is where for the dashboard's counts in a scope that deptOnly does not take
// (departments and areas together). On SQLite a department filter is written "+id IN
// (SELECT case_id …)": the unary plus keeps the planner from driving the query by the
// department's case ids (a primary-key lookup per case, tens of thousands of them) and
// makes it scan the bounded index of the query (a day, a month, the open or overdue
// cases) and probe the department's case ids, collected once.
//
// For a short range (a day's cases) the department's case ids cost more to collect than
// probing case_depts by each case: few says so, and the filter becomes a correlated
// EXISTS.
func (tx *Tx) dashWhere(f CaseFilter, few, skipStatus, skipOverdue bool, extra ...string) (string, []any) {
	depts := f.DeptIDs
	if tx.dialect != SQLite || len(depts) == 0 {
		return tx.where(f, skipStatus, skipOverdue, extra...)
	}
	f.DeptIDs = nil
	where, args := tx.where(f, skipStatus, skipOverdue, extra...)
	cond := `+id IN (SELECT case_id FROM case_depts WHERE dept_id IN (` + placeholders(len(depts)) + `))`
	if few {
		cond = `EXISTS (SELECT 1 FROM case_depts cd WHERE cd.case_id = cases.id AND cd.dept_id IN (` + placeholders(len(depts)) + `))`
	}
	if where == "" {
		where = " WHERE " + cond
	} else {
		where += " AND " + cond
	}
	for _, d := range depts {
		args = append(args, d)
	}
	return where, args
}

// StatusChannelCount counts cases of one status and channel.
type StatusChannelCount struct {
	Status  gridloop.Status  `json:"status"`
	Channel gridloop.Channel `json:"channel"`
	Count   int              `json:"count"`
}

// CountByStatusChannel counts the cases f selects by status and channel. Set f.Since
// and f.Until to a short range (a day): the count reads that range of created_at.
func (tx *Tx) CountByStatusChannel(ctx context.Context, f CaseFilter) ([]StatusChannelCount, error) {
	var where string
	var args []any
	if deptOnly(f) && len(f.Statuses) == 0 && f.Overdue == nil {
		// The departments' cases of the range (case_depts_created), each looked up once.
		var cond string
		cond, args = tx.deptRows(f)
		where = ` WHERE id IN (SELECT case_id FROM case_depts WHERE ` + cond + `)`
	} else {
		where, args = tx.dashWhere(f, true, false, false)
	}
	rows, err := tx.query(ctx, `SELECT status, channel, count(*) FROM cases`+where+` GROUP BY status, channel`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count cases by status and channel: %w", err)
	}
	defer rows.Close()
	var out []StatusChannelCount
	for rows.Next() {
		var c StatusChannelCount
		if err := rows.Scan(&c.Status, &c.Channel, &c.Count); err != nil {
			return nil, fmt.Errorf("store: count cases by status and channel: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CategoryCount counts cases of one category ("" for cases not yet classified).
type CategoryCount struct {
	Code  string `json:"code"`
	Count int    `json:"count"`
}

// TopCategories returns the limit categories with the most cases f selects, most first.
// Set f.Since and f.Until.
func (tx *Tx) TopCategories(ctx context.Context, f CaseFilter, limit int) ([]CategoryCount, error) {
	var from string
	var args []any
	if deptOnly(f) && len(f.Statuses) == 0 && f.Overdue == nil {
		// The departments' rows of the range, with the category (case_depts_created,
		// covering).
		var cond string
		cond, args = tx.deptRows(f)
		from = `(SELECT ` + distinct(f.DeptIDs) + `case_id, category_code FROM case_depts WHERE ` + cond + `) AS d`
	} else {
		var where string
		where, args = tx.dashWhere(f, false, false, false)
		from = `cases` + where
	}
	rows, err := tx.query(ctx, `SELECT category_code, count(*) AS n FROM `+from+
		` GROUP BY category_code ORDER BY n DESC, category_code LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: top categories: %w", err)
	}
	defer rows.Close()
	var out []CategoryCount
	for rows.Next() {
		var c CategoryCount
		if err := rows.Scan(&c.Code, &c.Count); err != nil {
			return nil, fmt.Errorf("store: top categories: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// openStatuses are the statuses in which a case awaits work.
var openStatuses = func() []any {
	var out []any
	for _, s := range gridloop.Statuses {
		if s.Open() {
			out = append(out, string(s))
		}
	}
	return out
}()

// CountOpenByStatus counts the open cases f selects by status (f.Statuses ignored);
// statuses without cases are absent.
func (tx *Tx) CountOpenByStatus(ctx context.Context, f CaseFilter) (map[gridloop.Status]int, error) {
	// With an area scope, SQLite counts from cases_area_status (covering) when the status
	// term cannot use the index that starts with status (the unary plus).
	status := `status IN (`
	if tx.dialect == SQLite && len(f.AreaPrefixes) > 0 {
		status = `+status IN (`
	}
	var q string
	var args []any
	if deptOnly(f) && f.Overdue == nil {
		// The departments' open rows by status (case_depts_open, covering).
		var cond string
		cond, args = tx.deptRows(f, openDeptRows)
		q = `SELECT status, count(*) FROM (SELECT ` + distinct(f.DeptIDs) + `case_id, status FROM case_depts WHERE ` + cond +
			`) AS d GROUP BY status`
	} else {
		var where string
		where, args = tx.dashWhere(f, false, true, false, status+placeholders(len(openStatuses))+`)`)
		args = append(append([]any{}, openStatuses...), args...)
		q = `SELECT status, count(*) FROM cases` + where + ` GROUP BY status`
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count open cases: %w", err)
	}
	defer rows.Close()
	out := map[gridloop.Status]int{}
	for rows.Next() {
		var s gridloop.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count open cases: %w", err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// overdueOpen is the predicate of the partial index cases_overdue_open, word for word
// (as literals: SQLite uses a partial index only when the query's terms match it).
var overdueOpen = []string{`overdue`, `status NOT IN ('closed', 'rejected', 'merged', 'withdrawn')`}

// OverdueOpen returns up to limit of the open cases f selects that are flagged overdue,
// earliest deadline first, and how many there are (f.Statuses and f.Overdue ignored).
func (tx *Tx) OverdueOpen(ctx context.Context, f CaseFilter, limit int) ([]gridloop.Case, int, error) {
	var where, count string
	var args []any
	if deptOnly(f) {
		// The departments' open rows flagged overdue (case_depts_open), and their cases.
		var cond string
		cond, args = tx.deptRows(f, openDeptRows, `overdue = TRUE`)
		count = `SELECT count(` + distinct(f.DeptIDs) + `case_id) FROM case_depts WHERE ` + cond
		where = ` WHERE id IN (SELECT case_id FROM case_depts WHERE ` + cond + `)`
	} else {
		where, args = tx.dashWhere(f, false, true, true, overdueOpen...)
		count = `SELECT count(*) FROM cases` + where
	}
	var total int
	if err := tx.queryRow(ctx, count, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count overdue cases: %w", err)
	}
	if total == 0 {
		return nil, 0, nil
	}
	cases, err := tx.cases(ctx, `SELECT `+caseColumns+` FROM cases`+where+` ORDER BY due, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: overdue cases: %w", err)
	}
	return cases, total, nil
}

// distinct is "DISTINCT " when a case may have a row for more than one of depts.
func distinct(depts []int64) string {
	if len(depts) > 1 {
		return "DISTINCT "
	}
	return ""
}

// CasesByIDs returns the cases with ids (unknown ids left out), by id.
func (tx *Tx) CasesByIDs(ctx context.Context, ids []int64) (map[int64]*gridloop.Case, error) {
	out := map[int64]*gridloop.Case{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		cases, err := tx.cases(ctx, `SELECT `+caseColumns+` FROM cases WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: cases by id: %w", err)
		}
		for i := range cases {
			out[cases[i].ID] = &cases[i]
		}
	}
	return out, nil
}

// EventsAfter returns up to limit events with an id greater than after, in id order:
// the live feed's poll.
func (tx *Tx) EventsAfter(ctx context.Context, after int64, limit int) ([]gridloop.Event, error) {
	return tx.eventList(ctx, `SELECT `+eventColumns+` FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

func (tx *Tx) eventList(ctx context.Context, q string, args ...any) ([]gridloop.Event, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []gridloop.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
