package peertest

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The reference servers (openssl s_server, gnutls-serv) run as processes on a loopback port:
// Start is the one way every test starts one, with the port chosen here, readiness read from
// what the server prints, and the process group killed when the test ends.

// Buffer collects what a process writes from its pipe goroutines, safe to read while it runs.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// FreePort finds a port free on every address for a server to take. It is chosen below the
// kernel's ephemeral range, not asked of the kernel with port 0: a port from that range, once
// released, is soon the source port of one of the thousands of client connections the scan
// tests make in other test processes, and the server then fails to bind it (seen in CI with
// tlskit's http-01 listener). Another process may still take it first; Start retries on a new
// port when that happens.
func FreePort(t testing.TB) string {
	t.Helper()
	lo, hi := 20000, ephemeralLow()-1
	for range 64 {
		if hi <= lo {
			break
		}
		port := strconv.Itoa(lo + rand.IntN(hi-lo+1))
		if ln, err := net.Listen("tcp", ":"+port); err == nil {
			ln.Close()
			return port
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default where it
// cannot be read, which is also about where other systems start theirs).
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(data)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				return n
			}
		}
	}
	return 32768
}

// OpenSSLEnv is the environment every OpenSSL the tests run gets on top of theirs (s_server
// here, the openssl commands of the end-to-end tests): an empty default trust file. OpenSSL
// loads the machine's CA bundle at every start of s_server, s_client and x509, whether or not
// anything is verified against it, and parsing its ~140 roots was all but nothing of the
// 23 ms of CPU an s_server took to start, and 18 of the 23 ms of an `openssl x509 -text`. No
// verdict depends on it: a test names its trust anchors (-CAfile), and the machine's roots
// never sign what the tests make.
var OpenSSLEnv = []string{"SSL_CERT_FILE=" + os.DevNull}

// TestsslEnv is the environment of every testssl run: OpenSSLEnv, and NXCONNECT, the address
// testssl's start-up probes of its openssl's options connect to, set to 127.0.0.1:0 instead of
// its default "invalid.". Resolving "invalid." sent a DNS query off the machine for each of
// those probes (strace: to the resolver in /etc/resolv.conf), which a test must never do, and
// while three testssl ran at once their start-up took 20-30 s instead of 1 s.
var TestsslEnv = append([]string{"NXCONNECT=127.0.0.1:0"}, OpenSSLEnv...)

// Program is a peer server to start: the command (found with Need), its arguments for the
// port it is to listen on, and the output that says it listens there.
type Program struct {
	Name  string                     // the command, looked up on PATH
	Dir   string                     // its working directory ("" for the test's)
	Args  func(port string) []string // its arguments for a port on 127.0.0.1
	Env   []string                   // added to the test's environment
	Ready func(port, out string) bool
}

// Server is a peer process listening on 127.0.0.1:Port.
type Server struct {
	Port string
	Out  *Buffer // stdout and stderr together
}

// Addr is 127.0.0.1:Port.
func (s *Server) Addr() string { return "127.0.0.1:" + s.Port }

// Localhost is localhost:Port, the target for a client that must send the name the test
// certificates carry (for SNI and host name verification); it relies on "localhost" resolving
// to 127.0.0.1 first.
func (s *Server) Localhost() string { return "localhost:" + s.Port }

// startAttempts bounds the retries when the chosen port was taken before the server bound it.
const startAttempts = 5

// Start starts p on a free port and returns once its output says it listens. A server that
// exits first (most likely another process took the port) is retried on a new port. Its stdin
// stays open until the end of the test (s_server without -www relays stdin to the client and
// may hang up at its end), and it runs in a process group of its own that is killed when the
// test ends, so nothing it started outlives the test.
func Start(t testing.TB, p Program) *Server {
	t.Helper()
	path := Need(t, p.Name)
	var lastOut string
	for range startAttempts {
		port := FreePort(t)
		s := &Server{Port: port, Out: &Buffer{}}
		c := exec.Command(path, p.Args(port)...)
		c.Dir = p.Dir
		if p.Env != nil {
			c.Env = append(os.Environ(), p.Env...)
		}
		c.Stdout, c.Stderr = s.Out, s.Out
		stdin, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		ownGroup(c)
		if err := c.Start(); err != nil {
			t.Fatalf("starting %s: %v", p.Name, err)
		}
		exited := make(chan struct{})
		go func() {
			c.Wait()
			close(exited)
		}()
		stop := func() {
			stdin.Close()
			// Only a process not yet reaped is signalled, so a recycled id never is.
			select {
			case <-exited:
			default:
				killGroup(c)
				<-exited
			}
		}
		t.Cleanup(stop)
		if waitReady(exited, func() bool { return p.Ready(port, s.Out.String()) }) {
			return s
		}
		lastOut = s.Out.String()
		stop()
	}
	t.Fatalf("%s never listened on 127.0.0.1 after %d attempts; last output:\n%s", p.Name, startAttempts, lastOut)
	return nil
}

// waitReady polls ready for up to 5 s; it reports false at once when the process exits.
func waitReady(exited <-chan struct{}, ready func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		select {
		case <-exited:
			return ready()
		default:
		}
		if ready() {
			return true
		}
	}
	return false
}

// OpenSSLServer starts `openssl s_server -accept 127.0.0.1:PORT -cert CERT -key KEY -www ARGS...`
// in dir. s_server prints ACCEPT once it listens (not with -quiet, which the caller must not
// pass); -www answers each request with a status page and never reads stdin.
func OpenSSLServer(t testing.TB, dir, cert, key string, args ...string) *Server {
	t.Helper()
	return Start(t, Program{
		Name: "openssl",
		Dir:  dir,
		Env:  OpenSSLEnv,
		Args: func(port string) []string {
			return append([]string{"s_server", "-accept", "127.0.0.1:" + port, "-cert", cert, "-key", key, "-www"}, args...)
		},
		Ready: func(_, out string) bool { return strings.Contains(out, "ACCEPT") },
	})
}

// GnuTLSServer starts `gnutls-serv --port PORT --x509certfile CERT --x509keyfile KEY --http ARGS...`
// in dir. gnutls-serv has no option to choose its address and listens on every interface;
// tests only ever connect to 127.0.0.1. It prints "port PORT...done" once it listens.
func GnuTLSServer(t testing.TB, dir, cert, key string, args ...string) *Server {
	t.Helper()
	return Start(t, Program{
		Name: "gnutls-serv",
		Dir:  dir,
		Args: func(port string) []string {
			return append([]string{"--port", port, "--x509certfile", cert, "--x509keyfile", key, "--http"}, args...)
		},
		Ready: func(port, out string) bool { return strings.Contains(out, "port "+port+"...done") },
	})
}

var (
	openSSLOnce    sync.Once
	openSSLProblem string
)

// NeedOpenSSL3 is Need("openssl") for a test that compares with OpenSSL 3's behaviour: an
// older OpenSSL is a missing peer too.
func NeedOpenSSL3(t testing.TB) string {
	t.Helper()
	path := Need(t, "openssl")
	openSSLOnce.Do(func() {
		out, err := exec.Command(path, "version").Output()
		switch {
		case err != nil:
			openSSLProblem = "openssl version: " + err.Error()
		case !strings.HasPrefix(string(out), "OpenSSL 3."):
			openSSLProblem = "need OpenSSL 3, have " + strings.TrimSpace(string(out))
		}
	})
	if openSSLProblem != "" {
		if Required() {
			t.Fatal(openSSLProblem)
		}
		t.Skip(openSSLProblem)
	}
	return path
}
