//go:build unix

package catrust

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
)

// End-to-end tests of `tlskit ca install|uninstall|status`: each store is changed for real (the
// system's trust on this machine, a copy of the JDK's cacerts, NSS databases under a temporary
// HOME) and judged by the programs that read it (curl, OpenSSL, Python, Go; keytool; certutil
// and a headless Chromium), before, during and after.
//
// Every tlskit run has its own HOME and XDG_DATA_HOME under t.TempDir(), so the user's default
// CA and NSS databases are never touched. They run in parallel, but for the system store's,
// which holds the machine's trust (lockMachineTrust) for its whole run; the Java test copies
// the JDK's keystore, which that test rewrites, before it starts (cacertsBeforeChanges).

func TestMain(m *testing.M) { e2etest.Main(m) }

// env is the environment of one test's tlskit runs: a directory for its files, HOME and
// XDG_DATA_HOME inside it, and whatever else the test adds (JAVA_HOME).
type env struct {
	dir   string
	home  string
	extra []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{dir: dir, home: filepath.Join(dir, "home")}
	for _, d := range []string{e.home, e.xdg()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) xdg() string { return filepath.Join(e.dir, "xdg") }

// vars are the environment entries every tlskit run of the test gets.
func (e *env) vars() []string {
	return append([]string{"NO_COLOR=1", "HOME=" + e.home, "XDG_DATA_HOME=" + e.xdg()}, e.extra...)
}

// repro is a command line that reproduces a run, for failure messages.
func (e *env) repro(args []string) string {
	return "cd " + e.dir + " && " + strings.Join(e.vars(), " ") + " tlskit " + strings.Join(args, " ")
}

// tlskit runs tlskit with the test's environment and fails the test unless it exits want.
func (e *env) tlskit(t *testing.T, want int, args ...string) e2etest.Result {
	t.Helper()
	out, errOut, code := e2etest.RunTlskit(t, e.dir, e.vars(), args...)
	r := e2etest.Result{Stdout: out, Stderr: errOut, Code: code}
	if code != want {
		t.Errorf("exit %d, want %d: %s\nstdout:\n%s\nstderr:\n%s", code, want, e.repro(args), out, errOut)
	}
	if strings.Contains(errOut, "panic:") || strings.Contains(errOut, "goroutine ") {
		t.Errorf("BUG: tlskit panicked: %s\n%s", e.repro(args), errOut)
	}
	return r
}

// storeLine is one JSON line of ca install/uninstall/status, decoded into a struct of the
// test's own: the schema is under test.
type storeLine struct {
	Store    string `json:"store"`
	Location string `json:"location"`
	Outcome  string `json:"outcome"`
	Detail   string `json:"detail"`
	Hint     string `json:"hint"`
	CA       string `json:"ca"`
	CASHA256 string `json:"ca_sha256"`
}

func (l storeLine) String() string {
	b, _ := json.Marshal(l)
	return string(b)
}

// caJSON runs `tlskit ca ARGS... -o json`, requires exit want, and decodes its JSON Lines, each
// of which must name the CA.
func (e *env) caJSON(t *testing.T, ca caCert, want int, args ...string) []storeLine {
	t.Helper()
	args = append(append([]string{"ca"}, args...), "-o", "json")
	r := e.tlskit(t, want, args...)
	lines := parseLines(t, r.Stdout)
	for _, sl := range lines {
		if sl.CA != ca.subject || sl.CASHA256 != ca.fp {
			t.Errorf("line names the CA %q %q, want %q %q: %s", sl.CA, sl.CASHA256, ca.subject, ca.fp, e.repro(args))
		}
	}
	return lines
}

// parseLines decodes ca install/uninstall/status's JSON Lines.
func parseLines(t *testing.T, stdout string) []storeLine {
	t.Helper()
	var lines []storeLine
	for _, l := range strings.Split(strings.TrimRight(stdout, "\n"), "\n") {
		if l == "" {
			continue
		}
		var sl storeLine
		if err := json.Unmarshal([]byte(l), &sl); err != nil {
			t.Fatalf("stdout line is not JSON: %q (%v)", l, err)
		}
		lines = append(lines, sl)
	}
	return lines
}

// oneLine requires exactly one line, of the store and outcome given, and returns it.
func oneLine(t *testing.T, what string, lines []storeLine, store, outcome string) storeLine {
	t.Helper()
	if len(lines) != 1 {
		t.Fatalf("%s: %d lines, want one %s line %s:\n%s", what, len(lines), store, outcome, joinLines(lines))
	}
	l := lines[0]
	if l.Store != store || l.Outcome != outcome {
		t.Errorf("%s: got %s, want store %q outcome %q", what, l, store, outcome)
	}
	return l
}

func joinLines(lines []storeLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String() + "\n")
	}
	return b.String()
}

// caText runs `tlskit ca ARGS...` in text, requires exit want, and checks the layout: the line
// naming the CA, then one line per store, `STORE  OUTCOME  LOCATION[: detail]`, with the words
// given. It returns the store lines.
func (e *env) caText(t *testing.T, ca caCert, want int, store, word, location string, args ...string) []string {
	t.Helper()
	args = append([]string{"ca"}, args...)
	r := e.tlskit(t, want, args...)
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	if head := "CA " + ca.subject + ", SHA-256 " + ca.colonFP(); lines[0] != head {
		t.Errorf("first line %q, want %q: %s", lines[0], head, e.repro(args))
	}
	var stores []string
	for _, l := range lines[1:] {
		if !strings.HasPrefix(strings.TrimSpace(l), "hint:") {
			stores = append(stores, l)
		}
	}
	// The outcome column is 19 wide: the longest word, "already installed", and two spaces.
	prefix := fmt.Sprintf("%-7s %-19s%s", store, word, location)
	if len(stores) != 1 || !strings.HasPrefix(stores[0], prefix) {
		t.Errorf("store lines:\n%s\nwant one starting %q: %s", strings.Join(stores, "\n"), prefix, e.repro(args))
	}
	return stores
}

