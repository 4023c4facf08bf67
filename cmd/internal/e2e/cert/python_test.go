//go:build unix

package cert

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestPythonStrictVerification checks certificates against Python 3.13's strict default
// (VERIFY_X509_STRICT + VERIFY_X509_PARTIAL_CHAIN), which refuses, among other things, a
// certificate without an authority key identifier.
func TestPythonStrictVerification(t *testing.T) {
	t.Parallel()
	python := peertest.Need(t, "python3")
	script, err := filepath.Abs(filepath.Join("testdata", "strict_client.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "--out", "self.pem", "--key-out", "self-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "ca", "--out", "root-leaf.pem", "--key-out", "root-leaf-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "int", "--out", "int-leaf.pem", "--key-out", "int-leaf-key.pem")
	e2etest.Tlskit(t, dir, "cert", "issue", "localhost", "--ca-dir", "ca", "--key-type", "rsa-2048", "--out", "rsa.pem", "--key-out", "rsa-key.pem")

	tests := []struct{ name, cert, key, ca string }{
		{"self-signed", "self.pem", "self-key.pem", "self.pem"},
		{"root-issued", "root-leaf.pem", "root-leaf-key.pem", filepath.Join("ca", "ca.pem")},
		{"intermediate-issued", "int-leaf.pem", "int-leaf-key.pem", filepath.Join("int", "root.pem")},
		{"rsa", "rsa.pem", "rsa-key.pem", filepath.Join("ca", "ca.pem")},
	}
	// One Python for every case (the script checks each with its own contexts and listener):
	// starting Python and loading its ssl module is 130 of the 156 ms of CPU a case took alone,
	// so the four cost 0.62 s one process each and 0.14 s in one.
	args := []string{script}
	for _, tt := range tests {
		args = append(args, tt.name, tt.cert, tt.key, tt.ca, "localhost")
	}
	c := exec.Command(python, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := c.CombinedOutput()
	verdicts := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, v, ok := strings.Cut(line, ": "); ok {
			verdicts[name] = v
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := verdicts[tt.name]
			switch {
			case !ok:
				t.Fatalf("no verdict from the strict Python client (%v):\n%s", err, out)
			case strings.HasPrefix(v, "refused: "):
				t.Fatalf("strict Python client refused the certificate: %s", strings.TrimPrefix(v, "refused: "))
			case !strings.HasPrefix(v, "TLSv1.3"):
				t.Fatalf("unexpected output %q", v)
			}
		})
	}
	if err != nil && !t.Failed() {
		t.Errorf("strict Python client: %v, though no case was refused:\n%s", err, out)
	}
}
