package material

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"hash"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// Low enough that the many encryptions in these tests stay fast; the work factor itself is
// exercised once, in TestEncryptPKCS8DefaultIterations.
const testIterations = 1000

var testPassword = []byte("correct horse battery staple")

type testKey struct {
	name string
	key  crypto.Signer
	der  []byte // PKCS#8 PrivateKeyInfo
}

// RSA key generation dominates the run time, so all tests share one set of keys.
var testKeys = sync.OnceValues(func() ([]testKey, error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	var keys []testKey
	for _, k := range []struct {
		name string
		key  crypto.Signer
	}{{"ECDSA-P256", ec}, {"RSA-2048", rk}, {"Ed25519", ed}} {
		der, err := x509.MarshalPKCS8PrivateKey(k.key)
		if err != nil {
			return nil, err
		}
		keys = append(keys, testKey{k.name, k.key, der})
	}
	return keys, nil
})

func mustTestKeys(t testing.TB) []testKey {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatalf("generating test keys: %v", err)
	}
	return keys
}

func mustEncrypt(t testing.TB, der, password []byte, iterations int) []byte {
	t.Helper()
	enc, err := EncryptPKCS8(rand.Reader, der, password, iterations)
	if err != nil {
		t.Fatalf("EncryptPKCS8: %v", err)
	}
	return enc
}

// assertSameKey checks that der is a PKCS#8 encoding of want; OpenSSL may re-encode a key, so
// comparing bytes would be too strict.
func assertSameKey(t *testing.T, der []byte, want crypto.Signer) {
	t.Helper()
	got, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("decrypted key does not parse: %v", err)
	}
	eq, ok := got.(interface{ Equal(crypto.PrivateKey) bool })
	if !ok || !eq.Equal(want) {
		t.Fatalf("decrypted key %T differs from the original", got)
	}
}

func TestEncryptDecryptPKCS8RoundTrip(t *testing.T) {
	for _, k := range mustTestKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			orig := bytes.Clone(k.der)
			enc := mustEncrypt(t, k.der, testPassword, testIterations)
			if !bytes.Equal(k.der, orig) {
				t.Fatal("EncryptPKCS8 modified its input")
			}
			if bytes.Contains(enc, k.der[len(k.der)-16:]) {
				t.Fatal("encrypted blob contains plaintext key bytes")
			}
			got, err := DecryptPKCS8(enc, testPassword)
			if err != nil {
				t.Fatalf("DecryptPKCS8: %v", err)
			}
			if !bytes.Equal(got, k.der) {
				t.Fatal("round trip changed the PKCS#8 bytes")
			}
			assertSameKey(t, got, k.key)
		})
	}
}

