package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// CertSource is one certificate and key, from files or from memory.
type CertSource struct {
	CertFile, KeyFile string
	// Load parses the two files' contents (and decrypts the key); the caller supplies it so
	// this package does not need to know key formats or passwords.
	Load func(certPEM, keyPEM []byte) (tls.Certificate, error)
	// Static is used instead of files when set (an ephemeral certificate).
	Static *tls.Certificate
}

// CertStore holds the server's certificates and picks one per handshake by SNI. Files are
// re-read on Reload; connections already established keep the certificate they got.
type CertStore struct {
	sources []CertSource
	staple  *StapleSource

	mu     sync.RWMutex
	certs  []tls.Certificate
	mtimes []time.Time
	// stapleUntil is when the staple in use expires: Changed reports it, so the reload that
	// follows stops stapling a response clients would refuse.
	stapleUntil time.Time
}

// StapleSource is an OCSP response file stapled to the first certificate, re-read and
// re-checked on every Reload.
type StapleSource struct {
	File string
	// Check refuses a response that may not be stapled to cert (another certificate's,
	// expired), and says until when an accepted one may be stapled (its nextUpdate; zero for
	// no limit); the caller supplies it, so this package does not judge OCSP.
	Check func(der []byte, cert tls.Certificate) (until time.Time, err error)
}

// MaxStapleBytes bounds the OCSP response file read.
const MaxStapleBytes = 1 << 20

// StapleError is a reload whose certificates loaded but whose OCSP response cannot be stapled:
// the certificates are in use, without a staple.
type StapleError struct {
	File string
	Err  error
}

func (e *StapleError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }
func (e *StapleError) Unwrap() error { return e.Err }

// NewCertStore loads every source once; an error in any is returned, a staple that cannot be
// used included (a server should not start stapling something wrong).
func NewCertStore(sources []CertSource, staple *StapleSource) (*CertStore, error) {
	if len(sources) == 0 {
		return nil, errors.New("no certificate")
	}
	s := &CertStore{sources: sources, staple: staple}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads every certificate file and the staple. If a certificate fails, the old
// certificates stay in use and the error says which file; if only the staple fails, the new
// certificates are used without it and the error is a *StapleError.
func (s *CertStore) Reload() error {
	certs := make([]tls.Certificate, 0, len(s.sources))
	mtimes := make([]time.Time, len(s.sources))
	for i, src := range s.sources {
		if src.Static != nil {
			certs = append(certs, *src.Static)
			continue
		}
		certPEM, err := os.ReadFile(src.CertFile)
		if err != nil {
			return fmt.Errorf("reading %s: %w", src.CertFile, err)
		}
		keyPEM, err := os.ReadFile(src.KeyFile)
		if err != nil {
			return fmt.Errorf("reading %s: %w", src.KeyFile, err)
		}
		c, err := src.Load(certPEM, keyPEM)
		if err != nil {
			return fmt.Errorf("%s: %w", src.CertFile, err)
		}
		if c.Leaf == nil && len(c.Certificate) > 0 {
			if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
				return fmt.Errorf("%s: %w", src.CertFile, err)
			}
		}
		certs = append(certs, c)
		mtimes[i] = newest(src.CertFile, src.KeyFile)
	}
	var stapleErr error
	var until time.Time
	if s.staple != nil && len(certs) > 0 {
		der, err := readLimited(s.staple.File, MaxStapleBytes)
		if err == nil {
			until, err = s.staple.Check(der, certs[0])
		}
		if err != nil {
			stapleErr = &StapleError{File: s.staple.File, Err: err}
			until = time.Time{}
		} else {
			certs[0].OCSPStaple = der
		}
		mtimes[0] = newest(s.sources[0].CertFile, s.sources[0].KeyFile, s.staple.File)
	}
	s.mu.Lock()
	s.certs, s.mtimes, s.stapleUntil = certs, mtimes, until
	s.mu.Unlock()
	return stapleErr
}

// readLimited reads a file, refusing one over limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("over the %d-byte limit", limit)
	}
	return data, nil
}

// Changed reports whether a certificate, key or staple file changed on disk since the last
// load, or the staple in use has expired.
func (s *CertStore) Changed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.stapleUntil.IsZero() && time.Now().After(s.stapleUntil) {
		return true
	}
	for i, src := range s.sources {
		if src.Static != nil {
			continue
		}
		files := []string{src.CertFile, src.KeyFile}
		if i == 0 && s.staple != nil {
			files = append(files, s.staple.File)
		}
		if newest(files...).After(s.mtimes[i]) {
			return true
		}
	}
	return false
}

func newest(paths ...string) time.Time {
	var t time.Time
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	return t
}

// Leaves returns the current leaf certificates, for showing what is served.
func (s *CertStore) Leaves() []*x509.Certificate {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*x509.Certificate
	for _, c := range s.certs {
		out = append(out, c.Leaf)
	}
	return out
}

// GetCertificate picks the first certificate valid for the client's server name and signature
// algorithms, or the first certificate when none is.
func (s *CertStore) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.certs {
		if hello.SupportsCertificate(&s.certs[i]) == nil {
			c := s.certs[i]
			return &c, nil
		}
	}
	c := s.certs[0]
	return &c, nil
}
