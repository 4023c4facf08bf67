package keyschedule_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
)

func TestTrafficKeysSuites(t *testing.T) {
	tests := []struct {
		suite     uint16
		secretLen int
		keyLen    int
	}{
		{0x1301, 32, 16},
		{0x1302, 48, 32},
		{0x1303, 32, 32},
		// The CCM suites have a key schedule even though RecordDecrypter cannot open them.
		{0x1304, 32, 16},
		{0x1305, 32, 16},
	}
	for _, tt := range tests {
		key, iv, err := keyschedule.TrafficKeys(tt.suite, bytes.Repeat([]byte{7}, tt.secretLen))
		if err != nil {
			t.Errorf("%#04x: %v", tt.suite, err)
			continue
		}
		if len(key) != tt.keyLen || len(iv) != 12 {
			t.Errorf("%#04x: key %d bytes, iv %d bytes; want %d and 12", tt.suite, len(key), len(iv), tt.keyLen)
		}
	}
}

func TestTrafficKeysErrors(t *testing.T) {
	tests := []struct {
		name        string
		suite       uint16
		secret      []byte
		unsupported bool // want ErrUnsupportedSuite
	}{
		{"zero suite", 0x0000, make([]byte, 32), true},
		{"TLS 1.2 suite", 0xc02f, make([]byte, 32), true},
		{"next unassigned", 0x1306, make([]byte, 32), true},
		{"nil secret", 0x1301, nil, false},
		{"short secret", 0x1301, make([]byte, 31), false},
		{"SHA-384 secret for a SHA-256 suite", 0x1301, make([]byte, 48), false},
		{"SHA-256 secret for a SHA-384 suite", 0x1302, make([]byte, 32), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, iv, err := keyschedule.TrafficKeys(tt.suite, tt.secret)
			if err == nil {
				t.Fatalf("no error; key %x iv %x", key, iv)
			}
			if got := errors.Is(err, keyschedule.ErrUnsupportedSuite); got != tt.unsupported {
				t.Errorf("errors.Is(ErrUnsupportedSuite) = %v for %v", got, err)
			}
			if _, err := keyschedule.NewRecordDecrypter(tt.suite, tt.secret); err == nil {
				t.Errorf("NewRecordDecrypter accepted it")
			}
		})
	}
}

func TestNewRecordDecrypterCCMUnsupported(t *testing.T) {
	for _, suite := range []uint16{0x1304, 0x1305} {
		_, err := keyschedule.NewRecordDecrypter(suite, make([]byte, 32))
		if !errors.Is(err, keyschedule.ErrUnsupportedSuite) {
			t.Errorf("%#04x: err = %v, want ErrUnsupportedSuite", suite, err)
		} else if !strings.Contains(err.Error(), "CCM") {
			t.Errorf("%#04x: error %q does not say which suite", suite, err)
		}
	}
}

func TestZeroValueDecrypter(t *testing.T) {
	var nilDec *keyschedule.RecordDecrypter
	for _, d := range []*keyschedule.RecordDecrypter{nilDec, {}} {
		if _, _, err := d.Decrypt(unhex(t, rfc8448RecServerFlight)); err == nil {
			t.Error("Decrypt on an unusable decrypter succeeded")
		}
		if d.Seq() != 0 {
			t.Error("Seq() on an unusable decrypter is not 0")
		}
	}
}

