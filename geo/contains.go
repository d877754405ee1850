package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Point-in-polygon on prepared geometry. The rule is exactly that of
// orb/planar (PolygonContains: even-odd ray casting, points on a boundary are
// inside the ring, so on a hole's edge means outside the polygon) but ring
// bounds are computed once, and long rings get an index of their edges by
// vertical slab so a test looks at a handful of edges instead of all of them.

// slabThreshold: rings with more edges than this get a slab index.
const slabThreshold = 32

type preparedPolygon struct {
	bound orb.Bound
	rings []preparedRing // [0] is the outer ring, the rest are holes
}

type preparedRing struct {
	pts   orb.Ring
	bound orb.Bound
	// Slab index (nil for short rings): the ring's x-extent is cut into
	// len(start)-1 equal slabs; edges[start[k]:start[k+1]] are the edges whose
	// x-range meets slab k. Edge i runs from pts[i] to pts[(i+1)%len(pts)].
	minX, invW float64
	start      []int32
	edges      []int32
}

func preparePolygon(p orb.Polygon) preparedPolygon {
	pp := preparedPolygon{rings: make([]preparedRing, 0, len(p))}
	for _, r := range p {
		pp.rings = append(pp.rings, prepareRing(r))
	}
	if len(pp.rings) > 0 {
		pp.bound = pp.rings[0].bound
	} else {
		pp.bound = emptyBound
	}
	return pp
}

func prepareRing(r orb.Ring) preparedRing {
	pr := preparedRing{pts: r, bound: emptyBound}
	if len(r) == 0 {
		return pr
	}
	pr.bound = r.Bound()
	n := len(r)
	width := pr.bound.Max[0] - pr.bound.Min[0]
	if n <= slabThreshold || !(width > 0) {
		return pr
	}
	slabs := min(max(n/4, 1), 4096)
	pr.minX = pr.bound.Min[0]
	pr.invW = float64(slabs) / width
	slabOf := func(x float64) int {
		return min(max(int((x-pr.minX)*pr.invW), 0), slabs-1)
	}
	counts := make([]int32, slabs+1)
	for i := 0; i < n; i++ {
		a, b := r[i][0], r[(i+1)%n][0]
		for k := slabOf(min(a, b)); k <= slabOf(max(a, b)); k++ {
			counts[k+1]++
		}
	}
	for k := 1; k <= slabs; k++ {
		counts[k] += counts[k-1]
	}
	pr.start = counts
	pr.edges = make([]int32, counts[slabs])
	fill := append([]int32(nil), counts[:slabs]...)
	for i := 0; i < n; i++ {
		a, b := r[i][0], r[(i+1)%n][0]
		for k := slabOf(min(a, b)); k <= slabOf(max(a, b)); k++ {
			pr.edges[fill[k]] = int32(i)
			fill[k]++
		}
	}
	return pr
}

func (pp *preparedPolygon) contains(p orb.Point) bool {
	if !inBound(&pp.bound, p) || len(pp.rings) == 0 {
		return false
	}
	if !pp.rings[0].contains(p) {
		return false
	}
	for i := 1; i < len(pp.rings); i++ {
		if pp.rings[i].contains(p) {
			return false
		}
	}
	return true
}

func inBound(b *orb.Bound, p orb.Point) bool {
	return p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1]
}

func (pr *preparedRing) contains(p orb.Point) bool {
	if !inBound(&pr.bound, p) {
		return false
	}
	r := pr.pts
	n := len(r)
	in := false
	if pr.start == nil {
		for i := 0; i < n; i++ {
			j := i + 1
			if j == n {
				j = 0
			}
			cross, on := rayCross(p, r[i], r[j])
			if on {
				return true
			}
			in = in != cross
		}
		return in
	}
	k := min(max(int((p[0]-pr.minX)*pr.invW), 0), len(pr.start)-2)
	for _, i := range pr.edges[pr.start[k]:pr.start[k+1]] {
		j := int(i) + 1
		if j == n {
			j = 0
		}
		cross, on := rayCross(p, r[i], r[j])
		if on {
			return true
		}
		in = in != cross
	}
	return in
}

// rayCross reports whether the vertical ray from p towards +y crosses the
// segment s–e, and whether p lies on it. A point level with an endpoint is
// nudged east (Nextafter) so vertices are counted once. Same rule as orb/planar.
func rayCross(p, s, e orb.Point) (cross, on bool) {
	if s[0] > e[0] {
		s, e = e, s
	}
	x := p[0]
	switch x {
	case s[0]:
		if p[1] == s[1] {
			return false, true
		}
		if s[0] == e[0] { // vertical segment
			lo, hi := s[1], e[1]
			if lo > hi {
				lo, hi = hi, lo
			}
			if p[1] >= lo && p[1] <= hi {
				return false, true
			}
		}
		x = math.Nextafter(x, math.Inf(1))
	case e[0]:
		if p[1] == e[1] {
			return false, true
		}
		x = math.Nextafter(x, math.Inf(1))
	}
	if x < s[0] || x > e[0] {
		return false, false
	}
	if s[1] > e[1] {
		if p[1] > s[1] {
			return false, false
		} else if p[1] < e[1] {
			return true, false
		}
	} else {
		if p[1] > e[1] {
			return false, false
		} else if p[1] < s[1] {
			return true, false
		}
	}
	rs := (p[1] - s[1]) / (x - s[0])
	ds := (e[1] - s[1]) / (e[0] - s[0])
	if rs == ds {
		return false, true
	}
	return rs <= ds, false
}
