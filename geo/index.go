package geo

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/paulmach/orb"
)

// Shape is one indexed area: a unit grid, a responsibility grid, a community...
type Shape struct {
	ID   int64
	Code string
	Geom orb.MultiPolygon
}

// Index answers "which shape contains this point". It is immutable once built
// and safe for concurrent use by many goroutines.
//
// A city has around 100,000 unit grids, so the index keeps them compactly: all
// coordinates in one flat slice (exact float64, so point-in-polygon answers
// are those of the original geometry), rings, polygons and shapes as offsets
// into it, and all codes in one string. That is about a third of the memory of
// orb geometry plus prepared copies; Geom rebuilds a shape's orb geometry when
// a caller needs it (drawing a grid, say).
type Index struct {
	tree packedTree // bounding box of each findable shape → position

	ids     []int64   // shape IDs; nil when every ID equals its position (the usual case)
	codes   string    // all codes, concatenated
	codeEnd []uint32  // code i is codes[codeEnd[i-1]:codeEnd[i]]
	byCode  []int32   // positions in code order; nil when the codes are given in order
	area    []float64 // planar area in degrees², for picking the smallest of overlapping shapes

	shapePoly []uint32    // shape i's polygons are shapePoly[i]:shapePoly[i+1]
	polyRing  []uint32    // polygon j's rings are polyRing[j]:polyRing[j+1]; the first is the outer ring
	rings     []ring      // one more than there are rings: the last only ends the one before
	pts       []orb.Point // every ring's points as given, but for the closing point
	slabs     []slabIndex // edge indexes of the long rings
}

// ring is one ring of a polygon: pts[start:rings[k+1].start], without the
// closing point (the ring test wraps around anyway, and a zero-length edge
// changes no answer: it only meets the vertex its neighbours meet).
type ring struct {
	bound  bound32 // rounded outwards: a filter before the exact test
	start  uint32
	slab   int32 // position in slabs, or -1 for a short ring tested edge by edge
	closed bool  // the ring was given with a closing point, which Geom restores
}

// bound32 is a bounding box in float32 rounded outwards: half the size of an
// orb.Bound and, as it only ever contains more, as good a filter.
type bound32 struct{ minX, minY, maxX, maxY float32 }

func newBound32(b orb.Bound) bound32 {
	down := func(x float64) float32 {
		f := float32(x)
		if float64(f) > x {
			f = math.Nextafter32(f, float32(math.Inf(-1)))
		}
		return f
	}
	up := func(x float64) float32 {
		f := float32(x)
		if float64(f) < x {
			f = math.Nextafter32(f, float32(math.Inf(1)))
		}
		return f
	}
	return bound32{down(b.Min[0]), down(b.Min[1]), up(b.Max[0]), up(b.Max[1])}
}

func (b *bound32) contains(p orb.Point) bool {
	return p[0] >= float64(b.minX) && p[0] <= float64(b.maxX) && p[1] >= float64(b.minY) && p[1] <= float64(b.maxY)
}

