package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
)

// Rollups: the evaluation's counters per bucket (evaluation.Key), kept by adding each
// event's increments (evaluation.Deltas) in the event's own transaction
// (migrations/*/00005_rollups.sql). Tables: "rollups", the live one, and
// "rollups_staging", where a rebuild writes before it swaps.

// RollupRow is one bucket and its counters.
type RollupRow struct {
	Key      evaluation.Key      `json:"key"`
	Counters evaluation.Counters `json:"counters"`
}

const (
	rollupsLive    = "rollups"
	rollupsStaging = "rollups_staging"
)

// rollupKeyCols are the key columns, in primary-key order.
const rollupKeyCols = "dim, period, start, id"

// AddRollups adds deltas to the live rollups, creating buckets as needed: one additive
// upsert ("x = rollups.x + excluded.x") per at most maxParams parameters (bulk.go) on
// PostgreSQL, a prepared one-row upsert per bucket on SQLite. Only the counters that are non-zero somewhere
// in deltas are written. Rows are written in key order, so that concurrent
// transactions lock shared buckets (the city's day, week and month) in the same order
// and never deadlock.
func (tx *Tx) AddRollups(ctx context.Context, deltas map[evaluation.Key]evaluation.Counters) error {
	return tx.addRollups(ctx, rollupsLive, deltas)
}

// AddRollupsStaging is AddRollups into the rebuild's staging table.
func (tx *Tx) AddRollupsStaging(ctx context.Context, deltas map[evaluation.Key]evaluation.Counters) error {
	return tx.addRollups(ctx, rollupsStaging, deltas)
}

func (tx *Tx) addRollups(ctx context.Context, table string, deltas map[evaluation.Key]evaluation.Counters) error {
	if len(deltas) == 0 {
		return nil
	}
	keys := make([]evaluation.Key, 0, len(deltas))
	var used [64]bool
	for k, c := range deltas {
		if c.IsZero() {
			continue
		}
		keys = append(keys, k)
		for i, p := range c.Fields() {
			if *p != 0 {
				used[i] = true
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, compareKeys)
	var cols []int
	for i := range evaluation.CounterFields {
		if used[i] {
			cols = append(cols, i)
		}
	}
	names := make([]string, len(cols))
	set := make([]string, len(cols))
	for j, i := range cols {
		f := evaluation.CounterFields[i]
		names[j] = f
		set[j] = f + " = " + table + "." + f + " + excluded." + f
	}
	perRow := 4 + len(cols)
	head := `INSERT INTO ` + table + ` (` + rollupKeyCols + `, ` + strings.Join(names, ", ") + `) VALUES `
	tail := ` ON CONFLICT (` + rollupKeyCols + `) DO UPDATE SET ` + strings.Join(set, ", ")
	rowArgs := func(args []any, k evaluation.Key) []any {
		c := deltas[k]
		fields := c.Fields()
		args = append(args, string(k.Dim), string(k.Period), k.Start, k.ID)
		for _, i := range cols {
			args = append(args, *fields[i])
		}
		return args
	}
	if tx.dialect == SQLite {
		// SQLite runs in process: one prepared row statement, kept across transactions
		// (stmtcache.go), run per row beats parsing a statement of many rows each time.
		args := make([]any, 0, perRow)
		if err := tx.eachRow(ctx, head+"("+placeholders(perRow)+")"+tail, len(keys), func(i int) ([]any, error) {
			return rowArgs(args[:0], keys[i]), nil
		}, nil); err != nil {
			return fmt.Errorf("store: add rollups to %s: %w", table, err)
		}
		return nil
	}
	for _, c := range chunks(len(keys), perRow) {
		part := keys[c[0]:c[1]]
		args := make([]any, 0, len(part)*perRow)
		for _, k := range part {
			args = rowArgs(args, k)
		}
		q := head + valuesList(len(part), perRow) + tail
		if _, err := tx.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("store: add rollups to %s: %w", table, err)
		}
	}
	return nil
}

func compareKeys(a, b evaluation.Key) int {
	return cmp.Or(cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Period, b.Period),
		cmp.Compare(a.Start, b.Start), cmp.Compare(a.ID, b.ID))
}

