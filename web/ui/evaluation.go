package ui

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// The evaluation pages (issue #7): the ranking with every figure next to its
// definition, the definitions themselves, the admin's weights, and the reports — the
// monthly evaluation workbook and CSV exports of cases as background jobs. The figures
// come from service.Evaluate and the exports from service/export.go, always inside
// the user's scope; docs/indicators.md defines the figures, docs/evaluation.md the rest.

// evalDim is one choice of the ranking's dimension selector.
type evalDim struct {
	Key     string // the ?dim= value
	Dim     evaluation.Dimension
	Level   string // areas: district, street or community
	Subtree bool   // departments: top-level units with their child units
}

// evalDims are the dimensions the ranking offers, in the selector's order.
var evalDims = []evalDim{
	{Key: "department", Dim: evaluation.DimDepartment},
	{Key: "unit", Dim: evaluation.DimDepartment, Subtree: true},
	{Key: "district", Dim: evaluation.DimArea, Level: "district"},
	{Key: "street", Dim: evaluation.DimArea, Level: "street"},
	{Key: "community", Dim: evaluation.DimArea, Level: "community"},
	{Key: "grid", Dim: evaluation.DimGrid},
	{Key: "resp_grid", Dim: evaluation.DimRespGrid},
	{Key: "grid_member", Dim: evaluation.DimGridMember},
	{Key: "role", Dim: evaluation.DimRole},
}

func findDim(key string) (evalDim, bool) {
	for _, d := range evalDims {
		if d.Key == key {
			return d, true
		}
	}
	return evalDim{}, false
}

// evalPageSize is how many ranked rows one page of the ranking shows.
const evalPageSize = 100

// roleSubjects are the weight subjects that are roles: the role dimension scores each
// of them with its own weights.
var roleSubjects = []string{"handler", "shift_lead", "dispatcher"}

// subjectDim is the dimension whose figures a weight subject scores.
var subjectDim = map[string]evaluation.Dimension{
	"department": evaluation.DimDepartment, "area": evaluation.DimArea, "grid": evaluation.DimGrid,
	"resp_grid": evaluation.DimRespGrid, "city": evaluation.DimCity, "grid_member": evaluation.DimGridMember,
	"handler": evaluation.DimDepartment, "shift_lead": evaluation.DimRole, "dispatcher": evaluation.DimRole,
}

// evalColumn is one indicator column of the ranking.
type evalColumn struct {
	evaluation.Indicator
	Label   string  // the name in the page's language
	Formula string  // numerator ÷ denominator, in words
	Weight  float64 // in the score of the page's rows; 0 when not weighted
}

// WeightText is the column's weight for its header, "" when it has none.
func (c evalColumn) WeightText() string {
	if !(c.Weight > 0) {
		return ""
	}
	return fmtNum(c.Weight)
}

// evalCell is one figure of a row.
type evalCell struct {
	Text string // "93.72%", or "—" without data
	Frac string // "911/972"; "" without data
	None bool
}

// evalRow is one ranked row as the page shows it.
type evalRow struct {
	Rank       int
	ID, Name   string
	Level      string
	Score      string // "" when not scored
	WeightsFor string
	Cells      []evalCell
}

type evalData struct {
	Dims     []evalDim
	Dim      string
	Periods  []evaluation.Period
	Period   string
	Date     string
	All      bool // every indicator, not only those meant for the dimension
	Ev       *service.Evaluation
	Columns  []evalColumn
	Rows     []evalRow
	Weights  string // the weights of the score, in words ("" for roles)
	RoleDim  bool
	Scoped   bool // the user has a scope: rows outside it are not shown
	CanAdmin bool
	// Links to the previous and next period, to the pages of a long ranking, and to
	// the same ranking with every indicator (or only those meant for it).
	PrevPeriod, NextPeriod string
	Page, Pages            int
	PrevPage, NextPage     string
	AllLink                string
}

