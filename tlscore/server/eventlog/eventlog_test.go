package eventlog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

func line(s string) func() []byte { return func() []byte { return []byte(s + "\n") } }

// Lines added before Start wait for it, then are written in order; nil lines are skipped.
func TestLogWritesInOrderFromStart(t *testing.T) {
	out := &peertest.Writer{OK: 1 << 30}
	l := New(context.Background(), Options{Out: out})
	l.Add(line("one"))
	l.Add(func() []byte { return nil })
	l.Add(line("two"))
	if got := out.String(); got != "" {
		t.Fatalf("written before Start: %q", got)
	}
	l.Start()
	l.Add(line("three"))
	if res := l.Close(); res != (Closed{}) {
		t.Errorf("Close = %+v, want nothing to tell", res)
	}
	if got := out.String(); got != "one\ntwo\nthree\n" {
		t.Errorf("written %q", got)
	}
	l.Add(line("after close")) // dropped quietly, no panic on the closed queue
}

// A failed write stops the log: OnStop is told once, later lines are not even formatted, and
// Close does not wait.
func TestLogStopsOnWriteError(t *testing.T) {
	out := &peertest.Writer{OK: 1, Err: errors.New("no space left on device")}
	var stops []error
	stopped := make(chan struct{})
	l := New(context.Background(), Options{Out: out, OnStop: func(err error) {
		stops = append(stops, err)
		close(stopped)
	}})
	l.Start()
	l.Add(line("fits"))
	for !l.Stopped() {
		l.Add(line("fails"))
		select {
		case <-stopped:
		case <-time.After(time.Millisecond):
		}
	}
	formatted := false
	l.Add(func() []byte { formatted = true; return nil })
	l.Close()
	if len(stops) != 1 || stops[0] != out.Err {
		t.Errorf("OnStop told %v, want once %v", stops, out.Err)
	}
	if formatted {
		t.Error("a line was formatted after the log stopped")
	}
}

// A full queue drops lines and counts them instead of blocking the caller.
func TestLogDropsWhenFull(t *testing.T) {
	l := New(context.Background(), Options{Out: &peertest.Writer{}, Queue: 4})
	// Not started: nothing drains the queue.
	for range 10 {
		l.Add(line("x"))
	}
	if res := l.Close(); res.Dropped != 6 || res.Abandoned {
		t.Errorf("Close = %+v, want 6 dropped", res)
	}
}

// Close gives a writer blocked for good the grace, not forever (it used to wait for it): with a
// 50 ms grace it returns, abandoning the writer, well within 2 s.
func TestLogCloseDoesNotWaitForStuckWriter(t *testing.T) {
	out := &peertest.Writer{OK: 1 << 30, Block: make(chan struct{})}
	defer close(out.Block)
	l := New(context.Background(), Options{Out: out, Grace: 50 * time.Millisecond})
	l.Start()
	l.Add(line("stuck"))
	done := make(chan Closed)
	go func() { done <- l.Close() }()
	select {
	case res := <-done:
		if !res.Abandoned {
			t.Errorf("Close = %+v, want the writer abandoned", res)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close still waiting for a stuck writer after 2s")
	}
}

// The deadline is the grace after serving ended, but never past the promised drain plus the
// margin after the stop signal.
func TestLogDeadline(t *testing.T) {
	const drain = 5 * time.Second
	l := New(context.Background(), Options{Drain: drain})
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	cases := []struct {
		name   string
		stopAt time.Time
		want   time.Duration // from now
	}{
		{"no signal: the grace", time.Time{}, DefaultGrace},
		{"quick drain: the grace", now.Add(-100 * time.Millisecond), DefaultGrace},
		{"drain took 4.8 s: up to the promise", now.Add(-4800 * time.Millisecond), drain + DefaultMargin - 4800*time.Millisecond},
		{"drain took the full 5 s", now.Add(-drain), DefaultMargin},
	}
	for _, tc := range cases {
		if got := l.deadline(now, tc.stopAt).Sub(now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The deadline counts from when the context ended, as Close sees it.
func TestLogDeadlineFromContext(t *testing.T) {
	out := &peertest.Writer{OK: 1 << 30, Block: make(chan struct{})}
	defer close(out.Block)
	ctx, cancel := context.WithCancel(context.Background())
	// Drain 0 and a 10 ms margin: with the context long ended, Close may wait 10 ms, not the
	// 10 s grace.
	l := New(ctx, Options{Out: out, Grace: 10 * time.Second, Margin: 10 * time.Millisecond})
	l.Start()
	l.Add(line("stuck"))
	cancel()
	for deadline := time.Now().Add(5 * time.Second); l.stopAt.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the end of the context was never noted")
		}
	}
	done := make(chan Closed)
	go func() { done <- l.Close() }()
	select {
	case res := <-done:
		if !res.Abandoned {
			t.Errorf("Close = %+v, want the writer abandoned", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the grace, not the drain after the context ended")
	}
}
