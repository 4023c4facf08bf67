package inspect

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// Malformed says what is wrong with a certificate that crypto/x509 refuses to parse. Such a
// certificate fails every Go client's handshake ("failed to parse certificate from server"),
// whatever other verifiers make of it, so a chain holding one is judged invalid.
type Malformed struct {
	// Index is the certificate's position in the chain as presented, from 0 (in a Verification).
	Index int `json:"index"`
	// Subject is the subject as encoded, when the certificate is sound enough to read it; ""
	// otherwise.
	Subject string `json:"subject,omitempty"`
	// Field names what Go refused: an extension ("subject_alt_name extension (2.5.29.17)", or
	// "extension 1.2.3.4" when tlskit has no name for it) or a part of the certificate ("serial
	// number", "validity", "public key", "issuer name", ...); "" when the bytes do not even have
	// a certificate's structure.
	Field string `json:"field,omitempty"`
	// Detail is Go's own reason, without its "x509: " prefix.
	Detail string `json:"detail"`
}

// String says it in one line: `"CN=x": Go refuses its subject_alt_name extension (2.5.29.17):
// cannot parse URI ...`.
func (m Malformed) String() string {
	var b strings.Builder
	if m.Subject != "" {
		fmt.Fprintf(&b, "%q: ", m.Subject)
	}
	if m.Field != "" {
		fmt.Fprintf(&b, "Go refuses its %s: ", m.Field)
	}
	b.WriteString(m.Detail)
	return b.String()
}

// MalformedChain is the verdict on a chain of total certificates whose certificate der Go
// refuses to parse with err; parsed are the ones before it, which did parse (so the refused
// one's position is len(parsed)). Nothing else is judged, as no Go client gets further; the
// host name is, when the leaf parsed, since it is judged on its own.
func MalformedChain(parsed []*x509.Certificate, total int, der []byte, err error, opts VerifyOptions) Verification {
	m := DiagnoseMalformed(der, err)
	m.Index = len(parsed)
	v := Verification{Reason: ReasonMalformed, Malformed: &m,
		Error: fmt.Sprintf("certificate %d of %d is malformed: %s", m.Index+1, total, m)}
	v.HostnameOK = opts.Host == "" || len(parsed) > 0 && parsed[0].VerifyHostname(opts.Host) == nil
	return v
}

// DiagnoseMalformed explains err, which x509.ParseCertificate returned for der. Go's errors name
// the field only sometimes, so the extension at fault is found by parsing the certificate again
// with only the extensions up to each one in turn: Go reads them in order, so the first prefix
// that fails ends with the culprit. Signatures are not checked when parsing, so the re-encoded
// certificates need none.
func DiagnoseMalformed(der []byte, err error) Malformed {
	m := Malformed{Detail: strings.TrimPrefix(err.Error(), "x509: ")}
	parts, ok := splitCertificate(der)
	if !ok {
		return m
	}
	if s, ok := dn.String(parts.subject); ok {
		m.Subject = s
	}
	if _, err := x509.ParseCertificate(parts.rebuild(0)); err != nil {
		// The fault lies outside the extensions.
		m.Field = baseField(err.Error(), parts)
		return m
	}
	for n := 1; n <= len(parts.extensions); n++ {
		if _, err := x509.ParseCertificate(parts.rebuild(n)); err != nil {
			m.Field = extensionField(parts.extensions[n-1])
			return m
		}
	}
	return m
}

// certificateParts are a certificate's DER elements, split far enough to drop extensions.
type certificateParts struct {
	// head is the TBSCertificate's elements before the extensions, as encoded.
	head       []byte
	subject    []byte
	issuer     []byte
	extensions [][]byte // each Extension SEQUENCE, as encoded
	sigAlg     []byte
	signature  []byte
}

var (
	versionTag    = cbasn1.Tag(0).Constructed().ContextSpecific()
	extensionsTag = cbasn1.Tag(3).Constructed().ContextSpecific()
)

