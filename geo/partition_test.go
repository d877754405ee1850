package geo

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// checkPartition samples points over the region's bound: none may be in two
// parts, and at least minCover of those in the region must be in some part
// (and no part may stray outside the region).
func checkPartition(t *testing.T, region orb.MultiPolygon, parts []orb.MultiPolygon, n int, minCover float64) {
	t.Helper()
	if len(parts) != n {
		t.Fatalf("%d parts, want %d", len(parts), n)
	}
	for i, p := range parts {
		if len(p) == 0 || multiPolygonArea(p) <= 0 {
			t.Fatalf("part %d is empty", i)
		}
	}
	bounds := make([]orb.Bound, len(parts))
	for i, p := range parts {
		bounds[i] = p.Bound()
	}
	regionIx := NewIndex([]Shape{{Geom: region}})
	b := region.Bound()
	rng := rand.New(rand.NewPCG(11, 12))
	const samples = 20000
	var inRegion, covered, outside int
	for i := 0; i < samples; i++ {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		count := 0
		for k := range parts {
			if bounds[k].Contains(p) && multiPolygonContains(parts[k], p) {
				count++
			}
		}
		if count > 1 {
			t.Fatalf("point %v is in %d parts", p, count)
		}
		_, in := regionIx.Locate(p)
		if in {
			inRegion++
			if count == 1 {
				covered++
			}
		} else if count == 1 && planar.DistanceFrom(region, p) > 1e-9 {
			outside++
		}
	}
	if outside > 0 {
		t.Errorf("%d sample points outside the region are in a part", outside)
	}
	if cover := float64(covered) / float64(inRegion); cover < minCover {
		t.Errorf("parts cover %.4f of the region's sample points, want ≥ %.2f", cover, minCover)
	}
	// Areas add up.
	sum := 0.0
	for _, p := range parts {
		sum += multiPolygonArea(p)
	}
	if ra := multiPolygonArea(region); sum < ra*0.999 || sum > ra*1.000001 {
		t.Errorf("parts' areas sum to %.6f of the region's", sum/ra)
	}
}

func TestPartitionShapes(t *testing.T) {
	// A concave region with a hole.
	lshape := orb.MultiPolygon{{
		orb.Ring{{120.00, 30.00}, {120.10, 30.00}, {120.10, 30.04}, {120.04, 30.04}, {120.04, 30.10}, {120.00, 30.10}, {120.00, 30.00}},
		orb.Ring{{120.01, 30.01}, {120.01, 30.02}, {120.03, 30.02}, {120.03, 30.01}, {120.01, 30.01}},
	}}
	// Two islands.
	islands := orb.MultiPolygon{{rect(120, 30, 120.05, 30.05)}, {rect(120.2, 30, 120.22, 30.03)}}
	// A thin diagonal strip (its bound is mostly empty).
	strip := orb.MultiPolygon{{{{120, 30}, {120.001, 30}, {120.101, 30.1}, {120.1, 30.1}, {120, 30}}}}
	tests := []struct {
		name   string
		region orb.MultiPolygon
		n      int
	}{
		{"L with hole, 7", lshape, 7},
		{"L with hole, 2", lshape, 2},
		{"L with hole, 60", lshape, 60},
		{"islands, 5", islands, 5},
		{"thin strip, 10", strip, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.region.Clone()
			parts := Partition(tt.region, tt.n, 1)
			if !reflect.DeepEqual(orig, tt.region) {
				t.Fatal("Partition modified its input")
			}
			checkPartition(t, tt.region, parts, tt.n, 0.99)
		})
	}
}

func TestPartitionHangzhouDistrict(t *testing.T) {
	names, districts := hangzhouDistricts(t)
	for i, name := range names {
		if name != "西湖区" && name != "淳安县" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			parts := Partition(districts[i], 15, 42)
			checkPartition(t, districts[i], parts, 15, 0.99)
			rings := 0
			for _, p := range parts {
				for _, poly := range p {
					rings += len(poly)
				}
			}
			t.Logf("%s: 15 parts, %.1f rings per part", name, float64(rings)/15)
			if rings > 15*100 {
				t.Errorf("%d rings for 15 parts: not merged", rings)
			}
			// Parts are of comparable size.
			lo, hi := 1e18, 0.0
			for _, p := range parts {
				a := multiPolygonArea(p)
				lo, hi = min(lo, a), max(hi, a)
			}
			if hi > 6*lo {
				t.Errorf("part areas range %.3g..%.3g", lo, hi)
			}
		})
	}
}

func TestPartitionDeterministic(t *testing.T) {
	region := orb.MultiPolygon{{rect(120, 30, 120.1, 30.07)}}
	a := Partition(region, 9, 5)
	b := Partition(region, 9, 5)
	c := Partition(region, 9, 6)
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed, different parts")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds, same parts")
	}
}

func TestPartitionEdgeCases(t *testing.T) {
	region := orb.MultiPolygon{{rect(120, 30, 120.1, 30.07)}}
	if p := Partition(region, 0, 1); p != nil {
		t.Errorf("n=0: %d parts", len(p))
	}
	if p := Partition(nil, 3, 1); p != nil {
		t.Errorf("empty region: %d parts", len(p))
	}
	if p := Partition(orb.MultiPolygon{{{{1, 1}, {2, 2}, {1, 1}}}}, 3, 1); p != nil {
		t.Errorf("zero-area region: %d parts", len(p))
	}
	one := Partition(region, 1, 1)
	if len(one) != 1 || !reflect.DeepEqual(one[0], region) {
		t.Errorf("n=1: %v", one)
	}
	// Many parts in a small region: the raster is refined until each gets a cell.
	tiny := orb.MultiPolygon{{rect(120, 30, 120.0001, 30.0001)}}
	checkPartition(t, tiny, Partition(tiny, 300, 1), 300, 0.99)
}
