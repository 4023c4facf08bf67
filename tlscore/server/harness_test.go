package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// An HTTP server as `tlskit serve` runs it (Listener, NewHTTPServer), for tests of how it
// holds up against abusive clients.

type hsServer struct {
	ln   *Listener
	srv  *http.Server
	pool *x509.CertPool
	url  string
}

type hsConfig struct {
	maxConns int
	idle     time.Duration
	// evictAfter is Options.EvictAfter (its default of 1 s when 0).
	evictAfter time.Duration
	// onRequest is HTTPOptions.OnRequest.
	onRequest func(Request)
}

func hsStart(t *testing.T, h http.Handler, cfg hsConfig) *hsServer {
	t.Helper()
	cert, pool := ltCert(t)
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(Options{
		Addr:             "127.0.0.1:0",
		Certs:            store,
		ALPN:             []string{"h2", "http/1.1"},
		HandshakeTimeout: 2 * time.Second,
		MaxConns:         cfg.maxConns,
		IdleTimeout:      cfg.idle,
		EvictAfter:       cfg.evictAfter,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	idle := cfg.idle
	if idle == 0 {
		idle = time.Minute
	}
	srv, err := NewHTTPServer(ln, HTTPOptions{Handler: h, ReadHeaderTimeout: 2 * time.Second, IdleTimeout: idle, MaxHeaderBytes: 64 << 10, OnRequest: cfg.onRequest})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		ln.Close()
		<-done
	})
	return &hsServer{ln: ln, srv: srv, pool: pool, url: "https://" + ln.Addr().String()}
}

// client is an HTTP client of s speaking only HTTP/2 or only HTTP/1.1.
func (s *hsServer) client(h2 bool, timeout time.Duration) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.pool}, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP1(!h2)
	tr.Protocols.SetHTTP2(h2)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// dial opens a TLS connection speaking HTTP/1.1; rcvbuf, when non-zero, shrinks the client's
// receive buffer (before connecting, so the advertised window is small too) and announces an
// Ethernet-sized MSS. Loopback's own MSS (about 64 KiB) is larger than such a buffer, so the
// receiver's silly-window avoidance holds the window shut while the client reads and the
// sender waits for TCP's persist timer (200 ms, then 400 ms): a 300 ms stall of a client
// that never stopped reading, which a real link does not have (TestMovingTransfersOutliveIdle
// failed so under load: 186 695 of 262 144 bytes).
func (s *hsServer) dial(t *testing.T, rcvbuf int) *tls.Conn {
	t.Helper()
	d := &net.Dialer{Timeout: 3 * time.Second}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
				if serr == nil {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 1460)
				}
			})
			return serr
		}
	}
	c, err := tls.DialWithDialer(d, "tcp", s.ln.Addr().String(), &tls.Config{RootCAs: s.pool, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get asks for path with a fresh HTTP/1.1 connection and reports the status, or an error,
// and how long it took.
func (s *hsServer) get(path string, limit time.Duration) (int, time.Duration, error) {
	start := time.Now()
	c := s.client(false, limit)
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.url + path)
	if err != nil {
		return 0, time.Since(start), err
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// hsThreads is this process's OS thread count.
func hsThreads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Threads:")); ok {
			n, _ := strconv.Atoi(string(bytes.TrimSpace(v)))
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// hsTCP is the TCP connection under a server-side connection.
func hsTCP(c net.Conn) *net.TCPConn {
	for {
		switch x := c.(type) {
		case *net.TCPConn:
			return x
		case *helloConn:
			c = x.Conn
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil
		}
	}
}
