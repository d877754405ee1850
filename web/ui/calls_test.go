package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// TestCallPages: an operator registers a hotline call from the workbench without
// JavaScript. Bad input is refused field by field with everything typed kept; a good
// form files one case as the hotline's, even sent twice, and the case page tells the
// operator its code and tracking code once. A repeat call about it is offered the case
// before anything is filed and recorded on it, or filed anyway. Staff without
// report.create, and anyone signed out, cannot.
func TestCallPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		city := newCity(t, b)
		base := city.url
		op := signIn(t, base, "operator")
		if _, body, _ := get(t, op, base+"/work"); !strings.Contains(body, `id="new-call"`) || !strings.Contains(body, `id="nav-call"`) {
			t.Fatalf("workbench without the call link: %.600s", body)
		}
		st, body, _ := get(t, op, base+"/cases/new")
		if st != 200 || !strings.Contains(body, `action="/cases/new"`) || !strings.Contains(body, `<option value="hotline" selected>12345热线</option>`) {
			t.Fatalf("call form: %d %.800s", st, body)
		}
		idem := attrAfter(body, `name="idem"`, "value")
		if idem == "" {
			t.Fatal("the form has no idempotency key")
		}

		call := url.Values{"idem": {idem}, "channel": {"hotline"}, "reporter_phone": {"13912345678"}, "reporter_name": {"张女士"},
			"description": {""}, "category_code": {"C0104"}, "address": {"曙光路杭大路口"}, "lat": {"30.2741"}, "lng": {"东经120"}}
		tests := []struct {
			name, field, value string
			want               []string
		}{
			{"no description, a longitude in words", "", "", []string{"请记录来电人反映的问题", "经度须为数字"}},
			{"a channel staff do not record", "channel", "patrol", []string{"请选择来源渠道"}},
		}
		for _, tt := range tests {
			v := url.Values{}
			for k, vs := range call {
				v[k] = vs
			}
			if tt.field != "" {
				v.Set(tt.field, tt.value)
				v.Set("description", "路灯不亮")
				v.Set("lng", "120.1445")
			}
			st, body, _ := post(t, op, base+"/cases/new", v)
			if st != 422 {
				t.Errorf("%s: status %d", tt.name, st)
			}
			for _, w := range append(tt.want, "13912345678", "张女士", "曙光路杭大路口", `value="C0104" selected`) {
				if !strings.Contains(body, w) {
					t.Errorf("%s: the page lacks %q", tt.name, w)
				}
			}
		}

		call.Set("description", "杭大路曙光路路口东南角路灯晚上不亮，已经三天了")
		call.Set("lng", "120.1445")
		for i := range 2 { // sent twice: one case
			st, _, h := post(t, op, base+"/cases/new", call)
			if st != 303 || !strings.HasPrefix(h.Get("Location"), "/cases/") {
				t.Fatalf("call %d: %d %s", i, st, h.Get("Location"))
			}
			call.Set("loc", h.Get("Location"))
		}
		code := strings.TrimPrefix(call.Get("loc"), "/cases/")
		_, body, _ = get(t, op, base+"/cases/"+code)
		if !strings.Contains(body, `class="flash"`) || !strings.Contains(body, "已登记为案件 "+code) || !strings.Contains(body, "查询码：") ||
			!strings.Contains(between(body, `id="stage-due"`, "</dd>"), "light light-green") {
			t.Fatalf("case page after the call: %.800s", body)
		}
		token := between(body, "查询码：", "（")
		if token == "" {
			t.Fatal("no tracking code on the case page")
		}
		if _, again, _ := get(t, op, base+"/cases/"+code); strings.Contains(again, token) {
			t.Error("the tracking code is shown twice")
		}
		p := &service.Principal{System: true}
		c, err := city.svc.Case(ctx, p, code)
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != gl.ChannelHotline || c.Status != gl.StatusReported || c.ReporterPhone != "13912345678" || c.CategoryCode != "C0104" {
			t.Errorf("case %+v", c)
		}
		// The register queue shows the case with its stage clock's light.
		if _, body, _ := get(t, op, base+"/cases?status=reported"); !strings.Contains(between(body, `href="/cases/`+code+`"`, "</li>"), "light light-green") {
			t.Errorf("the queue's row lacks the stage light: %.600s", between(body, `id="case-list"`, "</ul>"))
		}
		list, total, err := city.svc.Cases(ctx, p, store.CaseFilter{Statuses: []gl.Status{gl.StatusReported}})
		if err != nil || total != 1 || len(list) != 1 {
			t.Errorf("reported cases: %d %v", total, err)
		}
		if st, body, _ := get(t, client(t), base+"/track/"+token); st != 200 || !strings.Contains(body, code) {
			t.Errorf("the caller's tracking page: %d", st)
		}

		// A repeat call about the same lamp: the open case is offered before anything is
		// filed, and the call is recorded on it; the caller follows it.
		repeat := url.Values{"idem": {"repeat-1"}, "channel": {"hotline"}, "reporter_phone": {"13700001111"},
			"description": {lampText}, "category_code": {"C0104"}, "lat": {"30.2741"}, "lng": {"120.1445"}}
		// With a phone number the service refuses, no match is offered: the refusal comes
		// first, on the form, rather than after the operator picks a match.
		repeat.Set("reporter_phone", "137-abc")
		if st, body, _ := post(t, op, base+"/cases/new", repeat); st != 422 || strings.Contains(body, `id="similar-calls"`) || !strings.Contains(body, "电话号码格式不正确") {
			t.Fatalf("repeat call with a bad phone: %d %.600s", st, body)
		}
		repeat.Set("reporter_phone", "13700001111")
		st, body, _ = post(t, op, base+"/cases/new", repeat)
		if st != 200 || !strings.Contains(body, `id="similar-calls"`) || !strings.Contains(body, `action="/cases/`+code+`/callers"`) ||
			!strings.Contains(body, `name="similar_seen" value="1"`) || !strings.Contains(body, "都不是，登记为新案件") {
			t.Fatalf("repeat call: %d %.1200s", st, body)
		}
		st, _, hdr := post(t, op, base+"/cases/"+code+"/callers", url.Values{"idem": {"repeat-1"}, "reporter_phone": {"13700001111"}})
		if st != 303 || hdr.Get("Location") != "/cases/"+code {
			t.Fatalf("record the repeat call: %d %s", st, hdr.Get("Location"))
		}
		_, body, _ = get(t, op, base+"/cases/"+code)
		if !strings.Contains(body, "已将来电登记到案件 "+code) {
			t.Errorf("case page after the repeat call: %.600s", body)
		}
		// The operator tells the caller a code that opens the case as its follower.
		if m := regexp.MustCompile(`查询码：([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})`).FindStringSubmatch(body); m == nil {
			t.Errorf("no tracking code for the repeat caller: %.600s", body)
		} else if _, track, _ := get(t, client(t), base+"/track/"+m[1]); !strings.Contains(track, `id="follower-note"`) || !strings.Contains(track, code) {
			t.Errorf("the repeat caller's code does not open the case: %.600s", track)
		}
		if c, err := city.svc.Case(ctx, p, code); err != nil || c.Interest != 1 {
			t.Errorf("interest after the repeat call: %+v %v", c, err)
		}
		if _, total, _ := city.svc.Cases(ctx, p, store.CaseFilter{Statuses: []gl.Status{gl.StatusReported}}); total != 1 {
			t.Errorf("a repeat call filed a case: %d reported", total)
		}
		// Not the same problem after all: filed anyway, as a new case.
		repeat.Set("idem", "repeat-2")
		repeat.Set("similar_seen", "1")
		if st, _, hdr := post(t, op, base+"/cases/new", repeat); st != 303 || hdr.Get("Location") == "/cases/"+code {
			t.Fatalf("filed anyway: %d %s", st, hdr.Get("Location"))
		}

		// A handler files no cases; signed out, the form asks to sign in.
		h := signIn(t, base, "handler_a")
		if st, _, _ := get(t, h, base+"/cases/new"); st != 403 {
			t.Errorf("handler's call form: %d", st)
		}
		if st, _, _ := post(t, h, base+"/cases/"+code+"/callers", url.Values{"reporter_phone": {"13700002222"}}); st != 403 {
			t.Errorf("handler records a call: %d", st)
		}
		if _, body, _ := get(t, h, base+"/work"); strings.Contains(body, `id="new-call"`) {
			t.Error("the handler's workbench links to the call form")
		}
		// A grid worker may file (their patrol form), but takes no calls: no link.
		gm := signIn(t, base, "grid_member")
		if _, body, _ := get(t, gm, base+"/work"); strings.Contains(body, `id="new-call"`) || strings.Contains(body, `id="nav-call"`) {
			t.Error("the grid worker's workbench links to the call form")
		}
		if st, _, hdr := get(t, client(t), base+"/cases/new"); st != 303 || !strings.HasPrefix(hdr.Get("Location"), "/login") {
			t.Errorf("signed out: %d %s", st, hdr.Get("Location"))
		}
	})
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	j := strings.Index(s, to)
	if j < 0 {
		return ""
	}
	return s[:j]
}
