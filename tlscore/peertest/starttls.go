package peertest

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// StartTLSServers are the plaintext halves of a server for each STARTTLS protocol tlskit
// speaks, up to where TLS begins: each checks what the client sent and answers as a real
// server would, with the variations the client must take (multi-line greetings, upper or
// lower case capabilities, untagged IMAP data, BER long-form lengths). ok is false when the
// client misbehaved, already reported on t. xmppTo, when set, is the to= attribute the XMPP
// stream header must carry (the server name, XML-escaped).
func StartTLSServers(xmppTo string) map[string]func(t testing.TB, c net.Conn) (ok bool) {
	return map[string]func(t testing.TB, c net.Conn) bool{
		"smtp": func(t testing.TB, c net.Conn) bool {
			io.WriteString(c, "220-mail.test ESMTP\r\n220 ready\r\n")
			if !ExpectLine(t, c, "EHLO tlskit.invalid") {
				return false
			}
			io.WriteString(c, "250-mail.test greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n250 8BITMIME\r\n")
			if !ExpectLine(t, c, "STARTTLS") {
				return false
			}
			io.WriteString(c, "220 2.0.0 Ready to start TLS\r\n")
			return true
		},
		"imap": func(t testing.TB, c net.Conn) bool {
			io.WriteString(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
			if !ExpectLine(t, c, "a1 STARTTLS") {
				return false
			}
			// Untagged data before the tagged answer is skipped.
			io.WriteString(c, "* CAPABILITY IMAP4rev1 STARTTLS\r\n* BYE not really\r\na1 OK Begin TLS negotiation now\r\n")
			return true
		},
		"pop3": func(t testing.TB, c net.Conn) bool {
			io.WriteString(c, "+OK POP3 server ready\r\n")
			if !ExpectLine(t, c, "STLS") {
				return false
			}
			io.WriteString(c, "+OK Begin TLS negotiation\r\n")
			return true
		},
		"ftp": func(t testing.TB, c net.Conn) bool {
			io.WriteString(c, "220-Welcome\r\n220-\r\n220 Ready\r\n")
			if !ExpectLine(t, c, "AUTH TLS") {
				return false
			}
			io.WriteString(c, "234\r\n") // a bare code is a whole reply
			return true
		},
		"xmpp": func(t testing.TB, c net.Conn) bool {
			header, err := ReadUntil(c, "version='1.0'>")
			if err != nil || !strings.Contains(header, "<stream:stream") || (xmppTo != "" && !strings.Contains(header, "to='"+xmppTo+"'")) {
				t.Errorf("server: stream header %q (%v), want one to %q", header, err, xmppTo)
				return false
			}
			io.WriteString(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>"+
				"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"+
				"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
			if !ReadExactly(t, c, []byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")) {
				return false
			}
			io.WriteString(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
			return true
		},
		"postgres": func(t testing.TB, c net.Conn) bool {
			if !ReadExactly(t, c, PostgresSSLRequest()) {
				return false
			}
			io.WriteString(c, "S")
			return true
		},
		"ldap": func(t testing.TB, c net.Conn) bool {
			if !ReadExactly(t, c, LDAPStartTLSRequest()) {
				return false
			}
			c.Write(LDAPExtendedResponse(0, true))
			return true
		},
	}
}

// ExpectLine reads a line (ReadLine) and reports a test error when it is not want.
func ExpectLine(t testing.TB, c net.Conn, want string) bool {
	t.Helper()
	got, err := ReadLine(c)
	if err != nil || got != want {
		t.Errorf("server: client sent %q (%v), want %q", got, err, want)
		return false
	}
	return true
}

// ReadExactly reads len(want) bytes and reports a test error when they are not want.
func ReadExactly(t testing.TB, c net.Conn, want []byte) bool {
	t.Helper()
	got := make([]byte, len(want))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
		t.Errorf("server: client sent % x (%v), want % x", got, err, want)
		return false
	}
	return true
}

// LDAPStartTLSRequest is the StartTLS ExtendedRequest (RFC 4511 section 4.14.1) with message
// ID 1: SEQUENCE { INTEGER 1, [APPLICATION 23] { [0] "1.3.6.1.4.1.1466.20037" } }.
func LDAPStartTLSRequest() []byte {
	const oid = "1.3.6.1.4.1.1466.20037"
	b := []byte{0x30, byte(3 + 2 + 2 + len(oid)), 0x02, 0x01, 0x01, 0x77, byte(2 + len(oid)), 0x80, byte(len(oid))}
	return append(b, oid...)
}

// LDAPExtendedResponse is an ExtendedResponse for message ID 1 with result code code:
// SEQUENCE { INTEGER 1, [APPLICATION 24] { ENUMERATED code, OCTET STRING "", OCTET STRING "" } };
// longForm writes the lengths as 0x81 n, which BER allows.
func LDAPExtendedResponse(code byte, longForm bool) []byte {
	op := []byte{0x0a, 0x01, code, 0x04, 0x00, 0x04, 0x00}
	length := func(n int) []byte {
		if longForm {
			return []byte{0x81, byte(n)}
		}
		return []byte{byte(n)}
	}
	body := append([]byte{0x02, 0x01, 0x01, 0x78}, length(len(op))...)
	body = append(body, op...)
	return append(append([]byte{0x30}, length(len(body))...), body...)
}

// PostgresSSLRequest is the 8-byte SSLRequest message (length 8, code 80877103).
func PostgresSSLRequest() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b[0:4], 8)
	binary.BigEndian.PutUint32(b[4:8], 80877103)
	return b
}
