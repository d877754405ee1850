package worktime_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gridloop/gridloop/worktime"
)

func TestUnit(t *testing.T) {
	tests := []struct {
		unit           worktime.Unit
		working, valid bool
		zh, en         string
	}{
		{worktime.Minute, false, true, "分钟", "minutes"},
		{worktime.Hour, false, true, "小时", "hours"},
		{worktime.Day, false, true, "自然日", "days"},
		{worktime.WorkHour, true, true, "工作时", "working hours"},
		{worktime.WorkDay, true, true, "工作日", "working days"},
		{"week", false, false, "week", "week"},
		{"", false, false, "", ""},
	}
	for _, tt := range tests {
		if got := tt.unit.Working(); got != tt.working {
			t.Errorf("%q.Working() = %v, want %v", tt.unit, got, tt.working)
		}
		if got := tt.unit.Valid(); got != tt.valid {
			t.Errorf("%q.Valid() = %v, want %v", tt.unit, got, tt.valid)
		}
		for _, lang := range []string{"", "zh", "zh-CN"} {
			if got := tt.unit.Label(lang); got != tt.zh {
				t.Errorf("%q.Label(%q) = %q, want %q", tt.unit, lang, got, tt.zh)
			}
		}
		for _, lang := range []string{"en", "EN", "en-US", "en_GB"} {
			if got := tt.unit.Label(lang); got != tt.en {
				t.Errorf("%q.Label(%q) = %q, want %q", tt.unit, lang, got, tt.en)
			}
		}
	}
}

func TestLimitLabel(t *testing.T) {
	tests := []struct {
		limit  worktime.Limit
		zh, en string
	}{
		{worktime.Limit{Value: 4, Unit: worktime.WorkHour}, "4 工作时", "4 working hours"},
		{worktime.Limit{Value: 1, Unit: worktime.WorkDay}, "1 工作日", "1 working day"},
		{worktime.Limit{Value: 30, Unit: worktime.Minute}, "30 分钟", "30 minutes"},
		{worktime.Limit{Value: 1, Unit: worktime.Hour}, "1 小时", "1 hour"},
		{worktime.Limit{Value: 7, Unit: worktime.Day}, "7 自然日", "7 days"},
	}
	for _, tt := range tests {
		if got := tt.limit.String(); got != tt.zh {
			t.Errorf("%#v.String() = %q, want %q", tt.limit, got, tt.zh)
		}
		if got := tt.limit.Label("en"); got != tt.en {
			t.Errorf("%#v.Label(en) = %q, want %q", tt.limit, got, tt.en)
		}
	}
}

func TestParseLimit(t *testing.T) {
	good := []struct {
		in   string
		want worktime.Limit
	}{
		{"4 work_hour", worktime.Limit{Value: 4, Unit: worktime.WorkHour}},
		{"30 minute", worktime.Limit{Value: 30, Unit: worktime.Minute}},
		{"2 work_day", worktime.Limit{Value: 2, Unit: worktime.WorkDay}},
		{"24 hour", worktime.Limit{Value: 24, Unit: worktime.Hour}},
		{"7 day", worktime.Limit{Value: 7, Unit: worktime.Day}},
		{"  15   work_day ", worktime.Limit{Value: 15, Unit: worktime.WorkDay}},
		{"4 工作时", worktime.Limit{Value: 4, Unit: worktime.WorkHour}},
		{"1工作日", worktime.Limit{Value: 1, Unit: worktime.WorkDay}},
		{"100000 day", worktime.Limit{Value: 100000, Unit: worktime.Day}},
	}
	for _, tt := range good {
		got, err := worktime.ParseLimit(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseLimit(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}

	bad := []string{
		"", "4", "work_hour", "4 weeks", "4 Work_Hour", "-4 hour", "+4 hour", "0 hour",
		"4.5 hour", "100001 day", "99999999999999999999 hour", "4 hour extra",
	}
	for _, in := range bad {
		if got, err := worktime.ParseLimit(in); err == nil {
			t.Errorf("ParseLimit(%q) = %v, want an error", in, got)
		} else if !strings.HasPrefix(err.Error(), "worktime: ") {
			t.Errorf("ParseLimit(%q) error %q lacks the package prefix", in, err)
		}
	}
}

func TestParseLimitRoundTrip(t *testing.T) {
	for _, unit := range []worktime.Unit{worktime.Minute, worktime.Hour, worktime.Day, worktime.WorkHour, worktime.WorkDay} {
		want := worktime.Limit{Value: 12, Unit: unit}
		for _, text := range []string{want.String(), "12 " + string(unit)} {
			got, err := worktime.ParseLimit(text)
			if err != nil || got != want {
				t.Errorf("ParseLimit(%q) = %v, %v; want %v", text, got, err, want)
			}
		}
	}
}

func TestLimitJSON(t *testing.T) {
	var l worktime.Limit
	if err := json.Unmarshal([]byte(`{"value":4,"unit":"work_hour"}`), &l); err != nil {
		t.Fatal(err)
	}
	if want := (worktime.Limit{Value: 4, Unit: worktime.WorkHour}); l != want {
		t.Errorf("decoded %v, want %v", l, want)
	}
	if err := l.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	for _, bad := range []worktime.Limit{{Value: 4, Unit: "fortnight"}, {Value: 0, Unit: worktime.Hour}, {Value: -1, Unit: worktime.Hour}} {
		if bad.Validate() == nil {
			t.Errorf("%#v.Validate() = nil, want an error", bad)
		}
	}
}
