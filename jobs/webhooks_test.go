package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/webhook"
	"github.com/gridloop/gridloop/workflow"
)

const secret = "test-secret-0123456789"

// fixture is a small city: a service over a fresh database, staff principals and one
// department.
type fixture struct {
	t     *testing.T
	dsn   string
	svc   *service.Service
	p     map[string]*service.Principal
	dept  int64
	cases []int64
}

func openService(t *testing.T, dsn string) *service.Service {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func newFixture(t *testing.T, b dbtest.Backend) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, dsn: b.DSN, svc: openService(t, b.DSN), p: map[string]*service.Principal{}}
	for _, c := range gl.DefaultCategories() {
		if err := f.svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	d := &gl.Department{Code: "A", Name: "部门A", Kind: gl.DeptBureau}
	if err := f.svc.AddDepartment(ctx, d); err != nil {
		t.Fatal(err)
	}
	f.dept = d.ID
	for _, u := range []struct {
		name string
		role gl.Role
	}{{"operator", gl.RoleOperator}, {"shift_lead", gl.RoleShiftLead}, {"dispatcher", gl.RoleDispatcher}, {"handler", gl.RoleHandler}} {
		user := &gl.User{Name: u.name, Roles: []gl.Role{u.role}}
		if u.role == gl.RoleHandler {
			user.DeptScope = []int64{d.ID}
		}
		if err := f.svc.AddUser(ctx, user, "a-long-test-password"); err != nil {
			t.Fatal(err)
		}
		f.p[u.name] = f.svc.NewPrincipal(user)
	}
	return f
}

// burst reports n cases and takes each through register, dispatch and sign: 4n events.
// With close, each is also fed back, checked and closed.
func (f *fixture) burst(n int, close bool) {
	f.t.Helper()
	ctx := context.Background()
	lat, lng := 30.259, 120.151
	for i := 0; i < n; i++ {
		res, err := f.svc.Report(ctx, f.p["operator"], service.ReportInput{Description: fmt.Sprintf("井盖缺失 %d", i),
			Lat: &lat, Lng: &lng, ReporterName: "王先生", ReporterPhone: "13812345678"}, "")
		if err != nil {
			f.t.Fatal(err)
		}
		f.cases = append(f.cases, res.Case.ID)
		code := res.Case.Code
		steps := []struct {
			who string
			in  workflow.Input
		}{
			{"shift_lead", workflow.Input{Action: gl.ActionRegister, CategoryCode: "E0303"}},
			{"dispatcher", workflow.Input{Action: gl.ActionDispatch, DeptID: f.dept}},
			{"handler", workflow.Input{Action: gl.ActionSign}},
		}
		if close {
			steps = append(steps, []struct {
				who string
				in  workflow.Input
			}{
				{"handler", workflow.Input{Action: gl.ActionFeedback, Note: "已处置"}},
				{"operator", workflow.Input{Action: gl.ActionSendCheck}},
				{"operator", workflow.Input{Action: gl.ActionComment, Note: "内部备注"}},
			}...)
		}
		for _, s := range steps {
			if _, err := f.svc.Act(ctx, f.p[s.who], code, s.in, nil); err != nil {
				f.t.Fatalf("%s: %v", s.in.Action, err)
			}
		}
	}
}

