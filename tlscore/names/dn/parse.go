package dn

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxDNValueLen bounds one attribute value; X.520's upper bounds are 64 for most attributes,
// but this is a sanity limit for bad input, not the profile.
const maxDNValueLen = 256

// Name is a distinguished name as written on the command line: its attributes in the order
// they go into the encoded name (the least specific first, as `openssl req -subj` writes them),
// one value to each RDN.
type Name struct {
	attrs []subjectAttr
}

type subjectAttr struct {
	key   string // canonical short name, a key of subjectAttrs
	value string
}

// subjectAttrs are the attributes Parse accepts, by canonical name (the names format.go shows).
var subjectAttrs = map[string]asn1.ObjectIdentifier{
	"C":            oidCountry,
	"ST":           oidProvince,
	"L":            oidLocality,
	"STREET":       oidStreet,
	"POSTALCODE":   oidPostalCode,
	"O":            oidOrganization,
	"OU":           oidOrganizationalUnit,
	"CN":           oidCommonName,
	"SERIALNUMBER": oidSerialNumber,
	"DC":           oidDomainComponent,
	"UID":          oidUserID,
	"emailAddress": oidEmailAddress,
}

// subjectAliases maps what may be typed (upper-cased) to the canonical name.
var subjectAliases = map[string]string{
	"CN": "CN", "COMMONNAME": "CN", "O": "O", "OU": "OU", "C": "C", "L": "L", "ST": "ST", "S": "ST",
	"STREET": "STREET", "POSTALCODE": "POSTALCODE", "SERIALNUMBER": "SERIALNUMBER",
	"DC": "DC", "UID": "UID", "EMAILADDRESS": "emailAddress", "E": "emailAddress",
}

// Parse parses a distinguished name written as RFC 4514 ("CN=example.com,O=Example\,
// Inc", the most specific attribute first) or in OpenSSL's slash form ("/O=Example Inc/CN=
// example.com", the least specific first), keeping the attributes in the order the name is
// encoded in. Recognised attributes: CN, O, OU, C, L, ST, STREET, POSTALCODE, SERIALNUMBER, DC,
// UID and emailAddress. Multi-valued RDNs ('+') are split into single values.
func Parse(s string) (Name, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Name{}, fmt.Errorf("empty subject")
	}
	if !utf8.ValidString(s) {
		return Name{}, fmt.Errorf("subject is not valid UTF-8")
	}
	var pairs [][2]string
	var err error
	slash := strings.HasPrefix(s, "/")
	if slash {
		pairs, err = splitSlashDN(s)
	} else {
		pairs, err = splitRFC4514(s)
	}
	if err != nil {
		return Name{}, err
	}
	var subj Name
	for _, p := range pairs {
		typed, value := strings.ToUpper(strings.TrimSpace(p[0])), p[1]
		key, known := subjectAliases[typed]
		switch {
		case typed == "":
			return Name{}, fmt.Errorf("subject attribute with no type before '='")
		case !known:
			return Name{}, fmt.Errorf("unsupported subject attribute %q (use CN, O, OU, C, L, ST, STREET, POSTALCODE, SERIALNUMBER, DC, UID or emailAddress)", typed)
		case value == "":
			return Name{}, fmt.Errorf("subject attribute %s has an empty value", key)
		case len(value) > maxDNValueLen:
			return Name{}, fmt.Errorf("subject attribute %s is longer than %d bytes", key, maxDNValueLen)
		}
		for _, r := range value {
			if r < 0x20 || r == 0x7f {
				return Name{}, fmt.Errorf("subject attribute %s holds a control character", key)
			}
		}
		switch key {
		case "CN":
			if subj.has("CN") {
				return Name{}, fmt.Errorf("subject has more than one CN")
			}
		case "SERIALNUMBER":
			if subj.has("SERIALNUMBER") {
				return Name{}, fmt.Errorf("subject has more than one SERIALNUMBER")
			}
		case "C":
			if len(value) != 2 || strings.ToUpper(value) != value || !isASCII(value) {
				return Name{}, fmt.Errorf("subject C must be a two-letter upper-case country code, not %q", value)
			}
		case "DC", "emailAddress":
			if !isASCII(value) {
				return Name{}, fmt.Errorf("subject attribute %s must be ASCII (an IA5String), not %q", key, value)
			}
		}
		subj.attrs = append(subj.attrs, subjectAttr{key, value})
	}
	if !slash {
		// RFC 4514 writes the last RDN first.
		slices.Reverse(subj.attrs)
	}
	return subj, nil
}

func (s Name) has(key string) bool {
	return slices.ContainsFunc(s.attrs, func(a subjectAttr) bool { return a.key == key })
}

// IsZero reports whether the subject has no attribute.
func (s Name) IsZero() bool { return len(s.attrs) == 0 }

