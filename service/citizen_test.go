package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/internal/servicetest"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/notify"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/workflow"
	"github.com/gridloop/gridloop/worktime"
)

// citizenCity is a small city for the tests of issue #9: the default categories (C05
// 危房 is not public), two departments, one user per role and a second supervisor whose
// scope is department B only.
type citizenCity struct {
	t     *testing.T
	svc   *service.Service
	db    *store.DB
	dept  map[string]int64
	users map[string]*service.Principal
	now   time.Time
}

func newCitizenCity(t *testing.T, b dbtest.Backend) *citizenCity {
	t.Helper()
	return newCitizenNode(t, servicetest.Store(t, b), true)
}

// newCitizenNode is a service over db; with setup, it also creates the city.
func newCitizenNode(t *testing.T, db *store.DB, setup bool) *citizenCity {
	t.Helper()
	ctx := context.Background()
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetNotifyConfig(service.NotifyConfig{SMS: true, Email: true, BaseURL: "https://city.example"})
	c := &citizenCity{t: t, svc: svc, db: db, dept: map[string]int64{}, users: map[string]*service.Principal{},
		now: time.Now().UTC().Truncate(time.Second)}
	svc.Now = func() time.Time { return c.now }
	if setup {
		for _, cat := range gl.DefaultCategories() {
			if err := svc.PutCategory(ctx, &cat); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range []string{"A", "B"} {
			dep := &gl.Department{Code: d, Name: "部门" + d, Kind: gl.DeptBureau}
			if err := svc.AddDepartment(ctx, dep); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range svc.Departments() {
		c.dept[d.Code] = d.ID
	}
	for _, u := range []struct {
		name string
		role gl.Role
		dept string
	}{
		{"operator", gl.RoleOperator, ""}, {"shift_lead", gl.RoleShiftLead, ""}, {"dispatcher", gl.RoleDispatcher, ""},
		{"handler_a", gl.RoleHandler, "A"}, {"handler_b", gl.RoleHandler, "B"}, {"grid_member", gl.RoleGridMember, ""},
		{"supervisor", gl.RoleSupervisor, ""}, {"supervisor_b", gl.RoleSupervisor, "B"},
	} {
		if setup {
			user := &gl.User{Name: u.name, DisplayName: u.name, Roles: []gl.Role{u.role}}
			if u.dept != "" {
				user.DeptScope = []int64{c.dept[u.dept]}
			}
			if err := svc.AddUser(ctx, user, "a-long-test-password"); err != nil {
				t.Fatal(err)
			}
		}
		user, err := svc.UserByName(ctx, u.name)
		if err != nil {
			t.Fatal(err)
		}
		c.users[u.name] = svc.NewPrincipal(user)
	}
	return c
}

func (c *citizenCity) report(desc, cat string, lat, lng float64, phone string) *service.ReportResult {
	c.t.Helper()
	res, err := c.svc.Report(context.Background(), &service.Principal{}, service.ReportInput{
		Description: desc, CategoryCode: cat, Lat: &lat, Lng: &lng, Channel: gl.ChannelWeb, ReporterPhone: phone,
		ReporterName: "王小明", Address: "曙光路 12 号"}, "")
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

func (c *citizenCity) act(user, code string, in workflow.Input) *service.ActResult {
	c.t.Helper()
	c.now = c.now.Add(time.Minute)
	res, err := c.svc.Act(context.Background(), c.users[user], code, in, nil)
	if err != nil {
		c.t.Fatalf("%s %s on %s: %v", user, in.Action, code, err)
	}
	return res
}

// close drives a reported case to closed through department A.
func (c *citizenCity) close(code, category string) {
	c.t.Helper()
	yes := true
	c.act("shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: category})
	c.act("dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
	c.act("handler_a", code, workflow.Input{Action: gl.ActionSign})
	c.act("handler_a", code, workflow.Input{Action: gl.ActionFeedback, Note: "已更换灯泡，恢复照明"})
	c.act("operator", code, workflow.Input{Action: gl.ActionSendCheck})
	c.act("grid_member", code, workflow.Input{Action: gl.ActionCheck, Passed: &yes})
	c.act("shift_lead", code, workflow.Input{Action: gl.ActionClose})
}

func (c *citizenCity) similar(p *service.Principal, text, cat string, lat, lng float64) []service.SimilarCase {
	c.t.Helper()
	out, err := c.svc.Similar(context.Background(), p, service.SimilarQuery{Lat: lat, Lng: lng, CategoryCode: cat, Text: text})
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func codes(ms []service.SimilarCase) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Code)
	}
	return out
}

// log is the message log of a case (or of everything with code "").
func (c *citizenCity) log(code string) []store.Notification {
	c.t.Helper()
	out, _, err := c.svc.NotificationLog(context.Background(), store.NotificationFilter{Limit: 500}, code)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

func has(log []store.Notification, template, kind, channel string) bool {
	return slices.ContainsFunc(log, func(n store.Notification) bool {
		return n.Template == template && n.RecipientKind == kind && n.Channel == channel
	})
}

const (
	lampText  = "曙光路与杭大路交叉口东南角的路灯晚上不亮，已经三天了，行人过马路很危险"
	lampAgain = "杭大路曙光路路口东南角那盏路灯不亮，晚上过马路看不清，请尽快修一下"
	lat, lng  = 30.2741, 120.1445
)

// TestSimilarIndex: the index finds a reworded report of the same problem nearby; it
// holds open cases only (a merged or closed case leaves it); a rolled-back report never
// enters it; the public sees public categories only, with personal data masked; staff
// see what their scope holds.
func TestSimilarIndex(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		first := c.report(lampText+"，联系电话 13812345678", "C0104", lat, lng, "13812345678")
		c.report("曙光路上一处人行道地砖松动，下雨天踩上去溅水", "C0205", lat+0.0003, lng, "")
		c.report("杭大路路灯不亮", "C0104", lat+0.01, lng, "") // 1.1 km away
		private := c.report("曙光路12号老房子墙体开裂，有倒塌危险，路灯杆也歪了", "C0501", lat, lng+0.0002, "")

		// A hook that fails one report: its transaction rolls back, the index never sees it.
		boom := errors.New("boom")
		c.svc.OnEvent(func(_ context.Context, _ *store.Tx, _, after *gl.Case, _ *gl.Event) error {
			if strings.Contains(after.Description, "回滚") {
				return boom
			}
			return nil
		})
		lat0, lng0 := lat, lng
		if _, err := c.svc.Report(ctx, &service.Principal{}, service.ReportInput{Description: lampAgain + "（回滚）", CategoryCode: "C0104",
			Lat: &lat0, Lng: &lng0, Channel: gl.ChannelWeb}, ""); !errors.Is(err, boom) {
			t.Fatalf("failing report: %v", err)
		}

		got := c.similar(nil, lampAgain, "C0104", lat+0.0002, lng+0.0001)
		if len(got) != 1 || got[0].Code != first.Case.Code {
			t.Fatalf("public similar: %+v", got)
		}
		m := got[0]
		if m.Score < 0.45 || m.DistanceM < 15 || m.DistanceM > 40 || m.Category != "路灯" || m.Status != gl.StatusReported {
			t.Errorf("match %+v", m)
		}
		if strings.Contains(m.Description, "13812345678") || !strings.Contains(m.Description, "138****5678") {
			t.Errorf("public description not masked: %q", m.Description)
		}
		// Staff see the private category too, unmasked.
		staff := c.similar(c.users["operator"], "曙光路12号墙体开裂有倒塌危险", "", lat, lng)
		if !slices.Contains(codes(staff), private.Case.Code) {
			t.Errorf("staff similar %v lacks the private case %s", codes(staff), private.Case.Code)
		}
		if pub := c.similar(nil, "曙光路12号墙体开裂有倒塌危险", "", lat, lng); slices.Contains(codes(pub), private.Case.Code) {
			t.Errorf("public similar shows the private case: %v", codes(pub))
		}
		// A handler of B sees nothing not assigned to B.
		if hb := c.similar(c.users["handler_b"], lampAgain, "C0104", lat, lng); len(hb) != 0 {
			t.Errorf("handler_b sees %v", codes(hb))
		}

		// The register page: the reported duplicate sees the first case; merged, it leaves the index.
		second := c.report(lampAgain, "C0104", lat+0.0002, lng+0.0001, "13900001111")
		cands, err := c.svc.SimilarTo(ctx, c.users["operator"], second.Case.Code)
		if err != nil || len(cands) == 0 || cands[0].Code != first.Case.Code {
			t.Fatalf("SimilarTo: %+v %v", cands, err)
		}
		c.act("operator", second.Case.Code, workflow.Input{Action: gl.ActionMerge, ParentCode: first.Case.Code, Note: "同一路灯"})
		if got := c.similar(nil, lampAgain, "C0104", lat, lng); slices.Contains(codes(got), second.Case.Code) {
			t.Errorf("merged case still offered: %v", codes(got))
		}
		// Closed: the first case leaves too.
		c.close(first.Case.Code, "C0104")
		if got := c.similar(nil, lampAgain, "C0104", lat, lng); len(got) != 0 {
			t.Errorf("closed case still offered: %v", codes(got))
		}
		// A reopened case comes back.
		c.act("supervisor", first.Case.Code, workflow.Input{Action: gl.ActionReopen, Note: "复查发现仍不亮"})
		if got := c.similar(nil, lampAgain, "C0104", lat, lng); !slices.Contains(codes(got), first.Case.Code) {
			t.Errorf("reopened case not offered: %v", codes(got))
		}
		st := c.svc.SimilarStats()
		if st.Builds != 1 || st.Cases != 4 { // first (reopened), the paving, the far lamp, the private one
			t.Errorf("stats %+v", st)
		}
		if _, err := c.svc.Similar(ctx, nil, service.SimilarQuery{Lat: 91, Lng: 0}); gl.ErrorCode(err) != gl.EINVALID {
			t.Errorf("bad latitude: %v", err)
		}
	})
}

// TestSimilarTwoNodes: every node keeps its own index from the shared database; a
// report through one node reaches the other's index by its sync.
func TestSimilarTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		a := newCitizenCity(t, b)
		other := newCitizenNode(t, a.db, false)
		if got := other.similar(nil, lampAgain, "C0104", lat, lng); len(got) != 0 { // builds node B's index
			t.Fatalf("empty city: %v", got)
		}
		first := a.report(lampText, "C0104", lat, lng, "")
		if err := other.svc.SyncSimilar(ctx); err != nil {
			t.Fatal(err)
		}
		if got := other.similar(nil, lampAgain, "C0104", lat, lng); len(got) != 1 || got[0].Code != first.Case.Code {
			t.Fatalf("node B: %v", codes(got))
		}
		a.act("shift_lead", first.Case.Code, workflow.Input{Action: gl.ActionReject, Note: "重复"})
		if err := other.svc.SyncSimilar(ctx); err != nil {
			t.Fatal(err)
		}
		if got := other.similar(nil, lampAgain, "C0104", lat, lng); len(got) != 0 {
			t.Fatalf("node B after reject: %v", codes(got))
		}
	})
}

