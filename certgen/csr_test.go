package certgen

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"reflect"
	"testing"
)

// TestUncopiedExtensions: what signing a request leaves out is every extension it asks for but
// its subject alternative names, named as inspect names them.
func TestUncopiedExtensions(t *testing.T) {
	bc, _ := asn1.Marshal(struct{ IsCA bool }{true})
	san := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 17}}
	for _, tc := range []struct {
		name string
		exts []pkix.Extension
		want []string
	}{
		{"SANs only", []pkix.Extension{san}, nil},
		{"CA and key usage asked for", []pkix.Extension{
			san,
			{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bc},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 15}},
		}, []string{"basicConstraints (CA:TRUE)", "keyUsage"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Only the request's extensions are read: the parsed form's csr.Extensions.
			if got := UncopiedExtensions(&x509.CertificateRequest{Extensions: tc.exts}); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("UncopiedExtensions = %q, want %q", got, tc.want)
			}
		})
	}
}