func TestEncryptPKCS8Encoding(t *testing.T) {
	der := mustTestKeys(t)[2].der
	// A fixed reader makes salt and IV predictable so we can find them in the output.
	randBytes := bytes.Repeat([]byte{0xAB}, 16)
	randBytes = append(randBytes, bytes.Repeat([]byte{0xCD}, 16)...)
	enc, err := EncryptPKCS8(bytes.NewReader(randBytes), der, testPassword, 4321)
	if err != nil {
		t.Fatal(err)
	}

	var epki encryptedPrivateKeyInfo
	if err := pkcs8UnmarshalExact(enc, &epki); err != nil {
		t.Fatal(err)
	}
	if !epki.Algorithm.Algorithm.Equal(oidPBES2) {
		t.Fatalf("scheme = %v, want PBES2", epki.Algorithm.Algorithm)
	}
	var params pbes2Params
	if err := pkcs8UnmarshalExact(epki.Algorithm.Parameters.FullBytes, &params); err != nil {
		t.Fatal(err)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		t.Fatalf("KDF = %v, want PBKDF2", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2ParamsOut
	if err := pkcs8UnmarshalExact(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kdf.Salt, randBytes[:16]) || kdf.IterationCount != 4321 {
		t.Fatalf("salt %x iterations %d", kdf.Salt, kdf.IterationCount)
	}
	if !kdf.PRF.Algorithm.Equal(oidHMACWithSHA256) || !pkcs8IsNull(kdf.PRF.Parameters) {
		t.Fatalf("prf = %v params %x, want hmacWithSHA256 NULL", kdf.PRF.Algorithm, kdf.PRF.Parameters.FullBytes)
	}
	if !params.EncryptionScheme.Algorithm.Equal(oidAES256CBC) {
		t.Fatalf("cipher = %v, want aes256-CBC", params.EncryptionScheme.Algorithm)
	}
	var iv []byte
	if err := pkcs8UnmarshalExact(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(iv, randBytes[16:]) {
		t.Fatalf("IV = %x", iv)
	}
	// PKCS#7 always adds padding, so an exact multiple of the block size grows by a full block.
	if want := (len(der)/16 + 1) * 16; len(epki.EncryptedData) != want {
		t.Fatalf("ciphertext is %d bytes, want %d", len(epki.EncryptedData), want)
	}

	// Fresh randomness must give a fresh salt and IV every time.
	a := mustEncrypt(t, der, testPassword, testIterations)
	b := mustEncrypt(t, der, testPassword, testIterations)
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions produced identical output")
	}

	// nil means crypto/rand.
	if _, err := EncryptPKCS8(nil, der, testPassword, testIterations); err != nil {
		t.Fatalf("nil rand: %v", err)
	}
}

func TestEncryptPKCS8RejectsBadArguments(t *testing.T) {
	der := mustTestKeys(t)[0].der
	tests := []struct {
		name       string
		rand       *bytes.Reader
		der        []byte
		password   []byte
		iterations int
	}{
		{"zero iterations", nil, der, testPassword, 0},
		{"negative iterations", nil, der, testPassword, -1},
		{"nil password", nil, der, nil, testIterations},
		{"empty password", nil, der, []byte{}, testIterations},
		{"nil key", nil, nil, testPassword, testIterations},
		{"garbage key", nil, []byte("not a key"), testPassword, testIterations},
		{"truncated key", nil, der[:len(der)-1], testPassword, testIterations},
		{"key with trailing data", nil, append(bytes.Clone(der), 0), testPassword, testIterations},
		{"short rand", bytes.NewReader(make([]byte, 20)), der, testPassword, testIterations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r = rand.Reader
			if tt.rand != nil {
				r = tt.rand
			}
			if out, err := EncryptPKCS8(r, tt.der, tt.password, tt.iterations); err == nil {
				t.Fatalf("EncryptPKCS8 succeeded: %x", out)
			}
		})
	}
}

func TestDecryptPKCS8WrongPassword(t *testing.T) {
	for _, k := range mustTestKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			enc := mustEncrypt(t, k.der, testPassword, testIterations)
			for _, pw := range [][]byte{nil, []byte("wrong"), []byte("correct horse battery stapl"), append(bytes.Clone(testPassword), ' ')} {
				if _, err := DecryptPKCS8(enc, pw); !errors.Is(err, ErrIncorrectPassword) {
					t.Errorf("password %q: err = %v, want ErrIncorrectPassword", pw, err)
				}
			}
		})
	}

	// Roughly one wrong password in 256 yields valid padding, so many tries with a cheap KDF
	// make sure that path also ends in ErrIncorrectPassword rather than in garbage being
	// returned.
	enc := mustEncrypt(t, mustTestKeys(t)[2].der, testPassword, 1)
	for i := range 2000 {
		pw := []byte{byte(i), byte(i >> 8), 'x'}
		if _, err := DecryptPKCS8(enc, pw); !errors.Is(err, ErrIncorrectPassword) {
			t.Fatalf("password %x: err = %v, want ErrIncorrectPassword", pw, err)
		}
	}
}

// blobSpec describes a PBES2 blob to build with an encoder independent of EncryptPKCS8, so the
// decoder is tested against encodings other tools produce, not just against our own writer.
type blobSpec struct {
	scheme    asn1.ObjectIdentifier // default PBES2
	kdf       asn1.ObjectIdentifier // default PBKDF2
	saltDER   []byte                // default: OCTET STRING of 8 bytes
	iterDER   []byte                // default: INTEGER testIterations
	keyLenDER []byte                // default: absent
	prfDER    []byte                // default: absent (hmacWithSHA1)
	extraDER  []byte                // appended to PBKDF2-params
	cipher    asn1.ObjectIdentifier // default aes256-CBC
	ivDER     []byte                // default: OCTET STRING of the block size

	// How to actually encrypt; defaults match the defaults above.
	hash      func() hash.Hash
	keySize   int
	newBlock  func([]byte) (cipher.Block, error)
	blockSize int
	plaintext []byte
	mutateCT  func([]byte) []byte
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func derSequence(t testing.TB, elems ...[]byte) []byte {
	return mustMarshal(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: bytes.Join(elems, nil)})
}

