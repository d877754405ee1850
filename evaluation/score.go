package evaluation

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	gl "github.com/gridloop/gridloop"
)

// Weights give each indicator (by ID) its weight in a composite score. Admins set them;
// DefaultWeights are the starting points.
type Weights map[string]float64

// ValidateWeights checks weights an admin typed: known indicators, finite weights ≥ 0,
// at least one above 0.
func ValidateWeights(w Weights) error {
	positive := false
	for id, x := range w {
		if _, ok := indicatorByID[id]; !ok {
			return gl.FieldError("weights", "未知指标「%s」", id)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return gl.FieldError("weights", "指标「%s」的权重须为非负数", indicatorByID[id].Name)
		}
		positive = positive || x > 0
	}
	if !positive {
		return gl.FieldError("weights", "至少一个指标的权重须大于 0")
	}
	return nil
}

// Score is the composite score of c on a 0–100 scale: the weighted mean of the weighted
// indicators that have a value (rates where less is better count as 1 − rate), × 100.
// Indicators without data (denominator 0) count neither for nor against, so the weights
// are renormalised over those that have data; with the standard's weights summing to
// 100 and every indicator present this is exactly Σ weight × rate. NaN when no weighted
// indicator has data.
func Score(c Counters, w Weights) float64 {
	var num, den float64
	for i := range Indicators { // in a fixed order, so equal inputs give equal sums
		ind := &Indicators[i]
		wt := w[ind.ID]
		if !(wt > 0) {
			continue
		}
		v, ok := ind.Value(c)
		if !ok {
			continue
		}
		if ind.LowerIsBetter {
			v = 1 - v
		}
		num += wt * v
		den += wt
	}
	if den == 0 {
		return math.NaN()
	}
	return 100 * num / den
}

// Ranked is one row of a ranking.
type Ranked struct {
	Rank     int      `json:"rank"` // 1 = best; equal scores share a rank; 0 = not scored
	ID       string   `json:"id"`
	Score    float64  `json:"score"` // 0 when not scored
	Scored   bool     `json:"scored"`
	Counters Counters `json:"counters"`
}

// Rank scores every row and sorts them best first; equal scores are ordered by id
// (numerically when both ids are numbers) and share a rank (1, 2, 2, 4). Rows with no
// data for any weighted indicator come last, unranked.
func Rank(rows map[string]Counters, w Weights) []Ranked {
	out := make([]Ranked, 0, len(rows))
	for id, c := range rows {
		s := Score(c, w)
		r := Ranked{ID: id, Counters: c, Scored: !math.IsNaN(s)}
		if r.Scored {
			r.Score = s
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Ranked) int {
		if a.Scored != b.Scored {
			if a.Scored {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return compareIDs(a.ID, b.ID)
	})
	for i := range out {
		switch {
		case !out[i].Scored:
		case i > 0 && out[i-1].Scored && out[i-1].Score == out[i].Score:
			out[i].Rank = out[i-1].Rank
		default:
			out[i].Rank = i + 1
		}
	}
	return out
}

func compareIDs(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return cmp.Compare(a, b)
}

// DefaultWeights returns the default weights for evaluating a kind of subject:
//
//   - "grid_member" (监督员/网格员), after the standard's formula 有效上报率×40 + 漏报率×20 +
//     按时核实率×20 + 按时核查率×20. 漏报率 (problems in the worker's grid found by
//     others or later) cannot be computed from the event log: no event says which grid
//     worker is responsible for a grid. It is left out; the score renormalises.
//   - "department" or "handler" (专业部门): 签收及时率×10 + 处置率×10 + 按期处置率×30 +
//     返工率×15 + 延期率×5 + 解决率×15 + 满意率×15 (our default; the standard gives none).
//   - "shift_lead" (值班长): 按时立案率×25 + 结案及时率×35 from 按时立案率×25 + 准确立案率×40 +
//     按时结案率×35; 准确立案率 needs an audit of filings that no event records.
//   - "dispatcher" (派遣员): 按时派遣率×40 + 准确派遣率×40 from 派遣数×20 + 按时派遣率×40 +
//     准确派遣率×40; 派遣数 is a volume, not a rate, and has no place in a 0–100 score.
//     Returns are not attributed to the dispatcher who dispatched (docs/indicators.md).
//   - "area", "city", "district", "street", "community", "grid" (区域): 响应率×10 +
//     结案率×20 + 按期结案率×30 + 返工率×10 + 解决率×15 + 满意率×15.
//
// Other roles: nil.
func DefaultWeights(role string) Weights {
	switch role {
	case "grid_member":
		return Weights{ValidReportRate: 40, VerifyOnTimeRate: 20, CheckOnTimeRate: 20}
	case "department", "handler":
		return Weights{SignOnTimeRate: 10, HandlingRate: 10, HandledOnTimeRate: 30, ReworkRate: 15,
			ExtensionRate: 5, ResolutionRate: 15, SatisfactionRate: 15}
	case "shift_lead":
		return Weights{RegisterOnTimeRate: 25, ClosePromptRate: 35}
	case "dispatcher":
		return Weights{DispatchOnTimeRate: 40, DispatchAccuracy: 40}
	case "area", "city", "district", "street", "community", "grid", "resp_grid":
		return Weights{ResponseRate: 10, ClosingRate: 20, ClosedOnTimeRate: 30, ReworkRate: 10,
			ResolutionRate: 15, SatisfactionRate: 15}
	}
	return nil
}
