package geo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/tidwall/rtree"
)

// The compact index must answer exactly as planar.MultiPolygonContains over
// the original geometry, ties included, on real unit grids: random points and,
// above all, points on their shared edges and vertices.
func TestLocateMatchesPlanarOnUnitGrids(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the Hangzhou pipeline in -short mode")
	}
	res := runHangzhouPipeline(t, 1500)
	shapes := slices.Clone(res.grids)
	// Overlapping shapes too, so that the tie rules matter: two districts, and a
	// copy of some grids (same area) under a smaller ID.
	_, districts := hangzhouDistricts(t)
	shapes = append(shapes, Shape{ID: -1, Code: "d5", Geom: districts[5]}, Shape{ID: 1 << 40, Code: "d6", Geom: districts[6]})
	for i := 0; i < len(res.grids); i += 97 {
		shapes = append(shapes, Shape{ID: res.grids[i].ID - 1, Code: "dup", Geom: res.grids[i].Geom})
	}
	ix := NewIndex(shapes)

	// Candidates by bounding box, independently of the index.
	var boxes rtree.RTreeG[int]
	areas := make([]float64, len(shapes))
	for i, s := range shapes {
		areas[i] = multiPolygonArea(s.Geom)
		if len(s.Geom) > 0 {
			b := s.Geom.Bound()
			boxes.Insert(b.Min, b.Max, i)
		}
	}
	want := func(p orb.Point) int {
		best := -1
		boxes.Search(p, p, func(_, _ [2]float64, i int) bool {
			if !planar.MultiPolygonContains(shapes[i].Geom, p) {
				return true
			}
			s, b := shapes[i], 0
			if best >= 0 {
				b = best
			}
			if best < 0 || areas[i] < areas[b] || (areas[i] == areas[b] && (s.ID < shapes[b].ID || (s.ID == shapes[b].ID && i < b))) {
				best = i
			}
			return true
		})
		return best
	}

	lo, hi := boxes.Bounds()
	pts := randomPoints(orb.Bound{Min: lo, Max: hi}, 20000, 9)
	for i := 0; i < len(res.grids); i += 29 {
		for _, poly := range res.grids[i].Geom {
			for _, r := range poly {
				for k := 0; k+1 < len(r); k++ {
					a, c := r[k], r[k+1]
					pts = append(pts, a, orb.Point{(a[0] + c[0]) / 2, (a[1] + c[1]) / 2},
						orb.Point{math.Nextafter(a[0], math.Inf(1)), a[1]}, orb.Point{a[0], math.Nextafter(a[1], math.Inf(-1))})
				}
			}
		}
	}
	hits := 0
	for _, p := range pts {
		w := want(p)
		got, ok := ix.LocateIndex(p)
		if ok != (w >= 0) || (ok && got != w) {
			t.Fatalf("LocateIndex(%v) = %d, %v; planar says %d", p, got, ok, w)
		}
		if ok {
			hits++
			if s, _ := ix.Locate(p); s.ID != shapes[w].ID || s.Code != shapes[w].Code {
				t.Fatalf("Locate(%v) = %d %q; want %d %q", p, s.ID, s.Code, shapes[w].ID, shapes[w].Code)
			}
		}
	}
	if hits < len(pts)/2 {
		t.Errorf("only %d of %d points hit a shape", hits, len(pts))
	}
	t.Logf("%d shapes, %d points (%d hits) agree with planar", len(shapes), len(pts), hits)
}

