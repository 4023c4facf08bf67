package revocation

// Interop with OpenSSL, the reference for OCSP and CRL verdicts: the material (certificates,
// OCSP responses, CRLs) is made by openssl, and each of tlskit's verdicts is compared with
// `openssl ocsp` / `openssl verify -crl_check` on the same files in the same run.

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// osslPKI is a CA made by openssl in dir, with its index for `openssl ca` and `openssl ocsp`.
type osslPKI struct {
	t   *testing.T
	dir string
}

func (p *osslPKI) run(args ...string) string {
	p.t.Helper()
	return p.runIn(nil, args...)
}

// runIn runs a command in the PKI directory; prefix (faketime) goes in front of it.
func (p *osslPKI) runIn(prefix []string, args ...string) string {
	p.t.Helper()
	argv := append(append([]string{}, prefix...), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// try runs a command that may fail (a verdict), returning its output either way.
func (p *osslPKI) try(args ...string) string {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = p.dir
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func (p *osslPKI) write(name, content string) {
	p.t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, name), []byte(content), 0o600); err != nil {
		p.t.Fatal(err)
	}
}

func (p *osslPKI) cert(name string) *x509.Certificate {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.dir, name))
	if err != nil {
		p.t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func (p *osslPKI) file(name string) []byte {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.dir, name))
	if err != nil {
		p.t.Fatal(err)
	}
	return data
}