// Groupings of RollupQuery.
const (
	GroupNone  = ""      // rows as stored, one per bucket
	GroupByID  = "id"    // summed over the period starts: one row per member (Start = From)
	GroupStart = "start" // summed over the members: one row per period start (ID = "")
)

// RollupQuery selects buckets of one dimension and period.
type RollupQuery struct {
	Dim    evaluation.Dimension
	Period evaluation.Period
	// From and To bound the period starts (2006-01-02), inclusive; To "" means From.
	From, To string
	// IDs keeps only these members; IDPrefixes only members whose id starts with one
	// of them; IDLen only ids of that length (area levels: 6, 9, 12). Zero: no limit.
	IDs        []string
	IDPrefixes []string
	IDLen      int
	// Fields are the counters to read (CounterFields names); none: all of them. The
	// others come back zero.
	Fields []string
	// NonZero keeps only buckets in which one of these counters is above zero.
	NonZero []string
	// GroupBy sums rows: GroupNone, GroupByID or GroupStart.
	GroupBy string
	// Staging reads the rebuild's staging table instead of the live one.
	Staging bool
}

// Rollups returns the buckets q selects, ordered by start and id.
func (tx *Tx) Rollups(ctx context.Context, q RollupQuery) ([]RollupRow, error) {
	if q.Dim == "" || q.Period == "" || q.From == "" {
		return nil, gridloop.Errorf(gridloop.EINVALID, "rollups: dimension, period and start are required")
	}
	fields := q.Fields
	if len(fields) == 0 {
		fields = evaluation.CounterFields
	}
	idx := make([]int, len(fields))
	for i, f := range fields {
		j, ok := evaluation.CounterIndex(f)
		if !ok {
			return nil, gridloop.Errorf(gridloop.EINVALID, "rollups: unknown counter %q", f)
		}
		idx[i] = j
	}
	table, conds, args, err := tx.rollupWhere(q)
	if err != nil {
		return nil, err
	}
	sel := make([]string, len(fields))
	for i, f := range fields {
		sel[i] = f
		if q.GroupBy != GroupNone {
			sel[i] = `CAST(SUM(` + f + `) AS BIGINT)`
		}
		sel[i] += ` AS v` + strconv.Itoa(i)
	}
	var keySel, tail string
	switch q.GroupBy {
	case GroupNone:
		keySel, tail = `start, id`, ` ORDER BY start, id`
	case GroupByID:
		keySel, tail = `'' AS start, id`, ` GROUP BY id ORDER BY id`
	case GroupStart:
		keySel, tail = `start, '' AS id`, ` GROUP BY start ORDER BY start`
	default:
		return nil, gridloop.Errorf(gridloop.EINVALID, "rollups: unknown grouping %q", q.GroupBy)
	}
	inner := `SELECT ` + keySel + `, ` + strings.Join(sel, ", ") + ` FROM ` + table +
		` WHERE ` + strings.Join(conds, ` AND `) + tail
	var out []RollupRow
	// Packed into one string (ranking.go); inner for the fallback.
	out, err = tx.rollupsRead(ctx, q, table, conds, args, fields, idx, inner)
	if err != nil {
		return nil, fmt.Errorf("store: rollups: %w", err)
	}
	return out, nil
}

