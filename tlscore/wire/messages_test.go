package wire

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// Test inputs are built with cryptobyte.Builder so every length prefix is computed, not
// typed, and a test fails only because of the byte it sets out to corrupt.

type bld = cryptobyte.Builder

func build(f func(b *bld)) []byte {
	var b bld
	f(&b)
	return b.BytesOrPanic()
}

// u8p, u16p and u24p add a length-prefixed block; a nil f adds an empty one.
func u8p(b *bld, f func(b *bld))  { b.AddUint8LengthPrefixed(orEmpty(f)) }
func u16p(b *bld, f func(b *bld)) { b.AddUint16LengthPrefixed(orEmpty(f)) }
func u24p(b *bld, f func(b *bld)) { b.AddUint24LengthPrefixed(orEmpty(f)) }

func orEmpty(f func(b *bld)) func(b *bld) {
	if f == nil {
		return func(*bld) {}
	}
	return f
}
func raw(p []byte) func(b *bld) { return func(b *bld) { b.AddBytes(p) } }
func u16s(vs ...uint16) func(b *bld) {
	return func(b *bld) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	}
}

type ext struct {
	typ  uint16
	data []byte
}

func extBlock(exts ...ext) func(b *bld) {
	return func(b *bld) {
		u16p(b, func(b *bld) {
			for _, e := range exts {
				b.AddUint16(e.typ)
				u16p(b, raw(e.data))
			}
		})
	}
}

var (
	testRandom = bytes.Repeat([]byte{0x11}, 32)
	testSID    = bytes.Repeat([]byte{0x22}, 32)
)

func chBody(suites []uint16, exts ...ext) []byte {
	return build(func(b *bld) {
		b.AddUint16(0x0303)
		b.AddBytes(testRandom)
		u8p(b, raw(testSID))
		u16p(b, u16s(suites...))
		u8p(b, raw([]byte{0}))
		if exts != nil {
			extBlock(exts...)(b)
		}
	})
}

func sniData(names ...string) []byte {
	return build(func(b *bld) {
		u16p(b, func(b *bld) {
			for _, n := range names {
				b.AddUint8(0)
				u16p(b, raw([]byte(n)))
			}
		})
	})
}

func alpnData(protos ...string) []byte {
	return build(func(b *bld) {
		u16p(b, func(b *bld) {
			for _, p := range protos {
				u8p(b, raw([]byte(p)))
			}
		})
	})
}

func u16ListData(lenBytes int, vs ...uint16) []byte {
	return build(func(b *bld) {
		if lenBytes == 1 {
			u8p(b, u16s(vs...))
		} else {
			u16p(b, u16s(vs...))
		}
	})
}

func keyShareData(entries ...KeyShareSpec) []byte {
	return build(func(b *bld) {
		u16p(b, func(b *bld) {
			for _, e := range entries {
				b.AddUint16(e.Group)
				u16p(b, raw(e.PublicKey))
			}
		})
	})
}

func pskData(ids, binders int) []byte {
	return build(func(b *bld) {
		u16p(b, func(b *bld) {
			for i := 0; i < ids; i++ {
				u16p(b, raw([]byte("ticket")))
				b.AddUint32(1234)
			}
		})
		u16p(b, func(b *bld) {
			for i := 0; i < binders; i++ {
				u8p(b, raw(make([]byte, 32)))
			}
		})
	})
}

// wantDecodeError fails unless err is a *DecodeError whose text contains sub.
func wantDecodeError(t *testing.T, err error, sub string) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error = %v (%T), want *DecodeError", err, err)
	}
	if !strings.Contains(err.Error(), sub) {
		t.Errorf("error %q does not mention %q", err, sub)
	}
}

func TestParseClientHello(t *testing.T) {
	rsl := []byte{0x40, 0x01}
	body := chBody([]uint16{0x1301, 0xc02b, 0x00ff},
		ext{0x0a0a, nil},
		ext{ExtServerName, sniData("example.com")},
		ext{ExtExtendedMasterSecret, nil},
		ext{ExtRenegotiationInfo, []byte{0}},
		ext{ExtSupportedGroups, u16ListData(2, 0x11ec, 29, 23)},
		ext{ExtECPointFormats, []byte{1, 0}},
		ext{ExtSessionTicket, nil},
		ext{ExtALPN, alpnData("h2", "http/1.1")},
		ext{ExtStatusRequest, []byte{1, 0, 0, 0, 0}},
		ext{ExtSignatureAlgorithms, u16ListData(2, 0x0403, 0x0804, 0x0401)},
		ext{ExtSignatureAlgorithmsCert, u16ListData(2, 0x0403)},
		ext{ExtSCT, nil},
		ext{ExtKeyShare, keyShareData(KeyShareSpec{0x11ec, make([]byte, 1216)}, KeyShareSpec{29, make([]byte, 32)})},
		ext{ExtPSKKeyExchangeModes, []byte{1, 1}},
		ext{ExtSupportedVersions, u16ListData(1, 0x0304, 0x0303)},
		ext{ExtCompressCertificate, u16ListData(1, 2)},
		ext{ExtApplicationSettings, alpnData("h2")},
		ext{ExtEncryptedClientHello, append([]byte{0, 0, 1, 0, 3, 7, 0, 2, 0xaa, 0xbb, 0, 3}, 1, 2, 3)},
		ext{ExtRecordSizeLimit, rsl},
		ext{ExtEarlyData, nil},
		ext{ExtEncryptThenMAC, nil},
		ext{ExtPostHandshakeAuth, nil},
		ext{ExtCookie, build(func(b *bld) { u16p(b, raw([]byte("cookie"))) })},
		ext{ExtPadding, make([]byte, 17)},
		ext{ExtPreSharedKey, pskData(2, 2)},
	)
	ch, err := ParseClientHello(body)
	if err != nil {
		t.Fatal(err)
	}
	limit := uint16(0x4001)
	want := &ClientHello{
		LegacyVersion:           0x0303,
		LegacyVersionName:       "TLS 1.2",
		Random:                  testRandom,
		SessionID:               testSID,
		SessionIDLength:         32,
		CipherSuites:            []uint16{0x1301, 0xc02b, 0x00ff},
		CompressionMethods:      Uint8List{0},
		ServerName:              "example.com",
		SupportedVersions:       []uint16{0x0304, 0x0303},
		SupportedGroups:         []uint16{0x11ec, 29, 23},
		SignatureAlgorithms:     []uint16{0x0403, 0x0804, 0x0401},
		SignatureAlgorithmsCert: []uint16{0x0403},
		ALPN:                    []string{"h2", "http/1.1"},
		PSKKeyExchangeModes:     Uint8List{1},
		ECPointFormats:          Uint8List{0},
		EarlyData:               true,
		SessionTicket:           true,
		StatusRequest:           true,
		RenegotiationInfo:       true,
		ExtendedMasterSecret:    true,
		EncryptThenMAC:          true,
		PostHandshakeAuth:       true,
		RecordSizeLimit:         &limit,
		CompressCertificate:     []uint16{2},
		EncryptedClientHello:    true,
		ECH:                     &ECHClientHello{Type: "outer", CipherSuite: HPKESuite{KDF: 1, AEAD: 3}, ConfigID: 7, EncLength: 2, PayloadLength: 3},
		PSKIdentities:           2,
		CookieLength:            6,
		PaddingLength:           17,
		ApplicationSettings:     []string{"h2"},
	}
	gotKS := ch.KeyShares
	ch.KeyShares, ch.Extensions = nil, nil
	if !reflect.DeepEqual(ch, want) {
		t.Errorf("ParseClientHello =\n%+v\nwant\n%+v", ch, want)
	}
	if len(gotKS) != 2 || gotKS[0].Group != 0x11ec || gotKS[0].Length != 1216 || gotKS[0].GroupName != "X25519MLKEM768" ||
		gotKS[1].Group != 29 || gotKS[1].Length != 32 {
		t.Errorf("key shares = %+v", gotKS)
	}
	ch, _ = ParseClientHello(body)
	if len(ch.Extensions) != 25 || ch.Extensions[0].Name != "GREASE" || ch.Extensions[1].Name != "server_name" ||
		ch.Extensions[24].Type != ExtPreSharedKey || ch.Extensions[12].Length != 4+1216+4+32+2 {
		t.Errorf("extension list order/lengths wrong: %+v", ch.Extensions[:3])
	}

	js, err := json.Marshal(ch)
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range []string{
		`"legacy_version":771`, `"random":"1111111111111111111111111111111111111111111111111111111111111111"`,
		`"compression_methods":[0]`, `"cipher_suites":[4865,49195,255]`, `"server_name":"example.com"`,
		`{"type":0,"name":"server_name","length":16}`, `"key_shares":[{"group":4588,"group_name":"X25519MLKEM768","length":1216}`,
		`"psk_key_exchange_modes":[1]`, `"record_size_limit":16385`,
	} {
		if !strings.Contains(string(js), frag) {
			t.Errorf("JSON lacks %s:\n%s", frag, js)
		}
	}
}

