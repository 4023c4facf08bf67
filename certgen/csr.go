package certgen

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/tlskit/tlskit/inspect/material"
)

// CreateCSR makes a PKCS#10 certificate request for key with the given subject and SANs.
// rawSubject, when set, is the subject's encoding, used as it is (see LeafRequest.RawSubject).
func CreateCSR(random io.Reader, subject pkix.Name, rawSubject []byte, sans SANs, key crypto.Signer) (*x509.CertificateRequest, error) {
	if sans.Empty() {
		return nil, errors.New("a request needs at least one host name, IP address, email address or URI")
	}
	tmpl := &x509.CertificateRequest{
		Subject:        subject,
		RawSubject:     rawSubject,
		DNSNames:       sans.DNSNames,
		IPAddresses:    sans.IPAddresses,
		EmailAddresses: sans.EmailAddresses,
		URIs:           sans.URIs,
	}
	der, err := x509.CreateCertificateRequest(random, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("signing certificate request: %w", err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the new certificate request: %w", err)
	}
	return csr, nil
}

// EncodeCSRPEM writes a certificate request as PEM.
func EncodeCSRPEM(csr *x509.CertificateRequest) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw})
}

// SANsFromCSR takes the names a request asks for, validated as if given on the command line.
// Only the subject and these names are used from a request; its other requested extensions
// (key usage, basic constraints, ...) are ignored, since the signing profile decides those. A
// request with no SANs falls back to its CN when that is a valid host name or IP address.
func SANsFromCSR(csr *x509.CertificateRequest) (SANs, error) {
	var hosts []string
	hosts = append(hosts, csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	hosts = append(hosts, csr.EmailAddresses...)
	for _, u := range csr.URIs {
		hosts = append(hosts, u.String())
	}
	if len(hosts) == 0 && csr.Subject.CommonName != "" {
		hosts = append(hosts, csr.Subject.CommonName)
	}
	if len(hosts) == 0 {
		return SANs{}, errors.New("the certificate request names no host (no SANs and no CN)")
	}
	sans, err := ParseHosts(hosts)
	if err != nil {
		return SANs{}, fmt.Errorf("certificate request: %w", err)
	}
	return sans, nil
}

// FirstHost is the first name in a SAN list, as a user would type it: the natural CN and file
// name for a certificate.
func (s SANs) FirstHost() string {
	switch {
	case len(s.DNSNames) > 0:
		return s.DNSNames[0]
	case len(s.IPAddresses) > 0:
		return s.IPAddresses[0].String()
	case len(s.EmailAddresses) > 0:
		return s.EmailAddresses[0]
	case len(s.URIs) > 0:
		return s.URIs[0].String()
	}
	return ""
}

// sansOf returns the names a certificate holds.
func sansOf(c *x509.Certificate) SANs {
	return SANs{
		DNSNames:       c.DNSNames,
		IPAddresses:    append([]net.IP(nil), c.IPAddresses...),
		EmailAddresses: c.EmailAddresses,
		URIs:           append([]*url.URL(nil), c.URIs...),
	}
}

// UncopiedExtensions names the extensions csr asks for that signing it does not copy: only its
// subject and subject alternative names go into the certificate, and the issuer sets the rest
// (a server or client certificate, never a CA). What is said is what openssl x509 -req drops
// without -copy_extensions, so a user who asked for CA:TRUE learns they did not get it.
func UncopiedExtensions(csr *x509.CertificateRequest) []string {
	var out []string
	for _, name := range material.RequestedExtensions(csr) {
		if name != "subjectAltName" {
			out = append(out, name)
		}
	}
	return out
}
