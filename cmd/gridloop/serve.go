package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gridloop/gridloop/demo"
	"github.com/gridloop/gridloop/jobs"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
	"github.com/gridloop/gridloop/web"
)

// openService opens the store, applies migrations and builds the service.
func (m *Main) openService(ctx context.Context, dsn string) (*service.Service, error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	m.closers = append(m.closers, db.Close)
	if err := db.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return service.New(ctx, db, slog.New(slog.NewTextHandler(m.Stderr, nil)))
}

func (m *Main) serve(ctx context.Context, args []string, withDemo bool) error {
	name, summary := "serve", "Serve gridloop on an existing store (migrations are applied on start)."
	if withDemo {
		name, summary = "demo", "Serve a demo city: on a new store, seed departments, categories, one account per role\nand a few hundred cases in every state; on an existing store, reuse it."
	}
	fs := m.flags(name, summary)
	addr := fs.String("addr", "localhost:8080", "listen address")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	cases := fs.Int("cases", 400, "demo: number of cases to seed")
	pprofAddr := fs.String("pprof", "", "also serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060;\nloopback addresses only")
	gcPercent := fs.Int("gcpercent", defaultGCPercent, "the Go collector's target heap growth in percent (GOGC); the GOGC environment\nvariable, when set, takes precedence")
	rollupFold := fs.Duration("rollup-fold", 2*time.Second, "how often the rollups' journal is folded into the rollups (reads of the rollups fold\nfirst anyway; longer: fewer writes under heavy intake, a longer journal)")
	memLimit := fs.Int64("memlimit", 0, "soft memory limit for the Go heap in MiB (0: none); keep it well above the live heap.\nThe GOMEMLIMIT environment variable, when set, takes precedence")
	if !withDemo {
		fs.Lookup("cases").Usage = "ignored by serve"
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rollupFold <= 0 {
		return fmt.Errorf("%s: -rollup-fold must be positive, got %s", name, *rollupFold)
	}
	tuneGC(*gcPercent, *memLimit)
	if err := servePprof(*pprofAddr, m.Stderr); err != nil {
		return err
	}
	svc, err := m.openService(ctx, *dsn)
	if err != nil {
		return err
	}
	// Links in texts and emails need the server's address; on this machine only, it is
	// known (the seeded demo's messages get it too).
	notifyCfg := service.NotifyConfigFromEnv()
	baseURLSet := notifyCfg.BaseURL != ""
	if !baseURLSet {
		notifyCfg.BaseURL = loopbackBaseURL(*addr)
		svc.SetNotifyConfig(notifyCfg)
	}
	if withDemo {
		if err := m.seed(ctx, svc, *cases); err != nil {
			return err
		}
	}
	srv := &web.Server{Svc: svc, Log: svc.Logger}
	if err := srv.Listen(*addr); err != nil {
		return err
	}
	go (&jobs.OverdueClock{Svc: svc, Log: svc.Logger}).Run(ctx)
	go (&jobs.RollupFold{Svc: svc, Log: svc.Logger, Interval: *rollupFold}).Run(ctx)
	go (&jobs.WebhookDelivery{Svc: svc, Log: svc.Logger}).Run(ctx)
	go (&jobs.Citizen{Svc: svc, Log: svc.Logger}).Run(ctx) // similar-case index, notifications, follow-ups
	go (&jobs.PlannerStatistics{DB: svc.DB, Log: svc.Logger}).Run(ctx)
	go svc.WatchGeo(ctx)
	fmt.Fprintf(m.Stdout, "gridloop 已启动 (serving) on %s  — store: %s\n", srv.URL(), *dsn)
	switch {
	case baseURLSet || !(notifyCfg.SMS || notifyCfg.Email):
	case notifyCfg.BaseURL != "":
		// Also behind a reverse proxy on this machine, where citizens reach another name.
		fmt.Fprintf(m.Stdout, "注意：未设置 GRIDLOOP_BASE_URL，短信和邮件里的链接用本机地址 %[1]s，只在本机能打开；对外服务（包括经反向代理）请设置它。\n"+
			"  (GRIDLOOP_BASE_URL is not set: links in texts and emails use %[1]s, which opens on this machine only; set it to the URL citizens reach, e.g. https://12345.city.gov.cn)\n", notifyCfg.BaseURL)
	default:
		fmt.Fprintln(m.Stdout, "注意：未设置 GRIDLOOP_BASE_URL，短信和邮件里的链接只有路径，手机上打不开。\n"+
			"  (GRIDLOOP_BASE_URL is not set: links in texts and emails are bare paths; set it to the URL citizens reach, e.g. https://12345.city.gov.cn)")
	}
	if withDemo {
		fmt.Fprintf(m.Stdout, "\n演示账号 demo accounts (password %q):\n", demo.Password)
		for _, a := range demo.Accounts {
			fmt.Fprintf(m.Stdout, "  %-12s %s\n", a.Name, a.Display)
		}
		fmt.Fprintf(m.Stdout, "\nAPI token:  gridloop user token -db %s operator\n", *dsn)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func (m *Main) seed(ctx context.Context, svc *service.Service, cases int) error {
	seeded, err := demo.Seeded(ctx, svc.DB)
	if err != nil {
		return err
	}
	if seeded {
		fmt.Fprintln(m.Stdout, "演示数据已存在，直接使用 (demo store exists, reusing it)")
		return nil
	}
	start := time.Now()
	last := time.Time{}
	dir := demo.DataDir()
	if dir == "" {
		fmt.Fprintln(m.Stdout, "未找到杭州数据 (../shared/data or $GRIDLOOP_DATA): using the small hand-made demo city with random points")
	}
	err = demo.Seed(ctx, svc, demo.Options{Cases: cases, Seed: 2026, DataDir: dir, Say: func(s string) {
		fmt.Fprintf(m.Stdout, "[%5.1fs] %s\n", time.Since(start).Seconds(), s)
	}, Progress: func(done, total int) {
		if time.Since(last) > time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(m.Stdout, "\r生成演示案件 seeding demo cases: %d/%d", done, total)
		}
	}})
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	fmt.Fprintf(m.Stdout, "\n演示城市已生成 (demo city seeded in %s)\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	fs := m.flags("migrate", "Apply the database migrations to the store.")
	dsn := fs.String("db", defaultDB(), "SQLite file path or postgres:// URL (env GRIDLOOP_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	m.closers = append(m.closers, db.Close)
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "migrations applied:", *dsn)
	return nil
}
