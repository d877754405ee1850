package gridloop

import (
	"cmp"
	"slices"
)

// DeptKind is a department's level in the three-level dispatch tree (三级派遣).
type DeptKind string

const (
	DeptBureau    DeptKind = "bureau"    // 委办局
	DeptStreet    DeptKind = "street"    // 街道
	DeptSection   DeptKind = "section"   // 科所
	DeptCommunity DeptKind = "community" // 社区
)

// Department is a unit that handles cases; departments form a tree.
type Department struct {
	ID       int64    `json:"id"`
	ParentID int64    `json:"parent_id,omitempty"`
	Code     string   `json:"code"`
	Name     string   `json:"name"`
	Kind     DeptKind `json:"kind"`
	AreaCode string   `json:"area_code,omitempty"` // for streets and communities
}

// DeptTree answers questions about the department tree.
type DeptTree struct {
	byID     map[int64]Department
	children map[int64][]int64
}

// NewDeptTree indexes depts.
func NewDeptTree(depts []Department) *DeptTree {
	t := &DeptTree{byID: map[int64]Department{}, children: map[int64][]int64{}}
	for _, d := range depts {
		t.byID[d.ID] = d
		t.children[d.ParentID] = append(t.children[d.ParentID], d.ID)
	}
	return t
}

// Get returns the department with id.
func (t *DeptTree) Get(id int64) (Department, bool) { d, ok := t.byID[id]; return d, ok }

// Subtree returns id and all its descendants.
func (t *DeptTree) Subtree(ids ...int64) []int64 {
	var out []int64
	seen := map[int64]bool{}
	var walk func(int64)
	walk = func(id int64) {
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, id)
		for _, c := range t.children[id] {
			walk(c)
		}
	}
	for _, id := range ids {
		if _, ok := t.byID[id]; ok {
			walk(id)
		}
	}
	return out
}

// IsChild reports whether child's parent is parent.
func (t *DeptTree) IsChild(parent, child int64) bool {
	d, ok := t.byID[child]
	return ok && d.ParentID == parent && parent != 0
}

// All returns every department.
func (t *DeptTree) All() []Department {
	out := make([]Department, 0, len(t.byID))
	for _, d := range t.byID {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Department) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
