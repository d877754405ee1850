package geo

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func TestLocate(t *testing.T) {
	shapes := []Shape{
		{ID: 1, Code: "A", Geom: orb.MultiPolygon{{rect(0, 0, 10, 10), rect(4, 4, 6, 6)}}}, // square with a hole
		{ID: 2, Code: "B", Geom: orb.MultiPolygon{{rect(20, 0, 30, 10)}, {rect(40, 0, 50, 10)}}},
		{ID: 3, Code: "C", Geom: orb.MultiPolygon{{rect(1, 1, 3, 3)}}},    // inside A: overlaps it
		{ID: 5, Code: "D5", Geom: orb.MultiPolygon{{rect(60, 0, 62, 2)}}}, // D5 and D4: same area, same place
		{ID: 4, Code: "D4", Geom: orb.MultiPolygon{{rect(60, 0, 62, 2)}}},
		{ID: 6, Code: "E", Geom: orb.MultiPolygon{{rect(10, 0, 12, 10)}}}, // shares the edge x=10 with A
		{ID: 7, Code: "empty"},
		{ID: 8, Code: "concave", Geom: orb.MultiPolygon{{{{70, 0}, {80, 0}, {80, 10}, {75, 2}, {70, 10}, {70, 0}}}}},
	}
	ix := NewIndex(shapes)
	if ix.Len() != len(shapes) {
		t.Fatalf("Len = %d, want %d", ix.Len(), len(shapes))
	}
	tests := []struct {
		name string
		p    orb.Point
		want string // "" for none
	}{
		{"inside", orb.Point{8, 8}, "A"},
		{"outside all", orb.Point{15, 5}, ""},
		{"far away", orb.Point{-100, 100}, ""},
		{"in a hole", orb.Point{5, 5}, ""},
		{"on a hole's edge", orb.Point{4, 5}, ""},
		{"just outside a hole", orb.Point{3.999, 5}, "A"},
		{"MultiPolygon first part", orb.Point{25, 5}, "B"},
		{"MultiPolygon second part", orb.Point{45, 5}, "B"},
		{"between MultiPolygon parts", orb.Point{35, 5}, ""},
		{"overlap picks smaller", orb.Point{2, 2}, "C"},
		{"equal areas pick smaller ID", orb.Point{61, 1}, "D4"},
		{"shared edge picks smaller", orb.Point{10, 5}, "E"},
		{"vertex counts as inside", orb.Point{0, 0}, "A"},
		{"concave inside", orb.Point{72, 5}, "concave"},
		{"concave notch", orb.Point{75, 8}, ""},
		{"in bbox but outside", orb.Point{75, 2.5}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := ix.Locate(tt.p)
			if ok != (tt.want != "") || s.Code != tt.want {
				t.Errorf("Locate(%v) = %q, %v; want %q", tt.p, s.Code, ok, tt.want)
			}
		})
	}
}

func TestLocateEmptyIndex(t *testing.T) {
	ix := NewIndex(nil)
	if _, ok := ix.Locate(orb.Point{1, 1}); ok || ix.Len() != 0 {
		t.Error("empty index found something")
	}
}

// bruteLocate is Locate's contract written out with orb/planar.
func bruteLocate(shapes []Shape, areas []float64, p orb.Point) int {
	best := -1
	for i, s := range shapes {
		if !planar.MultiPolygonContains(s.Geom, p) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		ai, ab := areas[i], areas[best]
		if ai < ab || (ai == ab && s.ID < shapes[best].ID) {
			best = i
		}
	}
	return best
}

// Slab-indexed rings must agree with planar.RingContains,
// boundary points included.
func TestPreparedRingMatchesPlanar(t *testing.T) {
	_, districts := hangzhouDistricts(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for _, d := range districts {
		r := d[0][0]
		si := newSlabIndex(r, r.Bound())
		if si == nil {
			t.Fatalf("ring of %d points has no slab index", len(r))
		}
		b := r.Bound()
		var pts []orb.Point
		for i := 0; i < 400; i++ {
			pts = append(pts, orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])})
		}
		for i := 0; i+1 < len(r); i += 37 {
			a, c := r[i], r[i+1]
			pts = append(pts, a, orb.Point{(a[0] + c[0]) / 2, (a[1] + c[1]) / 2}, orb.Point{a[0], a[1] + 0.001}, orb.Point{a[0], a[1] - 0.001})
		}
		for _, p := range pts {
			if got, want := si.contains(r, p), planar.RingContains(r, p); got != want {
				t.Fatalf("ring contains %v: prepared %v, planar %v", p, got, want)
			}
		}
	}
}

func TestLocateMatchesBruteForce(t *testing.T) {
	_, districts := hangzhouDistricts(t)
	// Real district outlines (long rings) plus parts of one, which overlap them.
	var shapes []Shape
	for i, d := range districts {
		shapes = append(shapes, Shape{ID: int64(i), Geom: d})
	}
	for i, p := range Partition(districts[5], 12, 1) {
		shapes = append(shapes, Shape{ID: int64(100 + i), Geom: p})
	}
	ix := NewIndex(shapes)
	areas := make([]float64, len(shapes))
	for i, s := range shapes {
		areas[i] = multiPolygonArea(s.Geom)
	}
	b := districts[5].Bound()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1500; i++ {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		want := bruteLocate(shapes, areas, p)
		got, ok := ix.Locate(p)
		if ok != (want >= 0) || (ok && got.ID != shapes[want].ID) {
			t.Fatalf("Locate(%v) = %d, %v; brute force says shape %d", p, got.ID, ok, want)
		}
	}
}

func TestLocateConcurrent(t *testing.T) {
	shapes := lattice(100, 100, 120.0, 30.3, 0.001)
	ix := NewIndex(shapes)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < 20000; i++ {
				c, r := rng.IntN(100), rng.IntN(100)
				p := orb.Point{120.0 + (float64(c)+0.5)*0.001, 30.3 - (float64(r)+0.5)*0.001}
				s, ok := ix.Locate(p)
				if !ok || s.ID != int64(r*100+c) {
					t.Errorf("Locate(%v) = %d, %v; want %d", p, s.ID, ok, r*100+c)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

// lattice returns rows×cols square shapes of side d degrees, the first row at
// the north edge y0, IDs row-major from 0.
func lattice(rows, cols int, x0, y0, d float64) []Shape {
	shapes := make([]Shape, 0, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			x, y := x0+float64(c)*d, y0-float64(r+1)*d
			shapes = append(shapes, Shape{ID: int64(r*cols + c), Geom: orb.MultiPolygon{{rect(x, y, x+d, y+d)}}})
		}
	}
	return shapes
}
