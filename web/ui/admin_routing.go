package ui

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// ruleRow is a routing rule with the names it refers to.
type ruleRow struct {
	gl.RoutingRule
	Category string // category or major class name, "" for any
	Area     string // the area chain's names
	Dept     string
}

// catOption is a choice in the rule form's category list: a major class or a category.
type catOption struct {
	Code, Label string
	Major       bool
}

type adminRoutingData struct {
	Rows    []ruleRow
	History bool
	Cats    []catOption
	Areas   []gl.Area // city, districts and streets, for the area list
	Depts   []deptOption
	Form    form
}

func (u *UI) adminRouting(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f := form{}
	if id := r.URL.Query().Get("edit"); id != "" {
		// Editing is adding a replacement: the form starts from the old rule.
		rules, err := u.svc.RoutingRules(r.Context(), false)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		for _, rule := range rules {
			if strconv.FormatInt(rule.ID, 10) == id {
				f = form{"replaces": {id}, "category_code": {rule.CategoryCode}, "area_code": {rule.AreaCode},
					"dept_id": {strconv.FormatInt(rule.DeptID, 10)}}
			}
		}
	}
	u.showRouting(w, r, http.StatusOK, f, &page{})
}

func (u *UI) showRouting(w http.ResponseWriter, r *http.Request, status int, f form, pg *page) {
	ctx := r.Context()
	d := adminRoutingData{History: r.URL.Query().Get("history") == "1", Form: f}
	rules, err := u.svc.RoutingRules(ctx, d.History)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cats, err := u.svc.Categories(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	slices.SortFunc(cats, func(a, b gl.Category) int { return strings.Compare(a.Code, b.Code) })
	names := map[string]string{}
	for _, c := range cats {
		if c.MajorCode != "" && names[c.MajorCode] == "" {
			names[c.MajorCode] = c.MajorName
			d.Cats = append(d.Cats, catOption{Code: c.MajorCode, Label: c.MajorName, Major: true})
		}
		names[c.Code] = c.Name
		d.Cats = append(d.Cats, catOption{Code: c.Code, Label: c.Name})
	}
	_, d.Depts = deptTree(u.svc.Departments())
	for _, rule := range rules {
		row := ruleRow{RoutingRule: rule, Category: names[rule.CategoryCode], Area: u.areaNames(rule.AreaCode)}
		if dep, ok := u.svc.Depts().Get(rule.DeptID); ok {
			row.Dept = dep.Name
		}
		d.Rows = append(d.Rows, row)
	}
	if d.Areas, err = u.upperAreas(ctx); err != nil {
		u.fail(w, r, err)
		return
	}
	pg.Title, pg.Data = T(langOf(r), "admin.routing"), d
	u.renderPage(w, r, status, "admin_routing", pg)
}

// areaNames is the chain of names of an area, below the city ("" when unknown).
func (u *UI) areaNames(code string) string {
	var names []string
	chain := u.svc.AreaChain(code)
	for i, a := range chain {
		if a.Name != "" && (i > 0 || len(chain) == 1) {
			names = append(names, a.Name)
		}
	}
	return strings.Join(names, " · ")
}

// upperAreas lists the city, its districts and their streets in tree order: the
// levels rules are usually written for (a community code may still be typed).
func (u *UI) upperAreas(ctx context.Context) ([]gl.Area, error) {
	var out []gl.Area
	var walk func(parent string) error
	walk = func(parent string) error {
		kids, err := u.svc.Areas(ctx, parent)
		if err != nil {
			return err
		}
		for _, a := range kids {
			if a.Level == gl.LevelCommunity {
				continue
			}
			out = append(out, a)
			if a.Level != gl.LevelStreet {
				if err := walk(a.Code); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk("")
}

func (u *UI) adminRoutingAdd(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	in := service.RoutingRuleInput{CategoryCode: f.V("category_code"), AreaCode: strings.TrimSpace(f.V("area_code"))}
	if in.DeptID, err = strconv.ParseInt(f.V("dept_id"), 10, 64); err != nil {
		err = gl.FieldError("dept_id", "请选择部门")
	}
	if s := f.V("replaces"); s != "" && err == nil {
		if in.Replaces, err = strconv.ParseInt(s, 10, 64); err != nil {
			err = gl.FieldError("replaces", "被替换的规则无效")
		}
	}
	var rule *gl.RoutingRule
	if err == nil {
		rule, err = u.svc.AddRoutingRule(r.Context(), p, in)
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showRouting(w, r, status, f, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.rule_added", rule.ID))
	redirect(w, r, "/admin/routing")
}

func (u *UI) adminRoutingRetire(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "分派规则不存在"))
		return
	}
	if err := u.svc.RetireRoutingRule(r.Context(), p, id); err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(langOf(r), "admin.rule_retired", id))
	redirect(w, r, "/admin/routing")
}
