package worktime_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridloop/gridloop/worktime"
)

// shanghai is the zone of the default calendar; tests write times in it.
var shanghai = worktime.Default().Location()

// at parses "2006-01-02 15:04" in Asia/Shanghai.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestDefault(t *testing.T) {
	c := worktime.Default()
	if got := c.Location().String(); got != "Asia/Shanghai" {
		t.Errorf("Location() = %q, want Asia/Shanghai", got)
	}
	if got, want := c.WorkingHoursPerDay(), 7*time.Hour+30*time.Minute; got != want {
		t.Errorf("WorkingHoursPerDay() = %v, want %v", got, want)
	}
	periods := c.Periods()
	if len(periods) != 2 || periods[0].String() != "08:30-12:00" || periods[1].String() != "13:30-17:30" {
		t.Errorf("Periods() = %v, want [08:30-12:00 13:30-17:30]", periods)
	}

	// Each call is a separate calendar.
	other := worktime.Default()
	if err := other.SetDay(worktime.SpecialDay{Date: "2026-03-03", Kind: worktime.Holiday}); err != nil {
		t.Fatal(err)
	}
	if !c.IsWorkday(at(t, "2026-03-03 10:00")) {
		t.Error("SetDay on one Default calendar changed another")
	}
}

func TestIsWorkday(t *testing.T) {
	c := worktime.Default()
	tests := []struct {
		day  string
		want bool
		why  string
	}{
		{"2026-03-03", true, "ordinary Tuesday"},
		{"2026-03-07", false, "ordinary Saturday"},
		{"2026-03-08", false, "ordinary Sunday"},
		{"2025-01-01", false, "元旦 2025, Wednesday"},
		{"2025-01-26", true, "春节 make-up Sunday"},
		{"2025-01-27", true, "Monday before 春节"},
		{"2025-01-28", false, "春节 eve"},
		{"2025-02-04", false, "last day of 春节"},
		{"2025-02-05", true, "first day back after 春节"},
		{"2025-02-08", true, "春节 make-up Saturday"},
		{"2025-04-04", false, "清明 Friday"},
		{"2025-04-27", true, "劳动节 make-up Sunday"},
		{"2025-05-05", false, "劳动节 Monday"},
		{"2025-06-02", false, "端午 Monday"},
		{"2025-09-28", true, "国庆 make-up Sunday"},
		{"2025-10-08", false, "国庆+中秋 Wednesday"},
		{"2025-10-09", true, "back after 国庆"},
		{"2025-10-11", true, "国庆 make-up Saturday"},
		{"2026-01-02", false, "元旦 Friday"},
		{"2026-01-04", true, "元旦 make-up Sunday"},
		{"2026-02-14", true, "春节 make-up Saturday"},
		{"2026-02-16", false, "春节 Monday"},
		{"2026-02-23", false, "春节 last day, Monday"},
		{"2026-02-24", true, "back after 春节"},
		{"2026-02-28", true, "春节 make-up Saturday"},
		{"2026-04-06", false, "清明 Monday"},
		{"2026-05-05", false, "劳动节 Tuesday"},
		{"2026-05-09", true, "劳动节 make-up Saturday"},
		{"2026-06-19", false, "端午 Friday"},
		{"2026-09-20", true, "国庆 make-up Sunday"},
		{"2026-09-25", false, "中秋 Friday"},
		{"2026-10-07", false, "国庆 Wednesday"},
		{"2026-10-10", true, "国庆 make-up Saturday"},
		{"2027-01-01", true, "beyond the known years, a plain Friday"},
	}
	for _, tt := range tests {
		// Late in the evening, to catch a day computed in UTC instead.
		if got := c.IsWorkday(at(t, tt.day+" 23:30")); got != tt.want {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", tt.day, got, tt.want, tt.why)
		}
	}
	// The day is the calendar's day, whatever zone t is in:
	// 2026-02-13 20:00 UTC is 04:00 on Saturday 2026-02-14 in Shanghai.
	if !c.IsWorkday(time.Date(2026, 2, 13, 20, 0, 0, 0, time.UTC)) {
		t.Error("IsWorkday(2026-02-13 20:00 UTC) = false, want true (the make-up Saturday in Shanghai)")
	}
}

