// Package open311 serves Open311 GeoReport v2 under /open311/v2, in XML (the default)
// and JSON, with the pagination, updated_after/before and extensions=true extensions and
// mySociety's servicerequestupdates. docs/open311.md describes the mapping onto
// gridloop; handlers call the service layer only.
package open311

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/limit"
)

// Prefix is where the endpoint lives.
const Prefix = "/open311/v2"

// Specification is the discovery token of GeoReport v2.
const Specification = "http://wiki.open311.org/GeoReport_v2"

// Changeset is the discovery changeset: the date this implementation's documents last
// changed shape. Categories carry no change time yet, so edits to them do not move it.
const Changeset = "2026-11-22T00:00:00+08:00"

// MaxBodyBytes bounds a POST body.
const MaxBodyBytes = 1 << 20

// Server is the Open311 endpoint. Svc and Log are all it needs; the rest are optional.
type Server struct {
	Svc *service.Service
	Log *slog.Logger
	// BaseURL is the public URL of the endpoint for discovery (e.g.
	// "https://city.example/open311/v2"); empty means taken from the request.
	BaseURL string
	// Contact and KeyService are discovery's human-readable texts.
	Contact, KeyService string
	// Limits rate-limits POSTs per api_key (nil: none).
	Limits *limit.Limits
}

// Register mounts the endpoint on mux. Every method and path under /open311/v2 lands
// here, so that even a wrong method or an unknown path is answered in the format its
// extension asks for.
func (s *Server) Register(mux *http.ServeMux) {
	if err := CheckRoutes(); err != nil {
		panic(err)
	}
	mux.Handle(Prefix+"/", s)
	mux.Handle(Prefix, s)
}

// format is the answer's format, chosen by the path's extension.
type format int

const (
	formatXML format = iota // the default, and .xml
	formatJSON
)

const (
	contentXML  = "text/xml; charset=utf-8"
	contentJSON = "application/json; charset=utf-8"
)

// splitFormat strips a .xml or .json extension from the last path segment.
func splitFormat(p string) (string, format) {
	if rest, ok := strings.CutSuffix(p, ".json"); ok {
		return rest, formatJSON
	}
	if rest, ok := strings.CutSuffix(p, ".xml"); ok {
		return rest, formatXML
	}
	return p, formatXML
}

// handler answers one resource; it returns the status and the document in both forms.
type handler func(s *Server, r *http.Request, args []string) (status int, xmlDoc, jsonDoc any, err error)

// route is one resource: its path segments ("" is a variable one) and its methods,
// each with the permission it needs. A public method reads what the public may see,
// or, given an api_key, what that staff user's scope holds; any other permission
// requires an api_key whose user's roles (and token) hold it.
type route struct {
	segments []string
	methods  map[string]method
}

type method struct {
	h    handler
	perm gl.Permission
}

var routes = []route{
	{[]string{""}, map[string]method{"GET": {(*Server).discovery, gl.PermPublic}}},
	{[]string{"discovery"}, map[string]method{"GET": {(*Server).discovery, gl.PermPublic}}},
	{[]string{"services"}, map[string]method{"GET": {(*Server).services, gl.PermPublic}}},
	{[]string{"services", ""}, map[string]method{"GET": {(*Server).serviceDefinition, gl.PermPublic}}},
	{[]string{"requests"}, map[string]method{"GET": {(*Server).listRequests, gl.PermPublic}, "POST": {(*Server).createRequest, gl.PermReportCreate}}},
	{[]string{"requests", ""}, map[string]method{"GET": {(*Server).getRequest, gl.PermPublic}}},
	{[]string{"tokens", ""}, map[string]method{"GET": {(*Server).token, gl.PermPublic}}},
	{[]string{"servicerequestupdates"}, map[string]method{"GET": {(*Server).listUpdates, gl.PermPublic}, "POST": {(*Server).postUpdate, gl.PermCaseAct}}},
}

// Route is one method of one resource and its permission, for the permission matrix.
type Route struct {
	Method, Path string // Path under Prefix with {id} for a variable segment
	Perm         gl.Permission
}

