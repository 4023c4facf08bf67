package cmd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/certgen/truststore"
)

// fixedCA is a root whose bytes, and so fingerprint, are the same on every run (Ed25519 signs
// deterministically), for golden files.
func fixedCA(t *testing.T) truststore.CA {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "tlskit local CA alice@laptop", Organization: []string{"tlskit local CA"}},
		NotBefore: at, NotAfter: at.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := truststore.NewCA(c)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// TestReportTrust pins ca install/uninstall/status's lines, text and JSON, over every outcome.
func TestReportTrust(t *testing.T) {
	ca := fixedCA(t)
	results := []truststore.Result{
		{Store: truststore.System, Location: "/usr/local/share/ca-certificates/tlskit-" + ca.Fingerprint[:16] + ".crt", Outcome: truststore.Installed},
		{Store: truststore.NSS, Location: "/home/alice/.pki/nssdb", Outcome: truststore.AlreadyInstalled, Detail: `as "` + ca.Label() + `"`},
		{Store: truststore.NSS, Location: "/home/alice/.mozilla/firefox/x1.default", Outcome: truststore.Failed,
			Detail: "certutil: SEC_ERROR_BAD_DATABASE: security library: bad database."},
		{Store: truststore.Java, Outcome: truststore.NotFound, Detail: "no JDK: JAVA_HOME is not set and keytool is not on PATH",
			Hint: "set JAVA_HOME to the JDK whose cacerts should trust the CA"},
		{Store: truststore.System, Location: "/etc/ssl/certs/ca-certificates.crt", Outcome: truststore.NotTrusted},
		{Store: truststore.System, Location: "/usr/local/share/ca-certificates", Outcome: truststore.Failed, Detail: "changing the system trust store needs root",
			Hint: "add --sudo, which runs update-ca-certificates through sudo (or run sudo tlskit ca install --store system)"},
		{Store: truststore.Java, Location: "/usr/lib/jvm/java-17/lib/security/cacerts", Outcome: truststore.Removed},
		{Store: truststore.NSS, Location: "/home/alice/.pki/nssdb", Outcome: truststore.NotInstalled, Detail: `still held, not installed by tlskit, as "mkcert development CA"`},
		{Store: truststore.Java, Location: "/usr/lib/jvm/java-17/lib/security/cacerts", Outcome: truststore.Trusted, Detail: `as alias "debian:tlskit-` + ca.Fingerprint[:16] + `.pem"`},
	}
	for _, tc := range []struct {
		format, file string
	}{{formatText, "ca-trust.txt"}, {formatJSON, "ca-trust.jsonl"}} {
		var out bytes.Buffer
		a := newApp(&IOStreams{Out: &out}, nil, testBuild)
		a.opts.Output = tc.format
		if err := a.reportTrust(ca, results); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.file, out.String())
	}
}

// TestCATrustBadInput: each bad input is one clear line and the right exit code, and never
// touches a store: no CA (status and uninstall do not make one), an unknown --store, a CA whose
// key is encrypted (only its certificate is read), a store asked for that is not here.
func TestCATrustBadInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := map[string]string{"XDG_DATA_HOME": filepath.Join(dir, "xdg"), "HOME": filepath.Join(dir, "home")}
	os.WriteFile("pw", []byte("secret\n"), 0o600)
	if res := runCLI(t, "ca", "create", "--dir", "enc", "--key-password-file", "pw"); res.code != ExitOK {
		t.Fatalf("ca create: %d %s", res.code, res.stderr)
	}
	if res := runCLI(t, "cert", "selfsign", "leaf.test", "--out", "leaf.pem", "--key-out", "leaf-key.pem"); res.code != ExitOK {
		t.Fatalf("cert selfsign: %d %s", res.code, res.stderr)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string // a line stdout must have
		stderr string // what stderr's first line must say
	}{
		{[]string{"ca", "status"}, ExitFailure, "", "no CA in " + filepath.Join(dir, "xdg", "tlskit", "ca")},
		{[]string{"ca", "uninstall"}, ExitFailure, "", "no CA in "},
		{[]string{"ca", "install", "--store", "system,firefox"}, ExitUsage, "", `--store: unknown store "firefox" (known: system, nss, java)`},
		{[]string{"ca", "status", "--ca-dir", "missing"}, ExitFailure, "", "no CA in missing"},
		{[]string{"ca", "install", "--ca-cert", "leaf.pem", "--store", "nss"}, ExitFailure, "", "leaf.pem: "},
		{[]string{"ca", "status", "--ca-cert", "pw"}, ExitFailure, "", "pw: "},
		{[]string{"ca", "status", "--ca-dir", "enc", "--store", "nss"}, ExitCheckFailed, "nss     not found", "1 of 1 trust store lines do not trust"},
		{[]string{"ca", "install", "--ca-dir", "enc", "--store", "nss"}, ExitFailure, "nss     not found", "1 of 1 trust store lines failed"},
		{[]string{"ca", "uninstall", "--ca-dir", "enc", "--store", "nss", "-o", "json"}, ExitFailure, `"outcome":"not_found"`, "1 of 1 trust store lines failed"},
	} {
		res := (cliRun{args: tc.args, env: env}).run(t)
		first, _, _ := strings.Cut(res.stderr, "\n")
		// One error line, and a hint line at most (a usage error adds its usage after them).
		lines := strings.Count(res.stderr, "\n")
		if tc.code != ExitUsage && (lines < 1 || lines > 2 || lines == 2 && !strings.Contains(res.stderr, "\ntlskit: hint: ")) {
			t.Errorf("%v: stderr %q, want one line (and a hint)", tc.args, res.stderr)
		}
		if tc.stdout == "" && res.stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", tc.args, res.stdout)
		}
		if res.code != tc.code || !strings.Contains(first, tc.stderr) || !strings.Contains(res.stdout, tc.stdout) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, %q on stdout and %q on stderr", tc.args, res.code, res.stdout, res.stderr, tc.code, tc.stdout, tc.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "xdg")); err == nil {
		t.Error("status or uninstall made a default CA")
	}
}

