package connect

import (
	"context"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

func TestStartTLSForPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		port int
		want string
	}{
		{25, "smtp"},
		{587, "smtp"},
		{143, "imap"},
		{110, "pop3"},
		{21, "ftp"},
		{5222, "xmpp"},
		{5432, "postgres"},
		{389, "ldap"},
		// Implicit-TLS and other ports have nothing to upgrade.
		{443, ""},
		{465, ""},
		{636, ""},
		{993, ""},
		{995, ""},
		{990, ""},
		{0, ""},
		{-1, ""},
		{65535, ""},
	}
	for _, tt := range tests {
		if got := StartTLSForPort(tt.port); got != tt.want {
			t.Errorf("StartTLSForPort(%d) = %q, want %q", tt.port, got, tt.want)
		}
	}
	known := map[string]bool{}
	for _, p := range StartTLSProtocols {
		known[p] = true
	}
	// Every STARTTLS scheme's default port maps to a protocol tlskit speaks, and no
	// implicit-TLS scheme's port does.
	for _, s := range Schemes {
		got := StartTLSForPort(s.DefaultPort)
		switch {
		case s.StartTLS != "" && got != s.StartTLS:
			t.Errorf("scheme %s (port %d): StartTLSForPort gives %q, not its %q", s.Name, s.DefaultPort, got, s.StartTLS)
		case s.StartTLS != "" && !known[got]:
			t.Errorf("scheme %s (port %d): StartTLSForPort gives %q, not a STARTTLS protocol", s.Name, s.DefaultPort, got)
		case s.StartTLS == "" && got != "":
			t.Errorf("implicit-TLS scheme %s (port %d): StartTLSForPort gives %q", s.Name, s.DefaultPort, got)
		}
	}
}

// TestStartTLSTable: the protocols derived from Schemes are the seven StartTLS speaks, in the
// order help text has always listed them, and a target implies its scheme's upgrade, else its
// port's. Before the table was one, the same facts stood in three lists (Schemes' bools, a
// port switch here and a scheme map in cmd/handshake.go).
func TestStartTLSTable(t *testing.T) {
	t.Parallel()
	want := []string{"smtp", "imap", "pop3", "ftp", "xmpp", "postgres", "ldap"}
	if !slices.Equal(StartTLSProtocols, want) {
		t.Errorf("StartTLSProtocols = %v, want %v", StartTLSProtocols, want)
	}
	for _, proto := range StartTLSProtocols {
		a, b := net.Pipe()
		b.Close()
		err := StartTLS(context.Background(), a, proto, "x.test")
		a.Close()
		if err == nil || strings.Contains(err.Error(), "unknown STARTTLS protocol") {
			t.Errorf("StartTLS(%s) over a closed pipe: %v, want the protocol's own failure", proto, err)
		}
	}
	for _, tt := range []struct{ target, want string }{
		{"mail.test:25", "smtp"},
		{"mail.test:587", "smtp"},
		{"mail.test:465", ""},
		{"db.test:5432", "postgres"},
		{"imap://mail.test", "imap"},
		{"submission://mail.test", "smtp"},
		{"postgresql://db.test", "postgres"},
		{"ldap://dir.test:10389", "ldap"},
		{"https://web.test:25", ""},
		{"smtps://mail.test", ""},
	} {
		target, err := ParseTarget(tt.target, 443)
		if err != nil {
			t.Fatal(err)
		}
		if got := target.ImpliedStartTLS(); got != tt.want {
			t.Errorf("%s: ImpliedStartTLS() = %q, want %q", tt.target, got, tt.want)
		}
	}
}

// TestStartTLSLeavesNothingBuffered checks the upgrade reads no further than the server's go-ahead:
// a server that sends its first TLS bytes right behind the go-ahead (in the same write) must
// still be able to complete the handshake.
func TestStartTLSLeavesNothingBuffered(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{"smtp", "postgres"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			a, b := net.Pipe()
			defer a.Close()
			defer b.Close()
			go func() {
				switch proto {
				case "smtp":
					io.WriteString(b, "220 hi\r\n")
					peertest.ReadLine(b)
					io.WriteString(b, "250 STARTTLS\r\n")
					peertest.ReadLine(b)
					io.WriteString(b, "220 go ahead\r\nTLS-BYTES")
				case "postgres":
					io.ReadFull(b, make([]byte, 8))
					io.WriteString(b, "STLS-BYTES")
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := StartTLS(ctx, a, proto, "localhost"); err != nil {
				t.Fatalf("StartTLS: %v", err)
			}
			a.SetReadDeadline(time.Now().Add(2 * time.Second))
			got := make([]byte, len("TLS-BYTES"))
			if _, err := io.ReadFull(a, got); err != nil || string(got) != "TLS-BYTES" {
				t.Errorf("BUG: after StartTLS the connection reads %q (%v), want %q: bytes were buffered away", got, err, "TLS-BYTES")
			}
		})
	}
}
