// Command geobench measures gridloop's point-in-grid lookup against PostGIS on the
// same grids and the same points (scripts/bench-postgis.sh runs it; see
// docs/benchmarks.md).
//
//	geobench -grids 100000 -points 100000 -out DIR   write DIR/grids.geojson, DIR/grids.csv,
//	                                                 DIR/points.csv; time geo.Index on one core
//	geobench -pg URL -dir DIR                        time PostGIS on the loaded tables: a client
//	                                                 loop (one connection, prepared statement)
//	                                                 and one LATERAL query; check both agree
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/store"
)

func main() {
	grids := flag.Int("grids", 100000, "number of unit grids (a lattice of 100 m squares in Hangzhou)")
	points := flag.Int("points", 100000, "number of random points over the lattice")
	out := flag.String("out", "", "generate the data set into this directory and time gridloop")
	pg := flag.String("pg", "", "postgres:// URL of a database with the grids and points tables loaded")
	dir := flag.String("dir", "", "with -pg: the directory written by -out (for gridloop's answers)")
	flag.Parse()
	var err error
	switch {
	case *out != "":
		err = generate(*out, *grids, *points)
	case *pg != "":
		err = postgis(*pg, *dir)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "geobench:", err)
		os.Exit(1)
	}
}

func generate(dir string, n, np int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A lattice of 100 m squares from (120.0, 30.4) south-east, as BenchmarkLocate100k,
	// coded like unit grids: a 12-digit block number + 3-digit sequence.
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	mLon, mLat := geo.MetersPerDegree(30.4)
	dx, dy := 100/mLon, 100/mLat
	fc := geojson.NewFeatureCollection()
	gcsv, err := os.Create(filepath.Join(dir, "grids.csv"))
	if err != nil {
		return err
	}
	defer gcsv.Close()
	gw := csv.NewWriter(bufio.NewWriter(gcsv))
	var maxRow int
	for i := range n {
		r, c := i/cols, i%cols
		maxRow = r
		x, y := 120.0+float64(c)*dx, 30.4-float64(r+1)*dy
		mp := orb.MultiPolygon{{{{x, y}, {x + dx, y}, {x + dx, y + dy}, {x, y + dy}, {x, y}}}}
		code := fmt.Sprintf("330100%06d%03d", i/1000, i%1000+1)
		f := geojson.NewFeature(mp)
		f.Properties["code"] = code
		fc.Append(f)
		if err := gw.Write([]string{code, store.EncodeGeom(mp)}); err != nil {
			return err
		}
	}
	gw.Flush()
	if err := gw.Error(); err != nil {
		return err
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "grids.geojson"), b, 0o644); err != nil {
		return err
	}
	bound := orb.Bound{Min: orb.Point{120.0, 30.4 - float64(maxRow+1)*dy}, Max: orb.Point{120.0 + float64(cols)*dx, 30.4}}
	rng := rand.New(rand.NewPCG(2026, 11))
	pts := make([]orb.Point, np)
	pcsv, err := os.Create(filepath.Join(dir, "points.csv"))
	if err != nil {
		return err
	}
	defer pcsv.Close()
	pw := bufio.NewWriter(pcsv)
	for i := range pts {
		pts[i] = orb.Point{bound.Min[0] + rng.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + rng.Float64()*(bound.Max[1]-bound.Min[1])}
		fmt.Fprintf(pw, "%d,%s,%s\n", i+1, strconv.FormatFloat(pts[i][0], 'f', -1, 64), strconv.FormatFloat(pts[i][1], 'f', -1, 64))
	}
	if err := pw.Flush(); err != nil {
		return err
	}

	// gridloop: read the grids back from the GeoJSON written above, as an import would.
	f, err := os.Open(filepath.Join(dir, "grids.geojson"))
	if err != nil {
		return err
	}
	var shapes []geo.Shape
	err = geo.ReadFeatures(f, func(ft *geojson.Feature) error {
		mp, err := geo.AsMultiPolygon(ft.Geometry)
		if err != nil {
			return err
		}
		shapes = append(shapes, geo.Shape{ID: int64(len(shapes)), Code: ft.Properties["code"].(string), Geom: mp})
		return nil
	}, nil)
	f.Close()
	if err != nil {
		return err
	}
	t0 := time.Now()
	ix := geo.NewIndex(shapes)
	build := time.Since(t0)

	runtime.GOMAXPROCS(1)
	codes := make([]string, len(pts))
	// Warm up, then time 5 passes over all points; keep the best pass.
	best := time.Duration(math.MaxInt64)
	for pass := range 6 {
		t := time.Now()
		for i, p := range pts {
			if s, ok := ix.Locate(p); ok {
				codes[i] = s.Code
			}
		}
		if d := time.Since(t); pass > 0 && d < best {
			best = d
		}
	}
	lat := make([]time.Duration, len(pts))
	for i, p := range pts {
		t := time.Now()
		ix.Locate(p)
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	hits := 0
	res, err := os.Create(filepath.Join(dir, "gridloop-answers.csv"))
	if err != nil {
		return err
	}
	rw := bufio.NewWriter(res)
	for i, c := range codes {
		if c != "" {
			hits++
		}
		fmt.Fprintf(rw, "%d,%s\n", i+1, c)
	}
	rw.Flush()
	res.Close()
	perSec := float64(len(pts)) / best.Seconds()
	fmt.Printf("gridloop: %d grids (index built in %s), %d points, %d hits\n", len(shapes), build.Round(time.Millisecond), len(pts), hits)
	fmt.Printf("gridloop: one core: %.0f lookups/s (%.0f ns/lookup, best of 5 passes); single-lookup p50 %d ns, p99 %d ns\n",
		perSec, float64(best.Nanoseconds())/float64(len(pts)), lat[len(lat)/2].Nanoseconds(), lat[len(lat)*99/100].Nanoseconds())
	return os.WriteFile(filepath.Join(dir, "gridloop.rate"), []byte(strconv.FormatFloat(perSec, 'f', 0, 64)+"\n"), 0o644)
}

