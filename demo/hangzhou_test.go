package demo_test

import (
	"context"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/demo"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
)

// TestHangzhouDemoCity imports the shared Hangzhou data into a fresh store and reports
// at 断桥 (Broken Bridge, 120.1510, 30.2590): it lands in 西湖区 with street, community
// and grid codes; (0, 0) and the sea are refused with the clear message.
func TestHangzhouDemoCity(t *testing.T) {
	dir := demo.DataDir()
	if dir == "" {
		t.Fatal("the shared Hangzhou data is not at ../shared/data, ../../shared/data or $GRIDLOOP_DATA")
	}
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		svc := servicetest.New(t, b)
		if err := demo.Seed(ctx, svc, demo.Options{Cases: 30, Seed: 1, DataDir: dir}); err != nil {
			t.Fatal(err)
		}
		_, grids, resp, areas := svc.GeoStats()
		if grids < 20000 || areas != 3530 || resp != 196 {
			t.Fatalf("city has %d grids, %d areas, %d resp grids", grids, areas, resp)
		}
		op := svc.NewPrincipal(&gl.User{ID: 1, Name: "operator", Roles: []gl.Role{gl.RoleOperator}})
		lat, lng := 30.2590, 120.1510
		res, err := svc.Report(ctx, op, service.ReportInput{Description: "断桥边井盖缺失", Lat: &lat, Lng: &lng}, "")
		if err != nil {
			t.Fatal(err)
		}
		c := res.Case
		if !strings.HasPrefix(c.AreaCode, "330106") || len(c.AreaCode) != 12 || !strings.HasPrefix(c.GridCode, c.AreaCode) ||
			len(c.GridCode) != 15 || !strings.HasPrefix(c.RespGridCode, "R330106") {
			t.Fatalf("断桥: area %q grid %q resp %q", c.AreaCode, c.GridCode, c.RespGridCode)
		}
		chain := svc.AreaChain(c.AreaCode)
		if len(chain) != 4 || chain[0].Name != "杭州市" || chain[1].Name != "西湖区" || chain[2].Level != gl.LevelStreet {
			t.Fatalf("chain %+v", chain)
		}
		t.Logf("断桥 → %s/%s/%s/%s, grid %s", chain[0].Name, chain[1].Name, chain[2].Name, chain[3].Name, c.GridCode)
		for _, p := range [][2]float64{{0, 0}, {30.0, 122.8}} {
			lat, lng := p[0], p[1]
			_, err := svc.Report(ctx, op, service.ReportInput{Description: "x", Lat: &lat, Lng: &lng}, "")
			if gl.ErrorCode(err) != gl.EINVALID || !strings.Contains(gl.ErrorMessage(err), "不在本市网格范围内") {
				t.Errorf("report at %v: %v", p, err)
			}
		}
		// The districts that exist only in the 2023 codes have derived shapes.
		for code, name := range map[string]string{"330113": "临平区", "330114": "钱塘区"} {
			found := false
			for _, a := range svc.AreaChain(code) {
				found = found || (a.Name == name && a.HasGeom)
			}
			if !found {
				t.Errorf("%s %s has no boundary", code, name)
			}
		}
	})
}
