// Package store keeps gridloop's data in SQLite (the embedded default) or PostgreSQL
// (for many nodes), through database/sql and hand-written SQL.
//
// SQL text is written once with "?" placeholders where it is portable and rebound to
// "$1, $2…" for PostgreSQL; where the dialects differ the text is chosen per dialect.
// The schema lives in migrations/<dialect>/*.sql, applied with goose by Migrate.
//
// Every data method is on *Tx, so that a use case composes them in one transaction
// opened with DB.Update (read-write) or DB.View (read-only).
//
// Storage conventions: times are stored in UTC with microsecond precision (PostgreSQL's
// TIMESTAMPTZ; on SQLite fixed-width text that sorts as time) and returned in UTC; ids
// that are absent (0) are stored as NULL; empty lists come back as nil.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gridloop/gridloop"
)

// Dialect names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// readers is the size of the SQLite reader pool.
const readers = 4

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// DB is an open database: one PostgreSQL pool, or for SQLite a single-connection
// writer (transactions begin IMMEDIATE, so writers queue instead of failing) and a
// small pool of read-only readers.
type DB struct {
	dialect string
	writer  *sql.DB // read-write transactions; on postgres also reads
	reader  *sql.DB // read-only transactions; == writer on postgres

	// SQLite only: statements prepared across transactions, per pool (stmtcache.go).
	writerStmts, readerStmts *stmtCache
	// SQLite only: read-write transactions share commits (writebatch.go).
	batcher *writeBatcher
}

// Open opens the database named by dsn: a "postgres://" or "postgresql://" URL for
// PostgreSQL, anything else the path of an SQLite file (its directory is created).
// It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	// Per node: several nodes share the server's max_connections (100 by default).
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", redact(dsn), err)
	}
	return &DB{dialect: Postgres, writer: pool, reader: pool}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	// The driver reads everything after '?' as parameters, and ":memory:" would give
	// every connection of the two pools a database of its own.
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || strings.Contains(path, ":memory:") {
		return nil, fmt.Errorf("store: sqlite database must be a plain file path, got %q", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create database directory: %w", err)
		}
	}
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(5000)")
	common.Add("_pragma", "foreign_keys(1)")
	common.Add("_pragma", "synchronous(FULL)")

	w := url.Values{}
	for k, v := range common {
		w[k] = v
	}
	w.Add("_pragma", "analysis_limit(400)") // PRAGMA optimize samples, never reads a table whole
	// Checkpoint the WAL into the database every 10,000 pages (~40 MB) instead of
	// SQLite's 1,000: the checkpoint runs in the writer's commit, and a page that many
	// commits dirty (an index's last leaf, the journal's) is copied once per checkpoint,
	// not once per 1,000 pages. Durability is the WAL's fsync at every commit either way
	// (docs/storage.md). Measured in docs/benchmarks.md.
	w.Add("_pragma", "wal_autocheckpoint(10000)")
	w.Set("_txlock", "immediate")
	w.Set("_journal_mode", "WAL")
	writer, err := sql.Open("sqlite", path+"?"+w.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	// The writer connects first: it creates the file and switches it to WAL before
	// any reader opens it.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// Statistics that went stale while the store was closed, refreshed before any plan
	// is made on them (optimize.go). Best effort: another process holding the write
	// lock past busy_timeout must not keep the store from opening; the hourly job in
	// serve tries again.
	_, _ = writer.ExecContext(ctx, optimizeAll)

	r := url.Values{}
	for k, v := range common {
		r[k] = v
	}
	r.Set("_query_only", "1")
	reader, err := sql.Open("sqlite", path+"?"+r.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	reader.SetMaxOpenConns(readers)
	reader.SetMaxIdleConns(readers)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db := &DB{dialect: SQLite, writer: writer, reader: reader,
		writerStmts: newStmtCache(writer, 256), readerStmts: newStmtCache(reader, 256)}
	db.batcher = newWriteBatcher(db)
	return db, nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes every connection. On SQLite it first lets the query planner update
// its statistics (PRAGMA optimize), as SQLite recommends before closing.
func (db *DB) Close() error {
	if db.dialect == SQLite {
		db.batcher.close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = db.writer.ExecContext(ctx, `PRAGMA optimize`)
		cancel()
		db.writerStmts.close()
		db.readerStmts.close()
	}
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// sqliteMigrateMu serializes SQLite migrations within the process.
var sqliteMigrateMu sync.Mutex

// migrationLockID is the PostgreSQL advisory lock held while migrating, so that
// nodes starting together migrate one at a time ("gridloop" in ASCII).
const migrationLockID = 0x677269646c6f6f70

// Migrate brings the schema up to date. It is safe to call on every start and from
// several nodes at once.
func (db *DB) Migrate(ctx context.Context) error {
	if db.dialect == SQLite {
		// goose has no SQLite locker: handles in one process migrate one at a time (an
		// SQLite store is served by one process).
		sqliteMigrateMu.Lock()
		defer sqliteMigrateMu.Unlock()
	}
	fsys, err := fs.Sub(migrations, "migrations/"+db.dialect)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID))
		if err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.writer, fsys, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate %s: %w", db.dialect, err)
	}
	return nil
}

