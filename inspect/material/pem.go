package material

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrPasswordRequired is returned when a key is encrypted and no password was given.
var ErrPasswordRequired = errors.New("the private key is encrypted; a password is required")

// EncodePrivateKeyPEM writes a private key as PKCS#8 PEM, encrypted (PBES2, PBKDF2-HMAC-SHA256,
// AES-256-CBC) when a password is given, with iterations rounds of PBKDF2
// (DefaultPBKDF2Iterations when 0; tests pass a low count to spare the machine).
func EncodePrivateKeyPEM(random io.Reader, key crypto.Signer, password []byte, iterations int) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	if len(password) == 0 {
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	if iterations == 0 {
		iterations = DefaultPBKDF2Iterations
	}
	enc, err := EncryptPKCS8(random, der, password, iterations)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: enc}), nil
}

// utf8BOM is the UTF-8 byte-order mark, which Windows editors (Notepad before 2019, PowerShell's
// Out-File -Encoding utf8) put at the start of text files.
var utf8BOM = []byte("\xef\xbb\xbf")

// StripBOM removes UTF-8 byte-order marks where they hide a PEM BEGIN line from encoding/pem:
// at the start of the input, and at the start of a line before "-----BEGIN" (files with one
// concatenated). Every reader of PEM text passes its input through it first. Binary input is
// returned as it is: DER starts with a SEQUENCE tag, never with a BOM.
func StripBOM(data []byte) []byte {
	data = bytes.TrimPrefix(data, utf8BOM)
	hidden := []byte("\n\xef\xbb\xbf-----BEGIN ")
	if !bytes.Contains(data, hidden) {
		return data
	}
	return bytes.ReplaceAll(data, hidden, []byte("\n-----BEGIN "))
}

// ParsePrivateKey reads the first private key in PEM data (see ParsePrivateKeyBlock), or a DER
// key. password is used only when the key is encrypted.
func ParsePrivateKey(data, password []byte) (crypto.Signer, error) {
	data = StripBOM(data)
	block, sawPEM := firstBlock(data, IsPrivateKeyBlock)
	if block != nil {
		return ParsePrivateKeyBlock(block, password)
	}
	if sawPEM {
		return nil, errors.New("no private key found (the PEM holds no PRIVATE KEY block)")
	}
	der := derBytes(data)
	if k, ok := ParseUnencryptedKeyDER(der); ok {
		return k, nil
	}
	if len(password) > 0 {
		if plain, err := DecryptPKCS8(der, password); err == nil {
			return parsePKCS8Signer(plain)
		}
	}
	return nil, errors.New("no private key found (expected PEM or DER)")
}

// EncodeCertificatesPEM writes certificates as concatenated PEM blocks, in order.
func EncodeCertificatesPEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// CertificateError is a certificate in the input that crypto/x509 refuses to parse.
type CertificateError struct {
	// Index is the certificate's position among the input's certificates, from 0.
	Index int
	// Total is the number of certificates in the input, this one included.
	Total int
	// DER is the refused certificate, for a diagnosis (inspect.DiagnoseMalformed).
	DER []byte
	Err error
}

func (e *CertificateError) Error() string {
	return fmt.Sprintf("parsing certificate %d: %v", e.Index+1, e.Err)
}

func (e *CertificateError) Unwrap() error { return e.Err }

