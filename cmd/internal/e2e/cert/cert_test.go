//go:build unix

package cert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of `tlskit cert ...` and `tlskit ca create` against the real OpenSSL 3 and
// curl on the machine: what tlskit writes must be what those tools accept. Every test works in
// its own t.TempDir(); nothing here talks to anything but 127.0.0.1.

func TestMain(m *testing.M) { e2etest.Main(m) }

// pubKeyOf is the PEM public key of a certificate, request or private key file.
func pubKeyOf(t *testing.T, dir, kind, file string, extra ...string) string {
	t.Helper()
	var args []string
	switch kind {
	case "x509":
		args = []string{"x509", "-in", file, "-noout", "-pubkey"}
	case "req":
		args = []string{"req", "-in", file, "-noout", "-pubkey"}
	case "pkey":
		args = []string{"pkey", "-in", file, "-pubout"}
	}
	r := e2etest.Exec(t, dir, "", nil, "openssl", append(args, extra...)...)
	if r.Code != 0 {
		t.Fatalf("openssl %v: exit %d: %s", args, r.Code, r.Stderr)
	}
	return r.Stdout
}

const localhostSANs = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"

// checkLeafText checks the server profile of a leaf in openssl's text.
func checkLeafText(t *testing.T, what, text string, rsa bool) {
	t.Helper()
	e2etest.MustContain(t, what, text,
		"CA:FALSE",
		"TLS Web Server Authentication",
		"X509v3 Subject Key Identifier:",
		"X509v3 Authority Key Identifier:",
	)
	ku := e2etest.ExtValue(text, "X509v3 Key Usage:")
	want := "Digital Signature"
	if rsa {
		want = "Digital Signature, Key Encipherment"
	}
	if ku != want {
		t.Errorf("%s: key usage %q, want %q", what, ku, want)
	}
	if !regexp.MustCompile(`X509v3 Basic Constraints: critical\s+CA:FALSE`).MatchString(text) {
		t.Errorf("%s: basic constraints not critical CA:FALSE:\n%s", what, text)
	}
}

// checkCAText checks a CA certificate's profile in openssl's text.
func checkCAText(t *testing.T, what, text string) {
	t.Helper()
	if !regexp.MustCompile(`X509v3 Basic Constraints: critical\s+CA:TRUE`).MatchString(text) {
		t.Errorf("%s: basic constraints not critical CA:TRUE:\n%s", what, text)
	}
	if ku := e2etest.ExtValue(text, "X509v3 Key Usage:"); !strings.Contains(ku, "Certificate Sign, CRL Sign") {
		t.Errorf("%s: key usage %q lacks Certificate Sign, CRL Sign", what, ku)
	}
	if e2etest.ExtValue(text, "X509v3 Subject Key Identifier:") == "" {
		t.Errorf("%s: no subject key identifier", what)
	}
}

// verifyServer runs openssl verify -x509_strict -purpose sslserver and wants "file: OK".
func verifyServer(t *testing.T, dir, caFile, file string, untrusted bool) {
	t.Helper()
	args := []string{"verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", caFile}
	if untrusted {
		args = append(args, "-untrusted", file)
	}
	args = append(args, file)
	r := e2etest.Exec(t, dir, "", nil, "openssl", args...)
	if r.Code != 0 || !strings.Contains(r.Stdout, file+": OK") {
		t.Errorf("openssl %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
}

// verifyCSR checks a request's self-signature with openssl req -verify. OpenSSL 3.0 exits 0
// even when the signature does not match, so its verdict is read from the output.
func verifyCSR(t *testing.T, dir, file, stdin string) {
	t.Helper()
	args := []string{"req", "-verify", "-noout"}
	if file != "" {
		args = append(args, "-in", file)
	}
	r := e2etest.Exec(t, dir, stdin, nil, "openssl", args...)
	if out := r.Stdout + r.Stderr; r.Code != 0 || !strings.Contains(out, "self-signature verify OK") {
		t.Errorf("openssl %s: exit %d\n%s", strings.Join(args, " "), r.Code, out)
	}
}

// 1. Every key type, for the leaf and for the CA. The slow RSA keys are made once each, for
// one of the two: RSA-3072 for the CA (0.22 s of CPU a key; its leaf was a second one), RSA-4096
// for the leaf (0.41 s). The leaf profile of an RSA key (key encipherment) is the same at
// every size, and the 2048-bit case has both an RSA CA and an RSA leaf.
func TestCertKeyTypes(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	tests := []struct {
		name, leafType, caType string
		rsa                    bool // the leaf's key
	}{
		{"ecdsa-p256", "ecdsa-p256", "ecdsa-p256", false},
		{"ecdsa-p384", "ecdsa-p384", "ecdsa-p384", false},
		{"ecdsa-p521", "ecdsa-p521", "ecdsa-p521", false},
		{"rsa-2048", "rsa-2048", "rsa-2048", true},
		{"rsa-3072 CA", "ecdsa-p256", "rsa-3072", false},
		{"rsa-4096 leaf", "rsa-4096", "ecdsa-p256", true},
		{"ed25519", "ed25519", "ed25519", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca", "--key-type", tc.caType)
			e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", "ca", "--key-type", tc.leafType)

			caText := e2etest.X509Text(t, dir, "ca/ca.pem")
			checkCAText(t, "CA "+tc.caType, caText)
			leaf := e2etest.X509Text(t, dir, "localhost.pem")
			if got := e2etest.ExtValue(leaf, "X509v3 Subject Alternative Name:"); got != localhostSANs {
				t.Errorf("SANs %q, want %q", got, localhostSANs)
			}
			checkLeafText(t, "leaf "+tc.leafType, leaf, tc.rsa)
			aki := e2etest.ExtValue(leaf, "X509v3 Authority Key Identifier:")
			caSKI := e2etest.ExtValue(caText, "X509v3 Subject Key Identifier:")
			if aki == "" || aki != caSKI {
				t.Errorf("leaf AKI %q != CA SKI %q", aki, caSKI)
			}
			if ski := e2etest.ExtValue(leaf, "X509v3 Subject Key Identifier:"); ski == "" || ski == caSKI {
				t.Errorf("leaf SKI %q (CA SKI %q)", ski, caSKI)
			}
			if got, want := pubKeyOf(t, dir, "x509", "localhost.pem"), pubKeyOf(t, dir, "pkey", "localhost-key.pem"); got != want {
				t.Errorf("certificate and localhost-key.pem hold different keys")
			}
			verifyServer(t, dir, "ca/ca.pem", "localhost.pem", false)
		})
	}
}

// 2. Intermediates: the leaf file carries the chain without the root.
func TestCAIntermediate(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", "int", "--out", "leaf.pem", "--key-out", "leaf-key.pem")

	intText := e2etest.X509Text(t, dir, "int/ca.pem")
	checkCAText(t, "intermediate", intText)
	if !strings.Contains(intText, "pathlen:0") {
		t.Errorf("intermediate under a root without a limit should default to pathlen:0:\n%s", intText)
	}
	if !bytes.Equal(e2etest.ReadFile(t, dir, "int/root.pem"), e2etest.ReadFile(t, dir, "ca/ca.pem")) {
		t.Errorf("int/root.pem is not the root ca/ca.pem")
	}
	if n := len(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")); n != 1 {
		t.Errorf("int/ca.pem holds %d certificates, want 1 (never the root)", n)
	}

	certs := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "leaf.pem"), "CERTIFICATE")
	root := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "ca/ca.pem"), "CERTIFICATE")[0]
	inter := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0]
	if len(certs) != 2 {
		t.Fatalf("leaf.pem holds %d certificates, want 2 (leaf + intermediate)", len(certs))
	}
	if !bytes.Equal(certs[1], inter) {
		t.Errorf("second certificate in leaf.pem is not the intermediate")
	}
	for i, c := range certs {
		if bytes.Equal(c, root) {
			t.Errorf("leaf.pem certificate %d is the root", i)
		}
	}
	leaf := e2etest.X509Text(t, dir, "leaf.pem")
	checkLeafText(t, "leaf", leaf, false)
	if aki, ski := e2etest.ExtValue(leaf, "X509v3 Authority Key Identifier:"), e2etest.ExtValue(intText, "X509v3 Subject Key Identifier:"); aki != ski {
		t.Errorf("leaf AKI %q != intermediate SKI %q", aki, ski)
	}
	verifyServer(t, dir, "int/root.pem", "leaf.pem", true)

	// A CA file that also carries the root (as people concatenate them): the root stays out.
	full := append(e2etest.ReadFile(t, dir, "int/ca.pem"), e2etest.ReadFile(t, dir, "int/root.pem")...)
	e2etest.WriteFile(t, dir, "full-chain.pem", string(full))
	e2etest.Tlskit(t, dir, "cert", "issue", "full.example.test", "--ca-cert", "full-chain.pem", "--ca-key", "int/ca-key.pem")
	fullCerts := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "full.example.test.pem"), "CERTIFICATE")
	if len(fullCerts) != 2 || !bytes.Equal(fullCerts[1], inter) {
		t.Errorf("issued with --ca-cert full-chain.pem: %d certificates, want leaf + intermediate", len(fullCerts))
	}
	verifyServer(t, dir, "int/root.pem", "full.example.test.pem", true)

	// Without the intermediate the root alone must not be enough.
	if r := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "ca/ca.pem", "leaf.pem"); r.Code == 0 {
		t.Errorf("leaf verified without its intermediate: the test is not testing the chain")
	}

	// Two levels: root -> int1 (path-len 1) -> int2 -> leaf; the leaf file holds leaf, int2, int1.
	// int2b has its own --cn; int2 takes the default names, as a user following the docs would.
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int1", "--parent-dir", "ca", "--path-len", "1")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int2b", "--parent-dir", "int1", "--cn", "Second Level CA")
	e2etest.Tlskit(t, dir, "cert", "issue", "deep.example.test", "--ca-dir", "int2b", "--out", "deepb.pem", "--key-out", "deepb-key.pem")
	if n := len(e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "deepb.pem"), "CERTIFICATE")); n != 3 {
		t.Errorf("deepb.pem holds %d certificates, want 3 (leaf + two intermediates)", n)
	}
	if !bytes.Equal(e2etest.ReadFile(t, dir, "int2b/root.pem"), e2etest.ReadFile(t, dir, "ca/ca.pem")) {
		t.Errorf("int2b/root.pem is not the root")
	}
	verifyServer(t, dir, "int2b/root.pem", "deepb.pem", true)

	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int2", "--parent-dir", "int1")
	e2etest.Tlskit(t, dir, "cert", "issue", "deep.example.test", "--ca-dir", "int2", "--out", "deep.pem", "--key-out", "deep-key.pem")
	names := e2etest.OpenSSL(t, dir, "x509", "-in", "int2/ca.pem", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253")
	var subject, issuer string
	for _, line := range strings.Split(names, "\n") {
		if v, ok := strings.CutPrefix(line, "subject="); ok {
			subject = v
		} else if v, ok := strings.CutPrefix(line, "issuer="); ok {
			issuer = v
		}
	}
	if subject == issuer {
		t.Errorf("BUG: `tlskit ca create --dir int1 --parent-dir ca --path-len 1 && tlskit ca create --dir int2 --parent-dir int1` "+
			"gives int2 the same default subject as its issuer int1 (%q), so int2 looks self-issued and OpenSSL stops the chain there", subject)
	}
	verifyServer(t, dir, "int2/root.pem", "deep.pem", true)
}