// TestDecryptBadRecords feeds records that must be refused without using up a sequence
// number, and checks which sentinel each error carries.
func TestDecryptBadRecords(t *testing.T) {
	good := unhex(t, rfc8448RecServerFlight)
	with := func(f func(r []byte) []byte) []byte { return f(bytes.Clone(good)) }

	// A record whose header claims one byte over the RFC 8446 limit, and has that many bytes.
	overLen := 1<<14 + 257
	over := append([]byte{23, 3, 3, byte(overLen >> 8), byte(overLen)}, make([]byte, overLen)...)

	tests := []struct {
		name   string
		record []byte
		want   error
	}{
		{"empty", nil, keyschedule.ErrMalformedRecord},
		{"partial header", good[:4], keyschedule.ErrMalformedRecord},
		{"header only", good[:5], keyschedule.ErrMalformedRecord},
		{"truncated by one byte", good[:len(good)-1], keyschedule.ErrMalformedRecord},
		{"truncated to half", good[:len(good)/2], keyschedule.ErrMalformedRecord},
		{"trailing byte", append(bytes.Clone(good), 0), keyschedule.ErrMalformedRecord},
		{"two records", append(bytes.Clone(good), good...), keyschedule.ErrMalformedRecord},
		{"plaintext handshake type", with(func(r []byte) []byte { r[0] = 22; return r }), keyschedule.ErrMalformedRecord},
		{"ChangeCipherSpec", []byte{20, 3, 3, 0, 1, 1}, keyschedule.ErrMalformedRecord},
		{"over 2^14+256", over, keyschedule.ErrMalformedRecord},
		{"tag only, no content type", append([]byte{23, 3, 3, 0, 16}, make([]byte, 16)...), keyschedule.ErrMalformedRecord},
		{"flipped ciphertext bit", with(func(r []byte) []byte { r[100] ^= 1; return r }), keyschedule.ErrDecryptFailed},
		{"flipped tag bit", with(func(r []byte) []byte { r[len(r)-1] ^= 0x80; return r }), keyschedule.ErrDecryptFailed},
		// The header is the AAD, so even the unchecked version field is authenticated.
		{"altered legacy version", with(func(r []byte) []byte { r[2] = 1; return r }), keyschedule.ErrDecryptFailed},
		{"smallest well-formed record, random bytes", append([]byte{23, 3, 3, 0, 17}, make([]byte, 17)...), keyschedule.ErrDecryptFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := keyschedule.NewRecordDecrypter(rfc8448Suite, unhex(t, rfc8448ServerHandshakeSecret))
			if err != nil {
				t.Fatal(err)
			}
			typ, pt, err := d.Decrypt(tt.record)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if typ != 0 || pt != nil {
				t.Errorf("returned type %d and %d bytes alongside an error", typ, len(pt))
			}
			if d.Seq() != 0 {
				t.Errorf("Seq() = %d after a refused record, want 0", d.Seq())
			}
			// The decrypter must still work: the refused record did not disturb it.
			if _, _, err := d.Decrypt(good); err != nil {
				t.Errorf("good record after the bad one: %v", err)
			}
		})
	}
}

// TestDecryptWrongSecret is the caller's "try the next secret" path with real secrets of the
// same connection (RFC 8448) and of the wrong size for the suite.
func TestDecryptWrongSecret(t *testing.T) {
	record := unhex(t, rfc8448RecServerFlight)
	for _, secret := range []string{rfc8448ClientHandshakeSecret, rfc8448ServerAppSecret, rfc8448ClientAppSecret} {
		d, err := keyschedule.NewRecordDecrypter(rfc8448Suite, unhex(t, secret))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ { // repeated failures stay at 0 too
			if _, _, err := d.Decrypt(record); !errors.Is(err, keyschedule.ErrDecryptFailed) {
				t.Fatalf("err = %v, want ErrDecryptFailed", err)
			}
		}
		if d.Seq() != 0 {
			t.Errorf("Seq() = %d, want 0", d.Seq())
		}
	}
	// Same secret, wrong suite: the keys differ, so authentication fails.
	d, err := keyschedule.NewRecordDecrypter(0x1303, unhex(t, rfc8448ServerHandshakeSecret))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Decrypt(record); !errors.Is(err, keyschedule.ErrDecryptFailed) {
		t.Fatalf("wrong suite: err = %v, want ErrDecryptFailed", err)
	}
}