func postgis(url, dir string) error {
	ctx := context.Background()
	db, err := sql.Open("pgx", url)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	type pt struct {
		id       int64
		lng, lat float64
	}
	rows, err := conn.QueryContext(ctx, `SELECT id, lng, lat FROM points ORDER BY id`)
	if err != nil {
		return err
	}
	var pts []pt
	for rows.Next() {
		var p pt
		if err := rows.Scan(&p.id, &p.lng, &p.lat); err != nil {
			return err
		}
		pts = append(pts, p)
	}
	rows.Close()
	stmt, err := conn.PrepareContext(ctx, `SELECT code FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	codes := make([]string, len(pts)+1)
	lookup := func(p pt) (string, error) {
		var code string
		err := stmt.QueryRowContext(ctx, p.lng, p.lat).Scan(&code)
		if err == sql.ErrNoRows {
			return "", nil
		}
		return code, err
	}
	for _, p := range pts[:min(2000, len(pts))] { // warm the cache
		if _, err := lookup(p); err != nil {
			return err
		}
	}
	t := time.Now()
	for _, p := range pts {
		if codes[p.id], err = lookup(p); err != nil {
			return err
		}
	}
	loop := time.Since(t)
	loopRate := float64(len(pts)) / loop.Seconds()
	fmt.Printf("postgis client loop: %d points in %s: %.0f lookups/s (%.1f µs/lookup; one connection, prepared statement)\n",
		len(pts), loop.Round(time.Millisecond), loopRate, float64(loop.Microseconds())/float64(len(pts)))

	t = time.Now()
	var matched int
	err = conn.QueryRowContext(ctx, `SELECT count(g.code) FROM points p
		LEFT JOIN LATERAL (SELECT code FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326)) LIMIT 1) g ON true`).Scan(&matched)
	if err != nil {
		return err
	}
	lateral := time.Since(t)
	latRate := float64(len(pts)) / lateral.Seconds()
	fmt.Printf("postgis one LATERAL query: %d points in %s: %.0f lookups/s (no round trips)\n", len(pts), lateral.Round(time.Millisecond), latRate)

	if dir != "" {
		b, err := os.ReadFile(filepath.Join(dir, "gridloop-answers.csv"))
		if err != nil {
			return err
		}
		r := csv.NewReader(bytes.NewReader(b))
		recs, err := r.ReadAll()
		if err != nil {
			return err
		}
		diff := 0
		for _, rec := range recs {
			id, _ := strconv.Atoi(rec[0])
			if id < len(codes) && codes[id] != rec[1] {
				diff++
			}
		}
		fmt.Printf("answers: gridloop and PostGIS disagree on %d of %d points\n", diff, len(recs))
		rate, err := os.ReadFile(filepath.Join(dir, "gridloop.rate"))
		if err == nil {
			g, _ := strconv.ParseFloat(string(rate[:len(rate)-1]), 64)
			fmt.Printf("ratio: gridloop / PostGIS client loop = %.1f×; gridloop / PostGIS LATERAL = %.1f×\n", g/loopRate, g/latRate)
		}
	}
	return nil
}
