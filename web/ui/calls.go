package ui

// Registering a call (登记来电): the intake operator's form for a problem heard on the
// 12345 line, or brought in by another channel staff transcribe. The case is filed as
// the citizen's report form files one (service.Report), with the operator as its
// recorder, and the operator goes on from the new case's page.

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
	Map      mapConfig // the location picker
}

func (u *UI) callForm(w http.ResponseWriter, r *http.Request, _ *service.Principal) {
	u.showCall(w, r, http.StatusOK, form{"idem": {newKey()}, "channel": {string(gl.ChannelHotline)}}, nil)
}

func (u *UI) showCall(w http.ResponseWriter, r *http.Request, status int, f form, p *page) {
	groups, err := u.categoryGroups(r.Context(), langOf(r))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if p == nil {
		p = &page{}
	}
	p.Title, p.Data = T(langOf(r), "call.title"), callData{Groups: groups, Channels: callChannels, Form: f,
		Map: u.mapConfig(r, "picker")}
	u.renderPage(w, r, status, "call", p)
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
		field, msg, status := formError(err)
		if status >= 500 {
			u.fail(w, r, err)
			return
		}
		if field == "" {
			u.showCall(w, r, status, f, &page{Err: msg})
			return
		}
		fields[field] = msg
	}
	u.showCall(w, r, http.StatusUnprocessableEntity, f, &page{Err: T(lang, "form.fix_errors"), Fields: fields})
}
