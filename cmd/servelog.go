package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tlskit/tlskit/tlscore/server"
)

// eventLog writes one line per connection (serve) or request (ca serve) from its own goroutine, so a slow stdout never holds
// up the accept loop or a handshake: when the queue is full, events are dropped and counted.
// Lines are formatted by the connection that logs them and written in batches. Stdout is not
// the server's business: when writing to it fails (a reader that went away, `| head -1`), the
// log stops with one warning and serving goes on; when nobody reads it, shutdown does not wait
// for it past its deadline.
type eventLog struct {
	a       *app
	out     io.Writer
	lines   chan []byte
	done    chan struct{}
	started bool
	dropped atomic.Int64
	// stopped is set once a write failed: later events are not even formatted.
	stopped atomic.Bool
	// pipe notifies SIGPIPE while the log runs, so a write to a closed stdout fails with EPIPE
	// instead of killing the process.
	pipe chan os.Signal
	// stopAt is when the run's context ended (the stop signal): it bounds how long close waits.
	stopAt    atomic.Pointer[time.Time]
	stopWatch func() bool

	mu     sync.Mutex
	closed bool
}

// Bounds on how long shutdown waits for the log to be written. After serving ends the log has
// logFlushGrace to write what is queued, but never past the drain serve promises
// (server.DrainTimeout after the signal) plus shutdownMargin: a reader that is merely slow
// gets its lines, one that never reads does not keep the process alive.
const (
	logFlushGrace  = time.Second
	shutdownMargin = 500 * time.Millisecond
	// closeWarnWait bounds the final warning on stderr, which may be the same stuck pipe
	// (2>&1).
	closeWarnWait = 100 * time.Millisecond
)

func newEventLog(ctx context.Context, a *app) *eventLog {
	l := &eventLog{a: a, out: a.streams.Out, lines: make(chan []byte, 1024), done: make(chan struct{})}
	l.stopWatch = context.AfterFunc(ctx, func() {
		now := time.Now()
		l.stopAt.Store(&now)
	})
	return l
}

// start begins writing; events logged before it wait in the queue, so nothing is printed
// before the URL line. From here on a reader of stdout that goes away (`| head -1`) does not
// end the server: Go kills a process whose write to fd 1 or 2 fails with EPIPE unless SIGPIPE
// is notified (os/signal, "SIGPIPE"); notified, the write returns EPIPE and the log stops.
func (l *eventLog) start() {
	l.started = true
	l.pipe = make(chan os.Signal, 1) // never read: notifying is what changes the write's fate
	signal.Notify(l.pipe, syscall.SIGPIPE)
	go l.run()
}

// log queues serve's line for one connection.
func (l *eventLog) log(ev server.Event) {
	if l.stopped.Load() {
		return
	}
	ev.Hello = nil // not logged; keeping it queued would only give the GC more to scan
	l.record(ev, func() string { return formatEvent(ev) })
}

// record queues one log line: v as a JSON line with -o json, else text(). It is the whole
// logging path of every serving command (serve's connections, ca serve's OCSP requests).
func (l *eventLog) record(v any, text func() string) {
	if l.stopped.Load() {
		return
	}
	var line []byte
	if l.a.opts.Output == formatJSON {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // same encoding as every other tlskit JSON line
		if err := enc.Encode(v); err != nil {
			return
		}
		line = b.Bytes()
	} else {
		line = []byte(text() + "\n")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return // a handshake that finished after shutdown began
	}
	select {
	case l.lines <- line:
	default:
		l.dropped.Add(1)
	}
}

func (l *eventLog) run() {
	defer close(l.done)
	w := bufio.NewWriterSize(l.out, 32<<10)
	var err error
	for line := range l.lines {
		if err != nil {
			continue // stopped: empty the queue so close need not wait
		}
		_, err = w.Write(line)
		// Flush once the queue is empty: under load many lines share one write.
		if err == nil && len(l.lines) == 0 {
			err = w.Flush()
		}
		if err != nil {
			l.stop(err)
		}
	}
	if err == nil {
		if err = w.Flush(); err != nil {
			l.stop(err)
		}
	}
}

// stop ends logging after a failed write, with one warning.
func (l *eventLog) stop(err error) {
	l.stopped.Store(true)
	if errors.Is(err, syscall.EPIPE) {
		l.a.warnf("stdout closed; connection log stopped")
		return
	}
	l.a.warnf("writing the connection log: %v; connection log stopped", err)
}

