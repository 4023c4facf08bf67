package certgen

import (
	"crypto/x509"
	"net"
	"net/netip"
	"strings"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// NameConstraints are what a CA made by tlskit permits (RFC 5280 §4.2.1.10): DNS subtrees and
// IP address ranges. A kind of name that is not permitted at all is excluded outright, so a CA
// limited to "internal" cannot issue for 127.0.0.1 either.
type NameConstraints struct {
	DNS []string       // "example.com" (the domain and its subdomains) or ".example.com" (subdomains only)
	IPs []netip.Prefix // canonical: no host bits set
}

// Empty reports whether nothing is constrained.
func (nc NameConstraints) Empty() bool { return len(nc.DNS) == 0 && len(nc.IPs) == 0 }

// The exclusions a constraint of one kind implies for the other: every IPv4 and IPv6 address,
// and every DNS name (the empty domain, which RFC 5280 matching, Go and OpenSSL all treat as
// matching any name).
var (
	allIPv4 = netip.MustParsePrefix("0.0.0.0/0")
	allIPv6 = netip.MustParsePrefix("::/0")
)

const allDNS = ""

// ParseNameConstraints reads --name-constraint values: a DNS domain ("example.com", or
// ".example.com" for its subdomains only), an IP range in CIDR notation ("10.0.0.0/8",
// "fd00::/8"), or a single IP address (a /32 or /128).
func ParseNameConstraints(values []string) (NameConstraints, error) {
	var nc NameConstraints
	for _, v := range values {
		if p, ok, err := parseIPConstraint(v); ok {
			if err != nil {
				return NameConstraints{}, err
			}
			nc.IPs = append(nc.IPs, p)
			continue
		}
		d, err := normalizeConstraint(v)
		if err != nil {
			return NameConstraints{}, err
		}
		nc.DNS = append(nc.DNS, d)
	}
	return nc, nil
}

// parseIPConstraint reads v as an IP range when it looks like one (ok), and says what is wrong
// with it when it does not parse.
func parseIPConstraint(v string) (netip.Prefix, bool, error) {
	if addr, err := netip.ParseAddr(v); err == nil {
		if addr.Zone() != "" {
			return netip.Prefix{}, true, profileErrorf("invalid name constraint %q: an IP range cannot have a zone", v)
		}
		addr = addr.Unmap()
		return netip.PrefixFrom(addr, addr.BitLen()), true, nil
	}
	if !strings.Contains(v, "/") {
		return netip.Prefix{}, false, nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return netip.Prefix{}, true, profileErrorf("invalid name constraint %q: not a DNS domain or an IP range such as 10.0.0.0/8", v)
	}
	if p.Addr().Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, true, profileErrorf("invalid name constraint %q: an IPv4-mapped range must be /96 or longer", v)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	if p.Masked() != p {
		// 10.1.2.3/8 could mean 10.0.0.0/8 or a typo for 10.1.2.3/32: make the user say which.
		return netip.Prefix{}, true, profileErrorf("invalid name constraint %q: host bits are set; did you mean %s?", v, p.Masked())
	}
	return p, true, nil
}

func normalizeConstraint(d string) (string, error) {
	lead := strings.HasPrefix(d, ".")
	sans, err := ParseHosts([]string{strings.TrimPrefix(d, ".")})
	if err != nil || len(sans.DNSNames) != 1 || strings.HasPrefix(sans.DNSNames[0], "*") {
		return "", profileErrorf("invalid name constraint %q: must be a DNS domain such as example.com or an IP range such as 10.0.0.0/8", d)
	}
	if lead {
		return "." + sans.DNSNames[0], nil
	}
	return sans.DNSNames[0], nil
}

// apply writes the constraints into a CA template: the permitted subtrees, and the exclusion of
// every name of a kind that has none, all in one critical extension (RFC 5280 says MUST).
func (nc NameConstraints) apply(t *x509.Certificate) {
	if nc.Empty() {
		return
	}
	t.PermittedDNSDomains = append([]string(nil), nc.DNS...)
	for _, p := range nc.IPs {
		t.PermittedIPRanges = append(t.PermittedIPRanges, ipNet(p))
	}
	if len(nc.DNS) == 0 {
		t.ExcludedDNSDomains = []string{allDNS}
	}
	if len(nc.IPs) == 0 {
		t.ExcludedIPRanges = []*net.IPNet{ipNet(allIPv4), ipNet(allIPv6)}
	}
	t.PermittedDNSDomainsCritical = true
}

// ipNet converts a prefix to the form crypto/x509 encodes: a 4-byte address and mask for IPv4,
// 16 bytes for IPv6.
func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// ConstrainsNames reports whether c constrains any kind of name, permitted or excluded, DNS, IP,
// email or URI (a CA from elsewhere may carry any of them; tlskit's own carry DNS and IP).
func ConstrainsNames(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
		len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0
}

// constraintsOf reads back the permitted names of a certificate.
func constraintsOf(c *x509.Certificate) NameConstraints {
	nc := NameConstraints{DNS: append([]string(nil), c.PermittedDNSDomains...)}
	for _, n := range c.PermittedIPRanges {
		if p, ok := prefixOf(n); ok {
			nc.IPs = append(nc.IPs, p)
		}
	}
	return nc
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	addr, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if bits != addr.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(addr, ones), true
}

// hasConstraints says whether a certificate constrains names at all.
func hasConstraints(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges) > 0
}