// newOSSLPKI makes, with openssl: a root (root.pem), an issuing CA under it (ca.pem), an unrelated CA (other.pem), a CA with the
// same name as ca.pem and another key (impostor.pem), leaves good.pem, revoked.pem and
// unknown.pem (not in the index), a responder with id-kp-OCSPSigning (resp.pem) and one
// without (noeku.pem). Leaves carry a CRL distribution point and an OCSP URL under base.
func newOSSLPKI(t *testing.T, openssl, base string) *osslPKI {
	p := &osslPKI{t: t, dir: t.TempDir()}
	p.write("ext.cnf", fmt.Sprintf(`[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[leaf]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:leaf.test
crlDistributionPoints=URI:%[1]s/ca.crl
authorityInfoAccess=OCSP;URI:%[1]s/ocsp
authorityKeyIdentifier=keyid
[responder]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=OCSPSigning
[noeku]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
`, base))
	p.write("ca.cnf", `[ca]
default_ca=local
[local]
database=index.txt
crlnumber=crlnumber
default_md=sha256
default_crl_days=7
`)
	p.write("index.txt", "")
	p.write("crlnumber", "01\n")
	for _, ca := range []struct{ name, subj string }{{"root", "/CN=Reference Root"}, {"other", "/CN=Unrelated CA"}, {"impostor", "/CN=Reference CA"}} {
		p.run(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", ca.name+".key", "-out", ca.name+".pem", "-subj", ca.subj, "-days", "30",
			"-extensions", "ca", "-config", "ext.cnf")
	}
	// The issuing CA is an intermediate: an issuer-signed response that embeds an intermediate's
	// certificate is what x/crypto/ocsp mistakes for a delegated responder.
	p.run(openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ca.key", "-out", "ca.csr", "-subj", "/CN=Reference CA")
	p.run(openssl, "x509", "-req", "-in", "ca.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "99",
		"-days", "30", "-extfile", "ext.cnf", "-extensions", "ca", "-out", "ca.pem")
	for i, leaf := range []struct{ name, ext, ca string }{
		{"good", "leaf", "ca"}, {"revoked", "leaf", "ca"}, {"unknown", "leaf", "ca"},
		{"resp", "responder", "ca"}, {"noeku", "noeku", "ca"},
	} {
		p.run(openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", leaf.name+".key", "-out", leaf.name+".csr", "-subj", "/CN="+leaf.name+".test")
		p.run(openssl, "x509", "-req", "-in", leaf.name+".csr", "-CA", leaf.ca+".pem", "-CAkey", leaf.ca+".key",
			"-set_serial", fmt.Sprint(0x1000+i), "-days", "20", "-extfile", "ext.cnf", "-extensions", leaf.ext, "-out", leaf.name+".pem")
	}
	// The index that `openssl ca` and `openssl ocsp` read: good and resp valid, revoked revoked.
	expiry := time.Now().Add(20 * 24 * time.Hour).UTC().Format("060102150405Z")
	revokedAt := time.Now().Add(-time.Hour).UTC().Format("060102150405Z")
	p.write("index.txt", fmt.Sprintf("V\t%[1]s\t\t1000\tunknown\t/CN=good.test\nR\t%[1]s\t%[2]s,keyCompromise\t1001\tunknown\t/CN=revoked.test\nV\t%[1]s\t\t1003\tunknown\t/CN=resp.test\n", expiry, revokedAt))
	return p
}

// opensslOCSPVerdict is what `openssl ocsp` makes of a response about cert: good, revoked,
// unknown, or invalid when it refuses the response (verify failure, no status for the
// certificate, status times invalid).
func opensslOCSPVerdict(p *osslPKI, openssl, resp, cert string) (string, string) {
	out := p.try(openssl, "ocsp", "-respin", resp, "-issuer", "ca.pem", "-cert", cert, "-CAfile", "root.pem", "-verify_other", "ca.pem", "-no_nonce")
	switch {
	case strings.Contains(out, "Response Verify Failure"), strings.Contains(out, "No Status found"),
		strings.Contains(out, "Status times invalid"), !strings.Contains(out, "Response verify OK"):
		return StatusInvalid, out
	}
	for _, s := range []string{StatusGood, StatusRevoked, StatusUnknown} {
		if strings.Contains(out, cert+": "+s) {
			return s, out
		}
	}
	return "?", out
}

func TestOCSPAgainstOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := peertest.Need(t, "openssl")
	faketime := peertest.Need(t, "faketime")
	p := newOSSLPKI(t, openssl, "http://127.0.0.1:9")
	now := time.Now()
	ca := p.cert("ca.pem")

	// Each case: which certificate the response is made for, who signs it, and how.
	respond := func(out, about string, signer, key string, extra ...string) {
		p.run(openssl, "ocsp", "-issuer", "ca.pem", "-cert", about, "-reqout", out+".req", "-no_nonce")
		args := append([]string{openssl, "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", signer, "-rkey", key,
			"-reqin", out + ".req", "-respout", out, "-ndays", "1"}, extra...)
		p.run(args...)
	}
	respond("issuer.der", "good.pem", "ca.pem", "ca.key")
	respond("issuer-nocerts.der", "good.pem", "ca.pem", "ca.key", "-resp_no_certs")
	respond("delegated.der", "good.pem", "resp.pem", "resp.key")
	respond("delegated-nocerts.der", "good.pem", "resp.pem", "resp.key", "-resp_no_certs")
	respond("noeku.der", "good.pem", "noeku.pem", "noeku.key")
	respond("unrelated.der", "good.pem", "other.pem", "other.key")
	respond("unrelated-nocerts.der", "good.pem", "other.pem", "other.key", "-resp_no_certs")
	respond("impostor.der", "good.pem", "impostor.pem", "impostor.key", "-resp_no_certs")
	respond("revoked.der", "revoked.pem", "ca.pem", "ca.key")
	respond("unknown.der", "unknown.pem", "ca.pem", "ca.key")
	// One response about two certificates: each is judged on its own SingleResponse.
	p.run(openssl, "ocsp", "-issuer", "ca.pem", "-cert", "good.pem", "-cert", "revoked.pem", "-reqout", "multi.req", "-no_nonce")
	p.run(openssl, "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "ca.pem", "-rkey", "ca.key",
		"-reqin", "multi.req", "-respout", "multi.der", "-ndays", "1")
	// An expired response: made three days ago with a nextUpdate one day after.
	p.run(openssl, "ocsp", "-issuer", "ca.pem", "-cert", "good.pem", "-reqout", "expired.req", "-no_nonce")
	p.runIn([]string{faketime, "-f", "-3d"}, openssl, "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "ca.pem",
		"-rkey", "ca.key", "-reqin", "expired.req", "-respout", "expired.der", "-ndays", "1")

	tests := []struct {
		name, resp, cert string
		want             string
		errHas           string
	}{
		{"issuer-signed, CA embedded (openssl's default)", "issuer.der", "good.pem", StatusGood, ""},
		{"issuer-signed, -resp_no_certs", "issuer-nocerts.der", "good.pem", StatusGood, ""},
		{"delegated responder with OCSPSigning", "delegated.der", "good.pem", StatusGood, ""},
		{"delegated responder, not embedded", "delegated-nocerts.der", "good.pem", StatusInvalid, "not signed by the issuer"},
		{"delegated responder without OCSPSigning", "noeku.der", "good.pem", StatusInvalid, "id-kp-OCSPSigning"},
		{"unrelated signer", "unrelated.der", "good.pem", StatusInvalid, "did not certify"},
		{"unrelated signer, no certificates", "unrelated-nocerts.der", "good.pem", StatusInvalid, "not signed by the issuer"},
		{"the issuer's name with another key", "impostor.der", "good.pem", StatusInvalid, "not signed by the issuer"},
		{"revoked", "revoked.der", "revoked.pem", StatusRevoked, ""},
		{"another serial (revoked) for this leaf", "revoked.der", "good.pem", StatusInvalid, "another certificate"},
		{"not in the responder's index", "unknown.der", "unknown.pem", StatusUnknown, ""},
		{"expired nextUpdate", "expired.der", "good.pem", StatusInvalid, "expired"},
		{"two responses in one, the good one", "multi.der", "good.pem", StatusGood, ""},
		{"two responses in one, the revoked one", "multi.der", "revoked.pem", StatusRevoked, ""},
		{"two responses in one, neither this", "multi.der", "unknown.pem", StatusInvalid, "no response for this certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JudgeOCSP(p.file(tt.resp), p.cert(tt.cert), ca, now)
			ref, out := opensslOCSPVerdict(p, openssl, tt.resp, tt.cert)
			if got.Status != tt.want || !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("tlskit: %s (%s), want %s saying %q", got.Status, got.Error, tt.want, tt.errHas)
			}
			if ref != tt.want {
				t.Errorf("openssl: %s, want %s:\n%s", ref, tt.want, out)
			}
		})
	}

	t.Run("revoked details", func(t *testing.T) {
		got := JudgeOCSP(p.file("revoked.der"), p.cert("revoked.pem"), ca, now)
		if got.RevocationReason != "keyCompromise" || got.RevokedAt == nil || now.Sub(*got.RevokedAt) > 2*time.Hour {
			t.Errorf("%+v", got)
		}
	})
}

