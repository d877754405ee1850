package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// category_months (migrations/*/00009_dashboard.sql): cases by the month they were
// reported in and their category now, for the dashboard's top categories; and
// category_area_months (00012_dashboard_scope.sql), the same per area (a case's area
// code, its community), for the top categories inside an area scope.

// CategoryMonth is a month (its first day, 2006-01-02, Asia/Shanghai), a category code
// ("" for cases not yet classified) and the area code of the cases ("" for cases
// outside every grid). A case's area never changes after its report.
type CategoryMonth struct{ Month, Category, Area string }

// AddCategoryMonths adds n to the count of each (month, category) and of each (month,
// area, category), creating rows as needed (n may be negative: a case moved to another
// category).
func (tx *Tx) AddCategoryMonths(ctx context.Context, deltas map[CategoryMonth]int64) error {
	keys := make([]CategoryMonth, 0, len(deltas))
	city := map[CategoryMonth]int64{}
	for k, n := range deltas {
		if n != 0 {
			keys = append(keys, k)
			city[CategoryMonth{Month: k.Month, Category: k.Category}] += n
		}
	}
	if len(keys) == 0 {
		return nil
	}
	var cityKeys []CategoryMonth
	for k, n := range city {
		if n != 0 {
			cityKeys = append(cityKeys, k)
		}
	}
	// In key order, so that concurrent transactions lock shared rows in the same order.
	order := func(a, b CategoryMonth) int {
		return cmp.Or(strings.Compare(a.Month, b.Month), strings.Compare(a.Area, b.Area), strings.Compare(a.Category, b.Category))
	}
	slices.SortFunc(keys, order)
	slices.SortFunc(cityKeys, order)
	// A fold of the rollups' journal brings thousands of keys: as many statements as
	// the limit on bound parameters asks for (bulk.go).
	for _, c := range chunks(len(cityKeys), 3) {
		args := make([]any, 0, 3*(c[1]-c[0]))
		for _, k := range cityKeys[c[0]:c[1]] {
			args = append(args, k.Month, k.Category, city[k])
		}
		_, err := tx.exec(ctx, `INSERT INTO category_months (month, category_code, cases) VALUES `+valuesList(c[1]-c[0], 3)+
			` ON CONFLICT (month, category_code) DO UPDATE SET cases = category_months.cases + excluded.cases`, args...)
		if err != nil {
			return fmt.Errorf("store: add category months: %w", err)
		}
	}
	for _, c := range chunks(len(keys), 4) {
		args := make([]any, 0, 4*(c[1]-c[0]))
		for _, k := range keys[c[0]:c[1]] {
			args = append(args, k.Month, k.Area, k.Category, deltas[k])
		}
		_, err := tx.exec(ctx, `INSERT INTO category_area_months (month, area_code, category_code, cases) VALUES `+valuesList(c[1]-c[0], 4)+
			` ON CONFLICT (month, area_code, category_code) DO UPDATE SET cases = category_area_months.cases + excluded.cases`, args...)
		if err != nil {
			return fmt.Errorf("store: add category months: %w", err)
		}
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

// TopCategoriesOfMonthIn returns the limit categories with the most cases reported in
// month (its first day) whose area code starts with one of prefixes (none: every
// area, as TopCategoriesOfMonth), most first.
func (tx *Tx) TopCategoriesOfMonthIn(ctx context.Context, month string, prefixes []string, limit int) ([]CategoryCount, error) {
	if len(prefixes) == 0 {
		return tx.TopCategoriesOfMonth(ctx, month, limit)
	}
	args := []any{month}
	var or []string
	for _, p := range prefixes {
		if tx.dialect == SQLite {
			or = append(or, `area_code GLOB ?`)
			args = append(args, escapeGlob(p)+"*")
		} else {
			or = append(or, `area_code LIKE ? ESCAPE '\'`)
			args = append(args, escapeLike(p)+"%")
		}
	}
	rows, err := tx.query(ctx, `SELECT category_code, CAST(SUM(cases) AS BIGINT) AS n FROM category_area_months
		WHERE month = ? AND (`+strings.Join(or, ` OR `)+`) GROUP BY category_code HAVING SUM(cases) > 0
		ORDER BY n DESC, category_code LIMIT ?`, append(args, limit)...)
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
// daylight saving since 1991), category and, with area, area code.
func (tx *Tx) categoryMonthsSQL(area bool) string {
	month := `substr(strftime('%Y-%m-%d', created_at, '+8 hours'), 1, 8) || '01'`
	if tx.dialect == Postgres {
		month = `to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-01')`
	}
	if area {
		return `SELECT ` + month + ` AS month, area_code, category_code, count(*) AS cases FROM cases GROUP BY 1, 2, 3`
	}
	return `SELECT ` + month + ` AS month, category_code, count(*) AS cases FROM cases GROUP BY 1, 2`
}

// RebuildCategoryMonths recounts category_months and category_area_months from the
// cases table (a scan of every case: for rebuilds).
func (tx *Tx) RebuildCategoryMonths(ctx context.Context) error {
	for _, q := range []string{
		`DELETE FROM category_months`,
		`INSERT INTO category_months (month, category_code, cases) ` + tx.categoryMonthsSQL(false),
		`DELETE FROM category_area_months`,
		`INSERT INTO category_area_months (month, area_code, category_code, cases) ` + tx.categoryMonthsSQL(true),
	} {
		if _, err := tx.exec(ctx, q); err != nil {
			return fmt.Errorf("store: rebuild category months: %w", err)
		}
	}
	return nil
}

// CategoryMonthDifferences counts the (month, category) keys where category_months, or
// category_area_months in one of the key's areas, differs from a count of the cases
// table (rows of 0 cases count as absent).
func (tx *Tx) CategoryMonthDifferences(ctx context.Context) (int, error) {
	table := `SELECT month, category_code, cases FROM category_months WHERE cases <> 0`
	counted := tx.categoryMonthsSQL(false)
	areaTable := `SELECT month, area_code, category_code, cases FROM category_area_months WHERE cases <> 0`
	areaCounted := tx.categoryMonthsSQL(true)
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM (
		SELECT month, category_code FROM (`+table+` EXCEPT `+counted+`) AS a
		UNION
		SELECT month, category_code FROM (`+counted+` EXCEPT `+table+`) AS b
		UNION
		SELECT month, category_code FROM (`+areaTable+` EXCEPT `+areaCounted+`) AS c
		UNION
		SELECT month, category_code FROM (`+areaCounted+` EXCEPT `+areaTable+`) AS d) AS diff`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: compare category months: %w", err)
	}
	return n, nil
}
