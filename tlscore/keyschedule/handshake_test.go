package keyschedule_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// Handshake message types, RFC 8446 §4.
const (
	hsNewSessionTicket    = 4
	hsEncryptedExtensions = 8
	hsCertificate         = 11
	hsCertificateRequest  = 13
	hsCertificateVerify   = 15
	hsFinished            = 20
)

// Record content types, RFC 8446 §5.1.
const (
	ctChangeCipherSpec = 20
	ctAlert            = 21
	ctHandshake        = 22
	ctApplicationData  = 23
)

// testTimeout bounds every network step, so a broken test fails instead of hanging.
const testTimeout = 10 * time.Second

// newCert makes a self-signed ECDSA P-256 certificate for localhost and 127.0.0.1, usable by
// either end of a connection.
func newCert(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv, Leaf: leaf}
}

// direction is what one side sent, decrypted and sorted by key phase.
type direction struct {
	handshake    []uint8 // handshake messages under the handshake traffic secret
	appHandshake []uint8 // handshake messages under the application traffic secret
	appData      []byte
	alerts       [][]byte
}

// decryptDirection splits one side's recorded bytes into records and decrypts the protected
// ones: under the handshake secret until that side's Finished, then under the application
// secret, as RFC 8446 §4.4.4 and §7.2 say the sender switches. At the switch it also checks
// the property callers rely on for trial decryption: the handshake decrypter refuses the first
// application record with ErrDecryptFailed and keeps its sequence number.
func decryptDirection(t *testing.T, stream []byte, suite uint16, hsSecret, appSecret []byte) direction {
	t.Helper()
	records, err := splitRecords(stream)
	if err != nil {
		t.Fatalf("splitting the stream: %v", err)
	}
	hsDec, err := keyschedule.NewRecordDecrypter(suite, hsSecret)
	if err != nil {
		t.Fatal(err)
	}
	appDec, err := keyschedule.NewRecordDecrypter(suite, appSecret)
	if err != nil {
		t.Fatal(err)
	}
	var d direction
	var hsBytes, appHSBytes []byte
	finished := false
	for i, r := range records {
		switch {
		case r.typ == ctHandshake && hsDec.Seq() == 0 && !finished:
			continue // ClientHello, HelloRetryRequest, ServerHello: sent in the clear
		case r.typ == ctChangeCipherSpec:
			continue // the middlebox-compatibility record, RFC 8446 §D.4
		case r.typ != ctApplicationData:
			t.Fatalf("record %d: unexpected cleartext record of type %d", i, r.typ)
		}
		dec := hsDec
		if finished {
			dec = appDec
			if appDec.Seq() == 0 {
				seq := hsDec.Seq()
				if _, _, err := hsDec.Decrypt(r.raw); !errors.Is(err, keyschedule.ErrDecryptFailed) || hsDec.Seq() != seq {
					t.Errorf("record %d: handshake secret on an application record: err %v, seq %d -> %d", i, err, seq, hsDec.Seq())
				}
			}
		}
		typ, pt, err := dec.Decrypt(r.raw)
		if err != nil {
			t.Fatalf("record %d (%d bytes, finished=%v): %v", i, len(r.raw), finished, err)
		}
		switch typ {
		case ctHandshake:
			if !finished {
				hsBytes = append(hsBytes, pt...)
				types, err := handshakeTypes(hsBytes)
				// A message may continue in the next record; only a complete Finished
				// ends the handshake phase.
				if err == nil && len(types) > 0 && types[len(types)-1] == hsFinished {
					finished = true
					d.handshake = types
				}
			} else {
				appHSBytes = append(appHSBytes, pt...)
			}
		case ctApplicationData:
			d.appData = append(d.appData, pt...)
		case ctAlert:
			d.alerts = append(d.alerts, pt)
		default:
			t.Fatalf("record %d: inner content type %d", i, typ)
		}
	}
	if !finished {
		types, _ := handshakeTypes(hsBytes)
		t.Fatalf("no Finished under the handshake secret; saw %v", types)
	}
	if d.appHandshake, err = handshakeTypes(appHSBytes); err != nil {
		t.Fatalf("post-handshake messages: %v", err)
	}
	return d
}

