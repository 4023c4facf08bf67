package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

var echTestCert peertest.OnceCert

// echCert is for the hidden name and the public name alike, so a rejection's retry configs
// are authenticated by it.
func echCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	c := echTestCert.Get(t, "the ECH test certificate", func() *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(0xec4), Subject: pkix.Name{CommonName: "ech test"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true, IsCA: true, DNSNames: []string{"secret.test", "public.test"},
		}
	})
	pool := x509.NewCertPool()
	pool.AddCert(c.Leaf)
	return c, pool
}

// echTestCertFor is a self-signed certificate for names alone, made for the test.
func echTestCertFor(t *testing.T, names ...string) tls.Certificate {
	var once peertest.OnceCert
	return once.Get(t, "a certificate for "+strings.Join(names, ", "), func() *x509.Certificate {
		return &x509.Certificate{
			SerialNumber: big.NewInt(0xec5), Subject: pkix.Name{CommonName: names[0]},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true, IsCA: true, DNSNames: names,
		}
	})
}

// echServer is a Go crypto/tls server with the given ECH keys, counting its handshakes.
func echServer(t *testing.T, cert tls.Certificate, keys ...*ech.Key) (addr string, handshakes func() int) {
	var tkeys []tls.EncryptedClientHelloKey
	for _, k := range keys {
		tkeys = append(tkeys, k.TLSKey(true))
	}
	count := make(chan struct{}, 16)
	addr = peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		count <- struct{}{}
		peertest.ServeTLSConfig(c, &tls.Config{Certificates: []tls.Certificate{cert}, EncryptedClientHelloKeys: tkeys}, 5*time.Second)
	})
	return addr, func() int { return len(count) }
}