func algID(t testing.TB, oid asn1.ObjectIdentifier, params []byte) []byte {
	if params == nil {
		return derSequence(t, mustMarshal(t, oid))
	}
	return derSequence(t, mustMarshal(t, oid), params)
}

func buildBlob(t testing.TB, s blobSpec) []byte {
	t.Helper()
	var (
		salt = []byte("saltsalt")
		iv   []byte
		iter = testIterations
	)
	if s.scheme == nil {
		s.scheme = oidPBES2
	}
	if s.kdf == nil {
		s.kdf = oidPBKDF2
	}
	if s.saltDER == nil {
		s.saltDER = mustMarshal(t, salt)
	} else {
		var v []byte
		if _, err := asn1.Unmarshal(s.saltDER, &v); err == nil {
			salt = v
		}
	}
	if s.iterDER == nil {
		s.iterDER = mustMarshal(t, iter)
	} else {
		var v int
		if _, err := asn1.Unmarshal(s.iterDER, &v); err == nil && v > 0 && v <= 100000 {
			iter = v
		}
	}
	if s.cipher == nil {
		s.cipher = oidAES256CBC
	}
	if s.hash == nil {
		s.hash = sha1.New
	}
	if s.keySize == 0 {
		s.keySize = 32
	}
	if s.newBlock == nil {
		s.newBlock = aes.NewCipher
	}
	if s.blockSize == 0 {
		s.blockSize = aes.BlockSize
	}
	if s.ivDER == nil {
		iv = bytes.Repeat([]byte{7}, s.blockSize)
		s.ivDER = mustMarshal(t, iv)
	} else if _, err := asn1.Unmarshal(s.ivDER, &iv); err != nil || len(iv) != s.blockSize {
		iv = make([]byte, s.blockSize)
	}
	if s.plaintext == nil {
		s.plaintext = mustTestKeys(t)[2].der
	}

	key, err := pbkdf2.Key(s.hash, string(testPassword), salt, iter, s.keySize)
	if err != nil {
		t.Fatal(err)
	}
	block, err := s.newBlock(key)
	if err != nil {
		t.Fatal(err)
	}
	ct := pbes2Pad(s.plaintext, s.blockSize)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	if s.mutateCT != nil {
		ct = s.mutateCT(ct)
	}

	kdfElems := [][]byte{s.saltDER, s.iterDER}
	if s.keyLenDER != nil {
		kdfElems = append(kdfElems, s.keyLenDER)
	}
	if s.prfDER != nil {
		kdfElems = append(kdfElems, s.prfDER)
	}
	if s.extraDER != nil {
		kdfElems = append(kdfElems, s.extraDER)
	}
	kdfParams := derSequence(t, kdfElems...)
	schemeParams := derSequence(t, algID(t, s.kdf, kdfParams), algID(t, s.cipher, s.ivDER))
	return derSequence(t, algID(t, s.scheme, schemeParams), mustMarshal(t, ct))
}

