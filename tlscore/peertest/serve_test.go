package peertest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestReadLineAndUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sent, marker string
		line               bool // ReadLine rather than ReadUntil
		want, rest         string
		wantErr            string
	}{
		{name: "CRLF line", sent: "EHLO x\r\nNEXT", line: true, want: "EHLO x", rest: "NEXT"},
		{name: "LF line", sent: "a1 STARTTLS\nNEXT", line: true, want: "a1 STARTTLS", rest: "NEXT"},
		{name: "empty line", sent: "\r\nNEXT", line: true, want: "", rest: "NEXT"},
		{name: "line cut short", sent: "half", line: true, want: "half", wantErr: "EOF"},
		{name: "marker", sent: "<a><b/>NEXT", marker: "/>", want: "<a><b/>", rest: "NEXT"},
		{name: "marker cut short", sent: "<a><b", marker: "/>", want: "<a><b", wantErr: "EOF"},
		{name: "too much", sent: strings.Repeat("x", 1<<16) + "/>", marker: "/>", want: strings.Repeat("x", 1<<16), rest: "/>", wantErr: "too much before />"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := net.Pipe()
			defer a.Close()
			go func() {
				io.WriteString(b, tt.sent)
				b.Close()
			}()
			var got string
			var err error
			if tt.line {
				got, err = ReadLine(a)
			} else {
				got, err = ReadUntil(a, tt.marker)
			}
			if got != tt.want {
				t.Errorf("read %.40q, want %.40q", got, tt.want)
			}
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			// Nothing past the line or marker was taken.
			rest, _ := io.ReadAll(a)
			if string(rest) != tt.rest {
				t.Errorf("left %q unread, want %q", rest, tt.rest)
			}
		})
	}
}

// TestServe: every connection gets its own handler run, and when the test ends the handlers'
// context is cancelled, their connections closed and the cleanup waits for them.
func TestServe(t *testing.T) {
	t.Parallel()
	var running, returned atomic.Int32
	t.Run("serve", func(t *testing.T) {
		addr := Serve(t, func(ctx context.Context, c net.Conn) {
			running.Add(1)
			defer returned.Add(1)
			io.WriteString(c, "hello\n")
			<-ctx.Done()
		})
		for i := range 3 {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if l, err := ReadLine(c); err != nil || l != "hello" {
				t.Fatalf("connection %d read %q (%v), want hello", i, l, err)
			}
		}
		if n := returned.Load(); n != 0 {
			t.Errorf("%d handlers returned before the test ended", n)
		}
	})
	if r, n := running.Load(), returned.Load(); r != 3 || n != 3 {
		t.Errorf("after cleanup: %d handlers ran and %d returned, want 3 and 3", r, n)
	}
}

// TestServeListener: the handler runs on the test's own listener, whose address comes back,
// and the connection is closed when the handler returns.
func TestServeListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ServeListener(t, ln, func(_ context.Context, c net.Conn) { io.WriteString(c, "bye") })
	if addr != ln.Addr().String() {
		t.Errorf("ServeListener returned %q, want the listener's %q", addr, ln.Addr())
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if got, err := io.ReadAll(c); err != nil || string(got) != "bye" {
		t.Errorf("read %q (%v), want bye then the end", got, err)
	}
}

