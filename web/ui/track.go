package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// reporterActions are the actions a reporter may post from the tracking page.
var reporterActions = []gl.Action{gl.ActionSupplement, gl.ActionRate, gl.ActionReopen, gl.ActionWithdraw}

type trackData struct {
	Token    string
	Code     string // the token as it is read out (service.DisplayTrackingToken)
	Tracking *service.Tracking
	Photos   []string // the case's photo URLs
	// View is the whole citizen's view: a follower's or a merged report's, messages (followup.go).
	View *service.CitizenView
	// FormAction is the form that failed, whose values Form keeps.
	FormAction gl.Action
	Form       form
}

// Can reports whether the reporter may take action a now.
func (d trackData) Can(a string) bool { return slices.Contains(d.Tracking.Actions, gl.Action(a)) }

// V is the typed value of field k, kept for the form that failed.
func (d trackData) V(action, k string) string {
	if string(d.FormAction) != action {
		return ""
	}
	return d.Form.V(k)
}

func (u *UI) trackLookup(w http.ResponseWriter, r *http.Request) {
	t := strings.TrimSpace(r.URL.Query().Get("token"))
	// Accept a pasted link as well as the bare token.
	if i := strings.LastIndex(t, "/track/"); i >= 0 {
		t = t[i+len("/track/"):]
	}
	if t == "" {
		redirect(w, r, "/")
		return
	}
	// As typed ("7k3m q9tx …") it would work too; the canonical form makes a clean link.
	redirect(w, r, "/track/"+url.PathEscape(service.CanonicalTrackingToken(t)))
}

func (u *UI) track(w http.ResponseWriter, r *http.Request) {
	u.showTrack(w, r, http.StatusOK, "", nil, &page{})
}

func (u *UI) showTrack(w http.ResponseWriter, r *http.Request, status int, action gl.Action, f form, p *page) {
	token := r.PathValue("token")
	v, err := u.svc.TrackCitizen(r.Context(), token) // a reporter's or a follower's token
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p.Title = T(langOf(r), "track.title")
	p.Data = trackData{Token: token, Code: service.DisplayTrackingToken(token), Tracking: v.Tracking, Photos: v.Photos, View: v, FormAction: action, Form: f}
	u.renderPage(w, r, status, "track", p)
}

func (u *UI) trackAct(w http.ResponseWriter, r *http.Request) {
	action := gl.Action(r.PathValue("action"))
	if !slices.Contains(reporterActions, action) {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "未知操作「%s」", action))
		return
	}
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	in := workflow.Input{Action: action, Note: strings.TrimSpace(f.V("note"))}
	if action == gl.ActionRate {
		in.Satisfaction = gl.Satisfaction(f.V("satisfaction"))
		in.Fixed = boolField(f.V("fixed"))
	}
	res, err := u.svc.ActAsCitizen(r.Context(), r.PathValue("token"), in)
	if err != nil {
		if pg, status := u.actionFault(w, r, err); pg != nil {
			u.showTrack(w, r, status, action, f, pg)
		}
		return
	}
	lang := langOf(r)
	msg := T(lang, "track.done_"+string(action))
	if res.Case.Status == gl.StatusHandling && action == gl.ActionRate {
		msg = T(lang, "track.done_reopened")
	}
	u.flash(r, msg)
	redirect(w, r, "/track/"+url.PathEscape(r.PathValue("token")))
}

// boolField reads a yes/no radio: "yes"/"no", or nil when nothing was chosen.
func boolField(s string) *bool {
	switch s {
	case "yes", "true", "1":
		b := true
		return &b
	case "no", "false", "0":
		b := false
		return &b
	}
	return nil
}