// Set gives the subject exactly one key attribute, value: in the place of the first one there
// was, or else, for CN, last (the most specific), and for anything else just before the CN.
func (s *Name) Set(key, value string) {
	at := slices.IndexFunc(s.attrs, func(a subjectAttr) bool { return a.key == key })
	if at >= 0 {
		s.attrs[at].value = value
		rest := slices.DeleteFunc(s.attrs[at+1:], func(a subjectAttr) bool { return a.key == key })
		s.attrs = s.attrs[:at+1+len(rest)]
		return
	}
	cn := slices.IndexFunc(s.attrs, func(a subjectAttr) bool { return a.key == "CN" })
	if key == "CN" || cn < 0 {
		s.attrs = append(s.attrs, subjectAttr{key, value})
		return
	}
	s.attrs = slices.Insert(s.attrs, cn, subjectAttr{key, value})
}

// PKIX is the name as Go's pkix.Name: the fields it has, in the order written. DC, UID and
// emailAddress are only in Names.
func (s Name) PKIX() pkix.Name {
	var n pkix.Name
	for _, a := range s.attrs {
		switch a.key {
		case "CN":
			n.CommonName = a.value
		case "O":
			n.Organization = append(n.Organization, a.value)
		case "OU":
			n.OrganizationalUnit = append(n.OrganizationalUnit, a.value)
		case "C":
			n.Country = append(n.Country, a.value)
		case "L":
			n.Locality = append(n.Locality, a.value)
		case "ST":
			n.Province = append(n.Province, a.value)
		case "STREET":
			n.StreetAddress = append(n.StreetAddress, a.value)
		case "POSTALCODE":
			n.PostalCode = append(n.PostalCode, a.value)
		case "SERIALNUMBER":
			n.SerialNumber = a.value
		}
		n.Names = append(n.Names, pkix.AttributeTypeAndValue{Type: subjectAttrs[a.key], Value: a.value})
	}
	return n
}

// DER encodes the subject as an RDNSequence, in its order, one attribute to an RDN. Values are
// PrintableStrings where they can be and UTF8Strings otherwise, as Go encodes names; DC and
// emailAddress are IA5Strings, as their definitions require.
func (s Name) DER() ([]byte, error) {
	seq := make(pkix.RDNSequence, 0, len(s.attrs))
	for _, a := range s.attrs {
		var v any = a.value
		if a.key == "DC" || a.key == "emailAddress" {
			v = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(a.value)}
		}
		seq = append(seq, pkix.RelativeDistinguishedNameSET{{Type: subjectAttrs[a.key], Value: v}})
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		return nil, fmt.Errorf("encoding the subject: %w", err)
	}
	return der, nil
}

// splitRFC4514 splits "A=v,B=w+C=x" into pairs, honouring RFC 4514 escapes (\, \+ \" \\ \XX)
// and double-quoted values.
func splitRFC4514(s string) ([][2]string, error) {
	var pairs [][2]string
	var attr, val strings.Builder
	inValue, quoted := false, false
	flush := func() error {
		a := strings.TrimSpace(attr.String())
		if !inValue {
			return fmt.Errorf("subject component %q has no '='", a)
		}
		pairs = append(pairs, [2]string{a, strings.TrimSpace(val.String())})
		attr.Reset()
		val.Reset()
		inValue = false
		return nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case !inValue && c == '=':
			inValue = true
		case !inValue:
			attr.WriteByte(c)
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("subject ends with a lone '\\'")
			}
			if isHex(s[i+1]) && i+2 < len(s) && isHex(s[i+2]) {
				b, _ := hex.DecodeString(s[i+1 : i+3])
				val.Write(b)
				i += 2
			} else {
				val.WriteByte(s[i+1])
				i++
			}
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == '+' || c == ';'):
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			val.WriteByte(c)
		}
	}
	if quoted {
		return nil, fmt.Errorf("subject has an unterminated quote")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for _, p := range pairs {
		if !utf8.ValidString(p[1]) {
			return nil, fmt.Errorf("subject attribute %s is not valid UTF-8", p[0])
		}
	}
	return pairs, nil
}

// splitSlashDN splits OpenSSL's "/A=v/B=w" form; '\/' escapes a slash in a value.
func splitSlashDN(s string) ([][2]string, error) {
	var pairs [][2]string
	var cur strings.Builder
	var parts []string
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '/':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	parts = append(parts, cur.String())
	for _, p := range parts {
		if p == "" {
			continue
		}
		for _, rdn := range strings.Split(p, "+") {
			a, v, ok := strings.Cut(rdn, "=")
			if !ok {
				return nil, fmt.Errorf("subject component %q has no '='", rdn)
			}
			pairs = append(pairs, [2]string{a, strings.TrimSpace(v)})
		}
	}
	return pairs, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
