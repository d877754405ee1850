package worktime

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // so Asia/Shanghai loads on hosts without a zoneinfo database
)

// Clock is a time of day in minutes since midnight, from 0 (00:00) to
// 1440 (24:00, allowed only as the end of a period).
type Clock int

const minutesPerDay = 24 * 60

// ParseClock parses a time of day written "HH:MM", e.g. "08:30" or "24:00".
func ParseClock(s string) (Clock, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !isDigits(hh) || len(hh) > 2 || !isDigits(mm) || len(mm) != 2 {
		return 0, fmt.Errorf("worktime: bad time of day %q: want HH:MM", s)
	}
	h, _ := strconv.Atoi(hh)
	m, _ := strconv.Atoi(mm)
	if m > 59 {
		return 0, fmt.Errorf("worktime: bad time of day %q: minutes past 59", s)
	}
	c := Clock(h*60 + m)
	if c > minutesPerDay {
		return 0, fmt.Errorf("worktime: bad time of day %q: after 24:00", s)
	}
	return c, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits; it keeps
// signs and spaces, which strconv.Atoi would accept, out of clock times.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// String returns the clock as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c/60, c%60) }

// MarshalText writes the clock as "HH:MM", so configuration files and JSON
// show readable times rather than minute counts.
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a clock written "HH:MM".
func (c *Clock) UnmarshalText(b []byte) error {
	parsed, err := ParseClock(string(b))
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// duration returns the clock as a duration since midnight.
func (c Clock) duration() time.Duration { return time.Duration(c) * time.Minute }

// Period is a span of working time within a working day, such as
// 08:30–12:00. Periods may not cross midnight.
type Period struct {
	Start Clock `json:"start"`
	End   Clock `json:"end"`
}

// String returns the period as "HH:MM-HH:MM".
func (p Period) String() string { return p.Start.String() + "-" + p.End.String() }

// DefaultPeriods returns the usual government office hours,
// 08:30–12:00 and 13:30–17:30 (7.5 hours a day).
func DefaultPeriods() []Period {
	return []Period{{Start: 8*60 + 30, End: 12 * 60}, {Start: 13*60 + 30, End: 17*60 + 30}}
}

// ParsePeriods parses working periods written like
// "08:30-12:00,13:30-17:30" and checks them with ValidatePeriods.
func ParsePeriods(s string) ([]Period, error) {
	var periods []Period
	for part := range strings.SplitSeq(s, ",") {
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, fmt.Errorf("worktime: bad working period %q: want HH:MM-HH:MM", strings.TrimSpace(part))
		}
		start, err := ParseClock(from)
		if err != nil {
			return nil, err
		}
		end, err := ParseClock(to)
		if err != nil {
			return nil, err
		}
		periods = append(periods, Period{Start: start, End: end})
	}
	if err := ValidatePeriods(periods); err != nil {
		return nil, err
	}
	return periods, nil
}

// ValidatePeriods reports whether periods can define a working day: at least
// one, each non-empty and within 00:00–24:00, in order and not overlapping.
func ValidatePeriods(periods []Period) error {
	if len(periods) == 0 {
		return errors.New("worktime: no working periods")
	}
	for i, p := range periods {
		if p.Start < 0 || p.End > minutesPerDay || p.Start >= p.End {
			return fmt.Errorf("worktime: bad working period %v: start must be before end, within 00:00-24:00", p)
		}
		if i > 0 && p.Start < periods[i-1].End {
			return fmt.Errorf("worktime: working period %v overlaps or precedes %v", p, periods[i-1])
		}
	}
	return nil
}

// Calendar says which days are working days and which hours of them are
// working time, and does deadline arithmetic on that basis.
//
// A day is a working day if it is Monday to Friday and not an official
// holiday, or if it is a make-up workday (调休上班), which overrides the
// weekend. Working periods are wall-clock times in the calendar's location.
//
// A Calendar is safe for concurrent use; SetDay may be called while other
// goroutines compute deadlines.
type Calendar struct {
	loc      *time.Location
	periods  []Period
	dayTotal time.Duration // nominal working time of one working day

	mu      sync.RWMutex
	special map[int]SpecialDay // by date.key()
}

// NewCalendar returns a calendar with no holidays in loc (Asia/Shanghai if
// nil) with the given working periods (DefaultPeriods if empty).
// It panics if the periods are invalid: configuration that comes from users
// should be checked first with ValidatePeriods or read with ParsePeriods.
func NewCalendar(loc *time.Location, periods []Period) *Calendar {
	if loc == nil {
		loc = shanghai()
	}
	if len(periods) == 0 {
		periods = DefaultPeriods()
	}
	if err := ValidatePeriods(periods); err != nil {
		panic(err)
	}
	c := &Calendar{
		loc:     loc,
		periods: slices.Clone(periods),
		special: make(map[int]SpecialDay),
	}
	for _, p := range periods {
		c.dayTotal += (p.End - p.Start).duration()
	}
	return c
}

// Default returns a new calendar for mainland China: Asia/Shanghai, default
// office hours, and the official holidays and make-up workdays of 2025 and
// 2026 (from holidays_cn.csv). Each call returns a separate calendar, so
// changes made to one with SetDay do not leak into others.
func Default() *Calendar {
	c := NewCalendar(shanghai(), nil)
	if err := c.SetDays(chinaHolidays()); err != nil {
		panic(err) // ParseCSV has already checked every day
	}
	return c
}

// shanghai returns the Asia/Shanghai location. The embedded tzdata makes
// loading it reliable; the fixed +08:00 zone is a safety net that gives the
// same answers, since China has not observed daylight saving since 1991.
var shanghai = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*60*60)
	}
	return loc
})