// SumByID sums one counter of the buckets q selects per member (q.Fields and q.GroupBy
// are ignored), for reads that need one figure of thousands of members (the heat map).
func (tx *Tx) SumByID(ctx context.Context, q RollupQuery, field string) (map[string]int64, error) {
	if _, ok := evaluation.CounterIndex(field); !ok {
		return nil, gridloop.Errorf(gridloop.EINVALID, "rollups: unknown counter %q", field)
	}
	if q.Dim == "" || q.Period == "" || q.From == "" {
		return nil, gridloop.Errorf(gridloop.EINVALID, "rollups: dimension, period and start are required")
	}
	table, conds, args, err := tx.rollupWhere(q)
	if err != nil {
		return nil, err
	}
	// Bucket by bucket as one string, summed here: no sort or hash in the database, and
	// one value handed over instead of thousands of rows (ranking.go).
	sums, ok, err := tx.sumByID(ctx, field, table+` WHERE `+strings.Join(conds, ` AND `), args)
	if err != nil {
		return nil, fmt.Errorf("store: sum rollups: %w", err)
	}
	if ok {
		return sums, nil
	}
	// A value SQLite's char() cannot carry: as decimal text.
	var packed sql.NullString
	err = tx.queryRow(ctx, tx.packSQL([]string{`id`, field}, table+` WHERE `+strings.Join(conds, ` AND `)), args...).Scan(&packed)
	if err != nil {
		return nil, fmt.Errorf("store: sum rollups: %w", err)
	}
	out := map[string]int64{}
	if !packed.Valid || packed.String == "" {
		return out, nil
	}
	for rec := range strings.SplitSeq(packed.String, "\x1e") {
		id, v, ok := strings.Cut(rec, "\x1f")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: sum rollups: bad record %q", rec)
		}
		out[id] += n
	}
	return out, nil
}

