// Package dbtest gives tests a brand-new, empty database on every backend the
// project supports, so each storage test runs against both SQLite and
// PostgreSQL.
//
// SQLite always works: the database is a file in t.TempDir().
//
// PostgreSQL needs a cluster named by $GRIDLOOP_TEST_POSTGRES (a postgres://
// URL of a role allowed to CREATE DATABASE). `make test` (scripts/test.sh)
// starts a throwaway cluster and sets it. When the variable is unset the
// PostgreSQL subtest is skipped, except under CI=true, where it fails: CI must
// never pass by silently not testing PostgreSQL.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvPostgres is the environment variable naming the PostgreSQL cluster used
// by tests, e.g. postgres://postgres@127.0.0.1:54320/postgres?sslmode=disable.
const EnvPostgres = "GRIDLOOP_TEST_POSTGRES"

// Backend names.
const (
	SQLiteName   = "sqlite"
	PostgresName = "postgres"
)

// Backend names a database under test.
type Backend struct {
	// Name is "sqlite" or "postgres".
	Name string
	// DSN opens the database: for sqlite the plain path of the database file,
	// for postgres a postgres:// URL of a database of its own.
	DSN string
}

// DriverName is the database/sql driver name for the backend: "sqlite"
// (modernc.org/sqlite) or "pgx" (github.com/jackc/pgx/v5/stdlib).
func (b Backend) DriverName() string {
	if b.Name == PostgresName {
		return "pgx"
	}
	return "sqlite"
}

// Each runs fn once per backend as a subtest named after it ("sqlite",
// "postgres"), each with a brand-new empty database. See SQLite and Postgres.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	t.Run(SQLiteName, func(t *testing.T) {
		t.Helper()
		fn(t, SQLite(t))
	})
	t.Run(PostgresName, func(t *testing.T) {
		t.Helper()
		fn(t, Postgres(t))
	})
}

// SQLite returns a fresh SQLite database: a file in t.TempDir() that does not
// exist yet (the driver creates it on first use) and is removed with the
// directory when the test ends.
func SQLite(t *testing.T) Backend {
	t.Helper()
	return Backend{Name: SQLiteName, DSN: filepath.Join(t.TempDir(), "test.db")}
}

// Postgres returns a fresh PostgreSQL database: CREATE DATABASE with a unique
// random name on the cluster in $GRIDLOOP_TEST_POSTGRES, dropped WITH (FORCE)
// when the test ends (so connections the test left open do not block it).
//
// If $GRIDLOOP_TEST_POSTGRES is unset the test is skipped, or, when CI=true,
// fails.
func Postgres(t *testing.T) Backend {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		if inCI() {
			t.Fatalf("dbtest: %s is not set but CI=true: PostgreSQL tests must run in CI. "+
				"Run the tests with `make test` (scripts/test.sh), which starts a throwaway "+
				"PostgreSQL cluster and sets %s.", EnvPostgres, EnvPostgres)
		}
		t.Skipf("dbtest: %s is not set, skipping PostgreSQL. Run `make test` "+
			"(scripts/test.sh starts a throwaway cluster), or set %s to the URL of a "+
			"cluster whose role may CREATE DATABASE, e.g. "+
			"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			EnvPostgres, EnvPostgres)
	}

	name := databaseName(t)
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", EnvPostgres, err)
	}
	if err := adminExec(admin, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		t.Fatalf("dbtest: create database %s on %s: %v", name, redact(admin), err)
	}
	t.Cleanup(func() {
		err := adminExec(admin, "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
		if err != nil {
			t.Errorf("dbtest: drop database %s on %s: %v", name, redact(admin), err)
		}
	})
	return Backend{Name: PostgresName, DSN: dsn}
}

// inCI reports whether CI is set to a true value (CI=true, as CI systems set).
func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// adminExec runs one statement on the admin connection. It does not use
// t.Context(), which is already canceled when cleanups run.
func adminExec(admin, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// databaseName is unique and says which test made it, for whoever finds a
// leftover one: "t_<test name, sanitized>_<16 random hex digits>", at most 51
// bytes (PostgreSQL's limit is 63).
func databaseName(t *testing.T) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		if b.Len() >= 32 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "t_" + b.String() + "_" + randomHex(8)
}

func randomHex(n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // crypto/rand.Read does not fail on supported platforms
	}
	return hex.EncodeToString(buf)
}

// withDatabase returns admin with its database replaced by name. admin is a
// postgres:// (or postgresql://) URL, or a libpq keyword/value string.
func withDatabase(admin, name string) (string, error) {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			return "", fmt.Errorf("not a valid URL: %v", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	if strings.Contains(admin, "=") {
		// Keyword/value form: a later keyword overrides an earlier one.
		return admin + " dbname=" + name, nil
	}
	return "", fmt.Errorf("want a postgres:// URL, got %q", redact(admin))
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

var kvPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redact hides a password in a DSN for messages.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}
