package web_test

import (
	"net/http"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/web/limit"
)

// TestIntakeRateLimits: public intake is limited per client address and per token
// (API tokens across the API and Open311, and reporters' tracking tokens), with a
// clear 429 — JSON, HTML or Open311's format — and Retry-After.
func TestIntakeRateLimits(t *testing.T) {
	limit.TrustProxy = true // the test's clients pick their addresses with X-Real-IP
	defer func() { limit.TrustProxy = false }()
	addr, _ := limit.ParseRate("3/m,3")
	tok, _ := limit.ParseRate("3/m,3")
	c := newSecCity(t, dbtest.SQLite(t), &limit.Limits{Address: addr, Token: tok})
	from := func(ip string) map[string]string { return map[string]string{"X-Real-IP": ip} }

	// Citizens' reports through the web form, per address.
	for i := 1; i <= 4; i++ {
		a := c.callWith("POST", "/report", "", formOf("description", "路灯不亮"), from("10.0.0.1"))
		if i <= 3 && a.status == http.StatusTooManyRequests {
			t.Fatalf("report %d from one address: refused too early", i)
		}
		if i == 4 && (a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" ||
			!strings.Contains(a.body, "请求过于频繁") || !strings.Contains(a.header.Get("Content-Type"), "text/html")) {
			t.Fatalf("report 4 from one address: %d, Retry-After %q, %.200s", a.status, a.header.Get("Retry-After"), a.body)
		}
	}
	if a := c.callWith("POST", "/report", "", formOf("description", "路灯不亮"), from("10.0.0.2")); a.status == http.StatusTooManyRequests {
		t.Error("another address was refused")
	}

	// A reporter's actions: per address, and per tracking token across addresses.
	for i := 1; i <= 4; i++ {
		a := c.callWith("POST", "/api/v1/track/"+c.track+"/actions/supplement", "", map[string]any{"note": "补充"}, from("10.0.1."+string(rune('0'+i))))
		if i <= 3 && a.status != http.StatusOK {
			t.Fatalf("supplement %d: %d %s", i, a.status, a.body)
		}
		if i == 4 && (a.status != http.StatusTooManyRequests || a.json()["error"].(map[string]any)["code"] != gl.ETOOMANY) {
			t.Fatalf("the tracking token's fourth action: %d %s", a.status, a.body)
		}
	}

	// Reports through the API and Open311 share the API token's bucket.
	op := roleUser(gl.RoleOperator)
	report := map[string]any{"description": "井盖缺失", "lat": 30.259, "lng": 120.151}
	for i := 1; i <= 2; i++ {
		if a := c.call("POST", "/api/v1/reports", op, report); a.status != http.StatusCreated {
			t.Fatalf("API report %d: %d %s", i, a.status, a.body)
		}
	}
	if a := c.call("POST", "/open311/v2/requests.json", op, formOf("service_code", "C0101", "lat", "30.259", "long", "120.151", "attribute[urgent]", "no")); a.status != http.StatusOK {
		t.Fatalf("Open311 report: %d %s", a.status, a.body)
	}
	if a := c.call("POST", "/open311/v2/requests.json", op, formOf("service_code", "C0101", "lat", "30.259", "long", "120.151", "attribute[urgent]", "no")); a.status != http.StatusTooManyRequests ||
		a.header.Get("Retry-After") == "" || !strings.Contains(a.body, `"code": 429`) {
		t.Fatalf("Open311 report over the token's limit: %d %s", a.status, a.body)
	}
	if a := c.call("POST", "/api/v1/reports", op, report); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("API report over the token's limit: %d %s", a.status, a.body)
	}
	if a := c.call("POST", "/api/v1/reports", roleUser(gl.RoleShiftLead), report); a.status != http.StatusCreated {
		t.Errorf("another token: %d", a.status)
	}
	// Reading is not limited.
	for range 5 {
		if a := c.call("GET", "/api/v1/cases", op, nil); a.status != http.StatusOK {
			t.Fatalf("reading: %d", a.status)
		}
	}
}
