package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/worktime"
)

const categoryColumns = `code, kind, major_code, major_name, name, filing_condition, closing_condition,
	handling_value, handling_unit, urgent_value, urgent_unit, response_value, response_unit,
	urgent, public, keywords, active`

// PutCategory inserts c, or updates the category with its code.
func (tx *Tx) PutCategory(ctx context.Context, c *gridloop.Category) error {
	_, err := tx.exec(ctx, `INSERT INTO categories (`+categoryColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET
			kind = excluded.kind, major_code = excluded.major_code, major_name = excluded.major_name,
			name = excluded.name, filing_condition = excluded.filing_condition,
			closing_condition = excluded.closing_condition,
			handling_value = excluded.handling_value, handling_unit = excluded.handling_unit,
			urgent_value = excluded.urgent_value, urgent_unit = excluded.urgent_unit,
			response_value = excluded.response_value, response_unit = excluded.response_unit,
			urgent = excluded.urgent, public = excluded.public, keywords = excluded.keywords,
			active = excluded.active`,
		c.Code, string(c.Kind), c.MajorCode, c.MajorName, c.Name, c.FilingCondition, c.ClosingCondition,
		c.HandlingLimit.Value, string(c.HandlingLimit.Unit), c.UrgentLimit.Value, string(c.UrgentLimit.Unit),
		c.ResponseLimit.Value, string(c.ResponseLimit.Unit), c.Urgent, c.Public, c.Keywords, c.Active)
	return wrap(err, "put category "+c.Code, "")
}

func scanCategory(s scanner) (gridloop.Category, error) {
	var c gridloop.Category
	var hu, uu, ru string
	err := s.Scan(&c.Code, &c.Kind, &c.MajorCode, &c.MajorName, &c.Name, &c.FilingCondition,
		&c.ClosingCondition, &c.HandlingLimit.Value, &hu, &c.UrgentLimit.Value, &uu,
		&c.ResponseLimit.Value, &ru, &c.Urgent, &c.Public, &c.Keywords, &c.Active)
	c.HandlingLimit.Unit, c.UrgentLimit.Unit, c.ResponseLimit.Unit = worktime.Unit(hu), worktime.Unit(uu), worktime.Unit(ru)
	return c, err
}

// Categories returns every category, ordered by code.
func (tx *Tx) Categories(ctx context.Context) ([]gridloop.Category, error) {
	rows, err := tx.query(ctx, `SELECT `+categoryColumns+` FROM categories ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	defer rows.Close()
	var out []gridloop.Category
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, fmt.Errorf("store: categories: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	return out, nil
}

// CategoryByCode returns the category with code, or ENOTFOUND.
func (tx *Tx) CategoryByCode(ctx context.Context, code string) (*gridloop.Category, error) {
	c, err := scanCategory(tx.queryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE code = ?`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("问题类别 %s 不存在 (category not found)", code)
	} else if err != nil {
		return nil, fmt.Errorf("store: category %s: %w", code, err)
	}
	return &c, nil
}
