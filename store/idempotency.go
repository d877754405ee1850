package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// idempotencyLookup reads one saved answer by its primary key.
const idempotencyLookup = `SELECT status, body FROM idempotency WHERE scope = ? AND key = ?`

// Idempotent returns the response saved for key in scope (e.g. "POST /api/v1/cases"
// and the caller's Idempotency-Key), if there is one.
func (tx *Tx) Idempotent(ctx context.Context, scope, key string) (status int, body []byte, ok bool, err error) {
	err = tx.queryRow(ctx, idempotencyLookup, scope, key).
		Scan(&status, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	} else if err != nil {
		return 0, nil, false, fmt.Errorf("store: idempotency key: %w", err)
	}
	if body == nil {
		body = []byte{}
	}
	return status, body, true, nil
}

// SaveIdempotent saves the response to key in scope, so that a retry gets it again.
// A key already saved in the scope is ECONFLICT.
func (tx *Tx) SaveIdempotent(ctx context.Context, scope, key string, status int, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	_, err := tx.exec(ctx, `INSERT INTO idempotency (scope, key, status, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		scope, key, status, body, tx.timeArg(time.Now()))
	return wrap(err, "save idempotency key", "重复的请求 (Idempotency-Key already used)")
}

// PurgeIdempotent deletes the responses saved before before, and says how many.
func (tx *Tx) PurgeIdempotent(ctx context.Context, before time.Time) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM idempotency WHERE created_at < ?`, tx.timeArg(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
