package certgen

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Validity defaults and limits, in days.
const (
	DefaultLeafDays = 397 // under the 398-day limit browsers enforce for public certificates
	DefaultCADays   = 3650
	maxDays         = 36500
)

// backdate is how far NotBefore is set in the past, so a client whose clock is a little behind
// does not see a brand-new certificate as "not yet valid".
const backdate = 5 * time.Minute

// LeafRequest describes a server (and optionally client) certificate.
type LeafRequest struct {
	SANs    SANs
	Subject pkix.Name
	// RawSubject, when set, is the subject exactly as encoded, used instead of Subject: a
	// CSR's, whose attributes, order and string types are kept (pkix.Name re-encodes only the
	// attributes it knows, so DC or emailAddress would be lost, and in its own order).
	RawSubject []byte
	Days       int
	Client     bool // add the clientAuth extended key usage
	Now        time.Time
}

// CARequest describes a CA certificate.
type CARequest struct {
	Subject pkix.Name
	// RawSubject, when set, is the subject's encoding, used as it is (as LeafRequest's).
	RawSubject []byte
	Days       int
	// PathLen limits how many intermediate CAs may follow this one; -1 sets no limit.
	PathLen int
	// NameConstraints are --name-constraint values: DNS subtrees ("example.com", "internal") and
	// IP ranges ("10.0.0.0/8"); see ParseNameConstraints.
	NameConstraints []string
	Now             time.Time
}

// Issuer is a CA that signs: its certificate, key, and the intermediates that stand between it
// and the root (this CA's own certificate first when it is an intermediate; never the root).
type Issuer struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
	// Settings are the CA directory's (ca.json): the CRL and OCSP URLs put into every certificate
	// it issues, leaves and intermediates alike.
	Settings CASettings
}

// Validate checks that the issuer can sign: it is a CA, may sign certificates, and its key
// matches its certificate.
func (is Issuer) Validate() error {
	if is.Cert == nil || is.Key == nil {
		return errors.New("CA certificate or key missing")
	}
	if !is.Cert.IsCA || !is.Cert.BasicConstraintsValid {
		return fmt.Errorf("%q is not a CA certificate (basic constraints CA:FALSE or absent)", dn.Subject(is.Cert))
	}
	if is.Cert.KeyUsage != 0 && is.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fmt.Errorf("CA certificate %q may not sign certificates (no keyCertSign key usage)", dn.Subject(is.Cert))
	}
	if !material.PublicKeysEqual(is.Key.Public(), is.Cert.PublicKey) {
		return errors.New("the CA certificate and key do not match")
	}
	return nil
}

// ProfileError says a request asks for a certificate the profile does not allow (bad validity,
// weak key, name outside the CA's constraints, path length). It is the caller's input that must
// change, not the environment.
type ProfileError struct {
	msg string
	err error // the typed cause a caller may act on (a *WeakKeyError), or nil
}

func (e *ProfileError) Error() string { return e.msg }
func (e *ProfileError) Unwrap() error { return e.err }

func profileErrorf(format string, args ...any) error {
	return &ProfileError{msg: fmt.Sprintf(format, args...)}
}

// WeakKeyError is an RSA key below 2048 bits, refused unless the caller allows weak keys.
type WeakKeyError struct{ Bits int }

func (e *WeakKeyError) Error() string {
	return fmt.Sprintf("RSA key of %d bits is too weak (at least 2048 required)", e.Bits)
}

// Warning is a note about a certificate that is allowed but may not be accepted everywhere.
type Warning string

// LeafPolicy checks a leaf's validity and key against what clients accept. RSA below 2048 bits
// is refused unless allowWeak; the rest are warnings.
func LeafPolicy(days int, pub crypto.PublicKey, allowWeak bool) ([]Warning, error) {
	if err := checkDays(days); err != nil {
		return nil, err
	}
	kw, err := KeyPolicy(pub, allowWeak)
	if err != nil {
		return nil, err
	}
	return append(validityWarnings(time.Duration(days)*24*time.Hour), kw...), nil
}

// KeyPolicy is LeafPolicy's check of the key alone. A CA-issued leaf's validity is only known
// once it is fitted into the CA's (IssueLeaf), so that is checked there.
func KeyPolicy(pub crypto.PublicKey, allowWeak bool) ([]Warning, error) {
	var w []Warning
	if bits := material.RSABits(pub); bits > 0 && bits < 2048 {
		if !allowWeak {
			we := &WeakKeyError{Bits: bits}
			return nil, &ProfileError{msg: we.Error(), err: we}
		}
		w = append(w, Warning(fmt.Sprintf("RSA key of %d bits is rejected by modern clients", bits)))
	}
	if _, ok := pub.(ed25519.PublicKey); ok {
		w = append(w, Warning("Ed25519 certificates are not accepted by browsers (Chrome, Firefox, Safari); use ecdsa-p256 for a web server"))
	}
	return w, nil
}

