//go:build unix

package handshake

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of `tlskit handshake` against real TLS peers on loopback: OpenSSL 3's
// s_server (and s_client, whose -msg trace is the reference for the message sequence) and
// GnuTLS's gnutls-serv. Every certificate is made by the tlskit binary itself. Servers listen on
// 127.0.0.1 (gnutls-serv has no option to choose its address and listens on every interface;
// the tests still only ever connect to 127.0.0.1), each in its own process group that is killed
// when the test ends.
//
// The reference servers start through peertest.OpenSSLServer and peertest.GnuTLSServer.
//
// The certificates are made once for the package (certs) and referenced by absolute path; every
// case runs as a parallel subtest in its own t.TempDir().

// fixture is the set of certificates every case draws from.
type fixture struct {
	dir string
}

// path is the absolute path of a fixture file.
func (f fixture) path(name string) string { return filepath.Join(f.dir, name) }

// certs is made once for the package's tests, which only read it.
var certs = e2etest.NewFixture("certs", func(t testing.TB, dir string) {
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "--ca-dir", "ca", "--out", "ecdsa.pem", "--key-out", "ecdsa-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "--ca-dir", "ca", "--key-type", "rsa-2048", "--out", "rsa.pem", "--key-out", "rsa-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "client.test", "--client", "--ca-dir", "ca", "--out", "client.pem", "--key-out", "client-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "other.test", "--ca-dir", "ca", "--out", "other.pem", "--key-out", "other-key.pem")
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "127.0.0.1", "--out", "self.pem", "--key-out", "self-key.pem")
})

func makeFixture(t *testing.T) fixture {
	t.Helper()
	return fixture{dir: certs.Dir(t)}
}

