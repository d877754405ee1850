package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// Cell is one unit grid cut by GenerateGrid. Seq is its 1-based number in the
// standard order (rows north→south, west→east within a row).
type Cell struct {
	Seq  int
	Geom orb.MultiPolygon
}

// MaxGridSeq is the largest grid sequence number a 15-digit unit grid code can
// carry (three digits per community).
const MaxGridSeq = 999

// sliverFraction: clipped cells smaller than this fraction of a full cell are dropped.
const sliverFraction = 0.01

// MetersPerDegree returns the length in meters of one degree of longitude and
// of latitude at latitude lat (WGS84 series approximation, good to ~1 m/degree).
func MetersPerDegree(lat float64) (lon, latM float64) {
	phi := lat * math.Pi / 180
	latM = 111132.92 - 559.82*math.Cos(2*phi) + 1.175*math.Cos(4*phi) - 0.0023*math.Cos(6*phi)
	lon = 111412.84*math.Cos(phi) - 93.5*math.Cos(3*phi) + 0.118*math.Cos(5*phi)
	return lon, latM
}

// GenerateGrid cuts area into square unit grids of about sizeMeters × sizeMeters
// and clips them to the boundary. The lattice starts at the north-west corner of
// the area's bounding box; meters are converted to degrees at the latitude of
// the box's centre. Clipped pieces smaller than 1% of a full cell are dropped;
// cells wholly inside the area are returned as plain squares.
//
// Cells come in the standard order — rows north→south, west→east within a row —
// with Seq starting at 1. A unit grid code has only three digits of sequence per
// community (see GridCode), so callers must cut each community separately and
// pick sizeMeters so that no community yields more than MaxGridSeq cells.
//
// Clipping is orb/clip's Sutherland–Hodgman: a cell cut by a concave boundary
// may come out as one ring joined by a zero-width bridge along the cell's edge
// rather than as separate rings. Area and point-in-polygon are unaffected.
//
// GenerateGrid does not modify area. It returns nil for an empty area or a
// non-positive size.
func GenerateGrid(area orb.MultiPolygon, sizeMeters float64) []Cell {
	if !(sizeMeters > 0) || len(area) == 0 {
		return nil
	}
	b := area.Bound()
	if !(b.Max[0] > b.Min[0]) || !(b.Max[1] > b.Min[1]) {
		return nil
	}
	mLon, mLat := MetersPerDegree((b.Min[1] + b.Max[1]) / 2)
	dx, dy := sizeMeters/mLon, sizeMeters/mLat
	cols := int(math.Ceil((b.Max[0] - b.Min[0]) / dx))
	rows := int(math.Ceil((b.Max[1] - b.Min[1]) / dy))
	if cols < 1 {
		cols = 1
	}
	if rows < 1 {
		rows = 1
	}
	g := gridder{
		x:       func(c int) float64 { return b.Min[0] + float64(c)*dx },
		y:       func(r int) float64 { return b.Max[1] - float64(r)*dy }, // row 0 is the northernmost
		cols:    cols,
		full:    dx * dy,
		minArea: sliverFraction * dx * dy,
	}
	g.rows(area, 0, rows)
	return g.cells
}

// gridder cuts by recursive halving — rows first (north half before south
// half), then columns within a one-row strip (west half before east half) — so
// each vertex is clipped O(log rows + log cols) times rather than once per cell,
// and cells come out in the standard order.
type gridder struct {
	x, y          func(int) float64
	cols          int
	full, minArea float64
	cells         []Cell
}

func (g *gridder) band(r0, r1, c0, c1 int) orb.Bound {
	return orb.Bound{Min: orb.Point{g.x(c0), g.y(r1)}, Max: orb.Point{g.x(c1), g.y(r0)}}
}

func (g *gridder) rows(area orb.MultiPolygon, r0, r1 int) {
	part := clipMultiPolygon(g.band(r0, r1, 0, g.cols), area)
	if len(part) == 0 {
		return
	}
	if r1-r0 > 1 {
		mid := (r0 + r1) / 2
		g.rows(part, r0, mid)
		g.rows(part, mid, r1)
		return
	}
	g.columns(part, r0, 0, g.cols)
}

func (g *gridder) columns(strip orb.MultiPolygon, r, c0, c1 int) {
	cb := g.band(r, r+1, c0, c1)
	part := clipMultiPolygon(cb, strip)
	if len(part) == 0 {
		return
	}
	if c1-c0 > 1 {
		mid := (c0 + c1) / 2
		g.columns(part, r, c0, mid)
		g.columns(part, r, mid, c1)
		return
	}
	a := multiPolygonArea(part)
	if a < g.minArea {
		return
	}
	if a >= g.full*(1-1e-9) {
		part = orb.MultiPolygon{cb.ToPolygon()} // the whole square: keep it simple
	}
	g.cells = append(g.cells, Cell{Seq: len(g.cells) + 1, Geom: part})
}

// GridCode builds the 15-digit unit grid code: the 12-digit community code
// (6 GB/T 2260 + 3 street + 3 community) followed by the 3-digit grid sequence.
func GridCode(communityCode12 string, seq int) (string, error) {
	if len(communityCode12) != 12 || !allDigits(communityCode12) {
		return "", fmt.Errorf("geo: community code %q is not 12 digits", communityCode12)
	}
	if seq < 1 || seq > MaxGridSeq {
		return "", fmt.Errorf("geo: grid sequence %d out of range 1..%d (cut grids per community)", seq, MaxGridSeq)
	}
	return fmt.Sprintf("%s%03d", communityCode12, seq), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clipMultiPolygon clips mp to the rectangle b without modifying mp (orb's
// clip uses its input as scratch space), skipping polygons whose bound misses b
// and dropping degenerate rings and polygons (zero area, which Sutherland–Hodgman
// clipping produces when a ring only grazes the rectangle).
func clipMultiPolygon(b orb.Bound, mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		if len(p) == 0 {
			continue
		}
		pb := p[0].Bound()
		if !pb.Intersects(b) {
			continue
		}
		if b.Contains(pb.Min) && b.Contains(pb.Max) {
			out = append(out, p.Clone())
			continue
		}
		cp := clip.Polygon(b, p.Clone())
		if len(cp) == 0 {
			continue
		}
		eps := 1e-12 * ((b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]))
		if math.Abs(ringSignedArea(cp[0])) <= eps {
			continue
		}
		kept := cp[:1]
		for _, h := range cp[1:] {
			if math.Abs(ringSignedArea(h)) > eps {
				kept = append(kept, h)
			}
		}
		out = append(out, kept)
	}
	return out
}
