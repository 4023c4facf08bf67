package scan

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// emsExtension offers the extended master secret (RFC 7627).
var emsExtension = wire.Extension{Type: wire.ExtExtendedMasterSecret}

// spec12 is a TLS 1.2 hello offering suites and the curves session12 implements, with or
// without the extended master secret.
func spec12(ems bool, suites ...uint16) wire.ClientHelloSpec {
	spec := wire.ClientHelloSpec{
		Version:             wire.VersionTLS12,
		CipherSuites:        suites,
		Groups:              []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1},
		SignatureAlgorithms: sigAlgs,
		ECPointFormats:      true,
	}
	if ems {
		spec.ExtraExtensions = []wire.Extension{emsExtension}
	}
	return spec
}

// goHTTPServer is a Go TLS 1.2 server with cfg answering HTTP requests with "hello"; its port.
func goHTTPServer(t *testing.T, cfg *tls.Config) int {
	t.Helper()
	cfg = cfg.Clone()
	cfg.MaxVersion = tls.VersionTLS12
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:     http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }),
		ReadTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		ErrorLog: nil,
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// dialLocal connects to a loopback port with a deadline, as prober.exchange would.
func dialLocal(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa(port), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// httpGet sends an HTTP request under the session's keys and returns the decrypted answer up
// to the server's close: proof that both directions' keys are right.
func httpGet(t *testing.T, s *session12) string {
	t.Helper()
	if err := s.writeRecord(wire.ContentApplicationData, []byte("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")); err != nil {
		t.Fatalf("sending the request: %v", err)
	}
	var answer bytes.Buffer
	for {
		typ, payload, err := s.readRecord()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the answer (after %q): %v", answer.String(), err)
		}
		if typ == wire.ContentAlert {
			if a, _ := wire.ParseAlert(payload); a != nil && a.Description == 0 {
				break // close_notify
			}
			t.Fatalf("alert %x after %q", payload, answer.String())
		}
		if typ != wire.ContentApplicationData {
			t.Fatalf("a %s record in the answer", wire.ContentTypeName(typ))
		}
		answer.Write(payload)
	}
	return answer.String()
}

