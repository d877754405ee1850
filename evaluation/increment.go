package evaluation

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Increment is what one event adds to the rollups, in compact form: the same counters
// to the bucket of every member (the city, the areas, the grids, the department, the
// actor…) for the day, ISO week and month of one day. An event touches some twenty
// buckets but is one Increment; the service keeps increments in a journal in the event's
// transaction and folds them into the buckets later (docs/evaluation.md).
type Increment struct {
	Counters Counters
	members  members
	starts   [3]string // day, week, month: Key.Start for each of Periods
}

// Day is the day of the increment (2006-01-02, in the evaluation time zone).
func (inc *Increment) Day() string { return inc.starts[0] }

// AddTo adds the increment to the bucket of every member for each period.
func (inc *Increment) AddTo(out map[Key]Counters) { inc.spread(out, false) }

// spread adds the counters under every member for each period. When fresh, out holds
// none of the keys yet and the counters are stored without a lookup.
func (inc *Increment) spread(out map[Key]Counters, fresh bool) {
	m := &inc.members
	for i := range m.n {
		for j, p := range Periods {
			k := Key{Dim: m.list[i].dim, ID: m.list[i].id, Period: p, Start: inc.starts[j]}
			if fresh {
				out[k] = inc.Counters
				continue
			}
			c := out[k]
			c.Add(inc.Counters)
			out[k] = c
		}
	}
}

// Separators of an increment's text: between its three parts, and between the items of
// a part. Control characters, which no member id (codes and numbers) contains.
const (
	incPartSep = '\x1f'
	incItemSep = '\x1e'
)

// AppendText appends the increment as one line of text (without a newline): the day,
// the counters that are not zero as name=value, and the members as dimension:id, e.g.
// "2026-12-07␟reported=1␞patrol=1␟city:all␞area:330106␞grid:…" (␟ = U+001F, ␞ =
// U+001E). Counters go by name, so a line written before a counter was added still reads.
func (inc *Increment) AppendText(b []byte) []byte {
	b = append(b, inc.starts[0]...)
	b = append(b, incPartSep)
	first := true
	for i, p := range inc.Counters.Fields() {
		if *p == 0 {
			continue
		}
		if !first {
			b = append(b, incItemSep)
		}
		first = false
		b = append(b, CounterFields[i]...)
		b = append(b, '=')
		b = strconv.AppendInt(b, *p, 10)
	}
	b = append(b, incPartSep)
	for i := range inc.members.n {
		if i > 0 {
			b = append(b, incItemSep)
		}
		b = append(b, inc.members.list[i].dim...)
		b = append(b, ':')
		b = append(b, inc.members.list[i].id...)
	}
	return b
}

// ParseIncrement reads a line written by AppendText.
func ParseIncrement(line string) (Increment, error) {
	var inc Increment
	day, rest, ok1 := strings.Cut(line, string(incPartSep))
	counters, mems, ok2 := strings.Cut(rest, string(incPartSep))
	if !ok1 || !ok2 {
		return inc, errors.New("evaluation: increment: want three parts")
	}
	t, err := time.Parse(dateLayout, day)
	if err != nil {
		return inc, fmt.Errorf("evaluation: increment: day: %w", err)
	}
	inc.starts = dayStarts(t)
	fields := inc.Counters.Fields()
	for item := range strings.SplitSeq(counters, string(incItemSep)) {
		name, v, ok := strings.Cut(item, "=")
		i, known := CounterIndex(name)
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || !known || err != nil {
			return inc, fmt.Errorf("evaluation: increment: bad counter %q", item)
		}
		*fields[i] = n
	}
	for item := range strings.SplitSeq(mems, string(incItemSep)) {
		dim, id, ok := strings.Cut(item, ":")
		if !ok || id == "" || !slices.Contains(Dimensions, Dimension(dim)) {
			return inc, fmt.Errorf("evaluation: increment: bad member %q", item)
		}
		if inc.members.n == len(inc.members.list) {
			return inc, errors.New("evaluation: increment: too many members")
		}
		inc.members.list[inc.members.n] = member{Dimension(dim), id}
		inc.members.n++
	}
	return inc, nil
}
