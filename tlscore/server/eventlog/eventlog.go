// Package eventlog is the log of a serving command: one line per connection or request,
// written to an io.Writer by a goroutine of its own, so a slow writer never holds up the accept
// loop or a handshake. When the queue is full lines are dropped and counted; when a write fails
// the log stops and serving goes on; when nobody reads the writer, closing does not wait for it
// past a deadline. What a line says is the caller's: this package only queues and writes bytes.
package eventlog

import (
	"bufio"
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the zero Options fields.
const (
	DefaultQueue = 1024
	// DefaultGrace is how long Close waits for the queued lines once serving has ended.
	DefaultGrace = time.Second
	// DefaultMargin is how far past the promised drain Close may wait.
	DefaultMargin = 500 * time.Millisecond
)

// Options configure a Log.
type Options struct {
	// Out receives the lines, in batches (32 KiB buffered, flushed whenever the queue empties).
	Out io.Writer
	// Queue is how many lines may wait to be written; DefaultQueue when 0.
	Queue int
	// Drain is the drain the server promises once its context ends (Close then waits for the
	// log no later than Drain + Margin after the context ended), zero for none.
	Drain time.Duration
	// Grace is how long Close gives the queued lines; DefaultGrace when 0.
	Grace time.Duration
	// Margin is how far past Drain Close may wait; DefaultMargin when 0.
	Margin time.Duration
	// OnStop, when set, is told of the write error that stopped the log, from the writing
	// goroutine, once.
	OnStop func(error)
}

// Log is a queue of lines and the goroutine that writes them.
type Log struct {
	o       Options
	lines   chan []byte
	done    chan struct{}
	started bool
	dropped atomic.Int64
	// stopped is set once a write failed: later lines are not even formatted.
	stopped atomic.Bool
	// stopAt is when the serving context ended (the stop signal): it bounds how long Close
	// waits.
	stopAt    atomic.Pointer[time.Time]
	stopWatch func() bool

	mu     sync.Mutex
	closed bool
}

// New makes a log whose Close deadline counts from when ctx ends. Lines added before Start
// wait in the queue.
func New(ctx context.Context, o Options) *Log {
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Margin <= 0 {
		o.Margin = DefaultMargin
	}
	l := &Log{o: o, lines: make(chan []byte, o.Queue), done: make(chan struct{})}
	l.stopWatch = context.AfterFunc(ctx, func() {
		now := time.Now()
		l.stopAt.Store(&now)
	})
	return l
}

// Start begins writing, so a caller can hold the log back until its first line of its own (a
// URL) is out.
func (l *Log) Start() {
	l.started = true
	go l.run()
}

// Stopped reports whether a write failed and the log stopped.
func (l *Log) Stopped() bool { return l.stopped.Load() }

// Add queues the line that line returns (nil for none). line runs in the caller's goroutine,
// and not at all once the log has stopped; a line that finds the queue full is dropped and
// counted, one added after Close is dropped quietly (a handshake that finished after shutdown
// began).
func (l *Log) Add(line func() []byte) {
	if l.stopped.Load() {
		return
	}
	b := line()
	if b == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	select {
	case l.lines <- b:
	default:
		l.dropped.Add(1)
	}
}

func (l *Log) run() {
	defer close(l.done)
	w := bufio.NewWriterSize(l.o.Out, 32<<10)
	var err error
	for line := range l.lines {
		if err != nil {
			continue // stopped: empty the queue so Close need not wait
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

func (l *Log) stop(err error) {
	l.stopped.Store(true)
	if l.o.OnStop != nil {
		l.o.OnStop(err)
	}
}

// Closed is what Close leaves to tell.
type Closed struct {
	// Abandoned: the writer was still blocked at the deadline (in write(2) on a pipe nobody
	// reads, which nothing can cancel); the lines still queued are left to the process's exit.
	Abandoned bool
	// Dropped is how many lines found the queue full (not counted when Abandoned).
	Dropped int64
}

// Close stops taking lines and waits for the queued ones to be written, until the deadline at
// most: Grace from now, but no later than Drain + Margin after the context ended.
func (l *Log) Close() Closed {
	l.stopWatch()
	var stopAt time.Time
	if p := l.stopAt.Load(); p != nil {
		stopAt = *p
	}
	deadline := l.deadline(time.Now(), stopAt)
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
				return Closed{Abandoned: true}
			}
		}
	}
	return Closed{Dropped: l.dropped.Load()}
}

// deadline is when Close stops waiting: Grace from now, but no later than Drain + Margin after
// stopAt (zero when serving ended without its context ending).
func (l *Log) deadline(now, stopAt time.Time) time.Time {
	d := now.Add(l.o.Grace)
	if !stopAt.IsZero() {
		if limit := stopAt.Add(l.o.Drain + l.o.Margin); limit.Before(d) {
			d = limit
		}
	}
	return d
}
