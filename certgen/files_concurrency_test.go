//go:build unix

package certgen

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Concurrent writers of the same certificate and key, and writers killed between staging and
// publishing. Before the directory lock, 12 concurrent `cert issue --force` published a
// certificate and a key of different runs in 4 of 15 rounds; before O_TMPFILE and the sweep, a
// writer killed after staging left its staged files (one a complete private key) for good.

// pairFiles is a certificate and a key that say which writer wrote them.
func pairFiles(dir, token string) []OutputFile {
	return []OutputFile{
		{Path: filepath.Join(dir, "cert.pem"), Data: []byte("certificate of " + token + "\n"), Mode: 0o644, Kind: "certificate"},
		{Path: filepath.Join(dir, "key.pem"), Data: []byte("key of " + token + "\n"), Mode: 0o600, Kind: "private key"},
	}
}

// checkPair fails unless the published certificate and key come from the same writer.
func checkPair(t *testing.T, dir string, round int) {
	t.Helper()
	cert, err1 := os.ReadFile(filepath.Join(dir, "cert.pem"))
	key, err2 := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err1 != nil || err2 != nil {
		t.Fatalf("round %d: %v %v", round, err1, err2)
	}
	c, k := strings.TrimPrefix(string(cert), "certificate of "), strings.TrimPrefix(string(key), "key of ")
	if c != k {
		t.Fatalf("round %d: the certificate is %q's, the key %q's", round, strings.TrimSpace(c), strings.TrimSpace(k))
	}
}

// rounds is the number of rounds of the concurrency tests: short in CI, long with TLSKIT_LONG=1.
func rounds() int {
	if os.Getenv("TLSKIT_LONG") == "1" {
		return 200
	}
	return 15
}

// TestWriteFilesConcurrentForceKeepsPairs: 12 goroutines write the same pair with force, all
// released at once, every round; the pair published must always be one writer's.
func TestWriteFilesConcurrentForceKeepsPairs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const writers = 12
	for r := range rounds() {
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- WriteFiles(pairFiles(dir, fmt.Sprintf("writer %d round %d", w, r)), true)
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", r, err)
			}
		}
		checkPair(t, dir, r)
	}
	checkNoTemp(t, dir)
}

// TestWriteFilesConcurrentProcessesKeepPairs is the same with processes (this test binary, run
// as a writer), which share nothing but the directory.
func TestWriteFilesConcurrentProcessesKeepPairs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const writers = 12
	for r := range rounds() / 3 {
		// Started one by one, they would rarely overlap: they all begin writing at the same
		// time, 100 ms from now. They are started at once, which takes 30-50 ms here (one by
		// one it was 150-180 ms, and the gate 200 ms).
		at := time.Now().Add(100 * time.Millisecond).UnixNano()
		cmds := make([]*exec.Cmd, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			cmds[w] = writerProcess(t, dir, fmt.Sprintf("process %d round %d", w, r), "force")
			cmds[w].Env = append(cmds[w].Env, fmt.Sprintf("TLSKIT_TEST_WRITER_AT=%d", at))
			wg.Add(1)
			go func() { defer wg.Done(); errs[w] = cmds[w].Start() }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("round %d: writer: %v: %s", r, err, cmd.Stderr)
			}
		}
		checkPair(t, dir, r)
	}
	checkNoTemp(t, dir)
}

// writerProcess runs TestWriteFilesHelperProcess in a child: it writes pairFiles(dir, token),
// with mode saying how ("force"; "pause" stops between staging and publishing until killed;
// "named" stages named files, as without O_TMPFILE).
func writerProcess(t *testing.T, dir, token, mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteFilesHelperProcess$")
	cmd.Env = append(os.Environ(), "TLSKIT_TEST_WRITER="+dir, "TLSKIT_TEST_WRITER_TOKEN="+token, "TLSKIT_TEST_WRITER_MODE="+mode)
	cmd.Stderr = &strings.Builder{}
	return cmd
}

