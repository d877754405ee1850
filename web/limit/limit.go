// Package limit rate-limits public intake: token buckets per client address and per
// token, kept in memory on each node (docs/security.md). N nodes behind a load
// balancer therefore allow up to N times the configured rate in the worst case; that
// is the price of not touching the database on every request, and the limits are
// set for abuse (a script filing thousands of reports), not for fairness.
package limit

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gl "github.com/gridloop/gridloop"
)

// Limiter is a set of token buckets, one per key, each refilled at Rate tokens a
// second up to Burst. A nil *Limiter allows everything.
type Limiter struct {
	Rate  float64 // tokens per second
	Burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds memory: past it, the buckets that have refilled are dropped (a
// full bucket is the same as none).
const maxBuckets = 100_000

// New returns a limiter of rate tokens a second with bursts of burst.
func New(rate, burst float64) *Limiter {
	return &Limiter{Rate: rate, Burst: burst, buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes a token from key's bucket. When there is none it returns false and how
// long until there will be one.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.Burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.Burst, b.tokens+now.Sub(b.last).Seconds()*l.Rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.Rate * float64(time.Second))
	return false, wait
}

func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.Rate >= l.Burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets { // everyone is busy: start over rather than grow
		l.buckets = map[string]*bucket{}
	}
}

// String describes the limiter as ParseRate reads it: "6/m,30" or "off".
func (l *Limiter) String() string {
	if l == nil {
		return "off"
	}
	return fmt.Sprintf("%g/s,%g", l.Rate, l.Burst)
}

// ParseRate reads a limit: "N/s", "N/m" or "N/h" with an optional ",BURST" (default
// N), or "off" for none (a nil *Limiter).
func ParseRate(s string) (*Limiter, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return nil, nil
	}
	rateS, burstS, hasBurst := strings.Cut(s, ",")
	n, per, ok := strings.Cut(rateS, "/")
	if !ok {
		return nil, fmt.Errorf("limit %q: want N/s, N/m or N/h, optionally followed by ,BURST", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return nil, fmt.Errorf("limit %q: %q is not a positive number", s, n)
	}
	burst := v
	var secs float64
	switch strings.TrimSpace(per) {
	case "s":
		secs = 1
	case "m":
		secs = 60
	case "h":
		secs = 3600
	default:
		return nil, fmt.Errorf("limit %q: the period must be s, m or h", s)
	}
	if hasBurst {
		if burst, err = strconv.ParseFloat(strings.TrimSpace(burstS), 64); err != nil || burst < 1 || math.IsInf(burst, 0) {
			return nil, fmt.Errorf("limit %q: the burst %q must be a number of at least 1", s, burstS)
		}
	}
	return New(v/secs, math.Max(burst, 1)), nil
}

// Limits are the limits of public intake.
type Limits struct {
	// Address limits anonymous intake per client address: citizens' reports from the
	// web form and reporters' actions (supplement, rate, reopen, withdraw).
	Address *Limiter
	// Token limits intake per token: per API token (reports through the API and
	// Open311) and per tracking token (a reporter's actions on their case).
	Token *Limiter
}

// Defaults: a citizen's address may file a report every 10 seconds with bursts of 30
// (addresses are shared behind carrier NAT); a token 100 a second with bursts of
// 2000, for hotline and Open311 integrations catching up after an outage.
const (
	DefaultAddress = "6/m,30"
	DefaultToken   = "100/s,2000"
)

// Environment variables that override the defaults ("off" disables a limit).
const (
	EnvAddress    = "GRIDLOOP_RATE_ADDRESS"
	EnvToken      = "GRIDLOOP_RATE_TOKEN"
	EnvTrustProxy = "GRIDLOOP_TRUST_PROXY"
)

// FromEnv returns the default limits, overridden by the environment. A malformed
// variable is an error.
func FromEnv() (*Limits, error) {
	get := func(env, def string) (*Limiter, error) {
		v := os.Getenv(env)
		if v == "" {
			v = def
		}
		l, err := ParseRate(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", env, err)
		}
		return l, nil
	}
	var ls Limits
	var err error
	if ls.Address, err = get(EnvAddress, DefaultAddress); err != nil {
		return nil, err
	}
	if ls.Token, err = get(EnvToken, DefaultToken); err != nil {
		return nil, err
	}
	return &ls, nil
}

// Unlimited are no limits at all (benchmarks).
var Unlimited = &Limits{}

// AllowAddress takes a token of r's client address; the error is ETOOMANY with the
// time to wait.
func (ls *Limits) AllowAddress(r *http.Request) error {
	if ls == nil {
		return nil
	}
	return tooMany(ls.Address.Allow(ClientAddr(r)))
}

// AllowToken takes a token of the bucket of an API or tracking token (given as its
// hash or secret; only a hash of it is kept).
func (ls *Limits) AllowToken(token string) error {
	if ls == nil {
		return nil
	}
	return tooMany(ls.Token.Allow(token))
}

func tooMany(ok bool, wait time.Duration) error {
	if ok {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return gl.TooMany(time.Duration(secs)*time.Second,
		"请求过于频繁，请在 %d 秒后再试 (too many requests: try again in %d s)", secs, secs)
}

// RetryAfterHeader sets Retry-After for an ETOOMANY error.
func RetryAfterHeader(w http.ResponseWriter, err error) {
	if d := gl.RetryAfterOf(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

// TrustProxy says whether ClientAddr believes X-Real-IP / X-Forwarded-For: set it
// (env GRIDLOOP_TRUST_PROXY=1) only behind a reverse proxy that sets them, or every
// client can pick its own address.
var TrustProxy, _ = strconv.ParseBool(os.Getenv(EnvTrustProxy))

// ClientAddr is the client's IP address: the peer's, or behind a trusted proxy the
// one it reports (X-Real-IP, else the last hop of X-Forwarded-For).
func ClientAddr(r *http.Request) string {
	if TrustProxy {
		if v := strings.TrimSpace(r.Header.Get("X-Real-IP")); v != "" && net.ParseIP(v) != nil {
			return v
		}
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if v := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(v) != nil {
				return v
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
