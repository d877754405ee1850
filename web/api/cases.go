package api

import (
	"net/http"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

// caseView is a case as the API shows it: with labels, its deadline light and the
// actions the caller may take now.
type caseView struct {
	*gl.Case
	StatusLabel string         `json:"status_label"`
	Light       worktime.Light `json:"light,omitempty"`
	Actions     []gl.Action    `json:"actions,omitempty"`
}

// view is c as the API shows it. The reporter's name and phone are always masked:
// POST /api/v1/cases/{code}/reveal reveals them, recorded in the audit log.
func (a *API) view(c *gl.Case, p *service.Principal) caseView {
	v := caseView{Case: service.MaskReporter(c), StatusLabel: c.Status.Label("zh"), Light: c.Light(a.Svc.Calendar(), a.Svc.Now())}
	if p != nil {
		v.Actions = a.Svc.Available(p, c)
	}
	return v
}

func (a *API) report(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var in service.ReportInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return gl.FieldError("Idempotency-Key", "幂等键不能超过 200 个字符")
	}
	res, err := a.Svc.Report(r.Context(), p, in, key)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+res.Case.Code)
	writeJSON(w, http.StatusCreated, struct {
		caseView
		TrackingToken string `json:"tracking_token"`
	}{a.view(res.Case, p), res.TrackingToken})
	return nil
}

func (a *API) listCases(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	q := r.URL.Query()
	f := store.CaseFilter{CategoryCode: q.Get("category"), Query: q.Get("q"), Order: q.Get("order")}
	for _, s := range q["status"] {
		for _, part := range strings.Split(s, ",") {
			if part != "" {
				f.Statuses = append(f.Statuses, gl.Status(part))
			}
		}
	}
	var err error
	if v := q.Get("department"); v != "" {
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return gl.FieldError("department", "部门须为数字 id")
		}
		f.DeptIDs = []int64{id}
	}
	if v := q.Get("overdue"); v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil {
			return gl.FieldError("overdue", "overdue 须为 true 或 false")
		}
		f.Overdue = &b
	}
	if f.Limit, err = intParam(q.Get("limit"), "limit", 50); err != nil {
		return err
	}
	if f.Offset, err = intParam(q.Get("offset"), "offset", 0); err != nil {
		return err
	}
	if f.Limit > 500 {
		return gl.FieldError("limit", "每页最多 500 条")
	}
	switch f.Order {
	case "", "created_desc", "due_asc", "updated_desc":
	default:
		return gl.FieldError("order", "排序须为 created_desc、due_asc 或 updated_desc")
	}
	list, total, err := a.Svc.Cases(r.Context(), p, f)
	if err != nil {
		return err
	}
	items := make([]caseView, len(list))
	for i := range list {
		items[i] = a.view(&list[i], nil)
	}
	// Past store.CountCap the total is not counted: total_capped says "more than total".
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": min(total, store.CountCap),
		"total_capped": total > store.CountCap, "limit": f.Limit, "offset": f.Offset})
	return nil
}

func intParam(s, name string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, gl.FieldError(name, "%s 须为非负整数", name)
	}
	return n, nil
}

func (a *API) getCase(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	c, err := a.Svc.Case(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.view(c, p))
	return nil
}

func (a *API) caseEvents(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	evs, err := a.Svc.CaseEvents(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": evs})
	return nil
}

// actionBody is an action's parameters plus the version the caller saw.
type actionBody struct {
	workflow.Input
	Version *int `json:"version,omitempty"`
}

func (a *API) decodeAction(w http.ResponseWriter, r *http.Request) (actionBody, error) {
	var body actionBody
	if r.ContentLength != 0 {
		if err := decode(w, r, &body); err != nil {
			return body, err
		}
	}
	if body.Action != "" && string(body.Action) != r.PathValue("action") {
		return body, gl.FieldError("action", "请求体中的操作与路径不一致")
	}
	body.Action = gl.Action(r.PathValue("action"))
	if !body.Action.Valid() || body.Action == gl.ActionReport {
		return body, gl.Errorf(gl.ENOTFOUND, "未知操作「%s」", body.Action)
	}
	return body, nil
}

func (a *API) act(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	body, err := a.decodeAction(w, r)
	if err != nil {
		return err
	}
	res, err := a.Svc.Act(r.Context(), p, r.PathValue("code"), body.Input, body.Version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": a.view(res.Case, p), "event": res.Event})
	return nil
}

func (a *API) track(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	t, err := a.Svc.Track(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) trackAct(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	body, err := a.decodeAction(w, r)
	if err != nil {
		return err
	}
	if _, err := a.Svc.ActAsReporter(r.Context(), r.PathValue("token"), body.Input); err != nil {
		return err
	}
	t, err := a.Svc.Track(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) me(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	writeJSON(w, http.StatusOK, p.User)
	return nil
}

func (a *API) categories(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	cats, err := a.Svc.Categories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": cats})
	return nil
}

func (a *API) putCategory(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	var c gl.Category
	if err := decode(w, r, &c); err != nil {
		return err
	}
	if c.Code != "" && c.Code != r.PathValue("code") {
		return gl.FieldError("code", "请求体中的类别代码与路径不一致")
	}
	c.Code = r.PathValue("code")
	if err := a.Svc.PutCategory(r.Context(), &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (a *API) departments(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	writeJSON(w, http.StatusOK, map[string]any{"items": a.Svc.Departments()})
	return nil
}

func (a *API) addDepartment(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	var d gl.Department
	if err := decode(w, r, &d); err != nil {
		return err
	}
	d.ID = 0
	if err := a.Svc.AddDepartment(r.Context(), &d); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}
