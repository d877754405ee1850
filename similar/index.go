package similar

import (
	"hash/maphash"
	"math"
	"slices"
	"sync"
)

// Doc is an open case as the detector sees it.
type Doc struct {
	ID   int64
	Code string
	// Lat, Lng in degrees, one datum for all cases (WGS-84 or GCJ-02 alike: the offset
	// between them is nearly constant over 200 m).
	Lat, Lng     float64
	CategoryCode string
	Text         string // the report's description
}

// Options tune an Index. The zero value is usable.
type Options struct {
	// RadiusMeters gives the search radius for a query of a category; nil, or a result
	// <= 0, means DefaultRadius. The query's category decides (a citizen's report without a
	// category yet searches DefaultRadius, or whatever RadiusMeters("") says).
	RadiusMeters func(categoryCode string) float64
	// MinScore drops matches scoring below it. 0 means DefaultMinScore; a negative value
	// keeps every candidate that shares text at all (TextSim >= MinTextSim).
	MinScore float64
	// Limit caps the number of matches; 0 means DefaultLimit, negative means no cap.
	Limit int
	// Texts, when set, loads the texts of indexed cases by ID, and the index keeps none:
	// Add builds a case's MinHash signature and n-gram count from Doc.Text and stores the
	// case without its text; Similar calls Texts once per query, with the IDs of the
	// candidates it compares exactly (at most 64, those that survive the MinHash pruning;
	// no call when there are none), and compares the texts returned. A candidate whose
	// text is not in the returned map is skipped (the case is gone, or the load failed:
	// return what could be read). Match.Doc.Text holds the loaded text. A text that
	// changed since the case was added is compared as loaded, its n-gram count taken
	// again; only its MinHash estimate is the old one until the case is added again.
	// Texts runs without the index's lock, possibly for several queries at once.
	// SimilarWith takes a loader for one query instead.
	//
	// nil: the index keeps every case's text, and Match.Doc.Text is it. With the same
	// texts, both ways give the same matches and scores.
	Texts func(ids []int64) map[int64]string
}

const (
	DefaultRadius   = 200.0 // metres
	DefaultMinScore = 0.30  // chosen on the labelled pairs, see docs/duplicates.md
	DefaultLimit    = 10

	// MinTextSim is the least text similarity a match needs, whatever its score: a case
	// next door in the same category that shares no wording is not offered as a duplicate.
	MinTextSim = 0.05

	// Score weights (see Similar); they add up to 1.
	WeightText     = 0.70
	WeightDistance = 0.20
	WeightCategory = 0.10

	// maxRefine bounds the candidates whose text is compared exactly, per query; the most
	// promising by MinHash estimate go first. Beyond it (a hot spot with hundreds of open
	// cases within the radius) the rest are not returned.
	maxRefine = 64
)

// Match is one open case that is probably the same problem as the query.
type Match struct {
	Doc      Doc
	Score    float64 // in [0, 1], see Similar
	Distance float64 // metres from the query
	TextSim  float64 // TextOverlap of the two texts (exact)
	Jaccard  float64 // TextSimilarity of the two texts (exact), for reference
}

// entry is an indexed case.
type entry struct {
	doc  Doc    // Text "" when Options.Texts loads it
	n    int    // distinct shingles
	sum  uint64 // with Options.Texts, the text's maphash: a loaded text that differs is counted again
	cell cellKey
	sig  signature
}

// cellKey is a grid cell of cellDeg × cellDeg degrees (about 220 m × 190 m at 30° N).
type cellKey struct{ y, x int32 }

const cellDeg = 0.002

func cellOf(lat, lng float64) cellKey {
	return cellKey{int32(math.Floor(lat / cellDeg)), int32(math.Floor(lng / cellDeg))}
}

// Index holds the open cases: a uniform grid over their points, and each case's MinHash
// signature and n-gram count. It keeps the case texts (for exact comparison of the few
// candidates of a query), unless Options.Texts loads them, but not their n-gram sets.
// Safe for concurrent use.
type Index struct {
	opt  Options
	seed maphash.Seed // for entry.sum

	mu      sync.RWMutex
	entries []entry // by slot
	free    []int32 // slots of removed cases, for reuse
	byID    map[int64]int32
	cells   map[cellKey][]int32
}

// NewIndex returns an empty index.
func NewIndex(opt Options) *Index {
	return &Index{opt: opt, seed: maphash.MakeSeed(), byID: map[int64]int32{}, cells: map[cellKey][]int32{}}
}

// Len is the number of cases in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.byID)
}

