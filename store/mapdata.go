package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gridloop/gridloop"
)

// CasePoint is a case as a marker on the map: just what a marker and its popup show.
type CasePoint struct {
	Code         string           `json:"code"`
	Status       gridloop.Status  `json:"status"`
	CategoryCode string           `json:"category_code,omitempty"`
	Lat          float64          `json:"lat"`
	Lng          float64          `json:"lng"`
	GridCode     string           `json:"grid_code,omitempty"`
	Overdue      bool             `json:"overdue"`
	Urgent       bool             `json:"urgent"`
	Description  string           `json:"description"`
	Channel      gridloop.Channel `json:"channel"`
}

// CasePoints returns at most limit of the cases f selects (its Limit, Offset and Order
// are ignored), newest first, as map points, and how many f selects in all.
func (tx *Tx) CasePoints(ctx context.Context, f CaseFilter, limit int) ([]CasePoint, int, error) {
	where, args := tx.where(f, false, false)
	var total int
	if err := tx.queryRow(ctx, `SELECT count(*) FROM cases`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count case points: %w", err)
	}
	if total == 0 || limit <= 0 {
		return nil, total, nil
	}
	// substr works on characters in both dialects; the popup shows an excerpt only.
	rows, err := tx.query(ctx, `SELECT code, status, category_code, lat, lng, grid_code, overdue, urgent,
		substr(description, 1, 80), channel FROM cases`+where+` ORDER BY created_at DESC, id DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: case points: %w", err)
	}
	defer rows.Close()
	var out []CasePoint
	for rows.Next() {
		var p CasePoint
		var cat sql.NullString
		if err := rows.Scan(&p.Code, &p.Status, &cat, &p.Lat, &p.Lng, &p.GridCode, &p.Overdue, &p.Urgent,
			&p.Description, &p.Channel); err != nil {
			return nil, 0, fmt.Errorf("store: case points: %w", err)
		}
		p.CategoryCode = cat.String
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// AreaShapesOfLevel returns the areas of one level that have a boundary, ordered by
// code.
func (tx *Tx) AreaShapesOfLevel(ctx context.Context, level gridloop.AreaLevel) ([]AreaShape, error) {
	rows, err := tx.query(ctx, `SELECT code, name, level, parent_code, geom FROM areas
		WHERE level = ? AND geom IS NOT NULL ORDER BY code`, string(level))
	if err != nil {
		return nil, fmt.Errorf("store: area shapes of %s: %w", level, err)
	}
	defer rows.Close()
	var out []AreaShape
	for rows.Next() {
		var a AreaShape
		var g string
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &g); err != nil {
			return nil, fmt.Errorf("store: area shapes of %s: %w", level, err)
		}
		if a.Geom, err = DecodeGeom(g); err != nil {
			return nil, fmt.Errorf("store: area %s: %w", a.Code, err)
		}
		a.HasGeom = true
		out = append(out, a)
	}
	return out, rows.Err()
}

// RespGridByCode returns one responsibility grid with its polygon and workers, or
// ENOTFOUND.
func (tx *Tx) RespGridByCode(ctx context.Context, code string) (*RespGridShape, error) {
	var g RespGridShape
	var text, workers string
	err := tx.queryRow(ctx, `SELECT code, name, area_code, geom, worker_ids FROM resp_grids WHERE code = ?`, code).
		Scan(&g.Code, &g.Name, &g.AreaCode, &text, &workers)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("责任网格 %s 不存在 (no such responsibility grid)", code)
	} else if err != nil {
		return nil, fmt.Errorf("store: resp grid %s: %w", code, err)
	}
	if g.Geom, err = DecodeGeom(text); err != nil {
		return nil, fmt.Errorf("store: resp grid %s: %w", code, err)
	}
	if g.WorkerIDs, err = parseList[int64](workers); err != nil {
		return nil, fmt.Errorf("store: resp grid %s: %w", code, err)
	}
	return &g, nil
}

// UsersByID returns the users with ids (unknown ids left out), ordered by name.
func (tx *Tx) UsersByID(ctx context.Context, ids []int64) ([]gridloop.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.query(ctx, `SELECT `+userColumns+` FROM users WHERE id IN (`+placeholders(len(ids))+`) ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: users by id: %w", err)
	}
	defer rows.Close()
	var out []gridloop.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users by id: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}
