package store

import (
	"context"
	"fmt"
)

// optimizeAll is PRAGMA optimize over every table, not only those this connection has
// queried (0x10000), running ANALYZE where it may help (0x02): on a table never
// analyzed, or one that has grown or shrunk tenfold since. The writer's analysis_limit
// bounds each index's sample: 0.54 s with four large tables stale at a million cases.
const optimizeAll = `PRAGMA optimize=0x10002`

// Optimize refreshes SQLite's query-planner statistics where they are out of date, as
// SQLite advises long-lived connections to do at open and every few hours: plans chosen
// on statistics from when a table was small can read it whole once it is large. A
// no-op on PostgreSQL, whose autovacuum analyzes tables as they grow.
func (db *DB) Optimize(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, optimizeAll)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	return nil
}