// TestMeTooAndMerge: a second citizen follows the existing case (interest, me_too
// event, own token); a third report is merged into it by the operator. When the case
// closes, the follower and the merged report's reporter see it on their tracking
// pages, get told, and may rate it; "not fixed" from a follower reopens it.
func TestMeTooAndMerge(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		first := c.report(lampText, "C0104", lat, lng, "13812345678")
		code := first.Case.Code

		f, err := c.svc.Follow(ctx, code, service.FollowInput{Phone: "13900002222", Email: "li@example.com"}, "k1")
		if err != nil || f.Interest != 1 || f.Code != code || f.TrackingToken == "" {
			t.Fatalf("follow: %+v %v", f, err)
		}
		again, err := c.svc.Follow(ctx, code, service.FollowInput{}, "k1")
		if err != nil || again.TrackingToken != f.TrackingToken {
			t.Fatalf("idempotent follow: %+v %v", again, err)
		}
		if _, err := c.svc.Follow(ctx, "20990101-99999", service.FollowInput{}, ""); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Fatalf("follow unknown: %v", err)
		}
		if _, err := c.svc.Follow(ctx, code, service.FollowInput{Phone: "call me"}, ""); gl.ErrorCode(err) != gl.EINVALID {
			t.Fatalf("follow bad phone: %v", err)
		}
		private := c.report("危房墙体开裂", "C0501", lat, lng, "")
		if _, err := c.svc.Follow(ctx, private.Case.Code, service.FollowInput{}, ""); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Fatalf("follow private: %v", err)
		}
		v, err := c.svc.TrackCitizen(ctx, f.TrackingToken)
		if err != nil || v.Role != service.CitizenFollower || v.Tracking.Code != code || v.Interest != 1 || len(v.Tracking.Actions) != 0 {
			t.Fatalf("follower view: %+v %v", v, err)
		}
		if tl := v.Tracking.Timeline; len(tl) != 2 || tl[1].Action != gl.ActionMeToo {
			t.Fatalf("timeline %+v", tl)
		}

		dup := c.report(lampAgain, "C0104", lat, lng, "13700003333")
		c.act("operator", dup.Case.Code, workflow.Input{Action: gl.ActionMerge, ParentCode: code, Note: "同一路灯"})
		if !has(c.log(dup.Case.Code), service.TplCaseMerged, store.RecipientReporter, notify.SMS) {
			t.Errorf("no merge message to the duplicate's reporter: %+v", c.log(dup.Case.Code))
		}
		c.close(code, "C0104")

		log := c.log(code)
		for _, want := range []struct{ tpl, kind, channel string }{
			{service.TplCaseRegistered, store.RecipientReporter, notify.InApp},
			{service.TplCaseRegistered, store.RecipientReporter, notify.SMS},
			{service.TplDeptReplied, store.RecipientFollower, notify.Email},
			{service.TplCaseClosed, store.RecipientReporter, notify.InApp},
			{service.TplCaseClosed, store.RecipientFollower, notify.InApp},
			{service.TplCaseClosed, store.RecipientFollower, notify.SMS},
			{service.TplDispatched, store.RecipientUser, notify.InApp},
		} {
			if !has(log, want.tpl, want.kind, want.channel) {
				t.Errorf("no %s to the %s by %s", want.tpl, want.kind, want.channel)
			}
		}
		// The merged report's reporter is told of the parent's closing, on their own case's tracking.
		closedForDup := slices.ContainsFunc(log, func(n store.Notification) bool {
			return n.Template == service.TplCaseClosed && n.RecipientKind == store.RecipientReporter && n.RecipientID == dup.Case.ID
		})
		if !closedForDup {
			t.Error("the merged report's reporter was not told of the closing")
		}
		for _, n := range log {
			if n.Channel == notify.SMS && strings.Contains(n.Recipient, "13812345678") {
				t.Errorf("the log shows a phone number: %s", n.Recipient)
			}
		}

		dv, err := c.svc.TrackCitizen(ctx, dup.TrackingToken)
		if err != nil || dv.MergedInto != code || dv.Own.Code != dup.Case.Code || dv.Tracking.Status != gl.StatusClosed ||
			!slices.Contains(dv.Tracking.Actions, gl.ActionRate) || dv.Inbox.Unread < 2 {
			t.Fatalf("merged view: %+v %v", dv, err)
		}
		// The follower says it is not fixed: the case is reopened to department A.
		no := false
		res, err := c.svc.ActAsCitizen(ctx, f.TrackingToken, workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Unsatisfied, Fixed: &no, Note: "还是不亮"})
		if err != nil || res.Case.Status != gl.StatusHandling || res.Case.ReopenCount != 1 || res.Event.Actor != "关注市民" {
			t.Fatalf("follower not fixed: %+v %v", res, err)
		}
		if _, err := c.svc.ActAsCitizen(ctx, f.TrackingToken, workflow.Input{Action: gl.ActionSupplement, Note: "x"}); gl.ErrorCode(err) != gl.EFORBIDDEN {
			t.Fatalf("follower supplement: %v", err)
		}
		fus, err := c.svc.FollowUps(ctx, c.users["supervisor"], code)
		if err != nil || len(fus) != 1 || fus[0].CountedAs != store.FollowUpAnswered || fus[0].Answer != "unsatisfied" || fus[0].Fixed == nil || *fus[0].Fixed {
			t.Fatalf("follow-ups %+v %v", fus, err)
		}
	})
}

