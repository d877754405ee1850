package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridloop/gridloop"
)

// caseColumns is the column list every case query selects, in scanCase's order.
const caseColumns = `id, code, status, version, channel, category_code, urgent, description, address,
	lat, lng, area_code, grid_code, resp_grid_code, reporter_name, reporter_phone, reporter_id, tracking_hash, photos,
	verified, duplicate_of, suggested_dept_id, lead_dept_id, assignments, pending, pending_kind,
	rework_count, reopen_count, return_count, extension_count, urge_count, interest,
	stage_due, sign_due, due, due_working, due_start, suspended_at, overdue, overdue_at,
	registered_at, dispatched_at, handled_at, closed_at, rated_at, satisfaction, fixed,
	created_at, updated_at`

// column is one column and its value, for INSERT and UPDATE.
type column struct {
	name  string
	value any
}

// caseRow returns every stored column of c but id, in a fixed order.
func (tx *Tx) caseRow(c *gridloop.Case) ([]column, error) {
	photos, err := jsonList(c.Photos)
	if err != nil {
		return nil, fmt.Errorf("encode photos: %w", err)
	}
	as := slices.Clone(c.Assignments)
	for i := range as {
		as[i].SignedAt = normTimePtr(as[i].SignedAt)
		as[i].HandledAt = normTimePtr(as[i].HandledAt)
	}
	assignments, err := jsonList(as)
	if err != nil {
		return nil, fmt.Errorf("encode assignments: %w", err)
	}
	var pending, pendingKind any
	if c.Pending != nil {
		p := *c.Pending
		p.At = normTime(p.At)
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode pending request: %w", err)
		}
		pending, pendingKind = string(b), string(p.Kind)
	}
	return []column{
		{"code", c.Code},
		{"status", string(c.Status)},
		{"version", c.Version},
		{"channel", string(c.Channel)},
		{"category_code", c.CategoryCode},
		{"urgent", c.Urgent},
		{"description", c.Description},
		{"address", c.Address},
		{"lat", c.Lat},
		{"lng", c.Lng},
		{"area_code", c.AreaCode},
		{"grid_code", c.GridCode},
		{"resp_grid_code", c.RespGridCode},
		{"reporter_name", c.ReporterName},
		{"reporter_phone", c.ReporterPhone},
		{"reporter_id", nullID(c.ReporterID)},
		{"tracking_hash", nullString(c.TrackingHash)},
		{"photos", photos},
		{"verified", c.Verified},
		{"duplicate_of", c.DuplicateOf},
		{"suggested_dept_id", nullID(c.SuggestedDeptID)},
		{"lead_dept_id", nullID(c.LeadDeptID())},
		{"assignments", assignments},
		{"pending", pending},
		{"pending_kind", pendingKind},
		{"rework_count", c.ReworkCount},
		{"reopen_count", c.ReopenCount},
		{"return_count", c.ReturnCount},
		{"extension_count", c.ExtensionCount},
		{"urge_count", c.UrgeCount},
		{"interest", c.Interest},
		{"stage_due", tx.timePtrArg(c.StageDue)},
		{"sign_due", tx.timePtrArg(c.SignDue)},
		{"due", tx.timePtrArg(c.Due)},
		{"due_working", c.DueWorking},
		{"due_start", tx.timePtrArg(c.DueStart)},
		{"suspended_at", tx.timePtrArg(c.SuspendedAt)},
		{"overdue", c.Overdue},
		{"overdue_at", tx.timePtrArg(c.OverdueAt)},
		{"registered_at", tx.timePtrArg(c.RegisteredAt)},
		{"dispatched_at", tx.timePtrArg(c.DispatchedAt)},
		{"handled_at", tx.timePtrArg(c.HandledAt)},
		{"closed_at", tx.timePtrArg(c.ClosedAt)},
		{"rated_at", tx.timePtrArg(c.RatedAt)},
		{"satisfaction", string(c.Satisfaction)},
		{"fixed", nullBool(c.Fixed)},
		{"created_at", tx.timeArg(c.CreatedAt)},
		{"updated_at", tx.timeArg(c.UpdatedAt)},
	}, nil
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanCase(s scanner) (*gridloop.Case, error) {
	var (
		c                                    gridloop.Case
		reporterID, suggestedDept, leadDept  sql.NullInt64
		trackingHash, pending, pendingKind   sql.NullString
		photos, assignments                  string
		stageDue, signDue, due, dueStart     nullTime
		suspendedAt, overdueAt, registeredAt nullTime
		dispatchedAt, handledAt, closedAt    nullTime
		ratedAt, createdAt, updatedAt        nullTime
		fixed                                sql.NullBool
	)
	err := s.Scan(&c.ID, &c.Code, &c.Status, &c.Version, &c.Channel, &c.CategoryCode, &c.Urgent,
		&c.Description, &c.Address, &c.Lat, &c.Lng, &c.AreaCode, &c.GridCode, &c.RespGridCode, &c.ReporterName,
		&c.ReporterPhone, &reporterID, &trackingHash, &photos, &c.Verified, &c.DuplicateOf,
		&suggestedDept, &leadDept, &assignments, &pending, &pendingKind,
		&c.ReworkCount, &c.ReopenCount, &c.ReturnCount, &c.ExtensionCount, &c.UrgeCount, &c.Interest,
		&stageDue, &signDue, &due, &c.DueWorking, &dueStart, &suspendedAt, &c.Overdue, &overdueAt,
		&registeredAt, &dispatchedAt, &handledAt, &closedAt, &ratedAt, &c.Satisfaction, &fixed,
		&createdAt, &updatedAt)
	if err != nil {
		return nil, err
	}
	c.ReporterID = reporterID.Int64
	c.TrackingHash = trackingHash.String
	c.SuggestedDeptID = suggestedDept.Int64
	if c.Photos, err = parseList[string](photos); err != nil {
		return nil, fmt.Errorf("case %s: decode photos: %w", c.Code, err)
	}
	if c.Assignments, err = parseList[gridloop.Assignment](assignments); err != nil {
		return nil, fmt.Errorf("case %s: decode assignments: %w", c.Code, err)
	}
	if pending.Valid {
		c.Pending = new(gridloop.Request)
		if err := json.Unmarshal([]byte(pending.String), c.Pending); err != nil {
			return nil, fmt.Errorf("case %s: decode pending request: %w", c.Code, err)
		}
	}
	c.StageDue, c.SignDue, c.Due, c.DueStart = stageDue.Ptr(), signDue.Ptr(), due.Ptr(), dueStart.Ptr()
	c.SuspendedAt, c.OverdueAt = suspendedAt.Ptr(), overdueAt.Ptr()
	c.RegisteredAt, c.DispatchedAt, c.HandledAt = registeredAt.Ptr(), dispatchedAt.Ptr(), handledAt.Ptr()
	c.ClosedAt, c.RatedAt = closedAt.Ptr(), ratedAt.Ptr()
	c.Fixed = boolPtr(fixed)
	c.CreatedAt, c.UpdatedAt = createdAt.Time, updatedAt.Time
	return &c, nil
}

