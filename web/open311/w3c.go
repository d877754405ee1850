package open311

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// w3cLayout is how every datetime is written: W3C (ISO 8601 subset) to the second,
// with the zone offset, in the city's time zone (Asia/Shanghai: +08:00).
const w3cLayout = "2006-01-02T15:04:05-07:00"

func (s *Server) w3c(t time.Time) string {
	return t.In(s.Svc.Calendar().Location()).Format(w3cLayout)
}

func (s *Server) w3cPtr(t *time.Time) text {
	if t == nil {
		return ""
	}
	return text(s.w3c(*t))
}

// parseW3C reads a W3C datetime (https://www.w3.org/TR/NOTE-datetime): YYYY, YYYY-MM,
// YYYY-MM-DD, or a date with hh:mm, hh:mm:ss or hh:mm:ss.s and a zone (Z or ±hh:mm;
// a time without a zone is refused). It returns the span the value names: from lo up
// to hi (exclusive), so that an end of "2025-01-31" or of "…T10:00:00+08:00" includes
// the whole day or second, as written. Dates without a time are in the city's zone.
func (s *Server) parseW3C(v string) (lo, hi time.Time, err error) {
	v = strings.TrimSpace(v)
	// An unencoded "+" in a query string arrives as a space: "…T08:00:00 08:00".
	if n := len(v); n > 6 && v[n-6] == ' ' && v[n-3] == ':' {
		v = v[:n-6] + "+" + v[n-5:]
	}
	loc := s.Svc.Calendar().Location()
	for _, f := range []struct {
		layout string
		span   func(time.Time) time.Time
	}{
		{time.RFC3339Nano, nil},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{time.DateOnly, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		t, err := time.ParseInLocation(f.layout, v, loc)
		if err != nil {
			continue
		}
		if f.span != nil {
			return t, f.span(t), nil
		}
		// Seconds as written: a whole second, or the fraction's last digit.
		step := time.Second
		if i := strings.IndexByte(v, '.'); i >= 0 {
			digits := len(v[i+1:]) - len(strings.TrimLeft(v[i+1:], "0123456789"))
			for range min(digits, 9) {
				step /= 10
			}
		}
		return t, t.Add(step), nil
	}
	return time.Time{}, time.Time{}, fmt.Errorf("%q is not a W3C datetime with a time zone, e.g. 2025-01-02T08:30:00+08:00", v)
}

// maxSpan is the longest range GET requests (and the updates) may ask for.
const maxSpan = 90 * 24 * time.Hour

// window is a time range [from, to); a zero bound is open.
type window struct {
	from, to time.Time
	set      bool // the client gave a bound
}

func (w window) contains(t time.Time) bool {
	return (w.from.IsZero() || !t.Before(w.from)) && (w.to.IsZero() || t.Before(w.to))
}

// parseWindow reads the pair startKey/endKey. With only one bound the other is 90 days
// away; with both, they may not span more than 90 days. Without either, the window is
// the last def before now, open at the end.
func (s *Server) parseWindow(q url.Values, startKey, endKey string, now time.Time, def time.Duration) (window, error) {
	sv, ev := strings.TrimSpace(q.Get(startKey)), strings.TrimSpace(q.Get(endKey))
	var w window
	if sv == "" && ev == "" {
		w.from = now.Add(-def)
		return w, nil
	}
	w.set = true
	if sv != "" {
		lo, _, err := s.parseW3C(sv)
		if err != nil {
			return w, badRequest("%s: %v", startKey, err)
		}
		w.from = lo
	}
	if ev != "" {
		_, hi, err := s.parseW3C(ev)
		if err != nil {
			return w, badRequest("%s: %v", endKey, err)
		}
		w.to = hi
	}
	switch {
	case sv == "":
		w.from = w.to.Add(-maxSpan)
	case ev == "":
		w.to = w.from.Add(maxSpan)
	case !w.to.After(w.from):
		return w, badRequest("%s must be after %s", endKey, startKey)
	case w.to.Sub(w.from) > maxSpan:
		return w, badRequest("%s to %s spans more than 90 days", startKey, endKey)
	}
	return w, nil
}
