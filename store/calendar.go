package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

// SpecialDays returns the calendar's holidays and make-up workdays, ordered by date.
func (tx *Tx) SpecialDays(ctx context.Context) ([]worktime.SpecialDay, error) {
	rows, err := tx.query(ctx, `SELECT date, kind, name FROM special_days ORDER BY date`)
	if err != nil {
		return nil, fmt.Errorf("store: special days: %w", err)
	}
	defer rows.Close()
	var out []worktime.SpecialDay
	for rows.Next() {
		var d worktime.SpecialDay
		if err := rows.Scan(&d.Date, &d.Kind, &d.Name); err != nil {
			return nil, fmt.Errorf("store: special days: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: special days: %w", err)
	}
	return out, nil
}

// PutSpecialDay inserts d, or replaces the special day on its date. The date must be
// written 2006-01-02 and the kind be holiday or workday (else EINVALID).
func (tx *Tx) PutSpecialDay(ctx context.Context, d worktime.SpecialDay) error {
	if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
		return gridloop.FieldError("date", "日期须为 YYYY-MM-DD 格式 (date must be YYYY-MM-DD): %q", d.Date)
	}
	if d.Kind != worktime.Holiday && d.Kind != worktime.Workday {
		return gridloop.FieldError("kind", "类型须为 holiday（休）或 workday（班）: %q", d.Kind)
	}
	_, err := tx.exec(ctx, `INSERT INTO special_days (date, kind, name) VALUES (?, ?, ?)
		ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, name = excluded.name`,
		d.Date, string(d.Kind), d.Name)
	return wrap(err, "put special day "+d.Date, "")
}

// DeleteSpecialDay removes the special day on date (ENOTFOUND if there is none).
func (tx *Tx) DeleteSpecialDay(ctx context.Context, date string) error {
	res, err := tx.exec(ctx, `DELETE FROM special_days WHERE date = ?`, date)
	return tx.oneRow(res, err, "delete special day", "%s 不是特殊日期 (no special day on that date)", date)
}

// Setting returns the value of a setting and whether it is set.
func (tx *Tx) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := tx.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, true, nil
}

// PutSetting sets a setting.
func (tx *Tx) PutSetting(ctx context.Context, key, value string) error {
	_, err := tx.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return wrap(err, "put setting "+key, "")
}
