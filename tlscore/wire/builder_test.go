package wire

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestMarshalClientHelloRoundTrip(t *testing.T) {
	spec := ClientHelloSpec{
		Version:             VersionTLS12,
		Random:              bytes.Repeat([]byte{0xab}, 32),
		SessionID:           bytes.Repeat([]byte{0xcd}, 32),
		CipherSuites:        []uint16{0x1301, 0x1302, 0xc02b, 0xc02f, 0x00ff},
		ServerName:          "scan.example",
		SupportedVersions:   []uint16{0x0304, 0x0303},
		Groups:              []uint16{0x11ec, 29, 23},
		KeyShares:           []KeyShareSpec{{Group: 29, PublicKey: bytes.Repeat([]byte{9}, 32)}, {Group: 23, PublicKey: bytes.Repeat([]byte{4}, 65)}},
		SignatureAlgorithms: []uint16{0x0403, 0x0804, 0x0401},
		ALPN:                []string{"h2", "http/1.1"},
		ECPointFormats:      true,
		// DEFLATE offered: the compression list and ec_point_formats must not mix.
		CompressionMethods: []uint8{1, 0},
		ExtraExtensions: []Extension{
			{Type: ExtExtendedMasterSecret},
			{Type: ExtRenegotiationInfo, Data: []byte{0}},
			{Type: 0x1a1a, Data: []byte{}},
		},
	}
	msg, err := MarshalClientHello(spec)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := SplitMessages(msg, 0)
	if err != nil || len(msgs) != 1 || msgs[0].Type != TypeClientHello || !bytes.Equal(msgs[0].Raw, msg) {
		t.Fatalf("header wrong: %v %v", msgs, err)
	}
	ch, err := ParseClientHello(msgs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if ch.LegacyVersion != spec.Version || !bytes.Equal(ch.Random, spec.Random) || !bytes.Equal(ch.SessionID, spec.SessionID) ||
		!reflect.DeepEqual(ch.CipherSuites, spec.CipherSuites) || ch.ServerName != spec.ServerName ||
		!reflect.DeepEqual(ch.SupportedVersions, spec.SupportedVersions) || !reflect.DeepEqual(ch.SupportedGroups, spec.Groups) ||
		!reflect.DeepEqual(ch.SignatureAlgorithms, spec.SignatureAlgorithms) || !reflect.DeepEqual(ch.ALPN, spec.ALPN) ||
		!reflect.DeepEqual(ch.ECPointFormats, Uint8List{0}) || !ch.ExtendedMasterSecret || !ch.RenegotiationInfo ||
		!reflect.DeepEqual(ch.CompressionMethods, Uint8List{1, 0}) {
		t.Errorf("round trip differs:\n%+v", ch)
	}
	if len(ch.KeyShares) != len(spec.KeyShares) {
		t.Fatalf("key shares %+v", ch.KeyShares)
	}
	for i, ks := range ch.KeyShares {
		if ks.Group != spec.KeyShares[i].Group || !bytes.Equal(ks.PublicKey, spec.KeyShares[i].PublicKey) {
			t.Errorf("key share %d = %+v", i, ks)
		}
	}
	var order []uint16
	for _, e := range ch.Extensions {
		order = append(order, e.Type)
	}
	wantOrder := []uint16{ExtServerName, ExtECPointFormats, ExtSupportedGroups, ExtSignatureAlgorithms, ExtALPN,
		ExtSupportedVersions, ExtKeyShare, ExtExtendedMasterSecret, ExtRenegotiationInfo, 0x1a1a}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("extension order %v, want %v", order, wantOrder)
	}

	// Records wrap and unwrap back to the same message.
	recs, rest, err := ParseRecords(WrapRecords(ContentHandshake, VersionTLS10, msg))
	if err != nil || len(rest) != 0 || len(recs) != 1 || !bytes.Equal(recs[0].Payload, msg) {
		t.Errorf("record round trip: %v %v", recs, err)
	}
}

func TestMarshalClientHelloMinimal(t *testing.T) {
	msg, err := MarshalClientHello(ClientHelloSpec{CipherSuites: []uint16{0x002f}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := ParseClientHello(msg[4:])
	if err != nil {
		t.Fatal(err)
	}
	if ch.LegacyVersion != VersionTLS12 || len(ch.Random) != 32 || bytes.Equal(ch.Random, make([]byte, 32)) ||
		ch.SessionIDLength != 0 || len(ch.Extensions) != 0 {
		t.Errorf("got %+v", ch)
	}
	// A big ClientHello (many suites, padding) still round-trips and splits into records.
	big := ClientHelloSpec{CipherSuites: make([]uint16, 40000), ExtraExtensions: []Extension{{Type: ExtPadding, Data: make([]byte, 30000)}}}
	for i := range big.CipherSuites {
		big.CipherSuites[i] = uint16(i)
	}
	msg, err = MarshalClientHello(big)
	if err == nil {
		t.Fatalf("80000-byte cipher suite list accepted (%d bytes)", len(msg))
	}
	big.CipherSuites = big.CipherSuites[:10000]
	msg, err = MarshalClientHello(big)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := WrapRecords(ContentHandshake, VersionTLS12, msg)
	recs, _, err := ParseRecords(wrapped)
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	var a Assembler
	var got []Message
	for _, r := range recs {
		ms, err := a.Add(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ms...)
	}
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	ch, err = ParseClientHello(got[0].Body)
	if err != nil || len(ch.CipherSuites) != 10000 || ch.PaddingLength != 30000 {
		t.Errorf("big hello: %v", err)
	}
}

func TestMarshalClientHelloErrors(t *testing.T) {
	ok := []uint16{0x1301}
	for _, tt := range []struct {
		name string
		spec ClientHelloSpec
		sub  string
	}{
		{"no suites", ClientHelloSpec{}, "no cipher suites"},
		{"short random", ClientHelloSpec{CipherSuites: ok, Random: []byte{1}}, "random is 1 bytes"},
		{"long session id", ClientHelloSpec{CipherSuites: ok, SessionID: make([]byte, 33)}, "session ID is 33 bytes"},
		{"empty alpn", ClientHelloSpec{CipherSuites: ok, ALPN: []string{""}}, "ALPN protocol"},
		{"long alpn", ClientHelloSpec{CipherSuites: ok, ALPN: []string{strings.Repeat("x", 256)}}, "ALPN protocol"},
		{"empty key share", ClientHelloSpec{CipherSuites: ok, KeyShares: []KeyShareSpec{{Group: 29}}}, "empty key share for x25519"},
		{"duplicate", ClientHelloSpec{CipherSuites: ok, ServerName: "a", ExtraExtensions: []Extension{{Type: ExtServerName}}}, "duplicate server_name"},
		{"huge extension", ClientHelloSpec{CipherSuites: ok, ExtraExtensions: []Extension{{Type: 99, Data: make([]byte, 70000)}}}, "over 65535"},
		{"long name", ClientHelloSpec{CipherSuites: ok, ServerName: strings.Repeat("a", 70000)}, "server name too long"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MarshalClientHello(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.sub) {
				t.Errorf("error %v, want %q", err, tt.sub)
			}
		})
	}
}
