package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/gridloop/gridloop/bench"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/web"
	"github.com/gridloop/gridloop/web/limit"
)

const benchSummary = `Load-test gridloop over its JSON API and print throughput and p50/p95/p99/max latency.

Either drive a running server:
  gridloop bench -url http://127.0.0.1:8080 -token TOKEN [-tokens shift_lead=T,dispatcher=T,handler=T,grid_member=T]
or start one in this process on a store (migrated; seeded with the demo city if empty;
tokens issued for operator, shift_lead, dispatcher, handler and grid_member):
  gridloop bench -db data/bench.db [-c 32] [-d 30s] [-mix intake|mixed] [-rate 0] [-baseline]

Mixes:
  intake  every request files a report (POST /api/v1/reports): a real complaint text
          (../shared/data/complaints.csv, else built-in samples), a point inside the city's
          unit grids, a random channel, a unique Idempotency-Key
  mixed   a city in its steady state: 6 % reports, 44 % workflow actions on the cases the run
          reported (register → dispatch → sign → feedback → send_check → check → close, each by
          its role; a 409/422 race is a conflict, not an error; with nothing to act on, a
          report), 30 % queue reads (GET /api/v1/cases?status=…&limit=20), 20 % case reads
          (GET /api/v1/cases/{code})

-baseline also runs, in the same process and for the same duration with the same clients, a
bare net/http server doing one durable SQLite INSERT per request (WAL, synchronous=FULL, one
connection: gridloop's default durability), and prints gridloop/baseline ratios.
Only loopback targets are allowed unless -allow-remote is given.`

func (m *Main) bench(ctx context.Context, args []string) error {
	fs := m.flags("bench", benchSummary)
	target := fs.String("url", "", "server to drive, e.g. http://127.0.0.1:8080 (or -db)")
	token := fs.String("token", "", "with -url: an operator's API token (gridloop user token -db STORE operator)")
	tokens := fs.String("tokens", "", "with -url, for -mix mixed: role=TOKEN,… for shift_lead, dispatcher, handler, grid_member\n(a role not given uses -token)")
	dsn := fs.String("db", "", "start gridloop in this process on this store (SQLite path or postgres:// URL) instead of -url")
	seedCases := fs.Int("cases", 400, "with -db: demo cases to seed when the store is empty")
	conc := fs.Int("c", 32, "concurrent clients")
	dur := fs.Duration("d", 30*time.Second, "duration of each measured run")
	mix := fs.String("mix", bench.MixIntake, "workload: intake or mixed")
	rate := fs.Float64("rate", 0, "0: closed loop, as fast as possible; N: open loop, N requests/s (latency from when each was due)")
	baseline := fs.Bool("baseline", false, "also measure the bare SQLite-INSERT baseline server and print the ratios")
	baseDir := fs.String("baseline-dir", "", "directory for the baseline's SQLite file (default: the -db file's directory, else the system temp dir)")
	allowRemote := fs.Bool("allow-remote", false, "allow a -url that is not a loopback address")
	verify := fs.Bool("verify", false, "after the run, check over the API that every acknowledged report exists")
	seed := fs.Uint64("seed", 0, "random seed (0: from the clock)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process during the gridloop run to this file\n(with -db it covers the in-process server and the clients)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %v", fs.Args())
	}
	if (*target == "") == (*dsn == "") {
		fs.Usage()
		return errors.New("bench: give either -url (with -token) or -db")
	}

	cfg := bench.Config{
		Concurrency: *conc, Duration: *dur, Mix: *mix, Rate: *rate, AllowRemote: *allowRemote,
		Seed: *seed, Progress: m.Stderr, Tokens: map[string]string{},
	}
	dataDir := bench.DataDir()
	texts, err := bench.LoadTexts(dataDir)
	if err != nil {
		return fmt.Errorf("bench: complaints: %w", err)
	}
	cfg.Texts = texts
	if dataDir == "" {
		fmt.Fprintln(m.Stderr, "bench: no complaints.csv in $GRIDLOOP_DATA, ../shared/data or ../../shared/data: using built-in sample texts")
	}

	// The run's own context: the in-process server's jobs stop with it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	where := ""
	var local *service.Service // the in-process server's
	if *dsn != "" {
		svc, stop, err := m.benchServer(ctx, *dsn, *seedCases, &cfg)
		if err != nil {
			return err
		}
		defer stop()
		local = svc
		where = " (in-process, store " + *dsn + ")"
		if *baseDir == "" && !strings.Contains(*dsn, "://") {
			*baseDir = filepath.Dir(*dsn)
		}
	} else {
		if _, err := bench.CheckTarget(*target, *allowRemote); err != nil {
			return err
		}
		if *token == "" {
			return errors.New("bench: -url needs -token (an operator's API token)")
		}
		cfg.URL = *target
		cfg.Tokens[bench.RoleOperator] = *token
		for _, kv := range strings.Split(*tokens, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			role, tok, ok := strings.Cut(kv, "=")
			if !ok || tok == "" {
				return fmt.Errorf("bench: -tokens takes role=TOKEN pairs, got %q", kv)
			}
			cfg.Tokens[strings.TrimSpace(role)] = strings.TrimSpace(tok)
		}
	}

	fmt.Fprintf(m.Stdout, "gridloop bench: %s%s, mix %s, %d clients, %s\n", cfg.URL, where, cfg.Mix, cfg.Concurrency, cfg.Duration)
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, cfg)
	stopProfile()
	if res != nil {
		res.Print(m.Stdout)
	}
	if err != nil {
		return err
	}
	if local != nil {
		// The run's reports are all counted in the rollups only once their journal is
		// folded: fold what the run left, and say what that cost.
		t0 := time.Now()
		n, err := local.FoldRollups(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "   rollups    %d journal entries left by the run, folded in %s\n", n, time.Since(t0).Round(time.Millisecond))
	}
	var verifyErr error
	if *verify {
		verifyErr = m.benchVerify(ctx, cfg, res.Acknowledged)
	}

	if *baseline {
		b, err := bench.StartBaseline(*baseDir)
		if err != nil {
			return err
		}
		defer b.Close()
		bcfg := cfg
		bcfg.URL, bcfg.Label, bcfg.Mix, bcfg.Bare, bcfg.Tokens = b.URL, "baseline", bench.MixIntake, true, nil
		bres, err := bench.Run(ctx, bcfg)
		if bres != nil {
			bres.Target += " (net/http + one SQLite INSERT per request, WAL, synchronous=FULL, 1 connection; " + b.Path + ")"
			bres.Print(m.Stdout)
		}
		if err != nil {
			return err
		}
		if int(b.Rows()) < bres.Total.Status[201] {
			return fmt.Errorf("bench: baseline answered %d × 201 but holds %d rows", bres.Total.Status[201], b.Rows())
		}
		bench.Compare(m.Stdout, res, bres)
	}
	if verifyErr != nil {
		return verifyErr
	}
	if res.Total.Errors > 0 {
		return fmt.Errorf("bench: %d of %d requests failed", res.Total.Errors, res.Total.Count)
	}
	return nil
}

