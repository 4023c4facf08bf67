package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// Backends that misbehave, each a raw handler on 127.0.0.1, behind the proxy as serve runs it.

// pxTimeout is the proxy timeout of these tests; pxLimit bounds how long a client waits for
// what the timeout should bring (5x, so a loaded machine cannot flake it, yet a hang fails
// within well under 2 s).
const (
	pxTimeout = 300 * time.Millisecond
	pxLimit   = 1500 * time.Millisecond
)

// pxBackend serves handle on 127.0.0.1; rcvbuf, when non-zero, shrinks the receive buffer of
// its connections (so a backend that does not read stops taking bytes after a few KiB). At the
// end of the test stop is closed, then every connection (peertest.ServeListener).
func pxBackend(t *testing.T, rcvbuf int, handle func(c net.Conn, stop <-chan struct{})) *url.URL {
	t.Helper()
	lc := net.ListenConfig{}
	if rcvbuf > 0 {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			return serr
		}
	}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := peertest.ServeListener(t, ln, func(ctx context.Context, c net.Conn) { handle(c, ctx.Done()) })
	return &url.URL{Scheme: "http", Host: addr}
}

// pxReadRequest reads one request's headers, or fails quietly (the proxy hung up).
func pxReadRequest(c net.Conn) (*http.Request, *bufio.Reader) {
	br := bufio.NewReader(c)
	req, _ := http.ReadRequest(br)
	return req, br
}

// pxRecorder collects what OnError is told, and the requests' log lines.
type pxRecorder struct {
	mu   sync.Mutex
	errs []ProxyError
	reqs reqRecorder
}

func (r *pxRecorder) add(e ProxyError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, e)
}

func (r *pxRecorder) all() []ProxyError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ProxyError(nil), r.errs...)
}

// wait returns what was reported once n reports are in, or whatever there is after pxLimit.
// none fails the test if anything was reported.
func (r *pxRecorder) none(t *testing.T) {
	t.Helper()
	if errs := r.all(); len(errs) > 0 {
		t.Fatalf("OnError told of %v", errs)
	}
}

func (r *pxRecorder) wait(n int) []ProxyError {
	for deadline := time.Now().Add(pxLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if errs := r.all(); len(errs) >= n {
			return errs
		}
	}
	return r.all()
}

// pxStart runs the proxy to backend with timeout in front of it, as serve does (idle timeout
// 5 s: longer than anything here, so it is the proxy timeout that acts).
func pxStart(t *testing.T, backend *url.URL, timeout time.Duration) (*hsServer, *pxRecorder) {
	t.Helper()
	rec := &pxRecorder{}
	h := ProxyHandler(ProxyOptions{Backend: backend, Timeout: timeout, OnError: rec.add})
	return hsStart(t, h, hsConfig{idle: 5 * time.Second, onRequest: rec.reqs.add}), rec
}

func pxProto(h2 bool) string {
	if h2 {
		return "HTTP/2"
	}
	return "HTTP/1.1"
}

// pxTimedOut checks that the one report is a timeout in phase, answered with status.
func pxTimedOut(t *testing.T, rec *pxRecorder, phase ProxyPhase, status int) {
	t.Helper()
	errs := rec.wait(1)
	if len(errs) != 1 {
		t.Fatalf("OnError told of %d failures, want 1: %v", len(errs), errs)
	}
	e := errs[0]
	var te *ProxyTimeoutError
	if !errors.As(e.Err, &te) || te.Phase != phase || te.After != pxTimeout || e.Status != status || !errors.Is(e.Err, os.ErrDeadlineExceeded) {
		t.Fatalf("OnError told of %+v (%v), want a %q timeout after %v answered %d", e, e.Err, phase, pxTimeout, status)
	}
	if e.Method == "" || e.Path == "" || e.Remote == "" {
		t.Fatalf("OnError's report lacks the request: %+v", e)
	}
}

