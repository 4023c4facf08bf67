package wire

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// These tests do what the scanner will: send a hand-built ClientHello to a real server and
// decode its answer, so the builder is checked against real peers, not just its own parser.

// probe sends hello (a handshake message) on conn and collects the server's plaintext
// handshake messages until stop returns true.
func probe(t *testing.T, conn net.Conn, hello []byte, stop func(Message) bool) []Message {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(WrapRecords(ContentHandshake, VersionTLS10, hello)); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	var a Assembler
	var out []Message
	tmp := make([]byte, 4096)
	for {
		n, err := conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		recs, rest, perr := ParseRecords(buf)
		if perr != nil {
			t.Fatalf("server answer: %v", perr)
		}
		for _, r := range recs {
			switch r.Type {
			case ContentAlert:
				al, _ := ParseAlert(r.Payload)
				t.Fatalf("server sent alert %v", al)
			case ContentHandshake:
				ms, err := a.Add(r.Payload)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					out = append(out, m)
					if stop(m) {
						return out
					}
				}
			}
		}
		buf = append([]byte(nil), rest...)
		if err != nil {
			t.Fatalf("reading server answer after %d messages: %v", len(out), err)
		}
	}
}

func goServer(t *testing.T, cfg *tls.Config) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tls.Server(c, cfg).Handshake() // fails when the probe hangs up; that is expected
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestProbeGoServerTLS13(t *testing.T) {
	k := testKeyPairs(t)
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hello, err := MarshalClientHello(ClientHelloSpec{
		SessionID:           bytes.Repeat([]byte{1}, 32),
		CipherSuites:        []uint16{0x1301, 0x1303},
		ServerName:          "example.test",
		SupportedVersions:   []uint16{VersionTLS13},
		Groups:              []uint16{GroupX25519},
		KeyShares:           []KeyShareSpec{{Group: GroupX25519, PublicKey: priv.PublicKey().Bytes()}},
		SignatureAlgorithms: []uint16{SigECDSAP256SHA256, SigRSAPSSRSAESHA256},
		ALPN:                []string{"h2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := goServer(t, &tls.Config{Certificates: []tls.Certificate{k.ecCert}})
	ms := probe(t, conn, hello, func(m Message) bool { return m.Type == TypeServerHello })
	sh, err := ParseServerHello(ms[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	if sh.Version() != VersionTLS13 || sh.KeyShare == nil || sh.KeyShare.Group != GroupX25519 ||
		(sh.CipherSuite != 0x1301 && sh.CipherSuite != 0x1303) || !bytes.Equal(sh.SessionID, bytes.Repeat([]byte{1}, 32)) {
		t.Errorf("ServerHello %+v", sh)
	}
	// The share is usable: X25519 with it must succeed.
	pub, err := ecdh.X25519().NewPublicKey(sh.KeyShare.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := priv.ECDH(pub); err != nil {
		t.Errorf("server share unusable: %v", err)
	}
}

func TestProbeGoServerTLS12(t *testing.T) {
	k := testKeyPairs(t)
	random := bytes.Repeat([]byte{0x5a}, 32)
	hello, err := MarshalClientHello(ClientHelloSpec{
		Random:              random,
		CipherSuites:        []uint16{0xc02f},
		ServerName:          "example.test",
		Groups:              []uint16{GroupX25519, GroupSecp256r1},
		SignatureAlgorithms: []uint16{SigRSAPSSRSAESHA256, SigRSAPKCS1SHA256},
		ECPointFormats:      true,
		ExtraExtensions:     []Extension{{Type: ExtRenegotiationInfo, Data: []byte{0}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn := goServer(t, &tls.Config{Certificates: []tls.Certificate{k.rsaCert}, MaxVersion: tls.VersionTLS12})
	ms := probe(t, conn, hello, func(m Message) bool { return m.Type == TypeServerHelloDone })
	d := Decoder{}
	var sh *ServerHello
	var ske *ServerKeyExchange
	for _, m := range ms {
		v, err := d.Decode(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		switch v := v.(type) {
		case *ServerHello:
			sh = v
		case *ServerKeyExchange:
			ske = v
		}
	}
	if sh == nil || ske == nil || sh.CipherSuite != 0xc02f || sh.Version() != VersionTLS12 || !sh.RenegotiationInfo {
		t.Fatalf("ServerHello %+v, ServerKeyExchange %+v", sh, ske)
	}
	signed := append(append(bytes.Clone(random), sh.Random...), ske.Params...)
	if err := verifySig(k.rsaCert.Leaf.PublicKey, ske.SignatureScheme, signed, ske.Signature); err != nil {
		t.Errorf("signature over our random: %v", err)
	}
}

// TestProbeOpenSSLDHE gets a real finite-field DHE ServerKeyExchange, which crypto/tls cannot
// produce, from openssl s_server.
func TestProbeOpenSSLDHE(t *testing.T) {
	k := testKeyPairs(t)
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(k.rsaCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: k.rsaCert.Leaf.Raw}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)

	// -naccept 1: the probe below is the one connection s_server takes.
	srv := peertest.OpenSSLServer(t, dir, certFile, keyFile, "-naccept", "1", "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
	conn, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	random := bytes.Repeat([]byte{0x77}, 32)
	hello, err := MarshalClientHello(ClientHelloSpec{
		Random:              random,
		CipherSuites:        []uint16{0x009e},
		SignatureAlgorithms: []uint16{SigRSAPSSRSAESHA256, SigRSAPKCS1SHA256},
		Groups:              []uint16{GroupFFDHE2048},
	})
	if err != nil {
		t.Fatal(err)
	}
	ms := probe(t, conn, hello, func(m Message) bool { return m.Type == TypeServerHelloDone })
	var d Decoder
	var sh *ServerHello
	var ske *ServerKeyExchange
	for _, m := range ms {
		v, err := d.Decode(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Name(), err)
		}
		switch v := v.(type) {
		case *ServerHello:
			sh = v
		case *ServerKeyExchange:
			ske = v
		}
	}
	if sh == nil || ske == nil {
		t.Fatalf("messages %v", names(ms))
	}
	if sh.CipherSuite != 0x009e || ske.KeyExchange != "DHE" || ske.DHPrimeBits < 2048 || ske.DHGenerator != "2" || !ske.Signed {
		t.Errorf("DHE ServerKeyExchange %+v", ske)
	}
	signed := append(append(bytes.Clone(random), sh.Random...), ske.Params...)
	if err := verifySig(k.rsaCert.Leaf.PublicKey, ske.SignatureScheme, signed, ske.Signature); err != nil {
		t.Errorf("DHE signature (%s): %v", ske.SignatureSchemeName, err)
	}
	t.Logf("openssl DHE: %d-bit prime, g=%s, %s signature", ske.DHPrimeBits, ske.DHGenerator, ske.SignatureSchemeName)
}
