// Package bench is gridloop's load harness: it drives a server over its real JSON API
// with a chosen concurrency and duration, records every latency, and prints throughput
// and p50/p95/p99/max, with a progress line while it runs. A baseline server (a bare
// net/http handler doing one durable SQLite INSERT per request) can be measured in the
// same run, so that a result is a ratio that does not depend on the machine.
//
// Two workloads:
//
//   - intake: every request is POST /api/v1/reports, with a real citizen complaint as the
//     description, a point in the city's unit grids, a random channel and a unique
//     Idempotency-Key.
//   - mixed: a hotline platform's working day in proportion (see mixedWeights): reports,
//     workflow actions on the cases the harness itself reported, queue reads and case
//     reads, each with the token of the role that does it.
//
// The harness is bounded: no request starts after the duration, and it only targets
// loopback addresses unless told otherwise (see CheckTarget).
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mixes.
const (
	MixIntake = "intake"
	MixMixed  = "mixed"
)

// mixedWeights are the mixed workload's proportions, in percent of requests. They follow
// a hotline platform in its steady state: every report is written once but read many
// times, and walks through the seven steps of the loop over its life, so a city closes
// about as many cases as it takes in. (Until 2026-12-07 the mix was 30 % reports and 20 %
// actions: at most one case closed for every ten reported, and every run left thousands
// more cases open than it found, inflating the similar-case index and the work lists
// from one run to the next.)
//
//   - 6 % reports: intake by operators (hotline calls, web, app) and grid workers' patrols.
//   - 44 % workflow actions: the harness's own reported cases are taken through the loop,
//     register → dispatch → sign → feedback → send_check → check → close, each step by its
//     role (shift lead, dispatcher, department handler, operator, grid worker). A step is
//     picked at random among the steps that have cases waiting, so every step of the loop
//     is exercised, not only the first. Actions carry the version last seen, as the UI
//     does; a 409 (stale version) or 422 (state moved on) is a race with another actor and
//     is counted as a conflict, not as an error.
//   - 30 % queue reads: each role's work list, GET /api/v1/cases?status=…&limit=20 (the
//     operator's new reports, the dispatcher's registered cases, the handler's cases by
//     deadline, the grid worker's checks, the shift lead's cases to close).
//   - 20 % case reads: GET /api/v1/cases/{code} of a recent case (staff opening a case).
//
// An action with no case waiting (at the very start, or whenever the loop has caught up
// with intake) is sent as a report instead and counted as one, so reports and actions
// settle near one report for seven actions: about 6 % and 44 % of requests, writes half
// of them as before. A case read with no code known is sent as a queue read; setup fills
// the read list with up to 200 existing cases.
var mixedWeights = [numOps]int{OpReport: 6, OpAction: 44, OpQueue: 30, OpRead: 20}

// Roles whose tokens the harness uses.
const (
	RoleOperator   = "operator"
	RoleShiftLead  = "shift_lead"
	RoleDispatcher = "dispatcher"
	RoleHandler    = "handler"
	RoleGridMember = "grid_member"
)

// WorkflowRoles are the roles the mixed workload acts as, besides the operator.
var WorkflowRoles = []string{RoleShiftLead, RoleDispatcher, RoleHandler, RoleGridMember}

// step is one workflow action of the loop the mixed workload drives cases through.
type step struct {
	action, role string
}

var steps = []step{
	{"register", RoleShiftLead},
	{"dispatch", RoleDispatcher},
	{"sign", RoleHandler},
	{"feedback", RoleHandler},
	{"send_check", RoleOperator},
	{"check", RoleGridMember},
	{"close", RoleShiftLead},
}

// queues are the work lists the queue reads ask for: role and query.
var queues = []struct{ role, query string }{
	{RoleOperator, "status=reported&limit=20"},
	{RoleOperator, "status=handled&limit=20"},
	{RoleShiftLead, "status=checked&limit=20"},
	{RoleDispatcher, "status=registered&limit=20"},
	{RoleHandler, "status=dispatched,handling&order=due_asc&limit=20"},
	{RoleGridMember, "status=checking&limit=20"},
}

// channels of reports, weighted as a city's intake: mostly hotline calls.
var channels = []struct {
	name   string
	weight int
}{
	{"hotline", 45}, {"app", 20}, {"web", 15}, {"patrol", 10}, {"api", 5}, {"open311", 3}, {"camera", 2},
}