// rollupWhere is the table and the conditions of q.
func (tx *Tx) rollupWhere(q RollupQuery) (string, []string, []any, error) {
	to := q.To
	if to == "" {
		to = q.From
	}
	table := rollupsLive
	if q.Staging {
		table = rollupsStaging
	}
	// One period start is an equality, so that ids after it seek in the primary key.
	conds := []string{`dim = ?`, `period = ?`, `start = ?`}
	args := []any{string(q.Dim), string(q.Period), q.From}
	if to != q.From {
		conds = []string{`dim = ?`, `period = ?`, `start >= ?`, `start <= ?`}
		args = append(args, to)
	}
	if len(q.IDs) > 0 {
		conds = append(conds, `id IN (`+placeholders(len(q.IDs))+`)`)
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	if len(q.IDPrefixes) > 0 {
		var or []string
		for _, p := range q.IDPrefixes {
			if tx.dialect == SQLite {
				or = append(or, `id GLOB ?`)
				args = append(args, escapeGlob(p)+"*")
			} else {
				or = append(or, `id LIKE ? ESCAPE '\'`)
				args = append(args, escapeLike(p)+"%")
			}
		}
		conds = append(conds, `(`+strings.Join(or, ` OR `)+`)`)
	}
	if q.IDLen > 0 {
		conds = append(conds, `length(id) = ?`)
		args = append(args, q.IDLen)
	}
	if len(q.NonZero) > 0 {
		// "reported > 0" alone is the predicate of the partial index rollups_reported
		// (SQLite uses a partial index when the query repeats its terms).
		var or []string
		for _, f := range q.NonZero {
			if _, ok := evaluation.CounterIndex(f); !ok {
				return "", nil, nil, gridloop.Errorf(gridloop.EINVALID, "rollups: unknown counter %q", f)
			}
			or = append(or, f+` > 0`)
		}
		if len(or) == 1 {
			conds = append(conds, or[0])
		} else {
			conds = append(conds, `(`+strings.Join(or, ` OR `)+`)`)
		}
	}
	return table, conds, args, nil
}

// rollupsPacked reads the rows of the rollup query q as one string: SQLite joins each
// row's key and counters with char(31) and the rows with char(30) (group_concat), and
// the string is split here. With the modernc driver, handing over a row column by column
// costs far more than SQLite's own work on it (a thousand rows of 41 columns: tens of
// milliseconds), and dashboards read thousands of buckets.
func (tx *Tx) rollupsPacked(ctx context.Context, q RollupQuery, inner string, args []any, n int, idx []int) ([]RollupRow, error) {
	cols := make([]string, 0, 2+n)
	cols = append(cols, `start`, `id`)
	for i := range n {
		cols = append(cols, `v`+strconv.Itoa(i))
	}
	var packed sql.NullString
	err := tx.queryRow(ctx, tx.packSQL(cols, `(`+inner+`) AS r`), args...).Scan(&packed)
	if err != nil {
		return nil, err
	}
	if !packed.Valid || packed.String == "" {
		return nil, nil
	}
	text := packed.String
	out := make([]RollupRow, 0, strings.Count(text, "\x1e")+1)
	var c evaluation.Counters
	all := c.Fields() // pointers into c, which each row resets and copies
	for rec := range strings.SplitSeq(text, "\x1e") {
		r := RollupRow{Key: evaluation.Key{Dim: q.Dim, Period: q.Period}}
		c = evaluation.Counters{}
		k := 0
		for f := range strings.SplitSeq(rec, "\x1f") {
			switch {
			case k == 0:
				r.Key.Start = f
			case k == 1:
				r.Key.ID = f
			case k-2 < n:
				v, err := strconv.ParseInt(f, 10, 64)
				if err != nil && f != "" {
					return nil, fmt.Errorf("packed rollup row: %w", err)
				}
				*all[idx[k-2]] = v
			}
			k++
		}
		if k != 2+n {
			return nil, fmt.Errorf("packed rollup row has %d fields, want %d", k, 2+n)
		}
		if q.GroupBy == GroupByID {
			r.Key.Start = q.From
		}
		r.Counters = c
		out = append(out, r)
	}
	// group_concat follows the subquery's order in practice; make sure.
	if !slices.IsSortedFunc(out, compareRows) {
		slices.SortFunc(out, compareRows)
	}
	return out, nil
}

// packSQL selects the columns cols of every row of from as one string: the columns
// joined by char(31), the rows by char(30).
func (tx *Tx) packSQL(cols []string, from string) string {
	if tx.dialect == Postgres {
		return `SELECT string_agg(` + strings.Join(cols, ` || chr(31) || `) + `, chr(30)) FROM ` + from
	}
	return `SELECT group_concat(` + strings.Join(cols, ` || char(31) || `) + `, char(30)) FROM ` + from
}

func compareRows(a, b RollupRow) int {
	return cmp.Or(cmp.Compare(a.Key.Start, b.Key.Start), cmp.Compare(a.Key.ID, b.Key.ID))
}

// EachRollup calls fn for every bucket of the live table (or the staging table), in
// key order. For checks and tests; dashboards read with Rollups.
func (tx *Tx) EachRollup(ctx context.Context, staging bool, fn func(RollupRow) error) error {
	table := rollupsLive
	if staging {
		table = rollupsStaging
	}
	rows, err := tx.query(ctx, `SELECT `+rollupKeyCols+`, `+strings.Join(evaluation.CounterFields, ", ")+
		` FROM `+table+` ORDER BY `+rollupKeyCols)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r RollupRow
		dest := []any{&r.Key.Dim, &r.Key.Period, &r.Key.Start, &r.Key.ID}
		for _, p := range r.Counters.Fields() {
			dest = append(dest, p)
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: read %s: %w", table, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read %s: %w", table, err)
	}
	return nil
}

// CountRollups counts the buckets of the live table (or the staging table).
func (tx *Tx) CountRollups(ctx context.Context, staging bool) (int64, error) {
	table := rollupsLive
	if staging {
		table = rollupsStaging
	}
	var n int64
	if err := tx.queryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", table, err)
	}
	return n, nil
}

// TruncateRollups empties the live rollups.
func (tx *Tx) TruncateRollups(ctx context.Context) error {
	for _, q := range []string{`DELETE FROM ` + rollupsLive, bumpRollupsGeneration} {
		if _, err := tx.exec(ctx, q); err != nil {
			return fmt.Errorf("store: truncate rollups: %w", err)
		}
	}
	return nil
}

// ClearRollupsStaging empties the rebuild's staging table.
func (tx *Tx) ClearRollupsStaging(ctx context.Context) error {
	if _, err := tx.exec(ctx, `DELETE FROM `+rollupsStaging); err != nil {
		return fmt.Errorf("store: clear rollups staging: %w", err)
	}
	return nil
}

