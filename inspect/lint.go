package inspect

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
)

// Finding severities, most serious first.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Finding is one problem Lint found in a certificate.
type Finding struct {
	// ID is a stable kebab-case name ("expired", "weak-rsa-key", ...).
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// expiresSoon is how close to expiry a certificate is flagged.
const expiresSoon = 30 * 24 * time.Hour

// maxSerialOctets is RFC 5280's limit on a serial number's DER content length.
const maxSerialOctets = 20

// multiLabelSuffixes are a few public suffixes of more than one label; a wildcard directly
// under one of them (*.co.uk) is as wrong as *.com.
var multiLabelSuffixes = map[string]bool{
	"co.uk": true, "org.uk": true, "ac.uk": true, "gov.uk": true,
	"com.au": true, "net.au": true, "org.au": true,
	"co.jp": true, "ne.jp": true, "or.jp": true,
	"co.nz": true, "com.br": true, "com.cn": true, "co.in": true, "co.za": true,
	"github.io": true, "herokuapp.com": true, "appspot.com": true,
}

// Lint checks a certificate against what TLS clients accept at a given time. A leaf is any
// certificate that is not a CA. Findings are ordered by severity (errors first), then by ID; the
// list is empty, never nil, for a clean certificate.
func Lint(c *x509.Certificate, now time.Time) []Finding {
	var f []Finding
	add := func(id, severity, format string, args ...any) {
		f = append(f, Finding{ID: id, Severity: severity, Message: fmt.Sprintf(format, args...)})
	}
	leaf := !c.IsCA
	// Self-issued by name, not by checking the signature: a SHA-1 root's own signature no longer
	// verifies in Go, yet it is still the root it names itself as.
	selfIssued := bytes.Equal(c.RawIssuer, c.RawSubject)

	// Validity.
	switch {
	case now.After(c.NotAfter):
		add("expired", SeverityError, "expired on %s (%d days ago)", c.NotAfter.UTC().Format(time.RFC3339), -DaysLeft(c.NotAfter, now))
	case now.Before(c.NotBefore):
		add("not-yet-valid", SeverityError, "not valid until %s", c.NotBefore.UTC().Format(time.RFC3339))
	case c.NotAfter.Sub(now) < expiresSoon:
		add("expires-soon", SeverityWarning, "expires on %s, in %d days", c.NotAfter.UTC().Format(time.RFC3339), DaysLeft(c.NotAfter, now))
	}
	if leaf {
		period := c.NotAfter.Sub(c.NotBefore)
		days := DaysLeft(c.NotAfter, c.NotBefore)
		switch {
		case period > material.AppleMaxDays*24*time.Hour:
			add("validity-over-825", SeverityError, "validity of %d days exceeds %d, the most Apple platforms accept for a TLS server certificate even from a private root", days, material.AppleMaxDays)
		case period > material.PublicMaxDays*24*time.Hour:
			add("validity-over-398", SeverityWarning, "validity of %d days exceeds %d, the most browsers accept for a publicly trusted certificate", days, material.PublicMaxDays)
		}
	}

	// Signature and key.
	if isWeakSignature(c.SignatureAlgorithm) {
		if selfIssued && c.IsCA {
			add("weak-signature", SeverityInfo, "self-signed with %s; verifiers do not check a trusted root's own signature, but the algorithm is broken", c.SignatureAlgorithm)
		} else {
			add("weak-signature", SeverityError, "signed with %s, which clients reject", c.SignatureAlgorithm)
		}
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N != nil && k.N.BitLen() < 2048 {
			add("weak-rsa-key", SeverityError, "RSA key of %d bits; clients require at least 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if c.KeyUsage&x509.KeyUsageKeyEncipherment != 0 {
			add("key-encipherment-on-ecdsa", SeverityWarning, "key usage keyEncipherment on an ECDSA key, which cannot encrypt; some clients reject it")
		}
	case ed25519.PublicKey:
		if leaf {
			add("ed25519-leaf", SeverityInfo, "Ed25519 certificates are not accepted by browsers (Chrome, Firefox, Safari)")
		}
	}

	// Names.
	if leaf && len(c.DNSNames)+len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs) == 0 {
		if c.Subject.CommonName != "" {
			add("no-san", SeverityError, "no subject alternative name, only the common name %q, which clients ignore", c.Subject.CommonName)
		} else {
			add("no-san", SeverityError, "no subject alternative name")
		}
	}
	if bad := publicSuffixWildcards(c); len(bad) > 0 {
		add("wildcard-public-suffix", SeverityError, "wildcard for a public suffix: %s", strings.Join(bad, ", "))
	}

	// Extensions.
	if c.IsCA && hasExtKeyUsage(c, x509.ExtKeyUsageServerAuth) {
		add("ca-on-leaf", SeverityWarning, "CA:TRUE on a certificate with the serverAuth extended key usage; a server certificate should not be a CA")
	}
	if !selfIssued && len(c.AuthorityKeyId) == 0 {
		add("missing-aki", SeverityError, "no authority key identifier, which strict verifiers (Python 3.13's VERIFY_X509_STRICT) require")
	}
	if c.IsCA && len(c.SubjectKeyId) == 0 {
		add("missing-ski", SeverityWarning, "CA without a subject key identifier; certificates it issues cannot name it by key")
	}
	for _, oid := range c.UnhandledCriticalExtensions {
		add("unhandled-critical-extension", SeverityError, "critical extension %s is not understood by Go, so Go clients and tlskit verify refuse the certificate (RFC 5280 requires any verifier that does not know it to refuse it)",
			extensionLabel(oid.String()))
	}

	// Serial number.
	if s := c.SerialNumber; s != nil {
		switch s.Sign() {
		case 0:
			add("serial-zero", SeverityError, "serial number is zero; RFC 5280 requires a positive serial")
		case -1:
			add("serial-negative", SeverityError, "serial number is negative; RFC 5280 requires a positive serial")
		}
		if n := serialOctets(c); n > maxSerialOctets {
			add("serial-too-long", SeverityError, "serial number of %d octets exceeds RFC 5280's %d", n, maxSerialOctets)
		}
	}

	sortFindings(f)
	if f == nil {
		f = []Finding{}
	}
	return f
}

func severityRank(s string) int {
	switch s {
	case SeverityError:
		return 0
	case SeverityWarning:
		return 1
	default:
		return 2
	}
}

func sortFindings(f []Finding) {
	slices.SortStableFunc(f, func(a, b Finding) int {
		if d := severityRank(a.Severity) - severityRank(b.Severity); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func isWeakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func hasExtKeyUsage(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	return slices.Contains(c.ExtKeyUsage, u)
}

// serialOctets is the length of the serial number's DER content: its magnitude, plus a leading
// zero octet when the top bit is set (two's complement). Negative serials count their magnitude.
func serialOctets(c *x509.Certificate) int {
	b := c.SerialNumber.Bytes()
	n := len(b)
	if n == 0 {
		return 1
	}
	if c.SerialNumber.Sign() > 0 && b[0]&0x80 != 0 {
		n++
	}
	return n
}

// publicSuffixWildcards lists the wildcard names (SANs, or the common name when there are no
// DNS SANs) whose base is a public suffix: one label (*.com) or one of a few known suffixes.
func publicSuffixWildcards(c *x509.Certificate) []string {
	names := c.DNSNames
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = []string{c.Subject.CommonName}
	}
	var bad []string
	for _, n := range names {
		base, ok := strings.CutPrefix(n, "*.")
		if !ok {
			continue
		}
		base = strings.ToLower(strings.TrimSuffix(base, "."))
		if !strings.Contains(base, ".") || multiLabelSuffixes[base] {
			bad = append(bad, n)
		}
	}
	return bad
}
