package inspect

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// decMaterial is everything the decode tests feed in, generated once.
type decMaterial struct {
	rsaKey   *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
	cert     *x509.Certificate // self-signed CA, EC key
	leaf     *x509.Certificate // RSA key, signed by cert
	csrDER   []byte
	crlDER   []byte
	pkcs8    []byte // EC key
	encPKCS8 []byte // ecKey, password "secret"
	p12Empty []byte // leaf + rsaKey + cert, Modern2023, no password
	p12Pass  []byte // same, Modern2023, password "secret"
	p12RC2   []byte // same, LegacyRC2, password "secret"
}

var (
	decOnce sync.Once
	decMat  decMaterial
	decErr  error
)

func decTestMaterial(tb testing.TB) *decMaterial {
	tb.Helper()
	decOnce.Do(func() { decErr = decBuild(&decMat) })
	if decErr != nil {
		tb.Fatal(decErr)
	}
	return &decMat
}

func decBuild(m *decMaterial) error {
	var err error
	if m.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return err
	}
	if m.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	if _, m.edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Decode Test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, m.ecKey.Public(), m.ecKey)
	if err != nil {
		return err
	}
	if m.cert, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "leaf.example"},
		DNSNames:     []string{"leaf.example"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
	if der, err = x509.CreateCertificate(rand.Reader, leafTmpl, m.cert, m.rsaKey.Public(), m.ecKey); err != nil {
		return err
	}
	if m.leaf, err = x509.ParseCertificate(der); err != nil {
		return err
	}
	if m.csrDER, err = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "csr.example"}, DNSNames: []string{"csr.example"},
	}, m.edKey); err != nil {
		return err
	}
	if m.crlDER, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(7), ThisUpdate: now, NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(2), RevocationTime: now}},
	}, m.cert, m.ecKey); err != nil {
		return err
	}
	if m.pkcs8, err = x509.MarshalPKCS8PrivateKey(m.ecKey); err != nil {
		return err
	}
	if m.encPKCS8, err = material.EncryptPKCS8(rand.Reader, m.pkcs8, []byte("secret"), 10); err != nil {
		return err
	}
	chain := []*x509.Certificate{m.cert}
	if m.p12Empty, err = pkcs12.Modern2023.WithIterations(16).Encode(m.rsaKey, m.leaf, chain, ""); err != nil {
		return err
	}
	if m.p12Pass, err = pkcs12.Modern2023.WithIterations(16).Encode(m.rsaKey, m.leaf, chain, "secret"); err != nil {
		return err
	}
	if m.p12RC2, err = pkcs12.LegacyRC2.Encode(m.rsaKey, m.leaf, chain, "secret"); err != nil {
		return err
	}
	return nil
}

func decPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func decCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// decTrustedAux is a certificate followed by OpenSSL-style aux data (a SEQUENCE of trust OIDs).
func decTrustedAux(certDER []byte) []byte {
	aux := []byte{0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}
	return decCat(certDER, aux)
}

// decWant describes one expected item: its kind, index, PEM type and a check on its content.
type decWant struct {
	kind      Kind
	index     int
	pemType   string
	encrypted bool
	check     func(*testing.T, Item)
}

func decIsKey(want crypto.PublicKey) func(*testing.T, Item) {
	return func(t *testing.T, it Item) {
		t.Helper()
		type equaler interface{ Equal(crypto.PublicKey) bool }
		if e, ok := it.PublicKey.(equaler); !ok || !e.Equal(want) {
			t.Errorf("item %d: public key %T does not match", it.Index, it.PublicKey)
		}
	}
}

func decIsCert(want *x509.Certificate) func(*testing.T, Item) {
	return func(t *testing.T, it Item) {
		t.Helper()
		if it.Cert == nil || !it.Cert.Equal(want) {
			t.Errorf("item %d: not the expected certificate", it.Index)
		}
	}
}

