package cmd

import (
	"os"
	"strings"
	"testing"
)

// Bad input to the revocation commands and flags: one line (plus the usage line for usage
// errors), the right exit code, nothing on stdout.
func TestRevocationBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("pw", []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"ca", "create", "--dir", "ca"},
		{"ca", "create", "--dir", "enc", "--key-password-file", "pw"},
		{"cert", "issue", "svc.test", "--ca-dir", "ca"},
	} {
		if res := runCLI(t, args...); res.code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, res.code, res.stderr)
		}
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"verify", "svc.test.pem", "--revocation", "sometimes"}, ExitUsage, "unknown revocation mode"},
		{[]string{"verify", "svc.test.pem", "--revocation", "off", "--revocation-hard-fail"}, ExitUsage, "contradict"},
		{[]string{"handshake", "localhost:1", "--revocation", "off", "--crl", "x.crl"}, ExitUsage, "contradict"},
		{[]string{"scan", "localhost:1", "--revocation", "nope"}, ExitUsage, "unknown revocation mode"},
		{[]string{"verify", "svc.test.pem", "--crl", "svc.test.pem"}, ExitFailure, `a PEM "CERTIFICATE" block, not an X509 CRL`},
		{[]string{"ca", "serve", "--ca-dir", "ca", "--addr", "no-port"}, ExitFailure, "listening on no-port"},
		{[]string{"ca", "serve", "--ca-dir", "missing"}, ExitFailure, "no CA in missing"},
		{[]string{"ca", "serve", "--ca-dir", "enc"}, ExitFailure, "password"},
		{[]string{"ca", "serve", "extra"}, ExitUsage, "unknown command"},
	}
	for _, tt := range tests {
		res := runCLI(t, tt.args...)
		first := strings.SplitN(res.stderr, "\n", 2)[0]
		if res.code != tt.code || !strings.HasPrefix(first, "tlskit: ") || !strings.Contains(first, tt.msg) || res.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d with %q", tt.args, res.code, res.stdout, res.stderr, tt.code, tt.msg)
		}
	}
}