// City box the report points are drawn from (the demo city, Hangzhou's urban districts).
const (
	minLat, maxLat = 30.15, 30.40
	minLng, maxLng = 120.00, 120.35
)

// Config is one run.
type Config struct {
	URL string // the server, e.g. http://127.0.0.1:8080
	// Tokens maps a role to an API token of a user holding it. "operator" is required: it
	// reports and reads. The mixed workload also acts as shift_lead, dispatcher, handler
	// and grid_member; a role without a token of its own uses the operator's token, which
	// must then hold that role too.
	Tokens      map[string]string
	Concurrency int           // clients; default 32
	Duration    time.Duration // default 30s
	Mix         string        // MixIntake (default) or MixMixed
	// Rate is the open-loop rate in requests per second: requests are due at a fixed
	// pace and their latency counts from when they were due, so a slow server is not
	// hidden by clients that wait (coordinated omission). 0: closed loop, every client
	// sends its next request when the last is answered.
	Rate        float64
	AllowRemote bool      // allow a non-loopback URL
	Texts       *Texts    // report descriptions; default: the built-in samples
	Seed        uint64    // random seed; 0: from the clock
	Progress    io.Writer // a progress line every second; nil: none
	Label       string    // names the run in output; default "gridloop"
	// Bare means the target is the baseline server: no setup requests, reports only, any
	// answer 201 counts.
	Bare bool
}

