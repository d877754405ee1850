package api

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"

	"github.com/gridloop/gridloop/service"
)

// OpenAPI is the OpenAPI 3 document of the API, served at GET /api/openapi.json. Tests
// (openapi_test.go) keep it true: every route of Routes is in it and nothing else, and
// real requests and answers of every route are validated against it.
//
//go:embed openapi.json
var OpenAPI []byte

var openapiETag = func() string {
	sum := sha256.Sum256(OpenAPI)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

func (a *API) openapi(w http.ResponseWriter, r *http.Request, _ *service.Principal) error {
	w.Header().Set("ETag", openapiETag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == openapiETag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*") // for API explorers on other origins
	w.Write(OpenAPI)
	return nil
}
