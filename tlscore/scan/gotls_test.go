package scan

import (
	"crypto/tls"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

func TestGoTLSServer(t *testing.T) {
	t.Parallel()
	_, _, rsaPair := testCert(t, "rsa")
	_, _, ecPair := testCert(t, "ecdsa")
	var tls12 []uint16
	for _, cs := range tls.CipherSuites() {
		if slices.Contains(cs.SupportedVersions, tls.VersionTLS12) {
			tls12 = append(tls12, cs.ID)
		}
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{rsaPair, ecPair},
		CipherSuites: tls12,
	}
	l := goTLSServer(t, cfg)
	res, d := runScan(t, l.Addr().(*net.TCPAddr).Port, 3*time.Second)
	t.Logf("scan took %v, %d probes", d, res.Probes)
	supportedOnly(t, res, "TLS 1.2", "TLS 1.3")

	// Expected: crypto/tls's suites intersected with the table we offer.
	var want12, want13 []uint16
	for _, cs := range tls.CipherSuites() {
		if _, ok := wire.CipherSuiteByID(cs.ID); !ok {
			continue
		}
		if slices.Contains(cs.SupportedVersions, tls.VersionTLS13) {
			want13 = append(want13, cs.ID)
		} else {
			want12 = append(want12, cs.ID)
		}
	}
	slices.Sort(want12)
	slices.Sort(want13)
	if got := sortedIDs(version(t, res, "TLS 1.2")); !slices.Equal(got, want12) {
		t.Errorf("TLS 1.2 suites = %04x, want %04x", got, want12)
	}
	if got := sortedIDs(version(t, res, "TLS 1.3")); !slices.Equal(got, want13) {
		t.Errorf("TLS 1.3 suites = %04x, want %04x", got, want13)
	}
	supported := map[string]bool{}
	for _, g := range res.Groups {
		supported[g.Name] = g.Supported
	}
	for _, g := range []string{"x25519", "P-256", "P-384", "P-521", "X25519MLKEM768"} {
		if !supported[g] {
			t.Errorf("group %s not detected (groups %+v)", g, res.Groups)
		}
	}
	if !res.HelloRetryRequest {
		t.Errorf("HelloRetryRequest not detected")
	}
}