// Routes lists every method of every resource with its permission.
func Routes() []Route {
	var out []Route
	for _, rt := range routes {
		segs := make([]string, len(rt.segments))
		for i, seg := range rt.segments {
			if seg == "" && i > 0 {
				seg = "{id}"
			}
			segs[i] = seg
		}
		path := Prefix + "/" + strings.Join(segs, "/")
		path = strings.TrimSuffix(path, "/")
		ms := make([]string, 0, len(rt.methods))
		for m := range rt.methods {
			ms = append(ms, m)
		}
		slices.Sort(ms)
		for _, m := range ms {
			out = append(out, Route{Method: m, Path: path, Perm: rt.methods[m].perm})
		}
	}
	return out
}

// CheckRoutes reports a method without a known permission.
func CheckRoutes() error {
	for _, rt := range Routes() {
		if !rt.Perm.Valid() {
			return fmt.Errorf("open311: %s %s declares no known permission (%q): every route must", rt.Method, rt.Path, rt.Perm)
		}
	}
	return nil
}

type principalKey struct{}

// gated is the principal the gate authenticated for a method that needs a
// permission.
func gated(r *http.Request) *service.Principal {
	p, _ := r.Context().Value(principalKey{}).(*service.Principal)
	return p
}

// gate authenticates the api_key of a method that needs perm and checks that the
// key's user holds it; POSTs are rate-limited per api_key.
func (s *Server) gate(r *http.Request, perm gl.Permission) (*http.Request, error) {
	if perm == gl.PermPublic {
		return r, nil
	}
	key := strings.TrimSpace(r.Form.Get("api_key"))
	p, err := s.staff(r.Context(), key)
	if err != nil {
		return r, err
	}
	if !p.Can(perm) {
		return r, forbidden("the api_key's user lacks permission %s (permission %s required)", perm, perm)
	}
	if r.Method == http.MethodPost {
		if err := s.Limits.AllowToken(service.HashSecret(key)); err != nil {
			return r, err
		}
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel := strings.Trim(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	rel, f := splitFormat(rel)
	var segs []string
	if rel != "" {
		segs = strings.Split(rel, "/")
	} else {
		segs = []string{""}
	}
	for _, rt := range routes {
		args, ok := match(rt.segments, segs)
		if !ok {
			continue
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet
		}
		m, ok := rt.methods[method]
		if !ok {
			var allow []string
			for m := range rt.methods {
				allow = append(allow, m)
			}
			slices.Sort(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.fail(w, r, f, badRequest("method %s is not allowed here; use %s", r.Method, strings.Join(allow, " or ")))
			return
		}
		if err := parseForm(w, r); err != nil {
			s.fail(w, r, f, err)
			return
		}
		r = r.WithContext(service.WithAddress(r.Context(), limit.ClientAddr(r)))
		r, err := s.gate(r, m.perm)
		if err != nil {
			s.fail(w, r, f, err)
			return
		}
		status, xmlDoc, jsonDoc, err := m.h(s, r, args)
		if err != nil {
			s.fail(w, r, f, err)
			return
		}
		s.write(w, f, status, xmlDoc, jsonDoc)
		return
	}
	s.fail(w, r, f, notFound("no such resource: %s", r.URL.Path))
}

func match(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var args []string
	for i, p := range pattern {
		switch {
		case p == "" && i > 0:
			if segs[i] == "" {
				return nil, false
			}
			args = append(args, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return args, true
}

// write encodes the document in the format asked for.
func (s *Server) write(w http.ResponseWriter, f format, status int, xmlDoc, jsonDoc any) {
	var buf bytes.Buffer
	if f == formatJSON {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(jsonDoc); err != nil {
			s.log().Error("open311: encode JSON", "err", err)
			http.Error(w, `[{"code":500,"description":"internal error"}]`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentJSON)
	} else {
		buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
		enc := xml.NewEncoder(&buf)
		enc.Indent("", "  ")
		if err := enc.Encode(xmlDoc); err != nil {
			s.log().Error("open311: encode XML", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		buf.WriteByte('\n')
		w.Header().Set("Content-Type", contentXML)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// apiErr is an error with its Open311 status: 400, 403 or 404.
type apiErr struct {
	status int
	msg    string
}

func (e *apiErr) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiErr{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &apiErr{http.StatusForbidden, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &apiErr{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// params maps the service's field names onto the Open311 parameters they came from.
var params = map[string]string{
	"lat": "lat", "lng": "long", "reporter_phone": "phone", "reporter_name": "first_name/last_name",
	"category_code": "service_code", "photos": "media_url", "description": "description",
	"address": "address_string", "note": "description",
}

// toAPIError maps any error onto the spec's statuses: 404 for what does not exist,
// 403 for a missing or invalid api_key or a role that may not act, and 400 for
// everything else, internal failures included (the spec's "general service error";
// those are logged and described generically).
func toAPIError(err error) *apiErr {
	var e *apiErr
	if errors.As(err, &e) {
		return e
	}
	var ge *gl.Error
	if !errors.As(err, &ge) {
		return &apiErr{http.StatusBadRequest, "general service error; please try again later"}
	}
	msg := ge.Message
	if ge.Field != "" {
		name := params[ge.Field]
		if name == "" {
			name = ge.Field
		}
		msg = name + ": " + msg
	}
	switch ge.Code {
	case gl.ENOTFOUND:
		return &apiErr{http.StatusNotFound, msg}
	case gl.ETOOMANY:
		return &apiErr{http.StatusTooManyRequests, msg}
	case gl.EUNAUTHORIZED, gl.EFORBIDDEN:
		return &apiErr{http.StatusForbidden, msg}
	}
	return &apiErr{http.StatusBadRequest, msg}
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, f format, err error) {
	var e *apiErr
	var ge *gl.Error
	if !errors.As(err, &e) && !errors.As(err, &ge) {
		s.log().Error("open311: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	ae := toAPIError(err)
	limit.RetryAfterHeader(w, err)
	errs := []apiError{{Code: ae.status, Description: ae.msg}}
	s.write(w, f, ae.status, errorsDoc{Errors: errs}, errs)
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// viewer is who reads: the public (no api_key), or the staff user whose api_key was
// given, who also sees requests in non-public categories, within their scope.
type viewer struct {
	p      *service.Principal
	public bool
}

// readerOf authenticates the optional api_key of a GET.
func (s *Server) readerOf(ctx context.Context, r *http.Request) (viewer, error) {
	key := strings.TrimSpace(r.Form.Get("api_key"))
	if key == "" {
		return viewer{p: &service.Principal{System: true}, public: true}, nil
	}
	p, err := s.staff(ctx, key)
	if err != nil {
		return viewer{}, err
	}
	if !p.Can(gl.PermCaseRead) {
		return viewer{}, forbidden("the api_key's user lacks permission %s (permission %s required)", gl.PermCaseRead, gl.PermCaseRead)
	}
	return viewer{p: p}, nil
}

// staff authenticates an api_key: a gridloop API token of a staff user.
func (s *Server) staff(ctx context.Context, key string) (*service.Principal, error) {
	if key == "" {
		return nil, forbidden("api_key is required")
	}
	p, err := s.Svc.Authenticate(ctx, key)
	if gl.ErrorCode(err) == gl.EUNAUTHORIZED {
		return nil, forbidden("invalid api_key: unknown, expired or revoked")
	} else if err != nil {
		return nil, err
	}
	if p.User == nil || p.User.Disabled || !hasStaffRole(p.User) {
		return nil, forbidden("the api_key's user is not staff")
	}
	return p, nil
}

func hasStaffRole(u *gl.User) bool {
	for _, r := range u.Roles {
		if r.IsStaff() {
			return true
		}
	}
	return false
}

// parseForm reads the query and, for a POST, the form-encoded body.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		case strings.HasPrefix(ct, "multipart/form-data"):
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
				return badRequest("cannot read the form: %v", err)
			}
			return cleanForm(r.Form)
		default:
			return badRequest("the body must be form-encoded (Content-Type: application/x-www-form-urlencoded; charset=utf-8)")
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	}
	if err := r.ParseForm(); err != nil {
		return badRequest("cannot read the form: %v", err)
	}
	return cleanForm(r.Form)
}

// cleanForm refuses a NUL or bytes that are not UTF-8 in any parameter.
func cleanForm(form url.Values) error {
	for k, vs := range form {
		for _, v := range vs {
			if !gl.CleanText(k) || !gl.CleanText(v) {
				return badRequest("%s holds a NUL or bytes that are not UTF-8", k)
			}
		}
	}
	return nil
}