// Add puts an open case in the index, replacing the one with the same ID. Give cases
// non-zero IDs: a query with ID 0 (a report that is not a case yet) excludes nothing.
// With Options.Texts the index does not keep d.Text.
func (ix *Index) Add(d Doc) {
	t := tables.Get().(*table)
	e := entry{doc: d, cell: cellOf(d.Lat, d.Lng), sig: t.build(d.Text)}
	e.n = t.n
	tables.Put(t)
	if ix.opt.Texts != nil {
		e.sum = maphash.String(ix.seed, d.Text)
		e.doc.Text = ""
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(d.ID)
	var slot int32
	if n := len(ix.free); n > 0 {
		slot = ix.free[n-1]
		ix.free = ix.free[:n-1]
		ix.entries[slot] = e
	} else {
		slot = int32(len(ix.entries))
		ix.entries = append(ix.entries, e)
	}
	ix.byID[d.ID] = slot
	ix.cells[e.cell] = append(ix.cells[e.cell], slot)
}

// Remove takes a case out of the index (closed, merged, withdrawn); unknown IDs are ignored.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.remove(id)
}

func (ix *Index) remove(id int64) {
	slot, ok := ix.byID[id]
	if !ok {
		return
	}
	delete(ix.byID, id)
	c := ix.entries[slot].cell
	list := ix.cells[c]
	if i := slices.Index(list, slot); i >= 0 {
		list[i] = list[len(list)-1]
		list = list[:len(list)-1]
	}
	if len(list) == 0 {
		delete(ix.cells, c)
	} else {
		ix.cells[c] = list
	}
	ix.entries[slot] = entry{}
	ix.free = append(ix.free, slot)
}

func (ix *Index) radius(category string) float64 {
	if ix.opt.RadiusMeters != nil {
		if r := ix.opt.RadiusMeters(category); r > 0 {
			return r
		}
	}
	return DefaultRadius
}

// candidate is a case within the radius of a query.
type candidate struct {
	doc       Doc
	n         int
	sum       uint64 // entry.sum
	dist      float64
	estimate  float64 // optimistic TextSim from the MinHash estimate
	closeness float64 // 1 − dist/radius
	cat       float64 // sameCategory
}

// Similar returns the open cases within the radius of q's category around q's point that
// are probably the same problem, best first. q itself (same non-zero ID) is never returned.
//
// Steps: the grid gives the cases within the radius (great-circle distance); each one's
// Jaccard similarity to q is estimated from the MinHash signatures (64 permutations), and
// turned into an optimistic estimate of TextSim (J plus two standard errors, then
// |A∩B| = J(|A|+|B|)/(1+J) with the two n-gram counts). A candidate whose optimistic
// TextSim cannot lift its score to MinScore, given its distance and category, is dropped
// unread; of the rest, the maxRefine (64) best are compared exactly: q's n-grams are a
// hash set and each candidate's text is scanned once. With Options.Texts, those texts
// are loaded first, in one call.
//
// Score, in [0, 1]:
//
//	Score = 0.70·TextSim + 0.20·(1 − Distance/radius) + 0.10·c
//
// where TextSim is TextOverlap (containment of the smaller n-gram set in the larger) and c
// is 1 for the same category, 0 for a different one, 0.5 when either is unknown (""). A
// candidate needs TextSim >= MinTextSim and Score >= MinScore. Identical text at the same
// point in the same category scores 1; identical text at the edge of the radius in another
// category 0.7; a case next door in the same category needs text in common too.
func (ix *Index) Similar(q Doc) []Match { return ix.similar(q, ix.opt.Texts, nil) }

// SimilarWith is Similar with texts loading this query's candidates' texts in place of
// Options.Texts, under the same rules: for a loader that needs the query's context, or
// that reads more of the same cases at once (what the caller shows of a match). A nil
// texts means Options.Texts. On an index that keeps its texts (Options.Texts nil) texts
// is never called.
func (ix *Index) SimilarWith(q Doc, texts func(ids []int64) map[int64]string) []Match {
	if texts == nil {
		texts = ix.opt.Texts
	}
	return ix.similar(q, texts, nil)
}

// queryStats counts a query's work, for the benchmark.
type queryStats struct{ candidates, refined int }

