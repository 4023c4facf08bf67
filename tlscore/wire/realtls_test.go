package wire

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// These tests run real crypto/tls handshakes over loopback, record the bytes each side sent,
// and check that ParseRecords, the Assembler and the decoders see exactly what crypto/tls
// says happened. Loopback rather than net.Pipe because a TLS 1.3 server writes its tickets
// after the client has stopped reading, which deadlocks an unbuffered pipe.

type testKeys struct {
	rsaCert, ecCert, clientCert tls.Certificate
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func selfSigned(t testing.TB, key crypto.Signer, cn string) tls.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     []string{"example.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func testKeyPairs(t testing.TB) testKeys {
	keysOnce.Do(func() {
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ck, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		keys.rsaCert = selfSigned(t, rk, "rsa.example.test")
		// A stapled OCSP response and SCT are opaque to crypto/tls, so any bytes exercise
		// CertificateStatus and the signed_certificate_timestamp extension.
		keys.rsaCert.OCSPStaple = []byte("not really an OCSP response")
		keys.rsaCert.SignedCertificateTimestamps = [][]byte{[]byte("sct-one"), []byte("sct-two")}
		keys.ecCert = selfSigned(t, ek, "ecdsa.example.test")
		keys.clientCert = selfSigned(t, ck, "client.example.test")
	})
	return keys
}

// recordingConn keeps a copy of everything read and written.
type recordingConn struct {
	net.Conn
	mu        sync.Mutex
	read, out bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.out.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

type capture struct {
	name         string
	client       []byte // client -> server
	server       []byte // server -> client
	state        tls.ConnectionState
	hello        *tls.ClientHelloInfo // the first ClientHello as crypto/tls parsed it
	clientLeaf   *x509.Certificate
	serverLeaf   *x509.Certificate
	wantVersion  uint16
	wantSuite    uint16
	clientAuth   bool
	expectHRR    bool
	expectStatus bool
}

func runHandshake(t testing.TB, name string, scfg, ccfg *tls.Config) *capture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := &capture{name: name}
	scfg = scfg.Clone()
	var helloOnce sync.Once
	scfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		helloOnce.Do(func() { c.hello = h })
		return nil, nil
	}
	srvErr := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			srvErr <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		s := tls.Server(conn, scfg)
		if err := s.Handshake(); err != nil {
			srvErr <- fmt.Errorf("server handshake: %w", err)
			return
		}
		if _, err := s.Write([]byte("hello from server")); err != nil {
			srvErr <- err
			return
		}
		srvErr <- s.Close()
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &recordingConn{Conn: raw}
	cl := tls.Client(rc, ccfg)
	if err := cl.Handshake(); err != nil {
		t.Fatalf("%s: client handshake: %v (server: %v)", name, err, <-srvErr)
	}
	if _, err := io.ReadAll(cl); err != nil {
		t.Fatalf("%s: reading: %v", name, err)
	}
	c.state = cl.ConnectionState()
	cl.Close()
	if err := <-srvErr; err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	rc.mu.Lock()
	c.client, c.server = bytes.Clone(rc.out.Bytes()), bytes.Clone(rc.read.Bytes())
	rc.mu.Unlock()
	return c
}

var (
	capturesOnce sync.Once
	captures     []*capture
)

