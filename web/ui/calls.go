package ui

// Registering a call (登记来电): the intake operator's form for a problem heard on the
// 12345 line, or brought in by another channel staff transcribe. The case is filed as
// the citizen's report form files one (service.Report), with the operator as its
// recorder, and the operator goes on from the new case's page.
//
// Many calls are about a problem already on file (重复来电). Before filing, the open
// cases like it nearby are shown (as the citizen's form shows them, at the city's
// MeTooScore); the operator either records the call on one of them — the caller follows
// it and is told of its progress (service.FollowCall) — or files a new case anyway.

import (
	"net/http"
	"net/url"
	"slices"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// callChannels are the channels an operator may record a case as, the hotline first.
var callChannels = []gl.Channel{gl.ChannelHotline, gl.ChannelApp, gl.ChannelWeb, gl.ChannelCamera}

type callData struct {
	Groups   []catGroup
	Channels []gl.Channel
	Form     form
	Map      mapConfig             // the location picker
	Similar  []service.SimilarCase // open cases like the one typed, before it is filed
}

func (u *UI) callForm(w http.ResponseWriter, r *http.Request, _ *service.Principal) {
	u.showCall(w, r, http.StatusOK, form{"idem": {newKey()}, "channel": {string(gl.ChannelHotline)}}, nil, nil)
}

func (u *UI) showCall(w http.ResponseWriter, r *http.Request, status int, f form, similar []service.SimilarCase, p *page) {
	groups, err := u.categoryGroups(r.Context(), langOf(r))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if p == nil {
		p = &page{}
	}
	p.Title, p.Data = T(langOf(r), "call.title"), callData{Groups: groups, Channels: callChannels, Form: f,
		Map: u.mapConfig(r, "picker"), Similar: similar}
	u.renderPage(w, r, status, "call", p)
}

// callFiled reports whether this form filed its case already (sent twice): its
// answer is that case, not the cases like it, the first among them.
func (u *UI) callFiled(r *http.Request, p *service.Principal, f form) bool {
	filed, err := u.svc.ReportFiled(r.Context(), p, idemKey(f))
	if err != nil {
		u.log.Warn("ui: a call's Idempotency-Key", "err", err)
	}
	return filed
}

// callFollow records the call on the open case the operator recognised (重复来电):
// the caller follows it, and the operator goes on from its page.
func (u *UI) callFollow(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	res, err := u.svc.FollowCall(r.Context(), p, r.PathValue("code"), service.FollowInput{Phone: f.V("reporter_phone")}, idemKey(f))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, T(langOf(r), "call.followed", res.Code, res.Interest, res.TrackingToken))
	redirect(w, r, "/cases/"+url.PathEscape(res.Code))
}

func (u *UI) callSubmit(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	fields := map[string]string{}
	channel := gl.Channel(f.V("channel"))
	if !slices.Contains(callChannels, channel) {
		fields["channel"] = T(lang, "call.err_channel")
	}
	in := service.ReportInput{
		CategoryCode: f.V("category_code"), Address: f.V("address"),
		ReporterName: f.V("reporter_name"), ReporterPhone: f.V("reporter_phone"), Channel: channel,
	}
	readPlace(f, lang, T(lang, "call.err_description"), &in, fields)
	// Matches are offered for a call the service would take: a bad phone number would
	// otherwise reach the match the operator picks, and fail there, the form lost.
	if len(fields) == 0 && in.Validate() == nil && f.V("similar_seen") == "" && !u.callFiled(r, p, f) {
		if similar := u.strongMatches(r, p, in); len(similar) > 0 {
			f["similar_seen"] = []string{"1"}
			u.showCall(w, r, http.StatusOK, f, similar, nil)
			return
		}
	}
	if len(fields) == 0 {
		// The same key answers the same case: a form sent twice (a double click, a
		// retry after a timeout) files one case.
		res, err := u.svc.Report(r.Context(), p, in, idemKey(f))
		if err == nil {
			msg := T(lang, "call.done", res.Case.Code)
			if res.TrackingToken != "" {
				msg = T(lang, "call.done_token", res.Case.Code, res.TrackingToken)
			}
			u.flash(r, msg)
			redirect(w, r, "/cases/"+url.PathEscape(res.Case.Code))
			return
		}
		if pg, status := u.reportFault(w, r, err, fields); pg != nil {
			u.showCall(w, r, status, f, nil, pg)
		}
		return
	}
	u.showCall(w, r, http.StatusUnprocessableEntity, f, nil, &page{Err: T(lang, "form.fix_errors"), Fields: fields})
}
