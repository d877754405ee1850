package evaluation

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
)

// t0 is Monday 30 November 2026, 10:00 in Shanghai: day 2026-11-30, week 2026-11-30,
// month 2026-11-01.
var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, shanghaiLoc)

func tp(t time.Time) *time.Time { return &t }

func raw(m map[string]any) json.RawMessage {
	b, _ := json.Marshal(m)
	return b
}

// baseCase is a patrol report by grid worker 101 in community 330106001001, grid …001,
// led by department 10 with co-handler 11, extended once, stage due at t0.
func baseCase(s gl.Status) gl.Case {
	return gl.Case{ID: 7, Status: s, Channel: gl.ChannelPatrol, ReporterID: 101,
		AreaCode: "330106001001", GridCode: "330106001001001", RespGridCode: "330106001001002",
		Assignments: []gl.Assignment{
			{DeptID: 10, Lead: true, State: gl.AssignmentSigned},
			{DeptID: 11, State: gl.AssignmentSigned},
		},
		ExtensionCount: 1, StageDue: tp(t0)}
}

func ev(action gl.Action, role gl.Role, actor int64, from, to gl.Status, dept int64, data map[string]any) gl.Event {
	e := gl.Event{CaseID: 7, Action: action, Role: role, ActorID: actor, From: from, To: to, DeptID: dept, At: t0}
	if data != nil {
		e.Data = raw(data)
	}
	return e
}