// A live OCSP responder made of OpenSSL, asked by tlskit's fetcher and by `openssl ocsp -url`.
// OpenSSL 3.0's `ocsp -port` takes only a port number and listens on every interface, so the
// responder is `openssl ocsp -reqin -respout` run for each request behind a loopback HTTP front:
// the index lookup and the signing are OpenSSL's, only the HTTP is the test's.
func TestOCSPResponderAgainstOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := peertest.Need(t, "openssl")
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := newOSSLPKI(t, openssl, srv.URL)
	var requests atomic.Int32
	mux.HandleFunc("/ocsp", func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		req, resp := fmt.Sprintf("live%d.req", n), fmt.Sprintf("live%d.der", n)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/ocsp-request" {
			http.Error(w, "want a POST of application/ocsp-request", http.StatusBadRequest)
			return
		}
		p.write(req, string(body))
		cmd := exec.Command(openssl, "ocsp", "-index", "index.txt", "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem",
			"-ndays", "1", "-reqin", req, "-respout", resp)
		cmd.Dir = p.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(p.file(resp))
	})

	ca := p.cert("ca.pem")
	f := NewFetcher(FetcherOptions{})
	for _, tt := range []struct{ cert, want string }{{"good.pem", StatusGood}, {"revoked.pem", StatusRevoked}, {"unknown.pem", StatusUnknown}} {
		t.Run(tt.cert, func(t *testing.T) {
			leaf := p.cert(tt.cert)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rep := Check(ctx, []*x509.Certificate{leaf, ca}, nil, nil, Options{Mode: ModeOCSP, Now: time.Now(), Fetcher: f})
			st := rep.Certificates[0]
			if st.Status != tt.want || st.Source != SourceOCSP || st.URL != srv.URL+"/ocsp" {
				t.Errorf("tlskit: %+v, want %s", st, tt.want)
			}
			out := p.try(openssl, "ocsp", "-url", srv.URL+"/ocsp", "-issuer", "ca.pem", "-cert", tt.cert, "-CAfile", "root.pem", "-verify_other", "ca.pem", "-no_nonce")
			if !strings.Contains(out, "Response verify OK") || !strings.Contains(out, tt.cert+": "+tt.want) {
				t.Errorf("openssl does not say %s:\n%s", tt.want, out)
			}
		})
	}
}

