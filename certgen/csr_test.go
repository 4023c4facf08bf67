package certgen

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

// TestUncopiedExtensions: what signing a request leaves out is every extension it asks for but
// its subject alternative names, named as inspect names them.
func TestUncopiedExtensions(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := asn1.Marshal(struct{ IsCA bool }{true})
	ku, _ := asn1.Marshal(asn1.BitString{Bytes: []byte{0x04}, BitLength: 6})
	for _, tc := range []struct {
		name  string
		extra []pkix.Extension
		want  []string
	}{
		{"SANs only", nil, nil},
		{"CA and key usage asked for", []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Value: ku},
		}, []string{"basicConstraints (CA:TRUE)", "keyUsage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
				Subject: pkix.Name{CommonName: "u.test"}, DNSNames: []string{"u.test"}, ExtraExtensions: tc.extra}, key)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := x509.ParseCertificateRequest(der)
			if err != nil {
				t.Fatal(err)
			}
			if got := UncopiedExtensions(csr); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("UncopiedExtensions = %q, want %q", got, tc.want)
			}
		})
	}
}
