// Package peertest finds the reference peers that interop tests run beside tlskit (openssl,
// gnutls-cli and gnutls-serv, curl, sslscan, testssl, nginx, dnsmasq, python3, faketime). A peer
// missing on a developer's machine skips the test that needs it, saying which; where .ci/run
// runs the tests (RequireEnv set, or CI) a missing peer fails it, since .ci/run installs every
// peer and a comparison that silently does not run proves nothing. Like net/http/httptest it is
// for tests only.
package peertest

import (
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// RequireEnv, set to 1 (as .ci/run does), turns a missing peer into a test failure.
const RequireEnv = "TLSKIT_REQUIRE_PEERS"

// Required reports whether a missing peer fails the test rather than skipping it.
func Required() bool {
	return os.Getenv(RequireEnv) == "1" || os.Getenv("CI") != ""
}

// Find returns the path of the peer command name on PATH, for a test that can go on without
// it (one client of several): where peers are required a missing one fails the test, on a
// developer's machine it is logged and Find reports false.
func Find(t testing.TB, name string) (string, bool) {
	t.Helper()
	path, err := lookPath(name)
	if err == nil {
		return path, true
	}
	if Required() {
		t.Fatalf("peer %s is not installed (.ci/run installs it; %s=1 or CI makes a missing peer a failure)", name, RequireEnv)
		return "", false
	}
	t.Logf("peer %s is not installed: that part is skipped (set %s=1 to fail instead)", name, RequireEnv)
	return "", false
}

// Need returns the path of the peer command name on PATH, or ends the test: a skip on a
// developer's machine, a failure where peers are required.
func Need(t testing.TB, name string) string {
	t.Helper()
	path, err := lookPath(name)
	if err == nil {
		return path
	}
	if Required() {
		t.Fatalf("peer %s is not installed (.ci/run installs it; %s=1 or CI makes a missing peer a failure)", name, RequireEnv)
		return ""
	}
	t.Skipf("peer %s is not installed: skipped (set %s=1 to fail instead)", name, RequireEnv)
	return ""
}

// sbinDirs are searched after PATH: daemons such as nginx are installed in /usr/sbin, which
// is on root's PATH but often not on other users'.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// lookPath is exec.LookPath, then the sbin directories for a bare command name.
func lookPath(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil || strings.ContainsRune(name, filepath.Separator) {
		return path, err
	}
	for _, dir := range sbinDirs {
		if p, perr := exec.LookPath(filepath.Join(dir, name)); perr == nil {
			return p, nil
		}
	}
	return "", err
}

// NoDNS is a resolver that answers from /etc/hosts only and fails any DNS query, so a test
// can never send one off the machine.
func NoDNS() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
}

// DefaultParallel sets how many parallel tests run at once when -parallel is not given, for a
// package's TestMain (after flag.Parse). Tests that wait on peers and processes leave the CPU
// idle at the default of GOMAXPROCS (2 on CI machines).
func DefaultParallel(n int) {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(n))
	}
}