// NewIndex builds an index over shapes. The geometries are copied: the index
// does not keep or modify them. Shapes with no usable geometry (empty, or with
// NaN coordinates) are kept — they count in Len — but can never be found.
// Building costs about 1 µs per shape.
func NewIndex(shapes []Shape) *Index {
	n := len(shapes)
	var nPoly, nRing, nPts, nCode int
	for _, s := range shapes {
		nCode += len(s.Code)
		nPoly += len(s.Geom)
		for _, p := range s.Geom {
			nRing += len(p)
			for _, r := range p {
				nPts += len(r)
				if n := len(r); n > 1 && r[0] == r[n-1] {
					nPts-- // see addRing
				}
			}
		}
	}
	if nPts > math.MaxUint32 || nCode > math.MaxUint32 || nPoly >= math.MaxUint32 || nRing >= math.MaxUint32 {
		panic("geo: too much geometry for one index")
	}
	ix := &Index{
		codeEnd:   make([]uint32, n),
		area:      make([]float64, n),
		shapePoly: make([]uint32, n+1),
		polyRing:  make([]uint32, 1, nPoly+1),
		rings:     make([]ring, 0, nRing+1),
		pts:       make([]orb.Point, 0, nPts),
	}
	var codes strings.Builder
	codes.Grow(nCode)
	codesSorted := true
	bounds := make([]orb.Bound, n)
	var all orb.Bound
	var have []int32
	for i, s := range shapes {
		if s.ID != int64(i) && ix.ids == nil {
			ix.ids = make([]int64, n)
			for k := range i {
				ix.ids[k] = int64(k)
			}
		}
		if ix.ids != nil {
			ix.ids[i] = s.ID
		}
		if i > 0 && s.Code < shapes[i-1].Code {
			codesSorted = false
		}
		codes.WriteString(s.Code)
		ix.codeEnd[i] = uint32(codes.Len())

		var b orb.Bound
		first := true
		for _, p := range s.Geom {
			for _, r := range p {
				ix.addRing(r)
			}
			ix.polyRing = append(ix.polyRing, uint32(len(ix.rings)))
			if len(p) == 0 || len(p[0]) == 0 {
				continue
			}
			pb := p[0].Bound()
			if first {
				b, first = pb, false
			} else {
				b = b.Union(pb)
			}
		}
		ix.shapePoly[i+1] = uint32(len(ix.polyRing) - 1)
		ix.area[i] = multiPolygonArea(s.Geom)
		if first || math.IsNaN(b.Min[0]+b.Min[1]+b.Max[0]+b.Max[1]) {
			continue // no usable geometry
		}
		bounds[i] = b
		if len(have) == 0 {
			all = b
		} else {
			all = all.Union(b)
		}
		have = append(have, int32(i))
	}
	ix.rings = append(ix.rings, ring{start: uint32(len(ix.pts))})
	ix.codes = codes.String()
	if !codesSorted {
		ix.byCode = make([]int32, n)
		for i := range ix.byCode {
			ix.byCode[i] = int32(i)
		}
		slices.SortStableFunc(ix.byCode, func(a, b int32) int { return strings.Compare(ix.Code(int(a)), ix.Code(int(b))) })
	}

	// Insert along a Hilbert curve through the boxes' centres: neighbours end
	// up in the same nodes, which keeps node boxes tight and searches short.
	const order = 1 << 16
	key := make([]uint64, n)
	w, h := all.Max[0]-all.Min[0], all.Max[1]-all.Min[1]
	for _, i := range have {
		c := bounds[i].Center()
		x, y := 0, 0
		if w > 0 {
			x = min(int((c[0]-all.Min[0])/w*order), order-1)
		}
		if h > 0 {
			y = min(int((c[1]-all.Min[1])/h*order), order-1)
		}
		key[i] = hilbert(order, x, y)
	}
	slices.SortStableFunc(have, func(a, b int32) int { return cmp.Compare(key[a], key[b]) })
	boxes := make([]orb.Bound, len(have))
	for k, i := range have {
		boxes[k] = bounds[i]
	}
	ix.tree = newPackedTree(boxes, have)
	return ix
}

// addRing appends r's points, its bound and, for a long ring, its edge index.
func (ix *Index) addRing(r orb.Ring) {
	rg := ring{bound: newBound32(emptyBound), start: uint32(len(ix.pts)), slab: -1}
	if n := len(r); n > 1 && r[0] == r[n-1] {
		r, rg.closed = r[:n-1], true
	}
	if len(r) > 0 {
		b := r.Bound()
		rg.bound = newBound32(b)
		if s := newSlabIndex(r, b); s != nil {
			rg.slab = int32(len(ix.slabs))
			ix.slabs = append(ix.slabs, *s)
		}
	}
	ix.pts = append(ix.pts, r...)
	ix.rings = append(ix.rings, rg)
}

