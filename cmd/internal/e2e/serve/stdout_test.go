//go:build linux

package serve

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"golang.org/x/sys/unix"
)

// What `tlskit serve` does when its stdout misbehaves (issue #12, item 6): a reader that goes
// away (`tlskit serve | head -1`) stops the connection log, not the server; a reader that never
// reads does not keep SIGTERM from ending the process within the promised 5 s drain.

// pipedServer is a `tlskit serve` whose stdout is a pipe the test holds the read end of.
type pipedServer struct {
	*e2etest.Process // stdout: the URL line has been read from it, the rest is the test's
	addr             string
}

// urlInLine finds the address in the URL line, text or JSON.
var urlInLine = regexp.MustCompile(`https://(127\.0\.0\.1:\d+)/`)

// startPiped starts serve with its stdout a pipe, reads the URL line, and leaves the rest of the
// pipe to the test. The process group is killed when the test ends, whatever happened.
func startPiped(t *testing.T, args ...string) *pipedServer {
	t.Helper()
	s := &pipedServer{Process: e2etest.StartServeProcess(t, t.TempDir(), args...)}
	pr := s.Stdout
	t.Cleanup(func() {
		syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		<-s.Exited
		pr.Close()
	})
	// Byte by byte, so nothing after the URL line is taken out of the pipe.
	line, err := bufio.NewReaderSize(io.LimitReader(pr, 200), 16).ReadString('\n')
	m := urlInLine.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("first stdout line %q (%v); stderr:\n%s", line, err, s.Stderr.String())
	}
	s.addr = m[1]
	return s
}

// stop sends SIGTERM and returns how long the process took to exit (it is killed after 10 s).
func (s *pipedServer) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.Exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		<-s.Exited
		t.Errorf("serve still running 10 s after SIGTERM (killed)")
	}
	return time.Since(start)
}

// getOnce makes one HTTPS request on a new connection (each connection is one log line).
func getOnce(addr string) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// `tlskit serve | head -1`: the reader closes the pipe after the URL line. The first
// connection's log line used to kill the server with SIGPIPE; now the log stops with one
// warning and every later connection is served.
func TestServeStdoutClosedKeepsServing(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			s := startPiped(t, "-o", format)
			s.Stdout.Close()
			const warning = "tlskit: warning: stdout closed; connection log stopped"
			if err := getOnce(s.addr); err != nil {
				select {
				case <-s.Exited:
				case <-time.After(time.Second):
				}
				t.Fatalf("first request after stdout closed: %v (serve: %s)", err, s.Status)
			}
			for deadline := time.Now().Add(3 * time.Second); !strings.Contains(s.Stderr.String(), warning); time.Sleep(20 * time.Millisecond) {
				select {
				case <-s.Exited:
					t.Fatalf("serve ended (%s) at its first log line after stdout closed; stderr:\n%s", s.Status, s.Stderr.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("no %q within 3 s; stderr:\n%s", warning, s.Stderr.String())
				}
			}
			for i := range 5 {
				if err := getOnce(s.addr); err != nil {
					t.Fatalf("request %d after stdout closed: %v (serve: %s)", i+2, err, s.Status)
				}
			}
			if took := s.stop(t); s.Code != 0 {
				t.Errorf("after SIGTERM: %s in %v, want exit 0", s.Status, took)
			}
			if n := strings.Count(s.Stderr.String(), warning); n != 1 {
				t.Errorf("the warning came %d times, want once; stderr:\n%s", n, s.Stderr.String())
			}
		})
	}
}

