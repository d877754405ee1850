package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

const (
	lampText  = "曙光路与杭大路交叉口东南角的路灯晚上不亮，已经三天了，行人过马路很危险"
	lampAgain = "杭大路曙光路路口东南角那盏路灯不亮，晚上过马路看不清，请尽快修一下"
)

func lampForm(desc string) url.Values {
	return url.Values{"description": {desc}, "lat": {"30.2741"}, "lng": {"120.1445"}, "category_code": {"C0104"},
		"address": {"曙光路杭大路口"}, "reporter_phone": {"13912345678"}, "idem": {"k-" + desc[:9]}}
}

// reportDone posts the report form and returns the new case's code and token.
func reportDone(t *testing.T, base string, v url.Values) (string, string) {
	t.Helper()
	st, body, h := post(t, client(t), base+"/report", v)
	loc := h.Get("Location")
	if st != 303 || !strings.HasPrefix(loc, "/report/done?") {
		t.Fatalf("report: %d %s %.300s", st, loc, body)
	}
	q, _ := url.ParseQuery(loc[strings.Index(loc, "?")+1:])
	return q.Get("code"), q.Get("token")
}

// TestCitizenPages runs issue #9's pages without a browser (no JavaScript at all): a
// second report of the same problem is shown the existing case first and follows it;
// a third goes on anyway and the operator merges it from the register page; the
// public board, map data and statistics show the case without personal data.
func TestCitizenPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		city := newCity(t, b)
		base := city.url
		first, firstToken := reportDone(t, base, lampForm(lampText))

		// The same problem in other words: the matches page, and no new case.
		second := client(t)
		st, body, _ := post(t, second, base+"/report", lampForm(lampAgain))
		if st != 200 || !strings.Contains(body, `id="similar-matches"`) || !strings.Contains(body, first) || !strings.Contains(body, `action="/report/follow"`) {
			t.Fatalf("matches page: %d %.500s", st, body)
		}
		if !strings.Contains(body, `name="similar_seen" value="1"`) || !strings.Contains(body, lampAgain) {
			t.Fatal("the matches page does not carry the report for 'report anyway'")
		}
		if strings.Contains(body, "13912345678</") {
			t.Fatal("the matches page shows a phone number")
		}
		st, _, h := post(t, second, base+"/report/follow", url.Values{"code": {first}, "idem": {"follow-1"}, "reporter_phone": {"13700001111"}})
		loc := h.Get("Location")
		if st != 303 || !strings.HasPrefix(loc, "/track/") {
			t.Fatalf("follow: %d %s", st, loc)
		}
		if _, body, _ := get(t, second, base+loc); !strings.Contains(body, first) || !strings.Contains(body, `id="follower-note"`) || !strings.Contains(body, "您已关注案件") ||
			!strings.Contains(body, `id="track-code">`+service.DisplayTrackingToken(strings.TrimPrefix(loc, "/track/"))+`<`) {
			t.Fatalf("follower's tracking page: %.600s", body)
		}
		c, err := city.svc.Case(ctx, &service.Principal{System: true}, first)
		if err != nil || c.Interest != 1 {
			t.Fatalf("interest: %+v %v", c, err)
		}

		// A third citizen goes on anyway; the operator merges it from the register page.
		v := lampForm(lampAgain)
		v.Set("similar_seen", "1")
		v.Set("idem", "third")
		third, thirdToken := reportDone(t, base, v)
		staff := client(t)
		if st, _, _ := post(t, staff, base+"/login", url.Values{"username": {"operator"}, "password": {testPassword}}); st != 303 {
			t.Fatalf("login: %d", st)
		}
		_, body, _ = get(t, staff, base+"/cases/"+third)
		if !strings.Contains(body, `id="similar-cases"`) || !strings.Contains(body, `name="parent_code" value="`+first+`"`) {
			t.Fatalf("register page without the similar case: %.800s", body)
		}
		c3, _ := city.svc.Case(ctx, &service.Principal{System: true}, third)
		st, _, _ = post(t, staff, base+"/cases/"+third+"/actions/merge", url.Values{"parent_code": {first}, "version": {itoa(c3.Version)}, "note": {"同一路灯"}})
		if st != 303 {
			t.Fatalf("merge: %d", st)
		}
		if _, body, _ := get(t, client(t), base+"/track/"+thirdToken); !strings.Contains(body, `id="merged-note"`) || !strings.Contains(body, first) {
			t.Fatalf("merged report's tracking page: %.600s", body)
		}

		// Register the first case: it appears on the public board, masked.
		p := city.svc.NewPrincipal(mustUser(t, city, "shift_lead"))
		if _, err := city.svc.Act(ctx, p, first, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"}, nil); err != nil {
			t.Fatal(err)
		}
		pub := client(t)
		if _, body, _ := get(t, pub, base+"/public"); !strings.Contains(body, first) || strings.Contains(body, "13912345678") {
			t.Fatalf("board: %.600s", body)
		}
		if st, body, _ := get(t, pub, base+"/public/cases/"+first); st != 200 || !strings.Contains(body, "路灯") {
			t.Fatalf("public case: %d", st)
		} else if !strings.Contains(body, `id="reporter-lookup"`) || !strings.Contains(body, `action="/track"`) || !strings.Contains(body, "查看办理进度") {
			t.Fatalf("public case without the reporter's way to the tracking page: %.1200s", body)
		}
		if st, _, _ := get(t, pub, base+"/public/cases/"+third); st != 404 {
			t.Fatalf("merged case on the board: %d", st)
		}
		if st, body, _ := get(t, pub, base+"/public/map"); st != 200 || !strings.Contains(body, `id="public-map-config"`) {
			t.Fatalf("public map: %d", st)
		}
		_, body, _ = get(t, pub, base+"/public/cases.json?state=open")
		var pts struct {
			Total int `json:"total"`
			Cases []struct {
				Code string `json:"code"`
			} `json:"cases"`
		}
		if err := json.Unmarshal([]byte(body), &pts); err != nil || pts.Total != 1 || pts.Cases[0].Code != first {
			t.Fatalf("map data: %s %v", body, err)
		}
		if st, body, _ := get(t, pub, base+"/public/stats"); st != 200 || !strings.Contains(body, `id="dept-rates"`) {
			t.Fatalf("stats: %d", st)
		}
		// The reporter's own tracking page still works, with their messages.
		if _, body, _ := get(t, pub, base+"/track/"+firstToken); !strings.Contains(body, `id="messages"`) || !strings.Contains(body, "已立案") {
			t.Fatalf("reporter's tracking page: %.600s", body)
		}
		// The workbench shows messages.
		if _, body, _ := get(t, staff, base+"/work"); !strings.Contains(body, `id="inbox"`) {
			t.Fatalf("workbench: %.400s", body)
		}

		// Reworked: the department answers twice. The board's list shows the answer that
		// stands, once; the case's page shows both.
		yes, no := true, false
		for _, st := range []struct {
			user string
			in   workflow.Input
		}{
			{"dispatcher", workflow.Input{Action: gl.ActionDispatch, DeptID: city.dept["A"]}},
			{"handler_a", workflow.Input{Action: gl.ActionSign}},
			{"", workflow.Input{}}, // the reporter looks: the department's deadline is there
			{"handler_a", workflow.Input{Action: gl.ActionFeedback, Note: "已更换灯泡"}},
			{"operator", workflow.Input{Action: gl.ActionSendCheck}},
			{"grid_member", workflow.Input{Action: gl.ActionCheck, Passed: &no, Note: "灯仍不亮"}},
			{"handler_a", workflow.Input{Action: gl.ActionFeedback, Note: "已更换整套灯具，恢复照明"}},
			{"operator", workflow.Input{Action: gl.ActionSendCheck}},
			{"grid_member", workflow.Input{Action: gl.ActionCheck, Passed: &yes, Note: "现场已亮"}},
			{"shift_lead", workflow.Input{Action: gl.ActionClose}},
		} {
			if st.user == "" {
				if _, body, _ := get(t, pub, base+"/track/"+firstToken); !strings.Contains(body, `id="due"`) || !strings.Contains(body, "前办结答复") {
					t.Fatalf("tracking page while handled: %.800s", body)
				}
				continue
			}
			city.act(t, st.user, first, st.in)
		}
		_, body, _ = get(t, pub, base+"/public")
		if strings.Count(body, `class="reply small"`) != 1 || !strings.Contains(body, "已更换整套灯具") || strings.Contains(body, "已更换灯泡") {
			t.Fatalf("board after a rework: %.1200s", body)
		}
		_, body, _ = get(t, pub, base+"/public/cases/"+first)
		if !strings.Contains(body, "已更换灯泡") || !strings.Contains(body, "已更换整套灯具") {
			t.Fatalf("public case after a rework: %.1200s", body)
		}
		// The closing text sends the reporter to this page: from it they reach their
		// tracking page, where they rate or say it is not fixed.
		if !strings.Contains(body, "评价办理结果") || !strings.Contains(body, "申请重新办理") {
			t.Fatalf("closed public case without the way to rate: %.1200s", body)
		}
		// Typed as a caller would from a note: small letters, spaces for hyphens.
		typed := " " + strings.ToLower(strings.ReplaceAll(firstToken, "-", " ")) + " "
		st, _, h = get(t, pub, base+"/track?"+url.Values{"token": {typed}}.Encode())
		loc = h.Get("Location")
		if want := "/track/" + strings.ReplaceAll(firstToken, "-", ""); st != 303 || loc != want {
			t.Fatalf("the lookup form: %d %s, want %s", st, loc, want)
		}
		if _, body, _ := get(t, pub, base+loc); !strings.Contains(body, `action="`+loc+`/rate"`) || !strings.Contains(body, `action="`+loc+`/reopen"`) ||
			!strings.Contains(body, `id="track-code">`+firstToken+`<`) {
			t.Fatalf("the closed case's tracking page offers no rating or reopening: %.1500s", body)
		}
	})
}

func mustUser(t *testing.T, c *city, name string) *gl.User {
	t.Helper()
	u, err := c.svc.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
