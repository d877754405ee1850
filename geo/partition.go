package geo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// Partition tuning.
const (
	partitionCellsPerPart = 200     // raster cells per part
	partitionMinCells     = 2000    // raster cells at least, whatever n
	partitionMaxCells     = 1 << 20 // raster cells at most
	partitionLloydRounds  = 4
	partitionRefinements  = 6 // times the raster may be halved when it is too coarse for n parts
)

// Partition splits region into n non-overlapping parts of plausible, compact
// shape that together cover it. It exists because the real data has district
// boundaries only: the demo derives streets inside districts and communities
// inside streets with it.
//
// How: the region is rasterised into square cells (about 200 per part, the
// total bounded); n seeds are placed on cells inside the region, evenly along a
// Hilbert curve with a jitter drawn from seed, then moved by a few rounds of
// Lloyd relaxation; each round grows all parts at once from their seeds, a cell
// going to the seed nearest to it among those whose part reaches it, so every
// part is connected wherever the region is. Each part is returned as the union
// of its cells, merged row-wise and then vertically into rectangles (so a part
// has tens of rings, not hundreds), with rectangles on the region's edge
// clipped to the region's boundary.
//
// Parts are meant for point-in-polygon, area and clipping (Index,
// GenerateGrid). The rectangles of a part share edges, so a part is not an
// OGC-valid MultiPolygon (PostGIS ST_IsValid says no; ST_UnaryUnion fixes it),
// and drawn with a stroke it shows the rectangle seams; draw fills only, or
// outline the unit grids instead.
//
// The same (region, n, seed) always gives the same parts, in the same order
// (the order of the seeds along the Hilbert curve, so neighbouring parts tend
// to have neighbouring indices). Every part is non-empty. Partition does not
// modify region. It returns nil if n < 1 or region has no area, and the region
// itself (copied) if n == 1.
func Partition(region orb.MultiPolygon, n int, seed int64) []orb.MultiPolygon {
	if n < 1 {
		return nil
	}
	area := multiPolygonArea(region)
	if !(area > 0) {
		return nil
	}
	if n == 1 {
		b := region.Bound()
		return []orb.MultiPolygon{clipMultiPolygon(b.Pad(1), region)}
	}
	b := region.Bound()
	mLon, mLat := MetersPerDegree((b.Min[1] + b.Max[1]) / 2)
	areaM := area * mLon * mLat
	target := clampInt(n*partitionCellsPerPart, partitionMinCells, partitionMaxCells)
	side := math.Sqrt(areaM / float64(target)) // cell side in meters
	for attempt := 0; ; attempt++ {
		cw, ch := side/mLon, side/mLat
		// Keep the raster (bounding box, not just the region) within bounds.
		for float64(int(math.Ceil((b.Max[0]-b.Min[0])/cw)))*float64(int(math.Ceil((b.Max[1]-b.Min[1])/ch))) > 4*partitionMaxCells {
			side *= 1.25
			cw, ch = side/mLon, side/mLat
		}
		parts, ok := partitionRaster(region, b, cw, ch, n, seed)
		if ok || attempt >= partitionRefinements {
			return parts
		}
		side /= 2
	}
}

// raster is the region rasterised on cells of cw × ch degrees, row 0 at the
// north edge, column 0 at the west edge.
type raster struct {
	minX, maxY float64
	cw, ch     float64
	cols, rows int
	inside     []bool // cell centre inside the region
	edge       []bool // the region's boundary passes through the (closed) cell
}

func (rs *raster) x(c int) float64 { return rs.minX + float64(c)*rs.cw }
func (rs *raster) y(r int) float64 { return rs.maxY - float64(r)*rs.ch }

func (rs *raster) candidate(k int) bool { return rs.inside[k] || rs.edge[k] }

