package store

import (
	"context"
	"fmt"

	"github.com/gridloop/gridloop"
)

// Exports read the cases a filter selects page by page, in id order, by key (id > the
// last id of the previous page) rather than by offset, so that every page costs the
// same however deep the export is. Each page can be read in a transaction of its own.

// CountCasesMatching counts the cases f selects (f.Limit and f.Offset ignored).
func (tx *Tx) CountCasesMatching(ctx context.Context, f CaseFilter) (int, error) {
	where, args := tx.where(f, false, false)
	var n int
	if err := tx.queryRow(ctx, `SELECT count(*) FROM cases`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// CasesPage returns up to limit of the cases f selects with an id greater than after,
// in id order (f.Limit, f.Offset and f.Order ignored).
func (tx *Tx) CasesPage(ctx context.Context, f CaseFilter, after int64, limit int) ([]gridloop.Case, error) {
	where, args := tx.where(f, false, false, `id > ?`)
	args = append([]any{after}, args...)
	cases, err := tx.cases(ctx, `SELECT `+caseColumns+` FROM cases`+where+` ORDER BY id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: page of cases: %w", err)
	}
	return cases, nil
}
