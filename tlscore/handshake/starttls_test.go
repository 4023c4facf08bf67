package handshake

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// stExpectLine reads a line and reports a test error when it is not want.
func stExpectLine(t *testing.T, c net.Conn, want string) bool {
	got, err := peertest.ReadLine(c)
	if err != nil {
		t.Errorf("server: reading %q: %v", want, err)
		return false
	}
	if got != want {
		t.Errorf("server: client sent %q, want %q", got, want)
		return false
	}
	return true
}

// ldapStartTLSRequest is the StartTLS ExtendedRequest (RFC 4511 section 4.14.1) with message ID 1:
// SEQUENCE { INTEGER 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }.
func ldapStartTLSRequest() []byte {
	const oid = "1.3.6.1.4.1.1466.20037"
	b := []byte{0x30, byte(3 + 2 + 2 + len(oid)), 0x02, 0x01, 0x01, 0x77, byte(2 + len(oid)), 0x80, byte(len(oid))}
	return append(b, oid...)
}

// ldapExtendedResponse builds an ExtendedResponse for message ID 1 with the given result code:
// SEQUENCE { INTEGER 1, [APPLICATION 24] { ENUMERATED code, OCTET STRING "", OCTET STRING "" } }.
// longForm writes the lengths in the long form (0x81 n), which BER allows.
func ldapExtendedResponse(code byte, longForm bool) []byte {
	op := []byte{0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00}
	length := func(n int) []byte {
		if longForm {
			return []byte{0x81, byte(n)}
		}
		return []byte{byte(n)}
	}
	body := []byte{0x02, 0x01, 0x01, 0x78}
	body = append(body, length(len(op))...)
	body = append(body, op...)
	out := []byte{0x30}
	out = append(out, length(len(body))...)
	return append(out, body...)
}

// postgresSSLRequest is the 8-byte SSLRequest message.
func postgresSSLRequest() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b[0:4], 8)
	binary.BigEndian.PutUint32(b[4:8], 80877103)
	return b
}

