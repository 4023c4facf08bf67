package scan

import (
	"crypto/tls"
	"slices"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// groupDroppingServer is a Go TLS server behind a front that resets every connection whose
// ClientHello offers only one group, one of drop: for those groups the scan gets no answer at
// all, for every other one the server's real answer.
func groupDroppingServer(t *testing.T, drop ...uint16) int {
	t.Helper()
	_, _, pair := testCert(t, "ecdsa")
	backend := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}})
	return helloFront(t, backend, func(_, body []byte) frontAction {
		if len(body) > 4 {
			if ch, err := wire.ParseClientHello(body[4:]); err == nil && len(ch.SupportedGroups) == 1 && slices.Contains(drop, ch.SupportedGroups[0]) {
				return frontReset
			}
		}
		return frontForward
	})
}

// TestGroupProbeInconclusive checks that a group whose probes get no answer is reported as
// inconclusive, not as refused, that a group the server really refuses is still refused, and
// that the post-quantum finding is not made on an unanswered probe.
func TestGroupProbeInconclusive(t *testing.T) {
	t.Parallel()
	mlkem := []uint16{wire.GroupX25519MLKEM768, wire.GroupSecP256r1MLKEM768, wire.GroupSecP384r1MLKEM1024}
	for _, tc := range []struct {
		name string
		drop []uint16
		pq   bool // every post-quantum group dropped
	}{
		{"P-384 dropped", []uint16{wire.GroupSecp384r1}, false},
		{"post-quantum groups dropped", mlkem, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, _ := runScan(t, groupDroppingServer(t, tc.drop...), 3*time.Second)
			byID := map[uint16]GroupResult{}
			for _, g := range res.Groups {
				byID[g.ID] = g
			}
			for _, id := range tc.drop {
				if g := byID[id]; g.Supported || !g.Inconclusive {
					t.Errorf("dropped group %s: %+v, want inconclusive and not supported", wire.GroupName(id), g)
				}
			}
			if g := byID[wire.GroupX25519]; !g.Supported || g.Inconclusive {
				t.Errorf("x25519: %+v, want supported", g)
			}
			// Go's TLS server has no x448: a refusal it says, so conclusive.
			if g := byID[wire.GroupX448]; g.Supported || g.Inconclusive {
				t.Errorf("x448: %+v, want refused, not inconclusive", g)
			}
			for _, f := range Findings(res) {
				if f.ID == "no-post-quantum" && tc.pq {
					t.Errorf("finding %q made although the post-quantum probe got no answer", f.Message)
				}
			}
		})
	}
}
