package material

import (
	"crypto/x509"
	"encoding/asn1"
)

// requestedExtensionNames names the extensions a request may ask for.
var requestedExtensionNames = map[string]string{
	"2.5.29.17":          "subjectAltName",
	"2.5.29.19":          "basicConstraints",
	"2.5.29.15":          "keyUsage",
	"2.5.29.37":          "extKeyUsage",
	"2.5.29.14":          "subjectKeyIdentifier",
	"2.5.29.30":          "nameConstraints",
	"2.5.29.32":          "certificatePolicies",
	"2.5.29.31":          "cRLDistributionPoints",
	"1.3.6.1.5.5.7.1.1":  "authorityInfoAccess",
	"1.3.6.1.5.5.7.1.24": "tlsFeature (OCSP must-staple)",
}

// RequestedExtensions names the extensions csr asks for (its extensionRequest attribute), in
// its order: a known name, with the CA flag for basicConstraints, else the dotted OID.
func RequestedExtensions(csr *x509.CertificateRequest) []string {
	out := []string{}
	for _, e := range csr.Extensions {
		id := e.Id.String()
		name, ok := requestedExtensionNames[id]
		if !ok {
			name = id
		}
		if id == "2.5.29.19" {
			var bc struct {
				IsCA bool `asn1:"optional"`
			}
			if _, err := asn1.Unmarshal(e.Value, &bc); err == nil {
				name += map[bool]string{true: " (CA:TRUE)", false: " (CA:FALSE)"}[bc.IsCA]
			}
		}
		out = append(out, name)
	}
	return out
}
