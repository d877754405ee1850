package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/limit"
)

// Signing in and out, and the permission gate of every staff page.
//
// A session holds the user's login name, display name and session generation. Each
// request reloads the user: a disabled account, or a session generation that moved on
// (sign out everywhere, a new password), ends the session on every node at once.

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
	ctx := service.WithAddress(r.Context(), limit.ClientAddr(r))
	user, err := u.svc.SignIn(ctx, name, pw)
	if err != nil {
		status, msg := http.StatusUnauthorized, T(langOf(r), "login.failed")
		switch gl.ErrorCode(err) {
		case gl.EUNAUTHORIZED:
		case gl.ETOOMANY:
			status, msg = http.StatusTooManyRequests, gl.ErrorMessage(err)
			limit.RetryAfterHeader(w, err)
		default:
			u.fail(w, r, err)
			return
		}
		f = form{"username": {name}} // keep the name, never the password
		u.renderPage(w, r, status, "login", &page{Title: T(langOf(r), "login.title"),
			Err: msg, Data: loginData{Form: f, Next: next}})
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
	sm.Put(r.Context(), "gen", user.SessionGen)
	if next == "" {
		next = "/work"
	}
	redirect(w, r, next)
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

// signedIn returns the principal of the request's session: nil when nobody is signed
// in, or the session is over (the account disabled or deleted, or signed out
// everywhere since), in which case the session is destroyed.
func (u *UI) signedIn(r *http.Request) (*service.Principal, error) {
	sm := u.sessions(r)
	name := sm.GetString(r.Context(), "user")
	if name == "" {
		return nil, nil
	}
	user, err := u.svc.UserByName(r.Context(), name)
	if err != nil && gl.ErrorCode(err) != gl.ENOTFOUND {
		return nil, err
	}
	if user == nil || user.Disabled || user.SessionGen != sessionGen(sm.Get(r.Context(), "gen")) {
		sm.Destroy(r.Context())
		return nil, nil
	}
	return u.svc.NewPrincipal(user), nil
}

// sessionGen reads the generation a session was signed in under (an old session
// without one is generation 0).
func sessionGen(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	}
	return 0
}

// need is the gate of a page that needs perm: without a session it sends the user to
// sign in (and back here afterwards); a user whose roles lack perm gets a 403 page
// naming it. Successful changes under admin.* permissions are written to the audit
// log (see audited).
func (u *UI) need(perm gl.Permission, h func(http.ResponseWriter, *http.Request, *service.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := u.signedIn(r)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if p == nil {
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
		r = r.WithContext(context.WithValue(service.WithAddress(r.Context(), limit.ClientAddr(r)), principalKey{}, p))
		if !p.Can(perm) {
			u.fail(w, r, service.Forbidden(perm))
			return
		}
		if perm.IsAdmin() && r.Method != http.MethodGet && r.Method != http.MethodHead {
			u.audited(w, r, p, perm, h)
			return
		}
		h(w, r, p)
	}
}

type principalKey struct{}

// principalOf is the signed-in staff user of a request that went through need.
func principalOf(r *http.Request) *service.Principal {
	p, _ := r.Context().Value(principalKey{}).(*service.Principal)
	return p
}
