package cmd

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/tlskit/tlskit/certgen"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestCertSelfsignWritesFilesAndSummary(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	res := runCLI(t, "cert", "selfsign", "localhost", "127.0.0.1", "--out", certPath, "--key-out", keyPath, "-o", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	var s certgen.Summary
	if err := json.Unmarshal([]byte(res.stdout), &s); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s", err, res.stdout)
	}
	if len(s.Files) != 2 || s.Files[0].Path != certPath || s.Files[1].Path != keyPath || s.Files[1].Mode != "0600" {
		t.Errorf("files = %+v", s.Files)
	}
	if strings.Join(s.SANs, ",") != "DNS:localhost,IP:127.0.0.1" || s.Subject != "CN=localhost" || s.NotAfter == nil {
		t.Errorf("summary = %+v", s)
	}
	certs, err := material.ParseCertificates(mustRead(t, certPath))
	if err != nil || material.Fingerprint(certs[0]) != s.SHA256 {
		t.Fatalf("certificate on disk does not match the summary: %v", err)
	}
	if _, err := material.ParsePrivateKey(mustRead(t, keyPath), nil); err != nil {
		t.Fatalf("key on disk: %v", err)
	}
}

func TestCertRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	args := []string{"cert", "selfsign", "x.test", "--out", certPath, "--key-out", keyPath}
	if res := runCLI(t, args...); res.code != ExitOK {
		t.Fatalf("first run: exit %d: %s", res.code, res.stderr)
	}
	before := mustRead(t, keyPath)
	res := runCLI(t, args...)
	if res.code != ExitFailure {
		t.Fatalf("second run: exit %d, want %d", res.code, ExitFailure)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "tlskit: ") || !strings.Contains(lines[0], "already exists") ||
		!strings.HasPrefix(lines[1], "tlskit: hint: ") || !strings.Contains(lines[1], "--force") {
		t.Fatalf("stderr = %q", res.stderr)
	}
	if string(mustRead(t, keyPath)) != string(before) {
		t.Fatal("the existing key was changed")
	}
	if res := runCLI(t, append(args, "--force")...); res.code != ExitOK {
		t.Fatalf("--force: exit %d: %s", res.code, res.stderr)
	}
	if string(mustRead(t, keyPath)) == string(before) {
		t.Fatal("--force did not replace the key")
	}
}

func TestCertBadInputWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"zero days", []string{"cert", "selfsign", "x.test", "--days", "0"}, ExitUsage, "--days must be between 1 and 36500"},
		{"bad host", []string{"cert", "selfsign", "bad host"}, ExitUsage, `invalid host "bad host"`},
		{"bad wildcard", []string{"cert", "selfsign", "*.com"}, ExitUsage, "at least two labels"},
		{"bad key type", []string{"cert", "selfsign", "x.test", "--key-type", "dsa"}, ExitUsage, "unknown key type"},
		{"bad subject", []string{"cert", "selfsign", "x.test", "--subject", "XX=1"}, ExitUsage, "--subject: unsupported subject attribute"},
		{"key to stdout", []string{"cert", "selfsign", "x.test", "--key-out", "-"}, ExitUsage, "does not print private keys"},
		{"p12 without password", []string{"cert", "selfsign", "x.test", "--p12", "x.p12"}, ExitUsage, "--p12 needs --p12-password-file"},
		{"missing dir", []string{"cert", "selfsign", "x.test", "--out", "no-such-dir/x.pem"}, ExitFailure, "does not exist"},
		{"missing password file", []string{"cert", "selfsign", "x.test", "--key-password-file", "nope.txt"}, ExitFailure, "nope.txt"},
		{"csr needs host", []string{"cert", "csr"}, ExitUsage, "missing HOST (one or more)"},
		{"issue without ca", []string{"cert", "issue", "x.test", "--ca-cert", "ca.pem"}, ExitUsage, "--ca-cert and --ca-key go together"},
		{"sign missing file", []string{"cert", "sign", "missing.csr", "--ca-dir", "ca"}, ExitFailure, "missing.csr"},
		{"ca negative path len", []string{"ca", "create", "--dir", "ca", "--path-len", "-2"}, ExitUsage, "--path-len must be 0 or more"},
		{"ca bad constraint", []string{"ca", "create", "--dir", "ca", "--name-constraint", "*.x"}, ExitUsage, "invalid name constraint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			res := runCLI(t, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			if !strings.HasPrefix(res.stderr, "tlskit: ") || !strings.Contains(strings.SplitN(res.stderr, "\n", 2)[0], tt.msg) {
				t.Fatalf("stderr %q, want first line containing %q", res.stderr, tt.msg)
			}
			if names := listDir(t, dir); len(names) != 0 {
				t.Fatalf("files left behind: %v", names)
			}
		})
	}
}