// addTests are shared by the Add and Elapsed tests: Elapsed(start, want)
// must give back d. All on the default calendar.
var addTests = []struct {
	name    string
	start   string
	d       time.Duration
	working bool
	want    string
}{
	{"inside a period", "2026-03-03 09:00", 2 * time.Hour, true, "2026-03-03 11:00"},
	{"across lunch", "2026-03-03 11:00", 2 * time.Hour, true, "2026-03-03 14:30"},
	{"ends at the end of the morning", "2026-03-03 11:00", time.Hour, true, "2026-03-03 12:00"},
	{"ends at the end of the day", "2026-03-06 16:30", time.Hour, true, "2026-03-06 17:30"},
	{"whole day from the first minute", "2026-03-03 08:30", 7*time.Hour + 30*time.Minute, true, "2026-03-03 17:30"},
	{"across a night", "2026-03-03 17:00", time.Hour, true, "2026-03-04 09:00"},
	{"across a weekend", "2026-03-06 17:00", time.Hour, true, "2026-03-09 09:00"},
	{"start before office hours", "2026-03-03 07:00", time.Hour, true, "2026-03-03 09:30"},
	{"start at lunch", "2026-03-03 12:30", 30 * time.Minute, true, "2026-03-03 14:00"},
	{"start at the end of the morning", "2026-03-03 12:00", time.Minute, true, "2026-03-03 13:31"},
	{"start in the evening", "2026-03-03 20:00", 30 * time.Minute, true, "2026-03-04 09:00"},
	{"start on a Saturday", "2026-03-07 10:00", time.Hour, true, "2026-03-09 09:30"},
	{"into a make-up Saturday", "2026-02-13 17:00", time.Hour, true, "2026-02-14 09:00"},
	{"one work day into a make-up Saturday", "2026-02-13 10:00", 7*time.Hour + 30*time.Minute, true, "2026-02-14 10:00"},
	{"over the 2026 春节 week", "2026-02-14 17:00", time.Hour, true, "2026-02-24 09:00"},
	{"start inside 春节", "2026-02-18 10:00", 4 * time.Hour, true, "2026-02-24 14:00"},
	{"to the make-up Saturday after 春节", "2026-02-27 17:00", time.Hour, true, "2026-02-28 09:00"},
	{"over 2025 国庆", "2025-09-30 17:00", time.Hour, true, "2025-10-09 09:00"},
	{"over 元旦 into a make-up Sunday", "2025-12-31 17:00", time.Hour, true, "2026-01-04 09:00"},
	{"20 work days over 春节", "2026-02-02 09:00", 20 * (7*time.Hour + 30*time.Minute), true, "2026-03-06 09:00"},
	{"natural minutes ignore office hours", "2026-02-13 17:20", 30 * time.Minute, false, "2026-02-13 17:50"},
	{"natural days ignore holidays", "2026-02-14 17:00", 3 * 24 * time.Hour, false, "2026-02-17 17:00"},
	{"natural across midnight", "2026-03-03 23:50", 20 * time.Minute, false, "2026-03-04 00:10"},
}

