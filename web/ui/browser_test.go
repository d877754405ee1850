package ui_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
)

// browser drives one tab of headless Chromium over the test city.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	phone   bool // the tab's own viewport
	shotDir string
	n       *int // screenshot counter shared by all tabs
}

const (
	phoneW, phoneH     = 375, 812
	desktopW, desktopH = 1366, 900
)

func chromium(t *testing.T) string {
	bin := os.Getenv("GRIDLOOP_CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("chromium not found at %s (set GRIDLOOP_CHROMIUM): %v", bin, err)
		}
		t.Skipf("chromium not found at %s (set GRIDLOOP_CHROMIUM): %v", bin, err)
	}
	return bin
}

// TestBrowserLoop walks the closed loop through the pages: a citizen reports on a
// phone, staff drive the case to closed on a desktop, the citizen says "not fixed",
// and the handler finds it back in 处置中.
func TestBrowserLoop(t *testing.T) {
	chromium(t)
	c := newCity(t, dbtest.SQLite(t))
	tab := startBrowser(t, c.url)
	citizen, staff := tab(true), tab(false)

	// The citizen reports on a phone; the first try has no description.
	citizen.open("/")
	citizen.contains("body", "城市问题，随手上报")
	citizen.shot("home")
	citizen.open("/report")
	citizen.contains("#category_code", "不确定，由受理员判断")
	citizen.shot("report")
	citizen.set("#address", "曙光路 12 号门前")
	citizen.set("#lat", "30.259")
	citizen.set("#lng", "120.151")
	citizen.set("#reporter_name", "王先生")
	citizen.set("#category_code", "C0101")
	citizen.submit("form[action='/report'] button.primary")
	citizen.contains(".field-error", "请描述问题")
	citizen.valueIs("#address", "曙光路 12 号门前")
	citizen.valueIs("#reporter_name", "王先生")
	citizen.valueIs("#lat", "30.259")
	citizen.valueIs("#category_code", "C0101")
	citizen.shot("report-error")
	citizen.set("#description", "人行道上井盖缺失，行人容易踩空")
	citizen.submit("form[action='/report'] button.primary")
	citizen.contains("h1", "上报成功")
	citizen.contains("body", "唯一方式")
	code := citizen.text("#case-code")
	trackPath := citizen.attr("#track-link", "href")
	if !strings.HasPrefix(trackPath, "/track/") || code == "" {
		t.Fatalf("done page: code %q, link %q", code, trackPath)
	}
	if link := citizen.text("#track-link"); !strings.HasSuffix(link, trackPath) {
		t.Fatalf("tracking link text %q does not end in %q", link, trackPath)
	}
	// The code to write down is the link's, in four groups of four.
	if tok := citizen.text("#track-token"); "/track/"+tok != trackPath || !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$`).MatchString(tok) {
		t.Fatalf("tracking code %q for the link %q", tok, trackPath)
	}
	citizen.shot("report-done")
	citizen.open(trackPath)
	citizen.contains("#status", "待受理")
	citizen.contains("h1", code)
	citizen.set("#supplement-note", "井盖旁边还有一处裂缝")
	citizen.submit("#form-supplement button")
	citizen.contains(".flash", "补充信息已提交")
	citizen.contains("#timeline", "井盖旁边还有一处裂缝")
	citizen.shot("track-reported")

	// Staff sign in on a desktop; a wrong password first.
	staff.open("/login")
	staff.set("#username", "shift_lead")
	staff.set("#password", "wrong-password!")
	staff.submit("form[action='/login'] button")
	staff.contains(".error", "用户名或密码错误")
	staff.valueIs("#username", "shift_lead")
	staff.shot("login-error")
	staff.login("shift_lead")
	staff.contains(".queue[data-queue='queue.register'] .count", "1")
	staff.shot("work-shift-lead")
	staff.click(".queue[data-queue='queue.register']")
	staff.contains("#case-list", code)
	staff.contains("#case-list", "待受理")
	staff.contains("#case-list", "人行道上井盖缺失")
	staff.shot("cases-reported")
	staff.click("#case-list a.code")
	staff.contains("#case-code", code)
	staff.contains("#timeline", "井盖旁边还有一处裂缝")
	staff.shot("case-reported")
	// Register without a category: the error shows on the page, the note is kept.
	staff.set("#register-category", "")
	staff.set("#register-note", "请尽快处理")
	staff.submit("#act-register button.primary")
	staff.contains("#act-register .field-error", "立案须选择问题类别")
	staff.valueIs("#register-note", "请尽快处理")
	staff.shot("case-register-error")
	staff.act("register", map[string]string{"#register-category": "C0101"}, "已立案")
	staff.logout()

	staff.login("dispatcher")
	staff.contains(".queue[data-queue='queue.dispatch'] .count", "1")
	staff.open("/cases/" + code)
	staff.act("dispatch", map[string]string{"#dispatch-dept": strconv.FormatInt(c.dept["A"], 10)}, "待签收")
	staff.logout()

	staff.login("handler_a")
	staff.contains(".queue[data-queue='queue.sign'] .count", "1")
	staff.shot("work-handler")
	staff.open("/cases/" + code)
	staff.act("sign", nil, "处置中")
	staff.contains(".light", "正常")
	staff.act("feedback", map[string]string{"#feedback-note": "已更换新井盖"}, "已处置")
	staff.logout()

	staff.login("operator")
	staff.contains(".queue[data-queue='queue.send_check'] .count", "1")
	staff.open("/cases/" + code)
	staff.act("send_check", nil, "核查中")
	staff.logout()

	staff.login("grid_member")
	staff.contains(".queue[data-queue='queue.check'] .count", "1")
	staff.open("/cases/" + code)
	staff.click("#act-check input[name=passed][value=yes]")
	staff.act("check", map[string]string{"#check-note": "现场核查已修复"}, "待结案")
	staff.logout()

	staff.login("shift_lead")
	staff.contains(".queue[data-queue='queue.close'] .count", "1")
	staff.open("/cases/" + code)
	staff.act("close", nil, "已结案")
	staff.contains("#timeline", "已更换新井盖")
	staff.shot("case-closed")
	staff.logout()

	// The citizen says it is not fixed: the case goes back to the department.
	citizen.open(trackPath)
	citizen.contains("#status", "已结案")
	citizen.contains("#timeline", "已更换新井盖")
	citizen.shot("track-closed")
	citizen.click("#form-rate input[name=fixed][value=no]")
	citizen.click("#form-rate input[name=satisfaction][value=unsatisfied]")
	citizen.set("#rate-note", "井盖又松动了")
	citizen.submit("#form-rate button.primary")
	citizen.contains(".flash", "重新办理")
	citizen.contains("#status", "处置中")
	citizen.shot("track-reopened")

	staff.login("handler_a")
	staff.contains(".queue[data-queue='queue.handling'] .count", "1")
	staff.click(".queue[data-queue='queue.handling']")
	staff.contains("#case-list", code)
	staff.contains("#case-list", "处置中")
	staff.shot("cases-handling")
	staff.click("#case-list a.code")
	staff.contains("#status", "处置中")
	staff.contains("#timeline", "井盖又松动了")
	staff.shot("case-reopened")

	// English is one click away.
	staff.open("/work?lang=en")
	staff.contains("h1", "My workbench")
	staff.shot("work-en")
	staff.open("/work?lang=zh")
	staff.contains("h1", "我的工作台")
	staff.logout()
}

var (
	shotsOnce sync.Once
	shotCount int // numbers the screenshots of every test in the order taken
)

// shotDir is where screenshots go; the first call in a run empties it.
func shotDir(t *testing.T) string {
	dir, err := filepath.Abs("../../test-artifacts/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	shotsOnce.Do(func() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, f := range old {
			os.Remove(f)
		}
	})
	return dir
}

// startBrowser starts headless Chromium for the test and returns a function that
// opens tabs on base, each in a browser context of its own (separate cookies).
func startBrowser(t *testing.T, base string) func(phone bool) *browser {
	bin := chromium(t)
	dir := shotDir(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Two tabs take turns; the one in the background must not be throttled.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(desktopW, desktopH),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	rootCtx, cancelRoot := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(rootCtx); err != nil { // start the browser
		t.Fatal(err)
	}
	return func(phone bool) *browser {
		ctx, cancel := chromedp.NewContext(rootCtx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The tab lives as long as the context of its first run: no timeout here.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatal(err)
		}
		b := &browser{t: t, ctx: ctx, base: base, phone: phone, shotDir: dir, n: &shotCount}
		b.viewport(phone)
		return b
	}
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) viewport(phone bool) {
	b.t.Helper()
	if phone {
		b.do("phone viewport", chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile))
	} else {
		b.do("desktop viewport", chromedp.EmulateViewport(desktopW, desktopH))
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("footer")))
}

func (b *browser) set(sel, v string) {
	b.t.Helper()
	b.do("set "+sel, chromedp.SetValue(chromedp.CSS(sel), v))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	if strings.HasPrefix(sel, "#act-") || strings.Contains(sel, "input") {
		b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
		return
	}
	b.submit(sel) // a link: wait for the next page
}

// submit clicks sel and waits until a new document has loaded.
func (b *browser) submit(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__old = true`)); err != nil {
		b.t.Fatalf("mark page: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	for {
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__old !== true && document.readyState === "complete"`))
		if err == nil && done {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("after clicking %s: no new page: %v", sel, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return res.Value
}

func (b *browser) contains(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

func (b *browser) valueIs(sel, want string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	if got != want {
		b.t.Fatalf("%s holds %q, want %q", sel, got, want)
	}
}

func (b *browser) login(user string) {
	b.t.Helper()
	b.open("/login")
	b.set("#username", user)
	b.set("#password", testPassword)
	b.submit("form[action='/login'] button")
	b.contains("h1", "我的工作台")
}

func (b *browser) logout() {
	b.t.Helper()
	b.submit("form[action='/logout'] button")
	b.contains("h1", "城市问题，随手上报")
}

// act fills and submits the form of action on the case page, then checks the flash
// and the new status.
func (b *browser) act(action string, fields map[string]string, status string) {
	b.t.Helper()
	for sel, v := range fields {
		b.set(sel, v)
	}
	b.submit("#act-" + action + " button.primary")
	b.contains(".flash", gl.Action(action).Label("zh"))
	b.contains("#status", status)
	b.shot("case-after-" + action)
}

// shot writes screenshots of the page at both viewports, and fails if the page is
// wider than the phone.
func (b *browser) shot(name string) {
	b.t.Helper()
	*b.n++
	for _, phone := range []bool{true, false} {
		b.viewport(phone)
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		if phone {
			over, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
			if err != nil || over {
				cancel()
				b.t.Fatalf("%s: page wider than the phone (%v)", name, err)
			}
		}
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		// The full-page screenshot is as wide as everything laid out, including what
		// escapes its scroll box: on a phone it must be the phone's width.
		if w := binary.BigEndian.Uint32(img[16:20]); phone && len(img) > 24 && w > phoneW {
			b.t.Fatalf("%s: page is %d px wide on a %d px phone", name, w, phoneW)
		}
		kind := "desktop"
		if phone {
			kind = "phone"
		}
		file := filepath.Join(b.shotDir, fmt.Sprintf("%02d-%s-%s.png", *b.n, name, kind))
		if err := os.WriteFile(file, img, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.viewport(b.phone)
}
