package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// dummyHash is checked against when the user does not exist, so that a wrong user
// name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string { return service.HashPassword("gridloop-no-such-user") })

type loginData struct {
	Form form
	Next string
}

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	if u.sessions(r).GetString(r.Context(), "user") != "" {
		redirect(w, r, "/work")
		return
	}
	next := localPath(r.URL.Query().Get("next"))
	u.render(w, r, http.StatusOK, "login", "login.title", loginData{Form: form{}, Next: next})
}

func (u *UI) loginSubmit(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	name, pw := strings.TrimSpace(f.V("username")), f.V("password")
	next := localPath(f.V("next"))
	user, ok := u.checkLogin(r.Context(), name, pw)
	if !ok {
		f = form{"username": {name}} // keep the name, never the password
		u.renderPage(w, r, http.StatusUnauthorized, "login", &page{Title: T(langOf(r), "login.title"),
			Err: T(langOf(r), "login.failed"), Data: loginData{Form: f, Next: next}})
		return
	}
	sm := u.sessions(r)
	// A new session token on sign-in defeats session fixation.
	if err := sm.RenewToken(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	sm.Put(r.Context(), "user", user.Name)
	sm.Put(r.Context(), "display", displayName(user))
	if next == "" {
		next = "/work"
	}
	redirect(w, r, next)
}

// checkLogin verifies name and password; disabled users and unknown names fail the
// same way as a wrong password.
func (u *UI) checkLogin(ctx context.Context, name, pw string) (*gl.User, bool) {
	var user *gl.User
	var hash string
	err := u.svc.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		user, hash, err = tx.UserByName(ctx, name)
		return err
	})
	if err != nil {
		if gl.ErrorCode(err) != gl.ENOTFOUND {
			u.log.Error("ui: login lookup", "err", err)
		}
		service.CheckPassword(dummyHash(), pw)
		return nil, false
	}
	if !service.CheckPassword(hash, pw) || user.Disabled {
		return nil, false
	}
	return user, true
}

func displayName(u *gl.User) string {
	if u.DisplayName != "" {
		return u.DisplayName
	}
	return u.Name
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if err := u.sessions(r).Destroy(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	redirect(w, r, "/")
}

// staff requires a signed-in, enabled user and passes its principal on.
func (u *UI) staff(h func(http.ResponseWriter, *http.Request, *service.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sm := u.sessions(r)
		name := sm.GetString(r.Context(), "user")
		var user *gl.User
		if name != "" {
			var err error
			user, err = u.svc.UserByName(r.Context(), name)
			if err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
				u.fail(w, r, err)
				return
			}
		}
		if user == nil || user.Disabled {
			if name != "" {
				sm.Destroy(r.Context())
			}
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = r.URL.Path
				if i := strings.Index(next, "/actions/"); i >= 0 {
					next = next[:i]
				}
			}
			redirect(w, r, "/login?next="+url.QueryEscape(next))
			return
		}
		p := u.svc.NewPrincipal(user)
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), p)
	}
}

type principalKey struct{}

// principalOf is the signed-in staff user of a request that went through staff.
func principalOf(r *http.Request) *service.Principal {
	p, _ := r.Context().Value(principalKey{}).(*service.Principal)
	return p
}

// withRole is staff, and refuses users without role with a 403 page.
func (u *UI) withRole(role gl.Role, h func(http.ResponseWriter, *http.Request, *service.Principal)) http.HandlerFunc {
	return u.staff(func(w http.ResponseWriter, r *http.Request, p *service.Principal) {
		if !p.User.HasRole(role) {
			u.fail(w, r, gl.Errorf(gl.EFORBIDDEN, "此页面需要「%s」角色", role.Label(langOf(r))))
			return
		}
		h(w, r, p)
	})
}

// admin is for administrators only.
func (u *UI) admin(h func(http.ResponseWriter, *http.Request, *service.Principal)) http.HandlerFunc {
	return u.withRole(gl.RoleAdmin, h)
}

// gridWorker is for grid workers only.
func (u *UI) gridWorker(h func(http.ResponseWriter, *http.Request, *service.Principal)) http.HandlerFunc {
	return u.withRole(gl.RoleGridMember, h)
}