// evaluationPage is the ranking: one dimension over one period (this month by
// default), every row with its rank, composite score and figures, in the user's scope.
func (u *UI) evaluationPage(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	q := r.URL.Query()
	lang := langOf(r)
	loc := u.svc.Calendar().Location()
	now := u.svc.Now().In(loc)
	d := &evalData{Dims: evalDims, Dim: q.Get("dim"), Periods: evaluation.Periods, Period: q.Get("period"),
		Date: strings.TrimSpace(q.Get("date")), All: q.Get("all") == "1", CanAdmin: p.Can(gl.PermAdminEvaluation),
		Scoped: len(p.User.DeptScope) > 0 || len(p.User.AreaScope) > 0}
	pg := &page{Title: T(lang, "eval.title"), Data: d}
	if d.Dim == "" {
		d.Dim = "department"
	}
	if d.Period == "" {
		d.Period = string(evaluation.Month)
	}
	if d.Date == "" {
		d.Date = now.Format("2006-01-02")
	}
	bad := func(field, msg string) {
		pg.Err, pg.Fields = T(lang, "form.fix_errors"), map[string]string{field: msg}
		u.renderPage(w, r, http.StatusUnprocessableEntity, "evaluation", pg)
	}
	dim, ok := findDim(d.Dim)
	if !ok {
		bad("dim", T(lang, "eval.bad_dim"))
		return
	}
	if !slices.Contains(evaluation.Periods, evaluation.Period(d.Period)) {
		bad("period", T(lang, "eval.bad_period"))
		return
	}
	if _, err := time.ParseInLocation("2006-01-02", d.Date, loc); err != nil {
		bad("date", T(lang, "eval.bad_date"))
		return
	}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	ev, err := u.svc.Evaluate(r.Context(), p, service.EvalQuery{Dim: dim.Dim, Period: evaluation.Period(d.Period),
		Start: d.Date, Level: dim.Level, Subtree: dim.Subtree, Top: dim.Subtree,
		Limit: evalPageSize, Offset: (d.Page - 1) * evalPageSize})
	if err != nil {
		if field, msg, status := formError(err); status == http.StatusUnprocessableEntity {
			bad(field, msg)
			return
		}
		u.fail(w, r, err)
		return
	}
	d.Ev, d.RoleDim = ev, dim.Dim == evaluation.DimRole
	weights := ev.Weights
	if d.RoleDim {
		// Each role is scored with its own weights: show what any of them weighs.
		weights = evaluation.Weights{}
		for _, s := range roleSubjects {
			rw, err := u.svc.Weights(r.Context(), s)
			if err != nil {
				u.fail(w, r, err)
				return
			}
			for id, x := range rw {
				weights[id] = max(weights[id], x)
			}
		}
	} else {
		d.Weights = weightsText(lang, ev.Weights)
	}
	for _, ind := range evaluation.Indicators {
		if !d.All && !slices.Contains(ind.Dims, dim.Dim) && !(weights[ind.ID] > 0) {
			continue
		}
		col := evalColumn{Indicator: ind, Label: indName(lang, ind), Formula: formulaText(lang, ind)}
		if !d.RoleDim {
			col.Weight = weights[ind.ID]
		}
		d.Columns = append(d.Columns, col)
	}
	for _, row := range ev.Rows {
		vr := evalRow{Rank: row.Rank, ID: row.ID, Name: row.Name, Level: row.Level, WeightsFor: row.WeightsFor}
		if row.Score != nil {
			vr.Score = strconv.FormatFloat(*row.Score, 'f', 2, 64)
		}
		for _, col := range d.Columns {
			vr.Cells = append(vr.Cells, indicatorCell(col.Indicator, row.Counters))
		}
		d.Rows = append(d.Rows, vr)
	}
	// Links keep the choices and move the date or the page.
	link := func(date string, page int, all bool) string {
		v := url.Values{"dim": {d.Dim}, "period": {d.Period}, "date": {date}}
		if all {
			v.Set("all", "1")
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		return "/evaluation?" + v.Encode()
	}
	if start, err := time.ParseInLocation("2006-01-02", ev.Start, loc); err == nil {
		d.PrevPeriod = link(start.AddDate(0, 0, -1).Format("2006-01-02"), 1, d.All)
	}
	if end, err := time.ParseInLocation("2006-01-02", ev.End, loc); err == nil {
		if next := end.AddDate(0, 0, 1); !next.After(now) {
			d.NextPeriod = link(next.Format("2006-01-02"), 1, d.All)
		}
	}
	d.Pages = max(1, (ev.Total+evalPageSize-1)/evalPageSize)
	if d.Page > 1 {
		d.PrevPage = link(d.Date, d.Page-1, d.All)
	}
	if d.Page < d.Pages {
		d.NextPage = link(d.Date, d.Page+1, d.All)
	}
	d.AllLink = link(d.Date, d.Page, !d.All)
	u.renderPage(w, r, http.StatusOK, "evaluation", pg)
}

// indName is an indicator's name in lang.
func indName(lang string, ind evaluation.Indicator) string {
	if lang == "en" && ind.NameEn != "" {
		return ind.NameEn
	}
	return ind.Name
}

// counterLabel is a counter's name in lang ("立案数").
func counterLabel(lang, field string) string { return T(lang, "eval.c."+field) }

// exprCounters splits a numerator or denominator of evaluation.Indicator into the
// counters it sums: "registered + rejected + merged"; a definition such as
// "should_handle = handled + overdue" sums its left side, and its right side says
// what that is made of.
func exprCounters(expr string) (sum, parts []string) {
	left, right, defined := strings.Cut(expr, "=")
	split := func(s string) []string {
		var out []string
		for _, f := range strings.Split(s, "+") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
		return out
	}
	sum = split(left)
	if defined {
		parts = split(right)
	}
	return sum, parts
}

// exprText is a numerator or denominator in words: "立案数 + 不予立案数 + 合并数", or
// "应处置数（处置数 + 超期数）".
func exprText(lang, expr string) string {
	sum, parts := exprCounters(expr)
	words := func(fields []string) string {
		out := make([]string, len(fields))
		for i, f := range fields {
			out[i] = counterLabel(lang, f)
		}
		return strings.Join(out, " + ")
	}
	s := words(sum)
	if len(parts) > 0 {
		s += T(lang, "eval.made_of", words(parts))
	}
	return s
}

// formulaText is an indicator's formula in words: numerator ÷ denominator.
func formulaText(lang string, ind evaluation.Indicator) string {
	num, den := exprText(lang, ind.Numerator), exprText(lang, ind.Denominator)
	if s, _ := exprCounters(ind.Numerator); len(s) > 1 {
		num = "(" + num + ")"
	}
	if s, _ := exprCounters(ind.Denominator); len(s) > 1 {
		den = "(" + den + ")"
	}
	return num + " ÷ " + den
}

// fieldsFormula is an indicator's formula in counter names, bracketed where needed:
// "registered ÷ (registered + rejected + merged)".
func fieldsFormula(ind evaluation.Indicator) string {
	side := func(s string) string {
		if strings.ContainsAny(s, "+=") {
			return "(" + s + ")"
		}
		return s
	}
	return side(ind.Numerator) + " ÷ " + side(ind.Denominator)
}

// counterPos is each counter's place in evaluation.CounterFields.
var counterPos = func() map[string]int {
	m := map[string]int{}
	for i, f := range evaluation.CounterFields {
		m[f] = i
	}
	return m
}()

// exprValue sums the counters of a numerator or denominator; ok is false when it
// names an unknown counter.
func exprValue(expr string, c evaluation.Counters) (int64, bool) {
	sum, _ := exprCounters(expr)
	fields := c.Fields()
	var n int64
	for _, f := range sum {
		i, ok := counterPos[f]
		if !ok {
			return 0, false
		}
		n += *fields[i]
	}
	return n, len(sum) > 0
}

// indicatorCell is one indicator of c: the rate, and the counts it is made of.
func indicatorCell(ind evaluation.Indicator, c evaluation.Counters) evalCell {
	v, ok := ind.Value(c)
	if !ok {
		return evalCell{Text: "—", None: true}
	}
	cell := evalCell{Text: pct(v)}
	num, okN := exprValue(ind.Numerator, c)
	den, okD := exprValue(ind.Denominator, c)
	if okN && okD && den > 0 {
		cell.Frac = strconv.FormatInt(num, 10) + "/" + strconv.FormatInt(den, 10)
	}
	return cell
}

// pct formats a rate in [0, 1] as a percentage with at most two decimals.
func pct(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10000)/100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// fmtNum formats a weight: 30, 12.5.
func fmtNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// weightsText is a set of weights in words, in the indicators' order: "按期处置率 30、返工率 15".
func weightsText(lang string, w evaluation.Weights) string {
	var out []string
	for _, ind := range evaluation.Indicators {
		if x := w[ind.ID]; x > 0 {
			out = append(out, indName(lang, ind)+" "+fmtNum(x))
		}
	}
	return strings.Join(out, T(lang, "eval.list_sep"))
}

// optT is the message key in lang, or "" when the catalogs lack it (texts that only
// some indicators have).
func optT(lang, key string) string {
	if _, ok := catalogs["zh"][key]; !ok {
		return ""
	}
	return T(lang, key)
}

// The definitions page.

type counterDef struct{ ID, Label, Events string }

type weightCell struct {
	Default, Current string // "" when not weighted
	Changed          bool
}

type indicatorDef struct {
	evaluation.Indicator
	Label, Other string // the name in the page's language and in the other one
	Formula      string
	Fields       string // the formula in counter names
	Counters     []counterDef
	Timely       string // the timeliness rule, "" when the figure has none
	Standard     string // what it follows
	DimLabels    string
	Weights      []weightCell // per subject, in the order of indicatorsData.Subjects
	DefaultText  string       // the subjects that weigh it by default, and how much
}

type subjectInfo struct {
	Key, Label string
	Custom     bool // an admin set the weights in force
	// DefaultSum and CurrentSum add up the default weights and those in force.
	DefaultSum, CurrentSum string
}

func weightsSum(w evaluation.Weights) string {
	var sum float64
	for _, x := range w {
		sum += x
	}
	return fmtNum(math.Round(sum*100) / 100)
}

type indicatorsData struct {
	Items    []indicatorDef
	Subjects []subjectInfo
	Counters []counterDef
	CanAdmin bool
}

func (u *UI) indicatorsPage(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	lang := langOf(r)
	all, err := u.svc.AllWeights(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &indicatorsData{CanAdmin: p.Can(gl.PermAdminEvaluation)}
	for _, s := range service.WeightSubjects {
		d.Subjects = append(d.Subjects, subjectInfo{Key: s, Label: T(lang, "eval.subject."+s),
			Custom:     !weightsEqual(all[s], evaluation.DefaultWeights(s)),
			DefaultSum: weightsSum(evaluation.DefaultWeights(s)), CurrentSum: weightsSum(all[s])})
	}
	for _, f := range evaluation.CounterFields {
		d.Counters = append(d.Counters, counterDef{ID: f, Label: counterLabel(lang, f), Events: T(lang, "eval.by."+f)})
	}
	for _, ind := range evaluation.Indicators {
		def := indicatorDef{Indicator: ind, Label: indName(lang, ind), Formula: formulaText(lang, ind), Fields: fieldsFormula(ind),
			Timely: optT(lang, "eval.timely."+ind.ID), Standard: optT(lang, "eval.std."+ind.ID)}
		def.Other = ind.NameEn
		if lang == "en" {
			def.Other = ind.Name
		}
		seen := map[string]bool{}
		for _, expr := range []string{ind.Numerator, ind.Denominator} {
			sum, parts := exprCounters(expr)
			for _, f := range append(sum, parts...) {
				if !seen[f] {
					seen[f] = true
					def.Counters = append(def.Counters, counterDef{ID: f, Label: counterLabel(lang, f), Events: T(lang, "eval.by."+f)})
				}
			}
		}
		var dims []string
		for _, dm := range ind.Dims {
			dims = append(dims, T(lang, "eval.dimname."+string(dm)))
		}
		def.DimLabels = strings.Join(dims, T(lang, "eval.list_sep"))
		var defaults []string
		for _, s := range service.WeightSubjects {
			dw, cw := evaluation.DefaultWeights(s)[ind.ID], all[s][ind.ID]
			c := weightCell{Changed: dw != cw}
			if dw > 0 {
				c.Default = fmtNum(dw)
				defaults = append(defaults, T(lang, "eval.subject."+s)+" "+c.Default)
			}
			if cw > 0 {
				c.Current = fmtNum(cw)
			}
			def.Weights = append(def.Weights, c)
		}
		def.DefaultText = strings.Join(defaults, T(lang, "eval.list_sep"))
		d.Items = append(d.Items, def)
	}
	u.render(w, r, http.StatusOK, "evaluation_indicators", "eval.ind_title", d)
}

func weightsEqual(a, b evaluation.Weights) bool {
	for id, x := range a {
		if x != b[id] {
			return false
		}
	}
	for id, x := range b {
		if x != a[id] {
			return false
		}
	}
	return true
}

// The admin's weights.

type weightField struct {
	ID, Label, Definition string
	Name                  string // the form field
	Default               string
	Value                 string // as typed
	Err                   string
	Meant                 bool // the indicator is meant for the subject's dimension or weighted by default
	LowerIsBetter         bool
}

type adminEvalData struct {
	Subjects []subjectInfo
	Subject  string
	Label    string
	Fields   []weightField
	Sum      string // of the weights in force or typed
	Custom   bool
}

// Meant are the fields of the indicators meant for the subject; Other the rest.
func (d *adminEvalData) Meant() []weightField {
	return slices.DeleteFunc(slices.Clone(d.Fields), func(f weightField) bool { return !f.Meant })
}

func (d *adminEvalData) Other() []weightField {
	return slices.DeleteFunc(slices.Clone(d.Fields), func(f weightField) bool { return f.Meant })
}

// OtherOpen says whether the other indicators are shown unfolded: one of them has a
// weight or an error.
func (d *adminEvalData) OtherOpen() bool {
	return slices.ContainsFunc(d.Other(), func(f weightField) bool {
		return f.Err != "" || (strings.TrimSpace(f.Value) != "" && strings.TrimSpace(f.Value) != "0")
	})
}

func (u *UI) adminEvaluation(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	subject := r.URL.Query().Get("subject")
	if subject == "" {
		subject = "department"
	}
	if !slices.Contains(service.WeightSubjects, subject) {
		u.fail(w, r, gl.Errorf(gl.ENOTFOUND, "未知的评价对象「%s」", subject))
		return
	}
	cur, err := u.svc.Weights(r.Context(), subject)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := form{"subject": {subject}}
	for _, ind := range evaluation.Indicators {
		if x := cur[ind.ID]; x > 0 {
			f["w_"+ind.ID] = []string{fmtNum(x)}
		}
	}
	u.showAdminEval(w, r, http.StatusOK, subject, f, nil, &page{})
}

func (u *UI) showAdminEval(w http.ResponseWriter, r *http.Request, status int, subject string, f form, errs map[string]string, pg *page) {
	lang := langOf(r)
	all, err := u.svc.AllWeights(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := &adminEvalData{Subject: subject, Label: T(lang, "eval.subject."+subject)}
	for _, s := range service.WeightSubjects {
		info := subjectInfo{Key: s, Label: T(lang, "eval.subject."+s), Custom: !weightsEqual(all[s], evaluation.DefaultWeights(s))}
		if s == subject {
			d.Custom = info.Custom
		}
		d.Subjects = append(d.Subjects, info)
	}
	def := evaluation.DefaultWeights(subject)
	var sum float64
	for _, ind := range evaluation.Indicators {
		wf := weightField{ID: ind.ID, Label: indName(lang, ind), Definition: ind.Definition, Name: "w_" + ind.ID,
			Value: f.V("w_" + ind.ID), Err: errs["w_"+ind.ID], LowerIsBetter: ind.LowerIsBetter,
			Meant: slices.Contains(ind.Dims, subjectDim[subject]) || def[ind.ID] > 0}
		if x := def[ind.ID]; x > 0 {
			wf.Default = fmtNum(x)
		}
		if x, err := parseWeight(wf.Value); err == "" && x > 0 {
			sum += x
		}
		d.Fields = append(d.Fields, wf)
	}
	d.Sum = fmtNum(math.Round(sum*100) / 100)
	pg.Title, pg.Data = T(lang, "eval.admin_title"), d
	u.renderPage(w, r, status, "admin_evaluation", pg)
}

// weightDigits turns full-width digits and signs, as a Chinese input method types
// them, into ASCII.
var weightDigits = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5",
	"６", "6", "７", "7", "８", "8", "９", "9", "．", ".", "－", "-", "＋", "+", "。", ".")

// parseWeight reads a typed weight: "" is 0 (not weighted). It returns the message key
// of what is wrong, "" when nothing is.
func parseWeight(s string) (float64, string) {
	s = strings.TrimSpace(weightDigits.Replace(s))
	if s == "" {
		return 0, ""
	}
	x, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil || math.IsNaN(x) || math.IsInf(x, 0):
		return 0, "eval.w_not_number"
	case x < 0:
		return 0, "eval.w_negative"
	case x > maxWeight:
		return 0, "eval.w_too_big"
	}
	return x, ""
}

// maxWeight bounds one weight; the scores renormalise, so only ratios matter.
const maxWeight = 1000

// adminEvaluationSave saves a subject's weights, or restores its defaults. A bad
// weight re-shows the form with what was typed and the error next to the field.
func (u *UI) adminEvaluationSave(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	subject := f.V("subject")
	if !slices.Contains(service.WeightSubjects, subject) {
		u.fail(w, r, gl.FieldError("subject", "未知的评价对象「%s」，可选：%s", subject, strings.Join(service.WeightSubjects, "、")))
		return
	}
	label := T(lang, "eval.subject."+subject)
	if f.V("op") == "reset" {
		if _, err := u.svc.SetWeights(r.Context(), p, subject, nil); err != nil {
			u.fail(w, r, err)
			return
		}
		u.flash(r, T(lang, "eval.w_reset", label))
		redirect(w, r, "/admin/evaluation?subject="+url.QueryEscape(subject))
		return
	}
	weights := evaluation.Weights{}
	errs := map[string]string{}
	for _, ind := range evaluation.Indicators {
		x, bad := parseWeight(f.V("w_" + ind.ID))
		if bad != "" {
			errs["w_"+ind.ID] = T(lang, bad, indName(lang, ind))
			continue
		}
		if x > 0 {
			weights[ind.ID] = x
		}
	}
	if len(errs) > 0 {
		u.showAdminEval(w, r, http.StatusUnprocessableEntity, subject, f, errs, &page{Err: T(lang, "form.fix_errors")})
		return
	}
	if len(weights) == 0 {
		u.showAdminEval(w, r, http.StatusUnprocessableEntity, subject, f, nil, &page{Err: T(lang, "eval.w_all_zero")})
		return
	}
	if _, err := u.svc.SetWeights(r.Context(), p, subject, weights); err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if !ok {
			return
		}
		if pg.Fields != nil { // the service names no single weight: say it above the form
			pg.Err, pg.Fields = pg.Fields["weights"], nil
		}
		u.showAdminEval(w, r, status, subject, f, nil, pg)
		return
	}
	u.flash(r, T(lang, "eval.w_saved", label))
	redirect(w, r, "/admin/evaluation?subject="+url.QueryEscape(subject))
}

