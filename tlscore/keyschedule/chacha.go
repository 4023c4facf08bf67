package keyschedule

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20"
	//lint:ignore SA1019 deprecated as a building block for general use; composed here into
	// the full AEAD that its deprecation note points to.
	"golang.org/x/crypto/poly1305"
)

// chaCha20Poly1305 is the AEAD of RFC 8439 section 2.8, composed from x/crypto's ChaCha20 and
// Poly1305. x/crypto/chacha20poly1305 is the same construction, but it imports
// golang.org/x/sys/cpu, a second copy of the CPU-feature probe beside the one the standard
// library vendors, whose package initialisation (CPUID, which traps in a virtual machine) added
// about 0.13 ms to the start of every tlskit process, measured with GODEBUG=inittrace=1 on the
// CI machine, for a cipher tlskit uses to open records it recorded and, in tlscore/tls12, to
// protect its own TLS 1.2 records. The tests check it against x/crypto/chacha20poly1305 and
// RFC 8439's vector.
type chaCha20Poly1305 struct {
	key [chacha20.KeySize]byte
}

const (
	chachaKeySize   = chacha20.KeySize
	chachaNonceSize = chacha20.NonceSize
	chachaTagSize   = poly1305.TagSize
)

var errChaChaOpen = errors.New("chacha20poly1305: message authentication failed")

// NewChaCha20Poly1305 is the AEAD with a 32-byte key.
func NewChaCha20Poly1305(key []byte) (cipher.AEAD, error) {
	if len(key) != chachaKeySize {
		return nil, fmt.Errorf("chacha20poly1305: key is %d bytes, want %d", len(key), chachaKeySize)
	}
	c := &chaCha20Poly1305{}
	copy(c.key[:], key)
	return c, nil
}

func (c *chaCha20Poly1305) NonceSize() int { return chachaNonceSize }
func (c *chaCha20Poly1305) Overhead() int  { return chachaTagSize }

// stream returns the cipher at block 1, for the message, and the one-time Poly1305 key taken
// from block 0 (RFC 8439 section 2.6).
func (c *chaCha20Poly1305) stream(nonce []byte) (*chacha20.Cipher, *[32]byte) {
	if len(nonce) != chachaNonceSize {
		panic("chacha20poly1305: bad nonce length passed to Seal or Open")
	}
	s, err := chacha20.NewUnauthenticatedCipher(c.key[:], nonce)
	if err != nil {
		panic(err) // key and nonce lengths are checked above
	}
	var polyKey [32]byte
	s.XORKeyStream(polyKey[:], polyKey[:])
	s.SetCounter(1)
	return s, &polyKey
}

// mac authenticates aad and ciphertext as RFC 8439 section 2.8 lays them out: each padded to
// 16 bytes, then both lengths as 64-bit little-endian numbers.
func mac(polyKey *[32]byte, aad, ciphertext []byte) *poly1305.MAC {
	var zeros [16]byte
	m := poly1305.New(polyKey)
	m.Write(aad)
	m.Write(zeros[:(16-len(aad)%16)%16])
	m.Write(ciphertext)
	m.Write(zeros[:(16-len(ciphertext)%16)%16])
	var lengths [16]byte
	binary.LittleEndian.PutUint64(lengths[:8], uint64(len(aad)))
	binary.LittleEndian.PutUint64(lengths[8:], uint64(len(ciphertext)))
	m.Write(lengths[:])
	return m
}

// Seal protects tlskit's own TLS 1.2 records (tlscore/tls12). As the
// interface allows, plaintext may be dst[len(dst):], to encrypt in place.
func (c *chaCha20Poly1305) Seal(dst, nonce, plaintext, aad []byte) []byte {
	s, polyKey := c.stream(nonce)
	ret, out := grow(dst, len(plaintext)+chachaTagSize)
	s.XORKeyStream(out[:len(plaintext)], plaintext)
	mac(polyKey, aad, out[:len(plaintext)]).Sum(out[len(plaintext):len(plaintext)])
	return ret
}

// Open authenticates, then decrypts. As the interface allows, ciphertext may be
// dst[len(dst):], to decrypt in place.
func (c *chaCha20Poly1305) Open(dst, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < chachaTagSize {
		return nil, errChaChaOpen
	}
	s, polyKey := c.stream(nonce)
	body, tag := ciphertext[:len(ciphertext)-chachaTagSize], ciphertext[len(ciphertext)-chachaTagSize:]
	if !mac(polyKey, aad, body).Verify(tag) {
		return nil, errChaChaOpen
	}
	ret, out := grow(dst, len(body))
	s.XORKeyStream(out, body)
	return ret, nil
}

// grow extends dst by n bytes and returns it with the n new bytes. It never writes them: when
// dst has the room, they may be the very input being sealed or opened in place.
func grow(dst []byte, n int) (ret, out []byte) {
	if total := len(dst) + n; cap(dst) >= total {
		ret = dst[:total]
	} else {
		ret = make([]byte, total)
		copy(ret, dst)
	}
	return ret, ret[len(dst):]
}
