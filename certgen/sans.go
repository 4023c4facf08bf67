package certgen

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/names/hostname"
)

// SANs are a certificate's subject alternative names, by kind.
type SANs struct {
	DNSNames       []string
	IPAddresses    []net.IP
	EmailAddresses []string
	URIs           []*url.URL
}

// Empty reports whether there is no name at all.
func (s SANs) Empty() bool {
	return len(s.DNSNames)+len(s.IPAddresses)+len(s.EmailAddresses)+len(s.URIs) == 0
}

// Strings lists the names as OpenSSL prints them ("DNS:example.com", "IP:127.0.0.1", ...), in
// the order they appear in the certificate (material.SANStrings).
func (s SANs) Strings() []string {
	return material.SANStrings(s.DNSNames, s.EmailAddresses, s.IPAddresses, s.URIs)
}

// HostError says why a HOST argument cannot be a subject alternative name.
type HostError struct {
	Host   string
	Reason string
}

func (e *HostError) Error() string { return fmt.Sprintf("invalid host %q: %s", e.Host, e.Reason) }

// ParseHosts turns HOST arguments into SANs by kind: a URI when it has a scheme ("://"), an
// email address when it holds '@', an IP address, or else a DNS name (IDNs become punycode; a
// wildcard may stand only as the whole leftmost label, over at least two more labels, as
// browsers require). Duplicates are dropped; order is kept.
func ParseHosts(hosts []string) (SANs, error) {
	var s SANs
	seen := map[string]bool{}
	for _, h := range hosts {
		kind, value, err := classifyHost(h)
		if err != nil {
			return SANs{}, err
		}
		key := kind + ":" + value
		if seen[key] {
			continue
		}
		seen[key] = true
		switch kind {
		case "DNS":
			s.DNSNames = append(s.DNSNames, value)
		case "IP":
			s.IPAddresses = append(s.IPAddresses, net.ParseIP(value))
		case "email":
			s.EmailAddresses = append(s.EmailAddresses, value)
		case "URI":
			u, _ := url.Parse(value)
			s.URIs = append(s.URIs, u)
		}
	}
	return s, nil
}

// ClassifyHost says what kind of SAN a HOST argument is ("DNS", "IP", "email" or "URI") and
// returns it normalised, as ParseHosts would put it in a certificate.
func ClassifyHost(h string) (kind, value string, err error) {
	return classifyHost(h)
}

func classifyHost(h string) (kind, value string, err error) {
	fail := func(reason string) (string, string, error) {
		return "", "", &HostError{Host: h, Reason: reason}
	}
	if h == "" {
		return fail("empty")
	}
	for _, r := range h {
		if r <= ' ' || r == 0x7f {
			return fail("contains a space or control character")
		}
	}
	switch {
	case strings.Contains(h, "://"):
		u, err := url.Parse(h)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return fail("not a valid URI: " + err.Error())
		}
		if u.Scheme == "" || (u.Host == "" && u.Path == "") {
			return fail("a URI needs a scheme and a host or path")
		}
		if !isASCII(h) {
			return fail("a URI SAN must be ASCII (percent-encode it)")
		}
		return "URI", u.String(), nil
	case strings.Contains(h, "@"):
		at := strings.LastIndex(h, "@")
		local, domain := h[:at], h[at+1:]
		if local == "" || !isASCII(local) || strings.ContainsAny(local, "@<>()[]\\,;:\"") {
			return fail("not a valid email address")
		}
		d, err := hostname.Normalize(domain)
		if err != nil {
			return fail("email domain: " + err.Error())
		}
		return "email", local + "@" + d, nil
	}
	ipText := h
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		ipText = h[1 : len(h)-1]
	}
	if addr, err := netip.ParseAddr(ipText); err == nil {
		if addr.Zone() != "" {
			return fail("an IP address in a certificate cannot have a zone")
		}
		return "IP", addr.Unmap().String(), nil
	}
	name := h
	wildcard := false
	if strings.HasPrefix(name, "*.") {
		wildcard, name = true, name[2:]
	}
	if strings.Contains(name, "*") {
		return fail("a wildcard must be the whole leftmost label, as in *.example.com")
	}
	norm, err := hostname.Normalize(name)
	if err != nil {
		return fail(err.Error())
	}
	if wildcard {
		if !strings.Contains(norm, ".") {
			return fail("a wildcard must cover a name with at least two labels (*.example.com, not *.com)")
		}
		norm = "*." + norm
	}
	return "DNS", norm, nil
}

// DefaultBaseName turns the first host into a file name stem: "*.example.com" becomes
// "_wildcard.example.com", and characters that are awkward in file names become '_'.
func DefaultBaseName(host string) string {
	host = strings.Replace(host, "*", "_wildcard", 1)
	var b strings.Builder
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '@':
			b.WriteRune(r)
		case r > 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), ".")
	if name == "" {
		return "cert"
	}
	return name
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
