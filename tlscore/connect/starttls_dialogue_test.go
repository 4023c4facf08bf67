package connect

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// These tests run StartTLS itself against fake plaintext servers, with no TLS afterwards: the
// server writes goAhead where TLS would begin, and the client must read it straight after
// StartTLS returns. (The full upgrade-then-handshake runs are tlscore/handshake's.)

const goAhead = "TLS-STARTS-HERE"

// stdConnect serves handle on loopback and returns a client connection to it.
func stdConnect(t *testing.T, handle func(c net.Conn)) net.Conn {
	t.Helper()
	addr := peertest.Serve(t, func(_ context.Context, c net.Conn) { handle(c) })
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func stdStartTLS(t *testing.T, c net.Conn, proto string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return StartTLS(ctx, c, proto, "x<&'\">.test")
}

// TestStartTLSDialogues: each protocol sends exactly what its server expects (checked by the
// server) and returns at the go-ahead, leaving what follows it unread.
func TestStartTLSDialogues(t *testing.T) {
	t.Parallel()
	// The server name is escaped into the XMPP stream's to= attribute.
	servers := peertest.StartTLSServers("x&lt;&amp;&apos;&quot;&gt;.test")
	if len(servers) != len(StartTLSProtocols) {
		t.Errorf("fake servers for %d protocols, StartTLSProtocols has %d", len(servers), len(StartTLSProtocols))
	}
	for _, proto := range StartTLSProtocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			serve := servers[proto]
			if serve == nil {
				t.Fatalf("no fake server for %q", proto)
			}
			c := stdConnect(t, func(c net.Conn) {
				if serve(t, c) {
					io.WriteString(c, goAhead)
					peertest.Drain(c)
				}
			})
			if err := stdStartTLS(t, c, proto); err != nil {
				t.Fatalf("StartTLS %s: %v", proto, err)
			}
			// StartTLS clears the context's deadline it set, so this one is the only one.
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			got := make([]byte, len(goAhead))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != goAhead {
				t.Errorf("after StartTLS the connection reads %q (%v), want %q", got, err, goAhead)
			}
		})
	}
}

