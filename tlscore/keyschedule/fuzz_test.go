package keyschedule_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
)

// FuzzDecrypt feeds arbitrary bytes to Decrypt under a fixed key. Random records almost never
// authenticate, so it also seals the second input as an inner plaintext and checks the
// decrypted result against a plain reading of RFC 8446 §5.4; that way the code after
// authentication (padding, limits) gets fuzzed too.
func FuzzDecrypt(f *testing.F) {
	good := unhex(f, rfc8448RecServerFlight)
	f.Add(good, []byte("hello\x17\x00\x00"))
	f.Add(good[:len(good)-1], []byte{})
	f.Add(good[:5], []byte{0, 0, 0})
	f.Add([]byte{}, []byte{23})
	f.Add([]byte{23, 3, 3, 0xff, 0xff}, []byte{0x16, 0})
	f.Add(append([]byte{23, 3, 3, 0, 17}, make([]byte, 17)...), bytes.Repeat([]byte{0}, 300))

	secret := unhex(f, rfc8448ServerHandshakeSecret)
	f.Fuzz(func(t *testing.T, record, inner []byte) {
		d, err := keyschedule.NewRecordDecrypter(rfc8448Suite, secret)
		if err != nil {
			t.Fatal(err)
		}
		typ, pt, err := d.Decrypt(record)
		switch {
		case err == nil:
			if typ == 0 || d.Seq() != 1 {
				t.Fatalf("success with type %d, Seq() %d", typ, d.Seq())
			}
		case errors.Is(err, keyschedule.ErrDecryptFailed):
			if d.Seq() != 0 {
				t.Fatalf("authentication failure moved Seq() to %d", d.Seq())
			}
		}
		if err != nil && (typ != 0 || pt != nil) {
			t.Fatalf("error %v came with type %d and %d bytes", err, typ, len(pt))
		}

		if len(inner) > 1<<14+256-16 { // the record could not be sent at all
			return
		}
		d, err = keyschedule.NewRecordDecrypter(rfc8448Suite, secret)
		if err != nil {
			t.Fatal(err)
		}
		typ, pt, err = d.Decrypt(sealRecord(t, rfc8448Suite, secret, 0, inner))
		if len(inner) == 0 {
			// Not even a content type: refused by length before authentication.
			if !errors.Is(err, keyschedule.ErrMalformedRecord) || d.Seq() != 0 {
				t.Fatalf("empty inner plaintext: err %v, Seq() %d", err, d.Seq())
			}
			return
		}
		if errors.Is(err, keyschedule.ErrDecryptFailed) {
			t.Fatalf("a record sealed with the right key did not authenticate: %v", err)
		}
		if d.Seq() != 1 {
			t.Fatalf("authenticated record left Seq() at %d", d.Seq())
		}
		end := len(inner) - 1
		for end >= 0 && inner[end] == 0 {
			end--
		}
		wantOK := end >= 0 && len(inner) <= 1<<14+1
		if wantOK != (err == nil) {
			t.Fatalf("inner %d bytes, type at %d: err = %v", len(inner), end, err)
		}
		if err == nil && (typ != inner[end] || !bytes.Equal(pt, inner[:end])) {
			t.Fatalf("got type %d and %d bytes, want type %d and %d bytes", typ, len(pt), inner[end], end)
		}
	})
}

// FuzzParseKeyLog checks that any input parses or fails cleanly, and that what parses is
// consistent: keys are the lower-case hex of ClientRandom and secrets have possible sizes.
func FuzzParseKeyLog(f *testing.F) {
	f.Add([]byte("CLIENT_HANDSHAKE_TRAFFIC_SECRET " + random1 + " " + hex32a + "\n"))
	f.Add([]byte("# comment\r\nCLIENT_RANDOM " + random1 + " " + hex48 + "\r\n\r\n"))
	f.Add([]byte("EXPORTER_SECRET " + random2 + " 00\nSERVER_TRAFFIC_SECRET_0 " + random2 + " " + hex48))
	f.Add([]byte("garbage\n"))
	f.Add([]byte("SERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32a + "\nSERVER_TRAFFIC_SECRET_0 " + random1 + " " + hex32b))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		logs, err := keyschedule.ParseKeyLog(data)
		if err != nil {
			if logs != nil {
				t.Fatal("map alongside an error")
			}
			return
		}
		for k, kl := range logs {
			if k != hex.EncodeToString(kl.ClientRandom) || len(kl.ClientRandom) != 32 {
				t.Fatalf("key %q for client random %x", k, kl.ClientRandom)
			}
			for _, s := range [][]byte{kl.ClientHandshakeTrafficSecret, kl.ServerHandshakeTrafficSecret,
				kl.ClientTrafficSecret0, kl.ServerTrafficSecret0, kl.ClientEarlyTrafficSecret} {
				if s != nil && len(s) != 32 && len(s) != 48 {
					t.Fatalf("TLS 1.3 secret of %d bytes", len(s))
				}
			}
			if kl.MasterSecret != nil && len(kl.MasterSecret) != 48 {
				t.Fatalf("master secret of %d bytes", len(kl.MasterSecret))
			}
		}
	})
}
