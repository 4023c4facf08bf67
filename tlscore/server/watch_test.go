//go:build unix

package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"testing"
	"time"
)

// csWatch runs Watch until the test step ends, telling results (the first 16) on the channel.
func csWatch(t *testing.T, store *CertStore, poll time.Duration, hup <-chan os.Signal) <-chan error {
	t.Helper()
	results := make(chan error, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		store.Watch(ctx, WatchOptions{Poll: poll, Reload: hup, OnReload: func(err error) {
			select {
			case results <- err:
			default:
			}
		}})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Watch still running 5s after its context ended")
		}
	})
	return results
}

// csNext waits for Watch's next result.
func csNext(t *testing.T, results <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-results:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no reload within 5s", what)
		return nil
	}
}

// TestCertStoreWatch: Watch (serve's reload watcher, once in cmd with a 1 s tick) reloads when
// a file is replaced on disk and when asked (SIGHUP), tells OnReload of each outcome, keeps the
// old certificate when the new file is broken, and returns when its context ends. It polls
// every 10 ms here, so no step waits for a 1 s tick. A reload can run twice for one change
// (the files' state is taken before they are read), so steps wait on what is served and on
// the first result, not on a count.
func TestCertStoreWatch(t *testing.T) {
	first, _ := ltCert(t)
	src := csPair(t, t.TempDir(), first)
	store, err := NewCertStore([]CertSource{src}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A second certificate for the same key: one file changes.
	tmpl := *first.Leaf
	tmpl.SerialNumber = big.NewInt(43)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, first.Leaf, first.Leaf.PublicKey, first.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("file replaced", func(t *testing.T) {
		results := csWatch(t, store, 10*time.Millisecond, nil)
		csWrite(t, src.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		if err := csNext(t, results, "file replaced"); err != nil {
			t.Fatalf("reload: %v", err)
		}
		if !bytes.Equal(csServed(t, store), der) {
			t.Fatal("the reload did not serve the new certificate")
		}
	})
	t.Run("asked", func(t *testing.T) {
		hup := make(chan os.Signal, 1)
		results := csWatch(t, store, time.Hour, hup) // no poll: the reload is the one asked for
		hup <- os.Interrupt
		if err := csNext(t, results, "asked"); err != nil {
			t.Errorf("asked reload: %v", err)
		}
		select {
		case err := <-results:
			t.Errorf("a second reload nobody asked for: %v", err)
		default:
		}
	})
	t.Run("broken file", func(t *testing.T) {
		results := csWatch(t, store, 10*time.Millisecond, nil)
		csFIFO(t, src.CertFile)
		if err := csNext(t, results, "broken file"); !errors.Is(err, ErrNotRegularFile) {
			t.Errorf("reload of a FIFO: %v, want ErrNotRegularFile", err)
		}
		if !bytes.Equal(csServed(t, store), der) {
			t.Error("the broken reload replaced the certificate in use")
		}
	})
}
