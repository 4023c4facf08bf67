package scan

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// TestRateAndParallelLimits checks that a scan never opens more than Parallel connections at
// once and never starts them faster than Rate per second.
func TestRateAndParallelLimits(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var starts []time.Time
	port := badServer(t, func(c net.Conn) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		// Hold the connection until the prober gives up on it.
		_, _ = io.Copy(io.Discard, c)
	})
	const rate, parallel = 40, 3
	opts := Options{Target: localTarget(port), Timeout: 150 * time.Millisecond, Parallel: parallel, Rate: rate}
	p := newProber(opts, func() {}) // never stopped: the test is of the bounds on silent probes
	s := &scanner{p: p, opts: opts}
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if out := p.probe(context.Background(), s.helloSpec(0x0303, []uint16{0x002f})); out.kind != outInconclusive {
				t.Errorf("silent server gave outcome %v", out.kind)
			}
		})
	}
	wg.Wait()
	// Every probe waited out its timeout on an accepted connection, so the server has seen them
	// all or is about to record the last; wait for that rather than a fixed 50 ms.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		mu.Lock()
		n := len(starts)
		mu.Unlock()
		if n >= int(p.probes.Load()) {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if m := p.maxActive.Load(); m > parallel || m < 2 {
		t.Errorf("%d connections open at once, limit %d", m, parallel)
	}
	if len(starts) != int(p.probes.Load()) {
		t.Errorf("server saw %d connections, prober says %d probes", len(starts), p.probes.Load())
	}
	if n := len(starts); n > 1 {
		span := starts[n-1].Sub(starts[0])
		min := time.Duration(n-1) * time.Second / rate * 9 / 10
		if span < min {
			t.Errorf("%d connections in %v, faster than %d/s", n, span, rate)
		}
	}
}
