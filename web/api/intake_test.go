package api

import "testing"

// TestIntakeRoutesExist: every rate-limited route is in the route table (a renamed
// route would silently lose its limit).
func TestIntakeRoutesExist(t *testing.T) {
	for key := range intake {
		found := false
		for _, rt := range Routes {
			found = found || rt.Method+" "+rt.Pattern == key
		}
		if !found {
			t.Errorf("intake route %s is not in Routes", key)
		}
	}
}
