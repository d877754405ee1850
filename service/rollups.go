package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
)

// Rollups: every event's evaluation increments (evaluation.EventIncrement) are written
// to the rollups' journal inside the transaction that records the event, so they commit
// or roll back with it, and folded into the rollups table by FoldRollups
// (rollupjournal.go) before every read and every two seconds; dashboards never scan all
// cases. RebuildRollups recomputes the table from the event log.

// EnableRollups registers the hook that keeps the rollups. New calls it.
func (s *Service) EnableRollups() { s.OnEvents(s.rollupHook) }

// evalLoc is the time zone of the evaluation's periods: the calendar's (Asia/Shanghai).
func (s *Service) evalLoc() *time.Location { return s.Calendar().Location() }

// RebuildOptions tune RebuildRollups.
type RebuildOptions struct {
	// Batch is how many cases' histories are read and folded at a time (default 2000).
	Batch int
	// FlushKeys is how many buckets are kept in memory before they are added to the
	// staging table (default 200,000).
	FlushKeys int
	// Progress, if set, is called after every batch with the cases done and the total.
	Progress func(done, total int64)
	// Verify compares the recomputed table with the live one instead of swapping it in.
	Verify bool
}

// RebuildResult says what a rebuild did.
type RebuildResult struct {
	Cases   int64 `json:"cases"`
	Events  int64 `json:"events"`
	Buckets int64 `json:"buckets"`
	// Tail is how many cases got events while the rebuild ran; their new events were
	// folded in at the swap.
	Tail int `json:"tail"`
	// Differences (Verify only) lists the buckets where the live table differs from the
	// recomputation, at most 100 of them; DiffCount counts them all.
	Differences []RollupDiff `json:"differences,omitempty"`
	DiffCount   int          `json:"diff_count"`
	// CategoryDiffs (Verify only) counts the (month, category) rows of category_months
	// that differ from a count of the cases.
	CategoryDiffs int  `json:"category_diffs"`
	Swapped       bool `json:"swapped"`
}

// RollupDiff is one bucket where the live rollups and a recomputation disagree.
type RollupDiff struct {
	Key        evaluation.Key      `json:"key"`
	Live       evaluation.Counters `json:"live"`
	Recomputed evaluation.Counters `json:"recomputed"`
}

const rebuildSetting = "rollups.rebuild"

