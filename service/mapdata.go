package service

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/store"
)

// What the map pages read: case points inside the user's scope, area outlines of one
// level, unit grids inside a box, and what a clicked grid is.

// MaxMapCases is how many case markers one map request returns at most.
const MaxMapCases = 5000

// MaxMapGrids is how many unit grids one map request returns at most.
const MaxMapGrids = 3000

// mapCache holds the area outlines the map draws, rebuilt when the spatial index
// is. Unit grids are searched and drawn straight from the index (loc.grids).
type mapCache struct {
	mu    sync.Mutex
	loc   *locator                // the index the cache was built from
	areas map[gl.AreaLevel][]byte // GeoJSON of the areas of a level
}

// mapLoc returns the locator in force, dropping the cached outlines if it
// changed since they were made.
func (s *Service) mapLoc() *locator {
	l := s.loc()
	c := &s.maps
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loc != l {
		c.loc, c.areas = l, map[gl.AreaLevel][]byte{}
	}
	return l
}

// MapCases returns at most limit (at most MaxMapCases) of the cases f selects inside
// p's scope, newest first, as map points, with how many f selects in all.
func (s *Service) MapCases(ctx context.Context, p *Principal, f store.CaseFilter, limit int) ([]store.CasePoint, int, error) {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return nil, 0, gl.FieldError("status", "未知的案件状态「%s」", st)
		}
	}
	if limit <= 0 || limit > MaxMapCases {
		limit = MaxMapCases
	}
	var out []store.CasePoint
	var total int
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, total, err = tx.CasePoints(ctx, p.scope(f), limit)
		return err
	})
	return out, total, err
}

// simplifyBy is how far (in degrees) the outline of each level may be simplified for
// drawing: about 50 m for districts, 20 m for streets, none below.
var simplifyBy = map[gl.AreaLevel]float64{gl.LevelCity: 0.001, gl.LevelDistrict: 0.0005, gl.LevelStreet: 0.0002}

// MapAreas returns the areas of level that have a boundary as a GeoJSON
// FeatureCollection (properties code, name, level, parent_code), simplified for
// drawing and cached until the boundaries change.
func (s *Service) MapAreas(ctx context.Context, level gl.AreaLevel) ([]byte, error) {
	if !level.Valid() {
		return nil, gl.FieldError("level", "未知的区划层级「%s」", level)
	}
	l := s.mapLoc()
	c := &s.maps
	c.mu.Lock()
	b, ok := c.areas[level]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	var shapes []store.AreaShape
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		shapes, err = tx.AreaShapesOfLevel(ctx, level)
		return err
	})
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	for _, a := range shapes {
		g := orb.Clone(a.Geom).(orb.MultiPolygon)
		if tol := simplifyBy[level]; tol > 0 {
			g = simplify.DouglasPeucker(tol).Simplify(g).(orb.MultiPolygon)
		}
		f := geojson.NewFeature(orb.Round(g, 1e6))
		f.Properties = geojson.Properties{"code": a.Code, "name": a.Name, "level": string(a.Level), "parent_code": a.ParentCode}
		fc.Append(f)
	}
	if b, err = json.Marshal(fc); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.loc == l { // not rebuilt meanwhile
		c.areas[level] = b
	}
	c.mu.Unlock()
	return b, nil
}

// MapGrids returns the unit grids whose bounds meet box as a GeoJSON
// FeatureCollection (properties code, area_code), at most MaxMapGrids of them, and
// whether there were more.
func (s *Service) MapGrids(box orb.Bound) ([]byte, bool, error) {
	l := s.loc()
	fc := geojson.NewFeatureCollection()
	more := false
	if l.grids != nil {
		l.grids.Search(box, func(i int) bool {
			if len(fc.Features) == MaxMapGrids {
				more = true
				return false
			}
			f := geojson.NewFeature(orb.Round(l.grids.Geom(i), 1e6)) // Geom is a fresh copy
			f.Properties = geojson.Properties{"code": l.grids.Code(i), "area_code": l.gridAt[i]}
			fc.Append(f)
			return true
		})
	}
	b, err := json.Marshal(fc)
	return b, more, err
}

// GridInfo is what a clicked unit grid shows: its code, its area chain, the
// responsibility grid over it and that grid's workers.
type GridInfo struct {
	Code     string            `json:"code"`
	AreaCode string            `json:"area_code"`
	Chain    []gl.Area         `json:"areas"`
	RespGrid *RespGridInfo     `json:"resp_grid,omitempty"`
	Workers  []string          `json:"workers"` // display names
	Geometry *geojson.Geometry `json:"geometry"`
}

// RespGridInfo names a responsibility grid.
type RespGridInfo struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// GridInfo describes the unit grid with code; respCode, when known (a case's), names
// its responsibility grid, else the one over the grid's centre is used.
func (s *Service) GridInfo(ctx context.Context, code, respCode string) (*GridInfo, error) {
	l := s.loc()
	i, ok := -1, false
	if l.grids != nil {
		i, ok = l.grids.IndexOf(code)
	}
	if !ok {
		return nil, gl.Errorf(gl.ENOTFOUND, "网格 %s 不存在", code)
	}
	geom := l.grids.Geom(i) // a fresh copy
	info := &GridInfo{Code: code, AreaCode: l.gridAt[i], Workers: []string{},
		Geometry: geojson.NewGeometry(orb.Round(geom, 1e6))}
	info.Chain = l.chain(info.AreaCode)
	if respCode == "" && l.resp != nil && len(geom) > 0 {
		if g, ok := l.resp.Locate(l.grids.Bound(i).Center()); ok {
			respCode = g.Code
		}
	}
	if respCode == "" {
		return info, nil
	}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		rg, err := tx.RespGridByCode(ctx, respCode)
		if gl.ErrorCode(err) == gl.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		info.RespGrid = &RespGridInfo{Code: rg.Code, Name: rg.Name}
		users, err := tx.UsersByID(ctx, rg.WorkerIDs)
		for _, u := range users {
			if !u.Disabled {
				info.Workers = append(info.Workers, u.DisplayName)
			}
		}
		return err
	})
	return info, err
}

// MapCenter is the centre and bounds of what the map should show first: the unit
// grids if any, else nothing (ok false).
func (s *Service) MapBounds() (orb.Bound, bool) {
	l := s.loc()
	if l.grids == nil {
		return orb.Bound{}, false
	}
	return l.grids.Bounds()
}
