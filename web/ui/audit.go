package ui

import (
	"net/http"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// statusRecorder remembers the status a page answered with.
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

// audited runs an admin page that changes something and, when it succeeded (a
// redirect or a page, not an error), writes the change to the audit log: the
// permission as the action, the path, and the form with its secrets blanked.
func (u *UI) audited(w http.ResponseWriter, r *http.Request, p *service.Principal, perm gl.Permission, h func(http.ResponseWriter, *http.Request, *service.Principal)) {
	rec := &statusRecorder{ResponseWriter: w}
	h(rec, r, p)
	if rec.status >= 400 {
		return
	}
	details := map[string]any{"method": r.Method, "path": r.URL.Path, "status": rec.status}
	fields := map[string][]string{}
	if r.MultipartForm != nil {
		for k, vs := range r.MultipartForm.Value {
			fields[k] = vs
		}
		for k, fhs := range r.MultipartForm.File {
			for _, fh := range fhs {
				fields[k] = append(fields[k], "file:"+fh.Filename+" ("+strconv.FormatInt(fh.Size, 10)+" bytes)")
			}
		}
	} else {
		for k, vs := range r.PostForm {
			fields[k] = vs
		}
	}
	for k := range fields {
		lk := strings.ToLower(k)
		if strings.Contains(lk, "password") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") {
			fields[k] = []string{"[redacted]"}
		}
	}
	if len(fields) > 0 {
		details["form"] = fields
	}
	ev := service.AuditEvent{Action: string(perm), Target: r.URL.Path, Details: details}
	if err := u.svc.Audit(r.Context(), p, ev); err != nil {
		u.log.Error("audit: admin change not recorded", "path", r.URL.Path, "user", p.User.Name, "err", err)
	}
}

// adminAudit shows the audit log, newest first, filtered by action (a prefix ending
// in "." or exact), actor and case.
func (u *UI) adminAudit(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	q := r.URL.Query()
	f := store.AuditFilter{Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		CaseCode: strings.TrimSpace(q.Get("case")), Limit: 100}
	if n, err := strconv.Atoi(q.Get("offset")); err == nil && n > 0 {
		f.Offset = n
	}
	items, total, err := u.svc.AuditLog(r.Context(), p, f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderPage(w, r, http.StatusOK, "admin_audit", &page{Title: T(langOf(r), "audit.title"),
		Data: auditData{Items: items, Total: total, Filter: f, Next: f.Offset + len(items)}})
}

type auditData struct {
	Items  []store.AuditEntry
	Total  int // up to store.CountCap+1: "more than store.CountCap"
	Filter store.AuditFilter
	Next   int // the offset of the next page
}

// More reports whether there is a next page: past the counted total, while pages come
// back full.
func (d auditData) More() bool {
	if d.Total > store.CountCap {
		return len(d.Items) == d.Filter.Limit
	}
	return d.Next < d.Total
}

// TotalText is the total as shown: "2000+" past store.CountCap.
func (d auditData) TotalText() string { return countText(d.Total) }