// TestStartTLSRefusals: every way a server can refuse or garble the upgrade ends StartTLS at
// once with an error that says what the server did.
func TestStartTLSRefusals(t *testing.T) {
	t.Parallel()
	// lineThen greets, answers each line the client sends in turn, then waits for the client
	// to hang up; an answer ending in hangUp is followed by the server hanging up instead.
	const hangUp = "\x00"
	lineThen := func(greeting string, answers ...string) func(c net.Conn) {
		return func(c net.Conn) {
			io.WriteString(c, greeting)
			for _, a := range answers {
				if _, err := peertest.ReadLine(c); err != nil {
					return
				}
				a, closing := strings.CutSuffix(a, hangUp)
				io.WriteString(c, a)
				if closing {
					return
				}
			}
			peertest.Drain(c)
		}
	}
	bytesThen := func(n int, answer []byte) func(c net.Conn) {
		return func(c net.Conn) {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
				return
			}
			c.Write(answer)
			// Half-close so a short answer reads as the end, not as a wait.
			c.(*net.TCPConn).CloseWrite()
			peertest.Drain(c)
		}
	}
	xmppThen := func(answer string) func(c net.Conn) {
		return func(c net.Conn) {
			peertest.ReadUntil(c, "version='1.0'>")
			io.WriteString(c, "<stream:features><starttls/></stream:features>")
			peertest.ReadUntil(c, "/>")
			io.WriteString(c, answer)
			c.(*net.TCPConn).CloseWrite()
			peertest.Drain(c)
		}
	}
	ldapReq := len(peertest.LDAPStartTLSRequest())
	long := strings.Repeat("y", 200)
	tests := []struct {
		name, proto string
		handle      func(c net.Conn)
		want        string
	}{
		{"SMTP greeting not 220", "smtp", lineThen("554 5.7.1 go away\r\n"), `greeting: server answered "554 5.7.1 go away"`},
		{"SMTP greeting too short", "smtp", lineThen("22\r\n"), `greeting: unexpected reply "22"`},
		{"SMTP greeting not a reply", "smtp", lineThen("220:hello\r\n"), `greeting: unexpected reply "220:hello"`},
		{"SMTP long reply is trimmed", "smtp", lineThen("554 " + long + "\r\n"), `"554 ` + long[:76] + `..."`},
		{"SMTP EHLO refused", "smtp", lineThen("220 hi\r\n", "502 no EHLO\r\n"), `EHLO: server answered "502 no EHLO"`},
		{"SMTP no STARTTLS offered", "smtp", lineThen("220 hi\r\n", "250-mail.test\r\n250 8BITMIME\r\n"), "server does not offer STARTTLS"},
		{"SMTP STARTTLS refused", "smtp", lineThen("220 hi\r\n", "250 STARTTLS\r\n", "454 4.7.0 not now\r\n"), `STARTTLS: server answered "454 4.7.0 not now"`},
		{"SMTP closes after EHLO", "smtp", lineThen("220 hi\r\n", hangUp), "EHLO: server closed the connection"},
		{"FTP greeting not 220", "ftp", lineThen("421 busy\r\n"), `greeting: server answered "421 busy"`},
		{"FTP AUTH TLS refused", "ftp", lineThen("220 hi\r\n", "502 not implemented\r\n"), `AUTH TLS: server answered "502 not implemented"`},
		{"IMAP greeting not OK", "imap", lineThen("* BYE busy\r\n"), `greeting: server said "* BYE busy"`},
		{"IMAP STARTTLS refused", "imap", lineThen("* OK hi\r\n", "* CAPABILITY IMAP4rev1\r\na1 NO disabled\r\n"), `STARTTLS: server answered "a1 NO disabled"`},
		{"IMAP closes after STARTTLS", "imap", lineThen("* OK hi\r\n", "* CAPABILITY\r\n"+hangUp), "STARTTLS: server closed the connection"},
		{"IMAP closes at once", "imap", func(c net.Conn) {}, "greeting: server closed the connection"},
		{"POP3 greeting not OK", "pop3", lineThen("-ERR busy\r\n"), `greeting: server said "-ERR busy"`},
		{"POP3 STLS refused", "pop3", lineThen("+OK hi\r\n", "-ERR not permitted\r\n"), `STLS: server answered "-ERR not permitted"`},
		{"POP3 closes at once", "pop3", func(c net.Conn) {}, "greeting: server closed the connection"},
		{"POP3 closes after STLS", "pop3", lineThen("+OK hi\r\n", hangUp), "STLS: server closed the connection"},
		{"XMPP closes before features", "xmpp", func(c net.Conn) { peertest.ReadUntil(c, "version='1.0'>") }, "stream features: server closed the connection"},
		{"XMPP failure", "xmpp", xmppThen("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "server refused STARTTLS"},
		{"XMPP closes before proceed", "xmpp", xmppThen("<iq/>"), "starttls: server closed the connection"},
		{"XMPP proceed cut short", "xmpp", xmppThen("<proceed xmlns='x'"), "server closed the connection"},
		{"Postgres N", "postgres", bytesThen(8, []byte("N")), "server does not support TLS (answered N to SSLRequest)"},
		{"Postgres error message", "postgres", bytesThen(8, []byte("E")), "SSLRequest: unexpected answer 0x45"},
		{"Postgres closes", "postgres", bytesThen(8, nil), "SSLRequest: EOF"},
		{"LDAP refused", "ldap", bytesThen(ldapReq, peertest.LDAPExtendedResponse(2, false)), "server refused StartTLS (LDAP result code 2)"},
		{"LDAP closes", "ldap", bytesThen(ldapReq, nil), "extended response: EOF"},
		{"LDAP wrong tag", "ldap", bytesThen(ldapReq, []byte{0x31, 0x00}), "extended response: unexpected tag 0x31"},
		{"LDAP closes in the length", "ldap", bytesThen(ldapReq, []byte{0x30}), "EOF"},
		{"LDAP closes in a long length", "ldap", bytesThen(ldapReq, []byte{0x30, 0x82, 0x01}), "EOF"},
		{"LDAP indefinite length", "ldap", bytesThen(ldapReq, []byte{0x30, 0x80}), "extended response: bad length"},
		{"LDAP length of four bytes", "ldap", bytesThen(ldapReq, []byte{0x30, 0x84, 0, 0, 0, 1}), "extended response: bad length"},
		{"LDAP huge length", "ldap", bytesThen(ldapReq, []byte{0x30, 0x83, 0xff, 0xff, 0xff}), "extended response too long"},
		{"LDAP body cut short", "ldap", bytesThen(ldapReq, []byte{0x30, 0x05, 0x02}), "extended response: unexpected EOF"},
		{"LDAP no message ID", "ldap", bytesThen(ldapReq, []byte{0x30, 0x02, 0x04, 0x00}), "extended response: malformed"},
		{"LDAP not an ExtendedResponse", "ldap", bytesThen(ldapReq, []byte{0x30, 0x05, 0x02, 0x01, 0x01, 0x61, 0x00}), "not an ExtendedResponse"},
		{"LDAP result code missing", "ldap", bytesThen(ldapReq, []byte{0x30, 0x05, 0x02, 0x01, 0x01, 0x78, 0x00}), "malformed result code"},
		{"LDAP result code not ENUMERATED", "ldap", bytesThen(ldapReq, []byte{0x30, 0x08, 0x02, 0x01, 0x01, 0x78, 0x03, 0x02, 0x01, 0x00}), "malformed result code"},
		{"unknown protocol", "gopher", func(c net.Conn) {}, `unknown STARTTLS protocol "gopher" (choose smtp, imap, pop3, ftp, xmpp, postgres, ldap)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := stdConnect(t, tt.handle)
			start := time.Now()
			err := stdStartTLS(t, c, tt.proto)
			if err == nil {
				t.Fatal("StartTLS succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			// Every case fails on what the server said, never at the 2 s deadline.
			if elapsed := time.Since(start); elapsed > time.Second {
				t.Errorf("took %v to fail: the client should give up at once", elapsed)
			}
		})
	}
}

// TestStartTLSTimesOut: a silent server ends StartTLS at the context's deadline with a timeout.
func TestStartTLSTimesOut(t *testing.T) {
	t.Parallel()
	c := stdConnect(t, peertest.Drain)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := StartTLS(ctx, c, "smtp", "x.test")
	if !IsTimeout(err) {
		t.Fatalf("StartTLS against a silent server: %v, want a timeout", err)
	}
	if got := describeNetError(err); got != "timed out" {
		t.Errorf("described as %q, want %q", got, "timed out")
	}
}

// TestStartTLSWriteFails: a connection that cannot be written to fails every protocol's first
// send with the write's error.
func TestStartTLSWriteFails(t *testing.T) {
	t.Parallel()
	// Protocols that speak first; the others read a greeting before writing.
	for _, proto := range []string{"xmpp", "postgres", "ldap"} {
		a, b := net.Pipe()
		a.Close()
		b.Close()
		if err := StartTLS(context.Background(), a, proto, "x.test"); err == nil || !strings.Contains(err.Error(), "closed pipe") {
			t.Errorf("StartTLS(%s) on a closed pipe: %v, want the write's error", proto, err)
		}
	}
	// Those that read first fail at the write after the greeting.
	for proto, greeting := range map[string]string{"smtp": "220 hi\r\n", "ftp": "220 hi\r\n", "imap": "* OK hi\r\n", "pop3": "+OK hi\r\n"} {
		a, b := net.Pipe()
		go func() {
			b.Write([]byte(greeting))
			b.Close()
		}()
		err := StartTLS(context.Background(), a, proto, "x.test")
		a.Close()
		if err == nil || !strings.Contains(err.Error(), "closed pipe") {
			t.Errorf("StartTLS(%s) with the pipe closed after the greeting: %v, want the write's error", proto, err)
		}
	}
}
