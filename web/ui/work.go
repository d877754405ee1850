package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/worktime"
)

// queue is one list of cases a role works from.
type queue struct {
	Key    string    // catalog key of its name
	Status gl.Status // "" for the special queues
	Kind   string    // "", "overdue", "pending" or "all"
}

// roleQueues are the queues each role works with, in the order shown.
var roleQueues = map[gl.Role][]queue{
	gl.RoleOperator:   {{Key: "queue.accept", Status: gl.StatusReported}, {Key: "queue.send_check", Status: gl.StatusHandled}},
	gl.RoleShiftLead:  {{Key: "queue.register", Status: gl.StatusReported}, {Key: "queue.close", Status: gl.StatusChecked}},
	gl.RoleDispatcher: {{Key: "queue.dispatch", Status: gl.StatusRegistered}, {Key: "queue.pending", Kind: "pending"}},
	gl.RoleHandler:    {{Key: "queue.sign", Status: gl.StatusDispatched}, {Key: "queue.handling", Status: gl.StatusHandling}},
	gl.RoleGridMember: {{Key: "queue.verify", Status: gl.StatusVerifying}, {Key: "queue.check", Status: gl.StatusChecking}},
	gl.RoleSupervisor: {{Key: "queue.overdue", Kind: "overdue"}, {Key: "queue.all", Kind: "all"}},
	gl.RoleAdmin:      {{Key: "queue.all", Kind: "all"}},
}

// URL is the filtered case list of the queue.
func (q queue) URL() string {
	switch q.Kind {
	case "overdue":
		return "/cases?overdue=1"
	case "pending":
		return "/cases?pending=1"
	case "all":
		return "/cases"
	}
	return "/cases?status=" + string(q.Status)
}

type roleQueue struct {
	Role   gl.Role
	Queues []queueCount
}

// countText shows a count from the store, which counts lists only up to
// store.CountCap: "2000+" past it.
func countText(n int) string {
	if n > store.CountCap {
		return strconv.Itoa(store.CountCap) + "+"
	}
	return strconv.Itoa(n)
}

type queueCount struct {
	queue
	Count int
}

// CountText is the count as shown: "2000+" past store.CountCap.
func (q queueCount) CountText() string { return countText(q.Count) }

type workData struct {
	User  *gl.User
	Roles []roleQueue
	Inbox *service.Inbox // in-app messages (public_similar.go)
}

func (u *UI) work(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	d := workData{User: p.User}
	for _, role := range p.User.Roles {
		rq := roleQueue{Role: role}
		for _, q := range roleQueues[role] {
			n, err := u.count(r.Context(), p, q)
			if err != nil {
				u.fail(w, r, err)
				return
			}
			rq.Queues = append(rq.Queues, queueCount{q, n})
		}
		d.Roles = append(d.Roles, rq)
	}
	if in, err := u.svc.StaffInbox(r.Context(), p, 10); err == nil {
		d.Inbox = in
	} else {
		u.log.Warn("ui: inbox", "err", err)
	}
	u.render(w, r, http.StatusOK, "work", "work.title", d)
}

// openStatuses are the statuses that still await work.
var openStatuses = slices.DeleteFunc(slices.Clone(gl.Statuses), func(s gl.Status) bool { return s.Final() })

// pendingStatuses are where a request awaiting approval can be.
var pendingStatuses = []gl.Status{gl.StatusDispatched, gl.StatusHandling}

func (u *UI) count(ctx context.Context, p *service.Principal, q queue) (int, error) {
	f := store.CaseFilter{Limit: 1}
	switch q.Kind {
	case "overdue":
		t := true
		f.Overdue, f.Statuses = &t, openStatuses
	case "pending":
		list, err := u.pending(ctx, p)
		return len(list), err
	case "all":
	default:
		f.Statuses = []gl.Status{q.Status}
	}
	_, n, err := u.svc.Cases(ctx, p, f)
	return n, err
}

// pending lists the cases with a request awaiting approval. The store's filter has no
// field for it yet, so this reads the cases that can carry one and keeps those that do.
func (u *UI) pending(ctx context.Context, p *service.Principal) ([]gl.Case, error) {
	list, _, err := u.svc.Cases(ctx, p, store.CaseFilter{Statuses: pendingStatuses, Limit: store.MaxLimit, Order: store.OrderUpdatedDesc})
	return slices.DeleteFunc(list, func(c gl.Case) bool { return c.Pending == nil }), err
}

const pageSize = 20

// stageLight is c's stage clock's light at now, against the city's limit for the
// stage (register, verify, dispatch, check).
func (u *UI) stageLight(c *gl.Case, now time.Time) worktime.Light {
	return c.StageLight(u.svc.Policy.StageLimits[c.Status], now)
}

type caseRow struct {
	gl.Case
	CategoryName string
	Light        worktime.Light
}

type casesData struct {
	Rows       []caseRow
	Total      int
	Status     string
	Overdue    bool
	Pending    bool
	Statuses   []gl.Status
	Page       int
	Pages      int // 0: not known (more than store.CountCap cases)
	Prev, Next string
}

// TotalText is the total as shown: "2000+" past store.CountCap.
func (d casesData) TotalText() string { return countText(d.Total) }

func (u *UI) cases(w http.ResponseWriter, r *http.Request, p *service.Principal) {
	q := r.URL.Query()
	d := casesData{Status: q.Get("status"), Overdue: q.Get("overdue") == "1", Pending: q.Get("pending") == "1", Statuses: gl.Statuses}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	f := store.CaseFilter{Limit: pageSize, Offset: (d.Page - 1) * pageSize}
	if d.Status != "" {
		f.Statuses = []gl.Status{gl.Status(d.Status)}
	}
	if d.Overdue {
		t := true
		f.Overdue = &t
		if len(f.Statuses) == 0 {
			f.Statuses = openStatuses
		}
	}
	var list []gl.Case
	var err error
	if d.Pending {
		list, err = u.pending(r.Context(), p)
		d.Total = len(list)
		list = list[min(f.Offset, len(list)):min(f.Offset+pageSize, len(list))]
	} else {
		list, d.Total, err = u.svc.Cases(r.Context(), p, f)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.categoryNames(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cal, now := u.svc.Calendar(), u.svc.Now()
	for _, c := range list {
		// The clock that runs: the handling deadline's, else the stage's (register,
		// verify, dispatch, check).
		light := c.Light(cal, now)
		if light == "" {
			light = u.stageLight(&c, now)
		}
		d.Rows = append(d.Rows, caseRow{Case: c, CategoryName: names[c.CategoryCode], Light: light})
	}
	if d.Total <= store.CountCap {
		d.Pages = max(1, (d.Total+pageSize-1)/pageSize)
	}
	link := func(n int) string {
		v := url.Values{}
		for _, k := range []string{"status", "overdue", "pending"} {
			if s := q.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		v.Set("page", strconv.Itoa(n))
		return "/cases?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages || (d.Pages == 0 && len(list) == pageSize) {
		d.Next = link(d.Page + 1)
	}
	u.render(w, r, http.StatusOK, "cases", "cases.title", d)
}

func (u *UI) categoryNames(ctx context.Context) (map[string]string, error) {
	cats, err := u.svc.Categories(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cats))
	for _, c := range cats {
		m[c.Code] = c.Name
	}
	return m, nil
}
