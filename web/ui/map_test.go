package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// report files a case as a hotline call at lat, lng and returns its code.
func (c *city) report(t *testing.T, desc string, lat, lng float64) string {
	t.Helper()
	op, err := c.svc.UserByName(context.Background(), "operator")
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.svc.Report(context.Background(), c.svc.NewPrincipal(op), service.ReportInput{
		Description: desc, Lat: &lat, Lng: &lng, Channel: gl.ChannelHotline}, "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Case.Code
}

// act applies an action as user.
func (c *city) act(t *testing.T, user, code string, in workflow.Input) *gl.Case {
	t.Helper()
	u, err := c.svc.UserByName(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.svc.Act(context.Background(), c.svc.NewPrincipal(u), code, in, nil)
	if err != nil {
		t.Fatalf("%s by %s: %v", in.Action, user, err)
	}
	return res.Case
}

func decodeJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

// TestMapData runs the map's JSON endpoints on both databases: cases in scope with
// filters, area outlines, grids by box, and what a grid is.
func TestMapData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		grids := c.addSpace(t)
		base := c.url
		a := c.report(t, "西湖边路灯不亮", 30.259, 120.151)
		bb := c.report(t, "北山路井盖缺失", 30.27, 120.12)
		c.report(t, "文三路垃圾堆放", 30.24, 120.18)
		c.act(t, "shift_lead", bb, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0101"})
		c.act(t, "dispatcher", bb, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})

		// The map needs a session.
		anon := client(t)
		if st, _, h := get(t, anon, base+"/map/cases.json"); st != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
			t.Fatalf("anonymous cases: %d", st)
		}
		sup := signIn(t, base, "supervisor")
		st, body, _ := get(t, sup, base+"/map")
		if st != 200 || !strings.Contains(body, `id="map-config"`) || !strings.Contains(body, "/map/cases.json?status=open") ||
			!strings.Contains(body, "vendor/leaflet/leaflet.js?v=") || !strings.Contains(body, "vendor/echarts/echarts.min.js?v=") {
			t.Fatalf("map page: %d", st)
		}
		// The vendored libraries are served from the embedded files.
		for _, f := range []string{"vendor/leaflet/leaflet.js", "vendor/markercluster/leaflet.markercluster.js", "vendor/echarts/echarts.min.js", "map.js"} {
			i := strings.Index(body, "/static/"+f+"?v=")
			if i < 0 {
				t.Fatalf("no hashed URL for %s", f)
			}
			u := body[i : i+strings.Index(body[i:], `"`)]
			if st, js, h := get(t, sup, base+u); st != 200 || len(js) < 1000 || !strings.Contains(h.Get("Content-Type"), "javascript") {
				t.Fatalf("%s: %d %s", f, st, h.Get("Content-Type"))
			}
		}

		var cases struct {
			Total int `json:"total"`
			Shown int `json:"shown"`
			Cases []struct {
				Code, Status, StatusLabel string
				Lat, Lng                  float64
			} `json:"cases"`
		}
		_, body, _ = get(t, sup, base+"/map/cases.json?status=open")
		decodeJSON(t, body, &cases)
		if cases.Total != 3 || len(cases.Cases) != 3 {
			t.Fatalf("open cases: %+v", cases)
		}
		_, body, _ = get(t, sup, base+"/map/cases.json?status=dispatched&category=C0101")
		decodeJSON(t, body, &cases)
		if cases.Total != 1 || cases.Cases[0].Code != bb || cases.Cases[0].Lat != 30.27 {
			t.Fatalf("dispatched C0101: %+v", cases)
		}
		_, body, _ = get(t, sup, base+"/map/cases.json?status=open&overdue=1")
		decodeJSON(t, body, &cases)
		if cases.Total != 0 {
			t.Fatalf("overdue: %+v", cases)
		}
		if st, _, _ := get(t, sup, base+"/map/cases.json?status=bogus"); st != 400 {
			t.Fatalf("bogus status: %d", st)
		}
		// A handler of department A sees only A's case: the scope applies.
		ha := signIn(t, base, "handler_a")
		_, body, _ = get(t, ha, base+"/map/cases.json?status=")
		decodeJSON(t, body, &cases)
		if cases.Total != 1 || cases.Cases[0].Code != bb {
			t.Fatalf("handler's scope: %+v", cases)
		}
		_ = a

		// Outlines by level.
		var fc struct {
			Features []struct {
				Properties map[string]any `json:"properties"`
				Geometry   struct{ Type string }
			} `json:"features"`
		}
		_, body, _ = get(t, sup, base+"/map/areas.json?level=district")
		decodeJSON(t, body, &fc)
		if len(fc.Features) != 1 || fc.Features[0].Properties["name"] != "西湖区" || fc.Features[0].Geometry.Type != "MultiPolygon" {
			t.Fatalf("districts: %s", body)
		}
		_, body, _ = get(t, sup, base+"/map/areas.json?level=street")
		decodeJSON(t, body, &fc)
		if len(fc.Features) != 2 {
			t.Fatalf("streets: %d", len(fc.Features))
		}
		if st, _, _ := get(t, sup, base+"/map/areas.json?level=planet"); st != 400 {
			t.Fatalf("bad level: %d", st)
		}

		// Grids by box: a small box holds a few, the whole district all of them.
		_, body, _ = get(t, sup, base+"/map/grids.json?bbox=120.14,30.25,120.16,30.27")
		decodeJSON(t, body, &fc)
		small := len(fc.Features)
		if small == 0 || small >= grids {
			t.Fatalf("grids in a small box: %d of %d", small, grids)
		}
		_, body, _ = get(t, sup, base+"/map/grids.json?bbox=120,30,121,31")
		decodeJSON(t, body, &fc)
		if len(fc.Features) != grids {
			t.Fatalf("grids in the district: %d, want %d", len(fc.Features), grids)
		}
		code, _ := fc.Features[0].Properties["code"].(string)
		if st, _, _ := get(t, sup, base+"/map/grids.json?bbox=1,2,3"); st != 400 {
			t.Fatalf("bad bbox: %d", st)
		}

		// A grid: code, area chain, responsibility grid and its worker.
		var info struct {
			Code     string                       `json:"code"`
			Names    []string                     `json:"names"`
			Workers  []string                     `json:"workers"`
			RespGrid *struct{ Code, Name string } `json:"resp_grid"`
			Geometry struct{ Type string }        `json:"geometry"`
		}
		st, body, _ = get(t, sup, base+"/map/grids/"+code)
		decodeJSON(t, body, &info)
		if st != 200 || info.Code != code || len(info.Names) != 4 || info.Names[1] != "西湖区" || info.RespGrid == nil ||
			len(info.Workers) != 1 || info.Workers[0] != "网格员 陈静" || info.Geometry.Type != "MultiPolygon" {
			t.Fatalf("grid %s: %d %s", code, st, body)
		}
		if st, _, _ := get(t, sup, base+"/map/grids/330106999999999"); st != 404 {
			t.Fatalf("unknown grid: %d", st)
		}

		// The case page carries its point and grid for the small map.
		cs, _ := c.svc.Case(t.Context(), &service.Principal{System: true}, bb)
		_, body, _ = get(t, sup, base+"/cases/"+bb)
		if !strings.Contains(body, `"grid_code":"`+cs.GridCode+`"`) || !strings.Contains(body, `"mode":"case"`) || cs.GridCode == "" {
			t.Fatalf("case map config (grid %q)", cs.GridCode)
		}

		// The report form's picker: public outlines and placement, nothing about cases.
		if st, body, _ := get(t, anon, base+"/report/areas.json?level=district"); st != 200 || !strings.Contains(body, "西湖区") {
			t.Fatalf("public districts: %d", st)
		}
		if st, _, _ := get(t, anon, base+"/report/areas.json?level=community"); st != 400 {
			t.Fatalf("public communities: %d", st)
		}
		var pl struct {
			Located bool   `json:"located"`
			Place   string `json:"place"`
		}
		_, body, _ = get(t, anon, base+"/report/locate.json?lat=30.27&lng=120.12")
		decodeJSON(t, body, &pl)
		if !pl.Located || pl.Place != "西湖区 · 北山街道 · 保俶塔社区" {
			t.Fatalf("locate: %+v", pl)
		}
		_, body, _ = get(t, anon, base+"/report/locate.json?"+url.Values{"lat": {"31.5"}, "lng": {"121"}}.Encode())
		decodeJSON(t, body, &pl)
		if pl.Located {
			t.Fatalf("outside: %+v", pl)
		}
		if _, body, _ := get(t, anon, base+"/report"); !strings.Contains(body, `"mode":"picker"`) || !strings.Contains(body, `enctype="multipart/form-data"`) {
			t.Fatal("report form lacks the picker or the photo upload")
		}
	})
}
