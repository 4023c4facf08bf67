package peertest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"
)

// The fake peers of every test: a loopback listener that runs a handler per connection (a
// server that misbehaves on purpose, a proxy, a STARTTLS dialogue) and a self-signed
// certificate for 127.0.0.1 and localhost to finish a handshake with.

// Serve listens on 127.0.0.1:0 and runs handle in its own goroutine for every accepted
// connection. At cleanup the listener and every connection are closed, the context handed to
// the handlers is cancelled, and cleanup waits for the handlers to return.
func Serve(t testing.TB, handle func(ctx context.Context, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ServeListener(t, ln, handle)
}

// ServeListener is Serve on a listener the test made itself (with socket options of its own,
// say); it returns the listener's address.
func ServeListener(t testing.TB, ln net.Listener, handle func(ctx context.Context, c net.Conn)) string {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(ctx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		cancel()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// OnceCert is a test certificate made the first time it is asked for and shared after.
type OnceCert struct {
	once sync.Once
	cert tls.Certificate
	err  error
}

// Get makes the certificate from template's on the first call and returns it on every call.
func (o *OnceCert) Get(t testing.TB, what string, template func() *x509.Certificate) tls.Certificate {
	t.Helper()
	o.once.Do(func() { o.cert, o.err = selfSigned(template()) })
	if o.err != nil {
		t.Fatalf("making %s: %v", what, o.err)
	}
	return o.cert
}

// selfSigned is tmpl signed by a fresh ECDSA P-256 key of its own, its leaf parsed.
func selfSigned(tmpl *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

var loopbackCert OnceCert

// Certificate is a self-signed ECDSA certificate for 127.0.0.1 and localhost, made once.
func Certificate(t testing.TB) tls.Certificate {
	t.Helper()
	return loopbackCert.Get(t, "the test certificate", func() *x509.Certificate {
		return &x509.Certificate{
			SerialNumber:          big.NewInt(0x7e57),
			Subject:               pkix.Name{CommonName: "tlskit test peer"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			DNSNames:              []string{"localhost"},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		}
	})
}

// ServerConfig is a TLS server configuration with the test certificate.
func ServerConfig(t testing.TB) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{Certificate(t)}}
}

// Roots trusts the test certificate.
func Roots(t testing.TB) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(Certificate(t).Leaf)
	return pool
}

// ServeTLS finishes a TLS handshake as the server on c with the test certificate and keeps
// the connection open until the client closes it.
func ServeTLS(t testing.TB, c net.Conn) { ServeTLSConfig(c, ServerConfig(t), 5*time.Second) }

// ServeTLSConfig is ServeTLS with cfg, the connection given up limit after it starts.
func ServeTLSConfig(c net.Conn, cfg *tls.Config, limit time.Duration) {
	tc := tls.Server(c, cfg)
	tc.SetDeadline(time.Now().Add(limit))
	if err := tc.Handshake(); err != nil {
		return
	}
	io.Copy(io.Discard, tc)
}

// ReadRecord reads one whole TLS record (the ClientHello, when it is the first), so closing
// the connection afterwards does not reset it because of unread data.
func ReadRecord(c net.Conn) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil, err
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}

// Drain reads until the client goes away.
func Drain(c net.Conn) { io.Copy(io.Discard, c) }

// Sleep waits d, or less when the server is shutting down; it reports whether to go on.
func Sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}