// TestDefaultCAThatCannotBeReadIsNotRemade: a default CA directory whose ca.pem cannot be
// looked at (here the directory is a file: ENOTDIR, which root sees too, unlike a mode) is a
// CA this user cannot read, not a missing one: ca install and cert issue say so, as status
// does, instead of trying to create a CA over it ("creating the default CA: writing ...").
func TestDefaultCAThatCannotBeReadIsNotRemade(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	xdg := filepath.Join(dir, "xdg")
	caDir := filepath.Join(xdg, "tlskit", "ca")
	if err := os.MkdirAll(filepath.Dir(caDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caDir, []byte("not a directory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_DATA_HOME": xdg, "HOME": filepath.Join(dir, "home")}
	for _, args := range [][]string{
		{"ca", "status", "--store", "nss"},
		{"ca", "install", "--store", "nss"},
		{"cert", "issue", "localhost"},
	} {
		res := (cliRun{args: args, env: env}).run(t)
		first, _, _ := strings.Cut(res.stderr, "\n")
		if res.code != ExitFailure || !strings.Contains(first, "cannot read the CA in "+caDir) || strings.Contains(res.stderr, "creating") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and %q", args, res.code, res.stderr, "cannot read the CA in "+caDir)
		}
	}
	if data, err := os.ReadFile(caDir); err != nil || string(data) != "not a directory\n" {
		t.Errorf("%s changed: %q %v", caDir, data, err)
	}
}

// TestDefaultCAUnderSudo: through sudo (SUDO_USER set, HOME root's), the default CA is the
// user's, which root reads but never makes: root-owned files in the user's home would lock
// the user out of their CA. Only a root process can be one sudo started.
func TestDefaultCAUnderSudo(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only a root process is one that sudo started for someone else")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	t.Chdir(t.TempDir())
	want := filepath.Join(u.HomeDir, ".local", "share", "tlskit", "ca")
	env := map[string]string{"SUDO_USER": "nobody", "HOME": "/root"}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"ca", "status", "--store", "system"}, "no CA in " + want},
		{[]string{"ca", "install", "--store", "system"}, "no default CA in " + want + ", and tlskit running through sudo does not make one in nobody's home"},
		{[]string{"cert", "issue", "x.test"}, "tlskit running through sudo does not make one"},
		{[]string{"ca", "create"}, "through sudo, the default CA directory is nobody's"},
	} {
		res := (cliRun{args: tc.args, env: env}).run(t)
		if res.code == ExitOK || !strings.Contains(res.stderr, tc.says) {
			t.Errorf("%v under sudo: exit %d, stderr %q; want it to say %q", tc.args, res.code, res.stderr, tc.says)
		}
	}
	// XDG_DATA_HOME kept through sudo (sudo -E) names the directory itself.
	env["XDG_DATA_HOME"] = filepath.Join(t.TempDir(), "xdg")
	if res := (cliRun{args: []string{"ca", "create"}, env: env}).run(t); res.code != ExitOK {
		t.Errorf("ca create under sudo -E: exit %d: %s", res.code, res.stderr)
	}
}
