package scan

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestScanThroughSMTPStartTLS scans a server that speaks SMTP first: every probe must do the
// STARTTLS dance before its ClientHello, or the server would see garbage.
func TestScanThroughSMTPStartTLS(t *testing.T) {
	_, _, pair := testCert(t, "ecdsa")
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	addr := peertest.Serve(t, func(_ context.Context, c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		r := bufio.NewReader(c)
		c.Write([]byte("220 mail.test ESMTP\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				c.Write([]byte("250-mail.test\r\n250 STARTTLS\r\n"))
			case cmd == "STARTTLS":
				c.Write([]byte("220 go ahead\r\n"))
				tc := tls.Server(c, cfg)
				tc.Handshake()
				return
			default:
				c.Write([]byte("500 what\r\n"))
			}
		}
	})
	target, err := connect.ParseTarget(addr, 443)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), Options{Target: target, StartTLS: "smtp", Timeout: 3 * time.Second, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if v := version(t, res, "TLS 1.3"); !v.Supported || v.Inconclusive {
		t.Errorf("TLS 1.3 through STARTTLS: %+v", v)
	}
	if v := version(t, res, "TLS 1.2"); !v.Supported {
		t.Errorf("TLS 1.2 through STARTTLS: %+v", v)
	}
	if c := res.Connection; c == nil || c.Error != "" || len(c.Chain) == 0 {
		t.Errorf("the full handshake through STARTTLS failed: %+v", c)
	}
	// Without STARTTLS the same server is not TLS at all: nothing may be reported.
	plain, err := Scan(context.Background(), Options{Target: target, Timeout: 2 * time.Second, Rate: 1000})
	if err == nil {
		for _, v := range plain.Versions {
			if v.Supported {
				t.Errorf("%s reported on a plaintext SMTP port", v.Version)
			}
		}
	}
}