// TestReopenAlert: the reporter says "not fixed": the case goes back to the same
// department (its queue, with the reopen count), every supervisor whose scope holds the
// case gets an alert and the department's handlers are told; a supervisor of another
// department is not. The reopen window is the city's setting.
func TestReopenAlert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		r := c.report(lampText, "C0104", lat, lng, "")
		code := r.Case.Code
		c.close(code, "C0104")

		// A one-day window: two days after closing the reporter may no longer reopen.
		if _, err := c.svc.SetCitizenSettings(ctx, service.CitizenSettings{ReopenDays: 1}); err != nil {
			t.Fatal(err)
		}
		c.now = c.now.Add(48 * time.Hour)
		no := false
		if _, err := c.svc.ActAsCitizen(ctx, r.TrackingToken, workflow.Input{Action: gl.ActionReopen, Note: "没修"}); gl.ErrorCode(err) != gl.EINVALIDSTATE {
			t.Fatalf("reopen after the window: %v", err)
		}
		if _, err := c.svc.SetCitizenSettings(ctx, service.CitizenSettings{ReopenDays: 7}); err != nil {
			t.Fatal(err)
		}
		res, err := c.svc.ActAsCitizen(ctx, r.TrackingToken, workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Unsatisfied, Fixed: &no, Note: "晚上还是不亮"})
		if err != nil || res.Case.Status != gl.StatusHandling || res.Case.LeadDeptID() != c.dept["A"] || res.Case.ReopenCount != 1 {
			t.Fatalf("not fixed: %+v %v", res, err)
		}
		// The department's queue has it again.
		list, _, err := c.svc.Cases(ctx, c.users["handler_a"], store.CaseFilter{Statuses: []gl.Status{gl.StatusHandling}})
		if err != nil || len(list) != 1 || list[0].Code != code {
			t.Fatalf("handler_a's handling queue: %v %v", list, err)
		}
		in, err := c.svc.StaffInbox(ctx, c.users["supervisor"], 10)
		if err != nil || in.Unread == 0 || in.Items[0].Template != service.TplReopenAlert || !strings.Contains(in.Items[0].Body, "晚上还是不亮") ||
			in.Items[0].CaseCode != code || in.Items[0].Link != "https://city.example/cases/"+code {
			t.Fatalf("supervisor inbox: %+v %v", in, err)
		}
		if in, _ := c.svc.StaffInbox(ctx, c.users["supervisor_b"], 10); slices.ContainsFunc(in.Items, func(e service.InboxEntry) bool { return e.Template == service.TplReopenAlert }) {
			t.Errorf("supervisor of B alerted: %+v", in.Items)
		}
		hin, err := c.svc.StaffInbox(ctx, c.users["handler_a"], 10)
		if err != nil || hin.Items[0].Template != service.TplCaseReopenedDept {
			t.Fatalf("handler inbox: %+v %v", hin, err)
		}
		if err := c.svc.MarkStaffInboxRead(ctx, c.users["supervisor"], 0); err != nil {
			t.Fatal(err)
		}
		if in, _ := c.svc.StaffInbox(ctx, c.users["supervisor"], 10); in.Unread != 0 || !in.Items[0].Read {
			t.Fatalf("after reading: %+v", in)
		}
		if _, err := c.svc.SetCitizenSettings(ctx, service.CitizenSettings{Unanswered: "maybe"}); gl.ErrorCode(err) != gl.EINVALID {
			t.Fatalf("bad setting: %v", err)
		}
	})
}