// emptyBound contains no point.
var emptyBound = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}

// Len returns the number of shapes the index was built with.
func (ix *Index) Len() int { return len(ix.codeEnd) }

// ID returns the ID of the shape at position i (the order given to NewIndex).
func (ix *Index) ID(i int) int64 {
	if ix.ids == nil {
		return int64(i)
	}
	return ix.ids[i]
}

// Code returns the code of the shape at position i. It does not allocate.
func (ix *Index) Code(i int) string {
	start := uint32(0)
	if i > 0 {
		start = ix.codeEnd[i-1]
	}
	return ix.codes[start:ix.codeEnd[i]]
}

// Geom rebuilds the geometry of the shape at position i, as given to NewIndex
// (the same points; nil rings or polygons come back empty). The result is the
// caller's to modify.
func (ix *Index) Geom(i int) orb.MultiPolygon {
	p0, p1 := ix.shapePoly[i], ix.shapePoly[i+1]
	if p0 == p1 {
		return nil
	}
	mp := make(orb.MultiPolygon, p1-p0)
	for j := range mp {
		r0, r1 := ix.polyRing[p0+uint32(j)], ix.polyRing[p0+uint32(j)+1]
		poly := make(orb.Polygon, r1-r0)
		for k := range poly {
			pts := ix.ringPts(r0 + uint32(k))
			r := make(orb.Ring, len(pts), len(pts)+1)
			copy(r, pts)
			if ix.rings[r0+uint32(k)].closed {
				r = append(r, pts[0])
			}
			poly[k] = r
		}
		mp[j] = poly
	}
	return mp
}

// Shape returns the shape at position i, with its geometry rebuilt (see Geom).
func (ix *Index) Shape(i int) Shape {
	return Shape{ID: ix.ID(i), Code: ix.Code(i), Geom: ix.Geom(i)}
}

// IndexOf returns the position of the shape with code (the first, if several
// have it).
func (ix *Index) IndexOf(code string) (int, bool) {
	n := ix.Len()
	at := func(k int) int {
		if ix.byCode == nil {
			return k
		}
		return int(ix.byCode[k])
	}
	k := sort.Search(n, func(k int) bool { return ix.Code(at(k)) >= code })
	if k < n && ix.Code(at(k)) == code {
		return at(k), true
	}
	return -1, false
}

// Bound returns Geom(i).Bound() (the box around the outer rings) without
// rebuilding the geometry.
func (ix *Index) Bound(i int) orb.Bound {
	b := orb.MultiPolygon(nil).Bound() // orb's empty box, which Union ignores
	for j := ix.shapePoly[i]; j < ix.shapePoly[i+1]; j++ {
		if k := ix.polyRing[j]; k < ix.polyRing[j+1] && ix.rings[k].start < ix.rings[k+1].start {
			b = b.Union(ix.ringPts(k).Bound())
		}
	}
	return b
}

// Bounds returns the box around every findable shape; ok is false when there
// is none.
func (ix *Index) Bounds() (b orb.Bound, ok bool) {
	return ix.tree.bounds()
}

// Search calls fn with the position of every findable shape whose bounding box
// meets b, in no particular order, until fn returns false.
func (ix *Index) Search(b orb.Bound, fn func(i int) bool) {
	ix.tree.search(b, func(i int32) bool { return fn(int(i)) })
}

// Locate returns the shape containing p, by the rule of
// planar.MultiPolygonContains (points on a boundary count as inside, holes are
// outside). The Shape has its ID and Code but not its geometry (see Geom); it
// does not allocate.
// When several shapes contain p (overlaps, or a point on a shared edge) the one
// with the smallest area wins; ties go to the smaller ID, then to the earlier
// position in the slice given to NewIndex, so the answer is deterministic.
func (ix *Index) Locate(p orb.Point) (Shape, bool) {
	i, ok := ix.LocateIndex(p)
	if !ok {
		return Shape{}, false
	}
	return Shape{ID: ix.ID(i), Code: ix.Code(i)}, true
}

