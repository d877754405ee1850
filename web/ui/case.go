package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

type caseData struct {
	Case     *gl.Case
	Category *gl.Category
	Light    worktime.Light
	// StageLight is the current stage's clock (verify, register, dispatch, check).
	StageLight worktime.Light
	Events     []gl.Event
	Actions    []gl.Action
	// Case holds the reporter masked; CanReveal says whether the user may reveal the
	// contact details (pii.reveal), Revealed holds them once revealed (audited).
	CanReveal   bool
	Revealed    *service.Reporter
	HasReporter bool
	Groups      []catGroup
	Depts       []gl.Department // every department, for dispatch
	Children    []gl.Department // child units of the user's departments, for sub-dispatch
	Units       []worktime.Unit // units an extension may be asked in
	// FormAction is the form that failed, whose values Form keeps.
	FormAction gl.Action
	Form       form
	Map        mapConfig  // the case's point and grid
	Photos     formPhotos // photos uploaded with a feedback that failed
	// Similar are the open cases that are probably the same problem, for a one-click
	// merge, on the register page of a case that may still be merged (public_similar.go).
	Similar []service.SimilarCase
}

// V is the typed value of field k, kept for the form of action that failed.
func (d *caseData) V(action gl.Action, k string) string {
	if d.FormAction != action {
		return ""
	}
	return d.Form.V(k)
}

// Has reports whether field k held v in the form of action that failed.
func (d *caseData) Has(action gl.Action, k, v string) bool {
	return d.FormAction == action && d.Form.Has(k, v)
}

// Selected is the department preselected in the dispatch form: what the user chose,
// else the routing suggestion.
func (d *caseData) Selected(id int64) bool {
	if d.FormAction == gl.ActionDispatch {
		return d.Form.V("dept_id") == strconv.FormatInt(id, 10)
	}
	return id == d.Case.SuggestedDeptID
}

// photoActions are the actions whose form takes photos (the department's feedback).
var photoActions = []gl.Action{gl.ActionFeedback}

func (u *UI) casePage(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showCase(w, r, p, http.StatusOK, "", nil, formPhotos{}, &page{})
}

// caseReveal shows the case with the reporter's name and phone, an explicit action
// recorded in the audit log (the form may say why).
func (u *UI) caseReveal(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rep, err := u.svc.RevealReporter(r.Context(), p, r.PathValue("code"), f.V("reason"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	u.showCase(w, r, p, http.StatusOK, "", nil, formPhotos{}, &page{revealed: rep})
}

func (u *UI) showCase(w http.ResponseWriter, r *http.Request, p *service.Principal, status int, action gl.Action, f form, photos formPhotos, pg *page) {
	ctx := r.Context()
	code := r.PathValue("code")
	c, err := u.svc.Case(ctx, p, code)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	evs, err := u.svc.CaseEvents(ctx, p, code)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &caseData{Case: service.MaskReporter(c), Events: evs, Actions: u.svc.Available(p, c), FormAction: action, Form: f,
		Light: c.Light(u.svc.Calendar(), u.svc.Now()), StageLight: u.stageLight(c, u.svc.Now())}
	d.HasReporter = c.ReporterName != "" || c.ReporterPhone != ""
	d.CanReveal = d.HasReporter && p.Can(gl.PermPIIReveal)
	d.Revealed = pg.revealed
	d.Actions = slices.DeleteFunc(d.Actions, func(a gl.Action) bool { return a == gl.ActionFlagOverdue })
	if d.Groups, err = u.categoryGroups(ctx, langOf(r)); err != nil {
		u.fail(w, r, err)
		return
	}
	for _, g := range d.Groups {
		for i := range g.Cats {
			if g.Cats[i].Code == c.CategoryCode {
				d.Category = &g.Cats[i]
			}
		}
	}
	d.Depts = u.svc.Departments()
	for _, dep := range d.Depts {
		if dep.ParentID != 0 && slices.Contains(p.Depts, dep.ParentID) {
			d.Children = append(d.Children, dep)
		}
	}
	d.Units = []worktime.Unit{worktime.Hour, worktime.Day}
	if c.DueWorking {
		d.Units = []worktime.Unit{worktime.WorkHour, worktime.WorkDay}
	}
	d.Map, d.Photos = u.caseMap(r, c), photos
	if slices.Contains(d.Actions, gl.ActionMerge) {
		if d.Similar, err = u.svc.SimilarTo(ctx, p, c.Code); err != nil {
			u.log.Warn("ui: similar cases", "case", c.Code, "err", err)
		}
	}
	pg.Title = T(langOf(r), "case.title", c.Code)
	pg.Data = d
	u.renderPage(w, r, status, "case", pg)
}

func (u *UI) caseAct(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	action := gl.Action(r.PathValue("action"))
	if !action.Valid() || action == gl.ActionReport {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "未知操作「%s」", action))
		return
	}
	f, files, err := parseUpload(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	var photos formPhotos
	if slices.Contains(photoActions, action) {
		photos, err = u.savePhotos(r.Context(), f, files)
	}
	var in workflow.Input
	var version *int
	if err == nil {
		in, version, err = actionInput(action, f)
		in.Photos = photos.URLs()
	}
	if err == nil {
		var res *service.ActResult
		if res, err = u.svc.Act(r.Context(), p, r.PathValue("code"), in, version); err == nil {
			if aerr := u.svc.AttachPhotos(r.Context(), res.Case.ID, in.Photos); aerr != nil {
				u.log.Error("ui: attach photos", "case", res.Case.Code, "err", aerr)
			}
		}
	}
	if err != nil {
		if pg, status := u.actionFault(w, r, err); pg != nil {
			u.showCase(w, r, p, status, action, f, photos, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "case.done", action.Label(langOf(r))))
	redirect(w, r, "/cases/"+url.PathEscape(r.PathValue("code")))
}

// actionInput turns a posted action form into the workflow's input and the version
// the user saw.
func actionInput(action gl.Action, f form) (workflow.Input, *int, error) {
	in := workflow.Input{Action: action, Note: strings.TrimSpace(f.V("note"))}
	var version *int
	if v := f.V("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, nil, gl.FieldError("version", "版本号无效")
		}
		version = &n
	}
	switch action {
	case gl.ActionVerify:
		in.Valid = boolField(f.V("valid"))
	case gl.ActionCheck:
		in.Passed = boolField(f.V("passed"))
	case gl.ActionRegister:
		in.CategoryCode = f.V("category_code")
		if in.CategoryCode == "" {
			return in, version, gl.FieldError("category_code", "立案须选择问题类别")
		}
		urgent := f.V("urgent") == "1"
		in.Urgent = &urgent
	case gl.ActionDispatch, gl.ActionSubDispatch:
		if s := f.V("dept_id"); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return in, version, gl.FieldError("dept_id", "部门无效")
			}
			in.DeptID = id
		}
		for _, s := range f["co_dept_ids"] {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return in, version, gl.FieldError("co_dept_ids", "协办部门无效")
			}
			if id != in.DeptID {
				in.CoDeptIDs = append(in.CoDeptIDs, id)
			}
		}
	case gl.ActionMerge:
		in.ParentCode = strings.TrimSpace(f.V("parent_code"))
	case gl.ActionRequestExtension:
		n, err := strconv.Atoi(strings.TrimSpace(f.V("limit_value")))
		if err != nil || n <= 0 {
			return in, version, gl.FieldError("limit", "请填写申请延长的时间（正整数）")
		}
		in.Limit = &worktime.Limit{Value: n, Unit: worktime.Unit(f.V("limit_unit"))}
	}
	return in, version, nil
}