// TestFollowUpCounting: a follow-up unanswered after the waiting period is counted as
// the city's policy says, with a follow_up event carrying the answer it stands for; an
// answered one is left alone.
func TestFollowUpCounting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		if _, err := c.svc.SetCitizenSettings(ctx, service.CitizenSettings{FollowUpDays: 3, Unanswered: workflow.CountedSatisfied}); err != nil {
			t.Fatal(err)
		}
		silent := c.report(lampText, "C0104", lat, lng, "")
		answered := c.report("人行道地砖松动", "C0205", lat, lng+0.01, "")
		for _, r := range []*service.ReportResult{silent, answered} {
			c.close(r.Case.Code, r.Case.CategoryCode)
		}
		yes := true
		if _, err := c.svc.ActAsReporter(ctx, answered.TrackingToken, workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Basic, Fixed: &yes}); err != nil {
			t.Fatal(err)
		}
		if n, err := c.svc.CountUnansweredFollowUps(ctx); err != nil || n != 0 {
			t.Fatalf("too early: %d %v", n, err)
		}
		c.now = c.now.Add(4 * 24 * time.Hour)
		if n, err := c.svc.CountUnansweredFollowUps(ctx); err != nil || n != 1 {
			t.Fatalf("counted %d: %v", n, err)
		}
		evs, err := c.svc.CaseEvents(ctx, c.users["supervisor"], silent.Case.Code)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		var d map[string]any
		json.Unmarshal(last.Data, &d)
		if last.Action != gl.ActionFollowUp || last.Role != gl.RoleSystem || d["counted_as"] != "satisfied" || d["satisfaction"] != "satisfied" || d["fixed"] != true || d["answered"] != false {
			t.Fatalf("follow_up event %+v %s", last, last.Data)
		}
		fus, _ := c.svc.FollowUps(ctx, c.users["supervisor"], silent.Case.Code)
		if len(fus) != 1 || fus[0].CountedAs != "satisfied" || fus[0].EventID != last.ID || fus[0].AnsweredAt != nil {
			t.Fatalf("follow-up %+v", fus)
		}
		fus, _ = c.svc.FollowUps(ctx, c.users["supervisor"], answered.Case.Code)
		if len(fus) != 1 || fus[0].CountedAs != store.FollowUpAnswered || fus[0].Answer != "basic" {
			t.Fatalf("answered follow-up %+v", fus)
		}
		// The round is over: the reporter can no longer rate, but may still reopen.
		v, err := c.svc.TrackCitizen(ctx, silent.TrackingToken)
		if err != nil || slices.Contains(v.Tracking.Actions, gl.ActionRate) || !slices.Contains(v.Tracking.Actions, gl.ActionReopen) {
			t.Fatalf("after counting: %+v %v", v.Tracking.Actions, err)
		}
		if n, err := c.svc.CountUnansweredFollowUps(ctx); err != nil || n != 0 {
			t.Fatalf("counted twice: %d %v", n, err)
		}
	})
}

