package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"testing"
)

// Seeds come from the real handshakes above, so the fuzzer starts from the shapes real
// stacks send and mutates outward. Every target checks more than "no panic": it checks the
// invariants a caller relies on (lengths add up, JSON renders, errors are typed).

type seedMessage struct {
	m       Message
	version uint16
	suite   uint16
}

func seedMessages(t testing.TB) []seedMessage {
	var out []seedMessage
	add := func(ms []Message, version, suite uint16) {
		for _, m := range ms {
			out = append(out, seedMessage{m, version, suite})
		}
	}
	for _, c := range realCaptures(t) {
		for _, stream := range [][]byte{c.client, c.server} {
			recs, _, _ := ParseRecords(stream)
			var a Assembler
			for _, r := range recs {
				if r.Type == ContentChangeCipherSpec && c.state.Version < VersionTLS13 {
					break
				}
				if r.Type == ContentHandshake {
					ms, _ := a.Add(r.Payload)
					add(ms, c.state.Version, c.state.CipherSuite)
				}
			}
		}
	}
	for _, c := range tls13Captures(t) {
		add(c.serverMsgs, VersionTLS13, c.state.CipherSuite)
		add(c.clientMsgs, VersionTLS13, c.state.CipherSuite)
	}
	return out
}

func seedBodies(t testing.TB, typ uint8) []seedMessage {
	var out []seedMessage
	for _, s := range seedMessages(t) {
		if s.m.Type == typ {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no seed for %s", HandshakeTypeName(typ))
	}
	return out
}

// checkErr fails on errors that are not the documented kinds.
func checkErr(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a *DecodeError", err, err)
	}
}

func mustJSON(t *testing.T, v any) {
	t.Helper()
	if _, err := json.Marshal(v); err != nil {
		t.Fatalf("JSON: %v", err)
	}
}

