package scan

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// testScanner is a scanner of a port on 127.0.0.1 with the scan's default bounds, for the
// tests of one probe kind.
func testScanner(port int) *scanner {
	opts := Options{Target: localTarget(port), Timeout: 3 * time.Second, Parallel: 8, Rate: 1000}
	return &scanner{p: newProber(opts, func() {}), opts: opts}
}

// recordingSigner is a certificate key that remembers how crypto/tls asked it to sign: the
// signature scheme Go's server chose.
type recordingSigner struct {
	crypto.Signer
	mu     sync.Mutex
	scheme uint16
}

func (r *recordingSigner) Sign(rnd io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var scheme uint16
	hashID := map[crypto.Hash]uint16{crypto.SHA256: 4, crypto.SHA384: 5, crypto.SHA512: 6}[opts.HashFunc()]
	switch r.Signer.Public().(type) {
	case *rsa.PublicKey:
		if _, pss := opts.(*rsa.PSSOptions); pss {
			scheme = 0x0800 | hashID // rsa_pss_rsae_sha256 is 0x0804 ...
		} else {
			scheme = hashID<<8 | 1 // rsa_pkcs1_sha256 is 0x0401 ...
		}
	case *ecdsa.PublicKey:
		scheme = hashID<<8 | 3 // ecdsa_secp256r1_sha256 is 0x0403 ...
	}
	r.mu.Lock()
	r.scheme = scheme
	r.mu.Unlock()
	return r.Signer.Sign(rnd, digest, opts)
}

func (r *recordingSigner) chosen() uint16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.scheme
}

// TestPeek13GoServer peeks at Go's TLS 1.3 server: the chain decrypted is the server's, the
// CertificateVerify's scheme is the one Go signed with, and a server without X25519 among
// its curves is followed through its HelloRetryRequest.
func TestPeek13GoServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		kind   string
		curves []tls.CurveID
		alpn   []string
		hrr    bool
		group  uint16
		want   uint16 // the scheme, when known beforehand
	}{
		{name: "rsa-x25519", kind: "rsa", group: wire.GroupX25519, alpn: []string{"h2"}},
		{name: "ecdsa-x25519", kind: "ecdsa", group: wire.GroupX25519, want: 0x0403},
		{name: "rsa-hrr-p256", kind: "rsa", curves: []tls.CurveID{tls.CurveP256}, hrr: true, group: wire.GroupSecp256r1},
		{name: "ecdsa-hrr-p384", kind: "ecdsa", curves: []tls.CurveID{tls.CurveP384}, hrr: true, group: wire.GroupSecp384r1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, pair := testCert(t, tc.kind)
			signer := &recordingSigner{Signer: pair.PrivateKey.(crypto.Signer)}
			pair.PrivateKey = signer
			l := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13,
				CurvePreferences: tc.curves, NextProtos: []string{"h2", "http/1.1"}})
			s := testScanner(l.Addr().(*net.TCPAddr).Port)
			spec := s.spec13(candidates(wire.VersionTLS13), []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1}, 0)
			spec.ALPN = tc.alpn
			res, out := s.peek13(context.Background(), spec)
			if out.kind != outHello {
				t.Fatalf("peek: kind %d, err %v, alert %v", out.kind, out.err, out.alert)
			}
			if (res.HelloRetryRequest != nil) != tc.hrr {
				t.Errorf("HelloRetryRequest %v, want %v", res.HelloRetryRequest != nil, tc.hrr)
			}
			if res.Group != tc.group {
				t.Errorf("group %s, want %s", wire.GroupName(res.Group), wire.GroupName(tc.group))
			}
			chain := res.Chain()
			if len(chain) != 1 || !bytes.Equal(chain[0], pair.Certificate[0]) {
				t.Errorf("chain of %d certificates, not the server's", len(chain))
			}
			got := res.CertificateVerify.SignatureScheme
			if chosen := signer.chosen(); got != chosen {
				t.Errorf("CertificateVerify scheme %s, Go signed with %s", wire.SignatureSchemeName(got), wire.SignatureSchemeName(chosen))
			}
			if tc.want != 0 && got != tc.want {
				t.Errorf("CertificateVerify scheme %s, want %s", wire.SignatureSchemeName(got), wire.SignatureSchemeName(tc.want))
			}
			if res.EncryptedExtensions == nil {
				t.Fatal("no EncryptedExtensions")
			}
			if want := ""; len(tc.alpn) > 0 {
				want = tc.alpn[0]
				if res.EncryptedExtensions.ALPN != want {
					t.Errorf("ALPN %q, want %q", res.EncryptedExtensions.ALPN, want)
				}
			}
		})
	}
}

