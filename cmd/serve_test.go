package cmd

import (
	"errors"
	"fmt"
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

// The --proxy failures not yet warned about at shutdown are warned about then, once.
func TestCloseProxyWarnings(t *testing.T) {
	var lines []string
	warn := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	d := server.NewProxyErrorDigest(time.Hour, func(server.ProxyError, int) {})
	closeProxyWarnings(d, warn) // nothing pending: nothing said
	// The first failure is warned about at once (here: reported on first); the next two wait
	// for the hour to pass, and are what close warns about.
	first := make(chan struct{})
	d = server.NewProxyErrorDigest(time.Hour, func(server.ProxyError, int) { close(first) })
	fail := func(p string) {
		d.Add(server.ProxyError{Method: "GET", Path: p, Remote: "r", Status: 502, Err: errors.New("refused")})
	}
	fail("/a")
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("the first failure was not reported within 5s")
	}
	fail("/b")
	fail("/c")
	closeProxyWarnings(d, warn)
	want := "proxy: GET /c from r: refused; answered 502 Bad Gateway (and 1 other failed requests since the last warning)"
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("warned %q, want [%q]", lines, want)
	}
}
