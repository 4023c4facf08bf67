//go:build unix

package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of what `tlskit scan` itself does: its exit codes with --fail-on, the JSON
// and text reports, several targets in one run, and the one-line error for a port that does not
// speak TLS. What a scan finds, and its comparison with sslscan (2.0.7) on OpenSSL 3's s_server
// in five configurations, is the library's: tlscore/scan's TestOpenSSLVersusSSLScan. One of
// those configurations (ALL:@SECLEVEL=0 with an ECDSA certificate) is scanned here through the
// CLI, the only real peer of this package; the other servers run in the test process. Every
// server listens on 127.0.0.1 only.

func TestMain(m *testing.M) { e2etest.Main(m) }

// report is the part of `tlskit scan -o json` these tests read.
type report struct {
	Versions []struct {
		Version      string `json:"version"`
		Supported    bool   `json:"supported"`
		Inconclusive bool   `json:"inconclusive"`
		Suites       []struct {
			ID          uint16 `json:"id"`
			Name        string `json:"name"`
			OpenSSLName string `json:"openssl_name"`
		} `json:"suites"`
	} `json:"versions"`
	Groups []struct {
		Name      string `json:"name"`
		Supported bool   `json:"supported"`
	} `json:"groups"`
	Probes     int `json:"probes"`
	Connection *struct {
		Chain []struct {
			Subject string `json:"subject"`
		} `json:"chain"`
	} `json:"connection"`
	Findings []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
	} `json:"findings"`
}

func parseReport(t *testing.T, what, out string) report {
	t.Helper()
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s: bad JSON: %v\n%s", what, err, out)
	}
	return r
}

// fixture is the certificates in a test's directory: ca.pem, and leaf.pem with leaf-key.pem
// (ECDSA, for localhost and 127.0.0.1, issued by the CA, valid for 90 days so that no
// expiry finding joins the scan's).
type fixture struct {
	dir  string
	pair tls.Certificate
}

// path is the absolute path of a fixture file.
func (f fixture) path(name string) string { return filepath.Join(f.dir, name) }

// certs is the package's CA and leaf, made once in-process (the CLI's certificate making is not
// what these tests are about, and it was three tlskit runs with an RSA-2048 key per test).
var certs struct {
	once          sync.Once
	ca, leaf, key []byte
	err           error
}

