package worktime_test

import (
	"fmt"
	"time"

	"github.com/gridloop/gridloop/worktime"
)

func ExampleCalendar_Deadline() {
	cal := worktime.Default()
	limit, _ := worktime.ParseLimit("4 work_hour")

	// Reported at 16:00 on Friday 2026-02-13. Saturday 2026-02-14 is a
	// make-up workday before the Spring Festival, so the clock runs on it.
	reported := time.Date(2026, 2, 13, 16, 0, 0, 0, cal.Location())
	due := cal.Deadline(reported, limit)
	fmt.Println(limit, "→", due.Format("2006-01-02 15:04"))

	now := time.Date(2026, 2, 14, 10, 30, 0, 0, cal.Location())
	fmt.Println(cal.LightAt(reported, due, now, limit.Unit.Working()).Label("zh"))
	// Output:
	// 4 工作时 → 2026-02-14 11:00
	// 即将超期
}
