package evaluation

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	gl "github.com/gridloop/gridloop"
)

const (
	propertySeed      = 20261102
	propertyHistories = 800
)

// TestProperty drives random but valid case histories through the real state machine and
// checks that rollups kept event by event (the sum of Deltas, each given the case as it
// was before the event) equal Recompute over the same events, in every bucket; that every
// rate is within [0, 1]; that days, weeks and months add up to the same totals; and that
// the histories exercised every counter.
//
// Co-handlers are drawn from other branches of the department tree than the lead, so no
// two assignments of a case hold the same department: sub_dispatch events do not say
// whether they moved the lead, and Recompute tells by the department (see
// docs/indicators.md, "What the event log lacks").
func TestProperty(t *testing.T) {
	g := newGenerator(propertySeed)
	var histories [][]gl.Event
	incremental := map[Key]Counters{}
	journaled := map[Key]Counters{} // the same increments through their journal text
	var line []byte
	actions := map[gl.Action]int{}
	events := 0
	for i := range propertyHistories {
		steps := g.history(int64(i + 1))
		h := make([]gl.Event, len(steps))
		for j, s := range steps {
			h[j] = s.ev
			actions[s.ev.Action]++
			before := s.before
			for k, d := range Deltas(&before, s.ev, shanghaiLoc) {
				c := incremental[k]
				c.Add(d)
				incremental[k] = c
			}
			if inc, ok := EventIncrement(&before, s.ev, shanghaiLoc); ok {
				line = inc.AppendText(line[:0])
				back, err := ParseIncrement(string(line))
				if err != nil {
					t.Fatalf("case %d: %q: %v", i+1, line, err)
				}
				back.AddTo(journaled)
			}
			if s.ev.Action == gl.ActionReport { // nil before: the place comes from the event
				a, b := Deltas(&before, s.ev, shanghaiLoc), Deltas(nil, s.ev, shanghaiLoc)
				if !maps.Equal(a, b) {
					t.Fatalf("case %d: Deltas of the report differ with and without the case", i+1)
				}
			}
		}
		events += len(h)
		histories = append(histories, h)
	}
	// Recompute sorts by seq: hand it some histories out of order.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(histories); i += 7 {
		h := slices.Clone(histories[i])
		rng.Shuffle(len(h), func(a, b int) { h[a], h[b] = h[b], h[a] })
		histories[i] = h
	}
	recomputed := Recompute(histories, shanghaiLoc)
	if !maps.Equal(incremental, journaled) {
		t.Errorf("increments through their text differ from Deltas: %d buckets against %d", len(journaled), len(incremental))
	}

	t.Logf("%d histories, %d events, %d buckets", len(histories), events, len(recomputed))
	t.Logf("actions: %v", actions)
	mismatches := 0
	for _, k := range sortedKeys(incremental, recomputed) {
		a, b := incremental[k], recomputed[k]
		if a != b {
			mismatches++
			if mismatches <= 10 {
				t.Errorf("%v:\n incremental %s\n recomputed  %s", k, diff(a, b), diff(b, a))
			}
		}
	}
	if mismatches > 0 {
		t.Fatalf("%d of %d buckets differ", mismatches, len(recomputed))
	}

	for k, c := range recomputed {
		for _, f := range c.Fields() {
			if *f < 0 {
				t.Fatalf("%v: negative counter %+v", k, c)
			}
		}
		for _, ind := range Indicators {
			if v, ok := ind.Value(c); ok && (v < 0 || v > 1 || v != v) {
				t.Errorf("%v: %s = %v out of [0, 1] (%+v)", k, ind.ID, v, c)
			}
		}
	}

	// Days, weeks and months of one member add up to the same totals.
	type member struct {
		dim Dimension
		id  string
	}
	totals := map[member]map[Period]Counters{}
	for k, c := range recomputed {
		m := member{k.Dim, k.ID}
		if totals[m] == nil {
			totals[m] = map[Period]Counters{}
		}
		s := totals[m][k.Period]
		s.Add(c)
		totals[m][k.Period] = s
	}
	for m, byPeriod := range totals {
		if byPeriod[Day] != byPeriod[Week] || byPeriod[Day] != byPeriod[Month] {
			t.Errorf("%v: day, week and month totals differ", m)
		}
	}

	// Every case reported once; every counter exercised somewhere in the city.
	city := totals[member{DimCity, CityID}][Month]
	if city.Reported != propertyHistories {
		t.Errorf("city reported %d, want %d", city.Reported, propertyHistories)
	}
	for i, f := range city.Fields() {
		if *f == 0 {
			t.Errorf("no history exercised counter %s", CounterFields[i])
		}
	}
	for _, a := range append([]gl.Action{gl.ActionReport}, gl.Actions...) {
		if actions[a] == 0 {
			t.Errorf("no history took action %s", a)
		}
	}
	for _, d := range Dimensions {
		found := false
		for m := range totals {
			found = found || m.dim == d
		}
		if !found {
			t.Errorf("no bucket of dimension %s", d)
		}
	}
	t.Logf("city: %+v", city)
}

func sortedKeys(ms ...map[Key]Counters) []Key {
	seen := map[Key]bool{}
	for _, m := range ms {
		for k := range m {
			seen[k] = true
		}
	}
	keys := slices.Collect(maps.Keys(seen))
	slices.SortFunc(keys, func(a, b Key) int {
		return compareStrings(fmt.Sprint(a), fmt.Sprint(b))
	})
	return keys
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// diff lists the counters of a that differ from b.
func diff(a, b Counters) string {
	fa, fb := a.Fields(), b.Fields()
	s := ""
	for i := range fa {
		if *fa[i] != *fb[i] {
			s += fmt.Sprintf("%s=%d ", CounterFields[i], *fa[i])
		}
	}
	return s
}
