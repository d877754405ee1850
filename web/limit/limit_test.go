package limit

import (
	"net/http/httptest"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in          string
		rate, burst float64
		off, bad    bool
	}{
		{in: "6/m,30", rate: 0.1, burst: 30}, {in: "100/s", rate: 100, burst: 100}, {in: "3600/h, 10", rate: 1, burst: 10},
		{in: "off", off: true}, {in: "0", off: true},
		{in: "6", bad: true}, {in: "6/d", bad: true}, {in: "-1/s", bad: true}, {in: "x/s", bad: true}, {in: "1/s,0", bad: true}, {in: "1/s,x", bad: true},
	} {
		l, err := ParseRate(c.in)
		switch {
		case c.bad:
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
		case err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.off:
			if l != nil {
				t.Errorf("%q: %v, want off", c.in, l)
			}
		case l.Rate != c.rate || l.Burst != c.burst:
			t.Errorf("%q: %v/s burst %v", c.in, l.Rate, l.Burst)
		}
	}
}

func TestAllow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := New(1, 2) // one a second, bursts of two
	l.now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Fatalf("call %d: %v", i, ok)
		}
	}
	if ok, wait := l.Allow("a"); ok || wait != time.Second {
		t.Fatalf("empty bucket: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(1500 * time.Millisecond)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("not refilled")
	}
	var nilL *Limiter
	if ok, _ := nilL.Allow("a"); !ok {
		t.Fatal("a nil limiter refuses")
	}
	ls := &Limits{Token: l}
	err := ls.AllowToken("a")
	if gl.ErrorCode(err) != gl.ETOOMANY || gl.RetryAfterOf(err) != time.Second {
		t.Fatalf("AllowToken: %v (retry after %v)", err, gl.RetryAfterOf(err))
	}
	if err := (*Limits)(nil).AllowToken("a"); err != nil {
		t.Fatal(err)
	}
}

func TestClientAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r.Header.Set("X-Forwarded-For", "198.51.100.7, 203.0.113.9")
	defer func(v bool) { TrustProxy = v }(TrustProxy)
	TrustProxy = false
	if got := ClientAddr(r); got != "192.0.2.1" {
		t.Errorf("untrusted proxy headers: %s", got)
	}
	TrustProxy = true
	if got := ClientAddr(r); got != "203.0.113.9" {
		t.Errorf("behind a proxy: %s", got)
	}
	r.Header.Set("X-Real-IP", "198.51.100.8")
	if got := ClientAddr(r); got != "198.51.100.8" {
		t.Errorf("X-Real-IP: %s", got)
	}
	r.Header.Set("X-Real-IP", "not an address")
	if got := ClientAddr(r); got != "203.0.113.9" {
		t.Errorf("a bad X-Real-IP: %s", got)
	}
}