func newRaster(region orb.MultiPolygon, b orb.Bound, cw, ch float64) *raster {
	rs := &raster{
		minX: b.Min[0], maxY: b.Max[1], cw: cw, ch: ch,
		cols: max(1, int(math.Ceil((b.Max[0]-b.Min[0])/cw))),
		rows: max(1, int(math.Ceil((b.Max[1]-b.Min[1])/ch))),
	}
	rs.inside = make([]bool, rs.cols*rs.rows)
	rs.edge = make([]bool, rs.cols*rs.rows)

	// Edges in raster units (fx right, fy down), bucketed by the rows whose
	// centre line they cross.
	type seg struct{ ax, ay, bx, by float64 }
	rowSegs := make([][]int32, rs.rows)
	var segs []seg
	forEachEdge(region, func(a, c orb.Point) {
		s := seg{(a[0] - rs.minX) / cw, (rs.maxY - a[1]) / ch, (c[0] - rs.minX) / cw, (rs.maxY - c[1]) / ch}
		if s.ax == s.bx && s.ay == s.by {
			return
		}
		id := int32(len(segs))
		segs = append(segs, s)
		rs.markEdge(s.ax, s.ay, s.bx, s.by)
		lo, hi := math.Min(s.ay, s.by), math.Max(s.ay, s.by)
		// rows r with centre r+0.5 in [lo, hi)
		r0 := max(0, int(math.Ceil(lo-0.5)))
		r1 := min(rs.rows-1, int(math.Ceil(hi-0.5))-1)
		for r := r0; r <= r1; r++ {
			rowSegs[r] = append(rowSegs[r], id)
		}
	})

	// Scanline along each row's centre line: even-odd fill between crossings.
	var xs []float64
	for r := 0; r < rs.rows; r++ {
		yc := float64(r) + 0.5
		xs = xs[:0]
		for _, id := range rowSegs[r] {
			s := segs[id]
			if (s.ay > yc) == (s.by > yc) {
				continue
			}
			xs = append(xs, s.ax+(yc-s.ay)*(s.bx-s.ax)/(s.by-s.ay))
		}
		sort.Float64s(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			// cells whose centre c+0.5 lies in [xs[i], xs[i+1])
			c0 := max(0, int(math.Ceil(xs[i]-0.5)))
			c1 := min(rs.cols-1, int(math.Ceil(xs[i+1]-0.5))-1)
			for c := c0; c <= c1; c++ {
				rs.inside[r*rs.cols+c] = true
			}
		}
	}
	return rs
}

// markEdge flags every cell the segment touches (a conservative supercover).
func (rs *raster) markEdge(ax, ay, bx, by float64) {
	const eps = 1e-9
	ylo, yhi := math.Min(ay, by), math.Max(ay, by)
	r0 := max(0, int(math.Floor(ylo-eps)))
	r1 := min(rs.rows-1, int(math.Floor(yhi+eps)))
	for r := r0; r <= r1; r++ {
		// part of the segment within this row's band
		y0, y1 := math.Max(ylo, float64(r)), math.Min(yhi, float64(r+1))
		var x0, x1 float64
		if ay == by {
			x0, x1 = ax, bx
		} else {
			x0 = ax + (y0-ay)*(bx-ax)/(by-ay)
			x1 = ax + (y1-ay)*(bx-ax)/(by-ay)
		}
		if x0 > x1 {
			x0, x1 = x1, x0
		}
		c0 := max(0, int(math.Floor(x0-eps)))
		c1 := min(rs.cols-1, int(math.Floor(x1+eps)))
		for c := c0; c <= c1; c++ {
			rs.edge[r*rs.cols+c] = true
		}
	}
}

func forEachEdge(mp orb.MultiPolygon, fn func(a, b orb.Point)) {
	for _, p := range mp {
		for _, ring := range p {
			n := len(ring)
			if n < 2 {
				continue
			}
			for i := 0; i < n-1; i++ {
				fn(ring[i], ring[i+1])
			}
			if ring[0] != ring[n-1] {
				fn(ring[n-1], ring[0])
			}
		}
	}
}

// partitionRaster does one attempt at a given resolution; ok is false when the
// raster is too coarse to give every part a cell.
func partitionRaster(region orb.MultiPolygon, b orb.Bound, cw, ch float64, n int, seed int64) ([]orb.MultiPolygon, bool) {
	rs := newRaster(region, b, cw, ch)

	// Seeds: cells inside the region, evenly spaced along a Hilbert curve.
	var in []int32
	for k, v := range rs.inside {
		if v {
			in = append(in, int32(k))
		}
	}
	if len(in) < n {
		return nil, false
	}
	order := 1
	for order < rs.cols || order < rs.rows {
		order <<= 1
	}
	hk := make([]uint64, len(in))
	for i, k := range in {
		hk[i] = hilbert(order, int(k)%rs.cols, int(k)/rs.cols)
	}
	idx := make([]int, len(in))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(hk[a], hk[b]) })
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	g := &grower{rs: rs, n: n}
	g.start = make([]int32, n)
	g.pos = make([][2]float64, n)
	for i := 0; i < n; i++ {
		lo, hi := i*len(in)/n, (i+1)*len(in)/n
		q := hi - lo // ≥ 1 since len(in) ≥ n
		j := lo + q/4 + rng.IntN(q-q/4-q/4)
		k := in[idx[j]]
		g.start[i] = k
		g.pos[i] = rs.center(k)
	}

	g.grow()
	for round := 0; round < partitionLloydRounds; round++ {
		g.relax()
		g.grow()
	}
	g.claimUnreached()

	parts := g.polygons(region)
	for _, p := range parts {
		if len(p) == 0 {
			return parts, false
		}
	}
	return parts, true
}