// RebuildRollups recomputes the rollups from the event log (evaluation.RecomputeWith,
// with this service's stage limits and each case's place from the cases table) and
// swaps them in, in one transaction; category_months is recounted from the cases table
// in the same transaction.
//
// It reads in batches of cases through read-only transactions (on SQLite they never
// hold the writer) and adds each batch's buckets to rollups_staging. The events it
// folds are those up to the newest event id when it started (on PostgreSQL it briefly
// locks the events table first, so every event up to that id is committed). Events
// recorded meanwhile keep updating the live table; at the swap, with appends locked
// out, the histories of the cases that got new events are folded whole and without
// their new events, and the difference (exactly the new events' increments) is added,
// so the swapped-in table counts every event once. One rebuild at a time: a second one
// started meanwhile makes the first fail at the swap.
func (s *Service) RebuildRollups(ctx context.Context, opt RebuildOptions) (*RebuildResult, error) {
	if opt.Batch <= 0 {
		opt.Batch = 2000
	}
	if opt.FlushKeys <= 0 {
		opt.FlushKeys = 200_000
	}
	tok := make([]byte, 8)
	rand.Read(tok)
	token := hex.EncodeToString(tok)
	var maxEvent int64
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.LockEvents(ctx); err != nil {
			return err
		}
		var err error
		if maxEvent, err = tx.MaxEventID(ctx); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, rebuildSetting, token); err != nil {
			return err
		}
		return tx.ClearRollupsStaging(ctx)
	})
	if err != nil {
		return nil, err
	}
	res := &RebuildResult{}
	var total int64
	if err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		total, err = tx.CountCases(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	acc := map[evaluation.Key]evaluation.Counters{}
	flush := func() error {
		if len(acc) == 0 {
			return nil
		}
		err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.AddRollupsStaging(ctx, acc) })
		acc = map[evaluation.Key]evaluation.Counters{}
		return err
	}
	var after int64
	for {
		var histories [][]gl.Event
		var places map[int64]store.Place
		var ids []int64
		err := s.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			if ids, err = tx.CaseIDsAfter(ctx, after, opt.Batch); err != nil || len(ids) == 0 {
				return err
			}
			lo, hi := ids[0], ids[len(ids)-1]
			if histories, err = tx.CaseHistories(ctx, lo, hi, maxEvent); err != nil {
				return err
			}
			places, err = tx.CasePlaces(ctx, lo, hi)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		for k, c := range s.recompute(histories, places) {
			a := acc[k]
			a.Add(c)
			acc[k] = a
		}
		for _, h := range histories {
			res.Events += int64(len(h))
		}
		res.Cases += int64(len(ids))
		if len(acc) >= opt.FlushKeys {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if opt.Progress != nil {
			opt.Progress(res.Cases, max(total, res.Cases))
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}

	err = s.DB.Update(ctx, func(tx *store.Tx) error {
		// Folds wait (a fold in flight would add its entries to the table being
		// replaced), then appends.
		if err := tx.LockRollupFold(ctx); err != nil {
			return err
		}
		if err := tx.LockEvents(ctx); err != nil {
			return err
		}
		if v, _, err := tx.Setting(ctx, rebuildSetting); err != nil {
			return err
		} else if v != token {
			return gl.Errorf(gl.ECONFLICT, "另一次汇总重建已开始，本次放弃 (another rollup rebuild started meanwhile)")
		}
		// The events recorded since the rebuild started: fold their cases with and
		// without them, and add the difference.
		tail, err := tx.CasesWithEventsAfter(ctx, maxEvent)
		if err != nil {
			return err
		}
		res.Tail = len(tail)
		if len(tail) > 0 {
			full, err := tx.HistoriesOf(ctx, tail, 0)
			if err != nil {
				return err
			}
			prefix, err := tx.HistoriesOf(ctx, tail, maxEvent)
			if err != nil {
				return err
			}
			places, err := tx.CasePlacesOf(ctx, tail)
			if err != nil {
				return err
			}
			diff := s.recompute(full, places)
			for k, c := range s.recompute(prefix, places) {
				d := diff[k]
				sub(&d, c)
				diff[k] = d
			}
			if err := tx.AddRollupsStaging(ctx, diff); err != nil {
				return err
			}
		}
		if res.Buckets, err = tx.CountRollups(ctx, true); err != nil {
			return err
		}
		if opt.Verify {
			// The live figures are the table and the journal.
			if err := foldAll(ctx, tx); err != nil {
				return err
			}
			if err := s.diffRollups(ctx, tx, res); err != nil {
				return err
			}
			if res.CategoryDiffs, err = tx.CategoryMonthDifferences(ctx); err != nil {
				return err
			}
			if err := tx.ClearRollupsStaging(ctx); err != nil {
				return err
			}
		} else {
			if err := tx.SwapRollups(ctx); err != nil {
				return err
			}
			// The swapped-in table counts every event the journal holds.
			if err := tx.ClearRollupJournal(ctx); err != nil {
				return err
			}
			// Counted from the cases table here, where no case changes meanwhile.
			if err := tx.RebuildCategoryMonths(ctx); err != nil {
				return err
			}
			res.Swapped = true
		}
		return tx.PutSetting(ctx, rebuildSetting, "")
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// recompute folds histories with the service's stage limits and the cases' places.
func (s *Service) recompute(histories [][]gl.Event, places map[int64]store.Place) map[evaluation.Key]evaluation.Counters {
	return evaluation.RecomputeWith(histories, s.evalLoc(), evaluation.Options{
		StageLimits: s.Policy.StageLimits,
		Place: func(id int64) (string, string, string, bool) {
			p, ok := places[id]
			return p.Area, p.Grid, p.RespGrid, ok
		},
	})
}

// sub subtracts d from c, counter by counter.
func sub(c *evaluation.Counters, d evaluation.Counters) {
	cf, df := c.Fields(), d.Fields()
	for i := range cf {
		*cf[i] -= *df[i]
	}
}

// diffRollups compares the staging table with the live one.
func (s *Service) diffRollups(ctx context.Context, tx *store.Tx, res *RebuildResult) error {
	live, staged, err := tx.RollupDifferences(ctx)
	if err != nil {
		return err
	}
	keys := make([]evaluation.Key, 0, len(live)+len(staged))
	for k := range live {
		keys = append(keys, k)
	}
	for k := range staged {
		if _, ok := live[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b evaluation.Key) int {
		return cmp.Or(cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Period, b.Period), cmp.Compare(a.Start, b.Start), cmp.Compare(a.ID, b.ID))
	})
	res.DiffCount = len(keys)
	for _, k := range keys[:min(len(keys), 100)] {
		res.Differences = append(res.Differences, RollupDiff{Key: k, Live: live[k], Recomputed: staged[k]})
	}
	return nil
}

// CheckRollups recomputes the rollups and compares them with the live table without
// changing it (RebuildRollups with Verify).
func (s *Service) CheckRollups(ctx context.Context, progress func(done, total int64)) (*RebuildResult, error) {
	return s.RebuildRollups(ctx, RebuildOptions{Progress: progress, Verify: true})
}

// String summarizes a rebuild for the command line.
func (r *RebuildResult) String() string {
	s := fmt.Sprintf("%d cases, %d events, %d buckets", r.Cases, r.Events, r.Buckets)
	if r.Tail > 0 {
		s += fmt.Sprintf(", %d cases with events recorded during the rebuild", r.Tail)
	}
	return s
}
