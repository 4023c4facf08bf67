package scan

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestOpenSSLServerPreference checks that a server enforcing its own order (-serverpref) is
// seen to, with the found suites in that order. The other way round, a server following the
// client's order, is the tls12-three-suites case of TestOpenSSLVersusSSLScan: the same three
// suites without -serverpref (where the order of s_server's list plays no part), so that one
// s_server serves both.
func TestOpenSSLServerPreference(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256", "-serverpref")
	res, _ := runScan(t, port, 3*time.Second)
	v := version(t, res, "TLS 1.2")
	if v.ServerPreference == nil || !*v.ServerPreference {
		t.Fatalf("server preference = %v, want true", v.ServerPreference)
	}
	if got, want := suiteIDs(v), []uint16{0x002f, 0xc014, 0xc02f}; !slices.Equal(got, want) {
		t.Errorf("preference order = %04x, want %04x", got, want)
	}
}

func TestOpenSSLGroups(t *testing.T) {
	t.Parallel()
	port := startOpenSSL(t, "-groups", "X25519:P-384")
	res, _ := runScan(t, port, 3*time.Second)
	var got []string
	for _, g := range res.Groups {
		if g.Supported {
			got = append(got, g.Name)
		}
	}
	if !slices.Equal(got, []string{"x25519", "P-384"}) {
		t.Errorf("supported groups = %v (all %+v)", got, res.Groups)
	}
	if len(res.Groups) < 4 {
		t.Errorf("only %d groups probed", len(res.Groups))
	}
	if !res.HelloRetryRequest {
		t.Errorf("HelloRetryRequest not detected")
	}
}

