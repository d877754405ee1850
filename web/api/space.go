package api

import (
	"net/http"
	"strconv"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

func floatParam(s, name, label string, lo, hi float64) (float64, error) {
	if s == "" {
		return 0, gl.FieldError(name, "请提供%s（%s）", label, name)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < lo || f > hi || f != f {
		return 0, gl.FieldError(name, "%s须为 %g 到 %g 之间的数", label, lo, hi)
	}
	return f, nil
}

// locate places a point: GET /api/v1/locate?lat=&lng=.
func (a *API) locate(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	q := r.URL.Query()
	lat, err := floatParam(q.Get("lat"), "lat", "纬度", -90, 90)
	if err != nil {
		return err
	}
	lng, err := floatParam(q.Get("lng"), "lng", "经度", -180, 180)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.Svc.Locate(lat, lng))
	return nil
}

// areas lists the children of ?parent= (the top of the tree without it).
func (a *API) areas(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	items, err := a.Svc.Areas(r.Context(), r.URL.Query().Get("parent"))
	if err != nil {
		return err
	}
	if items == nil {
		items = []gl.Area{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) routingRules(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	return a.listRules(w, r, false)
}

func (a *API) routingHistory(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	return a.listRules(w, r, true)
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request, history bool) error {
	items, err := a.Svc.RoutingRules(r.Context(), history)
	if err != nil {
		return err
	}
	if items == nil {
		items = []gl.RoutingRule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// addRoutingRule adds a rule; with "replaces" it is an edit (the old rule is retired).
func (a *API) addRoutingRule(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var in service.RoutingRuleInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rule, err := a.Svc.AddRoutingRule(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rule)
	return nil
}

// retireRoutingRule retires a rule; it stays in the history.
func (a *API) retireRoutingRule(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return gl.Errorf(gl.ENOTFOUND, "分派规则 %s 不存在", r.PathValue("id"))
	}
	if err := a.Svc.RetireRoutingRule(r.Context(), p, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