// NextCaseSeq increments and returns the counter of day (e.g. "20250101"): 1 for the
// day's first case. Case codes are built from it.
func (tx *Tx) NextCaseSeq(ctx context.Context, day string) (int64, error) {
	var seq int64
	err := tx.queryRow(ctx, `INSERT INTO case_seq (day, seq) VALUES (?, 1)
		ON CONFLICT (day) DO UPDATE SET seq = case_seq.seq + 1
		RETURNING seq`, day).Scan(&seq)
	if err != nil {
		return 0, wrap(err, "next case sequence", "")
	}
	return seq, nil
}

const msgCaseExists = "案件编号或查询码重复 (duplicate case code or tracking token)"

// InsertCase stores a new case and sets c.ID. c.Version is stored as given (1 for a
// new case). A duplicate code or tracking hash is ECONFLICT.
func (tx *Tx) InsertCase(ctx context.Context, c *gridloop.Case) error {
	cols, err := tx.caseRow(c)
	if err != nil {
		return fmt.Errorf("store: insert case %s: %w", c.Code, err)
	}
	names := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, col := range cols {
		names[i], args[i] = col.name, col.value
	}
	q := `INSERT INTO cases (` + strings.Join(names, ", ") + `) VALUES (` + placeholders(len(cols)) + `) RETURNING id`
	var id int64
	if err := tx.queryRow(ctx, q, args...).Scan(&id); err != nil {
		return wrap(err, "insert case "+c.Code, msgCaseExists)
	}
	c.ID = id
	if err := tx.writeCaseDepts(ctx, c, false); err != nil {
		return err
	}
	return nil
}

