package ui

import (
	"testing"

	"github.com/gridloop/gridloop/store"
)

// TestPublicBoardTotals: the board's total and page count as shown, exact under
// store.CountCap and a floor past it, in both languages.
func TestPublicBoardTotals(t *testing.T) {
	for _, tt := range []struct {
		total, pages      int
		zh, en, pagesText string
	}{
		{0, 1, "共 0 件", "0 cases", "1"},
		{41, 3, "共 41 件", "41 cases", "3"},
		{store.CountCap, 100, "共 2000 件", "2000 cases", "100"},
		{store.CountCap + 1, 101, "共 2000+ 件", "2000+ cases", "100+"},
	} {
		d := publicBoardData{Total: tt.total, Pages: tt.pages}
		if got := T("zh", "public.total", d.TotalText()); got != tt.zh {
			t.Errorf("total %d in zh: %q, want %q", tt.total, got, tt.zh)
		}
		if got := T("en", "public.total", d.TotalText()); got != tt.en {
			t.Errorf("total %d in en: %q, want %q", tt.total, got, tt.en)
		}
		if got := d.PagesText(); got != tt.pagesText {
			t.Errorf("total %d: pages %q, want %q", tt.total, got, tt.pagesText)
		}
	}
}
