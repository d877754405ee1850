package ui

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/api"
	"github.com/gridloop/gridloop/worktime"
)

// The command dashboard (指挥大屏): a dark screen laid out for 1920×1080 that a command
// centre leaves on the wall. The page is a frame; static/command.js fills it from
// /command/data.json (service.DashboardOf, inside the user's scope) every refresh
// period, draws the heat map over the area and grid outlines of the map pages, and
// prepends the live feed of /command/events/stream (server-sent events). Every figure
// carries its definition (the evaluation's indicator definitions, and the catalog's
// command.def.* for the counts).

// Refresh period of the screen, in seconds: the default, and the bounds of ?refresh=.
const (
	commandRefresh    = 60
	commandRefreshMin = 5
	commandRefreshMax = 3600
)

// commandStreamSeconds is how long one connection of the live feed lasts when the
// client does not say: the browser then reconnects (resuming after the last event it
// saw), and the reconnection goes through the session check again, so that a screen
// signed out elsewhere stops receiving events.
const commandStreamSeconds = 900

// commandBacklog is how many of the latest events (of the whole city, before the scope
// filter) the feed replays when a screen first connects, so that it never starts empty.
const commandBacklog = 200

// commandRankIndicators are the ranking's columns after the score, in order. The
// service decides which indicators a ranking row carries; a column it left out shows
// a dash.
var commandRankIndicators = []string{evaluation.HandledOnTimeRate, evaluation.ClosedOnTimeRate,
	evaluation.SignOnTimeRate, evaluation.ReworkRate, evaluation.SatisfactionRate}

// commandLabels are the catalog keys command.js shows, under "commandjs.".
var commandLabels = []string{
	"updated", "update_failed", "no_data", "live", "reconnecting", "offline", "reported", "registered",
	"handled", "closed", "overdue", "cases", "reports", "no_heat", "no_heat_dept", "no_areas", "legend", "days",
	"hours", "minutes", "urgent", "rank_more", "overdue_more", "unscored", "none", "feed_empty", "from_to"}

// commandIndicator is one column of the ranking with its definition.
type commandIndicator struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Head          []string `json:"-"` // the column's heading, in lines
	Definition    string   `json:"definition"`
	LowerIsBetter bool     `json:"lower_is_better,omitempty"`
}

// commandConfig is what static/command.js needs, handed over as JSON in a
// <script type="application/json"> block (no inline script).
type commandConfig struct {
	Lang      string    `json:"lang"`
	TZ        string    `json:"tz"` // the city's time zone, for the clock
	Refresh   int       `json:"refresh"`
	DataURL   string    `json:"data_url"`
	StreamURL string    `json:"stream_url"`
	AreasURL  string    `json:"areas_url"`
	GridsURL  string    `json:"grids_url"`
	CaseURL   string    `json:"case_url"` // + code
	Bounds    []float64 `json:"bounds,omitempty"`
	// AreaScope limits the heat map's outlines to the user's areas; DeptScope says that
	// the heat map is empty by design (reports are no department's yet).
	AreaScope []string `json:"area_scope"`
	// LastEventID is the newest event when the page was made: the feed's backlog is
	// up to it, what comes after is new.
	LastEventID int64              `json:"last_event_id"`
	DeptScope   bool               `json:"dept_scope"`
	Labels      map[string]string  `json:"labels"`
	Statuses    map[string]string  `json:"statuses"`
	Actions     map[string]string  `json:"actions"`
	Roles       map[string]string  `json:"roles"`
	Lights      map[string]string  `json:"lights"`
	Categories  map[string]string  `json:"categories"`
	Indicators  []commandIndicator `json:"indicators"`
	ScoreDef    string             `json:"score_def"`
}

// commandPageData is the page's frame.
type commandPageData struct {
	City    string // the city's name
	Scope   string // what the figures cover, in words
	Refresh int
	Config  commandConfig
	// Defs are the definitions of the panels' figures, by panel.
	Defs       map[string]string
	Indicators []commandIndicator
	ScoreDef   string
}

