package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridloop/gridloop/evaluation"
)

// Reading many rollup rows at once (a ranking of every grid of a city: 10,000 buckets of
// 39 counters). Handing a row over column by column costs the drivers far more than the
// database's own work on it (about 1 µs a column through modernc's SQLite driver; pgx's
// scan through database/sql is cheaper but still the bulk of a wide read), so the rows
// come back packed into one value and are split here.
//
// SQLite packs each counter as one character: char(v), the character whose code point
// is the counter (NUL included: SQLite's text has a length). One call of char() per row
// turns all its counters into a string, where printing them as decimal numbers and
// joining them took one string operation per counter (char(31) separators and ||: 55 ms
// for every grid's month at 1,000,000 cases; char(): 18 ms, and the string to split is
// half as long). A counter char() cannot carry (below 0, or above U+10FFFF) comes back
// as U+FFFD, which is therefore read as "ambiguous" (as is 65533 itself): the read is
// done again as decimal text (rollupsPacked).
//
// PostgreSQL packs each row with one concat_ws() (a || per column, or the counters as
// an array, cost the server more), the key columns preceded by their lengths so that no
// text of theirs can be taken for a separator.

// rollupsRead reads the buckets of the rollup query q (table and conds from
// rollupWhere), the counters fields, which idx maps to their place in
// evaluation.Counters. inner is the same query as rows (start, id, v0…v(n-1)), for the
// fallback.
//
// Buckets as stored are packed straight from the table, with only the key columns that
// vary (the id for one period start): packing the rows of a subquery took twice as long
// on SQLite. Sums are packed from a grouping subquery. The rows come back in key order.
func (tx *Tx) rollupsRead(ctx context.Context, q RollupQuery, table string, conds []string, args []any, fields []string, idx []int, inner string) ([]RollupRow, error) {
	to := q.To
	if to == "" {
		to = q.From
	}
	var keys []string // the key columns packed, of start and id
	vals := make([]string, len(fields))
	from := table + ` WHERE ` + strings.Join(conds, ` AND `)
	switch q.GroupBy {
	case GroupNone:
		keys = []string{`id`}
		if to != q.From {
			keys = []string{`start`, `id`}
		}
		copy(vals, fields)
	case GroupByID, GroupStart:
		keys = []string{`id`}
		if q.GroupBy == GroupStart {
			keys = []string{`start`}
		}
		sel := make([]string, len(fields))
		for i, f := range fields {
			sel[i] = `CAST(SUM(` + f + `) AS BIGINT) AS v` + strconv.Itoa(i)
			vals[i] = `v` + strconv.Itoa(i)
		}
		from = `(SELECT ` + keys[0] + `, ` + strings.Join(sel, `, `) + ` FROM ` + from + ` GROUP BY ` + keys[0] + `) AS r`
	}
	var out []RollupRow
	var c evaluation.Counters
	all := c.Fields() // pointers into c, which each row resets and copies
	size := func(n int) { out = make([]RollupRow, 0, n) }
	ok, err := tx.eachPacked(ctx, keys, vals, from, args, size, func(key [2]string, v []int64) {
		r := RollupRow{Key: evaluation.Key{Dim: q.Dim, Period: q.Period, Start: q.From}}
		for k, col := range keys {
			if col == `start` {
				r.Key.Start = key[k]
			} else {
				r.Key.ID = key[k]
			}
		}
		if q.GroupBy == GroupByID {
			r.Key.Start = q.From
		}
		c = evaluation.Counters{}
		for k, x := range v {
			*all[idx[k]] = x
		}
		r.Counters = c
		out = append(out, r)
	})
	if err != nil {
		return nil, err
	}
	if !ok { // a value char() cannot carry: read the rows as decimal text
		return tx.rollupsPacked(ctx, q, inner, args, len(fields), idx)
	}
	if !slices.IsSortedFunc(out, compareRows) {
		slices.SortFunc(out, compareRows)
	}
	return out, nil
}

