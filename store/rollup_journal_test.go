package store

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestRollupJournal: entries are taken oldest first, each once, up to the limit.
func TestRollupJournal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		update(t, db, func(tx *Tx) error {
			for i := range 5 {
				if err := tx.AppendRollupJournal(ctx, fmt.Sprintf("entry %d\n", i)); err != nil {
					return err
				}
			}
			return nil
		})
		var pending bool
		var taken, rest []string
		update(t, db, func(tx *Tx) (err error) {
			if err := tx.LockRollupFold(ctx); err != nil {
				return err
			}
			if pending, err = tx.RollupJournalPending(ctx); err != nil {
				return err
			}
			if taken, err = tx.TakeRollupJournal(ctx, 3); err != nil {
				return err
			}
			rest, err = tx.TakeRollupJournal(ctx, 3)
			return err
		})
		if !pending {
			t.Error("a journal with entries is not pending")
		}
		if len(taken) != 3 || len(rest) != 2 {
			t.Fatalf("took %d then %d entries, want 3 then 2", len(taken), len(rest))
		}
		for i := range 5 { // each once, oldest first
			e := fmt.Sprintf("entry %d\n", i)
			if first := slices.Contains(taken, e); first != (i < 3) || !first && !slices.Contains(rest, e) {
				t.Errorf("%q: taken first %q, then %q", e, taken, rest)
			}
		}
		view(t, db, func(tx *Tx) (err error) {
			pending, err = tx.RollupJournalPending(ctx)
			return err
		})
		if pending {
			t.Error("the journal is still pending after everything was taken")
		}
	})
}

// TestAddCategoryMonthsMany: a fold of the rollups' journal adds thousands of keys at
// once, more than one statement's bound parameters allow (SQLite 32,766, PostgreSQL
// 65,535): they are written in as many statements as needed.
func TestAddCategoryMonthsMany(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		deltas := map[CategoryMonth]int64{}
		const areas, categories = 2000, 12 // 24,000 keys: 96,000 parameters
		for a := range areas {
			for c := range categories {
				deltas[CategoryMonth{Month: "2026-12-01", Category: fmt.Sprintf("C%02d", c), Area: fmt.Sprintf("330106%06d", a)}] = 1
			}
		}
		update(t, db, func(tx *Tx) error { return tx.AddCategoryMonths(ctx, deltas) })
		update(t, db, func(tx *Tx) error { return tx.AddCategoryMonths(ctx, deltas) })
		view(t, db, func(tx *Tx) error {
			top, err := tx.TopCategoriesOfMonth(ctx, "2026-12-01", categories)
			if err != nil {
				return err
			}
			if len(top) != categories {
				t.Fatalf("%d categories, want %d", len(top), categories)
			}
			for _, r := range top {
				if r.Count != 2*areas {
					t.Errorf("%s: %d cases, want %d", r.Code, r.Count, 2*areas)
				}
			}
			in, err := tx.TopCategoriesOfMonthIn(ctx, "2026-12-01", []string{"330106000001"}, categories)
			if err != nil {
				return err
			}
			if len(in) != categories || in[0].Count != 2 {
				t.Errorf("one community: %+v, want %d categories of 2", in, categories)
			}
			return nil
		})
	})
}