func TestCAPathLen(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "r1", "--path-len", "1")
	if text := e2etest.X509Text(t, dir, "r1/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:1") {
		t.Errorf("--path-len 1 root:\n%s", text)
	}
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "i1", "--parent-dir", "r1")
	if text := e2etest.X509Text(t, dir, "i1/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:0") {
		t.Errorf("intermediate under pathlen:1 should get pathlen:0:\n%s", text)
	}
	// pathlen:0 signs leaves only.
	before := e2etest.Snapshot(t, dir)
	r := e2etest.TlskitFails(t, dir, "ca", "create", "--dir", "i2", "--parent-dir", "i1")
	if r.Code != 2 {
		t.Errorf("sub-intermediate under pathlen:0: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "ca create under pathlen:0", before, e2etest.Snapshot(t, dir))
	r = e2etest.TlskitFails(t, dir, "ca", "create", "--dir", "i3", "--parent-dir", "r1", "--path-len", "1")
	if r.Code != 2 {
		t.Errorf("--path-len 1 under pathlen:1: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "ca create --path-len too long", before, e2etest.Snapshot(t, dir))

	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "i1", "--out", "leaf.pem", "--key-out", "leaf-key.pem")
	verifyServer(t, dir, "i1/root.pem", "leaf.pem", true)

	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "r0", "--path-len", "0")
	if text := e2etest.X509Text(t, dir, "r0/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:0") {
		t.Errorf("--path-len 0 root:\n%s", text)
	}
	before = e2etest.Snapshot(t, dir)
	if r := e2etest.TlskitFails(t, dir, "ca", "create", "--dir", "i0", "--parent-dir", "r0"); r.Code != 2 {
		t.Errorf("intermediate under pathlen:0 root: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "ca create under pathlen:0 root", before, e2etest.Snapshot(t, dir))
}

func TestCANameConstraint(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca", "--name-constraint", "example.test")
	text := e2etest.X509Text(t, dir, "ca/ca.pem")
	if !regexp.MustCompile(`X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example.test`).MatchString(text) {
		t.Errorf("name constraints not critical permitted DNS:example.test:\n%s", text)
	}
	e2etest.Tlskit(t, dir, "cert", "issue", "a.example.test", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "a.example.test.pem", false)
	e2etest.Tlskit(t, dir, "cert", "issue", "*.example.test", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "_wildcard.example.test.pem", false)

	for _, host := range []string{"other.test", "example.test.evil", "notexample.test"} {
		before := e2etest.Snapshot(t, dir)
		r := e2etest.TlskitFails(t, dir, "cert", "issue", host, "--ca-dir", "ca")
		if r.Code != 2 {
			t.Errorf("issue %s outside the constraint: exit %d, want 2\n%s", host, r.Code, r.Stderr)
		}
		e2etest.SameSnapshot(t, "issue "+host, before, e2etest.Snapshot(t, dir))
	}

	// Constraints of a root bind its intermediates' leaves too.
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "issue", "b.example.test", "--ca-dir", "int")
	verifyServer(t, dir, "int/root.pem", "b.example.test.pem", true)
	before := e2etest.Snapshot(t, dir)
	out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "other.test", "--ca-dir", "int")
	if code == 0 {
		r := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "int/root.pem", "-untrusted", "other.test.pem", "other.test.pem")
		t.Errorf("BUG: `tlskit ca create --dir ca --name-constraint example.test && tlskit ca create --dir int --parent-dir ca && "+
			"tlskit cert issue other.test --ca-dir int` exits 0 (the root's constraint is not checked for an intermediate's leaf); "+
			"OpenSSL verify exits %d:\n%s%s%s", r.Code, r.Stdout, r.Stderr, out)
	} else {
		if code != 2 {
			t.Errorf("issue other.test from an intermediate under a constrained root: exit %d, want 2\n%s", code, errOut)
		}
		e2etest.SameSnapshot(t, "issue other.test from int", before, e2etest.Snapshot(t, dir))
	}

	// An IP address from a CA constrained to DNS names: the CA excludes every IP address, so
	// tlskit refuses it (TestNameConstraintsIPs has OpenSSL's verdict on such a certificate).
	before = e2etest.Snapshot(t, dir)
	if r := e2etest.TlskitFails(t, dir, "cert", "issue", "127.0.0.1", "--ca-dir", "ca"); r.Code != 2 {
		t.Errorf("issue 127.0.0.1 from a DNS-constrained CA: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "issue 127.0.0.1 from a DNS-constrained CA", before, e2etest.Snapshot(t, dir))
}

// 3. Self-signed certificates.
func TestSelfsign(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		file     string
		wantSANs string
	}{
		{"default hosts", nil, "localhost.pem", localhostSANs},
		{"explicit", []string{"x.example.test", "127.0.0.1"}, "x.example.test.pem", "DNS:x.example.test, IP Address:127.0.0.1"},
		{"wildcard", []string{"*.example.test"}, "_wildcard.example.test.pem", "DNS:*.example.test"},
		{"idn", []string{"bücher.example"}, "", "DNS:xn--bcher-kva.example"},
		{"email and uri", []string{"svc.example.test", "ops@example.test", "spiffe://example.test/svc"}, "svc.example.test.pem",
			"DNS:svc.example.test, email:ops@example.test, URI:spiffe://example.test/svc"},
		{"rsa", []string{"rsa.example.test", "--key-type", "rsa-2048"}, "rsa.example.test.pem", "DNS:rsa.example.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			e2etest.Tlskit(t, dir, append([]string{"cert", "selfsign"}, tc.args...)...)
			file := tc.file
			if file == "" {
				// The file name of an IDN is not specified; take the one certificate written.
				matches, _ := filepath.Glob(filepath.Join(dir, "*.pem"))
				for _, m := range matches {
					if !strings.HasSuffix(m, "-key.pem") {
						file = filepath.Base(m)
					}
				}
				if file == "" {
					t.Fatalf("no certificate written; files: %v", matches)
				}
			}
			if !e2etest.Exists(dir, file) {
				entries, _ := os.ReadDir(dir)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("%s not written; directory holds %v", file, names)
			}
			keyFile := strings.TrimSuffix(file, ".pem") + "-key.pem"
			if !e2etest.Exists(dir, keyFile) {
				t.Errorf("%s not written", keyFile)
			}
			text := e2etest.X509Text(t, dir, file)
			if got := e2etest.ExtValue(text, "X509v3 Subject Alternative Name:"); got != tc.wantSANs {
				t.Errorf("SANs %q, want %q", got, tc.wantSANs)
			}
			checkLeafText(t, file, text, strings.Contains(tc.name, "rsa"))
			if aki, ski := e2etest.ExtValue(text, "X509v3 Authority Key Identifier:"), e2etest.ExtValue(text, "X509v3 Subject Key Identifier:"); aki != ski {
				t.Errorf("self-signed AKI %q != SKI %q", aki, ski)
			}
			verifyServer(t, dir, file, file, false)
		})
	}
}

