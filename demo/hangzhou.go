package demo

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/planar"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// Files of the shared real data the demo city is built from.
const (
	DivisionsFile = "hangzhou-divisions-2023.csv"
	DistrictsFile = "hangzhou-districts-2017.geojson"
)

// DataDir finds the shared data directory: $GRIDLOOP_DATA, else ../shared/data or
// ../../shared/data from the working directory. It returns "" when none holds the
// Hangzhou files.
func DataDir() string {
	var dirs []string
	if d := os.Getenv("GRIDLOOP_DATA"); d != "" {
		dirs = append(dirs, d)
	}
	dirs = append(dirs, filepath.Join("..", "shared", "data"), filepath.Join("..", "..", "shared", "data"))
	for _, d := range dirs {
		_, e1 := os.Stat(filepath.Join(d, DivisionsFile))
		_, e2 := os.Stat(filepath.Join(d, DistrictsFile))
		if e1 == nil && e2 == nil {
			return d
		}
	}
	return ""
}

// City is the derived Hangzhou demo city: the 2023 area tree with boundaries for every
// area (districts from the 2017 polygons, adjusted for the 2021 re-districting; streets
// and communities derived with geo.Partition) and unit grids for every community.
type City struct {
	Areas []gl.Area
	Geoms map[string]orb.MultiPolygon
	Grids []store.GridShape
	// Communities in code order, for placing demo cases.
	Communities []string
}

// The 2021 re-districting rules applied to the 2017 polygons (see docs/space.md).
const (
	linpingCutLng   = 120.23 // 余杭 2017 east of this → 临平区 330113, west → 余杭区 330110
	qiantangJGLng   = 120.30 // 江干 2017 east of this → 钱塘区 330114 (下沙), the rest → 上城区
	qiantangXSLng   = 120.45 // 萧山 2017 east of this and north of qiantangXSLat → 钱塘区 (大江东)
	qiantangXSLat   = 30.20
	gridsPerCommune = 12 // target unit grids per community
)

// clipTo returns the part of mp inside b (mp is not modified).
func clipTo(mp orb.MultiPolygon, b orb.Bound) orb.MultiPolygon {
	out := clip.MultiPolygon(b, mp.Clone())
	var keep orb.MultiPolygon
	for _, p := range out {
		if len(p) > 0 && len(p[0]) >= 4 && math.Abs(planar.Area(p)) > 0 {
			keep = append(keep, p)
		}
	}
	return keep
}

func west(mp orb.MultiPolygon, lng float64) orb.MultiPolygon {
	return clipTo(mp, orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{lng, 90}})
}

func east(mp orb.MultiPolygon, lng float64) orb.MultiPolygon {
	return clipTo(mp, orb.Bound{Min: orb.Point{lng, -90}, Max: orb.Point{180, 90}})
}