// events returns every event of the fixture's cases: id → action.
func (f *fixture) events() map[int64]string {
	f.t.Helper()
	out := map[int64]string{}
	err := f.svc.DB.View(context.Background(), func(tx *store.Tx) error {
		for _, id := range f.cases {
			evs, err := tx.Events(context.Background(), id)
			if err != nil {
				return err
			}
			for _, e := range evs {
				out[e.ID] = string(e.Action)
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// subscribe adds a subscription to url for events.
func (f *fixture) subscribe(url string, events ...string) int64 {
	f.t.Helper()
	s := secret
	w, err := f.svc.CreateWebhook(context.Background(), nil, service.WebhookInput{URL: &url, Events: events, Secret: &s})
	if err != nil {
		f.t.Fatal(err)
	}
	return w.ID
}

// deliveries returns every delivery of a subscription.
func (f *fixture) deliveries(id int64) []store.Delivery {
	f.t.Helper()
	ds, _, err := f.svc.WebhookDeliveries(context.Background(), id, "", 10000, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return ds
}

// settled reports whether every delivery of the subscription is delivered.
func (f *fixture) settled(id int64) bool {
	for _, d := range f.deliveries(id) {
		if d.State != store.DeliveryDelivered {
			return false
		}
	}
	return true
}

// fast is a delivery job with a short schedule, for tests.
func fast(svc *service.Service, worker string) *jobs.WebhookDelivery {
	return &jobs.WebhookDelivery{Svc: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Worker: worker,
		Interval: 5 * time.Millisecond, Timeout: 5 * time.Second, Backoff: 5 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond, MaxAttempts: 1000, Batch: 8}
}

// run runs the job until the test ends.
func run(t *testing.T, j *jobs.WebhookDelivery) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { j.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver is a webhook endpoint that verifies every delivery and remembers it.
type receiver struct {
	// plan decides the answer to the n-th request (1-based): a status, and how long to
	// wait before giving it.
	plan func(n int, id string) (int, time.Duration)

	mu       sync.Mutex
	n        int
	arrivals map[string]int   // delivery id → requests
	ok       map[string]int   // delivery id → 2xx answers
	event    map[string]int64 // delivery id → event id
	action   map[string]string
	sub      map[string]int64 // delivery id → subscription id
	badSig   []string
	inflight map[string]int
	maxIn    int
	bodies   []string
}

func newReceiver(plan func(n int, id string) (int, time.Duration)) *receiver {
	return &receiver{plan: plan, arrivals: map[string]int{}, ok: map[string]int{}, event: map[string]int64{},
		action: map[string]string{}, sub: map[string]int64{}, inflight: map[string]int{}}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := webhook.VerifyRequest(r, secret, webhook.DefaultTolerance)
	id := r.Header.Get(webhook.HeaderDelivery)
	var p webhook.Payload
	jerr := json.Unmarshal(body, &p)
	rc.mu.Lock()
	rc.n++
	n := rc.n
	if err != nil || jerr != nil || p.ID != id || r.Method != http.MethodPost {
		rc.badSig = append(rc.badSig, fmt.Sprintf("%s: %v %v", id, err, jerr))
	}
	if prev, seen := rc.event[id]; seen && prev != p.Event.ID {
		rc.badSig = append(rc.badSig, fmt.Sprintf("%s: event %d, earlier %d", id, p.Event.ID, prev))
	}
	rc.arrivals[id]++
	rc.event[id], rc.action[id], rc.sub[id] = p.Event.ID, p.Event.Action, p.SubscriptionID
	rc.inflight[id]++
	rc.maxIn = max(rc.maxIn, rc.inflight[id])
	rc.bodies = append(rc.bodies, string(body))
	rc.mu.Unlock()

	status, wait := http.StatusOK, time.Duration(0)
	if rc.plan != nil {
		status, wait = rc.plan(n, id)
	}
	time.Sleep(wait)
	w.WriteHeader(status)

	rc.mu.Lock()
	rc.inflight[id]--
	if status < 300 {
		rc.ok[id]++
	}
	rc.mu.Unlock()
}

// unique returns the distinct delivery ids of subscription sub that were answered 2xx,
// mapped to their event ids, and checks that no event came under two delivery ids.
func (rc *receiver) unique(t *testing.T, sub int64) map[int64]string {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[int64]string{}
	byEvent := map[int64]string{}
	for id, ev := range rc.event {
		if rc.sub[id] != sub {
			continue
		}
		if other, dup := byEvent[ev]; dup && other != id {
			t.Errorf("event %d arrived under two delivery ids, %s and %s: a duplicate beyond at-least-once", ev, other, id)
		}
		byEvent[ev] = id
		if rc.ok[id] > 0 {
			out[ev] = rc.action[id]
		}
	}
	return out
}

func (rc *receiver) count() (requests int, dups int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.arrivals {
		if n > 1 {
			dups += n - 1
		}
	}
	return rc.n, dups
}

func sameEvents(t *testing.T, got, want map[int64]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("receiver has %d distinct events, the log %d", len(got), len(want))
	}
	for id, a := range want {
		if got[id] != a {
			t.Errorf("event %d (%s) not received (got %q)", id, a, got[id])
		}
	}
}

// TestWebhooksAtLeastOnce: a receiver fails the first deliveries (500s, then answers
// too slowly for the sender's timeout) and then succeeds. Every event arrives, every
// signature verifies, and the only duplicates are retries of one delivery id.
func TestWebhooksAtLeastOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		rc := newReceiver(func(n int, _ string) (int, time.Duration) {
			switch {
			case n <= 6:
				return http.StatusInternalServerError, 0
			case n <= 8:
				return http.StatusOK, time.Second // taken, but too late: the sender times out and retries
			case n == 9:
				return http.StatusServiceUnavailable, 0
			}
			return http.StatusOK, 0
		})
		srv := httptest.NewServer(rc)
		defer srv.Close()
		sub := f.subscribe(srv.URL + "/hook")
		j := fast(f.svc, "w1")
		j.Timeout = 300 * time.Millisecond
		run(t, j)
		f.burst(10, false)
		want := f.events()
		if len(want) != 40 {
			t.Fatalf("%d events, want 40", len(want))
		}
		waitFor(t, "every event delivered", func() bool { return len(rc.unique(t, sub)) == len(want) && f.settled(sub) })

		sameEvents(t, rc.unique(t, sub), want)
		requests, dups := rc.count()
		if len(rc.badSig) > 0 {
			t.Fatalf("deliveries that do not verify: %v", rc.badSig)
		}
		if dups < 2 {
			t.Errorf("the timed-out deliveries must arrive again under their id: %d duplicates", dups)
		}
		for _, body := range rc.bodies {
			if strings.Contains(body, "13812345678") || strings.Contains(body, "王先生") || strings.Contains(body, "tracking") {
				t.Fatalf("a delivery leaks personal data: %s", body)
			}
		}
		// The log has every attempt: the 500s, the timeouts and the successes.
		attempts, statuses, timeouts := 0, map[int]int{}, 0
		for _, d := range f.deliveries(sub) {
			if len(d.Log) != d.Attempts || d.Log[len(d.Log)-1].StatusCode != 200 || d.DeliveredAt == nil {
				t.Errorf("delivery %s: attempts %d, log %+v", d.ID, d.Attempts, d.Log)
			}
			for _, a := range d.Log {
				attempts++
				statuses[a.StatusCode]++
				if a.StatusCode == 0 && strings.Contains(a.Error, "deadline") {
					timeouts++
				}
			}
		}
		// (A loaded machine may add timeouts, and a request timed out before it arrived.)
		if attempts < requests || statuses[500] != 6 || statuses[503] != 1 || timeouts < 2 {
			t.Errorf("log: %d attempts for %d requests, statuses %v, %d timeouts", attempts, requests, statuses, timeouts)
		}
		t.Logf("%d events, %d requests, %d duplicate arrivals, statuses %v", len(want), requests, dups, statuses)
	})
}

// TestWebhooksReceiverDown: the receiver is down (connections refused) during a burst
// of events; once it is back, everything arrives.
func TestWebhooksReceiverDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // down: nothing listens
		sub := f.subscribe("http://" + addr + "/hook")
		run(t, fast(f.svc, "w1"))
		f.burst(8, false)
		want := f.events()
		failed := func() int {
			n := 0
			for _, d := range f.deliveries(sub) {
				n += len(d.Log)
			}
			return n
		}
		waitFor(t, "two failed attempts of every delivery while the receiver is down", func() bool {
			ds := f.deliveries(sub)
			return len(ds) == len(want) && !slices.ContainsFunc(ds, func(d store.Delivery) bool { return len(d.Log) < 2 })
		})
		for _, d := range f.deliveries(sub) {
			if d.State != store.DeliveryPending || d.Log[0].StatusCode != 0 || !strings.Contains(d.Log[0].Error, "refused") {
				t.Fatalf("while down: %+v", d)
			}
		}

		rc := newReceiver(nil)
		srv := httptest.NewUnstartedServer(rc)
		if srv.Listener, err = net.Listen("tcp", addr); err != nil {
			t.Fatal(err)
		}
		srv.Start()
		defer srv.Close()
		waitFor(t, "every event delivered", func() bool { return len(rc.unique(t, sub)) == len(want) && f.settled(sub) })
		sameEvents(t, rc.unique(t, sub), want)
		if len(rc.badSig) > 0 {
			t.Fatalf("deliveries that do not verify: %v", rc.badSig)
		}
		requests, dups := rc.count()
		t.Logf("%d events, %d failed attempts while down, %d requests after, %d duplicates", len(want), failed()-requests, requests, dups)
	})
}

