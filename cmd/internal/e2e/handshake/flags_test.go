//go:build unix

package handshake

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestHandshakeFlags checks, against a real openssl s_server, that the connection flags
// change what goes on the wire: each case asserts something only that flag can cause.
func TestHandshakeFlags(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	srv := peertest.OpenSSLServer(t, t.TempDir(), fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem"))
	srv12 := peertest.OpenSSLServer(t, t.TempDir(), fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem"), "-tls1_2")

	// The cases run in parallel: each has its own directory, and s_server takes their
	// connections one after another.

	t.Run("keylog", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--keylog", "keys.txt")
		st, err := os.Stat(filepath.Join(dir, "keys.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("key log mode %o, want 600", st.Mode().Perm())
		}
		f, _ := os.Open(filepath.Join(dir, "keys.txt"))
		defer f.Close()
		labels := map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			labels[strings.Fields(sc.Text())[0]] = true
		}
		for _, l := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"} {
			if !labels[l] {
				t.Errorf("key log lacks %s (has %v)", l, labels)
			}
		}
	})

	t.Run("verbose", func(t *testing.T) {
		t.Parallel()
		plain := e2etest.Tlskit(t, t.TempDir(), "handshake", srv.Localhost(), "--ca", ca)
		if strings.Contains(plain, "cipher suites: TLS_ECDHE_") {
			t.Errorf("detail lines without -v:\n%s", plain)
		}
		out := e2etest.Tlskit(t, t.TempDir(), "handshake", srv.Localhost(), "--ca", ca, "-v")
		for _, want := range []string{
			"   cipher suites: TLS_ECDHE_",
			"TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384",
			"   supported groups: X25519MLKEM768, ",
			"   signature algorithms: ",
			"   extensions: ",
			"   certificate 0: CN=localhost (issuer ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("-v output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("connect-to keeps the target's name", func(t *testing.T) {
		t.Parallel()
		// The target's port is wrong on purpose: only --connect-to can make this succeed.
		res := e2etest.HandshakeOK(t, t.TempDir(), "localhost:1", "--ca", ca, "--connect-to", "127.0.0.1:"+srv.Port)
		if res.SNI != "localhost" || !res.Verification.Verified {
			t.Errorf("sni %q verified %v; want localhost, true", res.SNI, res.Verification.Verified)
		}
	})

	t.Run("no-sni", func(t *testing.T) {
		t.Parallel()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--no-sni")
		ch := find(res.Steps, "sent", "ClientHello")
		if res.SNI != "" || ch == nil || strings.Contains(string(ch.Details), `"server_name":"`) {
			t.Errorf("sni %q; ClientHello details %s", res.SNI, ch.Details)
		}
		// The name is still verified.
		if !res.Verification.Verified || !res.Verification.HostnameOK {
			t.Errorf("verification %+v", res.Verification)
		}
	})

	t.Run("sni", func(t *testing.T) {
		t.Parallel()
		res, r := e2etest.Handshake(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--sni", "other.test")
		if res.SNI != "other.test" || r.Code != 3 || res.Verification.Reason != "hostname_mismatch" {
			t.Errorf("sni %q exit %d reason %q; want other.test, 3, hostname_mismatch", res.SNI, r.Code, res.Verification.Reason)
		}
	})

	t.Run("groups", func(t *testing.T) {
		t.Parallel()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--groups", "p384")
		if res.KeyExchange != "P-384" {
			t.Errorf("key_exchange %q, want P-384", res.KeyExchange)
		}
	})

	t.Run("ciphers", func(t *testing.T) {
		t.Parallel()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv12.Localhost(), "--ca", ca, "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305")
		if res.CipherSuite != "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" {
			t.Errorf("cipher_suite %q", res.CipherSuite)
		}
	})

	t.Run("tls-max", func(t *testing.T) {
		t.Parallel()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--tls-max", "1.2")
		if res.Version != "TLS 1.2" {
			t.Errorf("version %q, want TLS 1.2", res.Version)
		}
	})

	t.Run("proxy", func(t *testing.T) {
		t.Parallel()
		// A minimal HTTP CONNECT proxy on loopback that tunnels to the server and records what
		// it was asked: only --proxy can route the handshake through it.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		asked := make(chan string, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			req, err := http.ReadRequest(br)
			if err != nil || req.Method != http.MethodConnect {
				return
			}
			asked <- req.Host
			up, err := net.Dial("tcp", "127.0.0.1:"+srv.Port)
			if err != nil {
				return
			}
			defer up.Close()
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			go io.Copy(up, br)
			io.Copy(c, up)
		}()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--proxy", "http://"+ln.Addr().String())
		select {
		case host := <-asked:
			if host != srv.Localhost() {
				t.Errorf("proxy asked to CONNECT %q, want %q", host, srv.Localhost())
			}
		default:
			t.Error("the handshake did not go through the proxy")
		}
		if !res.Verification.Verified {
			t.Errorf("not verified through the proxy: %+v", res.Verification)
		}
	})

	t.Run("client key password", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e2etest.WriteFile(t, dir, "pw", "s3cret\n")
		e2etest.Tlskit(t, dir, "cert", "issue", "client.test", "--client", "--ca-dir", fx.path("ca"), "--key-password-file", "pw", "--out", "c.pem", "--key-out", "c-key.pem")
		mtls := peertest.OpenSSLServer(t, t.TempDir(), fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem"), "-Verify", "1", "-CAfile", ca)
		res := e2etest.HandshakeOK(t, dir, mtls.Localhost(), "--ca", ca, "--cert", "c.pem", "--key", "c-key.pem", "--key-password-file", "pw")
		if res.ClientAuth == nil || !res.ClientAuth.CertificateSent {
			t.Errorf("client certificate not sent: %+v", res.ClientAuth)
		}
		_, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", mtls.Localhost(), "--ca", ca, "--cert", "c.pem", "--key", "c-key.pem")
		if code != 1 || !strings.HasPrefix(errOut, "tlskit: ") || !strings.Contains(errOut, "--key-password-file") {
			t.Errorf("encrypted key without password: exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("alpn offered", func(t *testing.T) {
		t.Parallel()
		res := e2etest.HandshakeOK(t, t.TempDir(), srv.Localhost(), "--ca", ca, "--alpn", "h2,http/1.1")
		ch := find(res.Steps, "sent", "ClientHello")
		if ch == nil || !strings.Contains(ch.Summary, "ALPN h2, http/1.1") {
			t.Errorf("ClientHello summary %q", ch.Summary)
		}
	})
}

// TestHandshakeBadCA is --ca naming a file that is missing or holds no certificate: one line
// naming the file, exit 1, and not a byte of TLS sent to the server (the file is read while the
// connection is made, and checked before the ClientHello), for one target and for several.
func TestHandshakeBadCA(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	received := make(chan int64, 16)
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				n, _ := io.Copy(io.Discard, c)
				received <- n
			}()
		}
	}()
	dir := t.TempDir()
	e2etest.WriteFile(t, dir, "notpem.pem", "this is not a certificate\n")
	addr := ln.Addr().String()
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"missing", []string{"handshake", addr, "--ca", "missing.pem"}, "", "tlskit: --ca: missing.pem: "},
		{"not PEM", []string{"handshake", addr, "--ca", "notpem.pem"}, "", "tlskit: --ca notpem.pem: "},
		{"several targets", []string{"handshake", "-", "--ca", "notpem.pem"}, addr + "\n" + addr + "\n", "tlskit: --ca notpem.pem: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e2etest.Exec(t, dir, tc.stdin, []string{"NO_COLOR=1"}, e2etest.Binary(), tc.args...)
			if r.Code != 1 || !strings.HasPrefix(r.Stderr, tc.want) || strings.Count(r.Stderr, "\n") != 1 || r.Stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, one line starting %q", r.Code, r.Stdout, r.Stderr, tc.want)
			}
		})
	}
	ln.Close()
	// Every connection tlskit made has ended (it has exited); each must have carried nothing.
	for i := int64(0); i < accepted.Load(); i++ {
		select {
		case n := <-received:
			if n != 0 {
				t.Errorf("the server received %d bytes before tlskit gave up on --ca", n)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a connection from tlskit was never closed")
		}
	}
}