func TestDecryptPKCS8Variants(t *testing.T) {
	null := mustMarshal(t, asn1.NullRawValue)
	prf := func(oid asn1.ObjectIdentifier) []byte { return algID(t, oid, null) }
	tests := []struct {
		name string
		spec blobSpec
	}{
		{"prf absent means hmacWithSHA1", blobSpec{}},
		{"hmacWithSHA1 explicit", blobSpec{prfDER: prf(oidHMACWithSHA1)}},
		{"hmacWithSHA224", blobSpec{prfDER: prf(oidHMACWithSHA224), hash: sha256.New224}},
		{"hmacWithSHA256", blobSpec{prfDER: prf(oidHMACWithSHA256), hash: sha256.New}},
		{"hmacWithSHA384", blobSpec{prfDER: prf(oidHMACWithSHA384), hash: sha512.New384}},
		{"hmacWithSHA512", blobSpec{prfDER: prf(oidHMACWithSHA512), hash: sha512.New}},
		{"prf without parameters", blobSpec{prfDER: algID(t, oidHMACWithSHA256, nil), hash: sha256.New}},
		{"aes128-CBC", blobSpec{cipher: oidAES128CBC, keySize: 16}},
		{"aes192-CBC", blobSpec{cipher: oidAES192CBC, keySize: 24}},
		{"des-ede3-cbc", blobSpec{cipher: oidDESEDE3CBC, keySize: 24, newBlock: des.NewTripleDESCipher, blockSize: des.BlockSize}},
		{"keyLength present and matching", blobSpec{keyLenDER: mustMarshal(t, 32), prfDER: prf(oidHMACWithSHA256), hash: sha256.New}},
		{"keyLength with default prf", blobSpec{cipher: oidAES128CBC, keySize: 16, keyLenDER: mustMarshal(t, 16)}},
		{"long salt", blobSpec{saltDER: mustMarshal(t, make([]byte, 64))}},
		{"RSA key", blobSpec{plaintext: mustTestKeys(t)[1].der}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.spec.plaintext
			if want == nil {
				want = mustTestKeys(t)[2].der
			}
			got, err := DecryptPKCS8(buildBlob(t, tt.spec), testPassword)
			if err != nil {
				t.Fatalf("DecryptPKCS8: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("decrypted bytes differ from the original key")
			}
		})
	}
}

func TestDecryptPKCS8Rejects(t *testing.T) {
	null := mustMarshal(t, asn1.NullRawValue)
	oid := func(s ...int) asn1.ObjectIdentifier { return asn1.ObjectIdentifier(s) }
	tests := []struct {
		name    string
		blob    []byte
		wantErr string // substring; "" means ErrIncorrectPassword
	}{
		{"PBES1", buildBlob(t, blobSpec{scheme: oid(1, 2, 840, 113549, 1, 5, 10)}), "pbeWithSHA1AndDES-CBC"},
		{"PKCS#12 PBE", buildBlob(t, blobSpec{scheme: oid(1, 2, 840, 113549, 1, 12, 1, 3)}), "1.2.840.113549.1.12.1.3"},
		{"unknown scheme", buildBlob(t, blobSpec{scheme: oid(1, 2, 3, 4)}), "1.2.3.4"},
		{"scrypt", buildBlob(t, blobSpec{kdf: oid(1, 3, 6, 1, 4, 1, 11591, 4, 11)}), "scrypt"},
		{"unknown prf", buildBlob(t, blobSpec{prfDER: algID(t, oid(1, 2, 840, 113549, 2, 13), null)}), "hmacWithSHA512-256"},
		{"prf with parameters", buildBlob(t, blobSpec{prfDER: algID(t, oidHMACWithSHA1, mustMarshal(t, 5))}), "unexpected parameters"},
		{"AES-GCM", buildBlob(t, blobSpec{cipher: oid(2, 16, 840, 1, 101, 3, 4, 1, 46)}), "aes256-GCM"},
		{"single DES", buildBlob(t, blobSpec{cipher: oid(1, 3, 14, 3, 2, 7)}), "des-CBC"},
		{"iterations above cap", buildBlob(t, blobSpec{iterDER: mustMarshal(t, MaxKDFIterations+1)}), "exceeds the limit"},
		{"huge iterations", buildBlob(t, blobSpec{iterDER: mustMarshal(t, int64(1)<<62)}), "exceeds the limit"},
		{"oversized iteration integer", buildBlob(t, blobSpec{iterDER: append([]byte{2, 9, 1}, make([]byte, 8)...)}), "iteration count"},
		{"zero iterations", buildBlob(t, blobSpec{iterDER: mustMarshal(t, 0)}), "not positive"},
		{"negative iterations", buildBlob(t, blobSpec{iterDER: mustMarshal(t, -5)}), "not positive"},
		{"keyLength mismatch", buildBlob(t, blobSpec{keyLenDER: mustMarshal(t, 16)}), "keyLength 16"},
		{"keyLength zero", buildBlob(t, blobSpec{keyLenDER: mustMarshal(t, 0)}), "key length"},
		{"salt otherSource", buildBlob(t, blobSpec{saltDER: algID(t, oid(1, 2, 3), nil)}), "otherSource"},
		{"salt wrong type", buildBlob(t, blobSpec{saltDER: mustMarshal(t, 5)}), "salt"},
		{"extra PBKDF2 field", buildBlob(t, blobSpec{prfDER: algID(t, oidHMACWithSHA1, null), extraDER: mustMarshal(t, 1)}), "trailing field"},
		{"short IV", buildBlob(t, blobSpec{ivDER: mustMarshal(t, make([]byte, 8))}), "IV is 8 bytes"},
		{"IV not OCTET STRING", buildBlob(t, blobSpec{ivDER: null}), "aes256-CBC parameters"},
		{"ciphertext not whole blocks", buildBlob(t, blobSpec{mutateCT: func(b []byte) []byte { return b[:len(b)-1] }}), "whole number of blocks"},
		{"empty ciphertext", buildBlob(t, blobSpec{mutateCT: func([]byte) []byte { return []byte{} }}), "whole number of blocks"},
		{"trailing data", append(buildBlob(t, blobSpec{}), 0), "trailing data"},
		{"not PKCS#8 but valid padding", buildBlob(t, blobSpec{plaintext: []byte("definitely not a private key")}), ""},
		{"PKCS#8 version 2", buildBlob(t, blobSpec{plaintext: derSequence(t, mustMarshal(t, 2), algID(t, oid(1, 3, 101, 112), nil), mustMarshal(t, make([]byte, 34)))}), ""},
		{"corrupted last block", buildBlob(t, blobSpec{mutateCT: func(b []byte) []byte { b[len(b)-1] ^= 1; return b }}), ""},
		{"well-formed PKCS#8 of an unknown algorithm", buildBlob(t, blobSpec{plaintext: derSequence(t, mustMarshal(t, 0), algID(t, oid(1, 3, 101, 113), nil), mustMarshal(t, make([]byte, 59)))}), "not usable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			out, err := DecryptPKCS8(tt.blob, testPassword)
			if err == nil {
				t.Fatalf("DecryptPKCS8 succeeded: %x", out)
			}
			if tt.wantErr == "" {
				if !errors.Is(err, ErrIncorrectPassword) {
					t.Fatalf("err = %v, want ErrIncorrectPassword", err)
				}
			} else if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			} else if errors.Is(err, ErrIncorrectPassword) {
				t.Fatalf("err = %v: a structural problem must not be reported as a wrong password", err)
			}
			// Rejections must come before any expensive key derivation.
			if d := time.Since(start); d > time.Second {
				t.Errorf("rejection took %v", d)
			}
		})
	}
}