// without drops the steps named in names (e.g. TLS 1.3's middlebox ChangeCipherSpecs).
func without(steps []e2etest.Step, names ...string) []e2etest.Step {
	var out []e2etest.Step
	for _, s := range steps {
		if !contains(names, s.Message) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// expectSeq checks steps against want, each "sent Name" or "received Name", with "*" for an
// encrypted message; a trailing "?" makes one optional.
func expectSeq(t *testing.T, what string, steps []e2etest.Step, want []string) {
	t.Helper()
	got := strings.Split(e2etest.Seq(steps), ", ")
	i := 0
	for _, w := range want {
		optional := strings.HasSuffix(w, "?")
		w = strings.TrimSuffix(w, "?")
		if i < len(got) && got[i] == w {
			i++
			continue
		}
		if optional {
			continue
		}
		t.Errorf("%s: message sequence\n got: %s\nwant: %s\n(first difference at %q)", what, strings.Join(got, ", "), strings.Join(want, ", "), w)
		return
	}
	if i != len(got) {
		t.Errorf("%s: message sequence has extra messages\n got: %s\nwant: %s", what, strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// find returns the first step with a direction and message name.
func find(steps []e2etest.Step, dir, name string) *e2etest.Step {
	for i := range steps {
		if steps[i].Direction == dir && steps[i].Message == name {
			return &steps[i]
		}
	}
	return nil
}

func hasDetails(s *e2etest.Step) bool {
	return s != nil && len(s.Details) > 0 && string(s.Details) != "null"
}

// oneLineError checks that stderr is one tlskit error line, optionally followed by the one
// "tlskit: hint: ..." line docs/exit-codes.md allows.
func oneLineError(t *testing.T, what, stderr string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	ok := strings.HasSuffix(stderr, "\n") && strings.HasPrefix(lines[0], "tlskit: ") &&
		!strings.HasPrefix(lines[0], "tlskit: warning: ") &&
		(len(lines) == 1 || len(lines) == 2 && strings.HasPrefix(lines[1], "tlskit: hint: "))
	if !ok {
		t.Errorf("%s: stderr should be one line starting \"tlskit: \" (and at most a hint line), got %q", what, stderr)
	}
}

// checkTLS13 checks a complete TLS 1.3 handshake with an s_server-like peer: the exact message
// order (the middlebox ChangeCipherSpecs aside), what was encrypted, and that every encrypted
// message was decrypted and decoded.
func checkTLS13(t *testing.T, what string, res e2etest.HandshakeReport) {
	t.Helper()
	if res.Version != "TLS 1.3" {
		t.Errorf("%s: version %q, want TLS 1.3", what, res.Version)
	}
	if res.CipherSuite == "" || res.KeyExchange == "" {
		t.Errorf("%s: cipher_suite %q, key_exchange %q: both should be set", what, res.CipherSuite, res.KeyExchange)
	}
	steps := without(res.Steps, "ChangeCipherSpec")
	// Everything after the client's Finished must be session tickets.
	var tickets int
	cut := len(steps)
	for i, s := range steps {
		if s.Direction == "sent" && s.Message == "Finished" {
			cut = i + 1
			break
		}
	}
	for _, s := range steps[cut:] {
		if s.Direction == "received" && s.Message == "NewSessionTicket" && s.Encrypted {
			tickets++
		} else {
			t.Errorf("%s: after the client Finished, unexpected step %s %s (encrypted %t)", what, s.Direction, s.Message, s.Encrypted)
		}
	}
	if tickets == 0 {
		t.Errorf("%s: no encrypted NewSessionTicket received; steps: %s", what, e2etest.Seq(res.Steps))
	}
	if res.Resumption == nil || !res.Resumption.TicketOffered {
		t.Errorf("%s: resumption.ticket_offered should be true", what)
	}
	expectSeq(t, what, steps[:cut], []string{
		"sent ClientHello", "received ServerHello", "received EncryptedExtensions*", "received Certificate*",
		"received CertificateVerify*", "received Finished*", "sent Finished*",
	})
	for _, s := range steps {
		if s.Encrypted && !hasDetails(&s) {
			t.Errorf("%s: encrypted %s %s was not decoded (no details; summary %q)", what, s.Direction, s.Message, s.Summary)
		}
	}
	// TLS 1.3's ChangeCipherSpecs are only for middleboxes: at most one each way, never encrypted.
	for _, dir := range []string{"sent", "received"} {
		n := 0
		for _, s := range res.Steps {
			if s.Message == "ChangeCipherSpec" && s.Direction == dir {
				n++
				if s.Encrypted {
					t.Errorf("%s: encrypted ChangeCipherSpec", what)
				}
			}
		}
		if n > 1 {
			t.Errorf("%s: %d ChangeCipherSpecs %s", what, n, dir)
		}
	}
}

// TestHandshake runs `tlskit handshake` against real servers.
func TestMain(m *testing.M) { e2etest.Main(m) }

func TestHandshake(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	e2etest.Localhost(t)
	t.Parallel()
	fx := makeFixture(t)
	ca := fx.path("ca/ca.pem")
	ecdsa, ecdsaKey := fx.path("ecdsa.pem"), fx.path("ecdsa-key.pem")
	rsa, rsaKey := fx.path("rsa.pem"), fx.path("rsa-key.pem")

	// 1. TLS 1.3 with an ECDSA and with an RSA certificate.
	for _, kt := range []struct{ name, cert, key, sig string }{
		{"ecdsa", ecdsa, ecdsaKey, "ecdsa_secp256r1_sha256"},
		{"rsa", rsa, rsaKey, "rsa_pss_rsae_sha256"},
	} {
		t.Run("tls13/"+kt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, kt.cert, kt.key)
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
			checkTLS13(t, "TLS 1.3 "+kt.name, res)
			e2etest.CheckVerified(t, "TLS 1.3 "+kt.name, res)
			if cv := find(res.Steps, "received", "CertificateVerify"); cv == nil || !strings.Contains(cv.Summary, kt.sig) {
				t.Errorf("CertificateVerify %+v: want signed with %s", cv, kt.sig)
			}
			if s := find(res.Steps, "received", "Certificate"); s == nil || !strings.Contains(s.Summary, "CN=localhost") {
				t.Errorf("received Certificate step %+v: want the leaf CN=localhost in its summary", s)
			}
		})
	}

	// 2. TLS 1.2 with an ECDSA and with an RSA certificate.
	for _, kt := range []struct{ name, cert, key, suite string }{
		{"ecdsa", ecdsa, ecdsaKey, "TLS_ECDHE_ECDSA_"},
		{"rsa", rsa, rsaKey, "TLS_ECDHE_RSA_"},
	} {
		t.Run("tls12/"+kt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, kt.cert, kt.key, "-tls1_2")
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
			if res.Version != "TLS 1.2" || !strings.HasPrefix(res.CipherSuite, kt.suite) || res.KeyExchange == "" {
				t.Errorf("version %q, cipher_suite %q, key_exchange %q; want TLS 1.2, %s*, a key exchange", res.Version, res.CipherSuite, res.KeyExchange, kt.suite)
			}
			e2etest.CheckVerified(t, "TLS 1.2 "+kt.name, res)
			expectSeq(t, "TLS 1.2 "+kt.name, res.Steps, []string{
				"sent ClientHello", "received ServerHello", "received Certificate", "received ServerKeyExchange",
				"received ServerHelloDone", "sent ClientKeyExchange", "sent ChangeCipherSpec", "sent Finished*",
				"received NewSessionTicket?", "received ChangeCipherSpec", "received Finished*",
			})
			for _, name := range []string{"ServerHello", "Certificate", "ServerKeyExchange"} {
				if s := find(res.Steps, "received", name); !hasDetails(s) {
					t.Errorf("received %s has no details: %+v", name, s)
				}
			}
		})
	}

	// 3. TLS 1.0 and 1.1 need --tls-min; without it the handshake fails cleanly.
	for _, v := range []struct{ flag, version string }{{"-tls1", "TLS 1.0"}, {"-tls1_1", "TLS 1.1"}} {
		t.Run("legacy/"+v.version, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, v.flag, "-cipher", "DEFAULT:@SECLEVEL=0")
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--tls-min", "1.0")
			if res.Version != v.version || res.CipherSuite == "" {
				t.Errorf("version %q, cipher_suite %q; want %s and a suite", res.Version, res.CipherSuite, v.version)
			}
			e2etest.CheckVerified(t, v.version, res)
			expectSeq(t, v.version, res.Steps, []string{
				"sent ClientHello", "received ServerHello", "received Certificate", "received ServerKeyExchange",
				"received ServerHelloDone", "sent ClientKeyExchange", "sent ChangeCipherSpec", "sent Finished*",
				"received NewSessionTicket?", "received ChangeCipherSpec", "received Finished*",
			})

			out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca)
			if code != 1 {
				t.Errorf("without --tls-min: exit %d, want 1\nstdout:\n%s", code, out)
			}
			oneLineError(t, "without --tls-min", errOut)
			if !strings.Contains(errOut, "protocol_version") {
				t.Errorf("without --tls-min: error %q should name the server's protocol_version alert", errOut)
			}
			if !strings.Contains(errOut, "tlskit: hint: ") || !strings.Contains(errOut, "--tls-min 1.0") {
				t.Errorf("without --tls-min: stderr %q should hint --tls-min", errOut)
			}
			if !strings.Contains(out, "\nfailed: ") {
				t.Errorf("without --tls-min: the text output should end with the error:\n%s", out)
			}
			jr, r := e2etest.Handshake(t, dir, srv.Localhost(), "--ca", ca)
			if r.Code != 1 || jr.Error == "" || jr.Version != "" {
				t.Errorf("-o json without --tls-min: exit %d, error %q, version %q; want exit 1, an error and no version", r.Code, jr.Error, jr.Version)
			}
			if a := find(jr.Steps, "received", "Alert"); a == nil || !strings.Contains(a.Summary, "protocol_version") {
				t.Errorf("-o json without --tls-min: want a received protocol_version Alert step; steps: %s", e2etest.Seq(jr.Steps))
			}
		})
	}

	// 4. ChaCha20-Poly1305 only: the records are still decrypted.
	t.Run("chacha20", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
		res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
		if res.CipherSuite != "TLS_CHACHA20_POLY1305_SHA256" {
			t.Errorf("cipher_suite %q, want TLS_CHACHA20_POLY1305_SHA256", res.CipherSuite)
		}
		checkTLS13(t, "ChaCha20", res)
		e2etest.CheckVerified(t, "ChaCha20", res)
		if c := find(res.Steps, "received", "Certificate"); !hasDetails(c) || !c.Encrypted {
			t.Errorf("received Certificate should be encrypted and decoded: %+v", c)
		}
	})

	// 5. ALPN.
	t.Run("alpn", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-alpn", "h2,http/1.1")
		res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--alpn", "h2")
		if res.ALPN != "h2" {
			t.Errorf("alpn %q, want h2", res.ALPN)
		}
		if ee := find(res.Steps, "received", "EncryptedExtensions"); ee == nil || !strings.Contains(ee.Summary, "ALPN h2") {
			t.Errorf("EncryptedExtensions %+v should say ALPN h2", ee)
		}
		if ch := find(res.Steps, "sent", "ClientHello"); ch == nil || !strings.Contains(ch.Summary, "ALPN h2") {
			t.Errorf("ClientHello %+v should offer ALPN h2", ch)
		}
	})

	// 6. A server that requires a client certificate.
	for _, v := range []struct{ name, flag string }{{"tls13", "-tls1_3"}, {"tls12", "-tls1_2"}} {
		t.Run("client-auth/"+v.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, v.flag, "-Verify", "1", "-CAfile", ca)
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--cert", fx.path("client.pem"), "--key", fx.path("client-key.pem"))
			if auth := res.ClientAuth; auth == nil || !auth.Requested || !auth.CertificateSent {
				t.Errorf("client_auth %+v: want requested and certificate_sent", auth)
			} else if !slices.Contains(auth.SignatureSchemes, "ecdsa_secp256r1_sha256") || strings.Contains(strings.Join(auth.SignatureSchemes, " "), "SignatureScheme(") {
				// IANA names, as the timeline's CertificateRequest shows them; not Go's constant names.
				t.Errorf("client_auth.signature_schemes %q: want IANA names such as ecdsa_secp256r1_sha256", auth.SignatureSchemes)
			}
			if cr := find(res.Steps, "received", "CertificateRequest"); !hasDetails(cr) {
				t.Errorf("no decoded CertificateRequest received; steps: %s", e2etest.Seq(res.Steps))
			}
			if c := find(res.Steps, "sent", "Certificate"); c == nil || !strings.Contains(c.Summary, "client.test") {
				t.Errorf("sent Certificate %+v should carry CN=client.test", c)
			}
			if find(res.Steps, "sent", "CertificateVerify") == nil {
				t.Errorf("no CertificateVerify sent; steps: %s", e2etest.Seq(res.Steps))
			}

			// Without --cert the server refuses: in TLS 1.2 during the handshake, in TLS 1.3
			// with an alert right after the client's Finished.
			out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca, "-o", "json")
			var jr e2etest.HandshakeReport
			if err := json.Unmarshal([]byte(out), &jr); err != nil {
				t.Fatalf("without --cert: stdout is not JSON: %v\n%s", err, out)
			}
			if jr.ClientAuth == nil || !jr.ClientAuth.Requested || jr.ClientAuth.CertificateSent {
				t.Errorf("without --cert: client_auth %+v, want requested and not sent", jr.ClientAuth)
			}
			if find(jr.Steps, "received", "CertificateRequest") == nil {
				t.Errorf("without --cert: no CertificateRequest step; steps: %s", e2etest.Seq(jr.Steps))
			}
			alert := find(jr.Steps, "received", "Alert")
			if alert == nil {
				t.Errorf("without --cert: the server's alert is not in the steps: %s", e2etest.Seq(jr.Steps))
			}
			if code == 0 {
				alertText := "(none recorded)"
				if alert != nil {
					alertText = alert.Summary
				}
				verified := jr.Verification != nil && jr.Verification.Verified
				t.Errorf("BUG: without --cert against a server that requires one (%s), tlskit exits 0 (stderr %q, "+
					"JSON error %q, verification.verified %t, version %q) although the server refused the connection "+
					"with alert %q (docs/exit-codes.md: a handshake refused by the peer is exit 1). "+
					"Repro: openssl s_server -accept 127.0.0.1:4433 -cert localhost.pem -key localhost-key.pem "+
					"-www %s -Verify 1 -CAfile ca/ca.pem & tlskit handshake localhost:4433 --ca ca/ca.pem; echo $?",
					v.name, errOut, jr.Error, verified, jr.Version, alertText, v.flag)
				return
			}
			if code != 1 {
				t.Errorf("without --cert: exit %d, want 1", code)
			}
			oneLineError(t, "without --cert", errOut)
			if jr.Error == "" {
				t.Errorf("without --cert: the JSON has no \"error\"")
			}
			if !strings.Contains(strings.ToLower(errOut), "certificate") {
				t.Errorf("BUG: without --cert against a server that requires one (%s), the error %q does not mention "+
					"the client certificate, although tlskit saw the CertificateRequest and sent none "+
					"(client_auth.requested true, certificate_sent false). Repro: openssl s_server -accept 127.0.0.1:4433 "+
					"-cert localhost.pem -key localhost-key.pem -www %s -Verify 1 -CAfile ca/ca.pem & "+
					"tlskit handshake localhost:4433 --ca ca/ca.pem",
					v.name, strings.TrimSpace(errOut), v.flag)
			}
		})
	}

	// 7. A stapled OCSP response made by `openssl ocsp` as the CA's responder, with and without
	// the issuer in the served chain (with it, tlskit checks the response's signature).
	t.Run("ocsp", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		der := e2etest.PEMBlocks(e2etest.ReadFile(t, fx.dir, "ecdsa.pem"), "CERTIFICATE")
		if len(der) == 0 {
			t.Fatal("no certificate in ecdsa.pem")
		}
		leaf, err := x509.ParseCertificate(der[0])
		if err != nil {
			t.Fatal(err)
		}
		// The CA database: V, expiry (YYMMDDHHMMSSZ), no revocation date, serial, file, subject.
		index := fmt.Sprintf("V\t%s\t\t%X\tunknown\t/CN=localhost\n", leaf.NotAfter.UTC().Format("060102150405Z"), leaf.SerialNumber)
		e2etest.WriteFile(t, dir, "index.txt", index)
		r := e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-issuer", ca, "-cert", ecdsa, "-no_nonce", "-reqout", "req.der")
		if r.Code != 0 {
			t.Skipf("this OpenSSL cannot build an OCSP request: %s%s", r.Stdout, r.Stderr)
		}
		r = e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-index", "index.txt", "-rsigner", ca, "-rkey", fx.path("ca/ca-key.pem"),
			"-CA", ca, "-reqin", "req.der", "-respout", "resp.der", "-ndays", "1")
		if r.Code != 0 || !e2etest.Exists(dir, "resp.der") {
			t.Skipf("this OpenSSL cannot make an OCSP response: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		text := e2etest.OpenSSL(t, dir, "ocsp", "-respin", "resp.der", "-resp_text", "-noverify")
		if !strings.Contains(text, "Cert Status: good") {
			t.Skipf("openssl ocsp made a response that is not \"good\":\n%s", text)
		}
		for _, c := range []struct {
			name  string
			extra []string
		}{
			{"leaf only", nil},
			{"with issuer", []string{"-cert_chain", ca}},
		} {
			for _, tlsv := range []string{"-tls1_3", "-tls1_2"} {
				srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, append([]string{"-status_file", "resp.der", tlsv}, c.extra...)...)
				res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
				if res.OCSP == nil || res.OCSP.Status != "good" {
					t.Errorf("%s %s: ocsp %+v, want status good", c.name, tlsv, res.OCSP)
				}
				if tlsv == "-tls1_2" && find(res.Steps, "received", "CertificateStatus") == nil {
					t.Errorf("%s TLS 1.2: no CertificateStatus step; steps: %s", c.name, e2etest.Seq(res.Steps))
				}
			}
		}

		// The text report says it too; and a response saying "revoked" is reported as such.
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-status_file", "resp.der")
		out, _, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca)
		if code != 0 || !regexp.MustCompile(`(?m)^   revocation +good`).MatchString(out) || !strings.Contains(out, " revocation good (stapled OCSP response, updated ") {
			t.Errorf("text output (exit %d) should have the leaf's and the chain's revocation lines:\n%s", code, out)
		}
		revokedAt := time.Now().Add(-time.Hour).UTC().Format("060102150405Z")
		e2etest.WriteFile(t, dir, "revoked.txt", strings.Replace(strings.Replace(index, "V", "R", 1), "\t\t", "\t"+revokedAt+"\t", 1))
		r = e2etest.Exec(t, dir, "", nil, "openssl", "ocsp", "-index", "revoked.txt", "-rsigner", ca, "-rkey", fx.path("ca/ca-key.pem"),
			"-CA", ca, "-reqin", "req.der", "-respout", "revoked.der", "-ndays", "1")
		if r.Code != 0 {
			t.Fatalf("openssl ocsp (revoked): exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		srv = peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-status_file", "revoked.der", "-cert_chain", ca)
		res, _ := e2etest.Handshake(t, dir, srv.Localhost(), "--ca", ca)
		if res.OCSP == nil || res.OCSP.Status != "revoked" {
			t.Errorf("revoked: ocsp %+v, want status revoked", res.OCSP)
		}
	})

	// 8. HelloRetryRequest: the server only takes P-384, which Go does not send a share for.
	t.Run("hello-retry", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-tls1_3", "-groups", "P-384")
		res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
		if !res.HelloRetry {
			t.Errorf("hello_retry false, want true")
		}
		if !strings.Contains(res.KeyExchange, "384") {
			t.Errorf("key_exchange %q, want P-384", res.KeyExchange)
		}
		expectSeq(t, "HelloRetryRequest", without(res.Steps, "ChangeCipherSpec", "NewSessionTicket"), []string{
			"sent ClientHello", "received HelloRetryRequest", "sent ClientHello", "received ServerHello",
			"received EncryptedExtensions*", "received Certificate*", "received CertificateVerify*", "received Finished*", "sent Finished*",
		})
		var hellos []e2etest.Step
		for _, s := range res.Steps {
			if s.Direction == "sent" && s.Message == "ClientHello" {
				hellos = append(hellos, s)
			}
		}
		if len(hellos) == 2 && !strings.Contains(hellos[1].Summary, "P-384") {
			t.Errorf("the second ClientHello should carry a P-384 key share: %q", hellos[1].Summary)
		}
		if hrr := find(res.Steps, "received", "HelloRetryRequest"); hrr == nil || !strings.Contains(hrr.Summary, "P-384") {
			t.Errorf("HelloRetryRequest %+v should ask for P-384", hrr)
		}
	})

	// 9. The message sequence is OpenSSL's own view of the same handshake (s_client -msg).
	for _, v := range []struct{ name, flag string }{{"tls13", "-tls1_3"}, {"tls12", "-tls1_2"}} {
		t.Run("vs-s_client/"+v.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, v.flag)
			osslSteps := opensslView(t, dir, srv.Port, v.flag)
			want := upToClientFinished(osslSteps)
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
			got := upToClientFinished(comparableSteps(res.Steps))
			t.Logf("s_client: %s", strings.Join(want, ", "))
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("tlskit's sequence differs from openssl s_client -msg's:\ntlskit:   %s\ns_client: %s", strings.Join(got, ", "), strings.Join(want, ", "))
			}
			// The server's Certificate message is the same bytes for both clients (neither asks
			// for anything that changes it), so its length, header included, must agree: for
			// TLS 1.3 this checks tlskit's decryption and framing against OpenSSL's.
			oc, tc := find(osslSteps, "received", "Certificate"), find(res.Steps, "received", "Certificate")
			if oc == nil || tc == nil || oc.Length != tc.Length {
				t.Errorf("received Certificate: tlskit %+v, s_client %+v: lengths should agree", tc, oc)
			}
		})
	}

	// 10. gnutls-serv, TLS 1.3 and (by priority string) TLS 1.2.
	t.Run("gnutls/tls13", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.GnuTLSServer(t, dir, ecdsa, ecdsaKey)
		res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
		if res.Version != "TLS 1.3" || res.CipherSuite == "" || res.KeyExchange == "" {
			t.Errorf("version %q, cipher_suite %q, key_exchange %q", res.Version, res.CipherSuite, res.KeyExchange)
		}
		e2etest.CheckVerified(t, "gnutls TLS 1.3", res)
		// gnutls-serv asks for an optional client certificate by default; tlskit answers with an
		// empty Certificate.
		expectSeq(t, "gnutls TLS 1.3", without(res.Steps, "ChangeCipherSpec", "NewSessionTicket"), []string{
			"sent ClientHello", "received ServerHello", "received EncryptedExtensions*", "received CertificateRequest*?",
			"received Certificate*", "received CertificateVerify*", "received Finished*", "sent Certificate*?", "sent Finished*",
		})
		for _, s := range res.Steps {
			if s.Encrypted && !hasDetails(&s) {
				t.Errorf("encrypted %s %s not decoded", s.Direction, s.Message)
			}
		}
	})
	t.Run("gnutls/tls12", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.GnuTLSServer(t, dir, rsa, rsaKey, "--priority", "NORMAL:-VERS-TLS1.3")
		res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca)
		if res.Version != "TLS 1.2" || !strings.HasPrefix(res.CipherSuite, "TLS_ECDHE_RSA_") {
			t.Errorf("version %q, cipher_suite %q; want TLS 1.2 with ECDHE_RSA", res.Version, res.CipherSuite)
		}
		e2etest.CheckVerified(t, "gnutls TLS 1.2", res)
		expectSeq(t, "gnutls TLS 1.2", res.Steps, []string{
			"sent ClientHello", "received ServerHello", "received Certificate", "received ServerKeyExchange",
			"received CertificateRequest?", "received ServerHelloDone", "sent Certificate?", "sent ClientKeyExchange",
			"sent ChangeCipherSpec", "sent Finished*", "received NewSessionTicket?", "received ChangeCipherSpec", "received Finished*",
		})
	})

	// 11. Verification verdicts and their exit codes.
	t.Run("verify/self-signed", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, fx.path("self.pem"), fx.path("self-key.pem"))
		res, r := e2etest.Handshake(t, dir, srv.Localhost())
		if r.Code != 3 {
			t.Errorf("self-signed without --ca: exit %d, want 3", r.Code)
		}
		if v := res.Verification; v == nil || v.Verified || (v.Reason != "self_signed" && v.Reason != "unknown_authority") {
			t.Errorf("verification %+v: want not verified, reason self_signed", v)
		}
		if res.Version != "TLS 1.3" || len(res.Chain) != 1 {
			t.Errorf("a failed verification should still show the handshake: version %q, %d certificates", res.Version, len(res.Chain))
		}
		oneLineError(t, "self-signed", r.Stderr)
		if !strings.Contains(r.Stderr, "verification failed") {
			t.Errorf("stderr %q should say verification failed", r.Stderr)
		}
		out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--insecure")
		if code != 0 {
			t.Errorf("--insecure: exit %d, want 0\n%s", code, errOut)
		}
		if !strings.HasPrefix(errOut, "tlskit: warning: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "self_signed") {
			t.Errorf("--insecure: want one warning line naming self_signed on stderr, got %q", errOut)
		}
		e2etest.MustContain(t, "--insecure text", out, "verification  FAILED (self_signed): ")
	})
	t.Run("verify/hostname-mismatch", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, fx.path("other.pem"), fx.path("other-key.pem"))
		res, r := e2etest.Handshake(t, dir, srv.Localhost(), "--ca", ca)
		if r.Code != 3 {
			t.Errorf("wrong host: exit %d, want 3", r.Code)
		}
		if v := res.Verification; v == nil || v.Verified || v.Reason != "hostname_mismatch" || v.HostnameOK {
			t.Errorf("verification %+v: want reason hostname_mismatch, hostname_ok false", v)
		}
		oneLineError(t, "hostname mismatch", r.Stderr)
		// Asking for the name the certificate is for (with --sni) makes it verify.
		res = e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--sni", "other.test")
		e2etest.CheckVerified(t, "--sni other.test", res)
	})
	// A server that sends its leaf without the intermediate, as openssl s_server does unless
	// given -cert_chain: incomplete_chain, with a hint for the server's operator, where
	// s_client says "unable to get local issuer certificate"; with the intermediate it verifies.
	t.Run("verify/missing-intermediate", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		e2etest.OpenSSL(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=HS Root", "-days", "30",
			"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
		e2etest.OpenSSLCert(t, dir, "inter", "/CN=HS Intermediate", "root", e2etest.OpenSSLCAExt)
		e2etest.OpenSSLCert(t, dir, "leaf", "/CN=localhost", "inter", e2etest.OpenSSLLeafExt+"subjectAltName=DNS:localhost\n")
		srv := peertest.OpenSSLServer(t, dir, "leaf.pem", "leaf.key")
		res, r := e2etest.Handshake(t, dir, srv.Localhost(), "--ca", "root.pem")
		if v := res.Verification; r.Code != 3 || v == nil || v.Verified || v.Reason != "incomplete_chain" ||
			!strings.Contains(v.Error, `the server did not send the certificate of "CN=localhost"'s issuer "CN=HS Intermediate"`) {
			t.Errorf("BUG: leaf only: exit %d, verification %+v; want 3, incomplete_chain naming the issuer", r.Code, v)
		}
		oneLineError(t, "missing intermediate", r.Stderr)
		if !strings.Contains(r.Stderr, "tlskit: hint: the server must send its intermediate certificates") {
			t.Errorf("no hint for the server's chain in %q", r.Stderr)
		}
		sc := e2etest.Exec(t, dir, "", nil, "openssl", "s_client", "-connect", "127.0.0.1:"+srv.Port, "-servername", "localhost",
			"-CAfile", "root.pem", "-verify_return_error", "-brief")
		if sc.Code == 0 || !strings.Contains(sc.Stdout+sc.Stderr, "unable to get local issuer certificate") {
			t.Errorf("openssl s_client on the leaf-only server: exit %d, want \"unable to get local issuer certificate\"\n%s%s",
				sc.Code, sc.Stdout, sc.Stderr)
		}
		full := peertest.OpenSSLServer(t, dir, "leaf.pem", "leaf.key", "-cert_chain", "inter.pem")
		e2etest.CheckVerified(t, "with -cert_chain", e2etest.HandshakeOK(t, dir, full.Localhost(), "--ca", "root.pem"))
	})
	t.Run("verify/warn-days", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey)
		_, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca, "--warn-days", "400")
		if code != 3 {
			t.Errorf("--warn-days 400 on a 397-day certificate: exit %d, want 3", code)
		}
		oneLineError(t, "--warn-days 400", errOut)
		if !strings.Contains(errOut, "--warn-days 400") || !strings.Contains(errOut, "expires in") {
			t.Errorf("--warn-days 400: stderr %q", errOut)
		}
		if _, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca, "--warn-days", "30"); code != 0 {
			t.Errorf("--warn-days 30: exit %d, want 0\n%s", code, errOut)
		}
	})

	// 11b. TLS 1.2 with RSA key transport: the ClientKeyExchange is the premaster secret
	// encrypted to the server's key (not a public key), and the footnote says nothing was
	// decrypted (only TLS 1.3 timelines are).
	t.Run("tls12-rsa-key-transport", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, rsa, rsaKey, "-tls1_2", "-cipher", "AES128-GCM-SHA256")
		out := e2etest.Tlskit(t, dir, "handshake", srv.Localhost(), "--ca", ca, "--ciphers", "TLS_RSA_WITH_AES_128_GCM_SHA256")
		e2etest.MustContain(t, "TLS 1.2 RSA", out, "ClientKeyExchange      256-byte premaster secret, encrypted to the server's RSA key",
			"shown as sent, not decrypted")
		if strings.Contains(out, "public key") || strings.Contains(out, "decrypted with this session's own secrets") {
			t.Errorf("TLS 1.2 RSA timeline calls the encrypted premaster secret a public key, or claims a decryption:\n%s", out)
		}
	})

	// 11c. TLS 1.2 session facts against s_client's own summary of the same server: extended
	// master secret, secure renegotiation, and the ECDHE group. OpenSSL 3.0's s_server cannot
	// turn extended master secret or renegotiation_info off; GnuTLS can (%NO_SESSION_HASH,
	// %DISABLE_SAFE_RENEGOTIATION).
	t.Run("tls12-session", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		for _, tc := range []struct {
			name  string
			start func() *peertest.Server
			group string
		}{
			{"openssl", func() *peertest.Server {
				return peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey, "-tls1_2", "-groups", "P-384")
			}, "P-384"},
			{"gnutls without either", func() *peertest.Server {
				return peertest.GnuTLSServer(t, dir, ecdsa, ecdsaKey, "--priority", "NORMAL:-VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1:%NO_SESSION_HASH:%DISABLE_SAFE_RENEGOTIATION")
			}, "P-384"},
		} {
			srv := tc.start()
			ref := e2etest.Exec(t, dir, "", nil, "openssl", "s_client", "-connect", srv.Localhost(), "-tls1_2")
			if !strings.Contains(ref.Stdout, "Protocol  : TLSv1.2") && !strings.Contains(ref.Stdout, "New, TLSv1.2") {
				t.Fatalf("%s: s_client did not complete a TLS 1.2 handshake:\n%s", tc.name, ref.Stdout)
			}
			wantEMS := strings.Contains(ref.Stdout, "Extended master secret: yes")
			wantReneg := strings.Contains(ref.Stdout, "Secure Renegotiation IS supported")
			res := e2etest.HandshakeOK(t, dir, srv.Localhost(), "--ca", ca, "--tls-max", "1.2")
			if res.TLS12 == nil {
				t.Fatalf("%s: no tls12 in the JSON of a TLS 1.2 handshake", tc.name)
			}
			if res.TLS12.ExtendedMasterSecret != wantEMS || res.TLS12.SecureRenegotiation != wantReneg {
				t.Errorf("%s: tls12 %+v; openssl s_client says extended master secret %t, secure renegotiation %t", tc.name, *res.TLS12, wantEMS, wantReneg)
			}
			if res.TLS12.Group != tc.group {
				t.Errorf("%s: tls12.group %q, want %s (the only group the server takes)", tc.name, res.TLS12.Group, tc.group)
			}
			yn := map[bool]string{true: "yes", false: "no"}
			out := e2etest.Tlskit(t, dir, "handshake", srv.Localhost(), "--ca", ca, "--tls-max", "1.2")
			e2etest.MustContain(t, tc.name+" text", out, fmt.Sprintf("extended master secret: %s; secure renegotiation: %s", yn[wantEMS], yn[wantReneg]))
		}
	})

	// 12. Text output (not a terminal) and --pem.
	t.Run("text-and-pem", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		srv := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey)
		out, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca)
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		// One layout in a pipe as on a terminal (the README's).
		e2etest.MustContain(t, "text output", out, "\n1. version        TLS 1.3\n", "verification  OK: ", "handshake with "+srv.Localhost()+" ")
		if !regexp.MustCompile(`(?m)^ +[0-9]+\.[0-9]{2} ms  ←  EncryptedExtensions\* +\S`).MatchString(out) {
			t.Errorf("no `MS ms  ←  EncryptedExtensions* ...` line in:\n%s", out)
		}
		if !regexp.MustCompile(`(?m)^ +[0-9]+\.[0-9]{2} ms  →  ClientHello +TLS 1\.3`).MatchString(out) {
			t.Errorf("no `MS ms  →  ClientHello TLS 1.3...` line in:\n%s", out)
		}
		if strings.Contains(out, "\x1b[") {
			t.Errorf("colour in a pipe:\n%q", out)
		}

		pemOut, errOut, code := e2etest.RunTlskit(t, dir, nil, "handshake", srv.Localhost(), "--ca", ca, "--pem")
		if code != 0 || errOut != "" {
			t.Fatalf("--pem: exit %d, stderr %q", code, errOut)
		}
		if b, rest := pem.Decode([]byte(pemOut)); b == nil || b.Type != "CERTIFICATE" || strings.TrimSpace(string(rest)) != "" {
			t.Errorf("--pem should print exactly the one certificate sent, got:\n%s", pemOut)
		}
		subj := e2etest.OpenSSLIn(t, dir, pemOut, "x509", "-noout", "-subject")
		if !strings.Contains(strings.ReplaceAll(subj, " ", ""), "subject=CN=localhost") {
			t.Errorf("openssl x509 -subject of --pem: %q", subj)
		}
	})

	// 13. Several targets: JSON Lines in input order, an unreachable one reported in its line.
	t.Run("several-targets", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		a := peertest.OpenSSLServer(t, dir, ecdsa, ecdsaKey)
		b := peertest.OpenSSLServer(t, dir, rsa, rsaKey, "-tls1_2")
		closed := peertest.FreePort(t) // nothing listens there once released

		// Both servers, one as an argument and one on stdin.
		r := e2etest.Exec(t, dir, "localhost:"+b.Port+"\n", nil, e2etest.Binary(), "handshake", a.Localhost(), "-", "--ca", ca, "-o", "json")
		if r.Code != 0 {
			t.Errorf("two servers: exit %d\n%s", r.Code, r.Stderr)
		}
		lines := jsonLines(t, r.Stdout, 2)
		checkLine(t, lines, 0, a.Port, "TLS 1.3", false)
		checkLine(t, lines, 1, b.Port, "TLS 1.2", false)

		// All on stdin, the unreachable one in the middle.
		stdin := fmt.Sprintf("# targets\n%s\n\nlocalhost:%s\n%s\n", b.Localhost(), closed, a.Localhost())
		r = e2etest.Exec(t, dir, stdin, nil, e2etest.Binary(), "handshake", "-", "--ca", ca, "-o", "json", "--concurrency", "3")
		if r.Code != 1 {
			t.Errorf("with an unreachable target: exit %d, want 1", r.Code)
		}
		oneLineError(t, "with an unreachable target", r.Stderr)
		lines = jsonLines(t, r.Stdout, 3)
		checkLine(t, lines, 0, b.Port, "TLS 1.2", false)
		checkLine(t, lines, 1, closed, "", true)
		checkLine(t, lines, 2, a.Port, "TLS 1.3", false)
	})
}

