package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/server"
	"github.com/tlskit/tlskit/tlscore/server/eventlog"
)

// The end-to-end tests (cmd/internal/e2e/serve/stdout_test.go) run these cases on a real pipe; here the
// writer is a fake, so each case is exact and quick.

func logTestApp(out *peertest.Writer) (*app, *peertest.Buffer) {
	errBuf := &peertest.Buffer{}
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
			out := &peertest.Writer{OK: 1, Err: tc.err}
			a, errBuf := logTestApp(out)
			l := newEventLog(context.Background(), a, serveDrain)
			l.start()
			ev := server.Event{Time: time.Unix(0, 0).UTC(), Remote: "127.0.0.1:1"}
			// Until the second write fails (the first fits): each line waits for the writer to
			// take the one before, so they are not all batched into one write.
			for deadline := time.Now().Add(5 * time.Second); !l.q.Stopped(); time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the log did not stop within 5s")
				}
				l.log(ev)
			}
			l.log(ev)
			l.close()
			if got := errBuf.String(); got != tc.want {
				t.Errorf("stderr = %q, want %q", got, tc.want)
			}
		})
	}
}

// A writer blocked for good is abandoned at the deadline with one warning (eventlog's
// TestLogCloseDoesNotWaitForStuckWriter times it; here the grace is 20 ms, not serve's 1 s).
func TestEventLogStuckWriterWarning(t *testing.T) {
	out := &peertest.Writer{OK: 1 << 30, Block: make(chan struct{})}
	defer close(out.Block)
	a, errBuf := logTestApp(out)
	l := &eventLog{a: a}
	l.q = eventlog.New(context.Background(), eventlog.Options{Out: out, Grace: 20 * time.Millisecond, OnStop: l.stopped})
	l.start()
	l.log(server.Event{Time: time.Unix(0, 0).UTC(), Remote: "127.0.0.1:1"})
	l.close()
	if got, want := errBuf.String(), "tlskit: warning: stdout is not being read; exiting without writing the last connection log lines\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// An evicted handshake's line names the flag that sets the cap; the library's event does not.
func TestEventLogEvictedHint(t *testing.T) {
	ev := server.Event{Time: time.Unix(0, 0).UTC(), Remote: "127.0.0.1:1", Error: server.ErrEvicted.Error(), Cause: server.ErrEvicted}
	for _, format := range []string{formatText, formatJSON} {
		out := &peertest.Writer{OK: 1 << 30}
		a, _ := logTestApp(out)
		a.opts.Output = format
		l := newEventLog(context.Background(), a, serveDrain)
		l.start()
		l.log(ev)
		l.close()
		if got := out.String(); !strings.Contains(got, "closed during the handshake to make room for another client (--max-conns)") {
			t.Errorf("-o %s: %q, want the --max-conns hint", format, got)
		}
	}
}

// TestLogTimeFixedPrecision: the serving logs' times have three fractional digits whatever
// the instant, in text and JSON (encoding/json writes time.Time with as many as it has:
// ".1Z", ".123456789Z"), so lines line up and sort as text, as docs/json.md says.
func TestLogTimeFixedPrecision(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 27, 12, 0, 0, 100_000_000, time.UTC), "2026-11-27T12:00:00.100Z"},
		{time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), "2026-11-27T12:00:00.000Z"},
		{time.Date(2026, 11, 27, 12, 0, 0, 123_456_789, time.UTC), "2026-11-27T12:00:00.123Z"},
		{time.Date(2026, 11, 27, 13, 0, 0, 5_000_000, time.FixedZone("CET", 3600)), "2026-11-27T12:00:00.005Z"},
	} {
		if got := logTime(tc.at); got != tc.want {
			t.Errorf("logTime(%v) = %s, want %s", tc.at, got, tc.want)
		}
		js, err := json.Marshal(eventJSON{Event: server.Event{Time: tc.at, Remote: "127.0.0.1:1"}, Time: logTime(tc.at)})
		if err != nil || !strings.Contains(string(js), `"time":"`+tc.want+`"`) || strings.Count(string(js), `"time"`) != 1 {
			t.Errorf("event JSON %s (%v): want one time %s", js, err, tc.want)
		}
		if got := formatEvent(server.Event{Time: tc.at, Remote: "127.0.0.1:1"}); !strings.HasPrefix(got, tc.want+" ") {
			t.Errorf("event text %q: want it to start with %s", got, tc.want)
		}
	}
}
