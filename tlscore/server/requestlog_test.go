package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// reqRecorder collects HTTPOptions.OnRequest's reports.
type reqRecorder struct {
	mu   sync.Mutex
	reqs []Request
}

func (r *reqRecorder) add(q Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, q)
}

// wait returns the reports once there are n, or whatever there is after pxLimit.
func (r *reqRecorder) wait(n int) []Request {
	for deadline := time.Now().Add(pxLimit); ; time.Sleep(5 * time.Millisecond) {
		r.mu.Lock()
		got := append([]Request(nil), r.reqs...)
		r.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
	}
}

// one waits for the single report of a request and fails unless there is exactly one.
func (r *reqRecorder) one(t *testing.T) Request {
	t.Helper()
	got := r.wait(1)
	time.Sleep(20 * time.Millisecond) // a second report would come at once
	if got = r.wait(2); len(got) != 1 {
		t.Fatalf("%d log lines for one request: %+v", len(got), got)
	}
	return got[0]
}

// TestRequestLog: each request served is reported once it is done, with the status and body
// bytes the client got, over HTTP/1.1 and HTTP/2; 1xx answers are not the status; a handler
// that sets none is net/http's 200; an aborted handler is still logged.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/nothing", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "x")
	})
	mux.HandleFunc("/hints", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "par")
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})
	for _, h2 := range []bool{false, true} {
		rec := &reqRecorder{}
		s := hsStart(t, mux, hsConfig{onRequest: rec.add})
		c := s.client(h2, 3*time.Second)
		proto := "HTTP/1.1"
		if h2 {
			proto = "HTTP/2.0"
		}
		for _, tc := range []struct {
			path   string
			status int
			bytes  int64
		}{
			{"/ok?q=1", 200, 5},
			{"/nothing", 200, 0},
			{"/teapot", 418, 1},
			{"/hints", 200, 2},
			{"/missing", 404, int64(len("404 page not found\n"))},
			{"/abort", 200, 3},
		} {
			before := len(rec.wait(0))
			start := time.Now()
			if resp, err := c.Get(s.url + tc.path); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else if tc.path != "/abort" {
				t.Fatalf("%s %s: %v", proto, tc.path, err)
			}
			got := rec.wait(before + 1)
			if len(got) != before+1 {
				t.Fatalf("%s %s: %d log lines, want %d", proto, tc.path, len(got), before+1)
			}
			q := got[before]
			if q.Method != "GET" || q.Path != tc.path || q.HTTPProtocol != proto || q.Status != tc.status || q.Bytes != tc.bytes ||
				q.Error != "" || q.Remote == "" || q.Time.Before(start.Add(-time.Second)) || q.DurationMs < 0 {
				t.Errorf("%s %s: logged %+v, want status %d and %d bytes", proto, tc.path, q, tc.status, tc.bytes)
			}
		}
		c.CloseIdleConnections()
	}
}

// TestProxyFailureLoggedPerRequest: behind --proxy a backend that is down used to be silent
// in the log (the client got 502, the log said nothing), and the warnings on stderr stood for
// many requests at once. Now every request's own line has the answer and its cause: three
// requests to a closed port, three lines of 502 with the dial error.
func TestProxyFailureLoggedPerRequest(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	ln.Close()
	s, rec := pxStart(t, closed, pxTimeout)
	c := s.client(false, 3*time.Second)
	defer c.CloseIdleConnections()
	for _, p := range []string{"/a", "/b", "/c?x=1"} {
		resp, err := c.Get(s.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("%s: %s, want 502", p, resp.Status)
		}
	}
	got := rec.reqs.wait(3)
	time.Sleep(20 * time.Millisecond)
	if got = rec.reqs.wait(4); len(got) != 3 {
		t.Fatalf("%d log lines for 3 requests: %+v", len(got), got)
	}
	for i, p := range []string{"/a", "/b", "/c?x=1"} {
		q := got[i]
		var pe *ProxyError
		var oe *net.OpError
		if q.Path != p || q.Status != 502 || !errors.As(q.Cause, &pe) || !errors.As(q.Cause, &oe) || oe.Op != "dial" ||
			!strings.HasPrefix(q.Error, "the backend failed: dial tcp "+closed.Host) || !strings.Contains(q.Error, "connection refused") {
			t.Errorf("request %d logged %+v (cause %v), want %s 502 with the dial error", i, q, q.Cause, p)
		}
	}
}

// TestProxyTimeoutAndCutLogged: a backend that never answers is the request's 504 and its
// timeout; one that breaks off a body is the 200 the client got, the bytes that came and why
// the rest did not.
func TestProxyTimeoutAndCutLogged(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		backend := pxBackend(t, 0, func(c net.Conn, stop <-chan struct{}) {
			pxReadRequest(c)
			<-stop
		})
		s, rec := pxStart(t, backend, pxTimeout)
		if status, _, err := s.get("/stalled", 3*time.Second); err != nil || status != 504 {
			t.Fatalf("%d, %v; want 504", status, err)
		}
		q := rec.reqs.one(t)
		var te *ProxyTimeoutError
		if q.Status != 504 || !errors.As(q.Cause, &te) || q.Error != te.Error() || !strings.Contains(q.Error, "no response headers") {
			t.Errorf("logged %+v, want 504 with the headers timeout", q)
		}
	})
	t.Run("cut", func(t *testing.T) {
		t.Parallel()
		backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
			pxReadRequest(c)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
		})
		// The cut is under test, not a timeout: a generous one keeps a loaded machine from
		// turning the slow start into a 504.
		s, rec := pxStart(t, backend, 5*time.Second)
		s.get("/big", 3*time.Second) // the client sees its connection cut
		q := rec.reqs.one(t)
		if q.Status != 200 || q.Bytes != 10 || !strings.HasPrefix(q.Error, "the backend broke off the response body: ") {
			t.Errorf("logged %+v, want 200, 10 bytes and the body broken off", q)
		}
	})
	t.Run("tunnel", func(t *testing.T) {
		t.Parallel()
		backend := pxBackend(t, 0, func(c net.Conn, _ <-chan struct{}) {
			_, br := pxReadRequest(c)
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			io.Copy(c, br)
		})
		// No timeout is under test here: a generous one keeps a loaded machine from turning
		// the upgrade into a 504.
		s, rec := pxStart(t, backend, 5*time.Second)
		c := pgTunnel(t, s)
		if got := rec.reqs.wait(0); len(got) != 0 {
			t.Fatalf("logged while the tunnel is open: %+v", got)
		}
		c.Close()
		if q := rec.reqs.one(t); q.Status != 101 || q.Error != "" || q.Path != "/ws" {
			t.Errorf("logged %+v, want the 101 once the tunnel closed", q)
		}
	})
}
