package service

import (
	"context"
	"fmt"
	"sync"

	"github.com/gridloop/gridloop/store"
)

// rollupCache keeps the results of rollup reads (every grid's month for a ranking, the
// heat map's week, a scope's trend), keyed on the query and on the version of the
// rollups of the query's periods (store.RollupVersion). The version is read in the
// caller's transaction each time: when it is the one a result was read at, the table
// holds the same buckets for those periods in the caller's snapshot, and the result is
// answered from memory; any event of one of the periods, or a rebuild, changes it, and
// the next read reads the table. So the cache never answers other figures than the
// table's, on any node. Results are shared: callers must not modify them.
type rollupCache struct {
	mu      sync.Mutex
	entries map[string]*rollupEntry
	rows    int    // rows held, of every entry
	tick    uint64 // for least recently used
}

type rollupEntry struct {
	version string
	rows    []store.RollupRow
	sums    map[string]int64
	size    int
	used    uint64
}

// rollupCacheRows bounds the rows the cache holds (about 400 bytes each: 24 MB).
const rollupCacheRows = 60_000

func (c *rollupCache) get(key, version string) *rollupEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil || e.version != version {
		return nil
	}
	c.tick++
	e.used = c.tick
	return e
}

func (c *rollupCache) put(key string, e *rollupEntry) {
	if e.size > rollupCacheRows {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*rollupEntry{}
	}
	if old := c.entries[key]; old != nil {
		c.rows -= old.size
	}
	c.tick++
	e.used = c.tick
	c.entries[key] = e
	c.rows += e.size
	for c.rows > rollupCacheRows {
		var oldest string
		for k, x := range c.entries {
			if oldest == "" || x.used < c.entries[oldest].used {
				oldest = k
			}
		}
		c.rows -= c.entries[oldest].size
		delete(c.entries, oldest)
	}
}

// cachedRollups is tx.Rollups(q) through the cache.
func (s *Service) cachedRollups(ctx context.Context, tx *store.Tx, q store.RollupQuery) ([]store.RollupRow, error) {
	if q.Staging {
		return tx.Rollups(ctx, q)
	}
	key := fmt.Sprintf("rows %#v", q)
	version, err := tx.RollupVersion(ctx, q.Period, q.From, q.To)
	if err != nil {
		return nil, err
	}
	if e := s.rollupCache.get(key, version); e != nil {
		return e.rows, nil
	}
	rows, err := tx.Rollups(ctx, q)
	if err != nil {
		return nil, err
	}
	s.rollupCache.put(key, &rollupEntry{version: version, rows: rows, size: len(rows) + 1})
	return rows, nil
}

// cachedSumByID is tx.SumByID(q, field) through the cache.
func (s *Service) cachedSumByID(ctx context.Context, tx *store.Tx, q store.RollupQuery, field string) (map[string]int64, error) {
	if q.Staging {
		return tx.SumByID(ctx, q, field)
	}
	key := fmt.Sprintf("sums %s %#v", field, q)
	version, err := tx.RollupVersion(ctx, q.Period, q.From, q.To)
	if err != nil {
		return nil, err
	}
	if e := s.rollupCache.get(key, version); e != nil {
		return e.sums, nil
	}
	sums, err := tx.SumByID(ctx, q, field)
	if err != nil {
		return nil, err
	}
	s.rollupCache.put(key, &rollupEntry{version: version, sums: sums, size: len(sums)/4 + 1})
	return sums, nil
}

// ResetRollupCache empties the cache of rollup reads: the next reads read the table
// (benchmarks time them so; the cache needs no reset to stay right).
func (s *Service) ResetRollupCache() {
	s.rollupCache.mu.Lock()
	defer s.rollupCache.mu.Unlock()
	s.rollupCache.entries, s.rollupCache.rows = nil, 0
}
