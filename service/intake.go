package service

// Group commit for intake.
//
// A durable commit costs one fsync (SQLite, synchronous=FULL) or one WAL flush
// (PostgreSQL, synchronous_commit=on); done once per report, it bounds intake at the
// disk's flush rate and serializes every report behind the one before. Instead, Report
// hands its prepared case to the Service's committer, which writes the reports that
// arrive together in one transaction (multi-row inserts, one counter update per day)
// and commits once. Every caller is answered only after that COMMIT has returned, so
// an acknowledged report is exactly as durable as before; nothing is acknowledged from
// memory.
//
// One bad report does not fail its batch: what can fail for one report alone (an unknown
// category, an idempotency replay) is checked first and answered on its own, without
// writing; if the batch transaction still fails (a hook's error, a constraint, a
// serialization failure), it is rolled back and every report in it is retried in a
// transaction of its own, so only the report that causes the failure sees it.
//
// The committer is one goroutine per Service, started by the first report and ended
// when the queue is empty. A batch is what queued while the previous one was written,
// up to MaxBatch reports: while a batch commits, the next one fills. By default it
// does not wait for more (MaxWait): under load the queue is full by then anyway, and a
// wait only idles the one writer. A caller that reports alone never waits.

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// GroupCommit tunes intake's group commit. The zero value is the default.
type GroupCommit struct {
	// Off writes every report in a transaction of its own, in the caller's goroutine
	// (for comparison; the durability is the same).
	Off bool
	// MaxBatch is the most reports one transaction writes (default 64).
	MaxBatch int
	// MaxWait is how long a batch waits for more reports once it has one, when the
	// previous batch showed concurrent callers (default 0: it does not wait; on an
	// idle machine with a fast disk a 1 ms wait cost 6–27 % of SQLite's intake, and it
	// made no difference on PostgreSQL: docs/benchmarks.md).
	MaxWait time.Duration
}

const (
	defaultMaxBatch = 64
	// batchTimeout bounds one batch transaction: it does not run under any one
	// caller's context, since callers come and go independently.
	batchTimeout = time.Minute
)

// savedReport is the answer to a report saved under its Idempotency-Key: the case's
// id and the tracking token, in ReportResult's shape (answers saved before 2026-12-07
// hold the whole case; a replay reads the id and the token of either).
type savedReport struct {
	Case          savedCase `json:"case"`
	TrackingToken string    `json:"tracking_token"`
}

type savedCase struct {
	ID int64 `json:"id"`
}

// intakeReq is one report on its way through the committer.
type intakeReq struct {
	ctx    context.Context
	c      *gl.Case // prepared: placed, with status and limits; ID and Code set in the batch
	ev     gl.Event // the report event; CaseID set in the batch
	token  string
	scope  string
	key    string // Idempotency-Key, or ""
	day    string // local day of the case code
	res    *ReportResult
	err    error
	done   chan struct{}
	replay bool       // the key was answered before: res is that answer
	dupOf  *intakeReq // same key earlier in the batch: answered as that one is
}

// committer is the Service's intake queue.
type committer struct {
	mu      sync.Mutex
	queue   []*intakeReq
	running bool
	wake    chan struct{} // a report was queued (capacity 1)
	last    int           // size of the previous batch

	stats IntakeStats // under mu
}

// IntakeStats counts the committer's work since the Service started.
type IntakeStats struct {
	Batches int64 `json:"batches"` // transactions that wrote reports together
	Reports int64 `json:"reports"` // reports in them
	Retried int64 `json:"retried"` // reports written again alone after their batch failed
}

// IntakeStats says how intake's group commit has batched so far.
func (s *Service) IntakeStats() IntakeStats {
	s.intake.mu.Lock()
	defer s.intake.mu.Unlock()
	return s.intake.stats
}

func (s *Service) groupCommit() GroupCommit {
	g := s.Intake
	if g.MaxBatch <= 0 {
		g.MaxBatch = defaultMaxBatch
	}
	return g
}