// benchVerify checks that every report the run saw acknowledged is there.
func (m *Main) benchVerify(ctx context.Context, cfg bench.Config, codes []string) error {
	start := time.Now()
	missing, err := bench.Verify(ctx, cfg, codes)
	if err != nil {
		return fmt.Errorf("bench: verify: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("bench: %d of %d acknowledged reports are missing, e.g. %s", len(missing), len(codes), missing[0])
	}
	fmt.Fprintf(m.Stdout, "   verified   all %d acknowledged reports exist (%s)\n", len(codes), time.Since(start).Round(time.Millisecond))
	return nil
}

// benchServer starts gridloop in this process on dsn, as `gridloop serve` would, on
// 127.0.0.1:0; it fills cfg's URL and tokens. stop shuts the server down.
func (m *Main) benchServer(ctx context.Context, dsn string, cases int, cfg *bench.Config) (svc *service.Service, stop func(), err error) {
	svc, err = m.openService(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := m.seed(ctx, svc, cases); err != nil {
		return nil, nil, err
	}
	ttl := cfg.Duration*3 + time.Hour
	for _, role := range append([]string{bench.RoleOperator}, bench.WorkflowRoles...) {
		// The demo city has one account per role, named after it.
		tok, err := svc.IssueToken(ctx, role, "bench", ttl)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: -db needs the demo accounts (gridloop demo): token for %s: %w", role, err)
		}
		cfg.Tokens[role] = tok
	}
	// The benchmark is the only client: intake rate limits would measure themselves.
	srv := &web.Server{Svc: svc, Log: svc.Logger, Limits: limit.Unlimited}
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		return nil, nil, err
	}
	go (&jobs.OverdueClock{Svc: svc, Log: svc.Logger}).Run(ctx)
	go (&jobs.RollupFold{Svc: svc, Log: svc.Logger}).Run(ctx)
	go svc.WatchGeo(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	cfg.URL = srv.URL()
	if u, err := url.Parse(cfg.URL); err == nil && u.Hostname() == "localhost" {
		cfg.URL = strings.Replace(cfg.URL, "localhost", "127.0.0.1", 1)
	}
	fmt.Fprintf(m.Stdout, "gridloop serving %s on %s for the benchmark\n", dsn, cfg.URL)
	return svc, func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			fmt.Fprintln(m.Stderr, "bench: shutdown:", err)
		}
		if err := <-errc; err != nil {
			fmt.Fprintln(m.Stderr, "bench: serve:", err)
		}
	}, nil
}

// startCPUProfile starts a CPU profile into path (nothing when path is empty); the
// returned function stops it.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
