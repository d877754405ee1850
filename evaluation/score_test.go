package evaluation

import (
	"encoding/json"
	"math"
	"testing"

	gl "github.com/gridloop/gridloop"
)

func TestIndicatorsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, ind := range Indicators {
		if seen[ind.ID] {
			t.Errorf("duplicate indicator %s", ind.ID)
		}
		seen[ind.ID] = true
		if ind.Name == "" || ind.NameEn == "" || ind.Definition == "" || ind.Numerator == "" || ind.Denominator == "" || len(ind.Dims) == 0 || ind.Value == nil {
			t.Errorf("%s: incomplete %+v", ind.ID, ind)
		}
		if _, ok := ind.Value(Counters{}); ok {
			t.Errorf("%s: a value with no data", ind.ID)
		}
		if got, ok := IndicatorByID(ind.ID); !ok || got.Name != ind.Name {
			t.Errorf("IndicatorByID(%s)", ind.ID)
		}
	}
	for _, name := range []string{"立案率", "处置率", "按期处置率", "结案率", "按期结案率", "返工率", "退回率", "准确派遣率",
		"延期率", "签收及时率", "响应率", "解决率", "满意率", "有效上报率", "按时核实率", "按时核查率"} {
		found := false
		for _, ind := range Indicators {
			found = found || ind.Name == name
		}
		if !found {
			t.Errorf("no indicator %s", name)
		}
	}
}

func TestIndicatorValues(t *testing.T) {
	c := Counters{Registered: 3, Rejected: 1, Merged: 0, ShouldHandle: 10, Handled: 8, HandledOnTime: 6,
		Accepted: 9, Returned: 1, Rated: 4, Satisfied: 1, Basic: 2, Resolved: 3}
	for id, want := range map[string]float64{
		RegistrationRate: 0.75, HandlingRate: 0.8, HandledOnTimeRate: 0.6,
		ReturnRate: 0.1, DispatchAccuracy: 0.9, SatisfactionRate: 0.75, ResolutionRate: 0.75,
	} {
		ind, _ := IndicatorByID(id)
		if v, ok := ind.Value(c); !ok || math.Abs(v-want) > 1e-12 {
			t.Errorf("%s = %v %v, want %v", id, v, ok, want)
		}
	}
	vs := Values(c)
	if vs[ClosingRate] != nil || vs[HandlingRate] == nil || *vs[HandlingRate] != 0.8 {
		t.Errorf("Values: %v", vs)
	}
	b, err := json.Marshal(vs)
	if err != nil || !json.Valid(b) {
		t.Fatalf("Values do not marshal: %v", err)
	}
}

func TestScore(t *testing.T) {
	w := Weights{HandledOnTimeRate: 60, ReworkRate: 40}
	c := Counters{ShouldHandle: 10, HandledOnTime: 5, CheckTasks: 4, Rework: 1}
	// 60 × 0.5 + 40 × (1 − 0.25) = 60 over weights 100
	if s := Score(c, w); math.Abs(s-60) > 1e-9 {
		t.Errorf("score %v, want 60", s)
	}
	// no checks: rework rate has no value and its weight drops out
	c.CheckTasks, c.Rework = 0, 0
	if s := Score(c, w); math.Abs(s-50) > 1e-9 {
		t.Errorf("score without checks %v, want 50", s)
	}
	if s := Score(Counters{}, w); !math.IsNaN(s) {
		t.Errorf("score without data %v, want NaN", s)
	}
	if s := Score(c, Weights{HandledOnTimeRate: 0}); !math.IsNaN(s) {
		t.Errorf("zero weights %v, want NaN", s)
	}
}

func TestRank(t *testing.T) {
	w := Weights{HandledOnTimeRate: 1}
	rows := map[string]Counters{
		"10": {ShouldHandle: 4, HandledOnTime: 2},
		"9":  {ShouldHandle: 2, HandledOnTime: 1},
		"11": {ShouldHandle: 1, HandledOnTime: 1},
		"12": {},
		"3":  {ShouldHandle: 5, HandledOnTime: 0},
	}
	got := Rank(rows, w)
	want := []struct {
		id   string
		rank int
	}{{"11", 1}, {"9", 2}, {"10", 2}, {"3", 4}, {"12", 0}}
	if len(got) != len(want) {
		t.Fatalf("%d rows", len(got))
	}
	for i, r := range got {
		if r.ID != want[i].id || r.Rank != want[i].rank {
			t.Errorf("row %d: %s rank %d, want %s rank %d", i, r.ID, r.Rank, want[i].id, want[i].rank)
		}
	}
	if got[4].Scored || got[4].Score != 0 {
		t.Errorf("unscored row %+v", got[4])
	}
	if _, err := json.Marshal(got); err != nil {
		t.Fatal(err)
	}
}

func TestWeights(t *testing.T) {
	for _, role := range []string{"grid_member", "department", "handler", "shift_lead", "dispatcher", "area", "city", "street", "grid"} {
		w := DefaultWeights(role)
		if err := ValidateWeights(w); err != nil {
			t.Errorf("%s: %v", role, err)
		}
	}
	if DefaultWeights("citizen") != nil {
		t.Error("weights for citizens")
	}
	for _, w := range []Weights{{"nope": 1}, {HandlingRate: -1}, {HandlingRate: math.NaN()}, {HandlingRate: 0}, {}} {
		if gl.ErrorCode(ValidateWeights(w)) != gl.EINVALID {
			t.Errorf("%v accepted", w)
		}
	}
	// The grid worker's weights are the standard's, less 漏报率.
	gm := DefaultWeights("grid_member")
	if gm[ValidReportRate] != 40 || gm[VerifyOnTimeRate] != 20 || gm[CheckOnTimeRate] != 20 || len(gm) != 3 {
		t.Errorf("grid worker weights %v", gm)
	}
}
