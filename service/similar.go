package service

// Similar cases (issue #9 §1): the service keeps a similar.Index of the open cases — not
// in a final state — and asks it on intake ("this looks already reported") and on the
// operator's register page (merge a duplicate).
//
// The index follows the event log, not the transactions: it is built from the open
// cases in the store, then brought up to date from the events committed since, each
// event's case read again and put in (open) or taken out (closed, merged, withdrawn,
// rejected). So it never holds a change that was rolled back, and every node of a
// cluster keeps its own from the shared database. A sync reads the events after the
// highest id seen; on PostgreSQL ids are not committed in order, so an id skipped by a
// sync (taken by a transaction still running, or rolled back) is looked for again by
// the following syncs for gapTTL. The event hook only hints that an event of this node
// is on its way: the next query looks for it once it has committed. Otherwise a query
// syncs when the last sync is older than similarStale, and jobs.Citizen syncs every few
// seconds.
//
// The texts are not kept in memory (at 1,000,000 cases, 50,000 open, they were a fifth of
// the server's heap): the index keeps each case's MinHash signature and n-gram count and
// reads the descriptions of the few candidates it compares exactly from the store, in one
// query, with their addresses for the answer (caseTexts); simIndex keeps a hash of each
// description to tell a change.

import (
	"context"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/similar"
	"github.com/gridloop/gridloop/store"
)

const (
	similarStale = 2 * time.Second // a query syncs first when the last sync is older
	gapTTL       = 2 * time.Minute // how long a skipped event id is looked for
	hintTTL      = time.Minute     // how long a hinted event is waited for
	buildWindow  = 1000            // the last ids checked for gaps when building
	maxGaps      = 20000
	maxHints     = 10000
	// similarLoadTimeout bounds a query's read of its candidates' texts.
	similarLoadTimeout = 2 * time.Second
	// SimilarLimit is the most matches Similar returns.
	SimilarLimit = 10
)

// simState is the index and what it has seen of the event log.
type simState struct {
	mu        sync.Mutex // builds and syncs, one at a time
	idx       atomic.Pointer[simIndex]
	watermark int64               // the highest event id seen
	gaps      map[int64]time.Time // ids below watermark not seen yet, since when
	lastSync  atomic.Int64        // unix nanoseconds

	hintMu   sync.Mutex
	hints    map[int64]time.Time // events of this node, maybe not committed yet
	overflow bool                // more hints came than are kept

	builds, syncs, applied atomic.Int64
}

// simIndex is one built index with the open cases it holds.
type simIndex struct {
	ix   *similar.Index
	mu   sync.RWMutex
	docs map[int64]simCase
}

// simCase is what simIndex keeps of an open case to filter and show a match without
// reading the case again: a store.CaseDoc without its texts (the description and address
// are read when needed), with a hash of the description to tell when it changed.
type simCase struct {
	ID           int64
	Code         string
	Status       gl.Status
	CategoryCode string
	AreaCode     string
	Lat, Lng     float64
	Depts        []int64
	Interest     int
	CreatedAt    time.Time
	DescHash     uint64 // descHash(Description)
}

// descSeed makes descHash fixed for the life of the process (the hashes are never stored).
var descSeed = maphash.MakeSeed()

func descHash(s string) uint64 { return maphash.String(descSeed, s) }

func newSimCase(d store.CaseDoc) simCase {
	return simCase{ID: d.ID, Code: d.Code, Status: d.Status, CategoryCode: d.CategoryCode, AreaCode: d.AreaCode,
		Lat: d.Lat, Lng: d.Lng, Depts: d.Depts, Interest: d.Interest, CreatedAt: d.CreatedAt, DescHash: descHash(d.Description)}
}

// SimilarStats says how the index is doing, for tests and /metrics.
type SimilarStats struct {
	Cases     int   `json:"cases"`
	Watermark int64 `json:"watermark"`
	Gaps      int   `json:"gaps"`
	Builds    int64 `json:"builds"`
	Syncs     int64 `json:"syncs"`
	Applied   int64 `json:"applied"`
}

