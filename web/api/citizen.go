package api

// The citizen's side of the loop (issue #9, docs/citizen.md): similar cases, following
// a case ("me too"), the follower's view, the public board and statistics,
// notifications and the city's settings for them.

import (
	"net/http"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// similarBody is a problem to look for among the open cases (the intake form's check).
type similarBody struct {
	Lat          *float64 `json:"lat"`
	Lng          *float64 `json:"lng"`
	CategoryCode string   `json:"category_code,omitempty"`
	Description  string   `json:"description"`
}

// similarPublic answers the intake form: public-safe matches only.
func (a *API) similarPublic(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	if err := a.limit(r, p); err != nil {
		return err
	}
	var body similarBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	switch {
	case body.Lat == nil || body.Lng == nil:
		return gl.FieldError("lat", "请提供问题位置（lat 纬度、lng 经度）")
	case strings.TrimSpace(body.Description) == "":
		return gl.FieldError("description", "请描述问题")
	}
	ms, err := a.Svc.Similar(r.Context(), nil, service.SimilarQuery{Lat: *body.Lat, Lng: *body.Lng,
		CategoryCode: body.CategoryCode, Text: body.Description})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ms, "me_too_score": a.Svc.CitizenSettings().MeTooScore})
	return nil
}

// caseSimilar lists the merge candidates of a case, in the caller's scope.
func (a *API) caseSimilar(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	ms, err := a.Svc.SimilarTo(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ms})
	return nil
}

// follow makes the caller a follower of a public case ("me too").
func (a *API) follow(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	if err := a.limit(r, p); err != nil {
		return err
	}
	var in service.FollowInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return gl.FieldError("Idempotency-Key", "幂等键不能超过 200 个字符")
	}
	res, err := a.Svc.Follow(r.Context(), r.PathValue("code"), in, key)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/follow/"+res.TrackingToken)
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// citizenView is the tracking view of any citizen token: reporter or follower.
func (a *API) citizenView(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	v, err := a.Svc.TrackCitizen(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// citizenAct is a citizen's action through their token (a follower: rate or reopen).
func (a *API) citizenAct(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	if err := a.limit(r, p); err != nil {
		return err
	}
	body, err := a.decodeAction(w, r)
	if err != nil {
		return err
	}
	if _, err := a.Svc.ActAsCitizen(r.Context(), r.PathValue("token"), body.Input); err != nil {
		return err
	}
	return a.citizenView(w, r, p)
}

// publicCases is the public board as open data.
func (a *API) publicCases(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	q := r.URL.Query()
	pq := service.PublicQuery{State: q.Get("state"), Category: q.Get("category"), Area: q.Get("area")}
	var err error
	if pq.Limit, err = intParam(q.Get("limit"), "limit", 20); err != nil {
		return err
	}
	if pq.Offset, err = intParam(q.Get("offset"), "offset", 0); err != nil {
		return err
	}
	if pq.Days, err = intParam(q.Get("days"), "days", 0); err != nil {
		return err
	}
	if pq.Limit > 500 {
		return gl.FieldError("limit", "每页最多 500 条")
	}
	list, total, err := a.Svc.PublicCases(r.Context(), pq)
	if err != nil {
		return err
	}
	// As /api/v1/cases: past store.CountCap the total is not counted.
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": min(total, store.CountCap),
		"total_capped": total > store.CountCap, "limit": pq.Limit, "offset": pq.Offset})
	return nil
}

// publicStats are the public figures by department and district.
func (a *API) publicStats(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	q := r.URL.Query()
	st, err := a.Svc.PublicStats(r.Context(), evaluation.Period(q.Get("period")), q.Get("start"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// inbox is the caller's in-app messages.
func (a *API) inbox(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	n, err := intParam(r.URL.Query().Get("limit"), "limit", 20)
	if err != nil {
		return err
	}
	if n > 200 {
		return gl.FieldError("limit", "最多 200 条")
	}
	in, err := a.Svc.StaffInbox(r.Context(), p, n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// inboxRead marks the caller's messages read, up to an id (or all).
func (a *API) inboxRead(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var body struct {
		UpTo int64 `json:"up_to,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &body); err != nil {
			return err
		}
	}
	if body.UpTo < 0 {
		return gl.FieldError("up_to", "up_to 须为非负整数")
	}
	if err := a.Svc.MarkStaffInboxRead(r.Context(), p, body.UpTo); err != nil {
		return err
	}
	in, err := a.Svc.StaffInbox(r.Context(), p, 20)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// putContact sets where the caller is told besides the workbench.
func (a *API) putContact(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var body struct {
		Email      string `json:"email"`
		Phone      string `json:"phone"`
		WebhookURL string `json:"webhook_url"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	c := store.UserContact{UserID: p.User.ID, Email: strings.TrimSpace(body.Email), Phone: strings.TrimSpace(body.Phone),
		WebhookURL: strings.TrimSpace(body.WebhookURL)}
	if err := a.Svc.SetUserContact(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"email": c.Email, "phone": c.Phone, "webhook_url": c.WebhookURL})
	return nil
}

// notificationLog is the message log, with addresses masked.
func (a *API) notificationLog(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	q := r.URL.Query()
	f := store.NotificationFilter{Status: q.Get("status"), Channel: q.Get("channel")}
	var err error
	if f.Limit, err = intParam(q.Get("limit"), "limit", 50); err != nil {
		return err
	}
	if f.Offset, err = intParam(q.Get("offset"), "offset", 0); err != nil {
		return err
	}
	list, total, err := a.Svc.NotificationLog(r.Context(), f, q.Get("case"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Notification{}
	}
	// Past store.CountCap the total is not counted: total_capped says "more than total".
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "total": min(total, store.CountCap),
		"total_capped": total > store.CountCap, "limit": f.Limit, "offset": f.Offset})
	return nil
}

// caseFollowUps lists the follow-ups of a case.
func (a *API) caseFollowUps(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	list, err := a.Svc.FollowUps(r.Context(), p, r.PathValue("code"))
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.FollowUp{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (a *API) citizenSettings(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	writeJSON(w, http.StatusOK, a.Svc.CitizenSettings())
	return nil
}

func (a *API) putCitizenSettings(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	var in service.CitizenSettings
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.Svc.SetCitizenSettings(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
