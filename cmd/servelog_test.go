package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/server"
)

// The end-to-end tests (e2e_serve_stdout_test.go) run these cases on a real pipe; here the
// writer is a fake, so each case is exact and quick.

// logWriter fails with err after ok writes, or blocks until released when block is set.
type logWriter struct {
	mu     sync.Mutex
	ok     int
	err    error
	block  chan struct{}
	writes int
}

func (w *logWriter) Write(p []byte) (int, error) {
	if w.block != nil {
		<-w.block
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.writes > w.ok {
		return 0, w.err
	}
	return len(p), nil
}

// lockedBuffer is stderr shared by the log goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func logTestApp(out *logWriter) (*app, *lockedBuffer) {
	errBuf := &lockedBuffer{}
	return newApp(&IOStreams{Out: out, Err: errBuf}, nil, BuildInfo{}), errBuf
}

func TestEventLogStopsOnWriteError(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"reader gone", fmt.Errorf("write /dev/stdout: %w", syscall.EPIPE), "tlskit: warning: stdout closed; connection log stopped\n"},
		{"disk full", errors.New("write out.log: no space left on device"), "tlskit: warning: writing the connection log: write out.log: no space left on device; connection log stopped\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := &logWriter{ok: 1, err: tc.err}
			a, errBuf := logTestApp(out)
			l := newEventLog(context.Background(), a)
			l.start()
			ev := server.Event{Time: time.Unix(0, 0).UTC(), Remote: "127.0.0.1:1"}
			for i := 0; i < 50; i++ {
				l.log(ev)
				time.Sleep(time.Millisecond) // one flush each, mostly
			}
			l.close()
			if got := errBuf.String(); got != tc.want {
				t.Errorf("stderr = %q, want %q", got, tc.want)
			}
			if !l.stopped.Load() {
				t.Errorf("the log did not stop")
			}
		})
	}
}

// close gives a writer blocked for good logFlushGrace, not forever (it used to wait for it).
func TestEventLogCloseDoesNotWaitForStuckWriter(t *testing.T) {
	out := &logWriter{ok: 1 << 30, block: make(chan struct{})}
	defer close(out.block)
	a, errBuf := logTestApp(out)
	l := newEventLog(context.Background(), a)
	l.start()
	l.log(server.Event{Time: time.Unix(0, 0).UTC(), Remote: "127.0.0.1:1"})
	done := make(chan struct{})
	start := time.Now()
	go func() { l.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(logFlushGrace + 2*time.Second):
		t.Fatalf("close still waiting %v after it began", time.Since(start))
	}
	if !strings.Contains(errBuf.String(), "stdout is not being read") {
		t.Errorf("stderr = %q", errBuf.String())
	}
}

func TestLogDeadline(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	cases := []struct {
		name   string
		stopAt time.Time
		want   time.Duration // from now
	}{
		{"no signal: the grace", time.Time{}, logFlushGrace},
		{"quick drain: the grace", now.Add(-100 * time.Millisecond), logFlushGrace},
		{"drain took 4.8 s: up to the promise", now.Add(-4800 * time.Millisecond), server.DrainTimeout + shutdownMargin - 4800*time.Millisecond},
		{"drain took the full 5 s", now.Add(-server.DrainTimeout), shutdownMargin},
	}
	for _, tc := range cases {
		if got := logDeadline(now, tc.stopAt).Sub(now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestShouldReturnMemory(t *testing.T) {
	for _, c := range []struct {
		name       string
		collected  bool
		live, held uint64
		want       bool
	}{
		{"quiet after a burst: 25 MB of garbage", false, 5 << 20, 30 << 20, true},
		{"under load: collections running", true, 5 << 20, 30 << 20, false},
		{"quiet and small", false, 5 << 20, 15 << 20, false},
		{"quiet, large live heap, little garbage", false, 100 << 20, 110 << 20, false},
	} {
		if got := shouldReturnMemory(c.collected, c.live, c.held); got != c.want {
			t.Errorf("%s: shouldReturnMemory = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestProxyWarningsRateLimited: a flood of --proxy failures (a backend that is down fails every
// request) used to be silent, with no way to tell why clients got 502s; warning on each would
// flood stderr. The first failure is warned about at once, the next 99 within the interval make
// one line, written when the interval is up, showing the latest and counting the rest; a
// failure after that waits for its interval too, and one pending at shutdown is written then.
func TestProxyWarningsRateLimited(t *testing.T) {
	var lines []string
	var timers []func()
	var waits []time.Duration
	w := newProxyWarnings(func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) })
	w.after = func(d time.Duration, f func()) { waits, timers = append(waits, d), append(timers, f) }
	fire := func() {
		f := timers[0]
		timers = timers[1:]
		f()
	}
	fail := func(path string, status int) {
		w.report(server.ProxyError{Method: "GET", Path: path, Remote: "127.0.0.1:5000", Status: status, Err: errors.New("connection refused")})
	}
	fail("/0", 502)
	if len(timers) != 1 || waits[0] != 0 {
		t.Fatalf("first failure: %d timers, waits %v; want one, at once", len(timers), waits)
	}
	fire()
	for i := 1; i < 100; i++ {
		fail(fmt.Sprintf("/%d", i), 502)
	}
	if len(lines) != 1 || len(timers) != 1 || waits[1] <= 0 || waits[1] > proxyWarnEvery {
		t.Fatalf("during the interval: %d lines, %d timers, waits %v; want 1 line and one timer within %v", len(lines), len(timers), waits, proxyWarnEvery)
	}
	fire()
	fail("/last", 504)
	fire()
	fail("/pending", 0)
	w.close()
	fail("/after-close", 502)
	want := []string{
		"proxy: GET /0 from 127.0.0.1:5000: connection refused; answered 502 Bad Gateway",
		"proxy: GET /99 from 127.0.0.1:5000: connection refused; answered 502 Bad Gateway (and 98 other failed requests since the last warning)",
		"proxy: GET /last from 127.0.0.1:5000: connection refused; answered 504 Gateway Timeout",
		"proxy: GET /pending from 127.0.0.1:5000: connection refused; response cut",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(timers) != 1 {
		t.Fatalf("%d timers pending, want the one for /pending (a no-op now)", len(timers))
	}
	fire()
	if len(lines) != len(want) {
		t.Fatalf("a line after close: %q", lines[len(lines)-1])
	}
}

// TestFormatProxyErrorCapsPath: a client chooses the path, up to --max-header-bytes; the
// warning quotes 200 bytes of it.
func TestFormatProxyErrorCapsPath(t *testing.T) {
	got := formatProxyError(server.ProxyError{Method: "GET", Path: "/" + strings.Repeat("a", 1000), Remote: "r", Status: 502, Err: errors.New("e")}, 0)
	if len(got) > 300 || !strings.Contains(got, "a...") {
		t.Fatalf("%d bytes: %q", len(got), got)
	}
}
