package store

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// idempotencyStat is the row count SQLite's statistics give the idempotency table
// ("" when it has none).
func idempotencyStat(t *testing.T, db *DB) string {
	t.Helper()
	var stat string
	view(t, db, func(tx *Tx) error {
		err := tx.queryRow(t.Context(), `SELECT coalesce(max(stat), '') FROM sqlite_stat1 WHERE tbl = 'idempotency'`).Scan(&stat)
		return err
	})
	n, _, _ := strings.Cut(stat, " ")
	return n
}

// saveAnswers saves n answers with keys prefix0… in one transaction.
func saveAnswers(t *testing.T, db *DB, prefix string, n int) {
	t.Helper()
	update(t, db, func(tx *Tx) error {
		rs := make([]IdemResponse, n)
		for i := range rs {
			rs[i] = IdemResponse{IdemKey{"report:1", fmt.Sprint(prefix, i)}, 201, []byte(`{}`)}
		}
		return tx.SaveIdempotentMany(t.Context(), rs)
	})
}

// TestOptimizeRefreshesStaleStatistics: statistics taken while a table was small are
// refreshed by Optimize once it has grown tenfold, and by reopening the store.
func TestOptimizeRefreshesStaleStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		if b.Name != dbtest.SQLiteName {
			if err := db.Optimize(t.Context()); err != nil {
				t.Fatalf("Optimize on %s: %v", b.Name, err)
			}
			return
		}
		saveAnswers(t, db, "a", 5)
		update(t, db, func(tx *Tx) error { _, err := tx.exec(t.Context(), `ANALYZE`); return err })
		if got := idempotencyStat(t, db); got != "5" {
			t.Fatalf("after ANALYZE: statistics say %q rows, want 5", got)
		}
		saveAnswers(t, db, "b", 95)
		if got := idempotencyStat(t, db); got != "5" {
			t.Fatalf("before Optimize: statistics say %q rows, want the stale 5", got)
		}
		if err := db.Optimize(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := idempotencyStat(t, db); got != "100" {
			t.Errorf("after Optimize: statistics say %q rows, want 100", got)
		}

		// Grown tenfold while closed (another process wrote): refreshed at open.
		saveAnswers(t, db, "c", 900)
		update(t, db, func(tx *Tx) error {
			_, err := tx.exec(t.Context(), `UPDATE sqlite_stat1 SET stat = '100 1' WHERE tbl = 'idempotency'`)
			return err
		})
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db2, err := Open(t.Context(), b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if got := idempotencyStat(t, db2); got != "1000" {
			t.Errorf("after reopening: statistics say %q rows, want 1000", got)
		}
	})
}
