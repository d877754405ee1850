package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as gridloop's store uses
)

// Baseline is the yardstick server: bare net/http where every POST is one durable
// INSERT of the request body into an SQLite file, with the durability of gridloop's
// default store (WAL, synchronous=FULL, a single writer connection: one fsync of the WAL
// per request), answered 201. It is what one request costs with nothing but the
// commit, so gridloop's intake figures divided by it are comparable across machines.
type Baseline struct {
	URL  string
	Path string // the SQLite file
	db   *sql.DB
	srv  *http.Server
	dir  string
	rows atomic.Int64
}

// StartBaseline starts the baseline server on 127.0.0.1:0 with its SQLite file in a new
// temporary directory under dir ("" for the system's; use the directory of the store
// under test so that both write to the same disk).
func StartBaseline(dir string) (*Baseline, error) {
	tmp, err := os.MkdirTemp(dir, "gridloop-baseline-")
	if err != nil {
		return nil, fmt.Errorf("bench: baseline directory: %w", err)
	}
	b := &Baseline{dir: tmp, Path: filepath.Join(tmp, "baseline.db")}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_journal_mode", "WAL")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", b.Path+"?"+q.Encode())
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	b.db = db
	fail := func(err error) (*Baseline, error) {
		db.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("bench: baseline store: %w", err)
	}
	if _, err := db.Exec(`CREATE TABLE reports (id INTEGER PRIMARY KEY, body BLOB NOT NULL, created_at TEXT NOT NULL)`); err != nil {
		return fail(err)
	}
	// Make sure the durability is what it claims to be.
	var mode string
	var sync int
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fail(err)
	}
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
		return fail(err)
	}
	if !strings.EqualFold(mode, "wal") || sync != 2 {
		return fail(fmt.Errorf("journal_mode %s, synchronous %d: want wal and 2 (FULL)", mode, sync))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	b.URL = "http://" + ln.Addr().String()
	b.srv = &http.Server{Handler: http.HandlerFunc(b.serve), ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *Baseline) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res, err := b.db.ExecContext(r.Context(), `INSERT INTO reports (body, created_at) VALUES (?, ?)`,
		body, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	id, _ := res.LastInsertId()
	b.rows.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":%d}`, id)
}

// Rows is how many INSERTs the baseline committed.
func (b *Baseline) Rows() int64 { return b.rows.Load() }

// Close stops the server and removes its file.
func (b *Baseline) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.srv.Shutdown(ctx)
	return errors.Join(err, b.db.Close(), os.RemoveAll(b.dir))
}
