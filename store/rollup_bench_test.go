package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gridloop/gridloop/evaluation"
)

// BenchmarkAddRollupsFineBuckets measures what issue #7's rollups cost intake on
// SQLite: each report adds 1 to the day, week and month buckets of its unit grid,
// responsibility grid and community, chosen at random in a city of 62,990 grids (the
// Hangzhou demo's), so few buckets are shared within a transaction. ns/report is the
// writer's time per report, commit included.
//
//   - batch40: the design until 4cfd674, the rollups in each group-commit transaction
//     of 40 reports (about what 64 concurrent clients give);
//   - fold5000, fold20000, fold60000: the design since, a journal of increments folded
//     into the table every 1, 4 or 12 seconds at 5,000 reports/s, adds the same buckets
//     sorted and merged, that many reports per transaction (the journal's own writes
//     and reads not counted: BenchmarkRollupJournal measures the writes).
func BenchmarkAddRollupsFineBuckets(b *testing.B) {
	const grids, communities = 62990, 3000
	for _, per := range []int{40, 5000, 20000, 60000} {
		name := fmt.Sprintf("batch%d", per)
		if per > 40 {
			name = fmt.Sprintf("fold%d", per)
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := benchDB(b, SQLite)
			report := func(out map[evaluation.Key]evaluation.Counters, grid, community int) {
				for _, m := range []evaluation.Key{
					{Dim: evaluation.DimGrid, ID: fmt.Sprintf("330106%09d", grid)},
					{Dim: evaluation.DimRespGrid, ID: fmt.Sprintf("330106%09d", grid)},
					{Dim: evaluation.DimArea, ID: fmt.Sprintf("330106%06d", community)},
				} {
					for _, p := range evaluation.Periods {
						m.Period, m.Start = p, "2026-12-07"
						c := out[m]
						c.Reported++
						out[m] = c
					}
				}
			}
			// Every bucket exists already, as by mid-month in a busy city.
			seed := map[evaluation.Key]evaluation.Counters{}
			for g := range grids {
				report(seed, g, g%communities)
			}
			if err := db.Update(ctx, func(tx *Tx) error { return tx.AddRollups(ctx, seed) }); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			reports := 0
			for b.Loop() {
				batch := map[evaluation.Key]evaluation.Counters{}
				for range per {
					report(batch, rng.IntN(grids), rng.IntN(communities))
				}
				if err := db.Update(ctx, func(tx *Tx) error { return tx.AddRollups(ctx, batch) }); err != nil {
					b.Fatal(err)
				}
				reports += per
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(reports), "ns/report")
		})
	}
}

// BenchmarkRollupJournal is the writer's time per report for the journal row of a
// group-commit transaction of 40 reports, each a line the size of a citizen report's
// increment (seven members), commit included.
func BenchmarkRollupJournal(b *testing.B) {
	ctx := context.Background()
	db := benchDB(b, SQLite)
	const per = 40
	rng := rand.New(rand.NewPCG(1, 2))
	reports := 0
	for b.Loop() {
		var text []byte
		for range per {
			g := rng.IntN(62990)
			text = fmt.Appendf(text, "i\x1f2026-12-07\x1freported=1\x1fcity:all\x1earea:330106\x1earea:330106%03d"+
				"\x1earea:330106%06d\x1egrid:330106%09d\x1eresp_grid:330106%09d\x1erole:citizen\n", g%300, g%3000, g, g)
		}
		if err := db.Update(ctx, func(tx *Tx) error { return tx.AppendRollupJournal(ctx, string(text)) }); err != nil {
			b.Fatal(err)
		}
		reports += per
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(reports), "ns/report")
}
