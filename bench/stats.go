package bench

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Op is a kind of request the harness sends.
type Op int

// The operations, in report order.
const (
	OpReport Op = iota // POST /api/v1/reports
	OpAction           // POST /api/v1/cases/{code}/actions/{action}
	OpQueue            // GET /api/v1/cases?status=…&limit=20
	OpRead             // GET /api/v1/cases/{code}
	numOps
)

var opNames = [numOps]string{"report", "action", "queue", "read"}

func (o Op) String() string { return opNames[o] }

// outcome is how a response counts.
type outcome int

const (
	ok       outcome = iota
	conflict         // 409/422 on a workflow action: another actor got there first
	failed           // transport error, 5xx, or any other unexpected answer
)

// recorder keeps one worker's latencies and counts; merged after the run, so the hot
// path takes no lock.
type recorder struct {
	ops [numOps]opRec
}

type opRec struct {
	lat       []time.Duration // every latency, including failed requests
	status    map[int]int     // HTTP status → count; 0 is a transport error
	errors    int
	conflicts int
}

func (r *recorder) add(op Op, status int, d time.Duration, o outcome) {
	rec := &r.ops[op]
	rec.lat = append(rec.lat, d)
	if rec.status == nil {
		rec.status = map[int]int{}
	}
	rec.status[status]++
	switch o {
	case failed:
		rec.errors++
	case conflict:
		rec.conflicts++
	}
}

// Stats summarises a set of requests.
type Stats struct {
	Name      string
	Count     int
	Errors    int
	Conflicts int
	Status    map[int]int
	// Latencies, sorted ascending: every request's, from the moment it was due to be
	// sent (open loop) or was sent (closed loop) to the end of its answer's body.
	Latencies []time.Duration
}

// Quantile is the latency below or at which a fraction q of the requests finished
// (nearest rank); 0 without requests.
func (s *Stats) Quantile(q float64) time.Duration {
	n := len(s.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return s.Latencies[min(max(i, 0), n-1)]
}

// Max is the slowest request.
func (s *Stats) Max() time.Duration { return s.Quantile(1) }

func (s *Stats) merge(rec *opRec) {
	s.Count += len(rec.lat)
	s.Errors += rec.errors
	s.Conflicts += rec.conflicts
	s.Latencies = append(s.Latencies, rec.lat...)
	if s.Status == nil {
		s.Status = map[int]int{}
	}
	for k, v := range rec.status {
		s.Status[k] += v
	}
}

// Result is one measured run.
type Result struct {
	Label   string // "gridloop" or "baseline"
	Target  string
	Mix     string
	Clients int
	Rate    float64 // 0: closed loop
	Planned time.Duration
	// Elapsed runs from the first request to the last answer.
	Elapsed time.Duration
	Total   Stats
	Ops     []Stats // per operation, those that ran
	// Acknowledged are the codes of the reports answered 201 (gridloop only).
	Acknowledged []string
	Closed       int // cases the harness drove all the way to closed
	Backlog      int // open loop: requests due before the deadline but never sent
	TextSource   string
	Points       string // where report locations came from
}

// Throughput is answered requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Total.Count) / r.Elapsed.Seconds()
}

// Print writes the result.
func (r *Result) Print(w io.Writer) {
	loop := "closed loop, as fast as possible"
	if r.Rate > 0 {
		loop = fmt.Sprintf("open loop at %g req/s", r.Rate)
	}
	fmt.Fprintf(w, "\n== %s: %s, mix %s, %d clients, %s, %s\n", r.Label, r.Target, r.Mix, r.Clients, r.Planned, loop)
	if r.TextSource != "" {
		fmt.Fprintf(w, "   texts: %s; locations: %s\n", r.TextSource, r.Points)
	}
	t := &r.Total
	fmt.Fprintf(w, "   requests   %d in %.2fs = %.1f req/s\n", t.Count, r.Elapsed.Seconds(), r.Throughput())
	fmt.Fprintf(w, "   errors     %d", t.Errors)
	if r.Mix == MixMixed {
		fmt.Fprintf(w, "   conflicts (409/422 from races, not errors) %d", t.Conflicts)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "   latency    p50 %s  p95 %s  p99 %s  max %s\n", ms(t.Quantile(.50)), ms(t.Quantile(.95)), ms(t.Quantile(.99)), ms(t.Max()))
	fmt.Fprintf(w, "   status     %s\n", statusLine(t.Status))
	if n := t.Status[http.StatusTooManyRequests]; n > 0 {
		fmt.Fprintf(w, "   429        %d requests refused by the server's rate limits (per API token 100/s by default):\n"+
			"              for a benchmark, start the server with GRIDLOOP_RATE_TOKEN=off\n", n)
	}
	if r.Backlog > 0 {
		fmt.Fprintf(w, "   backlog    %d requests due before the deadline were never sent: the server is slower than -rate\n", r.Backlog)
	}
	if len(r.Acknowledged) > 0 {
		fmt.Fprintf(w, "   reports    %d acknowledged (201)", len(r.Acknowledged))
		if r.Mix == MixMixed {
			fmt.Fprintf(w, "; %d driven through the loop to closed", r.Closed)
		}
		fmt.Fprintln(w)
	}
	if r.Mix == MixMixed {
		fmt.Fprintf(w, "   %-8s %8s %9s %9s %9s %9s %9s %7s %9s  %s\n", "op", "count", "req/s", "p50", "p95", "p99", "max", "errors", "conflicts", "status")
		for i := range r.Ops {
			s := &r.Ops[i]
			fmt.Fprintf(w, "   %-8s %8d %9.1f %9s %9s %9s %9s %7d %9d  %s\n", s.Name, s.Count, float64(s.Count)/r.Elapsed.Seconds(),
				ms(s.Quantile(.50)), ms(s.Quantile(.95)), ms(s.Quantile(.99)), ms(s.Max()), s.Errors, s.Conflicts, statusLine(s.Status))
		}
	}
}

// Compare writes the ratio of a gridloop run to the baseline run.
func Compare(w io.Writer, g, b *Result) {
	fmt.Fprintf(w, "\n== gridloop / baseline (same run, same client settings)\n")
	tr, pr := 0.0, 0.0
	if b.Throughput() > 0 {
		tr = g.Throughput() / b.Throughput()
	}
	if p := b.Total.Quantile(.99); p > 0 {
		pr = float64(g.Total.Quantile(.99)) / float64(p)
	}
	fmt.Fprintf(w, "   throughput %.1f / %.1f req/s = %.2f×  (above 1: gridloop is faster)\n", g.Throughput(), b.Throughput(), tr)
	fmt.Fprintf(w, "   p99        %s / %s = %.2f×  (below 1: gridloop is faster)\n", ms(g.Total.Quantile(.99)), ms(b.Total.Quantile(.99)), pr)
	if g.Mix != MixIntake {
		fmt.Fprintf(w, "   (the baseline only takes reports; gridloop ran the %s mix)\n", g.Mix)
	}
}

func statusLine(m map[int]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := fmt.Sprint(k)
		if k == 0 {
			name = "transport-error"
		}
		parts = append(parts, fmt.Sprintf("%s:%d", name, m[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// ms formats a latency in milliseconds with three significant-ish digits.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0fms", f)
	case f >= 10:
		return fmt.Sprintf("%.1fms", f)
	default:
		return fmt.Sprintf("%.2fms", f)
	}
}
