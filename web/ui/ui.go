// Package ui is gridloop's server-rendered web interface: html/template pages for
// citizens (report, track) and staff (workbench, case lists, case pages), Chinese
// first, working without JavaScript.
package ui

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/gridloop/gridloop/service"
)

// UI serves the pages.
type UI struct {
	svc *service.Service
	log *slog.Logger
	// Two session managers over one store: the same cookie, marked Secure when the
	// request came over TLS. Use u.sessions(r) to get the right one.
	plain, secure *scs.SessionManager
	tpl           *templates
	static        *staticFiles
	csrf          *http.CrossOriginProtection
	csp           string // Content-Security-Policy, with the tile server's origin if any

	// Tiles is the map tile URL template (Leaflet's {s}/{z}/{x}/{y}), from env
	// GRIDLOOP_TILES; empty draws the vector layers on a plain background.
	Tiles, TilesAttribution string

	jobsMu sync.Mutex
	jobs   map[string]*importJob // admin imports in progress or done (admin_imports.go)
}

// New builds the UI over svc: parses the templates and the message catalogs.
func New(svc *service.Service, log *slog.Logger) (*UI, error) {
	if log == nil {
		log = slog.Default()
	}
	u := &UI{svc: svc, log: log, csrf: http.NewCrossOriginProtection(), jobs: map[string]*importJob{},
		Tiles: os.Getenv("GRIDLOOP_TILES"), TilesAttribution: os.Getenv("GRIDLOOP_TILES_ATTRIBUTION")}
	u.csp = contentSecurityPolicy(u.Tiles)
	var err error
	if u.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if u.tpl, err = loadTemplates(); err != nil {
		return nil, err
	}
	// In-memory sessions for now: they are lost on restart and not shared between
	// nodes. A database-backed store comes with the accounts issue.
	store := memstore.New()
	mk := func(secure bool) *scs.SessionManager {
		sm := scs.New()
		sm.Store = store
		sm.Lifetime = 12 * time.Hour
		sm.IdleTimeout = 2 * time.Hour
		sm.Cookie.Name = "gridloop_session"
		sm.Cookie.HttpOnly = true
		sm.Cookie.SameSite = http.SameSiteLaxMode
		sm.Cookie.Secure = secure
		sm.Cookie.Path = "/"
		sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
			log.Error("session", "path", r.URL.Path, "err", err)
			http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
		}
		return sm
	}
	u.plain, u.secure = mk(false), mk(true)
	return u, nil
}

// Must panics if New failed; the templates and catalogs are embedded, so a failure
// is a programming error.
func Must(u *UI, err error) *UI {
	if err != nil {
		panic(err)
	}
	return u
}

