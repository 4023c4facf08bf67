package scan

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// oakley2Prime is the 1024-bit MODP prime of RFC 2409's Second Oakley Group (section 6.2),
// with generator 2: a published safe prime, so the weak-DH test needs no `openssl dhparam 1024`
// (0.5-1.9 s of CPU measured, the package's costliest fixture).
const oakley2Prime = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"

// dhparamFile writes RFC 2409's 1024-bit group as PKCS#3 DH parameters (the "DH PARAMETERS"
// PEM that s_server -dhparam reads; X9.42 parameters, which `openssl dhparam -dsaparam` writes,
// OpenSSL 3.0's s_server rejects and then silently uses its default group instead).
func dhparamFile(t *testing.T) string {
	t.Helper()
	p, ok := new(big.Int).SetString(oakley2Prime, 16)
	if !ok || p.BitLen() != 1024 {
		t.Fatalf("bad RFC 2409 prime")
	}
	der, err := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "dh.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func findingSeverity(r *Result, id string) string {
	for _, f := range Findings(r) {
		if f.ID == id {
			return f.Severity
		}
	}
	return ""
}

func TestOpenSSLWeakDH(t *testing.T) {
	t.Parallel()
	// SECLEVEL=1: distributions build OpenSSL with level 2, which refuses a 1024-bit group.
	port := startOpenSSL(t, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1", "-dhparam", dhparamFile(t))
	res, d := runScan(t, port, 3*time.Second)
	t.Logf("scan took %v, %d probes", d, res.Probes)
	if got := sortedIDs(version(t, res, "TLS 1.2")); len(got) != 1 || got[0] != 0x009e {
		t.Fatalf("TLS 1.2 suites = %04x, want [009e]", got)
	}
	if res.DHGroupBits != 1024 {
		t.Errorf("DHGroupBits = %d, want 1024", res.DHGroupBits)
	}
	if sev := findingSeverity(res, "weak-dh"); sev != "medium" {
		t.Errorf("weak-dh severity = %q, want medium", sev)
	}
	// s_server was given RFC 2409's group: named, and a common prime.
	if len(res.DH) != 1 || res.DH[0].Prime != "RFC 2409 group 2 (1024-bit MODP)" || res.DH[0].Auth != "RSA" {
		t.Errorf("DH groups %+v, want s_server's RFC 2409 group 2 for its DHE-RSA suite", res.DH)
	}
	if sev := findingSeverity(res, "common-dh-prime"); sev != "high" {
		t.Errorf("common-dh-prime severity = %q, want high", sev)
	}
}

func TestOpenSSLDefaultDH(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
	res, _ := runScan(t, port, 3*time.Second)
	t.Logf("DHGroupBits = %d", res.DHGroupBits)
	if res.DHGroupBits < 2048 {
		t.Errorf("DHGroupBits = %d, want >= 2048", res.DHGroupBits)
	}
	if sev := findingSeverity(res, "weak-dh"); sev != "" {
		t.Errorf("unexpected weak-dh (%s) with OpenSSL's default group", sev)
	}
}

func TestOpenSSLNoDHE(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
	res, _ := runScan(t, port, 3*time.Second)
	if res.DHGroupBits != 0 {
		t.Errorf("DHGroupBits = %d without DHE suites, want 0", res.DHGroupBits)
	}
}

// handshakeRecord wraps one handshake message in a TLS 1.2 record.
func handshakeRecord(typ uint8, body []byte) []byte {
	msg := append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, msg)
}

// serverHello12 is a minimal TLS 1.2 ServerHello choosing DHE-RSA-AES128-GCM-SHA256.
func serverHello12() []byte {
	body := []byte{0x03, 0x03}
	body = append(body, bytes.Repeat([]byte{0x11}, 32)...)
	body = append(body, 0, 0x00, 0x9e, 0) // no session id, suite, null compression
	return handshakeRecord(wire.TypeServerHello, body)
}

