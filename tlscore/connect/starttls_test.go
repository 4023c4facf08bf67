package connect

import (
	"context"
	"io"
	"net"
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
		case s.StartTLS && !known[got]:
			t.Errorf("scheme %s (port %d): StartTLSForPort gives %q, not a STARTTLS protocol", s.Name, s.DefaultPort, got)
		case !s.StartTLS && got != "":
			t.Errorf("implicit-TLS scheme %s (port %d): StartTLSForPort gives %q", s.Name, s.DefaultPort, got)
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
