package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

type adminUsersData struct {
	Users []gl.User
	Roles []gl.Role
	Depts []deptOption
	Form  form // the add form
}

// DeptNames names the departments of a scope.
func (d adminUsersData) DeptNames(ids []int64) string { return deptNames(d.Depts, ids) }

func deptNames(depts []deptOption, ids []int64) string {
	var names []string
	for _, id := range ids {
		for _, o := range depts {
			if o.ID == id {
				names = append(names, o.Name)
			}
		}
	}
	return strings.Join(names, "、")
}

func (u *UI) adminUsers(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showUsers(w, r, http.StatusOK, form{}, &page{})
}

func (u *UI) showUsers(w http.ResponseWriter, r *http.Request, status int, f form, pg *page) {
	users, err := u.users(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	_, flat := deptTree(u.svc.Departments())
	pg.Title, pg.Data = T(langOf(r), "admin.users"), adminUsersData{Users: users, Roles: gl.StaffRoles, Depts: flat, Form: f}
	u.renderPage(w, r, status, "admin_users", pg)
}

// userFromForm reads roles and scope (and the display name) into usr.
func userFromForm(f form, usr *gl.User) error {
	usr.DisplayName = strings.TrimSpace(f.V("display_name"))
	usr.Roles = nil
	for _, s := range f["roles"] {
		usr.Roles = append(usr.Roles, gl.Role(s))
	}
	var err error
	if usr.DeptScope, err = ids(f["dept_scope"], "dept_scope"); err != nil {
		return err
	}
	usr.AreaScope = strings.FieldsFunc(f.V("area_scope"), func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	return nil
}

func (u *UI) adminUserAdd(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	usr := &gl.User{Name: strings.TrimSpace(f.V("name"))}
	if err = userFromForm(f, usr); err == nil {
		err = u.svc.AddUser(r.Context(), usr, f.V("password"))
	}
	if err != nil {
		delete(f, "password") // never sent back
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showUsers(w, r, status, f, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.user_added", usr.Name))
	redirect(w, r, "/admin/users")
}

type adminUserData struct {
	User  *gl.User
	Roles []gl.Role
	Depts []deptOption
	Form  form
	Self  bool // the signed-in admin's own account
	// Tokens are the user's live API tokens; LockedUntil is set while too many failed
	// sign-ins keep the account locked.
	Tokens      []gl.Token
	LockedUntil *time.Time
}

// DeptNames names the departments of a scope.
func (d adminUserData) DeptNames(ids []int64) string { return deptNames(d.Depts, ids) }

// userForm is a user's roles and scope as form fields.
func userForm(usr *gl.User) form {
	f := form{"display_name": {usr.DisplayName}, "area_scope": {strings.Join(usr.AreaScope, ", ")}}
	for _, r := range usr.Roles {
		f["roles"] = append(f["roles"], string(r))
	}
	for _, id := range usr.DeptScope {
		f["dept_scope"] = append(f["dept_scope"], str(id))
	}
	return f
}

func str(v any) string { return funcs["str"].(func(any) string)(v) }

func (u *UI) adminUser(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	usr, err := u.svc.UserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.showUser(w, r, p, http.StatusOK, usr, userForm(usr), &page{})
}

func (u *UI) showUser(w http.ResponseWriter, r *http.Request, p *service.Principal, status int, usr *gl.User, f form, pg *page) {
	_, flat := deptTree(u.svc.Departments())
	d := adminUserData{User: usr, Roles: gl.StaffRoles, Depts: flat, Form: f, Self: usr.ID == p.User.ID}
	var err error
	if d.Tokens, err = u.svc.Tokens(r.Context(), p, usr.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	until, locked, err := u.svc.AccountLocked(r.Context(), usr.Name)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if locked {
		d.LockedUntil = &until
	}
	pg.Title, pg.Data = T(langOf(r), "admin.user_edit", usr.Name), d
	u.renderPage(w, r, status, "admin_user", pg)
}

func (u *UI) adminUserSave(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	usr, err := u.svc.UserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orig := *usr
	if err = userFromForm(f, usr); err == nil && usr.ID == p.User.ID && !usr.HasRole(gl.RoleAdmin) {
		err = gl.FieldError("roles", "不能取消自己的管理员角色")
	}
	if err == nil {
		if usr.DisplayName == "" {
			usr.DisplayName = usr.Name
		}
		err = u.svc.UpdateUser(r.Context(), usr)
	}
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if ok {
			u.showUser(w, r, p, status, &orig, f, pg)
		}
		return
	}
	u.flash(r, T(langOf(r), "admin.user_saved", usr.Name))
	redirect(w, r, "/admin/users")
}

// adminUserToggle disables or enables an account, sets a new password (which signs
// the user out everywhere), signs the user out everywhere, unlocks an account locked
// by failed sign-ins, or revokes all of the user's API tokens.
func (u *UI) adminUserToggle(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	usr, err := u.svc.UserByName(r.Context(), r.PathValue("name"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	op := r.PathValue("op")
	back := "/admin/users/" + url.PathEscape(usr.Name)
	switch op {
	case "disable", "enable":
		if usr.ID == p.User.ID {
			u.fail(w, r, gl.Errorf(gl.EINVALID, "不能停用自己的账号"))
			return
		}
		usr.Disabled = op == "disable"
		if err := u.svc.UpdateUser(r.Context(), usr); err != nil {
			u.fail(w, r, err)
			return
		}
		u.flash(r, T(lang, "admin.user_"+op+"d", usr.Name))
		redirect(w, r, "/admin/users")
	case "signout":
		gen, err := u.svc.SignOutEverywhere(r.Context(), p, usr.ID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if usr.ID == p.User.ID {
			u.sessions(r).Put(r.Context(), "gen", gen) // this session goes on
		}
		u.flash(r, T(lang, "admin.user_signed_out", usr.Name))
		redirect(w, r, back)
	case "unlock":
		if err := u.svc.UnlockAccount(r.Context(), p, usr.Name); err != nil {
			u.fail(w, r, err)
			return
		}
		u.flash(r, T(lang, "admin.user_unlocked", usr.Name))
		redirect(w, r, back)
	case "revoke-tokens":
		n, err := u.svc.RevokeAllTokens(r.Context(), p, usr.ID)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		u.flash(r, T(lang, "admin.user_tokens_revoked", n, usr.Name))
		redirect(w, r, back)
	case "password":
		gen, err := u.svc.SetPassword(r.Context(), p, usr.ID, f.V("password"))
		if err == nil && usr.ID == p.User.ID {
			u.sessions(r).Put(r.Context(), "gen", gen)
		}
		if err != nil {
			pg, status, ok := u.formFailure(w, r, err)
			if ok {
				pg.Fields = map[string]string{"password": gl.ErrorMessage(err)}
				u.showUser(w, r, p, status, usr, userForm(usr), pg)
			}
			return
		}
		u.flash(r, T(lang, "admin.password_set", usr.Name))
		redirect(w, r, back)
	default:
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "未知操作「%s」", op))
	}
}
