package cmd

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// serveMemoryLimit is the heap size at which serve's garbage collector runs however its GC
// percent is set: under attack the heap stays near it instead of growing with the load, well
// under the 300 MB serve promises. Measured (scripts/attack-serve, full combined attack):
// peak RSS 101-104 MB and back to 36-50 MB after (idle 15 MB); with 192 MiB the peak was 191
// MB and RSS came back to 50-58 MB only. 1 000 concurrent real clients (bench-serve load
// -c 1000, handshake and GET) run at the same rate as with 192 MiB, peaking at 103 MB.
const serveMemoryLimit = 96 << 20

// setServeMemoryLimits bounds serve's memory by a limit rather than by the GC percent alone.
// A server allocates per connection and keeps little: at Go's default the collector runs with
// a 4 MB heap target many times a second under load, so below the limit the target is larger
// (~10% more handshakes per second, scripts/bench-serve.sh); raised alone it made memory
// under attack 2.4 times worse. GOGC and GOMEMLIMIT in the environment win, as for any Go
// program.
func setServeMemoryLimits() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// Memory left from a burst is given back once the heap holds at least idleMemoryFloor bytes
// beyond the live heap (garbage not yet collected, and free pages) and no collection has run
// for idleMemoryEvery: the state a server is in after a burst of connections ends.
const (
	idleMemoryFloor = 16 << 20
	idleMemoryEvery = 5 * time.Second
)

// returnIdleMemory gives memory left over from a burst back to the system. With no
// allocations the next collection is the 2-minute forced one, and Go's scavenger returns free
// pages only down to the last collection's goal, which the burst set: after a 10 s attack
// serve stayed at 50 MB (idle: 15 MB) with 25 MB of uncollected garbage. It reads a few
// runtime metrics every idleMemoryEvery; a full collection runs only when the server has gone
// quiet (no collection since the last look) with memory to give back, so under load it never
// adds one.
func returnIdleMemory(ctx context.Context) {
	samples := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	tick := time.NewTicker(idleMemoryEvery)
	defer tick.Stop()
	var lastCycles uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(samples)
		cycles := samples[0].Value.Uint64()
		if shouldReturnMemory(cycles != lastCycles, samples[1].Value.Uint64(), samples[2].Value.Uint64()+samples[3].Value.Uint64()) {
			debug.FreeOSMemory()
			metrics.Read(samples)
			cycles = samples[0].Value.Uint64()
		}
		lastCycles = cycles
	}
}

// shouldReturnMemory decides from whether a collection ran since the last look, the live heap
// it left, and the heap held (objects, live or dead, and free pages not yet returned).
func shouldReturnMemory(collected bool, live, held uint64) bool {
	return !collected && held >= live+idleMemoryFloor
}
