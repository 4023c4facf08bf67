package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/ech"
)

// TestECHOffer: a GREASE ECH extension in the TLS 1.3 extension probe gets a Go crypto/tls
// server with ECH keys to send its retry configs, which the scan reports decoded; one without
// keys sends none (and the probe still succeeds: GREASE ECH is what browsers send everywhere).
func TestECHOffer(t *testing.T) {
	t.Parallel()
	key, err := ech.Generate("public.test")
	if err != nil {
		t.Fatal(err)
	}
	_, _, pair := testCert(t, "ecdsa")
	for _, tc := range []struct {
		name string
		keys []tls.EncryptedClientHelloKey
	}{
		{"with keys", []tls.EncryptedClientHelloKey{key.TLSKey(true)}},
		{"without", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13, EncryptedClientHelloKeys: tc.keys})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := Scan(ctx, Options{Target: localTarget(l.Addr().(*net.TCPAddr).Port), Timeout: 3 * time.Second, Checks: []string{"features"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Features == nil || res.Features.ECH == nil {
				t.Fatalf("features %+v: no ECH answer", res.Features)
			}
			e := res.Features.ECH
			if tc.keys == nil {
				if e.RetryConfigs || len(e.Configs) != 0 {
					t.Errorf("ECH %+v from a server without keys", e)
				}
				return
			}
			if !e.RetryConfigs || e.Error != "" || len(e.Configs) != 1 || e.Configs[0].ConfigID != key.Config.ConfigID ||
				e.Configs[0].PublicName != "public.test" || !bytes.Equal(e.ConfigList, key.ConfigList()) {
				t.Errorf("ECH %+v, want the server's config", e)
			}
		})
	}
}
