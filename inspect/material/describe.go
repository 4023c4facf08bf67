package material

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// KeyAlgorithm is what kind of key a public key is: the one description every report uses.
type KeyAlgorithm struct {
	// Type is "ECDSA", "RSA", "Ed25519" or "X25519" (or the Go type of anything else).
	Type string
	// Bits is the key size: the modulus for RSA, the curve's for ECDSA, 256 for Ed25519 and
	// 253 for X25519 (as OpenSSL counts them).
	Bits int
	// Curve is the ECDSA curve ("P-256"), empty for other keys.
	Curve string
}

// DescribeKey says what kind of key pub is.
func DescribeKey(pub crypto.PublicKey) KeyAlgorithm {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		a := KeyAlgorithm{Type: "ECDSA"}
		if k.Curve != nil {
			a.Bits, a.Curve = k.Curve.Params().BitSize, k.Curve.Params().Name
		}
		return a
	case *rsa.PublicKey:
		return KeyAlgorithm{Type: "RSA", Bits: RSABits(k)}
	case ed25519.PublicKey:
		return KeyAlgorithm{Type: "Ed25519", Bits: 256}
	case *ecdh.PublicKey:
		if k.Curve() == ecdh.X25519() {
			return KeyAlgorithm{Type: "X25519", Bits: 253}
		}
		return KeyAlgorithm{Type: fmt.Sprintf("%T", pub)}
	default:
		return KeyAlgorithm{Type: fmt.Sprintf("%T", pub)}
	}
}

// String names the key the way people say it: "ECDSA P-256", "RSA 2048", "Ed25519".
func (a KeyAlgorithm) String() string {
	switch {
	case a.Curve != "":
		return a.Type + " " + a.Curve
	case a.Type == "RSA" && a.Bits > 0:
		return fmt.Sprintf("RSA %d", a.Bits)
	}
	return a.Type
}

// DescribePublicKey is DescribeKey(pub).String().
func DescribePublicKey(pub crypto.PublicKey) string { return DescribeKey(pub).String() }

// RSABits is the size of an RSA public key, 0 for any other kind.
func RSABits(pub crypto.PublicKey) int {
	if k, ok := pub.(*rsa.PublicKey); ok && k.N != nil {
		return k.N.BitLen()
	}
	return 0
}

// Fingerprint is the SHA-256 of a certificate's DER, as colon-separated upper-case hex (the form
// openssl x509 -fingerprint -sha256 prints).
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return ColonHex(sum[:])
}

// ColonHex writes bytes as colon-separated upper-case hex, as openssl prints digests and key IDs.
func ColonHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	var s strings.Builder
	for i, c := range b {
		if i > 0 {
			s.WriteByte(':')
		}
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&0xf])
	}
	return s.String()
}

// SANStrings lists subject alternative names as OpenSSL prints them ("DNS:example.com",
// "email:a@example.com", "IP:127.0.0.1", "URI:spiffe://..."), by kind in that order (how Go
// encodes them): the form of certgen's summaries and of inspect's request view.
func SANStrings(dnsNames, emails []string, ips []net.IP, uris []*url.URL) []string {
	var out []string
	for _, d := range dnsNames {
		out = append(out, "DNS:"+d)
	}
	for _, e := range emails {
		out = append(out, "email:"+e)
	}
	for _, ip := range ips {
		out = append(out, "IP:"+ip.String())
	}
	for _, u := range uris {
		out = append(out, "URI:"+u.String())
	}
	return out
}
