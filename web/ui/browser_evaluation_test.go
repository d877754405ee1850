package ui_test

import (
	"strings"
	"testing"

	"github.com/gridloop/gridloop/internal/dbtest"
)

// TestBrowserEvaluation walks the evaluation pages of issue #7 in Chromium, at the
// desktop and phone sizes: the monthly ranking with its definitions, another
// dimension, the definitions page, the weights form with an error and a save, and a
// CSV export with its progress page.
func TestBrowserEvaluation(t *testing.T) {
	chromium(t)
	c := newCity(t, dbtest.SQLite(t))
	c.addSpace(t)
	evalCases(t, c)
	tab := startBrowser(t, c.url)
	staff := tab(false)

	// The ranking: this month's departments, B first, every figure defined.
	staff.login("supervisor")
	staff.click("a[href='/evaluation']")
	staff.contains("h1", "综合评价排名")
	staff.contains("#ranking tbody tr:first-child", "园林绿化局")
	staff.contains("#ranking", "市政管理局")
	staff.contains("#ranking", "92.86")
	staff.contains("#ranking", "33.33%")
	if title := staff.attr("#col-closing_rate", "title"); !strings.Contains(title, "结案数 ÷ 应结案数") {
		t.Fatalf("结案率's tooltip: %q", title)
	}
	staff.contains("#def-closing_rate", "结案数 ÷ 应结案数")
	staff.shot("evaluation-ranking")

	// Streets this month, through the form.
	staff.set("#dim", "street")
	staff.submit("#eval-form button")
	staff.contains("#period-range", "街道")
	staff.contains("#ranking", "北山街道")
	staff.shot("evaluation-streets")

	// The definitions page.
	staff.click("#definitions-link")
	staff.contains("h1", "考核评价指标定义")
	staff.contains("#closing_rate", "GB/T 30428.4")
	staff.contains("#response_rate", "北京市接诉即办工作条例")
	staff.shot("evaluation-indicators")
	staff.logout()

	// The weights: a negative weight is refused and kept; then a good one is saved.
	staff.login("admin")
	staff.open("/admin")
	staff.click("#link-evaluation")
	staff.contains("h1", "综合评价权重")
	staff.valueIs("#w_handled_on_time_rate", "30")
	staff.set("#w_rework_rate", "-5")
	staff.submit("#save-weights")
	staff.contains("#wrow-rework_rate .field-error", "「返工率」的权重不能为负数")
	staff.valueIs("#w_rework_rate", "-5")
	staff.valueIs("#w_handled_on_time_rate", "30")
	staff.shot("evaluation-weights-error")
	staff.set("#w_rework_rate", "45")
	staff.submit("#save-weights")
	staff.contains(".flash", "已保存「部门」的权重")
	staff.valueIs("#w_rework_rate", "45")
	staff.shot("evaluation-weights-saved")
	staff.open("/evaluation")
	staff.contains("#weights-note", "返工率 45")
	staff.logout()

	// A CSV export of the closed cases, with its progress page and the file's link.
	staff.login("operator")
	staff.click("a[href='/reports']")
	staff.contains("h1", "报表导出")
	staff.shot("reports")
	staff.set("#status", "closed")
	staff.submit("#start-export")
	staff.contains("h1", "案件导出")
	staff.waitJS(`document.getElementById("job-state").textContent.indexOf("已完成") >= 0`)
	staff.contains("#job-meta", "已导出 2 行")
	if href := staff.attr("#download", "href"); !strings.HasSuffix(href, "/file") {
		t.Fatalf("download link %q", href)
	}
	staff.shot("reports-export-done")

	// English is there too.
	staff.open("/evaluation?lang=en")
	staff.contains("h1", "Evaluation ranking")
	staff.contains("#ranking thead", "Closing rate")
	staff.shot("evaluation-ranking-en")
	staff.open("/evaluation?lang=zh")
}
