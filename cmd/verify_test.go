package cmd

import (
	"context"
	"crypto/tls"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"ca", "create", "--dir", "ca"},
		{"ca", "create", "--dir", "other"},
		{"cert", "issue", "svc.test", "--ca-dir", "ca"},
		{"cert", "csr", "req.test"},
	} {
		if res := runCLI(t, args...); res.code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, res.code, res.stderr)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.pem"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string // substring of stdout
		err  string // substring of the first stderr line
		hint string // substring of the "tlskit: hint:" line that must follow it
	}{
		{"valid", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "--host", "svc.test"}, ExitOK, "verified: valid for svc.test", "", ""},
		{"valid json", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "-o", "json"}, ExitOK, `"verified": true`, "", ""},
		{"wrong host", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "--host", "other.test"}, ExitCheckFailed, "(hostname_mismatch)", "not other.test", ""},
		// Both CAs have the default name: the one trusted is not the one that signed.
		{"untrusted", []string{"verify", "svc.test.pem", "--ca", "other/ca.pem"}, ExitCheckFailed, "(unknown_authority)", "a trusted root of that name exists, but its key did not sign", "--ca FILE"},
		// The CA's own certificate is neither in the file nor among the system roots.
		{"issuer missing", []string{"verify", "svc.test.pem"}, ExitCheckFailed, "(incomplete_chain)", "the file did not include the certificate of", "--intermediates FILE"},
		{"expired at", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "--at", "2040-01-01T00:00:00Z"}, ExitCheckFailed, "(expired)", "expired", ""},
		{"client purpose", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "--purpose", "client"}, ExitCheckFailed, "(incompatible_usage)", `"CN=svc.test" (depth 0) allows only server_auth in its extended key usage, not client_auth`, ""},
		{"any purpose", []string{"verify", "svc.test.pem", "--ca", "ca/ca.pem", "--purpose", "any"}, ExitOK, "verified: valid, purpose any", "", ""},
		{"csr", []string{"verify", "req.test.csr"}, ExitFailure, "", "certificate request, not a certificate", ""},
		{"empty", []string{"verify", "empty.pem"}, ExitFailure, "", "no certificate found", ""},
		{"missing", []string{"verify", "nope.pem"}, ExitFailure, "", "nope.pem", ""},
		{"bad at", []string{"verify", "svc.test.pem", "--at", "tomorrow"}, ExitUsage, "", "--at", ""},
		{"bad purpose", []string{"verify", "svc.test.pem", "--purpose", "email"}, ExitUsage, "", "--purpose", ""},
		{"bad host", []string{"verify", "svc.test.pem", "--host", "bad host"}, ExitUsage, "", "--host", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			if !strings.Contains(res.stdout, tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, res.stdout)
			}
			first := strings.SplitN(res.stderr, "\n", 2)[0]
			if tt.err != "" && (!strings.HasPrefix(first, "tlskit: ") || !strings.Contains(first, tt.err)) {
				t.Errorf("stderr first line %q, want tlskit: ...%q", first, tt.err)
			}
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			if tt.hint != "" && (len(lines) != 2 || !strings.HasPrefix(lines[1], "tlskit: hint: ") || !strings.Contains(lines[1], tt.hint)) {
				t.Errorf("stderr %q, want a second line \"tlskit: hint: ...%s...\"", res.stderr, tt.hint)
			}
			if tt.code == ExitOK && res.stderr != "" {
				t.Errorf("stderr %q on success", res.stderr)
			}
		})
	}
}

func TestScanFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"scan", "x.test", "--fail-on", "critical"}, "--fail-on"},
		{[]string{"scan", "x.test", "--parallel", "0"}, "--parallel"},
		{[]string{"scan", "x.test", "--rate", "0"}, "--rate"},
		{[]string{"scan"}, "missing TARGET (one or more)"},
		{[]string{"scan", "http://x.test"}, "not TLS"},
	} {
		res := runCLI(t, tt.args...)
		if res.code != ExitUsage || !strings.Contains(strings.SplitN(res.stderr, "\n", 2)[0], tt.msg) {
			t.Errorf("%v: exit %d, stderr %q", tt.args, res.code, res.stderr)
		}
	}
}