func TestDecryptPKCS8MalformedNeverPanics(t *testing.T) {
	valid := mustEncrypt(t, mustTestKeys(t)[2].der, testPassword, 1)
	var inputs [][]byte
	inputs = append(inputs, nil, []byte{}, []byte{0x30}, []byte{0x30, 0x80}, []byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
	for i := range valid {
		inputs = append(inputs, valid[:i])
		for _, x := range []byte{0x01, 0x80, 0xff} {
			m := bytes.Clone(valid)
			m[i] ^= x
			inputs = append(inputs, m)
		}
	}
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		// Starting half of them with a SEQUENCE header gets the random bytes past the first check.
		if len(b) > 2 && rng.IntN(2) == 0 {
			b[0], b[1] = 0x30, byte(len(b)-2)
		}
		inputs = append(inputs, b)
	}
	for i, in := range inputs {
		out, err := DecryptPKCS8(in, testPassword)
		if err == nil {
			// Only a flip that leaves the key usable can succeed (e.g. an unused bit in the
			// DER), and then the result must still be a valid key.
			if _, perr := x509.ParsePKCS8PrivateKey(out); perr != nil {
				t.Fatalf("input %d: DecryptPKCS8 returned an unparseable key: %v", i, perr)
			}
		}
	}
}

func TestEncryptPKCS8DefaultIterations(t *testing.T) {
	if testing.Short() {
		t.Skip("600000 PBKDF2 iterations is slow-ish")
	}
	k := mustTestKeys(t)[0]
	enc := mustEncrypt(t, k.der, testPassword, DefaultPBKDF2Iterations)
	got, err := DecryptPKCS8(enc, testPassword)
	if err != nil {
		t.Fatalf("DecryptPKCS8: %v", err)
	}
	assertSameKey(t, got, k.key)

	openssl := lookOpenSSL(t)
	dir := t.TempDir()
	keyFile, pwFile := writeEncryptedPEM(t, dir, enc, testPassword)
	runOpenSSL(t, openssl, "pkey", "-in", keyFile, "-passin", "file:"+pwFile, "-noout")
	dump := runOpenSSL(t, openssl, "asn1parse", "-in", keyFile)
	for _, want := range []string{":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc"} {
		if !strings.Contains(dump, want) {
			t.Errorf("openssl asn1parse output lacks %q:\n%s", want, dump)
		}
	}
	// asn1parse prints INTEGERs in hex, with a leading zero byte when the high bit is set.
	if !regexp.MustCompile(`INTEGER +:0*927C0\s`).MatchString(dump) {
		t.Errorf("openssl asn1parse output lacks the iteration count 600000 (0x927C0):\n%s", dump)
	}
}