// validityWarnings flags a leaf validity period over the limits clients enforce, with the same
// thresholds as inspect's lint (validity-over-398, validity-over-825).
func validityWarnings(period time.Duration) []Warning {
	days := int(period / (24 * time.Hour))
	switch {
	case period > material.AppleMaxDays*24*time.Hour:
		return []Warning{Warning(fmt.Sprintf("validity of %d days exceeds %d, the most Apple platforms accept even from a private root", days, material.AppleMaxDays))}
	case period > material.PublicMaxDays*24*time.Hour:
		return []Warning{Warning(fmt.Sprintf("validity of %d days exceeds %d, the most browsers accept for publicly trusted certificates", days, material.PublicMaxDays))}
	}
	return nil
}

func checkDays(days int) error {
	if days < 1 || days > maxDays {
		return profileErrorf("validity must be 1 to %d days, not %d", maxDays, days)
	}
	return nil
}

// newSerial returns a positive random serial number of 159 bits: more than the 64 bits of
// entropy the CA/B Forum requires and within RFC 5280's 20-octet limit.
func newSerial(random io.Reader) (*big.Int, error) {
	b := make([]byte, 20)
	for {
		if _, err := io.ReadFull(random, b); err != nil {
			return nil, fmt.Errorf("generating serial number: %w", err)
		}
		b[0] &= 0x7f
		n := new(big.Int).SetBytes(b)
		// Keep at least 128 significant bits so the serial never looks suspiciously short.
		if n.BitLen() > 128 {
			return n, nil
		}
	}
}

// subjectKeyID derives a key identifier from the public key: the leftmost 160 bits of the
// SHA-256 of the subjectPublicKey bits (RFC 7093, method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("decoding public key: %w", err)
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// leafTemplate builds the profile of a server certificate.
func leafTemplate(random io.Reader, req LeafRequest, pub crypto.PublicKey) (*x509.Certificate, error) {
	if req.SANs.Empty() {
		return nil, profileErrorf("a certificate needs at least one host name, IP address, email address or URI")
	}
	t, err := baseTemplate(random, req.Days, req.Now, pub)
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, isRSA := pub.(*rsa.PublicKey); isRSA {
		// Only RSA key transport (TLS 1.2 RSA key exchange) encrypts with the certificate's key.
		usage |= x509.KeyUsageKeyEncipherment
	}
	eku := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if req.Client {
		eku = append(eku, x509.ExtKeyUsageClientAuth)
	}
	t.Subject = req.Subject
	t.RawSubject = req.RawSubject
	t.KeyUsage = usage
	t.ExtKeyUsage = eku
	t.IsCA = false
	t.DNSNames = req.SANs.DNSNames
	t.IPAddresses = req.SANs.IPAddresses
	t.EmailAddresses = req.SANs.EmailAddresses
	t.URIs = req.SANs.URIs
	return t, nil
}

// baseTemplate holds what every certificate tlskit makes shares: a fresh serial, the subject key
// identifier, basic constraints, and a validity of exactly days starting a little in the past.
func baseTemplate(random io.Reader, days int, now time.Time, pub crypto.PublicKey) (*x509.Certificate, error) {
	if err := checkDays(days); err != nil {
		return nil, err
	}
	serial, err := newSerial(random)
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	notBefore := now.Add(-backdate).UTC().Truncate(time.Second)
	return &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(time.Duration(days) * 24 * time.Hour),
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
	}, nil
}

// SelfSign makes a self-signed server certificate for key. Its authority key identifier equals
// its subject key identifier, which strict verifiers (Python 3.13's VERIFY_X509_STRICT) require.
func SelfSign(random io.Reader, req LeafRequest, key crypto.Signer) (*x509.Certificate, error) {
	tmpl, err := leafTemplate(random, req, key.Public())
	if err != nil {
		return nil, err
	}
	tmpl.AuthorityKeyId = tmpl.SubjectKeyId
	return create(random, tmpl, tmpl, key.Public(), key)
}

// IssueLeaf makes a server certificate for pub, signed by the issuer. It is signed with the
// parsed CA certificate as parent, so the authority key identifier is the CA's real SKI and the
// issuer name is byte-for-byte the CA's subject.
func IssueLeaf(random io.Reader, req LeafRequest, pub crypto.PublicKey, is Issuer) (*x509.Certificate, []Warning, error) {
	if err := is.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkNameConstraints(is, req.SANs, req.Subject.CommonName); err != nil {
		return nil, nil, err
	}
	tmpl, err := leafTemplate(random, req, pub)
	if err != nil {
		return nil, nil, err
	}
	warnings, err := fitValidity(tmpl, is)
	if err != nil {
		return nil, nil, err
	}
	is.Settings.applyTo(tmpl)
	cert, err := create(random, tmpl, is.Cert, pub, is.Key)
	if err != nil {
		return nil, nil, err
	}
	return cert, warnings, nil
}