// TestWebhooksTwoWorkers: two nodes (each its own pool and service) deliver from one
// outbox at once. No delivery is ever posted by both at the same time, and each is
// taken (2xx) once.
func TestWebhooksTwoWorkers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		var rmu sync.Mutex
		rnd := rand.New(rand.NewPCG(1, 2))
		rc := newReceiver(func(int, string) (int, time.Duration) {
			rmu.Lock()
			defer rmu.Unlock()
			wait := time.Duration(rnd.IntN(15)) * time.Millisecond
			if rnd.IntN(4) == 0 {
				return http.StatusBadGateway, wait
			}
			return http.StatusOK, wait
		})
		srv := httptest.NewServer(rc)
		defer srv.Close()
		sub := f.subscribe(srv.URL + "/hook")
		f.burst(15, false)
		want := f.events()

		other := openService(t, f.dsn) // the second node
		j1, j2 := fast(f.svc, "node-1"), fast(other, "node-2")
		j1.Batch, j2.Batch = 3, 3
		run(t, j1)
		run(t, j2)
		waitFor(t, "every event delivered", func() bool { return len(rc.unique(t, sub)) == len(want) && f.settled(sub) })

		sameEvents(t, rc.unique(t, sub), want)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.maxIn != 1 {
			t.Errorf("a delivery was posted %d times at once", rc.maxIn)
		}
		for id, n := range rc.ok {
			if n != 1 {
				t.Errorf("delivery %s taken %d times", id, n)
			}
		}
		byWorker := map[string]int{}
		for _, d := range f.deliveries(sub) {
			for _, a := range d.Log {
				byWorker[a.Worker]++
			}
		}
		if b.Name == dbtest.PostgresName && (byWorker["node-1"] == 0 || byWorker["node-2"] == 0) {
			t.Errorf("both nodes should have delivered: %v", byWorker)
		}
		t.Logf("%d events, %d requests, attempts by worker %v, max concurrent posts of one delivery %d", len(want), rc.n, byWorker, rc.maxIn)
	})
}