// 4. Requests: tlskit's CSRs satisfy OpenSSL, and OpenSSL's CSRs are signed by tlskit's profile.
func TestCSR(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")

	e2etest.Tlskit(t, dir, "cert", "csr", "app.example.test", "www.app.example.test")
	verifyCSR(t, dir, "app.example.test.csr", "")
	out := e2etest.OpenSSL(t, dir, "req", "-in", "app.example.test.csr", "-noout", "-text")
	e2etest.MustContain(t, "tlskit CSR", out, "DNS:app.example.test, DNS:www.app.example.test", "CN = app.example.test")
	if pubKeyOf(t, dir, "req", "app.example.test.csr") != pubKeyOf(t, dir, "pkey", "app.example.test-key.pem") {
		t.Errorf("CSR and app.example.test-key.pem hold different keys")
	}
	e2etest.Tlskit(t, dir, "cert", "sign", "app.example.test.csr", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "app.example.test.pem", false)
	if pubKeyOf(t, dir, "x509", "app.example.test.pem") != pubKeyOf(t, dir, "pkey", "app.example.test-key.pem") {
		t.Errorf("signed certificate does not hold the CSR's key")
	}

	// OpenSSL's request asking to be a CA: only subject and SANs are taken.
	e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=req.example.test", "-addext", "subjectAltName=DNS:req.example.test",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
		"-keyout", "k.pem", "-out", "r.csr")
	e2etest.Tlskit(t, dir, "cert", "sign", "r.csr", "--ca-dir", "ca")
	text := e2etest.X509Text(t, dir, "req.example.test.pem")
	checkLeafText(t, "signed OpenSSL CSR", text, false)
	if strings.Contains(text, "CA:TRUE") || strings.Contains(text, "Certificate Sign") {
		t.Errorf("requested CA extensions were copied:\n%s", text)
	}
	if got := e2etest.ExtValue(text, "X509v3 Subject Alternative Name:"); got != "DNS:req.example.test" {
		t.Errorf("SANs %q", got)
	}
	verifyServer(t, dir, "ca/ca.pem", "req.example.test.pem", false)

	// The same request through stdin (DER requests: TestDERInputs).
	sr := e2etest.Exec(t, dir, string(e2etest.ReadFile(t, dir, "r.csr")), []string{"NO_COLOR=1"}, e2etest.Binary(), "cert", "sign", "-", "--ca-dir", "ca", "--out", "from-stdin.pem")
	if sr.Code != 0 {
		t.Errorf("cert sign - (stdin): exit %d: %s", sr.Code, sr.Stderr)
	} else {
		verifyServer(t, dir, "ca/ca.pem", "from-stdin.pem", false)
	}

	// The request's subject is kept exactly: attributes Go's pkix.Name does not know (DC,
	// emailAddress), their order, one RDN with two values.
	e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/DC=test/DC=example/CN=dn.example.test+OU=Ops/emailAddress=ops@example.test",
		"-addext", "subjectAltName=DNS:dn.example.test", "-keyout", "dn-key.pem", "-out", "dn.csr")
	e2etest.Tlskit(t, dir, "cert", "sign", "dn.csr", "--ca-dir", "ca", "--out", "dn.pem")
	wantDN := strings.TrimSpace(e2etest.OpenSSL(t, dir, "req", "-in", "dn.csr", "-noout", "-subject", "-nameopt", "RFC2253"))
	gotDN := strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", "dn.pem", "-noout", "-subject", "-nameopt", "RFC2253"))
	if gotDN != wantDN || !strings.Contains(gotDN, "DC=example") || !strings.Contains(gotDN, "emailAddress=ops@example.test") {
		t.Errorf("signed subject %q, the request's %q", gotDN, wantDN)
	}
	verifyServer(t, dir, "ca/ca.pem", "dn.pem", false)
	// And tlskit shows that name as openssl's RFC 2253 form does, DC and emailAddress by name
	// (the values of a multi-valued RDN may come in either order: RFC 4514 section 2.2).
	shown := ""
	for _, line := range strings.Split(e2etest.Tlskit(t, dir, "inspect", "dn.pem"), "\n") {
		if rest, ok := strings.CutPrefix(line, "[0] certificate "); ok {
			shown = rest
		}
	}
	if dnCanon(shown) != dnCanon(strings.TrimPrefix(gotDN, "subject=")) {
		t.Errorf("tlskit inspect shows the subject as %q, openssl as %q", shown, gotDN)
	}

	// A request without SANs uses its CN.
	e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=cnonly.example.test", "-keyout", "cn-key.pem", "-out", "cn.csr")
	e2etest.Tlskit(t, dir, "cert", "sign", "cn.csr", "--ca-dir", "ca")
	if got := e2etest.ExtValue(e2etest.X509Text(t, dir, "cnonly.example.test.pem"), "X509v3 Subject Alternative Name:"); got != "DNS:cnonly.example.test" {
		t.Errorf("CN-only CSR: SANs %q", got)
	}

	// A broken signature: flip a byte inside the signature (the DER's last byte).
	der := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "r.csr"), "CERTIFICATE REQUEST")[0]
	bad := append([]byte(nil), der...)
	bad[len(bad)-1] ^= 0x01
	e2etest.WriteFile(t, dir, "bad.csr", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bad})))
	if r := e2etest.Exec(t, dir, "", nil, "openssl", "req", "-in", "bad.csr", "-verify", "-noout"); r.Code == 0 && strings.Contains(r.Stdout+r.Stderr, "verify OK") {
		t.Fatalf("openssl accepts bad.csr: the corruption missed the signature\n%s%s", r.Stdout, r.Stderr)
	}
	e2etest.WriteFile(t, dir, "garbage.csr", "this is not a certificate request\n")
	e2etest.WriteFile(t, dir, "wrongpem.csr", string(e2etest.ReadFile(t, dir, "ca/ca.pem")))
	for _, tc := range []struct{ name, file string }{
		{"bad signature", "bad.csr"},
		{"garbage", "garbage.csr"},
		{"certificate, not request", "wrongpem.csr"},
		{"missing file", "nope.csr"},
	} {
		before := e2etest.Snapshot(t, dir)
		r := e2etest.TlskitFails(t, dir, "cert", "sign", tc.file, "--ca-dir", "ca", "--out", "refused.pem")
		if !strings.HasPrefix(r.Stderr, "tlskit: ") {
			t.Errorf("%s: stderr %q", tc.name, r.Stderr)
		}
		if r.Stdout != "" {
			t.Errorf("%s: stdout %q", tc.name, r.Stdout)
		}
		e2etest.SameSnapshot(t, "sign "+tc.name, before, e2etest.Snapshot(t, dir))
	}
}