// recorder is a channel that keeps what it is asked to send, failing as told.
type recorder struct {
	name string
	mu   sync.Mutex
	sent []notify.Message
	fail func(m notify.Message) error
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Send(_ context.Context, m notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

// TestNotifySender: the sender hands each logged message to its channel once, retries
// a temporary failure later, gives up on a permanent one, and records every outcome.
func TestNotifySender(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		r := c.report(lampText, "C0104", lat, lng, "13812345678")
		if _, err := c.svc.Follow(ctx, r.Case.Code, service.FollowInput{Email: "li@example.com"}, ""); err != nil {
			t.Fatal(err)
		}
		c.act("shift_lead", r.Case.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		tries := 0
		sms := &recorder{name: notify.SMS, fail: func(notify.Message) error {
			if tries++; tries == 1 {
				return errors.New("gateway busy")
			}
			return nil
		}}
		email := &recorder{name: notify.Email, fail: func(notify.Message) error { return notify.Permanent(errors.New("550 no such user")) }}
		inapp := &recorder{name: notify.InApp}
		j := &jobs.NotifySender{Svc: c.svc, Channels: notify.Channels{}.Add(sms).Add(email).Add(inapp), Backoff: time.Minute}
		if _, err := j.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		// register told the reporter: in-app sent, the text failed once.
		if len(inapp.sent) != 1 || inapp.sent[0].To != "reporter:"+itoa(r.Case.ID) || len(sms.sent) != 0 {
			t.Fatalf("first round: inapp %+v sms %+v", inapp.sent, sms.sent)
		}
		if n, _ := j.RunOnce(ctx); n != 0 {
			t.Fatalf("the failed text was retried at once")
		}
		c.now = c.now.Add(2 * time.Minute)
		if _, err := j.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if len(sms.sent) != 1 || sms.sent[0].To != "13812345678" || sms.sent[0].Template != service.TplCaseRegistered {
			t.Fatalf("retry: %+v", sms.sent)
		}
		log := c.log(r.Case.Code)
		for _, n := range log {
			if n.Channel == notify.SMS && (n.Status != store.NotifySent || n.Attempts != 2 || n.Error != "" || n.SentAt == nil) {
				t.Errorf("sms row %+v", n)
			}
		}
		// An email to the follower fails for good on the department's reply.
		c.act("dispatcher", r.Case.Code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		c.act("handler_a", r.Case.Code, workflow.Input{Action: gl.ActionSign})
		c.act("handler_a", r.Case.Code, workflow.Input{Action: gl.ActionFeedback, Note: "已修复"})
		if _, err := j.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		failed, _, err := c.svc.NotificationLog(ctx, store.NotificationFilter{Status: store.NotifyFailed}, "")
		if err != nil || len(failed) != 1 || failed[0].Channel != notify.Email || !strings.Contains(failed[0].Error, "550") || failed[0].Recipient == "li@example.com" {
			t.Fatalf("failed: %+v %v", failed, err)
		}
		pending, _, _ := c.svc.NotificationLog(ctx, store.NotificationFilter{Status: store.NotifyPending}, "")
		if len(pending) != 0 {
			t.Fatalf("still pending: %+v", pending)
		}
		// A text that could not go out for a day is not sent any more; in-app messages are.
		yes := true
		c.act("operator", r.Case.Code, workflow.Input{Action: gl.ActionSendCheck})
		c.act("grid_member", r.Case.Code, workflow.Input{Action: gl.ActionCheck, Passed: &yes})
		c.act("shift_lead", r.Case.Code, workflow.Input{Action: gl.ActionClose})
		c.now = c.now.Add(25 * time.Hour)
		sent := len(sms.sent)
		if _, err := j.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		if len(sms.sent) != sent {
			t.Fatalf("an expired text was sent: %+v", sms.sent[sent:])
		}
		for _, n := range c.log(r.Case.Code) {
			if n.Template != service.TplCaseClosed {
				continue
			}
			if n.Channel == notify.SMS && (n.Status != store.NotifyFailed || !strings.Contains(n.Error, "expired")) {
				t.Errorf("expired text: %+v", n)
			}
			if n.Channel == notify.InApp && n.Status != store.NotifySent {
				t.Errorf("in-app message: %+v", n)
			}
		}
	})
}

// TestTrackingDue: the reporter sees the handling deadline (办理时限) while a department
// works on the case, and not before it is dispatched or once it is handled.
func TestTrackingDue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		r := c.report("曙光路路灯不亮", "C0104", lat, lng, "")
		code := r.Case.Code
		for _, step := range []struct {
			user    string
			in      workflow.Input
			wantDue bool
		}{
			{"", workflow.Input{}, false}, // reported
			{"shift_lead", workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"}, false},
			{"dispatcher", workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]}, true},
			{"handler_a", workflow.Input{Action: gl.ActionSign}, true},
			{"handler_a", workflow.Input{Action: gl.ActionFeedback, Note: "已更换灯泡"}, false},
		} {
			if step.user != "" {
				c.act(step.user, code, step.in)
			}
			v, err := c.svc.TrackCitizen(ctx, r.TrackingToken)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := c.svc.Case(ctx, c.users["operator"], code)
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if step.wantDue {
				want = cs.Due.In(c.svc.Calendar().Location()).Format("2006-01-02 15:04")
			}
			if v.Tracking.Due != want {
				t.Errorf("%s: due %q, want %q", cs.Status, v.Tracking.Due, want)
			}
		}
	})
}

