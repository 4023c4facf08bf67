//go:build unix

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of `tlskit cert ...` and `tlskit ca create` against the real OpenSSL 3 and
// curl on the machine: what tlskit writes must be what those tools accept. Every test works in
// its own t.TempDir(); nothing here talks to anything but 127.0.0.1.

// runResult is what a process did.
type runResult struct {
	stdout, stderr string
	code           int
}

// execIn runs name with args in dir, with stdin as its input (closed when empty), and reports
// its output and exit code. A failure to start the process at all fails the test.
func execIn(t *testing.T, dir, stdin string, env []string, name string, args ...string) runResult {
	t.Helper()
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	c.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	r := runResult{stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("running %s %v: %v", name, args, err)
	}
	return r
}

// runIn runs the tlskit binary built by TestMain in dir.
func runIn(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r := execIn(t, dir, "", env, binary, args...)
	return r.stdout, r.stderr, r.code
}

// tk runs tlskit in dir and fails the test unless it exits 0; it returns stdout.
func tk(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, args...)
	if code != 0 {
		t.Fatalf("tlskit %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// tkFail runs tlskit in dir and fails the test if it exits 0; it returns the result.
func tkFail(t *testing.T, dir string, args ...string) runResult {
	t.Helper()
	out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, args...)
	if code == 0 {
		t.Errorf("tlskit %s: exit 0, want a failure\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return runResult{out, errOut, code}
}

// ossl runs openssl in dir and fails the test unless it exits 0; it returns stdout and stderr
// together, since OpenSSL prints its verdicts on either.
func ossl(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := execIn(t, dir, "", nil, "openssl", args...)
	if r.code != 0 {
		t.Fatalf("openssl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout + r.stderr
}

// osslIn is ossl with input on stdin.
func osslIn(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	r := execIn(t, dir, stdin, nil, "openssl", args...)
	if r.code != 0 {
		t.Fatalf("openssl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout + r.stderr
}

var (
	opensslOnce sync.Once
	opensslErr  string
)

// needOpenSSL ends the test unless OpenSSL 3 is on PATH (peertest.Need's rule: a skip on a
// developer's machine, a failure where peers are required).
func needOpenSSL(t *testing.T) {
	t.Helper()
	path := peertest.Need(t, "openssl")
	opensslOnce.Do(func() {
		out, err := exec.Command(path, "version").Output()
		if err != nil {
			opensslErr = "openssl version: " + err.Error()
			return
		}
		if !strings.HasPrefix(string(out), "OpenSSL 3.") {
			opensslErr = "need OpenSSL 3, have " + strings.TrimSpace(string(out))
		}
	})
	if opensslErr != "" && peertest.Required() {
		t.Fatal(opensslErr)
	}
	if opensslErr != "" {
		t.Skip(opensslErr)
	}
}

func needCurl(t *testing.T) {
	t.Helper()
	peertest.Need(t, "curl")
}

// x509Text is `openssl x509 -noout -text` of the first certificate in a file.
func x509Text(t *testing.T, dir, file string) string {
	t.Helper()
	return ossl(t, dir, "x509", "-in", file, "-noout", "-text")
}

// extValue returns the first line after an extension's header in openssl's text, trimmed, with
// a "keyid:" prefix (some OpenSSL versions print it for the AKI) removed.
func extValue(text, header string) string {
	i := strings.Index(text, header)
	if i < 0 {
		return ""
	}
	rest := text[i+len(header):]
	j := strings.IndexByte(rest, '\n')
	if j < 0 {
		return ""
	}
	rest = rest[j+1:]
	if k := strings.IndexByte(rest, '\n'); k >= 0 {
		rest = rest[:k]
	}
	return strings.TrimPrefix(strings.TrimSpace(rest), "keyid:")
}

// mustContain reports each want missing from text.
func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, text)
		}
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fileExists(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, name))
	return err == nil
}

// pemBlocks decodes every PEM block of a type in data.
func pemBlocks(data []byte, typ string) [][]byte {
	var out [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type == typ {
			out = append(out, b.Bytes)
		}
	}
}

// snapshot maps every path under dir to its mode and a digest of its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			m[rel+"/"] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		m[rel] = info.Mode().String() + " " + hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sameSnapshot reports files that a failed command created, changed or removed.
func sameSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	var diffs []string
	for p, v := range after {
		if w, ok := before[p]; !ok {
			diffs = append(diffs, "new "+p)
		} else if w != v {
			diffs = append(diffs, "changed "+p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			diffs = append(diffs, "removed "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Errorf("%s: the failed command touched the directory: %s", what, strings.Join(diffs, ", "))
	}
}

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
	r := execIn(t, dir, "", nil, "openssl", append(args, extra...)...)
	if r.code != 0 {
		t.Fatalf("openssl %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

const localhostSANs = "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"

// checkLeafText checks the server profile of a leaf in openssl's text.
func checkLeafText(t *testing.T, what, text string, rsa bool) {
	t.Helper()
	mustContain(t, what, text,
		"CA:FALSE",
		"TLS Web Server Authentication",
		"X509v3 Subject Key Identifier:",
		"X509v3 Authority Key Identifier:",
	)
	ku := extValue(text, "X509v3 Key Usage:")
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
	if ku := extValue(text, "X509v3 Key Usage:"); !strings.Contains(ku, "Certificate Sign, CRL Sign") {
		t.Errorf("%s: key usage %q lacks Certificate Sign, CRL Sign", what, ku)
	}
	if extValue(text, "X509v3 Subject Key Identifier:") == "" {
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
	r := execIn(t, dir, "", nil, "openssl", args...)
	if r.code != 0 || !strings.Contains(r.stdout, file+": OK") {
		t.Errorf("openssl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
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
	r := execIn(t, dir, stdin, nil, "openssl", args...)
	if out := r.stdout + r.stderr; r.code != 0 || !strings.Contains(out, "self-signature verify OK") {
		t.Errorf("openssl %s: exit %d\n%s", strings.Join(args, " "), r.code, out)
	}
}

// 1. Every key type, for the leaf and (except RSA-4096, generated once only) for the CA.
func TestE2ECertKeyTypes(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	tests := []struct {
		leafType, caType string
		rsa              bool
	}{
		{"ecdsa-p256", "ecdsa-p256", false},
		{"ecdsa-p384", "ecdsa-p384", false},
		{"ecdsa-p521", "ecdsa-p521", false},
		{"rsa-2048", "rsa-2048", true},
		{"rsa-3072", "rsa-3072", true},
		{"rsa-4096", "ecdsa-p256", true}, // slow key: made once, for the leaf
		{"ed25519", "ed25519", false},
	}
	for _, tc := range tests {
		t.Run(tc.leafType, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tk(t, dir, "ca", "create", "--dir", "ca", "--key-type", tc.caType)
			tk(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", "ca", "--key-type", tc.leafType)

			caText := x509Text(t, dir, "ca/ca.pem")
			checkCAText(t, "CA "+tc.caType, caText)
			leaf := x509Text(t, dir, "localhost.pem")
			if got := extValue(leaf, "X509v3 Subject Alternative Name:"); got != localhostSANs {
				t.Errorf("SANs %q, want %q", got, localhostSANs)
			}
			checkLeafText(t, "leaf "+tc.leafType, leaf, tc.rsa)
			aki := extValue(leaf, "X509v3 Authority Key Identifier:")
			caSKI := extValue(caText, "X509v3 Subject Key Identifier:")
			if aki == "" || aki != caSKI {
				t.Errorf("leaf AKI %q != CA SKI %q", aki, caSKI)
			}
			if ski := extValue(leaf, "X509v3 Subject Key Identifier:"); ski == "" || ski == caSKI {
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
func TestE2ECAIntermediate(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "ca")
	tk(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	tk(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", "int", "--out", "leaf.pem", "--key-out", "leaf-key.pem")

	intText := x509Text(t, dir, "int/ca.pem")
	checkCAText(t, "intermediate", intText)
	if !strings.Contains(intText, "pathlen:0") {
		t.Errorf("intermediate under a root without a limit should default to pathlen:0:\n%s", intText)
	}
	if !bytes.Equal(readFile(t, dir, "int/root.pem"), readFile(t, dir, "ca/ca.pem")) {
		t.Errorf("int/root.pem is not the root ca/ca.pem")
	}
	if n := len(pemBlocks(readFile(t, dir, "int/ca.pem"), "CERTIFICATE")); n != 1 {
		t.Errorf("int/ca.pem holds %d certificates, want 1 (never the root)", n)
	}

	certs := pemBlocks(readFile(t, dir, "leaf.pem"), "CERTIFICATE")
	root := pemBlocks(readFile(t, dir, "ca/ca.pem"), "CERTIFICATE")[0]
	inter := pemBlocks(readFile(t, dir, "int/ca.pem"), "CERTIFICATE")[0]
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
	leaf := x509Text(t, dir, "leaf.pem")
	checkLeafText(t, "leaf", leaf, false)
	if aki, ski := extValue(leaf, "X509v3 Authority Key Identifier:"), extValue(intText, "X509v3 Subject Key Identifier:"); aki != ski {
		t.Errorf("leaf AKI %q != intermediate SKI %q", aki, ski)
	}
	verifyServer(t, dir, "int/root.pem", "leaf.pem", true)

	// A CA file that also carries the root (as people concatenate them): the root stays out.
	full := append(readFile(t, dir, "int/ca.pem"), readFile(t, dir, "int/root.pem")...)
	writeFile(t, dir, "full-chain.pem", string(full))
	tk(t, dir, "cert", "issue", "full.example.test", "--ca-cert", "full-chain.pem", "--ca-key", "int/ca-key.pem")
	fullCerts := pemBlocks(readFile(t, dir, "full.example.test.pem"), "CERTIFICATE")
	if len(fullCerts) != 2 || !bytes.Equal(fullCerts[1], inter) {
		t.Errorf("issued with --ca-cert full-chain.pem: %d certificates, want leaf + intermediate", len(fullCerts))
	}
	verifyServer(t, dir, "int/root.pem", "full.example.test.pem", true)

	// Without the intermediate the root alone must not be enough.
	if r := execIn(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "ca/ca.pem", "leaf.pem"); r.code == 0 {
		t.Errorf("leaf verified without its intermediate: the test is not testing the chain")
	}

	// Two levels: root -> int1 (path-len 1) -> int2 -> leaf; the leaf file holds leaf, int2, int1.
	// int2b has its own --cn; int2 takes the default names, as a user following the docs would.
	tk(t, dir, "ca", "create", "--dir", "int1", "--parent-dir", "ca", "--path-len", "1")
	tk(t, dir, "ca", "create", "--dir", "int2b", "--parent-dir", "int1", "--cn", "Second Level CA")
	tk(t, dir, "cert", "issue", "deep.example.test", "--ca-dir", "int2b", "--out", "deepb.pem", "--key-out", "deepb-key.pem")
	if n := len(pemBlocks(readFile(t, dir, "deepb.pem"), "CERTIFICATE")); n != 3 {
		t.Errorf("deepb.pem holds %d certificates, want 3 (leaf + two intermediates)", n)
	}
	if !bytes.Equal(readFile(t, dir, "int2b/root.pem"), readFile(t, dir, "ca/ca.pem")) {
		t.Errorf("int2b/root.pem is not the root")
	}
	verifyServer(t, dir, "int2b/root.pem", "deepb.pem", true)

	tk(t, dir, "ca", "create", "--dir", "int2", "--parent-dir", "int1")
	tk(t, dir, "cert", "issue", "deep.example.test", "--ca-dir", "int2", "--out", "deep.pem", "--key-out", "deep-key.pem")
	names := ossl(t, dir, "x509", "-in", "int2/ca.pem", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253")
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

func TestE2ECAPathLen(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "r1", "--path-len", "1")
	if text := x509Text(t, dir, "r1/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:1") {
		t.Errorf("--path-len 1 root:\n%s", text)
	}
	tk(t, dir, "ca", "create", "--dir", "i1", "--parent-dir", "r1")
	if text := x509Text(t, dir, "i1/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:0") {
		t.Errorf("intermediate under pathlen:1 should get pathlen:0:\n%s", text)
	}
	// pathlen:0 signs leaves only.
	before := snapshot(t, dir)
	r := tkFail(t, dir, "ca", "create", "--dir", "i2", "--parent-dir", "i1")
	if r.code != 2 {
		t.Errorf("sub-intermediate under pathlen:0: exit %d, want 2\n%s", r.code, r.stderr)
	}
	sameSnapshot(t, "ca create under pathlen:0", before, snapshot(t, dir))
	r = tkFail(t, dir, "ca", "create", "--dir", "i3", "--parent-dir", "r1", "--path-len", "1")
	if r.code != 2 {
		t.Errorf("--path-len 1 under pathlen:1: exit %d, want 2\n%s", r.code, r.stderr)
	}
	sameSnapshot(t, "ca create --path-len too long", before, snapshot(t, dir))

	tk(t, dir, "cert", "issue", "localhost", "--ca-dir", "i1", "--out", "leaf.pem", "--key-out", "leaf-key.pem")
	verifyServer(t, dir, "i1/root.pem", "leaf.pem", true)

	tk(t, dir, "ca", "create", "--dir", "r0", "--path-len", "0")
	if text := x509Text(t, dir, "r0/ca.pem"); !strings.Contains(text, "CA:TRUE, pathlen:0") {
		t.Errorf("--path-len 0 root:\n%s", text)
	}
	before = snapshot(t, dir)
	if r := tkFail(t, dir, "ca", "create", "--dir", "i0", "--parent-dir", "r0"); r.code != 2 {
		t.Errorf("intermediate under pathlen:0 root: exit %d, want 2\n%s", r.code, r.stderr)
	}
	sameSnapshot(t, "ca create under pathlen:0 root", before, snapshot(t, dir))
}

func TestE2ECANameConstraint(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "ca", "--name-constraint", "example.test")
	text := x509Text(t, dir, "ca/ca.pem")
	if !regexp.MustCompile(`X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example.test`).MatchString(text) {
		t.Errorf("name constraints not critical permitted DNS:example.test:\n%s", text)
	}
	tk(t, dir, "cert", "issue", "a.example.test", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "a.example.test.pem", false)
	tk(t, dir, "cert", "issue", "*.example.test", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "_wildcard.example.test.pem", false)

	for _, host := range []string{"other.test", "example.test.evil", "notexample.test"} {
		before := snapshot(t, dir)
		r := tkFail(t, dir, "cert", "issue", host, "--ca-dir", "ca")
		if r.code != 2 {
			t.Errorf("issue %s outside the constraint: exit %d, want 2\n%s", host, r.code, r.stderr)
		}
		sameSnapshot(t, "issue "+host, before, snapshot(t, dir))
	}

	// Constraints of a root bind its intermediates' leaves too.
	tk(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	tk(t, dir, "cert", "issue", "b.example.test", "--ca-dir", "int")
	verifyServer(t, dir, "int/root.pem", "b.example.test.pem", true)
	before := snapshot(t, dir)
	out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "other.test", "--ca-dir", "int")
	if code == 0 {
		r := execIn(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "int/root.pem", "-untrusted", "other.test.pem", "other.test.pem")
		t.Errorf("BUG: `tlskit ca create --dir ca --name-constraint example.test && tlskit ca create --dir int --parent-dir ca && "+
			"tlskit cert issue other.test --ca-dir int` exits 0 (the root's constraint is not checked for an intermediate's leaf); "+
			"OpenSSL verify exits %d:\n%s%s%s", r.code, r.stdout, r.stderr, out)
	} else {
		if code != 2 {
			t.Errorf("issue other.test from an intermediate under a constrained root: exit %d, want 2\n%s", code, errOut)
		}
		sameSnapshot(t, "issue other.test from int", before, snapshot(t, dir))
	}

	// An IP address from a CA constrained to DNS names: the CA excludes every IP address, so
	// tlskit refuses it (TestE2ENameConstraintsIPs has OpenSSL's verdict on such a certificate).
	before = snapshot(t, dir)
	if r := tkFail(t, dir, "cert", "issue", "127.0.0.1", "--ca-dir", "ca"); r.code != 2 {
		t.Errorf("issue 127.0.0.1 from a DNS-constrained CA: exit %d, want 2\n%s", r.code, r.stderr)
	}
	sameSnapshot(t, "issue 127.0.0.1 from a DNS-constrained CA", before, snapshot(t, dir))
}

// 3. Self-signed certificates.
func TestE2ESelfsign(t *testing.T) {
	needOpenSSL(t)
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
			tk(t, dir, append([]string{"cert", "selfsign"}, tc.args...)...)
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
			if !fileExists(dir, file) {
				entries, _ := os.ReadDir(dir)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Fatalf("%s not written; directory holds %v", file, names)
			}
			keyFile := strings.TrimSuffix(file, ".pem") + "-key.pem"
			if !fileExists(dir, keyFile) {
				t.Errorf("%s not written", keyFile)
			}
			text := x509Text(t, dir, file)
			if got := extValue(text, "X509v3 Subject Alternative Name:"); got != tc.wantSANs {
				t.Errorf("SANs %q, want %q", got, tc.wantSANs)
			}
			checkLeafText(t, file, text, strings.Contains(tc.name, "rsa"))
			if aki, ski := extValue(text, "X509v3 Authority Key Identifier:"), extValue(text, "X509v3 Subject Key Identifier:"); aki != ski {
				t.Errorf("self-signed AKI %q != SKI %q", aki, ski)
			}
			verifyServer(t, dir, file, file, false)
		})
	}
}

// 4. Requests: tlskit's CSRs satisfy OpenSSL, and OpenSSL's CSRs are signed by tlskit's profile.
func TestE2ECSR(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "ca")

	tk(t, dir, "cert", "csr", "app.example.test", "www.app.example.test")
	verifyCSR(t, dir, "app.example.test.csr", "")
	out := ossl(t, dir, "req", "-in", "app.example.test.csr", "-noout", "-text")
	mustContain(t, "tlskit CSR", out, "DNS:app.example.test, DNS:www.app.example.test", "CN = app.example.test")
	if pubKeyOf(t, dir, "req", "app.example.test.csr") != pubKeyOf(t, dir, "pkey", "app.example.test-key.pem") {
		t.Errorf("CSR and app.example.test-key.pem hold different keys")
	}
	tk(t, dir, "cert", "sign", "app.example.test.csr", "--ca-dir", "ca")
	verifyServer(t, dir, "ca/ca.pem", "app.example.test.pem", false)
	if pubKeyOf(t, dir, "x509", "app.example.test.pem") != pubKeyOf(t, dir, "pkey", "app.example.test-key.pem") {
		t.Errorf("signed certificate does not hold the CSR's key")
	}

	// OpenSSL's request asking to be a CA: only subject and SANs are taken.
	ossl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=req.example.test", "-addext", "subjectAltName=DNS:req.example.test",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
		"-keyout", "k.pem", "-out", "r.csr")
	tk(t, dir, "cert", "sign", "r.csr", "--ca-dir", "ca")
	text := x509Text(t, dir, "req.example.test.pem")
	checkLeafText(t, "signed OpenSSL CSR", text, false)
	if strings.Contains(text, "CA:TRUE") || strings.Contains(text, "Certificate Sign") {
		t.Errorf("requested CA extensions were copied:\n%s", text)
	}
	if got := extValue(text, "X509v3 Subject Alternative Name:"); got != "DNS:req.example.test" {
		t.Errorf("SANs %q", got)
	}
	verifyServer(t, dir, "ca/ca.pem", "req.example.test.pem", false)

	// The same request through stdin (DER requests: TestE2EDERInputs).
	sr := execIn(t, dir, string(readFile(t, dir, "r.csr")), []string{"NO_COLOR=1"}, binary, "cert", "sign", "-", "--ca-dir", "ca", "--out", "from-stdin.pem")
	if sr.code != 0 {
		t.Errorf("cert sign - (stdin): exit %d: %s", sr.code, sr.stderr)
	} else {
		verifyServer(t, dir, "ca/ca.pem", "from-stdin.pem", false)
	}

	// The request's subject is kept exactly: attributes Go's pkix.Name does not know (DC,
	// emailAddress), their order, one RDN with two values.
	ossl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/DC=test/DC=example/CN=dn.example.test+OU=Ops/emailAddress=ops@example.test",
		"-addext", "subjectAltName=DNS:dn.example.test", "-keyout", "dn-key.pem", "-out", "dn.csr")
	tk(t, dir, "cert", "sign", "dn.csr", "--ca-dir", "ca", "--out", "dn.pem")
	wantDN := strings.TrimSpace(ossl(t, dir, "req", "-in", "dn.csr", "-noout", "-subject", "-nameopt", "RFC2253"))
	gotDN := strings.TrimSpace(ossl(t, dir, "x509", "-in", "dn.pem", "-noout", "-subject", "-nameopt", "RFC2253"))
	if gotDN != wantDN || !strings.Contains(gotDN, "DC=example") || !strings.Contains(gotDN, "emailAddress=ops@example.test") {
		t.Errorf("signed subject %q, the request's %q", gotDN, wantDN)
	}
	verifyServer(t, dir, "ca/ca.pem", "dn.pem", false)
	// And tlskit shows that name as openssl's RFC 2253 form does, DC and emailAddress by name
	// (the values of a multi-valued RDN may come in either order: RFC 4514 section 2.2).
	shown := ""
	for _, line := range strings.Split(tk(t, dir, "inspect", "dn.pem"), "\n") {
		if rest, ok := strings.CutPrefix(line, "[0] certificate "); ok {
			shown = rest
		}
	}
	if dnCanon(shown) != dnCanon(strings.TrimPrefix(gotDN, "subject=")) {
		t.Errorf("tlskit inspect shows the subject as %q, openssl as %q", shown, gotDN)
	}

	// A request without SANs uses its CN.
	ossl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=cnonly.example.test", "-keyout", "cn-key.pem", "-out", "cn.csr")
	tk(t, dir, "cert", "sign", "cn.csr", "--ca-dir", "ca")
	if got := extValue(x509Text(t, dir, "cnonly.example.test.pem"), "X509v3 Subject Alternative Name:"); got != "DNS:cnonly.example.test" {
		t.Errorf("CN-only CSR: SANs %q", got)
	}

	// A broken signature: flip a byte inside the signature (the DER's last byte).
	der := pemBlocks(readFile(t, dir, "r.csr"), "CERTIFICATE REQUEST")[0]
	bad := append([]byte(nil), der...)
	bad[len(bad)-1] ^= 0x01
	writeFile(t, dir, "bad.csr", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bad})))
	if r := execIn(t, dir, "", nil, "openssl", "req", "-in", "bad.csr", "-verify", "-noout"); r.code == 0 && strings.Contains(r.stdout+r.stderr, "verify OK") {
		t.Fatalf("openssl accepts bad.csr: the corruption missed the signature\n%s%s", r.stdout, r.stderr)
	}
	writeFile(t, dir, "garbage.csr", "this is not a certificate request\n")
	writeFile(t, dir, "wrongpem.csr", string(readFile(t, dir, "ca/ca.pem")))
	for _, tc := range []struct{ name, file string }{
		{"bad signature", "bad.csr"},
		{"garbage", "garbage.csr"},
		{"certificate, not request", "wrongpem.csr"},
		{"missing file", "nope.csr"},
	} {
		before := snapshot(t, dir)
		r := tkFail(t, dir, "cert", "sign", tc.file, "--ca-dir", "ca", "--out", "refused.pem")
		if !strings.HasPrefix(r.stderr, "tlskit: ") {
			t.Errorf("%s: stderr %q", tc.name, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout %q", tc.name, r.stdout)
		}
		sameSnapshot(t, "sign "+tc.name, before, snapshot(t, dir))
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
func TestE2EDERInputs(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "ca")
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
		writeFile(t, dir, file, string(csr))
		r := execIn(t, dir, "", nil, "openssl", "req", "-inform", "DER", "-in", file, "-verify", "-noout")
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "verify OK") {
			t.Fatalf("openssl rejects %s: %s%s", file, r.stdout, r.stderr)
		}
		out := fmt.Sprintf("csr-%t.pem", tc.whitespace)
		if _, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "sign", file, "--ca-dir", "ca", "--out", out); code != 0 {
			t.Errorf("BUG (%s): `tlskit cert sign %s` of a valid DER request (last byte %#02x; openssl req -inform DER -verify: OK) exits %d: %s",
				tc.name, file, csr[len(csr)-1], code, strings.TrimSpace(errOut))
		} else {
			verifyServer(t, dir, "ca/ca.pem", out, false)
		}

		keyDER := derEndingIn(t, tc.whitespace, makeKey)
		keyFile := fmt.Sprintf("key-%t.der", tc.whitespace)
		writeFile(t, dir, keyFile, string(keyDER))
		ossl(t, dir, "pkey", "-inform", "DER", "-in", keyFile, "-noout")
		out = fmt.Sprintf("key-%t.pem", tc.whitespace)
		if _, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "der.example.test", "--key", keyFile, "--out", out); code != 0 {
			t.Errorf("BUG (%s): `tlskit cert selfsign --key %s` of a valid DER PKCS#8 key (last byte %#02x; openssl pkey -inform DER: OK) exits %d: %s",
				tc.name, keyFile, keyDER[len(keyDER)-1], code, strings.TrimSpace(errOut))
		} else if pubKeyOf(t, dir, "x509", out) != pubKeyOf(t, dir, "pkey", keyFile, "-inform", "DER") {
			t.Errorf("%s: certificate for %s holds another key", tc.name, keyFile)
		}
	}
}

// 5. Encrypted keys, in OpenSSL's and tlskit's hands.
func TestE2EEncryptedKeys(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "pw", "correct horse battery staple\n")
	writeFile(t, dir, "wrongpw", "incorrect\n")

	tk(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw", "--key-out", "key.pem")
	keyPEM := string(readFile(t, dir, "key.pem"))
	if !strings.HasPrefix(keyPEM, "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
		t.Errorf("key.pem is not encrypted PKCS#8:\n%s", keyPEM)
	}
	ossl(t, dir, "pkey", "-in", "key.pem", "-passin", "file:pw", "-noout")
	if r := execIn(t, dir, "", nil, "openssl", "pkey", "-in", "key.pem", "-passin", "file:wrongpw", "-noout"); r.code == 0 {
		t.Errorf("openssl decrypted key.pem with the wrong password")
	}
	asn := ossl(t, dir, "asn1parse", "-in", "key.pem")
	mustContain(t, "asn1parse key.pem", asn, ":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc")
	if !regexp.MustCompile(`INTEGER\s+:0927C0\b`).MatchString(asn) {
		t.Errorf("iteration count 600000 (0927C0) not found:\n%s", asn)
	}
	if pubKeyOf(t, dir, "x509", "enc.example.test.pem") != pubKeyOf(t, dir, "pkey", "key.pem", "-passin", "file:pw") {
		t.Errorf("certificate does not hold the encrypted key's public key")
	}

	// Reuse the key for a request.
	tk(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--key-password-file", "pw", "--out", "enc.csr")
	verifyCSR(t, dir, "enc.csr", "")
	if pubKeyOf(t, dir, "req", "enc.csr") != pubKeyOf(t, dir, "pkey", "key.pem", "-passin", "file:pw") {
		t.Errorf("CSR made with --key does not hold that key")
	}
	if !bytes.Equal(readFile(t, dir, "key.pem"), []byte(keyPEM)) {
		t.Errorf("reusing key.pem changed it")
	}

	// Wrong and missing passwords: one error line, nothing written.
	before := snapshot(t, dir)
	r := tkFail(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--key-password-file", "wrongpw", "--out", "wrong.csr")
	if lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "tlskit: ") {
		t.Errorf("wrong password: want one `tlskit: ` line, got %q", r.stderr)
	}
	sameSnapshot(t, "csr with wrong password", before, snapshot(t, dir))
	r = tkFail(t, dir, "cert", "csr", "enc.example.test", "--key", "key.pem", "--out", "nopw.csr")
	mustContain(t, "no password", r.stderr, "tlskit: ", "tlskit: hint:", "--key-password-file")
	sameSnapshot(t, "csr without password", before, snapshot(t, dir))

	// A key OpenSSL encrypted (PBES2, OpenSSL's defaults) is read by tlskit.
	ossl(t, dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc", "-pass", "file:pw", "-out", "ossl-key.pem")
	tk(t, dir, "cert", "selfsign", "ossl.example.test", "--key", "ossl-key.pem", "--key-password-file", "pw")
	if pubKeyOf(t, dir, "x509", "ossl.example.test.pem") != pubKeyOf(t, dir, "pkey", "ossl-key.pem", "-passin", "file:pw") {
		t.Errorf("certificate for an OpenSSL-encrypted key holds another key")
	}

	// A CA with an encrypted key.
	tk(t, dir, "ca", "create", "--dir", "eca", "--key-password-file", "pw")
	if !strings.HasPrefix(string(readFile(t, dir, "eca/ca-key.pem")), "-----BEGIN ENCRYPTED PRIVATE KEY-----") {
		t.Errorf("eca/ca-key.pem is not encrypted")
	}
	ossl(t, dir, "pkey", "-in", "eca/ca-key.pem", "-passin", "file:pw", "-noout")
	tk(t, dir, "cert", "issue", "localhost", "--ca-dir", "eca", "--ca-key-password-file", "pw")
	verifyServer(t, dir, "eca/ca.pem", "localhost.pem", false)
	tk(t, dir, "cert", "issue", "alt.example.test", "--ca-cert", "eca/ca.pem", "--ca-key", "eca/ca-key.pem", "--ca-key-password-file", "pw")
	verifyServer(t, dir, "eca/ca.pem", "alt.example.test.pem", false)
	tk(t, dir, "ca", "create", "--dir", "eint", "--parent-dir", "eca", "--parent-key-password-file", "pw")
	tk(t, dir, "cert", "issue", "viaint.example.test", "--ca-dir", "eint")
	verifyServer(t, dir, "eint/root.pem", "viaint.example.test.pem", true)

	before = snapshot(t, dir)
	r = tkFail(t, dir, "cert", "issue", "nopw.example.test", "--ca-dir", "eca")
	mustContain(t, "CA key without password", r.stderr, "tlskit: hint:", "--ca-key-password-file")
	r = tkFail(t, dir, "cert", "issue", "wrongpw.example.test", "--ca-dir", "eca", "--ca-key-password-file", "wrongpw")
	if !strings.HasPrefix(r.stderr, "tlskit: ") {
		t.Errorf("CA key with wrong password: stderr %q", r.stderr)
	}
	tkFail(t, dir, "ca", "create", "--dir", "eint2", "--parent-dir", "eca", "--parent-key-password-file", "wrongpw")
	sameSnapshot(t, "encrypted CA key errors", before, snapshot(t, dir))
}

// 6. PKCS#12 that OpenSSL 3 opens.
func TestE2EPKCS12(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "pw", "p12 secret\n")
	tk(t, dir, "ca", "create", "--dir", "ca")
	tk(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")

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
		tk(t, dir, args...)
		p12 := tc.args[len(tc.args)-1]
		info := ossl(t, dir, "pkcs12", "-in", p12, "-info", "-noout", "-passin", "file:pw")
		mustContain(t, p12+" -info", info, "MAC: sha256", "PBES2, PBKDF2, AES-256-CBC")
		st, err := os.Stat(filepath.Join(dir, p12))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %s mode %#o, want 0600", tc.name, p12, st.Mode().Perm())
		}
		certsOut := ossl(t, dir, "pkcs12", "-in", p12, "-nokeys", "-passin", "file:pw")
		if n := strings.Count(certsOut, "-----BEGIN CERTIFICATE-----"); n != tc.certs {
			t.Errorf("%s: %s holds %d certificates, want %d", tc.name, p12, n, tc.certs)
		}
		keyOut := ossl(t, dir, "pkcs12", "-in", p12, "-nocerts", "-nodes", "-passin", "file:pw")
		pub := osslIn(t, dir, keyOut, "pkey", "-pubout")
		certPub := osslIn(t, dir, certsOut, "x509", "-noout", "-pubkey")
		if !strings.Contains(pub, certPub) || certPub == "" {
			t.Errorf("%s: the key in %s does not match its certificate", tc.name, p12)
		}
		if r := execIn(t, dir, "", nil, "openssl", "pkcs12", "-in", p12, "-info", "-noout", "-passin", "pass:wrong"); r.code == 0 {
			t.Errorf("%s: openssl opened %s with the wrong password", tc.name, p12)
		}
	}

	before := snapshot(t, dir)
	if r := tkFail(t, dir, "cert", "selfsign", "nopw.example.test", "--p12", "nopw.p12"); r.code != 2 {
		t.Errorf("--p12 without --p12-password-file: exit %d, want 2", r.code)
	}
	sameSnapshot(t, "--p12 without password", before, snapshot(t, dir))
}

// 7. Real TLS: a Go server with the issued files, and curl and openssl s_client as clients.
func TestE2ETLSHandshake(t *testing.T) {
	needOpenSSL(t)
	needCurl(t)
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
				tk(t, dir, args...)
			}
			tk(t, dir, "cert", "issue", "localhost", "127.0.0.1", "::1", "--ca-dir", tc.caDir, "--key-type", tc.keyType)
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
			r := execIn(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10",
				"--resolve", "localhost:"+port+":127.0.0.1", "--cacert", tc.trust, url)
			if r.code != 0 || r.stdout != body {
				t.Errorf("curl %s: exit %d, body %q\n%s", url, r.code, r.stdout, r.stderr)
			}
			ipURL := "https://127.0.0.1:" + port + "/"
			r = execIn(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10", "--cacert", tc.trust, ipURL)
			if r.code != 0 || r.stdout != body {
				t.Errorf("curl %s: exit %d, body %q\n%s", ipURL, r.code, r.stdout, r.stderr)
			}
			// The wrong trust anchor must fail, or the checks above prove nothing.
			tk(t, dir, "ca", "create", "--dir", "other")
			r = execIn(t, dir, "", nil, "curl", "-q", "-sS", "--noproxy", "*", "--max-time", "10",
				"--resolve", "localhost:"+port+":127.0.0.1", "--cacert", "other/ca.pem", url)
			if r.code == 0 {
				t.Errorf("curl accepted the server with an unrelated CA")
			}

			r = execIn(t, dir, "", nil, "openssl", "s_client", "-connect", "127.0.0.1:"+port, "-servername", "localhost",
				"-verify_hostname", "localhost", "-verify_return_error", "-CAfile", tc.trust, "-brief")
			if r.code != 0 {
				t.Errorf("openssl s_client: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			} else {
				mustContain(t, "s_client", r.stdout+r.stderr, "Verification: OK")
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
func TestE2EFileModesUmask(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "pw", "pw\n")
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	tk(t, dir, "ca", "create", "--dir", "ca")
	tk(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	tk(t, dir, "cert", "selfsign", "self.example.test")
	tk(t, dir, "cert", "issue", "issued.example.test", "--ca-dir", "int", "--p12", "issued.p12", "--p12-password-file", "pw")
	tk(t, dir, "cert", "csr", "req.example.test")
	tk(t, dir, "cert", "sign", "req.example.test.csr", "--ca-dir", "ca")
	tk(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw")
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
func TestE2ENoOverwrite(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "cert", "selfsign", "localhost")
	cert1, key1 := readFile(t, dir, "localhost.pem"), readFile(t, dir, "localhost-key.pem")

	before := snapshot(t, dir)
	r := tkFail(t, dir, "cert", "selfsign", "localhost")
	if r.code != 1 {
		t.Errorf("second selfsign: exit %d, want 1", r.code)
	}
	if !strings.HasPrefix(r.stderr, "tlskit: ") {
		t.Errorf("stderr does not start with `tlskit: `: %q", r.stderr)
	}
	hint := ""
	for _, line := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(line, "tlskit: hint:") {
			hint = line
		}
	}
	if !strings.Contains(hint, "--force") {
		t.Errorf("no `tlskit: hint:` line mentioning --force in %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q", r.stdout)
	}
	sameSnapshot(t, "second selfsign", before, snapshot(t, dir))
	if !bytes.Equal(readFile(t, dir, "localhost.pem"), cert1) || !bytes.Equal(readFile(t, dir, "localhost-key.pem"), key1) {
		t.Errorf("the refused run changed the first files")
	}
	// Only the key exists: still refused, certificate not written.
	if err := os.Rename(filepath.Join(dir, "localhost.pem"), filepath.Join(dir, "first.pem")); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, dir)
	tkFail(t, dir, "cert", "selfsign", "localhost")
	sameSnapshot(t, "selfsign with only the key present", before, snapshot(t, dir))
	if err := os.Rename(filepath.Join(dir, "first.pem"), filepath.Join(dir, "localhost.pem")); err != nil {
		t.Fatal(err)
	}

	tk(t, dir, "cert", "selfsign", "localhost", "--force")
	cert2, key2 := readFile(t, dir, "localhost.pem"), readFile(t, dir, "localhost-key.pem")
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
	writeFile(t, dir, "victim.txt", "do not touch\n")
	if err := os.Symlink("victim.txt", filepath.Join(dir, "link.example.test.pem")); err != nil {
		t.Fatal(err)
	}
	before = snapshot(t, dir)
	tkFail(t, dir, "cert", "selfsign", "link.example.test")
	sameSnapshot(t, "selfsign over a symlink", before, snapshot(t, dir))
	tk(t, dir, "cert", "selfsign", "link.example.test", "--force")
	if got := string(readFile(t, dir, "victim.txt")); got != "do not touch\n" {
		t.Errorf("--force wrote through a symlink: victim.txt now %q", got)
	}
	if st, err := os.Lstat(filepath.Join(dir, "link.example.test.pem")); err != nil || st.Mode()&fs.ModeSymlink != 0 {
		t.Errorf("link.example.test.pem is still a symlink after --force (%v)", err)
	}

	// ca create refuses an existing CA too.
	tk(t, dir, "ca", "create", "--dir", "ca")
	before = snapshot(t, dir)
	r = tkFail(t, dir, "ca", "create", "--dir", "ca")
	mustContain(t, "second ca create", r.stderr, "tlskit: hint:", "--force")
	sameSnapshot(t, "second ca create", before, snapshot(t, dir))
}

// 8. Every error path leaves the directory as it was.
func TestE2EErrorsLeaveNoFiles(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "pw", "right\n")
	writeFile(t, dir, "wrongpw", "wrong\n")
	writeFile(t, dir, "garbage.csr", "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----\n")
	tk(t, dir, "ca", "create", "--dir", "ca1")
	tk(t, dir, "ca", "create", "--dir", "ca2")
	tk(t, dir, "cert", "selfsign", "enc.example.test", "--key-password-file", "pw", "--key-out", "enc-key.pem", "--out", "enc.pem")
	tk(t, dir, "cert", "csr", "good.example.test", "--out", "good.csr", "--key-out", "good-key.pem")
	der := pemBlocks(readFile(t, dir, "good.csr"), "CERTIFICATE REQUEST")[0]
	bad := append([]byte(nil), der...)
	bad[len(bad)-2] ^= 0x40
	writeFile(t, dir, "badsig.csr", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: bad})))

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
		before := snapshot(t, dir)
		r := tkFail(t, dir, tc.args...)
		if tc.code != 0 && r.code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, r.code, tc.code, r.stderr)
		}
		if !strings.HasPrefix(r.stderr, "tlskit: ") {
			t.Errorf("%s: stderr does not start with `tlskit: `: %q", tc.name, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout %q", tc.name, r.stdout)
		}
		sameSnapshot(t, tc.name, before, snapshot(t, dir))
	}
}

// 9. --out - and -o json.
func TestE2EStdout(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "ca")

	out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "localhost", "--out", "-")
	if code != 0 {
		t.Fatalf("selfsign --out -: exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("stdout is not PEM: %q", out)
	}
	osslIn(t, dir, out, "x509", "-noout", "-subject")
	mustContain(t, "summary on stderr", errOut, "subject: CN=localhost", "localhost-key.pem")
	if strings.Contains(errOut, "BEGIN") {
		t.Errorf("PEM on stderr: %q", errOut)
	}
	if fileExists(dir, "localhost.pem") {
		t.Errorf("--out - also wrote localhost.pem")
	}
	if !fileExists(dir, "localhost-key.pem") {
		t.Errorf("--out - did not write the key to localhost-key.pem")
	}

	out, errOut, code = runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "json.example.test", "--ca-dir", "ca", "--out", "-", "-o", "json")
	if code != 0 {
		t.Fatalf("issue --out - -o json: exit %d: %s", code, errOut)
	}
	fp := osslIn(t, dir, out, "x509", "-noout", "-fingerprint", "-sha256")
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
	out, errOut, code = runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "selfsign", "file.example.test", "-o", "json")
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
	if fp := ossl(t, dir, "x509", "-in", "file.example.test.pem", "-noout", "-fingerprint", "-sha256"); s2.SHA == "" || !strings.Contains(fp, "="+s2.SHA) {
		t.Errorf("sha256_fingerprint %q, openssl says %q", s2.SHA, fp)
	}

	// A request on stdout, signed from stdin.
	csrOut, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "csr", "pipe.example.test", "--out", "-")
	if code != 0 {
		t.Fatalf("csr --out -: exit %d: %s", code, errOut)
	}
	verifyCSR(t, dir, "", csrOut)
	r := execIn(t, dir, csrOut, []string{"NO_COLOR=1"}, binary, "cert", "sign", "-", "--ca-dir", "ca", "--out", "-", "-q")
	if r.code != 0 {
		t.Fatalf("sign - --out -: exit %d: %s", r.code, r.stderr)
	}
	if r.stderr != "" {
		t.Errorf("-q with --out -: stderr %q", r.stderr)
	}
	writeFile(t, dir, "piped.pem", r.stdout)
	verifyServer(t, dir, "ca/ca.pem", "piped.pem", false)
	if fileExists(dir, "pipe.example.test.pem") || fileExists(dir, "pipe.example.test.csr") {
		t.Errorf("--out - wrote a file")
	}
	if n := len(pemBlocks([]byte(r.stdout), "CERTIFICATE")); n != 1 {
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

// TestE2ESubjectAsWritten checks --subject against OpenSSL: the slash form is encoded in the
// order written, as openssl req -subj does, the RFC 4514 form as RFC 4514 reads it, DC, UID and
// emailAddress are accepted (as IA5Strings where their definitions say so), --cn replaces the
// CN in its place, and certificates issued under a CA named so still verify.
func TestE2ESubjectAsWritten(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	subjectOf := func(args ...string) string {
		t.Helper()
		out := ossl(t, dir, append(args, "-noout", "-subject", "-nameopt", "RFC2253")...)
		return strings.TrimPrefix(strings.TrimSpace(out), "subject=")
	}

	// What openssl itself makes of the same -subj, to compare with.
	ossl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
		"-subj", "/DC=test/DC=example/O=Acme/CN=x.example.test/emailAddress=ops@example.test",
		"-keyout", "o-key.pem", "-out", "o.pem")
	want := subjectOf("x509", "-in", "o.pem")

	tk(t, dir, "cert", "selfsign", "x.example.test", "--subject", "/DC=test/DC=example/O=Acme/CN=x.example.test/emailAddress=ops@example.test",
		"--out", "slash.pem", "--key-out", "slash-key.pem")
	if got := subjectOf("x509", "-in", "slash.pem"); got != want {
		t.Errorf("slash form: subject %q, openssl -subj gives %q", got, want)
	}
	parse := ossl(t, dir, "asn1parse", "-in", "slash.pem")
	for _, w := range []string{"IA5STRING         :test", "IA5STRING         :ops@example.test", "PRINTABLESTRING   :Acme"} {
		if !strings.Contains(parse, w) {
			t.Errorf("asn1parse lacks %q:\n%s", w, parse)
		}
	}

	tk(t, dir, "cert", "csr", "r.example.test", "--subject", "CN=old,O=Acme,DC=example,DC=test", "--cn", "r.example.test")
	if got := subjectOf("req", "-in", "r.example.test.csr"); got != "CN=r.example.test,O=Acme,DC=example,DC=test" {
		t.Errorf("RFC 4514 form with --cn: request subject %q", got)
	}
	verifyCSR(t, dir, "r.example.test.csr", "")

	// A CA named with DC components: what it issues names it as issuer byte for byte.
	tk(t, dir, "ca", "create", "--dir", "ca", "--subject", "/DC=test/DC=example/CN=Example Root")
	if got := subjectOf("x509", "-in", "ca/ca.pem"); got != "CN=Example Root,DC=example,DC=test" {
		t.Errorf("CA subject %q", got)
	}
	tk(t, dir, "cert", "issue", "svc.example.test", "--ca-dir", "ca", "--subject", "/UID=svc/CN=svc.example.test")
	if got := subjectOf("x509", "-in", "svc.example.test.pem", "-issuer"); !strings.Contains(got, "CN=svc.example.test,UID=svc") {
		t.Errorf("leaf subject %q", got)
	}
	verifyServer(t, dir, "ca/ca.pem", "svc.example.test.pem", false)
}
