// Package api serves gridloop's JSON API under /api/v1. Handlers are thin: decode,
// call a service, encode.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web/limit"
)

// Route is one entry of the route table. Every route declares the permission it
// needs (gl.RolePermissions says which roles hold it); Register refuses a route
// without a known one, and the permission matrix test (web/perm_test.go) calls every
// route as every role.
type Route struct {
	Method, Pattern string
	Perm            gl.Permission
	Handle          func(*API, http.ResponseWriter, *http.Request, *service.Principal) error
}

// Access is the coarse access of a route, as the OpenAPI document's x-access says it:
// public, admin (a permission only the admin role holds) or staff.
type Access string

const (
	Public Access = "public" // anyone; reporter routes authenticate by tracking token
	Staff  Access = "staff"  // an API token whose user's roles hold the permission
	Admin  Access = "admin"  // a permission only administrators hold
)

// Access is the route's coarse access.
func (rt Route) Access() Access {
	if rt.Perm == gl.PermPublic {
		return Public
	}
	for r, perms := range gl.RolePermissions {
		if r != gl.RoleAdmin && slices.Contains(perms, rt.Perm) {
			return Staff
		}
	}
	return Admin
}

// Routes is the API's route table.
var Routes = []Route{
	{"POST", "/api/v1/reports", gl.PermReportCreate, (*API).report},
	{"GET", "/api/v1/cases", gl.PermCaseRead, (*API).listCases},
	{"GET", "/api/v1/cases/{code}", gl.PermCaseRead, (*API).getCase},
	{"GET", "/api/v1/cases/{code}/events", gl.PermCaseRead, (*API).caseEvents},
	{"POST", "/api/v1/cases/{code}/actions/{action}", gl.PermCaseAct, (*API).act},
	{"POST", "/api/v1/cases/{code}/reveal", gl.PermPIIReveal, (*API).reveal},
	{"GET", "/api/v1/track/{token}", gl.PermPublic, (*API).track},
	{"POST", "/api/v1/track/{token}/actions/{action}", gl.PermPublic, (*API).trackAct},
	{"GET", "/api/v1/me", gl.PermAccountSelf, (*API).me},
	{"GET", "/api/v1/categories", gl.PermRefRead, (*API).categories},
	{"PUT", "/api/v1/categories/{code}", gl.PermAdminCategories, (*API).putCategory},
	{"GET", "/api/v1/departments", gl.PermRefRead, (*API).departments},
	{"POST", "/api/v1/departments", gl.PermAdminDepartments, (*API).addDepartment},
	{"GET", "/api/v1/locate", gl.PermRefRead, (*API).locate},
	{"GET", "/api/v1/areas", gl.PermRefRead, (*API).areas},
	{"GET", "/api/v1/routing-rules", gl.PermAdminRouting, (*API).routingRules},
	{"POST", "/api/v1/routing-rules", gl.PermAdminRouting, (*API).addRoutingRule},
	{"GET", "/api/v1/routing-rules/history", gl.PermAdminRouting, (*API).routingHistory},
	{"DELETE", "/api/v1/routing-rules/{id}", gl.PermAdminRouting, (*API).retireRoutingRule},
	{"GET", "/api/v1/webhooks", gl.PermAdminWebhooks, (*API).webhooks},
	{"POST", "/api/v1/webhooks", gl.PermAdminWebhooks, (*API).addWebhook},
	{"GET", "/api/v1/webhooks/{id}", gl.PermAdminWebhooks, (*API).getWebhook},
	{"PATCH", "/api/v1/webhooks/{id}", gl.PermAdminWebhooks, (*API).patchWebhook},
	{"DELETE", "/api/v1/webhooks/{id}", gl.PermAdminWebhooks, (*API).deleteWebhook},
	{"GET", "/api/v1/webhooks/{id}/deliveries", gl.PermAdminWebhooks, (*API).webhookDeliveries},
	{"POST", "/api/v1/webhooks/deliveries/{id}/replay", gl.PermAdminWebhooks, (*API).replayDelivery},
	{"GET", "/api/openapi.json", gl.PermPublic, (*API).openapi},
	{"GET", "/api/v1/audit", gl.PermAuditRead, (*API).auditLog},
	// Evaluation, the command dashboard, the live feed, reports and exports (evaluation.go, export.go).
	{"GET", "/api/v1/evaluation", gl.PermEvalRead, (*API).evaluation},
	{"GET", "/api/v1/evaluation/indicators", gl.PermEvalRead, (*API).indicators},
	{"GET", "/api/v1/evaluation/weights", gl.PermEvalRead, (*API).weights},
	{"PUT", "/api/v1/evaluation/weights/{role}", gl.PermAdminEvaluation, (*API).putWeights},
	{"GET", "/api/v1/dashboard", gl.PermEvalRead, (*API).dashboard},
	{"GET", "/api/v1/events/stream", gl.PermCaseRead, (*API).eventStream},
	{"GET", "/api/v1/reports/evaluation.xlsx", gl.PermEvalRead, (*API).evaluationWorkbook},
	{"GET", "/api/v1/exports/cases.csv", gl.PermExportCases, (*API).exportCasesCSV},
	{"POST", "/api/v1/exports", gl.PermExportCases, (*API).startExport},
	{"GET", "/api/v1/exports/{id}", gl.PermExportCases, (*API).getExport},
	{"GET", "/api/v1/exports/{id}/file", gl.PermExportCases, (*API).exportFile},
	// The citizen's side: similar cases, "me too", public reporting, notifications (citizen.go).
	{"POST", "/api/v1/similar", gl.PermPublic, (*API).similarPublic},
	{"GET", "/api/v1/cases/{code}/similar", gl.PermCaseRead, (*API).caseSimilar},
	{"GET", "/api/v1/cases/{code}/followups", gl.PermCaseRead, (*API).caseFollowUps},
	{"POST", "/api/v1/cases/{code}/follow", gl.PermPublic, (*API).follow},
	{"GET", "/api/v1/follow/{token}", gl.PermPublic, (*API).citizenView},
	{"POST", "/api/v1/follow/{token}/actions/{action}", gl.PermPublic, (*API).citizenAct},
	{"GET", "/api/v1/public/cases", gl.PermPublic, (*API).publicCases},
	{"GET", "/api/v1/public/stats", gl.PermPublic, (*API).publicStats},
	{"GET", "/api/v1/notifications", gl.PermAccountSelf, (*API).inbox},
	{"POST", "/api/v1/notifications/read", gl.PermAccountSelf, (*API).inboxRead},
	{"PUT", "/api/v1/me/contact", gl.PermAccountSelf, (*API).putContact},
	{"GET", "/api/v1/notifications/log", gl.PermAuditRead, (*API).notificationLog},
	{"GET", "/api/v1/settings/citizen", gl.PermRefRead, (*API).citizenSettings},
	{"PUT", "/api/v1/settings/citizen", gl.PermAdminCategories, (*API).putCitizenSettings},
}

