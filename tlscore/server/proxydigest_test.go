package server

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestProxyErrorDigest: a flood of --proxy failures (a backend that is down fails every
// request) used to be silent, with no way to tell why clients got 502s; a report on each would
// flood stderr. The first failure is reported at once, the next 99 within the interval make
// one report, made when the interval is up, of the latest with a count of the rest; a failure
// after that waits for its interval too, and one pending at Close is returned by it.
func TestProxyErrorDigest(t *testing.T) {
	type report struct {
		path string
		more int
	}
	var reports []report
	var timers []func()
	var waits []time.Duration
	const every = time.Second
	d := NewProxyErrorDigest(every, func(e ProxyError, more int) { reports = append(reports, report{e.Path, more}) })
	d.after = func(w time.Duration, f func()) { waits, timers = append(waits, w), append(timers, f) }
	fire := func() {
		f := timers[0]
		timers = timers[1:]
		f()
	}
	fail := func(path string) {
		d.Add(ProxyError{Method: "GET", Path: path, Remote: "127.0.0.1:5000", Status: 502, Err: errors.New("connection refused")})
	}
	fail("/0")
	if len(timers) != 1 || waits[0] != 0 {
		t.Fatalf("first failure: %d timers, waits %v; want one, at once", len(timers), waits)
	}
	fire()
	for i := 1; i < 100; i++ {
		fail(fmt.Sprintf("/%d", i))
	}
	if len(reports) != 1 || len(timers) != 1 || waits[1] <= 0 || waits[1] > every {
		t.Fatalf("during the interval: %d reports, %d timers, waits %v; want 1 report and one timer within %v", len(reports), len(timers), waits, every)
	}
	fire()
	fail("/last")
	fire()
	fail("/pending")
	e, more, ok := d.Close()
	if !ok || e.Path != "/pending" || more != 0 {
		t.Errorf("Close = %q, %d, %v; want /pending and no others", e.Path, more, ok)
	}
	if _, _, ok := d.Close(); ok {
		t.Errorf("a second Close returned the failure again")
	}
	fail("/after-close")
	want := []report{{"/0", 0}, {"/99", 98}, {"/last", 0}}
	if fmt.Sprint(reports) != fmt.Sprint(want) {
		t.Fatalf("reports %v, want %v", reports, want)
	}
	if len(timers) != 1 {
		t.Fatalf("%d timers pending, want the one for /pending (a no-op now)", len(timers))
	}
	fire()
	if len(reports) != len(want) {
		t.Fatalf("a report after Close: %v", reports[len(reports)-1])
	}
}