// TestFailurePrintedOnce: a verdict the text report states on stdout is not repeated on
// stderr when both are the one terminal; the hint still is. In a pipe (or with -o json)
// stderr keeps the error line for the script, and the exit code is the same.
func TestFailurePrintedOnce(t *testing.T) {
	noColor := map[string]string{"NO_COLOR": "1"}
	dir := t.TempDir()
	t.Chdir(dir)
	if res := runCLI(t, "cert", "selfsign", "once.test", "--out", "once.pem", "--key-out", "once-key.pem"); res.code != ExitOK {
		t.Fatalf("selfsign: %s", res.stderr)
	}
	for _, tc := range []struct {
		name           string
		run            cliRun
		wantErrorLine  bool
		wantReportLine bool
	}{
		{"terminal", cliRun{args: []string{"verify", "once.pem"}, outTTY: true, errTTY: true, env: noColor}, false, true},
		{"pipe", cliRun{args: []string{"verify", "once.pem"}, env: noColor}, true, true},
		{"stdout piped, stderr on the terminal", cliRun{args: []string{"verify", "once.pem"}, errTTY: true, env: noColor}, true, true},
		{"json on a terminal", cliRun{args: []string{"verify", "once.pem", "-o", "json"}, outTTY: true, errTTY: true, env: noColor}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.run.run(t)
			if res.code != ExitCheckFailed {
				t.Fatalf("exit %d, want %d", res.code, ExitCheckFailed)
			}
			errorLine := strings.Contains(res.stderr, "tlskit: once.pem: ")
			if errorLine != tc.wantErrorLine {
				t.Errorf("error line on stderr: %t, want %t\n%s", errorLine, tc.wantErrorLine, res.stderr)
			}
			if got := strings.Contains(res.stdout, "not valid: "); got != tc.wantReportLine {
				t.Errorf("verdict line on stdout: %t, want %t\n%s", got, tc.wantReportLine, res.stdout)
			}
			if !strings.Contains(res.stderr, "tlskit: hint: if you trust this certificate itself, give it with --ca FILE") {
				t.Errorf("the hint is gone from stderr:\n%s", res.stderr)
			}
		})
	}
}

// TestHandshakeFailurePrintedOnce: the same for handshake: an untrusted chain (the report's
// "verification  FAILED" line) and a handshake the server cut ("failed:"), on a terminal,
// leave only the hint on stderr; in a pipe the error line is there too, and the exit codes are
// the same.
func TestHandshakeFailurePrintedOnce(t *testing.T) {
	cert := peertest.Certificate(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	untrusted := peertest.Serve(t, func(_ context.Context, c net.Conn) { peertest.ServeTLSConfig(c, cfg, 5*time.Second) })
	cut := peertest.Serve(t, func(_ context.Context, c net.Conn) { c.Read(make([]byte, 1)); c.Close() })
	noColor := map[string]string{"NO_COLOR": "1"}
	for _, tc := range []struct {
		name     string
		target   string
		code     int
		terminal bool
		report   string // on stdout
		errLine  bool   // the error line on stderr
	}{
		{"untrusted, terminal", untrusted, ExitCheckFailed, true, "verification  FAILED", false},
		{"untrusted, pipe", untrusted, ExitCheckFailed, false, "verification  FAILED", true},
		{"cut, terminal", cut, ExitFailure, true, "\nfailed: ", false},
		{"cut, pipe", cut, ExitFailure, false, "\nfailed: ", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := cliRun{args: []string{"handshake", tc.target, "--timeout", "3s"}, outTTY: tc.terminal, errTTY: tc.terminal, env: noColor}.run(t)
			if res.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, tc.code, res.stderr)
			}
			if !strings.Contains(res.stdout, tc.report) {
				t.Errorf("stdout lacks %q:\n%s", tc.report, res.stdout)
			}
			var errLine bool
			for _, l := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
				errLine = errLine || strings.HasPrefix(l, "tlskit: ") && !strings.HasPrefix(l, "tlskit: hint: ")
			}
			if errLine != tc.errLine {
				t.Errorf("error line on stderr: %t, want %t\n%s", errLine, tc.errLine, res.stderr)
			}
		})
	}
}
