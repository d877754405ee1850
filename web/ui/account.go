package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// The account page: one's own password, API tokens (narrower than oneself if wanted)
// and signing out everywhere.

type accountData struct {
	User   *gl.User
	Perms  []gl.Permission // what the user's roles hold, for a token's permissions
	Depts  []deptOption    // departments a token may be narrowed to
	Tokens []gl.Token
	Form   form   // the token form that failed
	Secret string // a token just issued, shown once
	Issued *gl.Token
}

// DeptNames names the departments of a scope.
func (d accountData) DeptNames(ids []int64) string { return deptNames(d.Depts, ids) }

func (u *UI) account(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showAccount(w, r, p, http.StatusOK, &page{}, accountData{Form: form{}})
}

func (u *UI) showAccount(w http.ResponseWriter, r *http.Request, p *service.Principal, status int, pg *page, d accountData) {
	tokens, err := u.svc.Tokens(r.Context(), p, p.User.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	_, flat := deptTree(u.svc.Departments())
	if len(p.User.DeptScope) > 0 {
		flat = slices.DeleteFunc(flat, func(o deptOption) bool { return !slices.Contains(p.Depts, o.ID) })
	}
	d.User, d.Perms, d.Depts, d.Tokens = p.User, gl.PermissionsOf(p.User.Roles), flat, tokens
	pg.Title, pg.Data = T(langOf(r), "account.title"), d
	u.renderPage(w, r, status, "account", pg)
}

// accountPassword changes one's own password; every other session ends, this one
// goes on under the new session generation.
func (u *UI) accountPassword(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	gen, err := u.svc.ChangeOwnPassword(r.Context(), p, f.V("current_password"), f.V("password"))
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showAccount(w, r, p, status, pg, accountData{Form: form{}})
		}
		return
	}
	sm := u.sessions(r)
	if err := sm.RenewToken(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	sm.Put(r.Context(), "gen", gen)
	u.flash(r, T(langOf(r), "account.password_changed"))
	redirect(w, r, "/account")
}

// accountSignOutEverywhere ends every session of the user, this one included.
func (u *UI) accountSignOutEverywhere(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	if _, err := u.svc.SignOutEverywhere(r.Context(), p, p.User.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	if err := u.sessions(r).Destroy(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	redirect(w, r, "/login")
}

// tokenOptions reads the token form.
func tokenOptions(f form) (service.TokenOptions, error) {
	opts := service.TokenOptions{Name: strings.TrimSpace(f.V("name"))}
	if opts.Name == "" {
		return opts, gl.FieldError("name", "请填写令牌名称")
	}
	if s := strings.TrimSpace(f.V("ttl_days")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3650 {
			return opts, gl.FieldError("ttl_days", "有效天数须为 0 到 3650 之间的整数（0 为不过期）")
		}
		opts.TTL = time.Duration(n) * 24 * time.Hour
	}
	opts.AreaScope = strings.FieldsFunc(f.V("area_scope"), func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	var err error
	if opts.DeptScope, err = ids(f["dept_scope"], "dept_scope"); err != nil {
		return opts, err
	}
	for _, s := range f["permissions"] {
		opts.Perms = append(opts.Perms, gl.Permission(s))
	}
	return opts, nil
}

// accountTokenAdd issues an API token and shows its secret, once.
func (u *UI) accountTokenAdd(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	opts, err := tokenOptions(f)
	var secret string
	var tok *gl.Token
	if err == nil {
		secret, tok, err = u.svc.IssueTokenWith(r.Context(), p, p.User.Name, opts)
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showAccount(w, r, p, status, pg, accountData{Form: f})
		}
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	u.showAccount(w, r, p, http.StatusOK, &page{Flash: T(langOf(r), "account.token_issued", tok.Name)},
		accountData{Form: form{}, Secret: secret, Issued: tok})
}

// accountTokenRevoke revokes one of the user's tokens.
func (u *UI) accountTokenRevoke(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "令牌不存在"))
		return
	}
	if err := u.svc.RevokeTokenOf(r.Context(), p, id); err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(langOf(r), "account.token_revoked"))
	redirect(w, r, "/account")
}
