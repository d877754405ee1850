package store

import (
	"fmt"
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestListCasesCountCap: past CountCap a list's total is CountCap+1, "more", and its
// pages past the cap still come back.
func TestListCasesCountCap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		const n = CountCap + 12
		cases := make([]*gridloop.Case, n)
		for i := range cases {
			cases[i] = minimalCase(fmt.Sprintf("CAP%05d", i))
			if i < 7 {
				cases[i].Status = gridloop.StatusClosed
			}
		}
		update(t, db, func(tx *Tx) error { return tx.InsertCases(ctx, cases) })
		status := cases[n-1].Status
		tests := []struct {
			name      string
			f         CaseFilter
			wantTotal int
			wantItems int
		}{
			{"first page", CaseFilter{Limit: 20}, CountCap + 1, 20},
			{"page past the cap", CaseFilter{Limit: 20, Offset: CountCap}, CountCap + 1, 12},
			{"last, short page", CaseFilter{Limit: 20, Offset: n - 3}, CountCap + 1, 3},
			{"past the end", CaseFilter{Limit: 20, Offset: n}, CountCap + 1, 0},
			{"under the cap: exact", CaseFilter{Limit: 5, Statuses: []gridloop.Status{gridloop.StatusClosed}}, 7, 5},
			{"by status, over", CaseFilter{Limit: 1, Statuses: []gridloop.Status{status}}, CountCap + 1, 1},
		}
		for _, tt := range tests {
			view(t, db, func(tx *Tx) error {
				list, total, err := tx.ListCases(ctx, tt.f)
				if err != nil {
					return err
				}
				if total != tt.wantTotal || len(list) != tt.wantItems {
					t.Errorf("%s: total %d, %d items; want %d, %d", tt.name, total, len(list), tt.wantTotal, tt.wantItems)
				}
				return nil
			})
		}
	})
}
