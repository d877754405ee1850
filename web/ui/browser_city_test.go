package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/workflow"
)

// TestBrowserCity walks what issue #4 added on top of the loop, in Chromium: the
// report form's map picker and photo upload on a phone, the staff map (clustered cases
// over areas and grids, a clicked grid), a case's map, the admin pages with a limit
// change, an import with its progress page, and the grid worker's phone view.
func TestBrowserCity(t *testing.T) {
	chromium(t)
	c := newCity(t, dbtest.SQLite(t))
	c.addSpace(t)
	// Cases spread over the district, a few of them registered.
	var codes []string
	for i := 0; i < 14; i++ {
		lat := 30.225 + float64(i%7)*0.011
		lng := 120.105 + float64(i/7)*0.05 + float64(i%3)*0.013
		codes = append(codes, c.report(t, "巡查发现的问题 "+strconv.Itoa(i+1), lat, lng))
	}
	for _, code := range codes[:4] {
		c.act(t, "shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0101"})
	}
	c.act(t, "operator", codes[5], workflow.Input{Action: gl.ActionSendVerify})

	photo := filepath.Join(t.TempDir(), "IMG_2041.jpg")
	if err := os.WriteFile(photo, testJPEG(t, 640, 480, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	tab := startBrowser(t, c.url)
	citizen, staff := tab(true), tab(false)

	// The citizen picks the place on the map and attaches a photo.
	citizen.open("/report")
	citizen.waitJS(`document.getElementById("map").dataset.ready === "1" && document.getElementById("map").dataset.districts === "1"`)
	citizen.shot("report-map")
	// The first view holds the district; the tap then goes to a known view, so that
	// where it lands does not depend on the box's size when the view was fitted.
	if !citizen.evalBool(`gridloopMap.map.getBounds().contains([30.26, 120.15])`) {
		t.Fatal("the picker's first view does not hold the district")
	}
	citizen.eval(`gridloopMap.map.invalidateSize(); gridloopMap.map.setView([30.25, 120.13], 14, {animate: false})`)
	citizen.waitJS(`(function(){var s=gridloopMap.map.getSize(),e=document.getElementById("map");return s.x===e.clientWidth&&s.y===e.clientHeight})()`)
	citizen.do("tap the map", chromedp.Click(chromedp.CSS("#map")))
	citizen.waitJS(`document.getElementById("lat").value !== "" && document.getElementById("pick-place").textContent.indexOf("西湖区") >= 0`)
	lat, lng := citizen.value("#lat"), citizen.value("#lng")
	if !strings.HasPrefix(lat, "30.2") || !strings.HasPrefix(lng, "120.1") {
		t.Fatalf("picked %s, %s", lat, lng)
	}
	citizen.set("#description", "公园门口路灯杆倾斜")
	citizen.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
	citizen.shot("report-picked")
	citizen.submit("form[action='/report'] button.primary")
	citizen.contains("h1", "上报成功")
	code := citizen.text("#case-code")
	citizen.click("#track-link")
	citizen.waitJS(`(function(){var i=document.querySelector("#case-photos img");return i&&i.complete&&i.naturalWidth>0})()`)
	citizen.shot("track-photo")

	// The staff map: clusters and pins over the outlines, a chart by state.
	staff.login("supervisor")
	staff.open("/map")
	staff.waitJS(`document.getElementById("map").dataset.ready === "1" && document.getElementById("map").dataset.streets === "2"`)
	if n := staff.evalInt(`+document.getElementById("map").dataset.cases`); n != len(codes)+1 {
		t.Fatalf("map shows %d cases, want %d", n, len(codes)+1)
	}
	if n := staff.evalInt(`document.querySelectorAll(".marker-cluster, .case-pin").length`); n == 0 {
		t.Fatal("no markers or clusters drawn")
	}
	if n := staff.evalInt(`+document.getElementById("status-chart").dataset.bars`); n < 2 {
		t.Fatalf("chart has %d bars", n)
	}
	staff.contains("#map-count", "共 15 件")
	staff.shot("map")
	// Zoom in: the grid layer appears; click a grid and see what it is.
	staff.eval(`gridloopMap.map.setView([30.285, 120.107], 16)`)
	staff.waitJS(`+document.getElementById("map").dataset.grids > 0`)
	staff.do("click a grid", chromedp.Click(chromedp.CSS("#map")))
	staff.waitJS(`document.getElementById("grid-facts") !== null`)
	staff.contains("#grid-facts", "北山街道")
	staff.contains("#grid-facts", "网格员 陈静")
	staff.shot("map-grid")
	// Filter by state: the same page, fewer markers.
	staff.set("#status", "registered")
	staff.submit("#map-filter button")
	staff.waitJS(`document.getElementById("map").dataset.ready === "1"`)
	if n := staff.evalInt(`+document.getElementById("map").dataset.cases`); n != 4 {
		t.Fatalf("registered cases on the map: %d", n)
	}
	// The case page's map shows its grid; the photo is there.
	staff.open("/cases/" + code)
	staff.waitJS(`document.getElementById("map").dataset.grid !== undefined`)
	staff.waitJS(`(function(){var i=document.querySelector("#case-photos img");return i&&i.complete&&i.naturalWidth>0})()`)
	staff.shot("case-map-photo")
	staff.logout()

	// An admin changes a handling limit and sees it on the list.
	staff.login("admin")
	staff.open("/admin")
	staff.shot("admin")
	staff.click("#link-categories")
	staff.shot("admin-categories")
	staff.click("#cat-C0101 a")
	staff.set("#handling_value", "0")
	staff.submit("#category-form button.primary")
	staff.contains("#limit-handling .field-error", "时限须为正整数")
	staff.shot("admin-category-error")
	staff.set("#handling_value", "7")
	staff.set("#handling_unit", "work_day")
	staff.submit("#category-form button.primary")
	staff.contains(".flash", "已保存问题类别 C0101")
	staff.contains("#cat-C0101 .handling", "7 工作日")
	staff.open("/admin/departments")
	staff.set("#parent_id", strconv.FormatInt(c.dept["A"], 10))
	staff.set("#dept-code", "A9")
	staff.set("#dept-name", "市政九所")
	staff.set("#dept-kind", "section")
	staff.submit("#dept-form button.primary")
	staff.contains("#dept-tree", "市政九所")
	staff.shot("admin-departments")
	staff.open("/admin/users")
	staff.shot("admin-users")
	staff.open("/admin/users/grid_member")
	staff.shot("admin-user")
	staff.open("/admin/routing")
	staff.set("#rule-category", "C01")
	staff.set("#rule-area", streetWest)
	staff.set("#rule-dept", strconv.FormatInt(c.dept["A"], 10))
	staff.submit("#rule-form button.primary")
	staff.contains(".flash", "已新增派遣规则")
	staff.contains("#rule-table", "北山街道")
	staff.shot("admin-routing")
	staff.open("/admin/calendar?year=2026")
	staff.shot("admin-calendar")
	bad := filepath.Join(t.TempDir(), "holidays.csv")
	os.WriteFile(bad, []byte("date,kind,name\n2027-02-06,休,春节\n2027-02-06,休,春节\n"), 0o644)
	staff.do("choose a CSV", chromedp.SetUploadFiles(chromedp.CSS("#csv-file"), []string{bad}))
	staff.submit("#import-form button")
	staff.contains("#import-error", "line 3")
	staff.shot("admin-calendar-import-error")
	staff.open("/admin/imports")
	staff.shot("admin-imports")
	geo := filepath.Join(t.TempDir(), "xihu.geojson")
	os.WriteFile(geo, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"330106","name":"西湖区"},"geometry":{"type":"Polygon","coordinates":[[[120.1,30.22],[120.2,30.22],[120.2,30.3],[120.1,30.3],[120.1,30.22]]]}}]}`), 0o644)
	staff.do("choose a GeoJSON", chromedp.SetUploadFiles(chromedp.CSS("#boundaries-file"), []string{geo}))
	staff.set("#boundaries-level", "district")
	staff.submit("#import-boundaries button")
	staff.waitJS(`document.getElementById("job").dataset.state === "done"`)
	staff.contains("#job-lines", "匹配区划 1 个")
	staff.shot("admin-import-done")
	staff.open("/admin?lang=en")
	staff.contains("h1", "Administration")
	staff.shot("admin-en")
	staff.open("/admin?lang=zh")
	staff.logout()

	// The grid worker on a phone: a task, verified with a photo; then a patrol report.
	gm := tab(true)
	gm.login("grid_member")
	gm.open("/grid")
	gm.contains("#task-list", codes[5])
	gm.shot("grid-tasks")
	gm.click("#task-list a.task-link")
	gm.waitJS(`document.getElementById("map").dataset.grid !== undefined`)
	gm.shot("grid-task")
	gm.click("#task-form input[name=valid][value=yes]")
	gm.set("#task-note", "现场属实")
	gm.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
	gm.submit("#task-form button.primary")
	gm.contains(".flash", "已完成「核实」")
	gm.contains("#no-tasks", "暂时没有")
	gm.shot("grid-done")
	gm.click("#patrol-link")
	gm.set("#description", "人行道护栏缺失")
	gm.set("#lat", "30.2601")
	gm.set("#lng", "120.1702")
	gm.do("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}))
	gm.shot("patrol")
	gm.submit("#patrol-form button.primary")
	gm.contains(".flash", "已上报，案件编号")
	gm.shot("patrol-done")
}

// waitJS waits until the expression is true, across reloads of the page.
func (b *browser) waitJS(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var m=document.getElementById("map");return location.pathname+" "+(m?JSON.stringify(m.dataset):"no #map")})()`))
	b.t.Fatalf("waiting for %s: %v (page: %s)", expr, last, state)
}

func (b *browser) eval(expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("(function(){"+expr+"; return true})()")); err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
}

func (b *browser) evalInt(expr string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return int(n)
}

func (b *browser) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}