func lookOpenSSL(t *testing.T) string {
	t.Helper()
	return peertest.Need(t, "openssl")
}

func runOpenSSL(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	cmd := exec.Command(openssl, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

func writeEncryptedPEM(t *testing.T, dir string, der, password []byte) (keyFile, pwFile string) {
	t.Helper()
	keyFile = filepath.Join(dir, "key.pem")
	pwFile = filepath.Join(dir, "pw.txt")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, password, 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, pwFile
}

func TestOpenSSLReadsEncryptPKCS8(t *testing.T) {
	openssl := lookOpenSSL(t)
	for _, k := range mustTestKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile, pwFile := writeEncryptedPEM(t, dir, mustEncrypt(t, k.der, testPassword, testIterations), testPassword)
			runOpenSSL(t, openssl, "pkey", "-in", keyFile, "-passin", "file:"+pwFile, "-noout")

			// The public key OpenSSL derives must be ours, so it really decrypted our key.
			pubPEM := runOpenSSL(t, openssl, "pkey", "-in", keyFile, "-passin", "file:"+pwFile, "-pubout")
			block, _ := pem.Decode([]byte(pubPEM))
			if block == nil {
				t.Fatalf("openssl printed no public key: %q", pubPEM)
			}
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if eq, ok := k.key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(pub) {
				t.Fatal("openssl derived a different public key")
			}

			if err := exec.Command(openssl, "pkey", "-in", keyFile, "-passin", "pass:wrong", "-noout").Run(); err == nil {
				t.Fatal("openssl accepted a wrong password")
			}
		})
	}
}