// dheSKE is a DHE ServerKeyExchange with a primeBytes-long p and a TLS 1.2 signature.
func dheSKE(primeBytes int) []byte {
	p := append([]byte{0x80}, bytes.Repeat([]byte{0xff}, primeBytes-1)...)
	var b []byte
	b = append(b, byte(len(p)>>8), byte(len(p)))
	b = append(b, p...)
	b = append(b, 0, 1, 2)    // g = 2
	b = append(b, 0, 1, 0x05) // Ys
	b = append(b, 0x04, 0x01, 0, 4, 1, 2, 3, 4)
	return b
}

// readSKEFrom runs readServerKeyExchange against a peer that writes flight and closes.
func readSKEFrom(t *testing.T, flight func(net.Conn)) outcome {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		flight(server)
	}()
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	return readServerKeyExchange(client)
}

func TestReadServerKeyExchange(t *testing.T) {
	cert := handshakeRecord(wire.TypeCertificate, []byte{0, 0, 0})
	done := handshakeRecord(wire.TypeServerHelloDone, nil)

	out := readSKEFrom(t, func(c net.Conn) {
		_, _ = c.Write(bytes.Join([][]byte{serverHello12(), cert, handshakeRecord(wire.TypeServerKeyExchange, dheSKE(128)), done}, nil))
	})
	if out.kind != outHello || out.ske == nil || out.ske.DHPrimeBits != 1024 {
		t.Errorf("good flight: kind %v ske %+v err %v, want 1024-bit prime", out.kind, out.ske, out.err)
	}

	out = readSKEFrom(t, func(c net.Conn) {
		_, _ = c.Write(bytes.Join([][]byte{serverHello12(), cert, handshakeRecord(wire.TypeServerKeyExchange, []byte{0, 9, 1}), done}, nil))
	})
	if out.kind != outHello || out.ske != nil || out.err == nil {
		t.Errorf("unparseable SKE: kind %v ske %+v err %v, want hello, no ske, an error", out.kind, out.ske, out.err)
	}

	out = readSKEFrom(t, func(c net.Conn) {
		_, _ = c.Write(bytes.Join([][]byte{serverHello12(), cert, done}, nil))
	})
	if out.kind != outHello || out.ske != nil {
		t.Errorf("no SKE: kind %v ske %+v", out.kind, out.ske)
	}

	// An endless stream of records stops at the bounds, well before the deadline.
	start := time.Now()
	out = readSKEFrom(t, func(c net.Conn) {
		_, _ = c.Write(serverHello12())
		big := handshakeRecord(wire.TypeCertificate, bytes.Repeat([]byte{0}, 16000))
		for time.Since(start) < 5*time.Second {
			if _, err := c.Write(big[:4000]); err != nil {
				return
			}
		}
	})
	if out.ske != nil || out.err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("endless flight: ske %+v err %v after %v", out.ske, out.err, time.Since(start))
	}
}

func TestFindingsWeakDH(t *testing.T) {
	for bits, want := range map[int]string{0: "", 512: "high", 1023: "high", 1024: "medium", 2047: "medium", 2048: "", 4096: ""} {
		if got := findingSeverity(&Result{DHGroupBits: bits}, "weak-dh"); got != want {
			t.Errorf("DHGroupBits %d: weak-dh %q, want %q", bits, got, want)
		}
	}
}

