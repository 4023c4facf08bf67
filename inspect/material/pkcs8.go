package material

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	cryptorand "crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo) protected with PBES2 (RFC 8018 §6.2).
// We always write PBKDF2-HMAC-SHA256 + AES-256-CBC, which is also what OpenSSL 3 writes by
// default, and read the PBES2 variants that OpenSSL and other tools commonly produce.

// DefaultPBKDF2Iterations is the PBKDF2-HMAC-SHA256 work factor callers should use; it follows
// the OWASP recommendation for that PRF, so a stolen key file costs an attacker real time per
// password guess.
const DefaultPBKDF2Iterations = 600000

// ErrIncorrectPassword is returned by DecryptPKCS8 when decryption yields no valid key. CBC has no
// integrity check, so a wrong password and a damaged ciphertext look the same.
var ErrIncorrectPassword = errors.New("incorrect password or corrupt encrypted key")

const pbes2SaltLen = 16

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}

	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
)

type pbes2PRF struct {
	oid  asn1.ObjectIdentifier
	name string
	hash func() hash.Hash
}

var pbes2PRFs = []pbes2PRF{
	{oidHMACWithSHA1, "hmacWithSHA1", sha1.New},
	{oidHMACWithSHA224, "hmacWithSHA224", sha256.New224},
	{oidHMACWithSHA256, "hmacWithSHA256", sha256.New},
	{oidHMACWithSHA384, "hmacWithSHA384", sha512.New384},
	{oidHMACWithSHA512, "hmacWithSHA512", sha512.New},
}

type pbes2Cipher struct {
	oid       asn1.ObjectIdentifier
	name      string
	keySize   int
	blockSize int
	newBlock  func(key []byte) (cipher.Block, error)
}

var pbes2Ciphers = []pbes2Cipher{
	{oidAES128CBC, "aes128-CBC", 16, aes.BlockSize, aes.NewCipher},
	{oidAES192CBC, "aes192-CBC", 24, aes.BlockSize, aes.NewCipher},
	{oidAES256CBC, "aes256-CBC", 32, aes.BlockSize, aes.NewCipher},
	// Read-only: older OpenSSL releases and `openssl pkcs8 -v2 des3` still produce it.
	{oidDESEDE3CBC, "des-ede3-cbc", 24, des.BlockSize, des.NewTripleDESCipher},
}

// pkcs8KnownAlgorithms names the algorithms we refuse, so that the error tells the user what the
// file actually uses instead of printing a bare OID.
var pkcs8KnownAlgorithms = map[string]string{
	"1.2.840.113549.1.5.1":      "PBES1 pbeWithMD2AndDES-CBC",
	"1.2.840.113549.1.5.3":      "PBES1 pbeWithMD5AndDES-CBC",
	"1.2.840.113549.1.5.4":      "PBES1 pbeWithMD2AndRC2-CBC",
	"1.2.840.113549.1.5.6":      "PBES1 pbeWithMD5AndRC2-CBC",
	"1.2.840.113549.1.5.10":     "PBES1 pbeWithSHA1AndDES-CBC",
	"1.2.840.113549.1.5.11":     "PBES1 pbeWithSHA1AndRC2-CBC",
	"1.2.840.113549.1.5.14":     "PBMAC1",
	"1.2.840.113549.1.12.1.1":   "PKCS#12 pbeWithSHAAnd128BitRC4",
	"1.2.840.113549.1.12.1.2":   "PKCS#12 pbeWithSHAAnd40BitRC4",
	"1.2.840.113549.1.12.1.3":   "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.4":   "PKCS#12 pbeWithSHAAnd2-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.5":   "PKCS#12 pbeWithSHAAnd128BitRC2-CBC",
	"1.2.840.113549.1.12.1.6":   "PKCS#12 pbewithSHAAnd40BitRC2-CBC",
	"1.3.6.1.4.1.11591.4.11":    "scrypt",
	"1.2.840.113549.2.12":       "hmacWithSHA512-224",
	"1.2.840.113549.2.13":       "hmacWithSHA512-256",
	"1.3.14.3.2.7":              "des-CBC",
	"1.2.840.113549.3.2":        "rc2-CBC",
	"1.2.840.113549.3.9":        "rc5-CBC-PAD",
	"2.16.840.1.101.3.4.1.6":    "aes128-GCM",
	"2.16.840.1.101.3.4.1.26":   "aes192-GCM",
	"2.16.840.1.101.3.4.1.46":   "aes256-GCM",
	"2.16.840.1.101.3.4.1.1":    "aes128-ECB",
	"2.16.840.1.101.3.4.1.21":   "aes192-ECB",
	"2.16.840.1.101.3.4.1.41":   "aes256-ECB",
	"1.2.392.200011.61.1.1.1.2": "camellia128-CBC",
	"1.2.392.200011.61.1.1.1.3": "camellia192-CBC",
	"1.2.392.200011.61.1.1.1.4": "camellia256-CBC",
}