// splitCertificate reads the outline of a Certificate (RFC 5280, 4.1) without judging any field;
// ok is false when der does not have that outline.
func splitCertificate(der []byte) (certificateParts, bool) {
	var p certificateParts
	input := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !input.ReadASN1(&cert, cbasn1.SEQUENCE) || !input.Empty() || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return p, false
	}
	var sigAlg, sig cryptobyte.String
	if !cert.ReadASN1Element(&sigAlg, cbasn1.SEQUENCE) || !cert.ReadASN1Element(&sig, cbasn1.BIT_STRING) {
		return p, false
	}
	p.sigAlg, p.signature = sigAlg, sig
	head := tbs
	var elem cryptobyte.String
	var tag cbasn1.Tag
	if tbs.PeekASN1Tag(versionTag) && !tbs.ReadAnyASN1Element(&elem, &tag) {
		return p, false
	}
	// serialNumber, signature, issuer, validity, subject: read as any element, so that a value
	// Go refuses (a negative serial) still leaves the rest readable.
	var fields [5]cryptobyte.String
	for i := range fields {
		// The signature algorithm, issuer, validity and subject are SEQUENCEs: a request or a
		// CRL has other elements there.
		if !tbs.ReadAnyASN1Element(&fields[i], &tag) || i > 0 && tag != cbasn1.SEQUENCE {
			return p, false
		}
	}
	p.issuer, p.subject = fields[2], fields[4]
	// subjectPublicKeyInfo, then the optional unique IDs, then extensions [3].
	for !tbs.Empty() && !tbs.PeekASN1Tag(extensionsTag) {
		if !tbs.ReadAnyASN1Element(&elem, &tag) {
			return p, false
		}
	}
	p.head = head[:len(head)-len(tbs)]
	if tbs.Empty() {
		return p, true
	}
	var exts, list cryptobyte.String
	if !tbs.ReadASN1(&exts, extensionsTag) || !exts.ReadASN1(&list, cbasn1.SEQUENCE) {
		return p, false
	}
	for !list.Empty() {
		var ext cryptobyte.String
		if !list.ReadASN1Element(&ext, cbasn1.SEQUENCE) {
			return p, false
		}
		p.extensions = append(p.extensions, ext)
	}
	return p, true
}

// rebuild encodes the certificate again with only its first n extensions.
func (p certificateParts) rebuild(n int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(cert *cryptobyte.Builder) {
		cert.AddASN1(cbasn1.SEQUENCE, func(tbs *cryptobyte.Builder) {
			tbs.AddBytes(p.head)
			if n == 0 {
				return
			}
			tbs.AddASN1(extensionsTag, func(exts *cryptobyte.Builder) {
				exts.AddASN1(cbasn1.SEQUENCE, func(list *cryptobyte.Builder) {
					for _, e := range p.extensions[:n] {
						list.AddBytes(e)
					}
				})
			})
		})
		cert.AddBytes(p.sigAlg)
		cert.AddBytes(p.signature)
	})
	return b.BytesOrPanic()
}

// extensionField names an extension by its OID, read from its encoding.
func extensionField(ext []byte) string {
	s := cryptobyte.String(ext)
	var body cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1ObjectIdentifier(&oid) {
		return "extension with an unreadable OID"
	}
	dotted := oid.String()
	if name := extensionNames[dotted]; name != "" {
		return fmt.Sprintf("%s extension (%s)", name, dotted)
	}
	return fmt.Sprintf("extension %s", dotted)
}

// baseField names the part of the certificate outside its extensions that Go's message is about.
// Go says "malformed issuer" for a bad subject as well, and names neither for a bad attribute in
// a name, so names are told apart by reading them.
func baseField(msg string, p certificateParts) string {
	switch {
	case strings.Contains(msg, "RDNSequence") || strings.Contains(msg, "issuer") || strings.Contains(msg, "subject"):
		if _, ok := dn.String(p.issuer); !ok {
			return "issuer name"
		}
		if _, ok := dn.String(p.subject); !ok {
			return "subject name"
		}
		return "name"
	case strings.Contains(msg, "serial number"):
		return "serial number"
	case strings.Contains(msg, "version"):
		return "version"
	case strings.Contains(msg, "validity") || strings.Contains(msg, "Time") || strings.Contains(msg, "time format"):
		return "validity"
	case strings.Contains(msg, "spki") || strings.Contains(msg, "public key") || strings.Contains(msg, "subjectPublicKey") ||
		strings.Contains(msg, "curve") || strings.Contains(msg, "RSA") || strings.Contains(msg, "DSA") ||
		strings.Contains(msg, "Ed25519") || strings.Contains(msg, "X25519"):
		return "public key"
	case strings.Contains(msg, "algorithm identifier") || strings.Contains(msg, "OID") || strings.Contains(msg, "parameters"):
		return "signature algorithm"
	case strings.Contains(msg, "extension"):
		return "extensions"
	}
	return ""
}