// SwapRollups replaces the live rollups with the staging table's rows and empties the
// staging table, in the caller's transaction: readers see the old table or the new
// one, never a mix.
func (tx *Tx) SwapRollups(ctx context.Context) error {
	cols := rollupKeyCols + ", " + strings.Join(evaluation.CounterFields, ", ")
	for _, q := range []string{
		`DELETE FROM ` + rollupsLive,
		`INSERT INTO ` + rollupsLive + ` (` + cols + `) SELECT ` + cols + ` FROM ` + rollupsStaging,
		`DELETE FROM ` + rollupsStaging,
		bumpRollupsGeneration,
	} {
		if _, err := tx.exec(ctx, q); err != nil {
			return fmt.Errorf("store: swap rollups: %w", err)
		}
	}
	return nil
}

// LockEvents keeps every other transaction from appending events until this one ends,
// and waits for those appending now to finish; after it, every event with an id up to
// MaxEventID is committed. On PostgreSQL it takes a SHARE lock on events (appends take
// ROW EXCLUSIVE); on SQLite a read-write transaction already excludes other writers.
// Call it inside Update.
func (tx *Tx) LockEvents(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.exec(ctx, `LOCK TABLE events IN SHARE MODE`); err != nil {
		return fmt.Errorf("store: lock events: %w", err)
	}
	return nil
}

// MaxEventID is the id of the newest event (0 with none).
func (tx *Tx) MaxEventID(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: max event id: %w", err)
	}
	return n, nil
}