func (u *UI) commandPage(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	lang := langOf(r)
	refresh := commandRefresh
	if v := r.URL.Query().Get("refresh"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < commandRefreshMin || n > commandRefreshMax {
			u.fail(w, r, gl.FieldError("refresh", "refresh 须为 %d 到 %d 之间的秒数", commandRefreshMin, commandRefreshMax))
			return
		}
		refresh = n
	}
	cats, err := u.categoryNames(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	scoreDef, err := u.commandScoreDef(r.Context(), lang)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cfg := commandConfig{Lang: lang, TZ: u.svc.Calendar().Location().String(), Refresh: refresh,
		DataURL: "/command/data.json", StreamURL: "/command/events/stream?backlog=1",
		AreasURL: "/map/areas.json", GridsURL: "/map/grids.json", CaseURL: "/cases/",
		AreaScope: []string{}, Labels: map[string]string{}, Statuses: map[string]string{},
		Actions: map[string]string{}, Roles: map[string]string{}, Lights: map[string]string{},
		Categories: cats, Indicators: commandIndicators(lang), ScoreDef: scoreDef}
	if p.User != nil {
		cfg.AreaScope = append(cfg.AreaScope, p.User.AreaScope...)
		cfg.DeptScope = len(p.User.DeptScope) > 0
	}
	if cfg.LastEventID, err = u.newestEvent(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	if b, ok := u.svc.MapBounds(); ok {
		cfg.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	for _, k := range commandLabels {
		cfg.Labels[k] = T(lang, "commandjs."+k)
	}
	for _, s := range gl.Statuses {
		cfg.Statuses[string(s)] = s.Label(lang)
	}
	for _, a := range slices.Concat([]gl.Action{gl.ActionReport}, gl.Actions, gl.SideActions) {
		cfg.Actions[string(a)] = a.Label(lang)
	}
	for _, ro := range gl.AllRoles {
		cfg.Roles[string(ro)] = ro.Label(lang)
	}
	for _, l := range []worktime.Light{worktime.Green, worktime.Yellow, worktime.Red} {
		cfg.Lights[string(l)] = l.Label(lang)
	}
	d := commandPageData{City: u.commandCity(r.Context(), lang), Scope: u.commandScope(p, lang), Refresh: refresh,
		Config: cfg, Defs: map[string]string{}, Indicators: cfg.Indicators, ScoreDef: scoreDef}
	for _, k := range []string{"today", "status", "channel", "open", "overdue_total", "handled_today", "closed_today", "trend",
		"categories", "ranking", "overdue", "heat", "feed"} {
		d.Defs[k] = T(lang, "command.def."+k)
	}
	u.render(w, r, http.StatusOK, "command", "command.title", d)
}

// commandIndicators are the ranking's columns in lang. The definitions are the
// evaluation's own (Chinese: they are the city's rules).
func commandIndicators(lang string) []commandIndicator {
	var out []commandIndicator
	for _, id := range commandRankIndicators {
		def, ok := evaluation.IndicatorByID(id)
		if !ok {
			continue
		}
		name := def.Name
		if lang == "en" && def.NameEn != "" {
			name = def.NameEn
		}
		// A narrow column's heading: the catalog's short form (lines split at "|"),
		// else the name.
		head := []string{name}
		if h := T(lang, "command.ind."+id); h != "command.ind."+id {
			head = strings.Split(h, "|")
		}
		out = append(out, commandIndicator{ID: def.ID, Name: name, Head: head, Definition: def.Definition, LowerIsBetter: def.LowerIsBetter})
	}
	return out
}

// commandScoreDef explains the composite score: the rule and the department weights
// in force.
func (u *UI) commandScoreDef(ctx context.Context, lang string) (string, error) {
	w, err := u.svc.Weights(ctx, "department")
	if err != nil {
		return "", err
	}
	var parts []string
	for _, def := range evaluation.Indicators {
		if v, ok := w[def.ID]; ok && v > 0 {
			name := def.Name
			if lang == "en" && def.NameEn != "" {
				name = def.NameEn
			}
			parts = append(parts, name+"×"+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	return T(lang, "command.def.score", strings.Join(parts, "、")), nil
}

// commandCity is the name of the city: the top of the area tree when it is one area,
// else the application's name.
func (u *UI) commandCity(ctx context.Context, lang string) string {
	top, err := u.svc.Areas(ctx, "")
	if err == nil && len(top) == 1 && top[0].Name != "" {
		return top[0].Name
	}
	return T(lang, "app.name")
}

// commandScope says in words what the user's figures cover.
func (u *UI) commandScope(p *service.Principal, lang string) string {
	if p == nil || p.User == nil || len(p.User.AreaScope) == 0 && len(p.User.DeptScope) == 0 {
		return T(lang, "command.scope_city")
	}
	var names []string
	for _, a := range p.User.AreaScope {
		if n := u.areaNames(a); n != "" {
			names = append(names, n)
		} else {
			names = append(names, a)
		}
	}
	tree := u.svc.Depts()
	for _, id := range p.User.DeptScope {
		if d, ok := tree.Get(id); ok {
			names = append(names, d.Name)
		}
	}
	return T(lang, "command.scope_of", strings.Join(names, "、"))
}

// commandData is the dashboard of the signed-in user's scope, its labels in the page's
// language; ?sections=a,b computes only those (service.DashboardSections).
func (u *UI) commandData(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	var sections []string
	for _, s := range strings.Split(r.URL.Query().Get("sections"), ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(sections, s) {
			sections = append(sections, s)
		}
	}
	d, err := u.svc.DashboardOf(r.Context(), p, sections)
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	localizeDashboard(d, langOf(r))
	writeJSON(w, d)
}

// localizeDashboard puts d's labels (Chinese from the service) in lang.
func localizeDashboard(d *service.Dashboard, lang string) {
	status := func(cs []service.Count) {
		for i := range cs {
			cs[i].Label = gl.Status(cs[i].Key).Label(lang)
		}
	}
	status(d.TodayCases.ByStatus)
	status(d.Open.ByStatus)
	for i := range d.TodayCases.ByChannel {
		d.TodayCases.ByChannel[i].Label = gl.Channel(d.TodayCases.ByChannel[i].Key).Label(lang)
	}
	for i := range d.Overdue.Items {
		d.Overdue.Items[i].StatusLabel = d.Overdue.Items[i].Status.Label(lang)
	}
	for i := range d.TopCategories {
		if d.TopCategories[i].Code == "" {
			d.TopCategories[i].Name = T(lang, "command.uncategorized")
		}
	}
}

// commandStream is the live feed behind the session (api.EventStream; a browser's
// EventSource cannot send a bearer token). A connection lasts commandStreamSeconds
// unless ?max_seconds= says otherwise; with ?backlog=1 a first connection (no
// Last-Event-ID) starts commandBacklog events back.
func (u *UI) commandStream(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	q := r.URL.Query()
	if q.Get("max_seconds") == "" {
		q.Set("max_seconds", strconv.Itoa(commandStreamSeconds))
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	if q.Get("backlog") == "1" && r.Header.Get("Last-Event-ID") == "" {
		newest, err := u.newestEvent(r.Context())
		if err != nil {
			u.jsonFail(w, r, err)
			return
		}
		r2.Header.Set("Last-Event-ID", strconv.FormatInt(max(newest-commandBacklog, 0), 10))
	}
	if err := api.EventStream(u.svc, w, r2, p); err != nil {
		u.jsonFail(w, r, err)
	}
}

// newestEvent is the id of the newest event.
func (u *UI) newestEvent(ctx context.Context) (int64, error) {
	var newest int64
	err := u.svc.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		newest, err = tx.MaxEventID(ctx)
		return err
	})
	return newest, err
}
