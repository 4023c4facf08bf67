package cmd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
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
			Hint: "run it as root (sudo tlskit ca install --store system), or add --sudo"},
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
