package handshake

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

func TestHandshakeStartTLS(t *testing.T) {
	t.Parallel()
	servers := peertest.StartTLSServers("")
	if len(servers) != len(connect.StartTLSProtocols) {
		t.Errorf("test servers for %d protocols, StartTLSProtocols has %d", len(servers), len(connect.StartTLSProtocols))
	}
	for _, proto := range connect.StartTLSProtocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			plain := servers[proto]
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
				io.ReadFull(c, make([]byte, len(peertest.LDAPStartTLSRequest())))
				c.Write(peertest.LDAPExtendedResponse(2, true))
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
				io.ReadFull(c, make([]byte, len(peertest.LDAPStartTLSRequest())))
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
