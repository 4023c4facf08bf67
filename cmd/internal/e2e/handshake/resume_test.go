//go:build unix

package handshake

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// resumedReport is the resumption object of `tlskit handshake --resume -o json`.
type resumedReport struct {
	TicketOffered    bool    `json:"ticket_offered"`
	TicketLifetimeS  int     `json:"ticket_lifetime_s"`
	MaxEarlyDataSize *uint32 `json:"max_early_data_size"`
	Resumed          *struct {
		Offered         string                   `json:"offered"`
		Accepted        bool                     `json:"accepted"`
		KeyExchangeMode string                   `json:"key_exchange_mode"`
		TicketAgeMs     float64                  `json:"ticket_age_ms"`
		Skipped         []string                 `json:"skipped"`
		Why             string                   `json:"why"`
		Handshake       *e2etest.HandshakeReport `json:"handshake"`
	} `json:"resumed"`
}

func resumeOf(t *testing.T, dir string, args ...string) (e2etest.HandshakeReport, resumedReport) {
	t.Helper()
	res, r := e2etest.Handshake(t, dir, append(args, "--resume")...)
	if r.Code != 0 {
		t.Fatalf("tlskit handshake --resume: exit %d\n%s", r.Code, r.Stderr)
	}
	var doc struct {
		Resumption *resumedReport `json:"resumption"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || doc.Resumption == nil || doc.Resumption.Resumed == nil {
		t.Fatalf("no resumption.resumed in %s (%v)", r.Stdout, err)
	}
	return res, *doc.Resumption
}

// TestResumeVersusOpenSSL: `tlskit handshake --resume` against openssl s_server, gnutls-serv
// and tlskit serve. The resumed handshake's message sequence equals OpenSSL's view of its own
// resumed connection (`s_client -msg`): for TLS 1.2 the second connection of `s_client
// -reconnect`; for TLS 1.3 `-sess_out` then `-sess_in`, because `-reconnect` drops each
// connection before reading the server's NewSessionTickets and so never resumes in TLS 1.3 (it
// shows five full handshakes: the reference is wrong there, not the server). With `-no_ticket`
// a TLS 1.2 s_server resumes only by session ID, which tlskit then offers in a hand-built hello
// (crypto/tls's client resumes by ticket only); a TLS 1.3 s_server with `-no_ticket` still
// sends (stateful) tickets, and both clients resume with them.
func TestResumeVersusOpenSSL(t *testing.T) {
	t.Parallel()
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	ecdsa, ecdsaKey := fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem")
	for _, tc := range []struct {
		name  string
		flags []string
		// offered is what tlskit's second hello offers; skipped what it did without.
		offered string
		skipped []string
	}{
		{"tls13", []string{"-tls1_3"}, "psk", []string{"Certificate", "CertificateVerify"}},
		{"tls13 -no_ticket", []string{"-tls1_3", "-no_ticket"}, "psk", []string{"Certificate", "CertificateVerify"}},
		{"tls12", []string{"-tls1_2"}, "ticket", []string{"Certificate", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange"}},
		{"tls12 -no_ticket", []string{"-tls1_2", "-no_ticket"}, "session_id", []string{"Certificate", "ServerKeyExchange", "ServerHelloDone", "ClientKeyExchange"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, tc.flags...)
			first, rs := resumeOf(t, dir, srv.Localhost(), "--ca", ca)
			r := rs.Resumed
			ref, reused := opensslResumed(t, dir, srv.Port, tc.flags[0])
			if !reused {
				t.Fatalf("openssl s_client did not resume against s_server %v: the reference has nothing to compare", tc.flags)
			}
			if r.Offered != tc.offered {
				t.Fatalf("offered %q (%s), want %q", r.Offered, r.Why, tc.offered)
			}
			if !r.Accepted || !slices.Equal(r.Skipped, tc.skipped) || r.Handshake == nil {
				t.Fatalf("resumed %+v, want accepted, skipping %v", r, tc.skipped)
			}
			if tc.offered == "psk" && r.KeyExchangeMode != "psk_dhe_ke" {
				t.Errorf("key exchange mode %q: s_server defaults to psk_dhe_ke", r.KeyExchangeMode)
			}
			got := upToClientFinished(comparableSteps(r.Handshake.Steps))
			want := upToClientFinished(ref)
			t.Logf("s_client's resumed connection: %s", strings.Join(want, ", "))
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("resumed sequence differs from openssl s_client's resumed connection:\ntlskit:   %s\ns_client: %s", strings.Join(got, ", "), strings.Join(want, ", "))
			}
			if ticketed := first.Resumption != nil && first.Resumption.TicketOffered; ticketed != (tc.offered != "session_id") {
				t.Errorf("the first handshake's ticket: %+v, with the second offering %s", first.Resumption, tc.offered)
			}
		})
	}

	t.Run("gnutls-serv", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.GnuTLSServer(t, dir, ecdsa, ecdsaKey)
		_, rs := resumeOf(t, dir, srv.Localhost(), "--ca", ca)
		if r := rs.Resumed; r.Offered != "psk" || !r.Accepted || r.KeyExchangeMode == "" || !slices.Contains(r.Skipped, "Certificate") {
			t.Errorf("resumed %+v", r)
		}
	})
	t.Run("tlskit serve", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		s := e2etest.StartServe(t, dir, "--cert", ecdsa, "--key", ecdsaKey, "--tls-max", "1.2")
		_, rs := resumeOf(t, dir, "localhost:"+s.Port, "--ca", ca)
		if r := rs.Resumed; r.Offered != "ticket" || !r.Accepted || !slices.Contains(r.Skipped, "Certificate") {
			t.Errorf("resumed %+v", r)
		}
		text := e2etest.Tlskit(t, dir, "handshake", "localhost:"+s.Port, "--ca", ca, "--resume")
		e2etest.MustContain(t, "text", text, "resumption (a second handshake offering the first one's session", "offered         the TLS 1.2 session ticket",
			"accepted        yes: the server resumed the session", "skipped         Certificate, ServerKeyExchange, ServerHelloDone, ClientKeyExchange", "saved ")
	})
}