// TestWriteFilesHelperProcess is the child of writerProcess; run on its own it does nothing.
func TestWriteFilesHelperProcess(t *testing.T) {
	dir, ok := os.LookupEnv("TLSKIT_TEST_WRITER")
	if !ok {
		t.Skip("a helper for other tests")
	}
	token, mode := os.Getenv("TLSKIT_TEST_WRITER_TOKEN"), os.Getenv("TLSKIT_TEST_WRITER_MODE")
	if at, err := strconv.ParseInt(os.Getenv("TLSKIT_TEST_WRITER_AT"), 10, 64); err == nil {
		time.Sleep(time.Until(time.Unix(0, at)))
	}
	o := osOps
	if strings.Contains(mode, "named") {
		o = namedStaging(o)
	}
	if strings.Contains(mode, "pause") {
		o.staged = func() {
			fmt.Println("staged")
			time.Sleep(time.Minute)
		}
	}
	if err := o.writeFiles(pairFiles(dir, token), strings.Contains(mode, "force")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// killAfterStaging starts a writer that pauses between staging and publishing, and kills it
// there with SIGKILL.
func killAfterStaging(t *testing.T, dir, mode string) {
	t.Helper()
	cmd := writerProcess(t, dir, "killed", "pause "+mode)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "staged\n" {
		cmd.Process.Kill()
		t.Fatalf("writer said %q (%v): %s", line, err, cmd.Stderr)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	if names := tempFiles(t, dir); len(names) != 0 {
		t.Fatalf("temporary files left in %s: %q", dir, names)
	}
}

// TestWriteFilesKilledWriterLeavesNothing: on Linux the staged files are unnamed, so a writer
// killed with SIGKILL between staging and publishing leaves no file at all.
func TestWriteFilesKilledWriterLeavesNothing(t *testing.T) {
	t.Parallel()
	if osOps.openTmpfile == nil {
		t.Skip("no O_TMPFILE on this system: TestWriteFilesSweepsStaleTemps covers it")
	}
	for _, mode := range []string{"", "force"} {
		dir := t.TempDir()
		probe, err := osOps.openTmpfile(dir)
		if err != nil {
			t.Skipf("no O_TMPFILE on this filesystem (%v): TestWriteFilesSweepsStaleTemps covers it", err)
		}
		probe.Close()
		killAfterStaging(t, dir, mode)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("mode %q: the killed writer left %d files, first %s", mode, len(entries), entries[0].Name())
		}
	}
}

// TestWriteFilesSweepsStaleTemps: where staged files are named (no O_TMPFILE), a killed writer
// leaves them, and the next write to the directory removes them once they are staleTempAge old;
// never a fresh one (a writer may be about to publish it), another name, another user's file or
// anything but a regular file.
func TestWriteFilesSweepsStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	killAfterStaging(t, dir, "named")
	left := tempFiles(t, dir)
	if len(left) != 2 {
		t.Fatalf("the killed writer left %q, want its two staged files", left)
	}
	keyLeft := false
	for _, name := range left {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) == "key of killed\n" {
			keyLeft = true
		}
	}
	if !keyLeft {
		t.Fatal("the staged key is not among the leftovers; the test is not testing the sweep")
	}

	old := time.Now().Add(-staleTempAge - time.Minute)
	for _, name := range left {
		if err := os.Chtimes(filepath.Join(dir, name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	keep := map[string]func(path string){
		".tlskit-young.tmp": func(path string) { writeTestFile(t, path, "in flight", 0o600) },
		"tlskit-1.tmp":      func(path string) { writeTestFile(t, path, "not ours", 0o600); os.Chtimes(path, old, old) },
		".tlskit-dir.tmp":   func(path string) { mustMkdir(t, path); os.Chtimes(path, old, old) },
	}
	if os.Geteuid() == 0 {
		keep[".tlskit-other-user.tmp"] = func(path string) {
			writeTestFile(t, path, "someone else's", 0o600)
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(path, old, old)
		}
	}
	for name, create := range keep {
		create(filepath.Join(dir, name))
	}

	if err := WriteFiles(pairFiles(dir, "next"), true); err != nil {
		t.Fatal(err)
	}
	checkPair(t, dir, 0)
	for _, name := range left {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("stale %s was not swept", name)
		}
	}
	for name := range keep {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was swept: %v", name, err)
		}
	}
}

// TestWriteFilesLockWaitBounded: a writer that holds the directory (stopped, say) makes the next
// one fail after lockWait, not hang.
func TestWriteFilesLockWaitBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := flockWait(d, time.Second); err != nil {
		t.Fatal(err)
	}
	other, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	start := time.Now()
	if err := flockWait(other, 50*time.Millisecond); err != errLockBusy {
		t.Fatalf("err = %v, want errLockBusy", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("waited %v for a 50ms bound", waited)
	}
}