func FuzzParseRecords(f *testing.F) {
	for _, c := range realCaptures(f) {
		f.Add(c.client)
		f.Add(c.server[:min(len(c.server), 3000)])
	}
	f.Add([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
	f.Add([]byte("220 smtp ready\r\n"))
	f.Add([]byte{0x80, 0x2e, 0x04, 0x00})
	f.Add([]byte{22, 3, 3, 0x48, 0x01, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, rest, err := ParseRecords(data)
		off := 0
		for _, r := range recs {
			if r.Offset != off || len(r.Payload) > MaxRecordLength || !knownContentType(r.Type) || r.Version>>8 != 3 {
				t.Fatalf("bad record %+v at expected offset %d", r, off)
			}
			if !bytes.Equal(data[off+RecordHeaderLength:off+RecordHeaderLength+len(r.Payload)], r.Payload) {
				t.Fatalf("payload of record at %d differs from input", off)
			}
			off += RecordHeaderLength + len(r.Payload)
		}
		if off+len(rest) != len(data) || !bytes.Equal(rest, data[off:]) {
			t.Fatalf("records cover %d bytes and rest %d of %d", off, len(rest), len(data))
		}
		if err != nil {
			var nt *NotTLSError
			var tl *RecordTooLargeError
			var ut *UnknownContentTypeError
			var bv *BadRecordVersionError
			if !errors.As(err, &nt) && !errors.As(err, &tl) && !errors.As(err, &ut) && !errors.As(err, &bv) {
				t.Fatalf("untyped error %T %v", err, err)
			}
			if nt != nil && (off != 0 || nt.Guess == "") {
				t.Fatalf("NotTLSError after %d bytes of records: %v", off, err)
			}
			return
		}
		if len(rest) >= RecordHeaderLength && RecordHeaderLength+int(binary.BigEndian.Uint16(rest[3:5])) <= len(rest) {
			t.Fatalf("a complete record was left in rest")
		}
	})
}

func FuzzAssembler(f *testing.F) {
	for _, c := range realCaptures(f) {
		recs, _, _ := ParseRecords(c.server)
		var hs []byte
		for _, r := range recs {
			if r.Type == ContentChangeCipherSpec {
				break
			}
			if r.Type == ContentHandshake {
				hs = append(hs, r.Payload...)
			}
		}
		f.Add(hs, uint16(1000), uint32(0))
		f.Add(hs, uint16(7), uint32(100))
	}
	f.Add([]byte{14, 0, 0, 0, 14, 0, 0, 0}, uint16(1), uint32(0))
	f.Add([]byte{11, 0, 1, 0}, uint16(3), uint32(10))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, limit uint32) {
		if chunk == 0 {
			chunk = 1
		}
		lim := int(limit % (1 << 20))
		a := NewAssembler(lim)
		if lim == 0 {
			lim = DefaultMaxMessageSize
		}
		var got []Message
		var err error
		fed := 0
		for fed < len(data) && err == nil {
			n := min(int(chunk), len(data)-fed)
			var ms []Message
			ms, err = a.Add(data[fed : fed+n])
			got = append(got, ms...)
			fed += n
		}
		var raw []byte
		for _, m := range got {
			if len(m.Body) > lim || len(m.Raw) != HandshakeHeaderLength+len(m.Body) || m.Raw[0] != m.Type ||
				int(m.Raw[1])<<16|int(m.Raw[2])<<8|int(m.Raw[3]) != len(m.Body) {
				t.Fatalf("inconsistent message type %d, %d-byte body", m.Type, len(m.Body))
			}
			raw = append(raw, m.Raw...)
		}
		if !bytes.Equal(raw, data[:len(raw)]) {
			t.Fatalf("messages do not reproduce the input")
		}
		if a.Pending() > HandshakeHeaderLength+lim {
			t.Fatalf("buffered %d bytes with a %d-byte limit", a.Pending(), lim)
		}
		if err != nil {
			var tl *TooLargeError
			if !errors.As(err, &tl) || tl.Length <= tl.Limit {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(raw)+a.Pending() != len(data) {
			t.Fatalf("%d bytes in messages + %d pending != %d fed", len(raw), a.Pending(), len(data))
		}
		// Chunking must not matter.
		whole, err := NewAssembler(int(limit % (1 << 20))).Add(data)
		if err != nil || len(whole) != len(got) {
			t.Fatalf("one-shot feed gave %d messages (%v), chunked gave %d", len(whole), err, len(got))
		}
	})
}

func FuzzParseClientHello(f *testing.F) {
	for _, s := range seedBodies(f, TypeClientHello) {
		f.Add(s.m.Body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ch, err := ParseClientHello(body)
		checkErr(t, err)
		if err != nil {
			return
		}
		if len(ch.Random) != 32 || ch.SessionIDLength > 32 || len(ch.CipherSuites) == 0 || len(ch.CompressionMethods) == 0 {
			t.Fatalf("accepted an impossible hello: %+v", ch)
		}
		n := 0
		for _, e := range ch.Extensions {
			if e.Length != len(e.Data) {
				t.Fatalf("extension %s length %d, data %d", e.Name, e.Length, len(e.Data))
			}
			n += 4 + e.Length
		}
		if n > len(body) {
			t.Fatalf("extensions claim %d bytes of a %d-byte body", n, len(body))
		}
		mustJSON(t, ch)
	})
}

func FuzzParseServerHello(f *testing.F) {
	for _, s := range seedBodies(f, TypeServerHello) {
		f.Add(s.m.Body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sh, err := ParseServerHello(body)
		checkErr(t, err)
		if err != nil {
			return
		}
		if sh.IsHelloRetryRequest != (string(sh.Random) == HRRRandom) || (sh.IsHelloRetryRequest && sh.KeyShare != nil) {
			t.Fatalf("HRR handling: %+v", sh)
		}
		if sh.Version() == 0 && sh.LegacyVersion != 0 {
			t.Fatalf("Version() lost the legacy version")
		}
		mustJSON(t, sh)
	})
}

func FuzzParseCertificate(f *testing.F) {
	for _, s := range seedBodies(f, TypeCertificate) {
		f.Add(s.m.Body, s.version >= VersionTLS13)
	}
	f.Fuzz(func(t *testing.T, body []byte, tls13 bool) {
		c, err := ParseCertificate(body, tls13)
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, e := range c.Entries {
			if e.Length == 0 || e.Length != len(e.DER) || e.SCTCount != len(e.SCTs) || e.OCSPResponseLength != len(e.OCSPResponse) {
				t.Fatalf("inconsistent entry %+v", e)
			}
			if !tls13 && e.Extensions != nil {
				t.Fatalf("TLS 1.2 entry with extensions")
			}
		}
		mustJSON(t, c)
	})
}

var fuzzKX = []string{"ECDHE", "DHE", "PSK", "DHE-PSK", "ECDHE-PSK", "RSA-PSK", "RSA", "SRP", "ECDH", "DH"}

func FuzzParseServerKeyExchange(f *testing.F) {
	for _, s := range seedBodies(f, TypeServerKeyExchange) {
		cs, _ := CipherSuiteByID(s.suite)
		for i, kx := range fuzzKX {
			if kx == cs.KeyExchange {
				f.Add(s.m.Body, uint8(i), s.version)
			}
		}
	}
	p := append([]byte{0xff}, make([]byte, 127)...)
	dhe := build(func(b *bld) { dhParams(p, []byte{2}, p)(b); sig12(0x0804, make([]byte, 64))(b) })
	f.Add(dhe, uint8(1), VersionTLS12)
	f.Add(build(func(b *bld) { u16p(b, raw([]byte("hint"))); ecParams(29, make([]byte, 32))(b) }), uint8(4), VersionTLS12)
	f.Fuzz(func(t *testing.T, body []byte, kxIdx uint8, version uint16) {
		kx := fuzzKX[int(kxIdx)%len(fuzzKX)]
		ske, err := ParseServerKeyExchange(body, kx, version)
		checkErr(t, err)
		if err != nil {
			return
		}
		if ske.Signed != (ske.SignatureLength > 0) || ske.SignatureLength != len(ske.Signature) ||
			ske.PublicKeyLength != len(ske.PublicKey) || len(ske.Params) > len(body) || !bytes.HasPrefix(body, ske.Params) {
			t.Fatalf("inconsistent %+v", ske)
		}
		if ske.Signed && len(ske.Params)+2+ske.SignatureLength+map[bool]int{true: 2}[version >= VersionTLS12] != len(body) {
			t.Fatalf("params %d + signature %d do not cover the %d-byte body", len(ske.Params), ske.SignatureLength, len(body))
		}
		mustJSON(t, ske)
	})
}

func FuzzParseNewSessionTicket(f *testing.F) {
	for _, s := range seedBodies(f, TypeNewSessionTicket) {
		f.Add(s.m.Body, s.version >= VersionTLS13)
	}
	f.Fuzz(func(t *testing.T, body []byte, tls13 bool) {
		nst, err := ParseNewSessionTicket(body, tls13)
		checkErr(t, err)
		if err != nil {
			return
		}
		if nst.TicketLength != len(nst.Ticket) || nst.NonceLength != len(nst.Nonce) || (tls13 && nst.TicketLength == 0) {
			t.Fatalf("inconsistent %+v", nst)
		}
		mustJSON(t, nst)
	})
}

func FuzzParseCertificateRequest(f *testing.F) {
	for _, s := range seedBodies(f, TypeCertificateRequest) {
		f.Add(s.m.Body, s.version >= VersionTLS13)
	}
	f.Fuzz(func(t *testing.T, body []byte, tls13 bool) {
		cr, err := ParseCertificateRequest(body, tls13)
		checkErr(t, err)
		if err != nil {
			return
		}
		if len(cr.CertificateAuthorities) != len(cr.CertificateAuthorityNames) || (cr.Form == "tls13") != tls13 ||
			(cr.Form != "tls10" && len(cr.SignatureAlgorithms) == 0) {
			t.Fatalf("inconsistent %+v", cr)
		}
		mustJSON(t, cr)
	})
}

// FuzzDecode drives every decoder through Decoder, including the small ones without a
// target of their own (CertificateStatus, CertificateVerify, ClientKeyExchange, KeyUpdate,
// CompressedCertificate, EncryptedExtensions).
func FuzzDecode(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s.m.Type, s.m.Body, s.version, s.suite)
	}
	f.Fuzz(func(t *testing.T, typ uint8, body []byte, version, suite uint16) {
		d := Decoder{Version: version, CipherSuite: suite}
		v, err := d.Decode(Message{Type: typ, Body: body})
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) && typ != TypeServerKeyExchange && typ != TypeClientKeyExchange {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		mustJSON(t, v)
	})
}

