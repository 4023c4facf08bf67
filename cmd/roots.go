package cmd

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/material"
)

// maxCertFile bounds a file of certificates (a chain, a CA bundle): the Mozilla root bundle is
// about 0.2 MB, so a file this size is a mistake, not a bundle, and is refused before it is
// read into memory.
const maxCertFile = 64 << 20

// readRoots reads the CA bundle a flag names (--ca of handshake, scan and verify, --client-ca
// of serve) and returns it as a pool, with the certificates themselves for callers that look
// issuers up in them. Every command reads its roots here, so each refuses the same files in the
// same words (see readCertFile).
func readRoots(a *app, flag, path string) (*x509.CertPool, []*x509.Certificate, error) {
	certs, err := readCertFile(a, flag, path)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, certs, nil
}

// readCertFile reads the certificates (PEM, with or without a byte-order mark, or DER) in the
// file what names: a flag such as --ca, or "certificate chain". "-" is stdin. It refuses, in one
// line that names what and the file: one larger than maxCertFile, a certificate request, and a
// file with no certificate. A certificate Go refuses to parse is a *malformedFileError, returned
// with the certificates before it.
func readCertFile(a *app, what, path string) ([]*x509.Certificate, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = readAllLimited(a.streams.In, maxCertFile)
	} else {
		data, err = readInputFile(path, maxCertFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if block, _ := pem.Decode(material.StripBOM(data)); block != nil && strings.Contains(block.Type, "CERTIFICATE REQUEST") {
		return nil, fmt.Errorf("%s: %s is a certificate request, not a certificate (sign it first: tlskit cert sign)", what, path)
	}
	certs, err := material.ParseCertificates(data)
	var malformed *material.CertificateError
	if errors.As(err, &malformed) {
		return certs, &malformedFileError{what: what, path: path, cause: malformed}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return certs, nil
}

// malformedFileError is a file holding a certificate Go refuses to parse. For the chain under
// judgement that is the verdict; for --ca and --intermediates, input that cannot be used.
type malformedFileError struct {
	what, path string
	cause      *material.CertificateError
}

func (e *malformedFileError) Error() string {
	m := inspect.DiagnoseMalformed(e.cause.DER, e.cause.Err)
	return fmt.Sprintf("%s %s: certificate %d of %d is malformed: %s", e.what, e.path, e.cause.Index+1, e.cause.Total, m)
}

func (e *malformedFileError) Unwrap() error { return e.cause }
