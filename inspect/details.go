package inspect

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CertificateDetails is the full view of one certificate: what `tlskit inspect` shows and its
// JSON (`-o json`, snake_case). The short view's fields are inline. Lists are never null.
type CertificateDetails struct {
	Certificate

	// Version is the X.509 version (3 for v3).
	Version int `json:"version"`
	// EmailAddresses and URIs shadow the short view's, so the full view always has the lists.
	EmailAddresses []string      `json:"email_addresses"`
	URIs           []string      `json:"uris"`
	PublicKey      PublicKeyInfo `json:"public_key"`
	// KeyUsage names the key usage bits: "digital_signature", "key_encipherment", "cert_sign", ...
	KeyUsage []string `json:"key_usage"`
	// ExtKeyUsage names the extended key usages: "server_auth", "client_auth", ...; an OID Go
	// does not know is given dotted.
	ExtKeyUsage      []string          `json:"ext_key_usage"`
	BasicConstraints *BasicConstraints `json:"basic_constraints,omitempty"`
	// SubjectKeyID and AuthorityKeyID are colon-separated upper-case hex ("" when absent).
	SubjectKeyID          string   `json:"subject_key_id"`
	AuthorityKeyID        string   `json:"authority_key_id"`
	OCSPServers           []string `json:"ocsp_servers"`
	CAIssuers             []string `json:"ca_issuers"`
	CRLDistributionPoints []string `json:"crl_distribution_points"`
	// Policies are the certificate policy OIDs, dotted.
	Policies []string `json:"policies"`
	// SCTs are the embedded signed certificate timestamps (RFC 6962).
	SCTs []SCT `json:"scts"`
	// SCTError says why the SCT list extension could not be read ("" when it could, or is absent).
	SCTError        string           `json:"sct_error,omitempty"`
	NameConstraints *NameConstraints `json:"name_constraints,omitempty"`
	// SHA1 is the SHA-1 of the DER, colon-separated upper-case hex (as Fingerprint gives SHA-256).
	SHA1 string `json:"sha1"`
	// Extensions lists every extension in the order it appears.
	Extensions []ExtensionInfo `json:"extensions"`
}

// PublicKeyInfo describes a certificate's public key.
type PublicKeyInfo struct {
	// Type is "ECDSA", "RSA" or "Ed25519" (or the Go type of anything else).
	Type string `json:"type"`
	Bits int    `json:"bits"`
	// Curve is the ECDSA curve ("P-256"), empty for other keys.
	Curve string `json:"curve,omitempty"`
	// SPKISHA256 is the public key pin: "sha256//" and the base64 SHA-256 of the
	// SubjectPublicKeyInfo, as curl --pinnedpubkey takes it (HPKP's pin-sha256 is the part
	// after the slashes).
	SPKISHA256 string `json:"spki_sha256"`
	// FingerprintSHA256 is the same digest in lower-case hex.
	FingerprintSHA256 string `json:"fingerprint_sha256"`
}

// BasicConstraints is the basic constraints extension.
type BasicConstraints struct {
	CA bool `json:"ca"`
	// PathLen is the path length limit; nil when there is none.
	PathLen  *int `json:"path_len"`
	Critical bool `json:"critical"`
}

// NameConstraints is the name constraints extension. IP ranges are in CIDR notation.
type NameConstraints struct {
	Critical           bool     `json:"critical"`
	PermittedDNS       []string `json:"permitted_dns"`
	ExcludedDNS        []string `json:"excluded_dns"`
	PermittedIPRanges  []string `json:"permitted_ip_ranges"`
	ExcludedIPRanges   []string `json:"excluded_ip_ranges"`
	PermittedEmails    []string `json:"permitted_emails"`
	ExcludedEmails     []string `json:"excluded_emails"`
	PermittedURIDomain []string `json:"permitted_uri_domains"`
	ExcludedURIDomain  []string `json:"excluded_uri_domains"`
}

