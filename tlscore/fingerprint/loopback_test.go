package fingerprint

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// captureClientHello runs a crypto/tls client against a loopback listener that reads the
// raw ClientHello and hangs up, as tlskit's serve command peeks at it, and returns the
// handshake body (without its 4-byte header).
func captureClientHello(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		// The handshake fails when the listener hangs up; only the hello it sent matters.
		_ = tls.Client(c, cfg).Handshake()
	}()

	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	body, err := readClientHello(conn)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// readClientHello reads handshake records until one whole ClientHello has arrived; a hello
// with large post-quantum key shares may span records.
func readClientHello(r io.Reader) ([]byte, error) {
	var msg []byte
	for {
		if len(msg) >= 4 {
			n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
			if len(msg) >= 4+n {
				if msg[0] != 1 {
					return nil, fmt.Errorf("handshake type %d, want ClientHello", msg[0])
				}
				return msg[4 : 4+n], nil
			}
		}
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, fmt.Errorf("reading record header: %w", err)
		}
		if hdr[0] != 22 {
			return nil, fmt.Errorf("record type %d, want handshake", hdr[0])
		}
		payload := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, fmt.Errorf("reading record: %w", err)
		}
		msg = append(msg, payload...)
	}
}

func TestGoClientHello(t *testing.T) {
	tests := []struct {
		name       string
		cfg        *tls.Config
		wantPrefix string // version, SNI
		wantALPN   string
	}{
		{
			name:       "TLS 1.3 with SNI and ALPN",
			cfg:        &tls.Config{ServerName: "fingerprint.test", NextProtos: []string{"h2", "http/1.1"}},
			wantPrefix: "t13d", wantALPN: "h2",
		},
		{
			// With no ServerName (and so no verification) Go sends no server_name at all.
			name:       "no SNI, no ALPN",
			cfg:        &tls.Config{InsecureSkipVerify: true},
			wantPrefix: "t13i", wantALPN: "00",
		},
		{
			// A Go client capped at TLS 1.2 still sends supported_versions, offering 1.2 alone.
			name:       "TLS 1.2 only",
			cfg:        &tls.Config{ServerName: "fingerprint.test", MaxVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
			wantPrefix: "t12d", wantALPN: "h1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := captureClientHello(t, tt.cfg)
			fp, raw := JA4(parse(t, body), false)
			if !strings.HasPrefix(fp, tt.wantPrefix) {
				t.Errorf("JA4 %s does not start with %s", fp, tt.wantPrefix)
			}
			ciphers, exts := countRaw(t, body)
			if want := fmt.Sprintf("%02d%02d%s", min(ciphers, 99), min(exts, 99), tt.wantALPN); fp[4:10] != want {
				t.Errorf("JA4 %s: counts and ALPN %s, want %s (counted in the raw bytes)", fp, fp[4:10], want)
			}
			checkAgainstReference(t, body, false)
			text, hash := JA3(parse(t, body))
			t.Logf("JA4   %s\nJA4_r %s\nJA3   %s %s", fp, raw, text, hash)
		})
	}
}
