package handshake

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestResume: against Go's crypto/tls server, the second handshake offers what the first got
// (a TLS 1.3 PSK, a TLS 1.2 ticket), the server takes it, and the report says what was
// skipped; with tickets off there is nothing to offer, and the report says why.
func TestResume(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		version   uint16
		noTickets bool
		offered   string
		accepted  bool
		mode      string
		skipped   []string
	}{
		{"tls13", tls.VersionTLS13, false, "psk", true, "psk_dhe_ke", []string{"Certificate", "CertificateVerify"}},
		{"tls12", tls.VersionTLS12, false, "ticket", true, "", []string{"Certificate", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange"}},
		{"tls13 no tickets", tls.VersionTLS13, true, "none", false, "", nil},
		{"tls12 no tickets", tls.VersionTLS12, true, "none", false, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := peertest.ServerConfig(t)
			cfg.MaxVersion, cfg.SessionTicketsDisabled = tc.version, tc.noTickets
			// One key for both connections (a tls.Server per connection would rotate it).
			addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) { peertest.ServeTLSConfig(c, cfg, 5*time.Second) })
			var gated atomic.Int32
			gate := func(context.Context) (func(), error) { gated.Add(1); return func() {}, nil }
			res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), Roots: peertest.Roots(t), Timeout: 5 * time.Second, Resume: true, Gate: gate})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int32{true: 2, false: 1}[tc.accepted]; gated.Load() != want {
				t.Errorf("%d connections through the gate, want %d", gated.Load(), want)
			}
			if res.Resumption == nil || res.Resumption.Resumed == nil {
				t.Fatalf("resumption %+v", res.Resumption)
			}
			r := res.Resumption.Resumed
			if r.Offered != tc.offered || r.Accepted != tc.accepted || r.KeyExchangeMode != tc.mode {
				t.Fatalf("resumed %+v", r)
			}
			if !tc.accepted {
				if r.Why == "" || r.Handshake != nil {
					t.Errorf("nothing to offer, yet %+v", r)
				}
				return
			}
			if !slices.Equal(r.Skipped, tc.skipped) {
				t.Errorf("skipped %v, want %v", r.Skipped, tc.skipped)
			}
			if r.Handshake == nil || r.Handshake.Version == "" || r.TicketAgeMs <= 0 || r.Handshake.Resumption != nil && r.Handshake.Resumption.Resumed != nil {
				t.Errorf("second handshake %+v, age %v", r.Handshake, r.TicketAgeMs)
			}
			if tc.version == tls.VersionTLS13 && (r.SelectedIdentity == nil || *r.SelectedIdentity != 0) {
				t.Errorf("selected identity %v", r.SelectedIdentity)
			}
		})
	}
}

// TestResumeSessionID: against openssl s_server -no_ticket (TLS 1.2), which resumes only by
// session ID, the second handshake offers the ID in a hand-built hello, checks the server's
// Finished under the first session's master secret and completes the abbreviated handshake; with
// a wrong master secret the server's Finished does not verify, and the resumption is an error.
func TestResumeSessionID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert := peertest.Certificate(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := peertest.OpenSSLServer(t, dir, certFile, keyFile, "-tls1_2", "-no_ticket")
	opts := Options{Target: bpTarget(t, srv.Addr()), Roots: peertest.Roots(t), Timeout: 5 * time.Second, Resume: true}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := res.Resumption.Resumed
	if r.Offered != "session_id" || !r.Accepted || r.Error != "" || r.Handshake == nil || r.Handshake.Version != "TLS 1.2" ||
		!slices.Equal(r.Skipped, []string{"Certificate", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange"}) {
		t.Fatalf("resumed %+v", r)
	}
	if res.Resumption.TicketOffered {
		t.Error("s_server -no_ticket offered a ticket")
	}

	// Without a session cache s_server gives no session ID either: nothing to offer, and the
	// report says so rather than trying.
	nocache := peertest.OpenSSLServer(t, dir, certFile, keyFile, "-tls1_2", "-no_ticket", "-no_cache")
	res, err = Run(context.Background(), Options{Target: bpTarget(t, nocache.Addr()), Roots: opts.Roots, Timeout: opts.Timeout, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Resumption.Resumed; r.Offered != "none" || r.Accepted || len(r.Skipped) != 0 || r.Handshake != nil ||
		!strings.Contains(r.Why, "neither a session ticket nor a session ID") {
		t.Errorf("without a session cache: resumed %+v", r)
	}

	// A scanner's options: every connection through its gate, and no session ID offered.
	var gated, released atomic.Int32
	scanOpts := opts
	scanOpts.ResumeTicketOnly = true
	scanOpts.Gate = func(context.Context) (func(), error) {
		gated.Add(1)
		return func() { released.Add(1) }, nil
	}
	res, err = Run(context.Background(), scanOpts)
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Resumption.Resumed; r.Offered != "none" || r.Handshake != nil || gated.Load() != 1 || released.Load() != 1 {
		t.Errorf("ResumeTicketOnly: resumed %+v, %d connections gated, %d released; want none offered, one connection", r, gated.Load(), released.Load())
	}

	first, err := Run(context.Background(), Options{Target: opts.Target, Roots: opts.Roots, Timeout: opts.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	sess, why := sessionIDOf(first)
	if sess == nil {
		t.Fatal(why)
	}
	sess.master = bytes.Repeat([]byte{0x42}, 48)
	if _, resumed, err := resume12(context.Background(), opts, sess); resumed || err == nil || !strings.Contains(err.Error(), "Finished") {
		t.Errorf("with a wrong master secret: resumed %v, %v; want the server's Finished refused", resumed, err)
	}
}

// TestAbbreviated12Answers: what a server answers the session ID with, other than resuming:
// a new session (a full handshake: not resumed, no error), an alert, bytes that are not TLS, a
// close, or a resumption that drops the session's extended master secret (RFC 7627 section
// 5.3); none is taken for a resumption.
func TestAbbreviated12Answers(t *testing.T) {
	t.Parallel()
	suite, _ := tls12.SuiteByID(0xc02b)
	id := bytes.Repeat([]byte{7}, 32)
	serverHello := func(sid []byte) []byte {
		body := append([]byte{3, 3}, make([]byte, 32)...)
		body = append(append(append(body, byte(len(sid))), sid...), 0xc0, 0x2b, 0, 0, 0)
		return wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, wire.HandshakeMessage(wire.TypeServerHello, body))
	}
	for _, tc := range []struct {
		name   string
		ems    bool // the session had the extended master secret
		answer []byte
		err    string // "" no error
	}{
		{"new session", false, serverHello(bytes.Repeat([]byte{8}, 32)), ""},
		{"alert", false, []byte{21, 3, 3, 0, 2, 2, 40}, "handshake_failure"},
		{"not TLS", false, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), "HTTP"},
		{"close", false, nil, "closed the connection"},
		{"extended master secret dropped", true, serverHello(id), "extended_master_secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sess := &session12ID{id: id, master: make([]byte, 48), suite: suite, ems: tc.ems}
			client, server := net.Pipe()
			defer client.Close()
			go func() {
				defer server.Close()
				_, _, _ = peertest.ReadClientHello(server)
				_, _ = server.Write(tc.answer)
			}()
			_ = client.SetDeadline(time.Now().Add(5 * time.Second))
			resumed, _, err := abbreviated12(client, sess, "localhost", nil, time.Time{})
			if resumed {
				t.Fatal("resumed")
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}
