package connect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// dtEcho serves an echo on 127.0.0.1 and returns its port.
func dtEcho(t *testing.T) (string, int) {
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) { io.Copy(c, c) })
	return addr, dtPort(t, addr)
}

func dtPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(p, &n)
	return n
}

// dtCheckEcho writes through conn and expects the same bytes back.
func dtCheckEcho(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	defer conn.SetDeadline(time.Time{})
	if _, err := io.WriteString(conn, "ping\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != "ping\n" {
		t.Fatalf("echo gave %q (%v)", got, err)
	}
}

func TestDial(t *testing.T) {
	t.Parallel()
	_, port := dtEcho(t)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			conn, dt, err := Dial(context.Background(), DialOptions{Host: host, Port: port})
			if err != nil {
				if host == "localhost" {
					t.Skipf("localhost does not resolve here: %v", err)
				}
				t.Fatalf("Dial: %v", err)
			}
			defer conn.Close()
			if dt.DNS < 0 || dt.Connect < 0 {
				t.Errorf("negative timing %+v", dt)
			}
			if host == "127.0.0.1" && dt.DNS > 10*time.Millisecond {
				t.Errorf("an IP address took %v to 'resolve'", dt.DNS)
			}
			want := fmt.Sprintf("127.0.0.1:%d", port)
			if dt.Address != want {
				t.Errorf("Address = %q, want %q", dt.Address, want)
			}
			if got := conn.RemoteAddr().String(); got != dt.Address {
				t.Errorf("Address %q is not the connection's remote address %q", dt.Address, got)
			}
			dtCheckEcho(t, conn)
		})
	}
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := dtPort(t, ln.Addr().String())
	ln.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		opts  DialOptions
		stage Stage
		want  []string
	}{
		{
			name:  "refused",
			opts:  DialOptions{Host: "127.0.0.1", Port: closedPort},
			stage: StageConnect,
			want:  []string{fmt.Sprintf("connecting to 127.0.0.1:%d: connection refused", closedPort)},
		},
		{
			name:  "refused on every localhost address",
			opts:  DialOptions{Host: "localhost", Port: closedPort},
			stage: StageConnect,
			want:  []string{fmt.Sprintf("connecting to 127.0.0.1:%d (and [::1]:%d): connection refused", closedPort, closedPort)},
		},
		{
			name:  "no such host",
			opts:  DialOptions{Host: "does-not-exist.invalid", Port: 443, Resolver: peertest.NoDNS()},
			stage: StageDNS,
			want:  []string{"looking up does-not-exist.invalid: "},
		},
		{
			name:  "cancelled",
			ctx:   cancelled,
			opts:  DialOptions{Host: "127.0.0.1", Port: closedPort},
			stage: StageConnect,
			want:  []string{"cancel"},
		},
		{
			name:  "proxy refused",
			opts:  DialOptions{Host: "127.0.0.1", Port: 443, Proxy: &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", closedPort)}},
			stage: StageConnect,
			want:  []string{fmt.Sprintf("connecting to proxy 127.0.0.1:%d: connection refused", closedPort)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := tt.ctx
			if ctx == nil {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
			}
			start := time.Now()
			conn, _, err := Dial(ctx, tt.opts)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("Dial took %v with a 2s deadline", elapsed)
			}
			if err == nil {
				conn.Close()
				t.Fatal("Dial succeeded")
			}
			var ce *ConnError
			if !errors.As(err, &ce) {
				t.Fatalf("error is %T, want *ConnError: %v", err, err)
			}
			if ce.Stage != tt.stage {
				t.Errorf("stage %q, want %q (%v)", ce.Stage, tt.stage, err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestDialThroughProxy(t *testing.T) {
	t.Parallel()
	_, port := dtEcho(t)
	p := peertest.ServeProxy(t, "")
	conn, dt, err := Dial(context.Background(), DialOptions{Host: "127.0.0.1", Port: port, Proxy: p.URL(nil)})
	if err != nil {
		t.Fatalf("Dial through the proxy: %v", err)
	}
	defer conn.Close()
	if dt.Address != p.Addr {
		t.Errorf("Address = %q, want the proxy's %q", dt.Address, p.Addr)
	}
	if dt.DNS < 0 || dt.Connect < 0 {
		t.Errorf("negative timing %+v", dt)
	}
	dtCheckEcho(t, conn)
	reqs := p.Requests()
	if len(reqs) != 1 {
		t.Fatalf("proxy saw %d requests, want 1", len(reqs))
	}
	want := fmt.Sprintf("127.0.0.1:%d", port)
	if r := reqs[0]; r.Method != http.MethodConnect || r.RequestURI != want || r.Host != want {
		t.Errorf("proxy saw %s %s (Host %s), want CONNECT %s", r.Method, r.RequestURI, r.Host, want)
	}
	if h := reqs[0].Header.Get("Proxy-Authorization"); h != "" {
		t.Errorf("Proxy-Authorization %q sent without credentials in the proxy URL", h)
	}
}

func TestProxyPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want int
	}{
		{"http://proxy.example:3128", 3128},
		{"http://proxy.example", 8080},
		{"https://proxy.example", 443},
		{"http://[::1]:8888", 8888},
		{"http://user:pw@proxy.example:1080", 1080},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := proxyPort(u); got != tt.want {
			t.Errorf("proxyPort(%s) = %d, want %d", tt.url, got, tt.want)
		}
	}
}

func TestIsLocalhost(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"localhost":          true,
		"LocalHost":          true,
		"localhost.":         true,
		"app.localhost":      true,
		"a.b.localhost.":     true,
		"localhost.example":  false,
		"notlocalhost":       false,
		"mylocalhost":        false,
		"localhost.localdom": false,
		"127.0.0.1":          false,
		"":                   false,
	} {
		if got := isLocalhost(name); got != want {
			t.Errorf("isLocalhost(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestDialLocalhostIPv6Only is a server on ::1 alone: "localhost" tries 127.0.0.1 first, as
// /etc/hosts usually lists it, and must go on to ::1 when that is refused.
func TestDialLocalhostIPv6Only(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	conn, dt, err := Dial(context.Background(), DialOptions{Host: "app.localhost", Port: port})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	if want := fmt.Sprintf("[::1]:%d", port); dt.Address != want {
		t.Errorf("Address = %q, want %q", dt.Address, want)
	}
	dtCheckEcho(t, conn)
}
