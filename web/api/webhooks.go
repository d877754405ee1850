package api

import (
	"net/http"
	"strconv"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// webhookView is a subscription as the API shows it. The secret appears only in the
// answer to the request that set it (creation, or an edit with a new secret).
type webhookView struct {
	*store.Webhook
	Secret string `json:"secret,omitempty"`
}

func webhookID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, gl.Errorf(gl.ENOTFOUND, "webhook %s 不存在", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) webhooks(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	list, err := a.Svc.Webhooks(r.Context())
	if err != nil {
		return err
	}
	items := make([]webhookView, len(list))
	for i := range list {
		items[i] = webhookView{Webhook: &list[i]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) addWebhook(w http.ResponseWriter, r *http.Request, p *service.Principal) error {
	var in service.WebhookInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hook, err := a.Svc.CreateWebhook(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10))
	writeJSON(w, http.StatusCreated, webhookView{Webhook: hook, Secret: hook.Secret})
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	hook, err := a.Svc.Webhook(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView{Webhook: hook})
	return nil
}

func (a *API) patchWebhook(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	var in service.WebhookInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	hook, err := a.Svc.UpdateWebhook(r.Context(), id, in)
	if err != nil {
		return err
	}
	v := webhookView{Webhook: hook}
	if in.Secret != nil {
		v.Secret = hook.Secret
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := a.Svc.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// webhookDeliveries is the delivery log: GET /api/v1/webhooks/{id}/deliveries?state=&limit=&offset=.
func (a *API) webhookDeliveries(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", 50)
	if err != nil {
		return err
	}
	if limit > 500 {
		return gl.FieldError("limit", "每页最多 500 条")
	}
	offset, err := intParam(q.Get("offset"), "offset", 0)
	if err != nil {
		return err
	}
	items, total, err := a.Svc.WebhookDeliveries(r.Context(), id, q.Get("state"), limit, offset)
	if err != nil {
		return err
	}
	if items == nil {
		items = []store.Delivery{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": total, "limit": limit, "offset": offset})
	return nil
}

// replayDelivery sends a delivery again with the same delivery id.
func (a *API) replayDelivery(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	d, err := a.Svc.ReplayDelivery(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}
