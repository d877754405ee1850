package worktime

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Unit is the unit of a time limit. Working units are measured on a
// Calendar; the others are natural (wall-clock) time.
type Unit string

// The units a limit can be given in.
const (
	Minute   Unit = "minute"    // natural time
	Hour     Unit = "hour"      // natural time
	Day      Unit = "day"       // natural time, 24 hours
	WorkHour Unit = "work_hour" // working time on the calendar
	WorkDay  Unit = "work_day"  // the calendar's working hours per day, of working time
)

// unitNames holds the display names of each unit. English has a singular
// form so that "1 working day" reads right; Chinese needs none.
var unitNames = map[Unit]struct{ zh, en, enOne string }{
	Minute:   {"分钟", "minutes", "minute"},
	Hour:     {"小时", "hours", "hour"},
	Day:      {"自然日", "days", "day"},
	WorkHour: {"工作时", "working hours", "working hour"},
	WorkDay:  {"工作日", "working days", "working day"},
}

// Working reports whether u is measured in working time on a calendar.
func (u Unit) Working() bool { return u == WorkHour || u == WorkDay }

// Valid reports whether u is one of the known units.
func (u Unit) Valid() bool {
	_, ok := unitNames[u]
	return ok
}

// Label returns the unit's display name: Chinese by default (the product is
// zh-CN first), English when lang is "en" or an English variant such as
// "en-US". An unknown unit is returned as is, so bad data stays visible.
func (u Unit) Label(lang string) string {
	names, ok := unitNames[u]
	switch {
	case !ok:
		return string(u)
	case isEnglish(lang):
		return names.en
	default:
		return names.zh
	}
}

// isEnglish reports whether lang asks for English ("en", "en-US", "en_GB").
func isEnglish(lang string) bool {
	lang = strings.ToLower(lang)
	return lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// maxLimitValue bounds Limit.Value so that every limit's duration fits in a
// time.Duration: 100000 days (about 274 years) of 24 hours still does.
const maxLimitValue = 100000

// Limit is a time limit such as 4 working hours or 30 minutes.
type Limit struct {
	Value int  `json:"value"`
	Unit  Unit `json:"unit"`
}

// String returns the limit in Chinese, e.g. "4 工作时". ParseLimit accepts it.
func (l Limit) String() string { return l.Label("zh") }

// Label returns the limit for display in lang, e.g. "4 工作时" or
// "1 working day".
func (l Limit) Label(lang string) string {
	if names, ok := unitNames[l.Unit]; ok && l.Value == 1 && isEnglish(lang) {
		return "1 " + names.enOne
	}
	return strconv.Itoa(l.Value) + " " + l.Unit.Label(lang)
}

// Validate reports whether l is usable: a known unit and a value between 1
// and 100000. Limits decoded from JSON or a database should be checked with
// it, since LimitDuration treats an invalid limit as zero.
func (l Limit) Validate() error {
	if !l.Unit.Valid() {
		return fmt.Errorf("worktime: unknown unit %q (want minute, hour, day, work_hour or work_day)", l.Unit)
	}
	if l.Value < 1 || l.Value > maxLimitValue {
		return fmt.Errorf("worktime: limit value %d out of range 1..%d", l.Value, maxLimitValue)
	}
	return nil
}

// ParseLimit parses a limit written as a whole number and a unit, such as
// "4 work_hour", "30 minute" or "2 work_day". The Chinese labels are
// accepted too ("4 工作时", "4工作时"), so String round-trips.
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits == 0 {
		return Limit{}, fmt.Errorf("worktime: bad limit %q: want a number and a unit, e.g. \"4 work_hour\"", s)
	}
	value, err := strconv.Atoi(s[:digits])
	if err != nil {
		// Only ASCII digits were taken, so the number is too large.
		return Limit{}, fmt.Errorf("worktime: bad limit %q: %w", s, errors.Unwrap(err))
	}
	unit, ok := unitByName(strings.TrimSpace(s[digits:]))
	if !ok {
		return Limit{}, fmt.Errorf("worktime: bad limit %q: unknown unit (want minute, hour, day, work_hour or work_day)", s)
	}
	l := Limit{Value: value, Unit: unit}
	if err := l.Validate(); err != nil {
		return Limit{}, err
	}
	return l, nil
}

// unitByName finds a unit by its id or its Chinese label.
func unitByName(name string) (Unit, bool) {
	if u := Unit(name); u.Valid() {
		return u, true
	}
	for u, names := range unitNames {
		if names.zh == name {
			return u, true
		}
	}
	return "", false
}