func TestCertPEMToStdout(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	res := runCLI(t, "cert", "selfsign", "pipe.test", "--out", "-")
	if res.code != ExitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if _, err := material.ParseCertificates([]byte(res.stdout)); err != nil || strings.Contains(res.stdout, "PRIVATE KEY") {
		t.Fatalf("stdout should be the certificate PEM only: %v\n%s", err, res.stdout)
	}
	if !regexp.MustCompile(`(?m)^subject +CN=pipe\.test$`).MatchString(res.stderr) {
		t.Fatalf("summary should be on stderr: %q", res.stderr)
	}
	if names := listDir(t, dir); strings.Join(names, " ") != "pipe.test-key.pem" {
		t.Fatalf("files = %v, want only the key", names)
	}
}

func TestCAAndIssue(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if res := runCLI(t, "ca", "create", "--dir", "ca"); res.code != ExitOK {
		t.Fatalf("ca create: exit %d: %s", res.code, res.stderr)
	}
	res := runCLI(t, "cert", "issue", "svc.test", "--ca-dir", "ca", "-o", "json")
	if res.code != ExitOK {
		t.Fatalf("issue: exit %d: %s", res.code, res.stderr)
	}
	var s certgen.Summary
	if err := json.Unmarshal([]byte(res.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.TrustAnchor != filepath.Join("ca", "ca.pem") || s.IsCA {
		t.Errorf("summary = %+v", s)
	}
	// The default CA directory comes from XDG_DATA_HOME.
	data := filepath.Join(dir, "xdg")
	env := map[string]string{"XDG_DATA_HOME": data}
	// cert sign needs a CA; cert issue makes the default one on first use, and says so.
	if res := runCLI(t, "cert", "csr", "sign.test", "--out", "sign.csr", "--key-out", "sign-key.pem"); res.code != ExitOK {
		t.Fatalf("cert csr: exit %d: %s", res.code, res.stderr)
	}
	if res := (cliRun{args: []string{"cert", "sign", "sign.csr"}, env: env}).run(t); res.code != ExitFailure || !strings.Contains(res.stderr, "tlskit ca create") {
		t.Fatalf("sign without a CA: exit %d, stderr %q; want a hint to create one", res.code, res.stderr)
	}
	res = (cliRun{args: []string{"cert", "issue", "dflt.test", "-o", "json"}, env: env}).run(t)
	caDir := filepath.Join(data, "tlskit", "ca")
	if res.code != ExitOK || !strings.Contains(res.stderr, "tlskit: created the local CA \"CN=tlskit local CA ") || !strings.Contains(res.stderr, caDir) {
		t.Fatalf("issue without a CA: exit %d, stderr %q; want the default CA made, and said", res.code, res.stderr)
	}
	if err := json.Unmarshal([]byte(res.stdout), &s); err != nil || s.TrustAnchor != filepath.Join(caDir, "ca.pem") {
		t.Fatalf("issue without a CA: trust %q (%v), want the new default CA", s.TrustAnchor, err)
	}
	if _, err := os.Stat(filepath.Join(caDir, "ca-key.pem")); err != nil {
		t.Fatalf("default CA not under XDG_DATA_HOME: %v", err)
	}
	if res := (cliRun{args: []string{"ca", "create"}, env: env}).run(t); res.code != ExitFailure || !strings.Contains(res.stderr, "--force") {
		t.Fatalf("ca create over the default CA cert issue made: exit %d: %s", res.code, res.stderr)
	}
	if res := (cliRun{args: []string{"cert", "issue", "dflt2.test", "--out", "d2.pem", "--key-out", "d2-key.pem"}, env: env}).run(t); res.code != ExitOK || strings.Contains(res.stderr, "created") {
		t.Fatalf("issue with the default CA: exit %d: %s (want no second CA made)", res.code, res.stderr)
	}
	// A second CA in the same place is refused.
	if res := runCLI(t, "ca", "create", "--dir", "ca"); res.code != ExitFailure || !strings.Contains(res.stderr, "--force") {
		t.Fatalf("second ca create: exit %d: %s", res.code, res.stderr)
	}
}

func TestSummaryRendering(t *testing.T) {
	nb := time.Date(2026, 11, 27, 11, 55, 0, 0, time.UTC)
	na := nb.Add(397 * 24 * time.Hour)
	s := certgen.Summary{
		Files: []certgen.WrittenFile{
			{Path: "localhost.pem", Kind: "certificate", Mode: "0644"},
			{Path: "localhost-key.pem", Kind: "private key", Mode: "0600"},
		},
		Subject:   "CN=localhost",
		Issuer:    "CN=localhost",
		SANs:      []string{"DNS:localhost", "IP:127.0.0.1", "IP:::1"},
		Serial:    "32dd8b1dba02f6b3145940e31732abb913f9947e",
		NotBefore: &nb,
		NotAfter:  &na,
		KeyType:   "ECDSA P-256",
		SHA256:    "6E:41:FD:76:A7:9F:78:5A:40:F2:C4:35:E1:1D:12:99:79:FB:62:95:B7:10:F6:3A:33:99:B4:97:80:33:C1:62",
		Warnings:  []string{},
	}
	for _, tc := range []struct {
		name   string
		tty    bool
		output string
	}{
		{"summary.txt", false, formatText},
		{"summary.txt", true, formatText},
		{"summary.json", false, formatJSON},
	} {
		streams := NewTestStreams("")
		streams.OutTTY = tc.tty
		a := newApp(streams.IOStreams, func(k string) string {
			if k == "NO_COLOR" {
				return "1"
			}
			return ""
		}, testBuild)
		a.now = func() time.Time { return nb.Add(5 * time.Minute) }
		a.opts.Output = tc.output
		if err := a.reportSummary(s, false); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, streams.OutBuf.String())
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSubjectDefaultsEncodedAsGo checks that a subject made only of --cn, --org and the defaults
// is encoded byte for byte as Go encodes the same pkix.Name, so certificates made without
// --subject are what they were before --subject kept its order.
func TestSubjectDefaultsEncodedAsGo(t *testing.T) {
	for _, tc := range []struct {
		opts                  subjectOptions
		defaultCN, defaultOrg string
		want                  pkix.Name
	}{
		{subjectOptions{}, "app.test", "", pkix.Name{CommonName: "app.test"}},
		{subjectOptions{cn: "x"}, "app.test", "", pkix.Name{CommonName: "x"}},
		{subjectOptions{org: "Acme"}, "app.test", "", pkix.Name{CommonName: "app.test", Organization: []string{"Acme"}}},
		{subjectOptions{cn: "x", org: "Acme"}, "", "", pkix.Name{CommonName: "x", Organization: []string{"Acme"}}},
		{subjectOptions{}, "tlskit local CA root@vm", "tlskit local CA", pkix.Name{CommonName: "tlskit local CA root@vm", Organization: []string{"tlskit local CA"}}},
		{subjectOptions{org: "Mine"}, "root", "tlskit local CA", pkix.Name{CommonName: "root", Organization: []string{"Mine"}}},
		{subjectOptions{}, "", "", pkix.Name{}},
		{subjectOptions{}, strings.Repeat("a", 65), "", pkix.Name{}},
	} {
		_, raw, err := tc.opts.build(tc.defaultCN, tc.defaultOrg)
		if err != nil {
			t.Fatal(err)
		}
		want, err := asn1.Marshal(tc.want.ToRDNSequence())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, want) {
			t.Errorf("%+v with defaults %q, %q: encoded %x, Go encodes %x", tc.opts, tc.defaultCN, tc.defaultOrg, raw, want)
		}
	}
}

// TestEncryptedKeyCost checks both sides of the in-process KDF hook: a run as the binary makes
// it encrypts with PBKDF2 at 600 000 rounds (INTEGER 0x0927C0 in the key's parameters), and a
// test run at TestKDFIterations (0x03E8), so the hook cannot leak into, or hide, the default.
func TestEncryptedKeyCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		full bool
		want []byte
	}{
		{"production cost", true, []byte{0x02, 0x03, 0x09, 0x27, 0xc0}},
		{"test cost", false, []byte{0x02, 0x02, 0x03, 0xe8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pw := filepath.Join(dir, "pw")
			if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			key := filepath.Join(dir, "k.pem")
			res := cliRun{args: []string{"cert", "selfsign", "x.test", "--out", filepath.Join(dir, "c.pem"),
				"--key-out", key, "--key-password-file", pw}, fullKDFCost: tc.full}.run(t)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			data, err := os.ReadFile(key)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(data)
			if block == nil || block.Type != "ENCRYPTED PRIVATE KEY" {
				t.Fatalf("not an encrypted key:\n%s", data)
			}
			if !bytes.Contains(block.Bytes, tc.want) {
				t.Errorf("iteration count % x not in the key's parameters", tc.want)
			}
		})
	}
}