// dhKindsServer is a TLS 1.2 server with two DHE suites and a prime for each: for
// TLS_DH_anon_WITH_AES_128_CBC_SHA (0x0034) RFC 2409's 1024-bit group, for
// TLS_DHE_RSA_WITH_AES_128_CBC_SHA (0x0033) a 2048-bit prime of its own, which it prefers. It
// answers every hello offering either (server order), refuses the rest, and speaks no other
// version. The flight needs no signature or certificate to be read: a scan only reads the
// ServerKeyExchange's parameters.
func dhKindsServer(t *testing.T) connect.Target {
	t.Helper()
	oakley, _ := new(big.Int).SetString(oakley2Prime, 16)
	own := append([]byte{0xc5}, bytes.Repeat([]byte{0x3b}, 255)...)
	addr := peertest.Serve(t, func(_ context.Context, c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1<<16)
		n, _ := c.Read(buf)
		recs, _, err := wire.ParseRecords(buf[:n])
		if err != nil || len(recs) == 0 || len(recs[0].Payload) < 4 || recs[0].Payload[0] != wire.TypeClientHello {
			return
		}
		ch, err := wire.ParseClientHello(recs[0].Payload[4:])
		if err != nil || ch.LegacyVersion != wire.VersionTLS12 || slices.Contains(ch.SupportedVersions, wire.VersionTLS13) {
			c.Write([]byte{21, 3, 3, 0, 2, 2, 70}) // protocol_version
			return
		}
		var suite uint16
		var prime []byte
		switch {
		case slices.Contains(ch.CipherSuites, 0x0033):
			suite, prime = 0x0033, own
		case slices.Contains(ch.CipherSuites, 0x0034):
			suite, prime = 0x0034, oakley.Bytes()
		default:
			c.Write([]byte{21, 3, 3, 0, 2, 2, 40}) // handshake_failure
			return
		}
		body := append([]byte{0x03, 0x03}, bytes.Repeat([]byte{0x11}, 32)...)
		body = append(body, 0, byte(suite>>8), byte(suite), 0)
		var ske []byte
		ske = append(ske, byte(len(prime)>>8), byte(len(prime)))
		ske = append(ske, prime...)
		ske = append(ske, 0, 1, 2, 0, 1, 5) // g = 2, Ys
		c.Write(bytes.Join([][]byte{handshakeRecord(wire.TypeServerHello, body), handshakeRecord(wire.TypeServerKeyExchange, ske),
			handshakeRecord(wire.TypeServerHelloDone, nil)}, nil))
	})
	target, err := connect.ParseTarget(addr, 443)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// TestDHPerKind: a server keeping RFC 2409's 1024-bit group for its anonymous suites behind a