func FuzzParseSSLv2(f *testing.F) {
	hello, err := MarshalSSLv2ClientHello([]uint32{0x010080, 0x0700c0}, bytes.Repeat([]byte{1}, 16))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(hello)
	f.Add(sslv2ServerHelloRecord([]byte("certificate"), []uint32{0x010080, 0x0700c0}, []byte("0123456789abcdef")))
	f.Add([]byte{0x80, 0x03, 0x00, 0x00, 0x01})                                     // ERROR: no cipher
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28})                         // a TLS alert
	f.Add([]byte{0x80, 0x0b, 0x04, 0x00, 0x01, 0x00, 0x02, 0xff, 0xff, 0, 0, 0, 0}) // lying lengths
	f.Fuzz(func(t *testing.T, stream []byte) {
		body, err := ParseSSLv2Record(stream)
		if err != nil {
			var de *DecodeError
			if err != ErrSSLv2Short && !errors.As(err, &de) {
				t.Fatalf("record error %T %v", err, err)
			}
			return
		}
		if len(body) == 0 || len(body) > len(stream)-2 {
			t.Fatalf("body of %d bytes from a %d-byte stream", len(body), len(stream))
		}
		sh, err := ParseSSLv2ServerHello(body)
		if err != nil {
			var de *DecodeError
			var se *SSLv2Error
			if !errors.As(err, &de) && !errors.As(err, &se) {
				t.Fatalf("hello error %T %v", err, err)
			}
			return
		}
		if 11+len(sh.Certificate)+3*len(sh.Kinds)+len(sh.ConnectionID) != len(body) {
			t.Fatalf("lengths do not add up: %+v in %d bytes", sh, len(body))
		}
	})
}

