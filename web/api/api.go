// Package api serves gridloop's JSON API under /api/v1. Handlers are thin: decode,
// call a service, encode.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
)

// Access is what a route requires of its caller.
type Access string

const (
	Public Access = "public" // anyone; reporter routes authenticate by tracking token
	Staff  Access = "staff"  // any valid API token
	Admin  Access = "admin"  // a token of a user with the admin role
)

// Route is one entry of the route table: every route declares its access.
type Route struct {
	Method, Pattern string
	Access          Access
	Handle          func(*API, http.ResponseWriter, *http.Request, *service.Principal) error
}

// Routes is the API's route table.
var Routes = []Route{
	{"POST", "/api/v1/reports", Staff, (*API).report},
	{"GET", "/api/v1/cases", Staff, (*API).listCases},
	{"GET", "/api/v1/cases/{code}", Staff, (*API).getCase},
	{"GET", "/api/v1/cases/{code}/events", Staff, (*API).caseEvents},
	{"POST", "/api/v1/cases/{code}/actions/{action}", Staff, (*API).act},
	{"GET", "/api/v1/track/{token}", Public, (*API).track},
	{"POST", "/api/v1/track/{token}/actions/{action}", Public, (*API).trackAct},
	{"GET", "/api/v1/me", Staff, (*API).me},
	{"GET", "/api/v1/categories", Staff, (*API).categories},
	{"PUT", "/api/v1/categories/{code}", Admin, (*API).putCategory},
	{"GET", "/api/v1/departments", Staff, (*API).departments},
	{"POST", "/api/v1/departments", Admin, (*API).addDepartment},
	{"GET", "/api/v1/locate", Staff, (*API).locate},
	{"GET", "/api/v1/areas", Staff, (*API).areas},
	{"GET", "/api/v1/routing-rules", Admin, (*API).routingRules},
	{"POST", "/api/v1/routing-rules", Admin, (*API).addRoutingRule},
	{"GET", "/api/v1/routing-rules/history", Admin, (*API).routingHistory},
	{"DELETE", "/api/v1/routing-rules/{id}", Admin, (*API).retireRoutingRule},
	{"GET", "/api/v1/webhooks", Admin, (*API).webhooks},
	{"POST", "/api/v1/webhooks", Admin, (*API).addWebhook},
	{"GET", "/api/v1/webhooks/{id}", Admin, (*API).getWebhook},
	{"PATCH", "/api/v1/webhooks/{id}", Admin, (*API).patchWebhook},
	{"DELETE", "/api/v1/webhooks/{id}", Admin, (*API).deleteWebhook},
	{"GET", "/api/v1/webhooks/{id}/deliveries", Admin, (*API).webhookDeliveries},
	{"POST", "/api/v1/webhooks/deliveries/{id}/replay", Admin, (*API).replayDelivery},
	{"GET", "/api/openapi.json", Public, (*API).openapi},
	// Evaluation, the command dashboard, the live feed, reports and exports (evaluation.go, export.go).
	{"GET", "/api/v1/evaluation", Staff, (*API).evaluation},
	{"GET", "/api/v1/evaluation/indicators", Staff, (*API).indicators},
	{"GET", "/api/v1/evaluation/weights", Staff, (*API).weights},
	{"PUT", "/api/v1/evaluation/weights/{role}", Admin, (*API).putWeights},
	{"GET", "/api/v1/dashboard", Staff, (*API).dashboard},
	{"GET", "/api/v1/events/stream", Staff, (*API).eventStream},
	{"GET", "/api/v1/reports/evaluation.xlsx", Staff, (*API).evaluationWorkbook},
	{"GET", "/api/v1/exports/cases.csv", Staff, (*API).exportCasesCSV},
	{"POST", "/api/v1/exports", Staff, (*API).startExport},
	{"GET", "/api/v1/exports/{id}", Staff, (*API).getExport},
	{"GET", "/api/v1/exports/{id}/file", Staff, (*API).exportFile},
}

// API holds the handlers' dependencies.
type API struct {
	Svc *service.Service
	Log *slog.Logger
}

// Register adds every route to mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range Routes {
		mux.Handle(rt.Method+" "+rt.Pattern, a.wrap(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, a.Log, gl.Errorf(gl.ENOTFOUND, "没有这个接口：%s %s", r.Method, r.URL.Path))
	})
}

func (a *API) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r.Context(), r, rt.Access)
		if err == nil {
			err = rt.Handle(a, w, r, p)
		}
		if err != nil {
			writeError(w, r, a.Log, err)
		}
	})
}

func (a *API) authenticate(ctx context.Context, r *http.Request, access Access) (*service.Principal, error) {
	if access == Public {
		return nil, nil
	}
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return nil, gl.Errorf(gl.EUNAUTHORIZED, "需要 API 令牌（Authorization: Bearer <token>）")
	}
	p, err := a.Svc.Authenticate(ctx, strings.TrimSpace(secret))
	if err != nil {
		return nil, err
	}
	if access == Admin && !p.User.HasRole(gl.RoleAdmin) {
		return nil, gl.Errorf(gl.EFORBIDDEN, "需要管理员权限")
	}
	return p, nil
}