// MsgStaleCase is the message of the ECONFLICT error UpdateCase returns for a stale version.
const MsgStaleCase = "案件已被他人修改，请刷新后重试"

// UpdateCase stores c over the stored case with the same id, whose version must be
// c.Version-1 (c.Version is the new version). Otherwise nothing changes and the error
// is ECONFLICT (ENOTFOUND if there is no such case). The code and created_at of a
// case never change.
func (tx *Tx) UpdateCase(ctx context.Context, c *gridloop.Case) error {
	cols, err := tx.caseRow(c)
	if err != nil {
		return fmt.Errorf("store: update case %s: %w", c.Code, err)
	}
	var set []string
	var args []any
	for _, col := range cols {
		if col.name == "code" || col.name == "created_at" {
			continue
		}
		set = append(set, col.name+" = ?")
		args = append(args, col.value)
	}
	args = append(args, c.ID, c.Version-1)
	res, err := tx.exec(ctx, `UPDATE cases SET `+strings.Join(set, ", ")+` WHERE id = ? AND version = ?`, args...)
	if err != nil {
		return wrap(err, "update case "+c.Code, msgCaseExists)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: update case %s: %w", c.Code, err)
	}
	if n == 0 {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM cases WHERE id = ?`, c.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("案件不存在 (case %d not found)", c.ID)
		} else if err != nil {
			return fmt.Errorf("store: update case %s: %w", c.Code, err)
		}
		return gridloop.Errorf(gridloop.ECONFLICT, MsgStaleCase)
	}
	return tx.writeCaseDepts(ctx, c, true)
}

// writeCaseDepts makes case_depts hold the departments of c's assignments, each row with
// the case's status, created_at, category, overdue flag and deadline (the
// department-scoped dashboard counts from them, and a department's work list is read
// from them: migrations/*/00012_dashboard_scope.sql, 00013_worklist_due.sql). Every write of a
// case row calls it in the same transaction (InsertCase, UpdateCase; InsertCases through
// insertCaseDepts), so the copies never differ from the case. On an update (replace) the
// rows of departments no longer on the case go, and the others are rewritten only when a
// copied column changed.
func (tx *Tx) writeCaseDepts(ctx context.Context, c *gridloop.Case, replace bool) error {
	var depts []int64
	for _, a := range c.Assignments {
		if a.DeptID != 0 && !slices.Contains(depts, a.DeptID) {
			depts = append(depts, a.DeptID)
		}
	}
	if replace {
		q := `DELETE FROM case_depts WHERE case_id = ?`
		args := []any{c.ID}
		if len(depts) > 0 {
			q += ` AND dept_id NOT IN (` + placeholders(len(depts)) + `)`
			for _, d := range depts {
				args = append(args, d)
			}
		}
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: case %s departments: %w", c.Code, err)
		}
	}
	if len(depts) == 0 {
		return nil
	}
	values := make([]string, len(depts))
	args := make([]any, 0, 7*len(depts))
	created, due := tx.timeArg(c.CreatedAt), tx.timePtrArg(c.Due)
	for i, d := range depts {
		values[i] = "(?, ?, ?, ?, ?, ?, ?)"
		args = append(args, c.ID, d, string(c.Status), created, c.CategoryCode, c.Overdue, due)
	}
	q := `INSERT INTO case_depts (case_id, dept_id, status, created_at, category_code, overdue, due) VALUES ` + strings.Join(values, ", ")
	if replace {
		// due may be NULL: IS DISTINCT FROM compares it.
		q += ` ON CONFLICT (case_id, dept_id) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
			category_code = excluded.category_code, overdue = excluded.overdue, due = excluded.due
			WHERE case_depts.status <> excluded.status OR case_depts.created_at <> excluded.created_at
				OR case_depts.category_code <> excluded.category_code OR case_depts.overdue <> excluded.overdue
				OR case_depts.due IS DISTINCT FROM excluded.due`
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store: case %s departments: %w", c.Code, err)
	}
	return nil
}

func (tx *Tx) caseBy(ctx context.Context, where string, arg any, what string) (*gridloop.Case, error) {
	c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("案件不存在 (case %s not found)", what)
	} else if err != nil {
		return nil, fmt.Errorf("store: case %s: %w", what, err)
	}
	return c, nil
}

// CaseByCode returns the case with code, or ENOTFOUND.
func (tx *Tx) CaseByCode(ctx context.Context, code string) (*gridloop.Case, error) {
	return tx.caseBy(ctx, `code = ?`, code, code)
}

// CaseByID returns the case with id, or ENOTFOUND.
func (tx *Tx) CaseByID(ctx context.Context, id int64) (*gridloop.Case, error) {
	return tx.caseBy(ctx, `id = ?`, id, fmt.Sprint(id))
}

// CaseByTrackingHash returns the case whose tracking token hashes to hash, or ENOTFOUND.
func (tx *Tx) CaseByTrackingHash(ctx context.Context, hash string) (*gridloop.Case, error) {
	if hash == "" {
		return nil, notFound("案件不存在 (case not found)")
	}
	return tx.caseBy(ctx, `tracking_hash = ?`, hash, "by tracking token")
}

// Orders of ListCases.
const (
	OrderCreatedDesc = "created_desc" // newest first (the default)
	OrderDueAsc      = "due_asc"      // nearest handling deadline first; cases without one last
	OrderUpdatedDesc = "updated_desc" // most recently changed first
)

var caseOrders = map[string]string{
	"":               `created_at DESC, id DESC`,
	OrderCreatedDesc: `created_at DESC, id DESC`,
	OrderDueAsc:      `due IS NULL, due ASC, id ASC`,
	OrderUpdatedDesc: `updated_at DESC, id DESC`,
}

// Paging of ListCases.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// CaseFilter selects cases. Zero fields do not filter; the set fields must all hold.
type CaseFilter struct {
	Statuses     []gridloop.Status
	CategoryCode string
	DeptIDs      []int64 // any assignment held by one of these departments
	Overdue      *bool
	AreaPrefixes []string // area_code starts with any of these; empty = no limit
	ReporterID   int64
	Query        string     // case-insensitive substring of code, description or address
	Since, Until *time.Time // created_at >= Since, created_at < Until
	Limit        int        // default 50, at most 500
	Offset       int
	Order        string // OrderCreatedDesc (default), OrderDueAsc or OrderUpdatedDesc

	// probeDepts writes the departments' condition as a probe of each case's
	// assignments rather than a list of their cases (ListCases).
	probeDepts bool
}

// The open statuses, for SQL (the complement of Status.Final).
var finalStatuses = []any{
	string(gridloop.StatusClosed), string(gridloop.StatusRejected),
	string(gridloop.StatusMerged), string(gridloop.StatusWithdrawn),
}

// escapeLike escapes s for a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// escapeGlob escapes s for an SQLite GLOB pattern.
func escapeGlob(s string) string {
	r := strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`)
	return r.Replace(s)
}

