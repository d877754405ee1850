package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// benchDSN returns a fresh database on backend name for a benchmark. dbtest works
// with *testing.T only, so this repeats its recipe: a file in a temp dir for SQLite,
// a database of its own on $GRIDLOOP_TEST_POSTGRES (dropped afterwards) for PostgreSQL.
func benchDSN(b *testing.B, name string) string {
	b.Helper()
	if name == SQLite {
		return filepath.Join(b.TempDir(), "bench.db")
	}
	admin := os.Getenv(dbtest.EnvPostgres)
	if admin == "" {
		b.Skipf("%s is not set", dbtest.EnvPostgres)
	}
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8)
	_, _ = rand.Read(buf)
	db := "b_store_" + hex.EncodeToString(buf)
	exec := func(stmt string) error {
		conn, err := sql.Open("pgx", admin)
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = conn.ExecContext(ctx, stmt)
		return err
	}
	if err := exec(`CREATE DATABASE "` + db + `"`); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := exec(`DROP DATABASE IF EXISTS "` + db + `" WITH (FORCE)`); err != nil {
			b.Error(err)
		}
	})
	u.Path = "/" + db
	return u.String()
}

// benchDB opens and migrates a fresh store of the dialect name, closed when b ends.
func benchDB(b *testing.B, name string) *DB {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, benchDSN(b, name))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkInsertCaseAndEvent stores one new case and its report event per
// transaction, as intake does.
func BenchmarkInsertCaseAndEvent(b *testing.B) {
	for _, name := range []string{SQLite, Postgres} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := benchDB(b, name)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				c := fullCase(fmt.Sprintf("B%08d", i))
				c.Pending = nil
				err := db.Update(ctx, func(tx *Tx) error {
					if err := tx.InsertCase(ctx, c); err != nil {
						return err
					}
					return tx.AppendEvent(ctx, &gridloop.Event{
						CaseID: c.ID, Action: gridloop.ActionReport, Actor: "市民", Role: gridloop.RoleCitizen,
						To: c.Status, Public: true, At: c.CreatedAt,
					})
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