// A reader that never reads: the pipe (64 KiB) and the log queue fill up, the log writer
// blocks in write(2), and SIGTERM must still end serve with exit 0 within the 5 s drain plus
// a 1 s margin (it used to wait for the writer forever).
func TestServeStdoutNeverReadStopsWithin6s(t *testing.T) {
	t.Parallel() // takes about 1 s of its 6 s bound, also with the package's other tests beside it
	s := startPiped(t)
	fd := int(s.Stdout.Fd())
	// A connection that is not TLS is one quick log line (a handshake error).
	hit := func() {
		c, err := net.DialTimeout("tcp", s.addr, 2*time.Second)
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		io.Copy(io.Discard, c)
		c.Close()
	}
	full, last := false, -1
	for sent := 0; sent < 6000 && !full; {
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() { defer wg.Done(); hit() }()
		}
		wg.Wait()
		sent += 100
		n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD: bytes unread in the pipe
		if err != nil {
			t.Fatalf("TIOCINQ: %v", err)
		}
		// Full: the unread bytes stopped growing while lines kept coming, so the writer is
		// blocked. Not a byte count: the pipe holds 16 pages, and writes that do not fill
		// theirs leave it full at anything from about 48 to 64 KiB (a bound of 60 KiB missed
		// a pipe full at 61 203 bytes now and then).
		full = n >= 32<<10 && n == last
		last = n
		if full {
			t.Logf("stdout pipe full (%d bytes unread) after %d connections", n, sent)
		}
	}
	if !full {
		t.Fatalf("the stdout pipe never filled; serve: %s; stderr:\n%s", s.Status, s.Stderr.String())
	}
	// More lines than the log's buffer and queue hold, so its writer is surely blocked.
	for range 10 {
		var wg sync.WaitGroup
		for range 100 {
			wg.Add(1)
			go func() { defer wg.Done(); hit() }()
		}
		wg.Wait()
	}
	took := s.stop(t)
	t.Logf("exited %v after SIGTERM (%s)", took.Round(10*time.Millisecond), s.Status)
	if s.Code != 0 || took > 6*time.Second {
		t.Errorf("SIGTERM with stdout never read: %s after %v, want exit 0 within 6 s; stderr:\n%s", s.Status, took, s.Stderr.String())
	}
	if !strings.Contains(s.Stderr.String(), "stdout is not being read") {
		t.Errorf("no warning that stdout is not being read; stderr:\n%s", s.Stderr.String())
	}
}

// Every other command keeps Unix's answer to a reader that went away: the process ends by
// SIGPIPE, silently (no Go panic, no error line), as `tlskit inspect ... | head -1` does. serve
// too, when stdout is gone before its URL line; a URL line that cannot be written for another
// reason is an error, exit 1.
func TestStdoutClosedOtherCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "--out", "c.pem", "--key-out", "k.pem")
	cases := []struct {
		name   string
		args   []string
		stdout string // "closed" (a pipe whose reader is gone) or "full" (/dev/full)
		want   string // "SIGPIPE" or the error line's start
	}{
		{"inspect", []string{"inspect", "c.pem"}, "closed", "SIGPIPE"},
		{"inspect json", []string{"inspect", "c.pem", "-o", "json"}, "closed", "SIGPIPE"},
		{"version", []string{"version"}, "closed", "SIGPIPE"},
		{"serve before its URL", []string{"serve", "--addr", "127.0.0.1:0"}, "closed", "SIGPIPE"},
		{"serve URL to /dev/full", []string{"serve", "--addr", "127.0.0.1:0"}, "full", "tlskit: /dev/stdout: no space left on device"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := exec.Command(e2etest.Binary(), tc.args...)
			c.Dir = dir
			c.Env = append(os.Environ(), "NO_COLOR=1")
			var errOut strings.Builder
			c.Stderr = &errOut
			switch tc.stdout {
			case "closed":
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				pr.Close()
				defer pw.Close()
				c.Stdout = pw
			case "full":
				f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
				if err != nil {
					t.Skipf("no /dev/full: %v", err)
				}
				defer f.Close()
				c.Stdout = f
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				c.Process.Kill()
				<-done
				t.Fatalf("still running after 10 s")
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("exit %v, want a failure", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			stderr := errOut.String()
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("a Go panic on stderr:\n%s", stderr)
			}
			if tc.want == "SIGPIPE" {
				if !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
					t.Errorf("ended with %v, want killed by SIGPIPE; stderr:\n%s", err, stderr)
				}
				// The ephemeral certificate's line is information (it carries the prefix as
				// every diagnostic does); anything else is an error or a warning.
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if line != "" && !strings.HasPrefix(line, "tlskit: ephemeral certificate for ") {
						t.Errorf("an error or warning on stderr:\n%s", stderr)
						break
					}
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if ee.ExitCode() != 1 || !strings.HasPrefix(lines[len(lines)-1], tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and a last line starting %q", ee.ExitCode(), stderr, tc.want)
			}
		})
	}
}