// openOnly reports whether statuses is a non-empty list of open (non-final) states.
func openOnly(statuses []gridloop.Status) bool {
	for _, s := range statuses {
		if s.Final() {
			return false
		}
	}
	return len(statuses) > 0
}

// where returns the WHERE clause (with a leading space, or "") and its arguments.
// Statuses and Overdue are left out when skipStatus, skipOverdue.
func (tx *Tx) where(f CaseFilter, skipStatus, skipOverdue bool, extra ...string) (string, []any) {
	conds := slices.Clone(extra)
	var args []any
	if len(f.Statuses) > 0 && !skipStatus {
		conds = append(conds, `status IN (`+placeholders(len(f.Statuses))+`)`)
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.CategoryCode != "" {
		conds = append(conds, `category_code = ?`)
		args = append(args, f.CategoryCode)
	}
	if len(f.DeptIDs) > 0 {
		if f.probeDepts {
			conds = append(conds, `EXISTS (SELECT 1 FROM case_depts WHERE case_depts.case_id = cases.id AND case_depts.dept_id IN (`+
				placeholders(len(f.DeptIDs))+`))`)
			for _, d := range f.DeptIDs {
				args = append(args, d)
			}
		} else if !skipStatus && openOnly(f.Statuses) {
			// A work list (open states only): the departments' cases in those states are
			// a range of the partial index case_depts_open, whose predicate the query
			// repeats word for word (issue #8: a handler's list probed every open case
			// of the states, 12 ms of CPU at 1M cases; before that, reading every
			// case_depts row of the departments, closed cases and all, 0.8 s).
			conds = append(conds, `id IN (SELECT case_id FROM case_depts WHERE dept_id IN (`+placeholders(len(f.DeptIDs))+
				`) AND status IN (`+placeholders(len(f.Statuses))+`) AND `+openDeptRows+`)`)
			for _, d := range f.DeptIDs {
				args = append(args, d)
			}
			for _, st := range f.Statuses {
				args = append(args, string(st))
			}
		} else {
			conds = append(conds, `id IN (SELECT case_id FROM case_depts WHERE dept_id IN (`+placeholders(len(f.DeptIDs))+`))`)
			for _, d := range f.DeptIDs {
				args = append(args, d)
			}
		}
	}
	if f.Overdue != nil && !skipOverdue {
		conds = append(conds, `overdue = ?`)
		args = append(args, *f.Overdue)
	}
	if len(f.AreaPrefixes) > 0 {
		// Both forms can use the index on area_code: SQLite's LIKE ignores case, so
		// only GLOB can; PostgreSQL's index has text_pattern_ops for LIKE.
		var or []string
		for _, p := range f.AreaPrefixes {
			if tx.dialect == SQLite {
				or = append(or, `area_code GLOB ?`)
				args = append(args, escapeGlob(p)+"*")
			} else {
				or = append(or, `area_code LIKE ? ESCAPE '\'`)
				args = append(args, escapeLike(p)+"%")
			}
		}
		conds = append(conds, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if f.ReporterID != 0 {
		conds = append(conds, `reporter_id = ?`)
		args = append(args, f.ReporterID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		// SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE ignores all case.
		like := "LIKE"
		if tx.dialect == Postgres {
			like = "ILIKE"
		}
		conds = append(conds, `(code `+like+` ? ESCAPE '\' OR description `+like+` ? ESCAPE '\' OR address `+like+` ? ESCAPE '\')`)
		p := "%" + escapeLike(q) + "%"
		args = append(args, p, p, p)
	}
	if f.Since != nil {
		conds = append(conds, `created_at >= ?`)
		args = append(args, tx.timeArg(*f.Since))
	}
	if f.Until != nil {
		conds = append(conds, `created_at < ?`)
		args = append(args, tx.timeArg(*f.Until))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// CountCap is the most cases ListCases counts: the total of a longer list is
// CountCap+1, "more than CountCap". Counting a queue of tens of thousands of cases on
// every page cost more than reading the page (docs/benchmarks.md).
const CountCap = 2000

// countUpTo counts the rows of `SELECT 1 FROM from` (from with its WHERE, args its
// arguments) up to most: a total that stops early on a table that only grows.
func (tx *Tx) countUpTo(ctx context.Context, from string, args []any, most int) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+from+` LIMIT ?) AS capped`,
		append(slices.Clone(args), most)...).Scan(&n)
	return n, err
}

// ListCases returns one page of the cases f selects, and how many it selects in all,
// up to CountCap+1 (see CountCap).
func (tx *Tx) ListCases(ctx context.Context, f CaseFilter) ([]gridloop.Case, int, error) {
	order, ok := caseOrders[f.Order]
	if !ok {
		return nil, 0, gridloop.FieldError("order", "未知的排序方式 %q (unknown order)", f.Order)
	}
	limit, offset := f.Limit, f.Offset
	if limit <= 0 {
		limit = DefaultLimit
	} else if limit > MaxLimit {
		limit = MaxLimit
	}
	offset = max(offset, 0)

	where, args := tx.where(f, false, false)
	count, countArgs := `SELECT count(*) FROM (SELECT 1 FROM cases`+where+` LIMIT ?) AS capped`, args
	page, pageArgs := `SELECT `+caseColumns+` FROM cases`+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args
	if workList(f) {
		// The other orders sort on columns case_depts does not carry: their pages read
		// the cases.
		wlCount, wlPage, wlArgs := tx.workListQueries(f)
		count, countArgs = wlCount, wlArgs
		if f.Order == OrderDueAsc {
			page, pageArgs = wlPage, wlArgs
		}
	}
	var total int
	if err := tx.queryRow(ctx, count, slices.Concat(countArgs, []any{CountCap + 1})...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count cases: %w", err)
	}
	if total == 0 || (offset >= total && total <= CountCap) {
		return nil, total, nil
	}
	if total > CountCap && len(f.DeptIDs) > 0 && !openOnly(f.Statuses) && f.Order != OrderDueAsc {
		// Many cases of departments, newest (or latest changed) first: read in that
		// order from the cases' index, each case's assignments probed, until the page is
		// full. The list of the departments' cases, sorted whole, cost 370 ms for a
		// bureau's 91,744 at 1M cases; the probes, about a millisecond. Few cases (the
		// count under the cap) are read from that list, as a scan would pass over the
		// whole table to find them; and a work list, as case_depts_open lists them.
		pf := f
		pf.probeDepts = true
		var probe string
		probe, pageArgs = tx.where(pf, false, false)
		page = `SELECT ` + caseColumns + ` FROM cases` + probe + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	}
	cases, err := tx.cases(ctx, page, slices.Concat(pageArgs, []any{limit, offset})...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list cases: %w", err)
	}
	return cases, total, nil
}

// workList reports whether f is a department's work list: some open states of its
// departments and nothing else (the order and paging aside), which the department's
// case_depts rows answer alone, as they carry each case's status and deadline.
func workList(f CaseFilter) bool {
	return deptOnly(f) && openOnly(f.Statuses) && f.Overdue == nil && f.Since == nil && f.Until == nil
}

// workListQueries returns, for a filter workList takes, the capped count of its cases
// (the cap is the last argument) and a page of them in due order (limit and offset are
// the last two), both reading a range of case_depts_open, covering: the general
// queries looked up every open case of the states to check its status (the count) or
// read them all, descriptions and all, to sort them (the page: 4 ms for 637 cases at 1M
// cases, issue #8). A case held by several of the departments has a row for each: it is
// counted and listed once. The page's order is caseOrders[OrderDueAsc] on the copies,
// and only the page's cases are read.
func (tx *Tx) workListQueries(f CaseFilter) (count, page string, args []any) {
	rows := `FROM case_depts WHERE dept_id IN (` + placeholders(len(f.DeptIDs)) + `) AND status IN (` +
		placeholders(len(f.Statuses)) + `) AND ` + openDeptRows
	args = make([]any, 0, len(f.DeptIDs)+len(f.Statuses))
	for _, d := range f.DeptIDs {
		args = append(args, d)
	}
	for _, s := range f.Statuses {
		args = append(args, string(s))
	}
	count = `SELECT count(*) FROM (SELECT ` + distinct(f.DeptIDs) + `case_id ` + rows + ` LIMIT ?) AS capped`
	// DISTINCT on the very columns of the ORDER BY: SQLite sorts the rows once, in the
	// b-tree that makes them distinct (due is the case's, the same in each of its rows).
	page = `SELECT ` + caseColumns + ` FROM cases JOIN (
			SELECT ` + distinct(f.DeptIDs) + `due IS NULL AS page_no_due, due AS page_due, case_id AS page_id ` + rows + `
			ORDER BY page_no_due, page_due, page_id LIMIT ? OFFSET ?
		) AS page ON page.page_id = cases.id
		ORDER BY page_no_due, page_due, page_id`
	return count, page, args
}

func (tx *Tx) cases(ctx context.Context, q string, args ...any) ([]gridloop.Case, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []gridloop.Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// CountByStatus counts the cases f selects by status, ignoring f.Statuses. Statuses
// without cases are absent from the map.
func (tx *Tx) CountByStatus(ctx context.Context, f CaseFilter) (map[gridloop.Status]int, error) {
	where, args := tx.where(f, true, false)
	rows, err := tx.query(ctx, `SELECT status, count(*) FROM cases`+where+` GROUP BY status`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: count cases by status: %w", err)
	}
	defer rows.Close()
	out := map[gridloop.Status]int{}
	for rows.Next() {
		var s gridloop.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count cases by status: %w", err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count cases by status: %w", err)
	}
	return out, nil
}

// CountOverdue counts the open cases f selects that are flagged overdue; f.Statuses
// and f.Overdue are ignored.
func (tx *Tx) CountOverdue(ctx context.Context, f CaseFilter) (int, error) {
	where, args := tx.where(f, true, true, `overdue`, `status NOT IN (`+placeholders(len(finalStatuses))+`)`)
	args = append(slices.Clone(finalStatuses), args...)
	var n int
	if err := tx.queryRow(ctx, `SELECT count(*) FROM cases`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count overdue cases: %w", err)
	}
	return n, nil
}

// CountPendingRequests counts the cases f selects that carry a request awaiting approval.
func (tx *Tx) CountPendingRequests(ctx context.Context, f CaseFilter) (int, error) {
	where, args := tx.where(f, false, false, `pending_kind IS NOT NULL`)
	var n int
	if err := tx.queryRow(ctx, `SELECT count(*) FROM cases`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count pending requests: %w", err)
	}
	return n, nil
}

// DueForOverdue returns up to limit cases (default 100) being handled whose deadline
// has passed before now and that are not flagged overdue yet, earliest deadline first.
// On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED, so that nodes running the
// deadline clock together each take different cases; call it inside Update.
func (tx *Tx) DueForOverdue(ctx context.Context, now time.Time, limit int) ([]gridloop.Case, error) {
	if limit <= 0 {
		limit = 100
	}
	// The predicate repeats the partial index cases_due_open.
	q := `SELECT ` + caseColumns + ` FROM cases
		WHERE NOT overdue AND status IN ('dispatched', 'handling') AND due < ?
		ORDER BY due, id LIMIT ?`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	cases, err := tx.cases(ctx, q, tx.timeArg(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: cases due for overdue: %w", err)
	}
	return cases, nil
}
