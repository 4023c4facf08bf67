package server

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// HTTP/2 settings and the per-connection stream budgets. Go's HTTP/2 server runs at most
// MaxConcurrentStreams handlers per connection and queues up to four times as many more; only
// when that queue overflows does it send GOAWAY (ENHANCE_YOUR_CALM). Against a rapid reset
// (HEADERS then RST_STREAM, over and over) with handlers quick enough to keep the queue short,
// it never does: every reset stream still costs a request, HPACK decoding and often a handler
// run, and the connection may go on for ever (issue 12: 300 such connections, 2.6 GB).
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
	// h2StreamsHardLimit is where a client that goes on opening streams after that GOAWAY
	// (or whose every stream past the budget was reset, so no response carried it) is cut off.
	h2StreamsHardLimit = h2StreamsPerConn + h2MaxStreams
	// h2ResetBudget streams cancelled by the client (RST_STREAM) within h2ResetWindow are
	// taken for a rapid reset. A browser cancels a few streams when a page is left, not a
	// hundred in 10 s.
	h2ResetBudget = 100
	h2ResetWindow = 10 * time.Second
	// h2CutOffGrace is how long a connection that is cut off stays open after its GOAWAY, so
	// the client reads it before the close (a close with unread input sends a TCP reset,
	// which can make the peer's kernel drop the GOAWAY unread).
	h2CutOffGrace = time.Second

	h2ErrEnhanceYourCalm = 0xb
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

// enableHTTP2 serves HTTP/2 on srv through golang.org/x/net/http2 rather than net/http's
// built-in copy, because only its ServeConn takes any net.Conn: serve puts an h2Meter between
// the server and the TLS connection to count the client's frames as they arrive. Counting in
// the handler missed every stream reset before its handler started, which Go's server drops
// without a trace: such a budget let 2 000 to 4 000 rapid-reset streams in before it acted,
// and some connections never. x/net reads srv.HTTP2, so the settings above hold unchanged.
func enableHTTP2(srv *http.Server, ln *Listener, idleTimeout time.Duration) error {
	h2 := &http2.Server{IdleTimeout: idleTimeout}
	// ConfigureServer registers h2 with srv.Shutdown (a graceful GOAWAY on every connection)
	// and installs a TLSNextProto entry, replaced below by the metered one. It would also
	// add to srv.TLSConfig's ALPN list and check its cipher suites; the listener's config
	// decides both (srv.Serve never reads srv.TLSConfig), so it is given a blank one.
	tlsConfig := srv.TLSConfig
	srv.TLSConfig = nil
	err := http2.ConfigureServer(srv, h2)
	srv.TLSConfig = tlsConfig
	if err != nil {
		return fmt.Errorf("configuring HTTP/2: %w", err)
	}
	srv.TLSNextProto[http2.NextProtoTLS] = func(hs *http.Server, c *tls.Conn, h http.Handler) {
		var ctx context.Context
		// net/http hands TLSNextProto the connection's context (ConnContext's) through an
		// unadvertised method of h; without it handlers would lose the connection's values.
		if bc, ok := h.(interface{ BaseContext() context.Context }); ok {
			ctx = bc.BaseContext()
		}
		m := newH2Meter(c, func(reason string) {
			ln.emit(Event{
				Time: time.Now(), Remote: c.RemoteAddr().String(), SNI: capSNI(c.ConnectionState().ServerName),
				ALPN: http2.NextProtoTLS, Error: "HTTP/2 client cut off with GOAWAY: " + reason,
			})
		})
		defer m.stop()
		h2.ServeConn(m, &http2.ServeConnOpts{Context: ctx, Handler: h, BaseConfig: hs})
	}
	return nil
}

