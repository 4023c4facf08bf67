//go:build unix

package serve

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestServeFlags checks, with `tlskit handshake` as the client, that serve's TLS flags change
// what the server does: each case asserts something only that flag can cause.
func TestServeFlags(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	cert := []string{"--cert", fx.path("localhost.pem"), "--key", fx.path("localhost-key.pem")}

	cases := []struct {
		name   string
		serve  []string
		client []string
		check  func(t *testing.T, res e2etest.HandshakeReport)
	}{
		{"tls-max", []string{"--tls-max", "1.2"}, nil, func(t *testing.T, res e2etest.HandshakeReport) {
			if res.Version != "TLS 1.2" {
				t.Errorf("version %q, want TLS 1.2", res.Version)
			}
		}},
		{"ciphers", []string{"--tls-max", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384"}, nil, func(t *testing.T, res e2etest.HandshakeReport) {
			if res.CipherSuite != "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" {
				t.Errorf("cipher_suite %q", res.CipherSuite)
			}
		}},
		{"groups", []string{"--groups", "p384"}, nil, func(t *testing.T, res e2etest.HandshakeReport) {
			if res.KeyExchange != "P-384" {
				t.Errorf("key_exchange %q, want P-384", res.KeyExchange)
			}
		}},
		{"alpn", []string{"--alpn", "h2"}, []string{"--alpn", "http/1.1,h2"}, func(t *testing.T, res e2etest.HandshakeReport) {
			if res.ALPN != "h2" {
				t.Errorf("alpn %q, want h2", res.ALPN)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := e2etest.StartServe(t, dir, append(append([]string{}, cert...), tc.serve...)...)
			res := e2etest.HandshakeOK(t, dir, append([]string{"localhost:" + s.Port, "--ca", ca}, tc.client...)...)
			tc.check(t, res)
		})
	}

	t.Run("ephemeral host names", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e2etest.StartServe(t, dir, "--host", "extra.test", "--host", "10.1.2.3", "--write-cert", "eph.pem")
		text := e2etest.OpenSSL(t, dir, "x509", "-in", "eph.pem", "-noout", "-text")
		for _, want := range []string{"DNS:localhost", "DNS:extra.test", "IP Address:127.0.0.1", "IP Address:10.1.2.3"} {
			if !strings.Contains(text, want) {
				t.Errorf("ephemeral certificate lacks %s:\n%s", want, text)
			}
		}
	})

	t.Run("keylog", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := e2etest.StartServe(t, dir, append(append([]string{}, cert...), "--keylog", "keys.txt")...)
		e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", ca)
		st, err := os.Stat(filepath.Join(dir, "keys.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("key log mode %o, want 600", st.Mode().Perm())
		}
		if data := string(e2etest.ReadFile(t, dir, "keys.txt")); !strings.Contains(data, "SERVER_HANDSHAKE_TRAFFIC_SECRET ") {
			t.Errorf("key log holds no TLS 1.3 secrets:\n%s", data)
		}
	})

	t.Run("encrypted key", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e2etest.WriteFile(t, dir, "pw", "correct horse\n")
		e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", fx.path("ca"), "--key-password-file", "pw", "--out", "enc.pem", "--key-out", "enc-key.pem")
		s := e2etest.StartServe(t, dir, "--cert", "enc.pem", "--key", "enc-key.pem", "--key-password-file", "pw")
		res := e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", ca)
		if !res.Verification.Verified {
			t.Errorf("not verified: %+v", res.Verification)
		}
		// Without the password, serve refuses to start with one error line.
		out, errOut, code := e2etest.RunTlskit(t, dir, nil, "serve", "--addr", "127.0.0.1:0", "--cert", "enc.pem", "--key", "enc-key.pem")
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "tlskit: ") {
			t.Errorf("no password: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("ocsp staple", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		leafPEM := e2etest.ReadFile(t, fx.dir, "localhost.pem")
		leaf, err := x509.ParseCertificate(e2etest.PEMBlocks(leafPEM, "CERTIFICATE")[0])
		if err != nil {
			t.Fatal(err)
		}
		index := fmt.Sprintf("V\t%s\t\t%X\tunknown\t/CN=localhost\n", leaf.NotAfter.UTC().Format("060102150405Z"), leaf.SerialNumber)
		e2etest.WriteFile(t, dir, "index.txt", index)
		if r := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-issuer", ca, "-cert", fx.path("localhost.pem"), "-no_nonce", "-reqout", "req.der"); r.Code != 0 {
			t.Skipf("this OpenSSL cannot build an OCSP request: %s", r.Stderr)
		}
		if r := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-index", "index.txt", "-rsigner", ca, "-rkey", fx.path("ca/ca-key.pem"),
			"-CA", ca, "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1"); r.Code != 0 {
			t.Skipf("this OpenSSL cannot make an OCSP response: %s", r.Stderr)
		}
		s := e2etest.StartServe(t, dir, append(append([]string{}, cert...), "--ocsp", "resp.der")...)
		res := e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", ca)
		if res.OCSP == nil || res.OCSP.Status != "good" {
			t.Errorf("ocsp %+v, want a stapled good response", res.OCSP)
		}
	})
}

