package servertest

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAttacks runs every attack for a moment against a Go server with short timeouts: each
// connects, the ones the server ends by its timeouts see it close them and reconnect, and all of
// them return soon after their context ends (the connection is closed under a blocked read or
// write). It guards the one skeleton (repeat) the attacks share.
func TestAttacks(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			io.WriteString(w, strings.Repeat("x", 8<<20))
			return
		}
		io.WriteString(w, "ok\n")
	}))
	srv.EnableHTTP2 = true
	srv.Config.ReadTimeout = 100 * time.Millisecond
	srv.Config.IdleTimeout = 100 * time.Millisecond
	srv.StartTLS()
	defer srv.Close()
	target := Target{Addr: srv.Listener.Addr().String(), Host: "localhost", TLS: &tls.Config{InsecureSkipVerify: true}}

	const floodStreams = 5
	attacks := []struct {
		name string
		run  func(ctx context.Context, st *Stats)
		// closed and streams are what the attack must at least have counted.
		closed, streams int64
	}{
		{"slow body", func(ctx context.Context, st *Stats) { SlowBody(ctx, target, st, "/", 10*time.Millisecond) }, 1, 0},
		{"non-reader", func(ctx context.Context, st *Stats) { NonReader(ctx, target, st, "/big") }, 0, 0},
		{"rapid reset", func(ctx context.Context, st *Stats) { RapidReset(ctx, target, st, "/") }, 0, 1},
		{"stream flood", func(ctx context.Context, st *Stats) { StreamFlood(ctx, target, st, "/", floodStreams) }, 0, floodStreams},
		{"upgrade", func(ctx context.Context, st *Stats) { Upgrade(ctx, target, st, "/ws") }, 1, 0},
	}
	ctx, cancel := context.WithCancel(context.Background())
	stats := make([]Stats, len(attacks))
	var wg sync.WaitGroup
	for i, a := range attacks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.run(ctx, &stats[i])
		}()
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // NonReader's 1 s probe is the slowest to notice
		t.Fatal("an attack still running 5 s after its context ended")
	}
	for i, a := range attacks {
		st := &stats[i]
		t.Logf("%s: %s", a.name, st)
		// One dial may have been under way when the context ended, and fail by it.
		if st.Connections.Load() < 1 || st.DialErrors.Load() > 1 {
			t.Errorf("%s: %s, want a connection and at most one dial error", a.name, st)
		}
		if st.Closed.Load() < a.closed || st.Streams.Load() < a.streams {
			t.Errorf("%s: %s, want closed_by_server >= %d and streams >= %d", a.name, st, a.closed, a.streams)
		}
	}
}
