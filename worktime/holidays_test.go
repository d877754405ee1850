package worktime_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gridloop/gridloop/worktime"
)

func TestParseCSV(t *testing.T) {
	const in = "\ufeff# exported from Excel, with a byte order mark\r\n" +
		"Date, Kind, Name\r\n" +
		"\r\n" +
		"2026-02-14,班,春节\r\n" +
		"# a comment between rows\r\n" +
		"2026-02-15, 休 ,春节\r\n" +
		"2026-10-01,holiday,\"国庆节, National Day\"\r\n" +
		"2026-10-10,WORKDAY,\r\n"
	got, err := worktime.ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []worktime.SpecialDay{
		{Date: "2026-02-14", Kind: worktime.Workday, Name: "春节"},
		{Date: "2026-02-15", Kind: worktime.Holiday, Name: "春节"},
		{Date: "2026-10-01", Kind: worktime.Holiday, Name: "国庆节, National Day"},
		{Date: "2026-10-10", Kind: worktime.Workday, Name: ""},
	}
	if len(got) != len(want) {
		t.Fatalf("ParseCSV = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	bomFirst, err := worktime.ParseCSV(strings.NewReader("\ufeffdate,kind,name\n2026-01-01,休,元旦\n"))
	if err != nil || len(bomFirst) != 1 || bomFirst[0].Date != "2026-01-01" {
		t.Errorf("byte order mark before the header: %v, %v", bomFirst, err)
	}

	none, err := worktime.ParseCSV(strings.NewReader("date,kind,name\n"))
	if err != nil || len(none) != 0 {
		t.Errorf("header only: %v, %v; want no days and no error", none, err)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const header = "date,kind,name\n"
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "empty"},
		{"only comments", "# nothing\n", "empty"},
		{"wrong header", "day,type,name\n2026-01-01,休,元旦\n", `line 1: header is "day,type,name"`},
		{"missing header", "2026-01-01,休,元旦\n", "line 1: header"},
		{"impossible date", header + "2026-01-01,休,元旦\n2026-02-30,休,x\n", `line 3: bad date "2026-02-30": day out of range`},
		{"slashes", header + "2026/01/01,休,元旦\n", `line 2: bad date "2026/01/01": want YYYY-MM-DD`},
		{"no zero padding", header + "2026-1-1,休,元旦\n", `line 2: bad date "2026-1-1"`},
		{"month 13", header + "2026-13-01,休,x\n", `line 2: bad date "2026-13-01": month out of range`},
		{"bad kind", header + "# note\n2026-01-01,rest,元旦\n", `line 3: bad day kind "rest"`},
		{"empty kind", header + "2026-01-01,,元旦\n", `line 2: bad day kind ""`},
		{"too few fields", header + "2026-01-01,休\n", "line 2: 2 fields, want 3"},
		{"too many fields", header + "2026-01-01,休,元旦,extra\n", "line 2: 4 fields, want 3"},
		{"duplicate date", header + "2026-01-01,休,元旦\n2026-01-04,班,元旦\n2026-01-01,班,x\n", "line 4: date 2026-01-01 already given on line 2"},
		{"bad quoting", header + "2026-01-01,休,\"元旦\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			days, err := worktime.ParseCSV(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ParseCSV = %v, want an error containing %q", days, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "worktime: ") {
				t.Errorf("error %q, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseDayKind(t *testing.T) {
	for in, want := range map[string]worktime.DayKind{"holiday": worktime.Holiday, "Holiday": worktime.Holiday, "休": worktime.Holiday, "workday": worktime.Workday, " 班 ": worktime.Workday} {
		if got, err := worktime.ParseDayKind(in); err != nil || got != want {
			t.Errorf("ParseDayKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "rest", "假", "上班"} {
		if _, err := worktime.ParseDayKind(in); err == nil {
			t.Errorf("ParseDayKind(%q) succeeded, want an error", in)
		}
	}
}

// TestEmbeddedHolidays checks holidays_cn.csv against the State Council
// notices for 2025 and 2026, as counts per year and sanity rules; the
// individual dates are in TestIsWorkday.
func TestEmbeddedHolidays(t *testing.T) {
	f, err := os.Open("holidays_cn.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	days, err := worktime.ParseCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(worktime.Default().Days()); got != len(days) {
		t.Errorf("Default has %d special days, the file %d", got, len(days))
	}

	type count struct{ holidays, workdays int }
	counts := map[int]count{}
	for _, d := range days {
		tm, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			t.Fatal(err)
		}
		c := counts[tm.Year()]
		weekend := tm.Weekday() == time.Saturday || tm.Weekday() == time.Sunday
		switch d.Kind {
		case worktime.Holiday:
			c.holidays++
		case worktime.Workday:
			c.workdays++
			if !weekend {
				t.Errorf("%s: make-up workday on a %v", d.Date, tm.Weekday())
			}
		}
		if d.Name == "" {
			t.Errorf("%s: no name", d.Date)
		}
		counts[tm.Year()] = c
	}
	// 2025: 元旦 1 + 春节 8 + 清明 3 + 劳动节 5 + 端午 3 + 国庆中秋 8 days off;
	// make-up days 1-26, 2-8, 4-27, 9-28, 10-11.
	// 2026: 元旦 3 + 春节 9 + 清明 3 + 劳动节 5 + 端午 3 + 中秋 3 + 国庆 7;
	// make-up days 1-4, 2-14, 2-28, 5-9, 9-20, 10-10.
	want := map[int]count{2025: {28, 5}, 2026: {33, 6}}
	if len(counts) != len(want) || counts[2025] != want[2025] || counts[2026] != want[2026] {
		t.Errorf("holidays and make-up workdays per year = %v, want %v", counts, want)
	}
}
