package ui

import (
	"net/http"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// The admin pages (role admin): enough to set up a new city without the CLI. One file
// per area: admin_categories.go, admin_depts.go, admin_users.go, admin_routing.go,
// admin_calendar.go, admin_imports.go.

type adminHomeData struct {
	GeoVersion                            string
	Grids, RespGrids, Areas               int
	Categories, Departments, Users, Rules int
	SpecialDays                           int
}

func (u *UI) adminHome(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	ctx := r.Context()
	var d adminHomeData
	d.GeoVersion, d.Grids, d.RespGrids, d.Areas = u.svc.GeoStats()
	cats, err := u.svc.Categories(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rules, err := u.svc.RoutingRules(ctx, false)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	users, err := u.users(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Categories, d.Rules, d.Users = len(cats), len(rules), len(users)
	d.Departments, d.SpecialDays = len(u.svc.Departments()), len(u.svc.Calendar().Days())
	u.render(w, r, http.StatusOK, "admin", "admin.title", d)
}

// users lists every account. The service has no use case for it yet; reading the store
// directly is what the sign-in does too.
func (u *UI) users(r *http.Request) ([]gl.User, error) {
	var out []gl.User
	err := u.svc.DB.View(r.Context(), func(tx *store.Tx) error {
		var err error
		out, err = tx.Users(r.Context())
		return err
	})
	return out, err
}

// showFormError re-shows a form after err: a field message or a form-level one.
// It reports false (after showing an error page) for errors a form cannot show.
func (u *UI) formFailure(w http.ResponseWriter, r *http.Request, err error) (*page, int, bool) {
	field, msg, status := formError(err)
	if status >= 500 || status == http.StatusNotFound || status == http.StatusForbidden {
		u.fail(w, r, err)
		return nil, 0, false
	}
	pg := &page{Err: msg}
	if field != "" {
		pg.Err = T(langOf(r), "form.fix_errors")
		pg.Fields = map[string]string{field: msg}
	}
	return pg, status, true
}

// ids parses a list of ids (from a multi-select).
func ids(vals []string, field string) ([]int64, error) {
	var out []int64
	for _, s := range vals {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, gl.FieldError(field, "编号「%s」无效", s)
		}
		out = append(out, id)
	}
	return out, nil
}
