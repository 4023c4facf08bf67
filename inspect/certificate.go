package inspect

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"math"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Certificate is tlskit's one view of a certificate: what handshake, inspect and verify show,
// and the JSON they emit (docs/json.md).
type Certificate struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	Serial             string    `json:"serial"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	DaysLeft           int       `json:"days_left"`
	DNSNames           []string  `json:"dns_names"`
	IPAddresses        []string  `json:"ip_addresses"`
	EmailAddresses     []string  `json:"email_addresses,omitempty"`
	URIs               []string  `json:"uris,omitempty"`
	Key                string    `json:"key"`
	SignatureAlgorithm string    `json:"signature_algorithm"`
	IsCA               bool      `json:"is_ca"`
	SelfSigned         bool      `json:"self_signed"`
	SHA256             string    `json:"sha256"`
	// Revocation is set where revocation was looked up (handshake, verify, scan).
	Revocation *revocation.CertStatus `json:"revocation,omitempty"`
}

// Describe builds the view of a certificate at a given time (for days_left).
func Describe(c *x509.Certificate, now time.Time) Certificate {
	v := Certificate{
		Subject:            dn.Subject(c),
		Issuer:             dn.Issuer(c),
		Serial:             hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		DaysLeft:           DaysLeft(c.NotAfter, now),
		DNSNames:           nonNil(c.DNSNames),
		IPAddresses:        []string{},
		EmailAddresses:     c.EmailAddresses,
		Key:                material.DescribePublicKey(c.PublicKey),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		IsCA:               c.IsCA,
		SelfSigned:         isSelfSigned(c),
		SHA256:             material.Fingerprint(c),
	}
	if c.SerialNumber.Sign() < 0 {
		v.Serial = "-" + v.Serial
	}
	for _, ip := range c.IPAddresses {
		v.IPAddresses = append(v.IPAddresses, ip.String())
	}
	for _, u := range c.URIs {
		v.URIs = append(v.URIs, u.String())
	}
	return v
}

// DaysLeft is the whole days from now until t, rounded down; negative once t has passed.
func DaysLeft(t, now time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