func TestAdd(t *testing.T) {
	c := worktime.Default()
	for _, tt := range addTests {
		t.Run(tt.name, func(t *testing.T) {
			start, want := at(t, tt.start), at(t, tt.want)
			got := c.Add(start, tt.d, tt.working)
			if !got.Equal(want) {
				t.Errorf("Add(%s, %v, %v) = %s, want %s", tt.start, tt.d, tt.working, got.Format(time.DateTime), tt.want)
			}
			if got.Location() != shanghai {
				t.Errorf("result is in %v, want the calendar's location", got.Location())
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	c := worktime.Default()
	for _, tt := range addTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Elapsed(at(t, tt.start), at(t, tt.want), tt.working); got != tt.d {
				t.Errorf("Elapsed(%s, %s, %v) = %v, want %v", tt.start, tt.want, tt.working, got, tt.d)
			}
		})
	}

	more := []struct {
		name    string
		a, b    string
		working bool
		want    time.Duration
	}{
		{"ends before office hours", "2026-03-06 16:00", "2026-03-09 08:00", true, 90 * time.Minute},
		{"both in the lunch break", "2026-03-03 12:10", "2026-03-03 13:20", true, 0},
		{"a whole normal week", "2026-03-02 00:00", "2026-03-09 00:00", true, 5 * (7*time.Hour + 30*time.Minute)},
		{"the 春节 fortnight", "2026-02-09 00:00", "2026-02-23 00:00", true, 6 * (7*time.Hour + 30*time.Minute)},
		{"b equals a", "2026-03-03 10:00", "2026-03-03 10:00", true, 0},
		{"b before a", "2026-03-03 11:00", "2026-03-03 10:00", true, 0},
		{"natural, b before a", "2026-03-03 11:00", "2026-03-03 10:00", false, 0},
		{"natural over a holiday", "2026-02-15 00:00", "2026-02-24 00:00", false, 9 * 24 * time.Hour},
	}
	for _, tt := range more {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Elapsed(at(t, tt.a), at(t, tt.b), tt.working); got != tt.want {
				t.Errorf("Elapsed(%s, %s, %v) = %v, want %v", tt.a, tt.b, tt.working, got, tt.want)
			}
		})
	}
}

func TestAddNothing(t *testing.T) {
	c := worktime.Default()
	evening := at(t, "2026-03-03 20:00")
	for _, d := range []time.Duration{0, -time.Hour} {
		for _, working := range []bool{true, false} {
			if got := c.Add(evening, d, working); !got.Equal(evening) {
				t.Errorf("Add(evening, %v, %v) = %v, want the start", d, working, got)
			}
		}
	}
}

func TestAddOtherZone(t *testing.T) {
	c := worktime.Default()
	// 01:00 UTC is 09:00 in Shanghai.
	start := time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC)
	if got, want := c.Add(start, time.Hour, true), at(t, "2026-03-03 10:00"); !got.Equal(want) {
		t.Errorf("Add = %v, want %v", got, want)
	}
}

