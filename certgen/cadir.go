package certgen

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/tlskit/tlskit/inspect/material"
)

// A CA directory holds one CA:
//
//	ca.pem      the CA's certificate, followed (for an intermediate) by the intermediates above
//	            it, never the root: exactly what is sent after a leaf it signs
//	ca-key.pem  its private key (0600, optionally encrypted)
//	root.pem    for an intermediate, the root certificate clients must trust
//	ca.json     settings (CASettings): the CRL and OCSP URLs every certificate it issues carries
//	revoked.json the certificates it has revoked and its last CRL number (RevocationDB)
//	.lock       held while revoked.json is being changed
const (
	CACertFile      = "ca.pem"
	CAKeyFile       = "ca-key.pem"
	RootFile        = "root.pem"
	CASettingsFile  = "ca.json"
	RevocationsFile = "revoked.json"
	LockFile        = ".lock"
)

// CASettings are what a CA directory records beside its certificate and key (ca.json).
type CASettings struct {
	Version int `json:"version"`
	// CRLURL goes into the CRL Distribution Points of every certificate the CA issues, OCSPURL
	// into their Authority Information Access.
	CRLURL  string `json:"crl_url,omitempty"`
	OCSPURL string `json:"ocsp_url,omitempty"`
}

const caSettingsVersion = 1

// Empty reports whether there is nothing to record.
func (s CASettings) Empty() bool { return s.CRLURL == "" && s.OCSPURL == "" }

// Encode writes the settings as ca.json holds them.
func (s CASettings) Encode() []byte {
	s.Version = caSettingsVersion
	out, _ := json.MarshalIndent(s, "", "  ") // strings only: cannot fail
	return append(out, '\n')
}

// decodeCAFile decodes one of the JSON files of a CA directory (ca.json, revoked.json) into v,
// refusing fields this tlskit does not know: the files are the CA's state, and a field it
// would drop on the next write is a file from another version or a hand edit gone wrong.
func decodeCAFile(data []byte, v any, what string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not %s: %w", what, err)
	}
	return nil
}

func versionError(what string, got, want int) error {
	return fmt.Errorf("%s version %d, this tlskit reads %d", what, got, want)
}

// ParseCASettings reads ca.json, checking its URLs as ca create did.
func ParseCASettings(data []byte) (CASettings, error) {
	var s CASettings
	if err := decodeCAFile(data, &s, "tlskit CA settings"); err != nil {
		return CASettings{}, err
	}
	if s.Version != caSettingsVersion {
		return CASettings{}, versionError("CA settings", s.Version, caSettingsVersion)
	}
	for _, u := range []string{s.CRLURL, s.OCSPURL} {
		if u == "" {
			continue
		}
		if _, err := CheckRevocationURL(u); err != nil {
			return CASettings{}, err
		}
	}
	return s, nil
}

// CheckRevocationURL checks a CRL or OCSP URL for a certificate: absolute http:// (what RFC 5280
// and RFC 6960 clients fetch; https would need the chain it is checking) or https://, with a
// host, as ASCII. It returns the URL as it will be encoded.
func CheckRevocationURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", profileErrorf("invalid URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", profileErrorf("invalid URL %q: must be http:// (or https://)", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", profileErrorf("invalid URL %q: no host", raw)
	}
	if !isASCII(raw) {
		return "", profileErrorf("invalid URL %q: must be ASCII (use punycode and percent-encoding)", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return "", profileErrorf("invalid URL %q: no user information or fragment in a certificate's URL", raw)
	}
	return u.String(), nil
}

// CAPaths returns the certificate, key and root paths of a CA directory.
func CAPaths(dir string) (cert, key, root string) {
	return filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile), filepath.Join(dir, RootFile)
}

// ErrNoHome is DefaultCADir finding neither XDG_DATA_HOME nor a home directory: the caller has to
// be given a directory.
var ErrNoHome = errors.New("cannot find a home directory for the default CA directory")

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
		return "", ErrNoHome
	}
	return filepath.Join(home, ".local", "share", "tlskit", "ca"), nil
}

// LoadIssuer builds an Issuer from a CA certificate file's contents (the CA's certificate first,
// then any intermediates above it) and its private key's.
func LoadIssuer(certPEM, keyPEM, password []byte) (Issuer, error) {
	certs, err := material.ParseCertificates(certPEM)
	if err != nil {
		return Issuer{}, fmt.Errorf("CA certificate: %w", err)
	}
	key, err := material.ParsePrivateKey(keyPEM, password)
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

// applyTo puts the revocation URLs into a certificate the CA is about to sign.
func (s CASettings) applyTo(t *x509.Certificate) {
	if s.CRLURL != "" {
		t.CRLDistributionPoints = []string{s.CRLURL}
	}
	if s.OCSPURL != "" {
		t.OCSPServer = []string{s.OCSPURL}
	}
}
