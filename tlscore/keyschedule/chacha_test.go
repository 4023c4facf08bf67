package keyschedule

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestChaCha20Poly1305RFC8439 is the AEAD test vector of RFC 8439 section 2.8.2.
func TestChaCha20Poly1305RFC8439(t *testing.T) {
	t.Parallel()
	key := mustHex(t, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
	nonce := mustHex(t, "070000004041424344454647")
	aad := mustHex(t, "50515253c0c1c2c3c4c5c6c7")
	plaintext := []byte("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
	want := mustHex(t, "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"+
		"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"+
		"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"+
		"3ff4def08e4b7a9de576d26586cec64b6116"+
		"1ae10b594f09e26a7e902ecbd0600691")
	a, err := NewChaCha20Poly1305(key)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Seal(nil, nonce, plaintext, aad); !bytes.Equal(got, want) {
		t.Errorf("Seal:\n got %x\nwant %x", got, want)
	}
	got, err := a.Open(nil, nonce, want, aad)
	if err != nil || !bytes.Equal(got, plaintext) {
		t.Errorf("Open = %q, %v", got, err)
	}
}

// TestChaCha20Poly1305MatchesXCrypto seals and opens the same messages with this composition
// and with x/crypto/chacha20poly1305, across lengths that straddle the 16-byte padding and the
// 64-byte ChaCha20 block, and checks that any flipped bit is refused.
func TestChaCha20Poly1305MatchesXCrypto(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 16384 + 1} {
		for _, aadLen := range []int{0, 5, 13, 16, 31} {
			key, nonce, pt, aad := fill(32), fill(12), fill(n), fill(aadLen)
			ours, err := NewChaCha20Poly1305(key)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := chacha20poly1305.New(key)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.Seal(nil, nonce, pt, aad)
			prefix := []byte("dst")
			got := ours.Seal(append([]byte(nil), prefix...), nonce, pt, aad)
			if !bytes.Equal(got[:len(prefix)], prefix) || !bytes.Equal(got[len(prefix):], want) {
				t.Fatalf("len %d aad %d: Seal differs from x/crypto", n, aadLen)
			}
			opened, err := ours.Open(nil, nonce, want, aad)
			if err != nil || !bytes.Equal(opened, pt) {
				t.Fatalf("len %d aad %d: Open of x/crypto's ciphertext = %v", n, aadLen, err)
			}
			bit := rng.IntN(len(want) * 8)
			tampered := append([]byte(nil), want...)
			tampered[bit/8] ^= 1 << (bit % 8)
			if _, err := ours.Open(nil, nonce, tampered, aad); err == nil {
				t.Fatalf("len %d aad %d: a flipped bit %d was accepted", n, aadLen, bit)
			}
			if aadLen > 0 {
				aad2 := append([]byte(nil), aad...)
				aad2[0] ^= 0x80
				if _, err := ours.Open(nil, nonce, want, aad2); err == nil {
					t.Fatalf("len %d aad %d: a changed header was accepted", n, aadLen)
				}
			}
		}
	}
}

// TestChaCha20Poly1305InPlace seals and opens in place, as cipher.AEAD allows (dst[:0] of the
// input's own buffer), which must not disturb the input before it is read.
func TestChaCha20Poly1305InPlace(t *testing.T) {
	t.Parallel()
	key, nonce, aad := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 12), []byte("header")
	a, err := NewChaCha20Poly1305(key)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := chacha20poly1305.New(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 64, 100} {
		plaintext := bytes.Repeat([]byte("p"), n)
		want := ref.Seal(nil, nonce, plaintext, aad)

		buf := make([]byte, n, n+16)
		copy(buf, plaintext)
		sealed := a.Seal(buf[:0], nonce, buf, aad)
		if !bytes.Equal(sealed, want) {
			t.Fatalf("len %d: Seal in place gave %x, want %x", n, sealed, want)
		}
		opened, err := a.Open(sealed[:0], nonce, sealed, aad)
		if err != nil || !bytes.Equal(opened, plaintext) {
			t.Fatalf("len %d: Open in place gave %q, %v", n, opened, err)
		}
	}
}

func TestChaCha20Poly1305BadInput(t *testing.T) {
	t.Parallel()
	if _, err := NewChaCha20Poly1305(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key was accepted")
	}
	a, err := NewChaCha20Poly1305(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, 15} {
		if _, err := a.Open(nil, make([]byte, 12), make([]byte, n), nil); err == nil {
			t.Errorf("a %d-byte ciphertext, shorter than the tag, was accepted", n)
		}
	}
	if a.NonceSize() != 12 || a.Overhead() != 16 {
		t.Errorf("NonceSize %d Overhead %d, want 12 and 16", a.NonceSize(), a.Overhead())
	}
}
