package service_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// TestRollupCacheFollowsTheTable: rankings, the trend and the heat map, read through
// the service's cache of rollup reads, always give the table's figures: after events of
// the period, after a rebuild (which repairs a bucket damaged without an event) and
// after the table is emptied.
func TestRollupCacheFollowsTheTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 4242)
		sup := ec.users[gl.RoleSupervisor]
		check := func(step string, more ...service.EvalQuery) {
			t.Helper()
			for _, q := range append([]service.EvalQuery{
				{Dim: evaluation.DimGrid},
				{Dim: evaluation.DimGrid, Limit: 3},
				{Dim: evaluation.DimArea, Period: evaluation.Week},
				{Dim: evaluation.DimDepartment, Period: evaluation.Day},
			}, more...) {
				ev, err := ec.svc.Evaluate(ctx, sup, q)
				if err != nil {
					t.Fatal(err)
				}
				var direct []store.RollupRow
				err = ec.svc.DB.View(ctx, func(tx *store.Tx) error {
					rq := store.RollupQuery{Dim: q.Dim, Period: ev.Period, From: ev.Start}
					if q.Parent != "" {
						rq.IDPrefixes = []string{q.Parent}
					}
					direct, err = tx.Rollups(ctx, rq)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]evaluation.Counters{}
				for _, r := range direct {
					want[r.Key.ID] = r.Counters
				}
				if ev.Total != len(want) {
					t.Fatalf("%s: %s %s: %d rows, the table has %d", step, q.Dim, ev.Period, ev.Total, len(want))
				}
				for _, r := range ev.Rows {
					if r.Counters != want[r.ID] {
						t.Fatalf("%s: %s %s %s: %+v, the table has %+v", step, q.Dim, ev.Period, r.ID, r.Counters, want[r.ID])
					}
				}
			}
			d, err := ec.svc.Dashboard(ctx, sup)
			if err != nil {
				t.Fatal(err)
			}
			var sums map[string]int64
			var trend []store.RollupRow
			err = ec.svc.DB.View(ctx, func(tx *store.Tx) error {
				if sums, err = tx.SumByID(ctx, store.RollupQuery{Dim: evaluation.DimGrid, Period: evaluation.Day, From: d.Heat.From,
					To: d.Heat.To}, "reported"); err != nil {
					return err
				}
				trend, err = tx.Rollups(ctx, store.RollupQuery{Dim: evaluation.DimCity, Period: evaluation.Day,
					From: d.Trend[0].Date, To: d.Today, GroupBy: store.GroupStart})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			heat := map[string]int64{}
			for _, c := range d.Heat.Grids {
				heat[c.Code] = c.Count
			}
			maps.DeleteFunc(sums, func(_ string, n int64) bool { return n == 0 })
			if !maps.Equal(heat, sums) {
				t.Fatalf("%s: heat map %v, the table has %v", step, heat, sums)
			}
			byDay := map[string]int64{}
			for _, r := range trend {
				byDay[r.Key.Start] = r.Counters.Reported
			}
			for _, p := range d.Trend {
				if p.Reported != byDay[p.Date] {
					t.Fatalf("%s: trend %s reported %d, the table has %d", step, p.Date, p.Reported, byDay[p.Date])
				}
			}
		}
		ec.drive(t, 300)
		check("after the drive")
		check("read again")
		for range 5 {
			ec.drive(t, 15)
			check("after more events")
		}

		// A bucket changed without an event (by hand, as a test does) is not seen until
		// a rebuild repairs it, except by a read not made before (here: the grid's own
		// ranking); after the rebuild every read is the table's.
		ev, err := ec.svc.Evaluate(ctx, sup, service.EvalQuery{Dim: evaluation.DimGrid})
		if err != nil || len(ev.Rows) == 0 {
			t.Fatalf("no grid to damage: %v", err)
		}
		grid := ev.Rows[0].ID
		err = ec.svc.DB.Update(ctx, func(tx *store.Tx) error {
			return tx.AddRollups(ctx, map[evaluation.Key]evaluation.Counters{
				{Dim: evaluation.DimGrid, ID: grid, Period: evaluation.Month, Start: ev.Start}: {Closed: 7},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		own := service.EvalQuery{Dim: evaluation.DimGrid, Parent: grid}
		if damaged, err := ec.svc.Evaluate(ctx, sup, own); err != nil || len(damaged.Rows) != 1 ||
			damaged.Rows[0].Counters.Closed != ev.Rows[0].Counters.Closed+7 {
			t.Fatalf("the damaged grid's own ranking: %v %+v", err, damaged)
		}
		if _, err := ec.svc.RebuildRollups(ctx, service.RebuildOptions{}); err != nil {
			t.Fatal(err)
		}
		check("after a rebuild", own)
		err = ec.svc.DB.Update(ctx, func(tx *store.Tx) error { return tx.TruncateRollups(ctx) })
		if err != nil {
			t.Fatal(err)
		}
		check("after emptying the table")
	})
}

// TestEvaluateManyRows: an unpaged ranking of thousands of rows (whose indicators are
// computed beside the ranking) gives each row its own counters and indicators, and the
// ranks of evaluation.Rank.
func TestEvaluateManyRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		ec := newEvalCity(t, b, 5)
		sup := ec.users[gl.RoleSupervisor]
		ev, err := ec.svc.Evaluate(ctx, sup, service.EvalQuery{Dim: evaluation.DimGrid})
		if err != nil {
			t.Fatal(err)
		}
		deltas := map[evaluation.Key]evaluation.Counters{}
		want := map[string]evaluation.Counters{}
		for i := range 2500 {
			var c evaluation.Counters
			for j, p := range c.Fields() {
				*p = int64((i*7 + j*13) % 11)
			}
			id := fmt.Sprintf("330106%09d", i)
			deltas[evaluation.Key{Dim: evaluation.DimGrid, ID: id, Period: evaluation.Month, Start: ev.Start}] = c
			want[id] = c
		}
		if err := ec.svc.DB.Update(ctx, func(tx *store.Tx) error { return tx.AddRollups(ctx, deltas) }); err != nil {
			t.Fatal(err)
		}
		ec.svc.ResetRollupCache() // written without an event
		ev, err = ec.svc.Evaluate(ctx, sup, service.EvalQuery{Dim: evaluation.DimGrid})
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Rows) != len(want) {
			t.Fatalf("%d rows, want %d", len(ev.Rows), len(want))
		}
		ranks := map[string]int{}
		for _, r := range evaluation.Rank(want, ev.Weights) {
			ranks[r.ID] = r.Rank
		}
		for _, r := range ev.Rows {
			if r.Counters != want[r.ID] || r.Rank != ranks[r.ID] {
				t.Fatalf("row %s: rank %d counters %+v, want rank %d counters %+v", r.ID, r.Rank, r.Counters, ranks[r.ID], want[r.ID])
			}
			for k, ind := range evaluation.Indicators {
				v, ok := ind.Value(want[r.ID])
				got := r.Indicators[k]
				if got.ID != ind.ID || (got.Value != nil) != ok || ok && math.Abs(*got.Value-v) > 0.00005 {
					t.Fatalf("row %s indicator %s: %+v, want %v (%v)", r.ID, ind.ID, got, v, ok)
				}
			}
		}
	})
}
