package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Sign-in throttling: failed sign-ins are counted per key (an account, "user:<name>",
// or a client address, "addr:<ip>") in the database, so that every node agrees.

// ThrottlePolicy says how many failures a key may have in a window before it is
// locked, and for how long: Lockout after the first lockout, doubled after each
// further one, at most MaxLockout.
type ThrottlePolicy struct {
	Failures   int
	Window     time.Duration
	Lockout    time.Duration
	MaxLockout time.Duration
}

// LockDuration is how long the n-th lockout (1, 2, …) lasts.
func (p ThrottlePolicy) LockDuration(n int) time.Duration {
	d := p.Lockout
	for i := 1; i < n && d < p.MaxLockout; i++ {
		d *= 2
	}
	return min(d, p.MaxLockout)
}

// ThrottleState is one key's state.
type ThrottleState struct {
	Failures    int
	Lockouts    int
	LockedUntil *time.Time
}

// Locked reports whether the key is locked at now, and until when.
func (s ThrottleState) Locked(now time.Time) (time.Time, bool) {
	if s.LockedUntil != nil && now.Before(*s.LockedUntil) {
		return *s.LockedUntil, true
	}
	return time.Time{}, false
}

// ThrottleState returns the state of key (zero when it has none).
func (tx *Tx) ThrottleState(ctx context.Context, key string) (ThrottleState, error) {
	var st ThrottleState
	var locked nullTime
	err := tx.queryRow(ctx, `SELECT failures, lockouts, locked_until FROM signin_throttle WHERE key = ?`, key).
		Scan(&st.Failures, &st.Lockouts, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return ThrottleState{}, nil
	} else if err != nil {
		return st, fmt.Errorf("store: sign-in throttle %s: %w", key, err)
	}
	st.LockedUntil = locked.Ptr()
	return st, nil
}

// RecordSignInFailure counts a failure of key at now under p and returns the key's
// state after it: when the failures in the window reach p.Failures the key is locked
// (LockedUntil set) and its count starts over. A count older than the window starts
// over, and so do the lockouts after a day without failures. The increment is one
// statement, so concurrent failures on several nodes are all counted.
func (tx *Tx) RecordSignInFailure(ctx context.Context, key string, now time.Time, p ThrottlePolicy) (ThrottleState, error) {
	windowStart := tx.timeArg(now.Add(-p.Window))
	dayAgo := tx.timeArg(now.Add(-24 * time.Hour))
	var st ThrottleState
	var locked nullTime
	err := tx.queryRow(ctx, `INSERT INTO signin_throttle AS s (key, failures, window_start, lockouts, locked_until, updated_at)
		VALUES (?, 1, ?, 0, NULL, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN s.window_start < ? THEN 1 ELSE s.failures + 1 END,
			window_start = CASE WHEN s.window_start < ? THEN excluded.window_start ELSE s.window_start END,
			lockouts = CASE WHEN s.updated_at < ? THEN 0 ELSE s.lockouts END,
			updated_at = excluded.updated_at
		RETURNING failures, lockouts, locked_until`,
		key, tx.timeArg(now), tx.timeArg(now), windowStart, windowStart, dayAgo).Scan(&st.Failures, &st.Lockouts, &locked)
	if err != nil {
		return st, fmt.Errorf("store: record sign-in failure %s: %w", key, err)
	}
	st.LockedUntil = locked.Ptr()
	if st.Failures < p.Failures {
		return st, nil
	}
	st.Lockouts++
	until := normTime(now.Add(p.LockDuration(st.Lockouts)))
	st.LockedUntil, st.Failures = &until, 0
	_, err = tx.exec(ctx, `UPDATE signin_throttle SET failures = 0, window_start = ?, lockouts = ?, locked_until = ? WHERE key = ?`,
		tx.timeArg(now), st.Lockouts, tx.timeArg(until), key)
	if err != nil {
		return st, fmt.Errorf("store: lock %s: %w", key, err)
	}
	return st, nil
}

// ClearThrottle forgets key's failures and lockouts (a successful sign-in, or an
// administrator unlocking an account).
func (tx *Tx) ClearThrottle(ctx context.Context, key string) error {
	if _, err := tx.exec(ctx, `DELETE FROM signin_throttle WHERE key = ?`, key); err != nil {
		return fmt.Errorf("store: clear sign-in throttle %s: %w", key, err)
	}
	return nil
}
