package service_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// Real codes and names from the 2023 divisions; the shapes are boxes around West Lake.
const (
	city       = "330100" // 杭州市
	xihu       = "330106" // 西湖区
	beishan    = "330106002"
	quyuan     = "330106002056" // 曲院社区
	shangbao   = "330106002051" // 上保社区
	xixi       = "330106004"
	shihuiqiao = "330106004053" // 石灰桥社区
)

// 断桥 (Broken Bridge) on West Lake, and two points outside the city.
var (
	duanqiao   = orb.Point{120.1510, 30.2590}
	nullIsland = orb.Point{0, 0}
	eastSea    = orb.Point{122.8, 30.0} // East China Sea, east of Zhoushan
)

func box(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

type spaceCity struct {
	svc   *service.Service
	users map[gl.Role]*service.Principal
	dept  map[string]int64
}

// newSpaceCity builds a small city: areas, unit grids cut by geo.GenerateGrid, one
// responsibility grid, departments and one user per role.
func newSpaceCity(t *testing.T, b dbtest.Backend) *spaceCity {
	t.Helper()
	ctx := context.Background()
	svc := servicetest.New(t, b)
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	areas := []gl.Area{
		{Code: city, Name: "杭州市", Level: gl.LevelCity, ParentCode: "330000"},
		{Code: xihu, Name: "西湖区", Level: gl.LevelDistrict, ParentCode: city},
		{Code: beishan, Name: "北山街道", Level: gl.LevelStreet, ParentCode: xihu},
		{Code: quyuan, Name: "曲院社区", Level: gl.LevelCommunity, ParentCode: beishan},
		{Code: shangbao, Name: "上保社区", Level: gl.LevelCommunity, ParentCode: beishan},
		{Code: xixi, Name: "西溪街道", Level: gl.LevelStreet, ParentCode: xihu},
		{Code: shihuiqiao, Name: "石灰桥社区", Level: gl.LevelCommunity, ParentCode: xixi},
	}
	if err := svc.ImportAreas(ctx, areas); err != nil {
		t.Fatal(err)
	}
	communities := map[string]orb.MultiPolygon{
		shangbao:   box(120.14, 30.25, 120.15, 30.27),
		quyuan:     box(120.15, 30.25, 120.16, 30.27),
		shihuiqiao: box(120.14, 30.27, 120.16, 30.29),
	}
	err := svc.UpdateGeo(ctx, func(tx *store.Tx) error {
		for code, g := range communities {
			if err := tx.SetAreaGeom(ctx, code, g); err != nil {
				return err
			}
			var grids []store.GridShape
			for _, c := range geo.GenerateGrid(g, 300) {
				gc, err := geo.GridCode(code, c.Seq)
				if err != nil {
					return err
				}
				grids = append(grids, store.GridShape{Code: gc, AreaCode: code, Geom: c.Geom})
			}
			if err := tx.PutGrids(ctx, grids); err != nil {
				return err
			}
		}
		return tx.PutRespGrids(ctx, []store.RespGridShape{{Code: "R330106002-01", Name: "北山一网格",
			AreaCode: beishan, Geom: box(120.14, 30.25, 120.16, 30.27), WorkerIDs: []int64{1}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	sc := &spaceCity{svc: svc, users: map[gl.Role]*service.Principal{}, dept: map[string]int64{}}
	for _, d := range []struct{ code, area string }{{"CGJ", ""}, {"SZZX", ""}, {"XH", xihu}, {"BS", beishan}} {
		dep := &gl.Department{Code: d.code, Name: "部门" + d.code, Kind: gl.DeptBureau, AreaCode: d.area}
		if err := svc.AddDepartment(ctx, dep); err != nil {
			t.Fatal(err)
		}
		sc.dept[d.code] = dep.ID
	}
	for _, r := range []gl.Role{gl.RoleOperator, gl.RoleShiftLead, gl.RoleDispatcher, gl.RoleAdmin} {
		u := &gl.User{Name: string(r), Roles: []gl.Role{r}}
		if err := svc.AddUser(ctx, u, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		sc.users[r] = svc.NewPrincipal(u)
	}
	return sc
}

func (sc *spaceCity) report(t *testing.T, p orb.Point, cat string) (*gl.Case, error) {
	t.Helper()
	lat, lng := p[1], p[0]
	res, err := sc.svc.Report(context.Background(), sc.users[gl.RoleOperator], service.ReportInput{
		Description: "井盖缺失", Lat: &lat, Lng: &lng, CategoryCode: cat, Channel: gl.ChannelHotline}, "")
	if err != nil {
		return nil, err
	}
	return res.Case, nil
}

func TestReportPlacedInGrid(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		sc := newSpaceCity(t, b)
		c, err := sc.report(t, duanqiao, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.AreaCode != quyuan || !strings.HasPrefix(c.GridCode, quyuan) || len(c.GridCode) != 15 {
			t.Fatalf("断桥 placed in area %q grid %q, want community %s and a grid in it", c.AreaCode, c.GridCode, quyuan)
		}
		if c.RespGridCode != "R330106002-01" {
			t.Errorf("resp grid = %q", c.RespGridCode)
		}
		stored, err := sc.svc.Case(context.Background(), sc.users[gl.RoleOperator], c.Code)
		if err != nil {
			t.Fatal(err)
		}
		if stored.AreaCode != c.AreaCode || stored.GridCode != c.GridCode || stored.RespGridCode != c.RespGridCode {
			t.Errorf("stored codes %q %q %q differ from %q %q %q", stored.AreaCode, stored.GridCode,
				stored.RespGridCode, c.AreaCode, c.GridCode, c.RespGridCode)
		}
		pl := sc.svc.Locate(duanqiao[1], duanqiao[0])
		var names []string
		for _, a := range pl.Chain {
			names = append(names, a.Name)
		}
		if got := strings.Join(names, "/"); got != "杭州市/西湖区/北山街道/曲院社区" {
			t.Errorf("chain = %s", got)
		}

		// Boundaries change later: the case keeps the codes it was reported with.
		ctx := context.Background()
		err = sc.svc.UpdateGeo(ctx, func(tx *store.Tx) error {
			_, err := tx.DeleteGrids(ctx, quyuan)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if pl := sc.svc.Locate(duanqiao[1], duanqiao[0]); pl.Located {
			t.Errorf("after deleting 曲院's grids, 断桥 still located: %v", pl)
		}
		stored, _ = sc.svc.Case(ctx, sc.users[gl.RoleOperator], c.Code)
		if stored.AreaCode != quyuan || stored.GridCode != c.GridCode {
			t.Errorf("case recomputed after boundary change: %q %q", stored.AreaCode, stored.GridCode)
		}
	})
}

func TestOutsidePolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		sc := newSpaceCity(t, b)
		for _, p := range []orb.Point{nullIsland, eastSea} {
			sc.svc.OutsidePolicy = "" // default with grids present: reject
			_, err := sc.report(t, p, "")
			if gl.ErrorCode(err) != gl.EINVALID || !strings.Contains(gl.ErrorMessage(err), "该位置不在本市网格范围内") {
				t.Fatalf("report at %v: err = %v, want the outside-the-city message", p, err)
			}
			if fe, ok := err.(*gl.Error); !ok || fe.Field != "lat" {
				t.Errorf("error %#v does not name field lat", err)
			}
			sc.svc.OutsidePolicy = service.OutsideUnlocated
			c, err := sc.report(t, p, "")
			if err != nil {
				t.Fatalf("unlocated policy refused %v: %v", p, err)
			}
			if c.AreaCode != "" || c.GridCode != "" || c.RespGridCode != "" {
				t.Errorf("unlocated case got codes %q %q %q", c.AreaCode, c.GridCode, c.RespGridCode)
			}
		}
	})
}

func TestNoGridsAcceptsUnlocated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		db, err := store.Open(ctx, b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		svc, err := service.New(ctx, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		lat, lng := 0.0, 0.0
		res, err := svc.Report(ctx, &service.Principal{}, service.ReportInput{Description: "x", Lat: &lat, Lng: &lng}, "")
		if err != nil || res.Case.AreaCode != "" {
			t.Fatalf("store without grids: %v %+v", err, res)
		}
	})
}

func TestRoutingRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		sc := newSpaceCity(t, b)
		ctx := context.Background()
		admin := sc.users[gl.RoleAdmin]
		add := func(cat, area, dept string) *gl.RoutingRule {
			t.Helper()
			r, err := sc.svc.AddRoutingRule(ctx, admin, service.RoutingRuleInput{CategoryCode: cat, AreaCode: area, DeptID: sc.dept[dept]})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		add("", city, "CGJ")                    // anything anywhere: the city bureau
		add("", xihu, "XH")                     // anything in 西湖区: the district
		add("C01", xihu, "SZZX")                // public utilities in 西湖区: the facilities centre
		street := add("C0101", beishan, "SZZX") // manholes in 北山街道: …edited below to the street
		if _, err := sc.svc.AddRoutingRule(ctx, admin, service.RoutingRuleInput{
			CategoryCode: "C0101", AreaCode: beishan, DeptID: sc.dept["BS"], Replaces: street.ID}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, cat, area, want string
		}{
			{"street rule overrides district rule", "C0101", quyuan, "BS"},
			{"major-class rule at the district", "C0101", shihuiqiao, "SZZX"},
			{"category in the major class, no street rule", "C0102", quyuan, "SZZX"},
			{"no rule for category: any-category rule up the tree", "E0101", quyuan, "XH"},
			{"unknown area: nothing", "E0101", "999999", ""},
		} {
			got, err := sc.svc.SuggestDept(ctx, tc.cat, tc.area)
			if err != nil {
				t.Fatal(err)
			}
			if got != sc.dept[tc.want] {
				t.Errorf("%s: SuggestDept(%s, %s) = %d, want %s (%d)", tc.name, tc.cat, tc.area, got, tc.want, sc.dept[tc.want])
			}
		}
		live, _ := sc.svc.RoutingRules(ctx, false)
		hist, _ := sc.svc.RoutingRules(ctx, true)
		if len(live) != 4 || len(hist) != 5 {
			t.Errorf("live %d history %d, want 4 and 5", len(live), len(hist))
		}
		var retired int
		for _, r := range hist {
			if r.RetiredAt != nil {
				retired++
				if r.ID != street.ID || r.RetiredBy != admin.User.ID {
					t.Errorf("retired rule %+v", r)
				}
			}
		}
		if retired != 1 {
			t.Errorf("%d retired rules, want 1", retired)
		}
		if err := sc.svc.RetireRoutingRule(ctx, admin, street.ID); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Errorf("retiring a retired rule: %v", err)
		}
	})
}

func TestRegisterSuggestsAndDispatchOverrideRecorded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		sc := newSpaceCity(t, b)
		ctx := context.Background()
		admin := sc.users[gl.RoleAdmin]
		for _, in := range []service.RoutingRuleInput{
			{AreaCode: xihu, DeptID: sc.dept["XH"]},
			{CategoryCode: "C0101", AreaCode: beishan, DeptID: sc.dept["BS"]},
		} {
			if _, err := sc.svc.AddRoutingRule(ctx, admin, in); err != nil {
				t.Fatal(err)
			}
		}
		c, err := sc.report(t, duanqiao, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := sc.svc.Act(ctx, sc.users[gl.RoleShiftLead], c.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0101"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Case.SuggestedDeptID != sc.dept["BS"] {
			t.Fatalf("suggested %d, want the street department %d", res.Case.SuggestedDeptID, sc.dept["BS"])
		}
		// The dispatcher knows better and sends it to the facilities centre.
		res, err = sc.svc.Act(ctx, sc.users[gl.RoleDispatcher], c.Code, workflow.Input{Action: gl.ActionDispatch, DeptID: sc.dept["SZZX"]}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		if err := json.Unmarshal(res.Event.Data, &data); err != nil {
			t.Fatal(err)
		}
		if got, _ := data["overrode_dept_id"].(float64); int64(got) != sc.dept["BS"] {
			t.Errorf("dispatch event data %s: want overrode_dept_id %d", res.Event.Data, sc.dept["BS"])
		}
		evs, err := sc.svc.CaseEvents(ctx, sc.users[gl.RoleDispatcher], c.Code)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Action != gl.ActionDispatch || !strings.Contains(string(last.Data), `"overrode_dept_id"`) {
			t.Errorf("stored dispatch event %s %s lacks the override", last.Action, last.Data)
		}
	})
}
