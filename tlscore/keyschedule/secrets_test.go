package keyschedule_test

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
)

// RFC 8448 §3's intermediate values of the key schedule, up to the handshake traffic secrets
// (already in rfc8448_test.go, which the records of the trace decrypt under).
const (
	rfc8448EarlySecret  = `33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a`
	rfc8448Derived      = `6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba`
	rfc8448SharedSecret = `8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d`
	rfc8448HSSecret     = `1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac`
	rfc8448HelloHash    = `86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8`
	rfc8448EmptySHA256  = `e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55`
)

func TestRFC8448KeySchedule(t *testing.T) {
	early, err := keyschedule.Extract(rfc8448Suite, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, rfc8448EarlySecret); !bytes.Equal(early, want) {
		t.Fatalf("early secret %x, want %x", early, want)
	}
	empty, err := keyschedule.TranscriptHash(rfc8448Suite)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, rfc8448EmptySHA256); !bytes.Equal(empty, want) {
		t.Fatalf("empty transcript hash %x, want %x", empty, want)
	}
	derived, err := keyschedule.DeriveSecret(rfc8448Suite, early, "derived", empty)
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, rfc8448Derived); !bytes.Equal(derived, want) {
		t.Fatalf("derived %x, want %x", derived, want)
	}
	hs, err := keyschedule.Extract(rfc8448Suite, derived, unhex(t, rfc8448SharedSecret))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, rfc8448HSSecret); !bytes.Equal(hs, want) {
		t.Fatalf("handshake secret %x, want %x", hs, want)
	}
	client, server, err := keyschedule.HandshakeTrafficSecrets(rfc8448Suite, unhex(t, rfc8448SharedSecret), unhex(t, rfc8448HelloHash))
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, rfc8448ClientHandshakeSecret); !bytes.Equal(client, want) {
		t.Errorf("client handshake traffic secret %x, want %x", client, want)
	}
	if want := unhex(t, rfc8448ServerHandshakeSecret); !bytes.Equal(server, want) {
		t.Errorf("server handshake traffic secret %x, want %x", server, want)
	}
	// And the server's flight decrypts under what was derived.
	d, err := keyschedule.NewRecordDecrypter(rfc8448Suite, server)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Decrypt(unhex(t, rfc8448RecServerFlight)); err != nil {
		t.Errorf("server flight under the derived secret: %v", err)
	}
}

func TestMessageHash(t *testing.T) {
	ch := []byte{1, 0, 0, 2, 3, 3}
	got, err := keyschedule.MessageHash(rfc8448Suite, ch)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ch)
	want := append([]byte{254, 0, 0, 32}, sum[:]...)
	if !bytes.Equal(got, want) {
		t.Errorf("MessageHash = %x, want %x", got, want)
	}
	// SHA-384 for TLS_AES_256_GCM_SHA384.
	got, err = keyschedule.MessageHash(0x1302, ch)
	if err != nil || len(got) != 4+48 || got[3] != 48 {
		t.Errorf("MessageHash(SHA-384) = %x, %v", got, err)
	}
}

func TestKeyScheduleErrors(t *testing.T) {
	if _, err := keyschedule.Extract(0xc02f, nil, nil); err == nil {
		t.Error("Extract with a TLS 1.2 suite: no error")
	}
	if _, err := keyschedule.DeriveSecret(rfc8448Suite, make([]byte, 32), "derived", make([]byte, 48)); err == nil {
		t.Error("DeriveSecret with a SHA-384-sized hash under a SHA-256 suite: no error")
	}
	if _, _, err := keyschedule.HandshakeTrafficSecrets(rfc8448Suite, nil, make([]byte, 32)); err == nil {
		t.Error("HandshakeTrafficSecrets without a shared secret: no error")
	}
	if _, _, err := keyschedule.HandshakeTrafficSecrets(0x1302, make([]byte, 32), make([]byte, 32)); err == nil {
		t.Error("HandshakeTrafficSecrets with a SHA-256 transcript hash for a SHA-384 suite: no error")
	}
}
