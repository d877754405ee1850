package geo

import (
	"math"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// metersRect returns a lon/lat rectangle of w × h meters with its north-west
// corner at (lon, lat).
func metersRect(lon, lat, w, h float64) orb.Ring {
	mLon, mLat := MetersPerDegree(lat - h/2/111000)
	return rect(lon, lat-h/mLat, lon+w/mLon, lat)
}

func TestGenerateGridOrder(t *testing.T) {
	area := orb.MultiPolygon{{metersRect(120.1, 30.3, 1000, 750)}}
	cells := GenerateGrid(area, 250)
	if len(cells) != 12 {
		t.Fatalf("%d cells, want 4 × 3 = 12", len(cells))
	}
	for i, c := range cells {
		if c.Seq != i+1 {
			t.Fatalf("cell %d has Seq %d", i, c.Seq)
		}
		if len(c.Geom) != 1 || len(c.Geom[0]) != 1 || len(c.Geom[0][0]) != 5 {
			t.Errorf("cell %d is not a plain square: %v", c.Seq, c.Geom)
		}
	}
	centre := func(c Cell) orb.Point { return c.Geom.Bound().Center() }
	for i := 1; i < len(cells); i++ {
		a, b := centre(cells[i-1]), centre(cells[i])
		sameRow := i%4 != 0
		if sameRow && !(b[0] > a[0] && math.Abs(b[1]-a[1]) < 1e-12) {
			t.Errorf("cells %d→%d: not west→east in a row: %v → %v", i, i+1, a, b)
		}
		if !sameRow && !(b[1] < a[1] && b[0] < a[0]) {
			t.Errorf("cells %d→%d: next row is not further south starting west: %v → %v", i, i+1, a, b)
		}
	}
	// Cells are ~250 m squares.
	g := cells[5].Geom
	b := g.Bound()
	mLon, mLat := MetersPerDegree(b.Center()[1])
	if w, h := (b.Max[0]-b.Min[0])*mLon, (b.Max[1]-b.Min[1])*mLat; math.Abs(w-250) > 0.5 || math.Abs(h-250) > 0.5 {
		t.Errorf("cell is %.2f × %.2f m, want 250 × 250", w, h)
	}
}

func TestGenerateGridClipped(t *testing.T) {
	// A concave area with a hole, at Hangzhou's latitude.
	outer := orb.Ring{{120.00, 30.00}, {120.03, 30.00}, {120.03, 30.01}, {120.01, 30.012}, {120.03, 30.02}, {120.00, 30.02}, {120.00, 30.00}}
	hole := orb.Ring{{120.002, 30.002}, {120.002, 30.005}, {120.006, 30.005}, {120.002, 30.002}}
	area := orb.MultiPolygon{{outer, hole}}
	orig := area.Clone()
	cells := GenerateGrid(area, 200)
	if !reflect.DeepEqual(area, orig) {
		t.Fatal("GenerateGrid modified its input")
	}
	if len(cells) < 20 {
		t.Fatalf("only %d cells", len(cells))
	}
	full := 0.0
	{
		b := area.Bound()
		mLon, mLat := MetersPerDegree((b.Min[1] + b.Max[1]) / 2)
		full = (200 / mLon) * (200 / mLat)
	}
	total := 0.0
	for _, c := range cells {
		a := multiPolygonArea(c.Geom)
		if a < 0.01*full || a > full*(1+1e-9) {
			t.Errorf("cell %d area %.3g of a full cell", c.Seq, a/full)
		}
		total += a
		// Points of the cell (sampled on a fine lattice over its bound) are in the area.
		b := c.Geom.Bound()
		for i := 1; i < 10; i++ {
			for j := 1; j < 10; j++ {
				p := orb.Point{b.Min[0] + float64(i)/10*(b.Max[0]-b.Min[0]), b.Min[1] + float64(j)/10*(b.Max[1]-b.Min[1])}
				if planar.MultiPolygonContains(c.Geom, p) && !planar.MultiPolygonContains(area, p) && planar.DistanceFrom(area, p) > 1e-9 {
					t.Fatalf("cell %d covers %v outside the area", c.Seq, p)
				}
			}
		}
	}
	if want := multiPolygonArea(area); total > want*(1+1e-9) || total < want*0.98 {
		t.Errorf("cells cover %.4f of the area", total/want)
	}
	// No two cells overlap: the index finds each cell's own interior points in it.
	ix := NewIndex(cellsAsShapes(cells))
	for _, c := range cells {
		p, _ := planar.CentroidArea(c.Geom)
		if !planar.MultiPolygonContains(c.Geom, p) {
			continue // centroid of an odd clipped shape may fall outside it
		}
		if s, ok := ix.Locate(p); !ok || s.ID != int64(c.Seq) {
			t.Errorf("centroid of cell %d located in %d", c.Seq, s.ID)
		}
	}
}

func TestGenerateGridDropsSlivers(t *testing.T) {
	// 3.005 cells wide, 2 high: the last column would be a 0.5% sliver.
	lat := 30.0
	area := orb.MultiPolygon{{metersRect(120, lat, 300.5, 200)}}
	cells := GenerateGrid(area, 100)
	if len(cells) != 6 {
		t.Errorf("%d cells, want 6 (slivers dropped)", len(cells))
	}
	area = orb.MultiPolygon{{metersRect(120, lat, 305, 200)}}
	if cells := GenerateGrid(area, 100); len(cells) != 8 {
		t.Errorf("%d cells, want 8 (5%% pieces kept)", len(cells))
	}
}

func TestGenerateGridEmpty(t *testing.T) {
	area := orb.MultiPolygon{{metersRect(120, 30, 100, 100)}}
	for _, tc := range []struct {
		area orb.MultiPolygon
		size float64
	}{{nil, 100}, {area, 0}, {area, -5}, {area, math.NaN()}, {orb.MultiPolygon{{{{1, 1}, {1, 1}, {1, 1}}}}, 10}} {
		if cells := GenerateGrid(tc.area, tc.size); cells != nil {
			t.Errorf("GenerateGrid(%v, %v) = %d cells, want none", tc.area, tc.size, len(cells))
		}
	}
}

func TestGridCode(t *testing.T) {
	tests := []struct {
		community string
		seq       int
		want      string
		wantErr   bool
	}{
		{"330106001001", 1, "330106001001001", false},
		{"330106001001", 42, "330106001001042", false},
		{"330106001001", 999, "330106001001999", false},
		{"330106001001", 1000, "", true},
		{"330106001001", 0, "", true},
		{"330106001001", -1, "", true},
		{"33010600100", 1, "", true},   // 11 digits
		{"3301060010011", 1, "", true}, // 13 digits
		{"33010600100a", 1, "", true},
		{"", 1, "", true},
	}
	for _, tt := range tests {
		got, err := GridCode(tt.community, tt.seq)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("GridCode(%q, %d) = %q, %v; want %q, error %v", tt.community, tt.seq, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestGenerateGridCodes(t *testing.T) {
	area := orb.MultiPolygon{{metersRect(120.1, 30.3, 1000, 1000)}}
	cells := GenerateGrid(area, 100)
	seen := map[string]bool{}
	for _, c := range cells {
		code, err := GridCode("330106001001", c.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != 15 || seen[code] {
			t.Fatalf("bad or duplicate code %q", code)
		}
		seen[code] = true
	}
	if len(cells) != 100 {
		t.Errorf("%d cells, want 100", len(cells))
	}
	// Over 999 cells in one area: the codes run out, which is why grids are cut per community.
	big := GenerateGrid(orb.MultiPolygon{{metersRect(120.1, 30.3, 4000, 4000)}}, 100)
	if _, err := GridCode("330106001001", big[len(big)-1].Seq); err == nil {
		t.Errorf("seq %d accepted", big[len(big)-1].Seq)
	}
}

func cellsAsShapes(cells []Cell) []Shape {
	out := make([]Shape, len(cells))
	for i, c := range cells {
		out[i] = Shape{ID: int64(c.Seq), Geom: c.Geom}
	}
	return out
}
