package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// The command dashboard (指挥大屏): what a command centre's screen shows, in one call,
// inside the caller's scope. Each figure is read from the rollups or through an index
// bounded by the period (store/dashboard.go); none scans all cases.

// Dashboard sizes.
const (
	TrendDays        = 30 // the trend's days, today included
	HeatDays         = 7  // the heat map's days, today included
	TopCategoryCount = 10
	OverdueListSize  = 50
)

// Count is one labelled count.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// TodaySummary counts the cases reported today by their status now and by channel.
type TodaySummary struct {
	Total     int     `json:"total"`
	ByStatus  []Count `json:"by_status"`
	ByChannel []Count `json:"by_channel"`
}

// OpenSummary counts the open cases by status now.
type OpenSummary struct {
	Total    int     `json:"total"`
	ByStatus []Count `json:"by_status"`
}

// TrendPoint is one day of the trend: events of that day, from the rollups.
type TrendPoint struct {
	Date       string `json:"date"`
	Reported   int64  `json:"reported"`
	Registered int64  `json:"registered"`
	Dispatched int64  `json:"dispatched"`
	Handled    int64  `json:"handled"`
	Closed     int64  `json:"closed"`
	Overdue    int64  `json:"overdue"`
}

// CategoryRow is a category and its count of cases reported this month.
type CategoryRow struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// RankRow is one department in the month's ranking.
type RankRow struct {
	Rank       int                 `json:"rank"`
	ID         int64               `json:"id"`
	Name       string              `json:"name"`
	Score      *float64            `json:"score"`
	Indicators map[string]*float64 `json:"indicators"`
	Handled    int64               `json:"handled"`
	Overdue    int64               `json:"overdue"`
}

// OverdueItem is an open case past its handling deadline.
type OverdueItem struct {
	Code         string         `json:"code"`
	Status       gl.Status      `json:"status"`
	StatusLabel  string         `json:"status_label"`
	CategoryCode string         `json:"category_code,omitempty"`
	CategoryName string         `json:"category_name,omitempty"`
	Description  string         `json:"description"`
	Address      string         `json:"address,omitempty"`
	AreaCode     string         `json:"area_code,omitempty"`
	AreaName     string         `json:"area_name,omitempty"`
	DeptID       int64          `json:"dept_id,omitempty"`
	DeptName     string         `json:"dept_name,omitempty"`
	Due          *time.Time     `json:"due,omitempty"`
	OverdueAt    *time.Time     `json:"overdue_at,omitempty"`
	Light        worktime.Light `json:"light"`
	Urgent       bool           `json:"urgent"`
	Lat          float64        `json:"lat"`
	Lng          float64        `json:"lng"`
}

// OverdueList is the overdue list: how many, and the earliest-due first.
type OverdueList struct {
	Total int           `json:"total"`
	Items []OverdueItem `json:"items"`
}

// HeatCell is the number of reports in one grid or community over the heat map's days.
type HeatCell struct {
	Code  string `json:"code"`
	Name  string `json:"name,omitempty"`
	Count int64  `json:"count"`
}

// Heat is the heat map of reports over the last HeatDays days.
type Heat struct {
	From        string     `json:"from"`
	To          string     `json:"to"`
	Grids       []HeatCell `json:"grids"`
	Communities []HeatCell `json:"communities"`
}

// Dashboard is everything the command screen shows.
type Dashboard struct {
	GeneratedAt time.Time `json:"generated_at"`
	Today       string    `json:"today"`       // 2006-01-02, Asia/Shanghai
	MonthStart  string    `json:"month_start"` // the first day of this month
	// Scope says what the figures cover: "city", "department", "area" or
	// "department+area" (the caller's scope).
	Scope             string        `json:"scope"`
	TodayCases        TodaySummary  `json:"today_cases"`
	Open              OpenSummary   `json:"open"`
	Trend             []TrendPoint  `json:"trend"`
	TopCategories     []CategoryRow `json:"top_categories"`
	DepartmentRanking []RankRow     `json:"department_ranking"`
	Overdue           OverdueList   `json:"overdue"`
	Heat              Heat          `json:"heat"`
}

