//go:build linux

package serve

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
)

// Hostile files at the --cert/--key paths of a running `tlskit serve` (issue #12, item 7): a
// named pipe used to block the reload watcher forever (later SIGHUPs were ignored), a 3 GB
// file was read whole every second (7.6 GB RSS), and a broken file was warned about every
// second. Now each is refused with one warning per change on disk, the old certificate keeps
// being served, and a good certificate put back is reloaded.

const reloadWarning = "certificate reload failed, still serving the previous certificates"

// servedDER is the leaf a new connection gets.
func servedDER(t *testing.T, addr string) []byte {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("new connection: %v", err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].Raw
}

func fileDER(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	return b.Bytes
}

// rssOf samples the process's resident memory every 50 ms and keeps the peak; past 512 MiB it
// kills the process (the old code would go on to several GB).
func rssOf(t *testing.T, pid int) (peak func() int64) {
	var max atomic.Int64
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				return
			}
			for _, l := range strings.Split(string(data), "\n") {
				if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					if kb*1024 > max.Load() {
						max.Store(kb * 1024)
					}
					if kb > 512<<10 {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return max.Load
}

// swapFile renames what make creates at a temporary name over path.
func swapFile(t *testing.T, path string, make func(tmp string) error) {
	t.Helper()
	tmp := path + ".tmp"
	if err := make(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestServeReloadHostileFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "127.0.0.1", "--out", name+".pem", "--key-out", name+"-key.pem")
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	copyFile := func(from, to string) {
		t.Helper()
		swapFile(t, to, func(tmp string) error {
			data, err := os.ReadFile(filepath.Join(dir, from))
			if err != nil {
				return err
			}
			return os.WriteFile(tmp, data, 0o600)
		})
	}
	copyFile("a.pem", certFile)
	copyFile("a-key.pem", keyFile)
	oldDER := fileDER(t, certFile)

	// The watcher looks every 50 ms (e2etest.FastWatchPoll) instead of every second, so each
	// step waits a few polls, not seconds.
	s := e2etest.StartServeEnv(t, dir, []string{e2etest.FastWatchPoll}, "--cert", certFile, "--key", keyFile)
	peak := rssOf(t, s.Cmd.Process.Pid)
	warnings := func() int { return strings.Count(s.Stderr.String(), reloadWarning) }
	// waitWarnings waits up to 3 s for the count to reach want, then (when again) four more
	// polls (200 ms) to see that it stays there.
	waitWarnings := func(step string, want int, again bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); warnings() < want && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if got := warnings(); got < want {
			t.Errorf("%s: %d reload warnings, want %d (is the watcher stuck?)\nstderr:\n%s", step, got, want, s.Stderr.String())
			return
		}
		if !again {
			return
		}
		time.Sleep(200 * time.Millisecond)
		if got := warnings(); got != want {
			t.Errorf("%s: %d reload warnings after another poll, want %d (one per change)\nstderr:\n%s", step, got, want, s.Stderr.String())
		}
	}
	stillOld := func(step string) {
		t.Helper()
		if !bytes.Equal(servedDER(t, s.Addr()), oldDER) {
			t.Errorf("%s: a new connection no longer gets the old certificate", step)
		}
	}

	// 1. A named pipe at the certificate's path.
	swapFile(t, certFile, func(tmp string) error { return syscall.Mkfifo(tmp, 0o600) })
	waitWarnings("fifo", 1, true)
	if !strings.Contains(s.Stderr.String(), certFile+": not a regular file (a named pipe)") {
		t.Errorf("fifo: the warning does not say what is wrong:\n%s", s.Stderr.String())
	}
	stillOld("fifo")
	// SIGHUP is always answered: one more attempt, one more warning.
	s.Cmd.Process.Signal(syscall.SIGHUP)
	waitWarnings("SIGHUP with the fifo", 2, false)

	// 2. A 3 GB file (sparse: no disk).
	swapFile(t, certFile, func(tmp string) error {
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(3 << 30)
	})
	waitWarnings("3 GB file", 3, true)
	if !strings.Contains(s.Stderr.String(), "file too large (3221225472 bytes, the limit is 1048576)") {
		t.Errorf("3 GB file: the warning does not say what is wrong:\n%s", s.Stderr.String())
	}
	stillOld("3 GB file")
	t.Logf("peak RSS with a 3 GB certificate file: %.1f MiB", float64(peak())/(1<<20))
	if p := peak(); p > 100<<20 {
		t.Errorf("peak RSS %.0f MiB, want under 100 MiB: the 3 GB file was read", float64(p)/(1<<20))
	}

	// 3. A good certificate back (key first: a poll between the two renames may warn once
	// about the mismatch, which is fine).
	copyFile("b-key.pem", keyFile)
	copyFile("b.pem", certFile)
	newDER := fileDER(t, certFile)
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(s.Stderr.String(), "certificates reloaded") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.Stderr.String(), "certificates reloaded") {
		t.Errorf("no \"certificates reloaded\" within 3 s of putting a good certificate back\nstderr:\n%s", s.Stderr.String())
	} else if !bytes.Equal(servedDER(t, s.Addr()), newDER) {
		t.Errorf("after the reload a new connection does not get the new certificate")
	}
}

// The same files at start-up: one error line, exit 1, at once (a named pipe used to hang serve
// before it listened, /dev/zero to read forever).
func TestServeStartHostileCert(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "--out", "c.pem", "--key-out", "k.pem")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "huge.pem"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(3 << 30)
	f.Close()
	os.Mkdir(filepath.Join(dir, "adir"), 0o700)
	cases := []struct {
		name, cert, key, want string
	}{
		{"fifo as cert", "fifo", "k.pem", "tlskit: loading certificates: fifo: not a regular file (a named pipe)"},
		{"fifo as key", "c.pem", "fifo", "tlskit: loading certificates: fifo: not a regular file (a named pipe)"},
		{"/dev/zero as key", "c.pem", "/dev/zero", "tlskit: loading certificates: /dev/zero: not a regular file (a character device)"},
		{"directory as cert", "adir", "k.pem", "tlskit: loading certificates: adir: not a regular file (a directory)"},
		{"3 GB cert", "huge.pem", "k.pem", "tlskit: loading certificates: huge.pem: file too large (3221225472 bytes, the limit is 1048576)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, e2etest.Binary(), "serve", "--addr", "127.0.0.1:0", "--cert", tc.cert, "--key", tc.key)
			c.Dir = dir
			c.Env = append(os.Environ(), "NO_COLOR=1")
			var out, errOut strings.Builder
			c.Stdout, c.Stderr = &out, &errOut
			err := c.Run()
			if ctx.Err() != nil {
				t.Fatalf("serve still running after 3 s (killed); stdout %q", out.String())
			}
			code := c.ProcessState.ExitCode()
			if code != 1 || strings.TrimSpace(errOut.String()) != tc.want || out.String() != "" {
				t.Errorf("exit %d (%v), stdout %q, stderr:\n%s\nwant exit 1 and only %q", code, err, out.String(), errOut.String(), tc.want)
			}
		})
	}
}
