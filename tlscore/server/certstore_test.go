package server

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// csClock is a clock a test moves by hand (CertStore.now), so a staple expires without a wait.
type csClock struct{ t time.Time }

func (c *csClock) now() time.Time { return c.t }

// A staple is re-checked on every load, and the store asks for a reload once the staple in use
// expires, so a response clients would refuse is not stapled for long. The clock is moved past
// the expiry (the test used to wait 150 ms for it).
func TestCertStoreStaple(t *testing.T) {
	cert, _ := ltCert(t)
	file := filepath.Join(t.TempDir(), "staple.der")
	if err := os.WriteFile(file, []byte("response"), 0o600); err != nil {
		t.Fatal(err)
	}
	clock := &csClock{time.Now()}
	until := clock.t.Add(150 * time.Millisecond)
	accept := true
	check := func(der []byte, c tls.Certificate) (time.Time, error) {
		if string(der) != "response" || c.Leaf == nil {
			t.Errorf("checked %q for %v", der, c.Leaf)
		}
		if !accept {
			return time.Time{}, errors.New("it expired")
		}
		return until, nil
	}
	store, err := NewCertStore([]CertSource{{Static: &cert}}, &StapleSource{File: file, Check: check})
	if err != nil {
		t.Fatal(err)
	}
	store.now = clock.now
	stapled := func() []byte {
		c, err := store.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		return c.OCSPStaple
	}
	if string(stapled()) != "response" || store.Changed() {
		t.Fatalf("staple %q, changed %t", stapled(), store.Changed())
	}
	clock.t = until.Add(time.Millisecond)
	if !store.Changed() {
		t.Fatal("the expired staple did not make the store ask for a reload")
	}
	accept = false
	var se *StapleError
	if err := store.Reload(); !errors.As(err, &se) {
		t.Fatalf("reload: %v, want a StapleError", err)
	}
	if stapled() != nil || store.Changed() {
		t.Errorf("after the failed check: staple %q, changed %t", stapled(), store.Changed())
	}

	// At start-up, a staple that fails its check is an error.
	if _, err := NewCertStore([]CertSource{{Static: &cert}}, &StapleSource{File: file, Check: check}); !errors.As(err, &se) {
		t.Errorf("start-up: %v, want a StapleError", err)
	}
}
