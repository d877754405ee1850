package open311

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
)

// DefaultUpdatesWindow is the span GET servicerequestupdates covers without dates.
const DefaultUpdatesWindow = 24 * time.Hour

// listUpdates answers GET servicerequestupdates: the public events of the cases the
// viewer sees, other than the report itself, oldest first.
func (s *Server) listUpdates(r *http.Request, _ []string) (int, any, any, error) {
	ctx := r.Context()
	q := r.Form
	v, err := s.readerOf(ctx, r)
	if err != nil {
		return 0, nil, nil, err
	}
	w, err := s.parseWindow(q, "start_date", "end_date", s.Svc.Now(), DefaultUpdatesWindow)
	if err != nil {
		return 0, nil, nil, err
	}
	page, size, err := paging(q)
	if err != nil {
		return 0, nil, nil, err
	}
	cats, err := s.categories(ctx)
	if err != nil {
		return 0, nil, nil, err
	}
	// Every event moves its case's updated_at, so a case with an event in the window
	// was updated at or after its start and created before its end.
	f := store.CaseFilter{Order: store.OrderUpdatedDesc}
	if !w.to.IsZero() {
		f.Until = &w.to
	}
	cases, err := s.scan(ctx, v.p, f, func(c *gl.Case) bool { return v.sees(c, cats) },
		func(c *gl.Case) bool { return c.UpdatedAt.Before(w.from) }, 0, math.MaxInt)
	if err != nil {
		return 0, nil, nil, err
	}
	type found struct {
		e    gl.Event
		code string
	}
	var all []found
	for _, c := range cases {
		evs, err := s.Svc.CaseEvents(ctx, v.p, c.Code)
		if err != nil {
			return 0, nil, nil, err
		}
		for _, e := range evs {
			if e.Public && e.Action != gl.ActionReport && w.contains(e.At) {
				all = append(all, found{e, c.Code})
			}
		}
	}
	slices.SortFunc(all, func(a, b found) int {
		return cmp.Or(a.e.At.Compare(b.e.At), cmp.Compare(a.e.ID, b.e.ID))
	})
	items := []update{}
	for i := (page - 1) * size; i < len(all) && len(items) < size; i++ {
		e := all[i].e
		items = append(items, update{
			UpdateID:         strconv.FormatInt(e.ID, 10),
			ServiceRequestID: all[i].code,
			Status:           openClosed(e.To),
			UpdatedDatetime:  s.w3c(e.At),
			Description:      text(updateText(&e)),
			MediaURL:         text(eventPhoto(&e)),
		})
	}
	return http.StatusOK, updatesDoc[update]{Items: items}, items, nil
}

// updateText is an update's description: the note where it may be public, otherwise
// what happened and the status it left the case in.
func updateText(e *gl.Event) string {
	if publicNote(e.Action) && e.Note != "" {
		return e.Note
	}
	return e.Action.Label("zh") + "（案件状态：" + e.To.Label("zh") + "）"
}

// eventPhoto is the first photo recorded with an event.
func eventPhoto(e *gl.Event) string {
	var d struct {
		Photos []string `json:"photos"`
	}
	if len(e.Data) > 0 && json.Unmarshal(e.Data, &d) == nil && len(d.Photos) > 0 {
		return d.Photos[0]
	}
	return ""
}

