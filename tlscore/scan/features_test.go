package scan

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestFeaturesVersusOpenSSL: the extended master secret, encrypt-then-MAC, ALPN, NPN,
// resumption and ticket lifetime of openssl s_server in three configurations, each held to
// what openssl s_client shows of the same configuration in the same run (one s_server each:
// it serves one connection at a time).
func TestFeaturesVersusOpenSSL(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	for _, tc := range []struct {
		name string
		args []string
		// alpn and npn are what s_server is configured with.
		alpn, npn []string
		tls13     bool
	}{
		{"default with ALPN", []string{"-alpn", "h2,http/1.1"}, []string{"h2", "http/1.1"}, nil, true},
		{"TLS 1.2 CBC, NPN, no tickets", []string{"-tls1_2", "-cipher", "AES128-SHA", "-no_ticket", "-nextprotoneg", "spdy/3,http/1.1"}, nil, []string{"spdy/3", "http/1.1"}, false},
		{"TLS 1.2 GCM, no ALPN", []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours, theirs := startOpenSSL(t, tc.args...), startOpenSSL(t, append([]string{"-www"}, tc.args...)...)
			res, _ := runScan(t, ours, 3*time.Second)
			f := res.Features
			if f == nil || f.ExtendedMasterSecret == nil {
				t.Fatalf("features %+v", f)
			}
			// Extended master secret, as s_client reports it.
			out := sClient(t, theirs, "-tls1_2")
			if want := strings.Contains(out, "Extended master secret: yes"); *f.ExtendedMasterSecret != want {
				t.Errorf("extended_master_secret %v, s_client %v", *f.ExtendedMasterSecret, want)
			}
			// Encrypt-then-MAC is answered only with a CBC suite: s_client -tlsextdebug shows
			// the server's extension 22.
			cbc := len(cbcSuites(suiteIDs(version(t, res, f.Version)))) > 0
			if cbc != (f.EncryptThenMAC != nil) {
				t.Errorf("encrypt_then_mac %v with CBC suites %v", f.EncryptThenMAC, cbc)
			}
			if cbc {
				want := strings.Contains(sClient(t, theirs, "-tls1_2", "-tlsextdebug", "-cipher", "AES128-SHA"), `TLS server extension "encrypt-then-mac" (id=22)`)
				if *f.EncryptThenMAC != want {
					t.Errorf("encrypt_then_mac %v, s_client %v", *f.EncryptThenMAC, want)
				}
			}
			// ALPN: each protocol alone, as s_client -alpn sees it.
			for _, p := range []string{"h2", "http/1.1", "spdy/3"} {
				want := strings.Contains(sClient(t, theirs, "-alpn", p), "ALPN protocol: "+p)
				if slices.Contains(f.ALPN, p) != want || want != slices.Contains(tc.alpn, p) {
					t.Errorf("ALPN %s: scan %v, s_client %v, configured %v", p, f.ALPN, want, tc.alpn)
				}
			}
			// NPN: the list the server advertised.
			adv := regexp.MustCompile(`Protocols advertised by server: (.*)`).FindStringSubmatch(sClient(t, theirs, "-tls1_2", "-nextprotoneg", "x"))
			var theirNPN []string
			if adv != nil {
				theirNPN = strings.Split(strings.TrimSpace(adv[1]), ", ")
			}
			if !slices.Equal(f.NPN, theirNPN) || !slices.Equal(f.NPN, tc.npn) {
				t.Errorf("NPN %v, s_client %v, configured %v", f.NPN, theirNPN, tc.npn)
			}
			// Resumption: s_client -reconnect reuses the session five times ("Reused, " and the
			// suite's own version, SSLv3 for AES128-SHA), by session ID with -no_ticket, by
			// ticket otherwise.
			reused := func(args ...string) bool {
				return strings.Contains(sClient(t, theirs, append([]string{"-reconnect"}, args...)...), "\nReused, ")
			}
			if got, want := f.SessionIDResumption, reused("-tls1_2", "-no_ticket"); got == nil || *got != want {
				t.Errorf("session_id_resumption %v, s_client %v", got, want)
			}
			// Without a ticket, -reconnect falls back to the session ID: a ticket resumption needs
			// the ticket too.
			ticket := strings.Contains(sClient(t, theirs, "-tls1_2"), "TLS session ticket lifetime hint")
			if got, want := f.TicketResumption12, ticket && reused("-tls1_2"); got == nil || *got != want {
				t.Errorf("ticket_resumption_tls12 %v, s_client %v", got, want)
			}
			if (f.TicketResumption13 != nil) != tc.tls13 {
				t.Errorf("ticket_resumption_tls13 %v with TLS 1.3 %v", f.TicketResumption13, tc.tls13)
			}
			if tc.tls13 {
				// The TLS 1.3 extensions, as s_client -tlsextdebug sees the server's ServerHello
				// and EncryptedExtensions to a hello with SNI, ALPN and status_request.
				var theirExts []string
				for _, m := range regexp.MustCompile(`TLS server extension ".*" \(id=(\d+)\)`).FindAllStringSubmatch(
					sClient(t, theirs, "-tls1_3", "-tlsextdebug", "-servername", "localhost", "-alpn", "h2,http/1.1", "-status"), -1) {
					id, _ := strconv.Atoi(m[1])
					if n := wire.ExtensionName(uint16(id)); !slices.Contains(theirExts, n) {
						theirExts = append(theirExts, n)
					}
				}
				ours := slices.Clone(f.TLS13Extensions)
				slices.Sort(ours)
				slices.Sort(theirExts)
				if !slices.Equal(ours, theirExts) {
					t.Errorf("tls13_extensions %v, s_client %v", f.TLS13Extensions, theirExts)
				}
				// s_client -reconnect does not wait for TLS 1.3's tickets, which come after the
				// handshake: the session is saved once they have come, and offered again.
				sess := filepath.Join(t.TempDir(), "session.pem")
				sClientWaiting(t, theirs, "-tls1_3", "-sess_out", sess)
				want := strings.Contains(sClient(t, theirs, "-tls1_3", "-sess_in", sess), "\nReused, TLSv1.3")
				if *f.TicketResumption13 != want {
					t.Errorf("ticket_resumption_tls13 %v, s_client %v", *f.TicketResumption13, want)
				}
			}
			// The ticket lifetime s_client is told.
			hint := regexp.MustCompile(`TLS session ticket lifetime hint: (\d+)`).FindStringSubmatch(sClientWaiting(t, theirs))
			want := 0
			if hint != nil {
				want, _ = strconv.Atoi(hint[1])
			}
			if res.Connection.TicketLifetimeS != want {
				t.Errorf("ticket_lifetime_s %d, s_client %d", res.Connection.TicketLifetimeS, want)
			}
		})
	}
}
