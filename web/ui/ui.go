// Package ui is gridloop's server-rendered web interface: html/template pages for
// citizens (report, track) and staff (workbench, case lists, case pages), Chinese
// first, working without JavaScript.
package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	gstore "github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/limit"
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

	// Limits rate-limits citizens' intake (nil: none): reports and reporters'
	// actions per client address, actions per tracking token.
	Limits *limit.Limits

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
	// Sessions live in the database (store/session.go): every node sees them, and a
	// restart signs no one out.
	store := gstore.NewSessionStore(svc.DB)
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

// Route is one page or endpoint of the UI and the permission it needs. Register
// refuses a route without a known permission; the permission matrix test
// (web/perm_test.go) calls every route as every role.
type Route struct {
	Pattern string // "METHOD /path", as http.ServeMux reads it
	Perm    gl.Permission
	// Handle serves the route; p is the signed-in user, nil on public routes.
	Handle func(w http.ResponseWriter, r *http.Request, p *service.Principal)
}

// public adapts a page that needs no sign-in.
func public(h http.HandlerFunc) func(http.ResponseWriter, *http.Request, *service.Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ *service.Principal) { h(w, r) }
}

// Routes is the UI's route table.
func (u *UI) Routes() []Route {
	return []Route{
		{"GET /static/{path...}", gl.PermPublic, public(u.static.ServeHTTP)},
		{"GET /{$}", gl.PermPublic, public(u.home)},
		{"GET /report", gl.PermPublic, public(u.reportForm)},
		{"POST /report", gl.PermPublic, public(u.reportSubmit)},
		{"GET /report/done", gl.PermPublic, public(u.reportDone)},
		{"GET /track", gl.PermPublic, public(u.trackLookup)},
		{"GET /track/{token}", gl.PermPublic, public(u.track)},
		{"POST /track/{token}/{action}", gl.PermPublic, public(u.trackAct)},
		{"GET /login", gl.PermPublic, public(u.loginForm)},
		{"POST /login", gl.PermPublic, public(u.loginSubmit)},
		{"POST /logout", gl.PermPublic, public(u.logout)},
		{"GET /account", gl.PermAccountSelf, u.account},
		{"POST /account/password", gl.PermAccountSelf, u.accountPassword},
		{"POST /account/signout-everywhere", gl.PermAccountSelf, u.accountSignOutEverywhere},
		{"POST /account/tokens", gl.PermAccountSelf, u.accountTokenAdd},
		{"POST /account/tokens/{id}/revoke", gl.PermAccountSelf, u.accountTokenRevoke},
		{"GET /work", gl.PermAccountSelf, u.work},
		{"GET /cases", gl.PermCaseRead, u.cases},
		{"GET /cases/new", gl.PermReportCreate, u.callForm},
		{"POST /cases/new", gl.PermReportCreate, u.callSubmit},
		{"POST /cases/{code}/callers", gl.PermReportCreate, u.callFollow},
		{"GET /cases/{code}", gl.PermCaseRead, u.casePage},
		{"POST /cases/{code}/actions/{action}", gl.PermCaseAct, u.caseAct},
		{"POST /cases/{code}/reveal", gl.PermPIIReveal, u.caseReveal},
		{"GET /photos/{id}", gl.PermPublic, public(u.photo)},
		{"GET /photos/{id}/thumb", gl.PermPublic, public(u.photoThumb)},
		{"GET /report/areas.json", gl.PermPublic, public(u.publicAreas)},
		{"GET /report/locate.json", gl.PermPublic, public(u.publicLocate)},
		{"GET /map", gl.PermCaseRead, u.mapPage},
		{"GET /map/cases.json", gl.PermCaseRead, u.mapCases},
		{"GET /map/areas.json", gl.PermRefRead, u.mapAreas},
		{"GET /map/grids.json", gl.PermRefRead, u.mapGrids},
		{"GET /map/grids/{code}", gl.PermRefRead, u.mapGrid},
		{"GET /grid", gl.PermGridWork, u.gridTasks},
		{"GET /grid/tasks/{code}", gl.PermGridWork, u.gridTask},
		{"POST /grid/tasks/{code}", gl.PermGridWork, u.gridTaskAct},
		{"GET /grid/report", gl.PermGridWork, u.patrolForm},
		{"POST /grid/report", gl.PermGridWork, u.patrolSubmit},
		{"GET /admin", gl.PermAdminConsole, u.adminHome},
		{"GET /admin/categories", gl.PermAdminCategories, u.adminCategories},
		{"GET /admin/categories/new", gl.PermAdminCategories, u.adminCategoryNew},
		{"GET /admin/categories/{code}", gl.PermAdminCategories, u.adminCategory},
		{"POST /admin/categories", gl.PermAdminCategories, u.adminCategorySave},
		{"GET /admin/departments", gl.PermAdminDepartments, u.adminDepts},
		{"POST /admin/departments", gl.PermAdminDepartments, u.adminDeptAdd},
		{"GET /admin/users", gl.PermAdminUsers, u.adminUsers},
		{"POST /admin/users", gl.PermAdminUsers, u.adminUserAdd},
		{"GET /admin/users/{name}", gl.PermAdminUsers, u.adminUser},
		{"POST /admin/users/{name}", gl.PermAdminUsers, u.adminUserSave},
		{"POST /admin/users/{name}/{op}", gl.PermAdminUsers, u.adminUserToggle},
		{"GET /admin/routing", gl.PermAdminRouting, u.adminRouting},
		{"POST /admin/routing", gl.PermAdminRouting, u.adminRoutingAdd},
		{"POST /admin/routing/{id}/retire", gl.PermAdminRouting, u.adminRoutingRetire},
		{"GET /admin/calendar", gl.PermAdminCalendar, u.adminCalendar},
		{"POST /admin/calendar", gl.PermAdminCalendar, u.adminCalendarAdd},
		{"POST /admin/calendar/import", gl.PermAdminCalendar, u.adminCalendarImport},
		{"POST /admin/calendar/{date}/delete", gl.PermAdminCalendar, u.adminCalendarDelete},
		{"GET /admin/imports", gl.PermAdminImports, u.adminImports},
		{"POST /admin/imports/{kind}", gl.PermAdminImports, u.adminImportStart},
		{"GET /admin/imports/jobs/{id}", gl.PermAdminImports, u.adminImportJob},
		{"GET /admin/imports/jobs/{id}/progress", gl.PermAdminImports, u.adminImportProgress},
		{"GET /admin/audit", gl.PermAuditRead, u.adminAudit},
		// The citizen's side: following a similar case, public reporting, messages (public*.go).
		{"POST /report/follow", gl.PermPublic, public(u.reportFollow)},
		{"GET /public", gl.PermPublic, public(u.publicBoard)},
		{"GET /public/cases/{code}", gl.PermPublic, public(u.publicCase)},
		{"GET /public/map", gl.PermPublic, public(u.publicMap)},
		{"GET /public/cases.json", gl.PermPublic, public(u.publicCasesJSON)},
		{"GET /public/stats", gl.PermPublic, public(u.publicStats)},
		{"POST /work/notifications/read", gl.PermAccountSelf, u.workRead},
		// The command dashboard (command.go).
		{"GET /command", gl.PermEvalRead, u.commandPage},
		{"GET /command/data.json", gl.PermEvalRead, u.commandData},
		{"GET /command/events/stream", gl.PermEvalRead, u.commandStream},
		// Evaluation and reports (evaluation.go).
		{"GET /evaluation", gl.PermEvalRead, u.evaluationPage},
		{"GET /evaluation/indicators", gl.PermEvalRead, u.indicatorsPage},
		{"GET /admin/evaluation", gl.PermAdminEvaluation, u.adminEvaluation},
		{"POST /admin/evaluation", gl.PermAdminEvaluation, u.adminEvaluationSave},
		{"GET /reports", gl.PermEvalRead, u.reports},
		{"GET /reports/evaluation.xlsx", gl.PermEvalRead, u.reportsWorkbook},
		{"POST /reports/exports", gl.PermExportCases, u.reportsExportStart},
		{"GET /reports/exports/{id}", gl.PermExportCases, u.reportsExportJob},
		{"GET /reports/exports/{id}/progress", gl.PermExportCases, u.reportsExportProgress},
		{"GET /reports/exports/{id}/file", gl.PermExportCases, u.reportsExportFile},
	}
}