// TestSession12 completes hand-built TLS 1.2 handshakes with Go's TLS server and with openssl
// s_server, one per kind of suite and curve session12 speaks, with and without the extended
// master secret, and fetches a page over each: the server's Finished verified and its HTTP
// answer decrypted prove the key schedule and both directions' record protection. (s_server
// 3.0 has no option to turn the extended master secret off; a client that does not offer it
// is the same to the server, so "without" is our hello without the extension.)
func TestSession12(t *testing.T) {
	t.Parallel()
	_, _, rsaPair := testCert(t, "rsa")
	_, _, ecPair := testCert(t, "ecdsa")
	type server struct {
		name  string
		start func(t *testing.T) int
		want  string // in the HTTP answer
	}
	goServer := func(pair tls.Certificate, suite uint16, curve tls.CurveID) server {
		return server{"go", func(t *testing.T) int {
			return goHTTPServer(t, &tls.Config{Certificates: []tls.Certificate{pair}, CipherSuites: []uint16{suite},
				CurvePreferences: []tls.CurveID{curve}})
		}, "hello"}
	}
	opensslServer := func(kind string, args ...string) server {
		return server{"openssl", func(t *testing.T) int {
			peertest.NeedOpenSSL3(t)
			return startOpenSSLWith(t, kind, append([]string{"-tls1_2"}, args...)...)
		}, "HTTP/1.0 200 ok"}
	}
	for _, tc := range []struct {
		name  string
		srv   server
		suite uint16
		ems   bool
		group uint16 // the curve the ServerKeyExchange must name (0: RSA key transport)
	}{
		{"go ECDHE-RSA-AES128-GCM-SHA256 x25519", goServer(rsaPair, 0xc02f, tls.X25519), 0xc02f, true, wire.GroupX25519},
		{"go ECDHE-RSA-AES256-GCM-SHA384 P-384 no EMS", goServer(rsaPair, 0xc030, tls.CurveP384), 0xc030, false, wire.GroupSecp384r1},
		{"go ECDHE-ECDSA-CHACHA20-POLY1305 P-256", goServer(ecPair, 0xcca9, tls.CurveP256), 0xcca9, true, wire.GroupSecp256r1},
		{"go ECDHE-ECDSA-AES128-SHA256", goServer(ecPair, 0xc023, tls.X25519), 0xc023, true, wire.GroupX25519},
		{"go RSA-AES128-CBC-SHA", goServer(rsaPair, 0x002f, tls.X25519), 0x002f, true, 0},
		{"go RSA-AES128-CBC-SHA no EMS", goServer(rsaPair, 0x002f, tls.X25519), 0x002f, false, 0},
		// A server that asks for a client certificate gets an empty Certificate message.
		{"go client certificate requested", server{"go", func(t *testing.T) int {
			return goHTTPServer(t, &tls.Config{Certificates: []tls.Certificate{rsaPair}, CipherSuites: []uint16{0xc02f},
				ClientAuth: tls.RequestClientCert})
		}, "hello"}, 0xc02f, true, wire.GroupX25519},
		{"openssl ECDHE-RSA-AES256-GCM-SHA384", opensslServer("rsa", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"), 0xc030, true, wire.GroupX25519},
		{"openssl ECDHE-RSA-AES128-GCM-SHA256 P-384 no EMS", opensslServer("rsa", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "P-384"), 0xc02f, false, wire.GroupSecp384r1},
		{"openssl ECDHE-ECDSA-CHACHA20-POLY1305", opensslServer("ecdsa", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"), 0xcca9, true, wire.GroupX25519},
		{"openssl ECDHE-RSA-AES256-SHA384 P-256", opensslServer("rsa", "-cipher", "ECDHE-RSA-AES256-SHA384", "-groups", "P-256"), 0xc028, true, wire.GroupSecp256r1},
		{"openssl AES256-SHA", opensslServer("rsa", "-cipher", "AES256-SHA"), 0x0035, true, 0},
		{"openssl AES128-SHA256 no EMS", opensslServer("rsa", "-cipher", "AES128-SHA256"), 0x003c, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := tc.srv.start(t)
			s, err := handshake12(dialLocal(t, port), spec12(tc.ems, tc.suite))
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if s.serverHello().CipherSuite != tc.suite || s.ems != tc.ems || !s.secureRenegotiation() {
				t.Errorf("suite %04x, EMS %v, secure renegotiation %v; want %04x, EMS %v, secure renegotiation",
					s.serverHello().CipherSuite, s.ems, s.secureRenegotiation(), tc.suite, tc.ems)
			}
			if s.group != tc.group {
				t.Errorf("curve %s, want %s", wire.GroupName(s.group), wire.GroupName(tc.group))
			}
			if c, sv := s.verifyData(); len(c) != 12 || len(sv) != 12 {
				t.Errorf("verify data %x / %x, want 12 bytes each", c, sv)
			}
			if got := httpGet(t, s); !strings.Contains(got, tc.srv.want) {
				t.Errorf("HTTP answer %q, want %q in it", got, tc.srv.want)
			}
		})
	}
}

// TestSession12Refusals: the handshake ends in an error, with the reason, when the server
// refuses the hello, chooses what was not offered, or holds other keys.
func TestSession12Refusals(t *testing.T) {
	t.Parallel()
	_, _, rsaPair := testCert(t, "rsa")
	port := goHTTPServer(t, &tls.Config{Certificates: []tls.Certificate{rsaPair}, CipherSuites: []uint16{0xc02f}})
	_, err := handshake12(dialLocal(t, port), spec12(true, 0xc030))
	var ae *alertError
	if !errors.As(err, &ae) || ae.alert.Description != 40 {
		t.Errorf("no shared suite: %v, want a handshake_failure alert", err)
	}
	port = goHTTPServer(t, &tls.Config{Certificates: []tls.Certificate{rsaPair}, ClientAuth: tls.RequireAnyClientCert})
	if _, err = handshake12(dialLocal(t, port), spec12(true, 0xc02f)); !errors.As(err, &ae) {
		t.Errorf("client certificate required: %v, want the server's alert", err)
	}
	if _, ok := tls12.SuiteByID(0x009e); ok {
		t.Error("DHE-RSA-AES128-GCM-SHA256 claimed implemented")
	}
}

// FuzzSession12 feeds arbitrary server bytes to the hand-built handshake: it must never panic,
// and never complete (a Finished that verifies needs the session's keys, which the bytes
// cannot know).
func FuzzSession12(f *testing.F) {
	f.Add(bytes.Join([][]byte{
		handshakeRecord(wire.TypeServerHello, serverHelloMsg(wire.VersionTLS12, 0x009c, 0, nil, nil)[4:]),
		handshakeRecord(wire.TypeCertificate, []byte{0, 0, 0}),
		handshakeRecord(wire.TypeServerHelloDone, nil),
		{wire.ContentChangeCipherSpec, 3, 3, 0, 1, 1},
		{wire.ContentHandshake, 3, 3, 0, 40}, bytes.Repeat([]byte{1}, 40),
	}, nil))
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Add([]byte{22, 3, 3, 0, 4, 14, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		go func() { _, _ = io.Copy(io.Discard, server) }()
		go func() {
			_, _ = server.Write(data)
			server.Close()
		}()
		_ = client.SetDeadline(time.Now().Add(time.Second))
		defer client.Close()
		if s, err := handshake12(client, spec12(true, 0x009c, 0xc02f, 0xcca9, 0x002f)); err == nil {
			t.Fatalf("a handshake completed with %x: %+v", data, s.hello)
		}
	})
}