// API holds the handlers' dependencies.
type API struct {
	Svc *service.Service
	Log *slog.Logger
	// Limits rate-limits intake (nil: none): reports per API token, reporters'
	// actions per tracking token and per client address.
	Limits *limit.Limits
	// Routes overrides the route table (tests); nil is Routes.
	Routes []Route
}

// CheckRoutes reports the first route of routes without a known permission.
func CheckRoutes(routes []Route) error {
	for _, rt := range routes {
		if !rt.Perm.Valid() {
			return fmt.Errorf("api: route %s %s declares no known permission (%q): every route must", rt.Method, rt.Pattern, rt.Perm)
		}
		if rt.Handle == nil {
			return fmt.Errorf("api: route %s %s has no handler", rt.Method, rt.Pattern)
		}
	}
	return nil
}

// Register adds every route to mux. It panics on a route without a permission: that
// is a programming error, which the tests catch before anyone runs it.
func (a *API) Register(mux *http.ServeMux) {
	routes := a.Routes
	if routes == nil {
		routes = Routes
	}
	if err := CheckRoutes(routes); err != nil {
		panic(err)
	}
	for _, rt := range routes {
		mux.Handle(rt.Method+" "+rt.Pattern, a.wrap(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, a.Log, gl.Errorf(gl.ENOTFOUND, "没有这个接口：%s %s", r.Method, r.URL.Path))
	})
}

// intake are the routes that file or act on cases from outside: rate-limited per
// token (the API token, or the reporter's tracking token) and, for reporters, per
// client address.
var intake = map[string]bool{
	"POST /api/v1/reports":                         true,
	"POST /api/v1/track/{token}/actions/{action}":  true,
	"POST /api/v1/similar":                         true,
	"POST /api/v1/cases/{code}/follow":             true,
	"POST /api/v1/follow/{token}/actions/{action}": true,
}

func (a *API) wrap(rt Route) http.Handler {
	key := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(service.WithAddress(r.Context(), limit.ClientAddr(r)))
		p, err := a.authenticate(r.Context(), r, rt.Perm)
		if err == nil && intake[key] {
			err = a.limit(r, p)
		}
		if err == nil {
			if rt.Perm.IsAdmin() && r.Method != http.MethodGet && r.Method != http.MethodHead {
				err = a.audited(w, r, p, rt)
			} else {
				err = rt.Handle(a, w, r, p)
			}
		}
		if err != nil {
			writeError(w, r, a.Log, err)
		}
	})
}

// limit takes a token from the caller's buckets: the API token's, or the tracking
// token's and the client address's for a reporter.
func (a *API) limit(r *http.Request, p *service.Principal) error {
	if p != nil {
		return a.Limits.AllowToken(service.HashSecret(bearer(r)))
	}
	if err := a.Limits.AllowAddress(r); err != nil {
		return err
	}
	if tok := r.PathValue("token"); tok != "" {
		return a.Limits.AllowToken("track:" + service.TrackingHash(tok))
	}
	return nil
}

func bearer(r *http.Request) string {
	secret, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(secret)
}

// authenticate finds the caller of a route that needs perm: nobody for a public
// route; otherwise the user of the bearer token, whose roles (and token) must hold
// perm.
func (a *API) authenticate(ctx context.Context, r *http.Request, perm gl.Permission) (*service.Principal, error) {
	if perm == gl.PermPublic {
		return nil, nil
	}
	secret := bearer(r)
	if secret == "" {
		return nil, gl.Errorf(gl.EUNAUTHORIZED, "需要 API 令牌（Authorization: Bearer <token>）")
	}
	p, err := a.Svc.Authenticate(ctx, secret)
	if err != nil {
		return nil, err
	}
	if !p.Can(perm) {
		return nil, service.Forbidden(perm)
	}
	return p, nil
}