// sumByID is SumByID's read: the value of field in each bucket of from (table and
// conditions), summed per id here (no sort or hash in the database). ok is false when
// a value could not be packed (SQLite).
func (tx *Tx) sumByID(ctx context.Context, field, from string, args []any) (map[string]int64, bool, error) {
	out := map[string]int64{}
	ok, err := tx.eachPacked(ctx, []string{`id`}, []string{field}, from, args, nil, func(key [2]string, v []int64) {
		out[key[0]] += v[0]
	})
	return out, ok, err
}

// eachPacked reads the rows of `SELECT keys…, vals… FROM from` packed into one value
// (one or two key columns of text, integer values) and calls fn with each row's keys
// and values (fn must not keep v); size, if not nil, is first told at most how many
// rows there are. ok is false when SQLite could not pack a value: then what fn was
// given is to be dropped.
func (tx *Tx) eachPacked(ctx context.Context, keys, vals []string, from string, args []any, size func(int), fn func(key [2]string, v []int64)) (ok bool, err error) {
	if size == nil {
		size = func(int) {}
	}
	if tx.dialect == Postgres {
		return true, tx.eachText(ctx, keys, vals, from, args, size, fn)
	}
	return tx.eachChars(ctx, keys, vals, from, args, size, fn)
}

// eachChars reads rows on SQLite packed as characters: per row char(length(key) for
// each key column, v0, v1, …), then the key columns' text.
func (tx *Tx) eachChars(ctx context.Context, keys, vals []string, from string, args []any, size func(int), fn func(key [2]string, v []int64)) (ok bool, err error) {
	chars := make([]string, 0, len(keys)+len(vals))
	for _, k := range keys {
		chars = append(chars, `length(`+k+`)`)
	}
	chars = append(chars, vals...)
	var packed sql.NullString
	err = tx.queryRow(ctx, `SELECT group_concat(char(`+strings.Join(chars, `, `)+`) || `+strings.Join(keys, ` || `)+
		`, '') FROM `+from, args...).Scan(&packed)
	if err != nil || !packed.Valid {
		return err == nil, err
	}
	s := packed.String
	short := fmt.Errorf("packed rollup rows: cut short")
	n := len(vals)
	size(len(s) / (len(keys) + n)) // a character at least per length and value
	var lens [2]rune
	v := make([]int64, n)
	for i := 0; i < len(s); {
		for k := range keys {
			if lens[k], i = charAt(s, i); i < 0 {
				return false, short
			}
		}
		for k := range n {
			var c rune
			if c, i = charAt(s, i); i < 0 {
				return false, short
			}
			if c == utf8.RuneError {
				return false, nil
			}
			v[k] = int64(c)
		}
		var key [2]string
		for k := range keys {
			if key[k], i = runesAt(s, i, int(lens[k])); i < 0 {
				return false, short
			}
		}
		fn(key, v)
	}
	return true, nil
}

// charAt decodes the character SQLite's char() wrote at s[i:] (UTF-8, surrogate code
// points included) and returns it with the index after it, or -1 past the end.
func charAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return 0, -1
	}
	b := s[i]
	switch {
	case b < 0x80:
		return rune(b), i + 1
	case b < 0xE0:
		if i+1 >= len(s) {
			return 0, -1
		}
		return rune(b&0x1F)<<6 | rune(s[i+1]&0x3F), i + 2
	case b < 0xF0:
		if i+2 >= len(s) {
			return 0, -1
		}
		return rune(b&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), i + 3
	default:
		if i+3 >= len(s) {
			return 0, -1
		}
		return rune(b&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F), i + 4
	}
}

// runesAt returns the n characters of text at s[i:] (SQLite's length() counts
// characters) and the index after them, or -1 past the end.
func runesAt(s string, i, n int) (string, int) {
	j := i
	for range n {
		if j >= len(s) {
			return "", -1
		}
		if s[j] < utf8.RuneSelf {
			j++
			continue
		}
		_, w := utf8.DecodeRuneInString(s[j:])
		j += w
	}
	return s[i:j], j
}

