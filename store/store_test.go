package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// openDB opens and migrates a fresh database on b, closed when the test ends.
func openDB(t *testing.T, b dbtest.Backend) *DB {
	t.Helper()
	db, err := Open(t.Context(), b.DSN)
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// update and view run fn in a transaction and fail the test on error.
func update(t *testing.T, db *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := db.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func view(t *testing.T, db *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := db.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantCode fails unless err has the gridloop error code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := gridloop.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// equal fails with both values as JSON unless they are deeply equal.
func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func ptr[T any](v T) *T { return &v }

// at is a fixed UTC time, minutes after 2025-03-01 08:00 UTC.
func at(minutes int) time.Time {
	return time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(minutes) * time.Minute)
}

func TestOpenAndMigrate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		if db.Dialect() != b.Name {
			t.Fatalf("Dialect() = %q, want %q", db.Dialect(), b.Name)
		}
		// A second migration, and one from a second handle, change nothing.
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		db2, err := Open(ctx, b.DSN)
		if err != nil {
			t.Fatalf("second Open: %v", err)
		}
		defer db2.Close()
		if err := db2.Migrate(ctx); err != nil {
			t.Fatalf("Migrate from a second handle: %v", err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		update(t, db, func(tx *Tx) error { return tx.PutSetting(ctx, "k", "v") })
		view(t, db2, func(tx *Tx) error {
			v, ok, err := tx.Setting(ctx, "k")
			if err != nil || !ok || v != "v" {
				t.Errorf("Setting from the second handle = %q, %v, %v", v, ok, err)
			}
			return nil
		})
	})
}

// Nodes starting together migrate one fresh database at once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		const nodes = 4
		dbs := make([]*DB, nodes)
		for i := range dbs {
			db, err := Open(ctx, b.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs[i] = db
		}
		var wg sync.WaitGroup
		errs := make([]error, nodes)
		for i, db := range dbs {
			wg.Go(func() { errs[i] = db.Migrate(ctx) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d: Migrate: %v", i, err)
			}
		}
		update(t, dbs[0], func(tx *Tx) error { return tx.PutSetting(ctx, "k", "v") })
	})
}

func TestConnectionSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)
		if b.Name == Postgres {
			show := func(tx *Tx, name string) string {
				var v string
				if err := tx.queryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			view(t, db, func(tx *Tx) error {
				if v := show(tx, "transaction_read_only"); v != "on" {
					t.Errorf("View: transaction_read_only = %s", v)
				}
				if v := show(tx, "transaction_isolation"); v != "repeatable read" {
					t.Errorf("View: transaction_isolation = %s", v)
				}
				return nil
			})
			update(t, db, func(tx *Tx) error {
				if v := show(tx, "transaction_read_only"); v != "off" {
					t.Errorf("Update: transaction_read_only = %s", v)
				}
				return nil
			})
			return
		}

		for _, c := range []struct {
			pragma string
			want   string
		}{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
		} {
			var got string
			if err := db.writer.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("writer: PRAGMA %s = %s, want %s", c.pragma, got, c.want)
			}
			if err := db.reader.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("reader: PRAGMA %s = %s, want %s", c.pragma, got, c.want)
			}
		}
		if n := db.writer.Stats().MaxOpenConnections; n != 1 {
			t.Errorf("writer pool allows %d connections, want 1", n)
		}
		if n := db.reader.Stats().MaxOpenConnections; n != readers {
			t.Errorf("reader pool allows %d connections, want %d", n, readers)
		}

		// The directory of a new database file is created.
		path := t.TempDir() + "/a/b/gridloop.db"
		db2, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open(%s): %v", path, err)
		}
		db2.Close()
		for _, dsn := range []string{"", "file:x.db?mode=memory", ":memory:", "x.db?_pragma=foo"} {
			if db, err := Open(ctx, dsn); err == nil {
				db.Close()
				t.Errorf("Open(%q) succeeded, want an error", dsn)
			}
		}
	})
}

func TestTransactions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := t.Context()
		db := openDB(t, b)

		// fn's error rolls back and is returned as is.
		boom := gridloop.Errorf(gridloop.EINVALID, "boom")
		err := db.Update(ctx, func(tx *Tx) error {
			if err := tx.PutSetting(ctx, "a", "1"); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		view(t, db, func(tx *Tx) error {
			if _, ok, _ := tx.Setting(ctx, "a"); ok {
				t.Errorf("setting written by a failed Update is visible")
			}
			return nil
		})

		// View cannot write.
		err = db.View(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, "a", "1") })
		if err == nil {
			t.Fatalf("PutSetting inside View succeeded")
		}
	})
}

func TestRebind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ dialect, in, want string }{
		{SQLite, `a = ? AND b = ?`, `a = ? AND b = ?`},
		{Postgres, `a = ? AND b = ?`, `a = $1 AND b = $2`},
		{Postgres, `a LIKE ? ESCAPE '\' AND b = '?' AND "c?" = ?`, `a LIKE $1 ESCAPE '\' AND b = '?' AND "c?" = $2`},
		{Postgres, `no placeholders`, `no placeholders`},
	} {
		if got := rebind(c.dialect, c.in); got != c.want {
			t.Errorf("rebind(%s, %q) = %q, want %q", c.dialect, c.in, got, c.want)
		}
	}
	if got := placeholders(3); got != "?, ?, ?" {
		t.Errorf("placeholders(3) = %q", got)
	}
	if got := escapeLike(`50%_a\b`); got != `50\%\_a\\b` {
		t.Errorf("escapeLike = %q", got)
	}
	if got := escapeGlob(`1*2?3[4]`); got != `1[*]2[?]3[[]4]` {
		t.Errorf("escapeGlob = %q", got)
	}
	if !strings.HasPrefix(redact("postgres://u:secret@h/db"), "postgres://u:xxxxx@") {
		t.Errorf("redact = %q", redact("postgres://u:secret@h/db"))
	}
}
