package cmd

import (
	"encoding/pem"
	"os"
	"strings"
	"testing"
)

// TestReadRootsSameEverywhere: the four commands that take a CA bundle (handshake --ca, scan
// --ca, verify --ca, serve --client-ca) refuse the same bad files with the same one line, naming
// the flag and the file, and accept a bundle behind a byte-order mark. Before readRoots they
// read it in four ways: handshake and serve said "--ca notpem.pem: ..." and "parsing certificate
// 1: ..." for a malformed one, scan and verify "--ca: notpem.pem: ..." and "certificate 1 of 1 is
// malformed"; handshake and serve took neither a certificate request's nor stdin's special case.
func TestReadRootsSameEverywhere(t *testing.T) {
	issuedInTempDir(t)
	if res := runCLI(t, "cert", "csr", "req.test", "--out", "req.csr", "--key-out", "req-key.pem"); res.code != ExitOK {
		t.Fatalf("cert csr: exit %d: %s", res.code, res.stderr)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("notpem.pem", []byte("hello\n"))
	write("garbage.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}))
	write("bom.pem", append([]byte("\ufeff"), mustRead(t, "ca/ca.pem")...))
	if err := os.Mkdir("dir.pem", 0o755); err != nil {
		t.Fatal(err)
	}

	commands := []struct {
		flag string
		args func(file string) []string
	}{
		// Two targets: the roots are read before either is dialled.
		{"--ca", func(f string) []string { return []string{"handshake", "127.0.0.1:1", "127.0.0.1:1", "--ca", f} }},
		{"--ca", func(f string) []string { return []string{"scan", "127.0.0.1:1", "--ca", f} }},
		{"--ca", func(f string) []string { return []string{"verify", "svc.test.pem", "--ca", f} }},
		{"--client-ca", func(f string) []string {
			return []string{"serve", "--addr", "127.0.0.1:0", "--client-auth", "require", "--client-ca", f}
		}},
	}
	files := []struct{ file, want string }{
		{"missing.pem", "FLAG: missing.pem: no such file or directory"},
		{"dir.pem", "FLAG: dir.pem: is a directory"},
		{"notpem.pem", "FLAG notpem.pem: no certificate found (expected PEM or DER)"},
		{"req.csr", "FLAG: req.csr is a certificate request, not a certificate (sign it first: tlskit cert sign)"},
		{"garbage.pem", "FLAG garbage.pem: certificate 1 of 1 is malformed: "},
	}
	for _, c := range commands {
		for _, f := range files {
			args := c.args(f.file)
			res := runCLI(t, args...)
			want := "tlskit: " + strings.ReplaceAll(f.want, "FLAG", c.flag)
			if res.code != ExitFailure || strings.Count(res.stderr, "\n") != 1 || !strings.HasPrefix(res.stderr, want) {
				t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line starting %q", strings.Join(args, " "), res.code, res.stderr, want)
			}
		}
	}
	// A bundle behind a byte-order mark is read: verify trusts it, handshake goes on to dial.
	if res := runCLI(t, "verify", "svc.test.pem", "--ca", "bom.pem"); res.code != ExitOK {
		t.Errorf("verify --ca bom.pem: exit %d: %s", res.code, res.stderr)
	}
	if res := runCLI(t, "handshake", "127.0.0.1:1", "127.0.0.1:1", "--ca", "bom.pem"); strings.Contains(res.stderr, "--ca") {
		t.Errorf("handshake --ca bom.pem: %s", res.stderr)
	}
}

// TestRootsFromStdin: "--ca -" reads the bundle from stdin in every command, and where the
// targets may come from stdin too, both at once is a usage error: the first reader would take
// it all (before, handshake looked for a file named "-", and scan read the roots from stdin
// and then found no targets there).
func TestRootsFromStdin(t *testing.T) {
	issuedInTempDir(t)
	ca := string(mustRead(t, "ca/ca.pem"))
	if res := (cliRun{args: []string{"verify", "svc.test.pem", "--ca", "-"}, stdin: ca}).run(t); res.code != ExitOK {
		t.Errorf("verify --ca -: exit %d: %s", res.code, res.stderr)
	}
	res := (cliRun{args: []string{"handshake", "127.0.0.1:1", "127.0.0.1:1", "--ca", "-"}, stdin: "hello\n"}).run(t)
	if want := "tlskit: --ca -: no certificate found"; res.code != ExitFailure || !strings.HasPrefix(res.stderr, want) {
		t.Errorf("handshake --ca - with no certificate on stdin: exit %d, stderr %q; want exit 1 and %q", res.code, res.stderr, want)
	}
	for _, cmd := range []string{"handshake", "scan"} {
		res := (cliRun{args: []string{cmd, "-", "--ca", "-"}, stdin: ca}).run(t)
		if want := "tlskit: --ca - and the target - cannot both read stdin"; res.code != ExitUsage || !strings.HasPrefix(res.stderr, want) {
			t.Errorf("%s - --ca -: exit %d, stderr %q; want exit 2 and %q", cmd, res.code, res.stderr, want)
		}
	}
}

// issuedInTempDir moves the test into a new directory holding a CA (ca/) and a certificate
// it issued for svc.test (svc.test.pem).
func issuedInTempDir(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	if res := runCLI(t, "ca", "create", "--dir", "ca"); res.code != ExitOK {
		t.Fatalf("ca create: exit %d: %s", res.code, res.stderr)
	}
	if res := runCLI(t, "cert", "issue", "svc.test", "--ca-dir", "ca"); res.code != ExitOK {
		t.Fatalf("cert issue: exit %d: %s", res.code, res.stderr)
	}
}
