package ui

import (
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web/api"
)

// gridMinZoom is the zoom from which the unit grid layer is drawn (about 1 km across a
// phone screen); below it there would be too many grids to be of use.
const gridMinZoom = 15

// mapConfig is what static/map.js needs to draw one map, handed over as JSON in a
// <script type="application/json"> block (no inline script).
type mapConfig struct {
	Mode        string            `json:"mode"` // overview, case or picker
	Tiles       string            `json:"tiles,omitempty"`
	Attribution string            `json:"attribution,omitempty"`
	Bounds      []float64         `json:"bounds,omitempty"` // west, south, east, north of the grids
	AreasURL    string            `json:"areas_url"`
	CasesURL    string            `json:"cases_url,omitempty"`
	GridsURL    string            `json:"grids_url,omitempty"`
	GridURL     string            `json:"grid_url,omitempty"` // + code
	LocateURL   string            `json:"locate_url,omitempty"`
	GridMinZoom int               `json:"grid_min_zoom"`
	Point       []float64         `json:"point,omitempty"` // lat, lng of the case
	GridCode    string            `json:"grid_code,omitempty"`
	RespGrid    string            `json:"resp_grid,omitempty"`
	Labels      map[string]string `json:"labels"`
}

// mapLabels are the catalog keys map.js shows, under the names it uses.
var mapLabels = []string{"layer_districts", "layer_streets", "layer_grids", "layer_cases", "grid", "area",
	"resp_grid", "workers", "none", "open_case", "total", "shown", "loading", "zoom_for_grids", "picked",
	"outside", "chart_title", "failed"}

func (u *UI) mapConfig(r *http.Request, mode string) mapConfig {
	lang := langOf(r)
	c := mapConfig{Mode: mode, Tiles: u.Tiles, Attribution: u.TilesAttribution, GridMinZoom: gridMinZoom,
		Labels: map[string]string{}}
	for _, k := range mapLabels {
		c.Labels[k] = T(lang, "mapjs."+k)
	}
	if b, ok := u.svc.MapBounds(); ok {
		c.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	if mode == "picker" {
		c.AreasURL, c.LocateURL = "/report/areas.json", "/report/locate.json"
	} else {
		c.AreasURL, c.GridsURL, c.GridURL = "/map/areas.json", "/map/grids.json", "/map/grids/"
	}
	return c
}

// mapFilter is the map page's filter, as typed in its form.
type mapFilter struct {
	Status   string // "" (any), "open" (not finished) or a status
	Category string
	Overdue  bool
}

func readMapFilter(q url.Values) mapFilter {
	f := mapFilter{Status: q.Get("status"), Category: q.Get("category"), Overdue: q.Get("overdue") == "1"}
	if _, set := q["status"]; !set {
		f.Status = "open"
	}
	return f
}

func (f mapFilter) query() string {
	v := url.Values{"status": {f.Status}}
	if f.Category != "" {
		v.Set("category", f.Category)
	}
	if f.Overdue {
		v.Set("overdue", "1")
	}
	return v.Encode()
}

func (f mapFilter) store() store.CaseFilter {
	cf := store.CaseFilter{CategoryCode: f.Category}
	switch f.Status {
	case "":
	case "open":
		cf.Statuses = openStatuses
	default:
		cf.Statuses = []gl.Status{gl.Status(f.Status)}
	}
	if f.Overdue {
		t := true
		cf.Overdue = &t
	}
	return cf
}

type mapPageData struct {
	Filter   mapFilter
	Statuses []gl.Status
	Groups   []catGroup
	Map      mapConfig
	ListURL  string // the same cases as a list, for browsers without JavaScript
}

func (u *UI) mapPage(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f := readMapFilter(r.URL.Query())
	d := mapPageData{Filter: f, Statuses: gl.Statuses, Map: u.mapConfig(r, "overview")}
	var err error
	if d.Groups, err = u.categoryGroups(r.Context(), langOf(r)); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Map.CasesURL = "/map/cases.json?" + f.query()
	list := url.Values{}
	if f.Status != "open" && f.Status != "" {
		list.Set("status", f.Status)
	}
	if f.Overdue {
		list.Set("overdue", "1")
	}
	d.ListURL = "/cases?" + list.Encode()
	u.render(w, r, http.StatusOK, "map", "map.title", d)
}

// mapCase is one marker.
type mapCase struct {
	store.CasePoint
	StatusLabel  string `json:"status_label"`
	CategoryName string `json:"category_name,omitempty"`
}

// mapCases lists the filtered cases in the user's scope as markers.
func (u *UI) mapCases(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	f := readMapFilter(r.URL.Query())
	points, total, err := u.svc.MapCases(r.Context(), p, f.store(), service.MaxMapCases)
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	names, err := u.categoryNames(r.Context())
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	lang := langOf(r)
	out := make([]mapCase, 0, len(points))
	for _, c := range points {
		out = append(out, mapCase{CasePoint: c, StatusLabel: c.Status.Label(lang), CategoryName: names[c.CategoryCode]})
	}
	writeJSON(w, map[string]any{"total": total, "shown": len(out), "cases": out})
}

// mapAreas is the outline layer of one level, as GeoJSON.
func (u *UI) mapAreas(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	u.areasJSON(w, r)
}

func (u *UI) areasJSON(w http.ResponseWriter, r *http.Request) {
	b, err := u.svc.MapAreas(r.Context(), gl.AreaLevel(r.URL.Query().Get("level")))
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "private, max-age=60")
	writeMaybeGzip(w, r, b)
}