// h2Meter is an HTTP/2 server's view of its TLS connection. It follows the frame headers in
// both directions as they pass (nine bytes a frame: length, type, flags, stream), counts the
// streams the client opens and resets, and when the client runs past a budget cuts it off:
// the frame that crossed the budget and everything after it never reach the server, a GOAWAY
// (ENHANCE_YOUR_CALM, naming the last stream the server was given) goes out between two of
// the server's frames, and the connection is closed h2CutOffGrace later.
type h2Meter struct {
	*tls.Conn
	onCutOff func(reason string)

	// Read is called by the server's one reading goroutine: in and the counters are its own.
	in          frameTracker
	lastStream  uint32 // the highest client stream the server has been given
	streams     int
	resets      int
	windowStart time.Time

	cut     chan struct{} // closed when the client is cut off
	closed  chan struct{} // closed with the connection, h2CutOffGrace after cut
	timerMu sync.Mutex
	timer   *time.Timer

	wmu       sync.Mutex // serialises the server's writes with the GOAWAY
	out       frameTracker
	goAwayDue []byte // a GOAWAY waiting for the server's output to reach a frame boundary
}

func newH2Meter(c *tls.Conn, onCutOff func(string)) *h2Meter {
	return &h2Meter{
		Conn:     c,
		onCutOff: onCutOff,
		in:       frameTracker{prefix: len(http2.ClientPreface)},
		cut:      make(chan struct{}),
		closed:   make(chan struct{}),
	}
}

var errCutOff = errors.New("http2: client cut off")

// Read passes the client's bytes to the server up to the first frame that breaks a budget.
// Once the client is cut off it drains the client's input until the close: closing with
// unread input answers with a TCP reset, which can make the client's kernel drop the GOAWAY
// before the client reads it.
func (m *h2Meter) Read(p []byte) (int, error) {
	select {
	case <-m.cut:
		return 0, m.drain(p)
	default:
	}
	n, err := m.Conn.Read(p)
	reason, stopAt := "", 0
	m.in.scan(p[:n], func(at int, h frameHeader) bool {
		reason, stopAt = m.count(h, time.Now()), max(at, 0)
		return reason == ""
	})
	if reason == "" {
		return n, err
	}
	m.cutOff(reason)
	if stopAt > 0 {
		return stopAt, nil
	}
	return 0, m.drain(p)
}

// drain reads and drops what the client still sends until the close cutOff scheduled.
func (m *h2Meter) drain(buf []byte) error {
	for {
		if _, err := m.Conn.Read(buf); err != nil {
			return errCutOff
		}
	}
}

// count records one client frame and returns why the client is cut off, if it is.
func (m *h2Meter) count(h frameHeader, now time.Time) string {
	switch h.typ {
	case frameHeaders:
		if h.stream <= m.lastStream || h.stream%2 == 0 {
			return "" // trailers, or a protocol error the server answers itself
		}
		if m.streams++; m.streams > h2StreamsHardLimit {
			return fmt.Sprintf("more than %d streams on one connection", h2StreamsHardLimit)
		}
		m.lastStream = h.stream
	case frameRSTStream:
		if now.Sub(m.windowStart) > h2ResetWindow {
			m.windowStart, m.resets = now, 0
		}
		if m.resets++; m.resets > h2ResetBudget {
			return fmt.Sprintf("rapid reset (more than %d streams reset within %v)", h2ResetBudget, h2ResetWindow)
		}
	}
	return ""
}

// cutOff sends GOAWAY as soon as the server's output allows and schedules the close.
func (m *h2Meter) cutOff(reason string) {
	close(m.cut)
	m.timerMu.Lock()
	m.timer = time.AfterFunc(h2CutOffGrace, func() { m.Conn.Close() })
	m.timerMu.Unlock()

	payload := binary.BigEndian.AppendUint32(nil, m.lastStream)
	payload = binary.BigEndian.AppendUint32(payload, h2ErrEnhanceYourCalm)
	frame := append(appendFrameHeader(nil, len(payload), frameGoAway, 0, 0), payload...)
	m.wmu.Lock()
	if m.out.atBoundary() {
		m.Conn.Write(frame) // a failure here is a closed connection, which is the goal
	} else {
		m.goAwayDue = frame
	}
	m.wmu.Unlock()
	m.onCutOff(reason)
}

// Write passes the server's bytes on, putting a due GOAWAY at the first frame boundary.
func (m *h2Meter) Write(p []byte) (int, error) {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return m.writeLocked(p, m.Conn.Write)
}

