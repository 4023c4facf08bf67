package scan

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// checkOf is the scan's check of an id.
func checkOf(t *testing.T, r *Result, id string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no %s check in %+v", id, r.Checks)
	return Check{}
}

// TestChecksOnFaultyPeers: each check against the hand-built peer with and without its fault;
// the fixed peer also shows the other checks do not fire on it.
func TestChecksOnFaultyPeers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		faults  peerFaults
		id      string
		want    Verdict
		finding string // the finding the verdict gives ("" none)
	}{
		{"heartbleed", peerFaults{heartbeat: true, heartbleed: true}, "heartbleed", Vulnerable, "heartbleed"},
		{"heartbeat fixed", peerFaults{heartbeat: true}, "heartbleed", NotVulnerable, ""},
		{"no heartbeat", peerFaults{}, "heartbleed", NotVulnerable, ""},
		{"ccs injection", peerFaults{ccsInjection: true}, "ccs-injection", Vulnerable, "ccs-injection"},
		{"ccs fixed", peerFaults{}, "ccs-injection", NotVulnerable, ""},
		{"compression", peerFaults{compress: true}, "compression", Vulnerable, "compression"},
		{"no compression", peerFaults{}, "compression", NotVulnerable, ""},
		{"no fallback check", peerFaults{noFallbackCheck: true}, "fallback-scsv", Vulnerable, "no-fallback-scsv"},
		{"fallback check", peerFaults{}, "fallback-scsv", NotVulnerable, ""},
		{"robot oracle", peerFaults{robot: true}, "robot", Vulnerable, "robot"},
		{"robot fixed", peerFaults{}, "robot", NotVulnerable, ""},
		{"robot shortened flow", peerFaults{robotShortened: true}, "robot", Vulnerable, "robot"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := legacyPeer(t, tc.faults)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Scan(ctx, Options{Target: localTarget(port), Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			supportedOnly(t, res, "TLS 1.0", "TLS 1.1", "TLS 1.2")
			c := checkOf(t, res, tc.id)
			if c.Verdict != tc.want {
				t.Fatalf("%s: %s (sent %s; received %s), want %s", tc.id, c.Verdict, c.Sent, c.Received, tc.want)
			}
			t.Logf("%s: %s: sent %s; received %s", tc.id, c.Verdict, c.Sent, c.Received)
			for _, f := range Findings(res) {
				if f.ID == tc.finding {
					return
				}
			}
			if tc.finding != "" {
				t.Errorf("no %s finding in %+v", tc.finding, Findings(res))
			}
		})
	}
}

// testsslVerdict reads testssl's finding as a verdict: OK is not vulnerable; CRITICAL, HIGH,
// MEDIUM and LOW (and fallback_SCSV's "NOT supported", a WARN while SSL 3.0 is untested) are
// vulnerable; anything else is no verdict.
func testsslVerdict(f testsslFinding) Verdict {
	switch {
	case f.Severity == "OK":
		return NotVulnerable
	case f.Severity == "INFO" && strings.HasPrefix(f.Finding, "not applicable"):
		return NotApplicable
	case f.Severity == "CRITICAL" || f.Severity == "HIGH" || f.Severity == "MEDIUM" || f.Severity == "LOW",
		strings.HasPrefix(f.Finding, "NOT supported"):
		return Vulnerable
	default:
		return ""
	}
}

