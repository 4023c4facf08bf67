//go:build unix

package process

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
)

// TestInterruptExits130 sends Ctrl-C's SIGINT to a handshake waiting on a server that never
// answers: tlskit must stop at once (not at --timeout), say so, and exit 130.
func TestInterruptExits130(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()

	cmd := exec.Command(e2etest.Binary(), "handshake", ln.Addr().String(), "--timeout", "30s")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit = %v, want 130; stderr %q", err, stderr.String())
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("took %v to stop after SIGINT", waited)
	}
	if got := stderr.String(); got != "tlskit: interrupted\n" {
		t.Fatalf("stderr = %q", got)
	}
}
