package ui

import (
	"embed"
	"encoding/json"
	"fmt"
)

//go:embed locales/*.json
var localeFS embed.FS

// Langs are the languages the UI speaks; the first is the default.
var Langs = []string{"zh", "en"}

// catalogs maps a language to its flat message catalog (key → text).
var catalogs = map[string]map[string]string{}

func init() {
	for _, l := range Langs {
		b, err := localeFS.ReadFile("locales/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("ui: locales/%s.json: %v", l, err))
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