// stPlaintext holds the plaintext half of each protocol's server, up to the point where TLS
// begins; ok is false when the client misbehaved (already reported).
var stPlaintext = map[string]func(t *testing.T, c net.Conn) bool{
	"smtp": func(t *testing.T, c net.Conn) bool {
		io.WriteString(c, "220-mail.test ESMTP\r\n220 ready\r\n")
		l, err := peertest.ReadLine(c)
		if err != nil || !strings.HasPrefix(l, "EHLO ") {
			t.Errorf("server: want EHLO, got %q (%v)", l, err)
			return false
		}
		io.WriteString(c, "250-mail.test greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
		if !stExpectLine(t, c, "STARTTLS") {
			return false
		}
		io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
		return true
	},
	"imap": func(t *testing.T, c net.Conn) bool {
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
		if !stExpectLine(t, c, "a1 STARTTLS") {
			return false
		}
		io.WriteString(c, "* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK Begin TLS negotiation now\r\n")
		return true
	},
	"pop3": func(t *testing.T, c net.Conn) bool {
		io.WriteString(c, "+OK POP3 server ready\r\n")
		if !stExpectLine(t, c, "STLS") {
			return false
		}
		io.WriteString(c, "+OK Begin TLS negotiation\r\n")
		return true
	},
	"ftp": func(t *testing.T, c net.Conn) bool {
		io.WriteString(c, "220-Welcome to the test FTP server\r\n220-\r\n220 Ready\r\n")
		if !stExpectLine(t, c, "AUTH TLS") {
			return false
		}
		io.WriteString(c, "234 AUTH TLS successful\r\n")
		return true
	},
	"xmpp": func(t *testing.T, c net.Conn) bool {
		if _, err := peertest.ReadUntil(c, "<stream:stream"); err != nil {
			t.Errorf("server: no stream header: %v", err)
			return false
		}
		if _, err := peertest.ReadUntil(c, ">"); err != nil {
			t.Errorf("server: stream header not closed: %v", err)
			return false
		}
		io.WriteString(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>"+
			"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"+
			"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
		got, err := peertest.ReadUntil(c, "/>")
		if err != nil || !strings.Contains(got, "<starttls") || !strings.Contains(got, "urn:ietf:params:xml:ns:xmpp-tls") {
			t.Errorf("server: want <starttls/>, got %q (%v)", got, err)
			return false
		}
		io.WriteString(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
		return true
	},
	"postgres": func(t *testing.T, c net.Conn) bool {
		req := make([]byte, 8)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, req); err != nil || !bytes.Equal(req, postgresSSLRequest()) {
			t.Errorf("server: want SSLRequest, got % x (%v)", req, err)
			return false
		}
		c.SetReadDeadline(time.Time{})
		io.WriteString(c, "S")
		return true
	},
	"ldap": func(t *testing.T, c net.Conn) bool {
		want := ldapStartTLSRequest()
		req := make([]byte, len(want))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, req); err != nil || !bytes.Equal(req, want) {
			t.Errorf("server: want StartTLS ExtendedRequest % x, got % x (%v)", want, req, err)
			return false
		}
		c.SetReadDeadline(time.Time{})
		c.Write(ldapExtendedResponse(0, false))
		return true
	},
}

func TestHandshakeStartTLS(t *testing.T) {
	t.Parallel()
	if len(stPlaintext) != len(connect.StartTLSProtocols) {
		t.Errorf("test servers for %d protocols, StartTLSProtocols has %d", len(stPlaintext), len(connect.StartTLSProtocols))
	}
	for _, proto := range connect.StartTLSProtocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			plain := stPlaintext[proto]
			if plain == nil {
				t.Fatalf("no test server for %q", proto)
			}
			addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
				if plain(t, c) {
					peertest.ServeTLS(t, c)
				}
			})
			const timeout = 2 * time.Second
			start := time.Now()
			res, err := Run(context.Background(), Options{
				Target: bpTarget(t, addr), StartTLS: proto, Roots: peertest.Roots(t), Timeout: timeout,
			})
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("took %v", elapsed)
			}
			if err != nil {
				t.Fatalf("Handshake with STARTTLS %s: %v", proto, err)
			}
			if res.StartTLS != proto {
				t.Errorf("res.StartTLS = %q, want %q", res.StartTLS, proto)
			}
			if res.Version != "TLS 1.3" {
				t.Errorf("res.Version = %q, want TLS 1.3", res.Version)
			}
			if !bpHasClientHello(res.Steps) {
				t.Errorf("steps do not start with the ClientHello sent: %+v", res.Steps)
			}
			if res.Verification == nil || !res.Verification.Verified {
				t.Errorf("verification against the test root failed: %+v", res.Verification)
			}
			if res.Timing.StartTLSMs <= 0 {
				t.Errorf("StartTLSMs = %v, want > 0", res.Timing.StartTLSMs)
			}
		})
	}
}