// CountCases counts every case.
func (tx *Tx) CountCases(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.queryRow(ctx, `SELECT count(*) FROM cases`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// CaseIDsAfter returns up to limit case ids greater than after, in order.
func (tx *Tx) CaseIDsAfter(ctx context.Context, after int64, limit int) ([]int64, error) {
	rows, err := tx.query(ctx, `SELECT id FROM cases WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: case ids: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: case ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// CaseHistories returns the events of the cases with ids from lo to hi (inclusive)
// whose event id is at most maxEventID (0: no limit), grouped by case in seq order.
func (tx *Tx) CaseHistories(ctx context.Context, lo, hi, maxEventID int64) ([][]gridloop.Event, error) {
	q := `SELECT ` + eventColumns + ` FROM events WHERE case_id >= ? AND case_id <= ?`
	args := []any{lo, hi}
	if maxEventID > 0 {
		q += ` AND id <= ?`
		args = append(args, maxEventID)
	}
	return tx.histories(ctx, q+` ORDER BY case_id, seq`, args...)
}

// HistoriesOf returns the events of the given cases whose event id is at most
// maxEventID (0: no limit), grouped by case in seq order.
func (tx *Tx) HistoriesOf(ctx context.Context, caseIDs []int64, maxEventID int64) ([][]gridloop.Event, error) {
	var out [][]gridloop.Event
	for start := 0; start < len(caseIDs); start += 500 {
		part := caseIDs[start:min(start+500, len(caseIDs))]
		args := make([]any, 0, len(part)+1)
		for _, id := range part {
			args = append(args, id)
		}
		q := `SELECT ` + eventColumns + ` FROM events WHERE case_id IN (` + placeholders(len(part)) + `)`
		if maxEventID > 0 {
			q += ` AND id <= ?`
			args = append(args, maxEventID)
		}
		h, err := tx.histories(ctx, q+` ORDER BY case_id, seq`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, h...)
	}
	return out, nil
}

func (tx *Tx) histories(ctx context.Context, q string, args ...any) ([][]gridloop.Event, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: case histories: %w", err)
	}
	defer rows.Close()
	var out [][]gridloop.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: case histories: %w", err)
		}
		if n := len(out); n == 0 || out[n-1][0].CaseID != e.CaseID {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], e)
	}
	return out, rows.Err()
}

// CasesWithEventsAfter returns the ids of the cases that have an event with an id
// greater than eventID.
func (tx *Tx) CasesWithEventsAfter(ctx context.Context, eventID int64) ([]int64, error) {
	rows, err := tx.query(ctx, `SELECT DISTINCT case_id FROM events WHERE id > ? ORDER BY case_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: cases with new events: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: cases with new events: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Place is where a case was reported: its area, unit grid and responsibility grid codes.
type Place struct{ Area, Grid, RespGrid string }

// CasePlaces returns the place of each case with an id from lo to hi (inclusive).
func (tx *Tx) CasePlaces(ctx context.Context, lo, hi int64) (map[int64]Place, error) {
	rows, err := tx.query(ctx, `SELECT id, area_code, grid_code, resp_grid_code FROM cases WHERE id >= ? AND id <= ?`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("store: case places: %w", err)
	}
	defer rows.Close()
	out := map[int64]Place{}
	for rows.Next() {
		var id int64
		var p Place
		if err := rows.Scan(&id, &p.Area, &p.Grid, &p.RespGrid); err != nil {
			return nil, fmt.Errorf("store: case places: %w", err)
		}
		out[id] = p
	}
	return out, rows.Err()
}

// CasePlacesOf returns the place of each of the cases with ids.
func (tx *Tx) CasePlacesOf(ctx context.Context, ids []int64) (map[int64]Place, error) {
	out := map[int64]Place{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.query(ctx, `SELECT id, area_code, grid_code, resp_grid_code FROM cases WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: case places: %w", err)
		}
		for rows.Next() {
			var id int64
			var p Place
			if err := rows.Scan(&id, &p.Area, &p.Grid, &p.RespGrid); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: case places: %w", err)
			}
			out[id] = p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: case places: %w", err)
		}
	}
	return out, nil
}

// RollupDifferences compares the live rollups with the staging table in SQL (EXCEPT
// both ways) and returns the buckets where they differ: each side's counters (zero
// where the bucket is absent), keyed by bucket.
func (tx *Tx) RollupDifferences(ctx context.Context) (live, staging map[evaluation.Key]evaluation.Counters, err error) {
	cols := rollupKeyCols + ", " + strings.Join(evaluation.CounterFields, ", ")
	read := func(a, b string) (map[evaluation.Key]evaluation.Counters, error) {
		rows, err := tx.query(ctx, `SELECT `+cols+` FROM `+a+` EXCEPT SELECT `+cols+` FROM `+b)
		if err != nil {
			return nil, fmt.Errorf("store: compare rollups: %w", err)
		}
		defer rows.Close()
		out := map[evaluation.Key]evaluation.Counters{}
		for rows.Next() {
			var r RollupRow
			dest := []any{&r.Key.Dim, &r.Key.Period, &r.Key.Start, &r.Key.ID}
			for _, p := range r.Counters.Fields() {
				dest = append(dest, p)
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, fmt.Errorf("store: compare rollups: %w", err)
			}
			out[r.Key] = r.Counters
		}
		return out, rows.Err()
	}
	if live, err = read(rollupsLive, rollupsStaging); err != nil {
		return nil, nil, err
	}
	if staging, err = read(rollupsStaging, rollupsLive); err != nil {
		return nil, nil, err
	}
	return live, staging, nil
}

// RespGridInfo is a responsibility grid's name and area.
type RespGridInfo struct{ Name, Area string }

// RespGridInfos maps every responsibility grid's code to its name and area code.
func (tx *Tx) RespGridInfos(ctx context.Context) (map[string]RespGridInfo, error) {
	rows, err := tx.query(ctx, `SELECT code, name, area_code FROM resp_grids`)
	if err != nil {
		return nil, fmt.Errorf("store: responsibility grids: %w", err)
	}
	defer rows.Close()
	out := map[string]RespGridInfo{}
	for rows.Next() {
		var code string
		var g RespGridInfo
		if err := rows.Scan(&code, &g.Name, &g.Area); err != nil {
			return nil, fmt.Errorf("store: responsibility grids: %w", err)
		}
		out[code] = g
	}
	return out, rows.Err()
}
