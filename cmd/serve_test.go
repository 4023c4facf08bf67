package cmd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/server"
)

func TestServeFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"serve", "--dir", ".", "--echo"}, "choose one of --dir, --proxy and --echo"},
		{[]string{"serve", "--cert", "a.pem"}, "each --cert needs a --key"},
		{[]string{"serve", "--cert", "a.pem", "--key", "k.pem", "--host", "x.test"}, "--host and --write-cert are for the ephemeral certificate"},
		{[]string{"serve", "--handshake-timeout", "0s"}, "--handshake-timeout must be greater than zero"},
		{[]string{"serve", "--max-conns", "0"}, "--max-conns must be at least 1"},
		{[]string{"serve", "--drain", "-1s"}, "--drain must not be negative"},
		{[]string{"serve", "--max-header-bytes", "10"}, "--max-header-bytes must be at least 1024"},
		{[]string{"serve", "--tls-min", "1.3", "--tls-max", "1.2"}, "above --tls-max"},
		{[]string{"serve", "--ciphers", "TLS_AES_128_GCM_SHA256"}, "is a TLS 1.3 suite"},
		{[]string{"serve", "--groups", "nope"}, "unsupported group"},
		{[]string{"serve", "--client-auth", "require"}, "needs --client-ca"},
		{[]string{"serve", "--client-ca", "ca.pem"}, "--client-ca needs --client-auth"},
		{[]string{"serve", "--client-auth", "maybe", "--client-ca", "x"}, "none, request or require"},
		{[]string{"serve", "--proxy", "ftp://x"}, "--proxy: expected a URL"},
		{[]string{"serve", "--proxy", "http://127.0.0.1:1", "--proxy-timeout", "0s"}, "--proxy-timeout must be greater than zero"},
		{[]string{"serve", "--proxy", "http://127.0.0.1:1", "--proxy-timeout=-5s"}, "--proxy-timeout must be greater than zero"},
		{[]string{"serve", "--proxy-timeout", "5s"}, "--proxy-timeout needs --proxy"},
		{[]string{"serve", "--dir", ".", "--proxy-timeout", "5s"}, "--proxy-timeout needs --proxy"},
		{[]string{"serve", "extra"}, `unknown command "extra"`},
		{[]string{"serve", "--ocsp", "resp.der"}, "--ocsp needs --cert"},
		{[]string{"serve", "--ech", "--tls-max", "1.2"}, "--ech needs TLS 1.3"},
		{[]string{"serve", "--ech-public-name", "localhost"}, "has one label"},
		{[]string{"serve", "--ech-public-name", "192.0.2.1"}, "is an IP address"},
	}
	for _, tt := range tests {
		res := runCLI(t, tt.args...)
		if res.code != ExitUsage || !strings.HasPrefix(res.stderr, "tlskit: ") || !strings.Contains(strings.SplitN(res.stderr, "\n", 2)[0], tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tt.args, res.code, res.stderr, tt.msg)
		}
		if res.stdout != "" {
			t.Errorf("%v: stdout %q, want nothing (the URL line only comes once listening)", tt.args, res.stdout)
		}
	}
}

func TestServeMissingFiles(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--cert", "missing.pem", "--key", "missing-key.pem"},
		{"serve", "--dir", "no-such-dir"},
		{"serve", "--client-auth", "require", "--client-ca", "missing-ca.pem"},
	} {
		t.Chdir(t.TempDir())
		res := runCLI(t, args...)
		if res.code != ExitFailure || !strings.HasPrefix(res.stderr, "tlskit: ") || strings.Count(res.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 with one error line", args, res.code, res.stderr)
		}
	}
}

func TestFormatEvent(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 123000000, time.UTC)
	ok := server.Event{Time: at, Remote: "127.0.0.1:50512", SNI: "localhost", Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		ALPN: "h2", JA4: "t13d1516h2_8daaf6152771_e5627efa2ab1", ClientCert: "CN=client test", HandshakeMs: 1.5}
	bad := server.Event{Time: at, Remote: "127.0.0.1:50514", HandshakeMs: 10000, Error: "timed out waiting for a ClientHello"}
	evil := server.Event{Time: at, Remote: "127.0.0.1:1", SNI: "x\x1b[2Jy", Error: "client sent HTTP, not TLS"}
	got := formatEvent(ok) + "\n" + formatEvent(bad) + "\n" + formatEvent(evil) + "\n"
	golden(t, "serve-events.txt", got)
	if strings.Contains(got, "\x1b") {
		t.Fatal("a client-chosen SNI reached the log unescaped")
	}
}

// reportReload words each outcome of a certificate reload (CertStore.Watch's OnReload).
func TestReportReload(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "tlskit: certificates reloaded\n"},
		{&server.StapleError{File: "resp.der", Err: errors.New("it expired")}, "tlskit: warning: certificates reloaded, but not stapling resp.der: it expired\n"},
		{errors.New("cert.pem: not a regular file (named pipe)"), "tlskit: warning: certificate reload failed, still serving the previous certificates: cert.pem: not a regular file (named pipe)\n"},
	} {
		a, errBuf := logTestApp(&peertest.Writer{})
		reportReload(a, tc.err)
		if got := errBuf.String(); got != tc.want {
			t.Errorf("%v: stderr %q, want %q", tc.err, got, tc.want)
		}
	}
}

// TestFormatRequest: a request's text line, served, failed behind --proxy with its cause, cut,
// and with a client-chosen path that must not reach a terminal raw.
func TestFormatRequest(t *testing.T) {
	at := time.Date(2026, 11, 27, 12, 0, 0, 123000000, time.UTC)
	ok := server.Request{Time: at, Remote: "127.0.0.1:50512", Method: "GET", Path: "/index.html", HTTPProtocol: "HTTP/2.0", Status: 200, Bytes: 1234, DurationMs: 0.52}
	refused := server.Request{Time: at, Remote: "127.0.0.1:50514", Method: "POST", Path: "/api?q=1", HTTPProtocol: "HTTP/1.1", Status: 502, DurationMs: 1.2,
		Error: "the backend failed: dial tcp 127.0.0.1:3000: connect: connection refused"}
	cut := server.Request{Time: at, Remote: "127.0.0.1:50516", Method: "GET", Path: "/big", HTTPProtocol: "HTTP/1.1", Status: 200, Bytes: 65536, DurationMs: 30,
		Error: "the backend broke off the response body: unexpected EOF"}
	evil := server.Request{Time: at, Remote: "127.0.0.1:1", Method: "GET", Path: "/x\x1b[2J\"y", HTTPProtocol: "HTTP/1.1", Status: 404, Bytes: 19}
	got := formatRequest(ok) + "\n" + formatRequest(refused) + "\n" + formatRequest(cut) + "\n" + formatRequest(evil) + "\n"
	golden(t, "serve-requests.txt", got)
	if strings.Contains(got, "\x1b") {
		t.Fatal("a client-chosen path reached the log unescaped")
	}
}
