//go:build unix

package e2etest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// Process is a running serving command (`tlskit serve`, `tlskit ca serve`), in its own process
// group (so one kill reaches anything it started), with stderr collected and stdout a pipe whose
// read end the caller reads and closes. Exited is closed once it has ended; Status and Code then
// say how (Code -1 when a signal ended it).
type Process struct {
	Cmd    *exec.Cmd
	Args   []string         // the command line after the binary
	Stdout *os.File         // read end of the stdout pipe
	Stderr *peertest.Buffer // stderr
	Exited chan struct{}
	Status string
	Code   int
}

// StartProcess starts tlskit with args in dir with NO_COLOR=1; the caller arranges how it is
// stopped.
func StartProcess(t testing.TB, dir string, args ...string) *Process {
	t.Helper()
	return startProcess(t, dir, nil, args...)
}

// StartProcessEnv is StartProcess with env added to its environment.
func StartProcessEnv(t testing.TB, dir string, env []string, args ...string) *Process {
	t.Helper()
	return startProcess(t, dir, env, args...)
}

func startProcess(t testing.TB, dir string, env []string, args ...string) *Process {
	t.Helper()
	c := exec.Command(Binary(), args...)
	c.Dir = dir
	c.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{Cmd: c, Args: args, Stdout: pr, Stderr: &peertest.Buffer{}, Exited: make(chan struct{})}
	c.Stdout, c.Stderr = pw, p.Stderr
	if err := c.Start(); err != nil {
		pr.Close()
		pw.Close()
		t.Fatalf("starting tlskit %s: %v", strings.Join(args, " "), err)
	}
	pw.Close()
	go func() {
		err := c.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			p.Status = "exit 0"
		case errors.As(err, &ee):
			p.Code = ee.ExitCode()
			p.Status = fmt.Sprintf("exit %d", p.Code)
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				p.Code, p.Status = -1, "killed by "+ws.Signal().String()
			}
		default:
			p.Code, p.Status = -1, err.Error()
		}
		close(p.Exited)
	}()
	return p
}

