package keyschedule

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/hkdf"
)

// ErrUnsupportedSuite is returned (wrapped, with the suite number) for a cipher suite that is
// not a TLS 1.3 suite, or one whose AEAD this package cannot run.
var ErrUnsupportedSuite = errors.New("keys: unsupported cipher suite")

// The TLS 1.3 cipher suites, RFC 8446 §B.4. Callers pass the numbers crypto/tls reports
// (tls.ConnectionState.CipherSuite), so these stay unexported.
const (
	suiteAES128GCMSHA256        uint16 = 0x1301
	suiteAES256GCMSHA384        uint16 = 0x1302
	suiteChaCha20Poly1305SHA256 uint16 = 0x1303
	suiteAES128CCMSHA256        uint16 = 0x1304
	suiteAES128CCM8SHA256       uint16 = 0x1305
)

// ivLen is the per-record nonce length. RFC 8446 §5.3 sets iv_length to max(8, N_MIN) of the
// AEAD, and N_MIN is 12 for every AEAD of the TLS 1.3 suites.
const ivLen = 12

// suiteParams is what the record layer needs to know about a suite: its hash (for
// HKDF-Expand-Label), its AEAD key length, and how to build the AEAD.
type suiteParams struct {
	name    string
	hash    func() hash.Hash
	keyLen  int
	newAEAD func(key []byte) (cipher.AEAD, error) // nil: this package cannot open its records
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// suites lists the five suites of RFC 8446 §B.4. The CCM ones are here so TrafficKeys can
// still derive their keys, but they have no AEAD: neither the standard library nor x/crypto
// implements AES-CCM, and crypto/tls never negotiates CCM, so tlskit never records such a
// connection anyway.
var suites = map[uint16]suiteParams{
	suiteAES128GCMSHA256:        {"TLS_AES_128_GCM_SHA256", sha256.New, 16, newAESGCM},
	suiteAES256GCMSHA384:        {"TLS_AES_256_GCM_SHA384", sha512.New384, 32, newAESGCM},
	suiteChaCha20Poly1305SHA256: {"TLS_CHACHA20_POLY1305_SHA256", sha256.New, chachaKeySize, NewChaCha20Poly1305},
	suiteAES128CCMSHA256:        {"TLS_AES_128_CCM_SHA256", sha256.New, 16, nil},
	suiteAES128CCM8SHA256:       {"TLS_AES_128_CCM_8_SHA256", sha256.New, 16, nil},
}

func lookupSuite(suite uint16) (suiteParams, error) {
	p, ok := suites[suite]
	if !ok {
		return suiteParams{}, fmt.Errorf("%w 0x%04x: not a TLS 1.3 cipher suite", ErrUnsupportedSuite, suite)
	}
	return p, nil
}

// TrafficKeys derives key and IV for a TLS 1.3 cipher suite from a traffic secret, as RFC 8446
// §7.3 says:
//
//	key = HKDF-Expand-Label(secret, "key", "", key_length)
//	iv  = HKDF-Expand-Label(secret, "iv", "", iv_length)
//
// with the suite's hash. It works for all five TLS 1.3 suites, including the CCM ones that
// RecordDecrypter cannot open. The secret must be exactly the hash's length: a secret of
// another length belongs to another suite, and catching that here gives a clearer error than a
// failed decryption later.
func TrafficKeys(suite uint16, secret []byte) (key, iv []byte, err error) {
	p, err := lookupSuite(suite)
	if err != nil {
		return nil, nil, err
	}
	if size := p.hash().Size(); len(secret) != size {
		return nil, nil, fmt.Errorf("keys: traffic secret is %d bytes, %s needs %d", len(secret), p.name, size)
	}
	key, err = expandLabel(p.hash, secret, "key", nil, p.keyLen)
	if err != nil {
		return nil, nil, err
	}
	iv, err = expandLabel(p.hash, secret, "iv", nil, ivLen)
	if err != nil {
		return nil, nil, err
	}
	return key, iv, nil
}

// expandLabel is HKDF-Expand-Label of RFC 8446 §7.1:
//
//	HKDF-Expand(Secret, HkdfLabel, Length), where
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
func expandLabel(h func() hash.Hash, secret []byte, label string, context []byte, length int) ([]byte, error) {
	if length < 0 || length > 0xffff {
		return nil, fmt.Errorf("keys: HKDF-Expand-Label length %d out of range", length)
	}
	var b cryptobyte.Builder
	b.AddUint16(uint16(length))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes([]byte("tls13 "))
		b.AddBytes([]byte(label))
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes(context)
	})
	info, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("keys: HKDF-Expand-Label %q: %v", label, err)
	}
	out := make([]byte, length)
	if _, err := io.ReadFull(hkdf.Expand(h, secret, info), out); err != nil {
		return nil, fmt.Errorf("keys: HKDF-Expand-Label %q: %v", label, err)
	}
	return out, nil
}