// Reports: the monthly evaluation workbook and CSV exports of cases.

// workbookChoices are the breakdowns the workbook form offers (the workbook's "by").
var workbookChoices = []string{"department", "area", "department,area", "grid_member"}

type reportsData struct {
	Month     string
	By        string
	Choices   []string
	CanExport bool
	Statuses  []gl.Status
	Groups    []catGroup
	Areas     []gl.Area
	Depts     []deptOption
	Form      form // the export's filters
	// Recent are the user's exports of this session still kept, newest first.
	Recent []exportStatus
}

func (u *UI) reports(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.showReports(w, r, p, http.StatusOK, form{}, form{}, &page{})
}

// showReports renders the reports page; wb and ex are the two forms' values.
func (u *UI) showReports(w http.ResponseWriter, r *http.Request, p *service.Principal, status int, wb, ex form, pg *page) {
	ctx := r.Context()
	lang := langOf(r)
	d := &reportsData{Month: wb.V("month"), By: wb.V("by"), Choices: workbookChoices,
		CanExport: p.Can(gl.PermExportCases), Form: ex}
	if d.Month == "" {
		d.Month = u.svc.Now().In(u.svc.Calendar().Location()).Format("2006-01")
	}
	if d.By == "" {
		d.By = "department,area"
	}
	if d.CanExport {
		d.Statuses = gl.Statuses
		var err error
		if d.Groups, err = u.categoryGroups(ctx, lang); err != nil {
			u.fail(w, r, err)
			return
		}
		areas, err := u.upperAreas(ctx)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		for _, a := range areas {
			if inAreaScope(p, a.Code) {
				d.Areas = append(d.Areas, a)
			}
		}
		var depts []gl.Department
		for _, dep := range u.svc.Departments() {
			if len(p.User.DeptScope) == 0 || slices.Contains(p.Depts, dep.ID) {
				depts = append(depts, dep)
			}
		}
		_, d.Depts = deptTree(depts)
		d.Recent = u.recentExports(r, p)
	}
	pg.Title, pg.Data = T(lang, "reports.title"), d
	u.renderPage(w, r, status, "reports", pg)
}