func pbes2DescribeOID(oid asn1.ObjectIdentifier) string {
	if name, ok := pkcs8KnownAlgorithms[oid.String()]; ok {
		return fmt.Sprintf("%s (%s)", name, oid)
	}
	return oid.String()
}

// EncryptedPrivateKeyInfo, RFC 5958 §3.
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// PBES2-params, RFC 8018 §A.4.
type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

// PBKDF2-params as we write them: keyLength is left out because the cipher fixes it, and prf is
// always present because our PRF is not the SHA-1 default.
type pbkdf2ParamsOut struct {
	Salt           []byte
	IterationCount int
	PRF            pkix.AlgorithmIdentifier
}

// The leading fields of OneAsymmetricKey (RFC 5958 §2); encoding/asn1 ignores the optional
// attributes and publicKey that may follow.
type pkcs8PrivateKeyInfo struct {
	Version             int
	PrivateKeyAlgorithm pkix.AlgorithmIdentifier
	PrivateKey          []byte
}

// EncryptPKCS8 wraps an unencrypted PKCS#8 PrivateKeyInfo DER as an EncryptedPrivateKeyInfo DER:
// PBES2 with PBKDF2-HMAC-SHA256 (iterations, 16-byte random salt) and AES-256-CBC (random 16-byte
// IV, PKCS#7 padding). The result is what `openssl pkcs8` and `openssl pkey -passin` read. rand
// supplies the salt and IV; nil means crypto/rand.Reader. Callers should pass
// DefaultPBKDF2Iterations unless they have a reason not to.
func EncryptPKCS8(rand io.Reader, pkcs8DER, password []byte, iterations int) ([]byte, error) {
	if iterations < 1 {
		return nil, fmt.Errorf("encrypting private key: PBKDF2 iteration count must be at least 1, got %d", iterations)
	}
	if len(password) == 0 {
		return nil, errors.New("encrypting private key: the password is empty")
	}
	// Checking the input with the same test DecryptPKCS8 applies guarantees that whatever we
	// encrypt can be decrypted again.
	if err := pkcs8Check(pkcs8DER); err != nil {
		return nil, fmt.Errorf("encrypting private key: input is not a usable PKCS#8 private key: %w", err)
	}
	if rand == nil {
		rand = cryptorand.Reader
	}

	salt := make([]byte, pbes2SaltLen)
	iv := make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, fmt.Errorf("encrypting private key: reading salt: %w", err)
	}
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("encrypting private key: reading IV: %w", err)
	}

	key, err := pbkdf2.Key(sha256.New, string(password), salt, iterations, 32)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	ciphertext := pbes2Pad(pkcs8DER, aes.BlockSize)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ciphertext, ciphertext)

	kdfParams, err := asn1.Marshal(pbkdf2ParamsOut{
		Salt:           salt,
		IterationCount: iterations,
		PRF:            pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: asn1.NullRawValue},
	})
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	ivParam, err := asn1.Marshal(iv)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	schemeParams, err := asn1.Marshal(pbes2Params{
		KeyDerivationFunc: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdfParams}},
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: ivParam}},
	})
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	out, err := asn1.Marshal(encryptedPrivateKeyInfo{
		Algorithm:     pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: schemeParams}},
		EncryptedData: ciphertext,
	})
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	return out, nil
}

