package peertest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is an HTTP CONNECT proxy for tests. It tunnels only to 127.0.0.1.
type Proxy struct {
	Addr string // host:port on 127.0.0.1
	// auth, when set, is the Proxy-Authorization value required; others get a 407.
	auth string

	mu   sync.Mutex
	reqs []*http.Request
}

// Requests are the requests the proxy has read so far.
func (p *Proxy) Requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...)
}

// URL is the proxy's URL for a client, with userinfo (or nil).
func (p *Proxy) URL(userinfo *url.Userinfo) *url.URL {
	return &url.URL{Scheme: "http", Host: p.Addr, User: userinfo}
}

// ServeProxy starts a Proxy; auth is the required Proxy-Authorization value, or "".
func ServeProxy(t testing.TB, auth string) *Proxy {
	p := &Proxy{auth: auth}
	p.Addr = Serve(t, func(ctx context.Context, c net.Conn) {
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
			Drain(c)
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
			Drain(c)
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