// checkCapture parses the key log crypto/tls wrote, finds this connection's secrets by the
// client random of the recorded ClientHello, and decrypts both directions.
func checkCapture(t *testing.T, keyLog, fromServer, fromClient []byte, suite uint16) (server, client direction) {
	t.Helper()
	logs, err := keyschedule.ParseKeyLog(keyLog)
	if err != nil {
		t.Fatalf("ParseKeyLog: %v\n%s", err, keyLog)
	}
	// ClientHello record: 5-byte record header, 4-byte handshake header, 2-byte version, random.
	if len(fromClient) < 43 || fromClient[0] != ctHandshake || fromClient[5] != 1 {
		t.Fatalf("client stream does not start with a ClientHello")
	}
	random := hex.EncodeToString(fromClient[11:43])
	if len(logs) != 1 || logs[random] == nil {
		t.Fatalf("key log has %v, want exactly the ClientHello random %s", mapKeys(logs), random)
	}
	kl := logs[random]
	if kl.MasterSecret != nil {
		t.Errorf("TLS 1.3 connection logged a TLS 1.2 master secret")
	}
	server = decryptDirection(t, fromServer, suite, kl.ServerHandshakeTrafficSecret, kl.ServerTrafficSecret0)
	client = decryptDirection(t, fromClient, suite, kl.ClientHandshakeTrafficSecret, kl.ClientTrafficSecret0)
	return server, client
}

func wantTypes(t *testing.T, what string, got, want []uint8) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: handshake messages %v, want %v", what, got, want)
	}
}

// TestGoHandshake runs crypto/tls on both ends over loopback TCP, records the client's wire and
// key log as tlskit's handshake command does, and decrypts everything.
func TestGoHandshake(t *testing.T) {
	serverCert := newCert(t, "server")
	clientCert := newCert(t, "client")
	tests := []struct {
		name       string
		clientAuth bool
		hrr        bool // force a HelloRetryRequest
	}{
		{"server auth", false, false},
		{"mutual auth", true, false},
		{"HelloRetryRequest", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serverCfg := &tls.Config{
				MinVersion:   tls.VersionTLS13,
				Certificates: []tls.Certificate{serverCert},
			}
			clientCfg := &tls.Config{
				MinVersion: tls.VersionTLS13,
				ServerName: "localhost",
				RootCAs:    x509.NewCertPool(),
			}
			clientCfg.RootCAs.AddCert(serverCert.Leaf)
			if tt.clientAuth {
				serverCfg.ClientAuth = tls.RequireAndVerifyClientCert
				serverCfg.ClientCAs = x509.NewCertPool()
				serverCfg.ClientCAs.AddCert(clientCert.Leaf)
				clientCfg.Certificates = []tls.Certificate{clientCert}
			}
			if tt.hrr {
				// The client's only key share is X25519; a server that only takes P-256 has
				// to ask again.
				clientCfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
				serverCfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
			}
			var keyLog lockedBuffer
			clientCfg.KeyLogWriter = &keyLog
			// Without a session cache the client sends no psk_key_exchange_modes, and
			// crypto/tls servers then send no NewSessionTicket.
			clientCfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)

			rec, suite := runGoPair(t, serverCfg, clientCfg)
			fromServer, fromClient := rec.streams()
			server, client := checkCapture(t, keyLog.Bytes(), fromServer, fromClient, suite)

			wantServer := []uint8{hsEncryptedExtensions, hsCertificate, hsCertificateVerify, hsFinished}
			wantClient := []uint8{hsFinished}
			if tt.clientAuth {
				wantServer = []uint8{hsEncryptedExtensions, hsCertificateRequest, hsCertificate, hsCertificateVerify, hsFinished}
				wantClient = []uint8{hsCertificate, hsCertificateVerify, hsFinished}
			}
			wantTypes(t, "server flight", server.handshake, wantServer)
			wantTypes(t, "client flight", client.handshake, wantClient)
			if !slices.Contains(server.appHandshake, hsNewSessionTicket) {
				t.Errorf("no NewSessionTicket after the server's Finished; got %v", server.appHandshake)
			}
			if len(client.appHandshake) != 0 {
				t.Errorf("client sent post-handshake messages %v", client.appHandshake)
			}
			if string(client.appData) != "ping" || string(server.appData) != "pong" {
				t.Errorf("application data: client %q, server %q; want ping, pong", client.appData, server.appData)
			}
			closeNotify := [][]byte{{1, 0}}
			if !slices.EqualFunc(client.alerts, closeNotify, bytes.Equal) || !slices.EqualFunc(server.alerts, closeNotify, bytes.Equal) {
				t.Errorf("alerts: client %x, server %x; want one close_notify (0100) each", client.alerts, server.alerts)
			}
		})
	}
}

