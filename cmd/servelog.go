package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tlskit/tlskit/tlscore/server"
	"github.com/tlskit/tlskit/tlscore/server/eventlog"
)

// eventLog is the connection log of serve (and the request log of ca serve) on stdout: the
// queue and its writer are eventlog's; here each event is rendered as a text or JSON line, the
// log's failures become warnings, and a stdout that goes away does not kill the process.
type eventLog struct {
	a *app
	q *eventlog.Log
	// pipe notifies SIGPIPE while the log runs, so a write to a closed stdout fails with EPIPE
	// instead of killing the process.
	pipe chan os.Signal
}

// closeWarnWait bounds the final warnings on stderr, which may be the same stuck pipe (2>&1).
const closeWarnWait = 100 * time.Millisecond

// newEventLog is the log of a server that promises to drain for up to drain once ctx ends:
// a reader of stdout that is merely slow gets its lines, one that never reads does not keep
// the process alive past the drain plus eventlog.DefaultMargin.
func newEventLog(ctx context.Context, a *app, drain time.Duration) *eventLog {
	l := &eventLog{a: a}
	l.q = eventlog.New(ctx, eventlog.Options{Out: a.streams.Out, Drain: drain, OnStop: l.stopped})
	return l
}

// start begins writing; events logged before it wait in the queue, so nothing is printed
// before the URL line. From here on a reader of stdout that goes away (`| head -1`) does not
// end the server: Go kills a process whose write to fd 1 or 2 fails with EPIPE unless SIGPIPE
// is notified (os/signal, "SIGPIPE"); notified, the write returns EPIPE and the log stops.
func (l *eventLog) start() {
	l.pipe = make(chan os.Signal, 1) // never read: notifying is what changes the write's fate
	signal.Notify(l.pipe, syscall.SIGPIPE)
	l.q.Start()
}

// log queues serve's line for one connection.
func (l *eventLog) log(ev server.Event) {
	ev.Hello = nil // not logged
	if errors.Is(ev.Cause, server.ErrEvicted) {
		ev.Error += " (--max-conns)"
	}
	l.record(eventJSON{Kind: "connection", Event: ev, Time: logTime(ev.Time)}, func() string { return formatEvent(ev) })
}

// logTimeLayout is the serving logs' time: UTC, RFC 3339, to the millisecond, always three
// digits, so the lines of a log line up and sort as text (docs/json.md).
const logTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func logTime(t time.Time) string { return t.UTC().Format(logTimeLayout) }

// eventJSON is a connection's JSON line: the event, marked as a connection's (requests have
// lines too), its time at the log's fixed precision (encoding/json would write time.Time with
// as many digits as it has).
type eventJSON struct {
	Kind string `json:"event"`
	Time string `json:"time"`
	server.Event
}

// record queues one log line: v as a JSON line with -o json, else text(). It is the whole
// logging path of every serving command (serve's connections, ca serve's OCSP requests).
func (l *eventLog) record(v any, text func() string) {
	l.q.Add(func() []byte {
		if l.a.opts.Output != formatJSON {
			return []byte(text() + "\n")
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // same encoding as every other tlskit JSON line
		if err := enc.Encode(v); err != nil {
			return nil
		}
		return b.Bytes()
	})
}

// stopped warns, once, that a write failed and the log stopped.
func (l *eventLog) stopped(err error) {
	if errors.Is(err, syscall.EPIPE) {
		l.a.warnf("stdout closed; connection log stopped")
		return
	}
	l.a.warnf("writing the connection log: %v; connection log stopped", err)
}

// close stops logging and waits, within eventlog's deadline, for the queued lines. A writer
// still blocked then is left to the process's exit, SIGPIPE still notified: the stuck write
// may yet fail before the exit.
func (l *eventLog) close() {
	res := l.q.Close()
	if res.Abandoned {
		l.warnBounded("stdout is not being read; exiting without writing the last connection log lines")
		return
	}
	if l.pipe != nil {
		signal.Stop(l.pipe)
	}
	if res.Dropped > 0 {
		l.warnBounded("%d connection log lines were dropped because output could not keep up", res.Dropped)
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

// request queues serve's line for one HTTP request.
func (l *eventLog) request(r server.Request) {
	l.record(requestJSON{Kind: "request", Request: r, Time: logTime(r.Time)}, func() string { return formatRequest(r) })
}

// requestJSON is a request's JSON line: the request, marked as one, its time at the log's
// fixed precision.
type requestJSON struct {
	Kind string `json:"event"`
	Time string `json:"time"`
	server.Request
}

// formatRequest is a request's text line, after the connection's: time, client, the request
// line as the client sent it (as a web server's access log quotes it), what was answered and,
// when it failed, why (the --proxy backend's failure, with its cause).
func formatRequest(r server.Request) string {
	fields := []string{logTime(r.Time), r.Remote,
		"request=" + quoteIfSpace(r.Method+" "+r.Path+" "+r.HTTPProtocol),
		fmt.Sprintf("status=%d", r.Status), fmt.Sprintf("bytes=%d", r.Bytes), fmt.Sprintf("duration_ms=%.2f", r.DurationMs)}
	if r.Error != "" {
		fields = append(fields, "error="+quoteIfSpace(r.Error))
	}
	return strings.Join(fields, " ")
}
