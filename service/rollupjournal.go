package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
)

// The rollups' journal. Adding an event's increments straight to the rollups table
// dirtied some twenty scattered buckets per report, and on SQLite's single writer those
// page writes halved intake (docs/benchmarks.md). So a transaction that records events
// appends one journal entry instead, in the same transaction: one line per event that
// counts (evaluation.Increment's text, prefixed "i") and one per change of the category
// counts (prefixed "c"). FoldRollups deletes entries and adds their sum to the tables in
// one transaction, so tables and journal together count every committed event exactly
// once, whatever crashes; reads fold first (foldForRead), so every figure counts every
// event committed before it was asked for; and serve folds every two seconds
// (jobs.RollupFold), so that many reports' increments to the same bucket are written
// once.

const (
	journalIncrement = 'i'
	journalCategory  = 'c'
	journalSep       = '\x1f'
	// foldEntries is how many journal entries one fold transaction takes.
	foldEntries = 2000
)

var journalBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// rollupHook appends the journal entry of a transaction's events (one event, or a batch
// of reports from intake's group commit). It also counts the cases by month reported
// and category (category_months) when a case is reported or changes category.
func (s *Service) rollupHook(ctx context.Context, tx *store.Tx, changes []Change) error {
	loc := s.evalLoc()
	bp := journalBufs.Get().(*[]byte)
	defer journalBufs.Put(bp)
	b := (*bp)[:0]
	for _, ch := range changes {
		before := ch.Before
		if before == nil { // the report: the increment wants the case as created
			before = ch.After
		}
		if ch.Before == nil || ch.Before.CategoryCode != ch.After.CategoryCode {
			month := evaluation.PeriodStart(evaluation.Month, ch.After.CreatedAt, loc).Format("2006-01-02")
			if ch.Before != nil {
				b = appendCategoryLine(b, store.CategoryMonth{Month: month, Category: ch.Before.CategoryCode, Area: ch.Before.AreaCode}, -1)
			}
			b = appendCategoryLine(b, store.CategoryMonth{Month: month, Category: ch.After.CategoryCode, Area: ch.After.AreaCode}, 1)
		}
		if inc, ok := evaluation.EventIncrement(before, *ch.Event, loc); ok {
			b = append(b, journalIncrement, journalSep)
			b = inc.AppendText(b)
			b = append(b, '\n')
		}
	}
	*bp = b
	if len(b) == 0 {
		return nil
	}
	return tx.AppendRollupJournal(ctx, string(b))
}

func appendCategoryLine(b []byte, k store.CategoryMonth, n int64) []byte {
	b = append(b, journalCategory, journalSep)
	b = append(b, k.Month...)
	b = append(b, journalSep)
	b = append(b, k.Category...)
	b = append(b, journalSep)
	b = append(b, k.Area...)
	b = append(b, journalSep)
	b = strconv.AppendInt(b, n, 10)
	return append(b, '\n')
}

// journalSums is the sum of journal entries.
type journalSums struct {
	rollups map[evaluation.Key]evaluation.Counters
	cats    map[store.CategoryMonth]int64
}

// add adds one journal entry.
func (j *journalSums) add(entry string) error {
	for line := range strings.SplitSeq(strings.TrimSuffix(entry, "\n"), "\n") {
		if len(line) < 2 || line[1] != journalSep {
			return fmt.Errorf("rollup journal: bad line %q", line)
		}
		switch line[0] {
		case journalIncrement:
			inc, err := evaluation.ParseIncrement(line[2:])
			if err != nil {
				return fmt.Errorf("rollup journal: %w", err)
			}
			inc.AddTo(j.rollups)
		case journalCategory:
			f := strings.Split(line[2:], string(journalSep))
			if len(f) != 4 {
				return fmt.Errorf("rollup journal: bad category line %q", line)
			}
			n, err := strconv.ParseInt(f[3], 10, 64)
			if err != nil {
				return fmt.Errorf("rollup journal: bad category line %q", line)
			}
			j.cats[store.CategoryMonth{Month: f[0], Category: f[1], Area: f[2]}] += n
		default:
			return fmt.Errorf("rollup journal: bad line %q", line)
		}
	}
	return nil
}

// FoldRollups adds the journal's entries to the rollups and the category counts and
// deletes them, a transaction per foldEntries entries, until the journal is empty. It
// returns how many entries it folded. Safe on many nodes: folds take turns
// (store.Tx.LockRollupFold).
func (s *Service) FoldRollups(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.DB.Update(ctx, func(tx *store.Tx) error {
			var err error
			n, err = foldJournal(ctx, tx, foldEntries)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("fold rollups: %w", err)
		}
		total += n
		if n < foldEntries {
			return total, nil
		}
	}
}

// foldJournal folds up to limit journal entries in tx and returns how many it took.
func foldJournal(ctx context.Context, tx *store.Tx, limit int) (int, error) {
	if err := tx.LockRollupFold(ctx); err != nil {
		return 0, err
	}
	entries, err := tx.TakeRollupJournal(ctx, limit)
	if err != nil || len(entries) == 0 {
		return 0, err
	}
	sums := journalSums{rollups: map[evaluation.Key]evaluation.Counters{}, cats: map[store.CategoryMonth]int64{}}
	for _, e := range entries {
		if err := sums.add(e); err != nil {
			return 0, err
		}
	}
	if err := tx.AddRollups(ctx, sums.rollups); err != nil {
		return 0, err
	}
	if err := tx.AddCategoryMonths(ctx, sums.cats); err != nil {
		return 0, err
	}
	return len(entries), nil
}

// foldAll folds the whole journal in tx (a rebuild's check, which compares the tables).
func foldAll(ctx context.Context, tx *store.Tx) error {
	for {
		n, err := foldJournal(ctx, tx, foldEntries)
		if err != nil || n < foldEntries {
			return err
		}
	}
}

// foldForRead folds the journal when it holds entries, so that a read of the rollups
// that follows counts every event committed before it.
func (s *Service) foldForRead(ctx context.Context) error {
	var pending bool
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		pending, err = tx.RollupJournalPending(ctx)
		return err
	})
	if err != nil || !pending {
		return err
	}
	_, err = s.FoldRollups(ctx)
	return err
}