// TestServeLimits checks that the robustness flags bite: each case observes something only
// that flag causes.
func TestServeLimits(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	fx := makeFixture(t)
	cert := []string{"--cert", fx.path("localhost.pem"), "--key", fx.path("localhost-key.pem")}
	pool := certPool(t, fx.path("ca/ca.pem"))
	dial := func(t *testing.T, s *e2etest.Server) *tls.Conn {
		t.Helper()
		c, err := tls.Dial("tcp", s.Addr(), &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// closedWithin reports whether the server closed c within d (and not before min).
	closedWithin := func(c *tls.Conn, d time.Duration) (time.Duration, bool) {
		start := time.Now()
		c.SetReadDeadline(start.Add(d))
		_, err := io.Copy(io.Discard, c)
		return time.Since(start), err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
	}

	t.Run("max-header-bytes", func(t *testing.T) {
		t.Parallel()
		s := e2etest.StartServe(t, t.TempDir(), append(append([]string{}, cert...), "--max-header-bytes", "2048")...)
		c := dial(t, s)
		defer c.Close()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 8192))
		line, _ := bufio.NewReader(c).ReadString('\n')
		if !strings.Contains(line, "431") {
			t.Errorf("an 8 KiB header with --max-header-bytes 2048 got %q, want 431", line)
		}
	})
	t.Run("read-header-timeout", func(t *testing.T) {
		t.Parallel()
		s := e2etest.StartServe(t, t.TempDir(), append(append([]string{}, cert...), "--read-header-timeout", "1s")...)
		c := dial(t, s)
		defer c.Close()
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: local") // never finished
		if took, closed := closedWithin(c, 5*time.Second); !closed || took > 3*time.Second {
			t.Errorf("an unfinished request header was not cut off after 1s (closed %v after %v)", closed, took)
		}
	})
	t.Run("idle-timeout", func(t *testing.T) {
		t.Parallel()
		s := e2etest.StartServe(t, t.TempDir(), append(append([]string{}, cert...), "--idle-timeout", "1s")...)
		c := dial(t, s)
		defer c.Close()
		fmt.Fprint(c, "GET /json HTTP/1.1\r\nHost: localhost\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		start := time.Now()
		c.SetReadDeadline(start.Add(5 * time.Second))
		_, err = io.Copy(io.Discard, br)
		if took := time.Since(start); errors.Is(err, os.ErrDeadlineExceeded) || took > 3*time.Second {
			t.Errorf("an idle keep-alive connection was not closed after 1s (err %v after %v)", err, took)
		}
	})
	t.Run("max-conns", func(t *testing.T) {
		t.Parallel()
		s := e2etest.StartServe(t, t.TempDir(), append(append([]string{}, cert...), "--max-conns", "1")...)
		first := dial(t, s) // holds the only slot
		done := make(chan error, 1)
		go func() {
			c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.Addr(),
				&tls.Config{RootCAs: pool, ServerName: "localhost"})
			if err == nil {
				c.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("a second handshake completed while --max-conns 1 was taken (err %v)", err)
		case <-time.After(700 * time.Millisecond):
		}
		first.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the waiting client failed once the slot was free: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the waiting client was not served after the slot was freed")
		}
	})
}