// TestDecryptInnerPlaintext checks the TLSInnerPlaintext rules of RFC 8446 §5.4 on records
// sealed in the test, for every suite the decrypter supports.
func TestDecryptInnerPlaintext(t *testing.T) {
	tests := []struct {
		name     string
		inner    []byte
		wantType uint8
		want     []byte
		wantErr  error // nil: must succeed
		seqMoves bool
	}{
		{"no padding", []byte("hello\x17"), 23, []byte("hello"), nil, true},
		{"padded", append([]byte("hello\x17"), make([]byte, 100)...), 23, []byte("hello"), nil, true},
		{"content ending in zeros", []byte("ab\x00\x00\x16\x00\x00"), 22, []byte("ab\x00\x00"), nil, true},
		{"empty application data", []byte{23}, 23, []byte{}, nil, true},
		{"padding only after type", append([]byte{21}, make([]byte, 500)...), 21, []byte{}, nil, true},
		{"largest allowed", append(bytes.Repeat([]byte{'x'}, 1<<14), 23), 23, bytes.Repeat([]byte{'x'}, 1<<14), nil, true},
		{"padding to the limit", append([]byte{1, 0, 21}, make([]byte, 1<<14-2)...), 21, []byte{1, 0}, nil, true},
		// Authenticated, so these use up their sequence number, but are still refused.
		{"all zeros", make([]byte, 10), 0, nil, keyschedule.ErrMalformedRecord, true},
		{"single zero", []byte{0}, 0, nil, keyschedule.ErrMalformedRecord, true},
		{"inner plaintext over 2^14+1", append(bytes.Repeat([]byte{'x'}, 1<<14+1), 23), 0, nil, keyschedule.ErrMalformedRecord, true},
	}
	for _, suite := range []struct {
		id        uint16
		secretLen int
	}{{0x1301, 32}, {0x1302, 48}, {0x1303, 32}} {
		secret := bytes.Repeat([]byte{byte(suite.id)}, suite.secretLen)
		for _, tt := range tests {
			d, err := keyschedule.NewRecordDecrypter(suite.id, secret)
			if err != nil {
				t.Fatal(err)
			}
			// Two records, so the second also checks the nonce of sequence number 1.
			for seq := uint64(0); seq < 2; seq++ {
				typ, got, err := d.Decrypt(sealRecord(t, suite.id, secret, seq, tt.inner))
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Errorf("%#04x %s: err = %v, want %v", suite.id, tt.name, err, tt.wantErr)
					}
				} else if err != nil {
					t.Errorf("%#04x %s: %v", suite.id, tt.name, err)
				} else if typ != tt.wantType || !bytes.Equal(got, tt.want) {
					t.Errorf("%#04x %s: got type %d, %q; want %d, %q", suite.id, tt.name, typ, trunc(got), tt.wantType, trunc(tt.want))
				}
				if want := seq + 1; d.Seq() != want {
					t.Errorf("%#04x %s: Seq() = %d, want %d", suite.id, tt.name, d.Seq(), want)
				}
			}
		}
	}
}

// TestDecryptDoesNotAlias makes sure the plaintext is the caller's to keep: tlskit holds on to
// decrypted messages while it reuses or releases the recorded bytes.
func TestDecryptDoesNotAlias(t *testing.T) {
	secret := make([]byte, 32)
	rec := sealRecord(t, 0x1301, secret, 0, []byte("secret message\x17"))
	d, err := keyschedule.NewRecordDecrypter(0x1301, secret)
	if err != nil {
		t.Fatal(err)
	}
	_, pt, err := d.Decrypt(rec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rec {
		rec[i] = 0xff
	}
	if string(pt) != "secret message" {
		t.Fatalf("plaintext changed with the record: %q", pt)
	}
	if cap(pt) != len(pt) {
		t.Errorf("cap(plaintext) = %d > len %d: appending would overwrite the type byte", cap(pt), len(pt))
	}
}

func trunc(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}
