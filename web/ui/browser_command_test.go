package ui_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gridloop/gridloop/internal/dbtest"
)

const wallW, wallH = 1920, 1080

// wall sets the tab's viewport to a 1920×1080 screen.
func (b *browser) wall() {
	b.t.Helper()
	b.do("1920×1080 viewport", chromedp.EmulateViewport(wallW, wallH))
}

// wallShot writes a screenshot of the 1920×1080 viewport (what the screen shows, not
// the full page) and checks its size.
func (b *browser) wallShot(name string) {
	b.t.Helper()
	*b.n++
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(img) < 24 || binary.BigEndian.Uint32(img[16:20]) != wallW || binary.BigEndian.Uint32(img[20:24]) != wallH {
		b.t.Fatalf("screenshot %s is not %d×%d", name, wallW, wallH)
	}
	file := filepath.Join(b.shotDir, fmt.Sprintf("%02d-%s-1920x1080.png", *b.n, name))
	if err := os.WriteFile(file, img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) evalBool(expr string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (b *browser) evalString(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string]("String("+expr+")"))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// commandReady waits until the dashboard has drawn its data, the heat map and the
// feed's backlog, and the charts have finished their animations.
func (b *browser) commandReady() {
	b.t.Helper()
	b.waitJS(`document.getElementById("heat-map").dataset.ready === "1" && +document.getElementById("command").dataset.refreshes >= 1`)
	b.waitJS(`document.getElementById("command").dataset.live === "live" && document.querySelectorAll("#feed li[data-code]").length > 0`)
	b.chartsDone()
}

// chartsDone waits until every chart has finished drawing.
func (b *browser) chartsDone() {
	b.t.Helper()
	b.waitJS(`Array.prototype.every.call(document.querySelectorAll(".chart"), function (c) { return c.dataset.finished === "1"; })`)
}

// fitsTheWall fails when the page scrolls at 1920×1080 or a panel leaves the screen.
func (b *browser) fitsTheWall(where string) {
	b.t.Helper()
	if !b.evalBool(`window.innerWidth === 1920 && window.innerHeight === 1080`) {
		b.t.Fatalf("%s: viewport is %s", where, b.evalString(`window.innerWidth + "×" + window.innerHeight`))
	}
	if size := b.evalString(`document.scrollingElement.scrollWidth + "×" + document.scrollingElement.scrollHeight`); size != "1920×1080" {
		b.t.Errorf("%s: the page scrolls: %s", where, size)
	}
	if out := b.evalString(`Array.prototype.filter.call(document.querySelectorAll(".panel, .kpi, .cmd-head"), function (e) {
		var r = e.getBoundingClientRect(); return r.width === 0 || r.height === 0 || r.right > 1920.5 || r.bottom > 1080.5 || r.left < 0 || r.top < 0;
	}).map(function (e) { return e.id || e.className; }).join(",")`); out != "" {
		b.t.Errorf("%s: panels off the screen or empty: %s", where, out)
	}
}

// TestBrowserCommand shows the command dashboard in Chromium on a 1920×1080 screen over
// a month of history: every panel drawn from the service's figures, the heat map over
// the grids, the page not scrolling; a case reported meanwhile appears in the live feed
// within seconds, without a reload; then in English, and for a street's supervisor.
func TestBrowserCommand(t *testing.T) {
	chromium(t)
	c := newCity(t, dbtest.SQLite(t))
	c.addSpace(t)
	seed := c.seedCommand(t, 29)
	want := c.dashboardOf(t, "supervisor")
	if len(want.DepartmentRanking) == 0 || len(want.Overdue.Items) == 0 || len(want.Heat.Grids) == 0 || len(want.TopCategories) == 0 {
		t.Fatalf("seeded dashboard lacks data: %+v", want)
	}
	tab := startBrowser(t, c.url)
	b := tab(false)
	b.login("supervisor")
	b.contains("header.top nav", "指挥大屏")
	b.wall()
	// Everything the page writes to the console: the dashboard must run without an
	// error, an exception or a refusal by the Content-Security-Policy.
	cctx, stop := context.WithCancel(b.ctx)
	var mu sync.Mutex
	var console []string
	messages := chromedp.Console(cctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning || m.Source == "security" {
				mu.Lock()
				console = append(console, m.String())
				mu.Unlock()
			}
		}
	}()
	b.open("/command?refresh=5")
	b.commandReady()
	b.fitsTheWall("command")
	if b.evalString(`document.getElementById("command").dataset.scale`) != "1" {
		t.Errorf("the frame is scaled at 1920×1080")
	}

	// Header: the city, the scope, the clock, when the data was read.
	b.contains("#cmd-city", "杭州市")
	b.contains("#cmd-scope", "全市")
	b.waitJS(`/^\d\d:\d\d:\d\d$/.test(document.getElementById("cmd-clock").textContent)`)
	b.contains("#cmd-updated", "数据更新于")
	b.contains(".cmd-nav", "每 5 秒自动刷新")

	// The figures are the service's.
	for id, n := range map[string]int{"kpi-today": want.TodayCases.Total, "kpi-open": want.Open.Total, "kpi-overdue": want.Overdue.Total} {
		if got := b.text("#" + id + " .k-value"); got != strconv.Itoa(n) {
			t.Errorf("%s shows %s, want %d", id, got, n)
		}
	}
	for _, id := range []string{"chart-status", "chart-channel", "chart-trend", "chart-categories"} {
		if !b.evalBool(`document.querySelector("#` + id + ` canvas") && +document.getElementById("` + id + `").dataset.points > 0`) {
			t.Errorf("%s: no chart drawn (%s points)", id, b.evalString(`document.getElementById("`+id+`").dataset.points`))
		}
	}
	if got := b.evalInt(`+document.getElementById("chart-categories").dataset.points`); got != min(10, len(want.TopCategories)) {
		t.Errorf("categories chart has %d bars, want %d", got, len(want.TopCategories))
	}
	rows := b.evalString(`Array.prototype.map.call(document.querySelectorAll("#ranking-table tbody tr"), function (r) { return r.dataset.dept; }).join(",")`)
	var wantRows []string
	for _, r := range want.DepartmentRanking[:min(10, len(want.DepartmentRanking))] {
		wantRows = append(wantRows, strconv.FormatInt(r.ID, 10))
	}
	if rows != strings.Join(wantRows, ",") {
		t.Errorf("ranking rows %q, want %q", rows, strings.Join(wantRows, ","))
	}
	b.contains("#ranking-table tbody tr:first-child .name", want.DepartmentRanking[0].Name)
	if th := b.attr(`#ranking-table th[data-indicator="handled_on_time_rate"] abbr`, "title"); !strings.Contains(th, "按期处置数 ÷ 应处置数") {
		t.Errorf("ranking column definition: %q", th)
	}
	// The list pages through the items that do not fit: read the page shown with its rows.
	shown := strings.Split(b.evalString(`[document.getElementById("command").dataset.overduePage, document.getElementById("command").dataset.overduePer].concat(
		Array.prototype.map.call(document.querySelectorAll("#overdue-table tbody tr"), function (r) { return r.dataset.code; })).join(",")`), ",")
	page, _ := strconv.Atoi(shown[0])
	per, _ := strconv.Atoi(shown[1])
	codes := shown[2:]
	if per < 4 || len(codes) != min(per, len(want.Overdue.Items)-page*per) {
		t.Errorf("overdue list shows %d rows, %d per page", len(codes), per)
	}
	for i, code := range codes {
		j := page*per + i
		if j >= len(want.Overdue.Items) || code != want.Overdue.Items[j].Code || !seed.overdue[code] {
			t.Errorf("overdue row %d of page %d is %q, want item %d of %d", i, page, code, j, len(want.Overdue.Items))
		}
	}
	if n := b.evalInt(`document.querySelectorAll("#overdue-table .lamp.red").length`); n != len(codes) {
		t.Errorf("%d red lights for %d overdue rows", n, len(codes))
	}
	b.contains("#overdue-count", fmt.Sprintf("共 %d 件", want.Overdue.Total))
	if hot, grids := b.evalInt(`document.querySelectorAll("#heat-map path.heat-cell.hot").length`), b.evalInt(`+document.getElementById("heat-map").dataset.grids`); hot != len(want.Heat.Grids) || grids < hot || grids == 0 {
		t.Errorf("heat map: %d hot grids drawn of %d, service has %d", hot, grids, len(want.Heat.Grids))
	}
	if n := b.evalInt(`document.querySelectorAll("#heat-map .area-name").length`); n != 4 {
		t.Errorf("heat map names %d communities, want 4", n)
	}
	// No name covers another.
	if n := b.evalInt(`(function () {
		var r = Array.prototype.map.call(document.querySelectorAll("#heat-map .area-name span"), function (e) { return e.getBoundingClientRect(); }), n = 0;
		for (var i = 0; i < r.length; i++) for (var j = i + 1; j < r.length; j++)
			if (r[i].left < r[j].right && r[j].left < r[i].right && r[i].top < r[j].bottom && r[j].top < r[i].bottom) n++;
		return n;
	})()`); n != 0 {
		t.Errorf("heat map: %d pairs of names overlap", n)
	}
	// The test city's four communities never crowd each other, so the placement the map
	// uses is also driven with boxes of the test's own: which names it keeps.
	for _, tc := range []struct{ items, opts, want string }{
		// B would cover A (busier) and is left out; C covers only B, which is not placed.
		{`[{name:"B",n:4,x:50,y:0,w:80,h:40},{name:"A",n:5,x:0,y:0,w:80,h:40},{name:"C",n:3,x:100,y:0,w:80,h:40}]`, `{max:40}`, "A,C"},
		// Touching edges do not overlap.
		{`[{name:"A",n:1,x:0,y:0,w:80,h:40},{name:"B",n:2,x:80,y:0,w:80,h:40},{name:"C",n:3,x:0,y:40,w:80,h:40}]`, `{max:40}`, "C,B,A"},
		// Stacked on one point: only the busiest.
		{`[{name:"A",n:1,x:9,y:9,w:60,h:40},{name:"B",n:7,x:9,y:9,w:60,h:40},{name:"C",n:3,x:9,y:9,w:60,h:40}]`, `{max:40}`, "B"},
		// At most max, busiest first; none with nothing reported when told so.
		{`[0,1,2,3,4].map(function (i) { return {name:"N"+i,n:i,x:i*100,y:0,w:80,h:40}; })`, `{max:3}`, "N4,N3,N2"},
		{`[0,1,2].map(function (i) { return {name:"N"+i,n:i,x:i*100,y:0,w:80,h:40}; })`, `{max:40,skipZero:true}`, "N2,N1"},
	} {
		got := b.evalString(`GridloopLabels.place(` + tc.items + `, ` + tc.opts + `).map(function (x) { return x.name; }).join(",")`)
		if got != tc.want {
			t.Errorf("labels placed from %s: %s, want %s", tc.items, got, tc.want)
		}
	}
	b.wallShot("command")

	// A case reported now comes up in the live feed, on top, without a reload; the
	// day's figures follow shortly after.
	b.eval(`window.__same = true`)
	start := time.Now()
	code := c.report(t, "十字路口井盖松动，车辆经过有响声", 30.245, 120.131)
	b.waitJS(`(function () { var li = document.querySelector("#feed li:first-child"); return li && li.dataset.code === "` + code + `"; })()`)
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("the new case took %v to reach the feed", d)
	}
	b.contains("#feed li:first-child", "上报")
	b.contains("#feed li:first-child", "待受理")
	b.contains("#feed li:first-child", "宝石社区")
	b.waitJS(`document.querySelector("#kpi-today .k-value").textContent === "` + strconv.Itoa(want.TodayCases.Total+1) + `"`)
	if !b.evalBool(`window.__same === true`) {
		t.Error("the page reloaded")
	}
	// The screen reads everything again on its own (every 5 s here).
	b.waitJS(`+document.getElementById("command").dataset.refreshes >= 2`)
	b.chartsDone()
	b.fitsTheWall("command after events")
	b.wallShot("command-live")

	stop()
	<-done
	mu.Lock()
	for _, m := range console {
		t.Errorf("console: %s", m)
	}
	mu.Unlock()

	// English.
	b.open("/command?lang=en")
	b.commandReady()
	b.contains("h1", "Grid governance command centre")
	b.contains("#panel-ranking h2", "Department ranking")
	b.contains("#cmd-updated", "Data as of")
	b.contains("#feed", "Reported")
	b.fitsTheWall("command in English")
	b.wallShot("command-en")
	b.open("/command?lang=zh")

	// A street's supervisor: the street's communities only.
	s := tab(false)
	s.login("street_west")
	s.wall()
	s.open("/command")
	s.commandReady()
	s.contains("#cmd-scope", "北山街道")
	s.contains("#ranking-table tbody", "北山街道办事处")
	if n := s.evalInt(`+document.getElementById("heat-map").dataset.areas`); n != 2 {
		t.Errorf("street_west's heat map has %d communities, want 2", n)
	}
	for _, code := range seed.east {
		if s.evalBool(`document.querySelector('[data-code="` + code + `"]')`) {
			t.Errorf("street_west's screen shows the east street's case %s", code)
		}
	}
	s.fitsTheWall("street supervisor's command")
	s.wallShot("command-street")
}
