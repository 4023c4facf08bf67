package handshake

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestHandshakeChainBeforeRefusal checks that a handshake the server refuses after sending its
// Certificate (one that requires a client certificate, none given) still reports that chain,
// judged, while failing: in TLS 1.2 crypto/tls fails during the handshake and the chain comes
// from the recorded transcript; in TLS 1.3 the refusal is an alert after the client's Finished,
// and the chain was decrypted from the recording. A refusal before any Certificate shows none.
func TestHandshakeChainBeforeRefusal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		version   uint16
		alert     string // the alert the server refuses with, as the steps show it
		early     bool   // the server refuses before it sends a certificate
		wantChain bool
	}{
		{name: "tls13", version: tls.VersionTLS13, alert: "certificate_required", wantChain: true},
		{name: "tls12", version: tls.VersionTLS12, alert: "handshake_failure", wantChain: true},
		{name: "refused-before-certificate", version: tls.VersionTLS13, early: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
				if tc.early {
					if _, err := peertest.ReadRecord(c); err == nil {
						c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}) // fatal handshake_failure
					}
					return
				}
				cfg := peertest.ServerConfig(t)
				cfg.ClientAuth = tls.RequireAnyClientCert
				cfg.MaxVersion = tc.version
				tc := tls.Server(c, cfg)
				tc.SetDeadline(time.Now().Add(5 * time.Second))
				tc.Handshake()
			})
			res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), Roots: peertest.Roots(t), Timeout: 5 * time.Second})
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("Handshake: %v (%T), want a *handshake.Error", err, err)
			}
			if tc.alert != "" && !strings.Contains(err.Error(), tc.alert) {
				t.Errorf("error %q does not name the alert %s", err, tc.alert)
			}
			if res.Version != "" {
				t.Errorf("a refused handshake reports version %q", res.Version)
			}
			if !tc.wantChain {
				if len(res.PeerCertificates) != 0 || len(res.Chain) != 0 || res.Verification != nil {
					t.Errorf("chain %v, verification %+v reported although the server sent no certificate", res.Chain, res.Verification)
				}
				return
			}
			want := peertest.Certificate(t).Leaf
			if len(res.PeerCertificates) != 1 || !res.PeerCertificates[0].Equal(want) {
				t.Fatalf("peer certificates %v, want the server's one certificate", res.PeerCertificates)
			}
			if len(res.Chain) != 1 || res.Chain[0].Subject != "CN=tlskit test peer" {
				t.Errorf("chain %+v, want the server's certificate described", res.Chain)
			}
			if v := res.Verification; v == nil || !v.Verified || !v.HostnameOK {
				t.Errorf("verification %+v, want the chain verified against its root for 127.0.0.1", v)
			}
		})
	}
}
