package geo

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// latticeMeters returns rows×cols squares of about size meters with the
// north-west corner at (lon, lat), IDs row-major from 0, and their extent.
func latticeMeters(rows, cols int, lon, lat, size float64) ([]Shape, orb.Bound) {
	mLon, mLat := MetersPerDegree(lat)
	dx, dy := size/mLon, size/mLat
	shapes := make([]Shape, 0, rows*cols)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			x, y := lon+float64(c)*dx, lat-float64(r+1)*dy
			shapes = append(shapes, Shape{ID: int64(r*cols + c), Geom: orb.MultiPolygon{{rect(x, y, x+dx, y+dy)}}})
		}
	}
	return shapes, orb.Bound{Min: orb.Point{lon, lat - float64(rows)*dy}, Max: orb.Point{lon + float64(cols)*dx, lat}}
}

func randomPoints(b orb.Bound, n int, seed uint64) []orb.Point {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	return pts
}

// benchLocate looks up random points and also reports the median and 99th
// percentile of single lookups (timed one by one, so they include timer cost).
func benchLocate(b *testing.B, ix *Index, pts []orb.Point) {
	b.ReportAllocs()
	mask := len(pts) - 1 // len(pts) is a power of two
	hits := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := ix.Locate(pts[i&mask]); ok {
			hits++
		}
	}
	b.StopTimer()
	lat := make([]time.Duration, 20000)
	for i := range lat {
		p := pts[(i*7919)&mask]
		t0 := time.Now()
		ix.Locate(p)
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(hits)/float64(b.N), "hit-rate")
}

// BenchmarkLocate100k: a 316 × 316 lattice of 100 m unit grids (99,856) in
// central Hangzhou; random points over the lattice (every one a hit).
func BenchmarkLocate100k(b *testing.B) {
	shapes, bound := latticeMeters(316, 316, 120.0, 30.4, 100)
	ix := NewIndex(shapes)
	benchLocate(b, ix, randomPoints(bound, 1<<16, 1))
}

var (
	hangzhouOnce  sync.Once
	hangzhouGrids []Shape
	hangzhouCity  orb.Bound
)

// BenchmarkLocateHangzhouGrids: the ~60k clipped unit grids of the Hangzhou
// pipeline; random points over the city's bounding box (some miss).
func BenchmarkLocateHangzhouGrids(b *testing.B) {
	hangzhouOnce.Do(func() {
		res := runHangzhouPipeline(b, hangzhouGridMeters)
		hangzhouGrids = res.grids
		_, districts := hangzhouDistricts(b)
		for i, d := range districts {
			if i == 0 {
				hangzhouCity = d.Bound()
			} else {
				hangzhouCity = hangzhouCity.Union(d.Bound())
			}
		}
	})
	if hangzhouGrids == nil {
		b.Skip("Hangzhou data not available")
	}
	ix := NewIndex(hangzhouGrids)
	benchLocate(b, ix, randomPoints(hangzhouCity, 1<<16, 2))
}

// BenchmarkLocateDistricts: the 13 district outlines (rings of up to 7,000
// points) — the cost of an area-chain lookup on raw boundaries.
func BenchmarkLocateDistricts(b *testing.B) {
	_, districts := hangzhouDistricts(b)
	shapes := make([]Shape, len(districts))
	var bound orb.Bound
	for i, d := range districts {
		shapes[i] = Shape{ID: int64(i), Geom: d}
		if i == 0 {
			bound = d.Bound()
		} else {
			bound = bound.Union(d.Bound())
		}
	}
	benchLocate(b, NewIndex(shapes), randomPoints(bound, 1<<16, 3))
}

func BenchmarkNewIndex100k(b *testing.B) {
	shapes, _ := latticeMeters(316, 316, 120.0, 30.4, 100)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		NewIndex(shapes)
	}
}

func BenchmarkGenerateGridDistrict(b *testing.B) {
	names, districts := hangzhouDistricts(b)
	i := slices.Index(names, "西湖区")
	b.ReportAllocs()
	var n int
	for j := 0; j < b.N; j++ {
		n = len(GenerateGrid(districts[i], 300))
	}
	b.ReportMetric(float64(n), "cells")
}

func BenchmarkPartitionDistrict(b *testing.B) {
	names, districts := hangzhouDistricts(b)
	i := slices.Index(names, "淳安县")
	b.ReportAllocs()
	for j := 0; j < b.N; j++ {
		Partition(districts[i], 23, int64(j))
	}
}

func BenchmarkReadFeatures(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedData, "hangzhou-districts-2017.geojson"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ReadFeatures(bytes.NewReader(data), func(*geojson.Feature) error { return nil }, nil); err != nil {
			b.Fatal(err)
		}
	}
}
