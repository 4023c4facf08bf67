// Package dn is tlskit's one home for X.509 distinguished names: Parse reads one as a user writes
// it (RFC 4514 or OpenSSL's slash form) for the certificates and requests tlskit makes, and
// String/Of render one from its DER encoding for every place tlskit shows one (certificates,
// requests, CRLs, the CAs a server asks for).
//
// The form is Go's pkix one (RFC 4514 order: the last RDN first, attributes of one RDN joined
// by '+', the same escaping), with two differences that matter for names Go did not make: the
// attributes are shown in the order the name holds them, not re-sorted into pkix.Name's fields,
// and the attributes openssl names (DC, UID, emailAddress, GN, SN, title, ...) are shown by
// name and value where pkix prints an OID and hex. A CSR from `openssl req -subj
// /DC=com/DC=example/CN=x/emailAddress=a@b` therefore reads as
// "emailAddress=a@b,CN=x,DC=example,DC=com", as `openssl x509 -nameopt RFC2253` shows it.
//
// It is a leaf (it imports nothing of tlskit's), so every library and command can use it.
package dn

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"strconv"
	"strings"
)

// The attribute types Parse accepts; format.go names them as shown here too.
var (
	oidCountry            = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidOrganization       = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOrganizationalUnit = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidCommonName         = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSerialNumber       = asn1.ObjectIdentifier{2, 5, 4, 5}
	oidLocality           = asn1.ObjectIdentifier{2, 5, 4, 7}
	oidProvince           = asn1.ObjectIdentifier{2, 5, 4, 8}
	oidStreet             = asn1.ObjectIdentifier{2, 5, 4, 9}
	oidPostalCode         = asn1.ObjectIdentifier{2, 5, 4, 17}
	oidDomainComponent    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUserID             = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidEmailAddress       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// attributeNames are the short names shown for attribute types. The first nine are pkix's own
// (so names Go makes render exactly as pkix.Name.String renders them); the rest are openssl's.
// Parse accepts the names of subjectAttrs, which are these.
var attributeNames = map[string]string{
	oidCountry.String():            "C",
	oidOrganization.String():       "O",
	oidOrganizationalUnit.String(): "OU",
	oidCommonName.String():         "CN",
	oidSerialNumber.String():       "SERIALNUMBER",
	oidLocality.String():           "L",
	oidProvince.String():           "ST",
	oidStreet.String():             "STREET",
	oidPostalCode.String():         "POSTALCODE",

	oidDomainComponent.String(): "DC",
	oidUserID.String():          "UID",
	oidEmailAddress.String():    "emailAddress",
	"2.5.4.4":                   "SN",
	"2.5.4.42":                  "GN",
	"2.5.4.43":                  "initials",
	"2.5.4.44":                  "generationQualifier",
	"2.5.4.12":                  "title",
	"2.5.4.13":                  "description",
	"2.5.4.15":                  "businessCategory",
	"2.5.4.41":                  "name",
	"2.5.4.46":                  "dnQualifier",
	"2.5.4.65":                  "pseudonym",
	"2.5.4.97":                  "organizationIdentifier",
	"1.3.6.1.4.1.311.60.2.1.1":  "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":  "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":  "jurisdictionC",
}

// String renders a DER-encoded name (an RDNSequence). ok is false when der is not one, and the
// string then says so with the size.
func String(der []byte) (s string, ok bool) {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil || len(rest) != 0 {
		return "unparseable name (" + strconv.Itoa(len(der)) + " bytes)", false
	}
	return Sequence(seq), true
}

// Subject is a certificate's subject, as it is encoded in the certificate.
func Subject(c *x509.Certificate) string { return Of(c.RawSubject, c.Subject) }

// Issuer is a certificate's issuer, as it is encoded in the certificate.
func Issuer(c *x509.Certificate) string { return Of(c.RawIssuer, c.Issuer) }

// Of renders a name from its encoding raw, or from name when there is none (something built
// in memory and never parsed), as crypto/x509 hands out both.
func Of(raw []byte, name pkix.Name) string {
	if len(raw) == 0 {
		return name.String()
	}
	s, _ := String(raw)
	return s
}

// Sequence renders a parsed RDNSequence.
func Sequence(seq pkix.RDNSequence) string {
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if i != len(seq)-1 {
			b.WriteByte(',')
		}
		for j, atv := range seq[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			writeAttribute(&b, atv)
		}
	}
	return b.String()
}

func writeAttribute(b *strings.Builder, atv pkix.AttributeTypeAndValue) {
	oid := atv.Type.String()
	name, known := attributeNames[oid]
	value, isString := atv.Value.(string)
	if !known || !isString {
		// RFC 4514 section 2.4: the dotted type and the value's BER encoding in hex.
		b.WriteString(oid)
		if der, err := asn1.Marshal(atv.Value); err == nil {
			b.WriteString("=#")
			b.WriteString(hex.EncodeToString(der))
		} else {
			b.WriteString("=")
		}
		return
	}
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(escape(value))
}

// escape escapes a value as pkix does (RFC 4514 section 2.4).
func escape(v string) string {
	if !strings.ContainsAny(v, ",+\"\\<>;") && !strings.HasPrefix(v, " ") && !strings.HasPrefix(v, "#") && !strings.HasSuffix(v, " ") {
		return v
	}
	var b strings.Builder
	for k, c := range v {
		esc := false
		switch c {
		case ',', '+', '"', '\\', '<', '>', ';':
			esc = true
		case ' ':
			esc = k == 0 || k == len(v)-1
		case '#':
			esc = k == 0
		}
		if esc {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
