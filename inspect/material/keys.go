package material

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrLegacyEncryption is a traditional OpenSSL key encrypted in the PEM headers (Proc-Type:
// 4,ENCRYPTED and DEK-Info), which tlskit does not read: its key derivation is one MD5 round.
var ErrLegacyEncryption = errors.New("legacy PEM encryption (Proc-Type: 4,ENCRYPTED) is not supported; convert the key with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in OLD.key -out NEW.key")

// KeyError is a private key that is not what its encoding says it is; What names the encoding
// ("RSA private key", "EC private key", "PKCS#8 private key").
type KeyError struct {
	What string
	Err  error
}

func (e *KeyError) Error() string { return "parsing " + e.What + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// IsPrivateKeyBlock reports whether a PEM block type is one ParsePrivateKeyBlock reads.
func IsPrivateKeyBlock(typ string) bool {
	switch typ {
	case "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		return true
	}
	return false
}

// ParsePrivateKeyBlock reads the private key in a PEM block (PKCS#8, encrypted PKCS#8, PKCS#1
// RSA, SEC1 EC). password is used only when the key is encrypted; without one an encrypted key
// is ErrPasswordRequired. A key that does not parse is a *KeyError.
func ParsePrivateKeyBlock(block *pem.Block, password []byte) (crypto.Signer, error) {
	switch block.Type {
	case "PRIVATE KEY":
		return parsePKCS8Signer(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		if len(password) == 0 {
			return nil, ErrPasswordRequired
		}
		der, err := DecryptPKCS8(block.Bytes, password)
		if err != nil {
			return nil, err
		}
		k, err := parsePKCS8Signer(der)
		if err != nil {
			return nil, fmt.Errorf("decrypted private key: %w", err)
		}
		return k, nil
	case "RSA PRIVATE KEY", "EC PRIVATE KEY":
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") || block.Headers["DEK-Info"] != "" {
			return nil, ErrLegacyEncryption
		}
		if block.Type == "RSA PRIVATE KEY" {
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, &KeyError{"RSA private key", err}
			}
			return k, nil
		}
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, &KeyError{"EC private key", err}
		}
		return k, nil
	}
	return nil, fmt.Errorf("a %s block holds no private key", block.Type)
}

// ParseUnencryptedKeyDER reads a DER private key that is not encrypted, trying PKCS#8, PKCS#1
// and SEC1 in turn; ok is false when der is none of them.
func ParseUnencryptedKeyDER(der []byte) (k crypto.Signer, ok bool) {
	if k, err := parsePKCS8Signer(der); err == nil {
		return k, true
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, true
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, true
	}
	return nil, false
}

// parsePKCS8Signer parses an unencrypted PKCS#8 key that can sign.
func parsePKCS8Signer(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, &KeyError{"PKCS#8 private key", err}
	}
	return Signer(k)
}

// ParseX25519PKCS8 reads an unencrypted PKCS#8 X25519 private key (RFC 8410), the key of an ECH
// key file (RFC 9934); ok is false when der is not one. Such a key agrees on secrets and cannot
// sign, so ParsePrivateKeyBlock, which gives signers, refuses it.
func ParseX25519PKCS8(der []byte) (k *ecdh.PrivateKey, ok bool) {
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, false
	}
	k, ok = parsed.(*ecdh.PrivateKey)
	if !ok || k.Curve() != ecdh.X25519() {
		return nil, false
	}
	return k, true
}

// Signer is a parsed private key as a crypto.Signer, for the kinds tlskit signs with (RSA,
// ECDSA, Ed25519).
func Signer(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
}
