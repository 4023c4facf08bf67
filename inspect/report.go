package inspect

import (
	"crypto/x509"
	"encoding/hex"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Report is the JSON of `tlskit inspect` for one input (docs/json.md): what each item of it is.
// The CLI writes it an item at a time, with the bytes this type encodes to; it is pinned by
// testdata/report.json (TestReportGolden).
type Report struct {
	Source string       `json:"source"`
	Items  []ItemReport `json:"items"`
}

// ItemReport is one item of a Report: which kind it is, and the view of that kind.
type ItemReport struct {
	Index       int                 `json:"index"`
	Kind        Kind                `json:"kind"`
	PEMType     string              `json:"pem_type,omitempty"`
	FromPKCS12  bool                `json:"from_pkcs12,omitempty"`
	Encrypted   bool                `json:"encrypted,omitempty"`
	Certificate *CertificateDetails `json:"certificate,omitempty"`
	Request     *RequestDetails     `json:"certificate_request,omitempty"`
	Key         *KeyDetails         `json:"key,omitempty"`
	CRL         *CRLDetails         `json:"crl,omitempty"`
	// ECHConfigList is set for an ech_config_list item.
	ECHConfigList *ECHConfigListDetails `json:"ech_config_list,omitempty"`
	// Lint is set when asked for (--lint).
	Lint []Finding `json:"lint,omitempty"`
	// KeyMatches is set when a key was given to match (--match): whether it belongs to this
	// certificate.
	KeyMatches *bool `json:"key_matches,omitempty"`
}

// RequestDetails is what a certificate request asks for.
type RequestDetails struct {
	Subject string `json:"subject"`
	// SANs are as OpenSSL prints them (DNS:, email:, IP:, URI:), the form cert summaries use.
	SANs               []string   `json:"sans"`
	Key                KeyDetails `json:"key"`
	SignatureAlgorithm string     `json:"signature_algorithm"`
	SignatureValid     bool       `json:"signature_valid"`
	// RequestedExtensions names the extensions the request asks for, in its order
	// ("subjectAltName", "basicConstraints (CA:TRUE)", "keyUsage", a dotted OID when unknown).
	RequestedExtensions []string `json:"requested_extensions"`
}

// CRLDetails is what a CRL says of itself; its entries are only counted.
type CRLDetails struct {
	Issuer string `json:"issuer"`
	// Number is the cRLNumber in lower-case hex, "" when the CRL has none.
	Number       string    `json:"number,omitempty"`
	ThisUpdate   time.Time `json:"this_update"`
	NextUpdate   time.Time `json:"next_update,omitzero"`
	RevokedCount int       `json:"revoked_count"`
}

// DescribeItem views one decoded item as of now, with lint findings for a certificate when
// lint is set. KeyMatches is left to the caller, which holds the key to match.
func DescribeItem(it Item, now time.Time, lint bool) ItemReport {
	v := ItemReport{Index: it.Index, Kind: it.Kind, PEMType: it.PEMType, FromPKCS12: it.FromPKCS12, Encrypted: it.Encrypted}
	switch it.Kind {
	case KindCertificate:
		d := Details(it.Cert, now)
		v.Certificate = &d
		if lint {
			v.Lint = Lint(it.Cert, now)
		}
	case KindCertificateRequest:
		r := it.CSR
		v.Request = &RequestDetails{Subject: dn.Of(r.RawSubject, r.Subject), SANs: requestSANs(r),
			Key: DescribeKey(r.PublicKey, false), SignatureAlgorithm: r.SignatureAlgorithm.String(),
			SignatureValid: r.CheckSignature() == nil, RequestedExtensions: material.RequestedExtensions(r)}
	case KindPrivateKey:
		pub := it.PublicKey // an X25519 key's: it is no signer
		if it.PrivateKey != nil {
			pub = it.PrivateKey.Public()
		}
		k := DescribeKey(pub, true)
		v.Key = &k
	case KindPublicKey:
		k := DescribeKey(it.PublicKey, false)
		v.Key = &k
	case KindCRL:
		c := it.CRL
		d := &CRLDetails{Issuer: dn.Of(c.RawIssuer, c.Issuer), ThisUpdate: c.ThisUpdate.UTC(), NextUpdate: c.NextUpdate.UTC(), RevokedCount: len(c.RevokedCertificateEntries)}
		if c.Number != nil {
			d.Number = hex.EncodeToString(c.Number.Bytes())
		}
		v.CRL = d
	case KindECHConfigList:
		v.ECHConfigList = DescribeECHConfigList(it.ECH)
	}
	return v
}

// requestSANs are a request's subject alternative names as certgen's summaries print them, []
// for none.
func requestSANs(r *x509.CertificateRequest) []string {
	sans := material.SANStrings(r.DNSNames, r.EmailAddresses, r.IPAddresses, r.URIs)
	if sans == nil {
		return []string{}
	}
	return sans
}
