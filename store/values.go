package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// sqliteTime is how times are written on SQLite: fixed-width UTC, so that text order
// is time order and SQL comparisons work.
const sqliteTime = "2006-01-02T15:04:05.000000000Z"

// precision is what both dialects keep of a time (PostgreSQL stores microseconds).
const precision = time.Microsecond

// normTime is t as stored: UTC, truncated to microseconds.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(precision) }

// normTimePtr is normTime for an optional time.
func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// timeArg is a time as a query argument for the dialect.
func (tx *Tx) timeArg(t time.Time) any {
	t = normTime(t)
	if tx.dialect == SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// timePtrArg is an optional time as a query argument: NULL when nil.
func (tx *Tx) timePtrArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return tx.timeArg(*t)
}

// nullTime scans a time column of either dialect: TIMESTAMPTZ (time.Time) or the
// SQLite text form.
type nullTime struct {
	Time  time.Time
	Valid bool
}

func (n *nullTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n = nullTime{}
		return nil
	case time.Time:
		*n = nullTime{Time: v.UTC(), Valid: true}
		return nil
	case string:
		return n.parse(v)
	case []byte:
		return n.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a time", src)
}

func (n *nullTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad time %q: %w", s, err)
	}
	*n = nullTime{Time: t.UTC(), Valid: true}
	return nil
}

// Ptr is the time, or nil when NULL.
func (n nullTime) Ptr() *time.Time {
	if !n.Valid {
		return nil
	}
	t := n.Time
	return &t
}

// nullID is an id as a query argument: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullString is a string as a query argument: NULL for "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullBool is an optional bool as a query argument.
func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// boolPtr is the value of a nullable boolean column.
func boolPtr(n sql.NullBool) *bool {
	if !n.Valid {
		return nil
	}
	b := n.Bool
	return &b
}

// jsonList encodes a list for a JSON column; empty lists are "[]".
func jsonList[T any](v []T) (string, error) {
	if len(v) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// parseList decodes a JSON list column; an empty list is nil.
func parseList[T any](s string) ([]T, error) {
	if s == "" || s == "[]" || s == "null" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}
