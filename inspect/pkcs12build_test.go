package inspect

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Builders of PKCS#12 files piece by piece, so that every iteration count sits where a test puts
// it (an encoder writes one count everywhere). Contents are built as whole ContentInfo elements,
// bags as whole SafeBag elements.

var (
	p12OIDHMACSHA256 = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09}
	p12OIDAES256CBC  = []byte{0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a}
	p12OIDX509Cert   = []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x16, 0x01} // 1.2.840.113549.1.9.22.1
)

func p12Build(t testing.TB, f func(b *cryptobyte.Builder)) []byte {
	t.Helper()
	var b cryptobyte.Builder
	f(&b)
	out, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func p12AddOID(b *cryptobyte.Builder, oid []byte) {
	b.AddASN1(cbasn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes(oid) })
}

// p12PBE is an AlgorithmIdentifier for a PKCS#12 PBE scheme (oid) with the given count.
func p12PBE(t testing.TB, oid []byte, iterations int64) []byte {
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, oid)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(make([]byte, 8))
				b.AddASN1Int64(iterations)
			})
		})
	})
}

// p12PBKDF2 is the PBKDF2 AlgorithmIdentifier (HMAC-SHA-256); keyLength 0 leaves it out.
func p12PBKDF2(b *cryptobyte.Builder, salt []byte, iterations, keyLength int64) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		p12AddOID(b, pfxOIDPBKDF2)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(salt)
			b.AddASN1Int64(iterations)
			if keyLength != 0 {
				b.AddASN1Int64(keyLength)
			}
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				p12AddOID(b, p12OIDHMACSHA256)
				b.AddASN1NULL()
			})
		})
	})
}

// p12PBES2 is a PBES2 AlgorithmIdentifier: PBKDF2-HMAC-SHA-256 with the given count, AES-256-CBC
// with a zero IV and salt (p12Encrypt uses the same).
func p12PBES2(t testing.TB, iterations int64) []byte {
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, pfxOIDPBES2)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				p12PBKDF2(b, make([]byte, 8), iterations, 0)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					p12AddOID(b, p12OIDAES256CBC)
					b.AddASN1OctetString(make([]byte, 16))
				})
			})
		})
	})
}

// p12Encrypt encrypts plain as p12PBES2(iterations) does under password (UTF-8, as go-pkcs12
// passes it to PBES2).
func p12Encrypt(t testing.TB, password string, iterations int, plain []byte) []byte {
	t.Helper()
	key, err := pbkdf2.Key(sha256.New, password, make([]byte, 8), iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	n := 16 - len(plain)%16
	padded := append(append([]byte(nil), plain...), make([]byte, n)...)
	for i := len(plain); i < len(padded); i++ {
		padded[i] = byte(n)
	}
	cipher.NewCBCEncrypter(block, make([]byte, 16)).CryptBlocks(padded, padded)
	return padded
}

// p12SafeContents is SafeContents holding bags.
func p12SafeContents(t testing.TB, bags ...[]byte) []byte {
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, bag := range bags {
				b.AddBytes(bag)
			}
		})
	})
}

// p12Data is a data ContentInfo holding bags.
func p12Data(t testing.TB, bags ...[]byte) []byte {
	sc := p12SafeContents(t, bags...)
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, pfxOIDData)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(sc)
			})
		})
	})
}

// p12Encrypted is an encryptedData ContentInfo: alg (an AlgorithmIdentifier) over ciphertext.
func p12Encrypted(t testing.TB, alg, ciphertext []byte) []byte {
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, pfxOIDEncryptedData)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1Int64(0)
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						p12AddOID(b, pfxOIDData)
						b.AddBytes(alg)
						b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(ciphertext) })
					})
				})
			})
		})
	})
}

func p12Bag(t testing.TB, oid, value []byte) []byte {
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, oid)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddBytes(value) })
		})
	})
}