func (rs *raster) center(k int32) [2]float64 {
	return [2]float64{float64(int(k)%rs.cols) + 0.5, float64(int(k)/rs.cols) + 0.5}
}

// grower assigns raster cells to parts by simultaneous region growing.
type grower struct {
	rs      *raster
	n       int
	start   []int32      // each part's own cell (always inside the region)
	pos     [][2]float64 // each part's site, raster units
	owner   []int32      // per cell: part, or -1
	reached []bool       // per cell: owned through growth (not by claimUnreached)
	tent    []float64    // per cell: best distance offered so far in this growth
	pq      cellHeap
}

// grow assigns every reachable candidate cell to a part: cells are taken in
// order of their distance to the site of the part reaching them, so parts are
// Voronoi-like but always connected. Start cells are taken first, so no part is
// empty.
func (g *grower) grow() {
	rs := g.rs
	if g.owner == nil {
		g.owner = make([]int32, len(rs.inside))
		g.reached = make([]bool, len(rs.inside))
		g.tent = make([]float64, len(rs.inside))
	}
	for k := range g.owner {
		g.owner[k] = -1
		g.reached[k] = false
		g.tent[k] = math.Inf(1)
	}
	g.pq = g.pq[:0]
	for i, k := range g.start {
		g.pq.push(cellItem{d: -1, cell: k, part: int32(i)})
	}
	for len(g.pq) > 0 {
		it := g.pq.pop()
		if g.owner[it.cell] >= 0 {
			continue
		}
		g.owner[it.cell] = it.part
		g.reached[it.cell] = true
		c, r := int(it.cell)%rs.cols, int(it.cell)/rs.cols
		site := g.pos[it.part]
		if c > 0 {
			g.offer(c-1, r, it.part, site)
		}
		if c+1 < rs.cols {
			g.offer(c+1, r, it.part, site)
		}
		if r > 0 {
			g.offer(c, r-1, it.part, site)
		}
		if r+1 < rs.rows {
			g.offer(c, r+1, it.part, site)
		}
	}
}

// offer queues cell (c, r) for part if that part's site is nearer than any
// offer the cell has had.
func (g *grower) offer(c, r int, part int32, site [2]float64) {
	k := r*g.rs.cols + c
	if g.owner[k] >= 0 || !g.rs.candidate(k) {
		return
	}
	dx, dy := float64(c)+0.5-site[0], float64(r)+0.5-site[1]
	d := dx*dx + dy*dy
	if d >= g.tent[k] {
		return
	}
	g.tent[k] = d
	g.pq.push(cellItem{d: d, cell: int32(k), part: part})
}

// relax moves each site to the centroid of its part (Lloyd) and its start cell
// to the part's inside cell nearest that centroid.
func (g *grower) relax() {
	rs := g.rs
	sum := make([][3]float64, g.n)
	for k, o := range g.owner {
		if o < 0 || !g.reached[k] {
			continue
		}
		c := rs.center(int32(k))
		sum[o][0] += c[0]
		sum[o][1] += c[1]
		sum[o][2]++
	}
	for i := range g.pos {
		if sum[i][2] > 0 {
			g.pos[i] = [2]float64{sum[i][0] / sum[i][2], sum[i][1] / sum[i][2]}
		}
	}
	best := make([]float64, g.n)
	for i := range best {
		best[i] = math.Inf(1)
	}
	for k, o := range g.owner {
		if o < 0 || !g.reached[k] || !rs.inside[k] {
			continue
		}
		c := rs.center(int32(k))
		dx, dy := c[0]-g.pos[o][0], c[1]-g.pos[o][1]
		if d := dx*dx + dy*dy; d < best[o] {
			best[o] = d
			g.start[o] = int32(k)
		}
	}
}