// TestPeek13OpenSSL peeks at openssl s_server: its certificate, with X25519 and through a
// HelloRetryRequest (-groups P-256, which X25519 is not among); with one signature algorithm
// offered, the CertificateVerify is signed with it; s_server asking for a client certificate
// (-verify) is seen.
func TestPeek13OpenSSL(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	for _, tc := range []struct {
		name    string
		kind    string
		args    []string
		sigalgs []uint16
		hrr     bool
		group   uint16
		want    uint16
		certReq bool
	}{
		{name: "rsa-x25519", kind: "rsa", group: wire.GroupX25519},
		{name: "rsa-pss-sha384", kind: "rsa", sigalgs: []uint16{0x0805}, group: wire.GroupX25519, want: 0x0805},
		{name: "ecdsa-hrr", kind: "ecdsa", args: []string{"-groups", "P-256"}, hrr: true, group: wire.GroupSecp256r1, want: 0x0403},
		{name: "rsa-hrr-certreq", kind: "rsa", args: []string{"-groups", "P-384:P-256", "-verify", "1"}, hrr: true, group: wire.GroupSecp384r1, certReq: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			certFile, _, _ := testCert(t, tc.kind)
			port := startOpenSSLWith(t, tc.kind, append([]string{"-tls1_3"}, tc.args...)...)
			s := testScanner(port)
			spec := s.spec13(candidates(wire.VersionTLS13), []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1}, 0)
			if tc.sigalgs != nil {
				spec.SignatureAlgorithms = tc.sigalgs
			}
			res, out := s.peek13(context.Background(), spec)
			if out.kind != outHello {
				t.Fatalf("peek: kind %d, err %v, alert %v", out.kind, out.err, out.alert)
			}
			if (res.HelloRetryRequest != nil) != tc.hrr {
				t.Errorf("HelloRetryRequest %v, want %v", res.HelloRetryRequest != nil, tc.hrr)
			}
			if res.Group != tc.group {
				t.Errorf("group %s, want %s", wire.GroupName(res.Group), wire.GroupName(tc.group))
			}
			pemBytes, err := os.ReadFile(certFile)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(pemBytes)
			if chain := res.Chain(); len(chain) == 0 || !bytes.Equal(chain[0], block.Bytes) {
				t.Errorf("leaf is not s_server's certificate (%d certificates)", len(chain))
			}
			if tc.want != 0 && res.CertificateVerify.SignatureScheme != tc.want {
				t.Errorf("CertificateVerify scheme %s, want %s", res.CertificateVerify.SignatureSchemeName, wire.SignatureSchemeName(tc.want))
			}
			if res.CertificateRequested != tc.certReq {
				t.Errorf("CertificateRequest %v, want %v", res.CertificateRequested, tc.certReq)
			}
		})
	}
}

// fakeServerHello13 is a TLS 1.3 ServerHello record (and the compatibility ChangeCipherSpec)
// answering hello with an X25519 share of the fake server's own, and the server handshake
// traffic secret that goes with it.
func fakeServerHello13(t testing.TB, hello []byte) (records, secret []byte) {
	t.Helper()
	ch, err := wire.ParseClientHello(hello[4:])
	if err != nil {
		t.Fatal(err)
	}
	var clientShare []byte
	for _, ks := range ch.KeyShares {
		if ks.Group == wire.GroupX25519 {
			clientShare = ks.PublicKey
		}
	}
	key, _ := ecdh.X25519().GenerateKey(rand.Reader)
	sh := fakeServerHelloMsg(ch.SessionID, key.PublicKey().Bytes())
	if clientShare == nil {
		return wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, sh), nil
	}
	peer, err := ecdh.X25519().NewPublicKey(clientShare)
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := key.ECDH(peer)
	th, _ := keyschedule.TranscriptHash(0x1301, hello, sh)
	_, secret, err = keyschedule.HandshakeTrafficSecrets(0x1301, shared, th)
	if err != nil {
		t.Fatal(err)
	}
	return append(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, sh), 20, 3, 3, 0, 1, 1), secret
}

// fakeServerHelloMsg is a TLS 1.3 ServerHello message for TLS_AES_128_GCM_SHA256 and X25519.
func fakeServerHelloMsg(sessionID, share []byte) []byte {
	body := []byte{3, 3}
	body = append(body, bytes.Repeat([]byte{7}, 32)...)
	body = append(body, byte(len(sessionID)))
	body = append(body, sessionID...)
	body = append(body, 0x13, 0x01, 0)
	ext := []byte{0, 43, 0, 2, 3, 4, 0, 51, 0, byte(4 + len(share)), 0, 29, 0, byte(len(share))}
	ext = append(ext, share...)
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	return append([]byte{wire.TypeServerHello, 0, byte(len(body) >> 8), byte(len(body))}, body...)
}