func (c *Config) defaults() error {
	if c.Concurrency == 0 {
		c.Concurrency = 32
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Mix == "" {
		c.Mix = MixIntake
	}
	if c.Label == "" {
		c.Label = "gridloop"
	}
	if c.Texts == nil || len(c.Texts.Items) == 0 {
		c.Texts = builtin()
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	switch {
	case c.Concurrency < 1 || c.Concurrency > 10000:
		return fmt.Errorf("bench: concurrency must be 1..10000, got %d", c.Concurrency)
	case c.Duration < 0:
		return fmt.Errorf("bench: negative duration %s", c.Duration)
	case c.Rate < 0:
		return fmt.Errorf("bench: negative rate %g", c.Rate)
	case c.Mix != MixIntake && c.Mix != MixMixed:
		return fmt.Errorf("bench: unknown mix %q (intake or mixed)", c.Mix)
	case c.Bare && c.Mix != MixIntake:
		return errors.New("bench: the baseline takes the intake mix only")
	case !c.Bare && c.Tokens[RoleOperator] == "":
		return errors.New("bench: an operator's API token is required (gridloop user token -db STORE operator)")
	}
	return nil
}

// tracked is a case the harness reported and is taking through the loop.
type tracked struct {
	code    string
	version int // last seen; 0: unknown, sent without a version
}

// runner is one run's shared state.
type runner struct {
	cfg    Config
	base   string
	client *http.Client
	runID  string

	// Set up before the run, read-only during it.
	can    map[string]bool // roles with a token
	cats   []string        // active category codes
	points [][2]float64    // lat, lng; nil: random in the box
	where  string          // where points come from, for the output
	dept   int64           // the department cases are dispatched to
	chans  []int           // cumulative channel weights for the roles we have

	mu       sync.Mutex
	pipeline [][]*tracked // per step, the cases waiting for it
	recent   []string     // ring of case codes for case reads
	next     int          // next ring slot
	closed   int

	requests, errors, conflicts atomic.Int64
}

const (
	recentSize  = 4096
	pipelineCap = 20000 // cases waiting for one step; beyond it new ones are not tracked
)

// Run runs the benchmark described by cfg until cfg.Duration has passed (or ctx ends:
// then it returns what it measured with ctx's error).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	u, err := CheckTarget(cfg.URL, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	r := &runner{
		cfg:      cfg,
		base:     strings.TrimRight(u.String(), "/"),
		client:   newClient(cfg.Concurrency, cfg.AllowRemote),
		runID:    fmt.Sprintf("%x", time.Now().UnixNano()),
		can:      map[string]bool{},
		pipeline: make([][]*tracked, len(steps)),
		where:    fmt.Sprintf("random in lat %.2f–%.2f, lng %.2f–%.2f", minLat, maxLat, minLng, maxLng),
	}
	defer r.client.CloseIdleConnections()
	if cfg.Bare {
		r.can = map[string]bool{RoleOperator: true, RoleGridMember: true}
	} else if err := r.setup(ctx); err != nil {
		return nil, err
	}
	r.chans = r.channelWeights()

	workers := make([]*worker, cfg.Concurrency)
	rootRng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	for i := range workers {
		workers[i] = &worker{r: r, id: i, rng: rand.New(rand.NewPCG(rootRng.Uint64(), uint64(i)))}
	}

	start := time.Now()
	end := start.Add(cfg.Duration)
	stopProgress := r.progress(start)

	var sched chan time.Time
	if cfg.Rate > 0 {
		sched = make(chan time.Time, cfg.Concurrency)
		go func() {
			defer close(sched)
			interval := float64(time.Second) / cfg.Rate
			for i := 0; ; i++ {
				due := start.Add(time.Duration(float64(i) * interval))
				if !due.Before(end) || !sleepUntil(ctx, due) {
					return
				}
				select {
				case sched <- due:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			if sched != nil {
				for due := range sched {
					if time.Now().Before(end) && ctx.Err() == nil {
						w.one(ctx, due)
					}
				}
				return
			}
			for time.Now().Before(end) && ctx.Err() == nil {
				w.one(ctx, time.Now())
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	res := &Result{
		Label: cfg.Label, Target: r.base, Mix: cfg.Mix, Clients: cfg.Concurrency, Rate: cfg.Rate,
		Planned: cfg.Duration, Elapsed: elapsed, Closed: r.closed,
	}
	if !cfg.Bare {
		res.TextSource = fmt.Sprintf("%d descriptions from %s", len(cfg.Texts.Items), cfg.Texts.Source)
		res.Points = r.where
	}
	res.Total.Name = "total"
	for op := range numOps {
		s := Stats{Name: op.String()}
		for _, w := range workers {
			s.merge(&w.rec.ops[op])
			res.Total.merge(&w.rec.ops[op])
		}
		if s.Count > 0 {
			slices.Sort(s.Latencies)
			res.Ops = append(res.Ops, s)
		}
	}
	slices.Sort(res.Total.Latencies)
	for _, w := range workers {
		res.Acknowledged = append(res.Acknowledged, w.acked...)
	}
	if cfg.Rate > 0 {
		res.Backlog = max(0, int(cfg.Rate*cfg.Duration.Seconds())-res.Total.Count)
	}
	return res, ctx.Err()
}

// progress prints a line a second until the returned stop is called.
func (r *runner) progress(start time.Time) (stop func()) {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				n := r.requests.Load()
				fmt.Fprintf(r.cfg.Progress, "%s [%4.0fs] %8d requests  %7d req/s  errors %d  conflicts %d\n",
					r.cfg.Label, now.Sub(start).Seconds(), n, n-last, r.errors.Load(), r.conflicts.Load())
				last = n
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *runner) token(role string) string {
	if t := r.cfg.Tokens[role]; t != "" {
		return t
	}
	return r.cfg.Tokens[RoleOperator]
}

func (r *runner) channelWeights() []int {
	var cum []int
	total := 0
	for _, c := range channels {
		if c.name == "patrol" && !r.can[RoleGridMember] {
			cum = append(cum, total) // weight 0
			continue
		}
		total += c.weight
		cum = append(cum, total)
	}
	return cum
}

// setup learns what the run needs from the server, outside the measurement: that the
// tokens work and hold their roles, the categories, a department to dispatch to, points
// inside the city's grids and some existing cases to read.
func (r *runner) setup(ctx context.Context) error {
	needed := []string{RoleOperator}
	if r.cfg.Mix == MixMixed {
		needed = append(needed, WorkflowRoles...)
	}
	type me struct {
		Name      string   `json:"name"`
		Roles     []string `json:"roles"`
		DeptScope []int64  `json:"dept_scope"`
	}
	users := map[string]me{}
	for _, role := range append([]string{RoleOperator}, WorkflowRoles...) {
		var u me
		status, err := r.get(ctx, "/api/v1/me", role, &u)
		if err != nil {
			return fmt.Errorf("bench: %s: %w", r.base, err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("bench: GET /api/v1/me with the %s token: HTTP %d (is the token valid?)", role, status)
		}
		has := slices.Contains(u.Roles, role)
		if !has && slices.Contains(needed, role) {
			how := "pass -tokens " + role + "=TOKEN"
			if role == RoleOperator {
				how = "pass an operator's token"
			}
			return fmt.Errorf("bench: the %s mix acts as %s, but the token used for it is user %q's, whose roles are %v: %s",
				r.cfg.Mix, role, u.Name, u.Roles, how)
		}
		r.can[role] = has
		users[role] = u
	}

	var cats struct {
		Items []struct {
			Code   string `json:"code"`
			Active bool   `json:"active"`
		} `json:"items"`
	}
	if status, err := r.get(ctx, "/api/v1/categories", RoleOperator, &cats); err != nil || status != http.StatusOK {
		return fmt.Errorf("bench: GET /api/v1/categories: HTTP %d %v", status, err)
	}
	for _, c := range cats.Items {
		if c.Active {
			r.cats = append(r.cats, c.Code)
		}
	}

	if r.cfg.Mix == MixMixed {
		if len(r.cats) == 0 {
			return errors.New("bench: the server has no active categories: cases cannot be registered")
		}
		// Cases go to the handler's own department, so that the handler may sign for them.
		if scope := users[RoleHandler].DeptScope; len(scope) > 0 {
			r.dept = scope[0]
		} else {
			var depts struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if status, err := r.get(ctx, "/api/v1/departments", RoleOperator, &depts); err != nil || status != http.StatusOK || len(depts.Items) == 0 {
				return fmt.Errorf("bench: no department to dispatch to (HTTP %d %v)", status, err)
			}
			r.dept = depts.Items[0].ID
		}
		var list struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		if status, err := r.get(ctx, "/api/v1/cases?limit=200", RoleOperator, &list); err != nil || status != http.StatusOK {
			return fmt.Errorf("bench: GET /api/v1/cases: HTTP %d %v", status, err)
		}
		for _, c := range list.Items {
			r.remember(c.Code)
		}
	}
	return r.findPoints(ctx)
}

// findPoints samples the city box for points the server places in a unit grid (a server
// with grids refuses reports outside them). Without grids, or without the locate route,
// points are random in the box.
func (r *runner) findPoints(ctx context.Context) error {
	const want, tries = 512, 4000
	rng := rand.New(rand.NewPCG(r.cfg.Seed, 1))
	var pts [][2]float64
	for i := 0; i < tries && len(pts) < want; i++ {
		lat, lng := randomPoint(rng)
		var pl struct {
			Located bool `json:"located"`
		}
		status, err := r.get(ctx, fmt.Sprintf("/api/v1/locate?lat=%.6f&lng=%.6f", lat, lng), RoleOperator, &pl)
		if err != nil {
			return fmt.Errorf("bench: locate: %w", err)
		}
		if status == http.StatusNotFound && i == 0 {
			return nil // an older server: no spatial index
		}
		if status != http.StatusOK {
			return fmt.Errorf("bench: GET /api/v1/locate: HTTP %d", status)
		}
		if pl.Located {
			pts = append(pts, [2]float64{lat, lng})
		}
		if i == 199 && len(pts) == 0 {
			break // no grids here: the server takes unlocated reports
		}
	}
	if len(pts) > 0 {
		r.points = pts
		r.where = fmt.Sprintf("%d points inside the city's unit grids, sampled in lat %.2f–%.2f, lng %.2f–%.2f", len(pts), minLat, maxLat, minLng, maxLng)
	} else {
		r.where += " (the server has no unit grids there)"
	}
	return nil
}

func randomPoint(rng *rand.Rand) (lat, lng float64) {
	return minLat + rng.Float64()*(maxLat-minLat), minLng + rng.Float64()*(maxLng-minLng)
}

// get is a setup request: GET path as role, decoding a 200 answer into out.
func (r *runner) get(ctx context.Context, path, role string, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+r.token(role))
	res, err := r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			return res.StatusCode, err
		}
	}
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// remember adds a case code to the ring case reads pick from.
func (r *runner) remember(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) < recentSize {
		r.recent = append(r.recent, code)
		return
	}
	r.recent[r.next] = code
	r.next = (r.next + 1) % recentSize
}

func (r *runner) recentCode(rng *rand.Rand) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) == 0 {
		return ""
	}
	return r.recent[rng.IntN(len(r.recent))]
}

// push queues a case for step i.
func (r *runner) push(i int, t *tracked) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pipeline[i]) < pipelineCap {
		r.pipeline[i] = append(r.pipeline[i], t)
	}
}

