package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

func TestGeomRoundTrip(t *testing.T) {
	mp := orb.MultiPolygon{
		{{{120.1, 30.2}, {120.2, 30.2}, {120.2, 30.3}, {120.1, 30.2}}, {{120.12, 30.21}, {120.13, 30.21}, {120.13, 30.22}, {120.12, 30.21}}},
		{{{-1.5e-7, 2}, {3, 2}, {3, 4}, {-1.5e-7, 2}}},
	}
	got, err := DecodeGeom(EncodeGeom(mp))
	if err != nil || !got.Equal(mp) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	// Text from elsewhere (a Polygon, spaces) goes through the general decoder.
	got, err = DecodeGeom(`{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}`)
	if err != nil || len(got) != 1 || len(got[0][0]) != 4 {
		t.Fatalf("polygon: %v %v", got, err)
	}
	if _, err := DecodeGeom(`{"type":"Point","coordinates":[0,0]}`); err == nil {
		t.Error("a Point was accepted as a boundary")
	}
}

// 50,000 grids go in in one transaction in seconds, and come back the same.
func TestBulkGridsAndAreas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		db := openDB(t, b)
		ctx := t.Context()
		const n = 50000
		grids := make([]GridShape, n)
		for i := range grids {
			x, y := 120+float64(i%250)*0.001, 30+float64(i/250)*0.001
			grids[i] = GridShape{Code: fmt.Sprintf("330106002%03d%03d", i/999, i%999+1), AreaCode: fmt.Sprintf("330106002%03d", i/999),
				Geom: orb.MultiPolygon{{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}}}
		}
		start := time.Now()
		update(t, db, func(tx *Tx) error {
			if err := tx.PutAreas(ctx, []gridloop.Area{{Code: "330106", Name: "西湖区", Level: gridloop.LevelDistrict, ParentCode: "330100"}}); err != nil {
				return err
			}
			if err := tx.SetAreaGeom(ctx, "330106", grids[0].Geom); err != nil {
				return err
			}
			if err := tx.PutGrids(ctx, grids); err != nil {
				return err
			}
			_, err := tx.BumpGeoVersion(ctx)
			return err
		})
		took := time.Since(start)
		if took > 20*time.Second {
			t.Errorf("importing %d grids took %s", n, took)
		}
		t.Logf("%d grids imported in %s", n, took)
		start = time.Now()
		view(t, db, func(tx *Tx) error {
			got, err := tx.GridShapes(ctx)
			if err != nil {
				return err
			}
			if len(got) != n || !got[0].Geom.Equal(grids[0].Geom) || got[n-1].Code != grids[n-1].Code {
				t.Errorf("read back %d grids", len(got))
			}
			if v, _ := tx.GeoVersion(ctx); v != "1" {
				t.Errorf("geo_version %q", v)
			}
			as, err := tx.AreaShapes(ctx)
			if err != nil || len(as) != 1 || !as[0].HasGeom || !as[0].Geom.Equal(grids[0].Geom) {
				t.Errorf("areas %+v %v", as, err)
			}
			return nil
		})
		t.Logf("read back in %s", time.Since(start))
		if err := db.Update(ctx, func(tx *Tx) error { return tx.SetAreaGeom(ctx, "999", nil) }); gridloop.ErrorCode(err) != gridloop.ENOTFOUND {
			t.Errorf("geometry for an unknown area: %v", err)
		}
		if err := db.Update(ctx, func(tx *Tx) error {
			return tx.PutGrids(ctx, []GridShape{{Code: "12", Geom: grids[0].Geom}})
		}); gridloop.ErrorCode(err) != gridloop.EINVALID {
			t.Errorf("short grid code: %v", err)
		}
	})
}