// submit writes r through the committer and waits for its answer: after the COMMIT
// of its batch (or the rollback). If ctx ends first the caller gets ctx's error; the
// report may still have been written, as with any request whose answer is lost.
func (s *Service) submit(ctx context.Context, r *intakeReq) (*ReportResult, error) {
	g := s.groupCommit()
	r.ctx, r.done = ctx, make(chan struct{})
	if g.Off {
		s.commitBatch([]*intakeReq{r})
		return r.res, r.err
	}
	q := &s.intake
	q.mu.Lock()
	if q.wake == nil {
		q.wake = make(chan struct{}, 1)
	}
	q.queue = append(q.queue, r)
	if !q.running {
		q.running = true
		go s.commitLoop(g)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// commitLoop takes batches off the queue until it is empty.
func (s *Service) commitLoop(g GroupCommit) {
	q := &s.intake
	var timer *time.Timer
	for {
		q.mu.Lock()
		n, last := len(q.queue), q.last
		if n == 0 {
			q.running, q.last = false, 0 // after a pause, the first report does not wait
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		// Linger for more reports only when callers have been arriving together.
		if n < g.MaxBatch && last > 1 && g.MaxWait > 0 {
			if timer == nil {
				timer = time.NewTimer(g.MaxWait)
			} else {
				timer.Reset(g.MaxWait)
			}
		wait:
			for {
				select {
				case <-q.wake:
					q.mu.Lock()
					n = len(q.queue)
					q.mu.Unlock()
					if n >= g.MaxBatch {
						break wait
					}
				case <-timer.C:
					break wait
				}
			}
			timer.Stop()
		}
		q.mu.Lock()
		k := min(len(q.queue), g.MaxBatch)
		batch := slices.Clone(q.queue[:k])
		q.queue = slices.Delete(q.queue, 0, k)
		q.last = k
		q.mu.Unlock()
		s.commitBatch(batch)
	}
}

// commitBatch writes batch in one transaction and answers every report in it. If the
// transaction fails, each report is tried again alone.
func (s *Service) commitBatch(batch []*intakeReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err // the caller is gone: write nothing for it
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	err := s.writeBatch(live)
	q := &s.intake
	q.mu.Lock()
	q.stats.Batches++
	q.stats.Reports += int64(len(live))
	if err != nil && len(live) > 1 {
		q.stats.Retried += int64(len(live))
	}
	q.mu.Unlock()
	if err != nil && len(live) > 1 {
		for _, r := range live {
			r.reset()
			s.commitBatch([]*intakeReq{r})
		}
		return
	}
	for _, r := range live {
		if err != nil {
			r.res, r.err = nil, err
		}
		close(r.done)
	}
}

// writeBatch runs writeReports in a transaction of its own. A panic (in a hook, say) is
// the batch's error, as the HTTP server would make it a 500: the committer must live on.
func (s *Service) writeBatch(live []*intakeReq) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("intake: panic while writing reports", "panic", p, "stack", string(debug.Stack()))
			err = gl.Errorf(gl.EINTERNAL, "internal error")
		}
	}()
	return s.DB.Update(ctx, func(tx *store.Tx) error { return s.writeReports(ctx, tx, live) })
}

// reset forgets what a failed batch wrote into r, so that it can be written again.
func (r *intakeReq) reset() {
	r.c.ID, r.c.Code = 0, ""
	r.ev.ID, r.ev.CaseID, r.ev.Seq = 0, 0, 0
	r.res, r.err, r.replay, r.dupOf = nil, nil, false, nil
}

