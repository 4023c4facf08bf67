package handshake

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

func TestHandshakeThroughProxy(t *testing.T) {
	t.Parallel()
	tlsAddr := peertest.Serve(t, func(ctx context.Context, c net.Conn) { peertest.ServeTLS(t, c) })
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
			p := peertest.ServeProxy(t, tt.auth)
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
			res, err := Run(context.Background(), Options{
				Target: bpTarget(t, target), Proxy: p.URL(tt.userinfo), Roots: peertest.Roots(t), Timeout: timeout,
			})
			elapsed := time.Since(start)
			reqs := p.Requests()
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
				if he.Stage != connect.StageProxy {
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
			if res.Address != p.Addr {
				t.Errorf("Address %q, want the proxy's %q", res.Address, p.Addr)
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
				peertest.Drain(c)
			},
			want: []string{"proxy CONNECT", "timed out"},
		},
		{
			name: "answers garbage",
			handle: func(ctx context.Context, c net.Conn) {
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				peertest.Drain(c)
			},
			want: []string{"proxy CONNECT"},
			fast: true,
		},
		{
			name: "endless header line",
			handle: func(ctx context.Context, c net.Conn) {
				go peertest.Drain(c)
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
			addr := peertest.Serve(t, tt.handle)
			const timeout = time.Second
			start := time.Now()
			res, err := Run(context.Background(), Options{
				Target:  bpTarget(t, "127.0.0.1:443"),
				Proxy:   &url.URL{Scheme: "http", Host: addr},
				Timeout: timeout,
			})
			elapsed := time.Since(start)
			he := bpCheckFailure(t, res, err, elapsed, timeout)
			if he.Stage != connect.StageProxy {
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
		stage connect.Stage
		want  string
	}{
		{name: "refused", proxy: closed, stage: connect.StageConnect, want: closed},
		{name: "no such host", proxy: "does-not-exist.invalid:3128", stage: connect.StageDNS, want: "does-not-exist.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const timeout = 2 * time.Second
			start := time.Now()
			res, err := Run(context.Background(), Options{
				Target:   bpTarget(t, "127.0.0.1:443"),
				Proxy:    &url.URL{Scheme: "http", Host: tt.proxy},
				Timeout:  timeout,
				Resolver: peertest.NoDNS(),
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