// runGoPair connects a crypto/tls client to a crypto/tls server on 127.0.0.1, exchanges
// "ping" and "pong", and closes both ways with close_notify. It returns the client's recording
// and the negotiated suite.
func runGoPair(t *testing.T, serverCfg, clientCfg *tls.Config) (*recordingConn, uint16) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	serverErr := make(chan error, 1)
	go func() {
		serverErr <- func() error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(testTimeout))
			s := tls.Server(c, serverCfg)
			buf := make([]byte, 4)
			if _, err := io.ReadFull(s, buf); err != nil {
				return fmt.Errorf("server read: %w", err)
			}
			if string(buf) != "ping" {
				return fmt.Errorf("server read %q", buf)
			}
			if _, err := s.Write([]byte("pong")); err != nil {
				return fmt.Errorf("server write: %w", err)
			}
			// Wait for the client's close_notify, then answer with ours.
			if n, err := s.Read(buf); err != io.EOF {
				return fmt.Errorf("server waiting for close_notify: %d bytes, %v", n, err)
			}
			return s.Close()
		}()
	}()

	raw, err := net.DialTimeout("tcp", ln.Addr().String(), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(testTimeout))
	rec := &recordingConn{Conn: raw}
	c := tls.Client(rec, clientCfg)
	if err := c.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("negotiated version %#x", v)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	// Reading also processes the NewSessionTicket, which arrives before "pong".
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q, %v", buf, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf); err != io.EOF {
		t.Fatalf("client waiting for close_notify: %d bytes, %v", n, err)
	}
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
	suite := c.ConnectionState().CipherSuite
	t.Logf("crypto/tls chose %s", tls.CipherSuiteName(suite))
	return rec, suite
}

// TestOpenSSLHandshake talks to the real OpenSSL s_server with each TLS 1.3 suite crypto/tls
// supports, so the decryption is checked against an implementation other than Go's.
func TestOpenSSLHandshake(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, newCert(t, "localhost"), certFile, keyFile)
	clientCert := newCert(t, "client")

	tests := []struct {
		name       string
		suite      uint16
		clientAuth bool
	}{
		{"TLS_CHACHA20_POLY1305_SHA256", tls.TLS_CHACHA20_POLY1305_SHA256, false},
		{"TLS_AES_256_GCM_SHA384", tls.TLS_AES_256_GCM_SHA384, false},
		{"TLS_AES_128_GCM_SHA256", tls.TLS_AES_128_GCM_SHA256, false},
		{"TLS_AES_256_GCM_SHA384 with client certificate", tls.TLS_AES_256_GCM_SHA384, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-tls1_3", "-ciphersuites", tls.CipherSuiteName(tt.suite), "-naccept", "1"}
			if tt.clientAuth {
				// Asks for a certificate; the self-signed one fails verification, which
				// s_server reports but tolerates without -verify_return_error.
				args = append(args, "-verify", "1")
			}
			addr := peertest.OpenSSLServer(t, dir, certFile, keyFile, args...).Addr()

			var keyLog lockedBuffer
			cfg := &tls.Config{
				MinVersion:         tls.VersionTLS13,
				InsecureSkipVerify: true, // OpenSSL's certificate is a throwaway; trust isn't tested here
				KeyLogWriter:       &keyLog,
			}
			if tt.clientAuth {
				cfg.Certificates = []tls.Certificate{clientCert}
			}
			raw, err := net.DialTimeout("tcp", addr, testTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(testTimeout))
			rec := &recordingConn{Conn: raw}
			c := tls.Client(rec, cfg)
			if err := c.Handshake(); err != nil {
				t.Fatalf("handshake: %v", err)
			}
			if got := c.ConnectionState().CipherSuite; got != tt.suite {
				t.Fatalf("negotiated %s, want %s", tls.CipherSuiteName(got), tls.CipherSuiteName(tt.suite))
			}
			if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			// -www answers and closes; how it closes (close_notify or not) is OpenSSL's
			// business, so any end of the stream will do.
			resp, _ := io.ReadAll(c)
			if !bytes.HasPrefix(resp, []byte("HTTP/1.0 200 ok")) {
				t.Fatalf("s_server answered %q", trunc(resp))
			}

			fromServer, fromClient := rec.streams()
			server, client := checkCapture(t, keyLog.Bytes(), fromServer, fromClient, tt.suite)
			wantServer := []uint8{hsEncryptedExtensions, hsCertificate, hsCertificateVerify, hsFinished}
			wantClient := []uint8{hsFinished}
			if tt.clientAuth {
				wantServer = []uint8{hsEncryptedExtensions, hsCertificateRequest, hsCertificate, hsCertificateVerify, hsFinished}
				wantClient = []uint8{hsCertificate, hsCertificateVerify, hsFinished}
			}
			wantTypes(t, "server flight", server.handshake, wantServer)
			wantTypes(t, "client flight", client.handshake, wantClient)
			if !slices.Contains(server.appHandshake, hsNewSessionTicket) {
				t.Errorf("no NewSessionTicket from OpenSSL; got %v", server.appHandshake)
			}
			if !bytes.HasPrefix(client.appData, []byte("GET / HTTP/1.0")) {
				t.Errorf("client application data %q", trunc(client.appData))
			}
			if !bytes.Equal(server.appData, resp) {
				t.Errorf("decrypted server data (%d bytes) differs from what crypto/tls read (%d bytes)", len(server.appData), len(resp))
			}
		})
	}
}

func writePEM(t *testing.T, cert tls.Certificate, certFile, keyFile string) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}
