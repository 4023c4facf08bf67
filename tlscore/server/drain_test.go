package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// drListen is a listener for drain tests, with the drain given.
func drListen(t *testing.T, drain time.Duration, alpn ...string) (*Listener, *tls.Config) {
	t.Helper()
	cert, pool := ltCert(t)
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(Options{Addr: "127.0.0.1:0", Certs: store, ALPN: alpn, Drain: drain}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: alpn}
}

// drReturns runs serve and cancels its context once started() says so, then reports how long
// serve took to return after the cancel (failing past limit).
func drReturns(t *testing.T, limit time.Duration, serve func(context.Context) error, started func()) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	started()
	cancel()
	start := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(limit):
		t.Fatalf("still serving %v after the context ended", limit)
	}
	return time.Since(start)
}

// TestServeEchoDrain: the drain is Options.Drain, no longer the 5 s literal every stop waited
// through with a client connected (measured before: 5.0 s). With 100 ms, an idle echo client
// is closed and ServeEcho returns within 2 s; its echo worked up to then.
func TestServeEchoDrain(t *testing.T) {
	t.Parallel()
	ln, cfg := drListen(t, 100*time.Millisecond, "echo")
	var c *tls.Conn
	took := drReturns(t, 2*time.Second, func(ctx context.Context) error { return ServeEcho(ctx, ln, time.Minute) }, func() {
		var err error
		if c, err = tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), cfg); err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "ping")
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("echo %q, %v", buf, err)
		}
	})
	defer c.Close()
	t.Logf("ServeEcho returned %v after the stop", took.Round(time.Millisecond))
	if took < 100*time.Millisecond {
		t.Errorf("returned after %v, before the 100 ms drain was up", took)
	}
	if _, err := io.ReadAll(c); err != nil {
		t.Errorf("the idle client was not closed: %v", err)
	}
}

// TestServeHTTPDrain: a request in flight when the context ends finishes if it can within the
// drain (200 after 200 ms with a 2 s drain), and is cut at the drain otherwise (a handler that
// never answers, 100 ms drain: ServeHTTP returns within 2 s, not 5 s as before), and with no
// drain at all it is not waited for.
func TestServeHTTPDrain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		drain time.Duration
		work  time.Duration
		ok    bool
	}{
		{"finishes within the drain", 2 * time.Second, 200 * time.Millisecond, true},
		{"cut at the drain", 100 * time.Millisecond, time.Hour, false},
		// --drain 0: a request 200 ms from done is not waited for.
		{"no drain: closed at once", 0, 200 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln, cfg := drListen(t, tc.drain, "http/1.1")
			inFlight := make(chan struct{})
			quit := make(chan struct{})
			defer close(quit)
			srv, err := NewHTTPServer(ln, HTTPOptions{
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					close(inFlight)
					select {
					case <-time.After(tc.work):
					case <-quit:
					}
					io.WriteString(w, "done")
				}),
				ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10,
			})
			if err != nil {
				t.Fatal(err)
			}
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
			defer client.CloseIdleConnections()
			got := make(chan int, 1)
			drReturns(t, tc.drain+2*time.Second, func(ctx context.Context) error { return ServeHTTP(ctx, srv, ln) }, func() {
				go func() {
					resp, err := client.Get("https://" + ln.Addr().String() + "/")
					if err != nil {
						got <- 0
						return
					}
					resp.Body.Close()
					got <- resp.StatusCode
				}()
				select {
				case <-inFlight:
				case <-time.After(5 * time.Second):
					t.Fatal("the request never reached the handler")
				}
			})
			if status := <-got; (status == 200) != tc.ok {
				t.Errorf("the request in flight got %d, want it answered: %v", status, tc.ok)
			}
		})
	}
}