// take picks a step at random among those with cases waiting and takes its newest case:
// no two clients act on one case at once.
func (r *runner) take(rng *rand.Rand) (*tracked, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var waiting []int
	for i, q := range r.pipeline {
		if len(q) > 0 {
			waiting = append(waiting, i)
		}
	}
	if len(waiting) == 0 {
		return nil, 0
	}
	i := waiting[rng.IntN(len(waiting))]
	q := r.pipeline[i]
	t := q[len(q)-1]
	r.pipeline[i] = q[:len(q)-1]
	return t, i
}

// worker is one client.
type worker struct {
	r     *runner
	id    int
	rng   *rand.Rand
	seq   int
	rec   recorder
	acked []string
}

// one sends one request of the mix; its latency counts from due.
func (w *worker) one(ctx context.Context, due time.Time) {
	op := OpReport
	if w.r.cfg.Mix == MixMixed {
		n := w.rng.IntN(100)
		for o := range numOps {
			if n < mixedWeights[o] {
				op = o
				break
			}
			n -= mixedWeights[o]
		}
	}
	switch op {
	case OpAction:
		if w.action(ctx, due) {
			return
		}
		w.report(ctx, due) // nothing to act on yet
	case OpQueue:
		w.queue(ctx, due)
	case OpRead:
		if w.read(ctx, due) {
			return
		}
		w.queue(ctx, due) // nothing to read yet
	default:
		w.report(ctx, due)
	}
}