// TestServeProxy: the proxy tunnels CONNECT to 127.0.0.1 and answers everything else with the
// status a client must be able to report.
func TestServeProxy(t *testing.T) {
	t.Parallel()
	echo := Serve(t, func(_ context.Context, c net.Conn) { io.Copy(c, c) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	const auth = "Basic YWxpY2U6czNjcmV0"
	open, guarded := ServeProxy(t, ""), ServeProxy(t, auth)
	tests := []struct {
		name    string
		proxy   *Proxy
		request string
		status  string
	}{
		{"tunnel", open, "CONNECT " + echo + " HTTP/1.1\r\nHost: " + echo + "\r\n\r\n", "HTTP/1.1 200 Connection established"},
		{"credentials", guarded, "CONNECT " + echo + " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: " + auth + "\r\n\r\n", "HTTP/1.1 200 Connection established"},
		{"no credentials", guarded, "CONNECT " + echo + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 407 Proxy Authentication Required"},
		{"not CONNECT", open, "GET http://" + echo + "/ HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
		{"not loopback", open, "CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 403 Forbidden"},
		{"unreachable", open, "CONNECT " + closed + " HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.DialTimeout("tcp", tt.proxy.Addr, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			io.WriteString(c, tt.request)
			if l, err := ReadLine(c); err != nil || l != tt.status {
				t.Fatalf("proxy answered %q (%v), want %q", l, err, tt.status)
			}
			for { // the headers, up to the blank line
				if l, err := ReadLine(c); err != nil || l == "" {
					break
				}
			}
			if !strings.Contains(tt.status, " 200 ") {
				return
			}
			io.WriteString(c, "ping\n")
			if l, err := ReadLine(c); err != nil || l != "ping" {
				t.Errorf("through the tunnel: %q (%v), want the echo", l, err)
			}
		})
	}
	t.Run("bookkeeping", func(t *testing.T) {
		u := open.URL(url.UserPassword("u", "p"))
		if u.String() != "http://u:p@"+open.Addr {
			t.Errorf("URL = %s", u)
		}
		if u := open.URL(nil); u.User != nil || u.Host != open.Addr {
			t.Errorf("URL(nil) = %s", u)
		}
	})
	t.Cleanup(func() {
		// Cleanups run after the parallel subtests: every request was recorded, each once.
		if n, m := len(open.Requests()), len(guarded.Requests()); n != 4 || m != 2 {
			t.Errorf("proxies recorded %d and %d requests, want 4 and 2", n, m)
		}
		if r := guarded.Requests()[0]; r.Method != "CONNECT" || r.RequestURI != echo {
			t.Errorf("recorded %s %s, want CONNECT %s", r.Method, r.RequestURI, echo)
		}
	})
}

// TestCertificate: the shared certificate is made once and verifies for 127.0.0.1 and
// localhost against Roots, and ServeTLS completes a handshake with it.
func TestCertificate(t *testing.T) {
	t.Parallel()
	c1, c2 := Certificate(t), Certificate(t)
	if !bytes.Equal(c1.Certificate[0], c2.Certificate[0]) {
		t.Error("Certificate made two certificates")
	}
	for _, name := range []string{"127.0.0.1", "localhost"} {
		if _, err := c1.Leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: Roots(t)}); err != nil {
			t.Errorf("not valid for %s: %v", name, err)
		}
	}
	if _, err := c1.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: Roots(t)}); err == nil {
		t.Error("valid for example.com")
	}
	if cfg := ServerConfig(t); len(cfg.Certificates) != 1 || !bytes.Equal(cfg.Certificates[0].Certificate[0], c1.Certificate[0]) {
		t.Error("ServerConfig does not carry the test certificate")
	}
	addr := Serve(t, func(_ context.Context, c net.Conn) { ServeTLS(t, c) })
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{ServerName: "localhost", RootCAs: Roots(t)})
	if err != nil {
		t.Fatalf("handshake with ServeTLS: %v", err)
	}
	conn.Close()
}

// TestServeTLSConfigGivesUp: a client that never sends its hello is given up on at the limit.
func TestServeTLSConfigGivesUp(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan struct{})
	go func() {
		ServeTLSConfig(a, ServerConfig(t), 20*time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("ServeTLSConfig still waiting 2 s after its 20 ms limit")
	}
}

