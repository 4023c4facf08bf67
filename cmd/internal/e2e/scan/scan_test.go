//go:build unix

package scan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of `tlskit scan`: against OpenSSL 3's s_server in several configurations,
// with sslscan (2.0.7) as the reference for which (version, suite) pairs and groups a server
// accepts; and against misbehaving TCP peers, which must neither hang the scan nor make it
// report suites nobody accepted. Every certificate is made by the tlskit binary; servers listen
// on 127.0.0.1 only (peertest.OpenSSLServer starts and reaps them).

// report is the part of `tlskit scan -o json` these tests read.
type report struct {
	Versions []struct {
		Version          string `json:"version"`
		Supported        bool   `json:"supported"`
		Inconclusive     bool   `json:"inconclusive"`
		ServerPreference *bool  `json:"server_preference"`
		Suites           []struct {
			ID          uint16 `json:"id"`
			Name        string `json:"name"`
			OpenSSLName string `json:"openssl_name"`
		} `json:"suites"`
	} `json:"versions"`
	Groups []struct {
		ID        uint16 `json:"id"`
		Name      string `json:"name"`
		Supported bool   `json:"supported"`
	} `json:"groups"`
	Probes     int `json:"probes"`
	Connection *struct {
		Version     string `json:"version"`
		CipherSuite string `json:"cipher_suite"`
		Chain       []struct {
			Subject string `json:"subject"`
		} `json:"chain"`
		Error string `json:"error"`
	} `json:"connection"`
	Findings []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
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

// pairsOf is tlskit's accepted (version, suite) pairs, "TLS 1.2 TLS_ECDHE_..." (IANA names).
func pairsOf(r report) map[string]bool {
	m := map[string]bool{}
	for _, v := range r.Versions {
		if !v.Supported {
			continue
		}
		for _, s := range v.Suites {
			m[v.Version+" "+s.Name] = true
		}
	}
	return m
}

// groupsOf is the names of the groups tlskit says the server accepts.
func groupsOf(r report) []string {
	var g []string
	for _, x := range r.Groups {
		if x.Supported {
			g = append(g, x.Name)
		}
	}
	sort.Strings(g)
	return g
}

func hasFinding(r report, id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// sslscan's XML (sslscan --xml=-): <cipher sslversion= cipher= id=/> and <group sslversion=
// name= id=/> elements inside <ssltest>.
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

// sslscanVersionOf maps sslscan's protocol names to tlskit's.
var sslscanVersionOf = map[string]string{"SSLv2": "SSL 2.0", "SSLv3": "SSL 3.0", "TLSv1.0": "TLS 1.0",
	"TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}

// sslscanGroupOf maps sslscan's group names (the part before any " (NIST P-256)") to tlskit's,
// for the groups tlskit probes: x25519, P-256, P-384, P-521, x448, ffdhe2048..8192 and the
// ML-KEM hybrids (which sslscan 2.0.7 does not know, so it never lists them). sslscan also
// lists, from other OpenSSL builds, secp224r1/secp192r1, brainpool and binary sect* curves for
// TLS 1.2 and below, which tlskit does not probe and which are therefore not compared.
var sslscanGroupOf = map[string]string{"x25519": "x25519", "secp256r1": "P-256", "prime256v1": "P-256",
	"secp384r1": "P-384", "secp521r1": "P-521", "X25519MLKEM768": "X25519MLKEM768", "x448": "x448",
	"ffdhe2048": "ffdhe2048", "ffdhe3072": "ffdhe3072", "ffdhe4096": "ffdhe4096", "ffdhe6144": "ffdhe6144", "ffdhe8192": "ffdhe8192"}

type sslscanResult struct {
	pairs    map[string]string   // "TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256" -> id "0xC02F"
	groups   map[string][]string // sslscan version -> tlskit group names it lists
	versions []string            // sslscan versions with groups, in listing order
	raw      string
}

func runSSLScan(t *testing.T, dir, port string) sslscanResult {
	t.Helper()
	r := e2etest.Exec(t, dir, "", nil, peertest.Need(t, "sslscan"), "--no-colour", "--xml=-", "127.0.0.1:"+port)
	if r.Code != 0 {
		t.Fatalf("sslscan: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// sslscan writes its text report to stdout too; the XML document starts at "<?xml".
	doc := r.Stdout
	if i := strings.Index(doc, "<?xml"); i >= 0 {
		doc = doc[i:]
	}
	var x struct {
		XMLName xml.Name `xml:"document"`
		sslscanXML
	}
	if err := xml.Unmarshal([]byte(doc), &x); err != nil {
		t.Fatalf("sslscan XML: %v\n%s", err, r.Stdout)
	}
	res := sslscanResult{pairs: map[string]string{}, groups: map[string][]string{}, raw: r.Stdout}
	for _, tst := range x.Tests {
		for _, c := range tst.Ciphers {
			res.pairs[c.SSLVersion+" "+c.Cipher] = strings.ToUpper(strings.TrimPrefix(c.ID, "0x"))
		}
		for _, g := range tst.Groups {
			name, _, _ := strings.Cut(g.Name, " (")
			tn, ok := sslscanGroupOf[strings.TrimSpace(name)]
			if !ok {
				continue // a group tlskit does not probe
			}
			if _, seen := res.groups[g.SSLVersion]; !seen {
				res.versions = append(res.versions, g.SSLVersion)
			}
			res.groups[g.SSLVersion] = append(res.groups[g.SSLVersion], tn)
		}
	}
	if len(res.pairs) == 0 {
		t.Fatalf("sslscan found no cipher at all:\n%s%s", r.Stdout, r.Stderr)
	}
	return res
}

// sortedSet is a sorted, deduplicated copy.
func sortedSet(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	out := make([]string, 0, len(m))
	for x := range m {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// fixture is the certificates the scanned servers use.
type fixture struct{ dir string }

// path is the absolute path of a fixture file.
func (f fixture) path(name string) string { return filepath.Join(f.dir, name) }

func makeFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "--ca-dir", "ca", "--out", "ecdsa.pem", "--key-out", "ecdsa-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "--ca-dir", "ca", "--key-type", "rsa-2048", "--out", "rsa.pem", "--key-out", "rsa-key.pem")
	return fixture{dir: dir}
}

func TestMain(m *testing.M) { e2etest.Main(m) }

func TestScanMatchesSSLScan(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	peertest.Need(t, "sslscan")
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")

	cases := []struct {
		name  string
		key   string // "rsa" or "ecdsa"
		args  []string
		want  []string // if set, exactly these "VERSION OPENSSL-NAME" pairs (besides sslscan's)
		all   bool     // the everything case: exit 3 with the default --fail-on high
		tls10 bool     // TLS 1.0 only: finding tls10
	}{
		{name: "tls12-three-suites", key: "rsa",
			args: []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA:AES128-SHA"},
			want: []string{"TLS 1.2 AES128-SHA", "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", "TLS 1.2 ECDHE-RSA-AES256-SHA"}},
		{name: "tls13-chacha-only", key: "ecdsa",
			args: []string{"-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"},
			want: []string{"TLS 1.3 TLS_CHACHA20_POLY1305_SHA256"}},
		{name: "all-rsa", key: "rsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}, all: true},
		{name: "all-ecdsa", key: "ecdsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}, all: true},
		{name: "tls10-only", key: "rsa", args: []string{"-tls1", "-cipher", "ALL:@SECLEVEL=0"}, tls10: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, fx.path(c.key+".pem"), fx.path(c.key+"-key.pem"), c.args...)
			target := "127.0.0.1:" + srv.Port

			start := time.Now()
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "scan", target, "--sni", "localhost", "--ca", ca, "-o", "json", "--fail-on", "none")
			took := time.Since(start)
			if code != 0 {
				t.Fatalf("tlskit scan --fail-on none: exit %d\nstderr:\n%s\nstdout:\n%s", code, errOut, out)
			}
			rep := parseReport(t, "tlskit scan", out)
			start = time.Now()
			ss := runSSLScan(t, dir, srv.Port)
			t.Logf("tlskit scan %v (%d probes), sslscan %v", took.Round(time.Millisecond), rep.Probes, time.Since(start).Round(time.Millisecond))

			for _, v := range rep.Versions {
				if v.Inconclusive {
					t.Errorf("%s reported inconclusive against a healthy s_server", v.Version)
				}
			}

			// (version, suite) pairs. tlskit's pairs carry the OpenSSL name of each suite; that
			// is the bridge to sslscan's names (and sslscan's id must be the suite's id).
			var tkList []string
			for _, v := range rep.Versions {
				if !v.Supported {
					continue
				}
				for _, s := range v.Suites {
					tkList = append(tkList, v.Version+" "+s.OpenSSLName)
					if want, ok := ss.pairs[toSSLScanVersion(v.Version)+" "+s.OpenSSLName]; ok {
						if got := fmt.Sprintf("%04X", s.ID); got != want {
							t.Errorf("%s %s: tlskit id 0x%s, sslscan id 0x%s for %s", v.Version, s.Name, got, want, s.OpenSSLName)
						}
					}
				}
			}
			var ssList []string
			for k := range ss.pairs {
				ver, name, _ := strings.Cut(k, " ")
				tv, ok := sslscanVersionOf[ver]
				if !ok {
					t.Errorf("sslscan version %q unknown", ver)
					continue
				}
				ssList = append(ssList, tv+" "+name)
			}
			tkList, ssList = sortedSet(tkList), sortedSet(ssList)
			if missing, extra := diff(ssList, tkList); len(missing)+len(extra) > 0 {
				t.Errorf("(version, suite) pairs differ from sslscan's:\nonly sslscan: %v\nonly tlskit: %v", missing, extra)
			}
			if c.want != nil {
				if missing, extra := diff(c.want, tkList); len(missing)+len(extra) > 0 {
					t.Errorf("(version, suite) pairs differ from the configured ones:\nmissing: %v\nunexpected: %v", missing, extra)
				}
			}

			// Groups: tlskit tests TLS 1.3 groups when TLS 1.3 is accepted, else the ECDHE
			// curves of the highest older version with an ECDHE suite.
			gotGroups := groupsOf(rep)
			var wantGroups []string
			if _, ok := rep13(rep); ok {
				wantGroups = ss.groups["TLSv1.3"]
			} else if hv := highestECDHE(rep); hv != "" {
				wantGroups = ss.groups[toSSLScanVersion(hv)]
				if wantGroups == nil && len(ss.versions) > 0 {
					// sslscan lists pre-1.3 groups once, under the highest version it tests.
					for _, v := range ss.versions {
						if v != "TLSv1.3" {
							wantGroups = ss.groups[v]
							break
						}
					}
				}
			}
			if w := sortedSet(wantGroups); strings.Join(w, ",") != strings.Join(gotGroups, ",") {
				t.Errorf("groups: tlskit %v, sslscan %v (sslscan lists per version %v)", gotGroups, w, ss.groups)
			}

			if rep.Connection == nil || len(rep.Connection.Chain) == 0 {
				t.Errorf("no connection chain in the report: %+v", rep.Connection)
			} else if s := rep.Connection.Chain[0].Subject; s != "CN=localhost" {
				t.Errorf("connection.chain[0].subject = %q, want CN=localhost", s)
			}

			if c.all {
				out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "scan", target, "--sni", "localhost", "--ca", ca, "-o", "json")
				if code != 3 {
					t.Errorf("default --fail-on high against ALL:@SECLEVEL=0: exit %d, want 3\nstderr:\n%s", code, errOut)
				}
				r := parseReport(t, "tlskit scan (fail-on high)", out)
				high := false
				for _, f := range r.Findings {
					high = high || f.Severity == "high"
				}
				if !high {
					t.Errorf("no high finding against ALL:@SECLEVEL=0: %+v", r.Findings)
				}
			}
			if c.tls10 && !hasFinding(rep, "tls10") {
				t.Errorf("no tls10 finding for a TLS 1.0-only server: %+v", rep.Findings)
			}
			if t.Failed() {
				t.Logf("tlskit JSON:\n%s\nsslscan:\n%s", out, ss.raw)
			}
		})
	}
}

func rep13(r report) (int, bool) {
	for i, v := range r.Versions {
		if v.Version == "TLS 1.3" && v.Supported {
			return i, true
		}
	}
	return 0, false
}

// highestECDHE is the highest version below TLS 1.3 with an accepted ECDHE suite.
func highestECDHE(r report) string {
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

func toSSLScanVersion(v string) string {
	for k, x := range sslscanVersionOf {
		if x == v {
			return k
		}
	}
	return v
}

// diff is what is in want but not got, and in got but not want (both sorted sets).
func diff(want, got []string) (missing, extra []string) {
	w, g := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range got {
		g[x] = true
	}
	for _, x := range want {
		if !g[x] {
			missing = append(missing, x)
		}
	}
	for _, x := range got {
		if !w[x] {
			extra = append(extra, x)
		}
	}
	return missing, extra
}

// badPeer is peertest.Serve with each accepted connection numbered from 1.
func badPeer(t *testing.T, handle func(n int64, c net.Conn)) string {
	t.Helper()
	var n atomic.Int64
	return peertest.Serve(t, func(_ context.Context, c net.Conn) { handle(n.Add(1), c) })
}

func TestScanBadPeers(t *testing.T) {
	t.Parallel()
	fx := makeFixture(t)
	cert, err := tls.LoadX509KeyPair(fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// Go's server with a fixed TLS 1.2 suite list; TLS 1.3 suites are not configurable.
	goSuites := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
	goCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, CipherSuites: goSuites}
	goAccepts := map[string]bool{}
	for _, id := range goSuites {
		goAccepts["TLS 1.2 "+tls.CipherSuiteName(id)] = true
	}
	for _, id := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256} {
		goAccepts["TLS 1.3 "+tls.CipherSuiteName(id)] = true
	}

	cases := []struct {
		name   string
		handle func(n int64, c net.Conn)
		tls    bool // a real TLS server answers some connections
	}{
		{name: "drop-every-second", tls: true, handle: func(n int64, c net.Conn) {
			defer c.Close()
			if n%2 == 0 {
				return // close without reading
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			s := tls.Server(c, goCfg)
			if s.Handshake() == nil {
				io.Copy(io.Discard, s)
			}
		}},
		{name: "stall-after-accept", handle: func(n int64, c net.Conn) {
			io.Copy(io.Discard, c) // never answers; returns when the cleanup closes c
		}},
		{name: "garbage", handle: func(n int64, c net.Conn) {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			c.Read(buf)
			junk := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			for i := 0; i < 64; i++ {
				junk = append(junk, byte(i*37+11))
			}
			c.Write(junk)
		}},
		{name: "garbage-tls-like", handle: func(n int64, c net.Conn) {
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			c.Read(buf)
			// A handshake record holding a truncated, nonsensical ServerHello.
			c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00, 0x00, 0x40, 0x03, 0x03, 0xde, 0xad})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := badPeer(t, c.handle)
			start := time.Now()
			out, errOut, code := e2etest.RunTlskit(t, t.TempDir(), []string{"NO_COLOR=1"}, "scan", addr, "--sni", "localhost",
				"--ca", fx.path("ca/ca.pem"), "--timeout", "1s", "-o", "json")
			took := time.Since(start)
			t.Logf("exit %d after %v", code, took.Round(time.Millisecond))
			if took > 30*time.Second {
				t.Errorf("scan took %v, want under 30s", took)
			}
			if code != 0 && code != 1 && code != 3 {
				t.Errorf("exit %d, want 0, 1 or 3\nstderr:\n%s", code, errOut)
			}
			if code == 1 {
				if strings.TrimSpace(out) != "" {
					t.Logf("stdout on exit 1:\n%s", out)
				}
				return
			}
			rep := parseReport(t, "tlskit scan", out)
			for k := range pairsOf(rep) {
				if !c.tls || !goAccepts[k] {
					t.Errorf("BUG: reported %q, which the peer never accepts\nrepro: %s\nJSON:\n%s", k, c.name, out)
				}
			}
			if !c.tls {
				for _, v := range rep.Versions {
					if v.Supported {
						t.Errorf("BUG: %s reported supported by a peer that speaks no TLS", v.Version)
					}
				}
				for _, g := range rep.Groups {
					if g.Supported {
						t.Errorf("BUG: group %s reported supported by a peer that speaks no TLS", g.Name)
					}
				}
			} else {
				// Dropped probes may cost completeness (not asserted), but must never add suites.
				var inc []string
				for _, v := range rep.Versions {
					if v.Inconclusive {
						inc = append(inc, v.Version)
					}
				}
				t.Logf("drop-every-second: found %v of the %d pairs Go accepts, inconclusive %v, %d probes", sortedSet(sortedKeys(pairsOf(rep))), len(goAccepts), inc, rep.Probes)
			}
		})
	}
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
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
				io.Copy(io.Discard, c) // never answers; returns when the cleanup closes c
			})
		}, "does not speak TLS (it answered no ClientHello within 1s)", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int64
			addr := c.addr(&conns)
			for _, output := range []string{"text", "json"} {
				before := conns.Load()
				start := time.Now()
				out, errOut, code := e2etest.RunTlskit(t, t.TempDir(), []string{"NO_COLOR=1"}, "scan", addr, "--timeout", "1s",
					"--parallel", strconv.Itoa(parallel), "-o", output)
				t.Logf("-o %s: exit %d after %v, %d connections", output, code, time.Since(start).Round(time.Millisecond), conns.Load()-before)
				if code != 1 {
					t.Errorf("BUG: -o %s: exit %d, want 1 (nothing could be scanned)\nstdout:\n%s", output, code, out)
				}
				if want := "tlskit: " + addr + " " + c.why + "\n"; errOut != want {
					t.Errorf("-o %s: stderr %q, want %q", output, errOut, want)
				}
				if out != "" {
					t.Errorf("-o %s: a report built on no answers:\n%s", output, out)
				}
				// The scan's full handshake and the first wave of probes (--parallel) find the
				// port silent; no probe is started after that.
				if c.bounds && conns.Load()-before > parallel+1 {
					t.Errorf("BUG: the scan made %d connections to a silent port, each waiting out --timeout; %d (the first wave and the full handshake) show it is silent",
						conns.Load()-before, parallel+1)
				}
			}
		})
	}
}

// TestScanSeveralTargets checks that every target is scanned and reported in input order,
// one that cannot be scanned with its own block of text or JSON line with "error", and that the
// exit code is the worst: 1 when any could not be scanned, else 3 when a finding is at or above
// --fail-on.
func TestScanSeveralTargets(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	dir := t.TempDir()
	tlsAddr := "127.0.0.1:" + peertest.OpenSSLServer(t, dir, fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem")).Port
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
		{"clean", []string{tlsAddr, tlsAddr}, "none", 0, []bool{false, false}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
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