// inAreaScope reports whether area code lies inside p's area scope, or holds part of it.
func inAreaScope(p *service.Principal, code string) bool {
	if len(p.User.AreaScope) == 0 {
		return true
	}
	return slices.ContainsFunc(p.User.AreaScope, func(s string) bool {
		return strings.HasPrefix(code, s) || strings.HasPrefix(s, code)
	})
}

// writeTracker records whether anything was written, so that an error before the
// first byte can still be shown as a page.
type writeTracker struct {
	http.ResponseWriter
	wrote bool
}

func (t *writeTracker) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

func (t *writeTracker) Unwrap() http.ResponseWriter { return t.ResponseWriter }

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// reportsWorkbook streams the monthly evaluation workbook of the chosen month and
// breakdown, inside the user's scope.
func (u *UI) reportsWorkbook(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	lang := langOf(r)
	q := r.URL.Query()
	wb := form{"month": {strings.TrimSpace(q.Get("month"))}, "by": {q.Get("by")}}
	month, by, field, key := u.workbookChoice(wb)
	if field != "" {
		pg := &page{Err: T(lang, "form.fix_errors"), Fields: map[string]string{field: T(lang, key)}}
		u.showReports(w, r, p, http.StatusUnprocessableEntity, wb, form{}, pg)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{}) // a big workbook outlives the write timeout
	h := w.Header()
	h.Set("Content-Type", xlsxType)
	h.Set("Content-Disposition", `attachment; filename="evaluation-`+month+`.xlsx"`)
	h.Set("Cache-Control", "no-store")
	tw := &writeTracker{ResponseWriter: w}
	if err := u.svc.EvaluationWorkbook(r.Context(), p, month, strings.Split(by, ","), tw); err != nil {
		if !tw.wrote {
			h.Del("Content-Disposition")
			h.Set("Content-Type", "text/html; charset=utf-8")
			u.fail(w, r, err)
			return
		}
		if r.Context().Err() == nil {
			u.log.Error("ui: workbook failed mid-stream", "err", err)
		}
		panic(http.ErrAbortHandler) // a truncated download, not a complete-looking file
	}
}