func join(parts ...orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// districts2023 derives the 13 districts of 2023 from the 13 polygons of 2017.
func districts2023(old map[string]orb.MultiPolygon) (map[string]orb.MultiPolygon, error) {
	need := func(name string) orb.MultiPolygon {
		return old[name]
	}
	for _, n := range []string{"上城区", "下城区", "江干区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区",
		"富阳区", "临安市", "桐庐县", "淳安县", "建德市"} {
		if len(old[n]) == 0 {
			return nil, fmt.Errorf("%s: no polygon for %s", DistrictsFile, n)
		}
	}
	jg, xs, yh := need("江干区"), need("萧山区"), need("余杭区")
	xsNE := clipTo(xs, orb.Bound{Min: orb.Point{qiantangXSLng, qiantangXSLat}, Max: orb.Point{180, 90}})
	xsRest := join(west(xs, qiantangXSLng),
		clipTo(xs, orb.Bound{Min: orb.Point{qiantangXSLng, -90}, Max: orb.Point{180, qiantangXSLat}}))
	return map[string]orb.MultiPolygon{
		"330102": join(need("上城区"), west(jg, qiantangJGLng)), // 上城 + 江干 (west part)
		"330105": join(need("下城区"), need("拱墅区")),             // 下城 + 拱墅
		"330106": need("西湖区"),
		"330108": need("滨江区"),
		"330109": xsRest,
		"330110": west(yh, linpingCutLng),
		"330111": need("富阳区"),
		"330112": need("临安市"), // 临安市 became 临安区 in 2017; same polygon
		"330113": east(yh, linpingCutLng),
		"330114": join(east(jg, qiantangJGLng), xsNE),
		"330122": need("桐庐县"),
		"330127": need("淳安县"),
		"330182": need("建德市"),
	}, nil
}

// BuildHangzhou derives the demo city from the files in dir. progress, if set, is told
// what is being done.
func BuildHangzhou(dir string, progress func(string)) (*City, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	f, err := os.Open(filepath.Join(dir, DivisionsFile))
	if err != nil {
		return nil, err
	}
	areas, err := service.ReadDivisionsCSV(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DivisionsFile, err)
	}
	g, err := os.Open(filepath.Join(dir, DistrictsFile))
	if err != nil {
		return nil, err
	}
	fc, err := geo.ParseFeatureCollection(g)
	g.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", DistrictsFile, err)
	}
	old := map[string]orb.MultiPolygon{}
	for _, ft := range fc.Features {
		mp, err := geo.AsMultiPolygon(ft.Geometry)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", DistrictsFile, err)
		}
		name, _ := ft.Properties["name"].(string)
		old[name] = mp
	}
	city := &City{Areas: areas, Geoms: map[string]orb.MultiPolygon{}}
	dists, err := districts2023(old)
	if err != nil {
		return nil, err
	}
	kids := map[string][]string{}
	var cityCode string
	for _, a := range areas {
		kids[a.ParentCode] = append(kids[a.ParentCode], a.Code)
		if a.Level == gl.LevelCity {
			cityCode = a.Code
		}
	}
	for _, k := range kids {
		sort.Strings(k)
	}
	var all orb.MultiPolygon
	for code, mp := range dists {
		city.Geoms[code] = mp
		all = append(all, mp...)
	}
	if cityCode != "" {
		city.Geoms[cityCode] = all
	}
	// Streets inside their district, then communities inside their street; parts come
	// in Hilbert order, so neighbouring codes get neighbouring shapes.
	say("deriving streets and communities (geo.Partition)")
	var jobs []string
	for code := range dists {
		jobs = append(jobs, code)
	}
	sort.Strings(jobs)
	var mu sync.Mutex
	parallel := func(parents []string) error {
		var wg sync.WaitGroup
		errc := make(chan error, len(parents))
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for _, p := range parents {
			children := kids[p]
			mu.Lock()
			region := city.Geoms[p]
			mu.Unlock()
			if len(children) == 0 || len(region) == 0 {
				continue
			}
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				parts := geo.Partition(region, len(children), int64(len(p))*1000003+int64(len(children)))
				if len(parts) != len(children) {
					errc <- fmt.Errorf("partition of %s: %d parts for %d children", p, len(parts), len(children))
					return
				}
				mu.Lock()
				for i, c := range children {
					city.Geoms[c] = parts[i]
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errc)
		return <-errc
	}
	if err := parallel(jobs); err != nil {
		return nil, err
	}
	var streets []string
	for _, d := range jobs {
		streets = append(streets, kids[d]...)
	}
	if err := parallel(streets); err != nil {
		return nil, err
	}
	say("cutting unit grids (about %d per community)", gridsPerCommune)
	for _, s := range streets {
		city.Communities = append(city.Communities, kids[s]...)
	}
	grids := make([][]store.GridShape, len(city.Communities))
	var wg sync.WaitGroup
	errs := make([]error, len(city.Communities))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, c := range city.Communities {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			grids[i], errs[i] = CommunityGrids(c, city.Geoms[c])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, g := range grids {
		city.Grids = append(city.Grids, g...)
	}
	return city, nil
}

// GridSize is the unit-grid side the demo uses for a community: about
// gridsPerCommune cells, rounded to 10 m, between 100 m and 3 km.
func GridSize(boundary orb.MultiPolygon) float64 {
	c := boundary.Bound().Center()
	mLon, mLat := geo.MetersPerDegree(c[1])
	var area float64
	for _, p := range boundary {
		area += math.Abs(planar.Area(p))
	}
	side := math.Sqrt(area * mLon * mLat / gridsPerCommune)
	return math.Min(3000, math.Max(100, math.Round(side/10)*10))
}

// CommunityGrids cuts one community with GridSize, growing the size if the
// community would need more than 999 sequence numbers.
func CommunityGrids(code string, boundary orb.MultiPolygon) ([]store.GridShape, error) {
	size := GridSize(boundary)
	for {
		g, err := service.CutGrids(code, boundary, size)
		if err == nil {
			return g, nil
		}
		if size > 20000 {
			return nil, err
		}
		size *= 1.5
	}
}