// writeReports writes the reports of one batch in tx. A report that fails on its own
// gets its error in r.err and is not written; an error returned fails the transaction.
func (s *Service) writeReports(ctx context.Context, tx *store.Tx, batch []*intakeReq) error {
	// 1. Idempotency replays, and the same key twice in one batch.
	first := map[store.IdemKey]*intakeReq{}
	var keys []store.IdemKey
	for _, r := range batch {
		if r.key == "" {
			continue
		}
		k := store.IdemKey{Scope: r.scope, Key: r.key}
		if f := first[k]; f != nil {
			r.dupOf = f
			continue
		}
		first[k] = r
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		saved, err := tx.IdempotentMany(ctx, keys)
		if err != nil {
			return err
		}
		for k, body := range saved {
			r := first[k]
			var ans savedReport
			if err := json.Unmarshal(body, &ans); err != nil || ans.Case.ID == 0 {
				return fmt.Errorf("service: saved answer to %s: %v", r.key, err)
			}
			// The case as it is now, with the token from the first answer.
			c, err := tx.CaseByID(ctx, ans.Case.ID)
			if err != nil {
				return err
			}
			r.res, r.replay = &ReportResult{Case: c, TrackingToken: ans.TrackingToken}, true
		}
	}

	// 2. Categories, once per batch.
	var codes []string
	for _, r := range batch {
		if r.dupOf == nil && !r.replay && r.c.CategoryCode != "" && !slices.Contains(codes, r.c.CategoryCode) {
			codes = append(codes, r.c.CategoryCode)
		}
	}
	active, err := tx.ActiveCategories(ctx, codes)
	if err != nil {
		return err
	}
	var todo []*intakeReq
	for _, r := range batch {
		switch {
		case r.dupOf != nil || r.replay:
		case r.c.CategoryCode != "" && !active[r.c.CategoryCode]:
			r.err = gl.FieldError("category_code", "未知的问题类别「%s」", r.c.CategoryCode)
		default:
			todo = append(todo, r)
		}
	}

	// 3. Case codes: one counter update per day (two days only across midnight).
	if len(todo) > 0 {
		byDay := map[string][]*intakeReq{}
		var days []string
		for _, r := range todo {
			if _, ok := byDay[r.day]; !ok {
				days = append(days, r.day)
			}
			byDay[r.day] = append(byDay[r.day], r)
		}
		slices.Sort(days) // the same lock order on every node
		for _, day := range days {
			rs := byDay[day]
			seq, err := tx.ReserveCaseSeqs(ctx, day, len(rs))
			if err != nil {
				return err
			}
			for i, r := range rs {
				r.c.Code = fmt.Sprintf("%s%05d", day, seq+int64(i))
			}
		}

		// 4. Cases, their report events, the hooks.
		cases := make([]*gl.Case, len(todo))
		for i, r := range todo {
			cases[i] = r.c
		}
		if err := tx.InsertCases(ctx, cases); err != nil {
			return err
		}
		events := make([]*gl.Event, len(todo))
		for i, r := range todo {
			r.ev.CaseID, r.ev.Seq = r.c.ID, 1
			events[i] = &r.ev
		}
		if err := tx.InsertEvents(ctx, events); err != nil {
			return err
		}
		changes := make([]Change, len(todo))
		for i, r := range todo {
			changes[i] = Change{After: r.c, Event: &r.ev}
		}
		if err := s.runHooks(ctx, tx, changes); err != nil {
			return err
		}

		// 5. Answers, saved under their keys: only what a replay needs (1. reads the
		// case as it is then), not the whole case — less for the one writer to encode
		// and write, and no copy of the reporter's details outside the case row.
		var saves []store.IdemResponse
		for _, r := range todo {
			r.res = &ReportResult{Case: r.c, TrackingToken: r.token}
			if r.key != "" {
				body, err := json.Marshal(savedReport{Case: savedCase{ID: r.c.ID}, TrackingToken: r.token})
				if err != nil {
					return err
				}
				saves = append(saves, store.IdemResponse{IdemKey: store.IdemKey{Scope: r.scope, Key: r.key}, Status: 201, Body: body})
			}
		}
		if err := tx.SaveIdempotentMany(ctx, saves); err != nil {
			return err
		}
	}

	// 6. A repeated key gets the answer its first use gets.
	for _, r := range batch {
		if f := r.dupOf; f != nil {
			r.err = f.err
			if f.res != nil {
				res := *f.res
				c := *f.res.Case
				res.Case = &c
				r.res, r.replay = &res, true
			}
		}
	}
	return nil
}
