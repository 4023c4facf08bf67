package tlscore

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dtEcho serves an echo on 127.0.0.1 and returns its port.
func dtEcho(t *testing.T) (string, int) {
	addr := bpServe(t, func(ctx context.Context, c net.Conn) { io.Copy(c, c) })
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

// dtNoDNS resolves from /etc/hosts only: tests never send a DNS query off the machine.
var dtNoDNS = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("no DNS in tests")
}}

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
			opts:  DialOptions{Host: "does-not-exist.invalid", Port: 443, Resolver: dtNoDNS},
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

// dtProxy is an HTTP CONNECT proxy for tests. It tunnels only to 127.0.0.1.
type dtProxy struct {
	addr string
	// auth, when set, is the Proxy-Authorization value required; others get a 407.
	auth string

	mu   sync.Mutex
	reqs []*http.Request
}

func (p *dtProxy) requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...)
}

func (p *dtProxy) URL(userinfo *url.Userinfo) *url.URL {
	return &url.URL{Scheme: "http", Host: p.addr, User: userinfo}
}

// dtServeProxy starts a proxy; auth is the required Proxy-Authorization value, or "".
func dtServeProxy(t *testing.T, auth string) *dtProxy {
	p := &dtProxy{auth: auth}
	p.addr = bpServe(t, func(ctx context.Context, c net.Conn) {
		br := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			t.Errorf("proxy: reading the request: %v", err)
			return
		}
		c.SetReadDeadline(time.Time{})
		p.mu.Lock()
		p.reqs = append(p.reqs, req)
		p.mu.Unlock()
		if req.Method != http.MethodConnect {
			io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
			return
		}
		if p.auth != "" && req.Header.Get("Proxy-Authorization") != p.auth {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
			bpDrain(c)
			return
		}
		host, _, err := net.SplitHostPort(req.RequestURI)
		if err != nil || host != "127.0.0.1" {
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
			return
		}
		up, err := net.DialTimeout("tcp", req.RequestURI, 2*time.Second)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			bpDrain(c)
			return
		}
		defer up.Close()
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() {
			io.Copy(up, br)
			up.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(c, up)
	})
	return p
}