// TestECH: against a Go crypto/tls server with ECH keys, the handshake hides the SNI (the
// recorded outer ClientHello holds only the public name), decrypts the inner handshake's
// messages all the same, and on a rejection shows the retry configs, authenticated by the
// public name's certificate, and retries with them when asked.
func TestECH(t *testing.T) {
	t.Parallel()
	cert, pool := echCert(t)
	key, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	stale, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := echServer(t, cert, key)
	run := func(list []byte, retry bool, roots *x509.CertPool, at string) (*Result, error) {
		return Run(context.Background(), Options{Target: bpTarget(t, at), ServerName: "secret.test", Roots: roots,
			ECHConfigList: list, ECHRetry: retry, Timeout: 5 * time.Second})
	}

	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		res, err := run(key.ConfigList(), false, pool, addr)
		if err != nil {
			t.Fatal(err)
		}
		e := res.ECH
		if e == nil || !e.Accepted || e.PublicName != "public.test" || e.OuterSNI != "public.test" || e.HiddenSNI != "secret.test" ||
			e.ConfigID != key.Config.ConfigID || e.HPKESuite == nil || e.Retried {
			t.Fatalf("ECH %+v", e)
		}
		ch, ok := res.Steps[0].Details.(*wire.ClientHello)
		if !ok || ch.ServerName != "public.test" || ch.ECH == nil || ch.ECH.Type != "outer" {
			t.Fatalf("the first step is not the outer hello: %+v", res.Steps[0])
		}
		if !strings.Contains(res.Steps[0].Summary, "SNI public.test") || !strings.Contains(res.Steps[0].Summary, "ECH outer hello") {
			t.Errorf("outer hello summary %q", res.Steps[0].Summary)
		}
		// The inner handshake's encrypted messages decrypt with its secrets.
		if seq := stepNames(res.Steps); !strings.Contains(seq, "EncryptedExtensions") || !strings.Contains(seq, "CertificateVerify") {
			t.Errorf("steps %s: the encrypted flight was not decrypted", seq)
		}
		if res.Verification == nil || !res.Verification.Verified {
			t.Errorf("verification %+v, want the chain verified for secret.test", res.Verification)
		}
	})

	t.Run("rejected", func(t *testing.T) {
		t.Parallel()
		res, err := run(stale.ConfigList(), false, pool, addr)
		if err == nil || !strings.Contains(err.Error(), "server rejected ECH") {
			t.Fatalf("error %v, want the rejection", err)
		}
		e := res.ECH
		if e == nil || e.Accepted || !e.Rejected || !e.RetryAuthenticated || !bytes.Equal(e.RetryConfigList, key.ConfigList()) || len(e.RetryConfigs) != 1 ||
			e.RetryConfigs[0].ConfigID != key.Config.ConfigID || e.ConfigID != stale.Config.ConfigID {
			t.Fatalf("ECH %+v", e)
		}
		if res.Verification == nil || !res.Verification.Verified {
			t.Errorf("verification %+v, want the public name's certificate verified", res.Verification)
		}
	})

	t.Run("retried", func(t *testing.T) {
		t.Parallel()
		res, err := run(stale.ConfigList(), true, pool, addr)
		if err != nil {
			t.Fatal(err)
		}
		e := res.ECH
		if e == nil || !e.Accepted || !e.Retried || e.FirstRejected == nil || e.FirstRejected.ConfigID != stale.Config.ConfigID || e.ConfigID != key.Config.ConfigID {
			t.Fatalf("ECH %+v", e)
		}
	})

	t.Run("unauthenticated retry configs", func(t *testing.T) {
		t.Parallel()
		// The public name's certificate is not trusted: the configs are shown, not used.
		other, count := echServer(t, cert, key)
		res, err := run(stale.ConfigList(), true, peertest.Roots(t), other)
		if err == nil || !strings.Contains(err.Error(), "server rejected ECH") {
			t.Fatalf("error %v, want the rejection", err)
		}
		if e := res.ECH; e == nil || e.RetryAuthenticated || e.Retried || e.RetryError == "" || len(e.RetryConfigs) != 1 {
			t.Fatalf("ECH %+v", e)
		}
		if n := count(); n != 1 {
			t.Errorf("%d handshakes, want no retry with unauthenticated configs", n)
		}
	})

	t.Run("retry configs not for the public name", func(t *testing.T) {
		t.Parallel()
		// A trusted certificate for the hidden name only: the rejection is not authenticated
		// for the public name, so its configs are shown, not used.
		hiddenOnly := echTestCertFor(t, "secret.test")
		pool := x509.NewCertPool()
		pool.AddCert(hiddenOnly.Leaf)
		other, count := echServer(t, hiddenOnly, key)
		res, err := run(stale.ConfigList(), true, pool, other)
		if err == nil {
			t.Fatal("the handshake succeeded")
		}
		if e := res.ECH; e == nil || !e.Rejected || e.RetryAuthenticated || e.Retried || !strings.Contains(e.RetryError, "public name public.test") {
			t.Fatalf("ECH %+v", e)
		}
		if n := count(); n != 1 {
			t.Errorf("%d handshakes, want no retry with configs the public name did not authenticate", n)
		}
	})

	t.Run("failed before a verdict", func(t *testing.T) {
		t.Parallel()
		// A TLS 1.2-only server refuses the version: no ECH verdict, whatever the config.
		tls12 := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
			peertest.ServeTLSConfig(c, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}, 5*time.Second)
		})
		res, err := run(key.ConfigList(), true, pool, tls12)
		if err == nil {
			t.Fatal("the handshake succeeded")
		}
		if e := res.ECH; e == nil || e.Accepted || e.Rejected || e.Retried {
			t.Fatalf("ECH %+v, want neither accepted nor rejected", e)
		}
	})

	t.Run("without ECH", func(t *testing.T) {
		t.Parallel()
		res, err := run(nil, false, pool, addr)
		if err != nil || res.ECH != nil {
			t.Fatalf("ECH %+v, %v", res.ECH, err)
		}
	})
}

func stepNames(steps []Step) string {
	var names []string
	for _, s := range steps {
		names = append(names, s.Message)
	}
	return strings.Join(names, " ")
}