// claimUnreached gives candidate cells that no part reached (pieces of the
// region cut off from every start cell, such as small islands) to the part
// whose site is nearest, one connected piece at a time.
func (g *grower) claimUnreached() {
	rs := g.rs
	var stack, comp []int32
	for k0 := range g.owner {
		if g.owner[k0] >= 0 || !rs.candidate(k0) {
			continue
		}
		comp = comp[:0]
		stack = append(stack[:0], int32(k0))
		g.owner[k0] = math.MaxInt32 // visiting
		for len(stack) > 0 {
			k := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			comp = append(comp, int32(k))
			c, r := k%rs.cols, k/rs.cols
			for _, nb := range [4][2]int{{c - 1, r}, {c + 1, r}, {c, r - 1}, {c, r + 1}} {
				if nb[0] < 0 || nb[1] < 0 || nb[0] >= rs.cols || nb[1] >= rs.rows {
					continue
				}
				j := nb[1]*rs.cols + nb[0]
				if g.owner[j] == -1 && rs.candidate(j) {
					g.owner[j] = math.MaxInt32
					stack = append(stack, int32(j))
				}
			}
		}
		at := rs.center(comp[0])
		bestPart, bestD := int32(0), math.Inf(1)
		for i, p := range g.pos {
			dx, dy := p[0]-at[0], p[1]-at[1]
			if d := dx*dx + dy*dy; d < bestD {
				bestPart, bestD = int32(i), d
			}
		}
		for _, k := range comp {
			g.owner[k] = bestPart
		}
	}
}

// polygons turns the cell assignment into one MultiPolygon per part: runs of
// same-part cells in a row, stacked into rectangles where consecutive rows have
// identical runs; rectangles with a boundary cell are clipped to the region.
func (g *grower) polygons(region orb.MultiPolygon) []orb.MultiPolygon {
	rs := g.rs
	type rect struct{ part, r0, r1, c0, c1 int } // half-open rows and columns
	type run struct{ c0, c1, part, rect int }
	var rects []rect
	var prev, cur []run
	for r := 0; r < rs.rows; r++ {
		cur = cur[:0]
		pi := 0
		for c := 0; c < rs.cols; {
			o := g.owner[r*rs.cols+c]
			if o < 0 {
				c++
				continue
			}
			c0 := c
			for c < rs.cols && g.owner[r*rs.cols+c] == o {
				c++
			}
			for pi < len(prev) && prev[pi].c0 < c0 {
				pi++
			}
			if pi < len(prev) && prev[pi].c0 == c0 && prev[pi].c1 == c && prev[pi].part == int(o) {
				rects[prev[pi].rect].r1 = r + 1
				cur = append(cur, run{c0, c, int(o), prev[pi].rect})
			} else {
				rects = append(rects, rect{int(o), r, r + 1, c0, c})
				cur = append(cur, run{c0, c, int(o), len(rects) - 1})
			}
		}
		prev, cur = cur, prev
	}

	// Prefix sums of boundary cells per row, to test rectangles quickly.
	pre := make([]int32, rs.rows*(rs.cols+1))
	for r := 0; r < rs.rows; r++ {
		base := r * (rs.cols + 1)
		for c := 0; c < rs.cols; c++ {
			v := pre[base+c]
			if rs.edge[r*rs.cols+c] {
				v++
			}
			pre[base+c+1] = v
		}
	}
	touchesEdge := func(q rect) bool {
		for r := q.r0; r < q.r1; r++ {
			base := r * (rs.cols + 1)
			if pre[base+q.c1] != pre[base+q.c0] {
				return true
			}
		}
		return false
	}

	parts := make([]orb.MultiPolygon, g.n)
	for _, q := range rects {
		bound := orb.Bound{Min: orb.Point{rs.x(q.c0), rs.y(q.r1)}, Max: orb.Point{rs.x(q.c1), rs.y(q.r0)}}
		if !touchesEdge(q) {
			parts[q.part] = append(parts[q.part], bound.ToPolygon())
			continue
		}
		parts[q.part] = append(parts[q.part], clipMultiPolygon(bound, region)...)
	}
	return parts
}

type cellItem struct {
	d    float64
	cell int32
	part int32
}

// cellHeap is a binary min-heap of cellItem (typed, so nothing is boxed).
type cellHeap []cellItem

func (it cellItem) less(o cellItem) bool {
	if it.d != o.d {
		return it.d < o.d
	}
	if it.part != o.part {
		return it.part < o.part
	}
	return it.cell < o.cell
}

func (h *cellHeap) push(it cellItem) {
	*h = append(*h, it)
	q := *h
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q[i].less(q[parent]) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *cellHeap) pop() cellItem {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(q) {
			break
		}
		m := l
		if r := l + 1; r < len(q) && q[r].less(q[l]) {
			m = r
		}
		if !q[m].less(q[i]) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// hilbert maps (x, y) on an order×order grid (order a power of two) to its
// distance along the Hilbert curve.
func hilbert(order, x, y int) uint64 {
	var d uint64
	for s := order / 2; s > 0; s /= 2 {
		rx, ry := 0, 0
		if x&s > 0 {
			rx = 1
		}
		if y&s > 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 {
			if rx == 1 {
				x = order - 1 - x
				y = order - 1 - y
			}
			x, y = y, x
		}
	}
	return d
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