// startCAServe starts `tlskit ca serve` on a new CA with stdout a pipe, reads its URL line
// byte by byte, and returns it with the responder's address.
func startCAServe(t *testing.T) *pipedServer {
	t.Helper()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	s := &pipedServer{Process: e2etest.StartProcess(t, dir, "ca", "serve", "--ca-dir", "ca", "--addr", "127.0.0.1:0")}
	pr := s.Stdout
	t.Cleanup(func() {
		syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		<-s.Exited
		pr.Close()
	})
	line, err := bufio.NewReaderSize(io.LimitReader(pr, 200), 16).ReadString('\n')
	m := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("first stdout line %q (%v); stderr:\n%s", line, err, s.Stderr.String())
	}
	s.addr = m[1]
	return s
}

// ocspFlood posts n requests that are not OCSP (each is answered malformedRequest and logged)
// over a few keep-alive connections, and returns how many were answered.
func ocspFlood(addr string, n int) int {
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	var answered atomic.Int32
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				resp, err := client.Post("http://"+addr+"/", "application/ocsp-request", strings.NewReader("not an OCSP request"))
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(answered.Load())
}

// ca serve logs through serve's request log (cmd/servelog.go). With stdout never read, the
// pipe fills and the log's writer blocks; requests are still answered and SIGTERM ends it with
// exit 0 within 4 s. Before, its one loop wrote the log line itself: the first blocked write
// stopped it from seeing SIGTERM at all (still running 10 s later) and answers queued behind it.
func TestCAServeStdoutNeverReadStops(t *testing.T) {
	t.Parallel() // takes about 1 s of its 4 s bound, also with the package's other tests beside it
	s := startCAServe(t)
	fd := int(s.Stdout.Fd())
	full, last := false, -1
	for sent := 0; sent < 20000 && !full; sent += 500 {
		ocspFlood(s.addr, 500)
		n, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
		if err != nil {
			t.Fatalf("TIOCINQ: %v", err)
		}
		full, last = n >= 32<<10 && n == last, n
	}
	if !full {
		t.Fatalf("the stdout pipe never filled; stderr:\n%s", s.Stderr.String())
	}
	if got := ocspFlood(s.addr, 200); got != 200 {
		t.Errorf("with stdout full, %d of 200 requests answered", got)
	}
	took := s.stop(t)
	t.Logf("exited %v after SIGTERM (%s)", took.Round(10*time.Millisecond), s.Status)
	if s.Code != 0 || took > 4*time.Second {
		t.Errorf("SIGTERM with stdout never read: %s after %v, want exit 0 within 4 s; stderr:\n%s", s.Status, took, s.Stderr.String())
	}
}

// `tlskit ca serve | head -1`: once the reader is gone the log stops with one warning and the
// responder goes on answering (it used to die of SIGPIPE at the first request).
func TestCAServeStdoutClosedKeepsServing(t *testing.T) {
	s := startCAServe(t)
	s.Stdout.Close()
	const warning = "tlskit: warning: stdout closed; connection log stopped"
	if got := ocspFlood(s.addr, 20); got != 20 {
		t.Fatalf("%d of 20 requests answered after stdout closed (%s); stderr:\n%s", got, s.Status, s.Stderr.String())
	}
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(s.Stderr.String(), warning) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if got := ocspFlood(s.addr, 20); got != 20 {
		t.Errorf("%d of 20 requests answered after the log stopped (%s)", got, s.Status)
	}
	if took := s.stop(t); s.Code != 0 {
		t.Errorf("after SIGTERM: %s in %v, want exit 0", s.Status, took)
	}
	if n := strings.Count(s.Stderr.String(), warning); n != 1 {
		t.Errorf("the warning came %d times, want once; stderr:\n%s", n, s.Stderr.String())
	}
}
