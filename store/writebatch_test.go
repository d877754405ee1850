package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestSharedWrites: concurrent Updates that succeed, fail after writing, panic or come
// with an ended context each get their own outcome, whether or not their functions
// shared a transaction; on SQLite they do share.
func TestSharedWrites(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)

		// Hold the writer until the others have queued, so that they run together.
		release := make(chan struct{})
		holding := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			err := db.Update(ctx, func(tx *Tx) error {
				close(holding)
				<-release
				return tx.PutSetting(ctx, "held", "1")
			})
			if err != nil {
				t.Errorf("holding Update: %v", err)
			}
		})
		<-holding

		const n = 60
		type outcome struct {
			err      error
			panicked any
		}
		outcomes := make([]outcome, n)
		boom := errors.New("boom")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		for i := range n {
			wg.Go(func() {
				defer func() { outcomes[i].panicked = recover() }()
				c := ctx
				if i%10 == 7 {
					c = cancelled
				}
				outcomes[i].err = db.Update(c, func(tx *Tx) error {
					if err := tx.PutSetting(ctx, fmt.Sprintf("k%02d", i), "v"); err != nil {
						return err
					}
					switch i % 10 {
					case 3:
						return boom
					case 5:
						panic("kaboom")
					}
					return nil
				})
			})
		}
		if db.batcher != nil {
			waitFor(t, func() bool {
				db.batcher.mu.Lock()
				defer db.batcher.mu.Unlock()
				return len(db.batcher.queue) >= n-n/10 // the cancelled ones may return at once
			})
		}
		close(release)
		wg.Wait()

		view(t, db, func(tx *Tx) error {
			if _, ok, _ := tx.Setting(ctx, "held"); !ok {
				t.Errorf("the holding Update's write is missing")
			}
			for i := range n {
				_, ok, err := tx.Setting(ctx, fmt.Sprintf("k%02d", i))
				if err != nil {
					return err
				}
				o := outcomes[i]
				switch i % 10 {
				case 3:
					if o.err != boom || ok {
						t.Errorf("#%d: err %v, written %v; want fn's error as is, nothing written", i, o.err, ok)
					}
				case 5:
					if o.panicked == nil || !strings.Contains(fmt.Sprint(o.panicked), "kaboom") || ok {
						t.Errorf("#%d: panic %v, written %v; want the panic raised in the caller, nothing written", i, o.panicked, ok)
					}
				case 7:
					if !errors.Is(o.err, context.Canceled) || ok {
						t.Errorf("#%d: err %v, written %v; want context.Canceled, nothing written", i, o.err, ok)
					}
				default:
					if o.err != nil || o.panicked != nil || !ok {
						t.Errorf("#%d: err %v, panic %v, written %v; want written", i, o.err, o.panicked, ok)
					}
				}
			}
			return nil
		})
		if db.batcher != nil {
			commits, fns := db.batcher.sharedCommits.Load(), db.batcher.sharedFns.Load()
			if commits == 0 || fns < 36 {
				t.Errorf("shared commits %d with %d functions: want the 36 good writes to share commits", commits, fns)
			}
			if commits >= fns {
				t.Errorf("shared commits %d for %d functions: no sharing", commits, fns)
			}
		}
	})
}

// TestCloseRunsQueuedWrites: Close waits for the writes already queued, and an Update
// after Close fails.
func TestCloseRunsQueuedWrites(t *testing.T) {
	t.Parallel()
	b := dbtest.SQLite(t)
	ctx := t.Context()
	db, err := Open(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	holding := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = db.Update(ctx, func(tx *Tx) error {
			close(holding)
			<-release
			return nil
		})
	})
	<-holding
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			errs[i] = db.Update(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, fmt.Sprint("c", i), "v") })
		})
	}
	waitFor(t, func() bool {
		db.batcher.mu.Lock()
		defer db.batcher.mu.Unlock()
		return len(db.batcher.queue) == len(errs)
	})
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	waitFor(t, func() bool {
		db.batcher.mu.Lock()
		defer db.batcher.mu.Unlock()
		return db.batcher.closed
	})
	if err := db.Update(ctx, func(tx *Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close: %v, want errClosed", err)
	}
	close(release)
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	db, err = Open(ctx, b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	view(t, db, func(tx *Tx) error {
		for i := range errs {
			if _, ok, _ := tx.Setting(ctx, fmt.Sprint("c", i)); !ok {
				t.Errorf("write %d is missing after Close", i)
			}
		}
		return nil
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}