// realCaptures runs each handshake once per test binary; tests and fuzz seeds share them.
func realCaptures(t testing.TB) []*capture {
	capturesOnce.Do(func() {
		k := testKeyPairs(t)
		client := func(min, max uint16, suites ...uint16) *tls.Config {
			return &tls.Config{InsecureSkipVerify: true, ServerName: "example.test", MinVersion: min, MaxVersion: max,
				CipherSuites: suites, NextProtos: []string{"h2", "http/1.1"},
				// crypto/tls only offers session tickets with a cache, and the TLS 1.2
				// NewSessionTicket is the one plaintext ticket worth testing.
				ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		}
		server := func(cert tls.Certificate, min, max uint16, suites ...uint16) *tls.Config {
			return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: min, MaxVersion: max,
				CipherSuites: suites, NextProtos: []string{"http/1.1"}}
		}

		c := runHandshake(t, "TLS 1.2 ECDHE-RSA", server(k.rsaCert, tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
			client(tls.VersionTLS12, tls.VersionTLS12))
		c.wantVersion, c.wantSuite, c.expectStatus, c.serverLeaf = tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true, k.rsaCert.Leaf
		captures = append(captures, c)

		scfg := server(k.ecCert, tls.VersionTLS12, tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
		scfg.ClientAuth = tls.RequireAnyClientCert
		ccfg := client(tls.VersionTLS12, tls.VersionTLS12)
		ccfg.Certificates = []tls.Certificate{k.clientCert}
		c = runHandshake(t, "TLS 1.2 ECDHE-ECDSA client auth", scfg, ccfg)
		c.wantVersion, c.wantSuite, c.clientAuth, c.serverLeaf, c.clientLeaf = tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, true, k.ecCert.Leaf, k.clientCert.Leaf
		captures = append(captures, c)

		c = runHandshake(t, "TLS 1.2 RSA key exchange", server(k.rsaCert, tls.VersionTLS12, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA),
			client(tls.VersionTLS12, tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA))
		c.wantVersion, c.wantSuite, c.expectStatus, c.serverLeaf = tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA, true, k.rsaCert.Leaf
		captures = append(captures, c)

		c = runHandshake(t, "TLS 1.0 ECDHE-RSA", server(k.rsaCert, tls.VersionTLS10, tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
			client(tls.VersionTLS10, tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA))
		c.wantVersion, c.wantSuite, c.expectStatus, c.serverLeaf = tls.VersionTLS10, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true, k.rsaCert.Leaf
		captures = append(captures, c)

		c = runHandshake(t, "TLS 1.3", server(k.ecCert, 0, 0), client(0, 0))
		c.wantVersion, c.wantSuite = tls.VersionTLS13, 0
		captures = append(captures, c)

		// A server that only accepts P-384 forces a HelloRetryRequest, since crypto/tls
		// clients send X25519MLKEM768 and X25519 shares first.
		scfg = server(k.ecCert, tls.VersionTLS13, 0)
		scfg.CurvePreferences = []tls.CurveID{tls.CurveP384}
		c = runHandshake(t, "TLS 1.3 HelloRetryRequest", scfg, client(tls.VersionTLS13, 0))
		c.wantVersion, c.expectHRR = tls.VersionTLS13, true
		captures = append(captures, c)
	})
	if len(captures) == 0 {
		t.Fatal("handshake captures failed earlier")
	}
	return captures
}

// flight is one direction of a recorded connection, split the way tlskit's handshake
// command will split it.
type flight struct {
	records   []Record
	messages  []Message
	ccs       int // ChangeCipherSpec records
	encrypted int // records that cannot be read without keys
	alerts    []*Alert
}

// splitFlight parses a direction. Before TLS 1.3 everything after ChangeCipherSpec is
// encrypted whatever its record type; in TLS 1.3 handshake records stay plaintext (the
// second ClientHello after a HelloRetryRequest follows the client's compatibility CCS) and
// everything encrypted travels as application_data.
func splitFlight(t *testing.T, stream []byte, tls13 bool) flight {
	t.Helper()
	recs, rest, err := ParseRecords(stream)
	if err != nil || len(rest) != 0 {
		t.Fatalf("ParseRecords: %v (%d bytes left)", err, len(rest))
	}
	f := flight{records: recs}
	var a Assembler
	afterCCS := false
	for _, r := range recs {
		switch {
		case r.Type == ContentChangeCipherSpec:
			if !bytes.Equal(r.Payload, []byte{1}) {
				t.Errorf("ChangeCipherSpec payload %x", r.Payload)
			}
			f.ccs++
			afterCCS = true
		case r.Type == ContentHandshake && (tls13 || !afterCCS):
			ms, err := a.Add(r.Payload)
			if err != nil {
				t.Fatalf("Assembler: %v", err)
			}
			f.messages = append(f.messages, ms...)
		case r.Type == ContentAlert && !afterCCS:
			al, err := ParseAlert(r.Payload)
			if err != nil {
				t.Fatal(err)
			}
			f.alerts = append(f.alerts, al)
		default:
			f.encrypted++
		}
	}
	if a.Pending() != 0 {
		t.Errorf("%d bytes of an unfinished message", a.Pending())
	}
	return f
}

func names(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name())
	}
	return out
}

func TestRealHandshakes(t *testing.T) {
	for _, c := range realCaptures(t) {
		t.Run(c.name, func(t *testing.T) {
			if c.state.Version != c.wantVersion {
				t.Fatalf("crypto/tls negotiated %s, test expects %s", VersionName(c.state.Version), VersionName(c.wantVersion))
			}
			tls13 := c.wantVersion == tls.VersionTLS13
			cli, srv := splitFlight(t, c.client, tls13), splitFlight(t, c.server, tls13)

			var wantCli, wantSrv []string
			switch {
			case tls13 && c.expectHRR:
				wantCli = []string{"ClientHello", "ClientHello"}
				wantSrv = []string{"HelloRetryRequest", "ServerHello"}
			case tls13:
				wantCli = []string{"ClientHello"}
				wantSrv = []string{"ServerHello"}
			default:
				wantSrv = []string{"ServerHello", "Certificate"}
				if c.expectStatus {
					wantSrv = append(wantSrv, "CertificateStatus")
				}
				if c.wantSuite != tls.TLS_RSA_WITH_AES_128_CBC_SHA {
					wantSrv = append(wantSrv, "ServerKeyExchange")
				}
				if c.clientAuth {
					wantSrv = append(wantSrv, "CertificateRequest")
				}
				wantSrv = append(wantSrv, "ServerHelloDone", "NewSessionTicket")
				wantCli = []string{"ClientHello"}
				if c.clientAuth {
					wantCli = append(wantCli, "Certificate", "ClientKeyExchange", "CertificateVerify")
				} else {
					wantCli = append(wantCli, "ClientKeyExchange")
				}
			}
			if got := names(cli.messages); !slices.Equal(got, wantCli) {
				t.Errorf("client messages %v, want %v", got, wantCli)
			}
			if got := names(srv.messages); !slices.Equal(got, wantSrv) {
				t.Errorf("server messages %v, want %v", got, wantSrv)
			}
			if cli.ccs != 1 || srv.ccs != 1 {
				t.Errorf("ChangeCipherSpec records: client %d, server %d, want 1 each", cli.ccs, srv.ccs)
			}
			if cli.encrypted == 0 || srv.encrypted == 0 || len(cli.alerts)+len(srv.alerts) != 0 {
				t.Errorf("encrypted records client %d server %d; plaintext alerts %v %v", cli.encrypted, srv.encrypted, cli.alerts, srv.alerts)
			}
			checkDecoded(t, c, cli, srv)
		})
	}
}

// checkDecoded decodes every plaintext message and compares it with what crypto/tls reports,
// then verifies the signatures, which proves the decoders pick out exactly the signed bytes.
func checkDecoded(t *testing.T, c *capture, cli, srv flight) {
	var d Decoder
	decoded := map[string][]any{}
	// Decode in wire order: first ClientHello, the server's flight, then the rest of the
	// client's, which is the order the Decoder learns the version and suite in.
	order := append(append([]Message{cli.messages[0]}, srv.messages...), cli.messages[1:]...)
	if c.expectHRR {
		order = []Message{cli.messages[0], srv.messages[0], cli.messages[1], srv.messages[1]}
	}
	for _, m := range order {
		v, err := d.Decode(m)
		if err != nil {
			t.Fatalf("decoding %s: %v", m.Name(), err)
		}
		decoded[m.Name()] = append(decoded[m.Name()], v)
	}

	ch := decoded["ClientHello"][0].(*ClientHello)
	h := c.hello
	if !slices.Equal(ch.CipherSuites, h.CipherSuites) || ch.ServerName != h.ServerName ||
		!slices.Equal(ch.SupportedVersions, h.SupportedVersions) || !slices.Equal(ch.ALPN, h.SupportedProtos) ||
		!slices.Equal([]uint8(ch.ECPointFormats), h.SupportedPoints) {
		t.Errorf("ClientHello disagrees with crypto/tls:\nours %+v\ntheirs %+v", ch, h)
	}
	for i, g := range h.SupportedCurves {
		if i >= len(ch.SupportedGroups) || ch.SupportedGroups[i] != uint16(g) {
			t.Errorf("supported_groups %v, crypto/tls %v", ch.SupportedGroups, h.SupportedCurves)
			break
		}
	}
	for i, s := range h.SignatureSchemes {
		if i >= len(ch.SignatureAlgorithms) || ch.SignatureAlgorithms[i] != uint16(s) {
			t.Errorf("signature_algorithms %v, crypto/tls %v", ch.SignatureAlgorithms, h.SignatureSchemes)
			break
		}
	}
	var extTypes []uint16
	for _, e := range ch.Extensions {
		extTypes = append(extTypes, e.Type)
	}
	if !slices.Equal(extTypes, h.Extensions) {
		t.Errorf("extensions %v, crypto/tls %v", extTypes, h.Extensions)
	}
	if !ch.StatusRequest || !ch.ExtendedMasterSecret || !ch.RenegotiationInfo || ch.SessionIDLength != 32 {
		t.Errorf("ClientHello flags: %+v", ch)
	}

	shs := decoded["ServerHello"]
	sh := shs[len(shs)-1].(*ServerHello)
	if sh.Version() != c.state.Version || sh.CipherSuite != c.state.CipherSuite {
		t.Errorf("ServerHello says %s %s, crypto/tls %s %s", VersionName(sh.Version()), sh.CipherSuiteName,
			VersionName(c.state.Version), CipherSuiteName(c.state.CipherSuite))
	}
	if d.Version != c.state.Version || d.CipherSuite != c.state.CipherSuite {
		t.Errorf("decoder state %+v", d)
	}

	if c.state.Version == tls.VersionTLS13 {
		hasMLKEM := slices.ContainsFunc(ch.KeyShares, func(k KeyShare) bool { return k.Group == GroupX25519MLKEM768 && k.Length == 1216 })
		if !hasMLKEM || !slices.Contains(ch.SupportedVersions, VersionTLS13) || !slices.Equal(ch.PSKKeyExchangeModes, Uint8List{1}) {
			t.Errorf("TLS 1.3 ClientHello: shares %+v versions %v", ch.KeyShares, ch.SupportedVersions)
		}
		if sh.KeyShare == nil || sh.KeyShare.Group != uint16(c.state.CurveID) {
			t.Errorf("ServerHello key share %+v, crypto/tls used %v", sh.KeyShare, c.state.CurveID)
		}
		if c.expectHRR {
			hrr := decoded["HelloRetryRequest"][0].(*ServerHello)
			ch2 := decoded["ClientHello"][1].(*ClientHello)
			if !hrr.IsHelloRetryRequest || hrr.SelectedGroup != GroupSecp384r1 || hrr.SelectedVersion != VersionTLS13 ||
				len(ch2.KeyShares) != 1 || ch2.KeyShares[0].Group != GroupSecp384r1 || ch2.KeyShares[0].Length != 97 {
				t.Errorf("HRR %+v, second hello shares %+v", hrr, ch2.KeyShares)
			}
		} else if sh.KeyShare.Group == GroupX25519MLKEM768 && sh.KeyShare.Length != 1120 {
			t.Errorf("X25519MLKEM768 server share is %d bytes, want 1120", sh.KeyShare.Length)
		}
		return
	}

	// TLS 1.0-1.2: certificates, key exchange, signatures.
	if sh.ALPN != c.state.NegotiatedProtocol || !sh.ExtendedMasterSecret || !sh.RenegotiationInfo {
		t.Errorf("ServerHello extensions: %+v (negotiated %q)", sh, c.state.NegotiatedProtocol)
	}
	certs := decoded["Certificate"]
	srvCert := certs[0].(*Certificate)
	if len(srvCert.Entries) != 1 || !bytes.Equal(srvCert.Entries[0].DER, c.serverLeaf.Raw) {
		t.Errorf("server Certificate %+v", srvCert)
	}
	if c.expectStatus {
		st := decoded["CertificateStatus"][0].(*CertificateStatus)
		if string(st.OCSPResponse) != "not really an OCSP response" || st.StatusType != 1 {
			t.Errorf("CertificateStatus %+v", st)
		}
		if sh.SCTListLength == 0 || !sh.StatusRequest {
			t.Errorf("ServerHello lacks SCT/status_request: %+v", sh)
		}
	}
	cs, _ := CipherSuiteByID(c.state.CipherSuite)
	cke := decoded["ClientKeyExchange"][0].(*ClientKeyExchange)
	if cs.KeyExchange == "RSA" {
		if cke.PublicKeyLength != 256 {
			t.Errorf("RSA ClientKeyExchange %+v", cke)
		}
		if decoded["ServerKeyExchange"] != nil {
			t.Errorf("RSA key exchange with a ServerKeyExchange")
		}
	} else {
		ske := decoded["ServerKeyExchange"][0].(*ServerKeyExchange)
		if ske.Group != uint16(c.state.CurveID) || ske.CurveType != 3 || !ske.Signed || (ske.Group == GroupX25519 && ske.PublicKeyLength != 32) {
			t.Errorf("ServerKeyExchange %+v, crypto/tls used %v", ske, c.state.CurveID)
		}
		if (c.state.Version == tls.VersionTLS12) != (ske.SignatureScheme != 0) {
			t.Errorf("signature scheme %#x at %s", ske.SignatureScheme, VersionName(c.state.Version))
		}
		signed := append(append(bytes.Clone(ch.Random), sh.Random...), ske.Params...)
		if err := verifySig(c.serverLeaf.PublicKey, ske.SignatureScheme, signed, ske.Signature); err != nil {
			t.Errorf("ServerKeyExchange signature does not verify over the decoded params: %v", err)
		}
		if cke.PublicKeyLength != ske.PublicKeyLength {
			t.Errorf("client share %d bytes, server share %d", cke.PublicKeyLength, ske.PublicKeyLength)
		}
	}
	nst := decoded["NewSessionTicket"][0].(*NewSessionTicket)
	// crypto/tls leaves the TLS 1.2 lifetime hint at 0 ("unspecified"), so only the ticket
	// can be checked.
	if nst.TicketLength == 0 || len(nst.Ticket) != nst.TicketLength {
		t.Errorf("NewSessionTicket with %d-byte ticket", nst.TicketLength)
	}
	if !c.clientAuth {
		return
	}
	cr := decoded["CertificateRequest"][0].(*CertificateRequest)
	if cr.Form != "tls12" || len(cr.SignatureAlgorithms) == 0 || len(cr.CertificateTypes) == 0 {
		t.Errorf("CertificateRequest %+v", cr)
	}
	cliCert := certs[1].(*Certificate)
	if len(cliCert.Entries) != 1 || !bytes.Equal(cliCert.Entries[0].DER, c.clientLeaf.Raw) {
		t.Errorf("client Certificate %+v", cliCert)
	}
	// CertificateVerify signs the transcript: every handshake message before it, both
	// directions interleaved in the order they were sent.
	cv := decoded["CertificateVerify"][0].(*CertificateVerify)
	var transcript []byte
	for _, m := range append(append([]Message{cli.messages[0]}, srv.messages[:len(srv.messages)-1]...), cli.messages[1:3]...) {
		transcript = append(transcript, m.Raw...)
	}
	if err := verifySig(c.clientLeaf.PublicKey, cv.SignatureScheme, transcript, cv.Signature); err != nil {
		t.Errorf("CertificateVerify (%s) does not verify over the reassembled transcript: %v", cv.SignatureSchemeName, err)
	}
}

// verifySig checks a TLS 1.0-1.2 handshake signature. Scheme 0 means the pre-1.2 defaults:
// MD5+SHA1 for RSA and SHA-1 for ECDSA.
func verifySig(pub crypto.PublicKey, scheme uint16, msg, sig []byte) error {
	var h hash.Hash
	var ch crypto.Hash
	switch scheme {
	case 0:
		if _, ok := pub.(*rsa.PublicKey); ok {
			m, s := md5.Sum(msg), sha1.Sum(msg)
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.MD5SHA1, append(m[:], s[:]...), sig)
		}
		h, ch = sha1.New(), crypto.SHA1
	case SigRSAPKCS1SHA256, SigECDSAP256SHA256, SigRSAPSSRSAESHA256:
		h, ch = sha256.New(), crypto.SHA256
	case SigRSAPKCS1SHA384, SigECDSAP384SHA384, SigRSAPSSRSAESHA384:
		h, ch = sha512.New384(), crypto.SHA384
	case SigRSAPKCS1SHA512, SigECDSAP521SHA512, SigRSAPSSRSAESHA512:
		h, ch = sha512.New(), crypto.SHA512
	case SigRSAPKCS1SHA1, SigECDSASHA1:
		h, ch = sha1.New(), crypto.SHA1
	default:
		return fmt.Errorf("test cannot verify %s", SignatureSchemeName(scheme))
	}
	h.Write(msg)
	digest := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if scheme>>8 == 0x08 {
			return rsa.VerifyPSS(k, ch, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.VerifyPKCS1v15(k, ch, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return fmt.Errorf("ECDSA signature invalid")
		}
		return nil
	}
	return fmt.Errorf("unexpected key %T", pub)
}