// jsonLines decodes JSON Lines output, one compact object per line, and wants n of them.
func jsonLines(t *testing.T, out string, n int) []e2etest.HandshakeReport {
	t.Helper()
	var res []e2etest.HandshakeReport
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r e2etest.HandshakeReport
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", len(res)+1, err, sc.Text())
		}
		res = append(res, r)
	}
	if len(res) != n {
		t.Fatalf("%d JSON lines, want %d:\n%s", len(res), n, out)
	}
	return res
}

func checkLine(t *testing.T, lines []e2etest.HandshakeReport, i int, port, version string, wantErr bool) {
	t.Helper()
	l := lines[i]
	if fmt.Sprint(l.Target.Port) != port {
		t.Errorf("line %d is for port %d, want %s (input order)", i+1, l.Target.Port, port)
	}
	if l.Version != version {
		t.Errorf("line %d: version %q, want %q", i+1, l.Version, version)
	}
	if wantErr != (l.Error != "") {
		t.Errorf("line %d: error %q, want an error: %t", i+1, l.Error, wantErr)
	}
	if !wantErr && (l.Verification == nil || !l.Verification.Verified) {
		t.Errorf("line %d: verification %+v", i+1, l.Verification)
	}
}

// msgLine is one line of `openssl s_client -msg`: direction, record type, and for handshake
// records the message name, e.g. ">>> TLS 1.3, Handshake [length 0136], ClientHello".
var msgLine = regexp.MustCompile(`^(>>>|<<<) [^,]+, ([A-Za-z]+) \[length ([0-9a-fA-F]+)\](?:, (\w+))?`)

