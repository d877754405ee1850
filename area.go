package gridloop

import "time"

// AreaLevel is a level of the area tree.
type AreaLevel string

const (
	LevelCity      AreaLevel = "city"      // 市, 6 digits
	LevelDistrict  AreaLevel = "district"  // 区/县, 6 digits (GB/T 2260)
	LevelStreet    AreaLevel = "street"    // 街道/乡镇, 9 digits
	LevelCommunity AreaLevel = "community" // 社区/村, 12 digits
)

// Valid reports whether l is a known level.
func (l AreaLevel) Valid() bool {
	return l == LevelCity || l == LevelDistrict || l == LevelStreet || l == LevelCommunity
}

// Area is one node of the area tree (city → district → street → community). Its
// boundary, when known, lives in the store and the spatial index.
type Area struct {
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Level      AreaLevel `json:"level"`
	ParentCode string    `json:"parent_code,omitempty"`
	HasGeom    bool      `json:"has_geom"`
}

// RoutingRule sends cases of a category (a category code, a major class code, or any
// category when empty) in an area and below it to a department. Rules are never edited
// in place: a change retires the old rule and adds a new one.
type RoutingRule struct {
	ID           int64      `json:"id"`
	CategoryCode string     `json:"category_code,omitempty"`
	AreaCode     string     `json:"area_code"`
	DeptID       int64      `json:"dept_id"`
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    int64      `json:"created_by,omitempty"`
	RetiredAt    *time.Time `json:"retired_at,omitempty"`
	RetiredBy    int64      `json:"retired_by,omitempty"`
}