// workbookChoice reads the workbook form's month (default: this month) and breakdown
// (default: departments and areas); field and key name what is wrong, if anything.
func (u *UI) workbookChoice(f form) (month, by, field, key string) {
	month, by = strings.TrimSpace(f.V("month")), f.V("by")
	if month == "" {
		month = u.svc.Now().In(u.svc.Calendar().Location()).Format("2006-01")
	}
	if by == "" {
		by = "department,area"
	}
	if _, err := service.ParseMonth(month); err != nil {
		return month, by, "month", "reports.bad_month"
	}
	if !slices.Contains(workbookChoices, by) {
		return month, by, "by", "reports.bad_by"
	}
	return month, by, "", ""
}

// exportFilter reads the export form into a case filter; errs holds the fields'
// message keys.
func exportFilter(f form, loc *time.Location) (store.CaseFilter, map[string]string) {
	errs := map[string]string{}
	cf := store.CaseFilter{CategoryCode: strings.TrimSpace(f.V("category")), Query: strings.TrimSpace(f.V("q"))}
	switch st := f.V("status"); st {
	case "":
	case "open":
		cf.Statuses = openStatuses
	default:
		if !gl.Status(st).Valid() {
			errs["status"] = "reports.bad_status"
		} else {
			cf.Statuses = []gl.Status{gl.Status(st)}
		}
	}
	if f.V("overdue") == "1" {
		t := true
		cf.Overdue = &t
	}
	if v := strings.TrimSpace(f.V("area")); v != "" {
		if strings.Trim(v, "0123456789") != "" {
			errs["area"] = "reports.bad_area"
		} else {
			cf.AreaPrefixes = []string{v}
		}
	}
	if v := strings.TrimSpace(f.V("department")); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			errs["department"] = "reports.bad_department"
		} else {
			cf.DeptIDs = []int64{id}
		}
	}
	for _, dt := range []struct {
		name string
		dst  **time.Time
		days int
	}{{"from", &cf.Since, 0}, {"to", &cf.Until, 1}} {
		v := strings.TrimSpace(f.V(dt.name))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			errs[dt.name] = "reports.bad_date"
			continue
		}
		t = t.AddDate(0, 0, dt.days)
		*dt.dst = &t
	}
	if cf.Since != nil && cf.Until != nil && !cf.Since.Before(*cf.Until) {
		errs["to"] = "reports.bad_range"
	}
	return cf, errs
}