// opensslNames maps OpenSSL's handshake message names (apps/lib/s_cb.c) to tlskit's.
var opensslNames = map[string]string{
	"HelloRequest": "HelloRequest", "ClientHello": "ClientHello", "ServerHello": "ServerHello",
	"NewSessionTicket": "NewSessionTicket", "EndOfEarlyData": "EndOfEarlyData",
	"EncryptedExtensions": "EncryptedExtensions", "Certificate": "Certificate",
	"ServerKeyExchange": "ServerKeyExchange", "CertificateRequest": "CertificateRequest",
	"ServerHelloDone": "ServerHelloDone", "CertificateVerify": "CertificateVerify",
	"ClientKeyExchange": "ClientKeyExchange", "Finished": "Finished", "CertificateStatus": "CertificateStatus",
	"KeyUpdate": "KeyUpdate", "CompressedCertificate": "CompressedCertificate",
}

// opensslView runs `openssl s_client -msg` against the server and returns the messages it
// shows that tlskit's timeline can be compared with (with their lengths, header included).
//
// What is compared, and why:
//   - Record-layer-only lines (RecordHeader, InnerContent) carry no message and are skipped.
//   - OpenSSL 3.0's message callback reports the ChangeCipherSpec it sends but not the one it
//     receives, so received ChangeCipherSpecs are left out on both sides; sent ones are compared.
//   - Alerts and application data are not handshake messages (s_client sends close_notify when
//     its stdin closes).
//   - s_client only reads the TLS 1.3 NewSessionTickets if it happens to read before it closes,
//     and TLS 1.2 tickets follow the client Finished anyway, so both views stop at the client's
//     Finished.
//
// s_client's ClientHello offers different extensions and key shares than Go's, but against the
// same server the sequence of messages must be the same.
func opensslView(t *testing.T, dir, port, versionFlag string) []e2etest.Step {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "openssl", "s_client", "-connect", "127.0.0.1:"+port, "-servername", "localhost", "-msg", versionFlag)
	c.Dir = dir
	c.Stdin = strings.NewReader("")
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil && ctx.Err() != nil {
		t.Fatalf("openssl s_client timed out:\n%s", out.String())
	}
	var steps []e2etest.Step
	for _, line := range strings.Split(out.String(), "\n") {
		m := msgLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		dir := "sent"
		if m[1] == "<<<" {
			dir = "received"
		}
		length, _ := strconv.ParseInt(m[3], 16, 32)
		switch m[2] {
		case "Handshake":
			name, ok := opensslNames[m[4]]
			if !ok {
				t.Fatalf("openssl s_client -msg: unmapped handshake message %q in %q", m[4], line)
			}
			steps = append(steps, e2etest.Step{Direction: dir, Message: name, Length: int(length)})
		case "ChangeCipherSpec":
			steps = append(steps, e2etest.Step{Direction: dir, Message: "ChangeCipherSpec", Length: int(length)})
		}
	}
	steps = comparableSteps(steps)
	view := upToClientFinished(steps)
	if len(view) == 0 || view[len(view)-1] != "sent Finished" {
		t.Fatalf("openssl s_client -msg showed no complete handshake:\n%s", out.String())
	}
	return steps
}

// comparableSteps drops what OpenSSL's -msg trace does not show (see opensslView).
func comparableSteps(steps []e2etest.Step) []e2etest.Step {
	var out []e2etest.Step
	for _, s := range steps {
		switch {
		case s.Message == "ChangeCipherSpec" && s.Direction == "received":
		case s.Message == "Alert":
		default:
			out = append(out, s)
		}
	}
	return out
}

// upToClientFinished renders steps as "dir Name" up to and including the first sent Finished.
func upToClientFinished(steps []e2etest.Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Direction+" "+s.Message)
		if s.Direction == "sent" && s.Message == "Finished" {
			break
		}
	}
	return out
}