// derEndingIn makes DER encodings with gen until one's last byte is (or, with want false, is
// not) ASCII white space. Signatures and public keys end in random bytes, so this takes about 40
// tries for white space and one or two otherwise.
func derEndingIn(t *testing.T, want bool, gen func() []byte) []byte {
	t.Helper()
	for range 5000 {
		der := gen()
		if last := der[len(der)-1]; bytes.IndexByte([]byte(" \t\n\v\f\r"), last) >= 0 == want {
			return der
		}
	}
	t.Fatal("no DER encoding with the wanted last byte in 5000 tries")
	return nil
}

// DER inputs are binary: any byte, white space included, may end them.
func TestDERInputs(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	makeCSR := func() []byte {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
			Subject: pkix.Name{CommonName: "der.example.test"}, DNSNames: []string{"der.example.test"},
		}, key)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	makeKey := func() []byte {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	for _, tc := range []struct {
		name       string
		whitespace bool
	}{{"ordinary last byte", false}, {"white space last byte", true}} {
		csr := derEndingIn(t, tc.whitespace, makeCSR)
		file := fmt.Sprintf("req-%t.der", tc.whitespace)
		e2etest.WriteFile(t, dir, file, string(csr))
		r := e2etest.Exec(t, dir, "", nil, "openssl", "req", "-inform", "DER", "-in", file, "-verify", "-noout")
		if r.Code != 0 || !strings.Contains(r.Stdout+r.Stderr, "verify OK") {
			t.Fatalf("openssl rejects %s: %s%s", file, r.Stdout, r.Stderr)
		}
		out := fmt.Sprintf("csr-%t.pem", tc.whitespace)
		if _, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "sign", file, "--ca-dir", "ca", "--out", out); code != 0 {
			t.Errorf("BUG (%s): `tlskit cert sign %s` of a valid DER request (last byte %#02x; openssl req -inform DER -verify: OK) exits %d: %s",
				tc.name, file, csr[len(csr)-1], code, strings.TrimSpace(errOut))
		} else {
			verifyServer(t, dir, "ca/ca.pem", out, false)
		}

		keyDER := derEndingIn(t, tc.whitespace, makeKey)
		keyFile := fmt.Sprintf("key-%t.der", tc.whitespace)
		e2etest.WriteFile(t, dir, keyFile, string(keyDER))
		e2etest.OpenSSL(t, dir, "pkey", "-inform", "DER", "-in", keyFile, "-noout")
		out = fmt.Sprintf("key-%t.pem", tc.whitespace)
		if _, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "der.example.test", "--key", keyFile, "--out", out); code != 0 {
			t.Errorf("BUG (%s): `tlskit cert selfsign --key %s` of a valid DER PKCS#8 key (last byte %#02x; openssl pkey -inform DER: OK) exits %d: %s",
				tc.name, keyFile, keyDER[len(keyDER)-1], code, strings.TrimSpace(errOut))
		} else if pubKeyOf(t, dir, "x509", out) != pubKeyOf(t, dir, "pkey", keyFile, "-inform", "DER") {
			t.Errorf("%s: certificate for %s holds another key", tc.name, keyFile)
		}
	}
}