// checkNameConstraints refuses names outside what the issuer and every intermediate above it
// permit, rather than issuing a certificate that no client will accept. A subject CN that looks
// like a host name is checked as a DNS name when there is no DNS SAN, as OpenSSL does.
func checkNameConstraints(is Issuer, sans SANs, cn string) error {
	names := append([]string(nil), sans.DNSNames...)
	if len(sans.DNSNames) == 0 && cnLooksLikeDNS(cn) {
		names = append(names, cn)
	}
	for _, ca := range append([]*x509.Certificate{is.Cert}, is.Chain...) {
		if !hasConstraints(ca) {
			continue
		}
		for _, name := range names {
			if !dnsAllowed(ca, strings.ToLower(strings.TrimPrefix(name, "*."))) {
				return outsideError(ca, name)
			}
		}
		for _, ip := range sans.IPAddresses {
			addr, ok := netip.AddrFromSlice(ip)
			if !ok || !ipAllowed(ca, addr.Unmap()) {
				return outsideError(ca, ip.String())
			}
		}
	}
	return nil
}

func outsideError(ca *x509.Certificate, name string) error {
	return profileErrorf("%s is outside the names the CA %q permits (%s)", name, dn.Subject(ca), describeConstraints(ca))
}

// describeConstraints lists what a CA permits, for an error message.
func describeConstraints(c *x509.Certificate) string {
	var parts []string
	parts = append(parts, c.PermittedDNSDomains...)
	for _, n := range c.PermittedIPRanges {
		parts = append(parts, n.String())
	}
	for _, d := range c.ExcludedDNSDomains {
		if d == allDNS {
			parts = append(parts, "no DNS names")
		} else {
			parts = append(parts, "not "+d)
		}
	}
	var all []string
	for _, n := range c.ExcludedIPRanges {
		if p, ok := prefixOf(n); ok && p.Bits() == 0 {
			all = append(all, map[bool]string{true: "IPv4", false: "IPv6"}[p.Addr().Is4()])
			continue
		}
		parts = append(parts, "not "+n.String())
	}
	switch len(all) {
	case 1:
		parts = append(parts, "no "+all[0]+" addresses")
	case 2:
		parts = append(parts, "no IP addresses")
	}
	return strings.Join(parts, ", ")
}

// dnsAllowed applies a CA's DNS constraints to a lower-case name.
func dnsAllowed(ca *x509.Certificate, name string) bool {
	if len(ca.PermittedDNSDomains) > 0 && !withinAny(name, ca.PermittedDNSDomains) {
		return false
	}
	return !withinAny(name, ca.ExcludedDNSDomains)
}