// TestFollowCall: an operator records a repeat call on any open case they may read,
// of a private category too, which a citizen cannot follow; the caller follows it, a
// retry with the same key records it once, and a closed case refuses it.
func TestFollowCall(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		private := c.report("危房，墙体开裂", "C0501", lat, lng, "")
		code := private.Case.Code
		if _, err := c.svc.Follow(ctx, code, service.FollowInput{Phone: "13700001111"}, ""); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Fatalf("a citizen follows a private case: %v", err)
		}
		for range 2 {
			res, err := c.svc.FollowCall(ctx, c.users["operator"], code, service.FollowInput{Phone: "13700001111"}, "call-7")
			if err != nil || res.Code != code || res.Interest != 1 || res.TrackingToken == "" {
				t.Fatalf("repeat call: %+v %v", res, err)
			}
		}
		var fs []store.Follower
		err := c.svc.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			fs, err = tx.Followers(ctx, private.Case.ID)
			return err
		})
		if err != nil || len(fs) != 1 || fs[0].Phone != "13700001111" {
			t.Errorf("followers %+v %v", fs, err)
		}
		if _, err := c.svc.FollowCall(ctx, c.users["operator"], code, service.FollowInput{Phone: "12"}, ""); gl.ErrorCode(err) != gl.EINVALID {
			t.Errorf("a bad phone: %v", err)
		}
		closed := c.report("路灯不亮", "C0104", lat, lng, "")
		c.close(closed.Case.Code, "C0104")
		if _, err := c.svc.FollowCall(ctx, c.users["operator"], closed.Case.Code, service.FollowInput{}, ""); gl.ErrorCode(err) != gl.EINVALIDSTATE {
			t.Errorf("a call on a closed case: %v", err)
		}
	})
}

// TestPublicBoardOrder: the board lists the newest report first, whatever happened to
// the cases since: a later action on an older case does not bring it back to the top.
func TestPublicBoardOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		older := c.report("路灯不亮", "C0104", lat, lng, "")
		c.now = c.now.Add(time.Hour)
		newer := c.report("井盖缺失", "C0104", lat, lng, "")
		c.act("shift_lead", newer.Case.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("shift_lead", older.Case.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", older.Case.Code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		list, total, err := c.svc.PublicCases(ctx, service.PublicQuery{})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("board: %d %+v %v", total, list, err)
		}
		if list[0].Code != newer.Case.Code || list[1].Code != older.Case.Code {
			t.Errorf("board order %s, %s; want the newer report %s first", list[0].Code, list[1].Code, newer.Case.Code)
		}
	})
}

