package ui_test

import (
	"net/url"
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// TestGridWorker runs the grid worker's phone view without JavaScript, on both
// databases: the task list, a verification with a photo, and a patrol report.
func TestGridWorker(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		c := newCity(t, b)
		c.addSpace(t)
		base := c.url
		code := c.report(t, "北山路人行道砖松动", 30.27, 120.12)
		c.act(t, "operator", code, workflow.Input{Action: gl.ActionSendVerify})

		// Grid workers only.
		if st, _, _ := get(t, signIn(t, base, "operator"), base+"/grid"); st != 403 {
			t.Fatalf("operator on /grid: %d", st)
		}
		gm := signIn(t, base, "grid_member")
		st, body, _ := get(t, gm, base+"/grid")
		if st != 200 || !strings.Contains(body, `href="/grid/tasks/`+code+`"`) || !strings.Contains(body, "待核实") || !strings.Contains(body, `href="/grid"`) {
			t.Fatalf("task list: %d", st)
		}
		// A later task is listed after it, the nearest stage deadline first, each with its
		// clock's light (just begun: green).
		later := c.report(t, "北山路路灯不亮", 30.27, 120.12)
		c.act(t, "operator", later, workflow.Input{Action: gl.ActionSendVerify})
		_, body, _ = get(t, gm, base+"/grid")
		first, second := strings.Index(body, `href="/grid/tasks/`+code+`"`), strings.Index(body, `href="/grid/tasks/`+later+`"`)
		if first < 0 || second < 0 || first > second || strings.Count(body, "light light-green") != 2 {
			t.Fatalf("task order %d, %d; lights: %d", first, second, strings.Count(body, "light light-green"))
		}
		st, body, _ = get(t, gm, base+"/grid/tasks/"+code)
		if st != 200 || !strings.Contains(body, `name="action" value="verify"`) || !strings.Contains(body, `capture="environment"`) ||
			!strings.Contains(body, `light light-green`) {
			t.Fatalf("task page: %d", st)
		}
		version := attrAfter(body, `name="version"`, "value")

		// No answer chosen: refused, the note is kept; then verified with a photo.
		f := url.Values{"action": {"verify"}, "version": {version}, "note": {"现场已查看"}}
		st, body, _ = postMultipart(t, gm, base+"/grid/tasks/"+code, f, upload{"photos", "site.jpg", testJPEG(t, 40, 30, 1)})
		if st != 422 || !strings.Contains(body, "现场已查看</textarea>") || photoIDPattern.FindStringSubmatch(body) == nil {
			t.Fatalf("verify without an answer: %d", st)
		}
		f["photo_ids"] = []string{photoIDPattern.FindStringSubmatch(body)[1]}
		f.Set("valid", "yes")
		st, _, h := postMultipart(t, gm, base+"/grid/tasks/"+code, f)
		if st != 303 || h.Get("Location") != "/grid" {
			t.Fatalf("verify: %d %s", st, h.Get("Location"))
		}
		_, body, _ = get(t, gm, base+"/grid")
		if !strings.Contains(body, "已完成「核实」") || strings.Contains(body, `href="/grid/tasks/`+code+`"`) {
			t.Fatal("after verifying: no flash, or the task is still listed")
		}
		cs, _ := c.svc.Case(t.Context(), &service.Principal{System: true}, code)
		if cs.Status != gl.StatusReported || !cs.Verified {
			t.Fatalf("verified case: %s verified=%v", cs.Status, cs.Verified)
		}
		// The verification's photo is on its event, shown in the case's timeline.
		op := signIn(t, base, "operator")
		if _, body, _ := get(t, op, base+"/cases/"+code); !strings.Contains(rowOfTimeline(body), "/photos/"+f["photo_ids"][0]+"/thumb") {
			t.Fatal("the verification's photo is not in the timeline")
		}

		// A patrol report: no coordinates first (the GPS gave none), then typed ones.
		p := url.Values{"description": {"绿化带缺株"}, "category_code": {"C0101"}, "idem": {"p1"}}
		st, body, _ = postMultipart(t, gm, base+"/grid/report", p, upload{"photos", "green.jpg", testJPEG(t, 40, 30, 1)})
		if st != 422 || !strings.Contains(body, "绿化带缺株</textarea>") || photoIDPattern.FindStringSubmatch(body) == nil {
			t.Fatalf("patrol without a place: %d", st)
		}
		p["photo_ids"] = []string{photoIDPattern.FindStringSubmatch(body)[1]}
		p.Set("lat", "30.25")
		p.Set("lng", "120.16")
		st, _, h = postMultipart(t, gm, base+"/grid/report", p)
		if st != 303 || !strings.HasPrefix(h.Get("Location"), "/grid?reported=") {
			t.Fatalf("patrol: %d", st)
		}
		pcode := strings.TrimPrefix(h.Get("Location"), "/grid?reported=")
		pc, _ := c.svc.Case(t.Context(), &service.Principal{System: true}, pcode)
		if pc.Channel != gl.ChannelPatrol || !pc.Verified || len(pc.Photos) != 1 || pc.GridCode == "" {
			t.Fatalf("patrol case: %+v", pc)
		}
		if _, body, _ := get(t, gm, base+"/grid"); !strings.Contains(body, "已上报，案件编号 "+pcode) {
			t.Fatal("no flash after the patrol report")
		}
	})
}

// rowOfTimeline is the timeline of a case page.
func rowOfTimeline(body string) string {
	i := strings.Index(body, `id="timeline"`)
	if i < 0 {
		return ""
	}
	return body[i:]
}
