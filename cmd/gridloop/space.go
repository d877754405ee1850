package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

const importUsage = `Usage: gridloop import <what> [flags] FILE

  divisions   division codes from CSV (code,name,level,parent_code)   gridloop import divisions -h
  boundaries  area boundaries from a GeoJSON FeatureCollection         gridloop import boundaries -h
`

func (m *Main) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, importUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "divisions":
		return m.importDivisions(ctx, args[1:])
	case "boundaries":
		return m.importBoundaries(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, importUsage)
		return nil
	}
	fmt.Fprint(m.Stderr, importUsage)
	return fmt.Errorf("unknown import %q", args[0])
}

func oneFile(fs *flag.FlagSet) (string, error) {
	if fs.NArg() != 1 {
		fs.Usage()
		return "", fmt.Errorf("need exactly one FILE, got %d arguments", fs.NArg())
	}
	return fs.Arg(0), nil
}

func (m *Main) importDivisions(ctx context.Context, args []string) error {
	fs := m.flags("import divisions", "Import division codes (区划代码) from a CSV file with the header\ncode,name,level,parent_code. Levels: city, district, street, community. Codes are\nmapped to 6 (city, district), 9 (street) or 12 (community) digits; the 12-digit\nstatistical form with trailing zeros is shortened. Existing areas are updated.\n\n  gridloop import divisions -db STORE FILE.csv")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	file, err := oneFile(fs)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	areas, err := service.ReadDivisionsCSV(f)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	if err := svc.ImportAreas(ctx, areas); err != nil {
		return err
	}
	count := map[gl.AreaLevel]int{}
	for _, a := range areas {
		count[a.Level]++
	}
	fmt.Fprintf(m.Stdout, "imported %d areas: %d city, %d district, %d street, %d community\n", len(areas),
		count[gl.LevelCity], count[gl.LevelDistrict], count[gl.LevelStreet], count[gl.LevelCommunity])
	return nil
}

func (m *Main) importBoundaries(ctx context.Context, args []string) error {
	fs := m.flags("import boundaries", "Import area boundaries from a GeoJSON FeatureCollection (Polygon or MultiPolygon,\nholes allowed, lon/lat). Features are matched to areas already imported, by code\n(feature id or properties code/adcode) or by name (properties name); features that\nmatch nothing are listed.\n\n  gridloop import boundaries -db STORE [-level district] [-match code|name] FILE.geojson")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	level := fs.String("level", "", "match only areas of this level: city, district, street or community")
	match := fs.String("match", "code", "match features to areas by code or name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	file, err := oneFile(fs)
	if err != nil {
		return err
	}
	if *level != "" && !gl.AreaLevel(*level).Valid() {
		return fmt.Errorf("-level %q: want city, district, street or community", *level)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, _ := f.Stat()
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	last := time.Now()
	rep, err := svc.ImportBoundaries(ctx, f, service.BoundaryOptions{Level: gl.AreaLevel(*level), Match: *match,
		Progress: func(done int, read int64) {
			if time.Since(last) > 500*time.Millisecond {
				last = time.Now()
				pct := 0.0
				if st != nil && st.Size() > 0 {
					pct = 100 * float64(read) / float64(st.Size())
				}
				fmt.Fprintf(m.Stdout, "\rreading %s: %d features, %.0f%%", file, done, pct)
			}
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\r%d features: %d matched, %d not matched\n", rep.Features, len(rep.Matched), len(rep.Unmatched))
	if len(rep.Unmatched) > 0 {
		fmt.Fprintf(m.Stdout, "not matched: %s\n", strings.Join(rep.Unmatched, ", "))
	}
	return nil
}

const gridsUsage = `Usage: gridloop grids <command> [flags]

  generate   cut communities into unit grids   gridloop grids generate -h
`

func (m *Main) grids(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "help" || args[0] == "--help") {
			fmt.Fprint(m.Stdout, gridsUsage)
			return nil
		}
		fmt.Fprint(m.Stderr, gridsUsage)
		return flag.ErrHelp
	}
	fs := m.flags("grids generate", "Cut a community's boundary into unit grids (单元网格) of SIZE meters, clipped to the\nboundary and coded community + 3-digit sequence in the standard order (rows\nnorth→south, west→east). The community's old grids are replaced. Given a street,\ndistrict or city, every community under it with a boundary is cut.\n\n  gridloop grids generate -db STORE -area CODE -size METERS")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	area := fs.String("area", "", "area code (community, or a street/district/city for all its communities)")
	size := fs.Float64("size", 100, "grid side in meters (100 m gives the standard ~10,000 m² unit grid)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *area == "" {
		fs.Usage()
		return fmt.Errorf("-area is required")
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	start := time.Now()
	n, err := svc.GenerateGrids(ctx, *area, *size)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "generated %d unit grids under %s in %s\n", n, *area, time.Since(start).Round(time.Millisecond))
	return nil
}
