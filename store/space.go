package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridloop/gridloop"
)

// GeoVersionKey is the setting bumped, in the same transaction, by every change to
// boundaries or grids; nodes compare it to rebuild their spatial index.
const GeoVersionKey = "geo_version"

// AreaShape is an area with its boundary (nil when unknown).
type AreaShape struct {
	gridloop.Area
	Geom orb.MultiPolygon
}

// GridShape is a unit grid (单元网格): a 15-digit code, its community, its polygon.
type GridShape struct {
	Code     string           `json:"code"`
	AreaCode string           `json:"area_code"`
	Geom     orb.MultiPolygon `json:"-"`
}

// RespGridShape is a responsibility grid (责任网格) with its grid workers.
type RespGridShape struct {
	Code      string           `json:"code"`
	Name      string           `json:"name"`
	AreaCode  string           `json:"area_code"`
	Geom      orb.MultiPolygon `json:"-"`
	WorkerIDs []int64          `json:"worker_ids,omitempty"`
}

// batchRows is how many rows one multi-row INSERT carries (well under both dialects'
// parameter limits: SQLite 32766, PostgreSQL 65535).
const batchRows = 500

// insertBatch runs "INSERT INTO table (cols) VALUES (…), (…) suffix" over rows in
// batches of batchRows.
func (tx *Tx) insertBatch(ctx context.Context, table string, cols []string, suffix string, n int, row func(i int) []any) error {
	tuple := "(" + placeholders(len(cols)) + ")"
	for start := 0; start < n; start += batchRows {
		end := min(start+batchRows, n)
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(cols))
		for i := start; i < end; i++ {
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, row(i)...)
		}
		b.WriteString(" " + suffix)
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return wrap(err, "insert into "+table, "")
		}
	}
	return nil
}

// PutAreas inserts areas or updates their name, level and parent (never their
// boundary), in batches.
func (tx *Tx) PutAreas(ctx context.Context, areas []gridloop.Area) error {
	for _, a := range areas {
		if a.Code == "" || a.Name == "" || !a.Level.Valid() {
			return gridloop.Errorf(gridloop.EINVALID, "区划 %q（%s）缺少代码、名称或层级有误", a.Code, a.Name)
		}
	}
	return tx.insertBatch(ctx, "areas", []string{"code", "name", "level", "parent_code"},
		`ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code`,
		len(areas), func(i int) []any {
			a := areas[i]
			return []any{a.Code, a.Name, string(a.Level), a.ParentCode}
		})
}

// SetAreaGeom stores the boundary of an existing area (nil clears it); ENOTFOUND if
// there is no such area. Call BumpGeoVersion in the same transaction.
func (tx *Tx) SetAreaGeom(ctx context.Context, code string, g orb.MultiPolygon) error {
	var v any
	if g != nil {
		v = EncodeGeom(g)
	}
	res, err := tx.exec(ctx, `UPDATE areas SET geom = ? WHERE code = ?`, v, code)
	return tx.oneRow(res, err, "set area geometry", "区划 %s 不存在 (no such area)", code)
}

