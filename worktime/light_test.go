package worktime_test

import (
	"testing"
	"time"

	"github.com/gridloop/gridloop/worktime"
)

func TestLightAt(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		name    string
		start   string
		limit   worktime.Limit
		percent int // of the limit used at now
		want    worktime.Light
	}{
		{"working 0 %", "2026-03-03 08:30", worktime.Limit{Value: 10, Unit: worktime.WorkHour}, 0, worktime.Green},
		{"working 79 %", "2026-03-03 08:30", worktime.Limit{Value: 10, Unit: worktime.WorkHour}, 79, worktime.Green},
		{"working 80 %", "2026-03-03 08:30", worktime.Limit{Value: 10, Unit: worktime.WorkHour}, 80, worktime.Yellow},
		{"working 100 %", "2026-03-03 08:30", worktime.Limit{Value: 10, Unit: worktime.WorkHour}, 100, worktime.Yellow},
		{"working 101 %", "2026-03-03 08:30", worktime.Limit{Value: 10, Unit: worktime.WorkHour}, 101, worktime.Red},
		{"over 春节 79 %", "2026-02-12 10:00", worktime.Limit{Value: 5, Unit: worktime.WorkDay}, 79, worktime.Green},
		{"over 春节 80 %", "2026-02-12 10:00", worktime.Limit{Value: 5, Unit: worktime.WorkDay}, 80, worktime.Yellow},
		{"natural 79 %", "2026-03-03 10:00", worktime.Limit{Value: 100, Unit: worktime.Minute}, 79, worktime.Green},
		{"natural 80 %", "2026-03-03 10:00", worktime.Limit{Value: 100, Unit: worktime.Minute}, 80, worktime.Yellow},
		{"natural 100 %", "2026-03-03 10:00", worktime.Limit{Value: 100, Unit: worktime.Minute}, 100, worktime.Yellow},
		{"natural 101 %", "2026-03-03 10:00", worktime.Limit{Value: 100, Unit: worktime.Minute}, 101, worktime.Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := at(t, tt.start)
			working := tt.limit.Unit.Working()
			limit := c.LimitDuration(tt.limit)
			due := c.Deadline(start, tt.limit)
			now := c.Add(start, limit*time.Duration(tt.percent)/100, working)
			if got := c.LightAt(start, due, now, working); got != tt.want {
				t.Errorf("LightAt(%d %%) = %s, want %s (now %v, due %v)", tt.percent, got, tt.want, now, due)
			}
		})
	}
}

func TestLightAtEdges(t *testing.T) {
	c := worktime.Default()
	start, due := at(t, "2026-03-03 08:30"), at(t, "2026-03-03 17:30")

	// No working time passes between 17:30 and 18:00, but the deadline has.
	if got := c.LightAt(start, due, at(t, "2026-03-03 18:00"), true); got != worktime.Red {
		t.Errorf("LightAt half an hour after the deadline = %s, want red", got)
	}
	if got := c.LightAt(start, due, due, true); got != worktime.Yellow {
		t.Errorf("LightAt the deadline = %s, want yellow", got)
	}
	if got := c.LightAt(start, due, at(t, "2026-03-03 07:00"), true); got != worktime.Green {
		t.Errorf("LightAt before the start = %s, want green", got)
	}
	// Nights do not count in working time: at 07:00 next morning a 17:30
	// deadline of the next day is still far off.
	next := at(t, "2026-03-04 17:30")
	if got := c.LightAt(due, next, at(t, "2026-03-04 07:00"), true); got != worktime.Green {
		t.Errorf("LightAt overnight = %s, want green", got)
	}
}

// TestLightAtPaused follows a case through a suspension: 10 working hours
// from Tuesday 08:30, suspended after 2 hours at 10:30, resumed Thursday
// 08:30 with 8 hours left.
func TestLightAtPaused(t *testing.T) {
	c := worktime.Default()
	start := at(t, "2026-03-03 08:30")
	due := c.Deadline(start, worktime.Limit{Value: 10, Unit: worktime.WorkHour})
	suspended, resumed := at(t, "2026-03-03 10:30"), at(t, "2026-03-05 08:30")
	newDue := c.Resume(suspended, due, resumed, true)
	if want := at(t, "2026-03-06 09:00"); !newDue.Equal(want) {
		t.Fatalf("Resume = %v, want %v", newDue, want)
	}
	paused := c.Elapsed(suspended, resumed, true)

	tests := []struct {
		now  string
		want worktime.Light
	}{
		{"2026-03-05 14:00", worktime.Green},  // 6 of 10 hours used
		{"2026-03-05 15:59", worktime.Green},  // 7h59m
		{"2026-03-05 16:00", worktime.Yellow}, // 8h: 80 %
		{"2026-03-06 09:00", worktime.Yellow}, // the new deadline
		{"2026-03-06 09:01", worktime.Red},
	}
	for _, tt := range tests {
		if got := c.LightAtPaused(start, newDue, at(t, tt.now), paused, true); got != tt.want {
			t.Errorf("LightAtPaused(%s) = %s, want %s", tt.now, got, tt.want)
		}
	}
	// Without the pause taken out, 6 hours used would already look like
	// 19 of 23 hours: yellow too early.
	if got := c.LightAt(start, newDue, at(t, "2026-03-05 14:00"), true); got != worktime.Yellow {
		t.Errorf("LightAt ignoring the pause = %s; the test no longer shows why LightAtPaused exists", got)
	}
}

func TestLightOf(t *testing.T) {
	tests := []struct {
		used, allowed time.Duration
		want          worktime.Light
	}{
		{0, 100, worktime.Green},
		{79, 100, worktime.Green},
		{80, 100, worktime.Yellow},
		{100, 100, worktime.Yellow},
		{101, 100, worktime.Red},
		{8, 11, worktime.Green}, // 72.7 %
		{9, 11, worktime.Yellow},
		{0, 0, worktime.Yellow},
		{1, 0, worktime.Red},
		{8 * time.Hour, 10 * time.Hour, worktime.Yellow},
		{8*time.Hour - 1, 10 * time.Hour, worktime.Green},
		{80 * 365 * 24 * time.Hour, 100 * 365 * 24 * time.Hour, worktime.Yellow}, // no overflow
	}
	for _, tt := range tests {
		if got := worktime.LightOf(tt.used, tt.allowed); got != tt.want {
			t.Errorf("LightOf(%v, %v) = %s, want %s", tt.used, tt.allowed, got, tt.want)
		}
	}
}

func TestLightLabel(t *testing.T) {
	tests := []struct {
		light  worktime.Light
		zh, en string
	}{
		{worktime.Green, "正常", "on time"},
		{worktime.Yellow, "即将超期", "due soon"},
		{worktime.Red, "已超期", "overdue"},
		{"blue", "blue", "blue"},
	}
	for _, tt := range tests {
		if got := tt.light.Label("zh-CN"); got != tt.zh {
			t.Errorf("%s.Label(zh-CN) = %q, want %q", tt.light, got, tt.zh)
		}
		if got := tt.light.Label("en"); got != tt.en {
			t.Errorf("%s.Label(en) = %q, want %q", tt.light, got, tt.en)
		}
	}
}
