package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestCatalogs checks that every language has the same keys, none empty, and that
// every key the templates and handlers use exists.
func TestCatalogs(t *testing.T) {
	for _, l := range Langs[1:] {
		for k := range catalogs["zh"] {
			if _, ok := catalogs[l][k]; !ok {
				t.Errorf("%s.json lacks %q", l, k)
			}
		}
		for k := range catalogs[l] {
			if _, ok := catalogs["zh"][k]; !ok {
				t.Errorf("%s.json has %q, zh.json does not", l, k)
			}
		}
	}
	for l, m := range catalogs {
		for k, v := range m {
			if v == "" {
				t.Errorf("%s.json: %q is empty", l, k)
			}
		}
	}
	used := regexp.MustCompile(`(?:\.T|T\(lang,|T\(langOf\(r\),|Key:) "([a-z_]+\.[a-z_.]+)"`)
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	files = append(files, gofiles...)
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if k[len(k)-1] == '.' || k[len(k)-1] == '_' { // a prefix completed at run time
				continue
			}
			seen++
			if _, ok := catalogs["zh"][k]; !ok {
				t.Errorf("%s uses %q, missing from the catalogs", f, k)
			}
		}
	}
	if seen < 100 {
		t.Errorf("found only %d message keys in use; is the pattern broken?", seen)
	}
	// Keys built at run time.
	for _, k := range []string{"sat.satisfied", "sat.basic", "sat.unsatisfied", "request.return", "request.extension",
		"request.suspension", "assign.dispatched", "assign.signed", "assign.handled", "kind.component", "kind.event"} {
		if _, ok := catalogs["zh"][k]; !ok {
			t.Errorf("dynamic key %q missing", k)
		}
	}
	for _, a := range reporterActions {
		if k := "track.done_" + string(a); !slices.Contains(keys(), k) {
			t.Errorf("flash key %q missing", k)
		}
	}
}

func keys() []string {
	var out []string
	for k := range catalogs["zh"] {
		out = append(out, k)
	}
	return out
}