// SCT is one signed certificate timestamp (RFC 6962, section 3.2).
type SCT struct {
	// Version is 1 for v1 (whose wire value is 0). For other versions nothing else is filled.
	Version int `json:"version"`
	// LogID is the log's 32-byte ID, base64.
	LogID     string    `json:"log_id,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	// Extensions are the SCT's extensions, base64 (usually empty).
	Extensions         string `json:"extensions"`
	HashAlgorithm      string `json:"hash_algorithm,omitempty"`
	SignatureAlgorithm string `json:"signature_algorithm,omitempty"`
	// Signature is the signature, base64.
	Signature string `json:"signature,omitempty"`
}

// ExtensionInfo names one extension.
type ExtensionInfo struct {
	OID string `json:"oid"`
	// Name is a snake_case name for the extensions tlskit knows, "" for the others.
	Name     string `json:"name,omitempty"`
	Critical bool   `json:"critical"`
	// Unhandled says the extension is critical and Go does not process it, so no verifier built
	// on Go (tlskit verify, Go clients) accepts the certificate; RFC 5280 says none should.
	Unhandled bool `json:"unhandled,omitempty"`
}

// KeyDetails describes a public or private key without ever including private material.
type KeyDetails struct {
	// Type is "ECDSA", "RSA", "Ed25519" or "X25519" (the key of an ECH key file, RFC 9934), or
	// the Go type of anything else.
	Type       string `json:"type"`
	Bits       int    `json:"bits"`
	Curve      string `json:"curve,omitempty"`
	SPKISHA256 string `json:"spki_sha256"`
	Private    bool   `json:"private"`
}

// Extension OIDs tlskit reads itself.
const (
	oidBasicConstraints = "2.5.29.19"
	oidNameConstraints  = "2.5.29.30"
	oidSCTList          = "1.3.6.1.4.1.11129.2.4.2"
)

var extensionNames = map[string]string{
	"2.5.29.9":                "subject_directory_attributes",
	"2.5.29.14":               "subject_key_identifier",
	"2.5.29.15":               "key_usage",
	"2.5.29.16":               "private_key_usage_period",
	"2.5.29.17":               "subject_alt_name",
	"2.5.29.18":               "issuer_alt_name",
	"2.5.29.19":               "basic_constraints",
	"2.5.29.30":               "name_constraints",
	"2.5.29.31":               "crl_distribution_points",
	"2.5.29.32":               "certificate_policies",
	"2.5.29.33":               "policy_mappings",
	"2.5.29.35":               "authority_key_identifier",
	"2.5.29.36":               "policy_constraints",
	"2.5.29.37":               "ext_key_usage",
	"2.5.29.46":               "freshest_crl",
	"2.5.29.54":               "inhibit_any_policy",
	"1.3.6.1.5.5.7.1.1":       "authority_info_access",
	"1.3.6.1.5.5.7.1.11":      "subject_info_access",
	"1.3.6.1.5.5.7.1.24":      "tls_feature",
	"1.3.6.1.5.5.7.48.1.5":    "ocsp_no_check",
	"1.3.6.1.4.1.11129.2.4.2": "ct_sct_list",
	"1.3.6.1.4.1.11129.2.4.3": "ct_precert_poison",
	"2.16.840.1.113730.1.1":   "netscape_cert_type",
	"2.16.840.1.113730.1.13":  "netscape_comment",
}

// Details builds the full view of a certificate at a given time (for days_left).
func Details(c *x509.Certificate, now time.Time) CertificateDetails {
	d := CertificateDetails{
		Certificate:           Describe(c, now),
		Version:               c.Version,
		EmailAddresses:        nonNil(c.EmailAddresses),
		URIs:                  []string{},
		PublicKey:             publicKeyInfo(c.PublicKey),
		KeyUsage:              keyUsageNames(c.KeyUsage),
		ExtKeyUsage:           extKeyUsageNames(c.ExtKeyUsage, c.UnknownExtKeyUsage),
		SubjectKeyID:          material.ColonHex(c.SubjectKeyId),
		AuthorityKeyID:        material.ColonHex(c.AuthorityKeyId),
		OCSPServers:           nonNil(c.OCSPServer),
		CAIssuers:             nonNil(c.IssuingCertificateURL),
		CRLDistributionPoints: nonNil(c.CRLDistributionPoints),
		Policies:              policies(c),
		SCTs:                  []SCT{},
		SHA1:                  sha1Fingerprint(c.Raw),
		Extensions:            []ExtensionInfo{},
	}
	for _, u := range c.URIs {
		d.URIs = append(d.URIs, u.String())
	}
	for _, e := range c.Extensions {
		oid := e.Id.String()
		d.Extensions = append(d.Extensions, ExtensionInfo{OID: oid, Name: extensionNames[oid], Critical: e.Critical,
			Unhandled: isUnhandled(c, e.Id)})
		switch oid {
		case oidBasicConstraints:
			if c.BasicConstraintsValid {
				d.BasicConstraints = basicConstraints(c, e.Critical)
			}
		case oidNameConstraints:
			d.NameConstraints = nameConstraints(c, e.Critical)
		case oidSCTList:
			scts, err := parseSCTList(e.Value)
			if err != nil {
				d.SCTError = err.Error()
			} else {
				d.SCTs = append(d.SCTs, scts...)
			}
		}
	}
	return d
}

// extensionLabel is an extension's OID, with tlskit's name for it when there is one.
func extensionLabel(oid string) string {
	if name := extensionNames[oid]; name != "" {
		return fmt.Sprintf("%s (%s)", name, oid)
	}
	return oid
}

// isUnhandled reports whether oid is among the critical extensions Go left unprocessed in c.
func isUnhandled(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, u := range c.UnhandledCriticalExtensions {
		if u.Equal(oid) {
			return true
		}
	}
	return false
}

func basicConstraints(c *x509.Certificate, critical bool) *BasicConstraints {
	bc := &BasicConstraints{CA: c.IsCA, Critical: critical}
	if c.MaxPathLen > 0 || (c.MaxPathLen == 0 && c.MaxPathLenZero) {
		n := c.MaxPathLen
		bc.PathLen = &n
	}
	return bc
}

func nameConstraints(c *x509.Certificate, critical bool) *NameConstraints {
	nc := &NameConstraints{
		Critical:           critical,
		PermittedDNS:       nonNil(c.PermittedDNSDomains),
		ExcludedDNS:        nonNil(c.ExcludedDNSDomains),
		PermittedIPRanges:  []string{},
		ExcludedIPRanges:   []string{},
		PermittedEmails:    nonNil(c.PermittedEmailAddresses),
		ExcludedEmails:     nonNil(c.ExcludedEmailAddresses),
		PermittedURIDomain: nonNil(c.PermittedURIDomains),
		ExcludedURIDomain:  nonNil(c.ExcludedURIDomains),
	}
	for _, n := range c.PermittedIPRanges {
		nc.PermittedIPRanges = append(nc.PermittedIPRanges, n.String())
	}
	for _, n := range c.ExcludedIPRanges {
		nc.ExcludedIPRanges = append(nc.ExcludedIPRanges, n.String())
	}
	return nc
}

func policies(c *x509.Certificate) []string {
	out := []string{}
	if len(c.Policies) > 0 {
		for _, p := range c.Policies {
			out = append(out, p.String())
		}
		return out
	}
	for _, p := range c.PolicyIdentifiers {
		out = append(out, p.String())
	}
	return out
}

var keyUsageBits = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digital_signature"},
	{x509.KeyUsageContentCommitment, "content_commitment"},
	{x509.KeyUsageKeyEncipherment, "key_encipherment"},
	{x509.KeyUsageDataEncipherment, "data_encipherment"},
	{x509.KeyUsageKeyAgreement, "key_agreement"},
	{x509.KeyUsageCertSign, "cert_sign"},
	{x509.KeyUsageCRLSign, "crl_sign"},
	{x509.KeyUsageEncipherOnly, "encipher_only"},
	{x509.KeyUsageDecipherOnly, "decipher_only"},
}

func keyUsageNames(ku x509.KeyUsage) []string {
	out := []string{}
	for _, b := range keyUsageBits {
		if ku&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

var extKeyUsageByID = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:                            "any",
	x509.ExtKeyUsageServerAuth:                     "server_auth",
	x509.ExtKeyUsageClientAuth:                     "client_auth",
	x509.ExtKeyUsageCodeSigning:                    "code_signing",
	x509.ExtKeyUsageEmailProtection:                "email_protection",
	x509.ExtKeyUsageIPSECEndSystem:                 "ipsec_end_system",
	x509.ExtKeyUsageIPSECTunnel:                    "ipsec_tunnel",
	x509.ExtKeyUsageIPSECUser:                      "ipsec_user",
	x509.ExtKeyUsageTimeStamping:                   "time_stamping",
	x509.ExtKeyUsageOCSPSigning:                    "ocsp_signing",
	x509.ExtKeyUsageMicrosoftServerGatedCrypto:     "microsoft_server_gated_crypto",
	x509.ExtKeyUsageNetscapeServerGatedCrypto:      "netscape_server_gated_crypto",
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: "microsoft_commercial_code_signing",
	x509.ExtKeyUsageMicrosoftKernelCodeSigning:     "microsoft_kernel_code_signing",
}

func extKeyUsageNames(eku []x509.ExtKeyUsage, unknown []asn1.ObjectIdentifier) []string {
	out := []string{}
	for _, u := range eku {
		if n, ok := extKeyUsageByID[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("unknown(%d)", int(u)))
		}
	}
	for _, o := range unknown {
		out = append(out, o.String())
	}
	return out
}

func publicKeyInfo(pub crypto.PublicKey) PublicKeyInfo {
	k := DescribeKey(pub, false)
	info := PublicKeyInfo{Type: k.Type, Bits: k.Bits, Curve: k.Curve, SPKISHA256: k.SPKISHA256}
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		sum := sha256.Sum256(der)
		info.FingerprintSHA256 = hex.EncodeToString(sum[:])
	}
	return info
}

// DescribeKey describes a public key; private says whether it was read from a private key. Only
// public values are ever used: the SPKI pin is of the public key.
func DescribeKey(pub crypto.PublicKey, private bool) KeyDetails {
	alg := material.DescribeKey(pub)
	d := KeyDetails{Private: private, Type: alg.Type, Bits: alg.Bits, Curve: alg.Curve}
	if der, err := x509.MarshalPKIXPublicKey(pub); err == nil {
		sum := sha256.Sum256(der)
		d.SPKISHA256 = "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
	}
	return d
}

// KeyMatches reports whether a private key belongs to a certificate: whether their public keys
// are equal.
func KeyMatches(c *x509.Certificate, key crypto.Signer) bool {
	if c == nil || key == nil {
		return false
	}
	return material.PublicKeysEqual(c.PublicKey, key.Public())
}

func sha1Fingerprint(der []byte) string {
	sum := sha1.Sum(der)
	return material.ColonHex(sum[:])
}

// maxSCTTimestamp is the last millisecond of year 9999, the last a JSON time can hold.
const maxSCTTimestamp = 253402300799999

var sctHashNames = []string{"none", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"}
var sctSignatureNames = []string{"anonymous", "rsa", "dsa", "ecdsa"}

func algName(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("unknown(%d)", v)
}

// parseSCTList reads the value of the SCT list extension: a DER OCTET STRING holding a
// TLS-encoded SignedCertificateTimestampList (RFC 6962, section 3.3).
func parseSCTList(value []byte) ([]SCT, error) {
	in := cryptobyte.String(value)
	var octets, list cryptobyte.String
	if !in.ReadASN1(&octets, cbasn1.OCTET_STRING) || !in.Empty() {
		return nil, errors.New("SCT list: not a DER OCTET STRING")
	}
	if !octets.ReadUint16LengthPrefixed(&list) || !octets.Empty() {
		return nil, errors.New("SCT list: bad list length")
	}
	if list.Empty() {
		return nil, errors.New("SCT list: empty")
	}
	var scts []SCT
	for !list.Empty() {
		var raw cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&raw) {
			return nil, fmt.Errorf("SCT %d: bad length", len(scts)+1)
		}
		s, err := parseSCT(raw)
		if err != nil {
			return nil, fmt.Errorf("SCT %d: %w", len(scts)+1, err)
		}
		scts = append(scts, s)
	}
	return scts, nil
}

// parseSCT reads one serialized SCT. Versions other than v1 are reported by version only, as
// RFC 6962 asks clients to skip them rather than fail.
func parseSCT(raw cryptobyte.String) (SCT, error) {
	var version uint8
	if !raw.ReadUint8(&version) {
		return SCT{}, errors.New("empty")
	}
	s := SCT{Version: int(version) + 1}
	if version != 0 {
		return s, nil
	}
	var (
		logID, exts, sig cryptobyte.String
		ts               uint64
		hashAlg, sigAlg  uint8
	)
	if !raw.ReadBytes((*[]byte)(&logID), 32) || !raw.ReadUint64(&ts) ||
		!raw.ReadUint16LengthPrefixed(&exts) || !raw.ReadUint8(&hashAlg) || !raw.ReadUint8(&sigAlg) ||
		!raw.ReadUint16LengthPrefixed(&sig) {
		return SCT{}, errors.New("truncated")
	}
	if !raw.Empty() {
		return SCT{}, errors.New("trailing data")
	}
	if ts > maxSCTTimestamp {
		return SCT{}, errors.New("timestamp out of range")
	}
	s.LogID = base64.StdEncoding.EncodeToString(logID)
	s.Timestamp = time.UnixMilli(int64(ts)).UTC()
	s.Extensions = base64.StdEncoding.EncodeToString(exts)
	s.HashAlgorithm = algName(sctHashNames, hashAlg)
	s.SignatureAlgorithm = algName(sctSignatureNames, sigAlg)
	s.Signature = base64.StdEncoding.EncodeToString(sig)
	return s, nil
}

// oidTLSFeature is RFC 7633's TLS feature extension; a status_request (5) in it is "OCSP
// must-staple": a client may refuse the certificate without a stapled response.
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// MustStaple reports whether the certificate's TLS feature extension asks for status_request
// (RFC 7633). A malformed extension asks for nothing.
func MustStaple(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if rest, err := asn1.Unmarshal(e.Value, &features); err != nil || len(rest) > 0 {
			return false
		}
		return slices.Contains(features, 5)
	}
	return false
}