// TestChecksVersusTestssl holds the checks' verdicts to testssl's on the same servers in the
// same run: the faulty peer with every fault, the fixed one, openssl s_server and a Go server
// (both of which reject a bad RSA padding implicitly: not ROBOT).
// testssl tests CRIME with its own sockets when its OpenSSL has no zlib (Debian's has none),
// and finds the faulty peer's DEFLATE; it calls it MEDIUM there only because the peer does not
// speak HTTP, where tlskit keeps it high (CRIME needs no HTTP, only secrets beside
// attacker-chosen text). Ticketbleed is not held to testssl on the faulty front: its
// ClientHello has no extended master secret, so the Go server behind refuses to resume (RFC
// 7627), and no echo can show; on s_server both say not vulnerable.
func TestChecksVersusTestssl(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	peertest.NeedOpenSSL3(t)
	checks := map[string]string{ // tlskit's check → testssl's id
		"heartbleed": "heartbleed", "ccs-injection": "CCS", "compression": "CRIME_TLS", "fallback-scsv": "fallback_SCSV", "ticketbleed": "ticketbleed",
		"robot": "ROBOT",
	}
	_, _, pair := testCert(t, "rsa")
	goServer := func(t *testing.T) int {
		// RSA key transport is out of Go's defaults; named, it is served (for the ROBOT check).
		suites := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA}
		l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS10, CipherSuites: suites})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		srv := &http.Server{ErrorLog: log.New(io.Discard, "", 0), // the probes' handshakes fail by design
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })}
		go func() { _ = srv.Serve(l) }()
		return l.Addr().(*net.TCPAddr).Port
	}
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (ours, theirs int)
		want  map[string]Verdict
		// protocols: testssl finds the versions with its own sockets (-p) first; without,
		// it asks openssl s_client, which cannot finish a handshake with the hand-built peer.
		protocols bool
	}{
		{"faulty peer", func(t *testing.T) (int, int) {
			p := legacyPeer(t, peerFaults{heartbeat: true, heartbleed: true, ccsInjection: true, compress: true, noFallbackCheck: true, robot: true})
			return p, p
		}, map[string]Verdict{"heartbleed": Vulnerable, "ccs-injection": Vulnerable, "compression": Vulnerable, "fallback-scsv": Vulnerable, "ticketbleed": NotApplicable, "robot": Vulnerable}, true},
		{"fixed peer", func(t *testing.T) (int, int) { p := legacyPeer(t, peerFaults{heartbeat: true}); return p, p },
			map[string]Verdict{"heartbleed": NotVulnerable, "ccs-injection": NotVulnerable, "compression": NotVulnerable, "fallback-scsv": NotVulnerable, "ticketbleed": NotApplicable, "robot": NotVulnerable}, true},
		// One s_server each: it serves one connection at a time.
		{"openssl s_server", func(t *testing.T) (int, int) { return startOpenSSL(t, "-www"), startOpenSSL(t, "-www") },
			map[string]Verdict{"heartbleed": NotVulnerable, "ccs-injection": NotVulnerable, "compression": NotVulnerable, "fallback-scsv": NotVulnerable, "ticketbleed": NotVulnerable, "robot": NotVulnerable}, false},
		{"Go", func(t *testing.T) (int, int) { p := goServer(t); return p, p },
			map[string]Verdict{"heartbleed": NotVulnerable, "ccs-injection": NotVulnerable, "compression": NotVulnerable, "fallback-scsv": NotVulnerable, "ticketbleed": NotVulnerable, "robot": NotVulnerable}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours, theirsPort := tc.start(t)
			done := make(chan map[string]testsslFinding, 1)
			args := []string{"--heartbleed", "--ccs-injection", "--crime", "--tls-fallback", "--ticketbleed", "--robot"}
			if tc.protocols {
				args = append(args, "-p")
			}
			go func() { done <- byID(runTestssl(t, localAddr(theirsPort), args...)) }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Scan(ctx, Options{Target: localTarget(ours), Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			theirs := <-done
			for id, theirID := range checks {
				c := checkOf(t, res, id)
				if c.Verdict != tc.want[id] {
					t.Errorf("%s: %s (sent %s; received %s), want %s", id, c.Verdict, c.Sent, c.Received, tc.want[id])
				}
				f, ok := theirs[theirID]
				if !ok {
					t.Errorf("testssl has no %s finding", theirID)
					continue
				}
				tv := testsslVerdict(f)
				switch {
				case c.Verdict == NotApplicable && (tv == NotVulnerable || tv == NotApplicable):
				case tv != c.Verdict:
					t.Errorf("%s: tlskit %s (%s), testssl %s %q", id, c.Verdict, c.Received, f.Severity, f.Finding)
				}
			}
		})
	}
}