// p12Shrouded is a pkcs8ShroudedKeyBag: alg over ciphertext.
func p12Shrouded(t testing.TB, alg, ciphertext []byte) []byte {
	epki := p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(alg)
			b.AddASN1OctetString(ciphertext)
		})
	})
	return p12Bag(t, pfxOIDShroudedKeyBag, epki)
}

func p12KeyBag(t testing.TB, pkcs8 []byte) []byte { return p12Bag(t, pfxOIDKeyBag, pkcs8) }

func p12CertBag(t testing.TB, der []byte) []byte {
	cb := p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p12AddOID(b, p12OIDX509Cert)
			b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(der) })
		})
	})
	return p12Bag(t, pfxOIDCertBag, cb)
}

// p12MAC makes the MacData of a file: given the AuthenticatedSafe, it returns the whole MacData
// element. nil means no MAC.
type p12MAC func(t testing.TB, authSafe []byte) []byte

// p12ClassicMAC is a PKCS#12-KDF HMAC-SHA-256 MAC under password (a BMPString form, or nil),
// with the given count; with a count too large to compute, the digest is zeros.
func p12ClassicMAC(password []byte, iterations int64) p12MAC {
	return func(t testing.TB, authSafe []byte) []byte {
		salt := make([]byte, 8)
		var key []byte
		if iterations <= 100_000 {
			var err error
			h := pkcs12Hash{sha256.New, 32, 64}
			if key, err = pkcs12KDF(context.Background(), h, 3, salt, password, iterations, 32); err != nil {
				t.Fatal(err)
			}
		}
		return p12MacData(t, authSafe, key, func(b *cryptobyte.Builder) {
			p12AddOID(b, oidSHA256DER)
			b.AddASN1NULL()
		}, salt, iterations)
	}
}

// p12PBMAC1 is a PBMAC1 MAC (PBKDF2-HMAC-SHA-256, HMAC-SHA-256) under password (UTF-8); with a
// count or key length too large to compute, the digest is zeros.
func p12PBMAC1(password string, iterations, keyLength int64) p12MAC {
	return func(t testing.TB, authSafe []byte) []byte {
		salt := make([]byte, 8)
		var key []byte
		if iterations <= 100_000 && keyLength > 0 && keyLength <= 64 {
			var err error
			if key, err = pbkdf2.Key(sha256.New, password, salt, int(iterations), int(keyLength)); err != nil {
				t.Fatal(err)
			}
		}
		// RFC 9579: the PBKDF2 parameters carry the salt and count; MacData's own are unused.
		return p12MacData(t, authSafe, key, func(b *cryptobyte.Builder) {
			p12AddOID(b, pfxOIDPBMAC1)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				p12PBKDF2(b, salt, iterations, keyLength)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					p12AddOID(b, p12OIDHMACSHA256)
					b.AddASN1NULL()
				})
			})
		}, []byte("NOT USED"), 1)
	}
}

// p12MacData is a MacData: a DigestInfo of the HMAC-SHA-256 of authSafe under key (zeros when
// key is nil) with the digest algorithm alg writes, then macSalt and iterations.
func p12MacData(t testing.TB, authSafe, key []byte, alg func(b *cryptobyte.Builder), macSalt []byte, iterations int64) []byte {
	digest := make([]byte, 32)
	if key != nil {
		m := hmac.New(sha256.New, key)
		m.Write(authSafe)
		digest = m.Sum(nil)
	}
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, alg)
				b.AddASN1OctetString(digest)
			})
			b.AddASN1OctetString(macSalt)
			b.AddASN1Int64(iterations)
		})
	})
}

// p12PFX assembles a PFX from whole ContentInfo elements.
func p12PFX(t testing.TB, mac p12MAC, contents ...[]byte) []byte {
	t.Helper()
	authSafe := p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, c := range contents {
				b.AddBytes(c)
			}
		})
	})
	return p12Build(t, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(3)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				p12AddOID(b, pfxOIDData)
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1OctetString(authSafe)
				})
			})
			if mac != nil {
				b.AddBytes(mac(t, authSafe))
			}
		})
	})
}

// p12Empty is the BMPString form of the empty password.
var p12Empty = []byte{0, 0}
