package main

import (
	"os"
	"runtime/debug"
)

// defaultGCPercent is serve's GOGC. Most of what the server keeps live is long-lived
// indexes (the grids' spatial index, the open cases' similarity index), so the default
// 100 % headroom doubled the process for little saved CPU: with 1,000,000 cases and
// 100,000 grids the server reached ~500 MB RSS under load. 50 % headroom collects more
// often but keeps the heap at 1.5× what is live (docs/benchmarks.md).
const defaultGCPercent = 50

// tuneGC sets the collector's target percentage and soft memory limit, unless the GOGC
// or GOMEMLIMIT environment variables (read by the runtime) set them.
//
// There is no default memory limit on purpose: a limit below what the server keeps live
// makes the collector run without pause (measured: ~190 MB live and a 200 MiB limit
// spent 84 % of the CPU in the collector and served 5× fewer requests). Set one, with
// -memlimit, a good margin above the live heap.
func tuneGC(gcPercent int, memLimitMiB int64) {
	if os.Getenv("GOGC") == "" && gcPercent > 0 {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" && memLimitMiB > 0 {
		debug.SetMemoryLimit(memLimitMiB << 20)
	}
}