// TestLatestReply: the board's list shows the department's last answer, not the
// closing note or a reopening after it, and nothing before the first answer.
func TestLatestReply(t *testing.T) {
	reply := func(a gl.Action, note string) service.PublicReply { return service.PublicReply{Action: a, Note: note} }
	for _, tc := range []struct {
		name    string
		replies []service.PublicReply
		want    string // "" for none
	}{
		{"none", nil, ""},
		{"closed without an answer", []service.PublicReply{reply(gl.ActionClose, "结案")}, ""},
		{"one answer, then closed", []service.PublicReply{reply(gl.ActionFeedback, "已修复"), reply(gl.ActionClose, "结案")}, "已修复"},
		{"reworked", []service.PublicReply{reply(gl.ActionFeedback, "已修复"), reply(gl.ActionFeedback, "返工后已修复")}, "返工后已修复"},
		{"reopened after the answer", []service.PublicReply{reply(gl.ActionFeedback, "已修复"), reply(gl.ActionClose, ""), reply(gl.ActionReopen, "未解决")}, "已修复"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := service.PublicCase{Replies: tc.replies}.LatestReply()
			if (got == nil) != (tc.want == "") || got != nil && got.Note != tc.want {
				t.Errorf("LatestReply = %+v, want %q", got, tc.want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestPublicBoard: the board shows accepted cases of public categories with personal
// data masked and the departments' replies; the statistics come from the rollups.
func TestPublicBoard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		r := c.report("王小明反映：曙光路路灯不亮，电话13812345678，身份证330106199001011234", "C0104", lat, lng, "13812345678")
		c.report("还没受理的问题", "C0104", lat, lng, "")
		private := c.report("危房", "C0501", lat, lng, "")
		c.act("shift_lead", private.Case.Code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0501"})
		c.close(r.Case.Code, "C0104")
		yes := true
		if _, err := c.svc.ActAsReporter(ctx, r.TrackingToken, workflow.Input{Action: gl.ActionRate, Satisfaction: gl.Satisfied, Fixed: &yes}); err != nil {
			t.Fatal(err)
		}
		list, total, err := c.svc.PublicCases(ctx, service.PublicQuery{})
		if err != nil || total != 1 || len(list) != 1 {
			t.Fatalf("board: %d %+v %v", total, list, err)
		}
		pc := list[0]
		for _, leak := range []string{"13812345678", "王小明", "330106199001011234"} {
			if strings.Contains(pc.Description, leak) {
				t.Errorf("board shows %q: %s", leak, pc.Description)
			}
		}
		if pc.Dept != "部门A" || pc.Status != gl.StatusClosed || len(pc.Replies) != 2 || pc.Replies[0].Note != "已更换灯泡，恢复照明" || pc.Replies[0].Dept != "部门A" {
			t.Errorf("board case %+v", pc)
		}
		if r := pc.LatestReply(); r == nil || r.Note != "已更换灯泡，恢复照明" {
			t.Errorf("latest reply %+v", r)
		}
		if _, err := c.svc.PublicCaseByCode(ctx, private.Case.Code); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Errorf("private case on the board: %v", err)
		}
		if open, n, _ := c.svc.PublicCases(ctx, service.PublicQuery{State: "open"}); n != 0 || len(open) != 0 {
			t.Errorf("open cases: %+v", open)
		}
		st, err := c.svc.PublicStats(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if st.City.Handled != 1 || st.City.Rated != 1 || st.City.ResolutionRate == nil || *st.City.ResolutionRate != 1 || len(st.Departments) != 1 || st.Departments[0].Name != "部门A" {
			t.Fatalf("stats %+v", st)
		}
	})
}

// TestSignClearsReminder: signing a case marks read the "please sign" messages it
// answered, for the signing department's handlers only; a handler over a co-handler
// still to sign keeps theirs until that one signs too, and other messages stay unread.
func TestSignClearsReminder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		both := &gl.User{Name: "handler_ab", DisplayName: "handler_ab", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{c.dept["A"], c.dept["B"]}}
		if err := c.svc.AddUser(ctx, both, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		c.users["handler_ab"] = c.svc.NewPrincipal(both)
		unread := func(user string) map[string]int {
			t.Helper()
			in, err := c.svc.StaffInbox(ctx, c.users[user], 50)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, e := range in.Items {
				if !e.Read {
					out[e.CaseCode+" "+e.Template]++
				}
			}
			return out
		}
		code := c.report(lampText, "C0104", lat, lng, "").Case.Code
		other := c.report("垃圾桶满溢", "C0104", lat, lng, "").Case.Code
		c.act("shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"], CoDeptIDs: []int64{c.dept["B"]}})
		c.act("shift_lead", other, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", other, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		reminder := code + " " + service.TplDispatched
		for _, u := range []string{"handler_a", "handler_b"} {
			if got := unread(u); got[reminder] != 1 {
				t.Fatalf("%s before signing: %v", u, got)
			}
		}
		if got := unread("handler_ab"); got[reminder] != 2 {
			t.Fatalf("handler_ab before signing: %v", got)
		}

		c.act("handler_a", code, workflow.Input{Action: gl.ActionSign})
		if got := unread("handler_a"); got[reminder] != 0 || got[other+" "+service.TplDispatched] != 1 {
			t.Errorf("handler_a after A signed: %v", got)
		}
		if got := unread("handler_b"); got[reminder] != 1 {
			t.Errorf("handler_b after A signed: %v", got)
		}
		if got := unread("handler_ab"); got[reminder] != 2 {
			t.Errorf("handler_ab after A signed, B still to sign: %v", got)
		}

		c.act("handler_b", code, workflow.Input{Action: gl.ActionSign})
		for _, u := range []string{"handler_a", "handler_b", "handler_ab"} {
			if got := unread(u); got[reminder] != 0 {
				t.Errorf("%s after both signed: %v", u, got)
			}
		}
		if got := unread("handler_ab"); got[other+" "+service.TplDispatched] != 1 {
			t.Errorf("handler_ab lost the other case's reminder: %v", got)
		}
	})
}

