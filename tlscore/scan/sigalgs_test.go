package scan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"fmt"
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

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// enumerated runs the scan's suite enumeration against a scanner and returns what it found
// per version: the found map the later probes take.
func enumerated(t *testing.T, s *scanner) map[uint16][]uint16 {
	t.Helper()
	s.states = map[uint16]*versionState{}
	for _, v := range scanVersions {
		s.states[v] = &versionState{}
	}
	s.enumerate(context.Background())
	found := map[uint16][]uint16{}
	for v, st := range s.states {
		if st.inconclusive {
			t.Fatalf("%s inconclusive", wire.VersionName(v))
		}
		found[v] = slices.Clone(st.found)
	}
	return found
}

// acceptedBy is the accepted schemes of a result list as "VERSION AUTH SCHEME" lines, and
// fails the test on any inconclusive scheme.
func acceptedBy(t *testing.T, res []SigAlgResult) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range res {
		if len(r.Inconclusive) > 0 {
			t.Errorf("%s %s: inconclusive %v", r.Version, r.Auth, r.Inconclusive)
		}
		out[r.Version] = append(out[r.Version], r.Accepted...)
	}
	for v := range out {
		slices.Sort(out[v])
	}
	return out
}

// sslscanSigs runs sslscan --show-sigs and returns the schemes it lists, per version ("TLS
// 1.2"), as sslscan names them (which are the IANA names).
func sslscanSigs(sslscan string, port int) (map[string][]string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, sslscan, "--no-colour", "--show-sigs", "--no-ciphersuites", "--no-groups",
		"--no-fallback", "--no-renegotiation", "--no-compression", "--no-heartbleed", "--no-check-certificate",
		"--xml=-", "127.0.0.1:"+itoa(port)).Output()
	if err != nil {
		return nil, string(out), fmt.Errorf("sslscan: %v\n%s", err, out)
	}
	doc := out
	if i := strings.Index(string(doc), "<?xml"); i >= 0 {
		doc = doc[i:]
	}
	var x struct {
		Tests []struct {
			Sigs []struct {
				SSLVersion string `xml:"sslversion,attr"`
				Name       string `xml:"name,attr"`
				ID         string `xml:"id,attr"`
			} `xml:"connection-signature-algorithm"`
		} `xml:"ssltest"`
	}
	if err := xml.Unmarshal(doc, &x); err != nil {
		return nil, string(out), fmt.Errorf("parsing sslscan XML: %v\n%s", err, out)
	}
	res := map[string][]string{}
	for _, tst := range x.Tests {
		for _, s := range tst.Sigs {
			v := sslscanVersions[s.SSLVersion]
			res[v] = append(res[v], s.Name)
		}
	}
	for v := range res {
		slices.Sort(res[v])
	}
	return res, string(out), nil
}

// sClientName is the -sigalgs spelling of a scheme for openssl s_client: OpenSSL 3 knows the
// IANA names, except for the TLS 1.2 SHA-1 and SHA-224 pairs, which it spells SIG+HASH.
func sClientName(scheme uint16) string {
	switch scheme {
	case 0x0201:
		return "RSA+SHA1"
	case 0x0203:
		return "ECDSA+SHA1"
	case 0x0301:
		return "RSA+SHA224"
	case 0x0303:
		return "ECDSA+SHA224"
	}
	if hash, ok := map[uint16]string{1: "MD5", 2: "SHA1", 3: "SHA224", 4: "SHA256", 5: "SHA384", 6: "SHA512"}[scheme>>8]; ok && scheme&0xff == 2 {
		return "DSA+" + hash
	}
	return wire.SignatureSchemeName(scheme)
}

// sClientAccepts runs openssl s_client offering one signature scheme at a version (-tls1_2 or
// -tls1_3): the handshake completes only if the server signs with it (s_client checks that the
// scheme is one it offered, and verifies the signature), and it prints the scheme's digest as
// "Peer signing digest". suites is the TLS 1.2 cipher list ("ECDHE+aRSA"; "" for every
// ECDHE and DHE suite): those whose ServerKeyExchange is signed, as the probes offer, since a
// server that also has RSA key transport or anonymous suites completes a handshake with no
// signature at all when the scheme does not suit it. The security level is 0, so that SHA-1
// may be offered at all.
func sClientAccepts(t *testing.T, openssl string, port int, versionFlag, suites string, scheme uint16) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if suites == "" {
		suites = "kECDHE:kDHE"
	}
	cmd := exec.CommandContext(ctx, openssl, "s_client", "-connect", "127.0.0.1:"+itoa(port), versionFlag,
		"-sigalgs", sClientName(scheme), "-cipher", suites+":!aNULL:!eNULL:!PSK:!SRP:@SECLEVEL=0", "-servername", "localhost")
	cmd.Env = append(cmd.Environ(), peertest.OpenSSLEnv...)
	out, err := cmd.CombinedOutput()
	ok := err == nil && strings.Contains(string(out), "Peer signing digest")
	if err == nil && !ok {
		t.Logf("s_client %s %s: completed without a peer signature?\n%s", versionFlag, sClientName(scheme), out)
	}
	return ok
}