// eachText reads rows on PostgreSQL packed as text: per row the byte lengths of the key
// columns, their text and the values, all joined by commas (concat_ws), the rows too:
// "15,330106001001001,3,0,1,15,330106001001002,…". The key columns are read by their
// lengths, so no text of theirs can be taken for a separator.
func (tx *Tx) eachText(ctx context.Context, keys, vals []string, from string, args []any, size func(int), fn func(key [2]string, v []int64)) error {
	var pack []string
	for _, k := range keys {
		pack = append(pack, `octet_length(`+k+`)`)
	}
	pack = append(pack, keys...)
	pack = append(pack, vals...)
	var packed sql.NullString
	if err := tx.queryRow(ctx, `SELECT string_agg(concat_ws(',', `+strings.Join(pack, `, `)+`), ',') FROM `+from, args...).Scan(&packed); err != nil {
		return err
	}
	s := packed.String
	bad := func(i int) error {
		return fmt.Errorf("packed rollup rows: bad text at byte %d: %.40q", min(i, len(s)), s[min(i, len(s)):])
	}
	// num reads the decimal number at s[i:] and returns it with the index after its
	// comma (strconv.ParseInt and a search for the comma took a third of the read).
	num := func(i int) (int64, int, bool) {
		neg := i < len(s) && s[i] == '-'
		if neg {
			i++
		}
		start := i
		var v int64
		for ; i < len(s) && s[i] != ','; i++ {
			d := s[i] - '0'
			if d > 9 || i-start >= 18 {
				return 0, 0, false
			}
			v = v*10 + int64(d)
		}
		if i == start {
			return 0, 0, false
		}
		if neg {
			v = -v
		}
		return v, i + 1, true
	}
	n := len(vals)
	size(strings.Count(s, ",")/(2*len(keys)+n-1) + 1) // the commas of a row, and one between rows
	v := make([]int64, n)
	var lens [2]int64
	for i := 0; i < len(s); {
		j := i
		var ok bool
		for k := range keys {
			if lens[k], j, ok = num(j); !ok || lens[k] < 0 {
				return bad(i)
			}
		}
		var key [2]string
		for k := range keys {
			end := j + int(lens[k])
			if end >= len(s) || s[end] != ',' {
				return bad(i)
			}
			key[k] = s[j:end]
			j = end + 1
		}
		for k := range n {
			if j > len(s) {
				return bad(i)
			}
			if v[k], j, ok = num(j); !ok {
				return bad(i)
			}
		}
		i = j
		fn(key, v)
	}
	return nil
}

// bumpRollupsGeneration counts a deletion from the live rollups (TruncateRollups,
// SwapRollups: every statement that deletes from the table must run it): see
// RollupVersion.
const bumpRollupsGeneration = `UPDATE rollups_generation SET n = n + 1`

// RollupVersion is a version of every bucket of period whose start lies from from to to
// (inclusive; to "" means from): if two reads of it in any transactions give the same
// string, those transactions see the same buckets of those periods. It is the city's
// buckets of the periods, which every event's increments reach too, and only ever grow
// (evaluation.Deltas: no counter is ever decreased, and every bucket's increment is
// also the city's), and the count of deletions from the live table (rollups_generation:
// a rebuild's swap, a truncation). A write that adds to a bucket
// other than through evaluation.Deltas (a test damaging the table on purpose) is not
// seen until the next event of the period or the next rebuild.
func (tx *Tx) RollupVersion(ctx context.Context, period evaluation.Period, from, to string) (string, error) {
	if to == "" {
		to = from
	}
	cols := make([]string, 0, 1+len(evaluation.CounterFields))
	cols = append(cols, `start`)
	cols = append(cols, evaluation.CounterFields...)
	var gen int64
	var city sql.NullString
	err := tx.queryRow(ctx, `SELECT (SELECT n FROM rollups_generation), (`+tx.packSQL(cols, rollupsLive+
		` WHERE dim = 'city' AND period = ? AND start >= ? AND start <= ?`)+`)`, string(period), from, to).Scan(&gen, &city)
	if err != nil {
		return "", fmt.Errorf("store: rollup version: %w", err)
	}
	return strconv.FormatInt(gen, 10) + "/" + city.String, nil
}
