package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestBrowserCall: an operator on a desktop takes a 12345 call. From the workbench to
// the form; a first try without the caller's problem is refused with everything typed
// kept; the place's coordinates are named on the map; the new case's page tells the code and the
// tracking code, and the case waits for acceptance as the hotline's. The form on a phone
// fits its width (shot). A second call about the same problem is offered that case and
// recorded on it.
func TestBrowserCall(t *testing.T) {
	chromium(t)
	c := newCity(t, dbtest.SQLite(t))
	c.addSpace(t)
	tab := startBrowser(t, c.url)
	op := tab(false)

	op.login("operator")
	op.click("#new-call")
	op.contains("h1", "登记来电")
	op.waitJS(`document.getElementById("map").dataset.ready === "1" && document.getElementById("map").dataset.districts === "1"`)
	op.shot("call")
	op.set("#reporter_phone", "13912345678")
	op.set("#reporter_name", "张女士")
	op.set("#address", "文三路 12 号门前")
	op.set("#category_code", "C0101")
	op.submit("#call-form button.primary")
	op.contains(".field-error", "请记录来电人反映的问题")
	op.valueIs("#reporter_phone", "13912345678")
	op.valueIs("#address", "文三路 12 号门前")
	op.valueIs("#category_code", "C0101")
	op.shot("call-error")

	// The caller's place, typed: the picker follows the fields (the citizen's form
	// tests the taps, TestBrowserCity).
	op.waitJS(`document.getElementById("map").dataset.ready === "1"`)
	op.set("#lat", "30.236")
	op.set("#lng", "120.118")
	op.do("leave the field", chromedp.Evaluate[chromedp.Void](`document.getElementById("lng").dispatchEvent(new Event("change"))`))
	op.waitJS(`document.getElementById("pick-place").textContent.indexOf("西湖区") >= 0`)
	op.set("#description", "来电反映：文三路 12 号门前人行道井盖缺失，晚上看不清")
	op.submit("#call-form button.primary")
	op.contains(".flash", "已登记为案件")
	op.contains(".flash", "查询码")
	op.contains("#status", "待受理")
	op.contains("body", "12345热线")
	code := op.text("#case-code")
	if !strings.Contains(op.text(".flash"), code) {
		t.Fatalf("the flash does not name case %s", code)
	}
	op.shot("call-done")

	// A second caller about the same manhole: the case is offered before anything is
	// filed, and the call is recorded on it.
	op.click("#nav-call")
	op.set("#reporter_phone", "13700001111")
	op.set("#category_code", "C0101")
	op.set("#description", "文三路 12 号门口井盖没了，人行道上一个大坑")
	op.set("#lat", "30.236")
	op.set("#lng", "120.118")
	op.submit("#call-form button.primary")
	op.contains("#similar-calls", code)
	op.contains("#call-submit", "都不是，登记为新案件")
	op.valueIs("#reporter_phone", "13700001111")
	op.shot("call-repeat")
	op.submit("#similar-calls form button")
	op.contains(".flash", "已将来电登记到案件 "+code)
	op.contains("#case-code", code)
}