// CheckRoutes reports the first route without a known permission.
func CheckRoutes(routes []Route) error {
	for _, rt := range routes {
		if !rt.Perm.Valid() {
			return fmt.Errorf("ui: route %s declares no known permission (%q): every route must", rt.Pattern, rt.Perm)
		}
		if rt.Handle == nil {
			return fmt.Errorf("ui: route %s has no handler", rt.Pattern)
		}
	}
	return nil
}

// Register mounts the pages on mux. It panics on a route without a permission: that
// is a programming error, which the tests catch before anyone runs it.
func (u *UI) Register(mux *http.ServeMux) {
	routes := u.Routes()
	if err := CheckRoutes(routes); err != nil {
		panic(err)
	}
	for _, rt := range routes {
		h := rt.Handle
		if intake[rt.Pattern] {
			h = u.limited(h)
		}
		switch {
		case strings.HasPrefix(rt.Pattern, "GET /static/"):
			// Static files need neither the session nor the language.
			mux.Handle(rt.Pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, nil) }))
		case rt.Perm == gl.PermPublic:
			mux.Handle(rt.Pattern, u.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, r, nil) })))
		default:
			mux.Handle(rt.Pattern, u.wrap(u.need(rt.Perm, h)))
		}
	}
}

// intake are the citizens' posts: rate-limited per client address and, with a
// tracking token in the path, per token (docs/security.md).
var intake = map[string]bool{
	"POST /report":                 true,
	"POST /report/follow":          true,
	"POST /track/{token}/{action}": true,
}

// limited takes a token from the client address's bucket (and the tracking token's)
// before h, and answers 429 with Retry-After when there is none.
func (u *UI) limited(h func(http.ResponseWriter, *http.Request, *service.Principal)) func(http.ResponseWriter, *http.Request, *service.Principal) {
	return func(w http.ResponseWriter, r *http.Request, p *service.Principal) {
		err := u.Limits.AllowAddress(r)
		if tok := r.PathValue("token"); err == nil && tok != "" {
			err = u.Limits.AllowToken("track:" + service.TrackingHash(tok))
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		h(w, r, p)
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
		"; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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
	if secureRequest(r) {
		return u.secure
	}
	return u.plain
}

// secureRequest reports whether r came over TLS: directly, or to a trusted reverse
// proxy that says so (X-Forwarded-Proto: https, with GRIDLOOP_TRUST_PROXY=1).
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || (limit.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

type langKey struct{}

// lang picks the language: ?lang= (remembered in a cookie), then the cookie, then Chinese.
func (u *UI) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		l = normLang(l)
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secureRequest(r)})
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