// 5. Encrypted keys, in OpenSSL's and tlskit's hands: four independent parts, in parallel, each
// in a directory of its own.
func TestEncryptedKeys(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	passwords := func(t *testing.T) string {
		dir := t.TempDir()
		e2etest.WriteFile(t, dir, "pw", "correct horse battery staple\n")
		e2etest.WriteFile(t, dir, "wrongpw", "incorrect\n")
		return dir
	}

	t.Run("release cost", func(t *testing.T) {
		t.Parallel()
		dir := passwords(t)
		// The one key of the end-to-end tests written at the release cost (600 000 rounds), for
		// OpenSSL to read and asn1parse to count, and for tlskit to read back; every other run
		// uses e2etest.TestKDFIterations. Each derivation at that cost is 0.1 s of CPU (OpenSSL's
		// refusal of a wrong password, which tries every decoder, 0.36 s), so this key is derived
		// three times (written, read by OpenSSL, read by tlskit) and the wrong and missing
		// passwords are tried on a key written the same way at the test cost: this test took
		// 1.35 s of CPU before, 0.6 s now.
		if _, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1", e2etest.FullKDFCost},
			"cert", "selfsign", "enc.example.test", "--key-password-file", "pw", "--key-out", "key.pem"); code != 0 {
			t.Fatalf("cert selfsign: exit %d\n%s", code, errOut)
		}
		keyPEM := string(e2etest.ReadFile(t, dir, "key.pem"))
		if !strings.HasPrefix(keyPEM, "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
			t.Errorf("key.pem is not encrypted PKCS#8:\n%s", keyPEM)
		}
		keyPub := pubKeyOf(t, dir, "pkey", "key.pem", "-passin", "file:pw")
		asn := e2etest.OpenSSL(t, dir, "asn1parse", "-in", "key.pem")
		e2etest.MustContain(t, "asn1parse key.pem", asn, ":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc")
		if !regexp.MustCompile(`INTEGER\s+:0927C0\b`).MatchString(asn) {
			t.Errorf("iteration count 600000 (0927C0) not found:\n%s", asn)
		}
		if pubKeyOf(t, dir, "x509", "enc.example.test.pem") != keyPub {
			t.Errorf("certificate does not hold the encrypted key's public key")
		}

		// Reuse the key for a request.
		e2etest.Tlskit(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--key-password-file", "pw", "--out", "enc.csr")
		verifyCSR(t, dir, "enc.csr", "")
		if pubKeyOf(t, dir, "req", "enc.csr") != keyPub {
			t.Errorf("CSR made with --key does not hold that key")
		}
		if !bytes.Equal(e2etest.ReadFile(t, dir, "key.pem"), []byte(keyPEM)) {
			t.Errorf("reusing key.pem changed it")
		}
	})

	t.Run("wrong and missing passwords", func(t *testing.T) {
		t.Parallel()
		dir := passwords(t)
		// On a key encrypted as the release-cost one is, at the test cost: OpenSSL refuses it,
		// and tlskit says so in one error line and writes nothing.
		e2etest.Tlskit(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw", "--key-out", "key.pem")
		asn := e2etest.OpenSSL(t, dir, "asn1parse", "-in", "key.pem")
		e2etest.MustContain(t, "asn1parse key.pem", asn, ":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc")
		if r := e2etest.Exec(t, dir, "", nil, "openssl", "pkey", "-in", "key.pem", "-passin", "file:wrongpw", "-noout"); r.Code == 0 {
			t.Errorf("openssl decrypted key.pem with the wrong password")
		}
		before := e2etest.Snapshot(t, dir)
		r := e2etest.TlskitFails(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--key-password-file", "wrongpw", "--out", "wrong.csr")
		if lines := strings.Split(strings.TrimSuffix(r.Stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "tlskit: ") {
			t.Errorf("wrong password: want one `tlskit: ` line, got %q", r.Stderr)
		}
		e2etest.SameSnapshot(t, "csr with wrong password", before, e2etest.Snapshot(t, dir))
		r = e2etest.TlskitFails(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--out", "nopw.csr")
		e2etest.MustContain(t, "no password", r.Stderr, "tlskit: ", "tlskit: hint:", "--key-password-file")
		e2etest.SameSnapshot(t, "csr without password", before, e2etest.Snapshot(t, dir))
	})

	t.Run("OpenSSL's key", func(t *testing.T) {
		t.Parallel()
		dir := passwords(t)
		// A key OpenSSL encrypted (PBES2, OpenSSL's defaults) is read by tlskit.
		e2etest.OpenSSL(t, dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc", "-pass", "file:pw", "-out", "ossl-key.pem")
		e2etest.Tlskit(t, dir, "cert", "selfsign", "ossl.example.test", "--key", "ossl-key.pem", "--key-password-file", "pw")
		if pubKeyOf(t, dir, "x509", "ossl.example.test.pem") != pubKeyOf(t, dir, "pkey", "ossl-key.pem", "-passin", "file:pw") {
			t.Errorf("certificate for an OpenSSL-encrypted key holds another key")
		}
	})

	t.Run("CA", func(t *testing.T) {
		t.Parallel()
		dir := passwords(t)
		// A CA with an encrypted key.
		e2etest.Tlskit(t, dir, "ca", "create", "--dir", "eca", "--key-password-file", "pw")
		if !strings.HasPrefix(string(e2etest.ReadFile(t, dir, "eca/ca-key.pem")), "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
			t.Errorf("eca/ca-key.pem is not encrypted")
		}
		e2etest.OpenSSL(t, dir, "pkey", "-in", "eca/ca-key.pem", "-passin", "file:pw", "-noout")
		e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "eca", "--ca-key-password-file", "pw")
		verifyServer(t, dir, "eca/ca.pem", "localhost.pem", false)
		e2etest.Tlskit(t, dir, "cert", "issue", "alt.example.test", "--ca-cert", "eca/ca.pem", "--ca-key", "eca/ca-key.pem", "--ca-key-password-file", "pw")
		verifyServer(t, dir, "eca/ca.pem", "alt.example.test.pem", false)
		e2etest.Tlskit(t, dir, "ca", "create", "--dir", "eint", "--parent-dir", "eca", "--parent-key-password-file", "pw")
		e2etest.Tlskit(t, dir, "cert", "issue", "viaint.example.test", "--ca-dir", "eint")
		verifyServer(t, dir, "eint/root.pem", "viaint.example.test.pem", true)

		before := e2etest.Snapshot(t, dir)
		r := e2etest.TlskitFails(t, dir, "cert", "issue", "nopw.example.test", "--ca-dir", "eca")
		e2etest.MustContain(t, "CA key without password", r.Stderr, "tlskit: hint:", "--ca-key-password-file")
		r = e2etest.TlskitFails(t, dir, "cert", "issue", "wrongpw.example.test", "--ca-dir", "eca", "--ca-key-password-file", "wrongpw")
		if !strings.HasPrefix(r.Stderr, "tlskit: ") {
			t.Errorf("CA key with wrong password: stderr %q", r.Stderr)
		}
		e2etest.TlskitFails(t, dir, "ca", "create", "--dir", "eint2", "--parent-dir", "eca", "--parent-key-password-file", "wrongpw")
		e2etest.SameSnapshot(t, "encrypted CA key errors", before, e2etest.Snapshot(t, dir))
	})
}

// 6. PKCS#12 that OpenSSL 3 opens.
func TestPKCS12(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.WriteFile(t, dir, "pw", "p12 secret\n")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")

	tests := []struct {
		name  string
		args  []string
		certs int
	}{
		{"selfsign", []string{"cert", "selfsign", "self.example.test", "--p12", "self.p12"}, 1},
		{"issue from intermediate", []string{"cert", "issue", "localhost", "--ca-dir", "int", "--p12", "out.p12"}, 2},
	}
	for _, tc := range tests {
		args := append(tc.args, "--p12-password-file", "pw")
		e2etest.Tlskit(t, dir, args...)
		p12 := tc.args[len(tc.args)-1]
		info := e2etest.OpenSSL(t, dir, "pkcs12", "-in", p12, "-info", "-noout", "-passin", "file:pw")
		e2etest.MustContain(t, p12+" -info", info, "MAC: sha256", "PBES2, PBKDF2, AES-256-CBC")
		st, err := os.Stat(filepath.Join(dir, p12))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %s mode %#o, want 0600", tc.name, p12, st.Mode().Perm())
		}
		certsOut := e2etest.OpenSSL(t, dir, "pkcs12", "-in", p12, "-nokeys", "-passin", "file:pw")
		if n := strings.Count(certsOut, "-----BEGIN CERTIFICATE-----"); n != tc.certs {
			t.Errorf("%s: %s holds %d certificates, want %d", tc.name, p12, n, tc.certs)
		}
		keyOut := e2etest.OpenSSL(t, dir, "pkcs12", "-in", p12, "-nocerts", "-nodes", "-passin", "file:pw")
		pub := e2etest.OpenSSLIn(t, dir, keyOut, "pkey", "-pubout")
		certPub := e2etest.OpenSSLIn(t, dir, certsOut, "x509", "-noout", "-pubkey")
		if !strings.Contains(pub, certPub) || certPub == "" {
			t.Errorf("%s: the key in %s does not match its certificate", tc.name, p12)
		}
		if r := e2etest.Exec(t, dir, "", nil, "openssl", "pkcs12", "-in", p12, "-info", "-noout", "-passin", "pass:wrong"); r.Code == 0 {
			t.Errorf("%s: openssl opened %s with the wrong password", tc.name, p12)
		}
	}

	before := e2etest.Snapshot(t, dir)
	if r := e2etest.TlskitFails(t, dir, "cert", "selfsign", "nopw.example.test", "--p12", "nopw.p12"); r.Code != 2 {
		t.Errorf("--p12 without --p12-password-file: exit %d, want 2", r.Code)
	}
	e2etest.SameSnapshot(t, "--p12 without password", before, e2etest.Snapshot(t, dir))
}

// 7. Real TLS: a Go server with the issued files, and curl and openssl s_client as clients.
func TestTLSHandshake(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	peertest.Need(t, "curl")
	t.Parallel()
	tests := []struct {
		name     string
		setup    [][]string
		caDir    string
		trust    string
		keyType  string
		nCertsIn int
	}{
		{"root", [][]string{{"ca", "create", "--dir", "ca"}}, "ca", "ca/ca.pem", "ecdsa-p256", 1},
		{"intermediate", [][]string{{"ca", "create", "--dir", "ca"}, {"ca", "create", "--dir", "int", "--parent-dir", "ca"}}, "int", "int/root.pem", "ecdsa-p256", 2},
		{"rsa leaf", [][]string{{"ca", "create", "--dir", "ca"}}, "ca", "ca/ca.pem", "rsa-2048", 1},
		{"ed25519 leaf", [][]string{{"ca", "create", "--dir", "ca"}}, "ca", "ca/ca.pem", "ed25519", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, args := range tc.setup {
				e2etest.Tlskit(t, dir, args...)
			}
			e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", tc.caDir, "--key-type", tc.keyType)
			cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "localhost.pem"), filepath.Join(dir, "localhost-key.pem"))
			if err != nil {
				t.Fatalf("tls.LoadX509KeyPair on the issued files: %v", err)
			}
			if len(cert.Certificate) != tc.nCertsIn {
				t.Errorf("localhost.pem holds %d certificates, want %d", len(cert.Certificate), tc.nCertsIn)
			}
			port := serveTLS(t, cert)

			const body = "hello from tlskit e2e\n"
			url := "https://localhost:" + port + "/"
			r := e2etest.Exec(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10",
				"--resolve", "localhost:"+port+":127.0.0.1", "--cacert", tc.trust, url)
			if r.Code != 0 || r.Stdout != body {
				t.Errorf("curl %s: exit %d, body %q\n%s", url, r.Code, r.Stdout, r.Stderr)
			}
			ipURL := "https://127.0.0.1:" + port + "/"
			r = e2etest.Exec(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10", "--cacert", tc.trust, ipURL)
			if r.Code != 0 || r.Stdout != body {
				t.Errorf("curl %s: exit %d, body %q\n%s", ipURL, r.Code, r.Stdout, r.Stderr)
			}
			// The wrong trust anchor must fail, or the checks above prove nothing.
			e2etest.Tlskit(t, dir, "ca", "create", "--dir", "other")
			r = e2etest.Exec(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10",
				"--resolve", "localhost:"+port+":127.0.0.1", "--cacert", "other/ca.pem", url)
			if r.Code == 0 {
				t.Errorf("curl accepted the server with an unrelated CA")
			}

			r = e2etest.Exec(t, dir, "", nil, "openssl", "s_client", "-connect", "127.0.0.1:"+port, "-servername", "localhost",
				"-verify_hostname", "localhost", "-verify_return_error", "-CAfile", tc.trust, "-brief")
			if r.Code != 0 {
				t.Errorf("openssl s_client: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			} else {
				e2etest.MustContain(t, "s_client", r.Stdout+r.Stderr, "Verification: OK")
			}
		})
	}
}

// serveTLS serves HTTPS on 127.0.0.1 with cert until the test ends and returns the port.
func serveTLS(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			io.WriteString(w, "hello from tlskit e2e\n")
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // clients that hang up after the handshake
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeTLS(ln, "", "")
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// 8. File modes under umask 000. Not parallel: the umask is the whole process's.
func TestFileModesUmask(t *testing.T) {
	dir := t.TempDir()
	e2etest.WriteFile(t, dir, "pw", "pw\n")
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "selfsign", "self.example.test")
	e2etest.Tlskit(t, dir, "cert", "issue", "issued.example.test", "--ca-dir", "int", "--p12", "issued.p12", "--p12-password-file", "pw")
	e2etest.Tlskit(t, dir, "cert", "csr", "req.example.test")
	e2etest.Tlskit(t, dir, "cert", "sign", "req.example.test.csr", "--ca-dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw")
	syscall.Umask(old)

	for file, want := range map[string]fs.FileMode{
		"ca":                          0o700,
		"ca/ca.pem":                   0o644,
		"ca/ca-key.pem":               0o600,
		"int":                         0o700,
		"int/ca.pem":                  0o644,
		"int/ca-key.pem":              0o600,
		"int/root.pem":                0o644,
		"self.example.test.pem":       0o644,
		"self.example.test-key.pem":   0o600,
		"issued.example.test.pem":     0o644,
		"issued.example.test-key.pem": 0o600,
		"issued.p12":                  0o600,
		"req.example.test.csr":        0o644,
		"req.example.test-key.pem":    0o600,
		"req.example.test.pem":        0o644,
		"enc.example.test.pem":        0o644,
		"enc.example.test-key.pem":    0o600,
	} {
		st, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o under umask 000, want %#o", file, got, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") || strings.HasPrefix(e.Name(), ".tlskit") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// 8. No overwriting without --force, and --force replaces.
func TestNoOverwrite(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost")
	cert1, key1 := e2etest.ReadFile(t, dir, "localhost.pem"), e2etest.ReadFile(t, dir, "localhost-key.pem")

	before := e2etest.Snapshot(t, dir)
	r := e2etest.TlskitFails(t, dir, "cert", "selfsign", "localhost")
	if r.Code != 1 {
		t.Errorf("second selfsign: exit %d, want 1", r.Code)
	}
	if !strings.HasPrefix(r.Stderr, "tlskit: ") {
		t.Errorf("stderr does not start with `tlskit: `: %q", r.Stderr)
	}
	hint := ""
	for _, line := range strings.Split(r.Stderr, "\n") {
		if strings.HasPrefix(line, "tlskit: hint:") {
			hint = line
		}
	}
	if !strings.Contains(hint, "--force") {
		t.Errorf("no `tlskit: hint:` line mentioning --force in %q", r.Stderr)
	}
	if r.Stdout != "" {
		t.Errorf("stdout %q", r.Stdout)
	}
	e2etest.SameSnapshot(t, "second selfsign", before, e2etest.Snapshot(t, dir))
	if !bytes.Equal(e2etest.ReadFile(t, dir, "localhost.pem"), cert1) || !bytes.Equal(e2etest.ReadFile(t, dir, "localhost-key.pem"), key1) {
		t.Errorf("the refused run changed the first files")
	}
	// Only the key exists: still refused, certificate not written.
	if err := os.Rename(filepath.Join(dir, "localhost.pem"), filepath.Join(dir, "first.pem")); err != nil {
		t.Fatal(err)
	}
	before = e2etest.Snapshot(t, dir)
	e2etest.TlskitFails(t, dir, "cert", "selfsign", "localhost")
	e2etest.SameSnapshot(t, "selfsign with only the key present", before, e2etest.Snapshot(t, dir))
	if err := os.Rename(filepath.Join(dir, "first.pem"), filepath.Join(dir, "localhost.pem")); err != nil {
		t.Fatal(err)
	}

	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "--force")
	cert2, key2 := e2etest.ReadFile(t, dir, "localhost.pem"), e2etest.ReadFile(t, dir, "localhost-key.pem")
	if bytes.Equal(cert1, cert2) || bytes.Equal(key1, key2) {
		t.Errorf("--force did not replace the files")
	}
	if pubKeyOf(t, dir, "x509", "localhost.pem") != pubKeyOf(t, dir, "pkey", "localhost-key.pem") {
		t.Errorf("after --force the certificate and key do not match")
	}
	for file, want := range map[string]fs.FileMode{"localhost.pem": 0o644, "localhost-key.pem": 0o600} {
		if st, err := os.Stat(filepath.Join(dir, file)); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s after --force: %v %v, want %#o", file, st.Mode(), err, want)
		}
	}

	// A symlink in the way is itself the existing file: refused without --force, and --force
	// replaces the link, never writing through it.
	e2etest.WriteFile(t, dir, "victim.txt", "do not touch\n")
	if err := os.Symlink("victim.txt", filepath.Join(dir, "link.example.test.pem")); err != nil {
		t.Fatal(err)
	}
	before = e2etest.Snapshot(t, dir)
	e2etest.TlskitFails(t, dir, "cert", "selfsign", "link.example.test")
	e2etest.SameSnapshot(t, "selfsign over a symlink", before, e2etest.Snapshot(t, dir))
	e2etest.Tlskit(t, dir, "cert", "selfsign", "link.example.test", "--force")
	if got := string(e2etest.ReadFile(t, dir, "victim.txt")); got != "do not touch\n" {
		t.Errorf("--force wrote through a symlink: victim.txt now %q", got)
	}
	if st, err := os.Lstat(filepath.Join(dir, "link.example.test.pem")); err != nil || st.Mode()&fs.ModeSymlink != 0 {
		t.Errorf("link.example.test.pem is still a symlink after --force (%v)", err)
	}

	// ca create refuses an existing CA too.
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	before = e2etest.Snapshot(t, dir)
	r = e2etest.TlskitFails(t, dir, "ca", "create", "--dir", "ca")
	e2etest.MustContain(t, "second ca create", r.Stderr, "tlskit: hint:", "--force")
	e2etest.SameSnapshot(t, "second ca create", before, e2etest.Snapshot(t, dir))
}

// 8. Every error path leaves the directory as it was.
func TestErrorsLeaveNoFiles(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.WriteFile(t, dir, "pw", "right\n")
	e2etest.WriteFile(t, dir, "wrongpw", "wrong\n")
	e2etest.WriteFile(t, dir, "garbage.csr", "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----\n")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca1")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca2")
	e2etest.Tlskit(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw", "--key-out", "enc-key.pem", "--out", "enc.pem")
	e2etest.Tlskit(t, dir, "cert", "csr", "good.example.test", "--out", "good.csr", "--key-out", "good-key.pem")
	der := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "good.csr"), "CERTIFICATE REQUEST")[0]
	bad := append([]byte(nil), der...)
	bad[len(bad)-2] ^= 0x40
	e2etest.WriteFile(t, dir, "badsig.csr", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bad})))

	tests := []struct {
		name string
		args []string
		code int // 0: any non-zero
	}{
		{"days 0", []string{"cert", "selfsign", "x.example.test", "--days", "0"}, 2},
		{"days 0 issue", []string{"cert", "issue", "x.example.test", "--ca-dir", "ca1", "--days", "0"}, 2},
		{"days too many", []string{"cert", "selfsign", "x.example.test", "--days", "40000"}, 2},
		{"host with space", []string{"cert", "selfsign", "bad host"}, 2},
		{"host with bang", []string{"cert", "selfsign", "exa!mple.com"}, 2},
		{"host with bang issue", []string{"cert", "issue", "exa!mple.com", "--ca-dir", "ca1"}, 2},
		{"host with bang csr", []string{"cert", "csr", "exa!mple.com"}, 2},
		{"missing out dir", []string{"cert", "selfsign", "x.example.test", "--out", "missing-dir/x.pem"}, 0},
		{"missing key-out dir", []string{"cert", "selfsign", "x.example.test", "--key-out", "missing-dir/x-key.pem"}, 0},
		{"missing p12 dir", []string{"cert", "selfsign", "x.example.test", "--p12", "missing-dir/x.p12", "--p12-password-file", "pw"}, 0},
		{"missing out dir issue", []string{"cert", "issue", "x.example.test", "--ca-dir", "ca1", "--out", "missing-dir/x.pem"}, 0},
		{"mismatched CA cert and key", []string{"cert", "issue", "x.example.test", "--ca-cert", "ca1/ca.pem", "--ca-key", "ca2/ca-key.pem"}, 0},
		{"mismatched CA sign", []string{"cert", "sign", "good.csr", "--ca-cert", "ca1/ca.pem", "--ca-key", "ca2/ca-key.pem"}, 0},
		{"missing CA dir", []string{"cert", "issue", "x.example.test", "--ca-dir", "noca"}, 0},
		{"wrong key password selfsign", []string{"cert", "selfsign", "x.example.test", "--key", "enc-key.pem", "--key-password-file", "wrongpw"}, 0},
		{"wrong key password issue", []string{"cert", "issue", "x.example.test", "--ca-dir", "ca1", "--key", "enc-key.pem", "--key-password-file", "wrongpw"}, 0},
		{"encrypted key without password", []string{"cert", "selfsign", "x.example.test", "--key", "enc-key.pem"}, 0},
		{"malformed CSR", []string{"cert", "sign", "garbage.csr", "--ca-dir", "ca1"}, 0},
		{"CSR with bad signature", []string{"cert", "sign", "badsig.csr", "--ca-dir", "ca1"}, 0},
		{"p12 without password file", []string{"cert", "selfsign", "x.example.test", "--p12", "x.p12"}, 2},
		{"key-out stdout", []string{"cert", "selfsign", "x.example.test", "--key-out", "-"}, 2},
		{"bad key type", []string{"cert", "selfsign", "x.example.test", "--key-type", "dsa-1024"}, 2},
		{"ca create days 0", []string{"ca", "create", "--dir", "newca", "--days", "0"}, 2},
		{"ca create bad constraint", []string{"ca", "create", "--dir", "newca", "--name-constraint", "bad domain"}, 2},
		{"ca create missing parent", []string{"ca", "create", "--dir", "newca", "--parent-dir", "noca"}, 0},
		{"ca create missing dir parent", []string{"ca", "create", "--dir", "missing-dir/ca"}, 0},
	}
	for _, tc := range tests {
		before := e2etest.Snapshot(t, dir)
		r := e2etest.TlskitFails(t, dir, tc.args...)
		if tc.code != 0 && r.Code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, r.Code, tc.code, r.Stderr)
		}
		if !strings.HasPrefix(r.Stderr, "tlskit: ") {
			t.Errorf("%s: stderr does not start with `tlskit: `: %q", tc.name, r.Stderr)
		}
		if r.Stdout != "" {
			t.Errorf("%s: stdout %q", tc.name, r.Stdout)
		}
		e2etest.SameSnapshot(t, tc.name, before, e2etest.Snapshot(t, dir))
	}
}