func TestOnceCert(t *testing.T) {
	t.Parallel()
	var o OnceCert
	calls := 0
	tmpl := func() *x509.Certificate {
		calls++
		return &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	}
	a, b := o.Get(t, "a", tmpl), o.Get(t, "a", tmpl)
	if calls != 1 || !bytes.Equal(a.Certificate[0], b.Certificate[0]) {
		t.Errorf("template called %d times, same certificate %v; want once, the same", calls, bytes.Equal(a.Certificate[0], b.Certificate[0]))
	}
	if a.Leaf == nil || a.Leaf.SerialNumber.Int64() != 7 || a.PrivateKey == nil {
		t.Errorf("certificate not the template's, or without its leaf or key: %+v", a.Leaf)
	}
	// A template that cannot be signed fails the test, at every call.
	var bad OnceCert
	for range 2 {
		f := &fakeTB{TB: t}
		bad.Get(f, "a bad one", func() *x509.Certificate { return &x509.Certificate{SerialNumber: big.NewInt(-1)} })
		if !f.failed {
			t.Error("a certificate with a negative serial number did not fail the test")
		}
	}
}

// tlsRecord frames payload as one record of type typ.
func tlsRecord(typ byte, payload []byte) []byte {
	return append([]byte{typ, 3, 1, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func TestReadClientHello(t *testing.T) {
	t.Parallel()
	hello := append([]byte{1, 0, 0, 6}, "abcdef"...)
	split := append(tlsRecord(22, hello[:3]), tlsRecord(22, hello[3:])...)
	tests := []struct {
		name    string
		in      []byte
		records []byte
		wantErr string
	}{
		{name: "one record", in: append(tlsRecord(22, hello), "NEXT"...), records: tlsRecord(22, hello)},
		{name: "split over records", in: split, records: split},
		{name: "alert", in: tlsRecord(21, []byte{2, 40}), wantErr: "record type 21, want handshake"},
		{name: "ServerHello", in: tlsRecord(22, []byte{2, 0, 0, 0}), wantErr: "handshake type 2, want ClientHello"},
		{name: "short header", in: []byte{22, 3}, wantErr: "reading record header"},
		{name: "short record", in: []byte{22, 3, 1, 0, 9, 1}, wantErr: "reading record"},
		{name: "hello cut short", in: tlsRecord(22, hello[:5]), wantErr: "reading record header: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := bytes.NewReader(tt.in)
			records, msg, err := ReadClientHello(r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(msg, hello) || !bytes.Equal(records, tt.records) {
				t.Errorf("got message % x records % x, want % x and % x", msg, records, hello, tt.records)
			}
			if r.Len() != len(tt.in)-len(tt.records) {
				t.Errorf("read %d bytes past the hello", len(tt.in)-len(tt.records)-r.Len())
			}
		})
	}
}

// TestCaptureClientHello: the captured hello is the client's, with its server name.
func TestCaptureClientHello(t *testing.T) {
	t.Parallel()
	records, msg := CaptureClientHello(t, &tls.Config{ServerName: "capture.test", MinVersion: tls.VersionTLS12})
	if len(msg) < 4 || msg[0] != 1 {
		t.Fatalf("message % .8x is not a ClientHello", msg)
	}
	if records[0] != 22 || !bytes.Contains(records, msg[:40]) {
		t.Errorf("records % .8x do not hold the message", records)
	}
	if !bytes.Contains(msg, []byte("capture.test")) {
		t.Error("the hello does not carry the server name")
	}
}

func TestReadRecord(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		in      []byte
		want    []byte
		wantErr bool
	}{
		{"whole", append(tlsRecord(22, []byte("hello")), "NEXT"...), tlsRecord(22, []byte("hello")), false},
		{"empty", tlsRecord(23, nil), tlsRecord(23, nil), false},
		{"short header", []byte{22, 3, 1}, nil, true},
		{"short body", tlsRecord(22, []byte("hello"))[:7], nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := net.Pipe()
			defer a.Close()
			go func() {
				b.Write(tt.in)
				b.Close()
			}()
			got, err := ReadRecord(a)
			if (err != nil) != tt.wantErr || !bytes.Equal(got, tt.want) {
				t.Errorf("ReadRecord = % x, %v; want % x, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDrainAndSleep(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	go func() {
		io.WriteString(b, "some bytes")
		b.Close()
	}()
	Drain(a) // returns only once the peer has gone
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("Drain returned with the peer still there")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep reported shutdown without one")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Minute) {
		t.Error("Sleep on a cancelled context said go on")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Sleep took %v on a cancelled context", d)
	}
}

// TestNoDNS: the resolver answers localhost from /etc/hosts and fails every real query.
func TestNoDNS(t *testing.T) {
	t.Parallel()
	r := NoDNS()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := r.LookupHost(ctx, "does-not-exist.invalid")
	var de *net.DNSError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "no DNS in tests") {
		t.Errorf("lookup of a real name: %v, want the no-DNS refusal", err)
	}
	if hosts, err := os.ReadFile("/etc/hosts"); err == nil && bytes.Contains(hosts, []byte("localhost")) {
		if addrs, err := r.LookupHost(ctx, "localhost"); err != nil || len(addrs) == 0 {
			t.Errorf("localhost from /etc/hosts: %v (%v)", addrs, err)
		}
	}
}

// TestDefaultParallel: the default applies only while -parallel was not given. Not parallel:
// it sets the process's flag (and puts it back).
func TestDefaultParallel(t *testing.T) {
	f := flag.Lookup("test.parallel")
	old := f.Value.String()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	defer flag.Set("test.parallel", old)
	DefaultParallel(7)
	want := "7"
	if given {
		want = old
	}
	if got := f.Value.String(); got != want {
		t.Errorf("after DefaultParallel(7): -parallel %s, want %s (given on the command line: %v)", got, want, given)
	}
	// Now it counts as given: a second default does not override it.
	DefaultParallel(9)
	if got := f.Value.String(); got != want {
		t.Errorf("a second DefaultParallel changed -parallel to %s", got)
	}
}

// certFiles writes the test certificate and its key as cert.pem and key.pem in a new directory.
func certFiles(t *testing.T) string {
	dir := t.TempDir()
	cert := Certificate(t)
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: cert.Certificate[0]},
		"key.pem":  {Type: "PRIVATE KEY", Bytes: key},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPeerServers: s_server and gnutls-serv started with the test certificate finish a
// handshake on the address Start reports.
func TestPeerServers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		start func(t *testing.T, dir string) *Server
	}{
		{"openssl", func(t *testing.T, dir string) *Server {
			NeedOpenSSL3(t)
			return OpenSSLServer(t, dir, "cert.pem", "key.pem")
		}},
		{"gnutls", func(t *testing.T, dir string) *Server { return GnuTLSServer(t, dir, "cert.pem", "key.pem") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := tt.start(t, certFiles(t))
			if want := "localhost:" + srv.Port; srv.Localhost() != want {
				t.Errorf("Localhost() = %q, want %q", srv.Localhost(), want)
			}
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", srv.Addr(), &tls.Config{ServerName: "localhost", RootCAs: Roots(t)})
			if err != nil {
				t.Fatalf("handshake with %s: %v\n%s", tt.name, err, srv.Out)
			}
			conn.Close()
		})
	}
}

// TestStartGivesUp: a server that never listens fails the test after the last attempt.
func TestStartGivesUp(t *testing.T) {
	t.Parallel()
	f := &fakeTB{TB: t}
	tries := 0
	srv := Start(f, Program{
		Name:  "sh",
		Args:  func(string) []string { tries++; return []string{"-c", "echo not today; exit 3"} },
		Ready: func(_, out string) bool { return false },
	})
	if srv != nil || !f.failed || tries != startAttempts {
		t.Errorf("Start returned %v, failed %v after %d tries; want nil, true, %d", srv, f.failed, tries, startAttempts)
	}
}
