package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// SessionStore keeps web sessions (github.com/alexedwards/scs/v2) in the database, so
// that every node sees the same sessions and a restart signs no one out. It implements
// scs.Store and scs.CtxStore. Rows are keyed by the SHA-256 of the session token: the
// table alone does not let anyone take over a session.
//
// With an idle timeout scs commits a session on every request only to move its expiry
// on; the store skips such a write when this node wrote the same data less than
// CommitSlack ago, so a busy page costs a read, not a write. Expired rows are deleted
// now and then by Commit.
type SessionStore struct {
	db *DB
	// CommitSlack is how far an expiry may lag behind the idle timeout to save a write.
	CommitSlack time.Duration

	mu          sync.Mutex
	written     map[string]sessionWrite // token hash → the last write of this node
	lastCleanup time.Time
}

type sessionWrite struct {
	sum    [32]byte
	expiry time.Time
}

// sessionCleanupEvery is how often Commit deletes expired sessions.
const sessionCleanupEvery = 5 * time.Minute

// NewSessionStore returns the database's session store.
func NewSessionStore(db *DB) *SessionStore {
	return &SessionStore{db: db, CommitSlack: time.Minute, written: map[string]sessionWrite{}}
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Find returns the data of a session that has not expired.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// FindCtx is Find with a context.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT data FROM sessions WHERE token_hash = ? AND expiry > ?`,
			sessionKey(token), tx.timeArg(time.Now())).Scan(&b)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return b, true, nil
}

// Commit stores a session's data with its expiry.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// CommitCtx is Commit with a context.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	key, sum := sessionKey(token), sha256.Sum256(b)
	now := time.Now()
	s.mu.Lock()
	last, seen := s.written[key]
	cleanup := now.Sub(s.lastCleanup) > sessionCleanupEvery
	if cleanup {
		s.lastCleanup = now
	}
	s.mu.Unlock()
	if seen && last.sum == sum && !expiry.Before(last.expiry) && expiry.Sub(last.expiry) < s.CommitSlack {
		return nil // the same data, and the stored expiry is recent enough
	}
	err := s.db.Update(ctx, func(tx *Tx) error {
		if cleanup {
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE expiry <= ?`, tx.timeArg(now)); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES (?, ?, ?)
			ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
			key, b, tx.timeArg(expiry))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	s.mu.Lock()
	if len(s.written) >= 10000 {
		s.written = map[string]sessionWrite{}
	}
	s.written[key] = sessionWrite{sum: sum, expiry: expiry}
	s.mu.Unlock()
	return nil
}

// Delete removes a session; deleting one that does not exist is not an error.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteCtx is Delete with a context.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	key := sessionKey(token)
	s.mu.Lock()
	delete(s.written, key)
	s.mu.Unlock()
	err := s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// CountSessions counts the sessions that have not expired at now (for tests and
// metrics).
func (tx *Tx) CountSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT count(*) FROM sessions WHERE expiry > ?`, tx.timeArg(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count sessions: %w", err)
	}
	return n, nil
}
