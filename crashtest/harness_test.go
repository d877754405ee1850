package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx"
	_ "modernc.org/sqlite"             // "sqlite"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// binary is the gridloop executable built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "gridloop-crashtest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "gridloop")
		return m.Run()
	}()
	os.Exit(code)
}

var buildOnce sync.Once
var buildErr error

// build compiles cmd/gridloop into binary (once).
func build(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("crash tests build and run the gridloop binary: skipped with -short")
	}
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", binary, "github.com/gridloop/gridloop/cmd/gridloop")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// gridloop runs a gridloop command to completion and returns its stdout.
func gridloop(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gridloop %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// city is a store seeded as a minimal city: migrated, the default categories, an
// operator with an API token.
type city struct {
	dsn   string
	token string
}

func newCity(t *testing.T, dsn string) *city {
	t.Helper()
	ctx := context.Background()
	gridloop(t, "migrate", "-db", dsn)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gl.DefaultCategories() {
		if err := svc.PutCategory(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	gridloop(t, "user", "add", "-db", dsn, "-role", "operator", "-password", "crash-test-password", "op")
	token := strings.TrimSpace(gridloop(t, "user", "token", "-db", dsn, "op"))
	if !strings.HasPrefix(token, "glt_") {
		t.Fatalf("user token: %q", token)
	}
	return &city{dsn: dsn, token: token}
}

// node is one running `gridloop serve`.
type node struct {
	cmd  *exec.Cmd
	url  string
	urlc chan string
	done chan error // the process's exit, once
	log  *lockedBuffer

	killOnce sync.Once
}

var servingRE = regexp.MustCompile(`\(serving\) on (http://\S+)`)

// start runs `gridloop serve` on the city's store and waits until it listens.
func (c *city) start(t *testing.T) *node {
	t.Helper()
	n := c.startAsync(t)
	n.wait(t)
	return n
}

// startAsync starts `gridloop serve` on the city's store; wait waits until it listens.
func (c *city) startAsync(t *testing.T) *node {
	t.Helper()
	// The rollups' journal is folded every 50 ms (2 s by default), so that kills land
	// in folds too.
	cmd := exec.Command(binary, "serve", "-addr", "127.0.0.1:0", "-db", c.dsn, "-rollup-fold", "50ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, done: make(chan error, 1), log: &lockedBuffer{}, urlc: make(chan string, 1)}
	cmd.Stderr = n.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				n.urlc <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { n.done <- cmd.Wait() }()
	t.Cleanup(func() { n.kill() })
	return n
}

func (n *node) wait(t *testing.T) {
	t.Helper()
	select {
	case n.url = <-n.urlc:
	case err := <-n.done:
		n.done <- err
		t.Fatalf("gridloop serve exited before listening: %v\n%s", err, n.log)
	case <-time.After(60 * time.Second):
		t.Fatalf("gridloop serve did not listen within 60s\n%s", n.log)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	n.killOnce.Do(func() {
		_ = n.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// lockedBuffer collects a process's stderr for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// ack is a report the client saw acknowledged: 201 with a case code.
type ack struct {
	key, code string
	body      []byte
}

// load drives concurrent reports at the nodes (round-robin per worker) until stop is
// closed or every node it talks to has died, and returns the acknowledged ones.
type load struct {
	token   string
	nodes   []*node
	workers int
	prefix  string

	mu    sync.Mutex
	acks  []ack
	sent  int
	fails int
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func (l *load) run(stop <-chan struct{}) {
	var wg sync.WaitGroup
	for w := range l.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := l.nodes[(w+i)%len(l.nodes)]
				key := fmt.Sprintf("%s-%d-%d", l.prefix, w, i)
				lat, lng := 30.2+rng.Float64()*0.1, 120.1+rng.Float64()*0.1
				body, _ := json.Marshal(map[string]any{
					"description": fmt.Sprintf("崩溃测试 %s：路灯不亮，已持续三天", key),
					"lat":         lat, "lng": lng, "channel": "hotline",
				})
				code, status, err := postReport(n.url, l.token, key, body)
				l.mu.Lock()
				l.sent++
				if err == nil && status == http.StatusCreated && code != "" {
					l.acks = append(l.acks, ack{key: key, code: code, body: body})
				} else {
					l.fails++
				}
				l.mu.Unlock()
				if err != nil {
					// The node is gone (killed): pause rather than spin.
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
}

func (l *load) acked() []ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ack(nil), l.acks...)
}

// postReport files one report; it returns the case code of a 201.
func postReport(url, token, key string, body []byte) (code string, status int, err error) {
	req, err := http.NewRequest("POST", url+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var out struct {
		Code string `json:"code"`
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", resp.StatusCode, err
	}
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &out); err != nil {
			return "", resp.StatusCode, err
		}
	}
	return out.Code, resp.StatusCode, nil
}

// openSQL opens the store directly, for checks that do not go through gridloop.
func openSQL(t *testing.T, dsn string) (*sql.DB, string) {
	t.Helper()
	driver := "sqlite"
	if strings.HasPrefix(dsn, "postgres") {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, driver
}

// checkStore checks the store's integrity and that every acknowledged report is there
// with its report event. Every report in these tests carries an Idempotency-Key, so
// every case has exactly one saved answer, written in the case's transaction.
func checkStore(t *testing.T, dsn string, acks []ack) (cases int) {
	t.Helper()
	return checkStoreBase(t, dsn, acks, 0)
}

// checkStoreBase is checkStore on a store that had base cases (without saved answers)
// before the load.
func checkStoreBase(t *testing.T, dsn string, acks []ack, base int) (cases int) {
	t.Helper()
	db, _ := openSQL(t, dsn)
	ctx := context.Background()
	one := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	cases = one(`SELECT count(*) FROM cases`)
	if n := one(`SELECT count(DISTINCT code) FROM cases`); n != cases {
		t.Errorf("case codes not unique: %d codes for %d cases", n, cases)
	}
	if n := one(`SELECT count(*) FROM cases c WHERE NOT EXISTS
		(SELECT 1 FROM events e WHERE e.case_id = c.id AND e.action = 'report' AND e.seq = 1)`); n != 0 {
		t.Errorf("%d cases without their report event", n)
	}
	if n := one(`SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = e.case_id)`); n != 0 {
		t.Errorf("%d events without their case", n)
	}
	if n := one(`SELECT count(*) FROM events WHERE action = 'report'`); n != cases {
		t.Errorf("%d report events for %d cases", n, cases)
	}
	if n := one(`SELECT count(*) FROM idempotency`); n != cases-base {
		t.Errorf("%d saved answers for %d new cases: a report was half-written", n, cases-base)
	}

	rows, err := db.QueryContext(ctx, `SELECT code FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		have[code] = true
	}
	rows.Close()
	lost := 0
	seen := map[string]string{}
	for _, a := range acks {
		if !have[a.code] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged report %s (key %s) is missing", a.code, a.key)
			}
		}
		if k, dup := seen[a.code]; dup {
			t.Errorf("keys %s and %s were both acknowledged with case %s", k, a.key, a.code)
		}
		seen[a.code] = a.key
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged reports lost", lost, len(acks))
	}
	return cases
}

// checkRollups runs `gridloop rollups check`: the rollups and their journal must count
// every recorded event once, however the nodes died.
func checkRollups(t *testing.T, dsn string) {
	t.Helper()
	out := gridloop(t, "rollups", "check", "-db", dsn)
	if !strings.Contains(out, "一致") {
		t.Errorf("rollups check:\n%s", out)
	}
}

// checkReplays re-sends up to max acknowledged reports with their keys: each must
// answer 201 with the code of the first answer, and create nothing.
func checkReplays(t *testing.T, nodes []*node, token string, acks []ack, max int) {
	t.Helper()
	if len(acks) > max {
		acks = acks[len(acks)-max:] // the newest: those closest to the kill
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	bad := 0
	for i, a := range acks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			code, status, err := postReport(nodes[i%len(nodes)].url, token, a.key, a.body)
			if err != nil || status != http.StatusCreated || code != a.code {
				mu.Lock()
				bad++
				if bad <= 5 {
					t.Errorf("replay of key %s: %d %q %v, want 201 %s", a.key, status, code, err, a.code)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// backends lists the stores to test on: a fresh SQLite file, and a fresh PostgreSQL
// database when dbtest has a cluster (as in `make test`).
func eachBackend(t *testing.T, fn func(t *testing.T, b dbtest.Backend)) {
	dbtest.Each(t, fn)
}

// jitter is a random duration in [lo, hi).
func jitter(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)))
}