func TestParseClientHelloNoExtensions(t *testing.T) {
	ch, err := ParseClientHello(chBody([]uint16{0x000a}))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Extensions) != 0 || ch.Extensions == nil || ch.CipherSuites[0] != 0x000a {
		t.Errorf("got %+v", ch)
	}
	// An empty extensions block is also legal.
	if _, err := ParseClientHello(chBody([]uint16{0x000a}, []ext{}...)); err != nil {
		t.Errorf("empty block: %v", err)
	}
}

func TestParseClientHelloErrors(t *testing.T) {
	good := chBody([]uint16{0x1301}, ext{ExtServerName, sniData("a.example")})
	tests := []struct {
		name string
		body []byte
		sub  string
	}{
		{"empty", nil, "truncated before legacy_version"},
		{"short random", good[:20], "truncated random"},
		{"session id too long", build(func(b *bld) {
			b.AddUint16(0x0303)
			b.AddBytes(testRandom)
			u8p(b, raw(make([]byte, 33)))
		}), "session_id is 33 bytes"},
		{"session id overruns", append(append([]byte{3, 3}, testRandom...), 20, 1, 2), "session_id length exceeds"},
		{"odd suites", build(func(b *bld) {
			b.AddUint16(0x0303)
			b.AddBytes(testRandom)
			u8p(b, nil)
			u16p(b, raw([]byte{0x13, 0x01, 0x00}))
			u8p(b, raw([]byte{0}))
		}), "cipher_suites length 3"},
		{"no suites", chBody(nil), "cipher_suites length 0"},
		{"no compression", build(func(b *bld) {
			b.AddUint16(0x0303)
			b.AddBytes(testRandom)
			u8p(b, nil)
			u16p(b, u16s(0x1301))
			u8p(b, nil)
		}), "compression_methods"},
		{"trailing", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"extensions overrun", good[:len(good)-1], "extensions: length exceeds"},
		{"truncated extension", append(chBody([]uint16{1}), 0, 3, 0, 0, 0), "truncated extension after 0 complete ones"},
		{"duplicate", chBody([]uint16{1}, ext{ExtExtendedMasterSecret, nil}, ext{ExtExtendedMasterSecret, nil}), "duplicate extended_master_secret"},
		{"two host names", chBody([]uint16{1}, ext{ExtServerName, sniData("a", "b")}), "server_name extension: more than one host_name"},
		{"empty sni list", chBody([]uint16{1}, ext{ExtServerName, []byte{0, 0}}), "server_name"},
		{"empty host", chBody([]uint16{1}, ext{ExtServerName, sniData("")}), "empty host_name"},
		{"sni trailing", chBody([]uint16{1}, ext{ExtServerName, append(sniData("a"), 0)}), "trailing"},
		{"dup key share", chBody([]uint16{1}, ext{ExtKeyShare, keyShareData(KeyShareSpec{29, []byte{1}}, KeyShareSpec{29, []byte{2}})}), "duplicate key share for x25519"},
		{"empty key share", chBody([]uint16{1}, ext{ExtKeyShare, keyShareData(KeyShareSpec{29, nil})}), "empty key_exchange"},
		{"odd versions", chBody([]uint16{1}, ext{ExtSupportedVersions, []byte{3, 3, 4, 3}}), "odd length"},
		{"empty versions", chBody([]uint16{1}, ext{ExtSupportedVersions, []byte{0}}), "empty list"},
		{"versions overrun", chBody([]uint16{1}, ext{ExtSupportedVersions, []byte{4, 3, 4}}), "length exceeds"},
		{"groups trailing", chBody([]uint16{1}, ext{ExtSupportedGroups, append(u16ListData(2, 29), 0)}), "trailing"},
		{"empty alpn name", chBody([]uint16{1}, ext{ExtALPN, alpnData("h2", "")}), "empty protocol name"},
		{"empty alpn list", chBody([]uint16{1}, ext{ExtALPN, []byte{0, 0}}), "empty protocol list"},
		{"early data with body", chBody([]uint16{1}, ext{ExtEarlyData, []byte{0}}), "must be empty"},
		{"ems with body", chBody([]uint16{1}, ext{ExtExtendedMasterSecret, []byte{0}}), "must be empty"},
		{"psk binder mismatch", chBody([]uint16{1}, ext{ExtPreSharedKey, pskData(2, 1)}), "2 identities but 1 binders"},
		{"psk empty", chBody([]uint16{1}, ext{ExtPreSharedKey, pskData(0, 0)}), "0 identities"},
		{"record size limit long", chBody([]uint16{1}, ext{ExtRecordSizeLimit, []byte{1, 2, 3}}), "trailing"},
		{"record size limit short", chBody([]uint16{1}, ext{ExtRecordSizeLimit, []byte{1}}), "truncated"},
		{"reneg overrun", chBody([]uint16{1}, ext{ExtRenegotiationInfo, []byte{5}}), "renegotiated_connection"},
		{"empty ech", chBody([]uint16{1}, ext{ExtEncryptedClientHello, nil}), "encrypted_client_hello extension: empty"},
		{"empty cookie", chBody([]uint16{1}, ext{ExtCookie, []byte{0, 0}}), "cookie"},
		{"point formats empty", chBody([]uint16{1}, ext{ExtECPointFormats, []byte{0}}), "empty list"},
		{"status request empty", chBody([]uint16{1}, ext{ExtStatusRequest, nil}), "status_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := ParseClientHello(tt.body)
			if ch != nil {
				t.Errorf("returned a hello with an error")
			}
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func shBody(random []byte, suite uint16, exts ...ext) []byte {
	return build(func(b *bld) {
		b.AddUint16(0x0303)
		b.AddBytes(random)
		u8p(b, raw(testSID))
		b.AddUint16(suite)
		b.AddUint8(0)
		if exts != nil {
			extBlock(exts...)(b)
		}
	})
}

func TestParseServerHello(t *testing.T) {
	t.Run("tls13", func(t *testing.T) {
		sh, err := ParseServerHello(shBody(testRandom, 0x1302,
			ext{ExtSupportedVersions, []byte{3, 4}},
			ext{ExtKeyShare, build(func(b *bld) { b.AddUint16(29); u16p(b, raw(make([]byte, 32))) })},
			ext{ExtPreSharedKey, []byte{0, 1}},
		))
		if err != nil {
			t.Fatal(err)
		}
		if sh.Version() != VersionTLS13 || sh.SelectedVersion != VersionTLS13 || sh.IsHelloRetryRequest ||
			sh.KeyShare == nil || sh.KeyShare.Group != 29 || sh.KeyShare.Length != 32 || sh.CipherSuiteName != "TLS_AES_256_GCM_SHA384" ||
			sh.PreSharedKey == nil || *sh.PreSharedKey != 1 || len(sh.Extensions) != 3 || sh.SessionIDLength != 32 {
			t.Errorf("got %+v", sh)
		}
	})
	t.Run("hrr", func(t *testing.T) {
		sh, err := ParseServerHello(shBody([]byte(HRRRandom), 0x1301,
			ext{ExtSupportedVersions, []byte{3, 4}},
			ext{ExtKeyShare, []byte{0, 24}},
			ext{ExtCookie, build(func(b *bld) { u16p(b, raw([]byte("abc"))) })},
		))
		if err != nil {
			t.Fatal(err)
		}
		if !sh.IsHelloRetryRequest || sh.SelectedGroup != 24 || sh.SelectedGroupName != "P-384" || sh.KeyShare != nil || sh.CookieLength != 3 {
			t.Errorf("got %+v", sh)
		}
	})
	t.Run("tls12", func(t *testing.T) {
		random := append(bytes.Repeat([]byte{1}, 24), "DOWNGRD\x01"...)
		sh, err := ParseServerHello(shBody(random, 0xc02f,
			ext{ExtRenegotiationInfo, []byte{0}},
			ext{ExtExtendedMasterSecret, nil},
			ext{ExtECPointFormats, []byte{1, 0}},
			ext{ExtSessionTicket, nil},
			ext{ExtStatusRequest, nil},
			ext{ExtServerName, nil},
			ext{ExtALPN, alpnData("http/1.1")},
			ext{ExtSCT, build(func(b *bld) { u16p(b, func(b *bld) { u16p(b, raw([]byte("sct"))) }) })},
			ext{ExtEncryptThenMAC, nil},
		))
		if err != nil {
			t.Fatal(err)
		}
		if sh.Version() != VersionTLS12 || sh.ALPN != "http/1.1" || !sh.RenegotiationInfo || !sh.ExtendedMasterSecret ||
			!sh.SessionTicket || !sh.StatusRequest || !sh.ServerNameAck || !sh.EncryptThenMAC || sh.SCTListLength != 5 ||
			sh.DowngradeSentinel != "TLS 1.2" || !reflect.DeepEqual(sh.ECPointFormats, Uint8List{0}) {
			t.Errorf("got %+v", sh)
		}
	})
	t.Run("no extensions", func(t *testing.T) {
		sh, err := ParseServerHello(shBody(testRandom, 0x000a))
		if err != nil || sh.Version() != 0x0303 || len(sh.Extensions) != 0 {
			t.Errorf("got %+v, %v", sh, err)
		}
	})

	errs := []struct {
		name string
		body []byte
		sub  string
	}{
		{"truncated", shBody(testRandom, 1)[:68], "truncated before cipher_suite"},
		{"two alpn", shBody(testRandom, 1, ext{ExtALPN, alpnData("a", "b")}), "must be exactly one"},
		{"sv trailing", shBody(testRandom, 1, ext{ExtSupportedVersions, []byte{3, 4, 0}}), "trailing"},
		{"key share truncated", shBody(testRandom, 1, ext{ExtKeyShare, []byte{0, 29, 0}}), "truncated key share"},
		{"hrr key share entry", shBody([]byte(HRRRandom), 1, ext{ExtKeyShare, []byte{0, 29, 0, 1, 5}}), "HelloRetryRequest: key_share extension: 3 trailing"},
		{"trailing", append(shBody(testRandom, 1, ext{ExtExtendedMasterSecret, nil}), 9), "trailing"},
		{"ems body", shBody(testRandom, 1, ext{ExtExtendedMasterSecret, []byte{1}}), "must be empty"},
		{"psk short", shBody(testRandom, 1, ext{ExtPreSharedKey, []byte{1}}), "selected_identity"},
		{"sct empty", shBody(testRandom, 1, ext{ExtSCT, []byte{0, 0}}), "SCT list"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseServerHello(tt.body)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func TestParseEncryptedExtensions(t *testing.T) {
	body := build(extBlock(
		ext{ExtServerName, nil},
		ext{ExtALPN, alpnData("h2")},
		ext{ExtSupportedGroups, u16ListData(2, 29, 23)},
		ext{ExtEarlyData, nil},
		ext{ExtRecordSizeLimit, []byte{0x40, 0x01}},
		ext{ExtMaxFragmentLength, []byte{2}},
		ext{ExtEncryptedClientHello, testECHConfigList(t)},
	))
	ee, err := ParseEncryptedExtensions(body)
	if err != nil {
		t.Fatal(err)
	}
	if !ee.ServerNameAck || ee.ALPN != "h2" || !reflect.DeepEqual(ee.SupportedGroups, []uint16{29, 23}) || !ee.EarlyData ||
		ee.RecordSizeLimit == nil || *ee.RecordSizeLimit != 0x4001 || ee.MaxFragmentLength != 2 || ee.ECHRetryConfigsLength != len(testECHConfigList(t)) ||
		len(ee.ECHRetryConfigs) != 1 || ee.ECHRetryConfigs[0].PublicName != "public.example" || len(ee.Extensions) != 7 {
		t.Errorf("got %+v", ee)
	}
	// Retry configs that do not decode leave the message whole, with the reason.
	bad := build(extBlock(ext{ExtEncryptedClientHello, []byte{0, 5, 1, 2, 3}}))
	if ee, err := ParseEncryptedExtensions(bad); err != nil || ee.ECHRetryConfigsLength != 5 || ee.ECHRetryConfigs != nil ||
		!strings.Contains(ee.ECHRetryConfigsError, "malformed ECHConfigList") {
		t.Errorf("malformed retry configs: %+v %v", ee, err)
	}
	if ee, err := ParseEncryptedExtensions([]byte{0, 0}); err != nil || len(ee.Extensions) != 0 {
		t.Errorf("empty: %+v %v", ee, err)
	}
	for _, tt := range []struct {
		name string
		body []byte
		sub  string
	}{
		{"empty body", nil, "extensions: length exceeds"},
		{"trailing", append(build(extBlock()), 0), "trailing"},
		{"sni with data", build(extBlock(ext{ExtServerName, []byte{0}})), "must be empty"},
		{"two alpn", build(extBlock(ext{ExtALPN, alpnData("a", "b")})), "exactly one"},
		{"mfl length", build(extBlock(ext{ExtMaxFragmentLength, []byte{1, 2}})), "must be 1 byte"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEncryptedExtensions(tt.body)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func dnDER(t *testing.T, cn string) []byte {
	t.Helper()
	der, err := asn1.Marshal(pkix.Name{CommonName: cn, Organization: []string{"Test"}}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseCertificateRequest(t *testing.T) {
	ca1, ca2 := dnDER(t, "Root A"), dnDER(t, "Root B")
	cas := build(func(b *bld) {
		u16p(b, func(b *bld) {
			u16p(b, raw(ca1))
			u16p(b, raw(ca2))
		})
	})
	t.Run("tls13", func(t *testing.T) {
		body := build(func(b *bld) {
			u8p(b, nil)
			extBlock(
				ext{ExtSignatureAlgorithms, u16ListData(2, 0x0804, 0x0403)},
				ext{ExtSignatureAlgorithmsCert, u16ListData(2, 0x0401)},
				ext{ExtCertificateAuthorities, cas},
			)(b)
		})
		cr, err := ParseCertificateRequest(body, true)
		if err != nil {
			t.Fatal(err)
		}
		if cr.Form != "tls13" || len(cr.RequestContext) != 0 || !reflect.DeepEqual(cr.SignatureAlgorithms, []uint16{0x0804, 0x0403}) ||
			!reflect.DeepEqual(cr.SignatureAlgorithmsCert, []uint16{0x0401}) || len(cr.CertificateAuthorities) != 2 ||
			!reflect.DeepEqual(cr.CertificateAuthorityNames, []string{"CN=Root A,O=Test", "CN=Root B,O=Test"}) {
			t.Errorf("got %+v", cr)
		}
	})
	t.Run("tls12", func(t *testing.T) {
		body := build(func(b *bld) {
			u8p(b, raw([]byte{1, 64}))
			u16p(b, u16s(0x0401, 0x0403))
			b.AddBytes(cas)
		})
		cr, err := ParseCertificateRequest(body, false)
		if err != nil {
			t.Fatal(err)
		}
		if cr.Form != "tls12" || !reflect.DeepEqual(cr.CertificateTypes, Uint8List{1, 64}) || len(cr.SignatureAlgorithms) != 2 ||
			len(cr.CertificateAuthorities) != 2 || !bytes.Equal(cr.CertificateAuthorities[0], ca1) {
			t.Errorf("got %+v", cr)
		}
	})
	t.Run("tls10", func(t *testing.T) {
		body := build(func(b *bld) {
			u8p(b, raw([]byte{1}))
			b.AddBytes(cas)
		})
		cr, err := ParseCertificateRequest(body, false)
		if err != nil {
			t.Fatal(err)
		}
		if cr.Form != "tls10" || cr.SignatureAlgorithms != nil || len(cr.CertificateAuthorities) != 2 {
			t.Errorf("got %+v", cr)
		}
	})
	t.Run("tls12 no CAs", func(t *testing.T) {
		cr, err := ParseCertificateRequest(build(func(b *bld) {
			u8p(b, raw([]byte{1}))
			u16p(b, u16s(0x0401))
			u16p(b, nil)
		}), false)
		if err != nil || cr.Form != "tls12" || cr.CertificateAuthorityNames != nil {
			t.Errorf("got %+v, %v", cr, err)
		}
	})
	t.Run("unparseable DN is shown, not fatal", func(t *testing.T) {
		cr, err := ParseCertificateRequest(build(func(b *bld) {
			u8p(b, raw([]byte{1}))
			u16p(b, u16s(0x0401))
			u16p(b, func(b *bld) { u16p(b, raw([]byte{0xff, 0x00})) })
		}), false)
		if err != nil || cr.CertificateAuthorityNames[0] != "unparseable name (2 bytes)" {
			t.Errorf("got %+v, %v", cr, err)
		}
	})
	for _, tt := range []struct {
		name  string
		body  []byte
		tls13 bool
		sub   string
	}{
		{"13 no sigalgs", build(func(b *bld) { u8p(b, nil); extBlock()(b) }), true, "no signature_algorithms"},
		{"13 trailing", append(build(func(b *bld) {
			u8p(b, nil)
			extBlock(ext{ExtSignatureAlgorithms, u16ListData(2, 0x0804)})(b)
		}), 0), true, "trailing"},
		{"13 empty CA list", build(func(b *bld) {
			u8p(b, nil)
			extBlock(ext{ExtSignatureAlgorithms, u16ListData(2, 0x0804)}, ext{ExtCertificateAuthorities, []byte{0, 0}})(b)
		}), true, "empty authorities"},
		{"13 context overrun", []byte{5, 1}, true, "certificate_request_context"},
		{"12 empty types", build(func(b *bld) { u8p(b, nil); u16p(b, u16s(1)); u16p(b, nil) }), false, "certificate_types"},
		{"12 trailing", build(func(b *bld) { u8p(b, raw([]byte{1})); u16p(b, u16s(1)); u16p(b, nil); b.AddUint8(0) }), false, "trailing"},
		{"12 CA overrun", build(func(b *bld) { u8p(b, raw([]byte{1})); u16p(b, u16s(1)); b.AddUint16(9) }), false, "certificate_authorities"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCertificateRequest(tt.body, tt.tls13)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func certBody(tls13 bool, ctx []byte, certs [][]byte, exts [][]ext) []byte {
	return build(func(b *bld) {
		if tls13 {
			u8p(b, raw(ctx))
		}
		u24p(b, func(b *bld) {
			for i, c := range certs {
				u24p(b, raw(c))
				if tls13 {
					var e []ext
					if i < len(exts) {
						e = exts[i]
					}
					extBlock(e...)(b)
				}
			}
		})
	})
}

func TestParseCertificate(t *testing.T) {
	leaf, inter := bytes.Repeat([]byte{0x30}, 700), bytes.Repeat([]byte{0x31}, 900)
	t.Run("tls12", func(t *testing.T) {
		c, err := ParseCertificate(certBody(false, nil, [][]byte{leaf, inter}, nil), false)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Entries) != 2 || c.Entries[0].Length != 700 || !bytes.Equal(c.Entries[1].DER, inter) || c.Entries[0].Extensions != nil {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("tls13", func(t *testing.T) {
		ocsp := build(func(b *bld) { b.AddUint8(1); u24p(b, raw([]byte("ocsp-response"))) })
		scts := build(func(b *bld) { u16p(b, func(b *bld) { u16p(b, raw([]byte("sct1"))); u16p(b, raw([]byte("sct22"))) }) })
		c, err := ParseCertificate(certBody(true, []byte{7, 7}, [][]byte{leaf, inter},
			[][]ext{{{ExtStatusRequest, ocsp}, {ExtSCT, scts}}, nil}), true)
		if err != nil {
			t.Fatal(err)
		}
		e := c.Entries[0]
		if !bytes.Equal(c.RequestContext, []byte{7, 7}) || len(c.Entries) != 2 || e.OCSPResponseLength != 13 ||
			string(e.OCSPResponse) != "ocsp-response" || e.SCTCount != 2 || string(e.SCTs[1]) != "sct22" ||
			len(e.Extensions) != 2 || len(c.Entries[1].Extensions) != 0 {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("empty chain", func(t *testing.T) {
		for _, tls13 := range []bool{false, true} {
			c, err := ParseCertificate(certBody(tls13, nil, nil, nil), tls13)
			if err != nil || len(c.Entries) != 0 || c.Entries == nil {
				t.Errorf("tls13=%v: %+v, %v", tls13, c, err)
			}
		}
	})
	for _, tt := range []struct {
		name  string
		body  []byte
		tls13 bool
		sub   string
	}{
		{"empty", nil, false, "certificate_list length exceeds"},
		{"empty cert", certBody(false, nil, [][]byte{leaf, {}}, nil), false, "certificate 1 is empty"},
		{"cert overrun", build(func(b *bld) { u24p(b, func(b *bld) { b.AddUint24(10); b.AddBytes([]byte{1, 2}) }) }), false, "certificate 0: length exceeds"},
		{"trailing", append(certBody(false, nil, [][]byte{leaf}, nil), 0), false, "trailing"},
		{"13 parsed as 12", certBody(true, nil, [][]byte{leaf}, nil), false, "trailing"},
		{"12 parsed as 13", certBody(false, nil, [][]byte{leaf}, nil), true, ""},
		{"13 missing extensions", build(func(b *bld) { u8p(b, nil); u24p(b, func(b *bld) { u24p(b, raw(leaf)) }) }), true, "extensions"},
		{"13 bad status type", certBody(true, nil, [][]byte{leaf}, [][]ext{{{ExtStatusRequest, build(func(b *bld) {
			b.AddUint8(2)
			u24p(b, raw([]byte{1}))
		})}}}), true, "status_type 2"},
		{"13 empty sct", certBody(true, nil, [][]byte{leaf}, [][]ext{{{ExtSCT, []byte{0, 2, 0, 0}}}}), true, "empty SCT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCertificate(tt.body, tt.tls13)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func TestParseCertificateStatus(t *testing.T) {
	cs, err := ParseCertificateStatus(build(func(b *bld) { b.AddUint8(1); u24p(b, raw([]byte("resp"))) }))
	if err != nil || cs.StatusType != 1 || cs.OCSPResponseLength != 4 || cs.Responses != 1 {
		t.Errorf("ocsp: %+v, %v", cs, err)
	}
	cs, err = ParseCertificateStatus(build(func(b *bld) {
		b.AddUint8(2)
		u24p(b, func(b *bld) { u24p(b, nil); u24p(b, raw([]byte("second"))) })
	}))
	if err != nil || cs.StatusType != 2 || cs.Responses != 2 || string(cs.OCSPResponse) != "second" {
		t.Errorf("ocsp_multi: %+v, %v", cs, err)
	}
	for _, tt := range []struct {
		name string
		body []byte
		sub  string
	}{
		{"empty", nil, "empty"},
		{"empty response", build(func(b *bld) { b.AddUint8(1); u24p(b, nil) }), "empty OCSP"},
		{"unknown type", build(func(b *bld) { b.AddUint8(9); u24p(b, raw([]byte{1})) }), "status_type 9"},
		{"trailing", append(build(func(b *bld) { b.AddUint8(1); u24p(b, raw([]byte{1})) }), 0), "trailing"},
		{"overrun", []byte{1, 0, 0, 9, 1}, "exceeds"},
		{"multi empty", build(func(b *bld) { b.AddUint8(2); u24p(b, nil) }), "empty ocsp_multi"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCertificateStatus(tt.body)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func ecParams(group uint16, point []byte) func(b *bld) {
	return func(b *bld) {
		b.AddUint8(3)
		b.AddUint16(group)
		u8p(b, raw(point))
	}
}

func dhParams(p, g, ys []byte) func(b *bld) {
	return func(b *bld) {
		u16p(b, raw(p))
		u16p(b, raw(g))
		u16p(b, raw(ys))
	}
}

func sig12(scheme uint16, sig []byte) func(b *bld) {
	return func(b *bld) { b.AddUint16(scheme); u16p(b, raw(sig)) }
}

func TestParseServerKeyExchange(t *testing.T) {
	point := append([]byte{4}, make([]byte, 64)...)
	p := append([]byte{0xff}, make([]byte, 255)...) // 2048-bit prime-sized value
	ecdhe := build(func(b *bld) { ecParams(23, point)(b); sig12(0x0403, make([]byte, 71))(b) })

	t.Run("ecdhe tls12", func(t *testing.T) {
		ske, err := ParseServerKeyExchange(ecdhe, "ECDHE", VersionTLS12)
		if err != nil {
			t.Fatal(err)
		}
		if ske.CurveType != 3 || ske.Group != 23 || ske.GroupName != "P-256" || ske.PublicKeyLength != 65 || !ske.Signed ||
			ske.SignatureScheme != 0x0403 || ske.SignatureSchemeName != "ecdsa_secp256r1_sha256" || ske.SignatureLength != 71 ||
			len(ske.Params) != 4+65 {
			t.Errorf("got %+v", ske)
		}
	})
	t.Run("ecdhe tls10 has no scheme", func(t *testing.T) {
		body := build(func(b *bld) { ecParams(29, make([]byte, 32))(b); u16p(b, raw(make([]byte, 128))) })
		ske, err := ParseServerKeyExchange(body, "ecdhe", VersionTLS10)
		if err != nil {
			t.Fatal(err)
		}
		if ske.SignatureScheme != 0 || ske.SignatureLength != 128 || ske.Group != 29 || ske.KeyExchange != "ECDHE" {
			t.Errorf("got %+v", ske)
		}
	})
	t.Run("anonymous ecdhe", func(t *testing.T) {
		ske, err := ParseServerKeyExchange(build(ecParams(29, make([]byte, 32))), "ECDHE", VersionTLS12)
		if err != nil || ske.Signed || ske.SignatureLength != 0 {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("dhe", func(t *testing.T) {
		body := build(func(b *bld) { dhParams(p, []byte{2}, make([]byte, 256))(b); sig12(0x0804, make([]byte, 256))(b) })
		ske, err := ParseServerKeyExchange(body, "DHE", VersionTLS12)
		if err != nil {
			t.Fatal(err)
		}
		if ske.DHPrimeBits != 2048 || ske.DHGenerator != "2" || ske.PublicKeyLength != 256 || ske.SignatureSchemeName != "rsa_pss_rsae_sha256" ||
			len(ske.DHPrime) != 256 {
			t.Errorf("got %+v", ske)
		}
	})
	t.Run("dhe big generator", func(t *testing.T) {
		g := bytes.Repeat([]byte{0xab}, 9)
		ske, err := ParseServerKeyExchange(build(dhParams(p, g, []byte{5})), "DHE", VersionTLS12)
		if err != nil || ske.DHGenerator != "0xababababababababab" {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("dhe-psk", func(t *testing.T) {
		body := build(func(b *bld) { u16p(b, raw([]byte("hint"))); dhParams(p, []byte{5}, []byte{7})(b) })
		ske, err := ParseServerKeyExchange(body, "DHE-PSK", VersionTLS12)
		if err != nil || ske.PSKIdentityHint != "hint" || ske.DHPrimeBits != 2048 || ske.Signed {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("ecdhe-psk", func(t *testing.T) {
		body := build(func(b *bld) { u16p(b, nil); ecParams(29, make([]byte, 32))(b) })
		ske, err := ParseServerKeyExchange(body, "ECDHE_PSK", VersionTLS12)
		if err != nil || ske.Group != 29 || ske.PSKIdentityHintLength != 0 {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("psk", func(t *testing.T) {
		ske, err := ParseServerKeyExchange(build(func(b *bld) { u16p(b, raw([]byte("id"))) }), "PSK", VersionTLS12)
		if err != nil || ske.PSKIdentityHint != "id" {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("rsa export", func(t *testing.T) {
		body := build(func(b *bld) {
			u16p(b, raw(append([]byte{0x80}, make([]byte, 63)...)))
			u16p(b, raw([]byte{1, 0, 1}))
			u16p(b, raw(make([]byte, 128)))
		})
		ske, err := ParseServerKeyExchange(body, "RSA", VersionTLS10)
		if err != nil || ske.RSAModulusBits != 512 || ske.SignatureLength != 128 {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	t.Run("srp", func(t *testing.T) {
		body := build(func(b *bld) {
			u16p(b, raw(p))
			u16p(b, raw([]byte{2}))
			u8p(b, raw([]byte("salt")))
			u16p(b, raw(make([]byte, 256)))
		})
		ske, err := ParseServerKeyExchange(body, "SRP", VersionTLS12)
		if err != nil || ske.SRPPrimeBits != 2048 || ske.PublicKeyLength != 256 || ske.Signed {
			t.Errorf("got %+v, %v", ske, err)
		}
	})
	for _, tt := range []struct {
		name    string
		body    []byte
		kx      string
		version uint16
		sub     string
	}{
		{"explicit curve", build(func(b *bld) { b.AddUint8(1); b.AddUint16(23) }), "ECDHE", VersionTLS12, "curve_type 1"},
		{"empty point", build(ecParams(23, nil)), "ECDHE", VersionTLS12, "public point"},
		{"truncated curve", []byte{3, 0}, "ECDHE", VersionTLS12, "truncated named curve"},
		{"empty", nil, "ECDHE", VersionTLS12, "curve_type"},
		{"trailing after sig", append(bytes.Clone(ecdhe), 0), "ECDHE", VersionTLS12, "1 trailing bytes after signature"},
		{"empty sig", build(func(b *bld) { ecParams(23, point)(b); sig12(0x0403, nil)(b) }), "ECDHE", VersionTLS12, "signature missing"},
		{"sig truncated", ecdhe[:len(ecdhe)-1], "ECDHE", VersionTLS12, "signature missing"},
		{"scheme truncated", build(func(b *bld) { ecParams(23, point)(b); b.AddUint8(4) }), "ECDHE", VersionTLS12, "truncated signature algorithm"},
		{"dh empty g", build(dhParams(p, nil, []byte{1})), "DHE", VersionTLS12, "dh_g"},
		{"psk trailing", build(func(b *bld) { u16p(b, nil); b.AddUint8(0) }), "PSK", VersionTLS12, "trailing bytes after PSK"},
		{"psk hint overrun", []byte{0, 5}, "PSK", VersionTLS12, "psk_identity_hint"},
		{"srp empty salt", build(func(b *bld) { u16p(b, raw(p)); u16p(b, raw([]byte{2})); u8p(b, nil) }), "SRP", VersionTLS12, "srp_s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseServerKeyExchange(tt.body, tt.kx, tt.version)
			wantDecodeError(t, err, tt.sub)
		})
	}
	if _, err := ParseServerKeyExchange(ecdhe, "TLS13", VersionTLS13); err == nil || !strings.Contains(err.Error(), `unsupported key exchange "TLS13"`) {
		t.Errorf("unsupported kx: %v", err)
	}
}

func TestParseCertificateVerify(t *testing.T) {
	cv, err := ParseCertificateVerify(build(sig12(0x0804, make([]byte, 256))), VersionTLS13)
	if err != nil || cv.SignatureScheme != 0x0804 || cv.SignatureSchemeName != "rsa_pss_rsae_sha256" || cv.SignatureLength != 256 {
		t.Errorf("got %+v, %v", cv, err)
	}
	cv, err = ParseCertificateVerify(build(func(b *bld) { u16p(b, raw(make([]byte, 36))) }), VersionTLS11)
	if err != nil || cv.SignatureScheme != 0 || cv.SignatureLength != 36 {
		t.Errorf("tls11: %+v, %v", cv, err)
	}
	for _, tt := range []struct {
		name string
		body []byte
		sub  string
	}{
		{"empty", nil, "truncated signature scheme"},
		{"no sig", []byte{8, 4, 0, 0}, "signature missing"},
		{"trailing", append(build(sig12(0x0804, []byte{1})), 0), "trailing"},
		{"overrun", []byte{8, 4, 0, 9, 1}, "signature missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCertificateVerify(tt.body, VersionTLS12)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func TestParseClientKeyExchange(t *testing.T) {
	tests := []struct {
		name    string
		body    []byte
		kx      string
		version uint16
		pubLen  int
		id      string
	}{
		{"length only", []byte{1, 2, 3}, "", VersionTLS12, 0, ""},
		{"rsa", build(func(b *bld) { u16p(b, raw(make([]byte, 256))) }), "RSA", VersionTLS12, 256, ""},
		{"rsa ssl3", make([]byte, 128), "RSA", VersionSSL30, 128, ""},
		{"ecdhe", build(func(b *bld) { u8p(b, raw(make([]byte, 32))) }), "ECDHE", VersionTLS12, 32, ""},
		{"dhe", build(func(b *bld) { u16p(b, raw(make([]byte, 256))) }), "DHE", VersionTLS12, 256, ""},
		{"static ecdh implicit", build(func(b *bld) { u8p(b, nil) }), "ECDH", VersionTLS12, 0, ""},
		{"psk", build(func(b *bld) { u16p(b, raw([]byte("client1"))) }), "PSK", VersionTLS12, 0, "client1"},
		{"ecdhe-psk", build(func(b *bld) { u16p(b, raw([]byte("c"))); u8p(b, raw(make([]byte, 32))) }), "ECDHE-PSK", VersionTLS12, 32, "c"},
		{"rsa-psk", build(func(b *bld) { u16p(b, raw([]byte("c"))); u16p(b, raw(make([]byte, 256))) }), "RSA-PSK", VersionSSL30, 256, "c"},
		{"srp", build(func(b *bld) { u16p(b, raw(make([]byte, 128))) }), "SRP", VersionTLS12, 128, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cke, err := ParseClientKeyExchange(tt.body, tt.kx, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if cke.Length != len(tt.body) || cke.PublicKeyLength != tt.pubLen || cke.PSKIdentity != tt.id {
				t.Errorf("got %+v", cke)
			}
		})
	}
	for _, tt := range []struct {
		name string
		body []byte
		kx   string
		sub  string
	}{
		{"ecdhe empty", []byte{0}, "ECDHE", "public value"},
		{"ecdhe trailing", []byte{1, 5, 0}, "ECDHE", "trailing"},
		{"rsa empty", []byte{0, 0}, "RSA", "public value"},
		{"dhe overrun", []byte{0, 5, 1}, "DHE", "public value"},
		{"psk overrun", []byte{0, 5, 1}, "PSK", "psk_identity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseClientKeyExchange(tt.body, tt.kx, VersionTLS12)
			wantDecodeError(t, err, tt.sub)
		})
	}
	if _, err := ParseClientKeyExchange([]byte{1}, "GOST", VersionTLS12); err == nil {
		t.Error("unsupported kx accepted")
	}
}

func TestParseNewSessionTicket(t *testing.T) {
	nst12, err := ParseNewSessionTicket(build(func(b *bld) { b.AddUint32(7200); u16p(b, raw(make([]byte, 150))) }), false)
	if err != nil || nst12.LifetimeSeconds != 7200 || nst12.TicketLength != 150 || nst12.Extensions != nil {
		t.Errorf("tls12: %+v, %v", nst12, err)
	}
	// A TLS 1.2 server may send an empty ticket to say it will not issue one after all.
	if nst, err := ParseNewSessionTicket([]byte{0, 0, 0, 0, 0, 0}, false); err != nil || nst.TicketLength != 0 {
		t.Errorf("tls12 empty ticket: %+v, %v", nst, err)
	}
	body13 := build(func(b *bld) {
		b.AddUint32(604800)
		b.AddUint32(0xdeadbeef)
		u8p(b, raw([]byte{0, 1}))
		u16p(b, raw(make([]byte, 200)))
		extBlock(ext{ExtEarlyData, []byte{0, 0, 0x40, 0}}, ext{0x1a1a, nil})(b)
	})
	nst, err := ParseNewSessionTicket(body13, true)
	if err != nil {
		t.Fatal(err)
	}
	if nst.LifetimeSeconds != 604800 || nst.AgeAdd != 0xdeadbeef || nst.NonceLength != 2 || nst.TicketLength != 200 ||
		nst.MaxEarlyDataSize == nil || *nst.MaxEarlyDataSize != 16384 || len(nst.Extensions) != 2 {
		t.Errorf("tls13: %+v", nst)
	}
	for _, tt := range []struct {
		name  string
		body  []byte
		tls13 bool
		sub   string
	}{
		{"empty", nil, false, "truncated lifetime"},
		{"12 trailing", build(func(b *bld) { b.AddUint32(1); u16p(b, nil); b.AddUint8(0) }), false, "trailing"},
		{"12 overrun", []byte{0, 0, 0, 1, 0, 9}, false, "ticket length"},
		{"13 as 12", body13, false, "exceeds"},
		{"13 empty ticket", build(func(b *bld) { b.AddUint32(1); b.AddUint32(2); u8p(b, nil); u16p(b, nil); u16p(b, nil) }), true, "empty ticket"},
		{"13 no extensions", build(func(b *bld) { b.AddUint32(1); b.AddUint32(2); u8p(b, nil); u16p(b, raw([]byte{1})) }), true, "extensions"},
		{"13 truncated nonce", []byte{0, 0, 0, 1, 0, 0, 0, 2, 5}, true, "nonce"},
		{"13 bad early_data", build(func(b *bld) {
			b.AddUint32(1)
			b.AddUint32(2)
			u8p(b, nil)
			u16p(b, raw([]byte{1}))
			extBlock(ext{ExtEarlyData, []byte{1}})(b)
		}), true, "max_early_data_size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNewSessionTicket(tt.body, tt.tls13)
			wantDecodeError(t, err, tt.sub)
		})
	}
}

func TestSmallMessages(t *testing.T) {
	if ku, err := ParseKeyUpdate([]byte{1}); err != nil || !ku.Requested {
		t.Errorf("KeyUpdate(1) = %+v, %v", ku, err)
	}
	if ku, err := ParseKeyUpdate([]byte{0}); err != nil || ku.Requested {
		t.Errorf("KeyUpdate(0) = %+v, %v", ku, err)
	}
	_, err := ParseKeyUpdate([]byte{2})
	wantDecodeError(t, err, "request_update 2")
	_, err = ParseKeyUpdate(nil)
	wantDecodeError(t, err, "0 bytes")

	a, err := ParseAlert([]byte{2, 40})
	if err != nil || a.Level != 2 || a.LevelName != "fatal" || a.Description != 40 || a.DescriptionName != "handshake_failure" ||
		a.String() != "fatal handshake_failure" {
		t.Errorf("alert = %+v, %v", a, err)
	}
	_, err = ParseAlert([]byte{1, 0, 1, 0})
	wantDecodeError(t, err, "Alert: payload is 4 bytes")

	if f, err := ParseFinished(make([]byte, 12)); err != nil || f.VerifyDataLength != 12 {
		t.Errorf("finished = %+v, %v", f, err)
	}
	_, err = ParseFinished(nil)
	wantDecodeError(t, err, "empty verify_data")

	if _, err := ParseEndOfEarlyData(nil); err != nil {
		t.Error(err)
	}
	_, err = ParseEndOfEarlyData([]byte{0})
	wantDecodeError(t, err, "must be empty")
	if _, err := ParseServerHelloDone(nil); err != nil {
		t.Error(err)
	}
	_, err = ParseServerHelloDone([]byte{0})
	wantDecodeError(t, err, "ServerHelloDone")

	if mh, err := ParseMessageHash(make([]byte, 48)); err != nil || mh.HashLength != 48 {
		t.Errorf("message hash = %+v, %v", mh, err)
	}
	_, err = ParseMessageHash(make([]byte, 20))
	wantDecodeError(t, err, "20 bytes")

	cc, err := ParseCompressedCertificate(build(func(b *bld) { b.AddUint16(2); b.AddUint24(5000); u24p(b, raw(make([]byte, 900))) }))
	if err != nil || cc.AlgorithmName != "brotli" || cc.UncompressedLength != 5000 || cc.CompressedLength != 900 {
		t.Errorf("compressed certificate = %+v, %v", cc, err)
	}
	for _, body := range [][]byte{
		nil,
		build(func(b *bld) { b.AddUint16(1); b.AddUint24(0); u24p(b, raw([]byte{1})) }),
		build(func(b *bld) { b.AddUint16(1); b.AddUint24(9); u24p(b, nil) }),
		append(build(func(b *bld) { b.AddUint16(1); b.AddUint24(9); u24p(b, raw([]byte{1})) }), 0),
	} {
		_, err := ParseCompressedCertificate(body)
		wantDecodeError(t, err, "CompressedCertificate")
	}
}

func TestDecoder(t *testing.T) {
	point := append([]byte{4}, make([]byte, 64)...)
	msgs := []Message{
		{Type: TypeClientHello, Body: chBody([]uint16{0xc02f})},
		{Type: TypeServerHello, Body: shBody(testRandom, 0xc02f, ext{ExtExtendedMasterSecret, nil})},
		{Type: TypeCertificate, Body: certBody(false, nil, [][]byte{{0x30}}, nil)},
		{Type: TypeServerKeyExchange, Body: build(func(b *bld) { ecParams(23, point)(b); sig12(0x0804, make([]byte, 256))(b) })},
		{Type: TypeServerHelloDone},
		{Type: TypeClientKeyExchange, Body: build(func(b *bld) { u8p(b, raw(point)) })},
		{Type: TypeNewSessionTicket, Body: build(func(b *bld) { b.AddUint32(1); u16p(b, raw([]byte{1})) })},
		{Type: 99, Body: []byte{1, 2}},
	}
	var d Decoder
	wantTypes := []string{"*wire.ClientHello", "*wire.ServerHello", "*wire.Certificate", "*wire.ServerKeyExchange",
		"*wire.ServerHelloDone", "*wire.ClientKeyExchange", "*wire.NewSessionTicket", "*wire.UnknownMessage"}
	for i, m := range msgs {
		v, err := d.Decode(m)
		if err != nil {
			t.Fatalf("message %d (%s): %v", i, m.Name(), err)
		}
		if got := reflect.TypeOf(v).String(); got != wantTypes[i] {
			t.Errorf("message %d decoded as %s, want %s", i, got, wantTypes[i])
		}
	}
	if d.Version != VersionTLS12 || d.CipherSuite != 0xc02f {
		t.Errorf("decoder state %+v", d)
	}
	if cke, _ := d.Decode(msgs[5]); cke.(*ClientKeyExchange).PublicKeyLength != 65 {
		t.Errorf("CKE not decoded with the negotiated kx: %+v", cke)
	}

	var fresh Decoder
	if _, err := fresh.Decode(msgs[3]); err == nil {
		t.Error("ServerKeyExchange decoded without a ServerHello")
	}
	// TLS 1.3 state selects the 1.3 layouts.
	d13 := Decoder{Version: VersionTLS13, CipherSuite: 0x1301}
	c, err := d13.Decode(Message{Type: TypeCertificate, Body: certBody(true, nil, [][]byte{{0x30}}, nil)})
	if err != nil || len(c.(*Certificate).Entries) != 1 {
		t.Errorf("1.3 certificate: %+v, %v", c, err)
	}
}

func TestUint8ListJSON(t *testing.T) {
	for _, tt := range []struct {
		in   Uint8List
		want string
	}{{nil, "null"}, {Uint8List{}, "[]"}, {Uint8List{0, 1, 255}, "[0,1,255]"}} {
		b, err := json.Marshal(tt.in)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v", tt.in, b, err)
		}
	}
	var h HexBytes
	if err := json.Unmarshal([]byte(`"00ff"`), &h); err != nil || !bytes.Equal(h, []byte{0, 0xff}) || h.String() != "00ff" {
		t.Errorf("HexBytes round trip: %v %v", h, err)
	}
	if err := json.Unmarshal([]byte(`"zz"`), &h); err == nil {
		t.Error("bad hex accepted")
	}
}
