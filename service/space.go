package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/store"
)

// Policies for a reported point outside every unit grid.
const (
	// OutsideReject refuses the report with a field error on lat.
	OutsideReject = "reject"
	// OutsideUnlocated accepts it with empty area and grid codes, for an operator to place.
	OutsideUnlocated = "unlocated"
)

// GeoCheckInterval is how often WatchGeo looks for changed boundaries.
const GeoCheckInterval = 10 * time.Second

// locator is one immutable build of the spatial index, from one geo_version.
type locator struct {
	version string
	grids   *geo.Index          // unit grids; Shape.Code is the grid code
	gridAt  []string            // position in grids → its community (strings shared)
	resp    *geo.Index          // responsibility grids
	areas   map[string]gl.Area  // every area by code
	kids    map[string][]string // area code → child codes, in code order
	built   time.Duration       // how long the build took
	counts  struct{ grids, resp int }
}

// Placement is where a point is: its unit grid, responsibility grid and area chain
// (city first, community last). Empty when the point is outside every grid.
type Placement struct {
	Lat          float64   `json:"lat"`
	Lng          float64   `json:"lng"`
	Located      bool      `json:"located"`
	GridCode     string    `json:"grid_code,omitempty"`
	RespGridCode string    `json:"resp_grid_code,omitempty"`
	AreaCode     string    `json:"area_code,omitempty"`
	Chain        []gl.Area `json:"areas,omitempty"`
}

func (s *Service) loc() *locator {
	if l := s.geo.Load(); l != nil {
		return l
	}
	return &locator{}
}

// ReloadGeo rebuilds the spatial index from the store if geo_version changed since the
// last build (always with force). It reports whether it rebuilt.
func (s *Service) ReloadGeo(ctx context.Context, force bool) (bool, error) {
	s.geoMu.Lock()
	defer s.geoMu.Unlock()
	cur := s.geo.Load()
	var version string
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		version, err = tx.GeoVersion(ctx)
		return err
	})
	if err != nil {
		return false, err
	}
	if !force && cur != nil && cur.version == version {
		return false, nil
	}
	start := time.Now()
	l := &locator{areas: map[string]gl.Area{}, kids: map[string][]string{}}
	var grids []store.GridShape
	var resp []store.RespGridShape
	var areas []gl.Area
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		// Read the version again inside the snapshot: the build is exactly that version.
		if l.version, err = tx.GeoVersion(ctx); err != nil {
			return err
		}
		if areas, err = tx.Areas(ctx, ""); err != nil {
			return err
		}
		if grids, err = tx.GridShapes(ctx); err != nil {
			return err
		}
		resp, err = tx.RespGridShapes(ctx)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, a := range areas {
		l.areas[a.Code] = a
		l.kids[a.ParentCode] = append(l.kids[a.ParentCode], a.Code)
	}
	// A city has ~100,000 grids in a few thousand communities: share the
	// community codes rather than keep one string per grid.
	community := map[string]string{}
	shapes := make([]geo.Shape, len(grids))
	l.gridAt = make([]string, len(grids))
	for i, g := range grids {
		shapes[i] = geo.Shape{ID: int64(i), Code: g.Code, Geom: g.Geom}
		c, ok := community[g.AreaCode]
		if !ok {
			c = g.AreaCode
			community[c] = c
		}
		l.gridAt[i] = c
	}
	l.grids = geo.NewIndex(shapes)
	rs := make([]geo.Shape, len(resp))
	for i, g := range resp {
		rs[i] = geo.Shape{ID: int64(i), Code: g.Code, Geom: g.Geom}
	}
	l.resp = geo.NewIndex(rs)
	l.counts.grids, l.counts.resp = len(grids), len(resp)
	l.built = time.Since(start)
	s.geo.Store(l)
	if cur != nil {
		s.Logger.Info("spatial index rebuilt", "geo_version", l.version, "grids", len(grids),
			"resp_grids", len(resp), "areas", len(areas), "took", l.built.Round(time.Millisecond))
	}
	return true, nil
}

// WatchGeo rebuilds the spatial index whenever another node (or an import) changes the
// boundaries, checking geo_version every GeoCheckInterval until ctx ends.
func (s *Service) WatchGeo(ctx context.Context) {
	t := time.NewTicker(GeoCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.ReloadGeo(ctx, false); err != nil && ctx.Err() == nil {
				s.Logger.Error("spatial index reload", "err", err)
			}
		}
	}
}