// TestAddElapsedRoundTrip checks, for random starts inside working periods
// and random durations, that Elapsed measures back what Add added, and that
// Add lands inside a working period (or at its end).
func TestAddElapsedRoundTrip(t *testing.T) {
	c := worktime.Default()
	rng := rand.New(rand.NewPCG(1, 2))
	first := at(t, "2025-01-01 00:00")
	for i := 0; i < 2000; i++ {
		// A random instant in 2025–2026, moved into a working period.
		start := first.Add(time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
		for !c.IsWorkday(start) || !insidePeriod(c, start) {
			start = start.Add(time.Duration(rng.Int64N(int64(6 * time.Hour))))
		}
		d := time.Duration(1 + rng.Int64N(int64(30*c.WorkingHoursPerDay())))

		end := c.Add(start, d, true)
		if got := c.Elapsed(start, end, true); got != d {
			t.Fatalf("start %v, d %v: Elapsed(start, Add(start, d)) = %v", start, d, got)
		}
		if !c.IsWorkday(end) || !(insidePeriod(c, end) || atPeriodEnd(c, end)) {
			t.Fatalf("start %v, d %v: Add = %v, outside working time", start, d, end)
		}
		// One nanosecond less must end earlier: Add returns the first instant.
		if d > 1 && !c.Add(start, d-1, true).Before(end) {
			t.Fatalf("start %v, d %v: Add(d-1) is not before Add(d)", start, d)
		}
	}
}

// TestAddElapsedRoundTripAnyStart is the round trip from starts anywhere,
// including nights, weekends and holidays.
func TestAddElapsedRoundTripAnyStart(t *testing.T) {
	c := worktime.Default()
	rng := rand.New(rand.NewPCG(3, 4))
	first := at(t, "2025-01-01 00:00")
	for i := 0; i < 2000; i++ {
		start := first.Add(time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
		d := time.Duration(1 + rng.Int64N(int64(10*c.WorkingHoursPerDay())))
		if got := c.Elapsed(start, c.Add(start, d, true), true); got != d {
			t.Fatalf("start %v, d %v: Elapsed(start, Add(start, d)) = %v", start, d, got)
		}
	}
}

// TestAddMatchesMinuteByMinute compares Add with a slow but obviously
// correct version that walks the calendar a minute at a time.
func TestAddMatchesMinuteByMinute(t *testing.T) {
	c := worktime.Default()
	rng := rand.New(rand.NewPCG(5, 6))
	first := at(t, "2025-01-01 00:00")
	for i := 0; i < 300; i++ {
		start := first.Add(time.Duration(rng.IntN(730*24*60)) * time.Minute)
		minutes := 1 + rng.IntN(2*450)

		want := start
		for left := minutes; left > 0; want = want.Add(time.Minute) {
			if c.IsWorkday(want) && insidePeriod(c, want) {
				left--
			}
		}
		if got := c.Add(start, time.Duration(minutes)*time.Minute, true); !got.Equal(want) {
			t.Fatalf("Add(%v, %d minutes) = %v, minute by minute %v", start, minutes, got, want)
		}
	}
}

// clockOf returns t's time of day in minutes, in the calendar's zone.
func clockOf(c *worktime.Calendar, t time.Time) (worktime.Clock, time.Duration) {
	t = t.In(c.Location())
	sub := time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
	return worktime.Clock(t.Hour()*60 + t.Minute()), sub
}

// insidePeriod reports whether t's time of day is in [start, end) of a
// working period.
func insidePeriod(c *worktime.Calendar, t time.Time) bool {
	clock, _ := clockOf(c, t)
	for _, p := range c.Periods() {
		if p.Start <= clock && clock < p.End {
			return true
		}
	}
	return false
}

// atPeriodEnd reports whether t is exactly the end of a working period.
func atPeriodEnd(c *worktime.Calendar, t time.Time) bool {
	clock, sub := clockOf(c, t)
	for _, p := range c.Periods() {
		if clock == p.End && sub == 0 {
			return true
		}
	}
	return false
}

func TestCustomCalendar(t *testing.T) {
	periods, err := worktime.ParsePeriods("09:00-18:00")
	if err != nil {
		t.Fatal(err)
	}
	c := worktime.NewCalendar(time.UTC, periods)
	if got := c.WorkingHoursPerDay(); got != 9*time.Hour {
		t.Errorf("WorkingHoursPerDay() = %v, want 9h", got)
	}
	// No holidays on a new calendar: 2026-01-01 is a plain Thursday.
	if !c.IsWorkday(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)) {
		t.Error("2026-01-01 is not a working day on a calendar without holidays")
	}

	// A period running to midnight: round the clock on working days.
	allDay := worktime.NewCalendar(time.UTC, []worktime.Period{{Start: 0, End: 24 * 60}})
	friday := time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC)
	if got, want := allDay.Add(friday, 2*time.Hour, true), time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Add(Friday 23:00, 2h) on a 24-hour calendar = %v, want %v", got, want)
	}
	if got := allDay.Elapsed(friday, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC), true); got != 2*time.Hour {
		t.Errorf("Elapsed over the weekend on a 24-hour calendar = %v, want 2h", got)
	}

	// Defaults for nil arguments.
	d := worktime.NewCalendar(nil, nil)
	if d.Location().String() != "Asia/Shanghai" || d.WorkingHoursPerDay() != 7*time.Hour+30*time.Minute {
		t.Errorf("NewCalendar(nil, nil) = %v, %v; want Asia/Shanghai, 7h30m", d.Location(), d.WorkingHoursPerDay())
	}
	if len(d.Days()) != 0 {
		t.Errorf("NewCalendar has %d special days, want none", len(d.Days()))
	}
}

func TestCustomCalendarDeadline(t *testing.T) {
	c := worktime.NewCalendar(time.UTC, []worktime.Period{{Start: 9 * 60, End: 18 * 60}})
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	// 9 working hours from 09:00 end at 18:00 the same day, not at 09:00
	// the next: Add stops at the end of a period.
	want := time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC)
	if got := c.Deadline(start, worktime.Limit{Value: 1, Unit: worktime.WorkDay}); !got.Equal(want) {
		t.Errorf("Deadline(1 work_day) = %v, want %v", got, want)
	}
}

