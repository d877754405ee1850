package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/store"
)

// TestPlannerStatistics: the job refreshes statistics that went stale as a table grew
// (SQLite), and stops with its context on either store.
func TestPlannerStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openService(t, b.DSN).DB
		var err error
		save := func(prefix string, n int) {
			err := db.Update(ctx, func(tx *store.Tx) error {
				rs := make([]store.IdemResponse, n)
				for i := range rs {
					rs[i] = store.IdemResponse{IdemKey: store.IdemKey{Scope: "report:1", Key: fmt.Sprint(prefix, i)}, Status: 201, Body: []byte(`{}`)}
				}
				return tx.SaveIdempotentMany(ctx, rs)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var plain *sql.DB // the same SQLite file, to read and stale its statistics
		stat := func() string {
			var s string
			if err := plain.QueryRowContext(ctx, `SELECT coalesce(max(stat), '') FROM sqlite_stat1 WHERE tbl = 'idempotency'`).Scan(&s); err != nil {
				t.Fatal(err)
			}
			n, _, _ := strings.Cut(s, " ")
			return n
		}
		if b.Name == dbtest.SQLiteName {
			save("a", 3)
			if plain, err = sql.Open(b.DriverName(), b.DSN); err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			if _, err := plain.ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
			save("b", 97)
			if got := stat(); got != "3" {
				t.Fatalf("statistics say %q rows before the job, want the stale 3", got)
			}
		}

		jobCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			(&jobs.PlannerStatistics{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Interval: 10 * time.Millisecond}).Run(jobCtx)
			close(done)
		}()
		if plain != nil {
			for deadline := time.Now().Add(10 * time.Second); stat() != "100"; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("statistics still say %q rows, want 100", stat())
				}
			}
		} else {
			time.Sleep(50 * time.Millisecond) // a few ticks, each a no-op
		}
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the job did not stop with its context")
		}
	})
}
