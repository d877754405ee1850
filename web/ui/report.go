package ui

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

type reportData struct {
	Groups []catGroup
	Form   form
	Photos formPhotos // photos already uploaded with an earlier try
	Map    mapConfig  // the location picker
}

func (u *UI) reportForm(w http.ResponseWriter, r *http.Request) {
	f := form{"idem": {newKey()}}
	u.showReport(w, r, http.StatusOK, f, formPhotos{}, nil)
}

func (u *UI) showReport(w http.ResponseWriter, r *http.Request, status int, f form, photos formPhotos, p *page) {
	groups, err := u.categoryGroups(r.Context(), langOf(r))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if p == nil {
		p = &page{}
	}
	p.Title, p.Data = T(langOf(r), "report.title"), reportData{Groups: groups, Form: f, Photos: photos,
		Map: u.mapConfig(r, "picker")}
	u.renderPage(w, r, status, "report", p)
}

func (u *UI) reportSubmit(w http.ResponseWriter, r *http.Request) {
	f, files, err := parseUpload(w, r)
	if err != nil {
		if field, msg, status := formError(err); field == "photos" {
			// The body was too large to read: nothing typed can be shown again.
			u.showReport(w, r, status, form{"idem": {newKey()}}, formPhotos{}, &page{Err: msg})
			return
		}
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	fields := map[string]string{}
	photos, err := u.savePhotos(r.Context(), f, files)
	if err != nil {
		field, msg, status := formError(err)
		if status >= 500 {
			u.fail(w, r, err)
			return
		}
		fields[field] = msg
	}
	in := service.ReportInput{
		CategoryCode: f.V("category_code"), Address: f.V("address"),
		ReporterName: f.V("reporter_name"), ReporterPhone: f.V("reporter_phone"), Channel: gl.ChannelWeb,
		Photos: photos.URLs(),
	}
	readPlace(f, lang, T(lang, "report.err_description"), &in, fields)
	if len(fields) == 0 {
		if u.offerSimilar(w, r, f, photos, in) { // "this looks already reported" (public_similar.go)
			return
		}
		res, err := u.svc.Report(r.Context(), &service.Principal{}, in, idemKey(f))
		if err == nil {
			if err := u.svc.AttachPhotos(r.Context(), res.Case.ID, in.Photos); err != nil {
				u.log.Error("ui: attach photos", "case", res.Case.Code, "err", err)
			}
			q := url.Values{"code": {res.Case.Code}, "token": {res.TrackingToken}}
			redirect(w, r, "/report/done?"+q.Encode())
			return
		}
		if pg, status := u.reportFault(w, r, err, fields); pg != nil {
			u.showReport(w, r, status, f, photos, pg)
		}
		return
	}
	u.showReport(w, r, http.StatusUnprocessableEntity, f, photos, &page{Err: T(lang, "form.fix_errors"), Fields: fields})
}

// readPlace reads what every report form asks the same way into in: the latitude and
// longitude, and the description, which must not be blank (blank: the message to show).
// Their errors go to fields.
func readPlace(f form, lang, blank string, in *service.ReportInput, fields map[string]string) {
	in.Lat = parseCoord(f.V("lat"), "lat", T(lang, "report.err_lat"), fields)
	in.Lng = parseCoord(f.V("lng"), "lng", T(lang, "report.err_lng"), fields)
	in.Description = f.V("description")
	if strings.TrimSpace(in.Description) == "" {
		fields["description"] = blank
	}
}

// idemKey is the form's Idempotency-Key (newKey), "" when it cannot be one.
func idemKey(f form) string {
	if key := f.V("idem"); len(key) <= 100 {
		return key
	}
	return ""
}

// parseCoord reads a latitude or longitude; empty is left to the service to refuse.
func parseCoord(s, field, msg string, fields map[string]string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		fields[field] = msg
		return nil
	}
	return &v
}

type doneData struct {
	Code, Token, TrackPath, TrackURL string
}

func (u *UI) reportDone(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code, token := q.Get("code"), q.Get("token")
	if code == "" || token == "" {
		redirect(w, r, "/report")
		return
	}
	scheme := "http"
	if secureRequest(r) {
		scheme = "https"
	}
	p := "/track/" + url.PathEscape(token)
	u.render(w, r, http.StatusOK, "report_done", "done.title", doneData{Code: code, Token: token, TrackPath: p, TrackURL: scheme + "://" + r.Host + p})
}

// newKey is a random idempotency key for a form, so a double submit files one case.
func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