// 9. --out - and -o json.
func TestStdout(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")

	out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "localhost", "--out", "-")
	if code != 0 {
		t.Fatalf("selfsign --out -: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("stdout is not PEM: %q", out)
	}
	e2etest.OpenSSLIn(t, dir, out, "x509", "-noout", "-subject")
	e2etest.MustContain(t, "summary on stderr", errOut, "subject      CN=localhost", "localhost-key.pem")
	if strings.Contains(errOut, "BEGIN") {
		t.Errorf("PEM on stderr: %q", errOut)
	}
	if e2etest.Exists(dir, "localhost.pem") {
		t.Errorf("--out - also wrote localhost.pem")
	}
	if !e2etest.Exists(dir, "localhost-key.pem") {
		t.Errorf("--out - did not write the key to localhost-key.pem")
	}

	out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "json.example.test", "--ca-dir", "ca", "--out", "-", "-o", "json")
	if code != 0 {
		t.Fatalf("issue --out - -o json: exit %d: %s", code, errOut)
	}
	fp := e2etest.OpenSSLIn(t, dir, out, "x509", "-noout", "-fingerprint", "-sha256")
	var s map[string]any
	if err := json.Unmarshal([]byte(errOut), &s); err != nil {
		t.Fatalf("stderr is not one JSON document: %v\n%s", err, errOut)
	}
	for _, k := range []string{"files", "subject", "sans", "not_after", "sha256_fingerprint"} {
		if _, ok := s[k]; !ok {
			t.Errorf("JSON summary lacks %q: %s", k, errOut)
		}
	}
	if f, _ := s["sha256_fingerprint"].(string); f == "" || !strings.Contains(fp, "="+f) {
		t.Errorf("sha256_fingerprint %q, openssl says %q", f, fp)
	}
	if na, _ := s["not_after"].(string); na != "" {
		if _, err := time.Parse(time.RFC3339, na); err != nil {
			t.Errorf("not_after %q: %v", na, err)
		}
	}
	if sans, _ := s["sans"].([]any); len(sans) != 1 || sans[0] != "DNS:json.example.test" {
		t.Errorf("sans %v", s["sans"])
	}
	files, _ := s["files"].([]any)
	if len(files) != 1 {
		t.Errorf("files %v, want only the key", s["files"])
	} else if f, _ := files[0].(map[string]any); f["path"] != "json.example.test-key.pem" || f["mode"] != "0600" {
		t.Errorf("files[0] = %v", f)
	}

	// -o json to stdout when the PEM goes to a file.
	out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "file.example.test", "-o", "json")
	if code != 0 {
		t.Fatalf("selfsign -o json: exit %d: %s", code, errOut)
	}
	var s2 struct {
		Files []struct{ Path, Kind, Mode string } `json:"files"`
		SHA   string                              `json:"sha256_fingerprint"`
	}
	if err := json.Unmarshal([]byte(out), &s2); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range s2.Files {
		got[f.Path] = f.Mode
	}
	if got["file.example.test.pem"] != "0644" || got["file.example.test-key.pem"] != "0600" || len(got) != 2 {
		t.Errorf("files %+v", s2.Files)
	}
	if fp := e2etest.OpenSSL(t, dir, "x509", "-in", "file.example.test.pem", "-noout", "-fingerprint", "-sha256"); s2.SHA == "" || !strings.Contains(fp, "="+s2.SHA) {
		t.Errorf("sha256_fingerprint %q, openssl says %q", s2.SHA, fp)
	}

	// A request on stdout, signed from stdin.
	csrOut, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "csr", "pipe.example.test", "--out", "-")
	if code != 0 {
		t.Fatalf("csr --out -: exit %d: %s", code, errOut)
	}
	verifyCSR(t, dir, "", csrOut)
	r := e2etest.Exec(t, dir, csrOut, []string{"NO_COLOR=1"}, e2etest.Binary(), "cert", "sign", "-", "--ca-dir", "ca", "--out", "-", "-q")
	if r.Code != 0 {
		t.Fatalf("sign - --out -: exit %d: %s", r.Code, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("-q with --out -: stderr %q", r.Stderr)
	}
	e2etest.WriteFile(t, dir, "piped.pem", r.Stdout)
	verifyServer(t, dir, "ca/ca.pem", "piped.pem", false)
	if e2etest.Exists(dir, "pipe.example.test.pem") || e2etest.Exists(dir, "pipe.example.test.csr") {
		t.Errorf("--out - wrote a file")
	}
	if n := len(e2etest.PEMBlocks([]byte(r.Stdout), "CERTIFICATE")); n != 1 {
		t.Errorf("sign --out - printed %d certificates from a root, want 1", n)
	}
}

