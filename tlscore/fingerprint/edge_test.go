package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// without returns l less the given values, for deriving edge cases from the spec example.
func without(l []uint16, drop ...uint16) []uint16 {
	var out []uint16
next:
	for _, v := range l {
		for _, d := range drop {
			if v == d {
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}

func seq(from uint16, n int) []uint16 {
	out := make([]uint16, n)
	for i := range out {
		out[i] = from + uint16(i)
	}
	return out
}

func sha12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func TestJA4EdgeCases(t *testing.T) {
	noSNI := chromeHello()
	noSNI.exts = without(chromeExts, 0x0000)
	noALPN := chromeHello()
	noALPN.exts = without(chromeExts, 0x0010)
	tls12 := hello{version: wire.VersionTLS12, ciphers: []uint16{0xc02b, 0xc02f, 0x009c},
		exts: []uint16{0x0000, 0x000a, 0x000b, 0x000d, 0x0017, 0xff01}, sigs: []uint16{0x0403, 0x0401}}
	manyCiphers := hello{version: wire.VersionTLS12, ciphers: seq(1, 120), exts: []uint16{}}
	manyExts := hello{version: wire.VersionTLS12, ciphers: []uint16{0x002f}, exts: seq(0xe000, 105)}
	noSigs := hello{version: wire.VersionTLS12, ciphers: []uint16{0x1301, 0x002f},
		exts: []uint16{0x0000, 0x0010, 0x002b, 0x000a, 0x0033}, alpn: h2}
	onlySNIALPN := hello{version: wire.VersionTLS12, ciphers: []uint16{0x002f},
		exts: []uint16{0x0010, 0x0000}, alpn: h2}
	allGREASE := hello{version: wire.VersionTLS12, ciphers: []uint16{0x0a0a, 0x1a1a}, exts: []uint16{0x2a2a}}

	tests := []struct {
		name    string
		h       hello
		quic    bool
		wantFP  string // a prefix when wantRaw is set and the hash is checked through it
		wantRaw string
	}{
		{name: "no SNI", h: noSNI, wantFP: "t13i1515h2_8daaf6152771_e5627efa2ab1"},
		{name: "no ALPN", h: noALPN, wantFP: "t13d151500_8daaf6152771_e5627efa2ab1"},
		{name: "QUIC", h: chromeHello(), quic: true, wantFP: "q13d1516h2_8daaf6152771_e5627efa2ab1"},
		{
			name: "TLS 1.2 only", h: tls12,
			wantFP:  "t12d0306" + "00_" + sha12("009c,c02b,c02f") + "_" + sha12("000a,000b,000d,0017,ff01_0403,0401"),
			wantRaw: "t12d030600_009c,c02b,c02f_000a,000b,000d,0017,ff01_0403,0401",
		},
		{
			name: "more than 99 ciphers", h: manyCiphers,
			wantFP:  "t12i990000_" + sha12(hexList(seq(1, 120))) + "_000000000000",
			wantRaw: "t12i990000_" + hexList(seq(1, 120)) + "_",
		},
		{
			name: "more than 99 extensions", h: manyExts,
			wantFP:  "t12i019900_" + sha12("002f") + "_" + sha12(hexList(seq(0xe000, 105))),
			wantRaw: "t12i019900_002f_" + hexList(seq(0xe000, 105)),
		},
		{
			// No signature_algorithms: part c is the extension list alone, with no '_'.
			name: "no signature algorithms", h: noSigs,
			wantFP:  "t13d0205h2_" + sha12("002f,1301") + "_" + sha12("000a,002b,0033"),
			wantRaw: "t13d0205h2_002f,1301_000a,002b,0033",
		},
		{
			// SNI and ALPN are counted but not hashed, leaving an empty list: zeros.
			name: "only SNI and ALPN", h: onlySNIALPN,
			wantFP:  "t12d0102h2_" + sha12("002f") + "_000000000000",
			wantRaw: "t12d0102h2_002f_",
		},
		{
			name: "no extensions block", h: hello{version: wire.VersionTLS10, ciphers: []uint16{0x002f}},
			wantFP:  "t10i010000_" + sha12("002f") + "_000000000000",
			wantRaw: "t10i010000_002f_",
		},
		{
			name: "only GREASE", h: allGREASE,
			wantFP:  "t12i000000_000000000000_000000000000",
			wantRaw: "t12i000000__",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.h.body()
			fp, raw := JA4(parse(t, body), tt.quic)
			if fp != tt.wantFP {
				t.Errorf("JA4 = %s, want %s", fp, tt.wantFP)
			}
			if tt.wantRaw != "" && raw != tt.wantRaw {
				t.Errorf("JA4_r =\n%s\nwant\n%s", raw, tt.wantRaw)
			}
			checkAgainstReference(t, body, tt.quic)
		})
	}
}

// TestJA4Version covers the version rules: the highest non-GREASE supported_versions
// entry, else legacy_version, mapped by the spec's table with "00" for anything else.
func TestJA4Version(t *testing.T) {
	tests := []struct {
		legacy   uint16
		versions []uint16 // nil: no supported_versions extension
		want     string
	}{
		{0x0303, nil, "12"},
		{0x0302, nil, "11"},
		{0x0301, nil, "10"},
		{0x0300, nil, "s3"},
		{0x0304, nil, "13"}, // odd, but legacy_version is all there is
		{0x0303, []uint16{0x0303}, "12"},
		{0x0303, []uint16{0x0303, 0x0304}, "13"}, // highest, not first
		{0x0303, []uint16{0x1a1a, 0x0304, 0x0303}, "13"},
		{0x0303, []uint16{0xfafa}, "12"}, // only GREASE: fall back to legacy_version
		{0x0301, []uint16{0x0302, 0x0301}, "11"},
		{0x0303, []uint16{0x0304, 0x7f1c}, "00"}, // a TLS 1.3 draft number is highest and unknown
		{0x0303, []uint16{0x0305}, "00"},
		{0x0002, nil, "s2"},
		{0xfefd, nil, "d2"},
		{0xfefd, []uint16{0xfefc}, "d3"},
		{0xfeff, nil, "d1"},
	}
	for _, tt := range tests {
		h := hello{version: tt.legacy, ciphers: []uint16{0x002f}, versions: tt.versions, exts: []uint16{}}
		if tt.versions != nil {
			h.exts = []uint16{0x002b}
		}
		body := h.body()
		fp, _ := JA4(parse(t, body), false)
		if got := fp[1:3]; got != tt.want {
			t.Errorf("legacy %#04x, supported_versions %#04x: version %q, want %q", tt.legacy, tt.versions, got, tt.want)
		}
		checkAgainstReference(t, body, false)
	}
}

// TestJA4ALPN uses the JA4 specification's "ALPN Extension Value" examples (the byte
// strings and their expected two characters are the spec's), plus the plain cases it
// describes in words.
func TestJA4ALPN(t *testing.T) {
	tests := []struct {
		alpn []byte
		want string
	}{
		{[]byte("h2"), "h2"},
		{[]byte("http/1.1"), "h1"},
		{[]byte("h3"), "h3"},
		{[]byte("x"), "xx"},  // a single character is both first and last
		{[]byte("H2"), "H2"}, // upper-case letters are alphanumeric (0x41-0x5A) and kept
		{[]byte{0xAB}, "ab"},
		{[]byte{0xAB, 0xCD}, "ad"},
		{[]byte{0x30, 0xAB}, "3b"},
		{[]byte{0x30, 0x31, 0xAB, 0xCD}, "3d"},
		{[]byte{0x30, 0xAB, 0xCD, 0x31}, "01"},
		{[]byte("/h2"), "22"},      // '/' first: hex of "/h2" is 2f6832
		{[]byte("h2-"), "6d"},      // '-' last: hex of "h2-" is 68322d
		{[]byte{0x0a, 0x0a}, "0a"}, // an RFC 8701 GREASE ALPN value is a first value like any other
	}
	for _, tt := range tests {
		h := chromeHello()
		h.alpn = [][]byte{tt.alpn, []byte("http/1.1")}
		body := h.body()
		fp, _ := JA4(parse(t, body), false)
		if got := fp[8:10]; got != tt.want {
			t.Errorf("ALPN %q: %q, want %q", tt.alpn, got, tt.want)
		}
		checkAgainstReference(t, body, false)
	}
}

func TestJA3EdgeCases(t *testing.T) {
	tests := []struct {
		name string
		h    hello
		want string
	}{
		{
			name: "extensions but no groups or point formats",
			h:    hello{version: wire.VersionTLS12, ciphers: []uint16{0x1301}, exts: []uint16{0x0000, 0x0017}},
			want: "771,4865,0-23,,",
		},
		{
			name: "GREASE dropped from every 16-bit list",
			h: hello{version: wire.VersionTLS12, ciphers: []uint16{0x0a0a, 0x1301}, groups: []uint16{0x1a1a, 29},
				pointFormats: []byte{0, 1, 2}, exts: []uint16{0x2a2a, 0x000a, 0x000b, 0x3a3a}},
			want: "771,4865,10-11,29,0-1-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.h.body()
			text, hash := JA3(parse(t, body))
			if text != tt.want {
				t.Errorf("JA3 text = %s, want %s", text, tt.want)
			}
			if len(hash) != 32 || strings.Trim(hash, "0123456789abcdef") != "" {
				t.Errorf("JA3 hash %q is not 32 lower-case hex digits", hash)
			}
			checkAgainstReference(t, body, false)
		})
	}
}
