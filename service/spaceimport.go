package service

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/geo"
	"github.com/gridloop/gridloop/store"
)

// NormalizeAreaCode maps a division code to gridloop's 6 + 3 + 3 scheme for its level:
// 6 digits for a city or district, 9 for a street, 12 for a community. The 12-digit
// statistical form with trailing zeros ("330106002000" for a street) is shortened.
func NormalizeAreaCode(code string, level gl.AreaLevel) (string, error) {
	code = strings.TrimSpace(code)
	if !isDigits(code) {
		return "", fmt.Errorf("区划代码 %q 须为数字", code)
	}
	want := map[gl.AreaLevel]int{gl.LevelCity: 6, gl.LevelDistrict: 6, gl.LevelStreet: 9, gl.LevelCommunity: 12}[level]
	if want == 0 {
		return "", fmt.Errorf("未知的区划层级 %q（应为 city、district、street 或 community）", level)
	}
	if len(code) > want && strings.Trim(code[want:], "0") == "" {
		code = code[:want]
	}
	if len(code) != want {
		return "", fmt.Errorf("%s 级区划代码须为 %d 位，%q 不是", level, want, code)
	}
	return code, nil
}

// normalizeParent shortens a parent code given in the 12-digit form.
func normalizeParent(code string) string {
	code = strings.TrimSpace(code)
	for _, n := range []int{6, 9} {
		if len(code) > n && strings.Trim(code[n:], "0") == "" {
			return code[:n]
		}
	}
	return code
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ReadDivisionsCSV reads division codes: a header with code, name, level and
// parent_code (in any order; other columns ignored), then one area per row.
func ReadDivisionsCSV(r io.Reader) ([]gl.Area, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("读取表头: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"code", "name", "level", "parent_code"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("表头缺少 %s 列（须有 code,name,level,parent_code）", need)
		}
	}
	var out []gl.Area
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		get := func(k string) string {
			if i := col[k]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		a := gl.Area{Name: get("name"), Level: gl.AreaLevel(get("level")), ParentCode: normalizeParent(get("parent_code"))}
		if a.Code, err = NormalizeAreaCode(get("code"), a.Level); err != nil {
			return nil, fmt.Errorf("第 %d 行: %w", line, err)
		}
		if a.Name == "" {
			return nil, fmt.Errorf("第 %d 行: 缺少名称", line)
		}
		out = append(out, a)
	}
	return out, nil
}

// BoundaryOptions say how boundary features are matched to areas.
type BoundaryOptions struct {
	Level    gl.AreaLevel // only areas of this level ("" for any)
	Match    string       // "code" (feature id or properties code/adcode) or "name"
	Progress func(done int, bytesRead int64)
}

// BoundaryReport is what an import matched and what it did not.
type BoundaryReport struct {
	Features  int
	Matched   []string // area codes
	Unmatched []string // feature descriptions
}