// GeoStats is what the index holds.
func (s *Service) GeoStats() (version string, grids, respGrids, areas int) {
	l := s.loc()
	return l.version, l.counts.grids, l.counts.resp, len(l.areas)
}

// chain is the area chain of code, city first ("" gives nil). Unknown codes yield a
// chain of that code alone.
func (l *locator) chain(code string) []gl.Area {
	var out []gl.Area
	for i := 0; code != "" && i < 8; i++ {
		a, ok := l.areas[code]
		if !ok {
			if len(out) == 0 {
				out = append(out, gl.Area{Code: code})
			}
			break
		}
		out = append(out, a)
		code = a.ParentCode
	}
	slices.Reverse(out)
	return out
}

// Locate places a point. It never fails: a point outside every grid comes back with
// Located false and no codes.
func (s *Service) Locate(lat, lng float64) Placement {
	l := s.loc()
	pl := Placement{Lat: lat, Lng: lng}
	if l.grids == nil {
		return pl
	}
	p := orb.Point{lng, lat}
	if i, ok := l.grids.LocateIndex(p); ok {
		pl.Located = true
		pl.GridCode = l.grids.Code(i)
		pl.AreaCode = l.gridAt[i]
		pl.Chain = l.chain(pl.AreaCode)
	}
	if l.resp != nil {
		if g, ok := l.resp.Locate(p); ok {
			pl.RespGridCode = g.Code
		}
	}
	return pl
}

// outsidePolicy is the policy in force: OutsidePolicy if set, otherwise reject when
// any grid exists (a store without grids accepts everything unlocated).
func (s *Service) outsidePolicy() string {
	if s.OutsidePolicy != "" {
		return s.OutsidePolicy
	}
	if s.loc().counts.grids == 0 {
		return OutsideUnlocated
	}
	return OutsideReject
}

// place fills c's area, grid and responsibility grid codes from its point, or applies
// the outside policy.
func (s *Service) place(c *gl.Case) error {
	pl := s.Locate(c.Lat, c.Lng)
	if !pl.Located && s.loc().counts.grids > 0 && s.outsidePolicy() == OutsideReject {
		return gl.FieldError("lat", "该位置不在本市网格范围内（%.4f, %.4f），请在地图上重新选择", c.Lng, c.Lat)
	}
	c.AreaCode, c.GridCode, c.RespGridCode = pl.AreaCode, pl.GridCode, pl.RespGridCode
	return nil
}

// Areas lists the areas under parent ("" for the top: areas without a known parent).
func (s *Service) Areas(ctx context.Context, parent string) ([]gl.Area, error) {
	l := s.loc()
	if len(l.areas) == 0 {
		return nil, nil
	}
	var codes []string
	if parent != "" {
		if _, ok := l.areas[parent]; !ok {
			return nil, gl.Errorf(gl.ENOTFOUND, "区划 %s 不存在", parent)
		}
		codes = l.kids[parent]
	} else {
		for code, a := range l.areas {
			if _, ok := l.areas[a.ParentCode]; !ok {
				codes = append(codes, code)
			}
		}
		slices.Sort(codes)
	}
	out := make([]gl.Area, 0, len(codes))
	for _, c := range codes {
		out = append(out, l.areas[c])
	}
	return out, nil
}

// Area returns one area and its chain.
func (s *Service) AreaChain(code string) []gl.Area { return s.loc().chain(code) }

// ImportAreas stores division codes (upserting names, levels and parents) and puts them
// in force.
func (s *Service) ImportAreas(ctx context.Context, areas []gl.Area) error {
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutAreas(ctx, areas); err != nil {
			return err
		}
		_, err := tx.BumpGeoVersion(ctx)
		return err
	})
	if err != nil {
		return err
	}
	_, err = s.ReloadGeo(ctx, false)
	return err
}

// UpdateGeo runs fn, which changes boundaries or grids, in one transaction that also
// bumps geo_version, then rebuilds this node's index.
func (s *Service) UpdateGeo(ctx context.Context, fn func(tx *store.Tx) error) error {
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		_, err := tx.BumpGeoVersion(ctx)
		return err
	})
	if err != nil {
		return err
	}
	_, err = s.ReloadGeo(ctx, false)
	return err
}

// Routing.

// SuggestDept is the department the routing rules send a case of categoryCode in
// areaCode to (0 if none): walking up the area chain from areaCode to the city, the
// first level with a matching rule wins; within a level a rule for the category beats
// one for its major class, which beats one for any category.
func (s *Service) SuggestDept(ctx context.Context, categoryCode, areaCode string) (int64, error) {
	var id int64
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.suggestDept(ctx, tx, categoryCode, areaCode)
		return err
	})
	return id, err
}

