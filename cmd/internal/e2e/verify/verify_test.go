//go:build unix

package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end checks that `tlskit verify` says what `openssl verify` says about the same chains,
// and names the right reason when a chain is refused. The chains are made here with
// crypto/x509 so that every field is under the test's control. Where Go (and so tlskit) and
// OpenSSL legitimately disagree, the difference is asserted and explained in
// docs/verify-vs-openssl.md.

// verifyAt is the fixed verification time: well inside the validity of the good certificates.
var verifyAt = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC)
)

// issued is a certificate with its key, to sign others with.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  string
}

var lastSerial int64 = 1000

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign issues tmpl with a fresh P-256 key, signed by parent (self-signed when parent is nil).
func sign(t *testing.T, tmpl *x509.Certificate, parent *issued) *issued {
	t.Helper()
	key := newKey(t)
	lastSerial++
	tmpl.SerialNumber = big.NewInt(lastSerial)
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = notBefore
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = notAfter
	}
	p, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		p, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p, key.Public(), signer)
	if err != nil {
		t.Fatalf("creating %s: %v", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: c, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

func mustOID(t *testing.T, s string) x509.OID {
	t.Helper()
	oid, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return oid
}

func caTemplate(cn string, maxPathLen int) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"tlskit verify test"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func leafTemplate(cn string, eku []x509.ExtKeyUsage, dns ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              dns,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           eku,
	}
}

// report is the part of `tlskit verify -o json` the test looks at.
type report struct {
	Host         string `json:"host"`
	Purpose      string `json:"purpose"`
	Presented    int    `json:"presented"`
	Verification struct {
		Verified   bool              `json:"verified"`
		Reason     string            `json:"reason"`
		Error      string            `json:"error"`
		HostnameOK bool              `json:"hostname_ok"`
		Chains     []json.RawMessage `json:"chains"`
	} `json:"verification"`
}

type verifyCase struct {
	name    string
	chain   []string // PEM files, leaf first, concatenated into the CHAIN_FILE
	leaf    string   // leaf file for openssl
	untrust string   // intermediates file for openssl ("" for none)
	ca      string
	host    string
	purpose string // server or client
	extra   []string

	wantValid  bool
	wantReason string
	says       string // a substring of tlskit's error, where the case pins it
	// osslValid is OpenSSL's verdict where it legitimately differs from tlskit's (see
	// docs/verify-vs-openssl.md); nil means the same as wantValid.
	osslValid *bool
	// osslSays is a substring OpenSSL must print (its error, or "OK").
	osslSays string
	// osslFlags are added to openssl verify's (policyCheck: OpenSSL checks policies only when
	// asked, Go always does; docs/verify-vs-openssl.md).
	osslFlags []string
}

func boolp(b bool) *bool { return &b }

// policyCheck has openssl verify check certificate policies as Go always does, from RFC 5280
// 6.1.1 (c)'s default user-initial-policy-set, any-policy. Without -policy, OpenSSL 3.0 takes
// that set as empty and refuses every chain whose CA requires an explicit policy, a valid one
// too (measured on a chain OpenSSL made itself: "no explicit policy", "User Policies: <empty>").
var policyCheck = []string{"-policy_check", "-policy", "2.5.29.32.0"}

func TestMain(m *testing.M) { e2etest.Main(m) }

func TestVerifyMatchesOpenSSL(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()
	srv := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}

	root := sign(t, caTemplate("VF Root", 1), nil)
	other := sign(t, caTemplate("VF Other Root", 1), nil)
	inter := sign(t, caTemplate("VF Intermediate", 0), root)

	good := sign(t, leafTemplate("www.example.test", srv, "www.example.test"), inter)
	expiredT := leafTemplate("expired.example.test", srv, "expired.example.test")
	expiredT.NotBefore, expiredT.NotAfter = notBefore, verifyAt.AddDate(-1, 0, 0)
	expired := sign(t, expiredT, inter)
	futureT := leafTemplate("future.example.test", srv, "future.example.test")
	futureT.NotBefore = verifyAt.AddDate(1, 0, 0)
	future := sign(t, futureT, inter)
	aiaT := leafTemplate("aia.example.test", srv, "aia.example.test")
	aiaT.IssuingCertificateURL = []string{"http://ca.invalid/int.crt"}
	aia := sign(t, aiaT, inter)

	// Path length: a root allowing no intermediate at all, with one under it.
	plRoot := sign(t, caTemplate("VF PathLen0 Root", 0), nil)
	plInter := sign(t, caTemplate("VF PathLen Intermediate", 0), plRoot)
	plLeaf := sign(t, leafTemplate("pl.example.test", srv, "pl.example.test"), plInter)

	// Name constraints: an intermediate limited to example.test, a leaf for other.test.
	ncT := caTemplate("VF Constrained Intermediate", 0)
	ncT.PermittedDNSDomainsCritical = true
	ncT.PermittedDNSDomains = []string{".example.test"}
	ncInter := sign(t, ncT, root)
	ncLeaf := sign(t, leafTemplate("other.test", srv, "other.test"), ncInter)

	// Certificate policies: an intermediate whose policy constraints require an explicit policy
	// (requireExplicitPolicy 0, which Go can read but not write: the extension by hand), and
	// allowing only policy 1.3.6.1.4.1.55555.1; leaves with no policy, another one, and that one.
	polT := caTemplate("VF Policy Intermediate", 0)
	polT.Policies = []x509.OID{mustOID(t, "1.3.6.1.4.1.55555.1")}
	polT.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}}}
	polInter := sign(t, polT, root)
	polNone := sign(t, leafTemplate("nopolicy.example.test", srv, "nopolicy.example.test"), polInter)
	polOtherT := leafTemplate("otherpolicy.example.test", srv, "otherpolicy.example.test")
	polOtherT.Policies = []x509.OID{mustOID(t, "1.3.6.1.4.1.55555.2")}
	polOther := sign(t, polOtherT, polInter)
	polGoodT := leafTemplate("policy.example.test", srv, "policy.example.test")
	polGoodT.Policies = []x509.OID{mustOID(t, "1.3.6.1.4.1.55555.1")}
	polGood := sign(t, polGoodT, polInter)

	clientLeaf := sign(t, leafTemplate("client.example.test", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, "client.example.test"), inter)

	selfT := leafTemplate("self.example.test", srv, "self.example.test")
	self := sign(t, selfT, nil)

	// A leaf naming its host only in the subject CN.
	cnOnly := sign(t, leafTemplate("cn.example.test", srv), inter)

	// Chains that stop short of a trusted root in different places (inspect's
	// classifyUnknownAuthority): an intermediate of the same name as inter with another key (what
	// a server sends when it kept the old one), a second level of intermediates, and a leaf
	// issued by a certificate that is not a CA.
	interOld := sign(t, caTemplate("VF Intermediate", 0), root)
	inter2T := caTemplate("VF Intermediate 2", 0)
	inter1 := sign(t, caTemplate("VF Intermediate 1", 1), root)
	inter2 := sign(t, inter2T, inter1)
	deep := sign(t, leafTemplate("deep.example.test", srv, "deep.example.test"), inter2)
	notCA := sign(t, leafTemplate("notca.example.test", srv, "notca.example.test"), inter)
	underNotCA := sign(t, leafTemplate("undernotca.example.test", srv, "undernotca.example.test"), notCA)

	files := map[string]*issued{
		"root.pem": root, "other.pem": other, "inter.pem": inter, "good.pem": good,
		"expired.pem": expired, "future.pem": future, "aia.pem": aia, "plroot.pem": plRoot,
		"plinter.pem": plInter, "plleaf.pem": plLeaf, "ncinter.pem": ncInter, "ncleaf.pem": ncLeaf,
		"client.pem": clientLeaf, "self.pem": self, "cnonly.pem": cnOnly,
		"interold.pem": interOld, "inter1.pem": inter1, "inter2.pem": inter2, "deep.pem": deep,
		"notca.pem": notCA, "undernotca.pem": underNotCA,
		"polinter.pem": polInter, "polnone.pem": polNone, "polother.pem": polOther, "polgood.pem": polGood,
	}
	for name, c := range files {
		e2etest.WriteFile(t, dir, name, c.pem)
	}

	cases := []verifyCase{
		{name: "good", chain: []string{"good.pem", "inter.pem"}, ca: "root.pem", host: "www.example.test",
			wantValid: true, osslSays: "OK"},
		{name: "good, intermediate from --intermediates", chain: []string{"good.pem"}, ca: "root.pem",
			host: "www.example.test", extra: []string{"--intermediates", "inter.pem"}, wantValid: true, osslSays: "OK"},
		{name: "expired leaf", chain: []string{"expired.pem", "inter.pem"}, ca: "root.pem", host: "expired.example.test",
			wantReason: "expired", osslSays: "certificate has expired"},
		{name: "not yet valid leaf", chain: []string{"future.pem", "inter.pem"}, ca: "root.pem", host: "future.example.test",
			wantReason: "not_yet_valid", osslSays: "certificate is not yet valid"},
		{name: "wrong host", chain: []string{"good.pem", "inter.pem"}, ca: "root.pem", host: "other.example.test",
			wantReason: "hostname_mismatch", osslSays: "hostname mismatch"},
		{name: "unknown root", chain: []string{"good.pem", "inter.pem"}, ca: "other.pem", host: "www.example.test",
			wantReason: "unknown_authority", osslSays: "unable to get local issuer certificate"},
		{name: "missing intermediate", chain: []string{"aia.pem"}, ca: "root.pem", host: "aia.example.test",
			wantReason: "incomplete_chain", osslSays: "unable to get local issuer certificate"},
		// The same without an AIA caIssuers URL, which the leaf need not have.
		{name: "missing intermediate, no AIA", chain: []string{"good.pem"}, ca: "root.pem", host: "www.example.test",
			wantReason: "incomplete_chain", osslSays: "unable to get local issuer certificate",
			says: `the file did not include the certificate of "CN=www.example.test"'s issuer "CN=VF Intermediate,O=tlskit verify test"`},
		// Neither the intermediate nor its root is at hand: what is missing first is still the
		// intermediate (OpenSSL names no reason of its own for either).
		{name: "leaf of an unknown CA", chain: []string{"good.pem"}, ca: "other.pem", host: "www.example.test",
			wantReason: "incomplete_chain", osslSays: "unable to get local issuer certificate"},
		{name: "untrusted root sent", chain: []string{"good.pem", "inter.pem", "root.pem"}, ca: "other.pem", host: "www.example.test",
			wantReason: "unknown_authority", osslSays: "self-signed certificate in certificate chain",
			says: `the chain ends at the root "CN=VF Root,O=tlskit verify test", which is not trusted`},
		// A chain that reaches a CA certificate whose issuer is missing: tlskit judges the root
		// untrusted rather than a second intermediate missing (docs/json.md); OpenSSL does not say.
		{name: "second intermediate missing", chain: []string{"deep.pem", "inter2.pem"}, ca: "root.pem", host: "deep.example.test",
			wantReason: "unknown_authority", osslSays: "unable to get local issuer certificate"},
		{name: "old intermediate of the same name", chain: []string{"good.pem", "interold.pem"}, ca: "root.pem", host: "www.example.test",
			wantReason: "incomplete_chain", osslSays: "unable to get local issuer certificate"},
		{name: "issued by a certificate that is not a CA", chain: []string{"undernotca.pem", "notca.pem", "inter.pem"}, ca: "root.pem",
			host: "undernotca.example.test", wantReason: "not_authorized_to_sign", osslSays: "invalid CA certificate"},
		{name: "path length exceeded", chain: []string{"plleaf.pem", "plinter.pem"}, ca: "plroot.pem", host: "pl.example.test",
			// Go names this x509.TooManyIntermediates, which has no code of its own: "other".
			wantReason: "path_length", osslSays: "path length constraint exceeded"},
		{name: "name constraint violated", chain: []string{"ncleaf.pem", "ncinter.pem"}, ca: "root.pem", host: "other.test",
			wantReason: "name_constraints", osslSays: "permitted subtree violation"},
		{name: "explicit policy required, leaf has none", chain: []string{"polnone.pem", "polinter.pem"}, ca: "root.pem", host: "nopolicy.example.test",
			wantReason: "invalid_policy", osslFlags: policyCheck, osslSays: "no explicit policy",
			says: `the CA certificate "CN=VF Policy Intermediate,O=tlskit verify test" (depth 1) requires an explicit policy from the next certificate on (policy constraints), and the certificate "CN=nopolicy.example.test" (depth 0) has no certificate policies`},
		{name: "explicit policy required, leaf has another", chain: []string{"polother.pem", "polinter.pem"}, ca: "root.pem", host: "otherpolicy.example.test",
			wantReason: "invalid_policy", osslFlags: policyCheck, osslSays: "no explicit policy",
			says: `none of the certificate policies of "CN=otherpolicy.example.test" (depth 0), 1.3.6.1.4.1.55555.2, is allowed`},
		{name: "explicit policy required and held", chain: []string{"polgood.pem", "polinter.pem"}, ca: "root.pem", host: "policy.example.test",
			wantValid: true, osslFlags: policyCheck, osslSays: "OK"},
		{name: "wrong EKU", chain: []string{"client.pem", "inter.pem"}, ca: "root.pem", host: "client.example.test",
			wantReason: "incompatible_usage", osslSays: "unsuitable certificate purpose"},
		{name: "client purpose", chain: []string{"client.pem", "inter.pem"}, ca: "root.pem", host: "client.example.test",
			purpose: "client", wantValid: true, osslSays: "OK"},
		{name: "self-signed leaf", chain: []string{"self.pem"}, ca: "root.pem", host: "self.example.test",
			wantReason: "self_signed", osslSays: "self-signed certificate"},
		// Known difference: OpenSSL still matches the subject CN when there is no SAN.
		{name: "CN without SAN", chain: []string{"cnonly.pem", "inter.pem"}, ca: "root.pem", host: "cn.example.test",
			wantReason: "cn_without_san", osslValid: boolp(true), osslSays: "OK"},
	}

	tkT := verifyAt.Format(time.RFC3339)
	osslT := strconv.FormatInt(verifyAt.Unix(), 10)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chainFile := fmt.Sprintf("chain%d.pem", i)
			var chain strings.Builder
			for _, f := range tc.chain {
				chain.Write(e2etest.ReadFile(t, dir, f))
			}
			e2etest.WriteFile(t, dir, chainFile, chain.String())
			purpose := tc.purpose
			if purpose == "" {
				purpose = "server"
			}
			args := []string{"verify", chainFile, "--ca", tc.ca, "--host", tc.host, "--at", tkT,
				"--purpose", purpose, "-o", "json"}
			args = append(args, tc.extra...)
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
			var rep report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("tlskit %s: exit %d, bad JSON: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, err, out, errOut)
			}
			v := rep.Verification
			wantCode := 3
			if tc.wantValid {
				wantCode = 0
			}
			if code != wantCode {
				t.Errorf("tlskit exit %d, want %d\nstderr:\n%s", code, wantCode, errOut)
			}
			if v.Verified != tc.wantValid {
				t.Errorf("tlskit verified=%t, want %t (reason %q: %s)", v.Verified, tc.wantValid, v.Reason, v.Error)
			}
			if !tc.wantValid && v.Reason != tc.wantReason {
				t.Errorf("BUG: tlskit reason %q, want %q (error: %s)\nreproduce: cd %s && %s %s",
					v.Reason, tc.wantReason, v.Error, dir, e2etest.Binary(), strings.Join(args, " "))
			}
			if tc.says != "" && !strings.Contains(v.Error, tc.says) {
				t.Errorf("tlskit error %q does not say %q", v.Error, tc.says)
			}
			if tc.wantValid && (v.Reason != "" || len(v.Chains) == 0) {
				t.Errorf("valid, yet reason %q and %d chains", v.Reason, len(v.Chains))
			}
			if rep.Host != tc.host || rep.Purpose != purpose || rep.Presented != len(tc.chain) {
				t.Errorf("report host %q purpose %q presented %d; want %q %q %d", rep.Host, rep.Purpose, rep.Presented,
					tc.host, purpose, len(tc.chain))
			}

			osslPurpose := "sslserver"
			if purpose == "client" {
				osslPurpose = "sslclient"
			}
			oargs := append([]string{"verify", "-x509_strict", "-purpose", osslPurpose, "-CAfile", tc.ca}, tc.osslFlags...)
			untrusted := tc.chain[1:]
			if len(tc.extra) == 2 && tc.extra[0] == "--intermediates" {
				untrusted = append(untrusted, tc.extra[1])
			}
			for _, u := range untrusted {
				oargs = append(oargs, "-untrusted", u)
			}
			oargs = append(oargs, "-verify_hostname", tc.host, "-attime", osslT, tc.chain[0])
			r := e2etest.Exec(t, dir, "", nil, "openssl", oargs...)
			osslOK := r.Code == 0
			wantOssl := tc.wantValid
			if tc.osslValid != nil {
				wantOssl = *tc.osslValid
			}
			if osslOK != wantOssl {
				t.Errorf("openssl %s: exit %d (valid=%t), want valid=%t\n%s%s", strings.Join(oargs, " "), r.Code,
					osslOK, wantOssl, r.Stdout, r.Stderr)
			}
			if tc.osslValid == nil && osslOK != v.Verified {
				t.Errorf("tlskit (verified=%t) and openssl (valid=%t) disagree", v.Verified, osslOK)
			}
			if tc.osslSays != "" && !strings.Contains(r.Stdout+r.Stderr, tc.osslSays) {
				t.Errorf("openssl output lacks %q:\n%s%s", tc.osslSays, r.Stdout, r.Stderr)
			}
		})
	}

	t.Run("expired trusted root", func(t *testing.T) {
		rt := caTemplate("VF Expired Root", 1)
		rt.NotAfter = verifyAt.AddDate(-1, 0, 0)
		oldRoot := sign(t, rt, nil)
		oi := sign(t, caTemplate("VF Intermediate Under Expired Root", 0), oldRoot)
		ol := sign(t, leafTemplate("old.example.test", srv, "old.example.test"), oi)
		e2etest.WriteFile(t, dir, "oldroot.pem", oldRoot.pem)
		e2etest.WriteFile(t, dir, "oldinter.pem", oi.pem)
		e2etest.WriteFile(t, dir, "oldleaf.pem", ol.pem)
		e2etest.WriteFile(t, dir, "oldchain.pem", ol.pem+oi.pem)
		args := []string{"verify", "oldchain.pem", "--ca", "oldroot.pem", "--host", "old.example.test", "--at", tkT, "-o", "json"}
		out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
		var rep report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("bad JSON (exit %d): %v\n%s\n%s", code, err, out, errOut)
		}
		r := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "oldroot.pem",
			"-untrusted", "oldinter.pem", "-verify_hostname", "old.example.test", "-attime", osslT, "oldleaf.pem")
		if r.Code == 0 || !strings.Contains(r.Stdout+r.Stderr, "certificate has expired") {
			t.Errorf("openssl: exit %d, want an expired root\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if code != 3 || rep.Verification.Verified {
			t.Fatalf("tlskit: exit %d verified=%t, want 3 false", code, rep.Verification.Verified)
		}
		if rep.Verification.Reason != "expired" {
			t.Errorf("BUG: tlskit reason %q (error: %s), want \"expired\" like openssl: the trusted root (from --ca) expired; "+
				"classify checks only the presented chain's dates and does not map x509.Expired\nreproduce: cd %s && %s %s",
				rep.Verification.Reason, rep.Verification.Error, dir, e2etest.Binary(), strings.Join(args, " "))
		}
	})

	// Files saved by Windows editors start with a UTF-8 byte-order mark: OpenSSL reads them,
	// and so must every tlskit path that reads PEM (the chain, --intermediates, --ca, inspect).
	t.Run("byte-order mark", func(t *testing.T) {
		const bom = "\xef\xbb\xbf"
		e2etest.WriteFile(t, dir, "bomleaf.pem", bom+good.pem)
		e2etest.WriteFile(t, dir, "bominter.pem", bom+inter.pem)
		e2etest.WriteFile(t, dir, "bomroot.pem", bom+root.pem)
		e2etest.WriteFile(t, dir, "bomchain.pem", bom+good.pem+bom+inter.pem)
		r := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "bomroot.pem",
			"-untrusted", "bominter.pem", "-verify_hostname", "www.example.test", "-attime", osslT, "bomleaf.pem")
		if r.Code != 0 || !strings.Contains(r.Stdout, "OK") {
			t.Fatalf("openssl refuses the files with a byte-order mark: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		for _, args := range [][]string{
			{"verify", "bomchain.pem", "--ca", "bomroot.pem"},
			{"verify", "bomleaf.pem", "--intermediates", "bominter.pem", "--ca", "bomroot.pem"},
		} {
			args = append(args, "--host", "www.example.test", "--at", tkT, "-o", "json")
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
			var rep report
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.Verification.Verified {
				t.Errorf("BUG: tlskit %s: exit %d, %v, want verified like openssl\n%s%s", strings.Join(args, " "), code, err, out, errOut)
			}
		}
		out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", "bomchain.pem", "-o", "json")
		var rep struct {
			Items []struct {
				Kind string `json:"kind"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || len(rep.Items) != 2 {
			t.Errorf("BUG: inspect bomchain.pem: exit %d, %v, %d items, want 2\n%s%s", code, err, len(rep.Items), out, errOut)
		}
	})

	t.Run("SHA-1 intermediate", func(t *testing.T) { checkSHA1(t, dir, root, tkT, osslT) })

	t.Run("text output", func(t *testing.T) {
		e2etest.WriteFile(t, dir, "goodchain.pem", good.pem+inter.pem)
		out := e2etest.Tlskit(t, dir, "verify", "goodchain.pem", "--ca", "root.pem", "--host", "www.example.test", "--at", tkT)
		e2etest.MustContain(t, "text output", out, "chain 1\n", "verified: valid for www.example.test, purpose server, at ")
		r := e2etest.TlskitFails(t, dir, "verify", "goodchain.pem", "--ca", "other.pem", "--at", tkT)
		if r.Code != 3 {
			t.Errorf("unknown root: exit %d, want 3", r.Code)
		}
		e2etest.MustContain(t, "text output, invalid", r.Stdout, "presented chain (not verified)\n", "not valid: ", "(unknown_authority)")
		// A missing intermediate says which, and where to give it.
		r = e2etest.TlskitFails(t, dir, "verify", "good.pem", "--ca", "root.pem", "--at", tkT)
		e2etest.ErrorLine(t, "missing intermediate", r, 3, "good.pem", true)
		e2etest.MustContain(t, "missing intermediate", r.Stderr, `issuer "CN=VF Intermediate,O=tlskit verify test"`, "(incomplete_chain)",
			"tlskit: hint: give the missing intermediate with --intermediates FILE")
	})

	t.Run("unreadable and usage", func(t *testing.T) {
		key := newKey(t)
		csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: "csr.example.test"}, DNSNames: []string{"csr.example.test"}}, key)
		if err != nil {
			t.Fatal(err)
		}
		e2etest.WriteFile(t, dir, "req.csr", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})))
		e2etest.WriteFile(t, dir, "empty.pem", "")
		r := e2etest.TlskitFails(t, dir, "verify", "req.csr", "--ca", "root.pem")
		if r.Code != 1 || !strings.Contains(r.Stderr, "certificate request") {
			t.Errorf("CSR as chain: exit %d, want 1 and an error about a certificate request\n%s", r.Code, r.Stderr)
		}
		r = e2etest.TlskitFails(t, dir, "verify", "empty.pem", "--ca", "root.pem")
		if r.Code != 1 {
			t.Errorf("empty file: exit %d, want 1\n%s", r.Code, r.Stderr)
		}
		r = e2etest.TlskitFails(t, dir, "verify", "good.pem", "--ca", "root.pem", "--at", "nonsense")
		if r.Code != 2 {
			t.Errorf("--at nonsense: exit %d, want 2\n%s", r.Code, r.Stderr)
		}
		if strings.Contains(r.Stdout, "verified") {
			t.Errorf("--at nonsense printed a verdict:\n%s", r.Stdout)
		}
	})
}

// checkSHA1 checks an intermediate signed with ECDSA-SHA1 by a trusted root: Go refuses SHA-1
// signatures outright; `openssl verify` accepts them by default and at -auth_level 0, and
// refuses them from -auth_level 1 up (docs/verify-vs-openssl.md).
func checkSHA1(t *testing.T, dir string, root *issued, tkT, osslT string) {
	tmpl := caTemplate("VF SHA1 Intermediate", 0)
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA1
	key := newKey(t)
	lastSerial++
	tmpl.SerialNumber = big.NewInt(lastSerial)
	tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.cert, key.Public(), root.key)
	if err != nil {
		t.Skipf("crypto/x509 will not sign with SHA-1 here: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sha1Inter := &issued{cert: c, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
	leaf := sign(t, leafTemplate("sha1.example.test", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, "sha1.example.test"), sha1Inter)
	e2etest.WriteFile(t, dir, "sha1inter.pem", sha1Inter.pem)
	e2etest.WriteFile(t, dir, "sha1leaf.pem", leaf.pem)
	e2etest.WriteFile(t, dir, "sha1chain.pem", leaf.pem+sha1Inter.pem)

	out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "verify", "sha1chain.pem", "--ca", "root.pem",
		"--host", "sha1.example.test", "--at", tkT, "-o", "json")
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON (exit %d): %v\n%s\n%s", code, err, out, errOut)
	}
	if code != 3 || rep.Verification.Verified || rep.Verification.Reason != "insecure_signature" {
		t.Errorf("tlskit on a SHA-1 intermediate: exit %d verified=%t reason %q, want 3 false insecure_signature",
			code, rep.Verification.Verified, rep.Verification.Reason)
	}
	for _, lv := range []struct {
		level string
		ok    bool
		says  string
	}{{"", true, "OK"}, {"0", true, "OK"}, {"1", false, "digest algorithm too weak"}} {
		oargs := []string{"verify", "-x509_strict", "-purpose", "sslserver"}
		if lv.level != "" {
			oargs = append(oargs, "-auth_level", lv.level)
		}
		oargs = append(oargs, "-CAfile", "root.pem", "-untrusted", "sha1inter.pem", "-verify_hostname",
			"sha1.example.test", "-attime", osslT, "sha1leaf.pem")
		r := e2etest.Exec(t, dir, "", nil, "openssl", oargs...)
		if (r.Code == 0) != lv.ok || !strings.Contains(r.Stdout+r.Stderr, lv.says) {
			t.Errorf("openssl -auth_level %s on a SHA-1 intermediate: exit %d, want valid=%t and %q\n%s%s",
				lv.level, r.Code, lv.ok, lv.says, r.Stdout, r.Stderr)
		}
	}
}

// TestVerifyOpenSSLMade runs `tlskit verify` and `openssl verify` on chains OpenSSL made with
// fields crypto/x509 will not write: certificates Go refuses to parse (which OpenSSL accepts; see
// docs/verify-vs-openssl.md) and extensions nobody knows, and then `tlskit inspect` on the same
// files.
func TestVerifyOpenSSLMade(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()
	e2etest.OpenSSL(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=VF OpenSSL Root", "-days", "30",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	// An IP address SAN of five bytes, which no -addext syntax writes: an ASN.1 description.
	const ip5 = "2.5.29.17=ASN1:SEQUENCE:san\n[san]\ndns=IMPLICIT:2,IA5STRING:ip5.example.test\nip=IMPLICIT:7,FORMAT:HEX,OCTETSTRING:7F00000102\n"
	e2etest.OpenSSLCert(t, dir, "inter", "/CN=VF OpenSSL Intermediate", "root", e2etest.OpenSSLCAExt)
	e2etest.OpenSSLCert(t, dir, "baduri", "/CN=baduri.example.test", "inter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:baduri.example.test,URI:http://a b/\n")
	e2etest.OpenSSLCert(t, dir, "badip", "/CN=ip5.example.test", "inter", e2etest.OpenSSLLeafExt+ip5)
	e2etest.OpenSSLCert(t, dir, "badinter", "/CN=VF Bad URI Intermediate", "root", e2etest.OpenSSLCAExt+"subjectAltName=URI:http://[::1\n")
	e2etest.OpenSSLCert(t, dir, "underbad", "/CN=underbad.example.test", "badinter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:underbad.example.test\n")
	// Extensions nobody knows, critical or not, on a leaf and on an intermediate.
	e2etest.OpenSSLCert(t, dir, "critleaf", "/CN=crit.example.test", "inter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:crit.example.test\n1.2.3.4=critical,DER:0500\n")
	e2etest.OpenSSLCert(t, dir, "noncritleaf", "/CN=noncrit.example.test", "inter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:noncrit.example.test\n1.2.3.4=DER:0500\n")
	e2etest.OpenSSLCert(t, dir, "critinter", "/CN=VF Critical Intermediate", "root", e2etest.OpenSSLCAExt+"1.2.3.4=critical,DER:0500\n")
	e2etest.OpenSSLCert(t, dir, "undercrit", "/CN=undercrit.example.test", "critinter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:undercrit.example.test\n")

	type malformedWant struct {
		Index   int    `json:"index"`
		Subject string `json:"subject"`
		Field   string `json:"field"`
		Detail  string `json:"detail"`
	}
	cases := []struct {
		name  string
		chain []string // leaf first
		host  string

		wantReason string   // "" for a valid chain (exit 0)
		wantError  []string // substrings of the verdict's error
		malformed  *malformedWant
		// inspectSays is what `tlskit inspect` on the chain file says, on one line, exit 1.
		inspectSays string
		osslSays    string // openssl verify's verdict on the same chain
	}{
		{name: "URI SAN Go cannot parse", chain: []string{"baduri", "inter"}, host: "baduri.example.test",
			wantReason: "malformed", wantError: []string{"certificate 1 of 2", "CN=baduri.example.test", "subject_alt_name", `"http://a b/"`},
			malformed: &malformedWant{0, "CN=baduri.example.test", "subject_alt_name extension (2.5.29.17)", `cannot parse URI "http://a b/"`},
			// OpenSSL does not parse URIs at all.
			inspectSays: `block 1 (CERTIFICATE): malformed certificate "CN=baduri.example.test": Go refuses its subject_alt_name extension`,
			osslSays:    "OK"},
		{name: "IP SAN of five bytes", chain: []string{"badip", "inter"}, host: "ip5.example.test",
			wantReason: "malformed", wantError: []string{"certificate 1 of 2", "CN=ip5.example.test", "IP address of length 5"},
			malformed:   &malformedWant{0, "CN=ip5.example.test", "subject_alt_name extension (2.5.29.17)", "cannot parse IP address of length 5"},
			inspectSays: `block 1 (CERTIFICATE): malformed certificate "CN=ip5.example.test": Go refuses its subject_alt_name extension`,
			// OpenSSL keeps the name as "IP Address:<invalid length=5>" and uses the DNS name.
			osslSays: "OK"},
		{name: "malformed intermediate", chain: []string{"underbad", "badinter"}, host: "underbad.example.test",
			wantReason: "malformed", wantError: []string{"certificate 2 of 2", "CN=VF Bad URI Intermediate", `"http://[::1"`},
			malformed:   &malformedWant{1, "CN=VF Bad URI Intermediate", "subject_alt_name extension (2.5.29.17)", "missing ']' in host"},
			inspectSays: `block 2 (CERTIFICATE): malformed certificate "CN=VF Bad URI Intermediate"`,
			osslSays:    "OK"},
		{name: "unknown critical extension on the leaf", chain: []string{"critleaf", "inter"}, host: "crit.example.test",
			wantReason: "unhandled_critical_extension", wantError: []string{`the certificate "CN=crit.example.test"`, "critical extension 1.2.3.4"},
			osslSays: "unhandled critical extension"},
		{name: "unknown critical extension on the intermediate", chain: []string{"undercrit", "critinter"}, host: "undercrit.example.test",
			wantReason: "unhandled_critical_extension", wantError: []string{`the CA certificate "CN=VF Critical Intermediate"`, "critical extension 1.2.3.4"},
			osslSays: "unhandled critical extension"},
		{name: "unknown extension, not critical", chain: []string{"noncritleaf", "inter"}, host: "noncrit.example.test", osslSays: "OK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chainFile := strings.ReplaceAll(tc.name, " ", "-") + ".chain.pem"
			var chain strings.Builder
			for _, f := range tc.chain {
				chain.Write(e2etest.ReadFile(t, dir, f+".pem"))
			}
			e2etest.WriteFile(t, dir, chainFile, chain.String())

			args := []string{"verify", chainFile, "--ca", "root.pem", "--host", tc.host, "-o", "json"}
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
			var rep struct {
				Leaf         *struct{ Subject string } `json:"leaf"`
				Presented    int                       `json:"presented"`
				Verification struct {
					Verified  bool           `json:"verified"`
					Reason    string         `json:"reason"`
					Error     string         `json:"error"`
					Malformed *malformedWant `json:"malformed"`
				} `json:"verification"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("BUG: tlskit %s: exit %d, no JSON verdict (%v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, err, out, errOut)
			}
			v := rep.Verification
			wantCode, wantValid := 3, tc.wantReason == ""
			if wantValid {
				wantCode = 0
			}
			if code != wantCode || v.Verified != wantValid || v.Reason != tc.wantReason {
				t.Errorf("BUG: tlskit exit %d verified=%t reason %q (%s); want %d, %t, %q", code, v.Verified, v.Reason, v.Error,
					wantCode, wantValid, tc.wantReason)
			}
			for _, s := range tc.wantError {
				if !strings.Contains(v.Error, s) {
					t.Errorf("error %q does not say %q", v.Error, s)
				}
			}
			if tc.malformed != nil {
				m := v.Malformed
				if m == nil || m.Index != tc.malformed.Index || m.Subject != tc.malformed.Subject || m.Field != tc.malformed.Field ||
					!strings.Contains(m.Detail, tc.malformed.Detail) {
					t.Errorf("malformed = %+v, want %+v", m, tc.malformed)
				}
				if wantLeaf := tc.malformed.Index > 0; (rep.Leaf != nil) != wantLeaf {
					t.Errorf("leaf = %+v, want one only when the leaf parsed (%t)", rep.Leaf, wantLeaf)
				}
				if rep.Presented != len(tc.chain) {
					t.Errorf("presented %d, want %d", rep.Presented, len(tc.chain))
				}
			}
			if !wantValid {
				e2etest.ErrorLine(t, "verify", e2etest.Result{Stdout: out, Stderr: errOut, Code: code}, 3, chainFile, false)
			}

			oargs := []string{"verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem"}
			for _, u := range tc.chain[1:] {
				oargs = append(oargs, "-untrusted", u+".pem")
			}
			oargs = append(oargs, "-verify_hostname", tc.host, tc.chain[0]+".pem")
			r := e2etest.Exec(t, dir, "", nil, "openssl", oargs...)
			if osslOK := r.Code == 0; osslOK != (tc.osslSays == "OK") || !strings.Contains(r.Stdout+r.Stderr, tc.osslSays) {
				t.Errorf("openssl %s: exit %d, want %q\n%s%s", strings.Join(oargs, " "), r.Code, tc.osslSays, r.Stdout, r.Stderr)
			}

			if tc.inspectSays != "" {
				r := e2etest.TlskitFails(t, dir, "inspect", chainFile)
				e2etest.ErrorLine(t, "inspect", r, 1, chainFile, false)
				if !strings.Contains(r.Stderr, tc.inspectSays) {
					t.Errorf("inspect says %q, want %q", strings.TrimSpace(r.Stderr), tc.inspectSays)
				}
			}
		})
	}

	// inspect shows the unknown critical extension, which OpenSSL's -text marks critical too, and
	// --lint makes it an error.
	t.Run("inspect unknown critical extension", func(t *testing.T) {
		text := e2etest.OpenSSL(t, dir, "x509", "-in", "critleaf.pem", "-noout", "-text")
		if !strings.Contains(text, "1.2.3.4: critical") || !strings.Contains(text, "X509v3 Key Usage: critical") {
			t.Fatalf("openssl x509 -text does not show the critical extensions:\n%s", text)
		}
		out := e2etest.Tlskit(t, dir, "inspect", "critleaf.pem", "-v")
		e2etest.MustContain(t, "inspect -v", out, "key usage: digital_signature (critical)", "basic constraints: CA:FALSE (critical)",
			"extensions: 1.2.3.4 (critical, not understood: verifiers refuse the certificate)")
		if strings.Contains(e2etest.Tlskit(t, dir, "inspect", "noncritleaf.pem", "-v"), "1.2.3.4 (critical") {
			t.Error("the non-critical 1.2.3.4 is shown as critical")
		}
		r := e2etest.TlskitFails(t, dir, "inspect", "critleaf.pem", "--lint")
		if r.Code != 3 || !strings.Contains(r.Stdout, "lint: error unhandled-critical-extension: critical extension 1.2.3.4") {
			t.Errorf("BUG: --lint: exit %d, want 3 with an unhandled-critical-extension error\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})

	// A malformed certificate among the trusted ones is input tlskit cannot use: exit 1, naming it.
	t.Run("malformed --ca", func(t *testing.T) {
		e2etest.WriteFile(t, dir, "badroots.pem", string(e2etest.ReadFile(t, dir, "root.pem"))+string(e2etest.ReadFile(t, dir, "badinter.pem")))
		r := e2etest.TlskitFails(t, dir, "verify", "inter.pem", "--ca", "badroots.pem")
		e2etest.ErrorLine(t, "--ca", r, 1, "badroots.pem", false)
		if !strings.Contains(r.Stderr, `certificate 2 of 2 is malformed: "CN=VF Bad URI Intermediate": Go refuses its subject_alt_name extension`) {
			t.Errorf("--ca error %q does not name the certificate and field", r.Stderr)
		}
	})
}
