package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Shape is one indexed area: a unit grid, a responsibility grid, a community...
type Shape struct {
	ID   int64
	Code string
	Geom orb.MultiPolygon
}

// Index answers "which shape contains this point". It is immutable once built
// and safe for concurrent use by many goroutines.
type Index struct {
	tree   rtree.RTreeG[int32] // bounding box of each non-empty shape → position in shapes
	shapes []Shape
	meta   []shapeMeta
}

type shapeMeta struct {
	area  float64           // planar area in degrees², for picking the smallest of overlapping shapes
	parts []preparedPolygon // Geom with bounds precomputed (and edge slabs for long rings)
}

// NewIndex builds an index over shapes. The slice is copied but the geometries
// are shared: do not modify them afterwards. Shapes with no usable geometry
// (empty, or with NaN coordinates) are kept — they count in Len — but can never
// be found. Building costs about 1 µs per shape.
func NewIndex(shapes []Shape) *Index {
	ix := &Index{
		shapes: append([]Shape(nil), shapes...),
		meta:   make([]shapeMeta, len(shapes)),
	}
	bounds := make([]orb.Bound, len(ix.shapes))
	var all orb.Bound
	var have []int32
	for i, s := range ix.shapes {
		m := &ix.meta[i]
		m.parts = make([]preparedPolygon, len(s.Geom))
		var b orb.Bound
		first := true
		for j, p := range s.Geom {
			m.parts[j] = preparePolygon(p)
			if len(p) == 0 || len(p[0]) == 0 {
				continue
			}
			pb := m.parts[j].bound
			if first {
				b, first = pb, false
			} else {
				b = b.Union(pb)
			}
		}
		m.area = multiPolygonArea(s.Geom)
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
	// Insert along a Hilbert curve through the boxes' centres: neighbours end
	// up in the same nodes, which keeps node boxes tight and searches short.
	const order = 1 << 16
	key := make([]uint64, len(ix.shapes))
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
	for _, i := range have {
		ix.tree.Insert(bounds[i].Min, bounds[i].Max, i)
	}
	return ix
}

// emptyBound contains no point.
var emptyBound = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}

// Len returns the number of shapes the index was built with.
func (ix *Index) Len() int { return len(ix.shapes) }

// Shapes returns the indexed shapes in the order given to NewIndex. The
// returned slice must not be modified.
func (ix *Index) Shapes() []Shape { return ix.shapes }

// Locate returns the shape containing p, by the rule of
// planar.MultiPolygonContains (points on a boundary count as inside, holes are
// outside).
// When several shapes contain p (overlaps, or a point on a shared edge) the one
// with the smallest area wins; ties go to the smaller ID, then to the earlier
// position in the slice given to NewIndex, so the answer is deterministic.
func (ix *Index) Locate(p orb.Point) (Shape, bool) {
	best := ix.locate(p)
	if best < 0 {
		return Shape{}, false
	}
	return ix.shapes[best], true
}

// locateState is passed by pointer to the search callback so the closure
// captures a single stack pointer and does not allocate.
type locateState struct {
	ix   *Index
	p    orb.Point
	best int32
}

func (st *locateState) visit(_, _ [2]float64, i int32) bool {
	ix := st.ix
	if st.best >= 0 && !ix.better(i, st.best) {
		return true // cannot win even if it contains p: skip the ring test
	}
	if ix.contains(i, st.p) {
		st.best = i
	}
	return true
}

func (ix *Index) locate(p orb.Point) int32 {
	st := locateState{ix: ix, p: p, best: -1}
	ix.tree.Search(p, p, st.visit)
	return st.best
}

// better reports whether shape i beats shape j when both contain the point.
func (ix *Index) better(i, j int32) bool {
	ai, aj := ix.meta[i].area, ix.meta[j].area
	if ai != aj {
		return ai < aj
	}
	if idi, idj := ix.shapes[i].ID, ix.shapes[j].ID; idi != idj {
		return idi < idj
	}
	return i < j
}

// contains is planar.MultiPolygonContains(ix.shapes[i].Geom, p) on the
// prepared geometry.
func (ix *Index) contains(i int32, p orb.Point) bool {
	parts := ix.meta[i].parts
	for k := range parts {
		if parts[k].contains(p) {
			return true
		}
	}
	return false
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