func TestDeltasByAction(t *testing.T) {
	late := t0.Add(time.Minute)
	lateEv := func(e gl.Event) gl.Event { e.At = late; return e }
	citizen := baseCase(gl.StatusReported)
	citizen.Channel, citizen.ReporterID = gl.ChannelWeb, 0
	noExt := baseCase(gl.StatusHandling)
	noExt.ExtensionCount = 0
	noStage := baseCase(gl.StatusChecked)
	noStage.StageDue = nil

	S, R, D, H := gl.StatusReported, gl.StatusRegistered, gl.StatusDispatched, gl.StatusHandling
	tests := []struct {
		name       string
		before     gl.Case
		ev         gl.Event
		want       Counters // nil map when zero
		dept       string   // the department bucket, "" for none
		gridMember string   // the grid worker bucket, "" for none
	}{
		{"report/patrol", baseCase(S), ev(gl.ActionReport, gl.RoleGridMember, 101, "", S, 0, map[string]any{"channel": "patrol"}),
			Counters{Reported: 1}, "", "101"},
		{"report/citizen", citizen, ev(gl.ActionReport, gl.RoleCitizen, 0, "", S, 0, map[string]any{"channel": "web"}),
			Counters{Reported: 1}, "", ""},
		{"send_verify", baseCase(S), ev(gl.ActionSendVerify, gl.RoleOperator, 201, S, gl.StatusVerifying, 0, nil),
			Counters{}, "", ""},
		{"verify/on time", baseCase(gl.StatusVerifying), ev(gl.ActionVerify, gl.RoleGridMember, 102, gl.StatusVerifying, S, 0, map[string]any{"valid": true}),
			Counters{VerifyTasks: 1, VerifiedOnTime: 1}, "", "102"},
		{"verify/late", baseCase(gl.StatusVerifying), lateEv(ev(gl.ActionVerify, gl.RoleGridMember, 102, gl.StatusVerifying, S, 0, map[string]any{"valid": false})),
			Counters{VerifyTasks: 1}, "", "102"},
		{"register/patrol", baseCase(S), ev(gl.ActionRegister, gl.RoleShiftLead, 301, S, R, 0, map[string]any{"category_code": "0101", "urgent": false}),
			Counters{Registered: 1, RegisteredOnTime: 1, Patrol: 1, PatrolValid: 1}, "", "101"},
		{"register/citizen late", citizen, lateEv(ev(gl.ActionRegister, gl.RoleShiftLead, 301, S, R, 0, nil)),
			Counters{Registered: 1}, "", ""},
		{"reject/patrol", baseCase(S), ev(gl.ActionReject, gl.RoleShiftLead, 301, S, gl.StatusRejected, 0, nil),
			Counters{Rejected: 1, Patrol: 1}, "", "101"},
		{"merge/patrol", baseCase(gl.StatusVerifying), ev(gl.ActionMerge, gl.RoleOperator, 201, gl.StatusVerifying, gl.StatusMerged, 0, map[string]any{"parent_code": "x"}),
			Counters{Merged: 1, Patrol: 1}, "", "101"},
		{"withdraw", citizen, ev(gl.ActionWithdraw, gl.RoleCitizen, 0, S, gl.StatusWithdrawn, 0, nil),
			Counters{Withdrawn: 1}, "", ""},
		{"dispatch/overrode", baseCase(R), ev(gl.ActionDispatch, gl.RoleDispatcher, 401, R, D, 20, map[string]any{"dept_id": 20, "overrode_dept_id": 10}),
			Counters{Dispatched: 1, DispatchedOnTime: 1, Overrode: 1}, "20", ""},
		{"dispatch/late", baseCase(R), lateEv(ev(gl.ActionDispatch, gl.RoleDispatcher, 401, R, D, 10, map[string]any{"dept_id": 10})),
			Counters{Dispatched: 1}, "10", ""},
		{"sign/lead on time", baseCase(D), ev(gl.ActionSign, gl.RoleHandler, 510, D, H, 10, map[string]any{"dept_id": 10, "lead": true, "late": false}),
			Counters{Signed: 1, SignedOnTime: 1, Accepted: 1, Responded: 1}, "10", ""},
		{"sign/lead late", baseCase(D), ev(gl.ActionSign, gl.RoleHandler, 510, D, H, 10, map[string]any{"dept_id": 10, "lead": true, "late": true}),
			Counters{Signed: 1, Accepted: 1}, "10", ""},
		{"sign/co-handler", baseCase(H), ev(gl.ActionSign, gl.RoleHandler, 511, H, H, 11, map[string]any{"dept_id": 11, "lead": false, "late": false}),
			Counters{Signed: 1, SignedOnTime: 1}, "11", ""},
		{"sub_dispatch", baseCase(H), ev(gl.ActionSubDispatch, gl.RoleHandler, 510, H, D, 12, map[string]any{"from_dept_id": 10, "dept_id": 12}),
			Counters{}, "", ""},
		{"feedback/lead, co still working", baseCase(H), ev(gl.ActionFeedback, gl.RoleHandler, 510, H, H, 10, map[string]any{"dept_id": 10, "lead": true, "waiting": 1, "on_time": true}),
			Counters{}, "", ""},
		{"feedback/co completes on time, extended", baseCase(H), ev(gl.ActionFeedback, gl.RoleHandler, 511, H, gl.StatusHandled, 11, map[string]any{"dept_id": 11, "lead": false, "waiting": 0, "on_time": true}),
			Counters{ShouldHandle: 1, Handled: 1, HandledOnTime: 1, Extended: 1}, "10", ""},
		{"feedback/completes late", noExt, ev(gl.ActionFeedback, gl.RoleHandler, 510, H, gl.StatusHandled, 10, map[string]any{"dept_id": 10, "lead": true, "waiting": 0, "on_time": false}),
			Counters{ShouldHandle: 1, Handled: 1}, "10", ""},
		{"send_check", baseCase(gl.StatusHandled), ev(gl.ActionSendCheck, gl.RoleShiftLead, 301, gl.StatusHandled, gl.StatusChecking, 0, nil),
			Counters{}, "", ""},
		{"check/passed", baseCase(gl.StatusChecking), ev(gl.ActionCheck, gl.RoleGridMember, 103, gl.StatusChecking, gl.StatusChecked, 0, map[string]any{"passed": true}),
			Counters{CheckTasks: 1, CheckedOnTime: 1}, "10", "103"},
		{"check/rework late", baseCase(gl.StatusChecking), lateEv(ev(gl.ActionCheck, gl.RoleGridMember, 103, gl.StatusChecking, H, 0, map[string]any{"passed": false, "rework": 1})),
			Counters{CheckTasks: 1, Rework: 1}, "10", "103"},
		{"close/on time", baseCase(gl.StatusChecked), ev(gl.ActionClose, gl.RoleShiftLead, 301, gl.StatusChecked, gl.StatusClosed, 0, map[string]any{"on_time": true}),
			Counters{ShouldClose: 1, Closed: 1, ClosedOnTime: 1, ClosedPromptly: 1}, "10", ""},
		{"close/late, no stage limit", noStage, lateEv(ev(gl.ActionClose, gl.RoleShiftLead, 301, gl.StatusChecked, gl.StatusClosed, 0, map[string]any{"on_time": false})),
			Counters{ShouldClose: 1, Closed: 1, ClosedPromptly: 1}, "10", ""},
		{"rate/satisfied, fixed", baseCase(gl.StatusClosed), ev(gl.ActionRate, gl.RoleCitizen, 0, gl.StatusClosed, gl.StatusClosed, 0, map[string]any{"satisfaction": "satisfied", "fixed": true}),
			Counters{Rated: 1, Resolved: 1, Satisfied: 1}, "10", ""},
		{"rate/basic, not fixed: reopens", baseCase(gl.StatusClosed), ev(gl.ActionRate, gl.RoleCitizen, 0, gl.StatusClosed, H, 0, map[string]any{"satisfaction": "basic", "fixed": false, "reopened": true, "reopen": 1}),
			Counters{Rated: 1, Basic: 1, Reopened: 1}, "10", ""},
		{"follow_up/counted satisfied", baseCase(gl.StatusClosed), ev(gl.ActionFollowUp, gl.RoleSystem, 0, gl.StatusClosed, gl.StatusClosed, 0, map[string]any{"answered": false, "counted_as": "satisfied", "satisfaction": "satisfied", "fixed": true}),
			Counters{Rated: 1, Resolved: 1, Satisfied: 1}, "10", ""},
		{"follow_up/counted unsatisfied", baseCase(gl.StatusClosed), ev(gl.ActionFollowUp, gl.RoleSystem, 0, gl.StatusClosed, gl.StatusClosed, 0, map[string]any{"answered": false, "counted_as": "unsatisfied", "satisfaction": "unsatisfied", "fixed": false}),
			Counters{Rated: 1}, "10", ""},
		{"follow_up/excluded", baseCase(gl.StatusClosed), ev(gl.ActionFollowUp, gl.RoleSystem, 0, gl.StatusClosed, gl.StatusClosed, 0, map[string]any{"answered": false, "counted_as": "excluded"}),
			Counters{}, "", ""},
		{"rate/unsatisfied", baseCase(gl.StatusClosed), ev(gl.ActionRate, gl.RoleCitizen, 0, gl.StatusClosed, gl.StatusClosed, 0, map[string]any{"satisfaction": "unsatisfied", "fixed": true}),
			Counters{Rated: 1, Resolved: 1}, "10", ""},
		{"reopen", baseCase(gl.StatusClosed), ev(gl.ActionReopen, gl.RoleSupervisor, 601, gl.StatusClosed, H, 0, map[string]any{"reopen": 1}),
			Counters{Reopened: 1}, "10", ""},
		{"request_return", baseCase(H), ev(gl.ActionRequestReturn, gl.RoleHandler, 510, H, H, 10, map[string]any{"kind": "return"}),
			Counters{}, "", ""},
		{"request_extension", baseCase(H), ev(gl.ActionRequestExtension, gl.RoleHandler, 510, H, H, 10, map[string]any{"kind": "extension", "limit": map[string]any{"value": 4, "unit": "work_hour"}}),
			Counters{}, "", ""},
		{"request_suspension", baseCase(H), ev(gl.ActionRequestSuspension, gl.RoleHandler, 510, H, H, 10, map[string]any{"kind": "suspension"}),
			Counters{}, "", ""},
		{"approve/return", baseCase(H), ev(gl.ActionApprove, gl.RoleDispatcher, 401, H, R, 10, map[string]any{"kind": "return", "approved": true}),
			Counters{Returned: 1}, "10", ""},
		{"approve/extension", baseCase(H), ev(gl.ActionApprove, gl.RoleDispatcher, 401, H, H, 10, map[string]any{"kind": "extension", "approved": true}),
			Counters{Extensions: 1}, "10", ""},
		{"approve/suspension", baseCase(H), ev(gl.ActionApprove, gl.RoleDispatcher, 401, H, gl.StatusSuspended, 10, map[string]any{"kind": "suspension", "approved": true}),
			Counters{Suspended: 1}, "10", ""},
		{"deny", baseCase(H), ev(gl.ActionDeny, gl.RoleDispatcher, 401, H, H, 10, map[string]any{"kind": "return", "approved": false}),
			Counters{}, "", ""},
		{"resume", baseCase(gl.StatusSuspended), ev(gl.ActionResume, gl.RoleDispatcher, 401, gl.StatusSuspended, H, 0, nil),
			Counters{}, "", ""},
		{"comment", baseCase(H), ev(gl.ActionComment, gl.RoleOperator, 201, H, H, 0, nil), Counters{}, "", ""},
		{"supplement", baseCase(H), ev(gl.ActionSupplement, gl.RoleCitizen, 0, H, H, 0, nil), Counters{}, "", ""},
		{"urge", baseCase(H), ev(gl.ActionUrge, gl.RoleSupervisor, 601, H, H, 0, map[string]any{"urge": 1}),
			Counters{Urged: 1}, "10", ""},
		{"flag_overdue/handling, extended", baseCase(H), ev(gl.ActionFlagOverdue, gl.RoleSystem, 0, H, H, 10, nil),
			Counters{Overdue: 1, ShouldHandle: 1, ShouldClose: 1, Extended: 1}, "10", ""},
		{"flag_overdue/not signed", baseCase(D), ev(gl.ActionFlagOverdue, gl.RoleSystem, 0, D, D, 10, nil),
			Counters{Overdue: 1, ShouldHandle: 1, ShouldClose: 1, Extended: 1, Unresponded: 1}, "10", ""},
	}
	covered := map[gl.Action]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			covered[tt.ev.Action] = true
			got := Deltas(&tt.before, tt.ev, shanghaiLoc)
			if tt.want.IsZero() {
				if got != nil {
					t.Fatalf("want no deltas, got %v", got)
				}
				return
			}
			want := expectedKeys(tt.before, tt.ev, tt.dept, tt.gridMember)
			if len(got) != len(want) {
				t.Errorf("%d buckets, want %d:\n got %v\nwant %v", len(got), len(want), keysOf(got), want)
			}
			for _, k := range want {
				c, ok := got[k]
				if !ok {
					t.Errorf("missing bucket %v", k)
				} else if c != tt.want {
					t.Errorf("%v: %s, want %s", k, diff(c, tt.want), diff(tt.want, c))
				}
			}
		})
	}
	for _, a := range append([]gl.Action{gl.ActionReport}, gl.Actions...) {
		if !covered[a] {
			t.Errorf("no table test for action %s", a)
		}
	}
}

