package ui

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed locales/*.json
var localeFS embed.FS

// Langs are the languages the UI speaks; the first is the default.
var Langs = []string{"zh", "en"}

// catalogs maps a language to its flat message catalog (key → text).
var catalogs = map[string]map[string]string{}

// A language's catalog is locales/<lang>.json merged with every locales/<part>.<lang>.json,
// so that each area of the UI can keep its messages in a file of its own; a key defined
// twice is a mistake and stops the program.
func init() {
	for _, l := range Langs {
		files, err := fs.Glob(localeFS, "locales/*"+l+".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		for _, f := range files {
			if name := path.Base(f); name != l+".json" && !strings.HasSuffix(name, "."+l+".json") {
				continue
			}
			b, err := localeFS.ReadFile(f)
			if err != nil {
				panic(err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("ui: %s: %v", f, err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("ui: %s: message %q is defined twice", f, k))
				}
				m[k] = v
			}
		}
		catalogs[l] = m
	}
}

// T returns the message key in lang, formatted with args; it falls back to Chinese,
// then to the key itself so that a missing message is visible, not blank.
func T(lang, key string, args ...any) string {
	s, ok := catalogs[lang][key]
	if !ok {
		if s, ok = catalogs["zh"][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}
