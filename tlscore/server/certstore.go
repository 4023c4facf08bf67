package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
)

// KeyFileError is what a CertSource's Load returns when the key, not the certificate, is at
// fault (it cannot be parsed or decrypted), so the message names the key file.
type KeyFileError struct{ Err error }

func (e *KeyFileError) Error() string { return e.Err.Error() }
func (e *KeyFileError) Unwrap() error { return e.Err }

// CertSource is one certificate and key, from files or from memory.
type CertSource struct {
	CertFile, KeyFile string
	// Load parses the two files' contents (and decrypts the key); the caller supplies it so
	// this package does not need to know key formats or passwords.
	Load func(certPEM, keyPEM []byte) (tls.Certificate, error)
	// MaxBytes bounds each file read; zero means MaxCertFileBytes.
	MaxBytes int64
	// Static is used instead of files when set (an ephemeral certificate).
	Static *tls.Certificate
}

// CertStore holds the server's certificates and picks one per handshake by SNI. Files are
// re-read on Reload; connections already established keep the certificate they got.
type CertStore struct {
	sources []CertSource
	staple  *StapleSource
	// now is the clock staples expire by: time.Now, a fake one in tests.
	now func() time.Time

	mu    sync.RWMutex
	certs []tls.Certificate
	// stapleUntil is when the staple in use expires: Changed reports it, so the reload that
	// follows stops stapling a response clients would refuse.
	stapleUntil time.Time
	// seen is the files' state at the last reload, whether it worked or not: Changed reports
	// nothing until the files differ from it, so a broken file is reported once per change on
	// disk, not on every poll.
	seen [][]fileState
	// tried is when the last reload ran: an expired staple asks for one reload, not one per
	// poll.
	tried time.Time
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
	s := &CertStore{sources: sources, staple: staple, now: time.Now}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads every certificate file and the staple. If a certificate fails, the old
// certificates stay in use (less a staple that has expired) and the error says which file; if
// only the staple fails, the new certificates are used without it and the error is a
// *StapleError. Files are read only if they are regular files within the size limit, so a
// reload never blocks on a named pipe or reads a device or a huge file.
func (s *CertStore) Reload() error {
	// The state is taken before the files are read: a change during the read then shows as a
	// difference at the next Changed.
	states := s.snapshot()
	certs, until, err := s.load()
	var se *StapleError
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen, s.tried = states, s.now()
	if err != nil && !errors.As(err, &se) {
		if !s.stapleUntil.IsZero() && s.tried.After(s.stapleUntil) && len(s.certs) > 0 {
			s.certs[0].OCSPStaple = nil
			s.stapleUntil = time.Time{}
		}
		return err
	}
	s.certs, s.stapleUntil = certs, until
	return err
}

// load reads and parses every source and the staple.
func (s *CertStore) load() ([]tls.Certificate, time.Time, error) {
	certs := make([]tls.Certificate, 0, len(s.sources))
	for _, src := range s.sources {
		if src.Static != nil {
			certs = append(certs, *src.Static)
			continue
		}
		limit := src.MaxBytes
		if limit <= 0 {
			limit = MaxCertFileBytes
		}
		certPEM, err := readRegularFile(src.CertFile, limit)
		if err != nil {
			return nil, time.Time{}, shortPathError(err)
		}
		keyPEM, err := readRegularFile(src.KeyFile, limit)
		if err != nil {
			return nil, time.Time{}, shortPathError(err)
		}
		c, err := src.Load(certPEM, keyPEM)
		if err != nil {
			file := src.CertFile
			if ke := (*KeyFileError)(nil); errors.As(err, &ke) {
				file = src.KeyFile
			}
			return nil, time.Time{}, fmt.Errorf("%s: %w", file, err)
		}
		if c.Leaf == nil && len(c.Certificate) > 0 {
			if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
				return nil, time.Time{}, fmt.Errorf("%s: %w", src.CertFile, err)
			}
		}
		certs = append(certs, c)
	}
	var until time.Time
	if s.staple != nil && len(certs) > 0 {
		der, err := readRegularFile(s.staple.File, MaxStapleBytes)
		if err == nil {
			until, err = s.staple.Check(der, certs[0])
		}
		if err != nil {
			return certs, time.Time{}, &StapleError{File: s.staple.File, Err: unwrapPathError(err)}
		}
		certs[0].OCSPStaple = der
	}
	return certs, until, nil
}

// shortPathError turns "stat cert.pem: no such file or directory" into "cert.pem: no such
// file or directory", as every other file error of tlskit reads.
func shortPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// unwrapPathError is the reason alone, where the file is named beside it.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// files are the paths source i is loaded from: its certificate and key, and for the first the
// staple.
func (s *CertStore) files(i int) []string {
	var files []string
	if src := s.sources[i]; src.Static == nil {
		files = append(files, src.CertFile, src.KeyFile)
	}
	if i == 0 && s.staple != nil {
		files = append(files, s.staple.File)
	}
	return files
}

// snapshot is the state of every source's files.
func (s *CertStore) snapshot() [][]fileState {
	out := make([][]fileState, len(s.sources))
	for i := range s.sources {
		for _, f := range s.files(i) {
			out[i] = append(out[i], statFile(f))
		}
	}
	return out
}

// Changed reports whether a reload is due: a certificate, key or staple file is not as it was
// at the last reload (its time, size or identity differ: rewritten, replaced, deleted), or the
// staple in use has expired. It only stats the files, so it never blocks on what they are.
func (s *CertStore) Changed() bool {
	states := s.snapshot()
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.stapleUntil.IsZero() && now.After(s.stapleUntil) && s.tried.Before(s.stapleUntil) {
		return true
	}
	return !sameStates(states, s.seen)
}

func sameStates(a, b [][]fileState) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if !a[i][j].equal(b[i][j]) {
				return false
			}
		}
	}
	return true
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
