package certgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"io"
	"strings"
)

// KeyType names a key algorithm and size, as given to --key-type.
type KeyType string

// The key types tlskit generates. ECDSA P-256 is the default: every client accepts it, and it is
// the fastest to generate and to handshake with.
const (
	KeyECDSAP256 KeyType = "ecdsa-p256"
	KeyECDSAP384 KeyType = "ecdsa-p384"
	KeyECDSAP521 KeyType = "ecdsa-p521"
	KeyRSA2048   KeyType = "rsa-2048"
	KeyRSA3072   KeyType = "rsa-3072"
	KeyRSA4096   KeyType = "rsa-4096"
	KeyEd25519   KeyType = "ed25519"
)

// KeyTypes lists the accepted key types, default first.
var KeyTypes = []KeyType{KeyECDSAP256, KeyECDSAP384, KeyECDSAP521, KeyRSA2048, KeyRSA3072, KeyRSA4096, KeyEd25519}

// ParseKeyType accepts a key type name, case-insensitively.
func ParseKeyType(s string) (KeyType, error) {
	k := KeyType(strings.ToLower(strings.TrimSpace(s)))
	for _, t := range KeyTypes {
		if t == k {
			return t, nil
		}
	}
	names := make([]string, len(KeyTypes))
	for i, t := range KeyTypes {
		names[i] = string(t)
	}
	return "", fmt.Errorf("unknown key type %q (choose one of %s)", s, strings.Join(names, ", "))
}

// GenerateKey makes a new private key of the given type.
func GenerateKey(random io.Reader, kt KeyType) (crypto.Signer, error) {
	var (
		key crypto.Signer
		err error
	)
	switch kt {
	case KeyECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), random)
	case KeyECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), random)
	case KeyECDSAP521:
		key, err = ecdsa.GenerateKey(elliptic.P521(), random)
	case KeyRSA2048:
		key, err = rsa.GenerateKey(random, 2048)
	case KeyRSA3072:
		key, err = rsa.GenerateKey(random, 3072)
	case KeyRSA4096:
		key, err = rsa.GenerateKey(random, 4096)
	case KeyEd25519:
		_, key, err = ed25519.GenerateKey(random)
	default:
		return nil, fmt.Errorf("unknown key type %q", kt)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", kt, err)
	}
	return key, nil
}