// TestWeakKeyHint checks that certgen's refusal of a weak key says what is wrong and that cmd,
// not the library, names the flag that allows it.
func TestWeakKeyHint(t *testing.T) {
	dir := t.TempDir()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(weak)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "weak.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "cert", "selfsign", "x.test", "--key", keyFile, "--out", filepath.Join(dir, "c.pem"))
	want := "tlskit: RSA key of 1024 bits is too weak (at least 2048 required)\ntlskit: hint: --allow-weak-key allows it (only for tests: clients refuse it)\n"
	if res.code != ExitUsage || !strings.HasPrefix(res.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, ExitUsage, want)
	}
	// The flag allows it; its old name --insecure (which on handshake skips verification)
	// still does, saying it is deprecated.
	res = runCLI(t, "cert", "selfsign", "x.test", "--key", keyFile, "--out", filepath.Join(dir, "a.pem"), "--allow-weak-key")
	if res.code != ExitOK {
		t.Errorf("--allow-weak-key: exit %d, stderr %q", res.code, res.stderr)
	}
	res = runCLI(t, "cert", "selfsign", "x.test", "--key", keyFile, "--out", filepath.Join(dir, "i.pem"), "--insecure")
	if res.code != ExitOK || !strings.Contains(res.stderr, "tlskit: warning: --insecure is deprecated: use --allow-weak-key") {
		t.Errorf("--insecure: exit %d, stderr %q; want exit 0 and a deprecation line", res.code, res.stderr)
	}
}

