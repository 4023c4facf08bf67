package cmd

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestACMEIssueRefusedBeforeTheCA: what the flags and names make impossible is a usage error
// (exit 2, one line, a hint naming the flag) before the CA is asked anything and before an
// account key is made: an order the run cannot complete would count against the CA's limits.
func TestACMEIssueRefusedBeforeTheCA(t *testing.T) {
	var asked atomic.Int32
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer ca.Close()
	for _, tc := range []struct {
		args       []string
		says, hint string
	}{
		{[]string{"w.test", "--webroot", filepath.Join(t.TempDir(), "missing")}, "--webroot", ""},
		{[]string{"*.w.test"}, "a wildcard name can only be proved with dns-01", "--challenge dns-01 --dns-hook CMD"},
		{[]string{"*.w.test", "--challenge", "tls-alpn-01"}, "a wildcard name can only be proved with dns-01", "--challenge dns-01"},
		{[]string{"192.0.2.1", "--challenge", "dns-01", "--dns-hook", "true"}, "an IP address cannot be proved with dns-01", "--challenge http-01"},
		{[]string{"r.test", "--challenge", "dns-01", "--dns-hook", "true", "--dns-resolver", "127.0.0.1"}, "--dns-resolver must be HOST:PORT", ""},
		{[]string{"r.test", "--challenge", "dns-01", "--dns-hook", "true", "--dns-wait", "0s"}, "--dns-wait and --dns-hook-timeout must be greater than zero", ""},
		{[]string{"--csr", "req.pem", "--key-password-file", "pw"}, "--csr carries its own key: --key, --key-type and --key-password-file", ""},
		// A challenge's own flag given for another.
		{[]string{"r.test", "--tls-port", "8443"}, "--tls-port is for --challenge tls-alpn-01, not --challenge http-01", ""},
		{[]string{"r.test", "--challenge", "tls-alpn-01", "--http-port", "8080"}, "--http-port is for http-01 answered by tlskit's own listener", ""},
		{[]string{"r.test", "--webroot", t.TempDir(), "--http-address", "127.0.0.1"}, "--http-address is for the http-01 and tls-alpn-01 listeners", ""},
		{[]string{"r.test", "--challenge", "dns-01", "--dns-hook", "true", "--http-port", "8080"}, "--http-port is for", ""},
		{[]string{"r.test", "--dns-wait", "1m"}, "--dns-wait is for --challenge dns-01", ""},
		{[]string{"r.test", "--challenge", "tls-alpn-01", "--dns-resolver", "127.0.0.1:53"}, "--dns-resolver is for --challenge dns-01", ""},
		{[]string{"r.test", "--dns-hook-timeout", "1m"}, "--dns-hook-timeout is for --challenge dns-01", ""},
	} {
		xdg := t.TempDir()
		args := append([]string{"acme", "issue", "--server", ca.URL + "/dir",
			"--out", filepath.Join(xdg, "c.pem"), "--key-out", filepath.Join(xdg, "k.pem")}, tc.args...)
		r := cliRun{args: args, env: map[string]string{"XDG_DATA_HOME": xdg}}.run(t)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.says) || !strings.Contains(r.stderr, tc.hint) {
			t.Errorf("%v: exit %d, want 2 saying %q (hint %q)\n%s", tc.args, r.code, tc.says, tc.hint, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(xdg, "tlskit")); err == nil {
			t.Errorf("%v: an account key was made", tc.args)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the CA was asked %d times by runs that could not succeed", n)
	}
}

// TestACMEFilesRefusedBeforeTheCA: a file that would be replaced without --force is refused
// before the CA is asked, including the one a --csr's first name gives; renew takes no "-" for
// the key.
func TestACMEFilesRefusedBeforeTheCA(t *testing.T) {
	var asked atomic.Int32
	ca := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.NotFound(w, r)
	}))
	defer ca.Close()
	dir := t.TempDir()
	csr := filepath.Join(dir, "own.test.csr")
	if r := (cliRun{args: []string{"cert", "csr", "own.test", "--out", csr, "--key-out", filepath.Join(dir, "own-key.pem")}}).run(t); r.code != 0 {
		t.Fatalf("cert csr: exit %d\n%s", r.code, r.stderr)
	}
	existing := filepath.Join(dir, "own.test.pem")
	if err := os.WriteFile(existing, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"acme", "issue", "--csr", csr, "--http-port", peertest.FreePort(t)}, ExitFailure, "own.test.pem exists"},
		{[]string{"acme", "issue", "own.test", "--http-port", peertest.FreePort(t)}, ExitFailure, "own.test.pem exists"},
		{[]string{"acme", "renew", existing, "--key-out", "-"}, ExitUsage, "--key-out"},
	} {
		xdg := t.TempDir()
		r := cliRun{args: append(tc.args, "--server", ca.URL+"/dir"), env: map[string]string{"XDG_DATA_HOME": xdg}}.run(t)
		if first, _, _ := strings.Cut(r.stderr, "\n"); r.code != tc.code || !strings.HasPrefix(first, "tlskit: ") || !strings.Contains(first, tc.says) {
			t.Errorf("%v: exit %d, want %d saying %q\n%s", tc.args, r.code, tc.code, tc.says, r.stderr)
		}
	}
	if data, _ := os.ReadFile(existing); string(data) != "mine" {
		t.Errorf("%s was replaced", existing)
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("the CA was asked %d times by runs that could not succeed", n)
	}
}
