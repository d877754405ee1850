package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps SQLite statements prepared across transactions. The SQLite driver
// parses and plans a statement on every call unless it is prepared, and parsing was a
// sixth of the writer's time under intake load (docs/benchmarks.md). PostgreSQL needs
// none of this: pgx caches prepared statements per connection itself.
//
// A statement cannot be prepared on the pool inside a transaction (the SQLite writer has
// one connection, held by that transaction), so a query first seen in a transaction runs
// unprepared and is put on a waiting list; the next transaction on the pool prepares
// the waiting queries before it begins. Tx.StmtContext then reuses the statement already
// prepared on the transaction's connection.
type stmtCache struct {
	pool *sql.DB
	max  int

	mu      sync.Mutex
	lru     *list.List // of *cachedStmt, most recently used first
	byQuery map[string]*list.Element
	waiting map[string]bool
}

type cachedStmt struct {
	query string
	stmt  *sql.Stmt
}

// Queries longer than this are built for one call (long VALUES or IN lists): not cached.
const maxCachedQuery = 4096

func newStmtCache(pool *sql.DB, max int) *stmtCache {
	return &stmtCache{pool: pool, max: max, lru: list.New(), byQuery: map[string]*list.Element{}, waiting: map[string]bool{}}
}

// lookup returns the prepared statement of q, or nil: then q waits to be prepared.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	if len(q) > maxCachedQuery {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byQuery[q]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt
	}
	if len(c.waiting) < c.max {
		c.waiting[q] = true
	}
	return nil
}

// prepareWaiting prepares the waiting queries. Call it outside any transaction on the
// pool. A query that fails to prepare is dropped: it runs unprepared, and reports its
// error there.
func (c *stmtCache) prepareWaiting(ctx context.Context) {
	c.mu.Lock()
	if len(c.waiting) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.waiting))
	for q := range c.waiting {
		queries = append(queries, q)
	}
	clear(c.waiting)
	c.mu.Unlock()

	for _, q := range queries {
		st, err := c.pool.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, dup := c.byQuery[q]; dup {
			c.mu.Unlock()
			st.Close()
			continue
		}
		c.byQuery[q] = c.lru.PushFront(&cachedStmt{query: q, stmt: st})
		var evicted *sql.Stmt
		if c.lru.Len() > c.max {
			last := c.lru.Back()
			cs := c.lru.Remove(last).(*cachedStmt)
			delete(c.byQuery, cs.query)
			evicted = cs.stmt
		}
		c.mu.Unlock()
		if evicted != nil {
			// database/sql finalizes it once no transaction uses it any more.
			evicted.Close()
		}
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedStmt).stmt.Close()
	}
	c.lru.Init()
	clear(c.byQuery)
	clear(c.waiting)
}

// stmt returns tx's statement for q when q is prepared in the pool's cache, else nil.
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.cache == nil {
		return nil
	}
	if st, ok := tx.stmts[q]; ok {
		return st
	}
	shared := tx.cache.lookup(q)
	if shared == nil {
		return nil
	}
	st := tx.tx.StmtContext(ctx, shared)
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[q] = st
	return st
}
