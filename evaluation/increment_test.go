package evaluation

import (
	"strings"
	"testing"

	gl "github.com/gridloop/gridloop"
)

func TestIncrementText(t *testing.T) {
	before := baseCase(gl.StatusHandling)
	e := ev(gl.ActionCheck, gl.RoleGridMember, 101, gl.StatusHandled, gl.StatusChecked, 0, map[string]any{"passed": false})
	inc, ok := EventIncrement(&before, e, shanghaiLoc)
	if !ok {
		t.Fatal("a check counts")
	}
	line := string(inc.AppendText(nil))
	for _, want := range []string{"check_tasks=1", "rework=1", "grid:330106001001001", "grid_member:101", "department:10"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "=0") {
		t.Errorf("%q writes a zero counter", line)
	}
	back, err := ParseIncrement(line)
	if err != nil {
		t.Fatal(err)
	}
	got := map[Key]Counters{}
	back.AddTo(got)
	want := Deltas(&before, e, shanghaiLoc)
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	for k, c := range want {
		if got[k] != c {
			t.Errorf("%v: %s", k, diff(got[k], c))
		}
	}
	if back.Day() != inc.Day() || inc.Day() != t0.In(shanghaiLoc).Format("2006-01-02") {
		t.Errorf("day %s, parsed %s", inc.Day(), back.Day())
	}

	for _, bad := range []string{
		"",
		"2026-12-07\x1freported=1",             // two parts
		"2026-13-07\x1freported=1\x1fcity:all", // no such day
		"2026-12-07\x1fnot_a_counter=1\x1fcity:all",     // unknown counter
		"2026-12-07\x1freported=x\x1fcity:all",          // not a number
		"2026-12-07\x1freported=1\x1fplanet:earth",      // unknown dimension
		"2026-12-07\x1freported=1\x1fcity",              // no id
		"2026-12-07\x1freported=1\x1fcity:all\x1eroom:", // empty member
	} {
		if _, err := ParseIncrement(bad); err == nil {
			t.Errorf("ParseIncrement(%q) accepted", bad)
		}
	}
}