// opensslResumed is OpenSSL's view of its own resumed connection to the server: for TLS 1.2 the
// second connection of `s_client -reconnect -msg`; for TLS 1.3 a `-sess_in` connection with the
// session a first `-sess_out` one saved after reading the tickets (see TestResumeVersusOpenSSL).
// reused is s_client's own "Reused" line.
func opensslResumed(t *testing.T, dir, port, versionFlag string) (steps []e2etest.Step, reused bool) {
	t.Helper()
	run := func(stdinWait time.Duration, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "openssl", append([]string{"s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost", versionFlag}, args...)...)
		c.Dir = dir
		c.Env = peertest.OpenSSLEnv
		// s_client ends when its stdin does; a first connection that must read the tickets
		// keeps it open a moment.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		c.Stdin = pr
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		pr.Close()
		time.Sleep(stdinWait)
		pw.Close()
		_ = c.Wait()
		if ctx.Err() != nil {
			t.Fatalf("openssl s_client timed out:\n%s", out.String())
		}
		return out.String()
	}
	var trace string
	if versionFlag == "-tls1_3" {
		run(time.Second, "-sess_out", "sess.pem")
		trace = run(0, "-sess_in", "sess.pem", "-msg")
	} else {
		all := run(0, "-reconnect", "-msg")
		parts := strings.Split(all, "drop connection and then reconnect")
		if len(parts) < 3 {
			t.Fatalf("s_client -reconnect made fewer than two reconnections:\n%s", all)
		}
		trace = parts[1]
	}
	for _, line := range strings.Split(trace, "\n") {
		if strings.HasPrefix(line, "Reused,") {
			reused = true
		}
		m := msgLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		d := "sent"
		if m[1] == "<<<" {
			d = "received"
		}
		switch m[2] {
		case "Handshake":
			steps = append(steps, e2etest.Step{Direction: d, Message: opensslNames[m[4]]})
		case "ChangeCipherSpec":
			steps = append(steps, e2etest.Step{Direction: d, Message: "ChangeCipherSpec"})
		}
	}
	return comparableSteps(steps), reused
}
