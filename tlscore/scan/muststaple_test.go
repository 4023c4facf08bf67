package scan

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// mustStapleCert is a self-signed localhost certificate with OCSP must-staple (RFC 7633), and
// a good OCSP response for it, signed by itself.
func mustStapleCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}, Value: []byte{0x30, 0x03, 0x02, 0x01, 0x05}}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.CreateResponse(cert, cert, ocsp.Response{Status: ocsp.Good, SerialNumber: cert.SerialNumber,
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}, crypto.Signer(key))
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, resp
}

// TestMustStaple: nginx with a must-staple certificate and no staple is must-staple-missing,
// and with one (ssl_stapling_file, a good response) it is not; testssl -S says the same of the
// same server in the same run ("cert_mustStapleExtension": HIGH "extension detected but no
// OCSP stapling provided", or OK "supported").
func TestMustStaple(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	pair, staple := mustStapleCert(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(pair.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"cert.pem":   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}),
		"key.pem":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"ocsp.der":   staple,
		"html/index": []byte("ok\n"),
	}
	for _, tc := range []struct {
		name    string
		server  string
		finding bool
	}{
		{"no staple", "", true},
		{"stapled", "ssl_stapling on;\nssl_stapling_file ocsp.der;\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := peertest.Nginx(t, peertest.NginxConfig{Files: files,
				Server: "ssl_certificate cert.pem;\nssl_certificate_key key.pem;\n" + tc.server})
			port, err := strconv.Atoi(srv.Port)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan map[string]testsslFinding, 1)
			go func() { done <- byID(runTestssl(t, srv.Addr(), "-S")) }()
			res, _ := runScan(t, port, 3*time.Second)
			if !res.Connection.MustStaple {
				t.Fatalf("must_staple not seen: %+v", res.Connection)
			}
			got := findingSeverity(res, "must-staple-missing") == "high"
			if got != tc.finding || res.Connection.OCSPStapled == tc.finding {
				t.Errorf("must-staple-missing %v, want %v (stapled %v)", got, tc.finding, res.Connection.OCSPStapled)
			}
			f := (<-done)["cert_mustStapleExtension"]
			if theirs := f.Severity == "HIGH"; theirs != got {
				t.Errorf("must-staple-missing %v, testssl %s %q", got, f.Severity, f.Finding)
			}
		})
	}
}