func featureCode(f *geojson.Feature) string {
	for _, k := range []string{"code", "adcode", "area_code"} {
		if v, ok := f.Properties[k]; ok {
			return fmt.Sprint(v)
		}
	}
	switch v := f.ID.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

func featureName(f *geojson.Feature) string {
	for _, k := range []string{"name", "NAME", "名称"} {
		if v, ok := f.Properties[k].(string); ok {
			return v
		}
	}
	return ""
}

// ImportBoundaries reads a GeoJSON FeatureCollection and sets the boundary of every
// area a feature matches, in one transaction that bumps geo_version.
func (s *Service) ImportBoundaries(ctx context.Context, r io.Reader, opt BoundaryOptions) (*BoundaryReport, error) {
	if opt.Match == "" {
		opt.Match = "code"
	}
	if opt.Match != "code" && opt.Match != "name" {
		return nil, fmt.Errorf("-match 须为 code 或 name，不是 %q", opt.Match)
	}
	var areas []gl.Area
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) { areas, err = tx.Areas(ctx, ""); return }); err != nil {
		return nil, err
	}
	byKey := map[string]string{}
	for _, a := range areas {
		if opt.Level != "" && a.Level != opt.Level {
			continue
		}
		if opt.Match == "code" {
			byKey[a.Code] = a.Code
		} else {
			byKey[a.Name] = a.Code
		}
	}
	rep := &BoundaryReport{}
	geoms := map[string]orb.MultiPolygon{}
	err := geo.ReadFeatures(r, func(f *geojson.Feature) error {
		rep.Features++
		key := featureCode(f)
		if opt.Match == "name" {
			key = featureName(f)
		}
		code, ok := byKey[key]
		if !ok {
			rep.Unmatched = append(rep.Unmatched, fmt.Sprintf("%s (%s)", featureName(f), featureCode(f)))
			return nil
		}
		mp, err := geo.AsMultiPolygon(f.Geometry)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if _, dup := geoms[code]; !dup {
			rep.Matched = append(rep.Matched, code)
		}
		geoms[code] = mp
		return nil
	}, opt.Progress)
	if err != nil {
		return nil, err
	}
	err = s.UpdateGeo(ctx, func(tx *store.Tx) error {
		for code, g := range geoms {
			if err := tx.SetAreaGeom(ctx, code, g); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

// SetAreaGeoms stores boundaries computed elsewhere (the demo's derived shapes).
func (s *Service) SetAreaGeoms(ctx context.Context, geoms map[string]orb.MultiPolygon) error {
	return s.UpdateGeo(ctx, func(tx *store.Tx) error {
		for code, g := range geoms {
			if err := tx.SetAreaGeom(ctx, code, g); err != nil {
				return err
			}
		}
		return nil
	})
}

// CutGrids cuts a community's boundary into unit grids of sizeMeters, clipped and
// coded in the standard order (rows north→south, west→east within a row).
func CutGrids(community string, boundary orb.MultiPolygon, sizeMeters float64) ([]store.GridShape, error) {
	cells := geo.GenerateGrid(boundary, sizeMeters)
	if len(cells) > 999 {
		return nil, fmt.Errorf("区划 %s 按 %.0f 米切分得到 %d 个网格，超过 999 个（三位序号），请加大 -size", community, sizeMeters, len(cells))
	}
	out := make([]store.GridShape, 0, len(cells))
	for _, c := range cells {
		code, err := geo.GridCode(community, c.Seq)
		if err != nil {
			return nil, err
		}
		out = append(out, store.GridShape{Code: code, AreaCode: community, Geom: c.Geom})
	}
	return out, nil
}

// GenerateGrids replaces the unit grids of community areas with grids of sizeMeters.
// area may be a community, or a street, district or city: then every community under
// it that has a boundary is cut. It returns the number of grids made.
func (s *Service) GenerateGrids(ctx context.Context, area string, sizeMeters float64) (int, error) {
	if !(sizeMeters >= 10) || math.IsInf(sizeMeters, 0) {
		return 0, gl.FieldError("size", "网格边长须至少 10 米")
	}
	var shapes []store.AreaShape
	if err := s.DB.View(ctx, func(tx *store.Tx) (err error) { shapes, err = tx.AreaShapes(ctx); return }); err != nil {
		return 0, err
	}
	byCode := map[string]store.AreaShape{}
	for _, a := range shapes {
		byCode[a.Code] = a
	}
	if _, ok := byCode[area]; !ok {
		return 0, gl.Errorf(gl.ENOTFOUND, "区划 %s 不存在", area)
	}
	under := func(code string) bool {
		for i := 0; code != "" && i < 8; i++ {
			if code == area {
				return true
			}
			code = byCode[code].ParentCode
		}
		return false
	}
	var grids []store.GridShape
	var cut []string
	for _, a := range shapes {
		if a.Level != gl.LevelCommunity || a.Geom == nil || !under(a.Code) {
			continue
		}
		g, err := CutGrids(a.Code, a.Geom, sizeMeters)
		if err != nil {
			return 0, err
		}
		grids = append(grids, g...)
		cut = append(cut, a.Code)
	}
	if len(cut) == 0 {
		return 0, gl.Errorf(gl.EINVALID, "区划 %s 下没有带边界的社区，请先导入边界", area)
	}
	err := s.UpdateGeo(ctx, func(tx *store.Tx) error {
		for _, c := range cut {
			if _, err := tx.DeleteGrids(ctx, c); err != nil {
				return err
			}
		}
		return tx.PutGrids(ctx, grids)
	})
	return len(grids), err
}
