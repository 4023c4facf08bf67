package connect

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestDialProxyCredentials: userinfo in the proxy URL is sent as Basic Proxy-Authorization,
// and a proxy that wants credentials refuses a CONNECT without the right ones with its status.
func TestDialProxyCredentials(t *testing.T) {
	t.Parallel()
	_, port := dtEcho(t)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:p@ss:w rd"))
	p := peertest.ServeProxy(t, want)
	tests := []struct {
		name    string
		user    *url.Userinfo
		wantErr string
	}{
		{"right credentials", url.UserPassword("alice", "p@ss:w rd"), ""},
		{"wrong password", url.UserPassword("alice", "guess"), "proxy answered 407 Proxy Authentication Required"},
		{"user without password", url.User("alice"), "proxy answered 407"},
		{"no credentials", nil, "proxy answered 407"},
	}
	// The group returns once its parallel cases have, so the proxy's requests can be counted.
	t.Run("group", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				conn, _, err := Dial(ctx, DialOptions{Host: "127.0.0.1", Port: port, Proxy: p.URL(tt.user)})
				if tt.wantErr == "" {
					if err != nil {
						t.Fatalf("Dial: %v", err)
					}
					defer conn.Close()
					dtCheckEcho(t, conn)
					return
				}
				if err == nil {
					conn.Close()
					t.Fatal("Dial succeeded")
				}
				var ce *ConnError
				if !errors.As(err, &ce) || ce.Stage != StageProxy {
					t.Fatalf("error %v (%T), want a proxy-stage *ConnError", err, err)
				}
				target := fmt.Sprintf("127.0.0.1:%d", port)
				if msg := err.Error(); !strings.HasPrefix(msg, "proxy CONNECT to "+target+": ") || !strings.Contains(msg, tt.wantErr) {
					t.Errorf("error %q, want %q after the proxy CONNECT prefix", msg, tt.wantErr)
				}
			})
		}
	})
	// The proxy saw the header only from the first case, exactly as built here.
	n := 0
	for _, r := range p.Requests() {
		if r.Header.Get("Proxy-Authorization") == want {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d requests carried the right Proxy-Authorization, want 1", n)
	}
}

// TestDialBadProxies: a proxy that answers other than with a 2xx HTTP status fails the
// proxy stage with what it said, and the connection is not handed out.
func TestDialBadProxies(t *testing.T) {
	t.Parallel()
	answer := func(s string) func(context.Context, net.Conn) {
		return func(_ context.Context, c net.Conn) {
			peertest.ReadUntil(c, "\r\n\r\n")
			io.WriteString(c, s)
			c.(*net.TCPConn).CloseWrite()
			peertest.Drain(c)
		}
	}
	tests := []struct {
		name   string
		handle func(context.Context, net.Conn)
		want   string
	}{
		{"not HTTP", answer("SSH-2.0-OpenSSH_9.6\r\n"), `proxy answered "SSH-2.0-OpenSSH_9.6", not HTTP`},
		{"no status code", answer("HTTP/1.1\r\n\r\n"), "not HTTP"},
		{"HTTP/2 status", answer("HTTP/2 200\r\n\r\n"), "not HTTP"},
		{"forbidden", answer("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), "proxy answered 403 Forbidden"},
		{"closes before answering", answer(""), "reading proxy response: server closed the connection"},
		{"closes in the headers", answer("HTTP/1.1 200 OK\r\nVia: x\r\n"), "reading proxy response: server closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := peertest.Serve(t, tt.handle)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			conn, _, err := Dial(ctx, DialOptions{Host: "127.0.0.1", Port: 443, Proxy: &url.URL{Scheme: "http", Host: addr}})
			if err == nil {
				conn.Close()
				t.Fatal("Dial succeeded")
			}
			var ce *ConnError
			if !errors.As(err, &ce) || ce.Stage != StageProxy || ce.Addr != "127.0.0.1:443" {
				t.Fatalf("error %v, want a proxy-stage *ConnError for 127.0.0.1:443", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestDialProxyTimesOut: a proxy that accepts and never answers fails at the deadline.
func TestDialProxyTimesOut(t *testing.T) {
	t.Parallel()
	addr := peertest.Serve(t, func(_ context.Context, c net.Conn) { peertest.Drain(c) })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := Dial(ctx, DialOptions{Host: "127.0.0.1", Port: 443, Proxy: &url.URL{Scheme: "http", Host: addr}})
	if err == nil || err.Error() != "proxy CONNECT to 127.0.0.1:443: timed out" {
		t.Fatalf("Dial through a silent proxy: %v, want the proxy stage timed out", err)
	}
}

// TestConnErrorMessages: each stage names itself in one line, the cause stays reachable with
// errors.Is, and the usual network errors read as words.
func TestConnErrorMessages(t *testing.T) {
	t.Parallel()
	cause := errors.New("boom")
	tests := []struct {
		err  *ConnError
		want string
	}{
		{&ConnError{Stage: StageDNS, Addr: "h.test", Err: &net.DNSError{Err: "no such host", Name: "h.test", IsNotFound: true}}, "looking up h.test: no such host"},
		{&ConnError{Stage: StageDNS, Addr: "h.test", Err: &net.DNSError{Err: "server misbehaving", Name: "h.test"}}, "looking up h.test: server misbehaving"},
		{&ConnError{Stage: StageConnect, Addr: "127.0.0.1:1", Err: errors.New("dial tcp 127.0.0.1:1: connect: connection refused")}, "connecting to 127.0.0.1:1: connection refused"},
		{&ConnError{Stage: StageProxy, Addr: "t:1", Err: context.Canceled}, "proxy CONNECT to t:1: cancelled"},
		{&ConnError{Stage: StageStartTLS, Addr: "t:25", Err: errors.New("read tcp 127.0.0.1:5->127.0.0.1:25: read: connection reset by peer")}, "STARTTLS with t:25: connection reset by peer"},
		{&ConnError{Stage: StageStartTLS, Addr: "t:25", Err: errors.New("write tcp 127.0.0.1:5->127.0.0.1:25: write: broken pipe")}, "STARTTLS with t:25: broken pipe"},
		{&ConnError{Stage: StageHandshake, Addr: "t:443", Err: context.DeadlineExceeded}, "TLS handshake with t:443: timed out"},
		{&ConnError{Stage: StageHandshake, Addr: "t:443", Err: cause}, "TLS handshake with t:443: boom"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s stage: %q, want %q", tt.err.Stage, got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%s stage: errors.Is does not reach the cause", tt.err.Stage)
		}
	}
}