// TestDaylightSaving checks that working time is real time where a clock
// change falls inside a working period: on 2026-03-08 New York skips
// 02:00–03:00, so 01:00–04:00 holds two hours.
func TestDaylightSaving(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := worktime.NewCalendar(ny, []worktime.Period{{Start: 60, End: 4 * 60}})
	if err := c.SetDay(worktime.SpecialDay{Date: "2026-03-08", Kind: worktime.Workday}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 8, 1, 0, 0, 0, ny)
	if got, want := c.Add(start, 2*time.Hour, true), time.Date(2026, 3, 8, 4, 0, 0, 0, ny); !got.Equal(want) {
		t.Errorf("Add(01:00, 2h) = %v, want %v", got, want)
	}
	if got := c.Elapsed(time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 3, 9, 0, 0, 0, 0, ny), true); got != 2*time.Hour {
		t.Errorf("Elapsed over the day = %v, want 2h", got)
	}
}

func TestNewCalendarPanicsOnBadPeriods(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewCalendar with overlapping periods did not panic")
		}
	}()
	worktime.NewCalendar(nil, []worktime.Period{{Start: 600, End: 700}, {Start: 650, End: 800}})
}

func TestParseClock(t *testing.T) {
	good := map[string]worktime.Clock{"08:30": 510, "8:30": 510, "00:00": 0, "17:30": 1050, "24:00": 1440, " 12:00 ": 720}
	for in, want := range good {
		if got, err := worktime.ParseClock(in); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "8", "08:3", "08:60", "24:01", "25:00", "+8:30", "-1:00", "ab:cd", "08:30:00", "123:00"} {
		if got, err := worktime.ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) = %v, want an error", in, got)
		}
	}
	if got := worktime.Clock(510).String(); got != "08:30" {
		t.Errorf("Clock(510).String() = %q, want 08:30", got)
	}
}

func TestParsePeriods(t *testing.T) {
	got, err := worktime.ParsePeriods("08:30-12:00, 13:30-17:30")
	if err != nil {
		t.Fatal(err)
	}
	want := worktime.DefaultPeriods()
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParsePeriods = %v, want %v", got, want)
	}

	bad := map[string]string{
		"":                        "bad working period",
		"08:30":                   "bad working period",
		"12:00-08:30":             "start must be before end",
		"08:30-08:30":             "start must be before end",
		"08:00-12:00,11:00-13:00": "overlaps",
		"13:30-17:30,08:30-12:00": "overlaps or precedes",
		"08:30-25:00":             "bad time of day",
	}
	for in, wantErr := range bad {
		if _, err := worktime.ParsePeriods(in); err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParsePeriods(%q) error = %v, want one containing %q", in, err, wantErr)
		}
	}
}