// caCert is the CA's root certificate as the tests compute it from ca.pem, independently of
// tlskit.
type caCert struct {
	cert    *x509.Certificate
	subject string
	fp      string // SHA-256, lower-case hex
}

// colonFP is the fingerprint as keytool and tlskit's text print it: AA:BB:...
func (c caCert) colonFP() string {
	var parts []string
	for i := 0; i < len(c.fp); i += 2 {
		parts = append(parts, strings.ToUpper(c.fp[i:i+2]))
	}
	return strings.Join(parts, ":")
}

// fp16 is the start of the fingerprint tlskit names its entries with.
func (c caCert) fp16() string { return c.fp[:16] }

// nickname is the NSS nickname tlskit gives the CA.
func (c caCert) nickname() string { return c.cert.Subject.CommonName + " (" + c.fp16() + ")" }

// makeCA makes a CA in e.dir/ca with `tlskit ca create` and reads its certificate.
// testCAName names every CA these tests make, so one left in a real store by a run that was
// killed (a go test timeout skips cleanups) is told from a person's own tlskit CA.
const testCAName = "tlskit e2e trust-store test CA"

func (e *env) makeCA(t *testing.T) caCert {
	t.Helper()
	e.tlskit(t, 0, "ca", "create", "--dir", "ca", "--cn", testCAName)
	if t.Failed() {
		t.FailNow()
	}
	return readCA(t, filepath.Join(e.dir, "ca", "ca.pem"))
}

func readCA(t *testing.T, path string) caCert {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := e2etest.PEMBlocks(data, "CERTIFICATE")
	if len(blocks) != 1 {
		t.Fatalf("%s: %d certificates, want 1", path, len(blocks))
	}
	c, err := x509.ParseCertificate(blocks[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(c.Raw)
	return caCert{cert: c, subject: c.Subject.String(), fp: hex.EncodeToString(sum[:])}
}

// serve issues a localhost leaf from the CA and serves it with `tlskit serve`.
func (e *env) serve(t *testing.T) *e2etest.Server {
	t.Helper()
	e2etest.Localhost(t)
	e.tlskit(t, 0, "cert", "issue", "localhost", "127.0.0.1", "--ca-dir", "ca", "--out", "leaf.pem", "--key-out", "leaf-key.pem")
	if t.Failed() {
		t.FailNow()
	}
	return e2etest.StartServe(t, e.dir, "--cert", "leaf.pem", "--key", "leaf-key.pem")
}

// clientEnv is the environment of a client that must use its default trust: the test's, with
// HOME replaced and without the variables that point a TLS library at a CA file or directory
// (this machine sets SSL_CERT_FILE, CURL_CA_BUNDLE and the like) or at a proxy.
func clientEnv(home string, extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		u := strings.ToUpper(k)
		switch {
		case k == "HOME", strings.HasPrefix(u, "SSL_CERT_"), strings.HasSuffix(u, "_CA_BUNDLE"),
			strings.HasSuffix(u, "_CA_CERTS"), strings.HasSuffix(u, "_CAINFO"), strings.HasSuffix(u, "_CERT_FILE"),
			u == "PIP_CERT", u == "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", strings.HasSuffix(u, "_PROXY"):
			continue
		}
		out = append(out, kv)
	}
	return append(append(out, "HOME="+home), extra...)
}

// probe runs a client with env as its whole environment, in its own process group that is
// killed at the timeout, and reports what it did; Code is -1 when it was killed.
func probe(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) e2etest.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Dir, c.Env = dir, env
	c.Stdin = strings.NewReader("")
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 2 * time.Second
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	r := e2etest.Result{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.Code = -1
		r.Stderr += fmt.Sprintf("\n(killed after %v)", timeout)
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("running %s %v: %v", name, args, err)
	}
	return r
}

// lastLines is the end of a long output, for a failure message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// sameBytes fails the test unless the file still holds want.
func sameBytes(t *testing.T, what, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if string(got) != string(want) {
		t.Errorf("%s: %s changed (%d bytes before, %d after)", what, path, len(want), len(got))
	}
}

// machineTrust serialises this process's tests that read or change the machine's trust.
var machineTrust sync.Mutex

// lockMachineTrust holds, until the test ends (its last cleanup), a lock that every run of
// these tests on this machine takes before it reads or changes the machine's own trust (the
// system store, the JDK's cacerts): two checkouts running this package at once would otherwise
// see each other's CA in their before-and-after comparisons. Others changing the trust
// meanwhile (a person, another tool) are not kept out, and would show as a difference.
//
// Within this process the tests that take it run one at a time (machineTrust: a second flock
// from the same process would conflict with the first), while the others run beside them.
func lockMachineTrust(t *testing.T) {
	t.Helper()
	machineTrust.Lock()
	t.Cleanup(machineTrust.Unlock) // registered first, so it runs last
	path := filepath.Join(os.TempDir(), "tlskit-e2e-machine-trust.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Since(start) > 3*time.Minute {
			f.Close()
			t.Fatalf("locking %s (held by another run of these tests?): %v after %v", path, err, time.Since(start).Round(time.Second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("waited %v for %s", waited.Round(time.Millisecond), path)
	}
	t.Cleanup(func() { f.Close() })
}
