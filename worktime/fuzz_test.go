package worktime

import (
	"strings"
	"testing"
)

// FuzzParseCSV: a holidays CSV from an admin's upload. Whatever the bytes, it parses
// into valid special days or fails with an error, never panics, and a day it accepts
// is listed once with a kind it knows.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-11,workday,国庆调休\n",
		"\ufeffdate,kind,name\n# comment\n\n2026-01-01,休,元旦\n2026-02-15,班,春节调休\n",
		"date,kind,name\n2026-13-01,holiday,x\n", "date,kind\n", "", "date,kind,name\n2026-10-01,holiday,a\n2026-10-01,workday,b\n",
		"date,kind,name\n\"2026-10-01\",\"holiday\",\"a,\"\"quoted\"\"\"\n", "date,kind,name\n2026-10-01,holiday\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		days, err := ParseCSV(strings.NewReader(s))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range days {
			k := d.Date
			if seen[k] {
				t.Fatalf("day %s accepted twice", k)
			}
			seen[k] = true
			if _, err := ParseDayKind(string(d.Kind)); err != nil {
				t.Fatalf("accepted kind %q: %v", d.Kind, err)
			}
		}
	})
}