// Register mounts the pages on mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/{path...}", u.static)
	routes := []struct {
		pattern string
		h       http.HandlerFunc
	}{
		{"GET /{$}", u.home},
		{"GET /report", u.reportForm},
		{"POST /report", u.reportSubmit},
		{"GET /report/done", u.reportDone},
		{"GET /track", u.trackLookup},
		{"GET /track/{token}", u.track},
		{"POST /track/{token}/{action}", u.trackAct},
		{"GET /login", u.loginForm},
		{"POST /login", u.loginSubmit},
		{"POST /logout", u.logout},
		{"GET /work", u.staff(u.work)},
		{"GET /cases", u.staff(u.cases)},
		{"GET /cases/{code}", u.staff(u.casePage)},
		{"POST /cases/{code}/actions/{action}", u.staff(u.caseAct)},
		{"GET /photos/{id}", u.photo},
		{"GET /photos/{id}/thumb", u.photoThumb},
		{"GET /report/areas.json", u.publicAreas},
		{"GET /report/locate.json", u.publicLocate},
		{"GET /map", u.staff(u.mapPage)},
		{"GET /map/cases.json", u.staff(u.mapCases)},
		{"GET /map/areas.json", u.staff(u.mapAreas)},
		{"GET /map/grids.json", u.staff(u.mapGrids)},
		{"GET /map/grids/{code}", u.staff(u.mapGrid)},
		{"GET /grid", u.gridWorker(u.gridTasks)},
		{"GET /grid/tasks/{code}", u.gridWorker(u.gridTask)},
		{"POST /grid/tasks/{code}", u.gridWorker(u.gridTaskAct)},
		{"GET /grid/report", u.gridWorker(u.patrolForm)},
		{"POST /grid/report", u.gridWorker(u.patrolSubmit)},
		{"GET /admin", u.admin(u.adminHome)},
		{"GET /admin/categories", u.admin(u.adminCategories)},
		{"GET /admin/categories/new", u.admin(u.adminCategoryNew)},
		{"GET /admin/categories/{code}", u.admin(u.adminCategory)},
		{"POST /admin/categories", u.admin(u.adminCategorySave)},
		{"GET /admin/departments", u.admin(u.adminDepts)},
		{"POST /admin/departments", u.admin(u.adminDeptAdd)},
		{"GET /admin/users", u.admin(u.adminUsers)},
		{"POST /admin/users", u.admin(u.adminUserAdd)},
		{"GET /admin/users/{name}", u.admin(u.adminUser)},
		{"POST /admin/users/{name}", u.admin(u.adminUserSave)},
		{"POST /admin/users/{name}/{op}", u.admin(u.adminUserToggle)},
		{"GET /admin/routing", u.admin(u.adminRouting)},
		{"POST /admin/routing", u.admin(u.adminRoutingAdd)},
		{"POST /admin/routing/{id}/retire", u.admin(u.adminRoutingRetire)},
		{"GET /admin/calendar", u.admin(u.adminCalendar)},
		{"POST /admin/calendar", u.admin(u.adminCalendarAdd)},
		{"POST /admin/calendar/import", u.admin(u.adminCalendarImport)},
		{"POST /admin/calendar/{date}/delete", u.admin(u.adminCalendarDelete)},
		{"GET /admin/imports", u.admin(u.adminImports)},
		{"POST /admin/imports/{kind}", u.admin(u.adminImportStart)},
		{"GET /admin/imports/jobs/{id}", u.admin(u.adminImportJob)},
		{"GET /admin/imports/jobs/{id}/progress", u.admin(u.adminImportProgress)},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, u.wrap(rt.h))
	}
}

// wrap adds what every page needs: security headers, the language, the session, and
// cross-origin protection for state-changing requests (CSRF).
func (u *UI) wrap(h http.Handler) http.Handler {
	protected := u.csrf.Handler(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", u.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin") // tracking tokens live in URLs
		hd.Set("X-Frame-Options", "DENY")
		r = r.WithContext(context.WithValue(r.Context(), langKey{}, u.lang(w, r)))
		u.sessions(r).LoadAndSave(protected).ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only this site, plus images from the tile server when
// tiles is a tile URL template.
func contentSecurityPolicy(tiles string) string {
	img := "'self' data:"
	if o := tileOrigin(tiles); o != "" {
		img += " " + o
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img +
		"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// tileOrigin is the CSP source of a tile URL template: its scheme and host, with a
// "{s}" subdomain placeholder widened to "*." of the rest of the host.
func tileOrigin(tiles string) string {
	u, err := url.Parse(strings.NewReplacer("{s}", "s", "{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(tiles))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := u.Host
	if i := strings.Index(tiles, "{s}"); i >= 0 && strings.Contains(tiles[:i], "//") && !strings.Contains(tiles[strings.Index(tiles, "//")+2:i], "/") {
		if j := strings.Index(host, "."); j >= 0 {
			host = "*" + host[j:]
		}
	}
	return u.Scheme + "://" + host
}

func (u *UI) sessions(r *http.Request) *scs.SessionManager {
	if r.TLS != nil {
		return u.secure
	}
	return u.plain
}

type langKey struct{}

// lang picks the language: ?lang= (remembered in a cookie), then the cookie, then Chinese.
func (u *UI) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		l = normLang(l)
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		return l
	}
	if c, err := r.Cookie("lang"); err == nil {
		return normLang(c.Value)
	}
	return "zh"
}

func normLang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "zh"
}

func langOf(r *http.Request) string {
	if l, ok := r.Context().Value(langKey{}).(string); ok {
		return l
	}
	return "zh"
}

// flash stores a one-time message shown on the next page.
func (u *UI) flash(r *http.Request, msg string) { u.sessions(r).Put(r.Context(), "flash", msg) }

// redirect answers a POST with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localPath keeps next-page redirects on this site.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.Contains(p, `\`) {
		return ""
	}
	if _, err := url.ParseRequestURI(p); err != nil {
		return ""
	}
	return p
}

func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "home", "home.title", nil)
}