// Tx is one transaction. Its methods are the store's data operations.
type Tx struct {
	tx      *sql.Tx
	dialect string
	cache   *stmtCache           // the pool's prepared statements, nil on PostgreSQL
	stmts   map[string]*sql.Stmt // this transaction's handles on them
	shared  bool                 // several callers' functions share it (writebatch.go)
}

// Update runs fn in a read-write transaction and commits it if fn returns nil; fn's
// error is returned as is. On SQLite writers are serialized (one connection), so fn
// must not call Update itself: that would wait forever. On SQLite fn may share its
// transaction, in a savepoint, with other callers' functions and runs on another
// goroutine (writebatch.go): if fn fails, only its own writes are undone.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if db.batcher != nil {
		return db.batcher.update(ctx, fn)
	}
	return db.run(ctx, db.writer, db.writerStmts, &sql.TxOptions{}, fn)
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		// A read-only REPEATABLE READ transaction never fails to serialize, and sees
		// one snapshot, as an SQLite read transaction does.
		opts.Isolation = sql.LevelRepeatableRead
	}
	return db.run(ctx, db.reader, db.readerStmts, opts, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, cache *stmtCache, opts *sql.TxOptions, fn func(tx *Tx) error) error {
	if cache != nil {
		cache.prepareWaiting(ctx)
	}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: stx, dialect: db.dialect, cache: cache}
	committed := false
	defer func() {
		if !committed {
			_ = stx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := stx.Commit(); err != nil {
		if e := mapErr(err); e != err {
			return e
		}
		return fmt.Errorf("store: commit: %w", err)
	}
	committed = true
	return nil
}

// Dialect is the dialect of the database the transaction runs on.
func (tx *Tx) Dialect() string { return tx.dialect }

// exec, query and queryRow rebind "?" placeholders for the dialect.
// On SQLite they run the statement prepared in the pool's cache when there is one.
func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.rebind(q), args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.rebind(q), args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = tx.stmtCtx(ctx)
	if st := tx.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.rebind(q), args...)
}

// stmtCtx is the context tx's statements run under: ctx, without its cancellation in
// a shared transaction (an interrupted write would roll back the others' writes).
func (tx *Tx) stmtCtx(ctx context.Context) context.Context {
	if tx.shared {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (tx *Tx) rebind(q string) string { return rebind(tx.dialect, q) }

// rebind turns each "?" placeholder outside quotes into "$1", "$2"… for PostgreSQL.
func rebind(dialect, q string) string {
	if dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte // the quote we are inside, or 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// placeholders returns "?, ?, ?" for n values.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Errors.

// Kinds of constraint violation, across dialects.
const (
	violationNone = iota
	violationUnique
	violationForeignKey
	violationOther
	violationSerialization // postgres serialization failure or deadlock
)

func violation(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return violationUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return violationForeignKey
		}
		if se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
			return violationOther
		}
		return violationNone
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return violationUnique
		case pe.Code == "23503":
			return violationForeignKey
		case pe.Code == "40001" || pe.Code == "40P01":
			return violationSerialization
		case strings.HasPrefix(pe.Code, "23"):
			return violationOther
		}
	}
	return violationNone
}

// mapErr turns a foreign-key violation into EINVALID and a serialization failure into
// ECONFLICT; other errors are returned unchanged.
func mapErr(err error) error {
	switch violation(err) {
	case violationForeignKey:
		return gridloop.Errorf(gridloop.EINVALID, "引用的记录不存在 (a referenced record does not exist)")
	case violationSerialization:
		return gridloop.Errorf(gridloop.ECONFLICT, "数据已被他人修改，请重试 (concurrent update, please retry)")
	}
	return err
}

// wrap returns err as the method's error: a unique violation becomes ECONFLICT with
// conflictMsg (if given), other known violations their codes, anything else wrapped
// with what.
func wrap(err error, what, conflictMsg string) error {
	if err == nil {
		return nil
	}
	var ge *gridloop.Error
	if errors.As(err, &ge) {
		return err
	}
	if conflictMsg != "" && violation(err) == violationUnique {
		return gridloop.Errorf(gridloop.ECONFLICT, "%s", conflictMsg)
	}
	if e := mapErr(err); e != err {
		return e
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

func notFound(format string, args ...any) error {
	return gridloop.Errorf(gridloop.ENOTFOUND, format, args...)
}

// redact hides the password in a postgres URL.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "(unparseable URL)"
}
