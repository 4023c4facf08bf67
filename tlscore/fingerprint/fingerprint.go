// Package fingerprint computes the JA3 and JA4 TLS client fingerprints of a decoded
// ClientHello, so tlskit's serve command can show a client what a server-side observer
// learns about it from its first flight alone.
//
// JA3 (Salesforce, 2017) joins the ClientHello's version, cipher suites, extension types,
// supported groups and EC point formats in wire order as decimal numbers and takes the MD5
// of the result. JA4 (FoxIO, technical_details/JA4.md in github.com/FoxIO-LLC/ja4) replaces
// it: a readable prefix (transport, version, SNI, counts, ALPN) followed by truncated
// SHA-256 hashes of the sorted cipher list and of the sorted extension list plus the
// signature algorithms, so a client that shuffles its extensions (as Chrome has done since
// 2023) keeps one fingerprint.
//
// Both methods ignore GREASE values (RFC 8701) everywhere, because clients pick them at
// random per connection and they would otherwise make every hello unique. Both work on the
// fields [wire.ParseClientHello] decodes; they never fail, since any hello wire accepts has
// a fingerprint.
package fingerprint

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// JA3 returns the JA3 string (SSLVersion,Ciphers,Extensions,EllipticCurves,
// EllipticCurvePointFormats — decimal, '-' separated, GREASE removed) and its MD5 hash
// (lower-case hex).
//
// SSLVersion is legacy_version, not the supported_versions extension: JA3 predates TLS 1.3
// and its published fingerprints were all computed that way, so every TLS 1.3 client shows
// 771 here. A field with no values is left empty, as the JA3 specification's
// "769,4-5-10-9-100-98-3-6-19-18-99,,," example shows for a hello without extensions.
func JA3(ch *wire.ClientHello) (text, hash string) {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(ch.LegacyVersion)))
	b.WriteByte(',')
	writeDecimal(&b, ch.CipherSuites)
	b.WriteByte(',')
	types := make([]uint16, 0, len(ch.Extensions))
	for _, e := range ch.Extensions {
		types = append(types, e.Type)
	}
	writeDecimal(&b, types)
	b.WriteByte(',')
	writeDecimal(&b, ch.SupportedGroups)
	b.WriteByte(',')
	// Point formats are 8-bit code points, outside GREASE's 16-bit pattern, so none is dropped.
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(f)))
	}
	text = b.String()
	// MD5 is what JA3 is defined with; it names a fingerprint, it does not protect anything.
	sum := md5.Sum([]byte(text))
	return text, hex.EncodeToString(sum[:])
}

// writeDecimal writes the non-GREASE values of l in order, '-' separated.
func writeDecimal(b *strings.Builder, l []uint16) {
	first := true
	for _, v := range l {
		if wire.IsGREASE(v) {
			continue
		}
		if !first {
			b.WriteByte('-')
		}
		first = false
		b.WriteString(strconv.Itoa(int(v)))
	}
}

// JA4 returns the JA4 fingerprint (e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1") for a
// ClientHello received over TCP ('t'; quic selects 'q'), and the raw, unhashed "JA4_r" form
// with the sorted cipher and extension lists and the signature algorithms in wire order,
// e.g. "t13d1516h2_002f,0035,…_0005,000a,…_0403,0804,…".
//
// The raw form has the same a_b_c layout; when the hello has no signature algorithms its
// c part is just the extension list, and lists with no values are empty (where the hashed
// form shows "000000000000").
func JA4(ch *wire.ClientHello, quic bool) (fp, raw string) {
	proto := "t"
	if quic {
		proto = "q"
	}
	ciphers := withoutGREASE(ch.CipherSuites)
	dest := "i" // the client dialled an IP address, or did not say
	var exts, hashedExts []uint16
	for _, e := range ch.Extensions {
		if wire.IsGREASE(e.Type) {
			continue
		}
		exts = append(exts, e.Type)
		switch e.Type {
		case wire.ExtServerName:
			dest = "d"
		case wire.ExtALPN:
			// Left out of the hash (as is SNI) because part a already shows it, so one
			// application keeps one part c whatever host or protocol it asks for.
		default:
			hashedExts = append(hashedExts, e.Type)
		}
	}
	a := proto + ja4Version(ch) + dest + count2(len(ciphers)) + count2(len(exts)) + ja4ALPN(ch.ALPN)

	// Sorting 16-bit values numerically orders them exactly as the spec's "sorted in hex
	// order" of fixed-width lower-case hex strings does.
	slices.Sort(ciphers)
	slices.Sort(hashedExts)
	cipherList := hexList(ciphers)
	c := hexList(hashedExts)
	// Signature algorithms keep their wire order: the order is the client's preference and
	// is what keeps fingerprints distinct once the extensions are sorted.
	if sigs := hexList(withoutGREASE(ch.SignatureAlgorithms)); sigs != "" {
		c += "_" + sigs
	}
	partC := hash12(c)
	if len(hashedExts) == 0 {
		// The spec sets c to zeros when the sorted extension list is empty, whatever else.
		partC = zeroHash
	}
	return a + "_" + hash12(cipherList) + "_" + partC, a + "_" + cipherList + "_" + c
}

// zeroHash stands for an empty list: the spec prefers it to the hash of "" because it
// makes "no values" obvious to a reader.
const zeroHash = "000000000000"

// hash12 is the first 12 lower-case hex digits of the SHA-256 of s, or zeroHash for "".
func hash12(s string) string {
	if s == "" {
		return zeroHash
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// ja4Version maps the offered version to JA4's two characters. The highest non-GREASE
// supported_versions entry wins because a TLS 1.3 client must keep legacy_version at
// TLS 1.2; without that extension legacy_version is the offer. A supported_versions
// holding only GREASE offers nothing, so legacy_version is used then too. The record
// layer's version is ignored, as the spec says.
func ja4Version(ch *wire.ClientHello) string {
	v, found := uint16(0), false
	for _, sv := range ch.SupportedVersions {
		if !wire.IsGREASE(sv) && (!found || sv > v) {
			v, found = sv, true
		}
	}
	if !found {
		v = ch.LegacyVersion
	}
	switch v {
	case wire.VersionTLS13:
		return "13"
	case wire.VersionTLS12:
		return "12"
	case wire.VersionTLS11:
		return "11"
	case wire.VersionTLS10:
		return "10"
	case wire.VersionSSL30:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// count2 renders a count as two digits, capped at 99 as the spec requires (no real client
// offers that many, but a hostile one may).
func count2(n int) string {
	n = min(n, 99)
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// ja4ALPN returns the first and last characters of the first ALPN protocol, "00" if there
// is none. When either end is not an ASCII letter or digit, it returns the first and last
// hex digits of the protocol's bytes instead (the high nibble of the first byte and the low
// nibble of the last), so the fingerprint stays printable and fixed-width whatever bytes
// the client sent. A one-byte protocol supplies both characters.
func ja4ALPN(alpn []string) string {
	if len(alpn) == 0 || alpn[0] == "" {
		return "00"
	}
	p := alpn[0]
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return string([]byte{first, last})
	}
	const digits = "0123456789abcdef"
	return string([]byte{digits[first>>4], digits[last&0x0f]})
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

func withoutGREASE(l []uint16) []uint16 {
	out := make([]uint16, 0, len(l))
	for _, v := range l {
		if !wire.IsGREASE(v) {
			out = append(out, v)
		}
	}
	return out
}

// hexList renders values as comma-separated 4-digit lower-case hex, JA4's list format.
func hexList(l []uint16) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 5*len(l))
	for i, v := range l {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	return string(out)
}
