package dbtest

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

func open(t *testing.T, b Backend) *sql.DB {
	t.Helper()
	db, err := sql.Open(b.DriverName(), b.DSN)
	if err != nil {
		t.Fatalf("open %s %s: %v", b.Name, b.DSN, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("ping %s %s: %v", b.Name, b.DSN, err)
	}
	return db
}

func countTables(t *testing.T, b Backend, db *sql.DB) int {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table'`
	if b.Name == PostgresName {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`
	}
	var n int
	if err := db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("count tables: %v", err)
	}
	return n
}

func TestEachRoundTrip(t *testing.T) {
	var seen []string
	Each(t, func(t *testing.T, b Backend) {
		seen = append(seen, b.Name)
		if want := strings.TrimPrefix(t.Name(), "TestEachRoundTrip/"); b.Name != want {
			t.Errorf("backend %q runs in subtest %q", b.Name, t.Name())
		}
		db := open(t, b)
		if n := countTables(t, b, db); n != 0 {
			t.Fatalf("new database has %d tables, want 0", n)
		}
		ctx := t.Context()
		if _, err := db.ExecContext(ctx, `CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			t.Fatalf("create table: %v", err)
		}
		// Placeholders differ: $1 works in both drivers.
		if _, err := db.ExecContext(ctx, `INSERT INTO item (id, name) VALUES ($1, $2)`, 7, "网格 grid"); err != nil {
			t.Fatalf("insert: %v", err)
		}
		var id int
		var name string
		if err := db.QueryRowContext(ctx, `SELECT id, name FROM item WHERE id = $1`, 7).Scan(&id, &name); err != nil {
			t.Fatalf("select: %v", err)
		}
		if id != 7 || name != "网格 grid" {
			t.Fatalf("got (%d, %q), want (7, %q)", id, name, "网格 grid")
		}
		if n := countTables(t, b, db); n != 1 {
			t.Fatalf("database has %d tables, want 1", n)
		}
	})
	// The postgres subtest may have been skipped, but it must have been tried.
	if len(seen) < 1 || seen[0] != SQLiteName {
		t.Errorf("backends run: %v, want sqlite first", seen)
	}
}

func TestSQLiteFresh(t *testing.T) {
	a, b := SQLite(t), SQLite(t)
	if a.Name != SQLiteName || a.DSN == b.DSN {
		t.Fatalf("SQLite gave %+v and %+v, want two sqlite backends with different files", a, b)
	}
	if _, err := os.Stat(a.DSN); !os.IsNotExist(err) {
		t.Fatalf("database file %s exists before first use (err %v)", a.DSN, err)
	}
}

// TestPostgresFreshAndDropped checks that each call gets its own database and
// that it is gone once its test has ended.
func TestPostgresFreshAndDropped(t *testing.T) {
	var inner Backend
	var leftOpen *sql.DB
	t.Run("inner", func(t *testing.T) {
		inner = Postgres(t)
		other := Postgres(t)
		if inner.Name != PostgresName || inner.DSN == other.DSN {
			t.Fatalf("Postgres gave %+v and %+v, want two postgres backends with different databases", inner, other)
		}
		// Leave a connection open until after the drop: DROP ... WITH (FORCE)
		// must not be blocked by it.
		var err error
		if leftOpen, err = sql.Open("pgx", inner.DSN); err != nil {
			t.Fatal(err)
		}
		if _, err := leftOpen.ExecContext(t.Context(), `CREATE TABLE x (a int)`); err != nil {
			t.Fatal(err)
		}
	})
	if leftOpen != nil {
		leftOpen.Close()
	}
	if inner.DSN == "" {
		t.Skip("postgres subtest was skipped")
	}
	name := inner.DSN[strings.LastIndex(inner.DSN, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	admin, err := sql.Open("pgx", os.Getenv(EnvPostgres))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test ended", name)
	}
}

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ admin, want string }{
		{"postgres://postgres@127.0.0.1:54320/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:54320/db1?sslmode=disable"},
		{"postgresql://u:p@h/", "postgresql://u:p@h/db1"},
		{"host=/tmp user=postgres", "host=/tmp user=postgres dbname=db1"},
	} {
		got, err := withDatabase(c.admin, "db1")
		if err != nil || got != c.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", c.admin, got, err, c.want)
		}
	}
	if _, err := withDatabase("not a dsn", "db1"); err == nil {
		t.Errorf("withDatabase accepted a bad DSN")
	}
	if got := redact("host=h password=secret user=u"); strings.Contains(got, "secret") {
		t.Errorf("redact left the password: %q", got)
	}
	if got := redact("postgres://u:secret@h/db"); strings.Contains(got, "secret") {
		t.Errorf("redact left the password: %q", got)
	}
}

// TestMissingPostgres runs this test binary again without $GRIDLOOP_TEST_POSTGRES:
// the postgres subtest must be skipped normally and fail under CI=true.
func TestMissingPostgres(t *testing.T) {
	if os.Getenv("DBTEST_CHILD") == "1" {
		Each(t, func(t *testing.T, b Backend) {
			if b.Name == PostgresName {
				t.Log("postgres ran without " + EnvPostgres)
			}
		})
		return
	}
	for _, c := range []struct {
		ci       string
		wantFail bool
		want     string
	}{
		{"", false, "--- SKIP: TestMissingPostgres/postgres"},
		{"false", false, "--- SKIP: TestMissingPostgres/postgres"},
		{"true", true, "--- FAIL: TestMissingPostgres/postgres"},
	} {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMissingPostgres$", "-test.v", "-test.count=1")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, EnvPostgres+"=") && !strings.HasPrefix(kv, "CI=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "DBTEST_CHILD=1", "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		failed := err != nil
		if _, ok := err.(*exec.ExitError); err != nil && !ok {
			t.Fatalf("CI=%q: run child: %v", c.ci, err)
		}
		if failed != c.wantFail || !strings.Contains(string(out), c.want) ||
			!strings.Contains(string(out), "--- PASS: TestMissingPostgres/sqlite") ||
			!strings.Contains(string(out), "make test") {
			t.Errorf("CI=%q: child failed=%v, want %v, output containing %q:\n%s", c.ci, failed, c.wantFail, c.want, out)
		}
	}
}
