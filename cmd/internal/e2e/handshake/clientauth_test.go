//go:build unix

package handshake

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of what tlskit shows of a server that requires a client certificate when none
// is given: the server sends its own chain first and refuses afterwards (TLS 1.2: an alert
// during the handshake; TLS 1.3: an alert after the client's Finished, the chain having come
// encrypted). `handshake` fails (exit 1, the alert named) but still shows that chain and its
// verification, `handshake --pem` prints it, and `inspect HOST:PORT` reads it. OpenSSL's
// s_client -showcerts, which prints the chain before the refusal too, is the reference for the
// chain and its verdict.

func TestChainBeforeClientCertRefusal(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	cert, key := fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem")

	cases := []struct {
		name  string
		alert string // the refusal, as tlskit names the alert
		start func(t *testing.T, dir string) string
	}{
		{"openssl-tls13", "certificate_required", func(t *testing.T, dir string) string {
			return peertest.OpenSSLServer(t, dir, cert, key, "-tls1_3", "-Verify", "1", "-CAfile", ca).Port
		}},
		{"openssl-tls12", "handshake_failure", func(t *testing.T, dir string) string {
			return peertest.OpenSSLServer(t, dir, cert, key, "-tls1_2", "-Verify", "1", "-CAfile", ca).Port
		}},
		{"tlskit-serve-tls13", "certificate_required", func(t *testing.T, dir string) string {
			return e2etest.StartServe(t, dir, "--client-auth", "require", "--client-ca", ca, "--cert", cert, "--key", key).Port
		}},
		{"tlskit-serve-tls12", "", func(t *testing.T, dir string) string {
			return e2etest.StartServe(t, dir, "--client-auth", "require", "--client-ca", ca, "--cert", cert, "--key", key, "--tls-max", "1.2").Port
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			port := c.start(t, dir)
			target := "localhost:" + port

			// The reference: the chain s_client was sent, and its verdict on it.
			ref := e2etest.Exec(t, dir, "", nil, "openssl", "s_client", "-connect", "127.0.0.1:"+port, "-servername", "localhost",
				"-verify_hostname", "localhost", "-CAfile", ca, "-showcerts")
			want := e2etest.PEMBlocks([]byte(ref.Stdout), "CERTIFICATE")
			if len(want) == 0 {
				t.Fatalf("openssl s_client printed no chain:\n%s%s", ref.Stdout, ref.Stderr)
			}
			m := regexp.MustCompile(`Verify return code: (\d+)`).FindStringSubmatch(ref.Stdout + ref.Stderr)
			if m == nil {
				t.Fatalf("openssl s_client gave no verify return code:\n%s%s", ref.Stdout, ref.Stderr)
			}
			osslVerified := m[1] == "0"

			// handshake -o json: failed, with the chain and its verification.
			res, r := e2etest.Handshake(t, dir, target, "--ca", ca)
			if r.Code != 1 {
				t.Errorf("handshake: exit %d, want 1 (the server refused the handshake)\nstderr:\n%s", r.Code, r.Stderr)
			}
			oneLineError(t, "handshake", r.Stderr)
			if res.Error == "" || !strings.Contains(res.Error, c.alert) || !strings.Contains(res.Error, "client certificate") {
				t.Errorf("handshake: JSON error %q should name the alert %q and the missing client certificate", res.Error, c.alert)
			}
			if len(res.Chain) != len(want) {
				t.Errorf("BUG: handshake -o json shows %d certificates of a refused handshake; openssl s_client was sent %d", len(res.Chain), len(want))
			}
			if res.Verification == nil {
				t.Errorf("BUG: handshake -o json has no verification of the chain the server sent")
			} else if res.Verification.Verified != osslVerified {
				t.Errorf("verification.verified %t (%s), openssl s_client says verify return code %s", res.Verification.Verified, res.Verification.Error, m[1])
			}

			// The text report shows the same.
			out, _, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "handshake", target, "--ca", ca)
			if code != 1 || !strings.Contains(out, "─ CN=localhost (leaf)") || !strings.Contains(out, "verification  OK: ") {
				t.Errorf("handshake text: exit %d, want 1 with the chain and its verification:\n%s", code, out)
			}

			// handshake --pem: the chain as sent, byte for byte as s_client got it.
			out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", target, "--ca", ca, "--pem")
			if code != 1 {
				t.Errorf("handshake --pem: exit %d, want 1", code)
			}
			oneLineError(t, "handshake --pem", errOut)
			sameChain(t, "handshake --pem", e2etest.PEMBlocks([]byte(out), "CERTIFICATE"), want)

			// inspect HOST:PORT reads the chain: it is what was asked for; the refusal is a warning.
			out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", "127.0.0.1:"+port, "-o", "pem")
			if code != 0 {
				t.Errorf("inspect -o pem: exit %d, want 0\nstderr:\n%s", code, errOut)
			}
			// In TLS 1.3 the refusal comes after the client's side of the handshake is done, and
			// only what arrives within the short wait for session tickets is seen: on a loaded
			// machine it may come later, and then there is nothing to warn about.
			warned := strings.HasPrefix(errOut, "tlskit: warning: ") && strings.Count(errOut, "\n") == 1 && strings.Contains(errOut, "client certificate")
			if !warned && (errOut != "" || !strings.Contains(c.name, "tls13")) {
				t.Errorf("inspect: stderr should be one warning about the client certificate, got %q", errOut)
			}
			sameChain(t, "inspect -o pem", e2etest.PEMBlocks([]byte(out), "CERTIFICATE"), want)
			out, _, _ = e2etest.RunTlskit(t, dir, nil, "inspect", "127.0.0.1:"+port, "-o", "json")
			// Only the subjects are read here; cmd/internal/e2e/inspect holds the whole schema.
			var rep struct {
				Items []struct {
					Certificate *struct {
						Subject string `json:"subject"`
					} `json:"certificate"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("inspect -o json: %v\n%s", err, out)
			}
			if len(rep.Items) != len(want) || rep.Items[0].Certificate == nil || rep.Items[0].Certificate.Subject != "CN=localhost" {
				t.Errorf("inspect -o json: %d items, want the %d certificates with CN=localhost first:\n%s", len(rep.Items), len(want), out)
			}
		})
	}
}

// sameChain checks a chain tlskit printed against the one OpenSSL got, certificate by certificate.
func sameChain(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("BUG: %s printed %d certificates; openssl s_client was sent %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("%s: certificate %d differs from the one openssl s_client was sent", what, i)
		}
	}
}