// expectedKeys are the buckets of an event of baseCase at t0.
func expectedKeys(c gl.Case, e gl.Event, dept, gridMember string) []Key {
	ids := [][2]string{{"city", CityID}, {"area", "330106"}, {"area", "330106001"}, {"area", "330106001001"},
		{"grid", c.GridCode}, {"resp_grid", c.RespGridCode}, {"role", string(e.Role)}}
	if dept != "" {
		ids = append(ids, [2]string{"department", dept})
	}
	if e.Role.IsStaff() && e.ActorID != 0 {
		ids = append(ids, [2]string{"user", itoa(e.ActorID)})
	}
	if gridMember != "" {
		ids = append(ids, [2]string{"grid_member", gridMember})
	}
	var keys []Key
	for _, id := range ids {
		for p, start := range map[Period]string{Day: "2026-11-30", Week: "2026-11-30", Month: "2026-11-01"} {
			keys = append(keys, Key{Dim: Dimension(id[0]), ID: id[1], Period: p, Start: start})
		}
	}
	return keys
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func keysOf(m map[Key]Counters) []Key {
	keys := make([]Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int {
		return compareStrings(a.Start+string(a.Dim)+a.ID+string(a.Period), b.Start+string(b.Dim)+b.ID+string(b.Period))
	})
	return keys
}

func TestDeltasReportWithoutCase(t *testing.T) {
	e := ev(gl.ActionReport, gl.RoleOperator, 101, "", gl.StatusReported, 0,
		map[string]any{"channel": "patrol", "area_code": "330106001001", "grid_code": "330106001001001"})
	got := Deltas(nil, e, shanghaiLoc)
	for _, k := range []Key{
		{DimArea, "330106001", Month, "2026-11-01"},
		{DimGrid, "330106001001001", Day, "2026-11-30"},
		{DimGridMember, "101", Week, "2026-11-30"}, // patrol: the reporter, whatever role was recorded
		{DimUser, "101", Week, "2026-11-30"},
		{DimRole, "operator", Week, "2026-11-30"},
	} {
		if got[k].Reported != 1 {
			t.Errorf("%v: reported %d", k, got[k].Reported)
		}
	}
	if _, ok := got[Key{DimGridMember, "101", Month, "2026-11-01"}]; !ok || len(got) != 8*3 {
		t.Errorf("%d buckets: %v", len(got), keysOf(got))
	}
}

func TestDeltasUnplacedCase(t *testing.T) {
	c := baseCase(gl.StatusChecked)
	c.AreaCode, c.GridCode, c.RespGridCode = "330105", "", ""
	got := Deltas(&c, ev(gl.ActionClose, gl.RoleShiftLead, 301, gl.StatusChecked, gl.StatusClosed, 0, map[string]any{"on_time": true}), shanghaiLoc)
	var dims []string
	for k := range got {
		if k.Period == Month {
			dims = append(dims, string(k.Dim)+":"+k.ID)
		}
	}
	slices.Sort(dims)
	want := []string{"area:330105", "city:all", "department:10", "role:shift_lead", "user:301"}
	if !slices.Equal(dims, want) {
		t.Errorf("buckets %v, want %v", dims, want)
	}
}

func TestPeriods(t *testing.T) {
	for _, tt := range []struct {
		at               time.Time
		day, week, month string
	}{
		{time.Date(2026, 10, 31, 16, 10, 0, 0, time.UTC), "2026-11-01", "2026-10-26", "2026-11-01"}, // Sunday 00:10 in Shanghai
		{time.Date(2026, 12, 31, 23, 59, 0, 0, shanghaiLoc), "2026-12-31", "2026-12-28", "2026-12-01"},
		{time.Date(2027, 1, 3, 12, 0, 0, 0, shanghaiLoc), "2027-01-03", "2026-12-28", "2027-01-01"}, // ISO week 53 of 2026
		{time.Date(2026, 11, 2, 0, 0, 0, 0, shanghaiLoc), "2026-11-02", "2026-11-02", "2026-11-01"},
	} {
		got := periodStarts(tt.at, shanghaiLoc)
		if got != [3]string{tt.day, tt.week, tt.month} {
			t.Errorf("%v: %v", tt.at, got)
		}
		for i, p := range Periods {
			if s := PeriodStart(p, tt.at, nil).Format(dateLayout); s != got[i] {
				t.Errorf("%v %s: PeriodStart %s, periodStarts %s", tt.at, p, s, got[i])
			}
		}
	}
}

func TestCountersAddAndFields(t *testing.T) {
	var a Counters
	fs := a.Fields()
	if len(fs) != len(CounterFields) {
		t.Fatalf("%d fields, %d names", len(fs), len(CounterFields))
	}
	for i, f := range fs {
		*f = int64(i + 1)
	}
	// Fields covers every counter: JSON names match, in order.
	b, _ := json.Marshal(a)
	var m map[string]int64
	_ = json.Unmarshal(b, &m)
	if len(m) != len(CounterFields) {
		t.Fatalf("Counters has %d fields, CounterFields %d", len(m), len(CounterFields))
	}
	for i, name := range CounterFields {
		if m[name] != int64(i+1) {
			t.Errorf("field %s: %d, want %d", name, m[name], i+1)
		}
	}
	// Add adds every counter.
	s := a
	s.Add(a)
	for i, f := range s.Fields() {
		if *f != 2*int64(i+1) {
			t.Errorf("Add: %s = %d", CounterFields[i], *f)
		}
	}
}

func BenchmarkDeltas(b *testing.B) {
	before := baseCase(gl.StatusHandling)
	e := ev(gl.ActionFeedback, gl.RoleHandler, 511, gl.StatusHandling, gl.StatusHandled, 11,
		map[string]any{"dept_id": 11, "lead": false, "waiting": 0, "on_time": true})
	b.ReportAllocs()
	for b.Loop() {
		if len(Deltas(&before, e, shanghaiLoc)) == 0 {
			b.Fatal("no deltas")
		}
	}
}

func BenchmarkRecompute(b *testing.B) {
	g := newGenerator(1)
	var histories [][]gl.Event
	events := 0
	for i := range 200 {
		for _, s := range g.history(int64(i + 1)) {
			if len(histories) <= i {
				histories = append(histories, nil)
			}
			histories[i] = append(histories[i], s.ev)
			events++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Recompute(histories, shanghaiLoc)
	}
	b.ReportMetric(float64(events), "events/op")
}

func TestRecomputePlaceOption(t *testing.T) {
	g := newGenerator(7)
	var withPlace, without [][]gl.Event
	places := map[int64][3]string{}
	for i := range 40 {
		var h, bare []gl.Event
		for _, s := range g.history(int64(i + 1)) {
			h = append(h, s.ev)
			if s.ev.Action == gl.ActionReport {
				places[s.ev.CaseID] = [3]string{s.before.AreaCode, s.before.GridCode, s.before.RespGridCode}
				s.ev.Data = raw(map[string]any{"channel": s.before.Channel}) // what the service records today
			}
			bare = append(bare, s.ev)
		}
		withPlace, without = append(withPlace, h), append(without, bare)
	}
	want := Recompute(withPlace, shanghaiLoc)
	got := RecomputeWith(without, shanghaiLoc, Options{Place: func(id int64) (string, string, string, bool) {
		p, ok := places[id]
		return p[0], p[1], p[2], ok
	}})
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	for k, c := range want {
		if got[k] != c {
			t.Errorf("%v differs", k)
		}
	}
	for k := range Recompute(without, shanghaiLoc) {
		if k.Dim == DimArea || k.Dim == DimGrid || k.Dim == DimRespGrid {
			t.Fatalf("placed bucket %v without a place", k)
		}
	}
}