// reportsExportStart starts a CSV export of the cases the form selects, as a job, and
// sends the browser to its progress page.
func (u *UI) reportsExportStart(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, err := parseForm(w, r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lang := langOf(r)
	if f.V("kind") == service.ExportEvaluationXLSX {
		// The workbook as a job, for a month too big to wait for.
		month, by, field, key := u.workbookChoice(f)
		if field != "" {
			pg := &page{Err: T(lang, "form.fix_errors"), Fields: map[string]string{field: T(lang, key)}}
			u.showReports(w, r, p, http.StatusUnprocessableEntity, f, form{}, pg)
			return
		}
		job, err := u.svc.StartExport(p, service.ExportRequest{Kind: service.ExportEvaluationXLSX, Month: month, By: strings.Split(by, ",")})
		if err != nil {
			if pg, status, ok := u.formFailure(w, r, err); ok {
				u.showReports(w, r, p, status, f, form{}, pg)
			}
			return
		}
		u.rememberExport(r, job.ID)
		redirect(w, r, "/reports/exports/"+job.ID)
		return
	}
	cf, errs := exportFilter(f, u.svc.Calendar().Location())
	if len(errs) > 0 {
		pg := &page{Err: T(lang, "form.fix_errors"), Fields: map[string]string{}}
		for k, key := range errs {
			pg.Fields[k] = T(lang, key)
		}
		u.showReports(w, r, p, http.StatusUnprocessableEntity, form{}, f, pg)
		return
	}
	job, err := u.svc.StartExport(p, service.ExportRequest{Kind: service.ExportCasesCSV, Filter: cf})
	if err != nil {
		pg, status, ok := u.formFailure(w, r, err)
		if !ok {
			return
		}
		u.showReports(w, r, p, status, form{}, f, pg)
		return
	}
	u.rememberExport(r, job.ID)
	redirect(w, r, "/reports/exports/"+job.ID)
}

// maxRecentExports is how many of a session's exports the reports page lists.
const maxRecentExports = 5

// rememberExport keeps a job's id in the session, for the reports page's list.
func (u *UI) rememberExport(r *http.Request, id string) {
	sm := u.sessions(r)
	ids := append([]string{id}, strings.Fields(sm.GetString(r.Context(), "exports"))...)
	sm.Put(r.Context(), "exports", strings.Join(ids[:min(len(ids), maxRecentExports)], " "))
}

// recentExports are the session's exports the service still keeps, newest first.
func (u *UI) recentExports(r *http.Request, p *service.Principal) []exportStatus {
	var out []exportStatus
	now := u.svc.Now()
	for _, id := range strings.Fields(u.sessions(r).GetString(r.Context(), "exports")) {
		if job, err := u.svc.Export(p, id); err == nil {
			out = append(out, viewExport(job, now))
		}
	}
	return out
}

// exportStatus is an export job as its page and the progress endpoint show it: the
// fields app.js's job poller reads (state, percent, done, read).
type exportStatus struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Percent  int    `json:"percent"` // -1 while the total is unknown
	Done     int    `json:"done"`    // rows written
	Total    int    `json:"total"`
	Read     int64  `json:"read"` // bytes written
	Size     string `json:"size"`
	Filename string `json:"filename"`
	Error    string `json:"error,omitempty"`
	FileURL  string `json:"file_url,omitempty"`
	Seconds  string `json:"seconds"`
}