// TestTicketbleed: the front that echoes 32 bytes of session ID on resumption, before a Go
// server that issues tickets, is vulnerable; the Go server alone is not.
func TestTicketbleed(t *testing.T) {
	t.Parallel()
	_, _, pair := testCert(t, "rsa")
	backend := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}, MaxVersion: tls.VersionTLS12})
	for _, tc := range []struct {
		name string
		port int
		want Verdict
	}{
		{"F5-like front", ticketbleedFront(t, backend), Vulnerable},
		{"Go", backend.Addr().(*net.TCPAddr).Port, NotVulnerable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, _ := runScan(t, tc.port, 3*time.Second)
			if c := checkOf(t, res, "ticketbleed"); c.Verdict != tc.want {
				t.Fatalf("ticketbleed %s (sent %s; received %s), want %s", c.Verdict, c.Sent, c.Received, tc.want)
			}
		})
	}
}

// TestAttackFindingsVersusTestssl: the findings named after attacks on kinds of suites, held to
// testssl's verdicts on the same servers in the same run: s_server accepting everything OpenSSL
// 3.0 still has (TLS 1.0 to 1.3 at security level 0: CBC in TLS 1.0, but no 3DES, which its ALL
// no longer holds), its default, and gnutls-serv with 3DES. Debian's OpenSSL and GnuTLS have no
// SSL 2.0, SSL 3.0 or export suites, so POODLE, DROWN, FREAK and Logjam are not vulnerable on any
// (their positive cases are the finding tests' fixtures).
func TestAttackFindingsVersusTestssl(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	needTestssl(t)
	attacks := map[string]string{"sweet32": "SWEET32", "beast": "BEAST", "lucky13": "LUCKY13", "freak": "FREAK", "logjam": "LOGJAM", "poodle": "POODLE_SSL", "drown": "DROWN"}
	certFile, keyFile, _ := testCert(t, "rsa")
	gnutls := func(t *testing.T) (int, int) {
		srv := peertest.GnuTLSServer(t, "", certFile, keyFile, "--priority", "NORMAL:+3DES-CBC:+VERS-TLS1.0")
		p, err := strconv.Atoi(srv.Port)
		if err != nil {
			t.Fatal(err)
		}
		return p, p
	}
	openssl := func(args ...string) func(t *testing.T) (int, int) {
		return func(t *testing.T) (int, int) {
			return startOpenSSL(t, args...), startOpenSSL(t, append([]string{"-www"}, args...)...)
		}
	}
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (ours, theirs int)
		want  []string // the attack findings expected
	}{
		{"s_server everything", openssl("-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1"), []string{"beast", "lucky13"}},
		{"s_server default", openssl(), []string{"lucky13"}},
		{"gnutls-serv 3DES", gnutls, []string{"sweet32", "beast", "lucky13"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours, theirsPort := tc.start(t)
			done := make(chan map[string]testsslFinding, 1)
			go func() {
				// -p: without its socket-based protocol run first, testssl asks the machine's
				// OpenSSL (MinProtocol TLSv1.2 in Debian's openssl.cnf) about TLS 1.0, and calls
				// BEAST "not vulnerable, no SSL3 or TLS1" on a server that takes TLS 1.0.
				done <- byID(runTestssl(t, localAddr(theirsPort), "-p", "--sweet32", "--beast", "--lucky13", "--freak", "--logjam", "--poodle", "--drown"))
			}()
			res, _ := runScan(t, ours, 3*time.Second)
			theirs := <-done
			for ours, id := range attacks {
				sev := findingSeverity(res, ours)
				if (sev != "") != slices.Contains(tc.want, ours) {
					t.Errorf("%s finding %q, expected %v", ours, sev, slices.Contains(tc.want, ours))
				}
				f, ok := theirs[id]
				if !ok {
					t.Errorf("testssl has no %s", id)
					continue
				}
				tv := testsslVerdict(f)
				if tv == "" {
					t.Logf("testssl gives no verdict on %s: %s %q", id, f.Severity, f.Finding)
					continue
				}
				if (tv == Vulnerable) != (sev != "") {
					t.Errorf("%s: tlskit %q, testssl %s %q", ours, sev, f.Severity, f.Finding)
				}
				if tv == Vulnerable && !strings.EqualFold(sev, f.Severity) {
					t.Errorf("%s: severity %s, testssl %s", ours, sev, f.Severity)
				}
			}
		})
	}
}
