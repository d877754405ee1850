package open311

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// MaxDescription is the spec's limit on a request's description, in characters.
const MaxDescription = 4000

// createRequest answers POST requests: a new case on channel open311.
func (s *Server) createRequest(r *http.Request, _ []string) (int, any, any, error) {
	ctx := r.Context()
	form := r.Form
	p := gated(r) // the gate checked the api_key and its permission
	code := strings.TrimSpace(form.Get("service_code"))
	if code == "" {
		return 0, nil, nil, badRequest("service_code is required")
	}
	cat, err := s.activeCategory(r, code)
	if err != nil {
		return 0, nil, nil, err
	}
	address := strings.TrimSpace(form.Get("address_string"))
	lat, lng, err := location(form, address)
	if err != nil {
		return 0, nil, nil, err
	}
	desc := strings.TrimSpace(form.Get("description"))
	if n := utf8.RuneCountInString(desc); n > MaxDescription {
		return 0, nil, nil, badRequest("description is %d characters long; at most %d", n, MaxDescription)
	}
	lines, err := s.checkAttributes(attributesFor(cat), form)
	if err != nil {
		return 0, nil, nil, err
	}
	if desc == "" {
		desc = cat.Name // the spec makes description optional; gridloop needs one
	}
	if len(lines) > 0 {
		desc += "\n\n【Open311 附加信息】\n" + strings.Join(lines, "\n")
		if n := utf8.RuneCountInString(desc); n > MaxDescription {
			return 0, nil, nil, badRequest("description and attributes together are %d characters long; at most %d", n, MaxDescription)
		}
	}
	var photos []string
	if m := strings.TrimSpace(form.Get("media_url")); m != "" {
		if err := checkURL(m); err != nil {
			return 0, nil, nil, err
		}
		photos = []string{m}
	}
	res, err := s.Svc.Report(ctx, p, service.ReportInput{
		Description:   desc,
		Lat:           &lat,
		Lng:           &lng,
		CategoryCode:  cat.Code,
		Address:       address,
		Channel:       gl.ChannelOpen311,
		ReporterName:  personName(form.Get("first_name"), form.Get("last_name")),
		ReporterPhone: strings.TrimSpace(form.Get("phone")),
		Photos:        photos,
	}, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return 0, nil, nil, err
	}
	items := []created{{
		ServiceRequestID: res.Case.Code,
		Token:            res.TrackingToken,
		ServiceNotice:    text(notice(cat, false)),
		AccountID:        text(strings.TrimSpace(form.Get("account_id"))),
	}}
	return http.StatusOK, requestsDoc[created]{Items: items}, items, nil
}

// location reads lat and long. Without them an address_string or address_id cannot be
// placed: there is no geocoder or address repository.
func location(form url.Values, address string) (lat, lng float64, err error) {
	ls, gs := strings.TrimSpace(form.Get("lat")), strings.TrimSpace(form.Get("long"))
	switch {
	case ls == "" && gs == "" && address != "":
		return 0, 0, badRequest("address_string requires lat/long; no geocoder configured")
	case ls == "" && gs == "" && strings.TrimSpace(form.Get("address_id")) != "":
		return 0, 0, badRequest("address_id requires lat/long; no address repository configured")
	case ls == "" && gs == "":
		return 0, 0, badRequest("a location is required: lat and long (WGS84)")
	case ls == "" || gs == "":
		return 0, 0, badRequest("lat and long must be sent together")
	}
	if lat, err = strconv.ParseFloat(ls, 64); err != nil || math.IsNaN(lat) {
		return 0, 0, badRequest("lat must be a number, got %q", ls)
	}
	if lng, err = strconv.ParseFloat(gs, 64); err != nil || math.IsNaN(lng) {
		return 0, 0, badRequest("long must be a number, got %q", gs)
	}
	return lat, lng, nil
}

// personName joins the given and family names: family name first for Chinese names,
// given name first otherwise.
func personName(first, last string) string {
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	han := strings.ContainsFunc(first+last, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	if han {
		return last + first
	}
	return strings.TrimSpace(first + " " + last)
}

// checkURL accepts an absolute http(s) URL, as media_url must be.
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(v) > 2048 {
		return badRequest("media_url must be an absolute http or https URL of at most 2048 characters")
	}
	return nil
}

// notice is the service_notice of a category: its handling limit (for an urgent case,
// the urgent one) and closing condition.
func notice(cat *gl.Category, urgent bool) string {
	n := "处置时限 " + cat.Limit(urgent).Label("zh")
	if cat.ClosingCondition != "" {
		n += "；结案条件：" + cat.ClosingCondition
	}
	return n
}

// token answers GET tokens/{token}: the token is the case's tracking token.
func (s *Server) token(r *http.Request, args []string) (int, any, any, error) {
	tr, err := s.Svc.Track(r.Context(), args[0])
	if gl.ErrorCode(err) == gl.ENOTFOUND {
		return 0, nil, nil, notFound("token not found")
	} else if err != nil {
		return 0, nil, nil, err
	}
	items := []tokenRef{{ServiceRequestID: tr.Code, Token: args[0]}}
	return http.StatusOK, requestsDoc[tokenRef]{Items: items}, items, nil
}