// TestCertOutputSameEverywhere: every command that makes certificate material (selfsign,
// csr, issue, sign, ca create) refuses an existing file with the same two lines, naming its
// --force hint, and with --out - prints the PEM alone on stdout and the summary on stderr. The
// five assembled their output in four places before certOutput.emit; this holds them to one.
func TestCertOutputSameEverywhere(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if res := runCLI(t, "ca", "create", "--dir", "ca"); res.code != ExitOK {
		t.Fatalf("ca create: exit %d: %s", res.code, res.stderr)
	}
	if res := runCLI(t, "cert", "csr", "req.test", "--out", "req.csr", "--key-out", "req-key.pem"); res.code != ExitOK {
		t.Fatalf("csr: exit %d: %s", res.code, res.stderr)
	}
	const leafHint = "tlskit: hint: choose another --out/--key-out, or add --force to replace it"
	for _, tt := range []struct {
		args      []string
		hint      string
		pemHeader string // "" for a command without --out -
	}{
		{[]string{"cert", "selfsign", "self.test"}, leafHint, "-----BEGIN CERTIFICATE-----"},
		{[]string{"cert", "csr", "csr.test"}, leafHint, "-----BEGIN CERTIFICATE REQUEST-----"},
		{[]string{"cert", "issue", "issued.test", "--ca-dir", "ca"}, leafHint, "-----BEGIN CERTIFICATE-----"},
		{[]string{"cert", "sign", "req.csr", "--ca-dir", "ca", "--out", "signed.pem"}, leafHint, "-----BEGIN CERTIFICATE-----"},
		{[]string{"ca", "create", "--dir", "ca"}, "tlskit: hint: a CA already exists there; choose another --dir, or add --force to replace it", ""},
	} {
		name := strings.Join(tt.args[:2], " ")
		if tt.args[1] != "create" {
			if res := runCLI(t, tt.args...); res.code != ExitOK {
				t.Fatalf("%s: exit %d: %s", name, res.code, res.stderr)
			}
		}
		res := runCLI(t, tt.args...)
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if res.code != ExitFailure || len(lines) != 2 || !strings.Contains(lines[0], "already exists") || lines[1] != tt.hint {
			t.Errorf("%s again: exit %d, stderr %q; want exit 1, the existing file, then %q", name, res.code, res.stderr, tt.hint)
		}
		if tt.pemHeader == "" {
			continue
		}
		args := append(append([]string{}, tt.args...), "--out", "-", "--force")
		res = runCLI(t, args...)
		if res.code != ExitOK || !strings.HasPrefix(res.stdout, tt.pemHeader) || strings.Contains(res.stdout, "subject") ||
			!strings.Contains(res.stderr, "subject") {
			t.Errorf("%s --out -: exit %d, stdout %q, stderr %q; want the PEM alone on stdout, the summary on stderr", name, res.code, res.stdout, res.stderr)
		}
	}
}
