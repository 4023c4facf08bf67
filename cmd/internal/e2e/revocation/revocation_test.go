//go:build unix

package revocation

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of revocation through the binary: OCSP responses made by `openssl ocsp`,
// stapled by `openssl s_server -status_file`, judged by `tlskit handshake` and, on the same
// files in the same run, by `openssl ocsp -respin` (the reference); and `tlskit serve --ocsp`
// refusing what it must not staple.

// revocationStatus is the part of the JSON the tests read.
type revocationStatus struct {
	Mode   string `json:"mode"`
	Status string `json:"status"`
	Source string `json:"source"`
	Error  string `json:"error"`
}

type report struct {
	Verification struct {
		Verified bool   `json:"verified"`
		Reason   string `json:"reason"`
		Error    string `json:"error"`
	} `json:"verification"`
	OCSP *struct {
		Status string `json:"status"`
		Signer string `json:"signer"`
		Error  string `json:"error"`
	} `json:"ocsp"`
	Revocation *revocationStatus `json:"revocation"`
	Chain      []struct {
		Subject    string `json:"subject"`
		Revocation *struct {
			Status string `json:"status"`
			Source string `json:"source"`
			Error  string `json:"error"`
		} `json:"revocation"`
	} `json:"chain"`
}

// pki is a tlskit root and an intermediate under it, leaves issued by the intermediate (leaf
// for localhost, sibling; their files hold the intermediate too), one for localhost issued by
// the root (rootleaf), and an unrelated CA.
type pki struct{ dir string }

func (p pki) path(name string) string { return filepath.Join(p.dir, name) }

func makePKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "root")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "root")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "other")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "leaf.pem", "--key-out", "leaf-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "sibling.test", "--ca-dir", "int", "--out", "sibling.pem", "--key-out", "sibling-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "root", "--out", "rootleaf.pem", "--key-out", "rootleaf-key.pem")
	// The intermediate's certificate alone, for openssl's -issuer and -rsigner.
	e2etest.WriteFile(t, dir, "int-cert.pem", string(e2etest.PEMCertificate(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0])))
	e2etest.WriteFile(t, dir, "root-cert.pem", string(e2etest.ReadFile(t, dir, "root/ca.pem")))
	// Delegated OCSP responders issued by the intermediate, with and without id-kp-OCSPSigning
	// (tlskit issues only TLS certificates, so openssl makes these).
	e2etest.WriteFile(t, dir, "responder.cnf", "[ocsp]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=OCSPSigning\n"+
		"[noeku]\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
	for i, r := range []struct{ name, ext string }{{"responder", "ocsp"}, {"noeku", "noeku"}} {
		e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", r.name+"-key.pem",
			"-out", r.name+".csr", "-subj", "/CN=Test "+r.name)
		e2etest.OpenSSL(t, dir, "x509", "-req", "-in", r.name+".csr", "-CA", "int-cert.pem", "-CAkey", "int/ca-key.pem", "-set_serial", fmt.Sprint(0x7000+i),
			"-days", "30", "-extfile", "responder.cnf", "-extensions", r.ext, "-out", r.name+".pem")
	}
	return pki{dir: dir}
}

