//go:build unix

package e2etest

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// Result is what a process did.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Exec runs name with args in dir, with stdin as its input (closed when empty) and env added to
// the test's environment, and reports its output and exit code. A failure to start the process
// at all fails the test. Every reference tool (anything but tlskit: openssl itself, or a shell
// or faketime that runs it) gets peertest.OpenSSLEnv first, which cuts the CPU of an `openssl
// x509` from 23 to 5 ms (74 of them in e2e/cert alone); a test's own env still wins.
func Exec(t testing.TB, dir, stdin string, env []string, name string, args ...string) Result {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = os.Environ()
	if name != binary {
		c.Env = append(c.Env, peertest.OpenSSLEnv...)
	}
	c.Env = append(c.Env, env...)
	c.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	r := Result{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("running %s %v: %v", name, args, err)
	}
	return r
}

// RunTlskit runs the tlskit binary in dir with env added.
func RunTlskit(t testing.TB, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r := Exec(t, dir, "", env, Binary(), args...)
	return r.Stdout, r.Stderr, r.Code
}

// Tlskit runs tlskit in dir with NO_COLOR=1 and fails the test unless it exits 0; it returns
// stdout.
func Tlskit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, errOut, code := RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
	if code != 0 {
		t.Fatalf("tlskit %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TlskitFails runs tlskit in dir with NO_COLOR=1 and fails the test if it exits 0; it returns
// the result.
func TlskitFails(t testing.TB, dir string, args ...string) Result {
	t.Helper()
	out, errOut, code := RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
	if code == 0 {
		t.Errorf("tlskit %s: exit 0, want a failure\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return Result{Stdout: out, Stderr: errOut, Code: code}
}

// ErrorLine checks a failed run: the exit code, and stderr being exactly one "tlskit: " line
// naming file (plus, with hint, a "tlskit: hint: " line), with no panic.
func ErrorLine(t testing.TB, what string, r Result, wantCode int, file string, hint bool) {
	t.Helper()
	if r.Code != wantCode {
		t.Errorf("%s: exit %d, want %d\nstderr:\n%s", what, r.Code, wantCode, r.Stderr)
	}
	if strings.Contains(r.Stderr, "panic") || strings.Contains(r.Stderr, "goroutine ") {
		t.Errorf("BUG: %s: panicked:\n%s", what, r.Stderr)
		return
	}
	lines := strings.Split(strings.TrimRight(r.Stderr, "\n"), "\n")
	want := 1
	if hint {
		want = 2
	}
	if len(lines) != want {
		t.Errorf("%s: stderr has %d lines, want %d:\n%s", what, len(lines), want, r.Stderr)
		return
	}
	if !strings.HasPrefix(lines[0], "tlskit: ") {
		t.Errorf("%s: error %q does not start with \"tlskit: \"", what, lines[0])
	}
	if file != "" && !strings.Contains(lines[0], file) {
		t.Errorf("%s: error %q does not name %s", what, lines[0], file)
	}
	if hint && !strings.HasPrefix(lines[1], "tlskit: hint: ") {
		t.Errorf("%s: second line %q is not a hint", what, lines[1])
	}
}

var (
	localhostOnce    sync.Once
	localhostProblem string
)

// Localhost skips the test unless "localhost" resolves to 127.0.0.1 here, which targets such as
// localhost:PORT (so that the certificate names match) rely on to reach the servers.
func Localhost(t testing.TB) {
	t.Helper()
	localhostOnce.Do(func() {
		addrs, err := net.LookupHost("localhost")
		if err != nil {
			localhostProblem = "cannot resolve localhost: " + err.Error()
			return
		}
		for _, a := range addrs {
			if a == "127.0.0.1" {
				return
			}
		}
		localhostProblem = "localhost resolves to " + strings.Join(addrs, ", ") + ", not 127.0.0.1"
	})
	if localhostProblem != "" {
		t.Skip(localhostProblem)
	}
}