// fitValidity keeps a leaf's validity within its CA's, as step-ca does: a certificate that
// outlives a CA above it is rejected by every client from the day that CA expires, so asking
// for more days than the CA has left gets the CA's notAfter, with a warning that says so. The
// validity warnings are then about the period the certificate really has.
func fitValidity(tmpl *x509.Certificate, is Issuer) ([]Warning, error) {
	cas := append([]*x509.Certificate{is.Cert}, is.Chain...)
	for _, ca := range cas {
		if tmpl.NotBefore.Before(ca.NotBefore) {
			tmpl.NotBefore = ca.NotBefore
		}
	}
	var w []Warning
	for _, ca := range cas {
		if !tmpl.NotAfter.After(ca.NotAfter) {
			continue
		}
		if !ca.NotAfter.After(tmpl.NotBefore) {
			return nil, profileErrorf("the CA %q expired on %s; it cannot issue certificates", dn.Subject(ca), ca.NotAfter.UTC().Format(time.RFC3339))
		}
		asked := int(tmpl.NotAfter.Sub(tmpl.NotBefore) / (24 * time.Hour))
		tmpl.NotAfter = ca.NotAfter
		w = append(w, Warning(fmt.Sprintf("validity cut to %d days, to end with the CA %q on %s: the %d days asked for would outlive it, and clients reject a certificate after its CA expires",
			int(tmpl.NotAfter.Sub(tmpl.NotBefore)/(24*time.Hour)), dn.Subject(ca), ca.NotAfter.UTC().Format(time.RFC3339), asked)))
	}
	return append(w, validityWarnings(tmpl.NotAfter.Sub(tmpl.NotBefore))...), nil
}

// mustRDN encodes a name as it will appear in a certificate, for comparison.
func mustRDN(n pkix.Name) []byte {
	der, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		return nil
	}
	return der
}

// caTemplate builds the profile of a CA certificate.
func caTemplate(random io.Reader, req CARequest, nc NameConstraints, pub crypto.PublicKey) (*x509.Certificate, error) {
	if req.Subject.CommonName == "" && len(req.Subject.Organization) == 0 {
		return nil, profileErrorf("a CA needs a subject (CN or O)")
	}
	t, err := baseTemplate(random, req.Days, req.Now, pub)
	if err != nil {
		return nil, err
	}
	t.Subject = req.Subject
	t.RawSubject = req.RawSubject
	t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	t.IsCA = true
	t.MaxPathLen = -1
	if req.PathLen >= 0 {
		t.MaxPathLen = req.PathLen
		t.MaxPathLenZero = req.PathLen == 0
	}
	nc.apply(t)
	return t, nil
}

// CreateRootCA makes a self-signed root CA certificate for key.
func CreateRootCA(random io.Reader, req CARequest, key crypto.Signer) (*x509.Certificate, error) {
	nc, err := ParseNameConstraints(req.NameConstraints)
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(random, req, nc, key.Public())
	if err != nil {
		return nil, err
	}
	tmpl.AuthorityKeyId = tmpl.SubjectKeyId
	return create(random, tmpl, tmpl, key.Public(), key)
}

// CreateIntermediateCA makes a CA certificate for pub signed by the parent CA. The parent's path
// length limit is honoured: an unset PathLen becomes one less than the parent's (or 0).
func CreateIntermediateCA(random io.Reader, req CARequest, pub crypto.PublicKey, parent Issuer) (*x509.Certificate, error) {
	if err := parent.Validate(); err != nil {
		return nil, err
	}
	p := parent.Cert
	if p.MaxPathLen == 0 {
		return nil, profileErrorf("the parent CA %q has path length 0: it may sign only leaf certificates", dn.Subject(p))
	}
	if p.MaxPathLen > 0 {
		if req.PathLen < 0 {
			req.PathLen = p.MaxPathLen - 1
		} else if req.PathLen >= p.MaxPathLen {
			return nil, profileErrorf("path length %d is not below the parent CA's %d", req.PathLen, p.MaxPathLen)
		}
	}
	if req.PathLen < 0 {
		req.PathLen = 0
	}
	raw := req.RawSubject
	if raw == nil {
		raw = mustRDN(req.Subject)
	}
	if bytes.Equal(raw, p.RawSubject) {
		// A child named like its parent looks self-signed to path builders, which stop there.
		return nil, profileErrorf("the intermediate's subject %q must differ from its parent's", dn.Of(raw, req.Subject))
	}
	// Name constraints narrow as they go down: an intermediate under a constrained CA inherits its
	// constraints, and may only narrow them further.
	nc, err := ParseNameConstraints(req.NameConstraints)
	if err != nil {
		return nil, err
	}
	if nc, err = inheritConstraints(parent, nc); err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(random, req, nc, pub)
	if err != nil {
		return nil, err
	}
	if tmpl.NotBefore.Before(p.NotBefore) {
		tmpl.NotBefore = p.NotBefore
	}
	if tmpl.NotAfter.After(p.NotAfter) {
		// An intermediate that outlives its root is useless past the root's expiry.
		tmpl.NotAfter = p.NotAfter
	}
	parent.Settings.applyTo(tmpl)
	return create(random, tmpl, p, pub, parent.Key)
}

func create(random io.Reader, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(random, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the new certificate: %w", err)
	}
	return cert, nil
}
