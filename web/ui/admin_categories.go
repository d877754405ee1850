package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/worktime"
)

type adminCategoriesData struct {
	Cats []gl.Category
}

func (u *UI) adminCategories(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	cats, err := u.svc.Categories(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	slices.SortFunc(cats, func(a, b gl.Category) int { return strings.Compare(a.Code, b.Code) })
	u.render(w, r, http.StatusOK, "admin_categories", "admin.categories", adminCategoriesData{Cats: cats})
}

type adminCategoryData struct {
	New   bool // a new category (the code may be typed)
	Form  form
	Units []worktime.Unit
	Kinds []gl.CategoryKind
}

// categoryForm is a category as its form's fields.
func categoryForm(c *gl.Category) form {
	f := form{
		"code": {c.Code}, "kind": {string(c.Kind)}, "major_code": {c.MajorCode}, "major_name": {c.MajorName},
		"name": {c.Name}, "filing_condition": {c.FilingCondition}, "closing_condition": {c.ClosingCondition},
		"keywords": {c.Keywords},
	}
	limit := func(k string, l worktime.Limit) {
		if l.Value > 0 {
			f[k+"_value"] = []string{strconv.Itoa(l.Value)}
		}
		f[k+"_unit"] = []string{string(l.Unit)}
	}
	limit("handling", c.HandlingLimit)
	limit("urgent", c.UrgentLimit)
	limit("response", c.ResponseLimit)
	for k, v := range map[string]bool{"is_urgent": c.Urgent, "public": c.Public, "active": c.Active} {
		if v {
			f[k] = []string{"1"}
		}
	}
	return f
}

func (u *UI) adminCategoryNew(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	c := &gl.Category{Kind: gl.KindEvent, HandlingLimit: worktime.Limit{Value: 2, Unit: worktime.WorkDay},
		UrgentLimit: worktime.Limit{Unit: worktime.WorkHour}, ResponseLimit: worktime.Limit{Value: 30, Unit: worktime.Minute},
		Public: true, Active: true}
	u.showCategory(w, r, http.StatusOK, true, categoryForm(c), &page{})
}

func (u *UI) adminCategory(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	c, err := u.category(r, r.PathValue("code"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.showCategory(w, r, http.StatusOK, false, categoryForm(c), &page{})
}

func (u *UI) category(r *http.Request, code string) (*gl.Category, error) {
	cats, err := u.svc.Categories(r.Context())
	if err != nil {
		return nil, err
	}
	for i := range cats {
		if cats[i].Code == code {
			return &cats[i], nil
		}
	}
	return nil, gl.Errorf(gl.ENOTFOUND, "问题类别 %s 不存在", code)
}

func (u *UI) showCategory(w http.ResponseWriter, r *http.Request, status int, isNew bool, f form, pg *page) {
	pg.Title = T(langOf(r), "admin.category_new")
	if !isNew {
		pg.Title = T(langOf(r), "admin.category_edit", f.V("code"))
	}
	pg.Data = adminCategoryData{New: isNew, Form: f, Kinds: []gl.CategoryKind{gl.KindEvent, gl.KindComponent},
		Units: []worktime.Unit{worktime.Minute, worktime.Hour, worktime.Day, worktime.WorkHour, worktime.WorkDay}}
	u.renderPage(w, r, status, "admin_category", pg)
}

// adminCategorySave creates (field "new" set) or edits a category.
func (u *UI) adminCategorySave(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	isNew := f.V("new") == "1"
	c, err := categoryFromForm(f)
	if err == nil && isNew {
		if _, e := u.category(r, c.Code); e == nil {
			err = gl.FieldError("code", "类别代码 %s 已存在", c.Code)
		}
	} else if err == nil {
		if _, err = u.category(r, c.Code); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	if err == nil {
		err = u.svc.PutCategory(r.Context(), c)
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showCategory(w, r, status, isNew, f, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.category_saved", c.Code, c.Name))
	redirect(w, r, "/admin/categories#cat-"+url.PathEscape(c.Code))
}

func categoryFromForm(f form) (*gl.Category, error) {
	c := &gl.Category{
		Code: strings.TrimSpace(f.V("code")), Kind: gl.CategoryKind(f.V("kind")),
		MajorCode: strings.TrimSpace(f.V("major_code")), MajorName: strings.TrimSpace(f.V("major_name")),
		Name: strings.TrimSpace(f.V("name")), FilingCondition: strings.TrimSpace(f.V("filing_condition")),
		ClosingCondition: strings.TrimSpace(f.V("closing_condition")), Keywords: strings.TrimSpace(f.V("keywords")),
		Urgent: f.V("is_urgent") == "1", Public: f.V("public") == "1", Active: f.V("active") == "1",
	}
	limit := func(k, field string, optional bool) (worktime.Limit, error) {
		l := worktime.Limit{Unit: worktime.Unit(f.V(k + "_unit"))}
		s := strings.TrimSpace(f.V(k + "_value"))
		if s == "" && optional {
			return l, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || (n == 0 && !optional) {
			return l, gl.FieldError(field, "时限须为正整数")
		}
		l.Value = n
		return l, nil
	}
	var err error
	if c.HandlingLimit, err = limit("handling", "handling_limit", false); err != nil {
		return c, err
	}
	if c.UrgentLimit, err = limit("urgent", "urgent_limit", true); err != nil {
		return c, err
	}
	if c.ResponseLimit, err = limit("response", "response_limit", false); err != nil {
		return c, err
	}
	if c.UrgentLimit.Value == 0 {
		c.UrgentLimit = worktime.Limit{}
	}
	return c, nil
}