// updateIDPattern is what an external update_id may look like: it is kept inside a
// note, so no brackets, spaces or line breaks.
var updateIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:@/+-]{1,100}$`)

// notePrefix marks a comment as the external update with this id. With no table to
// keep external ids in, the note carries it and duplicates are found in the history.
func notePrefix(updateID string) string { return "[open311 update_id=" + updateID + "]" }

// postUpdate answers POST servicerequestupdates: an external system pushes an update
// back. It is recorded as an internal comment by the api_key's user; the status it
// carries is recorded, not applied (gridloop's loop moves only by its own roles).
func (s *Server) postUpdate(r *http.Request, _ []string) (int, any, any, error) {
	ctx := r.Context()
	form := r.Form
	p := gated(r) // the gate checked the api_key and its permission
	code := strings.TrimSpace(form.Get("service_request_id"))
	if code == "" {
		return 0, nil, nil, badRequest("service_request_id is required")
	}
	extID := strings.TrimSpace(form.Get("update_id"))
	switch {
	case extID == "":
		return 0, nil, nil, badRequest("update_id is required")
	case !updateIDPattern.MatchString(extID):
		return 0, nil, nil, badRequest("update_id must be 1–100 letters, digits or . _ : @ / + -")
	}
	status := strings.ToLower(strings.TrimSpace(form.Get("status")))
	switch {
	case status == "":
		return 0, nil, nil, badRequest("status is required: OPEN or CLOSED")
	case !fmsStatuses[status]:
		return 0, nil, nil, badRequest("status must be OPEN or CLOSED (or a FixMyStreet extended status), got %q", form.Get("status"))
	}
	at := ""
	if v := strings.TrimSpace(form.Get("updated_datetime")); v != "" {
		t, _, err := s.parseW3C(v)
		if err != nil {
			return 0, nil, nil, badRequest("updated_datetime: %v", err)
		}
		at = s.w3c(t)
	}
	desc := strings.TrimSpace(form.Get("description"))
	if n := utf8.RuneCountInString(desc); n > MaxDescription {
		return 0, nil, nil, badRequest("description is %d characters long; at most %d", n, MaxDescription)
	}
	var photos []string
	if m := strings.TrimSpace(form.Get("media_url")); m != "" {
		if err := checkURL(m); err != nil {
			return 0, nil, nil, err
		}
		photos = []string{m}
	}
	var b strings.Builder
	b.WriteString(notePrefix(extID) + " 外部系统更新：状态 " + strings.ToUpper(status))
	if at != "" {
		b.WriteString("，时间 " + at)
	}
	if name := personName(form.Get("first_name"), form.Get("last_name")); name != "" {
		b.WriteString("，提交人 " + name)
	}
	if desc != "" {
		b.WriteString("\n" + desc)
	}
	if len(photos) > 0 {
		b.WriteString("\n" + photos[0])
	}
	in := workflow.Input{Action: gl.ActionComment, Note: b.String(), Photos: photos}

	// Check for the id and comment at the version seen: if anything was recorded on the
	// case in between (maybe the same update, posted twice at once), look again.
	for range 3 {
		version, dup, err := s.seen(ctx, p, code, extID)
		if err != nil {
			return 0, nil, nil, err
		}
		if dup {
			return 0, nil, nil, badRequest("duplicate update_id %q for service_request_id %s", extID, code)
		}
		res, err := s.Svc.Act(ctx, p, code, in, &version)
		if gl.ErrorCode(err) == gl.ECONFLICT {
			continue
		} else if err != nil {
			return 0, nil, nil, err
		}
		items := []updateRef{{UpdateID: strconv.FormatInt(res.Event.ID, 10)}}
		return http.StatusOK, updatesDoc[updateRef]{Items: items}, items, nil
	}
	return 0, nil, nil, badRequest("the request kept changing while the update was recorded; please post it again")
}

// seen returns the case's version and whether an update with extID is on it already.
func (s *Server) seen(ctx context.Context, p *service.Principal, code, extID string) (int, bool, error) {
	c, err := s.Svc.Case(ctx, p, code)
	if gl.ErrorCode(err) == gl.ENOTFOUND {
		return 0, false, notFound("service_request_id %q not found", code)
	} else if err != nil {
		return 0, false, err
	}
	evs, err := s.Svc.CaseEvents(ctx, p, code)
	if err != nil {
		return 0, false, err
	}
	prefix := notePrefix(extID)
	for _, e := range evs {
		if e.Action == gl.ActionComment && strings.HasPrefix(e.Note, prefix) {
			return c.Version, true, nil
		}
	}
	return c.Version, false, nil
}
