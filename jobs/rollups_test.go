package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/store"
)

// TestRollupFold: two fold jobs (two nodes' worth) empty the journal while cases move,
// and the rollups then count every event once: equal to a recomputation from the log.
func TestRollupFold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b)
		journal := func() int64 {
			var n int64
			if err := f.svc.DB.View(ctx, func(tx *store.Tx) (err error) { n, err = tx.CountRollupJournal(ctx); return err }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		f.burst(3, false)
		if n := journal(); n != 12 {
			t.Fatalf("journal holds %d entries after 12 events, want one each", n)
		}
		for range 2 {
			j := &jobs.RollupFold{Svc: f.svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Interval: 5 * time.Millisecond}
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { j.Run(ctx); close(done) }()
			t.Cleanup(func() { cancel(); <-done })
		}
		f.burst(6, true)
		waitFor(t, "the journal to be folded", func() bool { return journal() == 0 })

		city := evaluation.Key{Dim: evaluation.DimCity, ID: evaluation.CityID, Period: evaluation.Month}
		var reported int64
		err := f.svc.DB.View(ctx, func(tx *store.Tx) error {
			return tx.EachRollup(ctx, false, func(r store.RollupRow) error {
				if r.Key.Dim == city.Dim && r.Key.Period == city.Period {
					reported += r.Counters.Reported
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if reported != 9 {
			t.Errorf("the city's months count %d reports, want 9", reported)
		}
		res, err := f.svc.CheckRollups(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.DiffCount != 0 || res.CategoryDiffs != 0 {
			t.Errorf("folded rollups differ from a recomputation: %d buckets, %d category rows: %v", res.DiffCount, res.CategoryDiffs, res.Differences)
		}
	})
}
