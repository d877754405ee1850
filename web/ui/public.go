package ui

// Public reporting (向群众汇报, issue #9 §3): the board, one case, the map and the
// statistics, without signing in. Only cases of public categories, accepted (registered)
// or later, with personal data masked (service/public.go).

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

const publicPage = 20

type publicBoardData struct {
	State, Category string
	Groups          []catGroup // the public categories
	Cases           []service.PublicCase
	Total           int    // up to store.CountCap+1: "more than store.CountCap"
	Page, Pages     int    // Pages is a floor when the total is capped
	Prev, Next      string // page links, "" at the ends
}

// TotalText and PagesText are the total and the page count as shown: "2000+" and
// "100+" past store.CountCap.
func (d publicBoardData) TotalText() string { return countText(d.Total) }

func (d publicBoardData) PagesText() string {
	if d.Total > store.CountCap {
		return strconv.Itoa(store.CountCap/publicPage) + "+"
	}
	return strconv.Itoa(d.Pages)
}

// publicGroups are the category groups with the public categories only.
func (u *UI) publicGroups(r *http.Request) ([]catGroup, error) {
	groups, err := u.categoryGroups(r.Context(), langOf(r))
	if err != nil {
		return nil, err
	}
	var out []catGroup
	for _, g := range groups {
		g.Cats = slices.DeleteFunc(slices.Clone(g.Cats), func(c gl.Category) bool { return !c.Public })
		if len(g.Cats) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

func (u *UI) publicBoard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := publicBoardData{State: q.Get("state"), Category: q.Get("category"), Page: 1}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 10000 {
		d.Page = n
	}
	var err error
	if d.Groups, err = u.publicGroups(r); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Cases, d.Total, err = u.svc.PublicCases(r.Context(), service.PublicQuery{State: d.State, Category: d.Category,
		Limit: publicPage, Offset: (d.Page - 1) * publicPage})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Pages = max(1, (d.Total+publicPage-1)/publicPage)
	link := func(page int) string {
		v := url.Values{}
		if d.State != "" {
			v.Set("state", d.State)
		}
		if d.Category != "" {
			v.Set("category", d.Category)
		}
		if page > 1 {
			v.Set("page", strconv.Itoa(page))
		}
		if len(v) == 0 {
			return "/public"
		}
		return "/public?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages || d.Total > store.CountCap && len(d.Cases) == publicPage {
		d.Next = link(d.Page + 1)
	}
	u.render(w, r, http.StatusOK, "public", "public.title", d)
}

func (u *UI) publicCase(w http.ResponseWriter, r *http.Request) {
	c, err := u.svc.PublicCaseByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderPage(w, r, http.StatusOK, "public_case", &page{Title: T(langOf(r), "public.case_title", c.Code), Data: c})
}

type publicMapData struct {
	State string
	Map   publicMapConfig
}

// publicMapConfig is what static/public.js needs, as JSON in the page.
type publicMapConfig struct {
	Tiles       string            `json:"tiles,omitempty"`
	Attribution string            `json:"attribution,omitempty"`
	Bounds      []float64         `json:"bounds,omitempty"`
	CasesURL    string            `json:"cases_url"`
	Labels      map[string]string `json:"labels"`
}

func (u *UI) publicMap(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	state := r.URL.Query().Get("state")
	if state != "closed" && state != "" {
		state = "open"
	}
	c := publicMapConfig{Tiles: u.Tiles, Attribution: u.TilesAttribution, CasesURL: "/public/cases.json?state=" + url.QueryEscape(state),
		Labels: map[string]string{}}
	for _, k := range []string{"loading", "failed", "shown", "open_case"} {
		c.Labels[k] = T(lang, "public.map_"+k)
	}
	if b, ok := u.svc.MapBounds(); ok {
		c.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	u.render(w, r, http.StatusOK, "public_map", "public.map_title", publicMapData{State: state, Map: c})
}

// publicPoint is one marker of the public map.
type publicPoint struct {
	Code        string    `json:"code"`
	Lat         float64   `json:"lat"`
	Lng         float64   `json:"lng"`
	Status      gl.Status `json:"status"`
	StatusLabel string    `json:"status_label"`
	Category    string    `json:"category"`
	Description string    `json:"description"`
}

// publicCasesJSON is the public map's markers: the last 90 days' public cases, at most 2,000.
func (u *UI) publicCasesJSON(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	list, total, err := u.svc.PublicCases(r.Context(), service.PublicQuery{State: state, Days: 90, Limit: 2000})
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	lang := langOf(r)
	out := make([]publicPoint, 0, len(list))
	for _, c := range list {
		desc := []rune(c.Description)
		if len(desc) > 80 {
			desc = append(desc[:80], '…')
		}
		out = append(out, publicPoint{Code: c.Code, Lat: c.Lat, Lng: c.Lng, Status: c.Status, StatusLabel: c.Status.Label(lang),
			Category: c.Category, Description: string(desc)})
	}
	// As /api/v1/cases: past store.CountCap the total is not counted.
	writeJSON(w, map[string]any{"total": min(total, store.CountCap), "total_capped": total > store.CountCap,
		"shown": len(out), "cases": out})
}

type publicStatsData struct {
	Period string
	Stats  *service.PublicStats
}

// Pct formats a rate as a percentage, "—" without data.
func (publicStatsData) Pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *v*100)
}

func (u *UI) publicStats(w http.ResponseWriter, r *http.Request) {
	period := r.URL.Query().Get("period")
	if period != "week" {
		period = "month"
	}
	st, err := u.svc.PublicStats(r.Context(), evaluation.Period(period), r.URL.Query().Get("start"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "public_stats", "public.stats_title", publicStatsData{Period: period, Stats: st})
}
