package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/store"
)

// TestSpaceOverHTTP: locate, areas, the outside policy and routing rules with history.
func TestSpaceOverHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		ctx := context.Background()
		err := c.svc.ImportAreas(ctx, []gl.Area{
			{Code: "330100", Name: "杭州市", Level: gl.LevelCity},
			{Code: "330106", Name: "西湖区", Level: gl.LevelDistrict, ParentCode: "330100"},
			{Code: "330106002", Name: "北山街道", Level: gl.LevelStreet, ParentCode: "330106"},
			{Code: "330106002056", Name: "曲院社区", Level: gl.LevelCommunity, ParentCode: "330106002"},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = c.svc.UpdateGeo(ctx, func(tx *store.Tx) error {
			g := orb.MultiPolygon{{{{120.14, 30.25}, {120.16, 30.25}, {120.16, 30.27}, {120.14, 30.27}, {120.14, 30.25}}}}
			return tx.PutGrids(ctx, []store.GridShape{{Code: "330106002056001", AreaCode: "330106002056", Geom: g}})
		})
		if err != nil {
			t.Fatal(err)
		}
		r := c.do("GET", "/api/v1/locate?lat=30.2590&lng=120.1510", "operator", nil)
		if r.status != 200 || r.str("grid_code") != "330106002056001" || !strings.Contains(r.raw, "北山街道") {
			t.Fatalf("locate: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/api/v1/locate?lat=abc&lng=1", "operator", nil); r.status != 400 || r.str("error.field") != "lat" {
			t.Errorf("bad lat: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/api/v1/areas?parent=330106", "operator", nil); r.status != 200 || !strings.Contains(r.raw, "330106002") {
			t.Errorf("areas: %d %s", r.status, r.raw)
		}
		r = c.do("POST", "/api/v1/reports", "operator", map[string]any{"description": "井盖", "lat": 0, "lng": 0})
		if r.status != 400 || r.str("error.field") != "lat" || !strings.Contains(r.str("error.message"), "不在本市网格范围内") {
			t.Errorf("report at (0,0): %d %s", r.status, r.raw)
		}
		r = c.do("POST", "/api/v1/reports", "operator", map[string]any{"description": "井盖", "lat": 30.259, "lng": 120.151})
		if r.status != 201 || r.str("grid_code") != "330106002056001" || r.str("area_code") != "330106002056" {
			t.Errorf("report at 断桥: %d %s", r.status, r.raw)
		}

		rule := map[string]any{"area_code": "330106", "dept_id": c.dept["A"]}
		if r := c.do("POST", "/api/v1/routing-rules", "operator", rule); r.status != 403 {
			t.Errorf("operator adding a rule: %d", r.status)
		}
		r = c.do("POST", "/api/v1/routing-rules", "admin", rule)
		if r.status != 201 {
			t.Fatalf("add rule: %d %s", r.status, r.raw)
		}
		id := int64(r.num("id"))
		r = c.do("POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "330106", "dept_id": c.dept["B"], "replaces": id})
		if r.status != 201 {
			t.Fatalf("edit rule: %d %s", r.status, r.raw)
		}
		newID := int64(r.num("id"))
		if r := c.do("DELETE", fmt.Sprintf("/api/v1/routing-rules/%d", newID), "admin", nil); r.status != 204 {
			t.Errorf("retire: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/api/v1/routing-rules", "admin", nil); r.status != 200 || len(r.get("items").([]any)) != 0 {
			t.Errorf("live rules: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/api/v1/routing-rules/history", "admin", nil); r.status != 200 || len(r.get("items").([]any)) != 2 {
			t.Errorf("history: %d %s", r.status, r.raw)
		}
		if r := c.do("POST", "/api/v1/routing-rules", "admin", map[string]any{"area_code": "999", "dept_id": c.dept["A"]}); r.status != 400 {
			t.Errorf("rule for unknown area: %d", r.status)
		}
	})
}
