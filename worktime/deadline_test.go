package worktime_test

import (
	"testing"
	"time"

	"github.com/gridloop/gridloop/worktime"
)

func TestLimitDuration(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		limit worktime.Limit
		want  time.Duration
	}{
		{worktime.Limit{Value: 30, Unit: worktime.Minute}, 30 * time.Minute},
		{worktime.Limit{Value: 24, Unit: worktime.Hour}, 24 * time.Hour},
		{worktime.Limit{Value: 7, Unit: worktime.Day}, 7 * 24 * time.Hour},
		{worktime.Limit{Value: 4, Unit: worktime.WorkHour}, 4 * time.Hour},
		{worktime.Limit{Value: 2, Unit: worktime.WorkDay}, 15 * time.Hour},
		{worktime.Limit{Value: 2, Unit: "fortnight"}, 0},
	}
	for _, tt := range tests {
		if got := c.LimitDuration(tt.limit); got != tt.want {
			t.Errorf("LimitDuration(%v) = %v, want %v", tt.limit, got, tt.want)
		}
	}
}

func TestDeadline(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		start string
		limit string
		want  string
	}{
		{"2026-03-03 10:00", "4 work_hour", "2026-03-03 15:30"},
		{"2026-03-03 10:00", "1 work_day", "2026-03-04 10:00"},
		{"2026-03-06 16:30", "2 work_hour", "2026-03-09 09:30"},
		{"2026-02-13 16:00", "4 work_hour", "2026-02-14 11:00"}, // make-up Saturday
		{"2026-02-14 10:00", "1 work_day", "2026-02-24 10:00"},  // over 春节
		{"2026-02-02 09:00", "20 work_day", "2026-03-06 09:00"},
		{"2025-01-24 17:30", "2 work_day", "2025-01-27 17:30"}, // Sunday 1-26 is worked
		{"2026-02-13 17:20", "30 minute", "2026-02-13 17:50"},
		{"2026-02-14 20:00", "24 hour", "2026-02-15 20:00"},
		{"2026-02-14 20:00", "7 day", "2026-02-21 20:00"},
	}
	for _, tt := range tests {
		limit, err := worktime.ParseLimit(tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Deadline(at(t, tt.start), limit); !got.Equal(at(t, tt.want)) {
			t.Errorf("Deadline(%s, %s) = %s, want %s", tt.start, tt.limit, got.Format(time.DateTime), tt.want)
		}
	}
}

func TestResume(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		name                    string
		suspended, due, resumed string
		working                 bool
		want                    string
	}{
		// 3h of working time left at suspension (2h Tuesday, 1h Wednesday);
		// resumed Thursday morning.
		{"working", "2026-03-03 15:30", "2026-03-04 09:30", "2026-03-05 08:30", true, "2026-03-05 11:30"},
		// Resumed in the evening: the clock restarts next working morning.
		{"resumed after hours", "2026-03-03 16:30", "2026-03-04 08:30", "2026-03-06 20:00", true, "2026-03-09 09:30"},
		// Resumed just before 春节: the remaining time runs after it.
		{"resumed before a holiday", "2026-02-10 09:00", "2026-02-10 12:00", "2026-02-14 16:30", true, "2026-02-24 10:30"},
		{"natural", "2026-03-03 10:20", "2026-03-03 11:00", "2026-03-07 15:00", false, "2026-03-07 15:40"},
		// Overdue when suspended: nothing left, the deadline stands.
		{"overdue", "2026-03-04 10:00", "2026-03-03 17:30", "2026-03-05 09:00", true, "2026-03-03 17:30"},
		{"overdue by the clock only", "2026-03-03 18:00", "2026-03-03 17:30", "2026-03-05 09:00", true, "2026-03-03 17:30"},
		{"overdue natural", "2026-03-03 11:00", "2026-03-03 10:00", "2026-03-05 09:00", false, "2026-03-03 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Resume(at(t, tt.suspended), at(t, tt.due), at(t, tt.resumed), tt.working)
			if !got.Equal(at(t, tt.want)) {
				t.Errorf("Resume = %s, want %s", got.Format(time.DateTime), tt.want)
			}
			// The time left is kept across the pause.
			left := c.Elapsed(at(t, tt.suspended), at(t, tt.due), tt.working)
			if after := c.Elapsed(at(t, tt.resumed), got, tt.working); left > 0 && after != left {
				t.Errorf("left %v before the pause, %v after", left, after)
			}
		})
	}
}

func TestExtend(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		due, limit, want string
	}{
		{"2026-03-06 17:30", "1 work_day", "2026-03-09 17:30"},
		{"2026-02-13 17:30", "1 work_day", "2026-02-14 17:30"},  // make-up Saturday
		{"2025-01-24 17:30", "3 work_day", "2025-02-05 17:30"},  // 1-26 worked, then 春节
		{"2026-03-03 11:00", "2 work_hour", "2026-03-03 14:30"}, // over lunch
		{"2026-02-13 17:30", "2 day", "2026-02-15 17:30"},       // natural days ignore holidays
		{"2026-03-01 10:00", "3 work_hour", "2026-03-02 11:30"}, // an overdue deadline on a Sunday
	}
	for _, tt := range tests {
		limit, err := worktime.ParseLimit(tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Extend(at(t, tt.due), limit); !got.Equal(at(t, tt.want)) {
			t.Errorf("Extend(%s, %s) = %s, want %s", tt.due, tt.limit, got.Format(time.DateTime), tt.want)
		}
	}
}

// BenchmarkDeadline is a 20-working-day limit across 春节, the longest
// common limit over the longest holiday.
func BenchmarkDeadline(b *testing.B) {
	c := worktime.Default()
	start := at(b, "2026-02-02 09:00")
	limit := worktime.Limit{Value: 20, Unit: worktime.WorkDay}
	want := at(b, "2026-03-06 09:00")
	for b.Loop() {
		if got := c.Deadline(start, limit); !got.Equal(want) {
			b.Fatalf("Deadline = %v, want %v", got, want)
		}
	}
}

func BenchmarkElapsed(b *testing.B) {
	c := worktime.Default()
	start, end := at(b, "2026-02-02 09:00"), at(b, "2026-03-06 09:00")
	for b.Loop() {
		c.Elapsed(start, end, true)
	}
}
