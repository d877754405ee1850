package store

import (
	"testing"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
)

func key(dim evaluation.Dimension, id string, p evaluation.Period, start string) evaluation.Key {
	return evaluation.Key{Dim: dim, ID: id, Period: p, Start: start}
}

// TestRollupColumns: the rollups tables have one column per counter, named and ordered
// as evaluation.CounterFields, so that a counter added to the package fails here until
// a migration adds its column.
func TestRollupColumns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		for _, table := range []string{rollupsLive, rollupsStaging} {
			view(t, db, func(tx *Tx) error {
				rows, err := tx.query(t.Context(), `SELECT * FROM `+table+` WHERE 1 = 0`)
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, err := rows.Columns()
				if err != nil {
					return err
				}
				want := append([]string{"dim", "id", "period", "start"}, evaluation.CounterFields...)
				equal(t, table+" columns", cols, want)
				return nil
			})
		}
	})
}

func TestRollups(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		cityDay := key(evaluation.DimCity, "all", evaluation.Day, "2026-11-02")
		cityDay2 := key(evaluation.DimCity, "all", evaluation.Day, "2026-11-03")
		street := key(evaluation.DimArea, "330106002", evaluation.Day, "2026-11-02")
		community := key(evaluation.DimArea, "330106002056", evaluation.Day, "2026-11-02")
		other := key(evaluation.DimArea, "330105001001", evaluation.Day, "2026-11-03")
		// Two transactions add to the same buckets: counters add up.
		update(t, db, func(tx *Tx) error {
			return tx.AddRollups(ctx, map[evaluation.Key]evaluation.Counters{
				cityDay: {Reported: 1}, street: {Reported: 1}, community: {Reported: 1},
				key(evaluation.DimCity, "all", evaluation.Month, "2026-11-01"): {}, // zero: not written
			})
		})
		update(t, db, func(tx *Tx) error {
			return tx.AddRollups(ctx, map[evaluation.Key]evaluation.Counters{
				cityDay: {Registered: 1, RegisteredOnTime: 1}, cityDay2: {Reported: 2, Closed: 1},
				community: {Registered: 1}, other: {Reported: 4},
			})
		})
		// Many rows in one call (SQLite: the prepared-statement path).
		many := map[evaluation.Key]evaluation.Counters{}
		for i := range 700 {
			many[key(evaluation.DimGrid, "g"+string(rune('A'+i%26))+string(rune('a'+i/26)), evaluation.Day, "2026-11-02")] = evaluation.Counters{Reported: 1}
		}
		many[cityDay] = evaluation.Counters{Reported: 3}
		update(t, db, func(tx *Tx) error { return tx.AddRollups(ctx, many) })

		view(t, db, func(tx *Tx) error {
			n, err := tx.CountRollups(ctx, false)
			if err != nil {
				return err
			}
			equal(t, "buckets", n, int64(5+700))
			rows, err := tx.Rollups(ctx, RollupQuery{Dim: evaluation.DimCity, Period: evaluation.Day, From: "2026-11-01", To: "2026-11-30"})
			if err != nil {
				return err
			}
			equal(t, "city days", rows, []RollupRow{
				{Key: cityDay, Counters: evaluation.Counters{Reported: 4, Registered: 1, RegisteredOnTime: 1}},
				{Key: cityDay2, Counters: evaluation.Counters{Reported: 2, Closed: 1}},
			})
			// Summed over days per member, one level, only some counters.
			rows, err = tx.Rollups(ctx, RollupQuery{Dim: evaluation.DimArea, Period: evaluation.Day, From: "2026-11-02", To: "2026-11-03",
				IDLen: 12, GroupBy: GroupByID, Fields: []string{"reported"}})
			if err != nil {
				return err
			}
			equal(t, "communities", rows, []RollupRow{
				{Key: key(evaluation.DimArea, "330105001001", evaluation.Day, "2026-11-02"), Counters: evaluation.Counters{Reported: 4}},
				{Key: community, Counters: evaluation.Counters{Reported: 1}},
			})
			// Summed over members per day, under a prefix; only buckets with registrations.
			rows, err = tx.Rollups(ctx, RollupQuery{Dim: evaluation.DimArea, Period: evaluation.Day, From: "2026-11-01", To: "2026-11-30",
				IDPrefixes: []string{"330106"}, GroupBy: GroupStart})
			if err != nil {
				return err
			}
			equal(t, "street by day", rows, []RollupRow{{Key: evaluation.Key{Dim: evaluation.DimArea, Period: evaluation.Day, Start: "2026-11-02"},
				Counters: evaluation.Counters{Reported: 2, Registered: 1}}})
			rows, err = tx.Rollups(ctx, RollupQuery{Dim: evaluation.DimArea, Period: evaluation.Day, From: "2026-11-02",
				IDs: []string{"330106002056", "330106002"}, NonZero: []string{"registered"}})
			if err != nil {
				return err
			}
			equal(t, "with registrations", rows, []RollupRow{{Key: community, Counters: evaluation.Counters{Reported: 1, Registered: 1}}})
			sums, err := tx.SumByID(ctx, RollupQuery{Dim: evaluation.DimArea, Period: evaluation.Day, From: "2026-11-01", To: "2026-11-30",
				IDLen: 12, NonZero: []string{"reported"}}, "reported")
			if err != nil {
				return err
			}
			equal(t, "reports per community", sums, map[string]int64{"330106002056": 1, "330105001001": 4})
			if _, err := tx.Rollups(ctx, RollupQuery{Dim: evaluation.DimArea, Period: evaluation.Day, From: "2026-11-02", Fields: []string{"charm"}}); gridloop.ErrorCode(err) != gridloop.EINVALID {
				t.Errorf("unknown counter: %v", err)
			}
			return nil
		})

		// Staging, compare, swap.
		update(t, db, func(tx *Tx) error {
			if err := tx.AddRollupsStaging(ctx, map[evaluation.Key]evaluation.Counters{cityDay: {Reported: 9}, street: {Reported: 1}}); err != nil {
				return err
			}
			live, staged, err := tx.RollupDifferences(ctx)
			if err != nil {
				return err
			}
			if len(staged) != 1 || staged[cityDay].Reported != 9 || live[cityDay].Reported != 4 || len(live) != 5+700-1 {
				t.Errorf("differences: %d live, %d staged", len(live), len(staged))
			}
			return tx.SwapRollups(ctx)
		})
		view(t, db, func(tx *Tx) error {
			n, _ := tx.CountRollups(ctx, false)
			s, _ := tx.CountRollups(ctx, true)
			equal(t, "after the swap: live, staging", [2]int64{n, s}, [2]int64{2, 0})
			return nil
		})
		update(t, db, func(tx *Tx) error { return tx.TruncateRollups(ctx) })
		view(t, db, func(tx *Tx) error {
			n, _ := tx.CountRollups(ctx, false)
			equal(t, "after truncate", n, int64(0))
			return nil
		})
	})
}

