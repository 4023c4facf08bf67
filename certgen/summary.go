package certgen

import (
	"crypto/x509"
	"encoding/hex"
	"os"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// WrittenFile is one file a command wrote.
type WrittenFile struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	Mode string `json:"mode"`
}

// Summary is what `tlskit cert ...` and `tlskit ca create` report: the JSON documented in
// docs/json.md.
type Summary struct {
	Files     []WrittenFile `json:"files"`
	Subject   string        `json:"subject"`
	Issuer    string        `json:"issuer,omitempty"`
	SANs      []string      `json:"sans"`
	Serial    string        `json:"serial,omitempty"`
	NotBefore *time.Time    `json:"not_before,omitempty"`
	NotAfter  *time.Time    `json:"not_after,omitempty"`
	KeyType   string        `json:"key_type"`
	IsCA      bool          `json:"is_ca"`
	SHA256    string        `json:"sha256_fingerprint,omitempty"`
	// CRLURLs and OCSPURLs are the revocation URLs the certificate carries (a CA made with
	// --crl-url/--ocsp-url puts them into what it issues).
	CRLURLs  []string `json:"crl_urls,omitempty"`
	OCSPURLs []string `json:"ocsp_urls,omitempty"`
	// TrustAnchor is the root certificate clients must trust to accept what this CA signs.
	TrustAnchor string   `json:"trust_anchor,omitempty"`
	Warnings    []string `json:"warnings"`
}

// SummarizeCertificate fills a Summary from a certificate.
func SummarizeCertificate(c *x509.Certificate) Summary {
	nb, na := c.NotBefore.UTC(), c.NotAfter.UTC()
	return Summary{
		Subject:   dn.Subject(c),
		Issuer:    dn.Issuer(c),
		SANs:      nonNil(sansOf(c).Strings()),
		Serial:    hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore: &nb,
		NotAfter:  &na,
		KeyType:   material.DescribePublicKey(c.PublicKey),
		IsCA:      c.IsCA,
		SHA256:    material.Fingerprint(c),
		CRLURLs:   c.CRLDistributionPoints,
		OCSPURLs:  c.OCSPServer,
		Warnings:  []string{},
	}
}

// SummarizeCSR fills a Summary from a certificate request.
func SummarizeCSR(csr *x509.CertificateRequest) Summary {
	sans := SANs{DNSNames: csr.DNSNames, IPAddresses: csr.IPAddresses, EmailAddresses: csr.EmailAddresses, URIs: csr.URIs}
	return Summary{
		Subject:  dn.Of(csr.RawSubject, csr.Subject),
		SANs:     nonNil(sans.Strings()),
		KeyType:  material.DescribePublicKey(csr.PublicKey),
		Warnings: []string{},
	}
}

// Record lists written files in a summary.
func (s *Summary) Record(files []OutputFile) { s.Files = append(s.Files, writtenFiles(files)...) }

func writtenFiles(files []OutputFile) []WrittenFile {
	out := make([]WrittenFile, 0, len(files))
	for _, f := range files {
		out = append(out, WrittenFile{Path: f.Path, Kind: f.Kind, Mode: "0" + formatMode(f.Mode)})
	}
	return out
}

func formatMode(m os.FileMode) string {
	const digits = "01234567"
	p := m.Perm()
	return string([]byte{digits[p>>6&7], digits[p>>3&7], digits[p&7]})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
