package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// urbanDistricts get most demo cases: 上城, 拱墅, 西湖, 滨江.
var urbanDistricts = []string{"330102", "330105", "330106", "330108"}

// streetMajors are the classes the routing rules send to the street department
// (street-level rules); every other class goes to its bureau by district-level rules.
var streetMajors = []string{"E01", "E05", "C06", "E06"}

// places picks real points for demo cases.
type places struct {
	urban, all []string // community codes
	geoms      map[string]orb.MultiPolygon
}

// point returns a point uniform in a community's polygon, mostly in the urban districts.
func (p *places) point(rng *rand.Rand) (lat, lng float64) {
	list := p.all
	if rng.IntN(10) < 8 && len(p.urban) > 0 {
		list = p.urban
	}
	g := p.geoms[list[rng.IntN(len(list))]]
	b := g.Bound()
	for range 1000 {
		pt := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if planar.MultiPolygonContains(g, pt) {
			return pt[1], pt[0]
		}
	}
	c := b.Center()
	return c[1], c[0]
}

// seedCity stores the Hangzhou city: areas, boundaries, unit grids, one responsibility
// grid per street, one department per street and the routing rules.
func seedCity(ctx context.Context, svc *service.Service, city *City, dd *demoDepts, say func(string, ...any)) (*places, error) {
	if err := svc.ImportAreas(ctx, city.Areas); err != nil {
		return nil, err
	}
	names := map[string]gl.Area{}
	for _, a := range city.Areas {
		names[a.Code] = a
	}
	var resp []store.RespGridShape
	var streets []gl.Area
	for _, a := range city.Areas {
		if a.Level == gl.LevelStreet {
			streets = append(streets, a)
			resp = append(resp, store.RespGridShape{Code: "R" + a.Code, Name: a.Name + "责任网格",
				AreaCode: a.Code, Geom: city.Geoms[a.Code]})
		}
	}
	say("storing %d boundaries and %d unit grids", len(city.Geoms), len(city.Grids))
	err := svc.UpdateGeo(ctx, func(tx *store.Tx) error {
		for code, g := range city.Geoms {
			if err := tx.SetAreaGeom(ctx, code, g); err != nil {
				return err
			}
		}
		if err := tx.PutGrids(ctx, city.Grids); err != nil {
			return err
		}
		return tx.PutRespGrids(ctx, resp)
	})
	if err != nil {
		return nil, err
	}
	say("street departments and routing rules")
	for _, s := range streets {
		d := &gl.Department{Code: s.Code, Name: names[s.ParentCode].Name + s.Name, Kind: gl.DeptStreet, AreaCode: s.Code}
		if err := svc.AddDepartment(ctx, d); err != nil {
			return nil, err
		}
		dd.byCode[s.Code] = d.ID
		dd.streets = append(dd.streets, d.ID)
	}
	dd.tree = svc.Depts()
	// District-level rules: every major class to its bureau, in every district.
	// Street-level rules: the street's own classes to the street department.
	now := svc.Now()
	err = svc.DB.Update(ctx, func(tx *store.Tx) error {
		majors := make([]string, 0, len(dd.byMajor))
		for m := range dd.byMajor {
			majors = append(majors, m)
		}
		slices.Sort(majors)
		for _, a := range city.Areas {
			var rules []gl.RoutingRule
			switch a.Level {
			case gl.LevelDistrict:
				for _, m := range majors {
					rules = append(rules, gl.RoutingRule{CategoryCode: m, AreaCode: a.Code, DeptID: dd.byMajor[m]})
				}
			case gl.LevelStreet:
				for _, m := range streetMajors {
					rules = append(rules, gl.RoutingRule{CategoryCode: m, AreaCode: a.Code, DeptID: dd.byCode[a.Code]})
				}
			case gl.LevelCity: // anything else: the city management bureau
				rules = append(rules, gl.RoutingRule{AreaCode: a.Code, DeptID: dd.byCode["CGJ"]})
			}
			for i := range rules {
				rules[i].CreatedAt = now
				if err := tx.InsertRoutingRule(ctx, &rules[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pl := &places{all: city.Communities, geoms: city.Geoms}
	for _, c := range city.Communities {
		if slices.Contains(urbanDistricts, c[:6]) {
			pl.urban = append(pl.urban, c)
		}
	}
	return pl, nil
}

// Counts describes what a seeded demo city holds.
func Counts(svc *service.Service) string {
	v, grids, resp, areas := svc.GeoStats()
	return fmt.Sprintf("%d areas, %d unit grids, %d responsibility grids (geo_version %s)", areas, grids, resp, v)
}
