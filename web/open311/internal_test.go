package open311

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// TestStatusTable keeps docs/open311.md's mapping table and the code in step: one row
// per gridloop status with its Open311 status and detailed status.
func TestStatusTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/open311.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [^|]+ \\| `(open|closed)` \\| `([a-z_]+)` \\|")
	seen := map[gl.Status]bool{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		st := gl.Status(m[1])
		if !st.Valid() {
			t.Errorf("docs table has unknown status %q", st)
			continue
		}
		seen[st] = true
		if got := openClosed(st); got != m[2] {
			t.Errorf("%s: code says %s, docs say %s", st, got, m[2])
		}
		if got := detailedStatus[st]; got != m[3] {
			t.Errorf("%s: code says detailed %s, docs say %s", st, got, m[3])
		}
	}
	for _, st := range gl.Statuses {
		if !seen[st] {
			t.Errorf("docs/open311.md has no row for status %s", st)
		}
		if detailedStatus[st] == "" {
			t.Errorf("no detailed status for %s", st)
		}
	}
}

func TestParseW3C(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/w3c.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Svc: svc}
	cst := time.FixedZone("+08", 8*3600)
	for _, c := range []struct {
		in     string
		lo, hi time.Time
	}{
		{"2025-01-02T08:30:00+08:00", time.Date(2025, 1, 2, 8, 30, 0, 0, cst), time.Date(2025, 1, 2, 8, 30, 1, 0, cst)},
		{"2025-01-02T00:30:00Z", time.Date(2025, 1, 2, 8, 30, 0, 0, cst), time.Date(2025, 1, 2, 8, 30, 1, 0, cst)},
		{"2025-01-02T08:30:00 08:00", time.Date(2025, 1, 2, 8, 30, 0, 0, cst), time.Date(2025, 1, 2, 8, 30, 1, 0, cst)}, // "+" lost in a query
		{"2025-01-02T08:30:00.25+08:00", time.Date(2025, 1, 2, 8, 30, 0, 250e6, cst), time.Date(2025, 1, 2, 8, 30, 0, 260e6, cst)},
		{"2025-01-02T08:30+08:00", time.Date(2025, 1, 2, 8, 30, 0, 0, cst), time.Date(2025, 1, 2, 8, 31, 0, 0, cst)},
		{"2025-01-02", time.Date(2025, 1, 2, 0, 0, 0, 0, cst), time.Date(2025, 1, 3, 0, 0, 0, 0, cst)},
		{"2025-01", time.Date(2025, 1, 1, 0, 0, 0, 0, cst), time.Date(2025, 2, 1, 0, 0, 0, 0, cst)},
		{"2025", time.Date(2025, 1, 1, 0, 0, 0, 0, cst), time.Date(2026, 1, 1, 0, 0, 0, 0, cst)},
	} {
		lo, hi, err := s.parseW3C(c.in)
		if err != nil || !lo.Equal(c.lo) || !hi.Equal(c.hi) {
			t.Errorf("parseW3C(%q) = %v, %v, %v; want %v, %v", c.in, lo, hi, err, c.lo, c.hi)
		}
	}
	for _, bad := range []string{"", "yesterday", "2025-01-02T08:30:00", "2025-13-01", "02/01/2025", "2025-01-02 08:30:00+08:00"} {
		if _, _, err := s.parseW3C(bad); err == nil {
			t.Errorf("parseW3C(%q) accepted a value without a zone or not W3C", bad)
		}
	}
	if got := s.w3c(time.Date(2025, 1, 2, 0, 30, 0, 0, time.UTC)); got != "2025-01-02T08:30:00+08:00" {
		t.Errorf("w3c = %s", got)
	}
	if !strings.HasSuffix(Specification, "GeoReport_v2") {
		t.Error(Specification)
	}
}