// Geom, Code, ID, Bound, IndexOf and Search give back what NewIndex was given.
func TestIndexGivesBackShapes(t *testing.T) {
	shapes := lattice(20, 30, 120.0, 30.3, 0.001)
	for i := range shapes {
		shapes[i].Code = string(rune('a'+i%26)) + string(rune('a'+i/26%26)) // not in order, some repeated
		shapes[i].ID = int64(1000 - i)
	}
	shapes[3].Geom = orb.MultiPolygon{{rect(1, 1, 5, 5), rect(2, 2, 3, 3)}, {rect(10, 10, 11, 11)}}
	shapes[4].Geom = nil
	shapes[5].Geom = orb.MultiPolygon{{}, {orb.Ring{}}}
	shapes[6].Geom = orb.MultiPolygon{{rect(math.NaN(), 0, 1, 1)}}
	ix := NewIndex(shapes)
	if ix.Len() != len(shapes) {
		t.Fatalf("Len = %d", ix.Len())
	}
	for i, s := range shapes {
		got := ix.Shape(i)
		if got.ID != s.ID || got.Code != s.Code || ix.ID(i) != s.ID || ix.Code(i) != s.Code {
			t.Errorf("shape %d: got %d %q, want %d %q", i, got.ID, got.Code, s.ID, s.Code)
		}
		if len(got.Geom) != len(s.Geom) || (i != 6 && !got.Geom.Equal(s.Geom)) {
			t.Errorf("shape %d: Geom %v, want %v", i, got.Geom, s.Geom)
		}
		if i != 6 && ix.Bound(i) != s.Geom.Bound() {
			t.Errorf("shape %d: Bound %v, want %v", i, ix.Bound(i), s.Geom.Bound())
		}
		j, ok := ix.IndexOf(s.Code)
		if !ok || j != slices.IndexFunc(shapes, func(o Shape) bool { return o.Code == s.Code }) {
			t.Errorf("IndexOf(%q) = %d, %v", s.Code, j, ok)
		}
	}
	if _, ok := ix.IndexOf("zzz"); ok {
		t.Error("IndexOf found a code nobody has")
	}
	// Rebuilt geometry is the caller's: changing it must not change the index.
	g := ix.Geom(0)
	g[0][0][0] = orb.Point{0, 0}
	if !ix.Geom(0).Equal(shapes[0].Geom) {
		t.Error("Geom shares its points with the index")
	}

	box := orb.Bound{Min: orb.Point{120.0035, 30.29}, Max: orb.Point{120.0101, 30.2951}}
	var got, want []int
	ix.Search(box, func(i int) bool { got = append(got, i); return true })
	for i, s := range shapes {
		if i != 6 && len(s.Geom) > 0 && i != 5 && s.Geom.Bound().Intersects(box) {
			want = append(want, i)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("Search = %v, want %v", got, want)
	}
	if b, ok := ix.Bounds(); !ok || b.Min[0] != 1 || b.Max[1] != 30.3 {
		t.Errorf("Bounds = %v, %v", b, ok)
	}
	if _, ok := NewIndex(nil).Bounds(); ok {
		t.Error("empty index has bounds")
	}
}

// BenchmarkIndexBytesPerGrid reports what an index of 100,000 unit grids like
// the stored ones (a few parts each) keeps alive once the caller has dropped
// its own geometry, per grid.
func BenchmarkIndexBytesPerGrid(b *testing.B) {
	grids := func() []Shape {
		shapes, _ := latticeMeters(316, 316, 120.0, 30.4, 100)
		for i := range shapes {
			shapes[i].Code, _ = GridCode("330105001051", i%999+1)
			if i%3 == 0 { // split in two parts, as clipping does
				bb := shapes[i].Geom.Bound()
				mid := (bb.Min[1] + bb.Max[1]) / 2
				shapes[i].Geom = orb.MultiPolygon{
					{rect(bb.Min[0], bb.Min[1], bb.Max[0], mid)},
					{rect(bb.Min[0], mid, bb.Max[0], bb.Max[1])},
				}
			}
		}
		return shapes
	}
	var ix *Index
	var perGrid float64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		ix = nil
		runtime.GC()
		runtime.ReadMemStats(&m0)
		shapes := grids()
		ix = NewIndex(shapes)
		n := len(shapes)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perGrid = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(n)
	}
	runtime.KeepAlive(ix)
	b.ReportMetric(perGrid, "B/grid")
}

// Search finds exactly the shapes whose box meets the query, on trees of a few
// levels.
func TestSearchMatchesBoxes(t *testing.T) {
	for _, n := range []int{1, 15, 16, 17, 300, 5000} {
		shapes := lattice(1, n, 120, 30, 0.001)
		rng := rand.New(rand.NewPCG(uint64(n), 2))
		for i := range shapes { // shuffle the boxes around so that they overlap
			x, y := 120+rng.Float64()*0.1, 30+rng.Float64()*0.1
			w, h := rng.Float64()*0.01, rng.Float64()*0.01
			shapes[i].Geom = orb.MultiPolygon{{rect(x, y, x+w, y+h)}}
		}
		ix := NewIndex(shapes)
		for q := 0; q < 200; q++ {
			x, y := 120+rng.Float64()*0.1, 30+rng.Float64()*0.1
			box := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + rng.Float64()*0.02, y + rng.Float64()*0.02}}
			if q%4 == 0 {
				box.Max = box.Min // a point
			}
			var got, want []int
			ix.Search(box, func(i int) bool { got = append(got, i); return true })
			for i, s := range shapes {
				if s.Geom.Bound().Intersects(box) {
					want = append(want, i)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%d shapes, Search(%v) = %v, want %v", n, box, got, want)
			}
		}
	}
}
