package ui_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// The test city's space: 杭州市 › 西湖区 (the box 120.10–120.20 E, 30.22–30.30 N) ›
// two streets (west and east halves) › two communities each (south and north of
// 30.26 N), cut into unit grids of 800 m; one responsibility grid per street, the
// grid worker answering for both.
const (
	cityCode     = "330100"
	districtCode = "330106"
	streetWest   = "330106001"
	streetEast   = "330106002"
)

func box(w, s, e, n float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}}}
}

// addSpace gives the city areas, boundaries, unit grids and responsibility grids, and
// returns the number of unit grids.
func (c *city) addSpace(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	areas := []gl.Area{
		{Code: cityCode, Name: "杭州市", Level: gl.LevelCity},
		{Code: districtCode, Name: "西湖区", Level: gl.LevelDistrict, ParentCode: cityCode},
		{Code: streetWest, Name: "北山街道", Level: gl.LevelStreet, ParentCode: districtCode},
		{Code: streetEast, Name: "西溪街道", Level: gl.LevelStreet, ParentCode: districtCode},
		{Code: streetWest + "001", Name: "宝石社区", Level: gl.LevelCommunity, ParentCode: streetWest},
		{Code: streetWest + "002", Name: "保俶塔社区", Level: gl.LevelCommunity, ParentCode: streetWest},
		{Code: streetEast + "001", Name: "文三社区", Level: gl.LevelCommunity, ParentCode: streetEast},
		{Code: streetEast + "002", Name: "古荡社区", Level: gl.LevelCommunity, ParentCode: streetEast},
	}
	if err := c.svc.ImportAreas(ctx, areas); err != nil {
		t.Fatal(err)
	}
	geoms := map[string]orb.MultiPolygon{
		cityCode:           box(120.10, 30.22, 120.20, 30.30),
		districtCode:       box(120.10, 30.22, 120.20, 30.30),
		streetWest:         box(120.10, 30.22, 120.15, 30.30),
		streetEast:         box(120.15, 30.22, 120.20, 30.30),
		streetWest + "001": box(120.10, 30.22, 120.15, 30.26),
		streetWest + "002": box(120.10, 30.26, 120.15, 30.30),
		streetEast + "001": box(120.15, 30.22, 120.20, 30.26),
		streetEast + "002": box(120.15, 30.26, 120.20, 30.30),
	}
	if err := c.svc.SetAreaGeoms(ctx, geoms); err != nil {
		t.Fatal(err)
	}
	n, err := c.svc.GenerateGrids(ctx, districtCode, 800)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := c.svc.UserByName(ctx, "grid_member")
	if err != nil {
		t.Fatal(err)
	}
	err = c.svc.UpdateGeo(ctx, func(tx *store.Tx) error {
		return tx.PutRespGrids(ctx, []store.RespGridShape{
			{Code: "R" + streetWest, Name: "北山责任网格", AreaCode: streetWest, Geom: geoms[streetWest], WorkerIDs: []int64{gm.ID}},
			{Code: "R" + streetEast, Name: "西溪责任网格", AreaCode: streetEast, Geom: geoms[streetEast], WorkerIDs: []int64{gm.ID}},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