// TestProxyNoResponseHeaders: a backend that reads the request and never answers used to keep
// the client waiting for ever (`tlskit serve --proxy` measured: still waiting after 10 s; cut
// only by the 2 min --idle-timeout, with no status). Now the client gets 504 within pxLimit of
// a 300 ms timeout, over HTTP/1.1 and HTTP/2, and OnError is told once.
func TestProxyNoResponseHeaders(t *testing.T) {
	t.Parallel()
	backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
		_, br := pxReadRequest(c)
		io.Copy(io.Discard, br) // reads on, never answers
	})
	for _, h2 := range []bool{false, true} {
		t.Run(pxProto(h2), func(t *testing.T) {
			s, rec := pxStart(t, backend, pxTimeout)
			c := s.client(h2, pxLimit)
			defer c.CloseIdleConnections()
			start := time.Now()
			resp, err := c.Get(s.url + "/slow?q=1")
			if err != nil {
				t.Fatalf("after %v: %v; want 504", time.Since(start), err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("status %s, want 504", resp.Status)
			}
			pxTimedOut(t, rec, ProxyPhaseHeaders, http.StatusGatewayTimeout)
			if e := rec.all()[0]; e.Method != "GET" || e.Path != "/slow?q=1" {
				t.Fatalf("reported %s %s, want GET /slow?q=1", e.Method, e.Path)
			}
		})
	}
}

// TestProxyDrippingBody: a backend that sends its headers and then a byte every second used to
// hold the client for as long as it liked (measured: still waiting after 10 s). Now, with a
// 300 ms timeout, the transfer is cut (HTTP/1.1: the connection; HTTP/2: the stream) within
// pxLimit, whether the body is chunked (the client has the 200 and the first byte) or has a
// Content-Length (ReverseProxy holds the headers back until 4 KiB of body: the client gets no
// response at all).
func TestProxyDrippingBody(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{true, false} {
		backend := pxBackend(t, 0, func(c net.Conn, stop <-chan struct{}) {
			pxReadRequest(c)
			if chunked {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			} else {
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
			}
			for i := 0; i < 10; i++ {
				b := "x"
				if chunked {
					b = "1\r\nx\r\n"
				}
				if _, err := io.WriteString(c, b); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
			}
		})
		for _, h2 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunked=%v", pxProto(h2), chunked), func(t *testing.T) {
				t.Parallel() // each behind its own proxy: the four wait out the timeout together
				s, rec := pxStart(t, backend, pxTimeout)
				c := s.client(h2, 3*time.Second) // the client's own limit is not what ends it
				defer c.CloseIdleConnections()
				start := time.Now()
				resp, err := c.Get(s.url + "/drip")
				var n int64
				if err == nil {
					n, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				if err == nil || took > pxLimit {
					t.Fatalf("after %v: %d bytes, err %v; want the transfer cut within %v", took, n, err, pxLimit)
				}
				if chunked && (resp == nil || resp.StatusCode != 200 || n != 1) {
					t.Fatalf("got %v with %d bytes, want the 200 and one byte before the cut", resp, n)
				}
				pxTimedOut(t, rec, ProxyPhaseBody, 0)
			})
		}
	}
}

// pxEndless is a request body that never ends.
type pxEndless struct{}

