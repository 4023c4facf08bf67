package revocation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// testNow is the fixed clock of the library tests; every fixture is made relative to it.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

type certOpt func(*x509.Certificate)

func withEKU(u ...x509.ExtKeyUsage) certOpt { return func(t *x509.Certificate) { t.ExtKeyUsage = u } }
func withCDP(u ...string) certOpt           { return func(t *x509.Certificate) { t.CRLDistributionPoints = u } }
func withOCSP(u ...string) certOpt          { return func(t *x509.Certificate) { t.OCSPServer = u } }
func withSerial(n int64) certOpt            { return func(t *x509.Certificate) { t.SerialNumber = big.NewInt(n) } }
func withValidity(from, to time.Time) certOpt {
	return func(t *x509.Certificate) { t.NotBefore, t.NotAfter = from, to }
}

// newCert makes a certificate for cn signed by parent (self-signed when parent is nil).
func newCert(t testing.TB, cn string, ca bool, parent *testCert, opts ...certOpt) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    testNow.Add(-24 * time.Hour),
		NotAfter:     testNow.Add(90 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     []string{},
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.BasicConstraintsValid = true
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, o := range opts {
		o(tmpl)
	}
	signer, signerCert := crypto.Signer(key), tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

// testPKI is a root, an intermediate under it, and a leaf under the intermediate.
type testPKI struct {
	root, inter, leaf *testCert
}

func newPKI(t testing.TB, leafOpts ...certOpt) testPKI {
	root := newCert(t, "Test Root", true, nil)
	inter := newCert(t, "Test Issuing CA", true, root)
	leaf := newCert(t, "leaf.test", false, inter, leafOpts...)
	return testPKI{root: root, inter: inter, leaf: leaf}
}

type ocspOpt func(*ocsp.Response)

// ocspResponse makes a response about cert from issuer, signed by signer; embed puts the
// signer's certificate in it.
func ocspResponse(t testing.TB, cert, issuer *x509.Certificate, signer *testCert, embed bool, opts ...ocspOpt) []byte {
	t.Helper()
	tmpl := ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: cert.SerialNumber,
		ThisUpdate:   testNow.Add(-time.Hour),
		NextUpdate:   testNow.Add(24 * time.Hour),
	}
	if embed {
		tmpl.Certificate = signer.cert
	}
	for _, o := range opts {
		o(&tmpl)
	}
	der, err := ocsp.CreateResponse(issuer, signer.cert, tmpl, signer.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

type crlOpt func(*x509.RevocationList)

func revoked(serial *big.Int, reason int) crlOpt {
	return func(l *x509.RevocationList) {
		l.RevokedCertificateEntries = append(l.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: serial, RevocationTime: testNow.Add(-2 * time.Hour), ReasonCode: reason,
		})
	}
}

func crlTimes(this, next time.Time) crlOpt {
	return func(l *x509.RevocationList) { l.ThisUpdate, l.NextUpdate = this, next }
}

func crlExt(e pkix.Extension) crlOpt {
	return func(l *x509.RevocationList) { l.ExtraExtensions = append(l.ExtraExtensions, e) }
}

func newCRL(t testing.TB, issuer *testCert, opts ...crlOpt) *CRL {
	t.Helper()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(1),
		ThisUpdate: testNow.Add(-time.Hour),
		NextUpdate: testNow.Add(7 * 24 * time.Hour),
	}
	for _, o := range opts {
		o(tmpl)
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.cert, issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}