// TestWebhookClaimsAreExclusive: claims made at once from many connections never share
// a row (the FOR UPDATE SKIP LOCKED lease on PostgreSQL; SQLite's single writer).
func TestWebhookClaimsAreExclusive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		f.subscribe("http://127.0.0.1:1/hook")
		f.burst(10, false)
		nodes := []*service.Service{f.svc, openService(t, f.dsn), openService(t, f.dsn)}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 30)
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				claims, err := nodes[i%len(nodes)].ClaimDeliveries(context.Background(), 4, time.Minute)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, c := range claims {
					seen[c.ID]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if gl.ErrorCode(err) != gl.ECONFLICT && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("delivery %s claimed %d times at once", id, n)
			}
		}
		if len(seen) != 40 {
			t.Errorf("%d of 40 deliveries claimed by 12 claims of 4", len(seen))
		}
		// Leased rows are not claimable again until the lease ends.
		if more, err := f.svc.ClaimDeliveries(context.Background(), 100, time.Minute); err != nil || len(more) != 0 {
			t.Fatalf("leased rows claimed again: %d %v", len(more), err)
		}
	})
}

// TestWebhookReplay: a delivered delivery and a dead one are sent again under their id.
func TestWebhookReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		var mu sync.Mutex
		down := true
		rc := newReceiver(func(_ int, _ string) (int, time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return http.StatusInternalServerError, 0
			}
			return http.StatusOK, 0
		})
		srv := httptest.NewServer(rc)
		defer srv.Close()
		sub := f.subscribe(srv.URL + "/hook")
		j := fast(f.svc, "w1")
		j.MaxAttempts = 3
		run(t, j)
		f.burst(1, false)
		waitFor(t, "dead deliveries", func() bool {
			ds := f.deliveries(sub)
			return len(ds) == 4 && !slices.ContainsFunc(ds, func(d store.Delivery) bool { return d.State != store.DeliveryDead })
		})
		for _, d := range f.deliveries(sub) {
			if d.Attempts != 3 || len(d.Log) != 3 || d.NextAt != nil {
				t.Fatalf("dead after 3 attempts: %+v", d)
			}
		}
		mu.Lock()
		down = false
		mu.Unlock()
		dead := f.deliveries(sub)[0]
		before, _ := rc.count()
		if _, err := f.svc.ReplayDelivery(context.Background(), dead.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the replayed delivery", func() bool { return fetch(f, sub, dead.ID).State == store.DeliveryDelivered })
		d := fetch(f, sub, dead.ID)
		if len(d.Log) != 4 || d.Log[3].Attempt != 4 || d.Log[3].StatusCode != 200 {
			t.Fatalf("replayed: %+v", d.Log)
		}
		// Replaying a delivered one sends it again, same id.
		if _, err := f.svc.ReplayDelivery(context.Background(), dead.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the second replay", func() bool { d := fetch(f, sub, dead.ID); return len(d.Log) == 5 && d.State == store.DeliveryDelivered })
		after, _ := rc.count()
		rc.mu.Lock()
		got := rc.ok[dead.ID]
		rc.mu.Unlock()
		if after-before != 2 || got != 2 {
			t.Fatalf("replays: %d requests, %d answered 2xx for %s", after-before, got, dead.ID)
		}
		if _, err := f.svc.ReplayDelivery(context.Background(), "no-such-delivery"); gl.ErrorCode(err) != gl.ENOTFOUND {
			t.Fatalf("replay of an unknown delivery: %v", err)
		}
	})
}