// CRLs made by `openssl ca -gencrl`, served by a local HTTP server, judged by tlskit (fetched
// from the leaves' distribution point) and by `openssl verify -crl_check`.
func TestCRLAgainstOpenSSL(t *testing.T) {
	t.Parallel()
	openssl := peertest.Need(t, "openssl")
	faketime := peertest.Need(t, "faketime")
	serve := map[string][]byte{}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if b, ok := serve[r.URL.Path]; ok {
			w.Write(b)
			return
		}
		http.NotFound(w, r)
	})
	p := newOSSLPKI(t, openssl, srv.URL)
	gencrl := func(out, cert, key string, prefix ...string) {
		p.runIn(prefix, openssl, "ca", "-config", "ca.cnf", "-gencrl", "-cert", cert, "-keyfile", key, "-out", out, "-crldays", "1")
	}
	gencrl("good.crl", "ca.pem", "ca.key")
	gencrl("impostor.crl", "impostor.pem", "impostor.key")
	gencrl("expired.crl", "ca.pem", "ca.key", faketime, "-f", "-3d")
	gencrl("other.crl", "other.pem", "other.key")
	if out := p.run(openssl, "crl", "-in", "good.crl", "-noout", "-text"); !strings.Contains(out, "Serial Number: 1001") {
		t.Fatalf("openssl ca did not revoke 1001:\n%s", out)
	}

	ca := p.cert("ca.pem")
	tests := []struct {
		name, crl, cert string
		want            string
		opensslSays     string
	}{
		{"good", "good.crl", "good.pem", StatusGood, ": OK"},
		{"revoked", "good.crl", "revoked.pem", StatusRevoked, "certificate revoked"},
		{"wrong signer (same name, another key)", "impostor.crl", "good.pem", StatusInvalid, "CRL signature failure"},
		{"expired", "expired.crl", "good.pem", StatusInvalid, "CRL has expired"},
		{"another issuer's CRL", "other.crl", "good.pem", StatusInvalid, "unable to get certificate CRL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serve["/ca.crl"] = p.file(tt.crl)
			rep := Check(context.Background(), []*x509.Certificate{p.cert(tt.cert), ca}, nil, nil,
				Options{Mode: ModeCRL, Now: time.Now(), Fetcher: NewFetcher(FetcherOptions{})})
			st := rep.Certificates[0]
			want := tt.want
			if want == StatusInvalid {
				want = StatusUnknown // a CRL that cannot be used leaves the status unknown
			}
			if st.Status != want || st.URL != srv.URL+"/ca.crl" {
				t.Errorf("tlskit: %+v, want %s", st, want)
			}
			local, err := ParseCRL(p.file(tt.crl))
			if err != nil {
				t.Fatal(err)
			}
			if got := JudgeCRL(local, p.cert(tt.cert), ca, time.Now()); got.Status != tt.want {
				t.Errorf("JudgeCRL: %+v, want %s", got, tt.want)
			}
			out := p.try(openssl, "verify", "-crl_check", "-CRLfile", tt.crl, "-CAfile", "root.pem", "-untrusted", "ca.pem", tt.cert)
			if !strings.Contains(out, tt.opensslSays) {
				t.Errorf("openssl verify -crl_check does not say %q:\n%s", tt.opensslSays, out)
			}
		})
	}
}