// ParseCertificates reads every certificate in PEM data (CERTIFICATE and TRUSTED CERTIFICATE
// blocks), or a single DER certificate. When one does not parse, the error is a
// *CertificateError and the certificates before it are returned with it, so that a caller can
// still describe the ones it has.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	data = StripBOM(data)
	ders, sawPEM := certificateBlocks(data)
	if !sawPEM {
		c, err := x509.ParseCertificate(derBytes(data))
		if err != nil {
			if looksLikeCertificate(derBytes(data)) {
				return nil, &CertificateError{Total: 1, DER: derBytes(data), Err: err}
			}
			return nil, errors.New("no certificate found (expected PEM or DER)")
		}
		return []*x509.Certificate{c}, nil
	}
	if len(ders) == 0 {
		return nil, errors.New("no certificate found (the PEM holds no CERTIFICATE block)")
	}
	certs := make([]*x509.Certificate, 0, len(ders))
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return certs, &CertificateError{Index: i, Total: len(ders), DER: der, Err: err}
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// certificateBlocks returns the DER of every certificate block in PEM data, and whether data
// held any PEM block at all.
func certificateBlocks(data []byte) (ders [][]byte, sawPEM bool) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return ders, sawPEM
		}
		sawPEM = true
		if block.Type != "CERTIFICATE" && block.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		der := block.Bytes
		if block.Type == "TRUSTED CERTIFICATE" {
			// OpenSSL appends its trust settings after the certificate; keep only the certificate.
			var raw asn1.RawValue
			if _, err := asn1.Unmarshal(der, &raw); err == nil {
				der = raw.FullBytes
			}
		}
		ders = append(ders, der)
	}
}

// looksLikeCertificate reports whether DER input has a certificate's outline, so that a
// certificate Go refuses is told apart from input that is no certificate at all: a SEQUENCE of
// the to-be-signed SEQUENCE, an algorithm SEQUENCE and a BIT STRING, where the to-be-signed part
// has, after its optional version, a serial number and four SEQUENCEs (signature algorithm,
// issuer, validity, subject). Requests and CRLs have other elements there.
func looksLikeCertificate(der []byte) bool {
	in := cryptobyte.String(der)
	var cert, tbs, alg, elem cryptobyte.String
	var sig asn1.BitString
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !in.Empty() || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
		!cert.ReadASN1(&alg, cbasn1.SEQUENCE) || !cert.ReadASN1BitString(&sig) || !cert.Empty() {
		return false
	}
	var tag cbasn1.Tag
	if tbs.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) && !tbs.ReadAnyASN1Element(&elem, &tag) {
		return false
	}
	for i := 0; i < 5; i++ {
		if !tbs.ReadAnyASN1Element(&elem, &tag) || i > 0 && tag != cbasn1.SEQUENCE {
			return false
		}
	}
	return true
}

// PublicKeysEqual reports whether two public keys are the same key.
func PublicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	ea, ok := a.(equaler)
	return ok && ea.Equal(b)
}

// derBytes returns binary input as it is. Whitespace is trimmed only from text-looking input
// (a DER structure starts with a SEQUENCE tag, 0x30, and may well end in a byte that happens to
// be a space or newline, so trimming it would corrupt one DER file in fifty).
func derBytes(data []byte) []byte {
	if len(data) > 0 && data[0] == 0x30 {
		return data
	}
	return bytes.TrimSpace(data)
}

// ParseCSR reads a certificate request (PEM "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST",
// or DER) and checks its self-signature, which proves the requester holds the private key.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	data = StripBOM(data)
	der := derBytes(data)
	block, sawPEM := firstBlock(data, func(typ string) bool {
		return typ == "CERTIFICATE REQUEST" || typ == "NEW CERTIFICATE REQUEST"
	})
	if block != nil {
		der, sawPEM = block.Bytes, false
	}
	if sawPEM {
		return nil, errors.New("no certificate request found (the PEM holds no CERTIFICATE REQUEST block)")
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		// The ASN.1 decoder's own message names Go types; what the user needs is what the file is not.
		return nil, errors.New("malformed certificate request (expected PEM CERTIFICATE REQUEST or DER PKCS#10)")
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the certificate request's signature is invalid: %w", err)
	}
	return csr, nil
}

// firstBlock is the first PEM block in data whose type is wanted; sawPEM says whether data held
// any PEM block at all (so a caller can tell "PEM of another kind" from "not PEM").
func firstBlock(data []byte, wanted func(typ string) bool) (block *pem.Block, sawPEM bool) {
	for rest := data; ; {
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, sawPEM
		}
		sawPEM = true
		if wanted(block.Type) {
			return block, true
		}
	}
}