func TestPeriodJSON(t *testing.T) {
	b, err := json.Marshal(worktime.DefaultPeriods())
	if err != nil {
		t.Fatal(err)
	}
	const want = `[{"start":"08:30","end":"12:00"},{"start":"13:30","end":"17:30"}]`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	var back []worktime.Period
	if err := json.Unmarshal(b, &back); err != nil || len(back) != 2 || back[1].End != 17*60+30 {
		t.Errorf("json round trip = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`[{"start":"8h","end":"12:00"}]`), &back); err == nil {
		t.Error("bad clock in JSON accepted")
	}
}

func TestSetDay(t *testing.T) {
	c := worktime.NewCalendar(nil, nil)
	for _, d := range []worktime.SpecialDay{
		{Date: "2026-05-09", Kind: worktime.Workday, Name: "劳动节"},
		{Date: "2026-05-01", Kind: worktime.Holiday, Name: "劳动节"},
		{Date: "2025-12-31", Kind: worktime.Holiday, Name: "test"},
	} {
		if err := c.SetDay(d); err != nil {
			t.Fatalf("SetDay(%v) = %v", d, err)
		}
	}
	// Replacing a day keeps one entry.
	if err := c.SetDay(worktime.SpecialDay{Date: "2025-12-31", Kind: worktime.Workday, Name: "changed"}); err != nil {
		t.Fatal(err)
	}
	days := c.Days()
	var dates []string
	for _, d := range days {
		dates = append(dates, d.Date+"/"+string(d.Kind))
	}
	if got, want := strings.Join(dates, " "), "2025-12-31/workday 2026-05-01/holiday 2026-05-09/workday"; got != want {
		t.Errorf("Days() = %s, want %s", got, want)
	}
	if c.IsWorkday(at(t, "2026-05-01 10:00")) || !c.IsWorkday(at(t, "2026-05-09 10:00")) {
		t.Error("SetDay did not take effect")
	}

	if err := c.ClearDay("2026-05-01"); err != nil {
		t.Fatal(err)
	}
	if !c.IsWorkday(at(t, "2026-05-01 10:00")) {
		t.Error("ClearDay did not restore a Friday to a working day")
	}
	if err := c.ClearDay("2026-5-1"); err == nil {
		t.Error("ClearDay accepted a bad date")
	}

	bad := []worktime.SpecialDay{
		{Date: "2026-02-30", Kind: worktime.Holiday},
		{Date: "2026/05/01", Kind: worktime.Holiday},
		{Date: "2026-05-01", Kind: "休"}, // SetDay takes canonical kinds; ParseDayKind converts
		{Date: "2026-05-01", Kind: ""},
	}
	for _, d := range bad {
		if err := c.SetDay(d); err == nil {
			t.Errorf("SetDay(%v) = nil, want an error", d)
		}
	}

	// SetDays changes nothing if any day is bad.
	before := len(c.Days())
	err := c.SetDays([]worktime.SpecialDay{{Date: "2026-06-01", Kind: worktime.Holiday}, {Date: "bad", Kind: worktime.Holiday}})
	if err == nil || len(c.Days()) != before {
		t.Errorf("SetDays with a bad day: err %v, %d days, want an error and %d days", err, len(c.Days()), before)
	}
}

// TestConcurrentUse is for the race detector: deadlines are computed while
// an admin edits the calendar.
func TestConcurrentUse(t *testing.T) {
	c := worktime.Default()
	start := at(t, "2026-02-02 09:00")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 {
					day := time.Date(2027, 1, 1+j, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
					_ = c.SetDay(worktime.SpecialDay{Date: day, Kind: worktime.Holiday})
				}
				c.Deadline(start, worktime.Limit{Value: 20, Unit: worktime.WorkDay})
				c.Days()
			}
		})
	}
	wg.Wait()
}

// TestDaylightSavingAcrossDays checks ordinary office hours across clock
// changes: New York springs forward on Sunday 2026-03-08 and falls back on
// Sunday 2026-11-01.
func TestDaylightSavingAcrossDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	c := worktime.NewCalendar(ny, []worktime.Period{{Start: 9 * 60, End: 17 * 60}})
	tests := []struct {
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{time.Date(2026, 3, 6, 16, 0, 0, 0, ny), 2 * time.Hour, time.Date(2026, 3, 9, 10, 0, 0, 0, ny)},
		{time.Date(2026, 10, 30, 16, 0, 0, 0, ny), 2 * time.Hour, time.Date(2026, 11, 2, 10, 0, 0, 0, ny)},
		{time.Date(2026, 3, 2, 9, 0, 0, 0, ny), 10 * 8 * time.Hour, time.Date(2026, 3, 13, 17, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		got := c.Add(tt.start, tt.d, true)
		if !got.Equal(tt.want) {
			t.Errorf("Add(%v, %v) = %v, want %v", tt.start, tt.d, got, tt.want)
		}
		if back := c.Elapsed(tt.start, got, true); back != tt.d {
			t.Errorf("Elapsed(%v, %v) = %v, want %v", tt.start, got, back, tt.d)
		}
	}

	// A round-the-clock calendar working on the fall-back Sunday: that day
	// has 25 hours.
	allDay := worktime.NewCalendar(ny, []worktime.Period{{Start: 0, End: 24 * 60}})
	if err := allDay.SetDay(worktime.SpecialDay{Date: "2026-11-01", Kind: worktime.Workday}); err != nil {
		t.Fatal(err)
	}
	sunday, monday := time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny)
	if got := allDay.Elapsed(sunday, monday, true); got != 25*time.Hour {
		t.Errorf("Elapsed over the fall-back day = %v, want 25h", got)
	}
	if got := allDay.Add(sunday, 25*time.Hour, true); !got.Equal(monday) {
		t.Errorf("Add(Sunday 00:00, 25h) = %v, want %v", got, monday)
	}
}
