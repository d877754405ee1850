package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// category_months (migrations/*/00009_dashboard.sql): cases by the month they were
// reported in and their category now, for the dashboard's top categories.

// CategoryMonth is a month (its first day, 2006-01-02, Asia/Shanghai) and a category
// code ("" for cases not yet classified).
type CategoryMonth struct{ Month, Category string }

// AddCategoryMonths adds n to the count of each (month, category), creating rows as
// needed (n may be negative: a case moved to another category).
func (tx *Tx) AddCategoryMonths(ctx context.Context, deltas map[CategoryMonth]int64) error {
	keys := make([]CategoryMonth, 0, len(deltas))
	for k, n := range deltas {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.SortFunc(keys, func(a, b CategoryMonth) int {
		if c := strings.Compare(a.Month, b.Month); c != 0 {
			return c
		}
		return strings.Compare(a.Category, b.Category)
	})
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, k.Month, k.Category, deltas[k])
	}
	_, err := tx.exec(ctx, `INSERT INTO category_months (month, category_code, cases) VALUES `+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(keys)), ", ")+
		` ON CONFLICT (month, category_code) DO UPDATE SET cases = category_months.cases + excluded.cases`, args...)
	if err != nil {
		return fmt.Errorf("store: add category months: %w", err)
	}
	return nil
}

// TopCategoriesOfMonth returns the limit categories with the most cases reported in
// month (its first day), most first.
func (tx *Tx) TopCategoriesOfMonth(ctx context.Context, month string, limit int) ([]CategoryCount, error) {
	rows, err := tx.query(ctx, `SELECT category_code, cases FROM category_months WHERE month = ? AND cases > 0
		ORDER BY cases DESC, category_code LIMIT ?`, month, limit)
	if err != nil {
		return nil, fmt.Errorf("store: top categories of month: %w", err)
	}
	defer rows.Close()
	var out []CategoryCount
	for rows.Next() {
		var c CategoryCount
		if err := rows.Scan(&c.Code, &c.Count); err != nil {
			return nil, fmt.Errorf("store: top categories of month: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// categoryMonthsSQL counts the cases by month reported (Asia/Shanghai: UTC+8, without
// daylight saving since 1991) and category.
func (tx *Tx) categoryMonthsSQL() string {
	month := `substr(strftime('%Y-%m-%d', created_at, '+8 hours'), 1, 8) || '01'`
	if tx.dialect == Postgres {
		month = `to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-01')`
	}
	return `SELECT ` + month + ` AS month, category_code, count(*) AS cases FROM cases GROUP BY 1, 2`
}

// RebuildCategoryMonths recounts category_months from the cases table (a scan of every
// case: for rebuilds).
func (tx *Tx) RebuildCategoryMonths(ctx context.Context) error {
	for _, q := range []string{
		`DELETE FROM category_months`,
		`INSERT INTO category_months (month, category_code, cases) ` + tx.categoryMonthsSQL(),
	} {
		if _, err := tx.exec(ctx, q); err != nil {
			return fmt.Errorf("store: rebuild category months: %w", err)
		}
	}
	return nil
}

// CategoryMonthDifferences counts the (month, category) keys where category_months
// differs from a count of the cases table (rows of 0 cases count as absent).
func (tx *Tx) CategoryMonthDifferences(ctx context.Context) (int, error) {
	table := `SELECT month, category_code, cases FROM category_months WHERE cases <> 0`
	counted := tx.categoryMonthsSQL()
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM (
		SELECT month, category_code FROM (`+table+` EXCEPT `+counted+`) AS a
		UNION
		SELECT month, category_code FROM (`+counted+` EXCEPT `+table+`) AS b) AS d`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: compare category months: %w", err)
	}
	return n, nil
}