func (pxEndless) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestProxyUploadNotRead: a backend that never reads an uploaded body used to hold the client
// for ever (measured: a 1 GiB POST still waiting after 10 s; the server's idle timeout never
// acts, since nothing reads the client's connection meanwhile). Now the client gets 504 within
// pxLimit of a 300 ms timeout, and OnError is told of a timeout taking the request.
func TestProxyUploadNotRead(t *testing.T) {
	t.Parallel()
	backend := pxBackend(t, 4096, func(_ net.Conn, stop <-chan struct{}) { <-stop })
	for _, h2 := range []bool{false, true} {
		t.Run(pxProto(h2), func(t *testing.T) {
			s, rec := pxStart(t, backend, pxTimeout)
			c := s.client(h2, pxLimit)
			defer c.CloseIdleConnections()
			start := time.Now()
			resp, err := c.Post(s.url+"/upload", "application/octet-stream", pxEndless{})
			if err != nil {
				t.Fatalf("after %v: %v; want 504", time.Since(start), err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("status %s, want 504", resp.Status)
			}
			pxTimedOut(t, rec, ProxyPhaseRequest, http.StatusGatewayTimeout)
		})
	}
}

// TestProxySlowButMoving: progress is bytes moving. A backend that sends 10 bytes every 100 ms
// for a second, and a client that pauses its upload for 800 ms (the client's wait, which the
// idle timeout bounds, not the proxy timeout), both under a 600 ms timeout, go through whole
// with nothing reported.
func TestProxySlowButMoving(t *testing.T) {
	t.Parallel() // mostly sleeps: it used to hold the serial part of the run for 1.4 s
	backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
		req, br := pxReadRequest(c)
		if req == nil {
			return
		}
		got, _ := io.Copy(io.Discard, req.Body)
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Uploaded: %d\r\n\r\n", got)
		for i := 0; i < 10; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := io.WriteString(c, "a\r\n0123456789\r\n"); err != nil {
				return
			}
		}
		io.WriteString(c, "0\r\n\r\n")
		br.Peek(1) // until the proxy hangs up
	})
	for _, h2 := range []bool{false, true} {
		t.Run(pxProto(h2), func(t *testing.T) {
			t.Parallel() // mostly sleeps: both fit in the time of one
			// Twice the other tests' timeout: the backend's 100 ms gaps must not pass for
			// silence on a machine busy with the rest of the suite (a 504 at 300 ms was seen
			// once under a load of 6), and the client's pause still outlasts it.
			const timeout = 2 * pxTimeout
			s, rec := pxStart(t, backend, timeout)
			c := s.client(h2, 3*time.Second)
			defer c.CloseIdleConnections()
			pr, pw := io.Pipe()
			go func() {
				pw.Write(make([]byte, 1000))
				time.Sleep(timeout + 200*time.Millisecond)
				pw.Write(make([]byte, 1000))
				pw.Close()
			}()
			resp, err := c.Post(s.url+"/slow", "application/octet-stream", pr)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			n, err := io.Copy(io.Discard, resp.Body)
			if err != nil || n != 100 || resp.StatusCode != 200 || resp.Header.Get("X-Uploaded") != "2000" {
				t.Fatalf("%s, uploaded %s, %d of 100 bytes, err %v; want all of it", resp.Status, resp.Header.Get("X-Uploaded"), n, err)
			}
			rec.none(t)
		})
	}
}

// TestProxyEarlyHintsAreProgress: a 1xx answer is the backend moving too. Five 103 Early
// Hints 150 ms apart, then the 200: 750 ms before the final headers under a 600 ms timeout,
// answered whole with nothing reported (without the Got1xxResponse trace it is a 504). Each gap
// is a quarter of the timeout: a loaded machine made the 100 ms gaps of a 300 ms timeout miss.
func TestProxyEarlyHintsAreProgress(t *testing.T) {
	t.Parallel()
	backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
		req, br := pxReadRequest(c)
		if req == nil {
			return
		}
		for range 5 {
			time.Sleep(150 * time.Millisecond)
			if _, err := io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"); err != nil {
				return
			}
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		br.Peek(1) // until the proxy hangs up
	})
	s, rec := pxStart(t, backend, 600*time.Millisecond)
	c := s.client(false, 3*time.Second)
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.url + "/hints")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("%s, body %q, err %v; want 200 ok", resp.Status, body, err)
	}
	rec.none(t)
}

// TestProxyTunnelNotTimed: an upgraded (WebSocket) tunnel is not subject to the proxy timeout
// (the server's idle timeout bounds it): one left idle for 1.3 s, more than twice a 600 ms
// timeout, still echoes. (600 ms, not pxTimeout: the upgrade's own headers must come within it,
// and a loaded machine has made a 300 ms one a 504.)
func TestProxyTunnelNotTimed(t *testing.T) {
	t.Parallel()
	backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
		_, br := pxReadRequest(c)
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		io.Copy(c, br) // echo
	})
	s, rec := pxStart(t, backend, 600*time.Millisecond)
	c := pgTunnel(t, s)
	time.Sleep(1300 * time.Millisecond)
	c.SetDeadline(time.Now().Add(pxLimit))
	buf := make([]byte, 5)
	if _, err := io.WriteString(c, "ping\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
		t.Fatalf("echo %q, %v", buf, err)
	}
	rec.none(t)
}

