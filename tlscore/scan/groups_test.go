package scan

import (
	"context"
	"crypto/tls"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
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

// TestTLS12CurvesBehindECDSA: a TLS 1.2 server with a P-256 ECDSA certificate takes x25519,
// P-384, P-521 and x448 for ECDHE as well as P-256, but only from a client that also offers
// P-256, the certificate's curve (supported_groups governs both in TLS 1.2). Offering each curve
// alone found only P-256. The reference is openssl s_client -groups CURVE:P-256, whose "Server
// Temp Key" names the curve the server used; sslscan (2.0.7) offers each curve alone and reports
// P-256 only, which is why it is not the reference here.
func TestTLS12CurvesBehindECDSA(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	args := []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}
	port := startOpenSSLWith(t, "ecdsa", args...)
	ref := startOpenSSLWith(t, "ecdsa", args...)
	res, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, g := range res.Groups {
		ours[g.Name] = g.Supported
	}
	for _, c := range []struct{ name, openssl, temp string }{
		{"x25519", "X25519", "X25519"}, {"P-256", "P-256", "prime256v1"}, {"P-384", "P-384", "secp384r1"},
		{"P-521", "P-521", "secp521r1"}, {"x448", "X448", "X448"},
	} {
		groups := c.openssl + ":P-256"
		if c.openssl == "P-256" {
			groups = "P-256" // a group twice is refused
		}
		cmd := exec.Command(openssl, "s_client", "-connect", "127.0.0.1:"+itoa(ref), "-tls1_2", "-groups", groups)
		cmd.Stdin = strings.NewReader("")
		cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
		out, _ := cmd.CombinedOutput()
		theirs := strings.Contains(string(out), "Server Temp Key: ") && strings.Contains(string(out), c.temp)
		if !theirs {
			t.Errorf("s_client -groups %s did not see the server use %s:\n%s", groups, c.name, out)
		}
		if ours[c.name] != theirs {
			t.Errorf("%s: scan says supported=%v, s_client says %v (groups %+v)", c.name, ours[c.name], theirs, res.Groups)
		}
	}
}

// TestTLS12FFDHE: RFC 7919 FFDHE groups in TLS 1.2, where the client's supported_groups picks
// the DHE prime. gnutls-serv takes every one (gnutls-cli, the reference, run with one group
// each: "(DHE-FFDHE4096)" in its session description), openssl s_server 3.0 none (it answers
// with RFC 3526 group 14 whatever is offered). Both also have TLS 1.2 curves, found though
// their TLS 1.3 is not what is asked here.
func TestTLS12FFDHE(t *testing.T) {
	t.Parallel()
	gnutlsCLI := peertest.Need(t, "gnutls-cli")
	certFile, keyFile, _ := testCert(t, "rsa")
	gnutls := peertest.GnuTLSServer(t, "", certFile, keyFile, "--priority", "NORMAL:+DHE-RSA")
	port, _ := strconv.Atoi(gnutls.Port)
	ossl := startOpenSSL(t, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
	for _, tc := range []struct {
		name  string
		port  int
		ffdhe bool
	}{{"gnutls-serv", port, true}, {"openssl s_server", ossl, false}} {
		res, err := Scan(context.Background(), Options{Target: localTarget(tc.port), Timeout: 3 * time.Second})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := map[string]bool{}
		for _, g := range res.TLS12Groups {
			got[g.Name] = g.Supported
			if g.Version != "TLS 1.2" {
				t.Errorf("%s: %s probed at %s, want TLS 1.2", tc.name, g.Name, g.Version)
			}
		}
		for _, c := range []string{"x25519", "P-256", "P-384"} {
			if !got[c] {
				t.Errorf("%s: TLS 1.2 curve %s not found (%+v)", tc.name, c, res.TLS12Groups)
			}
		}
		for _, g := range []string{"ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192"} {
			if got[g] != tc.ffdhe {
				t.Errorf("%s: TLS 1.2 %s supported=%v, want %v", tc.name, g, got[g], tc.ffdhe)
			}
			if !tc.ffdhe {
				continue
			}
			cmd := exec.Command(gnutlsCLI, "--insecure", "--port", gnutls.Port, "127.0.0.1",
				"--priority", "NORMAL:-VERS-TLS1.3:-KX-ALL:+DHE-RSA:-GROUP-ALL:+GROUP-"+strings.ToUpper(g))
			cmd.Stdin = strings.NewReader("")
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), "(DHE-"+strings.ToUpper(g)+")") {
				t.Errorf("gnutls-cli with %s only did not negotiate it:\n%s", g, out)
			}
		}
	}
}

// TestTLS12CurvesPerCertificate: a server with an RSA and an ECDSA certificate is probed for
// its curves with each kind of suite apart, and each is held to openssl s_client (the
// reference) asking for that curve with that kind of suite.
func TestTLS12CurvesPerCertificate(t *testing.T) {
	t.Parallel()
	openssl := peertest.NeedOpenSSL3(t)
	rsaCert, rsaKey, _ := testCert(t, "rsa")
	ecCert, ecKey, _ := testCert(t, "ecdsa")
	srv := peertest.OpenSSLServer(t, "", rsaCert, rsaKey, "-dcert", ecCert, "-dkey", ecKey, "-tls1_2",
		"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256")
	port, _ := strconv.Atoi(srv.Port)
	res, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]bool{}
	for _, g := range res.TLS12Groups {
		ours[g.Auth+" "+g.Name] = g.Supported
	}
	for _, auth := range []struct{ name, cipher string }{{"RSA", "ECDHE-RSA-AES128-GCM-SHA256"}, {"ECDSA", "ECDHE-ECDSA-AES128-GCM-SHA256"}} {
		for _, c := range []struct{ name, openssl, temp string }{{"x25519", "X25519", "X25519"}, {"P-384", "P-384", "secp384r1"}, {"x448", "X448", "X448"}} {
			groups := c.openssl
			if auth.name == "ECDSA" {
				groups += ":P-256" // the certificate's curve
			}
			cmd := exec.Command(openssl, "s_client", "-connect", srv.Addr(), "-tls1_2", "-cipher", auth.cipher, "-groups", groups)
			cmd.Stdin = strings.NewReader("")
			cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
			out, _ := cmd.CombinedOutput()
			theirs := strings.Contains(string(out), "Server Temp Key: ") && strings.Contains(string(out), c.temp)
			if got := ours[auth.name+" "+c.name]; got != theirs {
				t.Errorf("%s %s: scan says %v, s_client -cipher %s -groups %s says %v", auth.name, c.name, got, auth.cipher, groups, theirs)
			}
		}
	}
	if len(res.Groups) != 5 {
		t.Errorf("groups (without TLS 1.3, the TLS 1.2 curves, once each): %+v", res.Groups)
	}
}
