package worktime

import (
	"bufio"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

// DayKind says how a special day departs from the weekday rule.
type DayKind string

// The kinds of special day.
const (
	Holiday DayKind = "holiday" // a day off, even if it is Monday to Friday (休)
	Workday DayKind = "workday" // a make-up workday, even on a weekend (调休上班, 班)
)

// ParseDayKind reads a day kind as written in holiday files: "holiday" or
// "workday" (any case), or the 休 and 班 marks of Chinese calendars.
func ParseDayKind(s string) (DayKind, error) {
	kind, err := parseDayKind(s)
	if err != nil {
		return "", fmt.Errorf("worktime: %w", err)
	}
	return kind, nil
}

// The unexported parsers return errors without the "worktime:" prefix, so
// that ParseCSV can put the line number first.

func parseDayKind(s string) (DayKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "holiday", "休":
		return Holiday, nil
	case "workday", "班":
		return Workday, nil
	}
	return "", fmt.Errorf("bad day kind %q: want holiday (休) or workday (班)", s)
}

// SpecialDay is a date that does not follow the weekday rule: an official
// holiday or a make-up workday.
type SpecialDay struct {
	Date string  `json:"date"` // YYYY-MM-DD
	Kind DayKind `json:"kind"`
	Name string  `json:"name"` // e.g. 春节; for display only
}

// validate checks the day and returns its date.
func (d SpecialDay) validate() (date, error) {
	key, err := parseDate(d.Date)
	if err != nil {
		return date{}, err
	}
	if d.Kind != Holiday && d.Kind != Workday {
		return date{}, fmt.Errorf("%s: bad day kind %q: want holiday or workday", d.Date, d.Kind)
	}
	return key, nil
}

// parseDate parses a date written YYYY-MM-DD and nothing else; the strict
// form also keeps Calendar.Days sortable as strings.
func parseDate(s string) (date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var perr *time.ParseError
		if errors.As(err, &perr) && perr.Message != "" {
			// Range errors such as "day out of range" say more than the layout.
			return date{}, fmt.Errorf("bad date %q: %s", s, strings.TrimPrefix(perr.Message, ": "))
		}
		return date{}, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return dateOf(t), nil
}

// ParseCSV reads holidays and make-up workdays from CSV with the header
// "date,kind,name", for example
//
//	# China, from the State Council notice
//	date,kind,name
//	2026-02-15,休,春节
//	2026-02-14,班,春节
//
// Kind is holiday or workday, or 休 or 班. Lines starting with # and blank
// lines are skipped, and a UTF-8 byte order mark (as Excel writes) is
// ignored. Errors give the line number; a date listed twice is an error,
// since one of the two entries must be a mistake.
func ParseCSV(r io.Reader) ([]SpecialDay, error) {
	// Skip a byte order mark before the csv reader sees it, or it would hide
	// a comment on the first line.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1 // checked below, with a clearer message
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("worktime: holidays CSV: empty, want the header date,kind,name")
	}
	if err != nil {
		return nil, fmt.Errorf("worktime: holidays CSV: %w", err)
	}
	if !isHeader(header) {
		line, _ := cr.FieldPos(0)
		return nil, fmt.Errorf("worktime: holidays CSV line %d: header is %q, want date,kind,name", line, strings.Join(header, ","))
	}

	var days []SpecialDay
	seen := make(map[date]int) // date → line it was first given on
	for {
		record, err := cr.Read()
		if err == io.EOF {
			return days, nil
		}
		if err != nil {
			return nil, fmt.Errorf("worktime: holidays CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(record) != 3 {
			return nil, fmt.Errorf("worktime: holidays CSV line %d: %d fields, want 3 (date,kind,name)", line, len(record))
		}
		day := SpecialDay{Date: strings.TrimSpace(record[0]), Name: strings.TrimSpace(record[2])}
		key, err := parseDate(day.Date)
		if err == nil {
			day.Kind, err = parseDayKind(record[1])
		}
		if err != nil {
			return nil, fmt.Errorf("worktime: holidays CSV line %d: %w", line, err)
		}
		if first, ok := seen[key]; ok {
			return nil, fmt.Errorf("worktime: holidays CSV line %d: date %s already given on line %d", line, day.Date, first)
		}
		seen[key] = line
		days = append(days, day)
	}
}

func isHeader(fields []string) bool {
	want := []string{"date", "kind", "name"}
	return slices.EqualFunc(fields, want, func(got, want string) bool {
		return strings.EqualFold(strings.TrimSpace(got), want)
	})
}

// holidaysCN is mainland China's official holiday schedule, as published
// each year by the General Office of the State Council.
//
//go:embed holidays_cn.csv
var holidaysCN string

// chinaHolidays returns the embedded schedule. It is parsed once; each
// caller gets its own copy.
func chinaHolidays() []SpecialDay {
	days, err := parsedHolidaysCN()
	if err != nil {
		panic("worktime: embedded holidays_cn.csv: " + err.Error()) // caught by the package tests
	}
	return slices.Clone(days)
}

var parsedHolidaysCN = sync.OnceValues(func() ([]SpecialDay, error) {
	return ParseCSV(strings.NewReader(holidaysCN))
})
