package api_test

import (
	"strings"
	"testing"
)

// exerciseCitizen calls every route of citizen.go with success, and some refusals,
// through the validating client: TestOpenAPIValidatesRealTraffic calls it after its
// flows, so that the document covers these routes too. The story: a hotline report of a
// broken street lamp; a citizen about to report it again finds it among the similar
// cases and follows it; the department fixes it and the case closes; the follower says
// it is not fixed, which reopens it and alerts the supervisor.
func exerciseCitizen(t *testing.T, c *city) {
	t.Helper()
	const lampText = "曙光路与杭大路交叉口东南角的路灯晚上不亮，已经三天了，行人过马路很危险"
	const lampAgain = "杭大路曙光路路口东南角那盏路灯不亮，晚上过马路看不清，请尽快修一下"
	lat, lng := 30.262, 120.145
	r := c.want(201, "POST", "/api/v1/reports", "operator", map[string]any{"description": lampText, "lat": lat, "lng": lng,
		"category_code": "C0104", "channel": "hotline", "reporter_phone": "13812345678", "address": "杭大路口"})
	code, token := r.str("code"), r.str("tracking_token")

	sim := c.want(200, "POST", "/api/v1/similar", "", map[string]any{"lat": lat + 0.0002, "lng": lng, "category_code": "C0104", "description": lampAgain})
	if sim.str("items.0.code") != code || sim.get("items.0.reporter_phone") != nil {
		t.Fatalf("similar: %s", sim.raw)
	}
	c.want(400, "POST", "/api/v1/similar", "", map[string]any{"lat": lat}, bad, "")
	c.want(400, "POST", "/api/v1/similar", "", map[string]any{"lat": lat, "lng": lng, "description": "  "})
	if cands := c.want(200, "GET", "/api/v1/cases/"+code+"/similar", "operator", nil); cands.get("items") == nil {
		t.Fatalf("case similar: %s", cands.raw)
	}
	c.want(404, "GET", "/api/v1/cases/no-such-case/similar", "operator", nil)
	c.want(401, "GET", "/api/v1/cases/"+code+"/similar", "", nil, bad, "")

	f := c.want(201, "POST", "/api/v1/cases/"+code+"/follow", "", map[string]any{"phone": "13900001111"}, "Idempotency-Key", "follow-1")
	ftoken := f.str("tracking_token")
	if f.num("interest") != 1 || ftoken == "" || f.header.Get("Location") == "" {
		t.Fatalf("follow: %s", f.raw)
	}
	c.want(400, "POST", "/api/v1/cases/"+code+"/follow", "", map[string]any{"phone": "call me"})
	c.want(404, "POST", "/api/v1/cases/no-such-case/follow", "", nil)
	if v := c.want(200, "GET", "/api/v1/follow/"+ftoken, "", nil); v.str("role") != "follower" || v.str("tracking.code") != code {
		t.Fatalf("follower view: %s", v.raw)
	}
	if v := c.want(200, "GET", "/api/v1/follow/"+token, "", nil); v.str("role") != "reporter" {
		t.Fatalf("reporter view: %s", v.raw)
	}
	c.want(404, "GET", "/api/v1/follow/no-such-token", "", nil)
	c.want(422, "POST", "/api/v1/follow/"+ftoken+"/actions/reopen", "", map[string]any{"note": "还没修"})

	// The loop, through the case API.
	act := func(user, action string, body map[string]any) {
		t.Helper()
		if body == nil {
			body = map[string]any{}
		}
		c.want(200, "POST", "/api/v1/cases/"+code+"/actions/"+action, user, body)
	}
	act("shift_lead", "register", map[string]any{"category_code": "C0104"})
	act("dispatcher", "dispatch", map[string]any{"dept_id": c.dept["A"]})
	act("handler_a", "sign", nil)
	act("handler_a", "feedback", map[string]any{"note": "已更换灯泡"})
	act("operator", "send_check", nil)
	act("grid_member", "check", map[string]any{"passed": true})
	act("shift_lead", "close", nil)
	v := c.want(200, "POST", "/api/v1/follow/"+ftoken+"/actions/rate", "", map[string]any{"satisfaction": "unsatisfied", "fixed": false, "note": "晚上还是不亮"})
	if v.str("tracking.status") != "handling" {
		t.Fatalf("not fixed: %s", v.raw)
	}
	c.want(403, "POST", "/api/v1/follow/"+ftoken+"/actions/withdraw", "", nil, bad, "")
	if fu := c.want(200, "GET", "/api/v1/cases/"+code+"/followups", "supervisor", nil); fu.str("items.0.counted_as") != "answered" {
		t.Fatalf("follow-ups: %s", fu.raw)
	}
	in := c.want(200, "GET", "/api/v1/notifications?limit=5", "supervisor", nil)
	if in.str("items.0.template") != "reopen_alert" || in.num("unread") == 0 {
		t.Fatalf("supervisor inbox: %s", in.raw)
	}
	if read := c.want(200, "POST", "/api/v1/notifications/read", "supervisor", map[string]any{"up_to": in.num("items.0.id")}); read.num("unread") != 0 || read.get("items.0.read") != true {
		t.Fatalf("read: %s", read.raw)
	}
	c.want(401, "GET", "/api/v1/notifications", "", nil, bad, "")
	c.want(200, "PUT", "/api/v1/me/contact", "supervisor", map[string]any{"email": "zhao@example.com", "phone": "13800000000"})
	c.want(400, "PUT", "/api/v1/me/contact", "supervisor", map[string]any{"email": "not an address"})
	log := c.want(200, "GET", "/api/v1/notifications/log?case="+code, "admin", nil)
	if log.num("total") == 0 || strings.Contains(log.raw, "13812345678") {
		t.Fatalf("log: %.600s", log.raw)
	}
	c.want(403, "GET", "/api/v1/notifications/log", "operator", nil)
	c.want(404, "GET", "/api/v1/notifications/log?case=no-such-case", "admin", nil)
	c.want(400, "GET", "/api/v1/notifications/log?status=lost", "admin", nil, bad, "")
	if pub := c.want(200, "GET", "/api/v1/public/cases?state=open&limit=5", "", nil); !strings.Contains(pub.raw, `"code":"`+code+`"`) || strings.Contains(pub.raw, "13812345678") {
		t.Fatalf("public board: %.600s", pub.raw)
	}
	c.want(400, "GET", "/api/v1/public/cases?state=lost", "", nil, bad, "")
	c.want(200, "GET", "/api/v1/public/stats", "", nil)
	c.want(400, "GET", "/api/v1/public/stats?period=year", "", nil, bad, "")
	c.want(200, "GET", "/api/v1/settings/citizen", "operator", nil)
	if s := c.want(200, "PUT", "/api/v1/settings/citizen", "admin", map[string]any{"reopen_days": 10, "unanswered": "satisfied",
		"similar_radius": map[string]any{"C0104": 100}}); s.num("reopen_days") != 10 || s.num("followup_days") != 7 {
		t.Fatalf("settings: %s", s.raw)
	}
	c.want(400, "PUT", "/api/v1/settings/citizen", "admin", map[string]any{"reopen_days": 1000}, bad, "")
	c.want(400, "PUT", "/api/v1/settings/citizen", "admin", map[string]any{"similar_radius": map[string]any{"C0104": 1}}, bad, "")
	c.want(403, "PUT", "/api/v1/settings/citizen", "operator", map[string]any{})
	c.want(200, "PUT", "/api/v1/settings/citizen", "admin", map[string]any{})
}