// 2048-bit prime it prefers for DHE-RSA. One probe offering every DHE suite saw only the
// preferred one (scan said 2048 bits, no weak-dh); a probe per kind sees both, names the
// published one, and flags it.
func TestDHPerKind(t *testing.T) {
	t.Parallel()
	res, err := Scan(context.Background(), Options{Target: dhKindsServer(t), Timeout: 2 * time.Second, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byAuth := map[string]DHGroup{}
	for _, g := range res.DH {
		byAuth[g.Auth] = g
	}
	if g := byAuth["RSA"]; g.Bits != 2048 || g.Prime != "" || g.Suite != "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" {
		t.Errorf("DHE-RSA group %+v, want the server's own 2048-bit prime", g)
	}
	if g := byAuth["ANON"]; g.Bits != 1024 || g.Prime != "RFC 2409 group 2 (1024-bit MODP)" || g.Version != "TLS 1.2" {
		t.Errorf("anonymous DH group %+v, want RFC 2409 group 2 (all: %+v)", g, res.DH)
	}
	if res.DHGroupBits != 1024 {
		t.Errorf("DHGroupBits %d, want the smallest, 1024", res.DHGroupBits)
	}
	got := map[string]Finding{}
	for _, f := range Findings(res) {
		got[f.ID] = f
	}
	if f := got["weak-dh"]; f.Severity != "medium" || !strings.Contains(f.Message, "TLS 1.2 ANON suites") {
		t.Errorf("weak-dh %+v", f)
	}
	if f := got["common-dh-prime"]; f.Severity != "high" || !strings.Contains(f.Message, "RFC 2409 group 2") {
		t.Errorf("common-dh-prime %+v", f)
	}
}

// TestCertificateFromProbes: against a DHE-only server, which Go's TLS stack (no DHE) cannot
// complete a handshake with, the certificate view comes from a probe's flight: the chain, its
// verification and lint, marked as such. It is the certificate openssl s_client (the
// reference) is shown by the same server. Before, such a server had no certificate and no
// certificate checks at all.
func TestCertificateFromProbes(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	args := []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}
	port := startOpenSSL(t, args...)
	res, err := Scan(context.Background(), Options{Target: localTarget(port), ServerName: "localhost", Roots: testRoots(t, "rsa"), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Connection
	if c == nil || c.Error == "" || !c.CertificateFromProbe || len(c.Chain) == 0 || c.Verification == nil || !c.Verification.Verified {
		t.Fatalf("connection %+v, want the handshake's error and the probe's verified chain", c)
	}
	cmd := exec.Command(openssl, "s_client", "-connect", "127.0.0.1:"+itoa(port), "-tls1_2", "-servername", "localhost")
	cmd.Stdin = strings.NewReader("")
	cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
	out, _ := cmd.CombinedOutput()
	block, _ := pem.Decode(out)
	if block == nil {
		t.Fatalf("s_client showed no certificate:\n%s", out)
	}
	ref, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(ref.Raw); c.Chain[0].SHA256 != material.ColonHex(sum[:]) {
		t.Errorf("probe's leaf %s, s_client's %s", c.Chain[0].SHA256, material.ColonHex(sum[:]))
	}
}

// TestCommonPrimeVersusTestssl: the common-dh-prime verdict beside testssl's
// LOGJAM-common_primes on the same servers in the same run: s_server with RFC 2409's 1024-bit
// group (both high, both naming it), gnutls-serv with it as --dhparams (TLS 1.2 DHE only), and
// s_server's default group, RFC 3526 group 14 (2048 bits: neither flags it).
func TestCommonPrimeVersusTestssl(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	peertest.NeedOpenSSL3(t)
	for _, tc := range []struct {
		name   string
		args   []string
		flag   bool // both must flag the prime as common
		prime  string
		theirs string // what testssl's finding says of it
	}{
		{"RFC 2409 group 2", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=1", "-dhparam", dhparamFile(t)}, true,
			"RFC 2409 group 2 (1024-bit MODP)", "RFC2409/Oakley Group 2"},
		{"default group", []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"}, false, "RFC 3526 group 14 (2048-bit MODP)", ""},
		{"gnutls-serv --dhparams RFC 2409 group 2", []string{"gnutls", "--priority", "NORMAL:-KX-ALL:+DHE-RSA:-VERS-TLS1.3", "--dhparams", dhparamFile(t)}, true,
			"RFC 2409 group 2 (1024-bit MODP)", "RFC2409/Oakley Group 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ours, theirsPort int
			if tc.args[0] == "gnutls" {
				// gnutls-serv serves connections at once: one for both.
				certFile, keyFile, _ := testCert(t, "rsa")
				ours, _ = strconv.Atoi(peertest.GnuTLSServer(t, "", certFile, keyFile, tc.args[1:]...).Port)
				theirsPort = ours
			} else {
				// One s_server each: it serves a connection at a time.
				ours, theirsPort = startOpenSSL(t, tc.args...), startOpenSSL(t, append([]string{"-www"}, tc.args...)...)
			}
			done := make(chan []testsslFinding, 1)
			go func() { done <- runTestssl(t, localAddr(theirsPort), "--logjam") }()
			res, err := Scan(context.Background(), Options{Target: localTarget(ours), Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			theirs := ""
			for _, f := range <-done {
				if f.ID == "LOGJAM-common_primes" {
					theirs = f.Severity + " " + f.Finding
				}
			}
			theyFlag := strings.HasPrefix(theirs, "HIGH") || strings.HasPrefix(theirs, "MEDIUM") || strings.HasPrefix(theirs, "CRITICAL")
			if theyFlag != tc.flag || (tc.flag && !strings.Contains(theirs, tc.theirs)) {
				t.Fatalf("testssl says %q of the prime; the case expects flagged=%v", theirs, tc.flag)
			}
			if got := findingSeverity(res, "common-dh-prime"); (got == "high") != theyFlag {
				t.Errorf("common-dh-prime %q, testssl %q", got, theirs)
			}
			if len(res.DH) == 0 || res.DH[0].Prime != tc.prime {
				t.Errorf("DH groups %+v, want %s", res.DH, tc.prime)
			}
		})
	}
}
