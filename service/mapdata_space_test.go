package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// The map reads unit grids straight from the spatial index: bounds, the grids in a
// box and one grid's outline must be those stored.
func TestMapGridsFromSpaceIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		sc := newSpaceCity(t, b)
		ctx := context.Background()
		var grids []store.GridShape
		if err := sc.svc.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			grids, err = tx.GridShapes(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(grids) == 0 {
			t.Fatal("no grids")
		}
		want := orb.Bound{Min: orb.Point{120.14, 30.25}, Max: orb.Point{120.16, 30.29}}
		if bd, ok := sc.svc.MapBounds(); !ok || bd != want {
			t.Errorf("MapBounds = %v, %v; want %v", bd, ok, want)
		}

		// Every grid meeting the box, each once, with its community.
		box := orb.Bound{Min: orb.Point{120.145, 30.255}, Max: orb.Point{120.155, 30.26}}
		body, more, err := sc.svc.MapGrids(box)
		if err != nil || more {
			t.Fatalf("MapGrids: more %v, %v", more, err)
		}
		fc, err := geojson.UnmarshalFeatureCollection(body)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range fc.Features {
			got[f.Properties.MustString("code", "")] = f.Properties.MustString("area_code", "")
		}
		n := 0
		for _, g := range grids {
			if !g.Geom.Bound().Intersects(box) {
				continue
			}
			n++
			if area, ok := got[g.Code]; !ok || area != g.AreaCode {
				t.Errorf("grid %s: in the box %v, area %q; want area %q", g.Code, ok, area, g.AreaCode)
			}
		}
		if n == 0 || len(fc.Features) != n {
			t.Errorf("MapGrids gave %d grids, want %d", len(fc.Features), n)
		}

		// One grid: its outline (rounded for drawing), chain and responsibility grid.
		g := grids[len(grids)/2]
		info, err := sc.svc.GridInfo(ctx, g.Code, "")
		if err != nil {
			t.Fatal(err)
		}
		wantGeom, _ := json.Marshal(geojson.NewGeometry(orb.Round(orb.Clone(g.Geom), 1e6)))
		gotGeom, _ := json.Marshal(info.Geometry)
		if string(gotGeom) != string(wantGeom) || info.AreaCode != g.AreaCode || len(info.Chain) == 0 {
			t.Errorf("GridInfo(%s) = %s area %s; want %s area %s", g.Code, gotGeom, info.AreaCode, wantGeom, g.AreaCode)
		}
		if inBeishan := g.AreaCode != shihuiqiao; inBeishan != (info.RespGrid != nil && info.RespGrid.Code == "R330106002-01") {
			t.Errorf("GridInfo(%s) in area %s: responsibility grid %+v", g.Code, g.AreaCode, info.RespGrid)
		}
		if pl := sc.svc.Locate(g.Geom.Bound().Center()[1], g.Geom.Bound().Center()[0]); pl.GridCode != g.Code || pl.AreaCode != g.AreaCode {
			t.Errorf("Locate(centre of %s) = %v", g.Code, pl)
		}
		if _, err := sc.svc.GridInfo(ctx, "330106999999999", ""); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Errorf("GridInfo of an unknown grid: %v", err)
		}
	})
}