func viewExport(j *service.ExportJob, now time.Time) exportStatus {
	s := exportStatus{ID: j.ID, Kind: j.Kind, State: j.Status, Percent: -1, Done: j.RowsDone, Total: j.RowsTotal,
		Read: j.Bytes, Size: byteSize(j.Bytes), Filename: j.Filename, Error: j.Error}
	switch {
	case j.Status != service.JobRunning:
		s.Percent = 100
	case j.RowsTotal > 0:
		s.Percent = min(99, j.RowsDone*100/j.RowsTotal)
	}
	if j.Status == service.JobDone {
		s.FileURL = "/reports/exports/" + j.ID + "/file"
	}
	end := now
	if j.FinishedAt != nil {
		end = *j.FinishedAt
	}
	s.Seconds = strconv.FormatFloat(end.Sub(j.CreatedAt).Seconds(), 'f', 1, 64)
	return s
}

// byteSize is a file size for people: 812 B, 14.2 KB, 3.1 MB.
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1024*1024:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1024*1024))
}

func (u *UI) reportsExportJob(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	job, err := u.svc.Export(p, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "reports_job", "reports.job_title", viewExport(job, u.svc.Now()))
}

// reportsExportProgress is what the job page polls.
func (u *UI) reportsExportProgress(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	job, err := u.svc.Export(p, r.PathValue("id"))
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	writeJSON(w, viewExport(job, u.svc.Now()))
}

// reportsExportFile downloads a finished job's file (with range requests).
func (u *UI) reportsExportFile(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f, job, err := u.svc.ExportFile(p, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer f.Close()
	ct := "text/csv; charset=utf-8"
	if job.Kind == service.ExportEvaluationXLSX {
		ct = xlsxType
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="`+job.Filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	modified := job.CreatedAt
	if job.FinishedAt != nil {
		modified = *job.FinishedAt
	}
	http.ServeContent(w, r, job.Filename, modified, f)
}