// similar answers q, loading the candidates' texts with load when the index keeps none.
func (ix *Index) similar(q Doc, load func([]int64) map[int64]string, st *queryStats) []Match {
	if !finite(q.Lat) || !finite(q.Lng) {
		return nil
	}
	t := tables.Get().(*table)
	defer tables.Put(t)
	qsig := t.build(q.Text)
	if t.n == 0 {
		return nil
	}
	r := ix.radius(q.CategoryCode)
	minScore := ix.opt.MinScore
	if minScore == 0 {
		minScore = DefaultMinScore
	}
	cands := ix.within(q, r, &qsig, t.n)
	if st != nil {
		st.candidates += len(cands)
	}

	// Drop what cannot reach MinScore, then keep the maxRefine most promising.
	keep := cands[:0]
	for _, c := range cands {
		c.closeness = 1 - c.dist/r
		c.cat = sameCategory(q.CategoryCode, c.doc.CategoryCode)
		need := MinTextSim
		if minScore > 0 {
			need = max(need, (minScore-WeightDistance*c.closeness-WeightCategory*c.cat)/WeightText)
		}
		if c.estimate >= need {
			keep = append(keep, c)
		}
	}
	cands = keep
	if len(cands) > maxRefine {
		slices.SortFunc(cands, func(a, b candidate) int { return cmpDesc(a.estimate, b.estimate) })
		cands = cands[:maxRefine]
	}

	if st != nil {
		st.refined += len(cands)
	}
	loaded := ix.opt.Texts != nil // the entries hold no text
	var texts map[int64]string
	if loaded && len(cands) > 0 {
		ids := make([]int64, len(cands))
		for i := range cands {
			ids[i] = cands[i].doc.ID
		}
		texts = load(ids)
	}
	out := make([]Match, 0, len(cands))
	for i := range cands {
		c := &cands[i]
		if loaded {
			text, ok := texts[c.doc.ID]
			if !ok {
				continue
			}
			c.doc.Text = text
			if maphash.String(ix.seed, text) != c.sum {
				c.n = len(shingleSet(text)) // changed since Add
			}
		}
		in := t.intersect(c.doc.Text)
		ts := overlap(in, t.n, c.n)
		if ts < MinTextSim {
			continue
		}
		score := WeightText*ts + WeightDistance*c.closeness + WeightCategory*c.cat
		if score < minScore {
			continue
		}
		out = append(out, Match{
			Doc:      c.doc,
			Score:    score,
			Distance: c.dist,
			TextSim:  ts,
			Jaccard:  float64(in) / float64(t.n+c.n-in),
		})
	}
	slices.SortFunc(out, func(a, b Match) int {
		if c := cmpDesc(a.Score, b.Score); c != 0 {
			return c
		}
		return cmpAsc(a.Distance, b.Distance)
	})
	limit := ix.opt.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// sameCategory is the category term c of the score.
func sameCategory(a, b string) float64 {
	switch {
	case a == "" || b == "":
		return 0.5
	case a == b:
		return 1
	}
	return 0
}

// within collects the cases within r metres of q with their MinHash estimates, under the
// read lock. Docs are copied out (their strings are immutable), so the exact comparison
// runs without the lock.
func (ix *Index) within(q Doc, r float64, qsig *signature, qn int) []candidate {
	dLat := r / metresPerDegree
	dLng := dLat / math.Max(math.Cos(q.Lat*math.Pi/180), 0.01)
	lo, hi := cellOf(q.Lat-dLat, q.Lng-dLng), cellOf(q.Lat+dLat, q.Lng+dLng)

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var cands []candidate
	visit := func(slots []int32) {
		for _, s := range slots {
			e := &ix.entries[s]
			if q.ID != 0 && e.doc.ID == q.ID {
				continue
			}
			if !(math.Abs(e.doc.Lat-q.Lat) <= dLat && math.Abs(e.doc.Lng-q.Lng) <= dLng) {
				continue // (NaN coordinates fail too)
			}
			d := Distance(q.Lat, q.Lng, e.doc.Lat, e.doc.Lng)
			if !(d <= r) {
				continue
			}
			cands = append(cands, candidate{doc: e.doc, n: e.n, sum: e.sum, dist: d,
				estimate: optimistic(qsig.estimate(&e.sig), qn, e.n)})
		}
	}
	if nCells := (int(hi.y-lo.y) + 1) * (int(hi.x-lo.x) + 1); nCells > len(ix.cells) {
		for c, slots := range ix.cells { // a huge radius: cheaper to visit what exists
			if c.y >= lo.y && c.y <= hi.y && c.x >= lo.x && c.x <= hi.x {
				visit(slots)
			}
		}
		return cands
	}
	for y := lo.y; y <= hi.y; y++ {
		for x := lo.x; x <= hi.x; x++ {
			visit(ix.cells[cellKey{y, x}])
		}
	}
	return cands
}

// optimistic turns an estimated Jaccard j of sets of sizes na, nb into an upper estimate of
// their TextOverlap: j plus two standard errors (at least 2/numHashes, since j = 0 is seen
// for small true values too), then |A∩B| = j(|A|+|B|)/(1+j).
func optimistic(j float64, na, nb int) float64 {
	j = min(1, j+2*math.Max(math.Sqrt(j*(1-j)/numHashes), 1.0/numHashes))
	in := j * float64(na+nb) / (1 + j)
	return min(1, in/float64(max(min(na, nb), minSetSize)))
}

const (
	earthRadius     = 6371008.8 // metres, mean
	metresPerDegree = earthRadius * math.Pi / 180
)

// Distance is the great-circle (haversine) distance in metres between two WGS-84 points.
func Distance(lat1, lng1, lat2, lng2 float64) float64 {
	const rad = math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func cmpDesc(a, b float64) int { return cmpAsc(b, a) }

func cmpAsc(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