// ipAllowed applies a CA's IP constraints to an address. An address never matches a range of
// the other family, as RFC 5280, Go and OpenSSL agree.
func ipAllowed(ca *x509.Certificate, addr netip.Addr) bool {
	if len(ca.PermittedIPRanges) > 0 && !inRanges(addr, ca.PermittedIPRanges) {
		return false
	}
	return !inRanges(addr, ca.ExcludedIPRanges)
}

func inRanges(addr netip.Addr, ranges []*net.IPNet) bool {
	for _, n := range ranges {
		if p, ok := prefixOf(n); ok && p.Contains(addr) {
			return true
		}
	}
	return false
}

// withinAny reports whether a name falls in one of the DNS subtrees: "example.com" holds itself
// and its subdomains, ".example.com" only its subdomains, and "" every name.
func withinAny(name string, domains []string) bool {
	for _, d := range domains {
		d = strings.ToLower(d)
		switch {
		case d == allDNS:
			return true
		case strings.HasPrefix(d, "."):
			if strings.HasSuffix(name, d) {
				return true
			}
		case name == d || strings.HasSuffix(name, "."+d):
			return true
		}
	}
	return false
}

// cnLooksLikeDNS mirrors OpenSSL's test for whether a subject CN is checked against DNS name
// constraints: letters, digits, '_', '-' and '.', at least one dot, no dot or hyphen at either
// end, and no empty label or label ending in '-' before a dot. A CN such as "My Service" or
// "localhost" is not a host name to OpenSSL; 127.0.0.1 is.
func cnLooksLikeDNS(cn string) bool {
	dot := false
	for i := 0; i < len(cn); i++ {
		c := cn[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			continue
		case i == 0 || i == len(cn)-1:
			return false
		case c == '-':
			continue
		case c == '.' && cn[i+1] != '.' && cn[i-1] != '-' && cn[i-1] != '.':
			dot = true
			continue
		}
		return false
	}
	return dot
}

// inheritConstraints narrows an intermediate's requested constraints under its parent: with
// none asked for, it inherits the nearest ones above it; any it asks for must lie within what
// the parent and the CAs above it permit.
func inheritConstraints(parent Issuer, req NameConstraints) (NameConstraints, error) {
	cas := append([]*x509.Certificate{parent.Cert}, parent.Chain...)
	if req.Empty() {
		for _, ca := range cas {
			if hasConstraints(ca) {
				req = constraintsOf(ca)
				break
			}
		}
	}
	for _, ca := range cas {
		if !hasConstraints(ca) {
			continue
		}
		for _, d := range req.DNS {
			// ".example.com" holds only subdomains: a name one label below stands for them.
			probe := strings.ToLower(d)
			if strings.HasPrefix(probe, ".") {
				probe = "x" + probe
			}
			if !dnsAllowed(ca, probe) {
				return NameConstraints{}, profileErrorf("name constraint %q is outside the names the parent CA %q permits (%s)", d, dn.Subject(ca), describeConstraints(ca))
			}
		}
		for _, p := range req.IPs {
			if !prefixAllowed(ca, p) {
				return NameConstraints{}, profileErrorf("name constraint %q is outside the names the parent CA %q permits (%s)", p, dn.Subject(ca), describeConstraints(ca))
			}
		}
	}
	return req, nil
}

// prefixAllowed reports whether a whole range lies within the CA's permitted ranges and
// overlaps none of its excluded ones.
func prefixAllowed(ca *x509.Certificate, p netip.Prefix) bool {
	if len(ca.PermittedIPRanges) > 0 {
		within := false
		for _, n := range ca.PermittedIPRanges {
			if q, ok := prefixOf(n); ok && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
				within = true
				break
			}
		}
		if !within {
			return false
		}
	}
	for _, n := range ca.ExcludedIPRanges {
		if q, ok := prefixOf(n); ok && q.Overlaps(p) {
			return false
		}
	}
	return true
}
