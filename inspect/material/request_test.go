package material

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"reflect"
	"testing"
)

// TestRequestedExtensions names a request's extensions in its order, with basicConstraints'
// CA flag, and an unknown one by its OID.
func TestRequestedExtensions(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := asn1.Marshal(struct{ IsCA bool }{true})
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "r.test"},
		DNSNames: []string{"r.test"},
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc},
			{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{5, 0}},
		},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"subjectAltName", "basicConstraints (CA:TRUE)", "1.2.3.4"}
	if got := RequestedExtensions(csr); !reflect.DeepEqual(got, want) {
		t.Errorf("RequestedExtensions = %q, want %q", got, want)
	}
}