// sealRecord13 protects one TLS 1.3 record under secret (TLS_AES_128_GCM_SHA256), sequence
// number seq: what a server sends.
func sealRecord13(t testing.TB, secret []byte, seq uint64, typ uint8, content []byte) []byte {
	t.Helper()
	key, iv, err := keyschedule.TrafficKeys(0x1301, secret)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	inner := append(append([]byte{}, content...), typ)
	n := len(inner) + aead.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	nonce := append([]byte{}, iv...)
	for i := 0; i < 8; i++ {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	return aead.Seal(hdr, nonce, inner, hdr)
}

// TestPeek13BadPeers: a peer that answers the peek with a ServerHello and then garbage,
// records under another key, an encrypted alert, messages out of order, or an endless flight,
// leaves the peek inconclusive (never a panic, never outHello) with what was read kept.
func TestPeek13BadPeers(t *testing.T) {
	t.Parallel()
	ee := []byte{wire.TypeEncryptedExtensions, 0, 0, 2, 0, 0}
	for _, tc := range []struct {
		name  string
		after func(secret []byte) []byte
		ee    bool // EncryptedExtensions was read
	}{
		{name: "garbage", after: func([]byte) []byte {
			return []byte{23, 3, 3, 0, 40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40}
		}},
		{name: "other-key", after: func([]byte) []byte { return sealRecord13(t, bytes.Repeat([]byte{1}, 32), 0, 22, ee) }},
		{name: "encrypted-alert", after: func(s []byte) []byte { return sealRecord13(t, s, 0, 21, []byte{2, 40}) }},
		{name: "plaintext-handshake", after: func([]byte) []byte { return wire.WrapRecords(22, wire.VersionTLS12, ee) }},
		{name: "certificate-first", after: func(s []byte) []byte {
			return sealRecord13(t, s, 0, 22, []byte{wire.TypeCertificate, 0, 0, 4, 0, 0, 0, 0})
		}},
		{name: "ee-then-finished", ee: true, after: func(s []byte) []byte {
			return append(sealRecord13(t, s, 0, 22, ee), sealRecord13(t, s, 1, 22, append([]byte{wire.TypeFinished, 0, 0, 32}, make([]byte, 32)...))...)
		}},
		{name: "ee-then-endless-empty-records", ee: true, after: func(s []byte) []byte {
			b := sealRecord13(t, s, 0, 22, ee)
			for i := range uint64(peekMaxRecords + 2) {
				b = append(b, sealRecord13(t, s, i+1, 22, nil)...)
			}
			return b
		}},
		{name: "truncated-then-close", after: func(s []byte) []byte { return sealRecord13(t, s, 0, 22, ee)[:20] }},
		{name: "application-data-inside", after: func(s []byte) []byte { return sealRecord13(t, s, 0, 23, []byte("hello")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := badServer(t, func(c net.Conn) {
				defer c.Close()
				_, hello, err := peertest.ReadClientHello(c)
				if err != nil {
					return
				}
				recs, secret := fakeServerHello13(t, hello)
				_, _ = c.Write(append(recs, tc.after(secret)...))
			})
			s := testScanner(port)
			res, out := s.peek13(context.Background(), s.spec13(candidates(wire.VersionTLS13), []uint16{wire.GroupX25519}, 0))
			if out.kind != outInconclusive {
				t.Fatalf("kind %d (err %v), want inconclusive", out.kind, out.err)
			}
			if res.Hello == nil || out.hello == nil {
				t.Errorf("the ServerHello was not kept")
			}
			if (res.EncryptedExtensions != nil) != tc.ee {
				t.Errorf("EncryptedExtensions read: %v, want %v", res.EncryptedExtensions != nil, tc.ee)
			}
			if res.CertificateVerify != nil {
				t.Errorf("a CertificateVerify from a bad peer")
			}
			t.Logf("%v", out.err)
		})
	}
}

// FuzzReadEncryptedFlight feeds arbitrary bytes, as the records after a ServerHello, to the
// peek's decrypting reader under a fixed secret: it must never panic, and report outHello only
// with a CertificateVerify read.
func FuzzReadEncryptedFlight(f *testing.F) {
	secret := bytes.Repeat([]byte{9}, 32)
	ee := []byte{wire.TypeEncryptedExtensions, 0, 0, 2, 0, 0}
	cert := []byte{wire.TypeCertificate, 0, 0, 9, 0, 0, 0, 5, 0, 0, 1, 0x30, 0, 0}
	cv := []byte{wire.TypeCertificateVerify, 0, 0, 6, 8, 4, 0, 2, 1, 2}
	f.Add(sealRecord13(f, secret, 0, 22, append(append(append([]byte{}, ee...), cert...), cv...)))
	f.Add(append(sealRecord13(f, secret, 0, 22, ee), sealRecord13(f, secret, 1, 22, cert)...))
	f.Add(sealRecord13(f, secret, 0, 21, []byte{2, 40}))
	f.Add([]byte{20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := keyschedule.NewRecordDecrypter(0x1301, secret)
		if err != nil {
			t.Fatal(err)
		}
		client, server := net.Pipe()
		go func() {
			server.Write(data)
			server.Close()
		}()
		client.SetDeadline(time.Now().Add(time.Second))
		defer client.Close()
		pr := &plainReader{r: newFlightReader(client, peekMaxBytes)}
		res := &peek13Result{}
		out := readEncryptedFlight(pr, dec, res)
		if out.kind == outHello && res.CertificateVerify == nil {
			t.Fatalf("outHello without a CertificateVerify for %x", data)
		}
		if out.kind != outHello && out.err == nil {
			t.Fatalf("kind %d without an error for %x", out.kind, data)
		}
	})
}