// sigAlgSubset is the schemes held to s_client for a key kind: its family, a little of the
// other family (which must be refused), and the SHA-1 and SHA-224 pairs.
var sigAlgSubset = map[string][]uint16{
	"rsa":   {0x0201, 0x0301, 0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806, 0x0809, 0x0403},
	"ecdsa": {0x0203, 0x0303, 0x0403, 0x0503, 0x0603, 0x0807, 0x0804, 0x0401},
	"dsa":   {0x0202, 0x0302, 0x0402, 0x0502, 0x0602, 0x0401, 0x0403},
}

// dsaCert is a DSA certificate and key for localhost, made once with openssl (Go's x509
// cannot make one): for the TLS 1.2 DHE-DSS suites.
var dsaCert struct {
	once            sync.Once
	certPEM, keyPEM []byte
	err             error
}

// startOpenSSLDSA runs s_server with the DSA certificate.
func startOpenSSLDSA(t *testing.T, args ...string) int {
	t.Helper()
	openssl := peertest.NeedOpenSSL3(t)
	dsaCert.once.Do(func() {
		dir, err := os.MkdirTemp("", "tlskit-dsa")
		if err != nil {
			dsaCert.err = err
			return
		}
		defer os.RemoveAll(dir)
		params, cert, key := filepath.Join(dir, "params.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		for _, args := range [][]string{
			{"dsaparam", "-out", params, "1024"},
			{"req", "-x509", "-newkey", "dsa:" + params, "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "2"},
		} {
			cmd := exec.Command(openssl, args...)
			cmd.Env = append(cmd.Environ(), peertest.OpenSSLEnv...)
			if out, err := cmd.CombinedOutput(); err != nil {
				dsaCert.err = fmt.Errorf("openssl %s: %v\n%s", args[0], err, out)
				return
			}
		}
		if dsaCert.certPEM, dsaCert.err = os.ReadFile(cert); dsaCert.err == nil {
			dsaCert.keyPEM, dsaCert.err = os.ReadFile(key)
		}
	})
	if dsaCert.err != nil {
		t.Fatal(dsaCert.err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "dsa-cert.pem"), filepath.Join(dir, "dsa-key.pem")
	if err := os.WriteFile(cert, dsaCert.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, dsaCert.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(peertest.OpenSSLServer(t, "", cert, key, args...).Port)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestSigAlgsVersusReferences probes the signature schemes of openssl s_server in several
// configurations, default and restricted with -sigalgs, and holds them to two references on
// the same configuration in the same run (one s_server each, as s_server serves one
// connection at a time):
//
//   - sslscan 2.0.7 --show-sigs lists the same TLS 1.3 schemes, and the same TLS 1.2 ones for
//     s_server with RSA. For s_server with only an ECDSA certificate it lists no TLS 1.2
//     scheme at all, although s_client completes TLS 1.2 handshakes with four of them:
//     sslscan shows less, and the case says so (sslscanNo12). Its TLS 1.2 signature hellos
//     (captured through a relay while this test was written) offer 344 suites but carry no
//     supported_groups extension, and s_server completes none of them with an ECDSA
//     certificate; gnutls-serv does. For gnutls-serv with an RSA certificate it says TLS 1.2
//     "accepts all signature algorithms" (ANY, 0xfdff), wrongly (sslscanAny12): the server
//     refuses every ECDHE and DHE offer of a scheme that does not suit it (handshake_failure,
//     checked here with the made-up 0xfdff), and completes a handshake only by choosing an RSA
//     key-transport suite, which signs nothing, among the 344 (shown here with every suite it
//     accepts). With an ECDSA certificate, and so no RSA key transport, sslscan lists what we
//     do.
//   - openssl s_client -sigalgs X, per scheme of a subset for the key kind and every scheme
//     we or sslscan list: a handshake completes exactly when we say the scheme is accepted.
func TestSigAlgsVersusReferences(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	sslscan := peertest.Need(t, "sslscan")
	for _, tc := range []struct {
		name   string
		gnutls bool // gnutls-serv, not s_server
		kind   string
		args   []string
		// want, if set, is exactly what we must find, per version.
		want                      map[string][]string
		sslscanNo12, sslscanAny12 bool
		no13                      bool // no TLS 1.3 (DSA has none)
	}{
		{name: "rsa-default", kind: "rsa"},
		{name: "rsa-restricted", kind: "rsa", args: []string{"-sigalgs", "RSA-PSS+SHA256:rsa_pkcs1_sha384"},
			want: map[string][]string{"TLS 1.2": {"rsa_pkcs1_sha384", "rsa_pss_rsae_sha256"}, "TLS 1.3": {"rsa_pss_rsae_sha256"}}},
		// SHA-1 is allowed at security level 0 only.
		{name: "rsa-seclevel0", kind: "rsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}},
		{name: "ecdsa-default", kind: "ecdsa", sslscanNo12: true},
		{name: "ecdsa-restricted", kind: "ecdsa", args: []string{"-sigalgs", "ECDSA+SHA256"}, sslscanNo12: true,
			want: map[string][]string{"TLS 1.2": {"ecdsa_secp256r1_sha256"}, "TLS 1.3": {"ecdsa_secp256r1_sha256"}}},
		// DHE-DSS needs security level 0 in OpenSSL 3; the DSA pairs are TLS 1.2's alone.
		{name: "dsa-seclevel0", kind: "dsa", args: []string{"-cipher", "ALL:@SECLEVEL=0"}, no13: true},
		{name: "gnutls-rsa-default", gnutls: true, kind: "rsa", sslscanAny12: true},
		{name: "gnutls-rsa-restricted", gnutls: true, kind: "rsa", sslscanAny12: true,
			args: []string{"--priority", "NORMAL:-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-SHA384"},
			want: map[string][]string{"TLS 1.2": {"rsa_pkcs1_sha384", "rsa_pss_rsae_sha256"}, "TLS 1.3": {"rsa_pss_rsae_sha256"}}},
		// No RSA key transport with an ECDSA certificate: sslscan lists what we do.
		{name: "gnutls-ecdsa-default", gnutls: true, kind: "ecdsa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := startOpenSSLWith
			switch {
			case tc.gnutls:
				start = startGnuTLS
			case tc.kind == "dsa":
				start = func(t *testing.T, _ string, args ...string) int { return startOpenSSLDSA(t, args...) }
			}
			port := start(t, tc.kind, tc.args...)
			sslscanPort := start(t, tc.kind, tc.args...)
			sClientPort := start(t, tc.kind, tc.args...)
			var theirs map[string][]string
			var raw string
			var sslscanErr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				theirs, raw, sslscanErr = sslscanSigs(sslscan, sslscanPort)
			}()
			s := testScanner(port)
			found := enumerated(t, s)
			began := time.Now()
			res := s.signatureAlgorithms(context.Background(), found)
			took := time.Since(began)
			<-done
			if sslscanErr != nil {
				t.Fatal(sslscanErr)
			}
			js, _ := json.Marshal(res)
			t.Logf("%v, %d probes: %s", took.Round(time.Millisecond), s.p.probes.Load(), js)
			ours := acceptedBy(t, res)
			for _, r := range res {
				if r.IgnoresList || len(r.Fallback) > 0 {
					t.Errorf("%s %s: s_server does not fall back, but fallback %v, ignores %v", r.Version, r.Auth, r.Fallback, r.IgnoresList)
				}
				if want := map[string]string{"rsa": "RSA", "ecdsa": "ECDSA", "dsa": "DSS"}[tc.kind]; r.Auth != want {
					t.Errorf("%s auth %q, want %q", r.Version, r.Auth, want)
				}
			}
			for _, v := range []string{"TLS 1.2", "TLS 1.3"} {
				if (len(ours[v]) == 0) != (v == "TLS 1.3" && tc.no13) {
					t.Errorf("%s: accepted %v", v, ours[v])
				}
				if tc.want != nil && !slices.Equal(ours[v], tc.want[v]) {
					t.Errorf("%s: accepted %v, configured %v", v, ours[v], tc.want[v])
				}
				switch {
				case v == "TLS 1.2" && tc.sslscanNo12:
					if len(theirs[v]) > 0 {
						t.Errorf("sslscan now lists TLS 1.2 schemes for ECDSA (%v): compare them", theirs[v])
					}
				case v == "TLS 1.2" && tc.sslscanAny12:
					if !slices.Equal(theirs[v], []string{"ANY"}) {
						t.Errorf("sslscan's TLS 1.2 list is %v, not ANY: compare it", theirs[v])
					}
					anyScheme12(t, s, found[wire.VersionTLS12])
				case !slices.Equal(ours[v], theirs[v]):
					t.Errorf("%s: ours %v, sslscan's %v\n%s", v, ours[v], theirs[v], raw)
				}
				// s_client, on the subset and on everything listed.
				check := slices.Clone(sigAlgSubset[tc.kind])
				for _, n := range append(slices.Clone(ours[v]), theirs[v]...) {
					if id, ok := wire.SignatureSchemeByName(n); ok && !slices.Contains(check, id) {
						check = append(check, id)
					}
				}
				flag := map[string]string{"TLS 1.2": "-tls1_2", "TLS 1.3": "-tls1_3"}[v]
				for _, sc := range check {
					name := wire.SignatureSchemeName(sc)
					if got, want := slices.Contains(ours[v], name), sClientAccepts(t, openssl, sClientPort, flag, "", sc); got != want {
						t.Errorf("%s %s: accepted %v, s_client's handshake completed %v", v, name, got, want)
					}
				}
			}
		})
	}
}

// TestSigAlgsGoServer probes Go's crypto/tls server with an RSA and an ECDSA certificate: TLS
// 1.2 per authentication of the suites (the certificate follows the suite) and TLS 1.3 per
// certificate (the certificate follows the scheme), each held to s_client -sigalgs X on the
// same server (Go serves connections concurrently, so one server does).
func TestSigAlgsGoServer(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	_, _, rsaPair := testCert(t, "rsa")
	_, _, ecPair := testCert(t, "ecdsa")
	l := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{rsaPair, ecPair}})
	port := l.Addr().(*net.TCPAddr).Port
	s := testScanner(port)
	res := s.signatureAlgorithms(context.Background(), enumerated(t, s))
	js, _ := json.Marshal(res)
	t.Logf("%d probes: %s", s.p.probes.Load(), js)
	got := map[string][]string{}
	for _, r := range res {
		if len(r.Inconclusive) > 0 || len(r.Fallback) > 0 || r.IgnoresList {
			t.Errorf("%s %s: inconclusive %v, fallback %v, ignores %v", r.Version, r.Auth, r.Inconclusive, r.Fallback, r.IgnoresList)
		}
		got[r.Version+" "+r.Auth] = r.Accepted
	}
	if want := []string{"TLS 1.2 ECDSA", "TLS 1.2 RSA", "TLS 1.3 ECDSA", "TLS 1.3 RSA"}; !slices.Equal(sortedKeys(got), want) {
		t.Fatalf("results for %v, want %v", sortedKeys(got), want)
	}
	var wg sync.WaitGroup
	for key, accepted := range got {
		v, auth := key[:len("TLS 1.x")], key[len("TLS 1.x "):]
		kind := strings.ToLower(auth)
		check := slices.Clone(sigAlgSubset[kind])
		for _, n := range accepted {
			if id, ok := wire.SignatureSchemeByName(n); ok && !slices.Contains(check, id) {
				check = append(check, id)
			}
		}
		flag, suites := "-tls1_3", ""
		if v == "TLS 1.2" {
			flag, suites = "-tls1_2", "ECDHE+a"+auth
		}
		for _, sc := range check {
			wg.Go(func() {
				name := wire.SignatureSchemeName(sc)
				sClient := sClientAccepts(t, openssl, port, flag, suites, sc)
				if v == "TLS 1.3" && sClient {
					// s_client's handshake may be served by the other certificate: a scheme of
					// the other family is the other result's.
					if other := map[string]string{"RSA": "ECDSA", "ECDSA": "RSA"}[auth]; slices.Contains(got[v+" "+other], name) {
						return
					}
				}
				if ours := slices.Contains(accepted, name); ours != sClient {
					t.Errorf("%s: %s accepted %v, s_client's handshake completed %v", key, name, ours, sClient)
				}
			})
		}
	}
	wg.Wait()
}

// fallbackPeer is a TLS 1.2 server (ECDHE-RSA, its ServerKeyExchange signed with garbage: the
// probes do not verify signatures) that signs with the offered scheme when it is one of
// honours, and with fallback otherwise, as RFC 5246's default of SHA-1 invites.
func fallbackPeer(t *testing.T, honours []uint16, fallback uint16) int {
	t.Helper()
	_, _, pair := testCert(t, "rsa")
	return badServer(t, func(c net.Conn) {
		defer c.Close()
		_, hello, err := peertest.ReadClientHello(c)
		if err != nil {
			return
		}
		ch, err := wire.ParseClientHello(hello[4:])
		if err != nil || !slices.Contains(ch.CipherSuites, 0xc02f) {
			return
		}
		// Its first honoured scheme that was offered, else its default, offered or not.
		scheme := fallback
		for _, sc := range honours {
			if slices.Contains(ch.SignatureAlgorithms, sc) {
				scheme = sc
				break
			}
		}
		sh := []byte{3, 3}
		sh = append(sh, randomBytes(32)...)
		sh = append(sh, 0, 0xc0, 0x2f, 0, 0, 0)
		cert := pair.Certificate[0]
		n := len(cert)
		certBody := []byte{byte((n + 3) >> 16), byte((n + 3) >> 8), byte(n + 3), byte(n >> 16), byte(n >> 8), byte(n)}
		certBody = append(certBody, cert...)
		ske := []byte{3, 0, 0x1d, 32}
		ske = append(ske, randomBytes(32)...)
		ske = append(ske, byte(scheme>>8), byte(scheme), 1, 0)
		ske = append(ske, randomBytes(256)...)
		var flight []byte
		for _, m := range []struct {
			typ  uint8
			body []byte
		}{{wire.TypeServerHello, sh}, {wire.TypeCertificate, certBody}, {wire.TypeServerKeyExchange, ske}, {wire.TypeServerHelloDone, nil}} {
			flight = append(flight, m.typ, byte(len(m.body)>>16), byte(len(m.body)>>8), byte(len(m.body)))
			flight = append(flight, m.body...)
		}
		_, _ = c.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, flight))
		peertest.Drain(c)
	})
}