// StartServeProcess starts `tlskit serve --addr 127.0.0.1:0 ARGS...` as StartProcess does.
func StartServeProcess(t testing.TB, dir string, args ...string) *Process {
	t.Helper()
	return StartProcess(t, dir, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
}

// Server is a running `tlskit serve` whose stdout the harness reads.
type Server struct {
	*Process
	URL  string
	Port string
	Out  *peertest.Buffer // stdout, copied from the pipe

	firstLine chan struct{} // closed when stdout has a complete first line
	outDone   chan struct{} // closed when stdout is at EOF

	mu      sync.Mutex
	stopped bool
}

// Addr is the server's address on 127.0.0.1.
func (s *Server) Addr() string { return "127.0.0.1:" + s.Port }

// At is an https URL for host (which must resolve to 127.0.0.1) and path.
func (s *Server) At(host, path string) string { return "https://" + host + ":" + s.Port + path }

// FastWatchPoll is the environment entry (for StartServeEnv) that has `tlskit serve` look at
// its files for a change on disk every 50 ms instead of every second (cmd/watchpoll_e2e.go),
// for a test that waits for a change to be noticed.
const FastWatchPoll = "TLSKIT_E2E_WATCH_POLL=50ms"

// StartServe starts `tlskit serve --addr 127.0.0.1:0 ARGS...` in dir, reads the URL from the
// first line of stdout (a JSON "listening" event with -o json) and arranges for the server to
// be stopped with SIGINT when the test ends, which must make it exit 0 within 6 s.
func StartServe(t testing.TB, dir string, args ...string) *Server {
	t.Helper()
	return StartServeEnv(t, dir, nil, args...)
}

// StartServeEnv is StartServe with env added to the server's environment.
func StartServeEnv(t testing.TB, dir string, env []string, args ...string) *Server {
	t.Helper()
	p := startProcess(t, dir, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	s := &Server{Process: p, Out: &peertest.Buffer{}, firstLine: make(chan struct{}), outDone: make(chan struct{})}
	// stdout is a pipe read here directly (no copying goroutine of os/exec), so the URL line is
	// seen as soon as it is written.
	go func() {
		defer close(s.outDone)
		defer p.Stdout.Close()
		buf := make([]byte, 64<<10)
		seen := false
		for {
			n, err := p.Stdout.Read(buf)
			if n > 0 {
				s.Out.Write(buf[:n])
				if !seen && bytes.IndexByte(buf[:n], '\n') >= 0 {
					seen = true
					close(s.firstLine)
				}
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return
		}
		select {
		case <-s.Exited:
			t.Errorf("tlskit %s ended by itself before the test stopped it (%s)\nstderr:\n%s",
				strings.Join(s.Args, " "), s.Status, s.Stderr.String())
			return
		default:
		}
		s.StopCheck(t, syscall.SIGINT, "")
	})

	select {
	case <-s.firstLine:
		out := s.Out.String()
		s.parseURL(t, out[:strings.IndexByte(out, '\n')])
		return s
	case <-s.outDone:
		<-s.Exited
		t.Fatalf("tlskit %s exited (%s) before printing its URL\nstdout:\n%s\nstderr:\n%s",
			strings.Join(s.Args, " "), s.Status, s.Out.String(), s.Stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("tlskit %s printed no URL line within 10s\nstdout:\n%s\nstderr:\n%s",
			strings.Join(s.Args, " "), s.Out.String(), s.Stderr.String())
	}
	return nil
}

// urlPattern is the URL line: https://HOST:PORT/, or tls://HOST:PORT for --echo (raw TLS).
var urlPattern = regexp.MustCompile(`^(?:https://127\.0\.0\.1:(\d+)/|tls://127\.0\.0\.1:(\d+))$`)

func (s *Server) parseURL(t testing.TB, line string) {
	t.Helper()
	u := line
	if strings.HasPrefix(line, "{") {
		var ev struct {
			Event string `json:"event"`
			URL   string `json:"url"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event != "listening" {
			t.Fatalf("first JSON line is not a listening event: %q (%v)", line, err)
		}
		u = ev.URL
	}
	m := urlPattern.FindStringSubmatch(u)
	if m == nil {
		t.Fatalf("first stdout line %q is not https://127.0.0.1:PORT/ (or tls://127.0.0.1:PORT)", line)
	}
	s.URL, s.Port = u, m[1]+m[2]
}

// MarkStopped tells the cleanup that the test has ended the server itself (or seen it end).
func (s *Server) MarkStopped() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// Signal sends sig to the server and marks it as stopped by the test.
func (s *Server) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.MarkStopped()
	if err := s.Cmd.Process.Signal(sig); err != nil {
		t.Errorf("signalling serve: %v", err)
	}
}

// WaitExit waits up to limit for the server to exit; when it does not, its process group is
// killed. It reports whether the server exited by itself.
func (s *Server) WaitExit(limit time.Duration) bool {
	ok := true
	select {
	case <-s.Exited:
	case <-time.After(limit):
		syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGKILL)
		<-s.Exited
		ok = false
	}
	select {
	case <-s.outDone:
	case <-time.After(time.Second):
	}
	return ok
}

// StopCheck sends sig and requires exit code 0 within 6 s; bug, when set, prefixes the failure
// (the case expects a known defect there).
func (s *Server) StopCheck(t testing.TB, sig syscall.Signal, bug string) time.Duration {
	t.Helper()
	start := time.Now()
	s.Signal(t, sig)
	ok := s.WaitExit(6 * time.Second)
	took := time.Since(start)
	switch {
	case !ok:
		t.Errorf("%stlskit %s did not exit within 6s of %v (killed)\nstderr:\n%s",
			bug, strings.Join(s.Args, " "), sig, s.Stderr.String())
	case s.Code != 0:
		t.Errorf("%stlskit %s: %s after %v, want exit 0\nstderr:\n%s",
			bug, strings.Join(s.Args, " "), s.Status, sig, s.Stderr.String())
	}
	return took
}

// Lines are the complete stdout lines after the URL.
func (s *Server) Lines() []string {
	out := s.Out.String()
	all := strings.Split(out, "\n")
	if len(all) <= 1 {
		return nil
	}
	all = all[1:]
	// Drop a trailing partial line.
	return all[:len(all)-1]
}

// WaitLine waits up to 3 s for a stdout line after the URL that matches re.
func (s *Server) WaitLine(t testing.TB, what string, re *regexp.Regexp) (string, bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		for _, l := range s.Lines() {
			if re.MatchString(l) {
				return l, true
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: no log line matching %s on serve's stdout; got:\n%s", what, re, strings.Join(s.Lines(), "\n"))
			return "", false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStderr waits up to 5 s for stderr to hold n matches of expr.
func (s *Server) WaitStderr(n int, expr string) bool {
	re := regexp.MustCompile(expr)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(re.FindAllString(s.Stderr.String(), -1)) >= n {
			return true
		}
	}
	return false
}