// TestOpenSSLVersusSSLScan scans OpenSSL 3's s_server in several configurations and runs
// sslscan (2.0.7), the reference for which (version, suite) pairs and groups a server accepts,
// on the same server in the same run. For every configuration: the pairs are sslscan's, each
// with sslscan's id for it; the groups are sslscan's; no version is inconclusive; the full
// handshake's chain is the server's certificate. Where the configuration names its suites, the
// pairs are exactly those; and the findings it calls for are made. (The CLI's side of one of
// these, its exit codes and JSON, is cmd/internal/e2e/scan's TestScanReport.)
func TestOpenSSLVersusSSLScan(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	sslscan := peertest.Need(t, "sslscan")
	no := false
	cases := []struct {
		name string
		key  string // "rsa" or "ecdsa"
		args []string
		// versions, if set, are exactly the versions supported; want, if set, exactly the
		// pairs, as "VERSION ID OPENSSL-NAME".
		versions []string
		want     []string
		pref     *bool  // if set, TLS 1.2's server preference (and, when false, table order)
		finding  string // a finding that must be made ("high": any of that severity)
	}{
		// The longest first, as they hold the package's wall time: sslscan takes 2.5-2.8 s of
		// their 2.6-3.0 s (run beside the scan), 2 s of it four connections it leaves open
		// after the server's alert, for which s_server, serving one connection at a time,
		// waits 500 ms each before closing.
		{name: "all-rsa", key: "rsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}, finding: "high"},
		{name: "all-ecdsa", key: "ecdsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}, finding: "high"},
		{name: "tls12-three-suites", key: "rsa",
			args:     []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA:AES128-SHA"},
			versions: []string{"TLS 1.2"},
			want:     []string{"TLS 1.2 002F AES128-SHA", "TLS 1.2 C014 ECDHE-RSA-AES256-SHA", "TLS 1.2 C02F ECDHE-RSA-AES128-GCM-SHA256"},
			pref:     &no},
		{name: "tls13-chacha-only", key: "ecdsa",
			args:     []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"},
			versions: []string{"TLS 1.3"},
			want:     []string{"TLS 1.3 1303 TLS_CHACHA20_POLY1305_SHA256"}},
		{name: "tls10-only", key: "rsa", args: []string{"-tls1", "-cipher", "ALL:@SECLEVEL=0"},
			versions: []string{"TLS 1.0"}, finding: "tls10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// Two servers of the same configuration, so sslscan runs beside our scan instead of
			// after it: s_server serves one connection at a time, and sslscan on the same one
			// slowed our scan from 0.7 s to 2 s, close to its timeout.
			port := startOpenSSLWith(t, c.key, c.args...)
			sslscanPort := startOpenSSLWith(t, c.key, c.args...)
			var (
				ss          sslscanResult
				sslscanErr  error
				sslscanTook time.Duration
			)
			sslscanDone := make(chan struct{})
			go func() {
				defer close(sslscanDone)
				start := time.Now()
				ss, sslscanErr = runSSLScan(sslscan, sslscanPort)
				sslscanTook = time.Since(start)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Scan(ctx, Options{Target: localTarget(port), ServerName: "localhost",
				Roots: testRoots(t, c.key), Timeout: 3 * time.Second})
			took := time.Since(start)
			<-sslscanDone
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if sslscanErr != nil {
				t.Fatal(sslscanErr)
			}
			t.Logf("scan %v (%d probes), sslscan %v", took.Round(time.Millisecond), res.Probes, sslscanTook.Round(time.Millisecond))

			ours := map[string]Suite{} // "TLS 1.2 TLS_ECDHE_..." (IANA names)
			var pairs []string
			for _, v := range res.Versions {
				if v.Inconclusive {
					t.Errorf("%s reported inconclusive against a healthy s_server", v.Version)
				}
				for _, s := range v.Suites {
					ours[v.Version+" "+s.Name] = s
					pairs = append(pairs, fmt.Sprintf("%s %04X %s", v.Version, s.ID, s.OpenSSLName))
				}
			}
			// sslscan names suites the OpenSSL way; the table is the bridge to IANA names,
			// and sslscan's id for a suite must be ours.
			theirs := map[string]bool{}
			for k, id := range ss.pairs {
				ver, name, _ := strings.Cut(k, " ")
				tv, ok := sslscanVersions[ver]
				if !ok {
					t.Errorf("sslscan version %q unknown", ver)
					continue
				}
				cs, ok := wire.CipherSuiteByName(name)
				if !ok {
					t.Errorf("sslscan cipher %q not in the table", name)
					continue
				}
				theirs[tv+" "+cs.Name] = true
				if s, ok := ours[tv+" "+cs.Name]; ok && fmt.Sprintf("%04X", s.ID) != id {
					t.Errorf("%s %s: our id 0x%04X, sslscan's 0x%s", tv, cs.Name, s.ID, id)
				}
			}
			if missing, extra := diff(sortedKeys(theirs), sortedKeys(ours)); len(missing)+len(extra) > 0 {
				t.Errorf("(version, suite) pairs differ from sslscan's:\nonly sslscan: %v\nonly ours: %v", missing, extra)
			}
			if c.want != nil {
				if missing, extra := diff(c.want, sortedSet(pairs)); len(missing)+len(extra) > 0 {
					t.Errorf("(version, suite) pairs differ from the configured ones:\nmissing: %v\nunexpected: %v", missing, extra)
				}
			}
			if c.versions != nil {
				supportedOnly(t, res, c.versions...)
			}
			if c.pref != nil {
				v := version(t, res, "TLS 1.2")
				if v.ServerPreference == nil || *v.ServerPreference != *c.pref {
					t.Errorf("TLS 1.2 server preference = %v, want %v", v.ServerPreference, *c.pref)
				}
				if ids := suiteIDs(v); !*c.pref && !slices.IsSorted(ids) {
					t.Errorf("TLS 1.2 suites %04x, want table order (the server follows the client's)", ids)
				}
			}

			// Groups: the scan tests TLS 1.3 groups when TLS 1.3 is accepted, else the ECDHE
			// curves of the highest older version with an ECDHE suite.
			var got []string
			for _, g := range res.Groups {
				if g.Supported {
					got = append(got, g.Name)
				}
			}
			var want []string
			if version(t, res, "TLS 1.3").Supported {
				want = ss.groups["TLSv1.3"]
			} else if hv := highestECDHE(res); hv != "" {
				want = ss.groups[toSSLScanVersion(hv)]
				if want == nil {
					// sslscan lists pre-1.3 groups once, under the highest version it tests.
					for _, v := range ss.versions {
						if v != "TLSv1.3" {
							want = ss.groups[v]
							break
						}
					}
				}
			}
			if w, g := sortedSet(want), sortedSet(got); !slices.Equal(w, g) {
				t.Errorf("groups: ours %v, sslscan %v (sslscan lists per version %v)", g, w, ss.groups)
			}

			if conn := res.Connection; conn == nil || len(conn.Chain) == 0 {
				t.Errorf("no chain from the full handshake: %+v", conn)
			} else if s := conn.Chain[0].Subject; s != "CN=localhost" {
				t.Errorf("connection chain[0] subject = %q, want CN=localhost", s)
			}

			if c.finding != "" {
				found := false
				for _, f := range Findings(res) {
					found = found || f.ID == c.finding || f.Severity == c.finding
				}
				if !found {
					t.Errorf("no %s finding: %+v", c.finding, Findings(res))
				}
			}
			if t.Failed() {
				t.Logf("ours: %v\nsslscan:\n%s", sortedSet(pairs), ss.raw)
			}
		})
	}
}

// sslscanXML is the part of sslscan's XML (sslscan --xml=-) the comparison reads: <cipher
// sslversion= cipher= id=/> and <group sslversion= name=/> elements inside <ssltest>.
type sslscanXML struct {
	Tests []struct {
		Ciphers []struct {
			SSLVersion string `xml:"sslversion,attr"`
			Cipher     string `xml:"cipher,attr"`
			ID         string `xml:"id,attr"`
		} `xml:"cipher"`
		Groups []struct {
			SSLVersion string `xml:"sslversion,attr"`
			Name       string `xml:"name,attr"`
		} `xml:"group"`
	} `xml:"ssltest"`
}

// sslscanVersions maps sslscan's protocol names to ours.
var sslscanVersions = map[string]string{
	"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLSv1.0": "TLS 1.0", "TLSv1.1": "TLS 1.1",
	"TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3",
}

func toSSLScanVersion(v string) string {
	for k, x := range sslscanVersions {
		if x == v {
			return k
		}
	}
	return v
}

// sslscanGroups maps sslscan's group names (the part before any " (NIST P-256)") to ours, for
// the groups the scan probes: x25519, P-256, P-384, P-521, x448, ffdhe2048..8192 and the ML-KEM
// hybrids (which sslscan 2.0.7 does not know, so it never lists them). sslscan also lists, from
// other OpenSSL builds, secp224r1/secp192r1, brainpool and binary sect* curves for TLS 1.2 and
// below, which the scan does not probe and which are therefore not compared.
var sslscanGroups = map[string]string{"x25519": "x25519", "secp256r1": "P-256", "prime256v1": "P-256",
	"secp384r1": "P-384", "secp521r1": "P-521", "X25519MLKEM768": "X25519MLKEM768", "x448": "x448",
	"ffdhe2048": "ffdhe2048", "ffdhe3072": "ffdhe3072", "ffdhe4096": "ffdhe4096", "ffdhe6144": "ffdhe6144", "ffdhe8192": "ffdhe8192"}

// sslscanResult is what sslscan found.
type sslscanResult struct {
	pairs    map[string]string   // "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" -> id "C02F"
	groups   map[string][]string // sslscan version -> our names of the groups it lists
	versions []string            // sslscan versions with groups, in listing order
	raw      string
}

// runSSLScan runs sslscan against 127.0.0.1:port and reads its XML report. It returns an
// error rather than failing the test, so that it can run beside the scan in a goroutine.
func runSSLScan(sslscan string, port int) (sslscanResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sslscan, "--no-colour", "--xml=-", "127.0.0.1:"+itoa(port)).Output()
	if err != nil {
		return sslscanResult{}, fmt.Errorf("sslscan: %v\n%s", err, out)
	}
	// sslscan prints its text report before the XML on stdout.
	doc := out
	if i := bytes.Index(doc, []byte("<?xml")); i >= 0 {
		doc = doc[i:]
	}
	var x sslscanXML
	if err := xml.Unmarshal(doc, &x); err != nil {
		return sslscanResult{}, fmt.Errorf("parsing sslscan XML: %v\n%s", err, out)
	}
	res := sslscanResult{pairs: map[string]string{}, groups: map[string][]string{}, raw: string(out)}
	for _, tst := range x.Tests {
		for _, c := range tst.Ciphers {
			res.pairs[c.SSLVersion+" "+c.Cipher] = strings.ToUpper(strings.TrimPrefix(c.ID, "0x"))
		}
		for _, g := range tst.Groups {
			name, _, _ := strings.Cut(g.Name, " (")
			ours, ok := sslscanGroups[strings.TrimSpace(name)]
			if !ok {
				continue // a group the scan does not probe
			}
			if _, seen := res.groups[g.SSLVersion]; !seen {
				res.versions = append(res.versions, g.SSLVersion)
			}
			res.groups[g.SSLVersion] = append(res.groups[g.SSLVersion], ours)
		}
	}
	if len(res.pairs) == 0 {
		return sslscanResult{}, fmt.Errorf("sslscan found no cipher at all:\n%s", out)
	}
	return res, nil
}

// highestECDHE is the highest version below TLS 1.3 with an accepted ECDHE suite.
func highestECDHE(r *Result) string {
	best := ""
	for _, v := range r.Versions {
		if !v.Supported || v.Version == "TLS 1.3" {
			continue
		}
		for _, s := range v.Suites {
			if strings.HasPrefix(s.Name, "TLS_ECDHE_") && v.Version > best {
				best = v.Version
			}
		}
	}
	return best
}

// sortedSet is a sorted, deduplicated copy.
func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// sortedKeys is a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// diff is what is in want but not got, and in got but not want (both sorted sets).
func diff(want, got []string) (missing, extra []string) {
	for _, x := range want {
		if _, ok := slices.BinarySearch(got, x); !ok {
			missing = append(missing, x)
		}
	}
	for _, x := range got {
		if _, ok := slices.BinarySearch(want, x); !ok {
			extra = append(extra, x)
		}
	}
	return missing, extra
}

// TestSecureRenegotiation: RFC 5746 secure renegotiation, as openssl s_client (the reference)
// reports it on the same servers: "Secure Renegotiation IS supported" from s_server, "IS NOT"
// from gnutls-serv with %DISABLE_SAFE_RENEGOTIATION, which gets the insecure-renegotiation
// finding.
func TestSecureRenegotiation(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	certFile, keyFile, _ := testCert(t, "rsa")
	gnutls := peertest.GnuTLSServer(t, "", certFile, keyFile, "--priority", "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION")
	gport, _ := strconv.Atoi(gnutls.Port)
	for _, tc := range []struct {
		name string
		port int
		want bool
	}{{"openssl s_server", startOpenSSL(t, "-tls1_2"), true}, {"gnutls-serv %DISABLE_SAFE_RENEGOTIATION", gport, false}} {
		res, err := Scan(context.Background(), Options{Target: localTarget(tc.port), Timeout: 3 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cmd := exec.Command(openssl, "s_client", "-connect", "127.0.0.1:"+itoa(tc.port), "-tls1_2")
		cmd.Stdin = strings.NewReader("")
		cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
		out, _ := cmd.CombinedOutput()
		theirs := strings.Contains(string(out), "Secure Renegotiation IS supported")
		if !theirs && !strings.Contains(string(out), "Secure Renegotiation IS NOT supported") {
			t.Fatalf("%s: s_client said neither:\n%s", tc.name, out)
		}
		if theirs != tc.want {
			t.Fatalf("%s: s_client says secure renegotiation %v, the test expects %v", tc.name, theirs, tc.want)
		}
		if res.SecureRenegotiation == nil || *res.SecureRenegotiation != theirs {
			t.Errorf("%s: scan says %v, s_client %v", tc.name, res.SecureRenegotiation, theirs)
		}
		if got := findingSeverity(res, "insecure-renegotiation"); (got == "high") != !theirs {
			t.Errorf("%s: insecure-renegotiation %q", tc.name, got)
		}
	}
}

// TestInsecureRenegotiationVersusTestssl: the insecure-renegotiation verdict beside testssl's
// secure_renego on the same servers in the same run. On s_server both say supported. testssl
// cannot test gnutls-serv with %DISABLE_SAFE_RENEGOTIATION: its OpenSSL 3.0 refuses a server
// without RFC 5746 outright (unsafe legacy renegotiation is off by default since 3.0), and it
// says "OpenSSL handshake didn't succeed" (WARN); the test holds testssl to that, and the
// verdict is held to s_client's "Secure Renegotiation IS NOT supported" in
// TestSecureRenegotiation.
func TestInsecureRenegotiationVersusTestssl(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	peertest.NeedOpenSSL3(t)
	certFile, keyFile, _ := testCert(t, "rsa")
	for _, tc := range []struct {
		name  string
		start func(t *testing.T) (ours, theirs int)
		want  bool // the finding
		// cannot: testssl's OpenSSL will not connect, and says so
		cannot bool
	}{
		{"gnutls-serv %DISABLE_SAFE_RENEGOTIATION", func(t *testing.T) (int, int) {
			p, _ := strconv.Atoi(peertest.GnuTLSServer(t, "", certFile, keyFile, "--priority", "NORMAL:-VERS-TLS1.3:%DISABLE_SAFE_RENEGOTIATION").Port)
			return p, p
		}, true, true},
		{"openssl s_server", func(t *testing.T) (int, int) { return startOpenSSL(t, "-tls1_2"), startOpenSSL(t, "-tls1_2", "-www") }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours, theirsPort := tc.start(t)
			done := make(chan map[string]testsslFinding, 1)
			go func() { done <- byID(runTestssl(t, localAddr(theirsPort), "--renegotiation")) }()
			res, _ := runScan(t, ours, 3*time.Second)
			got := findingSeverity(res, "insecure-renegotiation") == "high"
			f := (<-done)["secure_renego"]
			theirs := testsslVerdict(f) == Vulnerable
			if tc.cannot {
				if f.Severity != "WARN" || !strings.Contains(f.Finding, "handshake didn't succeed") {
					t.Errorf("testssl %s %q: the test expects it cannot connect", f.Severity, f.Finding)
				}
				theirs = tc.want
			}
			if got != tc.want || theirs != tc.want {
				t.Errorf("insecure-renegotiation %v, testssl %s %q, want %v", got, f.Severity, f.Finding, tc.want)
			}
		})
	}
}