func (m *h2Meter) writeLocked(p []byte, write func([]byte) (int, error)) (int, error) {
	written := 0
	for m.goAwayDue != nil && len(p) > 0 {
		k := m.out.untilBoundary(p)
		n, err := write(p[:k])
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
		if m.out.atBoundary() {
			if _, err := write(m.goAwayDue); err != nil {
				return written, err
			}
			m.goAwayDue = nil
		}
	}
	m.out.scan(p, nil)
	n, err := write(p)
	return written + n, err
}

// stop releases the close timer once the server is done with the connection.
func (m *h2Meter) stop() {
	m.timerMu.Lock()
	defer m.timerMu.Unlock()
	if m.timer != nil {
		m.timer.Stop()
	}
}

// HTTP/2 frame types counted (RFC 9113 §6).
const (
	frameHeaders   = 0x1
	frameRSTStream = 0x3
	frameGoAway    = 0x7
)

type frameHeader struct {
	length int
	typ    byte
	stream uint32
}

func appendFrameHeader(b []byte, length int, typ, flags byte, stream uint32) []byte {
	b = append(b, byte(length>>16), byte(length>>8), byte(length), typ, flags)
	return binary.BigEndian.AppendUint32(b, stream&0x7fffffff)
}

// frameTracker follows frame boundaries in one direction of an HTTP/2 connection without
// keeping payloads: it holds at most one partial nine-byte header.
type frameTracker struct {
	prefix  int // bytes of connection preface still to skip
	hdr     [9]byte
	hdrLen  int
	payload int // payload bytes of the current frame still to skip
}

func (t *frameTracker) atBoundary() bool { return t.prefix == 0 && t.hdrLen == 0 && t.payload == 0 }

// step consumes the bytes of p that belong to the current piece (preface, header or payload)
// and returns how many it took, and the header when one was completed.
func (t *frameTracker) step(p []byte) (int, *frameHeader) {
	switch {
	case t.prefix > 0:
		k := min(t.prefix, len(p))
		t.prefix -= k
		return k, nil
	case t.payload > 0:
		k := min(t.payload, len(p))
		t.payload -= k
		return k, nil
	}
	k := copy(t.hdr[t.hdrLen:], p)
	if t.hdrLen += k; t.hdrLen < len(t.hdr) {
		return k, nil
	}
	h := &frameHeader{
		length: int(t.hdr[0])<<16 | int(t.hdr[1])<<8 | int(t.hdr[2]),
		typ:    t.hdr[3],
		stream: binary.BigEndian.Uint32(t.hdr[5:]) & 0x7fffffff,
	}
	t.hdrLen, t.payload = 0, h.length
	return k, h
}

// scan advances over p, calling onFrame (when not nil) with each completed header and the
// offset in p where its frame starts (negative when it began in an earlier buffer). When
// onFrame returns false scanning stops; the tracker is not to be used after that.
func (t *frameTracker) scan(p []byte, onFrame func(at int, h frameHeader) bool) {
	for i := 0; i < len(p); {
		before := t.hdrLen
		k, h := t.step(p[i:])
		if h != nil && onFrame != nil && !onFrame(i-before, *h) {
			return
		}
		i += k
	}
}

// untilBoundary advances over p up to the next frame boundary and returns how many bytes
// that took (all of p if it holds none).
func (t *frameTracker) untilBoundary(p []byte) int {
	for i := 0; i < len(p); {
		k, _ := t.step(p[i:])
		if i += k; t.atBoundary() {
			return i
		}
	}
	return len(p)
}

// streamBudget counts the streams one connection's handlers see, for the graceful GOAWAY. It
// lives in the connection's context (http.Server.ConnContext), so every stream's handler
// finds it.
type streamBudget struct {
	mu      sync.Mutex
	streams int
}

type budgetKey struct{}

func withStreamBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &streamBudget{})
}

// pastBudget counts a new stream and reports whether it is past h2StreamsPerConn. Every stream
// past it asks for the GOAWAY, not only the first: that one may have been reset, and a reset
// stream's response (the only carrier of the request) is never written.
func (b *streamBudget) pastBudget() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.streams++
	return b.streams > h2StreamsPerConn
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
		if b.pastBudget() {
			// Go's HTTP/2 server takes this (never sent) header for a graceful GOAWAY.
			w.Header().Set("Connection", "close")
		}
		if r.Context().Err() != nil {
			return
		}
		h.ServeHTTP(w, r)
	})
}
