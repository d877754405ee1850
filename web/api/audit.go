package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// Admin changes through the API are written to the audit log by the route gate: a
// route whose permission is admin.* and whose method changes something is recorded
// when it succeeds, with its path and (redacted) body.

// maxAuditBody is how much of a request body an audit entry keeps.
const maxAuditBody = 4 << 10

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// teeBody keeps the first maxAuditBody bytes read from a body.
type teeBody struct {
	io.ReadCloser
	buf bytes.Buffer
	n   int64
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.n += int64(n)
	if room := maxAuditBody - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(n, room)])
	}
	return n, err
}

// audited runs an admin route's handler and records the change if it succeeded.
func (a *API) audited(w http.ResponseWriter, r *http.Request, p *service.Principal, rt Route) error {
	tee := &teeBody{ReadCloser: r.Body}
	r.Body = tee
	rec := &statusRecorder{ResponseWriter: w}
	err := rt.Handle(a, rec, r, p)
	if err != nil || rec.status >= 400 {
		return err
	}
	details := map[string]any{"method": r.Method, "path": r.URL.Path, "status": rec.status}
	if q := r.URL.RawQuery; q != "" {
		details["query"] = q
	}
	if tee.n > 0 {
		details["body"] = RedactJSON(tee.buf.Bytes(), tee.n > maxAuditBody)
	}
	ev := service.AuditEvent{Action: string(rt.Perm), Target: r.URL.Path, Details: details}
	if aerr := a.Svc.Audit(r.Context(), p, ev); aerr != nil {
		a.Log.Error("audit: admin change not recorded", "path", r.URL.Path, "user", p.User.Name, "err", aerr)
	}
	return nil
}

// sensitive reports whether a field's name says it holds a secret.
func sensitive(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "token")
}

// RedactJSON returns a JSON body for the audit log with the values of secret-looking
// fields replaced by "[redacted]"; a body that is not JSON (or was cut short) is kept
// as a string, with its secrets' values blanked as well as can be.
func RedactJSON(b []byte, truncated bool) any {
	var v any
	if !truncated && json.Unmarshal(b, &v) == nil {
		return redact(v)
	}
	s := string(b)
	if truncated {
		s += "…"
	}
	for _, k := range []string{"password", "secret", "token"} {
		if strings.Contains(strings.ToLower(s), k) {
			return "[redacted: the body names a secret and is not valid JSON]"
		}
	}
	return s
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if sensitive(k) {
				x[k] = "[redacted]"
			} else {
				x[k] = redact(val)
			}
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}

// reveal answers POST /api/v1/cases/{code}/reveal: the reporter's name and phone,
// recorded in the audit log. The body may give a reason: {"reason": "回访"}.
func (a *API) reveal(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	rep, err := a.Svc.RevealReporter(r.Context(), p, r.PathValue("code"), in.Reason)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// auditLog answers GET /api/v1/audit: the audit log, newest first, filtered by
// action (exact, or a prefix ending in "."), actor, case, from and to (dates,
// inclusive), limit and offset.
func (a *API) auditLog(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{Action: q.Get("action"), Actor: q.Get("actor"), CaseCode: q.Get("case")}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), "limit", 100); err != nil {
		return err
	}
	if f.Offset, err = intParam(q.Get("offset"), "offset", 0); err != nil {
		return err
	}
	if f.Limit > 1000 {
		return gl.FieldError("limit", "每页最多 1000 条")
	}
	loc := a.Svc.Calendar().Location()
	for _, d := range []struct {
		name string
		dst  **time.Time
		days int
	}{{"from", &f.Since, 0}, {"to", &f.Until, 1}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, loc)
			if err != nil {
				return gl.FieldError(d.name, "%s 须为 YYYY-MM-DD 格式的日期", d.name)
			}
			t = t.AddDate(0, 0, d.days)
			*d.dst = &t
		}
	}
	items, total, err := a.Svc.AuditLog(r.Context(), p, f)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	// Past store.CountCap the total is not counted: total_capped says "more than total".
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": min(total, store.CountCap),
		"total_capped": total > store.CountCap, "limit": f.Limit, "offset": f.Offset})
	return nil
}
