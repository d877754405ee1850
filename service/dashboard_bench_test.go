package service_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	gl "github.com/gridloop/gridloop"
	"github.com/gridloop/gridloop/evaluation"
	"github.com/gridloop/gridloop/internal/dbtest"
	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// The dashboard and ranking queries at scale (docs/benchmarks.md, "Dashboard and
// rankings at 1,000,000 cases"). Gated, since generating the data takes a while:
//
//	GRIDLOOP_BENCH_1M=1 go test ./service/ -run '^$' -bench 'Dashboard1M' -benchtime 20x -timeout 3h
//
// GRIDLOOP_BENCH_CASES sets the number of cases (default 1,000,000). The data are
// generated once per size and kept for later runs: SQLite in $GRIDLOOP_BENCH_DIR
// (default $TMPDIR/gridloop-bench), PostgreSQL as database gridloop_bench_<n>_<version>
// on the cluster in $GRIDLOOP_TEST_POSTGRES (skipped when unset).

const benchEnv = "GRIDLOOP_BENCH_1M"

func benchCases() int {
	if n, err := strconv.Atoi(os.Getenv("GRIDLOOP_BENCH_CASES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// benchStore opens the benchmark store of backend with n cases, generating it first
// if it does not exist yet.
func benchStore(b *testing.B, backend string, n int) (*service.Service, *benchCity) {
	b.Helper()
	ctx := context.Background()
	tag := fmt.Sprintf("%d_%s", n, benchDataVersion)
	var dsn string
	fresh := false
	switch backend {
	case dbtest.SQLiteName:
		dir := os.Getenv("GRIDLOOP_BENCH_DIR")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "gridloop-bench")
		}
		dsn = filepath.Join(dir, "dashboard_"+tag+".db")
		if !benchReady(ctx, dsn, tag) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(dsn + suffix)
			}
			fresh = true
		}
	case dbtest.PostgresName:
		admin := os.Getenv(dbtest.EnvPostgres)
		if admin == "" {
			b.Skipf("%s is not set", dbtest.EnvPostgres)
		}
		u, err := url.Parse(admin)
		if err != nil {
			b.Fatal(err)
		}
		name := "gridloop_bench_" + tag
		u.Path = "/" + name
		dsn = u.String()
		if !benchReady(ctx, dsn, tag) {
			if err := pgAdmin(admin, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`, `CREATE DATABASE `+name); err != nil {
				b.Fatal(err)
			}
			fresh = true
		}
	}
	svc, err := openBenchService(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.DB.Close() })
	var bc *benchCity
	if fresh {
		start := time.Now()
		if bc, err = setupBenchCity(ctx, svc); err != nil {
			b.Fatal(err)
		}
		last := time.Now()
		err = generateBenchData(ctx, svc, bc, n, 365, 20261122, func(done int) {
			if time.Since(last) > 10*time.Second || done == n {
				last = time.Now()
				b.Logf("%s: generated %d/%d cases in %s", backend, done, n, time.Since(start).Round(time.Second))
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := analyze(ctx, svc, dsn); err != nil {
			b.Fatal(err)
		}
		err = svc.DB.Update(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, "bench.data", tag) })
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d cases generated, analyzed in %s", backend, n, time.Since(start).Round(time.Second))
	} else {
		bc = &benchCity{handlers: map[int64]int64{}}
		// A store generated before category_months existed (migration 00009).
		var top []store.CategoryCount
		err := svc.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			top, err = tx.TopCategoriesOfMonth(ctx, "2026-11-01", 1)
			return err
		})
		if err == nil && len(top) == 0 {
			err = svc.DB.Update(ctx, func(tx *store.Tx) error { return tx.RebuildCategoryMonths(ctx) })
			if err == nil {
				err = analyze(ctx, svc, dsn) // and the indexes the migration added
			}
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	return svc, bc
}

// benchReady reports whether the store at dsn holds the finished data tagged tag.
func benchReady(ctx context.Context, dsn, tag string) bool {
	if !strings.HasPrefix(dsn, "postgres") {
		if _, err := os.Stat(dsn); err != nil {
			return false
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	var v string
	var ok bool
	err = db.View(ctx, func(tx *store.Tx) error {
		var err error
		v, ok, err = tx.Setting(ctx, "bench.data")
		return err
	})
	return err == nil && ok && v == tag
}

func pgAdmin(dsn string, stmts ...string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// analyze updates the planner's statistics; on PostgreSQL it also vacuums, as
// autovacuum would after a load, so that index-only scans see an up-to-date
// visibility map.
func analyze(ctx context.Context, svc *service.Service, dsn string) error {
	if svc.DB.Dialect() == store.Postgres {
		return pgAdmin(dsn, `VACUUM ANALYZE`)
	}
	return svc.DB.Analyze(ctx)
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchQuery is one query the dashboard or a ranking runs.
type benchQuery struct {
	name string
	run  func(ctx context.Context) error
}

func benchQueries(svc *service.Service, city, dept, area *service.Principal) []benchQuery {
	var out []benchQuery
	for _, who := range []struct {
		suffix string
		p      *service.Principal
	}{{"", city}, {",department-scope", dept}, {",street-scope", area}} {
		for _, sec := range service.DashboardSections {
			out = append(out, benchQuery{"dashboard/" + sec + who.suffix, func(ctx context.Context) error {
				_, err := svc.DashboardOf(ctx, who.p, []string{sec})
				return err
			}})
		}
		out = append(out, benchQuery{"dashboard/all" + who.suffix, func(ctx context.Context) error {
			_, err := svc.Dashboard(ctx, who.p)
			return err
		}})
	}
	for _, q := range []struct {
		name string
		q    service.EvalQuery
	}{
		{"department", service.EvalQuery{Dim: evaluation.DimDepartment}},
		{"department,top+subtree", service.EvalQuery{Dim: evaluation.DimDepartment, Top: true, Subtree: true}},
		{"area,street", service.EvalQuery{Dim: evaluation.DimArea, Level: "street"}},
		{"area,community", service.EvalQuery{Dim: evaluation.DimArea, Level: "community"}},
		{"grid,top50", service.EvalQuery{Dim: evaluation.DimGrid, Limit: 50}},
		{"grid,street", service.EvalQuery{Dim: evaluation.DimGrid, Parent: "330111001"}},
		{"grid,all", service.EvalQuery{Dim: evaluation.DimGrid}},
		{"grid_member", service.EvalQuery{Dim: evaluation.DimGridMember}},
		{"role", service.EvalQuery{Dim: evaluation.DimRole}},
		{"department,week", service.EvalQuery{Dim: evaluation.DimDepartment, Period: evaluation.Week}},
		{"area,day", service.EvalQuery{Dim: evaluation.DimArea, Period: evaluation.Day}},
	} {
		out = append(out, benchQuery{"ranking/" + q.name, func(ctx context.Context) error {
			_, err := svc.Evaluate(ctx, city, q.q)
			return err
		}})
	}
	out = append(out, benchQuery{"ranking/area,street,street-scope", func(ctx context.Context) error {
		_, err := svc.Evaluate(ctx, area, service.EvalQuery{Dim: evaluation.DimArea})
		return err
	}})
	// The same with the cache of rollup reads empty (service/rollupcache.go): as after
	// an event of the period, which changes the rollups' version. The runs above read
	// the cache, since nothing changes the rollups during a benchmark.
	for _, q := range slices.Clone(out) {
		if !strings.HasPrefix(q.name, "ranking/") && !strings.HasPrefix(q.name, "dashboard/all") &&
			!strings.HasPrefix(q.name, "dashboard/heat") && !strings.HasPrefix(q.name, "dashboard/trend") {
			continue
		}
		out = append(out, benchQuery{q.name + ",cold", func(ctx context.Context) error {
			svc.ResetRollupCache()
			return q.run(ctx)
		}})
	}
	return out
}

// BenchmarkDashboard1M times every dashboard section and ranking query over the
// generated store, on SQLite and PostgreSQL; the rankings, the trend and the heat map
// also with the cache of rollup reads empty (",cold"). Besides ns/op it reports the median and
// 95th percentile of single runs and the process's CPU time per run, in milliseconds.
func BenchmarkDashboard1M(b *testing.B) {
	if os.Getenv(benchEnv) == "" {
		b.Skipf("set %s=1 to run the benchmarks at scale (they generate %d cases once)", benchEnv, benchCases())
	}
	n := benchCases()
	for _, backend := range []string{dbtest.SQLiteName, dbtest.PostgresName} {
		b.Run(backend, func(b *testing.B) {
			svc, _ := benchStore(b, backend, n)
			ctx := context.Background()
			city := &service.Principal{User: &gl.User{ID: 1, Name: "bench", Roles: []gl.Role{gl.RoleSupervisor}}}
			top := svc.Depts().All()[0].ID
			deptUser := &gl.User{ID: 2, Name: "bench-dept", Roles: []gl.Role{gl.RoleHandler}, DeptScope: []int64{top}}
			areaUser := &gl.User{ID: 3, Name: "bench-street", Roles: []gl.Role{gl.RoleSupervisor}, AreaScope: []string{"330111001"}}
			dept, area := svc.NewPrincipal(deptUser), svc.NewPrincipal(areaUser)
			var total int64
			_ = svc.DB.View(ctx, func(tx *store.Tx) error {
				var err error
				total, err = tx.CountCases(ctx)
				return err
			})
			b.Logf("%s: %d cases", backend, total)
			for _, q := range benchQueries(svc, city, dept, area) {
				b.Run(q.name, func(b *testing.B) {
					if err := q.run(ctx); err != nil { // warm the caches once
						b.Fatal(err)
					}
					var times []time.Duration
					cpu0 := cpuTime()
					for b.Loop() {
						t0 := time.Now()
						if err := q.run(ctx); err != nil {
							b.Fatal(err)
						}
						times = append(times, time.Since(t0))
					}
					// This process's CPU time per run: on a shared machine, closer to what a
					// run takes alone than the wall clock (for SQLite, which runs in process).
					b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(len(times)), "cpu-ms/op")
					slices.Sort(times)
					ms := func(p float64) float64 {
						return float64(times[min(len(times)-1, int(p*float64(len(times))))]) / 1e6
					}
					b.ReportMetric(ms(0.5), "p50-ms")
					b.ReportMetric(ms(0.95), "p95-ms")
				})
			}
		})
	}
}