// LocateIndex is Locate returning the shape's position in the slice given to
// NewIndex.
func (ix *Index) LocateIndex(p orb.Point) (int, bool) {
	st := locateState{ix: ix, p: p, best: -1}
	ix.tree.search(orb.Bound{Min: p, Max: p}, st.visit)
	return int(st.best), st.best >= 0
}

// locateState is passed by pointer to the search callback so the closure
// captures a single stack pointer and does not allocate.
type locateState struct {
	ix   *Index
	p    orb.Point
	best int32
}

func (st *locateState) visit(i int32) bool {
	ix := st.ix
	if st.best >= 0 && !ix.better(i, st.best) {
		return true // cannot win even if it contains p: skip the ring test
	}
	if ix.contains(i, st.p) {
		st.best = i
	}
	return true
}

// better reports whether shape i beats shape j when both contain the point.
func (ix *Index) better(i, j int32) bool {
	ai, aj := ix.area[i], ix.area[j]
	if ai != aj {
		return ai < aj
	}
	if idi, idj := ix.ID(int(i)), ix.ID(int(j)); idi != idj {
		return idi < idj
	}
	return i < j
}

// contains is planar.MultiPolygonContains(shape i's geometry, p).
func (ix *Index) contains(i int32, p orb.Point) bool {
	for j, end := ix.shapePoly[i], ix.shapePoly[i+1]; j < end; j++ {
		if ix.polygonContains(j, p) {
			return true
		}
	}
	return false
}

// polygonContains is planar.PolygonContains: inside the outer ring and not
// inside (nor on the edge of) a hole.
func (ix *Index) polygonContains(j uint32, p orb.Point) bool {
	r0, r1 := ix.polyRing[j], ix.polyRing[j+1]
	if r0 == r1 || !ix.ringContains(r0, p) {
		return false
	}
	for k := r0 + 1; k < r1; k++ {
		if ix.ringContains(k, p) {
			return false
		}
	}
	return true
}

func (ix *Index) ringContains(k uint32, p orb.Point) bool {
	rg := &ix.rings[k]
	if !rg.bound.contains(p) {
		return false
	}
	pts := ix.pts[rg.start:ix.rings[k+1].start]
	if rg.slab < 0 {
		return ringContains(pts, p)
	}
	return ix.slabs[rg.slab].contains(pts, p)
}

func (ix *Index) ringPts(k uint32) orb.Ring {
	return ix.pts[ix.rings[k].start:ix.rings[k+1].start:ix.rings[k+1].start]
}

// multiPolygonArea is the planar area (degrees²) of mp: outer rings minus holes.
func multiPolygonArea(mp orb.MultiPolygon) float64 {
	a := 0.0
	for _, p := range mp {
		a += polygonArea(p)
	}
	return a
}

func polygonArea(p orb.Polygon) float64 {
	if len(p) == 0 {
		return 0
	}
	a := math.Abs(ringSignedArea(p[0]))
	for _, h := range p[1:] {
		a -= math.Abs(ringSignedArea(h))
	}
	if a < 0 {
		return 0
	}
	return a
}

// ringSignedArea is the shoelace area, positive for counter-clockwise rings.
// The ring need not be closed.
func ringSignedArea(r orb.Ring) float64 {
	n := len(r)
	if n < 3 {
		return 0
	}
	// Shift by the first point to keep precision with lon/lat magnitudes.
	ox, oy := r[0][0], r[0][1]
	s := 0.0
	for i := 0; i < n; i++ {
		a, b := r[i], r[(i+1)%n]
		s += (a[0]-ox)*(b[1]-oy) - (b[0]-ox)*(a[1]-oy)
	}
	return s / 2
}