func TestHandshakeStartTLSFailures(t *testing.T) {
	t.Parallel()
	endless := func(ctx context.Context, c net.Conn, prefix string, chunk string) {
		go peertest.Drain(c)
		io.WriteString(c, prefix)
		buf := []byte(strings.Repeat(chunk, 1024/len(chunk)+1))
		for ctx.Err() == nil {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
	tests := []struct {
		name    string
		proto   string
		timeout time.Duration
		handle  func(t *testing.T, ctx context.Context, c net.Conn)
		stage   connect.Stage
		want    []string
		// fast is true when the client must give up well before the timeout.
		fast bool
	}{
		{
			name:  "SMTP without STARTTLS in EHLO",
			proto: "smtp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "220 mail.test ESMTP\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "250-mail.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"does not offer STARTTLS"},
			fast:  true,
		},
		{
			name:  "SMTP answers STARTTLS with 454",
			proto: "smtp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "220 mail.test ESMTP\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "250-mail.test\r\n250 STARTTLS\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "454 4.7.0 TLS not available due to temporary reason\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"454 4.7.0 TLS not available due to temporary reason"},
			fast:  true,
		},
		{
			name:  "SMTP greeting is not 220",
			proto: "smtp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "554 5.7.1 no service for you\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"greeting", "554 5.7.1 no service for you"},
			fast:  true,
		},
		{
			name:  "endless line",
			proto: "smtp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				endless(ctx, c, "220-", "x")
			},
			stage: connect.StageStartTLS,
			want:  []string{"over-long line"},
			fast:  true,
		},
		{
			name:  "endless continuation lines",
			proto: "smtp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				endless(ctx, c, "", "220-more\r\n")
			},
			stage: connect.StageStartTLS,
			want:  []string{"too many lines"},
			fast:  true,
		},
		{
			name:  "XMPP endless stream without features",
			proto: "xmpp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				endless(ctx, c, "<stream:stream>", "<x/>")
			},
			stage: connect.StageStartTLS,
			want:  []string{"too much"},
			fast:  true,
		},
		{
			name:  "silent server",
			proto: "imap",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"timed out"},
		},
		{
			name:  "closes after the greeting",
			proto: "pop3",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "+OK ready\r\n")
				peertest.ReadLine(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"closed the connection"},
			fast:  true,
		},
		{
			name:  "IMAP refuses STARTTLS",
			proto: "imap",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "* OK ready\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "a1 NO STARTTLS disabled\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"a1 NO STARTTLS disabled"},
			fast:  true,
		},
		{
			name:  "POP3 refuses STLS",
			proto: "pop3",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "+OK ready\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "-ERR command not permitted\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"-ERR command not permitted"},
			fast:  true,
		},
		{
			name:  "FTP refuses AUTH TLS",
			proto: "ftp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "220 FTP ready\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "502 Command not implemented\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"502 Command not implemented"},
			fast:  true,
		},
		{
			name:  "XMPP failure",
			proto: "xmpp",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				peertest.ReadUntil(c, "version='1.0'>")
				io.WriteString(c, "<stream:stream version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
				peertest.ReadUntil(c, "/>")
				io.WriteString(c, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"refused STARTTLS"},
			fast:  true,
		},
		{
			name:  "Postgres answers N",
			proto: "postgres",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.ReadFull(c, make([]byte, 8))
				io.WriteString(c, "N")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"does not support TLS"},
			fast:  true,
		},
		{
			name:  "Postgres answers an error message",
			proto: "postgres",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.ReadFull(c, make([]byte, 8))
				io.WriteString(c, "EFATAL")
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"unexpected answer 0x45"},
			fast:  true,
		},
		{
			name:  "LDAP refuses StartTLS",
			proto: "ldap",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.ReadFull(c, make([]byte, len(ldapStartTLSRequest())))
				c.Write(ldapExtendedResponse(2, true))
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"LDAP result code 2"},
			fast:  true,
		},
		{
			name:  "LDAP answers a huge length",
			proto: "ldap",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.ReadFull(c, make([]byte, len(ldapStartTLSRequest())))
				c.Write([]byte{0x30, 0x83, 0xff, 0xff, 0xff})
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{"too long"},
			fast:  true,
		},
		{
			name:  "unknown protocol",
			proto: "gopher",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				peertest.Drain(c)
			},
			stage: connect.StageStartTLS,
			want:  []string{`unknown STARTTLS protocol "gopher"`},
			fast:  true,
		},
		{
			// STARTTLS succeeds, then the TLS server never answers: the handshake must still
			// end at the timeout.
			name:  "silent after STARTTLS",
			proto: "pop3",
			handle: func(t *testing.T, ctx context.Context, c net.Conn) {
				io.WriteString(c, "+OK ready\r\n")
				peertest.ReadLine(c)
				io.WriteString(c, "+OK go ahead\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"timed out"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) { tt.handle(t, ctx, c) })
			timeout := tt.timeout
			if timeout == 0 {
				timeout = time.Second
			}
			start := time.Now()
			res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), StartTLS: tt.proto, Timeout: timeout})
			elapsed := time.Since(start)
			he := bpCheckFailure(t, res, err, elapsed, timeout)
			t.Logf("error after %v: %v", elapsed.Round(time.Millisecond), err)
			if he.Stage != tt.stage {
				t.Errorf("stage %q, want %q (error %q)", he.Stage, tt.stage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("BUG: error %q does not mention %q", err, w)
				}
			}
			if tt.fast && elapsed > timeout/2 {
				t.Errorf("BUG: took %v to fail (timeout %v): the client should give up at once", elapsed, timeout)
			}
			if res != nil && res.StartTLS != tt.proto {
				t.Errorf("res.StartTLS = %q, want %q", res.StartTLS, tt.proto)
			}
			if res != nil && tt.stage == connect.StageStartTLS && len(res.Steps) != 0 {
				t.Errorf("TLS steps recorded although STARTTLS failed: %+v", res.Steps)
			}
		})
	}
}