// TestRequestMessages: a department's request (extension, suspension, return) tells the
// dispatchers in scope, with the reason; the decision tells the department's handlers
// (an extension with the new deadline, a refusal with its reason) and marks the
// dispatchers' request message read.
func TestRequestMessages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		ctx := context.Background()
		c := newCitizenCity(t, b)
		inbox := func(user string) []service.InboxEntry {
			t.Helper()
			in, err := c.svc.StaffInbox(ctx, c.users[user], 50)
			if err != nil {
				t.Fatal(err)
			}
			return in.Items
		}
		find := func(items []service.InboxEntry, tpl, code string) *service.InboxEntry {
			for i := range items {
				if items[i].Template == tpl && items[i].CaseCode == code {
					return &items[i]
				}
			}
			return nil
		}
		code := c.report(lampText, "C0104", lat, lng, "").Case.Code
		c.act("shift_lead", code, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", code, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		signed := c.act("handler_a", code, workflow.Input{Action: gl.ActionSign})
		unit := worktime.Day
		if signed.Case.DueWorking {
			unit = worktime.WorkDay
		}
		c.act("handler_a", code, workflow.Input{Action: gl.ActionRequestExtension, Note: "需协调供电公司停电检修", Limit: &worktime.Limit{Value: 2, Unit: unit}})
		req := find(inbox("dispatcher"), service.TplRequest, code)
		if req == nil || req.Read || !strings.Contains(req.Body, "需协调供电公司停电检修") || !strings.Contains(req.Body, "部门A申请延期（延长 2 ") ||
			req.Subject != "待审批：延期申请" || req.Link != "https://city.example/cases/"+code {
			t.Fatalf("dispatcher's request message: %+v", req)
		}
		if find(inbox("handler_b"), service.TplRequest, code) != nil || find(inbox("supervisor"), service.TplRequest, code) != nil {
			t.Error("the request went beyond the dispatchers")
		}
		approved := c.act("dispatcher", code, workflow.Input{Action: gl.ActionApprove})
		if req := find(inbox("dispatcher"), service.TplRequest, code); req == nil || !req.Read {
			t.Errorf("the request message stays unread after the approval: %+v", req)
		}
		due := approved.Case.Due.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
		if got := find(inbox("handler_a"), service.TplRequestDecided, code); got == nil || got.Read ||
			got.Subject != "延期申请已批准" || !strings.Contains(got.Body, "处置时限延至 "+due) {
			t.Fatalf("handler_a's answer: %+v (due %s)", got, due)
		}
		if find(inbox("handler_b"), service.TplRequestDecided, code) != nil {
			t.Error("handler_b was told of A's extension")
		}
		told := false
		for _, n := range c.log(code) {
			if n.Template == service.TplDeadlineExtended && n.RecipientKind == store.RecipientReporter {
				told = true
				if !strings.Contains(n.Body, "办理时限延长至 "+due) || strings.Contains(n.Body, "供电公司") {
					t.Errorf("the reporter's message: %q", n.Body)
				}
			}
		}
		if !told {
			t.Errorf("the reporter was not told of the new deadline: %+v", c.log(code))
		}

		c.act("handler_a", code, workflow.Input{Action: gl.ActionRequestSuspension, Note: "涉及产权纠纷"})
		c.act("dispatcher", code, workflow.Input{Action: gl.ActionDeny, Note: "产权不影响路灯维修。"})
		var denied *service.InboxEntry
		for _, e := range inbox("handler_a") {
			if e.Template == service.TplRequestDecided && e.Subject == "挂账申请未获批准" {
				denied = &e
				break
			}
		}
		if denied == nil || !strings.Contains(denied.Body, "未获批准：产权不影响路灯维修。请继续办理。") {
			t.Fatalf("handler_a's refusal: %+v", inbox("handler_a"))
		}
		// A return, approved: the department is told, and its "please sign" is void.
		wrong := c.report("井盖缺失", "C0104", lat, lng, "").Case.Code
		c.act("shift_lead", wrong, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", wrong, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["B"]})
		if got := find(inbox("handler_b"), service.TplDispatched, wrong); got == nil || got.Read {
			t.Fatalf("handler_b's reminder before the return: %+v", got)
		}
		c.act("handler_b", wrong, workflow.Input{Action: gl.ActionRequestReturn, Note: "不属于本单位职责范围"})
		if got := find(inbox("dispatcher"), service.TplRequest, wrong); got == nil || got.Subject != "待审批：退回申请" {
			t.Fatalf("dispatcher's return request: %+v", got)
		}
		c.act("dispatcher", wrong, workflow.Input{Action: gl.ActionApprove})
		if got := find(inbox("handler_b"), service.TplRequestDecided, wrong); got == nil || got.Subject != "退回申请已批准" {
			t.Errorf("handler_b's answer: %+v", got)
		}
		if got := find(inbox("handler_b"), service.TplDispatched, wrong); got == nil || !got.Read {
			t.Errorf("handler_b's reminder after the return: %+v", got)
		}
		for _, e := range inbox("dispatcher") {
			if e.Template == service.TplRequest && !e.Read {
				t.Errorf("a decided request is still unread: %+v", e)
			}
		}

		// A reason of 5,000 characters is quoted in part: the case page has all of it.
		long := strings.Repeat("长", 5000)
		other := c.report("路灯不亮", "C0104", lat, lng, "").Case.Code
		c.act("shift_lead", other, workflow.Input{Action: gl.ActionRegister, CategoryCode: "C0104"})
		c.act("dispatcher", other, workflow.Input{Action: gl.ActionDispatch, DeptID: c.dept["A"]})
		c.act("handler_a", other, workflow.Input{Action: gl.ActionSign})
		c.act("handler_a", other, workflow.Input{Action: gl.ActionRequestSuspension, Note: long})
		got := find(inbox("dispatcher"), service.TplRequest, other)
		if got == nil {
			t.Fatal("no request message for a long reason")
		}
		if !strings.Contains(got.Body, "「"+strings.Repeat("长", 200)+"…」") || utf8.RuneCountInString(got.Body) > 300 {
			t.Errorf("a long reason in the request message: %d characters", utf8.RuneCountInString(got.Body))
		}
	})
}