// SimilarStats reports on the index (zero before it is built).
func (s *Service) SimilarStats() SimilarStats {
	st := &s.citizen.sim
	st.mu.Lock()
	defer st.mu.Unlock()
	out := SimilarStats{Watermark: st.watermark, Gaps: len(st.gaps), Builds: st.builds.Load(), Syncs: st.syncs.Load(), Applied: st.applied.Load()}
	if x := st.idx.Load(); x != nil {
		out.Cases = x.ix.Len()
	}
	return out
}

// similarHint is the event hook: an event of this node is being recorded, so the next
// query looks for it (it is applied only once committed, by a sync).
func (s *Service) similarHint(_ context.Context, _ *store.Tx, _, _ *gl.Case, ev *gl.Event) error {
	st := &s.citizen.sim
	if st.idx.Load() == nil {
		return nil // no index yet: its build will read everything
	}
	st.hintMu.Lock()
	if st.hints == nil {
		st.hints = map[int64]time.Time{}
	}
	if len(st.hints) < maxHints {
		st.hints[ev.ID] = time.Now()
	} else {
		st.overflow = true // nobody has asked for a while: the next query syncs
	}
	st.hintMu.Unlock()
	return nil
}

// similarRadius is the index's radius for a query of category code.
func (s *Service) similarRadius(code string) float64 {
	if c := s.citizen.settings.Load(); c != nil {
		if r, ok := c.SimilarRadius[code]; ok && r > 0 {
			return r
		}
		if r, ok := c.SimilarRadius[""]; ok && r > 0 {
			return r
		}
	}
	return similar.DefaultRadius
}

// SyncSimilar builds the index if need be and brings it up to date with the committed
// events. jobs.Citizen calls it every few seconds; queries call it when it is stale.
func (s *Service) SyncSimilar(ctx context.Context) error {
	st := &s.citizen.sim
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.idx.Load() == nil {
		return s.buildSimilar(ctx)
	}
	return s.syncSimilar(ctx)
}

// similarIndex returns the index, built and synced as a query needs it.
func (s *Service) similarIndex(ctx context.Context) (*simIndex, error) {
	st := &s.citizen.sim
	x := st.idx.Load()
	if x != nil && !s.similarNeedsSync() {
		return x, nil
	}
	if x == nil {
		// Not built yet. If a build is under way (jobs.Citizen starts one at start, some
		// seconds at 100,000 open cases) answer "nothing similar" rather than wait: the
		// check must never hold up a report.
		if !st.mu.TryLock() {
			return nil, nil
		}
		defer st.mu.Unlock()
		if st.idx.Load() == nil {
			if err := s.buildSimilar(ctx); err != nil {
				return nil, err
			}
		}
		return st.idx.Load(), nil
	}
	if err := s.SyncSimilar(ctx); err != nil {
		if x := st.idx.Load(); x != nil {
			s.Logger.Warn("similar cases: sync failed, answering from the index as it is", "err", err)
			return x, nil
		}
		return nil, err
	}
	return st.idx.Load(), nil
}

// similarNeedsSync reports whether a query should sync first: the last sync is stale,
// or an event this node recorded has not been seen yet.
func (s *Service) similarNeedsSync() bool {
	st := &s.citizen.sim
	if time.Since(time.Unix(0, st.lastSync.Load())) > similarStale {
		return true
	}
	st.hintMu.Lock()
	defer st.hintMu.Unlock()
	return len(st.hints) > 0 || st.overflow
}