func TestDialThroughProxy(t *testing.T) {
	t.Parallel()
	_, port := dtEcho(t)
	p := dtServeProxy(t, "")
	conn, dt, err := Dial(context.Background(), DialOptions{Host: "127.0.0.1", Port: port, Proxy: p.URL(nil)})
	if err != nil {
		t.Fatalf("Dial through the proxy: %v", err)
	}
	defer conn.Close()
	if dt.Address != p.addr {
		t.Errorf("Address = %q, want the proxy's %q", dt.Address, p.addr)
	}
	if dt.DNS < 0 || dt.Connect < 0 {
		t.Errorf("negative timing %+v", dt)
	}
	dtCheckEcho(t, conn)
	reqs := p.requests()
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

func TestHandshakeThroughProxy(t *testing.T) {
	t.Parallel()
	tlsAddr := bpServe(t, func(ctx context.Context, c net.Conn) { bpServeTLS(t, c) })
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name     string
		auth     string // what the proxy requires
		userinfo *url.Userinfo
		target   string // default: the TLS server
		// wantErr are substrings of the error; none means the handshake must succeed.
		wantErr []string
	}{
		{name: "open proxy"},
		{name: "credentials", auth: basic("alice", "s3cret"), userinfo: url.UserPassword("alice", "s3cret")},
		{name: "credentials with special characters", auth: basic("bob", "p@ss:w rd/%"), userinfo: url.UserPassword("bob", "p@ss:w rd/%")},
		{name: "user without password", auth: basic("carol", ""), userinfo: url.User("carol")},
		{name: "no credentials", auth: basic("alice", "s3cret"), wantErr: []string{"proxy CONNECT to 127.0.0.1:", "407 Proxy Authentication Required"}},
		{name: "wrong credentials", auth: basic("alice", "s3cret"), userinfo: url.UserPassword("alice", "guess"), wantErr: []string{"407"}},
		{name: "target refused", target: "closed", wantErr: []string{"502 Bad Gateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := dtServeProxy(t, tt.auth)
			target := tlsAddr
			if tt.target == "closed" {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				target = ln.Addr().String()
				ln.Close()
			}
			const timeout = 2 * time.Second
			start := time.Now()
			res, err := Handshake(context.Background(), HandshakeOptions{
				Target: bpTarget(t, target), Proxy: p.URL(tt.userinfo), Roots: bpRoots(t), Timeout: timeout,
			})
			elapsed := time.Since(start)
			reqs := p.requests()
			if len(reqs) != 1 {
				t.Fatalf("proxy saw %d requests, want 1", len(reqs))
			}
			if got := reqs[0].RequestURI; got != target {
				t.Errorf("proxy was asked for %q, want %q", got, target)
			}
			if tt.userinfo != nil {
				pw, _ := tt.userinfo.Password()
				want := basic(tt.userinfo.Username(), pw)
				if got := reqs[0].Header.Get("Proxy-Authorization"); got != want {
					t.Errorf("Proxy-Authorization %q, want %q", got, want)
				}
			}
			if len(tt.wantErr) > 0 {
				he := bpCheckFailure(t, res, err, elapsed, timeout)
				if he.Stage != StageProxy {
					t.Errorf("stage %q, want proxy (%v)", he.Stage, err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Handshake through the proxy: %v", err)
			}
			if res.Version != "TLS 1.3" {
				t.Errorf("Version %q, want TLS 1.3", res.Version)
			}
			if res.Address != p.addr {
				t.Errorf("Address %q, want the proxy's %q", res.Address, p.addr)
			}
			if res.Verification == nil || !res.Verification.Verified {
				t.Errorf("verification failed: %+v", res.Verification)
			}
			if !bpHasClientHello(res.Steps) {
				t.Errorf("steps do not start with the ClientHello: %+v", res.Steps)
			}
		})
	}
}

// TestHandshakeBadProxies are proxies that misbehave before the tunnel exists.
func TestHandshakeBadProxies(t *testing.T) {
	t.Parallel()
	var junkSent atomic.Int64 // what the endless proxy managed to write
	tests := []struct {
		name   string
		handle func(ctx context.Context, c net.Conn)
		want   []string
		fast   bool
	}{
		{
			name: "closes without answering",
			handle: func(ctx context.Context, c net.Conn) {
				bufio.NewReader(c).ReadString('\n')
			},
			want: []string{"proxy CONNECT to 127.0.0.1:443"},
			fast: true,
		},
		{
			name: "never answers",
			handle: func(ctx context.Context, c net.Conn) {
				bpDrain(c)
			},
			want: []string{"proxy CONNECT", "timed out"},
		},
		{
			name: "answers garbage",
			handle: func(ctx context.Context, c net.Conn) {
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				bpDrain(c)
			},
			want: []string{"proxy CONNECT"},
			fast: true,
		},
		{
			name: "endless header line",
			handle: func(ctx context.Context, c net.Conn) {
				go bpDrain(c)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Junk: ")
				junk := []byte(strings.Repeat("j", 4096))
				for ctx.Err() == nil {
					n, err := c.Write(junk)
					junkSent.Add(int64(n))
					if err != nil {
						return
					}
				}
			},
			want: []string{"proxy CONNECT"},
			fast: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := bpServe(t, tt.handle)
			const timeout = time.Second
			start := time.Now()
			res, err := Handshake(context.Background(), HandshakeOptions{
				Target:  bpTarget(t, "127.0.0.1:443"),
				Proxy:   &url.URL{Scheme: "http", Host: addr},
				Timeout: timeout,
			})
			elapsed := time.Since(start)
			he := bpCheckFailure(t, res, err, elapsed, timeout)
			if he.Stage != StageProxy {
				t.Errorf("stage %q, want proxy (%v)", he.Stage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tt.fast && elapsed > timeout/2 {
				t.Errorf("BUG: took %v to give up on the proxy (timeout %v), having accepted %d KiB of its response (error %q): the CONNECT response is read without a size limit, so a hostile proxy makes tlskit buffer for as long as the timeout allows",
					elapsed.Round(time.Millisecond), timeout, junkSent.Load()>>10, err)
			}
			t.Logf("error: %v", err)
		})
	}
}

// TestHandshakeProxyUnreachable is a proxy that cannot be reached: the error must name the
// proxy, not the target tlskit never got to.
func TestHandshakeProxyUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name  string
		proxy string // host:port
		stage Stage
		want  string
	}{
		{name: "refused", proxy: closed, stage: StageConnect, want: closed},
		{name: "no such host", proxy: "does-not-exist.invalid:3128", stage: StageDNS, want: "does-not-exist.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const timeout = 2 * time.Second
			start := time.Now()
			res, err := Handshake(context.Background(), HandshakeOptions{
				Target:   bpTarget(t, "127.0.0.1:443"),
				Proxy:    &url.URL{Scheme: "http", Host: tt.proxy},
				Timeout:  timeout,
				Resolver: dtNoDNS,
			})
			he := bpCheckFailure(t, res, err, time.Since(start), timeout)
			t.Logf("error: %v", err)
			if he.Stage != tt.stage {
				t.Errorf("stage %q, want %q (%v)", he.Stage, tt.stage, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("BUG: error %q does not name the proxy %q that failed: Handshake replaces Dial's ConnError.Addr with the target's address, so the target is blamed", err, tt.want)
			}
		})
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