// TestProxyClientGoneNotReported: a client that gives up is not the backend's failure.
func TestProxyClientGoneNotReported(t *testing.T) {
	t.Parallel()
	backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
		_, br := pxReadRequest(c)
		io.Copy(io.Discard, br) // reads on, never answers
	})
	s, rec := pxStart(t, backend, 2*time.Second)
	c := s.client(false, 100*time.Millisecond)
	defer c.CloseIdleConnections()
	if _, err := c.Get(s.url + "/"); err == nil {
		t.Fatal("the backend answered")
	}
	time.Sleep(200 * time.Millisecond)
	rec.none(t)
}

// pxOpenFDs is the number of this process's open file descriptors.
func pxOpenFDs(t *testing.T) int {
	t.Helper()
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(e)
}

// TestProxyUpgradeMismatch: a backend's 101 Switching Protocols to a protocol the client did
// not ask for (another one, a non-ASCII look-alike, one to a client that asked for none or is on
// HTTP/2) used to be answered 502 by ReverseProxy without closing the backend connection.
// Measured before: `tlskit serve` went from 12 to 61 open fds over 50 requests (+0.98 a
// request); here, with the backend's end in this process too, +1.96 a request under GOGC=off
// (0.6-1.1 with the collector on: netFD finalizers close some). A 101 naming no protocol never
// leaked (the transport closes it itself) and is here to keep it so. Now each is answered 502
// and reported, and after 50 of each kind the process has no more open fds than before (2 of
// slack for the test's own client).
func TestProxyUpgradeMismatch(t *testing.T) {
	tests := []struct {
		name      string
		h2        bool
		asks      string // the client's Upgrade, if any
		answer    string // the backend's 101 headers
		requested string // UpgradeError.Requested
		offered   string
	}{
		{"other protocol", false, "websocket", "Upgrade: h2c\r\nConnection: Upgrade\r\n", "websocket", "h2c"},
		{"no Upgrade header", false, "websocket", "", "websocket", ""},
		{"Upgrade without Connection", false, "websocket", "Upgrade: websocket\r\n", "websocket", ""},
		{"not asked", false, "", "Upgrade: websocket\r\nConnection: Upgrade\r\n", "", "websocket"},
		{"not asked, no header", false, "", "", "", ""},
		{"Kelvin sign", false, "websocket", "Upgrade: websoc\u212aet\r\nConnection: Upgrade\r\n", "websocket", "websoc\u212aet"},
		{"HTTP/2 client", true, "", "Upgrade: websocket\r\nConnection: Upgrade\r\n", "", "websocket"},
	}
	const n = 50
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
				_, br := pxReadRequest(c)
				io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n"+tt.answer+"\r\n")
				io.Copy(io.Discard, br) // a tunnel's far end: open until the proxy closes it
			})
			s, rec := pxStart(t, backend, 5*time.Second)
			c := s.client(tt.h2, pxLimit)
			get := func() int {
				req, _ := http.NewRequest("GET", s.url+"/ws", nil)
				if tt.asks != "" {
					req.Header.Set("Connection", "Upgrade")
					req.Header.Set("Upgrade", tt.asks)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			get() // the client's connection, the server's goroutines: open before counting
			before := pxOpenFDs(t)
			for i := 0; i < n; i++ {
				if st := get(); st != http.StatusBadGateway {
					t.Fatalf("request %d: status %d, want 502", i, st)
				}
			}
			c.CloseIdleConnections()
			after := pxOpenFDs(t)
			for deadline := time.Now().Add(pxLimit); after > before+2 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
				after = pxOpenFDs(t)
			}
			if after > before+2 {
				t.Fatalf("open fds %d -> %d after %d requests (%+.2f per request), want no growth", before, after, n, float64(after-before)/n)
			}
			errs := rec.wait(n + 1)
			if len(errs) != n+1 {
				t.Fatalf("OnError told of %d failures, want %d", len(errs), n+1)
			}
			var ue *UpgradeError
			if e := errs[0]; !errors.As(e.Err, &ue) || e.Status != http.StatusBadGateway || ue.Requested != tt.requested || ue.Offered != tt.offered {
				t.Fatalf("OnError told of %+v (%v), want an UpgradeError %q -> %q answered 502", e, e.Err, tt.requested, tt.offered)
			}
			if strings.ContainsAny(ue.Error(), "\r\n") {
				t.Fatalf("error %q spans lines", ue.Error())
			}
		})
	}
}
