package certgen

import (
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxDNValueLen bounds one attribute value; X.520's upper bounds are 64 for most attributes,
// but this is a sanity limit for bad input, not the profile.
const maxDNValueLen = 256

// ParseSubject parses a distinguished name written as RFC 4514 ("CN=example.com,O=Example\, Inc")
// or in OpenSSL's slash form ("/CN=example.com/O=Example Inc"). Recognised attributes: CN, O, OU,
// C, L, ST, STREET, POSTALCODE, SERIALNUMBER. Multi-valued RDNs ('+') are split into single values.
func ParseSubject(s string) (pkix.Name, error) {
	var name pkix.Name
	s = strings.TrimSpace(s)
	if s == "" {
		return name, fmt.Errorf("empty subject")
	}
	if !utf8.ValidString(s) {
		return name, fmt.Errorf("subject is not valid UTF-8")
	}
	var pairs [][2]string
	var err error
	if strings.HasPrefix(s, "/") {
		pairs, err = splitSlashDN(s)
	} else {
		pairs, err = splitRFC4514(s)
	}
	if err != nil {
		return pkix.Name{}, err
	}
	for _, p := range pairs {
		attr, value := strings.ToUpper(strings.TrimSpace(p[0])), p[1]
		if value == "" {
			return pkix.Name{}, fmt.Errorf("subject attribute %s has an empty value", attr)
		}
		if len(value) > maxDNValueLen {
			return pkix.Name{}, fmt.Errorf("subject attribute %s is longer than %d bytes", attr, maxDNValueLen)
		}
		for _, r := range value {
			if r < 0x20 || r == 0x7f {
				return pkix.Name{}, fmt.Errorf("subject attribute %s holds a control character", attr)
			}
		}
		switch attr {
		case "CN", "COMMONNAME":
			if name.CommonName != "" {
				return pkix.Name{}, fmt.Errorf("subject has more than one CN")
			}
			name.CommonName = value
		case "O":
			name.Organization = append(name.Organization, value)
		case "OU":
			name.OrganizationalUnit = append(name.OrganizationalUnit, value)
		case "C":
			if len(value) != 2 || strings.ToUpper(value) != value || !isASCII(value) {
				return pkix.Name{}, fmt.Errorf("subject C must be a two-letter upper-case country code, not %q", value)
			}
			name.Country = append(name.Country, value)
		case "L":
			name.Locality = append(name.Locality, value)
		case "ST", "S":
			name.Province = append(name.Province, value)
		case "STREET":
			name.StreetAddress = append(name.StreetAddress, value)
		case "POSTALCODE":
			name.PostalCode = append(name.PostalCode, value)
		case "SERIALNUMBER":
			name.SerialNumber = value
		case "":
			return pkix.Name{}, fmt.Errorf("subject attribute with no type before '='")
		default:
			return pkix.Name{}, fmt.Errorf("unsupported subject attribute %q (use CN, O, OU, C, L, ST, STREET, POSTALCODE or SERIALNUMBER)", attr)
		}
	}
	return name, nil
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