func TestDecode(t *testing.T) {
	m := decTestMaterial(t)
	rsa1 := x509.MarshalPKCS1PrivateKey(m.rsaKey)
	sec1, err := x509.MarshalECPrivateKey(m.ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pkix1, err := x509.MarshalPKIXPublicKey(m.edKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	rsaPub := x509.MarshalPKCS1PublicKey(&m.rsaKey.PublicKey)
	edPKCS8, err := x509.MarshalPKCS8PrivateKey(m.edKey)
	if err != nil {
		t.Fatal(err)
	}
	csrCheck := func(t *testing.T, it Item) {
		if it.CSR == nil || it.CSR.Subject.CommonName != "csr.example" {
			t.Errorf("CSR not decoded: %+v", it.CSR)
		}
		decIsKey(m.edKey.Public())(t, it)
	}
	crlCheck := func(t *testing.T, it Item) {
		if it.CRL == nil || it.CRL.Number.Int64() != 7 || len(it.CRL.RevokedCertificateEntries) != 1 {
			t.Errorf("CRL not decoded: %+v", it.CRL)
		}
	}
	ecPriv := func(t *testing.T, it Item) {
		if k, ok := it.PrivateKey.(*ecdsa.PrivateKey); !ok || !k.Equal(m.ecKey) {
			t.Errorf("private key %T is not the EC key", it.PrivateKey)
		}
	}
	rsaPriv := func(t *testing.T, it Item) {
		if k, ok := it.PrivateKey.(*rsa.PrivateKey); !ok || !k.Equal(m.rsaKey) {
			t.Errorf("private key %T is not the RSA key", it.PrivateKey)
		}
	}

	tests := []struct {
		name     string
		in       []byte
		password string
		want     []decWant
	}{
		// Every PEM type.
		{"pem certificate", decPEM("CERTIFICATE", m.cert.Raw), "", []decWant{{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.cert)}}},
		{"pem trusted certificate with aux", decPEM("TRUSTED CERTIFICATE", decTrustedAux(m.cert.Raw)), "", []decWant{{KindCertificate, 0, "TRUSTED CERTIFICATE", false, decIsCert(m.cert)}}},
		{"pem csr", decPEM("CERTIFICATE REQUEST", m.csrDER), "", []decWant{{KindCertificateRequest, 0, "CERTIFICATE REQUEST", false, csrCheck}}},
		{"pem new csr", decPEM("NEW CERTIFICATE REQUEST", m.csrDER), "", []decWant{{KindCertificateRequest, 0, "NEW CERTIFICATE REQUEST", false, csrCheck}}},
		{"pem pkcs8", decPEM("PRIVATE KEY", m.pkcs8), "", []decWant{{KindPrivateKey, 0, "PRIVATE KEY", false, ecPriv}}},
		{"pem pkcs8 ed25519", decPEM("PRIVATE KEY", edPKCS8), "", []decWant{{KindPrivateKey, 0, "PRIVATE KEY", false, decIsKey(m.edKey.Public())}}},
		{"pem encrypted pkcs8", decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8), "secret", []decWant{{KindPrivateKey, 0, "ENCRYPTED PRIVATE KEY", true, ecPriv}}},
		{"pem rsa private", decPEM("RSA PRIVATE KEY", rsa1), "", []decWant{{KindPrivateKey, 0, "RSA PRIVATE KEY", false, rsaPriv}}},
		{"pem ec private", decPEM("EC PRIVATE KEY", sec1), "", []decWant{{KindPrivateKey, 0, "EC PRIVATE KEY", false, ecPriv}}},
		{"pem public key", decPEM("PUBLIC KEY", pkix1), "", []decWant{{KindPublicKey, 0, "PUBLIC KEY", false, decIsKey(m.edKey.Public())}}},
		{"pem rsa public key", decPEM("RSA PUBLIC KEY", rsaPub), "", []decWant{{KindPublicKey, 0, "RSA PUBLIC KEY", false, decIsKey(&m.rsaKey.PublicKey)}}},
		{"pem crl", decPEM("X509 CRL", m.crlDER), "", []decWant{{KindCRL, 0, "X509 CRL", false, crlCheck}}},
		// A UTF-8 byte-order mark (Windows editors) before the first BEGIN line, and before a
		// second file's BEGIN line in a concatenation.
		{"pem after a byte-order mark", decCat([]byte("\xef\xbb\xbf"), decPEM("CERTIFICATE", m.cert.Raw)), "", []decWant{{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.cert)}}},
		{"pem bundle with a byte-order mark before each file", decCat(
			[]byte("\xef\xbb\xbf"), decPEM("CERTIFICATE", m.leaf.Raw),
			[]byte("\xef\xbb\xbf"), decPEM("CERTIFICATE", m.cert.Raw),
		), "", []decWant{
			{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "CERTIFICATE", false, decIsCert(m.cert)},
		}},
		{"pem crlf line endings", bytes.ReplaceAll(decPEM("CERTIFICATE", m.cert.Raw), []byte("\n"), []byte("\r\n")), "", []decWant{{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.cert)}}},

		// Each DER form.
		{"der certificate", m.cert.Raw, "", []decWant{{KindCertificate, 0, "", false, decIsCert(m.cert)}}},
		{"der csr", m.csrDER, "", []decWant{{KindCertificateRequest, 0, "", false, csrCheck}}},
		{"der crl", m.crlDER, "", []decWant{{KindCRL, 0, "", false, crlCheck}}},
		{"der pkcs8", m.pkcs8, "", []decWant{{KindPrivateKey, 0, "", false, ecPriv}}},
		{"der pkcs1 private", rsa1, "", []decWant{{KindPrivateKey, 0, "", false, rsaPriv}}},
		{"der sec1", sec1, "", []decWant{{KindPrivateKey, 0, "", false, ecPriv}}},
		{"der pkix public", pkix1, "", []decWant{{KindPublicKey, 0, "", false, decIsKey(m.edKey.Public())}}},
		{"der pkcs1 public", rsaPub, "", []decWant{{KindPublicKey, 0, "", false, decIsKey(&m.rsaKey.PublicKey)}}},
		{"der encrypted pkcs8", m.encPKCS8, "secret", []decWant{{KindPrivateKey, 0, "", true, ecPriv}}},
		{"der with trailing newline", append(append([]byte{}, m.cert.Raw...), '\n'), "", nil}, // trailing data: not DER
		{"pkcs12 empty password", m.p12Empty, "", []decWant{
			{KindCertificate, 0, "", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "", false, decIsCert(m.cert)},
			{KindPrivateKey, 2, "", false, rsaPriv},
		}},
		{"pkcs12 empty password, password given anyway", m.p12Empty, "unused", []decWant{
			{KindCertificate, 0, "", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "", false, decIsCert(m.cert)},
			{KindPrivateKey, 2, "", false, rsaPriv},
		}},
		{"pkcs12 password", m.p12Pass, "secret", []decWant{
			{KindCertificate, 0, "", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "", false, decIsCert(m.cert)},
			{KindPrivateKey, 2, "", true, rsaPriv},
		}},
		{"pkcs12 legacy rc2", m.p12RC2, "secret", []decWant{
			{KindCertificate, 0, "", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "", false, decIsCert(m.cert)},
			{KindPrivateKey, 2, "", true, rsaPriv},
		}},

		// Bundles with text around and between blocks; unknown types keep their number.
		{"mixed bundle", decCat(
			[]byte("Bag Attributes\n    friendlyName: leaf\nsubject=CN = leaf.example\n"),
			decPEM("CERTIFICATE", m.leaf.Raw),
			[]byte("\nsome notes between blocks\n\n"),
			decPEM("CERTIFICATE", m.cert.Raw),
			decPEM("SSH2 FOO", []byte("x")),
			[]byte("-- key follows --\n"),
			decPEM("EC PRIVATE KEY", sec1),
			decPEM("X509 CRL", m.crlDER),
			[]byte("trailing text without newline"),
		), "", []decWant{
			{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.leaf)},
			{KindCertificate, 1, "CERTIFICATE", false, decIsCert(m.cert)},
			{KindPrivateKey, 3, "EC PRIVATE KEY", false, ecPriv},
			{KindCRL, 4, "X509 CRL", false, crlCheck},
		}},
		{"blocks without newlines between", decCat(
			bytes.TrimSuffix(decPEM("CERTIFICATE", m.leaf.Raw), []byte("\n")),
			[]byte("\n"),
			decPEM("PUBLIC KEY", pkix1),
		), "", []decWant{
			{KindCertificate, 0, "CERTIFICATE", false, decIsCert(m.leaf)},
			{KindPublicKey, 1, "PUBLIC KEY", false, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(tt.in, DecodeOptions{Password: []byte(tt.password)})
			if tt.want == nil {
				if !errors.Is(err, ErrNothingFound) {
					t.Fatalf("Decode: got %d items, err %v; want ErrNothingFound", len(items), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != len(tt.want) {
				t.Fatalf("got %d items, want %d: %+v", len(items), len(tt.want), items)
			}
			for i, w := range tt.want {
				it := items[i]
				if it.Kind != w.kind || it.Index != w.index || it.PEMType != w.pemType || it.Encrypted != w.encrypted {
					t.Errorf("item %d: got kind %q index %d type %q encrypted %v; want %q %d %q %v",
						i, it.Kind, it.Index, it.PEMType, it.Encrypted, w.kind, w.index, w.pemType, w.encrypted)
				}
				if it.PublicKey == nil && it.Kind != KindCRL {
					t.Errorf("item %d: PublicKey not set", i)
				}
				if w.check != nil {
					w.check(t, it)
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	m := decTestMaterial(t)
	good := decPEM("CERTIFICATE", m.cert.Raw)
	broken := bytes.Replace(good, []byte("\n"), []byte("\n!!not base64!!\n"), 2) // breaks the body
	truncatedBlock := decPEM("CERTIFICATE", m.cert.Raw[:len(m.cert.Raw)/2])
	legacy := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF",
	}, Bytes: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}})

	tests := []struct {
		name     string
		in       []byte
		password string
		is       error  // errors.Is target, if any
		index    int    // DecodeError.Index, when a *DecodeError is expected
		pemType  string // DecodeError.PEMType, when a *DecodeError is expected ("-" for none expected)
		contains string // substring of Error()
	}{
		{"empty input", nil, "", ErrNothingFound, 0, "-", "the input is empty"},
		{"whitespace only", []byte(" \n\t\n"), "", ErrNothingFound, 0, "-", "the input is empty"},
		{"text garbage", []byte("hello, this is not a certificate\n"), "", ErrNothingFound, 0, "-", "neither PEM nor DER"},
		{"binary garbage", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, "", ErrNothingFound, 0, "-", "not a certificate"},
		{"random bytes", []byte{0x8a, 0x00, 0xff, 0x13, 0x37}, "", ErrNothingFound, 0, "-", "no certificate, key, request or CRL found"},
		{"truncated der certificate", m.cert.Raw[:len(m.cert.Raw)-10], "", ErrNothingFound, 0, "-", ""},
		{"truncated der pkcs12", m.p12Pass[:len(m.p12Pass)/2], "secret", ErrNothingFound, 0, "-", ""},
		{"only unknown pem types", decCat(decPEM("FOO", []byte("a")), decPEM("BAR", []byte("b")), decPEM("FOO", []byte("c"))), "", ErrNothingFound, 0, "-", "only blocks of type BAR, FOO"},
		{"broken base64 alone", broken, "", nil, 0, "CERTIFICATE", "malformed PEM (bad base64 or missing END line)"},
		{"broken base64 between good blocks", decCat(good, broken, good), "", nil, 1, "CERTIFICATE", "block 2 (CERTIFICATE): malformed PEM"},
		{"broken base64 at the end", decCat(good, good, []byte("text\n"), broken), "", nil, 2, "CERTIFICATE", "block 3 (CERTIFICATE): malformed PEM"},
		{"missing END line", bytes.SplitAfter(good, []byte("-----END"))[0][:len(good)-30], "", nil, 0, "CERTIFICATE", "malformed PEM"},
		{"mismatched END line", bytes.Replace(good, []byte("END CERTIFICATE"), []byte("END PRIVATE KEY"), 1), "", nil, 0, "CERTIFICATE", "malformed PEM"},
		{"malformed certificate", decCat(good, decPEM("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x05})), "", nil, 1, "CERTIFICATE", "block 2 (CERTIFICATE): malformed certificate"},
		{"truncated certificate in pem", truncatedBlock, "", nil, 0, "CERTIFICATE", "malformed certificate"},
		{"malformed csr", decPEM("CERTIFICATE REQUEST", []byte("nope")), "", nil, 0, "CERTIFICATE REQUEST", "malformed certificate request"},
		{"malformed crl", decPEM("X509 CRL", []byte("nope")), "", nil, 0, "X509 CRL", "malformed CRL"},
		{"malformed pkcs8", decPEM("PRIVATE KEY", []byte("nope")), "", nil, 0, "PRIVATE KEY", "malformed PKCS#8 private key"},
		{"malformed rsa key", decPEM("RSA PRIVATE KEY", []byte("nope")), "", nil, 0, "RSA PRIVATE KEY", "malformed RSA private key"},
		{"malformed ec key", decPEM("EC PRIVATE KEY", []byte("nope")), "", nil, 0, "EC PRIVATE KEY", "malformed EC private key"},
		{"malformed public key", decPEM("PUBLIC KEY", []byte("nope")), "", nil, 0, "PUBLIC KEY", "malformed public key"},
		{"malformed rsa public key", decPEM("RSA PUBLIC KEY", []byte("nope")), "", nil, 0, "RSA PUBLIC KEY", "malformed RSA public key"},
		{"encrypted pem key without password", decCat(good, decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8)), "", material.ErrPasswordRequired, 1, "ENCRYPTED PRIVATE KEY", "password is required"},
		{"encrypted pem key wrong password", decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8), "wrong", material.ErrIncorrectPassword, 0, "ENCRYPTED PRIVATE KEY", "incorrect password"},
		{"encrypted der key without password", m.encPKCS8, "", material.ErrPasswordRequired, 0, "", "password is required"},
		{"encrypted der key wrong password", m.encPKCS8, "wrong", material.ErrIncorrectPassword, 0, "", "incorrect password"},
		{"legacy encrypted pem key", decCat(good, legacy), "", nil, 1, "RSA PRIVATE KEY", "openssl pkcs8 -topk8"},
		{"pkcs12 without password", m.p12Pass, "", material.ErrPasswordRequired, 0, "", "PKCS#12 file: a password is required"},
		{"pkcs12 wrong password", m.p12Pass, "wrong", material.ErrIncorrectPassword, 0, "", "PKCS#12 file: incorrect password"},
		{"pkcs12 rc2 wrong password", m.p12RC2, "wrong", material.ErrIncorrectPassword, 0, "", "incorrect password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(tt.in, DecodeOptions{Password: []byte(tt.password)})
			if err == nil {
				t.Fatalf("Decode: got %d items and no error", len(items))
			}
			if items != nil {
				t.Errorf("Decode returned items with an error: %+v", items)
			}
			t.Logf("%v", err)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q: errors.Is(%v) is false", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 300 || strings.Contains(err.Error(), "{optional:") {
				t.Errorf("error is not one short line: %q", err)
			}
			var de *DecodeError
			if tt.pemType == "-" {
				if errors.As(err, &de) {
					t.Errorf("got DecodeError %+v, want a plain error", de)
				}
				return
			}
			if !errors.As(err, &de) {
				t.Fatalf("error %q (%T) is not a *DecodeError", err, err)
			}
			if de.Index != tt.index || de.PEMType != tt.pemType {
				t.Errorf("DecodeError index %d type %q; want %d %q", de.Index, de.PEMType, tt.index, tt.pemType)
			}
		})
	}
}

func TestDecodeTrustedCertificateOpenSSL(t *testing.T) {
	m := decTestMaterial(t)
	openssl := peertest.Need(t, "openssl")
	dir := t.TempDir()
	in := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(in, decPEM("CERTIFICATE", m.cert.Raw), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "x509", "-in", in, "-addtrust", "serverAuth", "-trustout").Output()
	if err != nil {
		t.Skipf("openssl x509 -addtrust: %v", err)
	}
	if !bytes.Contains(out, []byte("BEGIN TRUSTED CERTIFICATE")) {
		t.Skipf("openssl did not write a TRUSTED CERTIFICATE:\n%s", out)
	}
	block, _ := pem.Decode(out)
	if block == nil || bytes.Equal(block.Bytes, m.cert.Raw) {
		t.Fatal("expected aux data after the certificate")
	}
	items, err := Decode(decCat([]byte("openssl output:\n"), out), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Kind != KindCertificate || items[0].PEMType != "TRUSTED CERTIFICATE" || !items[0].Cert.Equal(m.cert) {
		t.Fatalf("unexpected items: %+v", items)
	}
}

func TestDecodeManySANs(t *testing.T) {
	m := decTestMaterial(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99),
		Subject:      pkix.Name{CommonName: "many.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	for i := range 10000 {
		tmpl.DNSNames = append(tmpl.DNSNames, fmt.Sprintf("host-%05d.example.com", i))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, m.cert, m.ecKey.Public(), m.ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{der, decPEM("CERTIFICATE", der)} {
		items, err := Decode(in, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || len(items[0].Cert.DNSNames) != 10000 {
			t.Fatalf("got %d items", len(items))
		}
	}
}

func TestDecodeLargeBundle(t *testing.T) {
	m := decTestMaterial(t)
	var b bytes.Buffer
	const n = 5000
	for i := range n {
		fmt.Fprintf(&b, "# certificate %d\n", i)
		b.Write(decPEM("CERTIFICATE", m.leaf.Raw))
	}
	start := time.Now()
	items, err := Decode(b.Bytes(), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != n || items[n-1].Index != n-1 {
		t.Fatalf("got %d items", len(items))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("decoding %d certificates took %v", n, d)
	}
}

func TestDecodeSystemBundle(t *testing.T) {
	data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		t.Skip("no system CA bundle")
	}
	items, err := Decode(data, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Count(data, []byte("-----BEGIN CERTIFICATE-----")); len(items) != want {
		t.Fatalf("got %d items, want %d", len(items), want)
	}
}

func BenchmarkDecodeBundle(b *testing.B) {
	data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		b.Skip("no system CA bundle")
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