func TestDecryptPKCS8FromOpenSSL(t *testing.T) {
	openssl := lookOpenSSL(t)
	keys := mustTestKeys(t)
	dir := t.TempDir()
	plainFiles := map[string]string{}
	for _, k := range keys {
		f := filepath.Join(dir, k.name+".pem")
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k.der}), 0o600); err != nil {
			t.Fatal(err)
		}
		plainFiles[k.name] = f
	}

	tests := []struct {
		name  string
		key   int // index into keys; -1 for a key OpenSSL generates
		args  []string
		check func(t *testing.T, der []byte)
	}{
		{
			name: "genpkey EC P-256 -aes256",
			key:  -1,
			args: []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:x"},
			check: func(t *testing.T, der []byte) {
				k, err := x509.ParsePKCS8PrivateKey(der)
				if err != nil {
					t.Fatal(err)
				}
				if ec, ok := k.(*ecdsa.PrivateKey); !ok || ec.Curve != elliptic.P256() {
					t.Fatalf("got %T, want an ECDSA P-256 key", k)
				}
			},
		},
		{name: "pkcs8 aes-128-cbc hmacWithSHA1", key: 0, args: []string{"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"}},
		{name: "pkcs8 des3", key: 1, args: []string{"-v2", "des3"}},
		{name: "pkcs8 aes-192-cbc hmacWithSHA512", key: 2, args: []string{"-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512"}},
		{name: "pkcs8 default", key: 2, args: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.key >= 0 {
				args = append([]string{"pkcs8", "-topk8", "-in", plainFiles[keys[tt.key].name], "-passout", "pass:x", "-iter", "1000"}, args...)
			}
			out := runOpenSSL(t, openssl, args...)
			block, _ := pem.Decode([]byte(out))
			if block == nil || block.Type != "ENCRYPTED PRIVATE KEY" {
				t.Fatalf("openssl did not write an ENCRYPTED PRIVATE KEY:\n%s", out)
			}
			der, err := DecryptPKCS8(block.Bytes, []byte("x"))
			if err != nil {
				t.Fatalf("DecryptPKCS8: %v", err)
			}
			if tt.key >= 0 {
				assertSameKey(t, der, keys[tt.key].key)
			} else {
				tt.check(t, der)
			}
			if _, err := DecryptPKCS8(block.Bytes, []byte("y")); !errors.Is(err, ErrIncorrectPassword) {
				t.Fatalf("wrong password: err = %v, want ErrIncorrectPassword", err)
			}
		})
	}

	// Schemes we refuse must be named in the error, not reported as a wrong password.
	refused := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"scrypt", []string{"-scrypt", "-scrypt_N", "1024"}, "scrypt"},
		{"PKCS#12 PBE", []string{"-v1", "PBE-SHA1-3DES"}, "pbeWithSHAAnd3-KeyTripleDES-CBC"},
	}
	for _, tt := range refused {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			args := append([]string{"pkcs8", "-topk8", "-in", plainFiles[keys[2].name], "-passout", "pass:x"}, tt.args...)
			cmd := exec.Command(openssl, args...)
			out, err := cmd.Output()
			if err != nil {
				t.Skipf("this openssl cannot write %s: %v", tt.name, err)
			}
			block, _ := pem.Decode(out)
			if block == nil {
				t.Fatalf("openssl wrote no PEM:\n%s", out)
			}
			_, err = DecryptPKCS8(block.Bytes, []byte("x"))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecryptPKCS8(f *testing.F) {
	keys := mustTestKeys(f)
	password := []byte("fuzz")
	// One iteration keeps each execution cheap; the parser, not PBKDF2, is what is fuzzed.
	for _, k := range keys {
		f.Add(mustEncrypt(f, k.der, password, 1))
	}
	prfNull := mustMarshal(f, asn1.NullRawValue)
	for _, c := range pbes2Ciphers {
		for _, p := range pbes2PRFs {
			f.Add(fuzzSeed(f, password, p, c, prfNull))
		}
	}
	valid := mustEncrypt(f, keys[2].der, password, 1)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte("garbage that is not DER at all"))
	f.Add(bytes.Repeat([]byte{0x30, 0x82, 0xff, 0xff}, 8))

	f.Fuzz(func(t *testing.T, data []byte) {
		// Counts up to the 10M cap are legal but take seconds each and would stall the
		// fuzzer; the cap itself is covered by TestDecryptPKCS8Rejects.
		if fuzzIterations(data) > 10000 {
			t.Skip()
		}
		out, err := DecryptPKCS8(data, password)
		if err != nil {
			if out != nil {
				t.Fatal("non-nil result with an error")
			}
			return
		}
		if _, err := x509.ParsePKCS8PrivateKey(out); err != nil {
			t.Fatalf("DecryptPKCS8 returned a key x509 cannot parse: %v", err)
		}
	})
}

// fuzzIterations returns the PBKDF2 iteration count DecryptPKCS8 would use, or 0 if it would
// stop before deriving a key.
func fuzzIterations(data []byte) int64 {
	var epki encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(data, &epki); err != nil {
		return 0
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(epki.Algorithm.Parameters.FullBytes, &params); err != nil {
		return 0
	}
	kdf, err := parsePBKDF2Params(params.KeyDerivationFunc)
	if err != nil {
		return 0
	}
	return kdf.iterations
}

// fuzzSeed builds a blob for one PRF/cipher combination so that every decoding path starts out
// covered by the corpus.
func fuzzSeed(f *testing.F, password []byte, p pbes2PRF, c pbes2Cipher, prfParams []byte) []byte {
	salt := []byte("fuzzsalt")
	iv := make([]byte, c.blockSize)
	key, err := pbkdf2.Key(p.hash, string(password), salt, 1, c.keySize)
	if err != nil {
		f.Fatal(err)
	}
	block, err := c.newBlock(key)
	if err != nil {
		f.Fatal(err)
	}
	ct := pbes2Pad(mustTestKeys(f)[2].der, c.blockSize)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
	kdfParams := derSequence(f, mustMarshal(f, salt), mustMarshal(f, 1), mustMarshal(f, c.keySize), algID(f, p.oid, prfParams))
	scheme := derSequence(f, algID(f, oidPBKDF2, kdfParams), algID(f, c.oid, mustMarshal(f, iv)))
	return derSequence(f, algID(f, oidPBES2, scheme), mustMarshal(f, ct))
}
