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

// slabIndex indexes a long ring's edges by vertical slab: the ring's x-extent
// is cut into len(start)-1 equal slabs; edges[start[k]:start[k+1]] are the
// edges whose x-range meets slab k. Edge i runs from pts[i] to
// pts[(i+1)%len(pts)].
type slabIndex struct {
	minX, invW float64
	start      []int32
	edges      []int32
}

// newSlabIndex indexes r, whose bound is b; nil for a short or zero-width ring.
func newSlabIndex(r orb.Ring, b orb.Bound) *slabIndex {
	n := len(r)
	width := b.Max[0] - b.Min[0]
	if n <= slabThreshold || !(width > 0) {
		return nil
	}
	slabs := min(max(n/4, 1), 4096)
	s := &slabIndex{minX: b.Min[0], invW: float64(slabs) / width}
	slabOf := func(x float64) int {
		return min(max(int((x-s.minX)*s.invW), 0), slabs-1)
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
	s.start = counts
	s.edges = make([]int32, counts[slabs])
	fill := append([]int32(nil), counts[:slabs]...)
	for i := 0; i < n; i++ {
		a, b := r[i][0], r[(i+1)%n][0]
		for k := slabOf(min(a, b)); k <= slabOf(max(a, b)); k++ {
			s.edges[fill[k]] = int32(i)
			fill[k]++
		}
	}
	return s
}

// ringContains is planar.RingContains testing every edge. Like the slab test
// it is also right for points outside r's bound (no edge is met, or the ray
// crosses the ring an even number of times), so the bound is only a filter.
func ringContains(r orb.Ring, p orb.Point) bool {
	n := len(r)
	in := false
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

// contains is ringContains testing only the edges of p's slab; r is the ring
// s was built from.
func (s *slabIndex) contains(r orb.Ring, p orb.Point) bool {
	n := len(r)
	in := false
	k := min(max(int((p[0]-s.minX)*s.invW), 0), len(s.start)-2)
	for _, i := range s.edges[s.start[k]:s.start[k+1]] {
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