// fetch returns one delivery of subscription sub.
func fetch(f *fixture, sub int64, id string) store.Delivery {
	f.t.Helper()
	for _, d := range f.deliveries(sub) {
		if d.ID == id {
			return d
		}
	}
	f.t.Fatalf("no delivery %s", id)
	return store.Delivery{}
}

// TestWebhookFilter: a subscription to some actions receives those and only those; an
// inactive one receives nothing; every subscription gets its own delivery ids.
func TestWebhookFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, b dbtest.Backend) {
		f := newFixture(t, b)
		rc := newReceiver(nil)
		srv := httptest.NewServer(rc)
		defer srv.Close()
		all := f.subscribe(srv.URL + "/all")
		some := f.subscribe(srv.URL+"/some", "register", "send_check", "comment")
		off := f.subscribe(srv.URL + "/off")
		inactive := false
		if _, err := f.svc.UpdateWebhook(context.Background(), off, service.WebhookInput{Active: &inactive}); err != nil {
			t.Fatal(err)
		}
		run(t, fast(f.svc, "w1"))
		f.burst(3, true)
		want := f.events()
		wantSome := map[int64]string{}
		for id, a := range want {
			if a == "register" || a == "send_check" || a == "comment" {
				wantSome[id] = a
			}
		}
		waitFor(t, "every delivery", func() bool {
			return len(rc.unique(t, all)) == len(want) && len(rc.unique(t, some)) == len(wantSome) && f.settled(all) && f.settled(some)
		})
		sameEvents(t, rc.unique(t, all), want)
		sameEvents(t, rc.unique(t, some), wantSome)
		if got := rc.unique(t, off); len(got) != 0 || len(f.deliveries(off)) != 0 {
			t.Fatalf("an inactive subscription got %d deliveries", len(got))
		}
		if len(wantSome) != 9 || len(want) != 21 {
			t.Fatalf("events: %d, filtered %d", len(want), len(wantSome))
		}
	})
}

// TestWebhookSchedule: the default retry delays double from 30 s up to 6 h.
func TestWebhookSchedule(t *testing.T) {
	j := &jobs.WebhookDelivery{Backoff: 30 * time.Second, MaxBackoff: 6 * time.Hour}
	var got []string
	for n := 1; n <= 12; n++ {
		got = append(got, j.Delay(n).String())
	}
	want := "30s 1m0s 2m0s 4m0s 8m0s 16m0s 32m0s 1h4m0s 2h8m0s 4h16m0s 6h0m0s 6h0m0s"
	if strings.Join(got, " ") != want {
		t.Fatalf("schedule %s, want %s", strings.Join(got, " "), want)
	}
}
