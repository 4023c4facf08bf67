package cmd

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInspectCommand(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, args := range [][]string{
		{"ca", "create", "--dir", "ca"},
		{"cert", "issue", "svc.test", "--ca-dir", "ca"},
		{"cert", "issue", "other.test", "--ca-dir", "ca"},
		{"cert", "csr", "req.test"},
	} {
		if res := runCLI(t, args...); res.code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, res.code, res.stderr)
		}
	}
	os.WriteFile(filepath.Join(dir, "garbage.txt"), []byte("not a certificate\n"), 0o644)
	bundle := append(mustRead(t, "svc.test.pem"), mustRead(t, "other.test.pem")...)
	os.WriteFile(filepath.Join(dir, "bundle.pem"), append([]byte("text before\n"), bundle...), 0o644)
	os.WriteFile(filepath.Join(dir, "pw"), []byte("pw\n"), 0o600)
	if res := runCLI(t, "cert", "selfsign", "enc.test", "--key-password-file", "pw"); res.code != ExitOK {
		t.Fatal(res.stderr)
	}

	writeCriticalCert(t, filepath.Join(dir, "crit.pem"))

	tests := []struct {
		name string
		args []string
		code int
		out  []string
		err  string
	}{
		{"critical extensions marked", []string{"inspect", "crit.pem"}, ExitOK, []string{
			"key usage: digital_signature (critical)", "basic constraints: CA:FALSE (critical)", "extended key usage: server_auth\n",
			"extensions: 1.2.3.4 (critical, not understood: verifiers refuse the certificate), 1.2.3.5, policy_constraints (2.5.29.36) (critical)\n"}, ""},
		{"lint unknown critical extension", []string{"inspect", "crit.pem", "--lint"}, ExitCheckFailed,
			[]string{"lint: error unhandled-critical-extension: critical extension 1.2.3.4 is not understood"}, "unhandled-critical-extension"},
		{"bundle one line each", []string{"inspect", "bundle.pem"}, ExitOK, []string{"source: bundle.pem (2 items)", "[0] CN=svc.test | until", "[1] CN=other.test | until"}, ""},
		{"verbose shows fields", []string{"inspect", "svc.test.pem", "-v"}, ExitOK, []string{"[0] certificate CN=svc.test", "sans: svc.test", "extended key usage: server_auth", "authority key id:", "sha1:"}, ""},
		{"key never printed", []string{"inspect", "svc.test-key.pem"}, ExitOK, []string{"[0] private key ECDSA P-256, pin sha256//"}, ""},
		{"csr", []string{"inspect", "req.test.csr"}, ExitOK, []string{"certificate request CN=req.test", "(valid)"}, ""},
		{"match", []string{"inspect", "bundle.pem", "-v", "--match", "svc.test-key.pem"}, ExitOK, []string{"key: matches", "key: does not match"}, ""},
		{"no match", []string{"inspect", "svc.test.pem", "--match", "other.test-key.pem"}, ExitCheckFailed, nil, "belongs to no certificate"},
		{"lint clean", []string{"inspect", "svc.test.pem", "--lint"}, ExitOK, nil, ""},
		{"encrypted without password", []string{"inspect", "enc.test-key.pem"}, ExitFailure, nil, "password"},
		{"encrypted with password", []string{"inspect", "enc.test-key.pem", "--password-file", "pw"}, ExitOK, []string{"private key (encrypted)"}, ""},
		{"garbage", []string{"inspect", "garbage.txt"}, ExitFailure, nil, "garbage.txt: no certificate, key, request or CRL found"},
		{"missing", []string{"inspect", "nope.pem"}, ExitFailure, nil, "nope.pem: no such file"},
		{"pem out", []string{"inspect", "svc.test.pem", "svc.test-key.pem", "-o", "pem"}, ExitOK, []string{"-----BEGIN CERTIFICATE-----"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", res.code, tt.code, res.stderr)
			}
			for _, w := range tt.out {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, res.stdout)
				}
			}
			first := strings.SplitN(res.stderr, "\n", 2)[0]
			if tt.err != "" && (!strings.HasPrefix(first, "tlskit: ") || !strings.Contains(first, tt.err)) {
				t.Errorf("stderr first line %q, want %q", first, tt.err)
			}
			if strings.Contains(res.stdout, "PRIVATE KEY") {
				t.Errorf("private key material on stdout:\n%s", res.stdout)
			}
		})
	}

	// JSON: one document per input, every field of the certificate view.
	res := runCLI(t, "inspect", "svc.test.pem", "-o", "json")
	var rep struct {
		Source string `json:"source"`
		Items  []struct {
			Kind        string         `json:"kind"`
			Certificate map[string]any `json:"certificate"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil || len(rep.Items) != 1 {
		t.Fatalf("JSON: %v\n%s", err, res.stdout)
	}
	for _, k := range []string{"subject", "issuer", "serial", "not_after", "days_left", "dns_names", "public_key", "key_usage", "ext_key_usage", "basic_constraints", "subject_key_id", "authority_key_id", "sha256", "sha1", "extensions"} {
		if _, ok := rep.Items[0].Certificate[k]; !ok {
			t.Errorf("certificate JSON lacks %q", k)
		}
	}
}

// writeCriticalCert writes a self-signed leaf with critical key usage and basic constraints, a
// critical extension nobody knows (1.2.3.4), a non-critical one (1.2.3.5), and one that Go
// handles and tlskit names but shows no field for (policy constraints, critical as RFC 5280 wants).
func writeCriticalCert(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "crit.test"}, DNSNames: []string{"crit.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}},
			{Id: asn1.ObjectIdentifier{1, 2, 3, 5}, Value: []byte{5, 0}},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: []byte{0x30, 0x03, 0x80, 0x01, 0x00}},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