// TestSigAlgsFallback: a server that signs with a default scheme when the one offered does not
// suit it has only its exact matches accepted, its default listed as the fallback; one that
// signs with the same scheme whatever is offered ignores the list.
func TestSigAlgsFallback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		honours  []uint16
		fallback uint16
		want     SigAlgResult
	}{
		{name: "sha1-default", honours: []uint16{0x0401, 0x0804}, fallback: 0x0201,
			want: SigAlgResult{Version: "TLS 1.2", Auth: "RSA", Accepted: []string{"rsa_pkcs1_sha1", "rsa_pkcs1_sha256", "rsa_pss_rsae_sha256"},
				Fallback: []string{"rsa_pkcs1_sha1"}, Weak: []string{"rsa_pkcs1_sha1"}}},
		{name: "ignores", fallback: 0x0401,
			want: SigAlgResult{Version: "TLS 1.2", Auth: "RSA", Accepted: []string{"rsa_pkcs1_sha256"},
				Fallback: []string{"rsa_pkcs1_sha256"}, IgnoresList: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testScanner(fallbackPeer(t, tc.honours, tc.fallback))
			res := s.signatureAlgorithms(context.Background(), map[uint16][]uint16{wire.VersionTLS12: {0xc02f}})
			if len(res) != 1 {
				t.Fatalf("%d results, want 1: %+v", len(res), res)
			}
			got, _ := json.Marshal(res[0])
			want, _ := json.Marshal(tc.want)
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestSigAlgResultJSON pins the JSON shape: snake_case keys, accepted always present (an
// empty list, not null), the others omitted when empty.
func TestSigAlgResultJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		r    SigAlgResult
		want string
	}{
		{sigAlgSummary("TLS 1.3", "ECDSA", nil), `{"version":"TLS 1.3","auth":"ECDSA","accepted":[]}`},
		{sigAlgSummary("TLS 1.2", "RSA", []sigAlgAnswer{{scheme: 0x0401, signed: 0x0401}, {scheme: 0x0201, inconclusive: true},
			{scheme: 0x0403, signed: 0x0401}}),
			`{"version":"TLS 1.2","auth":"RSA","accepted":["rsa_pkcs1_sha256"],"inconclusive":["rsa_pkcs1_sha1"],"fallback":["rsa_pkcs1_sha256"],"ignores_list":true}`},
		{sigAlgSummary("TLS 1.3", "RSA", []sigAlgAnswer{{scheme: 0x0401, signed: 0x0401}, {scheme: 0x0804, signed: 0x0804}}),
			`{"version":"TLS 1.3","auth":"RSA","accepted":["rsa_pkcs1_sha256","rsa_pss_rsae_sha256"],"weak":["rsa_pkcs1_sha256"]}`},
		{sigAlgSummary("TLS 1.2", "DSS", []sigAlgAnswer{{scheme: 0x0202, signed: 0x0202}, {scheme: 0x0302, signed: 0x0302}, {scheme: 0x0402, signed: 0x0402}}),
			`{"version":"TLS 1.2","auth":"DSS","accepted":["dsa_sha1","dsa_sha224","dsa_sha256"],"weak":["dsa_sha1"]}`},
	} {
		got, err := json.Marshal(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// anyScheme12 shows why sslscan takes gnutls-serv for a TLS 1.2 server that signs with any
// scheme: offered the made-up scheme 0xfdff alone with its signed (ECDHE, DHE) suites, it
// refuses; with every suite it accepts, it answers with one whose key exchange signs nothing.
func anyScheme12(t *testing.T, s *scanner, suites []uint16) {
	t.Helper()
	if a := s.sigAlg12(context.Background(), signedSuites(suites), []uint16{0xfdff}); a.signed != 0 || a.inconclusive {
		t.Errorf("0xfdff with the signed suites: signed with %04x (inconclusive %v), want a refusal", a.signed, a.inconclusive)
	}
	spec := s.helloSpec(wire.VersionTLS12, suites)
	spec.SignatureAlgorithms = []uint16{0xfdff}
	out := s.p.probe(context.Background(), spec)
	if out.kind != outHello {
		t.Fatalf("0xfdff with every suite: no ServerHello (%v)", describe(out))
	}
	cs, _ := wire.CipherSuiteByID(out.hello.CipherSuite)
	if cs.KeyExchange != "RSA" {
		t.Errorf("0xfdff with every suite: %s chosen, which signs its key exchange", cs.Name)
	}
}

// signedSuites keeps the suites whose ServerKeyExchange is signed.
func signedSuites(ids []uint16) []uint16 {
	var out []uint16
	for _, id := range ids {
		if cs, _ := wire.CipherSuiteByID(id); (cs.KeyExchange == "ECDHE" || cs.KeyExchange == "DHE") && cs.Auth != "ANON" {
			out = append(out, id)
		}
	}
	return out
}

// startGnuTLS runs gnutls-serv with the test certificate of a key kind and extra arguments.
func startGnuTLS(t *testing.T, kind string, args ...string) int {
	t.Helper()
	certFile, keyFile, _ := testCert(t, kind)
	port, err := strconv.Atoi(peertest.GnuTLSServer(t, "", certFile, keyFile, args...).Port)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestSigAlgsUnproven: against a peer that resets every connection, and with the scan
// cancelled, every scheme is inconclusive (none accepted, none refused), TLS 1.3's in a result
// of no certificate kind; nothing hangs.
func TestSigAlgsUnproven(t *testing.T) {
	t.Parallel()
	reset := badServer(t, func(c net.Conn) {
		readHello(c)
		_ = c.(*net.TCPConn).SetLinger(0)
		c.Close()
	})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
	}{{"reset", context.Background()}, {"cancelled", cancelled}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testScanner(reset)
			start := time.Now()
			res := s.signatureAlgorithms(tc.ctx, map[uint16][]uint16{wire.VersionTLS12: {0xc02f, 0x009e}, wire.VersionTLS13: {0x1301}})
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			want := []string{"TLS 1.2 RSA", "TLS 1.3 "}
			var got []string
			for _, r := range res {
				got = append(got, r.Version+" "+r.Auth)
				if len(r.Accepted) != 0 || len(r.Fallback) != 0 || r.IgnoresList {
					t.Errorf("%s %s: accepted %v, fallback %v, ignores %v", r.Version, r.Auth, r.Accepted, r.Fallback, r.IgnoresList)
				}
				if len(r.Inconclusive) != len(sigAlgProbeSchemes()) {
					t.Errorf("%s %s: %d inconclusive, want all %d", r.Version, r.Auth, len(r.Inconclusive), len(sigAlgProbeSchemes()))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("results %q, want %q", got, want)
			}
		})
	}
}
