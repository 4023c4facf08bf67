package inspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, time.November, 27, 12, 0, 0, 0, time.UTC)

type node struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64

// mint signs a certificate from tmpl with parent (nil = self-signed). It fills what every
// certificate needs and leaves the rest to the test case.
func mint(t *testing.T, tmpl *x509.Certificate, parent *node, key crypto.Signer) *node {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-24 * time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(90 * 24 * time.Hour)
	}
	tmpl.BasicConstraintsValid = true
	if tmpl.IsCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	issuerCert, issuerKey := tmpl, key
	if parent != nil {
		issuerCert, issuerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuerCert, key.Public(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &node{cert: c, key: key}
}

func ca(t *testing.T, name string, parent *node) *node {
	return mint(t, &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true}, parent, nil)
}

func leaf(t *testing.T, parent *node, mod func(*x509.Certificate)) *node {
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "www.example.test"}, DNSNames: []string{"www.example.test", "example.test"}}
	if mod != nil {
		mod(tmpl)
	}
	return mint(t, tmpl, parent, nil)
}

func TestVerifyChain(t *testing.T) {
	root := ca(t, "Test Root", nil)
	inter := ca(t, "Test Intermediate", root)
	otherRoot := ca(t, "Other Root", nil)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaRoot := mint(t, &x509.Certificate{Subject: pkix.Name{CommonName: "RSA Root"}, IsCA: true}, nil, rsaKey)

	pool := func(ns ...*node) *x509.CertPool {
		p := x509.NewCertPool()
		for _, n := range ns {
			p.AddCert(n.cert)
		}
		return p
	}
	chain := func(ns ...*node) []*x509.Certificate {
		var cs []*x509.Certificate
		for _, n := range ns {
			cs = append(cs, n.cert)
		}
		return cs
	}
	good := leaf(t, inter, nil)
	self := leaf(t, nil, nil)
	// Another intermediate of the same name, with its own key: what a server sends after its CA
	// rolled its key, when it kept the old certificate.
	interOldKey := ca(t, "Test Intermediate", root)
	inter2 := ca(t, "Test Intermediate 2", inter)
	underInter2 := leaf(t, inter2, nil)
	notCA := leaf(t, root, func(c *x509.Certificate) { c.Subject.CommonName = "Not A CA" })
	underNotCA := leaf(t, notCA, nil)
	unhandled := func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}
	}
	critLeaf := leaf(t, inter, unhandled)
	critInterT := &x509.Certificate{Subject: pkix.Name{CommonName: "Critical Intermediate"}, IsCA: true}
	unhandled(critInterT)
	critInter := mint(t, critInterT, root, nil)
	underCritInter := leaf(t, critInter, nil)
	critRootT := &x509.Certificate{Subject: pkix.Name{CommonName: "Critical Root"}, IsCA: true}
	unhandled(critRootT)
	critRoot := mint(t, critRootT, nil, nil)
	underCritRoot := leaf(t, critRoot, nil)

	tests := []struct {
		name       string
		chain      []*x509.Certificate
		extra      []*x509.Certificate // --intermediates
		by         string              // VerifyOptions.PresentedBy
		roots      *x509.CertPool
		host       string
		verified   bool
		reason     string
		hostnameOK bool
		msg        string
	}{
		{name: "good", chain: chain(good, inter), roots: pool(root), host: "www.example.test", verified: true, hostnameOK: true},
		{name: "good, intermediate given apart", chain: chain(good), extra: chain(inter), roots: pool(root), host: "www.example.test", verified: true, hostnameOK: true},
		{name: "good ip", chain: chain(leaf(t, root, func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")} })), roots: pool(root), host: "127.0.0.1", verified: true, hostnameOK: true},
		{name: "expired", chain: chain(leaf(t, inter, func(c *x509.Certificate) { c.NotAfter = now.Add(-72 * time.Hour) }), inter), roots: pool(root), host: "www.example.test",
			reason: ReasonExpired, hostnameOK: true, msg: "expired 2026-11-24T12:00:00Z (3 days ago)"},
		{name: "not yet valid", chain: chain(leaf(t, inter, func(c *x509.Certificate) { c.NotBefore = now.Add(48 * time.Hour) }), inter), roots: pool(root), host: "www.example.test",
			reason: ReasonNotYetValid, hostnameOK: true, msg: "not valid until"},
		{name: "wrong host", chain: chain(good, inter), roots: pool(root), host: "other.test",
			reason: ReasonHostnameMismatch, msg: "valid for www.example.test, example.test, not other.test"},
		{name: "self-signed", chain: chain(self), roots: pool(root), host: "www.example.test", reason: ReasonSelfSigned, hostnameOK: true, msg: "self-signed"},

		// Where the chain stops short of a trusted root (classifyUnknownAuthority's rule).
		{name: "unknown root", chain: chain(good, inter), roots: pool(otherRoot), host: "www.example.test", reason: ReasonUnknownAuthority, hostnameOK: true,
			msg: `the chain ends at "CN=Test Intermediate", issued by "CN=Test Root", which is not a trusted root`},
		{name: "untrusted root sent", chain: chain(good, inter, root), roots: pool(otherRoot), host: "www.example.test", reason: ReasonUnknownAuthority, hostnameOK: true,
			msg: `the chain ends at the root "CN=Test Root", which is not trusted`},
		{name: "missing intermediate, AIA", chain: chain(leaf(t, inter, func(c *x509.Certificate) { c.IssuingCertificateURL = []string{"http://ca.example.test/int.crt"} })), roots: pool(root), host: "www.example.test",
			reason: ReasonIncompleteChain, hostnameOK: true, msg: `the server did not send the certificate of "CN=www.example.test"'s issuer "CN=Test Intermediate"`},
		{name: "missing intermediate, no AIA", chain: chain(good), roots: pool(root), host: "www.example.test",
			reason: ReasonIncompleteChain, hostnameOK: true, msg: `did not send the certificate of "CN=www.example.test"'s issuer "CN=Test Intermediate"`},
		{name: "missing intermediate, in a file", chain: chain(good), by: "the file", roots: pool(root), host: "www.example.test",
			reason: ReasonIncompleteChain, hostnameOK: true, msg: `the file did not include the certificate of "CN=www.example.test"'s issuer`},
		{name: "leaf of an unknown CA", chain: chain(good), roots: pool(otherRoot), host: "www.example.test", reason: ReasonIncompleteChain, hostnameOK: true, msg: "is not a trusted root"},
		{name: "unrelated CA sent instead", chain: chain(good, otherRoot), roots: pool(root), host: "www.example.test", reason: ReasonIncompleteChain, hostnameOK: true,
			msg: `issuer "CN=Test Intermediate"`},
		{name: "old intermediate of the same name", chain: chain(good, interOldKey), roots: pool(root), host: "www.example.test", reason: ReasonIncompleteChain, hostnameOK: true,
			msg: `the one named "CN=Test Intermediate" that it has is another`},
		{name: "second intermediate missing", chain: chain(underInter2, inter2), roots: pool(root), host: "www.example.test", reason: ReasonUnknownAuthority, hostnameOK: true,
			msg: `the chain ends at "CN=Test Intermediate 2", issued by "CN=Test Intermediate"`},
		{name: "issued by a certificate that is not a CA", chain: chain(underNotCA, notCA), roots: pool(root), host: "www.example.test", reason: ReasonNotAuthorized, hostnameOK: true,
			msg: `is issued by "CN=Not A CA", which is not allowed to issue certificates`},

		// Critical extensions Go does not handle, on each certificate of the chain in turn.
		{name: "unhandled critical extension, leaf", chain: chain(critLeaf, inter), roots: pool(root), host: "www.example.test", reason: ReasonUnhandledCritical, hostnameOK: true,
			msg: `the certificate "CN=www.example.test" has the critical extension 1.2.3.4, which Go does not handle`},
		{name: "unhandled critical extension, intermediate", chain: chain(underCritInter, critInter), roots: pool(root), host: "www.example.test", reason: ReasonUnhandledCritical, hostnameOK: true,
			msg: `the CA certificate "CN=Critical Intermediate" has the critical extension 1.2.3.4, which Go does not handle`},
		{name: "unhandled critical extension, trusted root", chain: chain(underCritRoot), roots: pool(critRoot), host: "www.example.test", reason: ReasonUnhandledCritical, hostnameOK: true,
			msg: `the trusted root that issued "CN=www.example.test" has a critical extension`},

		{name: "sha1 signature", chain: chain(leaf(t, rsaRoot, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA1WithRSA })), roots: pool(rsaRoot), host: "www.example.test",
			reason: ReasonInsecureSignature, hostnameOK: true, msg: "SHA1-RSA"},
		{name: "cn without san", chain: chain(leaf(t, root, func(c *x509.Certificate) { c.DNSNames = nil })), roots: pool(root), host: "www.example.test",
			reason: ReasonCNWithoutSAN, msg: "only in its subject CN"},
		{name: "no certificate", chain: nil, roots: pool(root), host: "x", reason: ReasonNoCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := VerifyChain(tt.chain, VerifyOptions{Roots: tt.roots, Intermediates: tt.extra, PresentedBy: tt.by, Host: tt.host, Now: now})
			if v.Verified != tt.verified || v.Reason != tt.reason {
				t.Fatalf("verified=%v reason=%q (%s); want verified=%v reason=%q", v.Verified, v.Reason, v.Error, tt.verified, tt.reason)
			}
			if v.HostnameOK != tt.hostnameOK {
				t.Errorf("hostname_ok = %v, want %v", v.HostnameOK, tt.hostnameOK)
			}
			if !strings.Contains(v.Error, tt.msg) {
				t.Errorf("error %q does not contain %q", v.Error, tt.msg)
			}
			if tt.verified && len(v.Chain) == 0 {
				t.Error("verified without a chain")
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	root := ca(t, "Test Root", nil)
	l := leaf(t, root, func(c *x509.Certificate) {
		c.NotAfter = now.Add(89*24*time.Hour + time.Hour)
		c.IPAddresses = []net.IP{net.ParseIP("::1")}
	})
	d := Describe(l.cert, now)
	if d.DaysLeft != 89 || d.Subject != "CN=www.example.test" || d.Issuer != "CN=Test Root" || d.Key != "ECDSA P-256" ||
		d.SignatureAlgorithm != "ECDSA-SHA256" || d.IsCA || d.SelfSigned || len(d.SHA256) != 95 ||
		strings.Join(d.IPAddresses, ",") != "::1" || strings.Join(d.DNSNames, ",") != "www.example.test,example.test" {
		t.Fatalf("Describe = %+v", d)
	}
	if !Describe(root.cert, now).SelfSigned {
		t.Error("root not seen as self-signed")
	}
	if got := DaysLeft(now.Add(-time.Hour), now); got != -1 {
		t.Errorf("DaysLeft an hour ago = %d, want -1", got)
	}
}

// TestUsageFault: an incompatible_usage verdict names the certificate at fault, its depth and
// what its extended key usage does allow; a certificate without the extension, or with
// anyExtendedKeyUsage, is never the one.
func TestUsageFault(t *testing.T) {
	cert := func(cn string, eku ...x509.ExtKeyUsage) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, ExtKeyUsage: eku}
	}
	server, client := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth
	for _, tc := range []struct {
		name   string
		chain  []*x509.Certificate
		wanted []x509.ExtKeyUsage
		want   string
	}{
		{"leaf for servers asked for clients", []*x509.Certificate{cert("leaf", server), cert("ca")}, []x509.ExtKeyUsage{client},
			`the certificate "CN=leaf" (depth 0) allows only server_auth in its extended key usage, not client_auth`},
		{"intermediate restricts", []*x509.Certificate{cert("leaf"), cert("int", client), cert("root")}, nil,
			`the CA certificate "CN=int" (depth 1) allows only client_auth in its extended key usage, not server_auth`},
		{"any allows all", []*x509.Certificate{cert("leaf", x509.ExtKeyUsageAny)}, []x509.ExtKeyUsage{client}, ""},
		{"no extension allows all", []*x509.Certificate{cert("leaf"), cert("ca")}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := usageFault(tc.chain, tc.wanted); got != tc.want {
				t.Errorf("usageFault = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOtherFault: a failure tlskit has no code for keeps Go's words and names the certificate
// Go names, with its depth, or says it was not among those presented.
func TestOtherFault(t *testing.T) {
	leaf := &x509.Certificate{Subject: pkix.Name{CommonName: "leaf"}, Raw: []byte{1}}
	ca := &x509.Certificate{Subject: pkix.Name{CommonName: "int"}, Raw: []byte{2}}
	root := &x509.Certificate{Subject: pkix.Name{CommonName: "root"}, Raw: []byte{3}}
	chain := []*x509.Certificate{leaf, ca}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"issuer name", x509.CertificateInvalidError{Cert: ca, Reason: x509.NameMismatch},
			`the CA certificate "CN=int" (depth 1): its issuer name does not match the subject of the certificate that signed it (issuer field)`},
		{"a certificate not presented", x509.CertificateInvalidError{Cert: root, Reason: x509.TooManyConstraints},
			`the certificate "CN=root", not among those presented: ` + strings.TrimPrefix(x509.CertificateInvalidError{Cert: root, Reason: x509.TooManyConstraints}.Error(), "x509: ")},
		{"no certificate named", errors.New("x509: signature check attempts limit reached"), "signature check attempts limit reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := otherFault(tc.err, chain); got != tc.want {
				t.Errorf("otherFault = %q\nwant         %q", got, tc.want)
			}
		})
	}
}