// dashboardIndicators are the figures the ranking shows next to the score.
var dashboardIndicators = []string{evaluation.HandledOnTimeRate, evaluation.ClosedOnTimeRate,
	evaluation.SignOnTimeRate, evaluation.ReworkRate, evaluation.SatisfactionRate}

// DashboardSections are the parts of the dashboard, by name.
var DashboardSections = []string{"today", "open", "trend", "categories", "ranking", "overdue", "heat"}

// Dashboard computes the command screen's figures for p.
func (s *Service) Dashboard(ctx context.Context, p *Principal) (*Dashboard, error) {
	return s.DashboardOf(ctx, p, nil)
}

// readsRollups are the dashboard's sections that read the rollups or the category
// counts, which the journal is folded into first.
var readsRollups = map[string]bool{"trend": true, "categories": true, "ranking": true, "heat": true}

// DashboardOf computes the named sections of the dashboard only (all with none), for a
// screen that refreshes its parts at different rates; the others are left empty.
func (s *Service) DashboardOf(ctx context.Context, p *Principal, sections []string) (*Dashboard, error) {
	parts := map[string]func(context.Context, *store.Tx, *Principal, *Dashboard, time.Time, time.Time) error{
		"today": s.dashToday, "open": s.dashOpen, "trend": s.dashTrend, "categories": s.dashCategories,
		"ranking": s.dashRanking, "overdue": s.dashOverdue, "heat": s.dashHeat,
	}
	if len(sections) == 0 {
		sections = DashboardSections
	}
	for _, name := range sections {
		if parts[name] == nil {
			return nil, gl.FieldError("sections", "未知的大屏模块「%s」，可选：%s", name, strings.Join(DashboardSections, "、"))
		}
	}
	for _, name := range sections {
		if readsRollups[name] {
			if err := s.foldForRead(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	now := s.now()
	loc := s.evalLoc()
	today := evaluation.PeriodStart(evaluation.Day, now, loc)
	month := evaluation.PeriodStart(evaluation.Month, now, loc)
	d := &Dashboard{GeneratedAt: now, Today: today.Format("2006-01-02"), MonthStart: month.Format("2006-01-02"),
		Scope: scopeName(p), TodayCases: TodaySummary{ByStatus: []Count{}, ByChannel: []Count{}},
		Open: OpenSummary{ByStatus: []Count{}}, Trend: []TrendPoint{}, TopCategories: []CategoryRow{},
		DepartmentRanking: []RankRow{}, Overdue: OverdueList{Items: []OverdueItem{}},
		Heat: Heat{From: today.AddDate(0, 0, -(HeatDays - 1)).Format("2006-01-02"), To: today.Format("2006-01-02"),
			Grids: []HeatCell{}, Communities: []HeatCell{}}}
	// The sections run side by side, each in a read-only transaction of its own (on
	// SQLite, the reader pool's connections): the answer takes as long as its slowest
	// section rather than their sum. Each section writes its own fields of d.
	errs := make([]error, len(sections))
	var wg sync.WaitGroup
	for i, name := range sections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.DB.View(ctx, func(tx *store.Tx) error { return parts[name](ctx, tx, p, d, today, month) })
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

func scopeName(p *Principal) string {
	if p == nil || p.User == nil {
		return "city"
	}
	switch dept, area := len(p.User.DeptScope) > 0, len(p.User.AreaScope) > 0; {
	case dept && area:
		return "department+area"
	case dept:
		return "department"
	case area:
		return "area"
	}
	return "city"
}

// dashToday counts the cases reported today by status and channel.
func (s *Service) dashToday(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, today, _ time.Time) error {
	until := today.AddDate(0, 0, 1)
	rows, err := tx.CountByStatusChannel(ctx, p.scope(store.CaseFilter{Since: &today, Until: &until}))
	if err != nil {
		return err
	}
	byStatus, byChannel := map[string]int{}, map[string]int{}
	for _, r := range rows {
		d.TodayCases.Total += r.Count
		byStatus[string(r.Status)] += r.Count
		byChannel[string(r.Channel)] += r.Count
	}
	d.TodayCases.ByStatus = statusCounts(byStatus)
	d.TodayCases.ByChannel = []Count{}
	for _, ch := range []gl.Channel{gl.ChannelWeb, gl.ChannelHotline, gl.ChannelApp, gl.ChannelPatrol,
		gl.ChannelCamera, gl.ChannelOpen311, gl.ChannelAPI} {
		d.TodayCases.ByChannel = append(d.TodayCases.ByChannel, Count{Key: string(ch), Label: ch.Label("zh"), Count: byChannel[string(ch)]})
		delete(byChannel, string(ch))
	}
	for _, ch := range slices.Sorted(mapsKeys(byChannel)) { // channels added later
		d.TodayCases.ByChannel = append(d.TodayCases.ByChannel, Count{Key: ch, Label: gl.Channel(ch).Label("zh"), Count: byChannel[ch]})
	}
	return nil
}

// statusCounts lists every status in loop order with its count (0 included).
func statusCounts(m map[string]int) []Count {
	out := []Count{}
	for _, st := range gl.Statuses {
		out = append(out, Count{Key: string(st), Label: st.Label("zh"), Count: m[string(st)]})
	}
	return out
}

func (s *Service) dashOpen(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, _, _ time.Time) error {
	m, err := tx.CountOpenByStatus(ctx, p.scope(store.CaseFilter{}))
	if err != nil {
		return err
	}
	d.Open.ByStatus = []Count{}
	for _, st := range gl.Statuses {
		if st.Open() {
			d.Open.ByStatus = append(d.Open.ByStatus, Count{Key: string(st), Label: st.Label("zh"), Count: m[st]})
			d.Open.Total += m[st]
		}
	}
	return nil
}

// scopeSeries is the rollup query whose rows, summed per period start, are p's scope:
// the city; the departments of a department scope; the areas of an area scope (each
// prefix at the first area level at or below it). A user with both scopes gets the
// department series (the rollups cannot intersect the two).
func scopeSeries(p *Principal, q store.RollupQuery) []store.RollupQuery {
	switch {
	case p == nil || p.User == nil || len(p.User.DeptScope) == 0 && len(p.User.AreaScope) == 0:
		q.Dim, q.IDs = evaluation.DimCity, []string{evaluation.CityID}
		return []store.RollupQuery{q}
	case len(p.User.DeptScope) > 0:
		q.Dim = evaluation.DimDepartment
		for _, id := range p.Depts {
			q.IDs = append(q.IDs, strconv.FormatInt(id, 10))
		}
		if len(q.IDs) == 0 {
			q.IDs = []string{"-1"}
		}
		return []store.RollupQuery{q}
	}
	// Drop prefixes inside others, so that no area counts twice.
	prefixes := slices.Clone(p.User.AreaScope)
	slices.Sort(prefixes)
	var kept []string
	for _, a := range prefixes {
		if !slices.ContainsFunc(kept, func(k string) bool { return strings.HasPrefix(a, k) }) {
			kept = append(kept, a)
		}
	}
	var out []store.RollupQuery
	byLen := map[int][]string{}
	for _, a := range kept {
		for _, n := range evaluation.AreaPrefixes {
			if n >= len(a) {
				byLen[n] = append(byLen[n], a)
				break
			}
		}
	}
	for _, n := range evaluation.AreaPrefixes {
		if len(byLen[n]) == 0 {
			continue
		}
		aq := q
		aq.Dim, aq.IDPrefixes, aq.IDLen = evaluation.DimArea, byLen[n], n
		out = append(out, aq)
	}
	if len(out) == 0 {
		q.Dim, q.IDs = evaluation.DimArea, []string{"-"}
		out = append(out, q)
	}
	return out
}

func (s *Service) dashTrend(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, today, _ time.Time) error {
	first := today.AddDate(0, 0, -(TrendDays - 1))
	byDay := map[string]evaluation.Counters{}
	for _, q := range scopeSeries(p, store.RollupQuery{Period: evaluation.Day, From: first.Format("2006-01-02"),
		To: d.Today, GroupBy: store.GroupStart,
		Fields: []string{"reported", "registered", "dispatched", "handled", "closed", "overdue"}}) {
		rows, err := s.cachedRollups(ctx, tx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			c := byDay[r.Key.Start]
			c.Add(r.Counters)
			byDay[r.Key.Start] = c
		}
	}
	d.Trend = make([]TrendPoint, 0, TrendDays)
	for day := first; !day.After(today); day = day.AddDate(0, 0, 1) {
		k := day.Format("2006-01-02")
		c := byDay[k]
		d.Trend = append(d.Trend, TrendPoint{Date: k, Reported: c.Reported, Registered: c.Registered,
			Dispatched: c.Dispatched, Handled: c.Handled, Closed: c.Closed, Overdue: c.Overdue})
	}
	return nil
}

func (s *Service) dashCategories(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, _, month time.Time) error {
	var rows []store.CategoryCount
	var err error
	switch scopeName(p) {
	case "city":
		// Kept per month and category in the events' transactions.
		rows, err = tx.TopCategoriesOfMonth(ctx, d.MonthStart, TopCategoryCount)
	case "area":
		// Kept per month, area and category in the same transactions.
		f := p.scope(store.CaseFilter{})
		rows, err = tx.TopCategoriesOfMonthIn(ctx, d.MonthStart, f.AreaPrefixes, TopCategoryCount)
	default:
		// A department scope: the month's cases of the departments (their case_depts
		// rows); with an area scope too, the month's cases through the index on created_at.
		until := month.AddDate(0, 1, 0)
		rows, err = tx.TopCategories(ctx, p.scope(store.CaseFilter{Since: &month, Until: &until}), TopCategoryCount)
	}
	if err != nil {
		return err
	}
	d.TopCategories = []CategoryRow{}
	var names map[string]string
	for _, r := range rows {
		name := "未分类"
		if r.Code != "" {
			if names == nil {
				cats, err := tx.Categories(ctx)
				if err != nil {
					return err
				}
				names = map[string]string{}
				for _, c := range cats {
					names[c.Code] = c.Name
				}
			}
			if name = names[r.Code]; name == "" {
				name = r.Code
			}
		}
		d.TopCategories = append(d.TopCategories, CategoryRow{Code: r.Code, Name: name, Count: r.Count})
	}
	return nil
}

// dashRanking ranks the top-level departments (with their subtrees) this month, or, for
// a user with a department scope, the departments of the scope.
func (s *Service) dashRanking(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, _, month time.Time) error {
	rows, err := s.cachedRollups(ctx, tx, store.RollupQuery{Dim: evaluation.DimDepartment, Period: evaluation.Month, From: d.MonthStart})
	if err != nil {
		return err
	}
	own := map[string]evaluation.Counters{}
	for _, r := range rows {
		own[r.Key.ID] = r.Counters
	}
	sc := s.evalScopeOf(p)
	var counters map[string]evaluation.Counters
	if sc.depts == nil {
		counters = s.deptTotals(own, true, true)
	} else {
		counters = s.deptTotals(own, false, false)
	}
	for id := range counters {
		if !sc.visible(evaluation.DimDepartment, id) {
			delete(counters, id)
		}
	}
	w, err := weightsIn(ctx, tx, "department")
	if err != nil {
		return err
	}
	tree := s.Depts()
	d.DepartmentRanking = []RankRow{}
	for _, rk := range evaluation.Rank(counters, w) {
		id, _ := strconv.ParseInt(rk.ID, 10, 64)
		r := RankRow{Rank: rk.Rank, ID: id, Indicators: map[string]*float64{}, Handled: rk.Counters.Handled, Overdue: rk.Counters.Overdue}
		if dep, ok := tree.Get(id); ok {
			r.Name = dep.Name
		}
		if rk.Scored {
			r.Score = roundPtr(rk.Score, 2)
		}
		for _, ind := range dashboardIndicators {
			def, _ := evaluation.IndicatorByID(ind)
			r.Indicators[ind] = nil
			if v, ok := def.Value(rk.Counters); ok {
				r.Indicators[ind] = roundPtr(v, 4)
			}
		}
		d.DepartmentRanking = append(d.DepartmentRanking, r)
	}
	return nil
}

func (s *Service) dashOverdue(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, _, _ time.Time) error {
	cases, total, err := tx.OverdueOpen(ctx, p.scope(store.CaseFilter{}), OverdueListSize)
	if err != nil {
		return err
	}
	d.Overdue = OverdueList{Total: total, Items: []OverdueItem{}}
	var names map[string]string
	cal, now, tree, l := s.Calendar(), s.now(), s.Depts(), s.loc()
	for i := range cases {
		c := &cases[i]
		it := OverdueItem{Code: c.Code, Status: c.Status, StatusLabel: c.Status.Label("zh"), CategoryCode: c.CategoryCode,
			Description: c.Description, Address: c.Address, AreaCode: c.AreaCode, DeptID: c.LeadDeptID(),
			Due: c.Due, OverdueAt: c.OverdueAt, Light: c.Light(cal, now), Urgent: c.Urgent, Lat: c.Lat, Lng: c.Lng}
		if it.Light == "" {
			it.Light = worktime.Red
		}
		if dep, ok := tree.Get(it.DeptID); ok {
			it.DeptName = dep.Name
		}
		if a, ok := l.areas[c.AreaCode]; ok {
			it.AreaName = a.Name
		}
		if c.CategoryCode != "" {
			if names == nil {
				cats, err := tx.Categories(ctx)
				if err != nil {
					return err
				}
				names = map[string]string{}
				for _, c := range cats {
					names[c.Code] = c.Name
				}
			}
			it.CategoryName = names[c.CategoryCode]
		}
		d.Overdue.Items = append(d.Overdue.Items, it)
	}
	return nil
}

// dashHeat sums the reports of the last HeatDays days per unit grid and per community,
// from the day rollups with reports (the partial index rollups_reported), inside an area scope (none for a department scope: reports are
// not yet any department's).
func (s *Service) dashHeat(ctx context.Context, tx *store.Tx, p *Principal, d *Dashboard, today, _ time.Time) error {
	from := today.AddDate(0, 0, -(HeatDays - 1)).Format("2006-01-02")
	d.Heat = Heat{From: from, To: d.Today, Grids: []HeatCell{}, Communities: []HeatCell{}}
	var prefixes []string
	if p != nil && p.User != nil {
		if len(p.User.DeptScope) > 0 {
			return nil
		}
		prefixes = p.User.AreaScope
	}
	sums, err := s.cachedSumByID(ctx, tx, store.RollupQuery{Dim: evaluation.DimGrid, Period: evaluation.Day, From: from, To: d.Today,
		IDPrefixes: prefixes, NonZero: []string{"reported"}}, "reported")
	if err != nil {
		return err
	}
	// A unit grid's code is its community's code and 3 digits, and a case has an area
	// exactly when it has a grid (the area comes from the grid): the communities' counts
	// are the sums of their grids'.
	communities := map[string]int64{}
	for _, id := range slices.Sorted(mapsKeys(sums)) {
		d.Heat.Grids = append(d.Heat.Grids, HeatCell{Code: id, Count: sums[id]})
		if len(id) == 15 {
			communities[id[:12]] += sums[id]
		}
	}
	l := s.loc()
	for _, id := range slices.Sorted(mapsKeys(communities)) {
		cell := HeatCell{Code: id, Count: communities[id]}
		if a, ok := l.areas[id]; ok {
			cell.Name = a.Name
		}
		d.Heat.Communities = append(d.Heat.Communities, cell)
	}
	return nil
}
