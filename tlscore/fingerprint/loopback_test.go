package fingerprint

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

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
			_, msg := peertest.CaptureClientHello(t, tt.cfg)
			body := msg[4:]
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
