package store

import (
	"context"
	"fmt"
)

// The rollups' journal (migrations/*/00015_rollup_journal.sql): what each event
// transaction adds to the rollups, as text the service writes and reads
// (service/rollupjournal.go), until a fold adds it to the tables.

// rollupFoldLockID is the PostgreSQL advisory lock a fold and a rebuild's swap hold, so
// that they run one at a time across nodes ("rollfold" in ASCII).
const rollupFoldLockID = 0x726f6c6c666f6c64

// AppendRollupJournal adds one entry to the journal, in the caller's transaction.
func (tx *Tx) AppendRollupJournal(ctx context.Context, lines string) error {
	if _, err := tx.exec(ctx, `INSERT INTO rollup_journal (lines) VALUES (?)`, lines); err != nil {
		return fmt.Errorf("store: append to the rollup journal: %w", err)
	}
	return nil
}

// TakeRollupJournal deletes up to limit entries of the journal, oldest first, and
// returns them: the caller adds them to the rollups in the same transaction. Deleting
// what is returned, in one statement, takes exactly the entries committed before it on
// PostgreSQL too, where ids need not commit in order.
func (tx *Tx) TakeRollupJournal(ctx context.Context, limit int) ([]string, error) {
	rows, err := tx.query(ctx, `DELETE FROM rollup_journal WHERE id IN
		(SELECT id FROM rollup_journal ORDER BY id LIMIT ?) RETURNING lines`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: take the rollup journal: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: take the rollup journal: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: take the rollup journal: %w", err)
	}
	return out, nil
}

// RollupJournalPending reports whether the journal holds entries not yet folded.
func (tx *Tx) RollupJournalPending(ctx context.Context) (bool, error) {
	n, err := tx.countUpTo(ctx, `rollup_journal`, nil, 1)
	if err != nil {
		return false, fmt.Errorf("store: rollup journal: %w", err)
	}
	return n > 0, nil
}

// CountRollupJournal counts the journal's entries.
func (tx *Tx) CountRollupJournal(ctx context.Context) (int64, error) {
	var n int64
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM rollup_journal`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count the rollup journal: %w", err)
	}
	return n, nil
}

// ClearRollupJournal empties the journal (a rebuild's swap, whose table counts every
// event the journal held).
func (tx *Tx) ClearRollupJournal(ctx context.Context) error {
	if _, err := tx.exec(ctx, `DELETE FROM rollup_journal`); err != nil {
		return fmt.Errorf("store: clear the rollup journal: %w", err)
	}
	return nil
}

// LockRollupFold makes folds of the journal, and a rebuild's swap, run one at a time:
// on PostgreSQL a transaction-level advisory lock, held until the caller's transaction
// ends; on SQLite a read-write transaction already excludes other writers. Call it
// inside Update, before taking the journal.
func (tx *Tx) LockRollupFold(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(rollupFoldLockID)); err != nil {
		return fmt.Errorf("store: lock the rollup fold: %w", err)
	}
	return nil
}
