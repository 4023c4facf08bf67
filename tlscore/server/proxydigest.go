package server

import (
	"sync"
	"time"
)

// ProxyErrorDigest passes the failures ProxyOptions.OnError is told of on at most once per
// interval: a backend that is down fails every request, and a flood of requests must not become
// a flood of reports. The first failure is passed on at once; those within the interval after
// it make one report, when the interval is up, of the latest and how many others it stands
// for. Reports are made from a timer's goroutine, never the request's, so a slow receiver (a
// warning on stderr) holds up no request.
type ProxyErrorDigest struct {
	report func(latest ProxyError, more int)
	every  time.Duration
	// after is time.AfterFunc; tests run the reports themselves.
	after func(time.Duration, func())

	mu        sync.Mutex
	last      time.Time // when the last report was made
	latest    ProxyError
	count     int // failures since the last report, latest included
	scheduled bool
	closed    bool
}

// NewProxyErrorDigest reports to report at most once per every.
func NewProxyErrorDigest(every time.Duration, report func(latest ProxyError, more int)) *ProxyErrorDigest {
	return &ProxyErrorDigest{report: report, every: every, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// Add is ProxyOptions.OnError.
func (d *ProxyErrorDigest) Add(e ProxyError) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.latest = e
	d.count++
	if d.scheduled {
		return
	}
	d.scheduled = true
	d.after(max(0, time.Until(d.last.Add(d.every))), d.flush)
}

func (d *ProxyErrorDigest) flush() {
	d.mu.Lock()
	e, n := d.latest, d.count
	d.count = 0
	d.mu.Unlock()
	if n > 0 {
		d.report(e, n-1)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last = time.Now()
	d.scheduled = false
	if d.count > 0 && !d.closed {
		// Failures that came while the report was being made.
		d.scheduled = true
		d.after(d.every, d.flush)
	}
}

// Close stops the reports and returns the failures not yet reported, if any (ok), for the
// caller to pass on in its own way: at shutdown a receiver that blocks must not hold the exit.
func (d *ProxyErrorDigest) Close() (latest ProxyError, more int, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	n := d.count
	d.count = 0
	if n == 0 {
		return ProxyError{}, 0, false
	}
	return d.latest, n - 1, true
}