// close stops logging and waits until logDeadline at most for the queued lines to be written.
// A writer still blocked then (in write(2) on a pipe nobody reads, which nothing can cancel) is
// left to the process's exit.
func (l *eventLog) close() {
	l.stopWatch()
	var stopAt time.Time
	if p := l.stopAt.Load(); p != nil {
		stopAt = *p
	}
	deadline := logDeadline(time.Now(), stopAt)
	l.mu.Lock()
	l.closed = true
	close(l.lines)
	l.mu.Unlock()
	if l.started {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case <-l.done:
		case <-t.C:
			select {
			case <-l.done: // finished just as the time ran out
			default:
				// SIGPIPE stays notified: the stuck write may still fail before the exit.
				l.warnBounded("stdout is not being read; exiting without writing the last connection log lines")
				return
			}
		}
		signal.Stop(l.pipe)
	}
	if n := l.dropped.Load(); n > 0 {
		l.warnBounded("%d connection log lines were dropped because output could not keep up", n)
	}
}

// warnBounded warns on stderr without waiting long for it: stderr may be the stuck pipe too.
func (l *eventLog) warnBounded(format string, args ...any) {
	warnWithin(closeWarnWait, l.a.warnf, format, args...)
}

// warnWithin calls warn in a goroutine and waits for it at most d: at shutdown, a warning must
// not hold the exit on a stderr nobody reads.
func warnWithin(d time.Duration, warn func(string, ...any), format string, args ...any) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		warn(format, args...)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// logDeadline is when shutdown stops waiting for the log: logFlushGrace from now, but no later
// than the promised drain plus shutdownMargin after stopAt (zero when serving ended without a
// signal).
func logDeadline(now, stopAt time.Time) time.Time {
	d := now.Add(logFlushGrace)
	if !stopAt.IsZero() {
		if limit := stopAt.Add(server.DrainTimeout + shutdownMargin); limit.Before(d) {
			d = limit
		}
	}
	return d
}

// proxyWarnEvery is the most often a failing --proxy backend is warned about.
const proxyWarnEvery = time.Second

// proxyWarnings turns --proxy backend failures into warnings on stderr, at most one line per
// proxyWarnEvery: a backend that is down fails every request, and a flood of requests must not
// become a flood of lines. A line shows the latest failure and how many others it stands for.
// Lines are written from a timer's goroutine, never the request's, so a slow stderr holds up
// no request.
type proxyWarnings struct {
	warn  func(format string, args ...any)
	every time.Duration
	// after is time.AfterFunc; tests run the flushes themselves.
	after func(time.Duration, func())

	mu        sync.Mutex
	last      time.Time // when the last line was written
	latest    server.ProxyError
	count     int // failures since the last line, latest included
	scheduled bool
	closed    bool
}

func newProxyWarnings(warn func(format string, args ...any)) *proxyWarnings {
	return &proxyWarnings{warn: warn, every: proxyWarnEvery, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// report is server.ProxyOptions.OnError.
func (w *proxyWarnings) report(e server.ProxyError) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.latest = e
	w.count++
	if w.scheduled {
		return
	}
	w.scheduled = true
	w.after(max(0, time.Until(w.last.Add(w.every))), w.flush)
}

func (w *proxyWarnings) flush() {
	w.mu.Lock()
	e, n := w.latest, w.count
	w.count = 0
	w.mu.Unlock()
	if n > 0 {
		w.warn("%s", formatProxyError(e, n-1))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	w.scheduled = false
	if w.count > 0 && !w.closed {
		// Failures that came while the line was being written.
		w.scheduled = true
		w.after(w.every, w.flush)
	}
}

// close stops the warnings, writing the failures not yet warned about (without waiting long:
// stderr may be a pipe nobody reads).
func (w *proxyWarnings) close() {
	w.mu.Lock()
	w.closed = true
	e, n := w.latest, w.count
	w.count = 0
	w.mu.Unlock()
	if n > 0 {
		warnWithin(closeWarnWait, w.warn, "%s", formatProxyError(e, n-1))
	}
}

// maxWarnedPath bounds the request target quoted in a warning (a client chooses it, up to
// --max-header-bytes).
const maxWarnedPath = 200

// formatProxyError is the warning for a failed --proxy request, standing for more others.
// Escaping the client's path is warnf's (sanitizeLine).
func formatProxyError(e server.ProxyError, more int) string {
	path := e.Path
	if len(path) > maxWarnedPath {
		path = path[:maxWarnedPath] + "..."
	}
	outcome := "response cut"
	if e.Status != 0 {
		outcome = fmt.Sprintf("answered %d %s", e.Status, http.StatusText(e.Status))
	}
	msg := fmt.Sprintf("proxy: %s %s from %s: %v; %s", e.Method, path, e.Remote, e.Err, outcome)
	if more > 0 {
		msg += fmt.Sprintf(" (and %d other failed requests since the last warning)", more)
	}
	return msg
}