// getRequest answers GET requests/{id}.
func (s *Server) getRequest(r *http.Request, args []string) (int, any, any, error) {
	ctx := r.Context()
	v, err := s.readerOf(ctx, r)
	if err != nil {
		return 0, nil, nil, err
	}
	ext, err := boolParam(r.Form, "extensions")
	if err != nil {
		return 0, nil, nil, err
	}
	cats, err := s.categories(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	c, err := s.Svc.Case(ctx, v.p, args[0])
	if gl.ErrorCode(err) == gl.ENOTFOUND || (err == nil && !v.sees(c, cats)) {
		return 0, nil, nil, notFound("service_request_id %q not found", args[0])
	} else if err != nil {
		return 0, nil, nil, err
	}
	req, err := s.render(ctx, c, cats, ext)
	if err != nil {
		return 0, nil, nil, err
	}
	items := []request{req}
	return http.StatusOK, requestsDoc[request]{Items: items}, items, nil
}

// Paging of GET requests and GET servicerequestupdates (the page/page_size extension).
const (
	DefaultPageSize = 1000 // the spec's "first 1000 requests"
	MaxPageSize     = 1000
	maxIDs          = 1000 // service_request_id values in one call
)

// listRequests answers GET requests.
func (s *Server) listRequests(r *http.Request, _ []string) (int, any, any, error) {
	ctx := r.Context()
	q := r.Form
	v, err := s.readerOf(ctx, r)
	if err != nil {
		return 0, nil, nil, err
	}
	ext, err := boolParam(q, "extensions")
	if err != nil {
		return 0, nil, nil, err
	}
	cats, err := s.categories(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	list, err := s.selectRequests(ctx, q, v, cats)
	if err != nil {
		return 0, nil, nil, err
	}
	items := make([]request, 0, len(list))
	for i := range list {
		req, err := s.render(ctx, &list[i], cats, ext)
		if err != nil {
			return 0, nil, nil, err
		}
		items = append(items, req)
	}
	return http.StatusOK, requestsDoc[request]{Items: items}, items, nil
}

// selectRequests applies GET requests' filters: service_request_id (which overrides
// the rest), service_code, start_date/end_date, status, updated_after/updated_before,
// page and page_size.
func (s *Server) selectRequests(ctx context.Context, q url.Values, v viewer, cats map[string]*gl.Category) ([]gl.Case, error) {
	if ids := listParam(q, "service_request_id"); len(ids) > 0 {
		if len(ids) > maxIDs {
			return nil, badRequest("at most %d service_request_id values at once", maxIDs)
		}
		var out []gl.Case
		for _, id := range ids {
			c, err := s.Svc.Case(ctx, v.p, id)
			if gl.ErrorCode(err) == gl.ENOTFOUND {
				continue
			} else if err != nil {
				return nil, err
			}
			if v.sees(c, cats) {
				out = append(out, *c)
			}
		}
		return out, nil
	}
	page, size, err := paging(q)
	if err != nil {
		return nil, err
	}
	var f store.CaseFilter
	codes := listParam(q, "service_code")
	if len(codes) == 1 {
		f.CategoryCode = codes[0]
	}
	switch st := listParam(q, "status"); {
	case len(st) == 0:
	case slices.ContainsFunc(st, func(x string) bool { x = strings.ToLower(x); return x != statusOpen && x != statusClosed }):
		return nil, badRequest("status must be open or closed (comma-separated for both), got %q", strings.Join(st, ","))
	case slices.ContainsFunc(st, func(x string) bool { return strings.EqualFold(x, statusOpen) }) &&
		slices.ContainsFunc(st, func(x string) bool { return strings.EqualFold(x, statusClosed) }):
	default:
		want := strings.EqualFold(st[0], statusClosed)
		for _, x := range gl.Statuses {
			if x.Final() == want {
				f.Statuses = append(f.Statuses, x)
			}
		}
	}
	now := s.Svc.Now()
	created, err := s.parseWindow(q, "start_date", "end_date", now, maxSpan)
	if err != nil {
		return nil, err
	}
	updated, err := s.parseWindow(q, "updated_after", "updated_before", now, 0)
	if err != nil {
		return nil, err
	}
	// Without start_date/end_date, a query by update time is not also limited to the
	// last 90 days of requests: it is bounded by its own window instead.
	if created.set || !updated.set {
		f.Since = &created.from
		if !created.to.IsZero() {
			f.Until = &created.to
		}
	}
	keep := func(c *gl.Case) bool {
		return v.sees(c, cats) && (len(codes) <= 1 || slices.Contains(codes, c.CategoryCode)) &&
			(!updated.set || updated.contains(c.UpdatedAt))
	}
	var stop func(*gl.Case) bool
	if updated.set {
		f.Order = store.OrderUpdatedDesc
		stop = func(c *gl.Case) bool { return c.UpdatedAt.Before(updated.from) }
	}
	return s.scan(ctx, v.p, f, keep, stop, (page-1)*size, size)
}

// scan pages through the cases f selects, in f's order, and returns take of those keep
// accepts after skipping skip of them; it stops early at the first case stop accepts.
// The store filters what it can; keep does the rest (docs/open311.md says what the
// store could add to make this one query).
func (s *Server) scan(ctx context.Context, p *service.Principal, f store.CaseFilter, keep, stop func(*gl.Case) bool, skip, take int) ([]gl.Case, error) {
	var out []gl.Case
	f.Limit, f.Offset = store.MaxLimit, 0
	for {
		list, _, err := s.Svc.Cases(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for i := range list {
			c := &list[i]
			if stop != nil && stop(c) {
				return out, nil
			}
			if !keep(c) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, *c)
			if len(out) >= take {
				return out, nil
			}
		}
		f.Offset += len(list)
		if len(list) < f.Limit { // the last page (the total is only counted up to a cap)
			return out, nil
		}
	}
}

// render builds the Open311 view of a case. It never includes the reporter's name,
// phone or anything from internal events.
func (s *Server) render(ctx context.Context, c *gl.Case, cats map[string]*gl.Category, ext bool) (request, error) {
	notes, err := s.statusNotes(ctx, c)
	if err != nil {
		return request{}, err
	}
	req := request{
		ServiceRequestID:  c.Code,
		Status:            openClosed(c.Status),
		StatusNotes:       text(notes),
		ServiceCode:       text(c.CategoryCode),
		Description:       text(c.Description),
		RequestedDatetime: s.w3c(c.CreatedAt),
		UpdatedDatetime:   s.w3c(c.UpdatedAt),
		ExpectedDatetime:  s.w3cPtr(c.Due),
		Address:           text(c.Address),
		Lat:               c.Lat,
		Long:              c.Lng,
	}
	if cat := cats[c.CategoryCode]; cat != nil {
		req.ServiceName = text(cat.Name)
		req.ServiceNotice = text(notice(cat, c.Urgent))
	}
	if d, ok := s.Svc.Depts().Get(c.LeadDeptID()); ok {
		req.AgencyResponsible = text(d.Name)
	}
	if len(c.Photos) > 0 {
		req.MediaURL = text(c.Photos[0])
	}
	if ext {
		req.ExtendedAttributes = extended(c)
	}
	return req, nil
}

// publicNote reports whether the note of a public event of this action may be shown to
// anyone: departments' replies and the shift lead's reasons, not the reporter's words.
func publicNote(a gl.Action) bool {
	return a == gl.ActionFeedback || a == gl.ActionReject || a == gl.ActionClose
}

// statusNotes explains the current status: the latest public note of a department's
// reply, a rejection or the close, cleared when the case went back into work (a failed
// check or a reopen); for a merged case, the case it was merged into.
func (s *Server) statusNotes(ctx context.Context, c *gl.Case) (string, error) {
	switch c.Status {
	case gl.StatusMerged:
		return "已合并至案件 " + c.DuplicateOf, nil
	case gl.StatusReported, gl.StatusVerifying, gl.StatusWithdrawn:
		return "", nil // no event with a public note can have happened yet
	}
	evs, err := s.Svc.CaseEvents(ctx, &service.Principal{System: true}, c.Code)
	if err != nil {
		return "", err
	}
	note := ""
	for _, e := range evs {
		switch {
		case !e.Public:
		case publicNote(e.Action) && e.Note != "":
			note = e.Note
		case e.To == gl.StatusHandling && (e.From == gl.StatusChecking || e.From == gl.StatusClosed):
			note = ""
		}
	}
	return note, nil
}

// categories maps every category (active or not) by code.
func (s *Server) categories(ctx context.Context) (map[string]*gl.Category, error) {
	list, err := s.Svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*gl.Category, len(list))
	for i := range list {
		m[list[i].Code] = &list[i]
	}
	return m, nil
}

// sees reports whether the viewer may read c: the public does not see cases in
// non-public categories (Category.Public false).
func (v viewer) sees(c *gl.Case, cats map[string]*gl.Category) bool {
	if !v.public {
		return true
	}
	cat := cats[c.CategoryCode]
	return cat == nil || cat.Public
}

// listParam reads a parameter that may be repeated and comma-separated.
func listParam(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	return out
}

func boolParam(q url.Values, key string) (bool, error) {
	v := strings.TrimSpace(q.Get(key))
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s must be true or false, got %q", key, v)
	}
	return b, nil
}

func paging(q url.Values) (page, size int, err error) {
	page, size = 1, DefaultPageSize
	if v := strings.TrimSpace(q.Get("page")); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 1_000_000 {
			return 0, 0, badRequest("page must be a whole number from 1, got %q", v)
		}
	}
	if v := strings.TrimSpace(q.Get("page_size")); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > MaxPageSize {
			return 0, 0, badRequest("page_size must be a whole number from 1 to %d, got %q", MaxPageSize, v)
		}
	}
	return page, size, nil
}