// TestRollupHistories checks the reads a rebuild makes: case ids in batches, their
// histories up to an event id, the cases with newer events, their places.
func TestRollupHistories(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		a, c := minimalCase("A"), minimalCase("C")
		a.AreaCode, a.GridCode = "330106002056", "330106002056001"
		insertCase(t, db, a)
		insertCase(t, db, c)
		var evs []gridloop.Event
		update(t, db, func(tx *Tx) error {
			for i, id := range []int64{a.ID, c.ID, a.ID, c.ID} {
				e := gridloop.Event{CaseID: id, Action: gridloop.ActionComment, Role: gridloop.RoleOperator, At: at(i)}
				if err := tx.AppendEvent(ctx, &e); err != nil {
					return err
				}
				evs = append(evs, e)
			}
			return nil
		})
		view(t, db, func(tx *Tx) error {
			ids, err := tx.CaseIDsAfter(ctx, 0, 1)
			if err != nil {
				return err
			}
			equal(t, "first batch", ids, []int64{a.ID})
			hs, err := tx.CaseHistories(ctx, a.ID, c.ID, evs[1].ID)
			if err != nil {
				return err
			}
			equal(t, "histories up to the second event", hs, [][]gridloop.Event{{evs[0]}, {evs[1]}})
			tail, err := tx.CasesWithEventsAfter(ctx, evs[1].ID)
			if err != nil {
				return err
			}
			equal(t, "cases with newer events", tail, []int64{a.ID, c.ID})
			full, err := tx.HistoriesOf(ctx, []int64{c.ID}, 0)
			if err != nil {
				return err
			}
			equal(t, "C's history", full, [][]gridloop.Event{{evs[1], evs[3]}})
			places, err := tx.CasePlaces(ctx, a.ID, c.ID)
			if err != nil {
				return err
			}
			equal(t, "A's place", places[a.ID], Place{Area: "330106002056", Grid: "330106002056001"})
			max, err := tx.MaxEventID(ctx)
			equal(t, "max event id", max, evs[3].ID)
			return err
		})
	})
}
