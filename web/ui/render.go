package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/web/limit"
	"github.com/gridloop/gridloop/worktime"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// templates holds one template set per page, each with the layout.
type templates struct{ pages map[string]*template.Template }

func loadTemplates() (*templates, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// Files named _*.html hold partials shared by the pages.
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		files := append([]string{"templates/layout.html", n}, partials...)
		p, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", n, err)
		}
		t.pages[base] = p
	}
	return t, nil
}

var funcs = template.FuncMap{
	"excerpt": func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n]) + "…"
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
	"str":  func(v any) string { return fmt.Sprint(v) },
	// thumb is the thumbnail URL of a stored photo's URL, "" for any other link.
	"thumb": func(url string) string {
		if _, ok := service.PhotoID(url); ok {
			return url + "/thumb"
		}
		return ""
	},
	"photoURL": service.PhotoURL,
}

// page is what every template gets: the language and its catalog, the signed-in user,
// a flash message, and the page's own data in Data.
type page struct {
	Lang     string
	Title    string
	Path     string
	UserName string // display name of the signed-in staff user, "" when none
	// Admin and Grid say whether the signed-in user sees the admin and grid worker
	// links (known on staff pages only).
	// Eval, the evaluation and report links (evaluation.read); Call, the link to
	// register a call, for those who take calls (the form needs report.create, which
	// grid workers hold for their patrol form).
	Admin, Grid, Eval, Call bool
	Flash                   string
	Err                     string            // form-level error
	Fields                  map[string]string // field name → error message
	Data                    any

	u        *UI
	revealed *service.Reporter // the case page's reporter, revealed (caseReveal)
}

// T translates a catalog key.
func (p *page) T(key string, args ...any) string { return T(p.Lang, key, args...) }

// Status is a status label; Action, Role and Channel likewise.
func (p *page) Status(s gl.Status) string   { return s.Label(p.Lang) }
func (p *page) Action(a gl.Action) string   { return a.Label(p.Lang) }
func (p *page) Role(r gl.Role) string       { return r.Label(p.Lang) }
func (p *page) Channel(c gl.Channel) string { return c.Label(p.Lang) }

// Light is a deadline light's text label.
func (p *page) Light(l worktime.Light) string { return l.Label(p.Lang) }

// Unit is a time unit's label.
func (p *page) Unit(u worktime.Unit) string { return u.Label(p.Lang) }

// Time formats t in the city's time zone.
func (p *page) Time(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return ""
		}
		v = *x
	default:
		return ""
	}
	if v.IsZero() {
		return ""
	}
	return v.In(p.u.svc.Calendar().Location()).Format("2006-01-02 15:04")
}

// photoList is a case's photos with the page, for the photo-list partial.
type photoList struct {
	Page *page
	URLs []string
}

// AreaNames is the chain of names of an area below the city ("" when unknown).
func (p *page) AreaNames(code string) string { return p.u.areaNames(code) }

// EventPhotos are the photos an event carries.
func (p *page) EventPhotos(e gl.Event) []string { return service.EventPhotos(e) }

// PhotoList pairs photo URLs with the page.
func (p *page) PhotoList(urls []string) photoList { return photoList{Page: p, URLs: urls} }

// Static is the content-addressed URL of a static file.
func (p *page) Static(name string) string { return p.u.static.url(name) }

// Dept is a department's name.
func (p *page) Dept(id int64) string {
	if d, ok := p.u.svc.Depts().Get(id); ok {
		return d.Name
	}
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("#%d", id)
}

// render writes the page with status.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data any) {
	u.renderPage(w, r, status, name, &page{Title: T(langOf(r), titleKey), Data: data})
}

func (u *UI) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := u.tpl.pages[name]
	if !ok {
		u.log.Error("ui: no such template", "name", name)
		http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
		return
	}
	p.u, p.Lang, p.Path = u, langOf(r), r.URL.Path
	sm := u.sessions(r)
	p.UserName = sm.GetString(r.Context(), "display")
	if pr := principalOf(r); pr != nil {
		p.Admin, p.Grid = pr.User.HasRole(gl.RoleAdmin), pr.User.HasRole(gl.RoleGridMember)
		p.Eval = pr.Can(gl.PermEvalRead)
		p.Call = pr.Can(gl.PermReportCreate) && (pr.User.HasRole(gl.RoleOperator) || pr.User.HasRole(gl.RoleShiftLead))
	}
	if f := sm.PopString(r.Context(), "flash"); f != "" && p.Flash == "" {
		p.Flash = f
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		u.log.Error("ui: render", "page", name, "err", err)
		http.Error(w, "内部错误 (internal error)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page for err; only internal errors are logged.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := gl.ErrorCode(err)
	if code == gl.EINTERNAL {
		u.log.Error("ui: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	limit.RetryAfterHeader(w, err)
	u.renderPage(w, r, api.StatusOf(code), "error", &page{Title: T(langOf(r), "error.title"), Err: gl.ErrorMessage(err)})
}

// formError splits err into a field message or a form-level one, and the HTTP status.
func formError(err error) (field, msg string, status int) {
	var e *gl.Error
	if errors.As(err, &e) {
		st := api.StatusOf(e.Code)
		if e.Code == gl.EINVALID {
			st = http.StatusUnprocessableEntity
		}
		return e.Field, e.Message, st
	}
	return "", gl.ErrorMessage(err), http.StatusInternalServerError
}

// actionFault splits err from an action a form asked for, to show the form again with
// it: under its field when it has one, and the status. It shows an error page instead,
// and returns nil, for a failure of ours or something not found.
func (u *UI) actionFault(w http.ResponseWriter, r *http.Request, err error) (*page, int) {
	field, msg, status := formError(err)
	if status >= 500 || status == http.StatusNotFound {
		u.fail(w, r, err)
		return nil, 0
	}
	pg := &page{Err: msg}
	if field != "" {
		pg.Fields = map[string]string{field: msg}
	}
	return pg, status
}

// reportFault is how a form that files a report shows err from filing it: under its
// field, among the fields already wrong, or as the whole form's message, with the page
// and status to show the form again. It shows an error page instead, and returns nil,
// for a failure of ours.
func (u *UI) reportFault(w http.ResponseWriter, r *http.Request, err error, fields map[string]string) (*page, int) {
	field, msg, status := formError(err)
	switch {
	case status >= 500:
		u.fail(w, r, err)
		return nil, 0
	case field == "":
		return &page{Err: msg}, status
	}
	fields[field] = msg
	return &page{Err: T(langOf(r), "form.fix_errors"), Fields: fields}, http.StatusUnprocessableEntity
}

// staticFiles serves the embedded static files with long cache lifetimes; their URLs
// carry a content hash, so a new build busts the cache.
type staticFiles struct {
	hash map[string]string // name → short content hash
	root fs.FS
}

func loadStatic() (*staticFiles, error) {
	root, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	s := &staticFiles{hash: map[string]string{}, root: root}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.hash[p] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	return s, err
}

func (s *staticFiles) url(name string) string {
	return "/static/" + name + "?v=" + s.hash[name]
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	h, ok := s.hash[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.root, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("ETag", `"`+h+`"`)
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	if r.Header.Get("If-None-Match") == `"`+h+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(b)
}
