//go:build unix

package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Hostile certificate files (issue #12, item 7): whatever is put at the --cert/--key path, a
// reload returns at once with an error naming the file, reads at most the size cap, keeps the
// old certificate in use, and is reported once per change on disk, not on every poll.

// csPair writes cert as cert.pem and key.pem in dir and returns a source for them.
func csPair(t *testing.T, dir string, cert tls.Certificate) CertSource {
	t.Helper()
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	src := CertSource{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), Load: tls.X509KeyPair}
	csWrite(t, src.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}))
	csWrite(t, src.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}))
	return src
}

// csWrite replaces path by rename, as deployment tools do.
func csWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// csServed is the DER of the certificate a handshake gets now.
func csServed(t *testing.T, s *CertStore) []byte {
	t.Helper()
	c, err := s.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return c.Certificate[0]
}

// csReload runs Reload with a 2 s bound (a FIFO used to block it in open(2) forever) and
// measures what it allocated (a 3 GB file used to cost 3 GB).
func csReload(t *testing.T, s *CertStore) (err error, allocated uint64) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() { done <- s.Reload() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Second):
		t.Fatalf("Reload still blocked after 2s")
	}
	runtime.ReadMemStats(&after)
	return err, after.TotalAlloc - before.TotalAlloc
}

func TestCertStoreRefusesHostileFiles(t *testing.T) {
	cases := []struct {
		name  string
		file  string // "cert" or "key"
		put   func(t *testing.T, path string)
		want  error
		inErr string
	}{
		{"fifo as cert", "cert", csFIFO, ErrNotRegularFile, "named pipe"},
		{"fifo as key", "key", csFIFO, ErrNotRegularFile, "named pipe"},
		{"directory", "cert", csDir, ErrNotRegularFile, "directory"},
		{"/dev/zero", "key", func(t *testing.T, path string) {
			csSwap(t, path, func(p string, _ os.FileMode) error { return os.Symlink("/dev/zero", p) })
		}, ErrNotRegularFile, "character device"},
		// Truncate makes a sparse file: 3 GB of size, no disk.
		{"3 GB sparse file", "cert", func(t *testing.T, path string) { csSparse(t, path, 3<<30) }, ErrFileTooLarge, "3221225472 bytes"},
		{"one byte over the cap", "key", func(t *testing.T, path string) { csSparse(t, path, MaxCertFileBytes+1) }, ErrFileTooLarge, "the limit is 1048576"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert, _ := ltCert(t)
			src := csPair(t, t.TempDir(), cert)
			store, err := NewCertStore([]CertSource{src}, nil)
			if err != nil {
				t.Fatal(err)
			}
			path := src.CertFile
			if tc.file == "key" {
				path = src.KeyFile
			}
			tc.put(t, path)
			if !store.Changed() {
				t.Errorf("replacing %s was not seen as a change", tc.file)
			}
			err, allocated := csReload(t, store)
			if !errors.Is(err, tc.want) || !bytes.Contains([]byte(err.Error()), []byte(path+": ")) || !bytes.Contains([]byte(err.Error()), []byte(tc.inErr)) {
				t.Errorf("Reload = %v, want %v naming %s and %q", err, tc.want, path, tc.inErr)
			}
			if allocated > 8<<20 {
				t.Errorf("Reload allocated %d bytes, want under 8 MiB (the cap is %d)", allocated, MaxCertFileBytes)
			}
			if !bytes.Equal(csServed(t, store), cert.Certificate[0]) {
				t.Errorf("the old certificate is no longer served")
			}
			// The same file at start-up is the same error.
			if _, err := NewCertStore([]CertSource{src}, nil); !errors.Is(err, tc.want) {
				t.Errorf("NewCertStore = %v, want %v", err, tc.want)
			}
		})
	}
}

// A reload that fails is reported once: Changed stays false until the files change again
// (polled every second, it used to warn every second forever), then a good file, even one
// older than the last good load (a backup put back), is picked up.
func TestCertStoreFailedReloadReportedOnce(t *testing.T) {
	cert, _ := ltCert(t)
	dir := t.TempDir()
	src := csPair(t, dir, cert)
	goodCert, err := os.ReadFile(src.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	store, err := NewCertStore([]CertSource{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	attempts := 0
	poll := func(times int) {
		t.Helper()
		for range times {
			if store.Changed() {
				attempts++
				store.Reload()
			}
		}
	}

	csWrite(t, src.CertFile, []byte("not a certificate"))
	poll(5)
	if attempts != 1 {
		t.Errorf("a broken certificate file was reloaded (and warned about) %d times in 5 polls, want once", attempts)
	}
	// Another broken version is another change: one more attempt.
	csWrite(t, src.CertFile, []byte("still not a certificate"))
	poll(5)
	if attempts != 2 {
		t.Errorf("after a second broken version: %d attempts, want 2", attempts)
	}
	// The good file comes back with an old time (cp -p of a backup): still a change.
	tmp := src.CertFile + ".bak"
	if err := os.WriteFile(tmp, goodCert, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, src.CertFile); err != nil {
		t.Fatal(err)
	}
	if !store.Changed() {
		t.Fatal("the restored certificate was not seen as a change")
	}
	if err := store.Reload(); err != nil {
		t.Fatalf("reloading the restored certificate: %v", err)
	}
	if store.Changed() {
		t.Errorf("Changed after a successful reload")
	}
}

// An expired staple asks for one reload; when that reload fails, the staple is dropped (clients
// would refuse it) and the store does not ask again on every poll. The clock is moved past the
// expiry (the test used to sleep 150 ms for it).
func TestCertStoreExpiredStapleFailedReload(t *testing.T) {
	cert, _ := ltCert(t)
	dir := t.TempDir()
	src := csPair(t, dir, cert)
	staple := filepath.Join(dir, "staple.der")
	if err := os.WriteFile(staple, []byte("response"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := &csClock{time.Now()}
	until := clock.t.Add(100 * time.Millisecond)
	check := func([]byte, tls.Certificate) (time.Time, error) { return until, nil }
	store, err := NewCertStore([]CertSource{src}, &StapleSource{File: staple, Check: check})
	if err != nil {
		t.Fatal(err)
	}
	store.now = clock.now
	// The certificate breaks before the staple expires: one failed reload for that.
	csFIFO(t, src.CertFile)
	if err, _ := csReload(t, store); !errors.Is(err, ErrNotRegularFile) {
		t.Fatalf("Reload = %v", err)
	}
	clock.t = until.Add(50 * time.Millisecond)
	if !store.Changed() {
		t.Fatal("the expired staple did not ask for a reload")
	}
	if err, _ := csReload(t, store); err == nil {
		t.Fatal("Reload with a FIFO as the certificate succeeded")
	}
	c, _ := store.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if c.OCSPStaple != nil {
		t.Errorf("the expired staple is still stapled after the failed reload")
	}
	if store.Changed() {
		t.Errorf("after the failed reload the expired staple still asks for another")
	}
}

// csSwap replaces path by what make creates at a temporary name, renamed over it.
func csSwap(t *testing.T, path string, make func(string, os.FileMode) error) {
	t.Helper()
	tmp := path + ".swap"
	if err := make(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// csDir puts a directory at path (a directory cannot be renamed over a file).
func csDir(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
}

func csFIFO(t *testing.T, path string) {
	t.Helper()
	csSwap(t, path, func(p string, _ os.FileMode) error { return syscall.Mkfifo(p, 0o600) })
}

func csSparse(t *testing.T, path string, size int64) {
	t.Helper()
	csSwap(t, path, func(p string, _ os.FileMode) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(size)
	})
}
