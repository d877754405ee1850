package service

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
)

// The evaluation (综合评价): every indicator of every member of a dimension for one
// period, read from the rollups, scored with the weights in force and ranked, inside
// the caller's scope. docs/evaluation.md describes the API; docs/indicators.md the
// figures.

// EvalQuery asks for one dimension's figures over one period.
type EvalQuery struct {
	Dim    evaluation.Dimension
	Period evaluation.Period // default month
	// Start is any day of the period (2006-01-02); "" is the period that contains now.
	Start string
	// Level keeps only the areas of one level: district, street or community.
	Level string
	// Parent keeps only areas or grids whose code starts with it.
	Parent string
	// Subtree sums each department's counters over its subtree (a bureau with its
	// sections); with Top, only the top-level departments are listed.
	Subtree, Top bool
	// Limit and Offset page the ranked rows (Limit 0: every row). Paged, a large
	// dimension (10,000 grids) is ranked from the weighted indicators' counters alone,
	// and only the page's rows are read whole.
	Limit, Offset int
}

// IndicatorValue is one indicator of one row: null when it has no data.
type IndicatorValue struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
}

// EvalRow is one member of the dimension: its figures, score and rank.
type EvalRow struct {
	// Rank is 1 for the best score within the row's group (the level, for areas); equal
	// scores share a rank; 0 when the row has no score.
	Rank  int    `json:"rank"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Level string `json:"level,omitempty"` // areas: district, street or community
	// Score is the composite score (0–100, evaluation.Score) with WeightsFor's weights;
	// null when no weighted indicator has data.
	Score      *float64            `json:"score"`
	WeightsFor string              `json:"weights_for,omitempty"`
	Indicators []IndicatorValue    `json:"indicators"`
	Counters   evaluation.Counters `json:"counters"`
}

// Evaluation is the answer to an EvalQuery.
type Evaluation struct {
	Dim    evaluation.Dimension `json:"dim"`
	Period evaluation.Period    `json:"period"`
	Start  string               `json:"start"` // the period's first day
	End    string               `json:"end"`   // its last day
	// WeightsFor names the weights the rows are scored with ("" when each row has its
	// own: the role dimension) and Weights are they.
	WeightsFor string             `json:"weights_for,omitempty"`
	Weights    evaluation.Weights `json:"weights,omitempty"`
	// Indicators define every figure: Chinese and English names, the definition the UI
	// shows next to the figure, numerator and denominator.
	Indicators []evaluation.Indicator `json:"indicators"`
	// Total is the number of rows in the caller's scope; Rows is the page of them.
	Total int       `json:"total"`
	Rows  []EvalRow `json:"rows"`
}

// MaxEvalLimit is the largest page of evaluation rows (without a limit, every row).
const MaxEvalLimit = 1000

// EvalDims are the dimensions the evaluation API serves.
var EvalDims = []evaluation.Dimension{evaluation.DimDepartment, evaluation.DimArea, evaluation.DimGrid,
	evaluation.DimRespGrid, evaluation.DimGridMember, evaluation.DimRole, evaluation.DimUser, evaluation.DimCity}

// WeightSubjects are the subjects whose weights an admin may set: the evaluated
// dimensions and the roles scored in the role dimension.
var WeightSubjects = []string{"department", "area", "grid", "resp_grid", "city", "grid_member",
	"handler", "shift_lead", "dispatcher"}

// weightsFor is the subject whose weights score a dimension's rows ("" for the role
// dimension, where each role has its own; none for users).
func weightsFor(dim evaluation.Dimension) string {
	switch dim {
	case evaluation.DimRole, evaluation.DimUser:
		return ""
	}
	return string(dim)
}

const weightsSetting = "evaluation.weights."

// Weights returns the weights in force for subject: an admin's, or the defaults.
func (s *Service) Weights(ctx context.Context, subject string) (evaluation.Weights, error) {
	var w evaluation.Weights
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		w, err = weightsIn(ctx, tx, subject)
		return err
	})
	return w, err
}

func weightsIn(ctx context.Context, tx *store.Tx, subject string) (evaluation.Weights, error) {
	v, ok, err := tx.Setting(ctx, weightsSetting+subject)
	if err != nil || !ok || v == "" {
		return evaluation.DefaultWeights(subject), err
	}
	var w evaluation.Weights
	if err := json.Unmarshal([]byte(v), &w); err != nil {
		return evaluation.DefaultWeights(subject), nil // a damaged setting: the defaults
	}
	return w, nil
}

// AllWeights returns the weights in force for every subject.
func (s *Service) AllWeights(ctx context.Context) (map[string]evaluation.Weights, error) {
	out := map[string]evaluation.Weights{}
	err := s.DB.View(ctx, func(tx *store.Tx) error {
		for _, subj := range WeightSubjects {
			w, err := weightsIn(ctx, tx, subj)
			if err != nil {
				return err
			}
			out[subj] = w
		}
		return nil
	})
	return out, err
}

// SetWeights sets the weights of subject (nil or empty: back to the defaults). Admins
// only; the API checks the role, this checks again.
func (s *Service) SetWeights(ctx context.Context, p *Principal, subject string, w evaluation.Weights) (evaluation.Weights, error) {
	if p == nil || !p.System && (p.User == nil || !p.User.HasRole(gl.RoleAdmin)) {
		return nil, gl.Errorf(gl.EFORBIDDEN, "需要管理员权限")
	}
	if !slices.Contains(WeightSubjects, subject) {
		return nil, gl.FieldError("subject", "未知的评价对象「%s」，可选：%s", subject, strings.Join(WeightSubjects, "、"))
	}
	value := ""
	if len(w) > 0 {
		if err := evaluation.ValidateWeights(w); err != nil {
			return nil, err
		}
		b, _ := json.Marshal(w)
		value = string(b)
	}
	err := s.DB.Update(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, weightsSetting+subject, value) })
	if err != nil {
		return nil, err
	}
	if value == "" {
		return evaluation.DefaultWeights(subject), nil
	}
	return w, nil
}

// areaLevels are the area dimension's levels by code length.
var areaLevels = map[string]int{"district": 6, "street": 9, "community": 12}

func areaLevel(code string) string {
	for name, n := range areaLevels {
		if len(code) == n {
			return name
		}
	}
	return ""
}

// periodBounds normalizes a day to the first and last day of its period.
func (s *Service) periodBounds(period evaluation.Period, day string) (start, end string, err error) {
	loc := s.evalLoc()
	t := s.now()
	if day != "" {
		if t, err = time.ParseInLocation("2006-01-02", day, loc); err != nil {
			return "", "", gl.FieldError("start", "日期须为 YYYY-MM-DD 格式")
		}
	}
	first := evaluation.PeriodStart(period, t, loc)
	var next time.Time
	switch period {
	case evaluation.Day:
		next = first.AddDate(0, 0, 1)
	case evaluation.Week:
		next = first.AddDate(0, 0, 7)
	default:
		next = first.AddDate(0, 1, 0)
	}
	return first.Format("2006-01-02"), next.AddDate(0, 0, -1).Format("2006-01-02"), nil
}

func (q *EvalQuery) validate() error {
	if q.Dim == "" {
		q.Dim = evaluation.DimDepartment
	}
	if !slices.Contains(EvalDims, q.Dim) {
		return gl.FieldError("dim", "维度须为 department、area、grid、resp_grid、grid_member、role、user 或 city")
	}
	if q.Period == "" {
		q.Period = evaluation.Month
	}
	if !slices.Contains(evaluation.Periods, q.Period) {
		return gl.FieldError("period", "周期须为 day、week 或 month")
	}
	if q.Level != "" {
		if q.Dim != evaluation.DimArea || areaLevels[q.Level] == 0 {
			return gl.FieldError("level", "level 只用于区域维度，须为 district、street 或 community")
		}
	}
	if q.Parent != "" && strings.Trim(q.Parent, "0123456789") != "" {
		return gl.FieldError("parent", "上级区域代码须为数字")
	}
	if q.Limit < 0 || q.Offset < 0 {
		return gl.FieldError("limit", "分页参数不能为负数")
	}
	if q.Limit > MaxEvalLimit {
		return gl.FieldError("limit", "每页最多 %d 行", MaxEvalLimit)
	}
	return nil
}

// scoreFields are the counters the weighted indicators read.
func scoreFields(w evaluation.Weights) []string {
	seen := map[string]bool{}
	var out []string
	for _, ind := range evaluation.Indicators {
		if !(w[ind.ID] > 0) {
			continue
		}
		for _, tok := range strings.FieldsFunc(ind.Numerator+" "+ind.Denominator, func(r rune) bool {
			return (r < 'a' || r > 'z') && r != '_'
		}) {
			if _, ok := counterPos[tok]; ok && !seen[tok] {
				seen[tok] = true
				out = append(out, tok)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"reported"}
	}
	return out
}

// Evaluate computes the figures q asks for, inside p's scope (see visible).
func (s *Service) Evaluate(ctx context.Context, p *Principal, q EvalQuery) (*Evaluation, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	start, end, err := s.periodBounds(q.Period, q.Start)
	if err != nil {
		return nil, err
	}
	if err := s.foldForRead(ctx); err != nil {
		return nil, err
	}
	out := &Evaluation{Dim: q.Dim, Period: q.Period, Start: start, End: end, Indicators: evaluation.Indicators, Rows: []EvalRow{}}
	err = s.DB.View(ctx, func(tx *store.Tx) error {
		sc := s.evalScopeOf(p)
		if out.WeightsFor = weightsFor(q.Dim); out.WeightsFor != "" {
			if out.Weights, err = weightsIn(ctx, tx, out.WeightsFor); err != nil {
				return err
			}
		}
		rq := store.RollupQuery{Dim: q.Dim, Period: q.Period, From: start, IDLen: areaLevels[q.Level]}
		if q.Parent != "" {
			rq.IDPrefixes = []string{q.Parent}
		}
		// Paged: rank from the weighted indicators' counters, then read the page whole.
		twoPhase := q.Limit > 0 && q.Dim != evaluation.DimRole && q.Dim != evaluation.DimUser &&
			!(q.Dim == evaluation.DimDepartment && (q.Subtree || q.Top))
		if twoPhase {
			rq.Fields = scoreFields(out.Weights)
		}
		// Through the cache (rollupcache.go): rows shared with other calls, not modified.
		rows, err := s.cachedRollups(ctx, tx, rq)
		if err != nil {
			return err
		}
		// The members are worked on as the slice of rows (thousands of them: every grid),
		// not copied into maps.
		if q.Dim == evaluation.DimDepartment && (q.Subtree || q.Top) {
			own := map[string]evaluation.Counters{}
			for _, r := range rows {
				own[r.Key.ID] = r.Counters
			}
			totals := s.deptTotals(own, q.Subtree, q.Top)
			rows = make([]store.RollupRow, 0, len(totals))
			for _, id := range slices.Sorted(mapsKeys(totals)) {
				rows = append(rows, store.RollupRow{Key: evaluation.Key{Dim: q.Dim, Period: q.Period, Start: start, ID: id},
					Counters: totals[id]})
			}
		}
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].Key.ID
		}
		if err := sc.prepare(ctx, tx, q.Dim, ids); err != nil {
			return err
		}
		hidden := func(r store.RollupRow) bool { return !sc.visible(q.Dim, r.Key.ID) }
		if slices.ContainsFunc(rows, hidden) {
			rows = slices.DeleteFunc(slices.Clone(rows), hidden)
		}
		// Every row shown whole (an unpaged ranking of thousands: every grid): its
		// indicators are computed while the rows are ranked, on another core if there is
		// one (190,000 values for 10,000 grids).
		var all [][]IndicatorValue
		var allDone sync.WaitGroup
		if !twoPhase && q.Limit == 0 && q.Offset == 0 && len(rows) >= 2000 {
			all = make([][]IndicatorValue, len(rows))
			allDone.Go(func() {
				iv := newIndicatorSlab(len(rows))
				for i := range rows {
					all[i] = iv.values(rows[i].Counters)
				}
			})
		}
		ranked, order, err := s.rankRows(ctx, tx, q.Dim, rows, out.Weights)
		allDone.Wait()
		if err != nil {
			return err
		}
		out.Total = len(ranked)
		if q.Limit > 0 || q.Offset > 0 {
			lo := min(q.Offset, len(ranked))
			hi := len(ranked)
			if q.Limit > 0 {
				hi = min(lo+q.Limit, hi)
			}
			ranked, order = ranked[lo:hi], order[lo:hi]
		}
		if !twoPhase {
			for i := range ranked {
				ranked[i].Counters = rows[order[i]].Counters
			}
		} else if len(ranked) > 0 {
			page := store.RollupQuery{Dim: q.Dim, Period: q.Period, From: start}
			for _, r := range ranked {
				page.IDs = append(page.IDs, r.ID)
			}
			full, err := tx.Rollups(ctx, page)
			if err != nil {
				return err
			}
			byID := make(map[string]evaluation.Counters, len(full))
			for _, r := range full {
				byID[r.Key.ID] = r.Counters
			}
			for i := range ranked {
				ranked[i].Counters = byID[ranked[i].ID]
			}
		}
		if all != nil {
			for i := range ranked {
				ranked[i].Indicators = all[order[i]]
			}
		} else {
			iv := newIndicatorSlab(len(ranked))
			for i := range ranked {
				ranked[i].Indicators = iv.values(ranked[i].Counters)
			}
		}
		out.Rows = ranked
		return s.nameRows(ctx, tx, q.Dim, out.Rows, sc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deptTotals sums each department's counters over its subtree (subtree) and keeps only
// the top-level departments (top).
func (s *Service) deptTotals(own map[string]evaluation.Counters, subtree, top bool) map[string]evaluation.Counters {
	tree := s.Depts()
	out := map[string]evaluation.Counters{}
	for _, d := range tree.All() {
		if top && d.ParentID != 0 {
			continue
		}
		id := strconv.FormatInt(d.ID, 10)
		if !subtree {
			if c, ok := own[id]; ok {
				out[id] = c
			}
			continue
		}
		var sum evaluation.Counters
		found := false
		for _, k := range tree.Subtree(d.ID) {
			if c, ok := own[strconv.FormatInt(k, 10)]; ok {
				sum.Add(c)
				found = true
			}
		}
		if found {
			out[id] = sum
		}
	}
	return out
}

// rankRows scores and ranks the rows: within each area level for areas, by each role's
// own weights (unranked) for roles, unscored for users. order[i] is the index in rows
// of the i-th ranked row.
func (s *Service) rankRows(ctx context.Context, tx *store.Tx, dim evaluation.Dimension, rows []store.RollupRow, w evaluation.Weights) (ranked []EvalRow, order []int, err error) {
	// The rows come back without their counters (the caller adds those of the rows it
	// keeps): thousands of rows are not copied around.
	ranked = make([]EvalRow, 0, len(rows))
	order = make([]int, 0, len(rows))
	if dim == evaluation.DimRole || dim == evaluation.DimUser {
		byID := make([]int, len(rows))
		for i := range byID {
			byID[i] = i
		}
		slices.SortFunc(byID, func(a, b int) int { return compareNumeric(rows[a].Key.ID, rows[b].Key.ID) })
		for _, i := range byID {
			id := rows[i].Key.ID
			r := EvalRow{ID: id}
			if dim == evaluation.DimRole {
				rw, err := weightsIn(ctx, tx, id)
				if err != nil {
					return nil, nil, err
				}
				if len(rw) > 0 {
					if sc := evaluation.Score(rows[i].Counters, rw); !math.IsNaN(sc) {
						r.Score = roundPtr(sc, 2)
					}
					r.WeightsFor = id
				}
			}
			ranked = append(ranked, r)
			order = append(order, i)
		}
		return ranked, order, nil
	}
	groups := map[string][]int{}
	for i := range rows {
		g := ""
		if dim == evaluation.DimArea { // ranked within each level
			g = areaLevel(rows[i].Key.ID)
		}
		groups[g] = append(groups[g], i)
	}
	score := scorerOf(w)
	for _, g := range slices.Sorted(mapsKeys(groups)) {
		rks, idx := rankIndexes(rows, groups[g], score)
		for k, rk := range rks {
			r := EvalRow{Rank: rk.Rank, ID: rk.ID, Level: g}
			if rk.Scored {
				r.Score = roundPtr(rk.Score, 2)
			}
			ranked = append(ranked, r)
			order = append(order, idx[k])
		}
	}
	return ranked, order, nil
}

// indicatorSlab hands out the indicators of many rows from two allocations instead of
// one per row and one per value (every grid of a city: 190,000 values).
type indicatorSlab struct {
	rows []IndicatorValue
	vals []float64
}

func newIndicatorSlab(rows int) *indicatorSlab {
	n := rows * len(evaluation.Indicators)
	return &indicatorSlab{rows: make([]IndicatorValue, 0, n), vals: make([]float64, 0, n)}
}

// values is every indicator of c, in the order of evaluation.Indicators, rounded to 4
// places (null without data).
func (sl *indicatorSlab) values(c evaluation.Counters) []IndicatorValue {
	if cap(sl.rows)-len(sl.rows) < len(evaluation.Indicators) {
		*sl = *newIndicatorSlab(1)
	}
	start := len(sl.rows)
	for _, ind := range evaluation.Indicators {
		iv := IndicatorValue{ID: ind.ID, Name: ind.Name}
		if v, ok := ind.Value(c); ok {
			sl.vals = append(sl.vals, math.Round(v*1e4)/1e4)
			iv.Value = &sl.vals[len(sl.vals)-1]
		}
		sl.rows = append(sl.rows, iv)
	}
	return sl.rows[start:len(sl.rows):len(sl.rows)]
}

// rankedRow is one row of a ranking: evaluation.Ranked without the counters.
type rankedRow struct {
	ID     string
	Rank   int
	Score  float64
	Scored bool
}

// rankRowsOf is evaluation.Rank — the same scores, order and ranks — sorting small
// records rather than whole rows, which matters for thousands of rows (every grid of a
// city).
func rankRowsOf(rows map[string]evaluation.Counters, w evaluation.Weights) []rankedRow {
	rs := make([]store.RollupRow, 0, len(rows))
	for id, c := range rows {
		rs = append(rs, store.RollupRow{Key: evaluation.Key{ID: id}, Counters: c})
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	out, _ := rankIndexes(rs, idx, scorerOf(w))
	return out
}

// rankIndexes ranks the rows at the indexes idx as evaluation.Rank does, and returns
// the ranked rows with the index in rows of each.
func rankIndexes(rows []store.RollupRow, idx []int, score scorer) ([]rankedRow, []int) {
	type entry struct {
		score float64
		num   int64
		i     int
		isNum bool
	}
	es := make([]entry, len(idx))
	for k, i := range idx {
		e := entry{score: score.score(&rows[i].Counters), i: i}
		n, err := strconv.ParseInt(rows[i].Key.ID, 10, 64)
		e.num, e.isNum = n, err == nil
		es[k] = e
	}
	// NaN (no weighted indicator with data) sorts last.
	slices.SortFunc(es, func(a, b entry) int {
		an, bn := math.IsNaN(a.score), math.IsNaN(b.score)
		if an != bn {
			if bn {
				return -1
			}
			return 1
		}
		if a.score != b.score && !an {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		if a.isNum && b.isNum && a.num != b.num {
			if a.num < b.num {
				return -1
			}
			return 1
		}
		return strings.Compare(rows[a.i].Key.ID, rows[b.i].Key.ID)
	})
	out := make([]rankedRow, len(es))
	order := make([]int, len(es))
	for k, e := range es {
		r := rankedRow{ID: rows[e.i].Key.ID, Score: e.score, Scored: !math.IsNaN(e.score)}
		switch {
		case !r.Scored:
			r.Score = 0
		case k > 0 && out[k-1].Scored && out[k-1].Score == r.Score:
			r.Rank = out[k-1].Rank
		default:
			r.Rank = k + 1
		}
		out[k], order[k] = r, e.i
	}
	return out, order
}

// scorer is evaluation.Score with the weights looked up once: the weighted indicators
// in the order of evaluation.Indicators, so that the sums, and the scores, are the same
// to the bit (TestScorerIsScore).
type scorer []struct {
	ind *evaluation.Indicator
	wt  float64
}

func scorerOf(w evaluation.Weights) scorer {
	var out scorer
	for i := range evaluation.Indicators {
		ind := &evaluation.Indicators[i]
		if wt := w[ind.ID]; wt > 0 {
			out = append(out, struct {
				ind *evaluation.Indicator
				wt  float64
			}{ind, wt})
		}
	}
	return out
}

func (sc scorer) score(c *evaluation.Counters) float64 {
	var num, den float64
	for _, x := range sc {
		v, ok := x.ind.Value(*c)
		if !ok {
			continue
		}
		if x.ind.LowerIsBetter {
			v = 1 - v
		}
		num += x.wt * v
		den += x.wt
	}
	if den == 0 {
		return math.NaN()
	}
	return 100 * num / den
}

func roundPtr(v float64, digits int) *float64 {
	p := math.Pow10(digits)
	r := math.Round(v*p) / p
	return &r
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func compareNumeric(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil && x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// nameRows fills in the rows' names: departments, areas, grids, people and roles.
func (s *Service) nameRows(ctx context.Context, tx *store.Tx, dim evaluation.Dimension, rows []EvalRow, sc *evalScope) error {
	switch dim {
	case evaluation.DimCity:
		for i := range rows {
			rows[i].Name = "全市"
		}
	case evaluation.DimDepartment:
		tree := s.Depts()
		for i := range rows {
			id, _ := strconv.ParseInt(rows[i].ID, 10, 64)
			if d, ok := tree.Get(id); ok {
				rows[i].Name = d.Name
			} else {
				rows[i].Name = "部门 " + rows[i].ID
			}
		}
	case evaluation.DimArea:
		l := s.loc()
		for i := range rows {
			rows[i].Name = rows[i].ID
			if a, ok := l.areas[rows[i].ID]; ok {
				rows[i].Name = a.Name
			}
		}
	case evaluation.DimGrid:
		for i := range rows {
			rows[i].Name = rows[i].ID
		}
	case evaluation.DimRespGrid:
		infos, err := sc.respGrids(ctx, tx)
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].Name = rows[i].ID
			if g, ok := infos[rows[i].ID]; ok && g.Name != "" {
				rows[i].Name = g.Name
			}
		}
	case evaluation.DimGridMember, evaluation.DimUser:
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		people, err := sc.peopleOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range rows {
			id, _ := strconv.ParseInt(rows[i].ID, 10, 64)
			rows[i].Name = "用户 " + rows[i].ID
			if u, ok := people[id]; ok {
				rows[i].Name = u.DisplayName
				if rows[i].Name == "" {
					rows[i].Name = u.Name
				}
			}
		}
	case evaluation.DimRole:
		for i := range rows {
			rows[i].Name = gl.Role(rows[i].ID).Label("zh")
		}
	}
	return nil
}

// evalScope decides which rows of the evaluation a principal may see. A user without
// scope sees everything. Otherwise a row is visible when its subject lies inside the
// user's scope: departments in the department scope (and, with an area scope, whose
// area lies in it); areas, grids and responsibility grids inside the area scope (none
// to a user with a department scope: place figures count every department's work);
// grid workers and staff whose own scope lies inside the user's; never the city or the
// roles, which are city-wide.
type evalScope struct {
	all   bool
	depts map[int64]bool // nil: no department scope
	areas []string       // nil: no area scope
	tree  *gl.DeptTree

	resp   map[string]store.RespGridInfo // loaded on demand
	people map[int64]*gl.User            // loaded on demand
}

func (s *Service) evalScopeOf(p *Principal) *evalScope {
	sc := &evalScope{tree: s.Depts()}
	if p == nil || p.System || p.User == nil {
		sc.all = p != nil && p.System
		return sc
	}
	if len(p.User.DeptScope) == 0 && len(p.User.AreaScope) == 0 {
		sc.all = true
		return sc
	}
	if len(p.User.DeptScope) > 0 {
		sc.depts = map[int64]bool{}
		for _, d := range p.Depts {
			sc.depts[d] = true
		}
	}
	if len(p.User.AreaScope) > 0 {
		sc.areas = p.User.AreaScope
	}
	return sc
}

// prepare loads what visible needs to judge rows of dim with ids: responsibility
// grids' areas, people's scopes.
func (sc *evalScope) prepare(ctx context.Context, tx *store.Tx, dim evaluation.Dimension, ids []string) error {
	if sc.all {
		return nil
	}
	switch dim {
	case evaluation.DimRespGrid:
		_, err := sc.respGrids(ctx, tx)
		return err
	case evaluation.DimGridMember, evaluation.DimUser:
		_, err := sc.peopleOf(ctx, tx, ids)
		return err
	}
	return nil
}

func (sc *evalScope) inAreas(code string) bool {
	return code != "" && slices.ContainsFunc(sc.areas, func(p string) bool { return strings.HasPrefix(code, p) })
}

func (sc *evalScope) respGrids(ctx context.Context, tx *store.Tx) (map[string]store.RespGridInfo, error) {
	if sc.resp == nil {
		m, err := tx.RespGridInfos(ctx)
		if err != nil {
			return nil, err
		}
		sc.resp = m
	}
	return sc.resp, nil
}

// peopleOf loads the users the rows are about.
func (sc *evalScope) peopleOf(ctx context.Context, tx *store.Tx, rowIDs []string) (map[int64]*gl.User, error) {
	var ids []int64
	for _, r := range rowIDs {
		if id, err := strconv.ParseInt(r, 10, 64); err == nil {
			if _, ok := sc.people[id]; !ok {
				ids = append(ids, id)
			}
		}
	}
	if sc.people == nil {
		sc.people = map[int64]*gl.User{}
	}
	for start := 0; start < len(ids); start += 500 {
		us, err := tx.UsersByID(ctx, ids[start:min(start+500, len(ids))])
		if err != nil {
			return nil, err
		}
		for i := range us {
			sc.people[us[i].ID] = &us[i]
		}
	}
	return sc.people, nil
}

// visible reports whether the row (dim, id) lies inside the scope. For people and
// responsibility grids, prepare first.
func (sc *evalScope) visible(dim evaluation.Dimension, id string) bool {
	if sc.all {
		return true
	}
	switch dim {
	case evaluation.DimDepartment:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return false
		}
		if sc.depts != nil && !sc.depts[n] {
			return false
		}
		if sc.areas != nil {
			d, ok := sc.tree.Get(n)
			return ok && sc.inAreas(d.AreaCode)
		}
		return true
	case evaluation.DimArea, evaluation.DimGrid:
		return sc.depts == nil && sc.inAreas(id)
	case evaluation.DimRespGrid:
		g, ok := sc.resp[id]
		return sc.depts == nil && ok && sc.inAreas(g.Area)
	case evaluation.DimGridMember, evaluation.DimUser:
		n, err := strconv.ParseInt(id, 10, 64)
		u, ok := sc.people[n]
		if err != nil || !ok {
			return false
		}
		if sc.depts != nil && (len(u.DeptScope) == 0 ||
			slices.ContainsFunc(sc.tree.Subtree(u.DeptScope...), func(d int64) bool { return !sc.depts[d] })) {
			return false
		}
		if sc.areas != nil && (len(u.AreaScope) == 0 || slices.ContainsFunc(u.AreaScope, func(a string) bool { return !sc.inAreas(a) })) {
			return false
		}
		return true
	}
	return false // the city and the roles are city-wide
}
