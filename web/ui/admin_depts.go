package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// deptNode is a department with its child units, for the tree.
type deptNode struct {
	gl.Department
	KindLabel string
	Children  []deptNode
}

// labelKinds names the kind of every department of the tree in lang.
func labelKinds(nodes []deptNode, lang string) {
	for i := range nodes {
		nodes[i].KindLabel = T(lang, "dept_kind."+string(nodes[i].Kind))
		labelKinds(nodes[i].Children, lang)
	}
}

// deptOption is a department in a flat list, indented by its depth.
type deptOption struct {
	gl.Department
	Depth  int
	Indent string
}

// deptTree arranges depts as a tree (children in code order) and as a flat list in
// tree order.
func deptTree(depts []gl.Department) ([]deptNode, []deptOption) {
	kids := map[int64][]gl.Department{}
	known := map[int64]bool{}
	for _, d := range depts {
		known[d.ID] = true
	}
	for _, d := range depts {
		parent := d.ParentID
		if !known[parent] {
			parent = 0
		}
		kids[parent] = append(kids[parent], d)
	}
	for _, k := range kids {
		slices.SortFunc(k, func(a, b gl.Department) int { return strings.Compare(a.Code, b.Code) })
	}
	var flat []deptOption
	var build func(parent int64, depth int) []deptNode
	build = func(parent int64, depth int) []deptNode {
		var out []deptNode
		for _, d := range kids[parent] {
			flat = append(flat, deptOption{Department: d, Depth: depth, Indent: strings.Repeat("　", depth)})
			out = append(out, deptNode{Department: d, Children: build(d.ID, depth+1)})
		}
		return out
	}
	return build(0, 0), flat
}

type adminDeptsData struct {
	Tree  []deptNode
	Flat  []deptOption
	Kinds []gl.DeptKind
	Form  form
}

func (u *UI) adminDepts(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showDepts(w, r, http.StatusOK, form{"kind": {string(gl.DeptBureau)}}, &page{})
}

func (u *UI) showDepts(w http.ResponseWriter, r *http.Request, status int, f form, pg *page) {
	d := adminDeptsData{Form: f, Kinds: []gl.DeptKind{gl.DeptBureau, gl.DeptStreet, gl.DeptSection, gl.DeptCommunity}}
	d.Tree, d.Flat = deptTree(u.svc.Departments())
	labelKinds(d.Tree, langOf(r))
	pg.Title, pg.Data = T(langOf(r), "admin.departments"), d
	u.renderPage(w, r, status, "admin_depts", pg)
}

func (u *UI) adminDeptAdd(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &gl.Department{Code: strings.TrimSpace(f.V("code")), Name: strings.TrimSpace(f.V("name")),
		Kind: gl.DeptKind(f.V("kind")), AreaCode: strings.TrimSpace(f.V("area_code"))}
	if s := f.V("parent_id"); s != "" {
		d.ParentID, err = strconv.ParseInt(s, 10, 64)
		if err != nil {
			err = gl.FieldError("parent_id", "上级部门无效")
		}
	}
	if err == nil && !slices.Contains([]gl.DeptKind{gl.DeptBureau, gl.DeptStreet, gl.DeptSection, gl.DeptCommunity}, d.Kind) {
		err = gl.FieldError("kind", "请选择部门类型")
	}
	if err == nil {
		err = u.svc.AddDepartment(r.Context(), d)
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showDepts(w, r, status, f, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.dept_added", d.Name))
	redirect(w, r, "/admin/departments")
}