func makeFixture(t *testing.T) fixture {
	t.Helper()
	certs.once.Do(func() { certs.ca, certs.leaf, certs.key, certs.err = makeCerts() })
	if certs.err != nil {
		t.Fatalf("making the test certificates: %v", certs.err)
	}
	f := fixture{dir: t.TempDir()}
	for name, data := range map[string][]byte{"ca.pem": certs.ca, "leaf.pem": certs.leaf, "leaf-key.pem": certs.key} {
		if err := os.WriteFile(f.path(name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := tls.X509KeyPair(certs.leaf, certs.key)
	if err != nil {
		t.Fatal(err)
	}
	f.pair = pair
	return f
}

func makeCerts() (caPEM, leafPEM, keyPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlskit scan test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// badPeer is peertest.Serve with each accepted connection numbered from 1.
func badPeer(t *testing.T, handle func(n int64, c net.Conn)) string {
	t.Helper()
	var n atomic.Int64
	return peertest.Serve(t, func(_ context.Context, c net.Conn) { handle(n.Add(1), c) })
}

// TestScanReport scans s_server with every suite (ALL:@SECLEVEL=0, the library's all-ecdsa
// case) through the CLI, with --sni and --ca: with --fail-on none it exits 0 and writes the
// report, which a high finding then turns into exit 3 at the default --fail-on high, with one
// line on stderr naming it. The JSON report holds what the scan found (versions with their
// suites by id and both names, groups, the probe count, the certificate chain, findings), and
// the text report, the one layout for people, says the same.
func TestScanReport(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	fx := makeFixture(t)
	srv := peertest.OpenSSLServer(t, fx.dir, fx.path("leaf.pem"), fx.path("leaf-key.pem"), "-cipher", "ALL:@SECLEVEL=0")
	target := srv.Addr()
	args := []string{"scan", target, "--sni", "localhost", "--ca", fx.path("ca.pem")}

	out, errOut, code := e2etest.RunTlskit(t, fx.dir, []string{"NO_COLOR=1"}, append(args, "-o", "json")...)
	if code != 3 {
		t.Errorf("default --fail-on high against ALL:@SECLEVEL=0: exit %d, want 3\nstderr:\n%s", code, errOut)
	}
	if !regexp.MustCompile(`^tlskit: ` + regexp.QuoteMeta(target) + `: high finding \S+: .+\n$`).MatchString(errOut) {
		t.Errorf("stderr %q, want one line naming the high finding", errOut)
	}
	rep := parseReport(t, "tlskit scan -o json", out)
	if len(rep.Versions) != 6 || rep.Versions[0].Version != "SSL 2.0" || rep.Versions[5].Version != "TLS 1.3" {
		t.Errorf("versions are not SSL 2.0 to TLS 1.3 in order: %+v", rep.Versions)
	}
	suites := 0
	for _, v := range rep.Versions {
		if v.Inconclusive {
			t.Errorf("%s reported inconclusive against a healthy s_server", v.Version)
		}
		if !v.Supported && len(v.Suites) > 0 {
			t.Errorf("%s not supported but lists %d suites", v.Version, len(v.Suites))
		}
		for _, s := range v.Suites {
			suites++
			if s.ID == 0 || !strings.HasPrefix(s.Name, "TLS_") || s.OpenSSLName == "" {
				t.Errorf("%s: suite %+v lacks its id or a name", v.Version, s)
			}
		}
	}
	if suites == 0 || rep.Probes < suites {
		t.Errorf("%d suites found in %d probes", suites, rep.Probes)
	}
	supportedGroups := 0
	for _, g := range rep.Groups {
		if g.Supported {
			supportedGroups++
		}
	}
	if supportedGroups == 0 {
		t.Errorf("no group supported: %+v", rep.Groups)
	}
	if rep.Connection == nil || len(rep.Connection.Chain) == 0 {
		t.Errorf("no connection chain in the report: %+v", rep.Connection)
	} else if s := rep.Connection.Chain[0].Subject; s != "CN=localhost" {
		t.Errorf("connection.chain[0].subject = %q, want CN=localhost", s)
	}
	var high []string
	for _, f := range rep.Findings {
		if f.Severity == "high" {
			high = append(high, f.ID)
		}
	}
	if len(high) == 0 {
		t.Errorf("no high finding against ALL:@SECLEVEL=0: %+v", rep.Findings)
	}

	text, errOut, code := e2etest.RunTlskit(t, fx.dir, []string{"NO_COLOR=1"}, append(args, "--fail-on", "none")...)
	if code != 0 || errOut != "" {
		t.Errorf("--fail-on none: exit %d, want 0, stderr %q", code, errOut)
	}
	want := []string{"scan of " + target + " (", "certificate: CN=localhost, "}
	for _, v := range rep.Versions {
		if v.Supported {
			want = append(want, "\n"+v.Version+"  accepted")
		}
		for _, s := range v.Suites {
			want = append(want, "  "+s.Name+" ", " "+s.OpenSSLName+" ")
		}
	}
	for _, id := range high {
		want = append(want, "\nfinding: high "+id+": ")
	}
	e2etest.MustContain(t, "text report", text, want...)
	if t.Failed() {
		t.Logf("JSON:\n%s\ntext:\n%s", out, text)
	}
}

// TestScanNotTLS checks a port that does not speak TLS: a plain HTTP server (Go's net/http),
// a plaintext SMTP banner and a silent listener. The scan cannot say what such a port accepts,
// so it fails (exit 1) with one line saying what it saw, prints no report (no versions, no
// findings built on no answers), and a silent port costs one --timeout, not one per probe.
func TestScanNotTLS(t *testing.T) {
	t.Parallel()
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") }),
		ReadHeaderTimeout: 5 * time.Second}
	go httpSrv.Serve(httpLn)
	t.Cleanup(func() { httpSrv.Close() })

	const parallel = 2
	cases := []struct {
		name   string
		addr   func(conns *atomic.Int64) string
		why    string
		bounds bool // the number of connections is bounded by the first wave of probes
	}{
		{"http", func(*atomic.Int64) string { return httpLn.Addr().String() },
			"does not speak TLS (it answered with an HTTP response; is this a plain-HTTP port?)", false},
		{"smtp-banner", func(conns *atomic.Int64) string {
			return badPeer(t, func(n int64, c net.Conn) {
				conns.Add(1)
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, "220 mail.test ESMTP Postfix\r\n")
				c.Read(make([]byte, 4096))
				io.WriteString(c, "500 5.5.2 Error: bad syntax\r\n")
			})
		}, "does not speak TLS (it answered with a plaintext SMTP greeting)\ntlskit: hint: try --starttls smtp", false},
		{"silent", func(conns *atomic.Int64) string {
			return badPeer(t, func(n int64, c net.Conn) {
				conns.Add(1)
				io.Copy(io.Discard, c) // never answers; returns when the client or the cleanup closes c
			})
		}, "does not speak TLS (it answered no ClientHello within 1s)", true},
	}
	for _, c := range cases {
		// Each output has a peer of its own, so the two runs can wait out the silent port's
		// --timeout at once (2.0 s one after the other) and each counts its own connections.
		for _, output := range []string{"text", "json"} {
			t.Run(c.name+"/"+output, func(t *testing.T) {
				t.Parallel()
				var conns atomic.Int64
				addr := c.addr(&conns)
				start := time.Now()
				out, errOut, code := e2etest.RunTlskit(t, t.TempDir(), []string{"NO_COLOR=1"}, "scan", addr, "--timeout", "1s",
					"--parallel", strconv.Itoa(parallel), "-o", output)
				t.Logf("exit %d after %v, %d connections", code, time.Since(start).Round(time.Millisecond), conns.Load())
				if code != 1 {
					t.Errorf("BUG: exit %d, want 1 (nothing could be scanned)\nstdout:\n%s", code, out)
				}
				if want := "tlskit: " + addr + " " + c.why + "\n"; errOut != want {
					t.Errorf("stderr %q, want %q", errOut, want)
				}
				if out != "" {
					t.Errorf("a report built on no answers:\n%s", out)
				}
				// The scan's full handshake and the first wave of probes (--parallel) find the
				// port silent; no probe is started after that.
				if c.bounds && conns.Load() > parallel+1 {
					t.Errorf("BUG: the scan made %d connections to a silent port, each waiting out --timeout; %d (the first wave and the full handshake) show it is silent",
						conns.Load(), parallel+1)
				}
			})
		}
	}
}

// TestScanSeveralTargets checks that every target is scanned and reported in input order,
// one that cannot be scanned with its own block of text or JSON line with "error", and that the
// exit code is the worst: 1 when any could not be scanned, else 3 when a finding is at or above
// --fail-on. The TLS target is Go's TLS server in the test process, configured so that its one
// finding is a low one (a CBC suite in TLS 1.2): under the default --fail-on high it passes,
// under low it fails.
func TestScanSeveralTargets(t *testing.T) {
	t.Parallel()
	fx := makeFixture(t)
	ca := fx.path("ca.pem")
	cfg := &tls.Config{Certificates: []tls.Certificate{fx.pair}, MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}
	tlsAddr := peertest.Serve(t, func(_ context.Context, c net.Conn) { peertest.ServeTLSConfig(c, cfg, 5*time.Second) })
	httpAddr := badPeer(t, func(n int64, c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 4096))
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	})
	closedAddr := "127.0.0.1:" + peertest.FreePort(t)

	cases := []struct {
		name    string
		targets []string
		failOn  string
		code    int
		failed  []bool // per target: reported as an error
		last    string // the run's error line
	}{
		{"one-fails", []string{httpAddr, tlsAddr, closedAddr}, "low", 1, []bool{true, false, true}, "tlskit: 2 of 3 scans could not complete"},
		{"findings", []string{tlsAddr, tlsAddr}, "low", 3, []bool{false, false}, "tlskit: " + tlsAddr + ": low finding"},
		{"below-threshold", []string{tlsAddr, tlsAddr}, "high", 0, []bool{false, false}, ""},
		{"clean", []string{tlsAddr, tlsAddr}, "none", 0, []bool{false, false}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"scan", "--sni", "localhost", "--ca", ca, "--timeout", "2s", "--fail-on", c.failOn}, c.targets...)
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, append(args, "-o", "json")...)
			if code != c.code {
				t.Errorf("BUG: -o json: exit %d, want %d\nstderr:\n%s", code, c.code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(c.targets) {
				t.Fatalf("BUG: -o json: %d lines for %d targets:\n%s\nstderr:\n%s", len(lines), len(c.targets), out, errOut)
			}
			for i, l := range lines {
				var line struct {
					Target struct {
						Input string `json:"input"`
					} `json:"target"`
					Versions []json.RawMessage `json:"versions"`
					Error    string            `json:"error"`
				}
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
				}
				if line.Target.Input != c.targets[i] {
					t.Errorf("line %d is for %q, want %q (input order)", i+1, line.Target.Input, c.targets[i])
				}
				if failed := line.Error != ""; failed != c.failed[i] || failed == (len(line.Versions) > 0) {
					t.Errorf("line %d (%s): error %q with %d versions; want failed=%t", i+1, c.targets[i], line.Error, len(line.Versions), c.failed[i])
				}
			}
			if c.failed[0] && !strings.Contains(lines[0], `"error":"`+httpAddr+` does not speak TLS`) {
				t.Errorf("line 1 does not say the HTTP port does not speak TLS: %s", lines[0])
			}
			errLines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if c.last == "" {
				if errOut != "" {
					t.Errorf("stderr %q, want nothing", errOut)
				}
			} else if !strings.HasPrefix(errLines[len(errLines)-1], c.last) {
				t.Errorf("last stderr line %q, want it to start %q", errLines[len(errLines)-1], c.last)
			}
			if len(errLines) > 1 {
				t.Errorf("-o json: stderr has more than the run's error line (each failure is in its JSON line):\n%s", errOut)
			}

			// Text: one block per target, in order, a failed one saying why, and a warning.
			out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
			if code != c.code {
				t.Errorf("text: exit %d, want %d", code, c.code)
			}
			for i, failed := range c.failed {
				if failed && !regexp.MustCompile(`(?m)^tlskit: warning: .*`+regexp.QuoteMeta(c.targets[i])).MatchString(errOut) {
					t.Errorf("text: no warning on stderr for %s:\n%s", c.targets[i], errOut)
				}
			}
			blocks := regexp.MustCompile(`(?m)^scan of (\S+)`).FindAllStringSubmatch(out, -1)
			if len(blocks) != len(c.targets) {
				t.Fatalf("BUG: text: %d blocks for %d targets:\n%s", len(blocks), len(c.targets), out)
			}
			for i, b := range blocks {
				if b[1] != c.targets[i] {
					t.Errorf("text block %d is for %s, want %s", i+1, b[1], c.targets[i])
				}
			}
			if failures := strings.Count(out, "\nfailed: "); failures != strings.Count(fmt.Sprint(c.failed), "true") {
				t.Errorf("text: %d failed blocks, want %d:\n%s", failures, strings.Count(fmt.Sprint(c.failed), "true"), out)
			}
		})
	}
}