// DecryptPKCS8 reverses EncryptPKCS8 and returns the PrivateKeyInfo DER. It reads PBES2 with
// PBKDF2 (PRF hmacWithSHA1/224/256/384/512) and AES-128/192/256-CBC or DES-EDE3-CBC, which covers
// what OpenSSL writes. A wrong password, or a damaged ciphertext, gives ErrIncorrectPassword;
// malformed or unsupported structures give a descriptive error.
func DecryptPKCS8(encryptedDER, password []byte) ([]byte, error) {
	var epki encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(encryptedDER, &epki)
	if err != nil {
		return nil, fmt.Errorf("malformed encrypted private key: %w", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("malformed encrypted private key: trailing data after EncryptedPrivateKeyInfo")
	}
	if !epki.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported private key encryption scheme %s; only PBES2 is supported (convert with: openssl pkcs8 -topk8 -v2 aes-256-cbc)", pbes2DescribeOID(epki.Algorithm.Algorithm))
	}

	var params pbes2Params
	if err := pkcs8UnmarshalExact(epki.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("malformed PBES2 parameters: %w", err)
	}
	kdf, err := parsePBKDF2Params(params.KeyDerivationFunc)
	if err != nil {
		return nil, err
	}
	ciph, iv, err := parsePBES2Cipher(params.EncryptionScheme)
	if err != nil {
		return nil, err
	}
	if kdf.keyLength != 0 && kdf.keyLength != int64(ciph.keySize) {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: keyLength %d does not match %s, which needs %d", kdf.keyLength, ciph.name, ciph.keySize)
	}

	ciphertext := epki.EncryptedData
	if len(ciphertext) == 0 || len(ciphertext)%ciph.blockSize != 0 {
		return nil, fmt.Errorf("malformed encrypted private key: %d bytes of %s ciphertext is not a whole number of blocks", len(ciphertext), ciph.name)
	}

	key, err := pbkdf2.Key(kdf.prf, string(password), kdf.salt, int(kdf.iterations), ciph.keySize)
	if err != nil {
		return nil, fmt.Errorf("decrypting private key: %w", err)
	}
	block, err := ciph.newBlock(key)
	if err != nil {
		return nil, fmt.Errorf("decrypting private key: %w", err)
	}
	plaintext := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plaintext, ciphertext)

	// Padding catches most wrong passwords; the remaining ~1/256 (more for 8-byte blocks) are
	// caught because the result is not a PrivateKeyInfo.
	plaintext, ok := pbes2Unpad(plaintext, ciph.blockSize)
	if !ok {
		return nil, ErrIncorrectPassword
	}
	var pki pkcs8PrivateKeyInfo
	if err := pkcs8UnmarshalExact(plaintext, &pki); err != nil || (pki.Version != 0 && pki.Version != 1) {
		return nil, ErrIncorrectPassword
	}
	// The plaintext now has the shape of a PrivateKeyInfo, which random bytes essentially never
	// do, so a failure here means a key Go cannot use (DSA, Ed448, ...) rather than a wrong
	// password, and saying "incorrect password" would send the user on a hunt for the right one.
	if _, err := x509.ParsePKCS8PrivateKey(plaintext); err != nil {
		return nil, fmt.Errorf("decrypted private key is not usable: %w", err)
	}
	// Clipped so that a caller appending to the result cannot see or reuse the padding bytes.
	return plaintext[:len(plaintext):len(plaintext)], nil
}

type pbkdf2Settings struct {
	salt       []byte
	iterations int64
	keyLength  int64 // 0 when absent
	prf        func() hash.Hash
}

// parsePBKDF2Params reads PBKDF2-params (RFC 8018 §A.2) element by element, because
// encoding/asn1 cannot tell an absent OPTIONAL INTEGER from a zero one, and silently ignores
// unexpected trailing elements.
func parsePBKDF2Params(alg pkix.AlgorithmIdentifier) (*pbkdf2Settings, error) {
	if !alg.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("unsupported PBES2 key derivation function %s; only PBKDF2 is supported", pbes2DescribeOID(alg.Algorithm))
	}
	elems, err := pkcs8SequenceElements(alg.Parameters.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: %w", err)
	}
	if len(elems) < 2 {
		return nil, errors.New("malformed PBKDF2 parameters: salt or iteration count missing")
	}

	s := &pbkdf2Settings{prf: sha1.New}

	salt := elems[0]
	switch {
	case salt.Class == asn1.ClassUniversal && salt.Tag == asn1.TagOctetString && !salt.IsCompound:
		s.salt = salt.Bytes
	case salt.Class == asn1.ClassUniversal && salt.Tag == asn1.TagSequence:
		return nil, errors.New("unsupported PBKDF2 parameters: salt from otherSource is not supported")
	default:
		return nil, errors.New("malformed PBKDF2 parameters: salt is not an OCTET STRING")
	}

	if err := pkcs8UnmarshalExact(elems[1].FullBytes, &s.iterations); err != nil {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: iteration count: %w", err)
	}
	if s.iterations < 1 {
		return nil, fmt.Errorf("malformed PBKDF2 parameters: iteration count %d is not positive", s.iterations)
	}
	if s.iterations > MaxKDFIterations {
		return nil, &KDFLimitError{Where: "PBKDF2", What: "iteration count", Value: s.iterations, Limit: MaxKDFIterations}
	}

	i := 2
	if i < len(elems) && elems[i].Class == asn1.ClassUniversal && elems[i].Tag == asn1.TagInteger {
		if err := pkcs8UnmarshalExact(elems[i].FullBytes, &s.keyLength); err != nil {
			return nil, fmt.Errorf("malformed PBKDF2 parameters: key length: %w", err)
		}
		if s.keyLength < 1 {
			return nil, fmt.Errorf("malformed PBKDF2 parameters: key length %d is not positive", s.keyLength)
		}
		i++
	}
	if i < len(elems) && elems[i].Class == asn1.ClassUniversal && elems[i].Tag == asn1.TagSequence {
		var prfAlg pkix.AlgorithmIdentifier
		if err := pkcs8UnmarshalExact(elems[i].FullBytes, &prfAlg); err != nil {
			return nil, fmt.Errorf("malformed PBKDF2 parameters: prf: %w", err)
		}
		prf, err := pbes2LookupPRF(prfAlg)
		if err != nil {
			return nil, err
		}
		s.prf = prf
		i++
	}
	if i != len(elems) {
		return nil, errors.New("malformed PBKDF2 parameters: unexpected trailing field")
	}
	return s, nil
}

