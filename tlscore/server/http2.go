package server

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// HTTP/2 settings and the per-connection stream budget. Go's HTTP/2 server runs at most
// MaxConcurrentStreams handlers per connection and queues up to four times as many more; only
// when that queue overflows does it send GOAWAY (ENHANCE_YOUR_CALM). Against a rapid reset
// (HEADERS then RST_STREAM, over and over) with handlers quick enough to keep the queue short,
// it never does: every reset stream still costs a request, a goroutine and a handler run, and
// the connection may go on for ever. The budget below cuts such a connection off.
const (
	// h2MaxStreams is the SETTINGS_MAX_CONCURRENT_STREAMS advertised: the RFC 9113 §6.5.2
	// recommended floor, instead of Go's 250, which bounds a connection's in-flight
	// requests (running and queued) at 5 × 100.
	h2MaxStreams = 100
	// h2MaxReadFrameSize is the largest frame accepted: the protocol's initial 16 KiB, instead
	// of Go's 1 MiB, which a client could make every connection buffer.
	h2MaxReadFrameSize = 16 << 10
	// Flow-control windows bound the request body a client can make a connection hold
	// unread (Go's default is 1 MiB for each).
	h2ConnWindow   = 256 << 10
	h2StreamWindow = 128 << 10

	// h2StreamsPerConn is the number of streams one connection may open in its life; the one
	// past it is answered with Connection: close, which Go's server turns into a graceful
	// GOAWAY (NO_ERROR): clients finish what is in flight and reconnect (nginx's
	// keepalive_requests default).
	h2StreamsPerConn = 1000
	// h2ResetBudget streams cancelled by the client within h2ResetWindow are taken for a rapid
	// reset: the connection gets GOAWAY and is closed h2ResetGrace later, whatever it has in
	// flight. A browser cancels a few streams when a page is left, not a hundred in 10 s.
	h2ResetBudget = 100
	h2ResetWindow = 10 * time.Second
	h2ResetGrace  = time.Second
)

// http2Config is the HTTP/2 configuration of serve's http.Server.
func http2Config() *http.HTTP2Config {
	return &http.HTTP2Config{
		MaxConcurrentStreams:          h2MaxStreams,
		MaxReadFrameSize:              h2MaxReadFrameSize,
		MaxDecoderHeaderTableSize:     4096, // the protocol default, explicit
		MaxEncoderHeaderTableSize:     4096,
		MaxReceiveBufferPerConnection: h2ConnWindow,
		MaxReceiveBufferPerStream:     h2StreamWindow,
	}
}

// streamBudget counts one connection's HTTP/2 streams. It lives in the connection's context
// (http.Server.ConnContext), so every stream's handler finds it.
type streamBudget struct {
	conn net.Conn

	mu          sync.Mutex
	streams     int
	resets      int
	windowStart time.Time
	goingAway   bool // GOAWAY asked for
	abusive     bool // the reset budget was exceeded
}

type budgetKey struct{}

// withStreamBudget gives the connection c its stream budget.
func withStreamBudget(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, budgetKey{}, &streamBudget{conn: c})
}

// open counts a new stream and reports whether it is the one past h2StreamsPerConn, which
// should ask for a graceful GOAWAY.
func (b *streamBudget) open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.streams++
	if b.goingAway || b.streams <= h2StreamsPerConn {
		return false
	}
	b.goingAway = true
	return true
}

// reset counts a stream the client cancelled and reports whether it is the one past the
// budget of its window, which marks the connection as abusive.
func (b *streamBudget) reset(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.abusive {
		return false
	}
	if now.Sub(b.windowStart) > h2ResetWindow {
		b.windowStart, b.resets = now, 0
	}
	b.resets++
	if b.resets <= h2ResetBudget {
		return false
	}
	b.abusive, b.goingAway = true, true
	return true
}

// guardHTTP2 applies the stream budget to HTTP/2 requests before h sees them. A stream the
// client has already reset is not handed to h at all: nobody would read its answer.
func guardHTTP2(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := r.Context().Value(budgetKey{}).(*streamBudget)
		if r.ProtoMajor != 2 || !ok {
			h.ServeHTTP(w, r)
			return
		}
		if b.open() {
			// Go's HTTP/2 server takes this (never sent) header for a graceful GOAWAY.
			w.Header().Set("Connection", "close")
		}
		if r.Context().Err() != nil {
			b.cancelled(w)
			return
		}
		h.ServeHTTP(w, r)
		if r.Context().Err() != nil {
			b.cancelled(w)
		}
	})
}

// cancelled counts a stream reset by the client and, past the budget, sends GOAWAY and
// closes the connection shortly after.
func (b *streamBudget) cancelled(w http.ResponseWriter) {
	if !b.reset(time.Now()) {
		return
	}
	w.Header().Set("Connection", "close")
	time.AfterFunc(h2ResetGrace, func() { b.conn.Close() })
}
