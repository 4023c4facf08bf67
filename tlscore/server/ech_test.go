package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/ech"
)

// TestECHEvents: a listener with an ECH key tells, per connection, whether the client's hello
// was encrypted to it, the public name it carried in the clear, and the name it hid; a client
// with a config of another key is rejected with the server's own config to retry with.
func TestECHEvents(t *testing.T) {
	t.Parallel()
	key, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	stale, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	cert, pool := echCert(t, "public.test", "secret.test")
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 4)
	ln, err := Listen(Options{Addr: "127.0.0.1:0", Certs: store, ECHKeys: []tls.EncryptedClientHelloKey{key.TLSKey(true)},
		HandshakeTimeout: 5 * time.Second, Events: func(ev Event) { events <- ev }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
			ln.Release(c)
		}
	}()
	dial := func(list []byte) error {
		d := &net.Dialer{Timeout: 5 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), &tls.Config{ServerName: "secret.test", RootCAs: pool, EncryptedClientHelloConfigList: list})
		if err == nil {
			if list != nil && !c.ConnectionState().ECHAccepted {
				err = errors.New("ECH not accepted")
			}
			c.Close()
		}
		return err
	}
	next := func() Event {
		select {
		case ev := <-events:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event")
		}
		return Event{}
	}

	if err := dial(key.ConfigList()); err != nil {
		t.Fatal(err)
	}
	ev := next()
	if ev.ECH == nil || !ev.ECH.Accepted || ev.ECH.OuterSNI != "public.test" || ev.ECH.InnerSNI != "secret.test" ||
		ev.ECH.ConfigID != key.Config.ConfigID || ev.SNI != "secret.test" || ev.Error != "" {
		t.Errorf("accepted: event %+v, ECH %+v", ev, ev.ECH)
	}
	// The wire saw only the public name.
	if ev.Hello == nil || ev.Hello.ServerName != "public.test" {
		t.Errorf("the outer hello as received: %+v", ev.Hello)
	}

	var rej *tls.ECHRejectionError
	if err := dial(stale.ConfigList()); !errors.As(err, &rej) || !bytes.Equal(rej.RetryConfigList, key.ConfigList()) {
		t.Fatalf("stale config: %v, want a rejection with the server's config to retry", err)
	}
	ev = next()
	if ev.ECH == nil || ev.ECH.Accepted || ev.ECH.OuterSNI != "public.test" || ev.ECH.InnerSNI != "" || ev.ECH.ConfigID != stale.Config.ConfigID {
		t.Errorf("rejected: event %+v, ECH %+v", ev, ev.ECH)
	}

	if err := dial(nil); err != nil {
		t.Fatal(err)
	}
	if ev = next(); ev.ECH != nil || ev.SNI != "secret.test" {
		t.Errorf("without ECH: event %+v, ECH %+v", ev, ev.ECH)
	}
}

func echCert(t *testing.T, names ...string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}, pool
}
