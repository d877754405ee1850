package ui

// "This looks already reported" (issue #9 §1) on the report form, and the in-app
// messages on the workbench.
//
// The report form checks for similar open cases in two ways. With JavaScript
// (static/similar.js), once the description and the location are filled in, the form
// asks POST /api/v1/similar and lists the matches under the form, each with "this is my
// problem — follow it"; "none of these" marks the form (similar_seen) and the citizen
// goes on. Without JavaScript the first submit does the same on the server: when a
// match scores at least the city's MeTooScore, the matches page is shown instead of
// filing the report, with the two buttons; "report anyway" submits the form again,
// marked.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gridloop/gridloop/service"
)

type similarPageData struct {
	Matches []service.SimilarCase
	Form    form       // the report as typed, carried in hidden fields
	Photos  formPhotos // its photos, already stored
	// Carry are the form's fields to submit again with "report anyway".
	Carry [][2]string
}

// reportCarried are the report form's fields the matches page carries.
var reportCarried = []string{"idem", "description", "category_code", "lat", "lng", "address", "reporter_name", "reporter_phone"}

// offerSimilar shows the matches page instead of filing the report when a similar open
// case scores high enough and the citizen has not already seen the matches. It reports
// whether it answered the request.
func (u *UI) offerSimilar(w http.ResponseWriter, r *http.Request, f form, photos formPhotos, in service.ReportInput) bool {
	if f.V("similar_seen") != "" {
		return false
	}
	strong := u.strongMatches(r, nil, in)
	if len(strong) == 0 {
		return false
	}
	d := similarPageData{Matches: strong, Form: f, Photos: photos}
	for _, k := range reportCarried {
		d.Carry = append(d.Carry, [2]string{k, f.V(k)})
	}
	for _, p := range photos.Photos {
		d.Carry = append(d.Carry, [2]string{"photo_ids", p.ID})
	}
	u.render(w, r, http.StatusOK, "report_similar", "similar.title", d)
	return true
}

// strongMatches are the open cases p may see (nil: the public) that score at least
// the city's MeTooScore against the report in; none when the check fails, which must
// never stop a report or a call.
func (u *UI) strongMatches(r *http.Request, p *service.Principal, in service.ReportInput) []service.SimilarCase {
	if in.Lat == nil || in.Lng == nil {
		return nil
	}
	ms, err := u.svc.Similar(r.Context(), p, service.SimilarQuery{Lat: *in.Lat, Lng: *in.Lng,
		CategoryCode: in.CategoryCode, Text: in.Description})
	if err != nil {
		u.log.Warn("ui: similar cases for a report", "err", err)
		return nil
	}
	min := u.svc.CitizenSettings().MeTooScore
	return slices.DeleteFunc(ms, func(m service.SimilarCase) bool { return m.Score < min })
}

// reportFollow makes the citizen a follower of the case they recognised ("me too") and
// takes them to their tracking page.
func (u *UI) reportFollow(w http.ResponseWriter, r *http.Request) {
	if err := u.Limits.AllowAddress(r); err != nil {
		u.fail(w, r, err)
		return
	}
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	key := f.V("idem")
	if len(key) > 100 {
		key = ""
	}
	code := strings.TrimSpace(f.V("code"))
	res, err := u.svc.Follow(r.Context(), code, service.FollowInput{Phone: f.V("reporter_phone")}, key)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(langOf(r), "similar.followed", res.Code, res.Interest))
	redirect(w, r, "/track/"+url.PathEscape(res.TrackingToken))
}

// workRead marks the user's in-app messages read.
func (u *UI) workRead(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	if _, err := parseForm(w, r); err != nil {
		u.fail(w, r, err)
		return
	}
	if err := u.svc.MarkStaffInboxRead(r.Context(), p, 0); err != nil {
		u.fail(w, r, err)
		return
	}
	redirect(w, r, "/work")
}
