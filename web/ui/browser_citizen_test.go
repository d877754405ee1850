package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/workflow"
)

// waitVisible waits until sel is shown (after a fetch, say).
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// tap clicks sel without waiting for a new page (a button of a script).
func (b *browser) tap(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// path is the path of the tab's page.
func (b *browser) path() string {
	b.t.Helper()
	p, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// noScript turns JavaScript off in the tab, as a browser without it.
func (b *browser) noScript() {
	b.t.Helper()
	b.do("disable scripts", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// TestBrowserMeToo: a citizen reports a broken street lamp on a phone. A second
// citizen at the same place describes it in other words: before they submit, the form
// shows the existing case, and they follow it. A third, without JavaScript, is shown
// the match after submitting, reports anyway, and the operator merges the duplicate
// from its register page with one click. The case is fixed and closed; the first
// reporter says it is not fixed: the case is back in the department's queue and on
// its case page, the supervisor has an alert on the workbench, and the follower and
// the merged report's reporter see the reopening on their tracking pages. The public
// board, map and statistics show it without personal data.
func TestBrowserMeToo(t *testing.T) {
	chromium(t)
	ctx := context.Background()
	c := newCity(t, dbtest.SQLite(t))
	tab := startBrowser(t, c.url)
	first, second, third, staff := tab(true), tab(true), tab(true), tab(false)

	fill := func(b *browser, desc string) {
		b.open("/report")
		b.set("#description", desc)
		b.set("#category_code", "C0104")
		b.set("#lat", "30.2741")
		b.set("#lng", "120.1445")
		b.set("#address", "曙光路杭大路口")
	}
	// The first report: the form's own check finds nothing and files it.
	fill(first, lampText)
	first.set("#reporter_phone", "13912345678")
	first.submit("form[action='/report'] button.primary")
	first.contains("h1", "上报成功")
	code := first.text("#case-code")
	firstTrack := first.attr("#track-link", "href")

	// The second citizen: the check step offers the existing case before submitting.
	fill(second, lampAgain)
	second.tap("#similar-check")
	second.waitVisible("#similar-list li")
	second.contains("#similar", code)
	second.contains("#similar", "路灯")
	if strings.Contains(second.text("#similar"), "13912345678") {
		t.Fatal("the similar case shows the reporter's phone")
	}
	second.shot("report-similar-offered")
	second.submit("#similar-list li[data-code='" + code + "'] button.follow")
	second.contains(".flash", "您已关注案件 "+code)
	second.contains("h1", code)
	second.contains("#follower-note", "其他市民已反映")
	second.contains("#interest", "另有 1 人")
	second.contains("#timeline", "市民附议")
	second.shot("track-follower")
	followerTrack := second.path()

	// The third citizen has no JavaScript: the server shows the match after the submit.
	third.noScript()
	fill(third, "曙光路杭大路口路灯坏了，晚上一片漆黑")
	third.submit("form[action='/report'] button.primary")
	third.contains("h1", "这个问题可能已经有人反映了")
	third.contains("#similar-matches", code)
	third.shot("report-similar-nojs")
	third.submit("#report-anyway button")
	third.contains("h1", "上报成功")
	dup := third.text("#case-code")
	dupTrack := third.attr("#track-link", "href")

	// The operator merges the duplicate from its register page.
	staff.login("operator")
	staff.open("/cases/" + dup)
	staff.contains("#similar-cases", code)
	staff.contains("#similar-cases", "相似度")
	staff.shot("case-similar-merge")
	staff.submit("#similar-cases li[data-code='" + code + "'] button.merge-into")
	staff.contains(".flash", "合并")
	staff.contains("#status", "已合并")
	staff.logout()

	// The department fixes it and the case closes (through the service: TestBrowserLoop walks these pages).
	as := func(name string) *service.Principal { return c.svc.NewPrincipal(mustUser(t, c, name)) }
	yes := true
	for _, st := range []struct {
		user string
		in   workflow.Input
	}{
		{"shift_lead", workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"}},
		{"dispatcher", workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]}},
		{"handler_a", workflow.Input{Action: gl.ActionSign}},
		{"handler_a", workflow.Input{Action: gl.ActionFeedback, Note: "已更换灯泡，恢复照明"}},
		{"operator", workflow.Input{Action: gl.ActionSendCheck}},
		{"grid_member", workflow.Input{Action: gl.ActionCheck, Passed: &yes, Note: "现场已亮"}},
		{"shift_lead", workflow.Input{Action: gl.ActionClose}},
	} {
		if _, err := c.svc.Act(ctx, as(st.user), code, st.in, nil); err != nil {
			t.Fatalf("%s %s: %v", st.user, st.in.Action, err)
		}
	}

	// The merged report's reporter sees the parent's outcome on their own tracking page.
	third.open(dupTrack)
	third.contains("#merged-note", code)
	third.contains("#status", "已结案")
	third.contains("#timeline", "已更换灯泡")
	third.contains("#messages", "已办结")
	third.shot("track-merged-closed")

	// The first reporter: not fixed.
	first.open(firstTrack)
	first.contains("#status", "已结案")
	first.contains("#messages", "请在查询页面评价")
	first.click("#form-rate input[name=fixed][value=no]")
	first.click("#form-rate input[name=satisfaction][value=unsatisfied]")
	first.set("#rate-note", "晚上路灯还是不亮")
	first.submit("#form-rate button.primary")
	first.contains(".flash", "重新办理")
	first.contains("#status", "处置中")
	first.shot("track-reporter-reopened")

	// The department has it again: its queue and the case page.
	staff.login("handler_a")
	staff.contains(".queue[data-queue='queue.handling'] .count", "1")
	staff.contains("#inbox", "重新办理")
	staff.click(".queue[data-queue='queue.handling']")
	staff.contains("#case-list", code)
	staff.click("#case-list a.code")
	staff.contains("#status", "处置中")
	staff.contains("#timeline", "晚上路灯还是不亮")
	staff.shot("case-reopened-dept")
	staff.logout()

	// The supervisor has an alert.
	staff.login("supervisor")
	staff.contains("#inbox", "督办提醒")
	staff.contains("#inbox", code)
	staff.contains("#unread", "未读")
	staff.shot("work-supervisor-alert")
	staff.submit("#inbox form button")
	if strings.Contains(staff.text("#inbox"), "未读") {
		t.Fatal("messages still unread after marking them read")
	}
	staff.logout()

	// The follower is told too.
	second.open(followerTrack)
	second.contains("#status", "处置中")
	second.contains("#messages", "重新办理")

	// The public board, its case page, the map and the statistics: no personal data.
	pub := tab(true)
	pub.open("/public")
	pub.contains("#public-list", code)
	pub.contains("#public-list", "已更换灯泡")
	if strings.Contains(pub.text("main"), "13912345678") {
		t.Fatal("the public board shows a phone number")
	}
	pub.shot("public-board")
	pub.submit("#public-list a.code")
	pub.contains("#case-code", code)
	pub.contains("#replies", "已更换灯泡，恢复照明")
	pub.shot("public-case")
	pub.open("/public/map?state=open")
	pub.waitVisible("#public-map[data-ready='1']")
	pub.shot("public-map")
	pub.open("/public/stats")
	pub.contains("#dept-rates", "市政管理局")
	pub.shot("public-stats")
}
