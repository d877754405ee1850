package bench

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestQuantile(t *testing.T) {
	s := Stats{}
	if s.Quantile(.99) != 0 {
		t.Fatal("no requests: 0")
	}
	for i := 1; i <= 100; i++ {
		s.Latencies = append(s.Latencies, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{.50, 50 * time.Millisecond}, {.95, 95 * time.Millisecond}, {.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := s.Quantile(c.q); got != c.want {
			t.Errorf("q%.2f = %s, want %s", c.q, got, c.want)
		}
	}
	s.Latencies = []time.Duration{7}
	if s.Quantile(.5) != 7 || s.Max() != 7 {
		t.Error("one request is every quantile")
	}
}

func TestParseComplaints(t *testing.T) {
	long := strings.Repeat("路", 5000)
	csv := "id,subject,time,detail,against,likes\n" +
		"1,路灯不亮,2019/2/28 11:25:05,\"文三路路灯\n连续三晚不亮\",0,0\n" +
		"2,  ,2019/2/28 11:25:05,,0,0\n" +
		"3,长文," + "2019/1/1 00:00:00," + long + ",0,0\n"
	items, err := ParseComplaints(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0] != "路灯不亮：文三路路灯 连续三晚不亮" {
		t.Fatalf("items %q", items)
	}
	if n := utf8.RuneCountInString(items[1]); n != maxDescription {
		t.Errorf("long complaint cut to %d characters, want %d", n, maxDescription)
	}
	if _, err := ParseComplaints(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("a file without subject and detail must be refused")
	}
}

// TestLoadSharedComplaints reads the real shared file when it is there.
func TestLoadSharedComplaints(t *testing.T) {
	dir := DataDir()
	if dir == "" {
		t.Skip("no ../shared/data/complaints.csv")
	}
	texts, err := LoadTexts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts.Items) < 4000 {
		t.Errorf("%d complaints from %s, want the 4,326 of the shared file", len(texts.Items), texts.Source)
	}
	if texts, _ := LoadTexts(t.TempDir()); texts.Source != "built-in samples" {
		t.Errorf("a directory without the file gives the samples, got %s", texts.Source)
	}
}

func TestCheckTarget(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.5.6.7:9"} {
		if _, err := CheckTarget(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://example.com", "http://192.168.1.2:8080", "http://0.0.0.0:8080", "ftp://127.0.0.1", "127.0.0.1:8080"} {
		if _, err := CheckTarget(u, false); err == nil {
			t.Errorf("%s must be refused", u)
		}
	}
	if _, err := CheckTarget("http://example.com", true); err != nil {
		t.Errorf("-allow-remote: %v", err)
	}
	// The dialer refuses a non-loopback address even if the URL check was passed.
	c := newClient(1, false)
	if _, err := c.Get("http://192.0.2.1:9/"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("dialer: %v", err)
	}
}

// TestBaseline drives the baseline server closed-loop and then open-loop: every 201 is a
// durable row, and the open loop keeps its pace.
func TestBaseline(t *testing.T) {
	b, err := StartBaseline(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var progress bytes.Buffer
	res, err := Run(context.Background(), Config{URL: b.URL, Bare: true, Concurrency: 4, Duration: 1500 * time.Millisecond, Progress: &progress, Label: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Count == 0 || res.Total.Errors != 0 || res.Total.Status[201] != res.Total.Count {
		t.Fatalf("baseline: %+v", res.Total.Status)
	}
	if int(b.Rows()) != res.Total.Count {
		t.Errorf("%d rows for %d answers", b.Rows(), res.Total.Count)
	}
	if !strings.Contains(progress.String(), "baseline [   1s]") {
		t.Errorf("progress: %q", progress.String())
	}
	var out bytes.Buffer
	res.Print(&out)
	for _, want := range []string{"p50 ", "p95 ", "p99 ", "max ", "201:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The rows are really there, in a file another connection can read.
	db, err := sql.Open("sqlite", b.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM reports`).Scan(&n); err != nil || n != res.Total.Count {
		t.Errorf("file holds %d rows (%v), want %d", n, err, res.Total.Count)
	}

	open, err := Run(context.Background(), Config{URL: b.URL, Bare: true, Concurrency: 4, Duration: time.Second, Rate: 100})
	if err != nil {
		t.Fatal(err)
	}
	if open.Total.Count < 90 || open.Total.Count > 100 || open.Backlog > 10 {
		t.Errorf("open loop at 100/s for 1s: %d requests, backlog %d", open.Total.Count, open.Backlog)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{URL: "http://127.0.0.1:1", Mix: "nope", Tokens: map[string]string{RoleOperator: "x"}},
		{URL: "http://127.0.0.1:1"},
		{URL: "http://127.0.0.1:1", Bare: true, Mix: MixMixed},
		{URL: "http://127.0.0.1:1", Bare: true, Rate: -1},
	} {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
}

// TestPrintExplainsRateLimits: 429s in a result come with what to do about them.
func TestPrintExplainsRateLimits(t *testing.T) {
	for _, tc := range []struct {
		status map[int]int
		want   bool
	}{
		{map[int]int{201: 10, 429: 3}, true},
		{map[int]int{201: 10}, false},
	} {
		r := &Result{Label: "gridloop", Mix: MixIntake, Total: Stats{Count: 13, Status: tc.status}}
		var b strings.Builder
		r.Print(&b)
		got := strings.Contains(b.String(), "GRIDLOOP_RATE_TOKEN=off")
		if got != tc.want {
			t.Errorf("status %v: hint printed %v, want %v:\n%s", tc.status, got, tc.want, b.String())
		}
	}
}
