package worktime

import (
	"testing"
	"time"
)

// TestDayWalker checks the walker's shortcut (midnight plus clock) against
// time.Date, day by day for three years, in zones with no daylight saving,
// ordinary daylight saving, changes at midnight (Santiago) and half-hour
// changes (Lord Howe).
func TestDayWalker(t *testing.T) {
	zones := []string{"Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "America/Santiago", "Australia/Lord_Howe"}
	clocks := []Clock{0, 60, 90, 150, 510, 720, 1050, 1439, 1440}
	for _, name := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		c := NewCalendar(loc, nil)
		w := c.walkFrom(time.Date(2024, 1, 1, 15, 0, 0, 0, loc))
		want := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 3*366; i, want = i+1, want.AddDate(0, 0, 1) {
			if w.date != dateOf(want) || w.weekday != want.Weekday() {
				t.Fatalf("%s: day %d is %v (%v), want %v (%v)", name, i, w.date, w.weekday, dateOf(want), want.Weekday())
			}
			for _, clock := range clocks {
				exact := time.Date(w.date.year, w.date.month, w.date.day, 0, int(clock), 0, 0, loc)
				if got := w.at(clock); !got.Equal(exact) {
					t.Fatalf("%s %v %v: at = %v, want %v", name, w.date, clock, got, exact)
				}
			}
			w.next()
		}
	}
}

func TestDateNext(t *testing.T) {
	d := date{2023, time.January, 1}
	want := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	for range 3 * 366 {
		if d != dateOf(want) {
			t.Fatalf("date %v, want %v", d, dateOf(want))
		}
		if d.key() != want.Year()*10000+int(want.Month())*100+want.Day() {
			t.Fatalf("%v.key() = %d", d, d.key())
		}
		next := d.next()
		if !next.after(d) || d.after(next) || d.after(d) {
			t.Fatalf("after is wrong for %v and %v", d, next)
		}
		d, want = next, want.AddDate(0, 0, 1)
	}
}