// writeMaybeGzip writes b, compressed when the client takes gzip and b is large: area
// outlines run to hundreds of kilobytes and shrink about fourfold.
func writeMaybeGzip(w http.ResponseWriter, r *http.Request, b []byte) {
	w.Header().Add("Vary", "Accept-Encoding")
	if len(b) < 8<<10 || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Write(b)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
}

// mapGrids is the unit grids inside ?bbox=west,south,east,north, as GeoJSON.
func (u *UI) mapGrids(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	parts := strings.Split(r.URL.Query().Get("bbox"), ",")
	var v [4]float64
	ok := len(parts) == 4
	for i := 0; ok && i < 4; i++ {
		var err error
		v[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		ok = err == nil && v[i] == v[i]
	}
	if !ok || v[0] > v[2] || v[1] > v[3] {
		u.jsonFail(w, r, gl.FieldError("bbox", "bbox 须为 west,south,east,north 四个数"))
		return
	}
	b, more, err := u.svc.MapGrids(orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}})
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	if more {
		w.Header().Set("X-Truncated", "1")
	}
	w.Header().Set("Content-Type", "application/geo+json")
	writeMaybeGzip(w, r, b)
}

// gridJSON is what a clicked grid shows.
type gridJSON struct {
	*service.GridInfo
	Names []string `json:"names"` // the area chain's names, city first
}

// mapGrid describes one unit grid: its code, area chain, responsibility grid and
// grid workers, and its outline.
func (u *UI) mapGrid(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	info, err := u.svc.GridInfo(r.Context(), r.PathValue("code"), r.URL.Query().Get("resp"))
	if err != nil {
		u.jsonFail(w, r, err)
		return
	}
	out := gridJSON{GridInfo: info, Names: []string{}}
	for _, a := range info.Chain {
		if a.Name != "" {
			out.Names = append(out.Names, a.Name)
		}
	}
	writeJSON(w, out)
}

// publicAreas gives the report form's location picker the district and street
// outlines: public administrative boundaries, nothing about cases.
func (u *UI) publicAreas(w http.ResponseWriter, r *http.Request) {
	switch gl.AreaLevel(r.URL.Query().Get("level")) {
	case gl.LevelDistrict, gl.LevelStreet:
		u.areasJSON(w, r)
	default:
		u.jsonFail(w, r, gl.FieldError("level", "只提供区和街道的边界"))
	}
}

// publicLocate tells the report form where a picked point is: the names of its area
// chain, or that it is outside the city's grids.
func (u *UI) publicLocate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lat, err1 := strconv.ParseFloat(q.Get("lat"), 64)
	lng, err2 := strconv.ParseFloat(q.Get("lng"), 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
		u.jsonFail(w, r, gl.FieldError("lat", "坐标无效"))
		return
	}
	pl := u.svc.Locate(lat, lng)
	_, grids, _, _ := u.svc.GeoStats()
	var names []string
	for _, a := range pl.Chain {
		if a.Name != "" && a.Level != gl.LevelCity {
			names = append(names, a.Name)
		}
	}
	writeJSON(w, map[string]any{"located": pl.Located, "has_grids": grids > 0, "place": strings.Join(names, " · ")})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}

// jsonFail answers a map request with the error as JSON.
func (u *UI) jsonFail(w http.ResponseWriter, r *http.Request, err error) {
	code := gl.ErrorCode(err)
	if code == gl.EINTERNAL {
		u.log.Error("ui: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(api.StatusOf(code))
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": gl.ErrorMessage(err)}})
}
