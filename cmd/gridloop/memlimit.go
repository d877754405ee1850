package main

import (
	"os"
	"runtime/debug"
)

// defaultMemLimitMiB is serve's soft limit for the Go heap. Without one the heap grows
// to twice what is live between collections: a server holding 1,000,000 cases and
// 100,000 grids (about 115 MiB live, nearly all of it the spatial index) then sat at
// ~300 MB RSS; with this limit at ~240 MB, for a little more GC work under load
// (docs/benchmarks.md). It is soft: a larger live heap is never refused, only collected
// more often, and Go caps the GC's share of the CPU.
const defaultMemLimitMiB = 200

// setMemoryLimit sets the Go heap's soft limit to mib MiB, unless GOMEMLIMIT is set
// (the runtime has read it) or mib is 0.
func setMemoryLimit(mib int64) {
	if os.Getenv("GOMEMLIMIT") != "" || mib <= 0 {
		return
	}
	debug.SetMemoryLimit(mib << 20)
}
