package handshake

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"

	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// This file is a server that sends a real TLS 1.2 flight as records of one byte of payload
// each (legal: handshake messages may be split across records at any byte), the peer that made
// decoding the transcript quadratic in the number of records (issue 12, item 8).

// reframeConn rewrites what a crypto/tls server writes: every plaintext handshake record
// (before the server's ChangeCipherSpec) becomes records of one payload byte, each written on
// its own so the client reads them in as many chunks as the line gives.
type reframeConn struct {
	net.Conn
	pending []byte
	ccs     bool
}

func (c *reframeConn) Write(p []byte) (int, error) {
	c.pending = append(c.pending, p...)
	recs, rest, err := wire.ParseRecords(c.pending)
	if err != nil {
		return 0, err
	}
	for _, r := range recs {
		raw := c.pending[r.Offset : r.Offset+wire.RecordHeaderLength+len(r.Payload)]
		if r.Type == wire.ContentChangeCipherSpec {
			c.ccs = true
		}
		if r.Type != wire.ContentHandshake || c.ccs {
			if _, err := c.Conn.Write(raw); err != nil {
				return 0, err
			}
			continue
		}
		// Groups of a few records, each group a write followed by a pause, so the client
		// reads them in about as many chunks as there are groups.
		const group = 4
		for i := 0; i < len(r.Payload); i += group {
			var out []byte
			for _, b := range r.Payload[i:min(i+group, len(r.Payload))] {
				out = append(out, r.Type, byte(r.Version>>8), byte(r.Version), 0, 1, b)
			}
			if _, err := c.Conn.Write(out); err != nil {
				return 0, err
			}
			for t0 := time.Now(); time.Since(t0) < 25*time.Microsecond; {
			}
		}
	}
	c.pending = append(c.pending[:0], rest...)
	return len(p), nil
}

var bigCert peertest.OnceCert

// bigCertificate is a self-signed certificate for 127.0.0.1 padded with DNS names to about
// size bytes (the first call's), so the server's Certificate message is large.
func bigCertificate(t testing.TB, size int) tls.Certificate {
	t.Helper()
	return bigCert.Get(t, "the big certificate", func() *x509.Certificate {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(0x7e58),
			Subject:      pkix.Name{CommonName: "tiny records test server"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		for n := 0; n < size; n += 36 {
			tmpl.DNSNames = append(tmpl.DNSNames, fmt.Sprintf("host-%06d.tiny-records.example", len(tmpl.DNSNames)))
		}
		return tmpl
	})
}

// tinyRecordServer serves TLS 1.2 with cert, every plaintext handshake record cut to one byte.
func tinyRecordServer(t testing.TB, cert tls.Certificate) string {
	return peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		peertest.ServeTLSConfig(&reframeConn{Conn: c}, &tls.Config{
			Certificates: []tls.Certificate{cert},
			MaxVersion:   tls.VersionTLS12,
		}, 30*time.Second)
	})
}

// TestHandshakeOneByteRecordsWithinTimeout: a 40 KiB certificate sent as one-byte records is
// ~40 000 records, more than a 128 KiB recording holds (so the recording is cut, as a 1 MiB one
// is by a 200 KiB certificate), read in some 10 000 chunks. Looking up each record's time by
// scanning the chunks made the decoding quadratic: with a 200 KiB certificate and a 5 s timeout
// the handshake ended after 13 s. The decoder at that scale (170 000 records) is
// TestTranscriptOneByteRecordsBounded's, in memory; this one is the whole path over a socket,
// which ends in its timeout plus 1 s, decoded or with the timeout error. It was the 200 KiB
// flight too, 2.6 s of CPU (mostly the peer's 50 000 paced writes) in every run of the suite.
func TestHandshakeOneByteRecordsWithinTimeout(t *testing.T) {
	t.Parallel()
	size, limit := 40<<10, 128<<10
	timeout := 5 * time.Second
	if os.Getenv("TLSKIT_LONG") != "" {
		size, limit, timeout = 200<<10, DefaultRecordLimit, 10*time.Second
	}
	addr := tinyRecordServer(t, bigCertificate(t, size))
	start := time.Now()
	res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), Timeout: timeout, RecordLimit: limit, Resolver: peertest.NoDNS()})
	elapsed := time.Since(start)
	t.Logf("handshake ended after %v: err %v", elapsed.Round(time.Millisecond), err)
	if elapsed > timeout+time.Second {
		t.Errorf("BUG: Handshake took %v, over its %v timeout (+1s slack)", elapsed.Round(time.Millisecond), timeout)
	}
	if err != nil {
		if !connect.IsTimeout(err) {
			t.Fatalf("handshake failed, and not by its timeout: %v", err)
		}
		return
	}
	if len(res.Steps) < 2 || res.Steps[1].Message != "ServerHello" {
		t.Errorf("steps do not show the server's flight: %+v", res.Steps[:min(len(res.Steps), 4)])
	}
	if !res.TranscriptTruncated {
		t.Errorf("a %d-byte certificate in one-byte records fitted in the recording; the test is too small", size)
	}
}

// TestHandshakeDeadlineCoversRevocation: the work after the handshake shares the run's
// deadline. An OCSP responder that never answers holds the revocation lookup until the
// deadline; the handshake then ends with the timeout error (it used to return success with an
// "unknown" revocation verdict after the deadline), within 1 s of its 1 s timeout.
func TestHandshakeDeadlineCoversRevocation(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang })}
	go hs.Serve(ln)
	t.Cleanup(func() { close(hang); hs.Close() })

	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "deadline test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "deadline test leaf"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		OCSPServer:  []string{"http://" + ln.Addr().String() + "/"},
	}, ca, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		peertest.ServeTLSConfig(c, &tls.Config{Certificates: []tls.Certificate{cert}}, 5*time.Second)
	})
	roots := x509.NewCertPool()
	roots.AddCert(ca)

	const timeout = time.Second
	start := time.Now()
	res, err := Run(context.Background(), Options{
		Target: bpTarget(t, addr), Timeout: timeout, Resolver: peertest.NoDNS(), Roots: roots,
		Revocation: revocation.Options{Mode: revocation.ModeOCSP, Fetcher: revocation.NewFetcher(revocation.FetcherOptions{Timeout: 10 * time.Second})},
	})
	elapsed := time.Since(start)
	t.Logf("handshake ended after %v: err %v", elapsed.Round(time.Millisecond), err)
	if err == nil {
		t.Fatalf("BUG: the handshake succeeded after its deadline passed (revocation %+v)", res.Revocation)
	}
	he := bpCheckFailure(t, res, err, elapsed, timeout)
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("error %q is not the timeout error", err)
	}
	if he.Stage != connect.StageHandshake {
		t.Errorf("stage %q, want handshake", he.Stage)
	}
}
