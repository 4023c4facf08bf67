package certgen

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
)

// A CA directory holds one CA:
//
//	ca.pem      the CA's certificate, followed (for an intermediate) by the intermediates above
//	            it, never the root: exactly what is sent after a leaf it signs
//	ca-key.pem  its private key (0600, optionally encrypted)
//	root.pem    for an intermediate, the root certificate clients must trust
const (
	CACertFile = "ca.pem"
	CAKeyFile  = "ca-key.pem"
	RootFile   = "root.pem"
)

// CAPaths returns the certificate, key and root paths of a CA directory.
func CAPaths(dir string) (cert, key, root string) {
	return filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile), filepath.Join(dir, RootFile)
}

// DefaultCADir is where `tlskit ca create` keeps its CA without --dir: $XDG_DATA_HOME/tlskit/ca,
// else the platform's per-user data directory.
func DefaultCADir(getenv func(string) string, goos, home string) (string, error) {
	if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "tlskit", "ca"), nil
	}
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "tlskit", "ca"), nil
		}
	case "darwin":
		if home != "" {
			return filepath.Join(home, "Library", "Application Support", "tlskit", "ca"), nil
		}
	}
	if home == "" {
		return "", errors.New("cannot find a home directory for the default CA directory; give --dir")
	}
	return filepath.Join(home, ".local", "share", "tlskit", "ca"), nil
}

// LoadIssuer builds an Issuer from a CA certificate file's contents (the CA's certificate first,
// then any intermediates above it) and its private key's.
func LoadIssuer(certPEM, keyPEM, password []byte) (Issuer, error) {
	certs, err := ParseCertificates(certPEM)
	if err != nil {
		return Issuer{}, fmt.Errorf("CA certificate: %w", err)
	}
	key, err := ParsePrivateKey(keyPEM, password)
	if err != nil {
		return Issuer{}, fmt.Errorf("CA key: %w", err)
	}
	is := Issuer{Cert: certs[0], Key: key}
	for _, c := range certs {
		if !isSelfSigned(c) {
			is.Chain = append(is.Chain, c)
		}
	}
	if err := is.Validate(); err != nil {
		return Issuer{}, err
	}
	return is, nil
}

// isSelfSigned reports whether a certificate is a root: issued by itself, with a signature its
// own key verifies.
func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
