package store

import (
	"context"
	"fmt"
	"time"
)

// AnonymiseReporters blanks the reporter's name and phone of every finished case
// (closed, rejected, merged or withdrawn) that finished before cutoff — by its
// closed_at, or its last update when it has none — and returns how many cases it
// changed. The case's version and update time stay as they are: nothing happened to
// the case itself, and Open311 clients polling updated_after see no change.
func (tx *Tx) AnonymiseReporters(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := tx.exec(ctx, `UPDATE cases SET reporter_name = '', reporter_phone = ''
		WHERE status IN (`+placeholders(len(finalStatuses))+`)
			AND COALESCE(closed_at, updated_at) < ?
			AND (reporter_name <> '' OR reporter_phone <> '')`,
		append(append([]any{}, finalStatuses...), tx.timeArg(cutoff))...)
	if err != nil {
		return 0, fmt.Errorf("store: anonymise reporters: %w", err)
	}
	return res.RowsAffected()
}