// Areas lists the areas under parent ("" for every area), ordered by code, without
// their boundaries.
func (tx *Tx) Areas(ctx context.Context, parent string) ([]gridloop.Area, error) {
	q := `SELECT code, name, level, parent_code, geom IS NOT NULL FROM areas`
	var args []any
	if parent != "" {
		q += ` WHERE parent_code = ?`
		args = append(args, parent)
	}
	rows, err := tx.query(ctx, q+` ORDER BY code`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: areas: %w", err)
	}
	defer rows.Close()
	var out []gridloop.Area
	for rows.Next() {
		var a gridloop.Area
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &a.HasGeom); err != nil {
			return nil, fmt.Errorf("store: areas: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AreaShapes returns every area with its boundary (nil when it has none).
func (tx *Tx) AreaShapes(ctx context.Context) ([]AreaShape, error) {
	rows, err := tx.query(ctx, `SELECT code, name, level, parent_code, geom FROM areas ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: area shapes: %w", err)
	}
	defer rows.Close()
	var out []AreaShape
	for rows.Next() {
		var a AreaShape
		var g sql.NullString
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &g); err != nil {
			return nil, fmt.Errorf("store: area shapes: %w", err)
		}
		if g.Valid {
			if a.Geom, err = DecodeGeom(g.String); err != nil {
				return nil, fmt.Errorf("store: area %s: %w", a.Code, err)
			}
			a.HasGeom = true
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PutGrids inserts unit grids (replacing any with the same code), in batches.
func (tx *Tx) PutGrids(ctx context.Context, grids []GridShape) error {
	for _, g := range grids {
		if len(g.Code) != 15 || !digits(g.Code) {
			return gridloop.Errorf(gridloop.EINVALID, "网格代码 %q 须为 15 位数字", g.Code)
		}
	}
	return tx.insertBatch(ctx, "grids", []string{"code", "area_code", "geom"},
		`ON CONFLICT (code) DO UPDATE SET area_code = excluded.area_code, geom = excluded.geom`,
		len(grids), func(i int) []any {
			g := grids[i]
			return []any{g.Code, g.AreaCode, EncodeGeom(g.Geom)}
		})
}

// DeleteGrids removes the unit grids of a community (every grid when area is "") and
// returns how many there were.
func (tx *Tx) DeleteGrids(ctx context.Context, area string) (int64, error) {
	q, args := `DELETE FROM grids`, []any{}
	if area != "" {
		q += ` WHERE area_code = ?`
		args = append(args, area)
	}
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: delete grids: %w", err)
	}
	return res.RowsAffected()
}

// CountGrids is the number of unit grids.
func (tx *Tx) CountGrids(ctx context.Context) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM grids`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count grids: %w", err)
	}
	return n, nil
}

// GridShapes returns every unit grid with its polygon, ordered by code.
func (tx *Tx) GridShapes(ctx context.Context) ([]GridShape, error) {
	rows, err := tx.query(ctx, `SELECT code, area_code, geom FROM grids ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: grids: %w", err)
	}
	defer rows.Close()
	var out []GridShape
	for rows.Next() {
		var g GridShape
		var text string
		if err := rows.Scan(&g.Code, &g.AreaCode, &text); err != nil {
			return nil, fmt.Errorf("store: grids: %w", err)
		}
		if g.Geom, err = DecodeGeom(text); err != nil {
			return nil, fmt.Errorf("store: grid %s: %w", g.Code, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// PutRespGrids inserts responsibility grids (replacing any with the same code).
func (tx *Tx) PutRespGrids(ctx context.Context, grids []RespGridShape) error {
	encoded := make([]string, len(grids))
	for i, g := range grids {
		if g.Code == "" {
			return gridloop.Errorf(gridloop.EINVALID, "责任网格缺少代码")
		}
		var err error
		if encoded[i], err = jsonList(g.WorkerIDs); err != nil {
			return fmt.Errorf("store: resp grid %s: %w", g.Code, err)
		}
	}
	return tx.insertBatch(ctx, "resp_grids", []string{"code", "name", "area_code", "geom", "worker_ids"},
		`ON CONFLICT (code) DO UPDATE SET name = excluded.name, area_code = excluded.area_code,
			geom = excluded.geom, worker_ids = excluded.worker_ids`,
		len(grids), func(i int) []any {
			g := grids[i]
			return []any{g.Code, g.Name, g.AreaCode, EncodeGeom(g.Geom), encoded[i]}
		})
}

// RespGridShapes returns every responsibility grid with its polygon, ordered by code.
func (tx *Tx) RespGridShapes(ctx context.Context) ([]RespGridShape, error) {
	rows, err := tx.query(ctx, `SELECT code, name, area_code, geom, worker_ids FROM resp_grids ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: resp grids: %w", err)
	}
	defer rows.Close()
	var out []RespGridShape
	for rows.Next() {
		var g RespGridShape
		var text, workers string
		if err := rows.Scan(&g.Code, &g.Name, &g.AreaCode, &text, &workers); err != nil {
			return nil, fmt.Errorf("store: resp grids: %w", err)
		}
		if g.Geom, err = DecodeGeom(text); err != nil {
			return nil, fmt.Errorf("store: resp grid %s: %w", g.Code, err)
		}
		if g.WorkerIDs, err = parseList[int64](workers); err != nil {
			return nil, fmt.Errorf("store: resp grid %s: %w", g.Code, err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// GeoVersion is the current boundary version ("" when boundaries never changed).
func (tx *Tx) GeoVersion(ctx context.Context) (string, error) {
	v, _, err := tx.Setting(ctx, GeoVersionKey)
	return v, err
}

// BumpGeoVersion marks the boundaries as changed; call it in the transaction that
// changes them. Versions are increasing integers.
func (tx *Tx) BumpGeoVersion(ctx context.Context) (string, error) {
	v, err := tx.GeoVersion(ctx)
	if err != nil {
		return "", err
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	next := strconv.FormatInt(n+1, 10)
	return next, tx.PutSetting(ctx, GeoVersionKey, next)
}

// Routing rules.

const ruleColumns = `id, category_code, area_code, dept_id, created_at, created_by, retired_at, retired_by`

func scanRule(s scanner) (gridloop.RoutingRule, error) {
	var r gridloop.RoutingRule
	var cat sql.NullString
	var createdBy, retiredBy sql.NullInt64
	var created, retired nullTime
	err := s.Scan(&r.ID, &cat, &r.AreaCode, &r.DeptID, &created, &createdBy, &retired, &retiredBy)
	r.CategoryCode, r.CreatedBy, r.RetiredBy = cat.String, createdBy.Int64, retiredBy.Int64
	r.CreatedAt, r.RetiredAt = created.Time, retired.Ptr()
	return r, err
}

func (tx *Tx) rules(ctx context.Context, q string, args ...any) ([]gridloop.RoutingRule, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: routing rules: %w", err)
	}
	defer rows.Close()
	var out []gridloop.RoutingRule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("store: routing rules: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertRoutingRule adds a live rule and sets r.ID (an unknown department is EINVALID).
func (tx *Tx) InsertRoutingRule(ctx context.Context, r *gridloop.RoutingRule) error {
	r.CreatedAt = normTime(r.CreatedAt)
	r.RetiredAt, r.RetiredBy = nil, 0
	err := tx.queryRow(ctx, `INSERT INTO routing_rules (category_code, area_code, dept_id, created_at, created_by)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, nullString(r.CategoryCode), r.AreaCode, r.DeptID,
		tx.timeArg(r.CreatedAt), nullID(r.CreatedBy)).Scan(&r.ID)
	return wrap(err, "insert routing rule", "")
}

// RetireRoutingRule retires a live rule (ENOTFOUND if there is no live rule with id).
func (tx *Tx) RetireRoutingRule(ctx context.Context, id int64, at time.Time, by int64) error {
	res, err := tx.exec(ctx, `UPDATE routing_rules SET retired_at = ?, retired_by = ? WHERE id = ? AND retired_at IS NULL`,
		tx.timeArg(at), nullID(by), id)
	return tx.oneRow(res, err, "retire routing rule", "分派规则 %d 不存在或已停用 (no live routing rule)", id)
}

// RoutingRuleByID returns one rule, live or retired.
func (tx *Tx) RoutingRuleByID(ctx context.Context, id int64) (*gridloop.RoutingRule, error) {
	r, err := scanRule(tx.queryRow(ctx, `SELECT `+ruleColumns+` FROM routing_rules WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("分派规则 %d 不存在 (no such routing rule)", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: routing rule %d: %w", id, err)
	}
	return &r, nil
}

// RoutingRules lists the live rules ordered by area and category, or with history
// every rule ever made, newest first.
func (tx *Tx) RoutingRules(ctx context.Context, history bool) ([]gridloop.RoutingRule, error) {
	if history {
		return tx.rules(ctx, `SELECT `+ruleColumns+` FROM routing_rules ORDER BY id DESC`)
	}
	return tx.rules(ctx, `SELECT `+ruleColumns+` FROM routing_rules WHERE retired_at IS NULL
		ORDER BY area_code, category_code, id`)
}

// RulesFor returns the live rules for any of areas whose category is one of cats or
// any category (NULL).
func (tx *Tx) RulesFor(ctx context.Context, areas, cats []string) ([]gridloop.RoutingRule, error) {
	if len(areas) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(areas)+len(cats))
	for _, a := range areas {
		args = append(args, a)
	}
	q := `SELECT ` + ruleColumns + ` FROM routing_rules WHERE retired_at IS NULL AND area_code IN (` +
		placeholders(len(areas)) + `) AND (category_code IS NULL`
	if len(cats) > 0 {
		q += ` OR category_code IN (` + placeholders(len(cats)) + `)`
		for _, c := range cats {
			args = append(args, c)
		}
	}
	return tx.rules(ctx, q+`) ORDER BY id`, args...)
}

// Geometry text.

// EncodeGeom writes g as a GeoJSON MultiPolygon geometry.
func EncodeGeom(g orb.MultiPolygon) string {
	b := make([]byte, 0, 64+40*countPoints(g))
	b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
	for i, p := range g {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, r := range p {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, pt := range r {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = strconv.AppendFloat(b, pt[0], 'f', -1, 64)
				b = append(b, ',')
				b = strconv.AppendFloat(b, pt[1], 'f', -1, 64)
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	return string(append(b, "]}"...))
}

func countPoints(g orb.MultiPolygon) int {
	n := 0
	for _, p := range g {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// DecodeGeom reads a GeoJSON Polygon or MultiPolygon geometry.
func DecodeGeom(text string) (orb.MultiPolygon, error) {
	if mp, ok := decodeFast(text); ok {
		return mp, nil
	}
	g, err := geojson.UnmarshalGeometry([]byte(text))
	if err != nil {
		return nil, err
	}
	switch v := g.Geometry().(type) {
	case orb.MultiPolygon:
		return v, nil
	case orb.Polygon:
		return orb.MultiPolygon{v}, nil
	}
	return nil, fmt.Errorf("geometry is a %s, want Polygon or MultiPolygon", g.Type)
}

// decodeFast reads what EncodeGeom writes without reflection; ok is false for any
// other text, which then goes through the general decoder.
func decodeFast(s string) (mp orb.MultiPolygon, ok bool) {
	const head = `{"type":"MultiPolygon","coordinates":`
	if !strings.HasPrefix(s, head) || !strings.HasSuffix(s, "}") {
		return nil, false
	}
	p := &fastParser{s: s[len(head) : len(s)-1]}
	mp, ok = p.multi()
	return mp, ok && p.i == len(p.s)
}

type fastParser struct {
	s string
	i int
}

func (p *fastParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// list parses "[elem, elem…]".
func (p *fastParser) list(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *fastParser) number() (float64, bool) {
	j := p.i
	for j < len(p.s) && (p.s[j] == '-' || p.s[j] == '.' || p.s[j] == 'e' || p.s[j] == 'E' || p.s[j] == '+' || (p.s[j] >= '0' && p.s[j] <= '9')) {
		j++
	}
	f, err := strconv.ParseFloat(p.s[p.i:j], 64)
	p.i = j
	return f, err == nil
}

func (p *fastParser) multi() (orb.MultiPolygon, bool) {
	var mp orb.MultiPolygon
	ok := p.list(func() bool {
		var poly orb.Polygon
		ok := p.list(func() bool {
			var ring orb.Ring
			ok := p.list(func() bool {
				if !p.eat('[') {
					return false
				}
				x, ok1 := p.number()
				ok2 := p.eat(',')
				y, ok3 := p.number()
				ring = append(ring, orb.Point{x, y})
				return ok1 && ok2 && ok3 && p.eat(']')
			})
			poly = append(poly, ring)
			return ok
		})
		mp = append(mp, poly)
		return ok
	})
	return mp, ok
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
