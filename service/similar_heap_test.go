package service_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/gridloop/gridloop/service"
	"github.com/gridloop/gridloop/store"
)

// BenchmarkSimilarIndexHeap100k reports the live heap the service's similar-case index
// holds at 100,000 open cases (docs/duplicates.md, "Memory"): the store of
// BenchmarkSimilarService100k (generated first if need be), a fresh Service, its index
// built with SyncSimilar; runtime.MemStats.HeapAlloc after a GC before and after the
// build, and the most heap the build had in use (live and not yet collected, sampled
// every 2 ms: it depends on GOGC). It measures, it asserts nothing:
//
//	go test ./service/ -run '^$' -bench SimilarIndexHeap100k -benchtime 1x -count 3
func BenchmarkSimilarIndexHeap100k(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("GRIDLOOP_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gridloop-bench")
	}
	dsn := filepath.Join(dir, fmt.Sprintf("similar_%d_%s.db", simBenchOpen, simBenchTag))
	ready := filepath.Join(dir, fmt.Sprintf("similar_%d_%s.ready", simBenchOpen, simBenchTag))
	if _, err := os.Stat(ready); err != nil {
		simBenchSetup(b) // generates the store
	}
	for b.Loop() {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		svc, err := service.New(ctx, db, nil)
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		done := make(chan struct{})
		peak := make(chan uint64)
		go func() {
			sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			var top uint64
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for {
				metrics.Read(sample)
				top = max(top, sample[0].Value.Uint64())
				select {
				case <-done:
					peak <- top
					return
				case <-tick.C:
				}
			}
		}()
		err = svc.SyncSimilar(ctx)
		close(done)
		top := <-peak
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if st := svc.SimilarStats(); st.Cases != simBenchOpen {
			b.Fatalf("index holds %d cases, want %d", st.Cases, simBenchOpen)
		}
		runtime.KeepAlive(svc)
		mib := func(v uint64) float64 { return float64(v) / (1 << 20) }
		b.ReportMetric(mib(before.HeapAlloc), "heap-before-MiB")
		b.ReportMetric(mib(after.HeapAlloc), "heap-after-MiB")
		b.ReportMetric(mib(top), "build-peak-MiB")
		b.ReportMetric(mib(after.HeapAlloc)-mib(before.HeapAlloc), "index-MiB")
		b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/simBenchOpen, "B/case")
		db.Close()
	}
}