// Location returns the time zone the calendar's working periods are in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Periods returns the working periods of a working day.
func (c *Calendar) Periods() []Period { return slices.Clone(c.periods) }

// WorkingHoursPerDay returns the working time in one working day, which is
// also the length of a work_day limit.
func (c *Calendar) WorkingHoursPerDay() time.Duration { return c.dayTotal }

// SetDay marks a date as a holiday or a make-up workday, replacing any
// earlier setting for that date.
func (c *Calendar) SetDay(d SpecialDay) error {
	return c.SetDays([]SpecialDay{d})
}

// SetDays is SetDay for many days at once, such as an imported CSV file. It
// checks all of them first and changes nothing if any is invalid.
func (c *Calendar) SetDays(days []SpecialDay) error {
	keys := make([]date, len(days))
	for i, d := range days {
		key, err := d.validate()
		if err != nil {
			return fmt.Errorf("worktime: %w", err)
		}
		keys[i] = key
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, d := range days {
		c.special[keys[i].key()] = d
	}
	return nil
}

// ClearDay removes any holiday or make-up workday set for day
// ("YYYY-MM-DD"), so the date follows the weekday rule again.
func (c *Calendar) ClearDay(day string) error {
	key, err := parseDate(day)
	if err != nil {
		return fmt.Errorf("worktime: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.special, key.key())
	return nil
}

// Days returns the holidays and make-up workdays set on the calendar,
// sorted by date.
func (c *Calendar) Days() []SpecialDay {
	c.mu.RLock()
	days := make([]SpecialDay, 0, len(c.special))
	for _, d := range c.special {
		days = append(days, d)
	}
	c.mu.RUnlock()
	// "YYYY-MM-DD" strings sort in date order, and validation guarantees
	// that form.
	slices.SortFunc(days, func(a, b SpecialDay) int { return cmp.Compare(a.Date, b.Date) })
	return days
}

// IsWorkday reports whether the calendar day containing t (in the
// calendar's location) is a working day.
func (c *Calendar) IsWorkday(t time.Time) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	day := dateOf(t.In(c.loc))
	return c.isWorkday(day, day.weekday())
}

// isWorkday is IsWorkday for a civil date and its weekday; the caller
// holds c.mu.
func (c *Calendar) isWorkday(d date, weekday time.Weekday) bool {
	if sd, ok := c.special[d.key()]; ok {
		return sd.Kind == Workday
	}
	return weekday != time.Saturday && weekday != time.Sunday
}

// Add returns the instant at which d of time has passed since start:
// working time on the calendar if working is true, natural time otherwise.
//
// Working time only runs inside working periods on working days, so a start
// outside them waits for the next working period. When the time runs out
// exactly at the end of a period, Add returns that end (17:30 Friday), not
// the start of the next period. A d of zero or less returns start.
// The result is in the calendar's location.
//
// Add walks the calendar a day at a time, with a few cheap operations per
// day and no allocation, so a 20-working-day limit costs a few
// microseconds.
func (c *Calendar) Add(start time.Time, d time.Duration, working bool) time.Time {
	start = start.In(c.loc)
	if d <= 0 {
		return start
	}
	if !working {
		return start.Add(d)
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	for day := c.walkFrom(start); ; day.next() {
		if !c.isWorkday(day.date, day.weekday) {
			continue
		}
		for _, p := range c.periods {
			from, to := day.at(p.Start), day.at(p.End)
			if !to.After(start) {
				continue // this period is over before start
			}
			if from.Before(start) {
				from = start
			}
			left := to.Sub(from)
			if d <= left {
				return from.Add(d)
			}
			d -= left
		}
	}
}

// Elapsed returns how much time passed from a to b: working time on the
// calendar if working is true, natural time otherwise. It is 0 if b is not
// after a. Elapsed(a, Add(a, d, w), w) == d for any d > 0.
func (c *Calendar) Elapsed(a, b time.Time, working bool) time.Duration {
	if !b.After(a) {
		return 0
	}
	if !working {
		return b.Sub(a)
	}

	a, b = a.In(c.loc), b.In(c.loc)
	last := dateOf(b)
	var total time.Duration
	c.mu.RLock()
	defer c.mu.RUnlock()
	for day := c.walkFrom(a); !day.date.after(last); day.next() {
		if !c.isWorkday(day.date, day.weekday) {
			continue
		}
		for _, p := range c.periods {
			from, to := day.at(p.Start), day.at(p.End)
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				total += to.Sub(from)
			}
		}
	}
	return total
}

// dayWalker steps through the calendar's days and gives the instants of
// clock times on the current day.
//
// Converting a wall-clock time to an instant with time.Date means a time
// zone lookup, which would be most of the cost of Add. While the zone's UTC
// offset stays the same, a day's clock times are its midnight plus the
// clock, and the next midnight is 24 hours later; time.Date is only needed
// on the first day and around offset changes (daylight saving).
type dayWalker struct {
	loc      *time.Location
	date     date
	weekday  time.Weekday
	midnight time.Time
	zoneEnd  time.Time // when the offset at midnight next changes; zero if never
	steady   bool      // the offset does not change until after the next midnight
}

// walkFrom returns a walker on the day of t in the calendar's location.
func (c *Calendar) walkFrom(t time.Time) dayWalker {
	d := dateOf(t.In(c.loc))
	w := dayWalker{loc: c.loc, date: d, weekday: d.weekday()}
	w.locate()
	return w
}

// locate finds the current day's midnight the slow, always correct way.
func (w *dayWalker) locate() {
	w.midnight = time.Date(w.date.year, w.date.month, w.date.day, 0, 0, 0, 0, w.loc)
	_, w.zoneEnd = w.midnight.ZoneBounds()
	w.checkSteady()
}

func (w *dayWalker) checkSteady() {
	w.steady = w.zoneEnd.IsZero() || w.zoneEnd.After(w.midnight.Add(24*time.Hour))
}

// next moves to the following day.
func (w *dayWalker) next() {
	w.date = w.date.next()
	w.weekday = (w.weekday + 1) % 7
	if !w.steady {
		w.locate()
		return
	}
	w.midnight = w.midnight.Add(24 * time.Hour)
	w.checkSteady()
}

// at returns the instant of clock on the current day.
func (w *dayWalker) at(clock Clock) time.Time {
	if w.steady {
		return w.midnight.Add(clock.duration())
	}
	// time.Date normalises minute values past 59, and 1440 to next midnight.
	return time.Date(w.date.year, w.date.month, w.date.day, 0, int(clock), 0, 0, w.loc)
}

// date is a civil date, used as the key of the special-day table and to
// step through the calendar without time-zone arithmetic.
type date struct {
	year  int
	month time.Month
	day   int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// utcNoon anchors the date in UTC, where every day has 24 hours, so that
// stepping and weekday lookups never trip over a zone transition.
func (d date) utcNoon() time.Time { return time.Date(d.year, d.month, d.day, 12, 0, 0, 0, time.UTC) }

func (d date) next() date {
	if d.day < 28 { // no month is shorter, so no normalisation is needed
		return date{d.year, d.month, d.day + 1}
	}
	return dateOf(d.utcNoon().AddDate(0, 0, 1))
}

func (d date) weekday() time.Weekday { return d.utcNoon().Weekday() }

// key packs the date into an int (20260215), a cheaper map key than the
// struct.
func (d date) key() int { return d.year*10000 + int(d.month)*100 + d.day }

func (d date) after(e date) bool {
	if d.year != e.year {
		return d.year > e.year
	}
	if d.month != e.month {
		return d.month > e.month
	}
	return d.day > e.day
}

func (d date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.year, d.month, d.day) }
