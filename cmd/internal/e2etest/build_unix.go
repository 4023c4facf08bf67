//go:build unix

package e2etest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// The build information the tests stamp into the binary with -ldflags, as a release does.
const (
	StampedVersion = "v9.8.7"
	StampedCommit  = "abc123"
	StampedDate    = "2026-11-27T00:00:00Z"
)

// Parallel is how many end-to-end tests of a package run at once unless -parallel says
// otherwise. They spend most of their time waiting on processes and peers (user+sys is 70% of
// wall time with 8), so the default of GOMAXPROCS (2 here) left the machine idle: 41 s at 2,
// 33 s at 8 when they were one package.
const Parallel = 8

var (
	binary, moduleDir string
	consulted         sync.Once
)

// Binary is the path of the tlskit binary Main built. Its first call, inside a test (where
// `go test` records what the test binary opens; TestMain's own opens are not), consults the
// sources the binary is made of (consultSources).
func Binary() string {
	if binary == "" {
		panic("e2etest: Binary called without e2etest.Main as the package's TestMain")
	}
	consulted.Do(func() {
		if err := consultSources(moduleDir); err != nil {
			panic("e2etest: reading the module's sources: " + err.Error())
		}
	})
	return binary
}

// Main is the TestMain of every end-to-end package: it sets -test.parallel to Parallel unless
// given, builds tlskit from the module root, and runs the tests, with a directory for their
// Fixtures that it removes afterwards.
func Main(m *testing.M) {
	flag.Parse()
	peertest.DefaultParallel(Parallel)
	bin, err := build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2etest: building tlskit:", err)
		os.Exit(2)
	}
	binary = bin
	// Every run encrypts keys at a test cost unless a test asks for the release one
	// (FullKDFCost); see cmd/kdfcost_e2e.go.
	os.Setenv(kdfIterationsEnv, strconv.Itoa(TestKDFIterations))
	root, err := os.MkdirTemp("", "tlskit-e2e-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2etest:", err)
		os.Exit(2)
	}
	fixtureRoot = root
	// No test uses (or makes) the default CA of the user running the tests: a CA there would
	// have serve issue its certificate from it, and ca create without --dir would write there.
	// A test that wants a default CA gives XDG_DATA_HOME of its own.
	os.Setenv("XDG_DATA_HOME", filepath.Join(root, "xdg-data"))
	code := m.Run()
	os.RemoveAll(root)
	os.Exit(code)
}

// kdfIterationsEnv and TestKDFIterations are the end-to-end binary's PBKDF2 cost
// (cmd/kdfcost_e2e.go): 600 times cheaper than the release cost, still a real PBKDF2 that
// OpenSSL reads.
const (
	kdfIterationsEnv  = "TLSKIT_E2E_KDF_ITERATIONS"
	TestKDFIterations = 1000
)

// FullKDFCost is the environment entry (for RunTlskit) that gives a run the release PBKDF2
// cost: the binary's default when the variable is empty.
const FullKDFCost = kdfIterationsEnv + "="

// build builds tlskit with the stamped build information into a directory shared by every
// end-to-end package of this checkout, under a lock: the first package of a `go test ./...`
// links it (0.9 s), the others of that run take it as it is (goTestRun), and a later run asks
// go build, which finds it up to date (0.3 s) or links it anew.
func build() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	moduleDir = root
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tlskit-e2e-%d-%x", os.Getuid(), sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	bin := filepath.Join(dir, "tlskit")
	// Within one `go test` run (the test binaries' parent), the sources are what go test
	// compiled at its start: a binary this run built is current, and the other packages skip
	// the 0.3 s of asking go build again.
	stampFile, stamp := filepath.Join(dir, "built-by"), goTestRun()
	if got, err := os.ReadFile(stampFile); err == nil && stamp != "" && string(got) == stamp {
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	os.Remove(stampFile)
	c := exec.Command("go", "build", "-trimpath", "-tags", "tlskit_e2e",
		"-ldflags", "-X main.version="+StampedVersion+" -X main.commit="+StampedCommit+" -X main.date="+StampedDate,
		"-o", bin, ".")
	c.Dir = root
	c.Stderr = os.Stderr
	if err := c.Run(); err != nil {
		return "", err
	}
	if stamp != "" {
		os.WriteFile(stampFile, []byte(stamp), 0o600)
	}
	return bin, nil
}

// moduleRoot is the nearest directory above the working directory (the test's package) that
// holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above " + dir)
		}
		dir = parent
	}
}

// goTestRun names the `go test` run this test binary belongs to: its parent's process ID and
// start time (so a reused ID is another run), from /proc; "" where there is no /proc.
func goTestRun() string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", os.Getppid()))
	if err != nil {
		return ""
	}
	// The command name, in parentheses, may hold spaces; the fields after it are plain.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 20 {
		return ""
	}
	return strconv.Itoa(os.Getppid()) + " " + fields[19] // field 22, starttime
}

// consultSources opens every Go source file of the module, and go.mod and go.sum: `go test`
// records the files a test opens and reruns it, rather than reusing a cached result, when one
// of them has changed, so a change to anything the built tlskit is made of reruns the
// end-to-end tests. (Importing cmd had the same effect, at the price of linking the whole CLI
// into each of the eight test binaries: 0.5-1 s of a build slot each.)
func consultSources(root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if name := d.Name(); !strings.HasSuffix(name, ".go") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		return f.Close()
	})
}
