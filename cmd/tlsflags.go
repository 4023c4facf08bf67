package cmd

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/server"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// tlsParamFlags are the protocol choices handshake and serve share: versions, TLS 1.0-1.2
// suites and key exchange groups. verb says which side: "offer" or "accept".
type tlsParamFlags struct {
	min, max string
	ciphers  []string
	groups   []string
}

func (f *tlsParamFlags) register(fs *pflag.FlagSet, verb string) {
	fs.StringVar(&f.min, "tls-min", "1.2", "lowest TLS version to "+verb+": 1.0, 1.1, 1.2 or 1.3")
	fs.StringVar(&f.max, "tls-max", "1.3", "highest TLS version to "+verb)
	fs.StringSliceVar(&f.ciphers, "ciphers", nil, "TLS 1.0-1.2 cipher suites to "+verb+" (IANA or OpenSSL names)")
	fs.StringSliceVar(&f.groups, "groups", nil, "key exchange groups to "+verb+": x25519mlkem768, x25519, p256, p384, p521")
}

// tlsParams are the parsed choices, in crypto/tls's terms.
type tlsParams struct {
	minVersion, maxVersion uint16
	cipherSuites           []uint16
	groups                 []tls.CurveID
}

func (f *tlsParamFlags) parse() (tlsParams, error) {
	var p tlsParams
	var err error
	if p.minVersion, err = parseTLSVersion(f.min, "--tls-min"); err != nil {
		return p, err
	}
	if p.maxVersion, err = parseTLSVersion(f.max, "--tls-max"); err != nil {
		return p, err
	}
	if p.minVersion > p.maxVersion {
		return p, usageErrorf("--tls-min %s is above --tls-max %s", f.min, f.max)
	}
	for _, name := range f.ciphers {
		cs, ok := wire.CipherSuiteByName(name)
		switch {
		case !ok:
			return p, usageErrorf("--ciphers: unknown cipher suite %q", name)
		case cs.TLS13:
			return p, usageErrorf("--ciphers: %s is a TLS 1.3 suite; Go's TLS stack always uses its own TLS 1.3 suites, so only TLS 1.0-1.2 suites can be chosen", cs.Name)
		case !goSupportsSuite(cs.ID):
			return p, usageErrorf("--ciphers: %s is not implemented by Go's TLS stack (tlskit scan can still detect it)", cs.Name)
		}
		p.cipherSuites = append(p.cipherSuites, cs.ID)
	}
	for _, g := range f.groups {
		id, ok := wire.GroupByName(g)
		if !ok || !goSupportsGroup(tls.CurveID(id)) {
			return p, usageErrorf("--groups: unknown or unsupported group %q (choose x25519mlkem768, x25519, p256, p384, p521)", g)
		}
		p.groups = append(p.groups, tls.CurveID(id))
	}
	return p, nil
}

func parseTLSVersion(s, flag string) (uint16, error) {
	switch strings.TrimPrefix(strings.ToLower(s), "tls") {
	case "1.0", "1":
		return tls.VersionTLS10, nil
	case "1.1":
		return tls.VersionTLS11, nil
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, usageErrorf("%s: unknown TLS version %q (choose 1.0, 1.1, 1.2 or 1.3)", flag, s)
}

func goSupportsSuite(id uint16) bool {
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if s.ID == id {
			return true
		}
	}
	return false
}

func goSupportsGroup(id tls.CurveID) bool {
	switch id {
	case tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024:
		return true
	}
	return false
}

// keyPair builds a tls.Certificate from a certificate file's contents (leaf first, then its
// chain) and a private key's, checking that they belong together.
func keyPair(certPEM, keyPEM, password []byte) (tls.Certificate, error) {
	certs, err := material.ParseCertificates(certPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := material.ParsePrivateKey(keyPEM, password)
	if err != nil {
		return tls.Certificate{}, &server.KeyFileError{Err: err} // the key file's fault, for serve's message
	}
	if !publicKeyMatches(certs[0], key.Public()) {
		return tls.Certificate{}, errors.New("certificate and key do not match")
	}
	tc := tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, c := range certs {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc, nil
}

func publicKeyMatches(c *x509.Certificate, pub crypto.PublicKey) bool {
	k, ok := c.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(pub)
}

// loadKeyPair reads and pairs a certificate and key named by flags.
func loadKeyPair(certFile, keyFile, passwordFile string) (*tls.Certificate, error) {
	certPEM, err := readInputFile(certFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--cert: %w", err)
	}
	keyPEM, err := readInputFile(keyFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	var password []byte
	if passwordFile != "" {
		if password, err = readPasswordFile(passwordFile, "--key-password-file"); err != nil {
			return nil, err
		}
	}
	tc, err := keyPair(certPEM, keyPEM, password)
	if err != nil {
		if errors.Is(err, material.ErrPasswordRequired) {
			return nil, withHint(fmt.Errorf("%s: %w", keyFile, err), "give the password with --key-password-file FILE")
		}
		return nil, fmt.Errorf("%s / %s: %w", certFile, keyFile, err)
	}
	return &tc, nil
}

// starttlsFlag is --starttls of handshake and scan: a protocol to upgrade every target with,
// "none" for no upgrade, or "" for what each target implies (its scheme, else its port; see
// connect.Target.ImpliedStartTLS).
type starttlsFlag string

// register adds --starttls; when says when the upgrade runs ("first", "before each probe"), and
// example follows "default: from the port" in the help (", e.g. 25 -> smtp", or "").
func (f *starttlsFlag) register(fs *pflag.FlagSet, when, example string) {
	fs.StringVar((*string)(f), "starttls", "", "upgrade a plaintext protocol "+when+": "+strings.Join(connect.StartTLSProtocols, ", ")+
		" (default: from the port"+example+"; 'none' to disable)")
}

func (f starttlsFlag) check() error {
	if f != "" && f != "none" && !slices.Contains(connect.StartTLSProtocols, string(f)) {
		return usageErrorf("--starttls: unknown protocol %q (choose %s)", string(f), strings.Join(connect.StartTLSProtocols, ", "))
	}
	return nil
}

// forTarget is the upgrade to run before the handshake with t ("" for none).
func (f starttlsFlag) forTarget(t connect.Target) string {
	switch f {
	case "none":
		return ""
	case "":
		return t.ImpliedStartTLS()
	}
	return string(f)
}
