package ui

import "testing"

// TestIntakeRoutesExist: every rate-limited page is in the route table (a renamed
// route would silently lose its limit).
func TestIntakeRoutesExist(t *testing.T) {
	u := &UI{}
	for key := range intake {
		found := false
		for _, rt := range u.Routes() {
			found = found || rt.Pattern == key
		}
		if !found {
			t.Errorf("intake route %s is not in Routes", key)
		}
	}
}
