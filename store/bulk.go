package store

// Bulk writes: many rows per statement, for intake's group commit (service/intake.go)
// and the scale-data generator (gridloop gen). Each method writes what its single-row
// counterpart writes, with the same conventions, in as few statements as the dialect's
// limit on bound parameters allows.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridloop/gridloop"
)

// maxParams is how many parameters one bulk statement binds at most: SQLite's limit is
// 32,766 (SQLITE_MAX_VARIABLE_NUMBER since 3.32), PostgreSQL's 65,535. Smaller statements
// also keep the per-statement parse cost low.
const maxParams = 16000

// chunks splits n rows of width parameters each into [from, to) ranges that fit maxParams.
func chunks(n, width int) [][2]int {
	per := max(1, maxParams/width)
	var out [][2]int
	for i := 0; i < n; i += per {
		out = append(out, [2]int{i, min(n, i+per)})
	}
	return out
}

// valuesList returns "(?, ?), (?, ?)" for rows rows of width placeholders.
func valuesList(rows, width int) string {
	row := "(" + placeholders(width) + ")"
	var b strings.Builder
	b.Grow(rows * (len(row) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// eachRow runs the one-row statement q for rows 0…n-1, prepared once in the transaction,
// and hands each row's rowid to setID (if not nil). For SQLite, where statements run in
// process and parsing a statement of thousands of parameters costs more than running a
// prepared one many times.
func (tx *Tx) eachRow(ctx context.Context, q string, n int, args func(i int) ([]any, error), setID func(i int, id int64)) error {
	if n == 0 {
		return nil
	}
	ctx = tx.stmtCtx(ctx)
	stmt := tx.stmt(ctx, q)
	if stmt == nil {
		var err error
		if stmt, err = tx.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer stmt.Close()
	}
	for i := range n {
		a, err := args(i)
		if err != nil {
			return err
		}
		res, err := stmt.ExecContext(ctx, a...)
		if err != nil {
			return err
		}
		if setID != nil {
			id, err := res.LastInsertId()
			if err != nil {
				return err
			}
			setID(i, id)
		}
	}
	return nil
}

// ReserveCaseSeqs increments the counter of day by n and returns the first of the n
// numbers reserved (the day's first case gets 1). NextCaseSeq is ReserveCaseSeqs(day, 1).
func (tx *Tx) ReserveCaseSeqs(ctx context.Context, day string, n int) (int64, error) {
	if n <= 0 {
		return 0, fmt.Errorf("store: reserve %d case numbers", n)
	}
	var last int64
	err := tx.queryRow(ctx, `INSERT INTO case_seq (day, seq) VALUES (?, ?)
		ON CONFLICT (day) DO UPDATE SET seq = case_seq.seq + excluded.seq
		RETURNING seq`, day, n).Scan(&last)
	if err != nil {
		return 0, wrap(err, "reserve case numbers", "")
	}
	return last - int64(n) + 1, nil
}

// SetCaseSeq raises the counter of day to at least seq (for loaders that choose the
// codes themselves).
func (tx *Tx) SetCaseSeq(ctx context.Context, day string, seq int64) error {
	var q string
	if tx.dialect == Postgres {
		q = `INSERT INTO case_seq (day, seq) VALUES (?, ?)
			ON CONFLICT (day) DO UPDATE SET seq = GREATEST(case_seq.seq, excluded.seq)`
	} else {
		q = `INSERT INTO case_seq (day, seq) VALUES (?, ?)
			ON CONFLICT (day) DO UPDATE SET seq = MAX(case_seq.seq, excluded.seq)`
	}
	_, err := tx.exec(ctx, q, day, seq)
	return wrap(err, "set case sequence", "")
}

// InsertCases stores new cases, as InsertCase does one, and sets their IDs. Their codes
// must be distinct. A duplicate code or tracking hash is ECONFLICT and nothing of the
// statement is written (the caller decides whether the transaction goes on).
func (tx *Tx) InsertCases(ctx context.Context, cases []*gridloop.Case) error {
	if len(cases) == 0 {
		return nil
	}
	first, err := tx.caseRow(cases[0])
	if err != nil {
		return fmt.Errorf("store: insert case %s: %w", cases[0].Code, err)
	}
	width := len(first)
	names := make([]string, width)
	for i, col := range first {
		names[i] = col.name
	}
	byCode := make(map[string]*gridloop.Case, len(cases))
	for _, c := range cases {
		byCode[c.Code] = c
	}
	if len(byCode) != len(cases) {
		return gridloop.Errorf(gridloop.ECONFLICT, "%s", msgCaseExists)
	}
	head := `INSERT INTO cases (` + strings.Join(names, ", ") + `) VALUES `
	if tx.dialect == SQLite {
		// In process, one prepared row statement run per case beats parsing a statement
		// of thousands of parameters; the id is the rowid.
		err := tx.eachRow(ctx, head+`(`+placeholders(width)+`)`, len(cases), func(i int) ([]any, error) {
			cols, err := tx.caseRow(cases[i])
			if err != nil {
				return nil, fmt.Errorf("store: insert case %s: %w", cases[i].Code, err)
			}
			args := make([]any, len(cols))
			for j, col := range cols {
				args[j] = col.value
			}
			return args, nil
		}, func(i int, id int64) { cases[i].ID = id })
		if err != nil {
			return wrap(err, "insert cases", msgCaseExists)
		}
		return tx.insertCaseDepts(ctx, cases)
	}
	for _, ch := range chunks(len(cases), width) {
		part := cases[ch[0]:ch[1]]
		args := make([]any, 0, len(part)*width)
		for _, c := range part {
			cols, err := tx.caseRow(c)
			if err != nil {
				return fmt.Errorf("store: insert case %s: %w", c.Code, err)
			}
			for _, col := range cols {
				args = append(args, col.value)
			}
		}
		// The order of RETURNING rows is not promised: match them by code.
		rows, err := tx.query(ctx, head+valuesList(len(part), width)+` RETURNING id, code`, args...)
		if err != nil {
			return wrap(err, "insert cases", msgCaseExists)
		}
		n := 0
		for rows.Next() {
			var id int64
			var code string
			if err := rows.Scan(&id, &code); err != nil {
				rows.Close()
				return fmt.Errorf("store: insert cases: %w", err)
			}
			if c := byCode[code]; c != nil {
				c.ID = id
				n++
			}
		}
		if err := rows.Close(); err != nil {
			return wrap(err, "insert cases", msgCaseExists)
		}
		if err := rows.Err(); err != nil {
			return wrap(err, "insert cases", msgCaseExists)
		}
		if n != len(part) {
			return fmt.Errorf("store: insert cases: %d ids returned for %d cases", n, len(part))
		}
	}
	return tx.insertCaseDepts(ctx, cases)
}

// insertCaseDepts writes the case_depts rows of new cases, with the copies of the case's
// columns that writeCaseDepts keeps.
func (tx *Tx) insertCaseDepts(ctx context.Context, cases []*gridloop.Case) error {
	const width = 7
	var args []any
	for _, c := range cases {
		var depts []int64
		for _, a := range c.Assignments {
			if a.DeptID != 0 && !slices.Contains(depts, a.DeptID) {
				depts = append(depts, a.DeptID)
				args = append(args, c.ID, a.DeptID, string(c.Status), tx.timeArg(c.CreatedAt), c.CategoryCode, c.Overdue,
					tx.timePtrArg(c.Due))
			}
		}
	}
	for _, ch := range chunks(len(args)/width, width) {
		part := args[width*ch[0] : width*ch[1]]
		if _, err := tx.exec(ctx, `INSERT INTO case_depts (case_id, dept_id, status, created_at, category_code, overdue, due) VALUES `+
			valuesList(len(part)/width, width), part...); err != nil {
			return fmt.Errorf("store: case departments: %w", err)
		}
	}
	return nil
}

// InsertEvents appends events whose Seq the caller has set (1, 2, 3… within each case,
// following what the case already has: 1 for a new case's first event) and sets their
// IDs. A (case, seq) that is taken is ECONFLICT. AppendEvent is the single-event form
// that finds the next Seq itself.
func (tx *Tx) InsertEvents(ctx context.Context, events []*gridloop.Event) error {
	if len(events) == 0 {
		return nil
	}
	type key struct {
		caseID int64
		seq    int
	}
	byKey := make(map[key]*gridloop.Event, len(events))
	for _, e := range events {
		if e.Seq <= 0 {
			return fmt.Errorf("store: insert events: case %d: event without seq", e.CaseID)
		}
		byKey[key{e.CaseID, e.Seq}] = e
	}
	if len(byKey) != len(events) {
		return gridloop.Errorf(gridloop.ECONFLICT, "重复的事件序号 (duplicate event seq)")
	}
	const width = 13
	head := `INSERT INTO events
		(case_id, seq, action, actor_id, actor, role, from_status, to_status, dept_id, note, public, data, at)
		VALUES `
	eventArgs := func(e *gridloop.Event) []any {
		var data any
		if len(e.Data) > 0 {
			data = string(e.Data)
		}
		return []any{e.CaseID, e.Seq, string(e.Action), nullID(e.ActorID), e.Actor, string(e.Role),
			string(e.From), string(e.To), nullID(e.DeptID), e.Note, e.Public, data, tx.timeArg(e.At)}
	}
	if tx.dialect == SQLite {
		err := tx.eachRow(ctx, head+`(`+placeholders(width)+`)`, len(events),
			func(i int) ([]any, error) { return eventArgs(events[i]), nil },
			func(i int, id int64) { events[i].ID = id })
		return wrap(err, "insert events", "案件正在被他人处理，请刷新后重试 (another action on the case came first)")
	}
	for _, ch := range chunks(len(events), width) {
		part := events[ch[0]:ch[1]]
		args := make([]any, 0, len(part)*width)
		for _, e := range part {
			args = append(args, eventArgs(e)...)
		}
		rows, err := tx.query(ctx, head+valuesList(len(part), width)+` RETURNING id, case_id, seq`, args...)
		if err != nil {
			return wrap(err, "insert events", "案件正在被他人处理，请刷新后重试 (another action on the case came first)")
		}
		n := 0
		for rows.Next() {
			var k key
			var id int64
			if err := rows.Scan(&id, &k.caseID, &k.seq); err != nil {
				rows.Close()
				return fmt.Errorf("store: insert events: %w", err)
			}
			if e := byKey[k]; e != nil {
				e.ID = id
				n++
			}
		}
		if err := rows.Close(); err != nil {
			return wrap(err, "insert events", "")
		}
		if err := rows.Err(); err != nil {
			return wrap(err, "insert events", "案件正在被他人处理，请刷新后重试 (another action on the case came first)")
		}
		if n != len(part) {
			return fmt.Errorf("store: insert events: %d ids returned for %d events", n, len(part))
		}
	}
	return nil
}

// IdemKey names one saved response: the caller's scope and its Idempotency-Key.
type IdemKey struct{ Scope, Key string }

// IdempotentMany returns the bodies of the responses saved for the keys that have one:
// on PostgreSQL in one query per chunk, on SQLite one primary-key lookup per key.
func (tx *Tx) IdempotentMany(ctx context.Context, keys []IdemKey) (map[IdemKey][]byte, error) {
	out := map[IdemKey][]byte{}
	if tx.dialect == SQLite {
		// Not one query with an OR of (scope = ? AND key = ?) pairs: with statistics
		// taken while the table was small (the demo's ANALYZE, PRAGMA optimize at a
		// close), SQLite's planner answers that with a scan of the whole table, and every
		// batch of reports then read every saved answer (intake fell from 3,000 to 900
		// reports/s within 20,000 reports). A prepared lookup runs in process.
		for _, k := range keys {
			_, body, ok, err := tx.Idempotent(ctx, k.Scope, k.Key)
			if err != nil {
				return nil, err
			}
			if ok {
				out[k] = body
			}
		}
		return out, nil
	}
	for _, ch := range chunks(len(keys), 2) {
		part := keys[ch[0]:ch[1]]
		conds := make([]string, len(part))
		args := make([]any, 0, 2*len(part))
		for i, k := range part {
			conds[i] = `(scope = ? AND key = ?)`
			args = append(args, k.Scope, k.Key)
		}
		rows, err := tx.query(ctx, `SELECT scope, key, body FROM idempotency WHERE `+strings.Join(conds, ` OR `), args...)
		if err != nil {
			return nil, fmt.Errorf("store: idempotency keys: %w", err)
		}
		for rows.Next() {
			var k IdemKey
			var body []byte
			if err := rows.Scan(&k.Scope, &k.Key, &body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: idempotency keys: %w", err)
			}
			if body == nil {
				body = []byte{}
			}
			out[k] = body
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("store: idempotency keys: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: idempotency keys: %w", err)
		}
	}
	return out, nil
}

// IdemResponse is one response to save with SaveIdempotentMany.
type IdemResponse struct {
	IdemKey
	Status int
	Body   []byte
}

// SaveIdempotentMany saves responses, as SaveIdempotent saves one. A key already saved
// is ECONFLICT.
func (tx *Tx) SaveIdempotentMany(ctx context.Context, rs []IdemResponse) error {
	if len(rs) == 0 {
		return nil
	}
	now := tx.timeArg(time.Now())
	if tx.dialect == SQLite {
		err := tx.eachRow(ctx, `INSERT INTO idempotency (scope, key, status, body, created_at) VALUES (?, ?, ?, ?, ?)`, len(rs),
			func(i int) ([]any, error) {
				body := rs[i].Body
				if body == nil {
					body = []byte{}
				}
				return []any{rs[i].Scope, rs[i].Key, rs[i].Status, body, now}, nil
			}, nil)
		return wrap(err, "save idempotency keys", "重复的请求 (Idempotency-Key already used)")
	}
	for _, ch := range chunks(len(rs), 5) {
		part := rs[ch[0]:ch[1]]
		args := make([]any, 0, 5*len(part))
		for _, r := range part {
			body := r.Body
			if body == nil {
				body = []byte{}
			}
			args = append(args, r.Scope, r.Key, r.Status, body, now)
		}
		_, err := tx.exec(ctx, `INSERT INTO idempotency (scope, key, status, body, created_at) VALUES `+valuesList(len(part), 5), args...)
		if err != nil {
			return wrap(err, "save idempotency keys", "重复的请求 (Idempotency-Key already used)")
		}
	}
	return nil
}

// ActiveCategories says, for each of codes that names a category, whether it is active.
// Codes that name none are absent.
func (tx *Tx) ActiveCategories(ctx context.Context, codes []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(codes) == 0 {
		return out, nil
	}
	args := make([]any, len(codes))
	for i, c := range codes {
		args[i] = c
	}
	rows, err := tx.query(ctx, `SELECT code, active FROM categories WHERE code IN (`+placeholders(len(codes))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var active bool
		if err := rows.Scan(&code, &active); err != nil {
			return nil, fmt.Errorf("store: categories: %w", err)
		}
		out[code] = active
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	return out, nil
}

// CaseSeqs returns every day's case counter.
func (tx *Tx) CaseSeqs(ctx context.Context) (map[string]int64, error) {
	rows, err := tx.query(ctx, `SELECT day, seq FROM case_seq`)
	if err != nil {
		return nil, fmt.Errorf("store: case sequences: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var day string
		var seq int64
		if err := rows.Scan(&day, &seq); err != nil {
			return nil, fmt.Errorf("store: case sequences: %w", err)
		}
		out[day] = seq
	}
	return out, rows.Err()
}

// Analyze updates the query planner's statistics, after a bulk load.
func (db *DB) Analyze(ctx context.Context) error {
	if _, err := db.writer.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("store: analyze: %w", err)
	}
	return nil
}

// BulkLoad readies the store for a long bulk load: on SQLite it gives the writer
// connection a page cache of cacheMB megabytes (the default is 2 MB, and a load's index
// inserts land all over tables of millions of rows). It lasts until the store is closed.
func (db *DB) BulkLoad(ctx context.Context, cacheMB int) error {
	if db.dialect != SQLite || cacheMB <= 0 {
		return nil
	}
	if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, cacheMB*1024)); err != nil {
		return fmt.Errorf("store: bulk load: %w", err)
	}
	return nil
}