func FuzzParseECHConfigList(f *testing.F) {
	one, err := MarshalECHConfig(testECHConfig())
	if err != nil {
		f.Fatal(err)
	}
	list, _ := MarshalECHConfigList(one, []byte{0xfe, 0x0e, 0, 1, 0})
	f.Add(list)
	f.Add([]byte{0, 0})
	f.Add([]byte{0, 1, 0, 0, 1, 3, 0, 1, 0xee, 0, 2, 1, 2}) // an outer ECH extension
	f.Fuzz(func(t *testing.T, b []byte) {
		configs, err := ParseECHConfigList(b)
		checkErr(t, err)
		if err == nil {
			// Every config's raw bytes re-wrap into the list given.
			var raws [][]byte
			for _, c := range configs {
				raws = append(raws, c.Raw)
				if c.Supported() {
					again, merr := MarshalECHConfig(c)
					if merr != nil || !bytes.Equal(again, c.Raw) {
						t.Fatalf("config %+v re-encodes to %x (%v), was %x", c, again, merr, c.Raw)
					}
				}
			}
			if back, _ := MarshalECHConfigList(raws...); !bytes.Equal(back, b) {
				t.Fatalf("list re-wraps to %x, was %x", back, b)
			}
			mustJSON(t, configs)
		}
		ech, err := ParseECHClientHello(b)
		if err == nil {
			mustJSON(t, ech)
		}
	})
}