// buildSimilar builds the index from the open cases (st.mu held).
func (s *Service) buildSimilar(ctx context.Context) error {
	st := &s.citizen.sim
	start := time.Now()
	x := &simIndex{docs: map[int64]simCase{}, ix: similar.NewIndex(similar.Options{
		RadiusMeters: s.similarRadius,
		Limit:        4 * SimilarLimit, // room for the matches a caller may not see
		Texts:        s.similarTexts,
	})}
	// The cases stream from the store to workers that Add them (the n-gram and MinHash
	// work runs outside the index's lock): no more than a few of their texts are held at
	// a time.
	ch := make(chan similar.Doc, 256)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for d := range ch {
				x.ix.Add(d)
			}
		})
	}
	var top int64
	seen := map[int64]bool{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if top, err = tx.MaxEventID(ctx); err != nil {
			return err
		}
		refs, err := tx.EventRefsAfter(ctx, top-buildWindow, buildWindow)
		if err != nil {
			return err
		}
		for _, r := range refs {
			seen[r.ID] = true
		}
		return tx.EachOpenCaseDoc(ctx, func(d store.CaseDoc) error {
			x.docs[d.ID] = newSimCase(d)
			ch <- simDoc(d)
			return nil
		})
	})
	close(ch)
	wg.Wait()
	if err != nil {
		return err
	}
	now := time.Now()
	st.gaps = map[int64]time.Time{}
	for id := max(1, top-buildWindow+1); id <= top; id++ {
		if !seen[id] {
			st.gaps[id] = now
		}
	}
	st.watermark = top
	st.idx.Store(x)
	st.lastSync.Store(now.UnixNano())
	st.builds.Add(1)
	s.forgetHints(top)
	s.Logger.Info("similar cases: index built", "cases", len(x.docs), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// syncSimilar applies the events committed since the last sync (st.mu held).
func (s *Service) syncSimilar(ctx context.Context) error {
	st := &s.citizen.sim
	x := st.idx.Load()
	now := time.Now()
	for id, since := range st.gaps {
		if now.Sub(since) > gapTTL {
			delete(st.gaps, id)
		}
	}
	gapIDs := make([]int64, 0, len(st.gaps))
	for id := range st.gaps {
		gapIDs = append(gapIDs, id)
	}
	const page = 5000
	var refs []store.EventRef
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		after := st.watermark
		for {
			part, err := tx.EventRefsAfter(ctx, after, page)
			if err != nil {
				return err
			}
			refs = append(refs, part...)
			if len(part) < page {
				break
			}
			after = part[len(part)-1].ID
		}
		if len(gapIDs) > 0 {
			found, err := tx.EventRefs(ctx, gapIDs)
			if err != nil {
				return err
			}
			refs = append(refs, found...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	caseIDs := map[int64]bool{}
	next := st.watermark
	for _, r := range refs {
		caseIDs[r.CaseID] = true
		if _, ok := st.gaps[r.ID]; ok {
			delete(st.gaps, r.ID)
			continue
		}
		// Ids skipped between the last one seen and this one: not committed yet, or never.
		if r.ID > next+1 && len(st.gaps) < maxGaps {
			for id := next + 1; id < r.ID && len(st.gaps) < maxGaps; id++ {
				st.gaps[id] = now
			}
		}
		next = max(st.watermark, r.ID)
		st.watermark = next
	}
	if len(caseIDs) > 0 {
		ids := make([]int64, 0, len(caseIDs))
		for id := range caseIDs {
			ids = append(ids, id)
		}
		var docs []store.CaseDoc
		err := s.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			docs, err = tx.CaseDocs(ctx, ids)
			return err
		})
		if err != nil {
			return err
		}
		for _, d := range docs {
			x.apply(d)
		}
		st.applied.Add(int64(len(docs)))
	}
	st.lastSync.Store(now.UnixNano())
	st.syncs.Add(1)
	s.forgetHints(st.watermark)
	return nil
}

// forgetHints drops the hints a sync has answered: seen (at or below the watermark and
// not a gap) or too old (rolled back).
func (s *Service) forgetHints(watermark int64) {
	st := &s.citizen.sim
	st.hintMu.Lock()
	defer st.hintMu.Unlock()
	st.overflow = false
	now := time.Now()
	for id, at := range st.hints {
		_, gap := st.gaps[id]
		if (id <= watermark && !gap) || now.Sub(at) > hintTTL {
			delete(st.hints, id)
		}
	}
}

// apply puts d in the index if it is open, else takes it out.
func (x *simIndex) apply(d store.CaseDoc) {
	c := newSimCase(d)
	x.mu.Lock()
	old, had := x.docs[d.ID]
	if d.Status.Open() {
		x.docs[d.ID] = c
	} else {
		delete(x.docs, d.ID)
	}
	x.mu.Unlock()
	switch {
	case !d.Status.Open():
		if had {
			x.ix.Remove(d.ID)
		}
	case !had || old.DescHash != c.DescHash || old.Lat != d.Lat || old.Lng != d.Lng || old.CategoryCode != d.CategoryCode:
		x.ix.Add(simDoc(d))
	}
}

func simDoc(d store.CaseDoc) similar.Doc {
	return similar.Doc{ID: d.ID, Code: d.Code, Lat: d.Lat, Lng: d.Lng, CategoryCode: d.CategoryCode, Text: d.Description}
}

// similarTexts is the index's similar.Options.Texts, for a query without a loader of its
// own (Similar has one, to read with the query's context and get the addresses too).
func (s *Service) similarTexts(ids []int64) map[int64]string {
	return descriptions(s.caseTexts(context.Background(), ids))
}

func descriptions(texts map[int64]store.CaseText) map[int64]string {
	out := make(map[int64]string, len(texts))
	for id, t := range texts {
		out[id] = t.Description
	}
	return out
}

// caseTexts reads the descriptions and addresses of the candidates a query compares
// exactly (at most 64), in one query, within similarLoadTimeout. On an error it logs and
// returns what it has (nothing): those candidates are left out of the answer.
func (s *Service) caseTexts(ctx context.Context, ids []int64) map[int64]store.CaseText {
	tctx, cancel := context.WithTimeout(ctx, similarLoadTimeout)
	defer cancel()
	var texts map[int64]store.CaseText
	err := s.DB.View(tctx, func(tx *store.Tx) error {
		var err error
		texts, err = tx.CaseTexts(tctx, ids)
		return err
	})
	if err != nil && ctx.Err() == nil { // (not when the caller has gone)
		s.Logger.Warn("similar cases: reading the candidates' texts failed", "cases", len(ids), "err", err)
	}
	return texts
}

// SimilarCase is an open case that is probably the same problem. For the public
// (intake) it is public-safe: public categories only, no personal data, personal data
// in the description masked.
type SimilarCase struct {
	Code         string    `json:"code"`
	Status       gl.Status `json:"status"`
	StatusLabel  string    `json:"status_label"`
	CategoryCode string    `json:"category_code,omitempty"`
	Category     string    `json:"category,omitempty"`
	Description  string    `json:"description"`
	Address      string    `json:"address,omitempty"`
	DistanceM    int       `json:"distance_m"` // metres from the point asked about
	Score        float64   `json:"score"`      // 0–1 (docs/duplicates.md)
	TextSim      float64   `json:"text_sim"`
	Interest     int       `json:"interest"` // how many others said "me too"
	CreatedAt    time.Time `json:"created_at"`
}

// SimilarQuery is a problem to look for among the open cases.
type SimilarQuery struct {
	Lat, Lng     float64
	CategoryCode string
	Text         string
	// ExcludeID leaves a case out (the case itself, on its register page).
	ExcludeID int64
}

// Similar returns the open cases that are probably the same problem as q, best first
// (at most SimilarLimit, scoring at least similar.DefaultMinScore). A nil principal, or
// one without a user, is the public: it sees cases of public categories only, with
// personal data masked; staff see the cases in their scope.
func (s *Service) Similar(ctx context.Context, p *Principal, q SimilarQuery) ([]SimilarCase, error) {
	switch {
	case math.IsNaN(q.Lat) || q.Lat < -90 || q.Lat > 90:
		return nil, gl.FieldError("lat", "纬度须在 -90 到 90 之间")
	case math.IsNaN(q.Lng) || q.Lng < -180 || q.Lng > 180:
		return nil, gl.FieldError("lng", "经度须在 -180 到 180 之间")
	case len([]rune(q.Text)) > 4000:
		return nil, gl.FieldError("text", "问题描述不能超过 4000 字")
	}
	x, err := s.similarIndex(ctx)
	if err != nil {
		return nil, err
	}
	if x == nil {
		return []SimilarCase{}, nil // the index is being built
	}
	cats, err := s.categoryMap(ctx)
	if err != nil {
		return nil, err
	}
	public := p == nil || (p.User == nil && !p.System)
	// The index reads the texts of the candidates it compares; the addresses of the same
	// cases come with them, for the answer.
	var texts map[int64]store.CaseText
	matches := x.ix.SimilarWith(similar.Doc{ID: q.ExcludeID, Lat: q.Lat, Lng: q.Lng, CategoryCode: q.CategoryCode, Text: q.Text},
		func(ids []int64) map[int64]string {
			texts = s.caseTexts(ctx, ids)
			return descriptions(texts)
		})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]SimilarCase, 0, min(len(matches), SimilarLimit))
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, m := range matches {
		d, ok := x.docs[m.Doc.ID]
		if !ok || !d.Status.Open() {
			continue
		}
		if public && !publicCategory(cats, d.CategoryCode) {
			continue
		}
		if !public && !p.canSee(docCase(d)) {
			continue
		}
		// The description is the one the index compared, read from the store just now.
		sc := SimilarCase{Code: d.Code, Status: d.Status, StatusLabel: d.Status.Label("zh"), CategoryCode: d.CategoryCode,
			Description: m.Doc.Text, Address: texts[d.ID].Address, DistanceM: int(math.Round(m.Distance)),
			Score: round2(m.Score), TextSim: round2(m.TextSim), Interest: d.Interest, CreatedAt: d.CreatedAt}
		if c, ok := cats[d.CategoryCode]; ok {
			sc.Category = c.Name
		}
		if public {
			sc.Description = maskPersonal(sc.Description, "")
		}
		out = append(out, sc)
		if len(out) == SimilarLimit {
			break
		}
	}
	return out, nil
}

