package scan

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// testCert is the package's self-signed certificate of a key kind ("rsa" or "ecdsa") for
// localhost and 127.0.0.1, with its files (cert.pem, key.pem) written to a temporary directory
// of the test. Each kind is made once per run and shared: the tests asked for 13 RSA-2048 keys,
// each 50-500 ms of CPU, about a third of the package's CPU time.
func testCert(t *testing.T, kind string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	m, ok := testCerts[kind]
	if !ok {
		t.Fatalf("unknown key kind %q", kind)
	}
	m.once.Do(func() { m.certPEM, m.keyPEM, m.err = makeTestCert(kind) })
	if m.err != nil {
		t.Fatalf("making the %s test certificate: %v", kind, m.err)
	}
	pair, err := tls.X509KeyPair(m.certPEM, m.keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, kind+"-cert.pem"), filepath.Join(dir, kind+"-key.pem")
	if err := os.WriteFile(certFile, m.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, m.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pair
}

// testRoots trusts the test certificate of a key kind.
func testRoots(t *testing.T, kind string) *x509.CertPool {
	t.Helper()
	_, _, pair := testCert(t, kind)
	pool := x509.NewCertPool()
	pool.AddCert(pair.Leaf)
	return pool
}

// madeCert is one kind's certificate and key in PEM, made on first use.
type madeCert struct {
	once            sync.Once
	certPEM, keyPEM []byte
	err             error
}

// testCerts is read-only after initialisation; each entry makes itself once.
var testCerts = map[string]*madeCert{"rsa": {}, "ecdsa": {}}

func makeTestCert(kind string) (certPEM, keyPEM []byte, err error) {
	var key crypto.Signer
	switch kind {
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// freePort is a loopback port nothing listens on (for a while).
func freePort(t *testing.T) int {
	t.Helper()
	port, err := strconv.Atoi(peertest.FreePort(t))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// startOpenSSL runs openssl s_server -www with an RSA certificate and extra arguments on a free
// port and returns the port once it listens.
func startOpenSSL(t *testing.T, args ...string) int {
	t.Helper()
	return startOpenSSLWith(t, "rsa", args...)
}

// startOpenSSLWith is startOpenSSL with the test certificate of a key kind.
func startOpenSSLWith(t *testing.T, kind string, args ...string) int {
	t.Helper()
	certFile, keyFile, _ := testCert(t, kind)
	port, err := strconv.Atoi(peertest.OpenSSLServer(t, "", certFile, keyFile, args...).Port)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }

func localTarget(port int) connect.Target {
	return connect.Target{Input: "127.0.0.1:" + itoa(port), Host: "127.0.0.1", Port: port}
}

func runScan(t *testing.T, port int, timeout time.Duration) (*Result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := Scan(ctx, Options{Target: localTarget(port), Timeout: timeout})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res, time.Since(start)
}

func version(t *testing.T, r *Result, name string) VersionResult {
	t.Helper()
	for _, v := range r.Versions {
		if v.Version == name {
			return v
		}
	}
	t.Fatalf("no %s in result", name)
	return VersionResult{}
}

func suiteIDs(v VersionResult) []uint16 {
	var out []uint16
	for _, s := range v.Suites {
		out = append(out, s.ID)
	}
	return out
}

func sortedIDs(v VersionResult) []uint16 {
	ids := suiteIDs(v)
	slices.Sort(ids)
	return ids
}

// supportedOnly checks that exactly the named versions are supported and none inconclusive.
func supportedOnly(t *testing.T, r *Result, names ...string) {
	t.Helper()
	for _, v := range r.Versions {
		want := slices.Contains(names, v.Version)
		if v.Supported != want {
			t.Errorf("%s supported = %v, want %v", v.Version, v.Supported, want)
		}
		if v.Inconclusive {
			t.Errorf("%s inconclusive", v.Version)
		}
		if !v.Supported && len(v.Suites) > 0 {
			t.Errorf("%s unsupported but lists suites %v", v.Version, suiteIDs(v))
		}
	}
}

// goTLSServer is a Go TLS server with cfg on 127.0.0.1 that completes each handshake and
// closes; it stops at cleanup.
func goTLSServer(t *testing.T, cfg *tls.Config) net.Listener {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return l
}

// frontAction is what helloFront does with a connection, once it has read its first record.
type frontAction int

const (
	frontForward frontAction = iota // to the backend, and its answers back
	frontSilent                     // read on and never answer, until the client gives up
	frontReset                      // close with a TCP reset
)

// helloFront is a front before the backend TLS server: it reads each connection's first record
// header and, for a TLS record, its body (nil for an SSL 2.0 hello), and route says what to do.
// A forwarded connection ends on both sides as soon as the client's does: the group test's
// front kept each one open until the backend's 5 s deadline, and the test's cleanup waited for
// them (5.2 s for a 0.2 s scan).
func helloFront(t *testing.T, backend net.Listener, route func(hdr, body []byte) frontAction) int {
	t.Helper()
	return badServer(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		var body []byte
		if hdr[0] == wire.ContentHandshake {
			body = make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
		}
		switch route(hdr, body) {
		case frontSilent:
			_, _ = io.Copy(io.Discard, c)
			return
		case frontReset:
			_ = c.(*net.TCPConn).SetLinger(0)
			return
		}
		up, err := net.Dial("tcp", backend.Addr().String())
		if err != nil {
			return
		}
		defer up.Close()
		if _, err := up.Write(append(hdr, body...)); err != nil {
			return
		}
		go func() {
			// The client's side closing (or the test's cleanup closing it) ends the backend's
			// too, so the copy below returns instead of waiting out the backend.
			_, _ = io.Copy(up, c)
			up.Close()
		}()
		_, _ = io.Copy(c, up)
	})
}

// sClient runs openssl s_client against a loopback port with args and nothing on stdin, and
// returns what it printed.
func sClient(t *testing.T, port int, args ...string) string {
	t.Helper()
	return runSClient(t, strings.NewReader(""), port, args...)
}

// sClientWaiting is sClient keeping its stdin open a moment, so it reads what a TLS 1.3
// server sends after the handshake (its tickets) before it quits.
func sClientWaiting(t *testing.T, port int, args ...string) string {
	t.Helper()
	return runSClient(t, slowEOF{300 * time.Millisecond}, port, args...)
}

// slowEOF is a reader that ends after a wait.
type slowEOF struct{ wait time.Duration }

func (s slowEOF) Read([]byte) (int, error) {
	time.Sleep(s.wait)
	return 0, io.EOF
}

func runSClient(t *testing.T, stdin io.Reader, port int, args ...string) string {
	t.Helper()
	openssl := peertest.Need(t, "openssl")
	cmd := exec.Command(openssl, append([]string{"s_client", "-connect", "127.0.0.1:" + itoa(port)}, args...)...)
	cmd.Stdin = stdin
	cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func localAddr(port int) string { return "127.0.0.1:" + itoa(port) }

// needTestssl is peertest.Need for testssl, in the test's goroutine, and skips the test under
// -short: the testssl comparisons are most of the package's time (some 19 runs of 10-40 s,
// four at once), so `go test -short` is the quick loop and the README's command (CI) runs them.
func needTestssl(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("the testssl comparisons run without -short")
	}
	peertest.Need(t, "testssl")
}

// testsslSlots bounds the testssl runs at once. Each is some 3 s of CPU (most of it testssl
// finding out what its openssl can do) and 10-40 s of waiting on its sockets: two at a time made
// the package take 120 s, and eight at once on two cores starved its other peers (gnutls-serv's
// FFDHE probes timed out).
var testsslSlots = make(chan struct{}, 4)

// testsslFinding is one entry of testssl's JSON file.
type testsslFinding struct{ ID, Severity, Finding string }

// runTestssl runs testssl.sh with args on a loopback address and returns its findings, in its
// order. Its waits for answers that do not come (a dropped heartbeat, a swallowed
// ChangeCipherSpec) are 5-10 s each by default; on loopback 2-3 s tell the same.
func runTestssl(t *testing.T, addr string, args ...string) []testsslFinding {
	t.Helper()
	testssl := peertest.Need(t, "testssl") // found: the test called needTestssl
	testsslSlots <- struct{}{}
	defer func() { <-testsslSlots }()
	jsonFile := filepath.Join(t.TempDir(), "testssl.json")
	args = append([]string{"--quiet", "--color", "0", "--warnings", "off", "--nodns", "none", "--jsonfile", jsonFile}, args...)
	cmd := exec.Command(testssl, append(args, addr)...)
	cmd.Env = append(append(os.Environ(), peertest.TestsslEnv...), "MAX_WAITSOCK=3", "CCS_MAX_WAITSOCK=2", "HEARTBLEED_MAX_WAITSOCK=2")
	start := time.Now()
	out, _ := cmd.CombinedOutput()
	if ps := cmd.ProcessState; ps != nil {
		t.Logf("testssl %v: %v, user %v, sys %v", args[9:], time.Since(start).Round(time.Millisecond), ps.UserTime(), ps.SystemTime())
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatalf("testssl wrote no JSON (%v):\n%s", err, out)
	}
	var findings []testsslFinding
	if err := json.Unmarshal(data, &findings); err != nil {
		t.Fatalf("testssl's JSON: %v\n%s", err, data)
	}
	return findings
}

// byID indexes testssl's findings by id (the last of an id wins).
func byID(findings []testsslFinding) map[string]testsslFinding {
	m := make(map[string]testsslFinding, len(findings))
	for _, f := range findings {
		m[f.ID] = f
	}
	return m
}
