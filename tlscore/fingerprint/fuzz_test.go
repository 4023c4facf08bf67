package fingerprint

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"testing"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// ja4Pattern is the shape of every JA4: the version set is the spec's whole table, and the
// ALPN characters are ASCII letters or digits when copied from the protocol name, else
// lower-case hex digits, which [0-9A-Za-z] covers.
var ja4Pattern = regexp.MustCompile(`^[tq](13|12|11|10|s3|s2|d1|d2|d3|00)[di]\d\d\d\d[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)

// FuzzFingerprints feeds random bodies to wire.ParseClientHello; for every one it accepts,
// JA3 and JA4 must not panic, JA4 must have the spec's shape, the JA3 hash must be the MD5
// of its text, and both must agree with the independent raw-bytes implementation.
func FuzzFingerprints(f *testing.F) {
	f.Add(chromeHello().body())
	f.Add(hello{version: wire.VersionTLS10, ciphers: []uint16{4, 5, 10}}.body())
	f.Add(hello{version: wire.VersionTLS12, ciphers: []uint16{0x0a0a, 0x1301}, alpn: [][]byte{{0xab, 0x30}},
		exts: []uint16{0x2a2a, 0x0010, 0x002b, 0x000a, 0x000b}, versions: []uint16{0x3a3a, 0x0304}}.body())
	if msg, err := wire.MarshalClientHello(wire.ClientHelloSpec{
		CipherSuites: []uint16{0x1301}, ServerName: "fuzz.test", ALPN: []string{"h2"},
		SignatureAlgorithms: []uint16{0x0403}, SupportedVersions: []uint16{0x0304},
	}); err == nil {
		f.Add(msg[4:])
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ch, err := wire.ParseClientHello(body)
		if err != nil {
			return
		}
		text, hash := JA3(ch)
		if sum := md5.Sum([]byte(text)); hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("JA3 hash %s is not the MD5 of %q", hash, text)
		}
		for _, quic := range []bool{false, true} {
			fp, _ := JA4(ch, quic)
			if !ja4Pattern.MatchString(fp) {
				t.Fatalf("JA4 %q does not match %s", fp, ja4Pattern)
			}
			checkAgainstReference(t, body, quic)
		}
	})
}