// SimilarTo returns the open cases that are probably the same problem as the case with
// code, for its register page: the merge candidates.
func (s *Service) SimilarTo(ctx context.Context, p *Principal, code string) ([]SimilarCase, error) {
	c, err := s.Case(ctx, p, code)
	if err != nil {
		return nil, err
	}
	out, err := s.Similar(ctx, p, SimilarQuery{Lat: c.Lat, Lng: c.Lng, CategoryCode: c.CategoryCode, Text: c.Description, ExcludeID: c.ID})
	if err != nil {
		return nil, err
	}
	// A merge goes to an older case: list those first, then the rest as they came.
	slices.SortStableFunc(out, func(a, b SimilarCase) int {
		ao, bo := a.CreatedAt.Before(c.CreatedAt), b.CreatedAt.Before(c.CreatedAt)
		switch {
		case ao && !bo:
			return -1
		case bo && !ao:
			return 1
		}
		return 0
	})
	return out, nil
}

// docCase is as much of a case as Principal.canSee reads.
func docCase(d simCase) *gl.Case {
	c := &gl.Case{ID: d.ID, Code: d.Code, Status: d.Status, AreaCode: d.AreaCode, CategoryCode: d.CategoryCode}
	for _, id := range d.Depts {
		c.Assignments = append(c.Assignments, gl.Assignment{DeptID: id})
	}
	return c
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