func readCert(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(e2etest.PEMBlocks(e2etest.ReadFile(t, filepath.Dir(file), filepath.Base(file)), "CERTIFICATE")[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// indexLine is one line of an `openssl ca` index: valid, or revoked an hour ago.
func indexLine(c *x509.Certificate, revoked bool) string {
	exp := c.NotAfter.UTC().Format("060102150405Z")
	if revoked {
		return fmt.Sprintf("R\t%s\t%s,keyCompromise\t%X\tunknown\t/CN=%s\n", exp, time.Now().Add(-time.Hour).UTC().Format("060102150405Z"), c.SerialNumber, c.Subject.CommonName)
	}
	return fmt.Sprintf("V\t%s\t\t%X\tunknown\t/CN=%s\n", exp, c.SerialNumber, c.Subject.CommonName)
}

// opensslOCSPVerdict is `openssl ocsp -respin`'s verdict on a response about cert, with issuer and
// the trust anchors given: good, revoked, unknown, or invalid when it refuses the response.
func opensslOCSPVerdict(t *testing.T, dir, resp, cert, issuer, caFile string) (string, string) {
	r := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-respin", resp, "-issuer", issuer, "-cert", cert, "-CAfile", caFile,
		"-verify_other", issuer, "-no_nonce")
	out := r.Stdout + r.Stderr
	switch {
	case strings.Contains(out, "Response Verify Failure"), strings.Contains(out, "No Status found"),
		strings.Contains(out, "Status times invalid"), !strings.Contains(out, "Response verify OK"):
		return "invalid", out
	}
	for _, s := range []string{"good", "revoked", "unknown"} {
		if strings.Contains(out, cert+": "+s) {
			return s, out
		}
	}
	return "?", out
}

func TestMain(m *testing.M) { e2etest.Main(m) }

func TestStapledOCSP(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	faketime := peertest.Need(t, "faketime")
	p := makePKI(t)
	dir := p.dir
	leaf, sibling, rootleaf := readCert(t, p.path("leaf.pem")), readCert(t, p.path("sibling.pem")), readCert(t, p.path("rootleaf.pem"))
	e2etest.WriteFile(t, dir, "int-index.txt", indexLine(leaf, false)+indexLine(sibling, true))
	e2etest.WriteFile(t, dir, "int-revoked.txt", indexLine(leaf, true))
	e2etest.WriteFile(t, dir, "root-index.txt", indexLine(rootleaf, false))

	// respond makes a response about cert (issued by issuer) from index, signed by signer.
	respond := func(out, cert, issuer, index, signer, key string, extra ...string) {
		t.Helper()
		req := out + ".req"
		if r := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-issuer", issuer, "-cert", cert, "-no_nonce", "-reqout", req); r.Code != 0 {
			t.Fatalf("openssl ocsp request: %s", r.Stderr)
		}
		args := append([]string{"ocsp", "-index", index, "-CA", issuer, "-rsigner", signer, "-rkey", key, "-reqin", req, "-respout", out, "-ndays", "1"}, extra...)
		if r := e2etest.Exec(t, dir, "", nil, "openssl", args...); r.Code != 0 {
			t.Fatalf("openssl %s: %s", strings.Join(args, " "), r.Stderr)
		}
	}
	respond("int-embedded.der", "leaf.pem", "int-cert.pem", "int-index.txt", "int-cert.pem", "int/ca-key.pem")
	respond("int-nocerts.der", "leaf.pem", "int-cert.pem", "int-index.txt", "int-cert.pem", "int/ca-key.pem", "-resp_no_certs")
	respond("sibling-revoked.der", "sibling.pem", "int-cert.pem", "int-index.txt", "int-cert.pem", "int/ca-key.pem")
	respond("leaf-revoked.der", "leaf.pem", "int-cert.pem", "int-revoked.txt", "int-cert.pem", "int/ca-key.pem")
	respond("delegated.der", "leaf.pem", "int-cert.pem", "int-index.txt", "responder.pem", "responder-key.pem")
	respond("delegated-noeku.der", "leaf.pem", "int-cert.pem", "int-index.txt", "noeku.pem", "noeku-key.pem")
	respond("unrelated.der", "rootleaf.pem", "root-cert.pem", "root-index.txt", "other/ca.pem", "other/ca-key.pem", "-resp_no_certs")
	// Expired: made three days ago, with a nextUpdate a day after that.
	if r := e2etest.Exec(t, dir, "", nil, faketime, "-f", "-3d", "openssl", "ocsp", "-index", "int-index.txt", "-CA", "int-cert.pem",
		"-rsigner", "int-cert.pem", "-rkey", "int/ca-key.pem", "-reqin", "int-embedded.der.req", "-respout", "expired.der", "-ndays", "1"); r.Code != 0 {
		t.Fatalf("faketime openssl ocsp: %s", r.Stderr)
	}

	tests := []struct {
		name        string
		cert, key   string // served: cert holds leaf + intermediate, rootleaf.pem holds the leaf only
		staple      string
		about       string // the certificate openssl judges the response for
		issuer      string
		want        string // the staple's verdict (tlskit's ocsp.status and openssl's)
		revocation  string // tlskit's revocation.status
		code        int
		errHas      string
		hardFailErr bool
	}{
		// The item 3: issuer-signed with the intermediate embedded, as openssl makes it.
		{"issuer-signed, intermediate embedded", "leaf.pem", "leaf-key.pem", "int-embedded.der", "leaf.pem", "int-cert.pem", "good", "good", 0, "", false},
		{"issuer-signed, -resp_no_certs", "leaf.pem", "leaf-key.pem", "int-nocerts.der", "leaf.pem", "int-cert.pem", "good", "good", 0, "", false},
		{"delegated responder with OCSPSigning", "leaf.pem", "leaf-key.pem", "delegated.der", "leaf.pem", "int-cert.pem", "good", "good", 0, "", false},
		{"delegated responder without OCSPSigning", "leaf.pem", "leaf-key.pem", "delegated-noeku.der", "leaf.pem", "int-cert.pem", "invalid", "unknown", 0, "id-kp-OCSPSigning", true},
		// Item 2: another serial's revoked response never makes this leaf revoked.
		{"another serial, revoked", "leaf.pem", "leaf-key.pem", "sibling-revoked.der", "leaf.pem", "int-cert.pem", "invalid", "unknown", 0, "another certificate", true},
		{"this leaf, revoked", "leaf.pem", "leaf-key.pem", "leaf-revoked.der", "leaf.pem", "int-cert.pem", "revoked", "revoked", 3, "keyCompromise", false},
		// Item 1: the server sends only its leaf; the response is signed by an unrelated key.
		{"unrelated signer, leaf only", "rootleaf.pem", "rootleaf-key.pem", "unrelated.der", "rootleaf.pem", "root-cert.pem", "invalid", "unknown", 0, "not signed by the issuer", true},
		{"expired nextUpdate", "leaf.pem", "leaf-key.pem", "expired.der", "leaf.pem", "int-cert.pem", "invalid", "unknown", 0, "expired", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ref, out := opensslOCSPVerdict(t, dir, tt.staple, tt.about, tt.issuer, "root-cert.pem")
			if ref != tt.want {
				t.Errorf("openssl ocsp says %s, want %s:\n%s", ref, tt.want, out)
			}
			args := []string{"-status_file", tt.staple}
			if tt.cert == "leaf.pem" {
				args = append(args, "-cert_chain", "int-cert.pem") // s_server sends only -cert's first certificate
			}
			srv := peertest.OpenSSLServer(t, dir, p.path(tt.cert), p.path(tt.key), args...)
			var res report
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "handshake", srv.Localhost(), "--ca", "root-cert.pem", "-o", "json")
			if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
				t.Fatalf("exit %d, not JSON: %v\n%s%s", r.Code, err, r.Stdout, r.Stderr)
			}
			if res.OCSP == nil || res.OCSP.Status != tt.want {
				t.Errorf("tlskit ocsp %+v, want %s (as openssl)", res.OCSP, tt.want)
			}
			if res.Revocation == nil || res.Revocation.Status != tt.revocation || res.Revocation.Mode != "staple" {
				t.Fatalf("revocation %+v, want %s", res.Revocation, tt.revocation)
			}
			if r.Code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.Code, tt.code, r.Stderr)
			}
			if !strings.Contains(res.Revocation.Error, tt.errHas) {
				t.Errorf("revocation error %q does not say %q", res.Revocation.Error, tt.errHas)
			}
			if leafRev := res.Chain[0].Revocation; leafRev == nil || leafRev.Status != tt.revocation || leafRev.Source != "staple" {
				t.Errorf("leaf revocation %+v", leafRev)
			}
			switch tt.revocation {
			case "unknown":
				if !strings.Contains(r.Stderr, "tlskit: warning: ") || !strings.Contains(r.Stderr, tt.errHas) {
					t.Errorf("no warning on stderr: %q", r.Stderr)
				}
			case "revoked":
				if res.Verification.Verified || res.Verification.Reason != "revoked" {
					t.Errorf("verification %+v, want reason revoked", res.Verification)
				}
			}
			if tt.hardFailErr {
				r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "handshake", srv.Localhost(), "--ca", "root-cert.pem", "--revocation-hard-fail")
				if r.Code != 3 || !strings.Contains(r.Stderr, tt.errHas) || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
					t.Errorf("--revocation-hard-fail: exit %d, stderr %q", r.Code, r.Stderr)
				}
			}
		})
	}

	t.Run("scan reports a revoked certificate", func(t *testing.T) {
		t.Parallel()
		srv := peertest.OpenSSLServer(t, dir, p.path("leaf.pem"), p.path("leaf-key.pem"), "-status_file", "leaf-revoked.der", "-cert_chain", "int-cert.pem")
		r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "scan", srv.Localhost(), "--ca", "root-cert.pem", "-o", "json")
		var rep struct {
			Connection struct {
				Revocation revocationStatus `json:"revocation"`
			} `json:"connection"`
			Findings []struct{ ID, Severity string } `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatalf("exit %d: %v\n%s", r.Code, err, r.Stderr)
		}
		found := false
		for _, f := range rep.Findings {
			found = found || (f.ID == "cert-revoked" && f.Severity == "high")
			if f.ID == "cert-untrusted" {
				t.Errorf("revoked is also reported as untrusted")
			}
		}
		if r.Code != 3 || rep.Connection.Revocation.Status != "revoked" || !found {
			t.Errorf("exit %d, revocation %+v, findings %+v", r.Code, rep.Connection.Revocation, rep.Findings)
		}
	})

	t.Run("serve --ocsp refuses what it must not staple, and re-reads on reload", func(t *testing.T) {
		t.Parallel()
		sdir := t.TempDir()
		chain := []string{"--cert", p.path("leaf.pem"), "--key", p.path("leaf-key.pem")}
		e2etest.WriteFile(t, sdir, "garbage.der", "this is not an OCSP response")
		for _, bad := range []struct{ file, says string }{
			{filepath.Join(sdir, "garbage.der"), "not a valid OCSP response"},
			{filepath.Join(sdir, "missing.der"), "no such file"},
			{"sibling-revoked.der", "another certificate"},
			{"expired.der", "expired"},
			{"unrelated.der", "another certificate"},
		} {
			file := bad.file
			if !filepath.IsAbs(file) {
				file = p.path(file)
			}
			out, errOut, code := e2etest.RunTlskit(t, sdir, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--ocsp", file}, chain...)...)
			if code != 1 || out != "" || !strings.HasPrefix(errOut, "tlskit: --ocsp: ") || !strings.Contains(errOut, "cannot be stapled") ||
				!strings.Contains(errOut, bad.says) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%s: exit %d, stdout %q, stderr %q", bad.file, code, out, errOut)
			}
		}
		// A good response is stapled; replaced by a bad one, it is dropped with a warning;
		// restored, it is stapled again.
		staple := filepath.Join(sdir, "staple.der")
		e2etest.WriteFile(t, sdir, "staple.der", string(e2etest.ReadFile(t, dir, "int-embedded.der")))
		// Changes on disk are looked for every 50 ms rather than every second: the two waits
		// below were two whole polls, 2.2 s of this package's 3.3 s.
		s := e2etest.StartServeEnv(t, sdir, []string{e2etest.FastWatchPoll}, append([]string{"--ocsp", staple}, chain...)...)
		res := e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", "root-cert.pem")
		if res.OCSP == nil || res.OCSP.Status != "good" {
			t.Fatalf("not stapled: %+v", res.OCSP)
		}
		later := time.Now().Add(2 * time.Second)
		e2etest.WriteFile(t, sdir, "staple.der", string(e2etest.ReadFile(t, dir, "sibling-revoked.der")))
		os.Chtimes(staple, later, later)
		if !s.WaitStderr(1, `not stapling .*staple\.der: it is for another certificate`) {
			t.Fatalf("no warning after the staple was replaced:\n%s", s.Stderr.String())
		}
		res = e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", "root-cert.pem")
		if res.OCSP != nil {
			t.Errorf("still stapling after a bad reload: %+v", res.OCSP)
		}
		e2etest.WriteFile(t, sdir, "staple.der", string(e2etest.ReadFile(t, dir, "int-embedded.der")))
		later = later.Add(2 * time.Second)
		os.Chtimes(staple, later, later)
		if !s.WaitStderr(1, `(?m)certificates reloaded$`) {
			t.Fatalf("no reload after the staple was restored:\n%s", s.Stderr.String())
		}
		res = e2etest.HandshakeOK(t, dir, "localhost:"+s.Port, "--ca", "root-cert.pem")
		if res.OCSP == nil || res.OCSP.Status != "good" {
			t.Errorf("not stapled again after the good response came back: %+v", res.OCSP)
		}
	})
}

// crlServer serves files from dir over HTTP on loopback; hang makes every request hang until
// the client gives up.
func crlServer(t *testing.T, dir string, hang *atomic.Bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			<-r.Context().Done()
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, filepath.Base(r.URL.Path)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// CRLs made by tlskit's own CA (ca revoke, ca crl) and served over HTTP from the distribution
// point the CA put in its certificates: handshake and verify fetch and judge them, and
// `openssl verify -crl_check` is the reference on the same files.
func TestCRLRevocation(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	dir := t.TempDir()
	var hang atomic.Bool
	srv := crlServer(t, dir, &hang)
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "root", "--crl-url", srv.URL+"/root.crl")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "root", "--crl-url", srv.URL+"/int.crl")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "good.pem", "--key-out", "good-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "revoked.pem", "--key-out", "revoked-key.pem")
	e2etest.Tlskit(t, dir, "ca", "revoke", "revoked.pem", "--ca-dir", "int", "--reason", "key-compromise")
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "int", "--out", "int.crl")
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "root", "--out", "root.crl")
	e2etest.WriteFile(t, dir, "root-cert.pem", string(e2etest.ReadFile(t, dir, "root/ca.pem")))
	e2etest.WriteFile(t, dir, "int-cert.pem", string(e2etest.PEMCertificate(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0])))
	e2etest.WriteFile(t, dir, "crls.pem", string(e2etest.ReadFile(t, dir, "int.crl"))+string(e2etest.ReadFile(t, dir, "root.crl")))

	for _, tt := range []struct {
		cert, want, opensslSays string
		code                    int
	}{
		{"good.pem", "good", ": OK", 0},
		{"revoked.pem", "revoked", "certificate revoked", 3},
	} {
		// In parallel, once the sequential cases below have run (the hanging server among them).
		t.Run(tt.cert, func(t *testing.T) {
			t.Parallel()
			ref := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-crl_check_all", "-CRLfile", "crls.pem", "-CAfile", "root-cert.pem",
				"-untrusted", "int-cert.pem", tt.cert)
			if !strings.Contains(ref.Stdout+ref.Stderr, tt.opensslSays) {
				t.Errorf("openssl verify -crl_check_all does not say %q:\n%s%s", tt.opensslSays, ref.Stdout, ref.Stderr)
			}
			// verify, fetching every CRL; and with the local CRL files, no network.
			for _, args := range [][]string{
				{"--revocation", "crl"},
				{"--revocation", "auto"},
				{"--crl", "int.crl", "--crl", "root.crl"},
				{"--crl", "crls.pem"}, // both CRLs in one file, as openssl's -CRLfile takes them
			} {
				all := append([]string{"verify", tt.cert, "--ca", "root-cert.pem", "--host", "localhost", "-o", "json"}, args...)
				r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), all...)
				var rep struct {
					Verification struct {
						Verified bool   `json:"verified"`
						Reason   string `json:"reason"`
						Chains   [][]struct {
							Revocation *struct {
								Status string `json:"status"`
								Source string `json:"source"`
								URL    string `json:"url"`
								File   string `json:"file"`
							} `json:"revocation"`
						} `json:"chains"`
					} `json:"verification"`
					Revocation revocationStatus `json:"revocation"`
				}
				if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
					t.Fatalf("%v: exit %d, %v\n%s", args, r.Code, err, r.Stderr)
				}
				if r.Code != tt.code || rep.Revocation.Status != tt.want || rep.Revocation.Source != "crl" {
					t.Errorf("%v: exit %d, revocation %+v, want %s\n%s", args, r.Code, rep.Revocation, tt.want, r.Stderr)
				}
				if tt.want == "revoked" && (rep.Verification.Reason != "revoked" || !strings.Contains(rep.Revocation.Error, "keyCompromise")) {
					t.Errorf("%v: %+v %+v", args, rep.Verification, rep.Revocation)
				}
				// The leaf and the intermediate are checked, each against its issuer's CRL.
				if len(rep.Verification.Chains) == 1 && len(rep.Verification.Chains[0]) == 3 {
					leaf, inter := rep.Verification.Chains[0][0].Revocation, rep.Verification.Chains[0][1].Revocation
					if leaf == nil || inter == nil || inter.Status != "good" || leaf.Status != tt.want {
						t.Errorf("%v: per-certificate %+v %+v", args, leaf, inter)
					} else if args[0] == "--revocation" && (leaf.URL != srv.URL+"/int.crl" || inter.URL != srv.URL+"/root.crl") {
						t.Errorf("%v: CRLs from %s and %s", args, leaf.URL, inter.URL)
					} else if len(args) == 2 && args[1] == "crls.pem" && (leaf.File != "crls.pem" || inter.File != "crls.pem") {
						t.Errorf("%v: CRL files %s and %s", args, leaf.File, inter.File)
					} else if len(args) == 4 && (leaf.File != "int.crl" || inter.File != "root.crl") {
						t.Errorf("%v: CRL files %s and %s", args, leaf.File, inter.File)
					}
				} else {
					t.Errorf("%v: chains %+v", args, rep.Verification.Chains)
				}
			}
			// handshake against s_server serving the chain, fetching the CRLs.
			key := strings.TrimSuffix(tt.cert, ".pem") + "-key.pem"
			s := peertest.OpenSSLServer(t, dir, filepath.Join(dir, tt.cert), filepath.Join(dir, key), "-cert_chain", "int-cert.pem")
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "handshake", s.Localhost(), "--ca", "root-cert.pem", "--revocation", "crl")
			if r.Code != tt.code || !strings.Contains(r.Stdout, " revocation "+map[string]string{"good": "good (CRL ", "revoked": "REVOKED since "}[tt.want]) {
				t.Errorf("handshake --revocation crl: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
		})
	}

	// A hanging server, until both runs (in parallel) have given up on it: --timeout 300ms, as
	// the fetch is refused either way; at 1s, one after the other, they waited 2 s.
	t.Run("a CRL server that hangs", func(t *testing.T) {
		hang.Store(true)
		t.Cleanup(func() { hang.Store(false) })
		t.Run("warns", func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "verify", "good.pem", "--ca", "root-cert.pem", "--revocation", "crl", "--timeout", "300ms")
			took := time.Since(start)
			if r.Code != 0 || !strings.Contains(r.Stderr, "tlskit: warning: good.pem: the revocation status of") || !strings.Contains(r.Stderr, "timed out") {
				t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
			}
			if took > 5*time.Second {
				t.Errorf("took %v with --timeout 300ms", took)
			}
		})
		t.Run("hard fail", func(t *testing.T) {
			t.Parallel()
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "verify", "good.pem", "--ca", "root-cert.pem", "--revocation", "crl", "--timeout", "300ms", "--revocation-hard-fail")
			if r.Code != 3 || !strings.Contains(r.Stderr, "revocation_unknown") {
				t.Errorf("hard fail: exit %d, stderr %q", r.Code, r.Stderr)
			}
		})
	})

	t.Run("bad flags", func(t *testing.T) {
		e2etest.WriteFile(t, dir, "garbage.crl", "not a CRL")
		for _, c := range []struct {
			args []string
			code int
			says string
		}{
			{[]string{"--revocation", "always"}, 2, "unknown revocation mode"},
			{[]string{"--revocation", "off", "--crl", "int.crl"}, 2, "contradict"},
			{[]string{"--crl", "garbage.crl"}, 1, "garbage.crl: not a valid CRL"},
			{[]string{"--crl", "missing.crl"}, 1, "missing.crl"},
		} {
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), append([]string{"verify", "good.pem"}, c.args...)...)
			if r.Code != c.code || !strings.HasPrefix(r.Stderr, "tlskit: ") || !strings.Contains(strings.SplitN(r.Stderr, "\n", 2)[0], c.says) {
				t.Errorf("%v: exit %d, stderr %q", c.args, r.Code, r.Stderr)
			}
		}
	})
}

// OCSP looked up through the binary: tlskit's CA names a responder (ca create --ocsp-url), the
// responder is OpenSSL's (`openssl ocsp -index ... -reqin -respout`, run per request behind a
// loopback HTTP front, as OpenSSL 3.0's -port listens on every interface), and `handshake` and
// `verify` with --revocation ocsp and auto ask it; `openssl ocsp -url` asks it too.
func TestOCSPRevocation(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	dir := t.TempDir()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var requests atomic.Int32
	mux.HandleFunc("/ocsp", func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		req, resp := fmt.Sprintf("r%d.req", n), fmt.Sprintf("r%d.der", n)
		e2etest.WriteFile(t, dir, req, string(body))
		if rr := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-index", "index.txt", "-rsigner", "int-cert.pem", "-rkey", "int/ca-key.pem",
			"-CA", "int-cert.pem", "-ndays", "1", "-reqin", req, "-respout", resp); rr.Code != 0 {
			http.Error(w, rr.Stderr, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(e2etest.ReadFile(t, dir, resp))
	})
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "root")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "root", "--ocsp-url", srv.URL+"/ocsp")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "good.pem", "--key-out", "good-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "revoked.pem", "--key-out", "revoked-key.pem")
	e2etest.WriteFile(t, dir, "root-cert.pem", string(e2etest.ReadFile(t, dir, "root/ca.pem")))
	e2etest.WriteFile(t, dir, "int-cert.pem", string(e2etest.PEMCertificate(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0])))
	e2etest.WriteFile(t, dir, "index.txt", indexLine(readCert(t, filepath.Join(dir, "good.pem")), false)+indexLine(readCert(t, filepath.Join(dir, "revoked.pem")), true))

	// Counted once both cases, run in parallel, are done.
	t.Cleanup(func() {
		if n := requests.Load(); n < 4 {
			t.Errorf("the responder was asked %d times", n)
		}
	})
	for _, tt := range []struct {
		cert, want string
		code       int
	}{{"good.pem", "good", 0}, {"revoked.pem", "revoked", 3}} {
		t.Run(tt.cert, func(t *testing.T) {
			t.Parallel()
			ref := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-url", srv.URL+"/ocsp", "-issuer", "int-cert.pem", "-cert", tt.cert,
				"-CAfile", "root-cert.pem", "-verify_other", "int-cert.pem", "-no_nonce")
			if !strings.Contains(ref.Stdout+ref.Stderr, "Response verify OK") || !strings.Contains(ref.Stdout, tt.cert+": "+tt.want) {
				t.Errorf("openssl ocsp -url does not say %s:\n%s%s", tt.want, ref.Stdout, ref.Stderr)
			}
			key := strings.TrimSuffix(tt.cert, ".pem") + "-key.pem"
			s := peertest.OpenSSLServer(t, dir, filepath.Join(dir, tt.cert), filepath.Join(dir, key), "-cert_chain", "int-cert.pem")
			for _, mode := range []string{"ocsp", "auto"} {
				var res report
				r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "handshake", s.Localhost(), "--ca", "root-cert.pem", "--revocation", mode, "-o", "json")
				if err := json.Unmarshal([]byte(r.Stdout), &res); err != nil {
					t.Fatalf("%s: exit %d: %v\n%s", mode, r.Code, err, r.Stderr)
				}
				leaf := res.Chain[0].Revocation
				if r.Code != tt.code || leaf == nil || leaf.Status != tt.want || leaf.Source != "ocsp" {
					t.Errorf("handshake --revocation %s: exit %d, leaf %+v\n%s", mode, r.Code, leaf, r.Stderr)
				}
				// The intermediate names no responder and no CRL: unknown, a warning, not a failure.
				if inter := res.Chain[1].Revocation; inter == nil || inter.Status != "unknown" {
					t.Errorf("handshake --revocation %s: intermediate %+v", mode, inter)
				}
				if tt.want == "good" && !strings.Contains(r.Stderr, "tlskit: warning: ") {
					t.Errorf("handshake --revocation %s: no warning for the unknown intermediate: %q", mode, r.Stderr)
				}
			}
			r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "verify", tt.cert, "--ca", "root-cert.pem", "--revocation", "ocsp")
			if r.Code != tt.code {
				t.Errorf("verify --revocation ocsp: exit %d, want %d\n%s%s", r.Code, tt.code, r.Stdout, r.Stderr)
			}
		})
	}
}

// `tlskit ca serve`, tlskit's own OCSP responder, asked by `openssl ocsp -url` (the reference)
// and by `tlskit verify --revocation ocsp`; a revocation recorded while it runs counts from the
// next request on.
func TestCAServeOCSP(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()
	port := peertest.FreePort(t)
	url := "http://127.0.0.1:" + port + "/ocsp"
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "root")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "root", "--ocsp-url", url)
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "other")
	for _, name := range []string{"good", "revoked", "later"} {
		e2etest.Tlskit(t, dir, "cert", "issue", name+".test", "--ca-dir", "int", "--out", name+".pem", "--key-out", name+"-key.pem")
	}
	e2etest.Tlskit(t, dir, "cert", "issue", "stranger.test", "--ca-dir", "other", "--out", "stranger.pem", "--key-out", "stranger-key.pem")
	e2etest.Tlskit(t, dir, "ca", "revoke", "revoked.pem", "--ca-dir", "int", "--reason", "key-compromise")
	e2etest.WriteFile(t, dir, "root-cert.pem", string(e2etest.ReadFile(t, dir, "root/ca.pem")))
	e2etest.WriteFile(t, dir, "int-cert.pem", string(e2etest.PEMCertificate(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0])))

	cmd := exec.Command(e2etest.Binary(), "ca", "serve", "--ca-dir", "int", "--addr", "127.0.0.1:"+port)
	cmd.Dir = dir
	var out, errOut peertest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(5 * time.Second); !strings.HasPrefix(out.String(), "http://127.0.0.1:"+port+"/\n"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ca serve did not start:\n%s%s", out.String(), errOut.String())
		}
	}

	check := func(cert, issuer, caFile, want string, code int) {
		t.Helper()
		ref := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-url", url, "-issuer", issuer, "-cert", cert, "-CAfile", caFile, "-verify_other", issuer, "-no_nonce")
		if want == "unauthorized" {
			if !strings.Contains(ref.Stdout+ref.Stderr, "unauthorized") {
				t.Errorf("%s: openssl ocsp does not say unauthorized:\n%s%s", cert, ref.Stdout, ref.Stderr)
			}
			return
		}
		if !strings.Contains(ref.Stdout+ref.Stderr, "Response verify OK") || !strings.Contains(ref.Stdout, cert+": "+want) {
			t.Errorf("%s: openssl ocsp -url does not say %s:\n%s%s", cert, want, ref.Stdout, ref.Stderr)
		}
		r := e2etest.Exec(t, dir, "", nil, e2etest.Binary(), "verify", cert, "--ca", caFile, "--revocation", "ocsp", "-o", "json")
		if r.Code != code || !strings.Contains(r.Stdout, `"status": "`+want+`"`) {
			t.Errorf("%s: tlskit verify --revocation ocsp: exit %d, want %d and %s\n%s%s", cert, r.Code, code, want, r.Stdout, r.Stderr)
		}
	}
	check("good.pem", "int-cert.pem", "root-cert.pem", "good", 0)
	check("revoked.pem", "int-cert.pem", "root-cert.pem", "revoked", 3)
	check("later.pem", "int-cert.pem", "root-cert.pem", "good", 0)
	e2etest.Tlskit(t, dir, "ca", "revoke", "later.pem", "--ca-dir", "int", "--reason", "superseded")
	check("later.pem", "int-cert.pem", "root-cert.pem", "revoked", 3)
	check("stranger.pem", "other/ca.pem", "other/ca.pem", "unauthorized", 1)

	// The log line of the last request may still be on its way (it is written after the
	// answer): wait for it rather than read the log at once, which under a parallel test run
	// missed it now and then.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), " unauthorized ") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(out.String(), "\n"); n < 8 {
		t.Errorf("%d log lines, want the URL and one per request:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), " revoked ") || !strings.Contains(out.String(), " unauthorized ") {
		t.Errorf("the log does not say what was answered:\n%s", out.String())
	}
	// SIGTERM stops it, exit 0.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v\n%s", err, errOut.String())
	}
}