// dnCanon puts the values of each multi-valued RDN of a simple (unescaped) RFC 4514 string in
// order, so two renderings that differ only there compare equal.
func dnCanon(s string) string {
	rdns := strings.Split(s, ",")
	for i, r := range rdns {
		vals := strings.Split(r, "+")
		sort.Strings(vals)
		rdns[i] = strings.Join(vals, "+")
	}
	return strings.Join(rdns, ",")
}

// TestSubjectAsWritten checks --subject against OpenSSL: the slash form is encoded in the
// order written, as openssl req -subj does, the RFC 4514 form as RFC 4514 reads it, DC, UID and
// emailAddress are accepted (as IA5Strings where their definitions say so), --cn adds the CN a
// --subject lacks (one that has another is a usage error: usage.txtar), and certificates
// issued under a CA named so still verify.
func TestSubjectAsWritten(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	subjectOf := func(args ...string) string {
		t.Helper()
		out := e2etest.OpenSSL(t, dir, append(args, "-noout", "-subject", "-nameopt", "RFC2253")...)
		return strings.TrimPrefix(strings.TrimSpace(out), "subject=")
	}

	// What openssl itself makes of the same -subj, to compare with.
	e2etest.OpenSSL(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
		"-subj", "/DC=test/DC=example/O=Acme/CN=x.example.test/emailAddress=ops@example.test",
		"-keyout", "o-key.pem", "-out", "o.pem")
	want := subjectOf("x509", "-in", "o.pem")

	e2etest.Tlskit(t, dir, "cert", "selfsign", "x.example.test", "--subject", "/DC=test/DC=example/O=Acme/CN=x.example.test/emailAddress=ops@example.test",
		"--out", "slash.pem", "--key-out", "slash-key.pem")
	if got := subjectOf("x509", "-in", "slash.pem"); got != want {
		t.Errorf("slash form: subject %q, openssl -subj gives %q", got, want)
	}
	parse := e2etest.OpenSSL(t, dir, "asn1parse", "-in", "slash.pem")
	for _, w := range []string{"IA5STRING         :test", "IA5STRING         :ops@example.test", "PRINTABLESTRING   :Acme"} {
		if !strings.Contains(parse, w) {
			t.Errorf("asn1parse lacks %q:\n%s", w, parse)
		}
	}

	e2etest.Tlskit(t, dir, "cert", "csr", "r.example.test", "--subject", "O=Acme,DC=example,DC=test", "--cn", "r.example.test")
	if got := subjectOf("req", "-in", "r.example.test.csr"); got != "CN=r.example.test,O=Acme,DC=example,DC=test" {
		t.Errorf("RFC 4514 form with --cn: request subject %q", got)
	}
	verifyCSR(t, dir, "r.example.test.csr", "")

	// A CA named with DC components: what it issues names it as issuer byte for byte.
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca", "--subject", "/DC=test/DC=example/CN=Example Root")
	if got := subjectOf("x509", "-in", "ca/ca.pem"); got != "CN=Example Root,DC=example,DC=test" {
		t.Errorf("CA subject %q", got)
	}
	e2etest.Tlskit(t, dir, "cert", "issue", "svc.example.test", "--ca-dir", "ca", "--subject", "/UID=svc/CN=svc.example.test")
	if got := subjectOf("x509", "-in", "svc.example.test.pem", "-issuer"); !strings.Contains(got, "CN=svc.example.test,UID=svc") {
		t.Errorf("leaf subject %q", got)
	}
	verifyServer(t, dir, "ca/ca.pem", "svc.example.test.pem", false)
}

// TestSignSaysWhatItDidNotCopy: a request that asks for CA:TRUE, a key usage and an extended
// key usage is signed as a leaf with only its subject and SANs, and the warning names what was
// left out; OpenSSL reads the certificate as no CA.
func TestSignSaysWhatItDidNotCopy(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=ask.test",
		"-addext", "subjectAltName=DNS:ask.test", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign",
		"-keyout", "ask-key.pem", "-out", "ask.csr")
	_, errOut, code := e2etest.RunTlskit(t, dir, nil, "cert", "sign", "ask.csr", "--ca-dir", "ca", "--out", "ask.pem")
	if code != 0 {
		t.Fatalf("cert sign: exit %d\n%s", code, errOut)
	}
	e2etest.MustContain(t, "cert sign warning", errOut, "tlskit: warning: the request asks for basicConstraints (CA:TRUE), keyUsage; not copied")
	text := e2etest.OpenSSL(t, dir, "x509", "-in", "ask.pem", "-noout", "-text")
	if strings.Contains(text, "CA:TRUE") || !strings.Contains(text, "DNS:ask.test") {
		t.Errorf("the signed certificate should keep the SAN and not be a CA:\n%s", text)
	}
}
