package geo

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// sharedData is /work/shared/data seen from this package directory.
var sharedData = filepath.Join("..", "..", "shared", "data")

type division struct{ code, name, level, parent string }

// hangzhouDistricts reads the 13 district polygons (2017 layout).
func hangzhouDistricts(tb testing.TB) (names []string, shapes []orb.MultiPolygon) {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedData, "hangzhou-districts-2017.geojson"))
	if err != nil {
		tb.Skipf("Hangzhou data not available: %v", err)
	}
	defer f.Close()
	err = ReadFeatures(f, func(ft *geojson.Feature) error {
		mp, err := AsMultiPolygon(ft.Geometry)
		if err != nil {
			return err
		}
		names = append(names, ft.Properties.MustString("name", ""))
		shapes = append(shapes, mp)
		return nil
	}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return names, shapes
}

func hangzhouDivisions(tb testing.TB) []division {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedData, "hangzhou-divisions-2023.csv"))
	if err != nil {
		tb.Skipf("Hangzhou data not available: %v", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var out []division
	for _, r := range recs[1:] {
		out = append(out, division{r[0], r[1], r[2], r[3]})
	}
	return out
}

type pipelineResult struct {
	streets, communities int
	grids                []Shape
	maxPerCommunity      int
	emptyCommunities     int
	rings                int // rings over all communities
}

// runHangzhouPipeline: 13 districts → streets → communities → unit grids, with
// the street and community counts of the 2023 division list. The 2017 polygons
// predate the 2021 re-districting, so districts are matched by name and the two
// unmatched new districts (临平, 钱塘) are paired, in code order, with the two
// unmatched old polygons (下城, 江干): good enough for counts and timing.
func runHangzhouPipeline(tb testing.TB, gridMeters float64) pipelineResult {
	names, districts := hangzhouDistricts(tb)
	divs := hangzhouDivisions(tb)
	children := map[string][]string{}
	var csvDistricts []division
	for _, d := range divs {
		children[d.parent] = append(children[d.parent], d.code)
		if d.level == "district" {
			csvDistricts = append(csvDistricts, d)
		}
	}
	prefix := func(s string) string { r := []rune(s); return string(r[:2]) }
	polyFor := map[string]int{}
	usedPoly := map[int]bool{}
	for _, d := range csvDistricts {
		for i, n := range names {
			if prefix(n) == prefix(d.name) {
				polyFor[d.code], usedPoly[i] = i, true
			}
		}
	}
	var freePolys []int
	for i := range names {
		if !usedPoly[i] {
			freePolys = append(freePolys, i)
		}
	}
	for _, d := range csvDistricts {
		if _, ok := polyFor[d.code]; !ok {
			if len(freePolys) == 0 {
				tb.Fatalf("no polygon for district %s", d.name)
			}
			polyFor[d.code], freePolys = freePolys[0], freePolys[1:]
		}
	}

	type job struct {
		region orb.MultiPolygon
		code   string
		n      int
		seed   int64
	}
	var res pipelineResult
	var mu sync.Mutex
	parallel := func(jobs []job, fn func(job)) {
		ch := make(chan job)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range ch {
					fn(j)
				}
			}()
		}
		for _, j := range jobs {
			ch <- j
		}
		close(ch)
		wg.Wait()
	}

	// Districts → streets.
	var djobs []job
	for _, d := range csvDistricts {
		djobs = append(djobs, job{districts[polyFor[d.code]], d.code, len(children[d.code]), int64(len(djobs))})
	}
	var sjobs []job
	parallel(djobs, func(j job) {
		streets := Partition(j.region, j.n, j.seed)
		mu.Lock()
		defer mu.Unlock()
		if len(streets) != j.n {
			tb.Errorf("district %s: %d streets, want %d", j.code, len(streets), j.n)
		}
		for i, s := range streets {
			code := children[j.code][i]
			sjobs = append(sjobs, job{s, code, len(children[code]), j.seed*1000 + int64(i)})
		}
		res.streets += len(streets)
	})
	sort.Slice(sjobs, func(a, b int) bool { return sjobs[a].code < sjobs[b].code })

	// Streets → communities → grids.
	parallel(sjobs, func(j job) {
		comms := Partition(j.region, j.n, j.seed)
		var grids []Shape
		maxPer, empty, rings := 0, 0, 0
		for i, c := range comms {
			if len(c) == 0 {
				empty++
			}
			for _, p := range c {
				rings += len(p)
			}
			code := children[j.code][i]
			if len(code) != 12 {
				tb.Errorf("community code %q", code)
			}
			cells := GenerateGrid(c, gridMeters)
			maxPer = max(maxPer, len(cells))
			for _, cell := range cells {
				gc, err := GridCode(code, cell.Seq)
				if err != nil {
					tb.Errorf("community %s: %v", code, err)
					break
				}
				grids = append(grids, Shape{Code: gc, Geom: cell.Geom})
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if len(comms) != j.n {
			tb.Errorf("street %s: %d communities, want %d", j.code, len(comms), j.n)
		}
		res.communities += len(comms)
		res.grids = append(res.grids, grids...)
		res.maxPerCommunity = max(res.maxPerCommunity, maxPer)
		res.emptyCommunities += empty
		res.rings += rings
	})
	sort.Slice(res.grids, func(a, b int) bool { return res.grids[a].Code < res.grids[b].Code })
	for i := range res.grids {
		res.grids[i].ID = int64(i + 1)
	}
	return res
}

// hangzhouGridMeters gives ~50k unit grids over Hangzhou's ~16,800 km².
const hangzhouGridMeters = 650

func TestHangzhouPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the Hangzhou pipeline in -short mode")
	}
	start := time.Now()
	res := runHangzhouPipeline(t, hangzhouGridMeters)
	elapsed := time.Since(start)
	t.Logf("Hangzhou pipeline (GOMAXPROCS=%d, grid %v m): %d streets, %d communities (%d rings, %.1f per community), %d unit grids (max %d per community) in %v",
		runtime.GOMAXPROCS(0), float64(hangzhouGridMeters), res.streets, res.communities, res.rings,
		float64(res.rings)/float64(res.communities), len(res.grids), res.maxPerCommunity, elapsed.Round(time.Millisecond))
	if res.streets != 196 || res.communities != 3320 {
		t.Errorf("got %d streets, %d communities; want 196, 3320", res.streets, res.communities)
	}
	if res.emptyCommunities > 0 {
		t.Errorf("%d empty communities", res.emptyCommunities)
	}
	if n := len(res.grids); n < 30000 || n > 80000 {
		t.Errorf("%d unit grids, want 30k–80k", n)
	}
	if res.maxPerCommunity > MaxGridSeq {
		t.Errorf("a community has %d grids, more than %d", res.maxPerCommunity, MaxGridSeq)
	}

	// Index the grids and place random points of the city.
	t0 := time.Now()
	ix := NewIndex(res.grids)
	build := time.Since(t0)
	_, districts := hangzhouDistricts(t)
	dshapes := make([]Shape, len(districts))
	for i, d := range districts {
		dshapes[i] = Shape{ID: int64(i), Geom: d}
	}
	cityIx := NewIndex(dshapes)
	var city orb.Bound
	for i, d := range districts {
		if i == 0 {
			city = d.Bound()
		} else {
			city = city.Union(d.Bound())
		}
	}
	pts := randomPoints(city, 100000, 1)
	t0 = time.Now()
	found := make([]int, len(pts))
	ok := make([]bool, len(pts))
	for i, p := range pts {
		found[i], ok[i] = ix.LocateIndex(p)
	}
	lookupTime := time.Since(t0)
	var inCity, hits, mismatch int
	for i, p := range pts {
		if _, in := cityIx.Locate(p); !in {
			continue
		}
		inCity++
		if ok[i] {
			hits++
			if !multiPolygonContains(ix.Geom(found[i]), p) {
				mismatch++
			}
		}
	}
	t.Logf("index of %d grids built in %v; %d random lookups in %v (%.0f ns each); %.2f%% of points in the city fall in a grid",
		ix.Len(), build.Round(time.Millisecond), len(pts), lookupTime.Round(time.Millisecond),
		float64(lookupTime.Nanoseconds())/float64(len(pts)), 100*float64(hits)/float64(inCity))
	if mismatch > 0 {
		t.Errorf("%d located grids do not contain their point", mismatch)
	}
	if float64(hits) < 0.99*float64(inCity) {
		t.Errorf("only %d of %d city points fall in a unit grid", hits, inCity)
	}
	if elapsed > 60*time.Second {
		t.Errorf("pipeline took %v", elapsed)
	}
}
