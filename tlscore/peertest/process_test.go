//go:build unix

package peertest

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStartWaitsForReadyAndRetries starts a stand-in server that exits at once on its first
// two ports (as one whose port was taken meanwhile would) and listens on the third: Start
// must come back with the third, once the server said it listens there, and the process group
// must be gone when the test is over.
func TestStartWaitsForReadyAndRetries(t *testing.T) {
	var srv *Server
	var ports []string
	t.Run("start", func(t *testing.T) {
		srv = Start(t, Program{
			Name: "python3",
			Args: func(port string) []string {
				ports = append(ports, port)
				if len(ports) < 3 {
					return []string{"-c", "raise SystemExit(1)"}
				}
				return []string{"-c", `import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("listening on", sys.argv[1], flush=True); time.sleep(60)`, port}
			},
			Ready: func(port, out string) bool { return strings.Contains(out, "listening on "+port) },
		})
		if len(ports) != 3 || srv.Port != ports[2] {
			t.Fatalf("started on %s after trying %v, want the third port", srv.Port, ports)
		}
		c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
		if err != nil {
			t.Fatalf("ready but not listening: %v", err)
		}
		c.Close()
	})
	// The subtest's cleanup killed the server: its port refuses connections.
	if srv == nil {
		return
	}
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the test that started it ended", srv.Addr())
	}
}

// TestFreePortBelowEphemeral: the port is outside the range the kernel hands client sockets,
// and free on every address.
func TestFreePortBelowEphemeral(t *testing.T) {
	port := FreePort(t)
	n, err := strconv.Atoi(port)
	if err != nil || n >= ephemeralLow() || n < 1024 {
		t.Fatalf("port %s, want one below the ephemeral range (from %d)", port, ephemeralLow())
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}