func pbes2LookupPRF(alg pkix.AlgorithmIdentifier) (func() hash.Hash, error) {
	for _, p := range pbes2PRFs {
		if !alg.Algorithm.Equal(p.oid) {
			continue
		}
		// RFC 8018 says NULL, but some encoders leave the parameters out; both mean the same.
		if len(alg.Parameters.FullBytes) != 0 && !pkcs8IsNull(alg.Parameters) {
			return nil, fmt.Errorf("malformed PBKDF2 parameters: %s has unexpected parameters", p.name)
		}
		return p.hash, nil
	}
	return nil, fmt.Errorf("unsupported PBKDF2 pseudo-random function %s; supported: hmacWithSHA1, hmacWithSHA224, hmacWithSHA256, hmacWithSHA384, hmacWithSHA512", pbes2DescribeOID(alg.Algorithm))
}

func parsePBES2Cipher(alg pkix.AlgorithmIdentifier) (*pbes2Cipher, []byte, error) {
	for i := range pbes2Ciphers {
		c := &pbes2Ciphers[i]
		if !alg.Algorithm.Equal(c.oid) {
			continue
		}
		var iv []byte
		if err := pkcs8UnmarshalExact(alg.Parameters.FullBytes, &iv); err != nil {
			return nil, nil, fmt.Errorf("malformed %s parameters: %w", c.name, err)
		}
		if len(iv) != c.blockSize {
			return nil, nil, fmt.Errorf("malformed %s parameters: IV is %d bytes, want %d", c.name, len(iv), c.blockSize)
		}
		return c, iv, nil
	}
	return nil, nil, fmt.Errorf("unsupported PBES2 encryption scheme %s; supported: aes128-CBC, aes192-CBC, aes256-CBC, des-ede3-cbc", pbes2DescribeOID(alg.Algorithm))
}

// pkcs8Check is the test DecryptPKCS8 uses to accept a plaintext, applied to a plaintext we are
// about to encrypt.
func pkcs8Check(der []byte) error {
	var pki pkcs8PrivateKeyInfo
	if err := pkcs8UnmarshalExact(der, &pki); err != nil {
		return err
	}
	if pki.Version != 0 && pki.Version != 1 {
		return fmt.Errorf("unknown PrivateKeyInfo version %d", pki.Version)
	}
	_, err := x509.ParsePKCS8PrivateKey(der)
	return err
}

// pkcs8UnmarshalExact is asn1.Unmarshal that also rejects bytes after the value, so a damaged length
// cannot hide trailing garbage.
func pkcs8UnmarshalExact(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// pkcs8SequenceElements splits a DER SEQUENCE into its elements.
func pkcs8SequenceElements(der []byte) ([]asn1.RawValue, error) {
	var seq asn1.RawValue
	if err := pkcs8UnmarshalExact(der, &seq); err != nil {
		return nil, err
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, errors.New("not a SEQUENCE")
	}
	var elems []asn1.RawValue
	for rest := seq.Bytes; len(rest) > 0; {
		var e asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &e); err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return elems, nil
}

func pkcs8IsNull(v asn1.RawValue) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == asn1.TagNull && !v.IsCompound && len(v.Bytes) == 0
}

// pbes2Pad returns a new slice, so encrypting in place never writes into the caller's key.
func pbes2Pad(b []byte, blockSize int) []byte {
	n := blockSize - len(b)%blockSize
	out := make([]byte, len(b)+n)
	copy(out, b)
	for i := len(b); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

func pbes2Unpad(b []byte, blockSize int) ([]byte, bool) {
	if len(b) == 0 || len(b)%blockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > blockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