// record counts one answer; requests cut short by ctx (an interrupted run) are not
// counted.
func (w *worker) record(ctx context.Context, op Op, due time.Time, status int, err error, want int) outcome {
	if ctx.Err() != nil {
		return failed
	}
	o := ok
	switch {
	case err != nil || status >= 500:
		o = failed
	case op == OpAction && (status == http.StatusConflict || status == http.StatusUnprocessableEntity):
		o = conflict
	case status != want:
		o = failed
	}
	w.rec.add(op, status, time.Since(due), o)
	w.r.requests.Add(1)
	switch o {
	case failed:
		w.r.errors.Add(1)
	case conflict:
		w.r.conflicts.Add(1)
	}
	return o
}

// send sends one request as role and decodes a 2xx answer into out (if not nil).
func (w *worker) send(ctx context.Context, method, path, role string, body any, key string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.r.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !w.r.cfg.Bare {
		req.Header.Set("Authorization", "Bearer "+w.r.token(role))
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := w.r.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil && res.StatusCode >= 200 && res.StatusCode < 300 {
		err = json.NewDecoder(res.Body).Decode(out)
	}
	if _, cerr := io.Copy(io.Discard, res.Body); err == nil {
		err = cerr
	}
	return res.StatusCode, err
}

// reportBody is an intake request.
type reportBody struct {
	Description   string  `json:"description"`
	Lat           float64 `json:"lat"`
	Lng           float64 `json:"lng"`
	Channel       string  `json:"channel"`
	CategoryCode  string  `json:"category_code,omitempty"`
	ReporterName  string  `json:"reporter_name,omitempty"`
	ReporterPhone string  `json:"reporter_phone,omitempty"`
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"}
	titles   = []string{"先生", "女士"}
)

func (w *worker) newReport() (reportBody, string) {
	r, rng := w.r, w.rng
	b := reportBody{Description: r.cfg.Texts.Items[rng.IntN(len(r.cfg.Texts.Items))]}
	if len(r.points) > 0 {
		p := r.points[rng.IntN(len(r.points))]
		b.Lat, b.Lng = p[0], p[1]
	} else {
		b.Lat, b.Lng = randomPoint(rng)
	}
	n := rng.IntN(r.chans[len(r.chans)-1])
	for i, c := range r.chans {
		if n < c {
			b.Channel = channels[i].name
			break
		}
	}
	role := RoleOperator
	if b.Channel == "patrol" {
		role = RoleGridMember
	} else {
		b.ReporterName = surnames[rng.IntN(len(surnames))] + titles[rng.IntN(2)]
		b.ReporterPhone = fmt.Sprintf("13%d%08d", rng.IntN(10), rng.IntN(100_000_000))
	}
	if len(r.cats) > 0 && rng.IntN(3) == 0 { // a third come classified
		b.CategoryCode = r.cats[rng.IntN(len(r.cats))]
	}
	return b, role
}

func (w *worker) report(ctx context.Context, due time.Time) {
	body, role := w.newReport()
	w.seq++
	key := fmt.Sprintf("bench-%s-%d-%d", w.r.runID, w.id, w.seq)
	var out struct {
		Code    string `json:"code"`
		Status  string `json:"status"`
		Version int    `json:"version"`
	}
	var dst any = &out
	if w.r.cfg.Bare {
		dst = nil
	}
	status, err := w.send(ctx, http.MethodPost, "/api/v1/reports", role, body, key, dst)
	if w.record(ctx, OpReport, due, status, err, http.StatusCreated) != ok || out.Code == "" {
		return
	}
	w.acked = append(w.acked, out.Code)
	if w.r.cfg.Mix == MixMixed {
		w.r.remember(out.Code)
		if out.Status == "reported" {
			w.r.push(0, &tracked{code: out.Code, version: out.Version})
		}
	}
}

// actionBody is a workflow action's parameters and the version the client saw.
type actionBody struct {
	Note         string `json:"note,omitempty"`
	CategoryCode string `json:"category_code,omitempty"`
	DeptID       int64  `json:"dept_id,omitempty"`
	Passed       *bool  `json:"passed,omitempty"`
	Version      *int   `json:"version,omitempty"`
}

// action takes the next step of one of the harness's cases; false if none is waiting.
func (w *worker) action(ctx context.Context, due time.Time) bool {
	t, i := w.r.take(w.rng)
	if t == nil {
		return false
	}
	s := steps[i]
	var body actionBody
	switch s.action {
	case "register":
		body.CategoryCode = w.r.cats[w.rng.IntN(len(w.r.cats))]
	case "dispatch":
		body.DeptID = w.r.dept
	case "feedback":
		body.Note = "已到现场处置完毕，现场已恢复正常。"
	case "check":
		passed := true
		body.Passed, body.Note = &passed, "现场核查，已处置到位。"
	}
	if t.version > 0 {
		v := t.version
		body.Version = &v
	}
	var out struct {
		Case struct {
			Status  string `json:"status"`
			Version int    `json:"version"`
		} `json:"case"`
	}
	status, err := w.send(ctx, http.MethodPost, "/api/v1/cases/"+url.PathEscape(t.code)+"/actions/"+s.action, s.role, body, "", &out)
	switch w.record(ctx, OpAction, due, status, err, http.StatusOK) {
	case ok:
		t.version = out.Case.Version
		if i+1 < len(steps) {
			w.r.push(i+1, t)
		} else {
			w.r.mu.Lock()
			w.r.closed++
			w.r.mu.Unlock()
		}
	case conflict:
		if status == http.StatusConflict { // stale version: try again with no version
			t.version = 0
			w.r.push(i, t)
		} // 422: the case moved on without us; leave it
	}
	return true
}

func (w *worker) queue(ctx context.Context, due time.Time) {
	q := queues[w.rng.IntN(len(queues))]
	status, err := w.send(ctx, http.MethodGet, "/api/v1/cases?"+q.query, q.role, nil, "", nil)
	w.record(ctx, OpQueue, due, status, err, http.StatusOK)
}

// read opens a recent case; false if none is known yet.
func (w *worker) read(ctx context.Context, due time.Time) bool {
	code := w.r.recentCode(w.rng)
	if code == "" {
		return false
	}
	status, err := w.send(ctx, http.MethodGet, "/api/v1/cases/"+url.PathEscape(code), RoleOperator, nil, "", nil)
	w.record(ctx, OpRead, due, status, err, http.StatusOK)
	return true
}

// Verify checks, over the API with the operator's token, that every case in codes
// exists; it returns the codes that do not.
func Verify(ctx context.Context, cfg Config, codes []string) (missing []string, err error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	u, err := CheckTarget(cfg.URL, cfg.AllowRemote)
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, base: strings.TrimRight(u.String(), "/"), client: newClient(cfg.Concurrency, cfg.AllowRemote)}
	defer r.client.CloseIdleConnections()
	var (
		mu   sync.Mutex
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(cfg.Concurrency, max(1, len(codes))) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(codes) || ctx.Err() != nil {
					return
				}
				status, err := r.get(ctx, "/api/v1/cases/"+url.PathEscape(codes[i]), RoleOperator, nil)
				mu.Lock()
				switch {
				case err != nil:
					errs = append(errs, fmt.Errorf("case %s: %w", codes[i], err))
				case status == http.StatusNotFound:
					missing = append(missing, codes[i])
				case status != http.StatusOK:
					errs = append(errs, fmt.Errorf("case %s: HTTP %d", codes[i], status))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 5 {
		errs = append(errs[:5], fmt.Errorf("… and %d more", len(errs)-5))
	}
	slices.Sort(missing)
	return missing, errors.Join(append(errs, ctx.Err())...)
}
