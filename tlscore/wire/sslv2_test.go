package wire

import (
	"bytes"
	"errors"
	"testing"
)

// sslv2ServerHelloRecord builds a SERVER-HELLO record as an SSL 2.0 server sends it.
func sslv2ServerHelloRecord(cert []byte, kinds []uint32, connID []byte) []byte {
	body := []byte{SSLv2MsgServerHello, 0, 1, 0, 2,
		byte(len(cert) >> 8), byte(len(cert)), byte(3 * len(kinds) >> 8), byte(3 * len(kinds)),
		byte(len(connID) >> 8), byte(len(connID))}
	body = append(body, cert...)
	for _, k := range kinds {
		body = append(body, byte(k>>16), byte(k>>8), byte(k))
	}
	body = append(body, connID...)
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
}

// TestSSLv2ClientHello checks the CLIENT-HELLO byte by byte against the layout of the SSL 2.0
// specification.
func TestSSLv2ClientHello(t *testing.T) {
	challenge := bytes.Repeat([]byte{0xcc}, 16)
	got, err := MarshalSSLv2ClientHello([]uint32{0x010080, 0x0700c0}, challenge)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0x80, 0x1f, // two-byte header, 31 bytes
		0x01,       // CLIENT-HELLO
		0x00, 0x02, // version 2
		0x00, 0x06, // cipher specs: 6 bytes
		0x00, 0x00, // no session id
		0x00, 0x10, // 16-byte challenge
		0x01, 0x00, 0x80, 0x07, 0x00, 0xc0,
	}
	want = append(want, challenge...)
	if !bytes.Equal(got, want) {
		t.Errorf("CLIENT-HELLO\n got %x\nwant %x", got, want)
	}
	for _, bad := range []struct {
		kinds     []uint32
		challenge []byte
	}{
		{[]uint32{0x010080}, make([]byte, 15)},
		{[]uint32{0x010080}, make([]byte, 33)},
		{nil, make([]byte, 16)},
	} {
		if _, err := MarshalSSLv2ClientHello(bad.kinds, bad.challenge); err == nil {
			t.Errorf("accepted %d kinds with a %d-byte challenge", len(bad.kinds), len(bad.challenge))
		}
	}
}

func TestParseSSLv2(t *testing.T) {
	rec := sslv2ServerHelloRecord([]byte("DER"), []uint32{0x0700c0, 0x010080}, []byte("connection-id-16"))
	body, err := ParseSSLv2Record(rec)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := ParseSSLv2ServerHello(body)
	if err != nil {
		t.Fatal(err)
	}
	if sh.Version != VersionSSL20 || sh.CertificateType != 1 || string(sh.Certificate) != "DER" ||
		len(sh.Kinds) != 2 || sh.Kinds[0] != 0x0700c0 || sh.Kinds[1] != 0x010080 || string(sh.ConnectionID) != "connection-id-16" {
		t.Errorf("parsed %+v", sh)
	}
	if c, ok := SSLv2CipherByKind(sh.Kinds[0]); !ok || c.OpenSSLName != "DES-CBC3-MD5" || c.Bits != 168 {
		t.Errorf("kind 0x0700c0 = %+v, %v", c, ok)
	}

	for _, tc := range []struct {
		name   string
		stream []byte
		short  bool
		code   uint16
	}{
		{name: "one byte", stream: []byte{0x80}, short: true},
		{name: "half a record", stream: rec[:10], short: true},
		{name: "TLS record", stream: []byte{0x16, 0x03, 0x01, 0x00, 0x05}},
		{name: "TLS alert", stream: []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}},
		{name: "zero length", stream: []byte{0x80, 0x00}},
		{name: "no cipher error", stream: []byte{0x80, 0x03, 0x00, 0x00, 0x01}, code: 1},
		{name: "client hello back", stream: append([]byte{0x80, 0x03}, SSLv2MsgClientHello, 0, 2)},
		{name: "lengths past the end", stream: []byte{0x80, 0x0b, 0x04, 0x00, 0x01, 0x00, 0x02, 0xff, 0xff, 0, 0, 0, 0}},
		{name: "specs not a multiple of 3", stream: []byte{0x80, 0x0d, 0x04, 0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, 0, 0, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := ParseSSLv2Record(tc.stream)
			if tc.short {
				if err != ErrSSLv2Short {
					t.Errorf("err = %v, want ErrSSLv2Short", err)
				}
				return
			}
			if err == nil {
				_, err = ParseSSLv2ServerHello(body)
			}
			var se *SSLv2Error
			var de *DecodeError
			switch {
			case tc.code != 0:
				if !errors.As(err, &se) || se.Code != tc.code {
					t.Errorf("err = %v, want server error %d", err, tc.code)
				}
			case !errors.As(err, &de):
				t.Errorf("err = %v (%T), want a *DecodeError", err, err)
			}
		})
	}
}
