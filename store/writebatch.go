package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite write batching. SQLite has one writer, so read-write transactions run one after
// another anyway; each of them paying its own commit (the WAL frames written, an fsync)
// made the commit a third of a workflow action's time under load (docs/benchmarks.md).
// So Update on SQLite queues its function, and one goroutine runs the queued functions
// together in one transaction, each inside a savepoint: a function that fails (or
// panics) has its own writes rolled back to its savepoint and gets its error; the others
// commit together, and every caller returns once the shared commit is durable. Nothing
// changes for one caller alone (a batch of one is a transaction of its own, as before).
//
// Inside a shared transaction statements do not stop when a caller's context ends:
// SQLite rolls back the whole transaction when a write is interrupted, which would
// take the other callers' writes with it. A caller whose context has ended before its
// function starts gets the context's error without running.

const (
	// maxWriteBatch is the most functions one shared transaction runs.
	maxWriteBatch = 32
	// writeBatchBudget closes a batch once its functions have run this long, so that
	// the first of them does not wait long for the commit.
	writeBatchBudget = 20 * time.Millisecond
)

// errClosed is returned by Update after Close.
var errClosed = errors.New("store: database closed")

type writeReq struct {
	ctx   context.Context
	fn    func(tx *Tx) error
	err   error
	panic *fnPanic
	done  chan struct{}
}

// fnPanic carries a function's panic to its caller's goroutine.
type fnPanic struct {
	value any
	stack []byte
}

type writeBatcher struct {
	db      *DB
	wake    chan struct{} // one pending wake-up at most
	stopped chan struct{} // closed when loop has returned

	mu     sync.Mutex
	queue  []*writeReq
	closed bool

	// Shared transactions committed, and the functions they committed (for tests).
	sharedCommits, sharedFns atomic.Int64
}

func newWriteBatcher(db *DB) *writeBatcher {
	b := &writeBatcher{db: db, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go b.loop()
	return b
}

// update queues fn and waits for its outcome.
func (b *writeBatcher) update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errClosed
	}
	b.queue = append(b.queue, r)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	<-r.done
	if r.panic != nil {
		panic(fmt.Sprintf("%v [recovered in the store's write batch; its stack:]\n%s", r.panic.value, r.panic.stack))
	}
	return r.err
}

// close runs what is queued, then stops the loop.
func (b *writeBatcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	<-b.stopped
}

func (b *writeBatcher) loop() {
	defer close(b.stopped)
	for range b.wake {
		for {
			b.mu.Lock()
			n := min(len(b.queue), maxWriteBatch)
			batch := make([]*writeReq, n)
			copy(batch, b.queue)
			b.queue = append(b.queue[:0], b.queue[n:]...)
			closed := b.closed
			b.mu.Unlock()
			if n == 0 {
				if closed {
					return
				}
				break
			}
			b.db.runBatch(batch)
		}
	}
}

// runBatch runs batch's functions and answers each of them.
func (db *DB) runBatch(batch []*writeReq) {
	var live []*writeReq
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = fmt.Errorf("store: begin: %w", err)
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		r := live[0]
		r.panic, r.err = callFn(func() error { return db.run(r.ctx, db.writer, db.writerStmts, &sql.TxOptions{}, r.fn) })
		close(r.done)
		return
	}
	rest := db.runShared(live)
	for _, r := range live[:len(live)-len(rest)] {
		close(r.done)
	}
	if len(rest) > 0 {
		db.runBatch(rest)
	}
}

// runShared runs the functions of live in one transaction, each in a savepoint, and
// commits. It returns the functions it did not get to run: those after one whose
// failure rolled back the whole transaction (SQLite does that on some errors, I/O or
// a full disk); they run again in a new batch.
func (db *DB) runShared(live []*writeReq) (rest []*writeReq) {
	bg := context.Background()
	db.writerStmts.prepareWaiting(bg)
	fail := func(rs []*writeReq, err error) {
		for _, r := range rs {
			if r.err == nil && r.panic == nil {
				r.err = err
			}
		}
	}
	stx, err := db.writer.BeginTx(bg, &sql.TxOptions{})
	if err != nil {
		fail(live, fmt.Errorf("store: begin: %w", err))
		return nil
	}
	tx := &Tx{tx: stx, dialect: db.dialect, cache: db.writerStmts, shared: true}
	start := time.Now()
	ran := 0
	for i, r := range live {
		if i > 0 && time.Since(start) > writeBatchBudget {
			break
		}
		ran = i + 1
		if _, err := tx.exec(bg, `SAVEPOINT batch_fn`); err != nil {
			_ = stx.Rollback()
			fail(live[:i+1], fmt.Errorf("store: savepoint: %w", err))
			return live[i+1:]
		}
		r.panic, r.err = callFn(func() error { return r.fn(tx) })
		if r.err == nil && r.panic == nil {
			if _, err := tx.exec(bg, `RELEASE batch_fn`); err != nil {
				_ = stx.Rollback()
				fail(live[:i+1], fmt.Errorf("store: release savepoint: %w", err))
				return live[i+1:]
			}
			continue
		}
		if _, err := tx.exec(bg, `ROLLBACK TO batch_fn`); err != nil {
			// The transaction is gone with r's failure: the writes of the functions
			// before r are lost too, and they fail with it.
			_ = stx.Rollback()
			fail(live[:i], fmt.Errorf("store: a transaction sharing the commit failed: %w", err))
			return live[i+1:]
		}
		if _, err := tx.exec(bg, `RELEASE batch_fn`); err != nil {
			_ = stx.Rollback()
			fail(live[:i+1], fmt.Errorf("store: release savepoint: %w", err))
			return live[i+1:]
		}
	}
	if err := stx.Commit(); err != nil {
		if e := mapErr(err); e != err {
			err = e
		} else {
			err = fmt.Errorf("store: commit: %w", err)
		}
		fail(live[:ran], err)
	} else {
		db.batcher.sharedCommits.Add(1)
		for _, r := range live[:ran] {
			if r.err == nil && r.panic == nil {
				db.batcher.sharedFns.Add(1)
			}
		}
	}
	return live[ran:]
}

// callFn calls fn, turning a panic into a value for the caller's goroutine to raise.
func callFn(fn func() error) (p *fnPanic, err error) {
	defer func() {
		if v := recover(); v != nil {
			p = &fnPanic{value: v, stack: debug.Stack()}
		}
	}()
	return nil, fn()
}