func (s *Service) suggestDept(ctx context.Context, tx *store.Tx, categoryCode, areaCode string) (int64, error) {
	chain := s.loc().chain(areaCode)
	if len(chain) == 0 {
		return 0, nil
	}
	codes := make([]string, len(chain))
	for i, a := range chain {
		codes[i] = a.Code
	}
	var cats []string
	if categoryCode != "" {
		cats = append(cats, categoryCode)
		if cat, err := tx.CategoryByCode(ctx, categoryCode); err == nil && cat.MajorCode != "" && cat.MajorCode != categoryCode {
			cats = append(cats, cat.MajorCode)
		} else if err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
			return 0, err
		}
	}
	rules, err := tx.RulesFor(ctx, codes, cats)
	if err != nil {
		return 0, err
	}
	rank := func(r gl.RoutingRule) int { // lower is more specific
		switch {
		case r.CategoryCode == "":
			return 2
		case r.CategoryCode == categoryCode:
			return 0
		}
		return 1
	}
	for i := len(chain) - 1; i >= 0; i-- {
		var best *gl.RoutingRule
		for k := range rules {
			r := &rules[k]
			if r.AreaCode != chain[i].Code {
				continue
			}
			if best == nil || rank(*r) < rank(*best) || (rank(*r) == rank(*best) && r.ID > best.ID) {
				best = r
			}
		}
		if best != nil {
			return best.DeptID, nil
		}
	}
	return 0, nil
}

// RoutingRules lists the live rules, or with history every rule ever made.
func (s *Service) RoutingRules(ctx context.Context, history bool) ([]gl.RoutingRule, error) {
	var out []gl.RoutingRule
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.RoutingRules(ctx, history)
		return err
	})
	return out, err
}

// RoutingRuleInput is a new rule; with Replaces set it retires that rule in the same
// transaction (an edit).
type RoutingRuleInput struct {
	CategoryCode string `json:"category_code,omitempty"`
	AreaCode     string `json:"area_code"`
	DeptID       int64  `json:"dept_id"`
	Replaces     int64  `json:"replaces,omitempty"`
}

// AddRoutingRule adds a rule (retiring the one it replaces, if any).
func (s *Service) AddRoutingRule(ctx context.Context, p *Principal, in RoutingRuleInput) (*gl.RoutingRule, error) {
	if in.AreaCode == "" {
		return nil, gl.FieldError("area_code", "请选择区划")
	}
	if _, ok := s.loc().areas[in.AreaCode]; !ok {
		return nil, gl.FieldError("area_code", "区划 %s 不存在", in.AreaCode)
	}
	if _, ok := s.Depts().Get(in.DeptID); !ok {
		return nil, gl.FieldError("dept_id", "部门 %d 不存在", in.DeptID)
	}
	r := &gl.RoutingRule{CategoryCode: in.CategoryCode, AreaCode: in.AreaCode, DeptID: in.DeptID, CreatedAt: s.now()}
	if p != nil && p.User != nil {
		r.CreatedBy = p.User.ID
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error {
		if in.CategoryCode != "" {
			if _, err := tx.CategoryByCode(ctx, in.CategoryCode); gl.ErrorCode(err) == gl.ENOTFOUND {
				if !s.isMajorClass(ctx, tx, in.CategoryCode) {
					return gl.FieldError("category_code", "未知的问题类别「%s」", in.CategoryCode)
				}
			} else if err != nil {
				return err
			}
		}
		if in.Replaces != 0 {
			if err := tx.RetireRoutingRule(ctx, in.Replaces, r.CreatedAt, r.CreatedBy); err != nil {
				return err
			}
		}
		return tx.InsertRoutingRule(ctx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) isMajorClass(ctx context.Context, tx *store.Tx, code string) bool {
	cats, err := tx.Categories(ctx)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(cats, func(c gl.Category) bool { return c.MajorCode == code })
}

// RetireRoutingRule retires a rule; it stays in the history.
func (s *Service) RetireRoutingRule(ctx context.Context, p *Principal, id int64) error {
	var by int64
	if p != nil && p.User != nil {
		by = p.User.ID
	}
	return s.DB.Update(ctx, func(tx *store.Tx) error { return tx.RetireRoutingRule(ctx, id, s.now(), by) })
}

func (pl Placement) String() string {
	return fmt.Sprintf("(%.6f, %.6f) grid %s area %s", pl.Lng, pl.Lat, pl.GridCode, pl.AreaCode)
}
