package store

import (
	"testing"

	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestRollupsPackedValues: the packed reads (ranking.go: Rollups, SumByID) give back
// every counter as stored, including values SQLite's char() cannot carry or that look
// like its replacement for them (negative, U+FFFD, surrogates, past U+10FFFF), and ids
// of any length and script, for every grouping and width of read.
func TestRollupsPackedValues(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		plain := map[evaluation.Key]evaluation.Counters{}
		odd := map[evaluation.Key]evaluation.Counters{}
		for i, id := range []string{"330106001001001", "7", "", "部门甲", "shift_lead", "a\x1fb\x1ec"} {
			k := key(evaluation.DimGrid, id, evaluation.Month, "2026-11-01")
			var c evaluation.Counters
			for j, p := range c.Fields() {
				*p = int64((i*41 + j*7) % 300)
			}
			c.Reported, c.Closed, c.VerifiedOnTime = 0x7F, 0x7FF, 0xFFFF
			c.Rated = 0x10FFFE
			plain[k] = c
		}
		for i, v := range []int64{-1, -5, 0xFFFC, 0xFFFD, 0xD7FF, 0xDFFF, 0x10FFFF, 0x110000, 1 << 40} {
			k := key(evaluation.DimArea, string(rune('a'+i)), evaluation.Month, "2026-11-01")
			var c evaluation.Counters
			c.Reported, c.Closed, c.Satisfied = 1, v, 2
			odd[k] = c
		}
		update(t, db, func(tx *Tx) error {
			if err := tx.AddRollups(ctx, plain); err != nil {
				return err
			}
			return tx.AddRollups(ctx, odd)
		})
		for _, want := range []map[evaluation.Key]evaluation.Counters{plain, odd} {
			var dim evaluation.Dimension
			for k := range want {
				dim = k.Dim
			}
			for _, fields := range [][]string{nil, {"closed", "reported"}, {"rated"}} {
				for _, group := range []string{GroupNone, GroupByID} {
					var rows []RollupRow
					view(t, db, func(tx *Tx) error {
						var err error
						rows, err = tx.Rollups(ctx, RollupQuery{Dim: dim, Period: evaluation.Month, From: "2026-11-01",
							Fields: fields, GroupBy: group})
						return err
					})
					if len(rows) != len(want) {
						t.Fatalf("%s %v %q: %d rows, want %d", dim, fields, group, len(rows), len(want))
					}
					for _, r := range rows {
						w, ok := want[r.Key]
						if !ok {
							t.Fatalf("%s %v %q: unexpected row %+v", dim, fields, group, r.Key)
						}
						if fields != nil {
							var only evaluation.Counters
							all, src := only.Fields(), w.Fields()
							for _, f := range fields {
								i, _ := evaluation.CounterIndex(f)
								*all[i] = *src[i]
							}
							w = only
						}
						equal(t, r.Key.ID+" counters", r.Counters, w)
					}
				}
			}
			for _, field := range []string{"closed", "rated"} {
				var got map[string]int64
				view(t, db, func(tx *Tx) error {
					var err error
					got, err = tx.SumByID(ctx, RollupQuery{Dim: dim, Period: evaluation.Month, From: "2026-11-01"}, field)
					return err
				})
				want2 := map[string]int64{}
				for k, c := range want {
					fi, _ := evaluation.CounterIndex(field)
					want2[k.ID] += *c.Fields()[fi]
				}
				equal(t, string(dim)+" sums of "+field, got, want2)
			}
			var sums []RollupRow
			view(t, db, func(tx *Tx) error {
				var err error
				sums, err = tx.Rollups(ctx, RollupQuery{Dim: dim, Period: evaluation.Month, From: "2026-11-01", GroupBy: GroupStart})
				return err
			})
			var total evaluation.Counters
			for _, c := range want {
				total.Add(c)
			}
			if len(sums) != 1 || sums[0].Key.Start != "2026-11-01" {
				t.Fatalf("%s grouped by start: %+v", dim, sums)
			}
			equal(t, string(dim)+" total", sums[0].Counters, total)
		}
	})
}
