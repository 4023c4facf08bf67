//go:build unix

package cert

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of the local CA's limits (name constraints over DNS names and IP addresses,
// a leaf's validity within its CA's) and of its revocation (ca revoke, ca crl), each judged by
// OpenSSL in the same run.

// osslSign makes a leaf for the SAN given (an openssl subjectAltName value) signed by a CA
// directory's key with openssl itself, bypassing tlskit's refusal, so that OpenSSL's verdict on
// such a certificate can be compared with tlskit's.
func osslSign(t *testing.T, dir, caDir, san, out string) {
	t.Helper()
	e2etest.WriteFile(t, dir, out+".ext", "subjectAltName="+san+"\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"+
		"extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
	e2etest.OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/O=tlskit test",
		"-keyout", out+"-key.pem", "-out", out+".csr")
	e2etest.OpenSSL(t, dir, "x509", "-req", "-in", out+".csr", "-CA", caDir+"/ca.pem", "-CAkey", caDir+"/ca-key.pem", "-days", "30",
		"-extfile", out+".ext", "-out", out)
}

// tkVerifyReason runs tlskit verify -o json and returns its exit code and reason.
func tkVerifyReason(t *testing.T, dir, file, ca, host string) (int, string) {
	t.Helper()
	out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "verify", file, "--ca", ca, "--host", host, "-o", "json")
	var v struct {
		Verification struct {
			Verified bool   `json:"verified"`
			Reason   string `json:"reason"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("tlskit verify %s: exit %d, output not JSON: %v\n%s%s", file, code, err, out, errOut)
	}
	if v.Verification.Verified != (code == 0) {
		t.Errorf("tlskit verify %s: exit %d but verified=%v", file, code, v.Verification.Verified)
	}
	return code, v.Verification.Reason
}

// 11a. A name constraint of one kind excludes the other kinds; tlskit refuses to issue a name
// outside the constraints, and what it refuses is what OpenSSL and tlskit verify reject.
func TestNameConstraintsIPs(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	caDir := t.TempDir()
	e2etest.Tlskit(t, caDir, "ca", "create", "--dir", "dns", "--name-constraint", "internal")
	e2etest.Tlskit(t, caDir, "ca", "create", "--dir", "mixed", "--name-constraint", "internal", "--name-constraint", "127.0.0.1/32", "--name-constraint", "10.0.0.0/8")
	e2etest.Tlskit(t, caDir, "ca", "create", "--dir", "ip", "--name-constraint", "10.0.0.0/8")

	e2etest.MustContain(t, "DNS-only CA", e2etest.X509Text(t, caDir, "dns/ca.pem"),
		"X509v3 Name Constraints: critical", "DNS:internal", "Excluded:", "IP:0.0.0.0/0.0.0.0", "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0")
	mixed := e2etest.X509Text(t, caDir, "mixed/ca.pem")
	e2etest.MustContain(t, "mixed CA", mixed, "DNS:internal", "IP:127.0.0.1/255.255.255.255", "IP:10.0.0.0/255.0.0.0")
	if strings.Contains(mixed, "Excluded:") {
		t.Errorf("mixed CA excludes names although both kinds are permitted:\n%s", mixed)
	}
	e2etest.MustContain(t, "IP-only CA", e2etest.X509Text(t, caDir, "ip/ca.pem"), "IP:10.0.0.0/255.0.0.0", "Excluded:", "DNS:")

	tests := []struct {
		name  string
		ca    string
		hosts []string
		// for a refused name: the SAN openssl signs instead, and what openssl verify says
		osslSAN, osslSays string
	}{
		{name: "dns within", ca: "dns", hosts: []string{"app.internal"}},
		{name: "ipv4 under dns-only", ca: "dns", hosts: []string{"127.0.0.1"}, osslSAN: "IP:127.0.0.1", osslSays: "excluded subtree violation"},
		{name: "ipv6 under dns-only", ca: "dns", hosts: []string{"::1"}, osslSAN: "IP:::1", osslSays: "excluded subtree violation"},
		{name: "mixed: name and loopback", ca: "mixed", hosts: []string{"app.internal", "127.0.0.1"}},
		{name: "mixed: 10/8", ca: "mixed", hosts: []string{"10.9.8.7"}},
		{name: "mixed: other ip", ca: "mixed", hosts: []string{"192.168.1.1"}, osslSAN: "IP:192.168.1.1", osslSays: "permitted subtree violation"},
		{name: "mixed: ipv6 against ipv4 ranges", ca: "mixed", hosts: []string{"::1"}, osslSAN: "IP:::1", osslSays: "permitted subtree violation"},
		{name: "ip-only: within", ca: "ip", hosts: []string{"10.0.0.1"}},
		{name: "ip-only: a dns name", ca: "ip", hosts: []string{"app.internal"}, osslSAN: "DNS:app.internal", osslSays: "excluded subtree violation"},
	}
	// The cases run in parallel, each in a directory of its own with a copy of its CA, so that
	// a refusal's snapshot covers the CA's files and nothing another case writes.
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, filepath.Join(caDir, tt.ca), filepath.Join(dir, tt.ca))
			file := "leaf" + string(rune('a'+i)) + ".pem"
			host := tt.hosts[0]
			args := append([]string{"cert", "issue"}, tt.hosts...)
			args = append(args, "--ca-dir", tt.ca, "--out", file, "--key-out", "key-"+file)
			if tt.osslSAN == "" {
				e2etest.Tlskit(t, dir, args...)
				verifyServer(t, dir, tt.ca+"/ca.pem", file, false)
				if code, reason := tkVerifyReason(t, dir, file, tt.ca+"/ca.pem", host); code != 0 {
					t.Errorf("%s: tlskit verify exit %d (%s), OpenSSL says OK", tt.name, code, reason)
				}
				return
			}
			before := e2etest.Snapshot(t, dir)
			r := e2etest.TlskitFails(t, dir, args...)
			if r.Code != 2 || !strings.HasPrefix(r.Stderr, "tlskit: "+host+" is outside the names the CA") {
				t.Errorf("%s: exit %d, want 2 with a one-line refusal naming %s\n%s", tt.name, r.Code, host, r.Stderr)
			}
			if r.Stdout != "" {
				t.Errorf("%s: stdout %q", tt.name, r.Stdout)
			}
			e2etest.SameSnapshot(t, tt.name, before, e2etest.Snapshot(t, dir))

			// The same certificate made by openssl: rejected by OpenSSL and by tlskit verify alike.
			osslSign(t, dir, tt.ca, tt.osslSAN, file)
			v := e2etest.Exec(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", tt.ca+"/ca.pem", file)
			if v.Code == 0 || !strings.Contains(v.Stdout+v.Stderr, tt.osslSays) {
				t.Errorf("%s: openssl verify exit %d, want %q:\n%s%s", tt.name, v.Code, tt.osslSays, v.Stdout, v.Stderr)
			}
			if code, reason := tkVerifyReason(t, dir, file, tt.ca+"/ca.pem", host); code != 3 || reason != "name_constraints" {
				t.Errorf("%s: tlskit verify exit %d reason %q, want 3 name_constraints (OpenSSL: %s)", tt.name, code, reason, tt.osslSays)
			}
		})
	}
}

// copyTree copies the directory src to dst, modes included.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.MkdirAll(to, info.Mode().Perm()); err != nil {
				return err
			}
			return os.Chmod(to, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// 11b. A leaf asked to outlive its CA ends with the CA, with a warning that says so; inspect
// --lint then finds nothing wrong with its validity, and OpenSSL verifies it.
func TestLeafValidityWithinCA(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "short", "--days", "30")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "short", "--days", "20")

	tests := []struct {
		name, ca, days, trust string
		cut                   bool
		untrusted             bool
	}{
		{name: "within", ca: "short", days: "10", trust: "short/ca.pem"},
		{name: "past the root", ca: "short", days: "60", trust: "short/ca.pem", cut: true},
		{name: "past the intermediate", ca: "int", days: "25", trust: "int/root.pem", cut: true, untrusted: true},
	}
	for i, tt := range tests {
		file := "v" + string(rune('a'+i)) + ".pem"
		out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "svc.example.test", "--ca-dir", tt.ca, "--days", tt.days,
			"--out", file, "--key-out", "key-"+file, "-o", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", tt.name, code, errOut)
		}
		var s struct {
			Warnings []string `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		warned := strings.Contains(errOut, "validity cut to") && strings.Contains(strings.Join(s.Warnings, "\n"), "validity cut to")
		if warned != tt.cut {
			t.Errorf("%s: cut warning on stderr and in JSON = %v, want %v\n%s", tt.name, warned, tt.cut, errOut)
		}
		leafEnd := strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", file, "-noout", "-enddate"))
		caEnd := strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", tt.ca+"/ca.pem", "-noout", "-enddate"))
		if (leafEnd == caEnd) != tt.cut {
			t.Errorf("%s: leaf %s, CA %s; want equal = %v", tt.name, leafEnd, caEnd, tt.cut)
		}

		// Lint agrees: no validity finding at all, and no error.
		lint, lintErr, lintCode := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", file, "--lint", "-o", "json")
		if lintCode != 0 {
			t.Errorf("%s: inspect --lint exit %d\n%s%s", tt.name, lintCode, lint, lintErr)
		}
		for _, bad := range []string{`"severity": "error"`, "validity-over", "expired"} {
			if strings.Contains(lint, bad) {
				t.Errorf("%s: lint reports %s:\n%s", tt.name, bad, lint)
			}
		}
		verifyServer(t, dir, tt.trust, file, tt.untrusted)
	}
}

// osslVerify runs openssl verify and returns its exit code and output.
func osslVerify(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	r := e2etest.Exec(t, dir, "", nil, "openssl", append([]string{"verify"}, args...)...)
	return r.Code, r.Stdout + r.Stderr
}

// revokeJSON runs tlskit ca revoke -o json and decodes its result.
func revokeJSON(t *testing.T, dir string, args ...string) (already bool, reason string) {
	t.Helper()
	out := e2etest.Tlskit(t, dir, append([]string{"ca", "revoke", "-o", "json"}, args...)...)
	var r struct {
		Serial         string `json:"serial"`
		Reason         string `json:"reason"`
		AlreadyRevoked bool   `json:"already_revoked"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Serial == "" {
		t.Fatalf("ca revoke %v: %v\n%s", args, err, out)
	}
	return r.AlreadyRevoked, r.Reason
}

// 5. The local CA revokes: every certificate it issues names its CRL and OCSP URLs, ca revoke
// records revocations, and ca crl signs CRLs that OpenSSL verifies and applies.
func TestCARevocation(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.WriteFile(t, dir, "pw", "secret\n")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "root", "--key-password-file", "pw",
		"--crl-url", "http://127.0.0.1:8080/root.crl", "--ocsp-url", "http://127.0.0.1:8081/")
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "root", "--parent-key-password-file", "pw",
		"--crl-url", "http://127.0.0.1:8080/int.crl")
	issueRoot := func(host string) {
		e2etest.Tlskit(t, dir, "cert", "issue", host, "--ca-dir", "root", "--ca-key-password-file", "pw")
	}
	issueRoot("revoked.example.test")
	issueRoot("good.example.test")
	e2etest.Tlskit(t, dir, "cert", "csr", "signed.example.test")
	e2etest.Tlskit(t, dir, "cert", "sign", "signed.example.test.csr", "--ca-dir", "root", "--ca-key-password-file", "pw")
	e2etest.Tlskit(t, dir, "cert", "issue", "bad.int.example.test", "--ca-dir", "int")
	e2etest.Tlskit(t, dir, "cert", "issue", "ok.int.example.test", "--ca-dir", "int")

	// The URLs, in every kind of certificate the CAs issue; the root itself has none.
	rootURLs := []string{"X509v3 CRL Distribution Points", "URI:http://127.0.0.1:8080/root.crl", "OCSP - URI:http://127.0.0.1:8081/"}
	for _, f := range []string{"revoked.example.test.pem", "signed.example.test.pem", "int/ca.pem"} {
		e2etest.MustContain(t, f, e2etest.X509Text(t, dir, f), rootURLs...)
	}
	intLeaf := e2etest.X509Text(t, dir, "bad.int.example.test.pem")
	e2etest.MustContain(t, "intermediate's leaf", intLeaf, "URI:http://127.0.0.1:8080/int.crl")
	if strings.Contains(intLeaf, "OCSP") {
		t.Errorf("the intermediate's leaf has an OCSP URL, though only the root was given one:\n%s", intLeaf)
	}
	if strings.Contains(e2etest.X509Text(t, dir, "root/ca.pem"), "CRL Distribution Points") {
		t.Error("the root carries a CRL distribution point")
	}

	// Revoke, by file; again (idempotent); a certificate of another CA is refused.
	if already, reason := revokeJSON(t, dir, "revoked.example.test.pem", "--ca-dir", "root", "--reason", "key-compromise"); already || reason != "keyCompromise" {
		t.Errorf("first revoke: already=%v reason=%q", already, reason)
	}
	db := e2etest.ReadFile(t, dir, "root/revoked.json")
	if already, reason := revokeJSON(t, dir, "revoked.example.test.pem", "--ca-dir", "root", "--reason", "superseded"); !already || reason != "keyCompromise" {
		t.Errorf("second revoke: already=%v reason=%q, want the first entry kept", already, reason)
	}
	if string(e2etest.ReadFile(t, dir, "root/revoked.json")) != string(db) {
		t.Error("re-revoking changed revoked.json")
	}
	before := e2etest.Snapshot(t, dir)
	for _, bad := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"another CA's certificate", []string{"ok.int.example.test.pem", "--ca-dir", "root"}, 2, "not by this CA"},
		{"the CA itself", []string{"root/ca.pem", "--ca-dir", "root"}, 2, "CA's own certificate"},
		{"unknown reason", []string{"good.example.test.pem", "--ca-dir", "root", "--reason", "bored"}, 2, "unknown revocation reason"},
		{"neither file nor serial", []string{"missing.pem", "--ca-dir", "root"}, 2, "not a file"},
		{"no CA there", []string{"good.example.test.pem", "--ca-dir", "nowhere"}, 1, "no CA in nowhere"},
	} {
		r := e2etest.TlskitFails(t, dir, append([]string{"ca", "revoke"}, bad.args...)...)
		if r.Code != bad.code || !strings.HasPrefix(r.Stderr, "tlskit: ") || !strings.Contains(strings.SplitN(r.Stderr, "\n", 2)[0], bad.msg) {
			t.Errorf("ca revoke, %s: exit %d, want %d with %q\n%s", bad.name, r.Code, bad.code, bad.msg, r.Stderr)
		}
	}
	e2etest.SameSnapshot(t, "refused revocations", before, e2etest.Snapshot(t, dir))

	// The root's CRL: OpenSSL verifies its signature and applies it.
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "root", "--ca-key-password-file", "pw", "--out", "root.crl.pem")
	if out := e2etest.OpenSSL(t, dir, "crl", "-in", "root.crl.pem", "-CAfile", "root/ca.pem", "-noout"); !strings.Contains(out, "verify OK") {
		t.Errorf("openssl crl -CAfile: %s", out)
	}
	text := e2etest.OpenSSL(t, dir, "crl", "-in", "root.crl.pem", "-noout", "-text")
	e2etest.MustContain(t, "root CRL", text, "Key Compromise", strings.ToUpper(serialOf(t, dir, "revoked.example.test.pem")))
	if n := e2etest.CRLNumber(t, dir, "root.crl.pem"); n != "1" {
		t.Errorf("first CRL number %q, want 1", n)
	}
	if code, out := osslVerify(t, dir, "-crl_check", "-CRLfile", "root.crl.pem", "-CAfile", "root/ca.pem", "revoked.example.test.pem"); code == 0 || !strings.Contains(out, "certificate revoked") {
		t.Errorf("revoked leaf with -crl_check: exit %d\n%s", code, out)
	}
	for _, f := range []string{"good.example.test.pem", "signed.example.test.pem"} {
		if code, out := osslVerify(t, dir, "-crl_check", "-CRLfile", "root.crl.pem", "-CAfile", "root/ca.pem", f); code != 0 || !strings.Contains(out, f+": OK") {
			t.Errorf("%s with -crl_check: exit %d\n%s", f, code, out)
		}
	}

	// An existing CRL file is refused without --force and no CRL number is spent on it; with
	// --force the number goes up by one.
	before = e2etest.Snapshot(t, dir)
	if r := e2etest.TlskitFails(t, dir, "ca", "crl", "--ca-dir", "root", "--ca-key-password-file", "pw", "--out", "root.crl.pem"); r.Code != 1 || !strings.Contains(r.Stderr, "--force") {
		t.Errorf("ca crl over an existing file: exit %d\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "ca crl over an existing file", before, e2etest.Snapshot(t, dir))
	// The encrypted key without its password: refused with a hint, nothing spent either.
	if r := e2etest.TlskitFails(t, dir, "ca", "crl", "--ca-dir", "root", "--out", "nopw.crl"); !strings.Contains(r.Stderr, "--ca-key-password-file") {
		t.Errorf("ca crl without the key's password: exit %d\n%s", r.Code, r.Stderr)
	}
	e2etest.SameSnapshot(t, "ca crl without the password", before, e2etest.Snapshot(t, dir))
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "root", "--ca-key-password-file", "pw", "--out", "root.crl.pem", "--force", "--days", "30")
	if n := e2etest.CRLNumber(t, dir, "root.crl.pem"); n != "2" {
		t.Errorf("second CRL number %q, want 2", n)
	}
	e2etest.MustContain(t, "second root CRL", e2etest.OpenSSL(t, dir, "crl", "-in", "root.crl.pem", "-noout", "-text"), "Key Compromise")

	// The intermediate: revoke one leaf by its serial as openssl prints it; -crl_check_all needs
	// both CRLs. DER output, read back by openssl as DER.
	serial := strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", "bad.int.example.test.pem", "-noout", "-serial"))
	if already, reason := revokeJSON(t, dir, serial, "--ca-dir", "int", "--reason", "superseded"); already || reason != "superseded" {
		t.Errorf("revoke by serial %s: already=%v reason=%q", serial, already, reason)
	}
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "int", "--out", "int.crl", "--der")
	if out := e2etest.OpenSSL(t, dir, "crl", "-inform", "DER", "-in", "int.crl", "-CAfile", "int/ca.pem", "-noout"); !strings.Contains(out, "verify OK") {
		t.Errorf("openssl crl -inform DER -CAfile: %s", out)
	}
	e2etest.OpenSSL(t, dir, "crl", "-inform", "DER", "-in", "int.crl", "-out", "int.crl.pem")
	all := []string{"-crl_check_all", "-CRLfile", "root.crl.pem", "-CRLfile", "int.crl.pem", "-CAfile", "int/root.pem", "-untrusted", "int/ca.pem"}
	if code, out := osslVerify(t, dir, append(all, "bad.int.example.test.pem")...); code == 0 || !strings.Contains(out, "certificate revoked") {
		t.Errorf("revoked intermediate leaf with -crl_check_all: exit %d\n%s", code, out)
	}
	if code, out := osslVerify(t, dir, append(all, "ok.int.example.test.pem")...); code != 0 {
		t.Errorf("good intermediate leaf with -crl_check_all: exit %d\n%s", code, out)
	}

	// Revoking the intermediate in the root revokes everything under it, for -crl_check_all.
	revokeJSON(t, dir, "int/ca.pem", "--ca-dir", "root", "--reason", "ca-compromise")
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "root", "--ca-key-password-file", "pw", "--out", "root.crl.pem", "--force")
	if n := e2etest.CRLNumber(t, dir, "root.crl.pem"); n != "3" {
		t.Errorf("third CRL number %q, want 3", n)
	}
	e2etest.MustContain(t, "root CRL with the intermediate", e2etest.OpenSSL(t, dir, "crl", "-in", "root.crl.pem", "-noout", "-text"), "CA Compromise")
	if code, out := osslVerify(t, dir, append(all, "ok.int.example.test.pem")...); code == 0 || !strings.Contains(out, "certificate revoked") {
		t.Errorf("leaf under a revoked intermediate with -crl_check_all: exit %d\n%s", code, out)
	}
	leafOnly := []string{"-crl_check", "-CRLfile", "int.crl.pem", "-CAfile", "int/root.pem", "-untrusted", "int/ca.pem", "ok.int.example.test.pem"}
	if code, out := osslVerify(t, dir, leafOnly...); code != 0 {
		t.Errorf("good leaf with -crl_check (the leaf's CRL only): exit %d\n%s", code, out)
	}

	st, err := os.Stat(filepath.Join(dir, "root.crl.pem"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("root.crl.pem: %v %v, want mode 0644", st, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "root"), filepath.Join(dir, "int")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tlskit") || e.Name() == ".lock" {
				t.Errorf("left behind in %s: %s", d, e.Name())
			}
		}
	}
}

// serialOf is a certificate's serial as openssl prints it, without "serial=".
func serialOf(t *testing.T, dir, file string) string {
	t.Helper()
	return strings.TrimPrefix(strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", file, "-noout", "-serial")), "serial=")
}

// ca create --force replaces the settings and revocations of the CA it replaces, and bad URLs
// and flags are usage errors that leave nothing behind.
func TestCARevocationFlags(t *testing.T) {
	peertest.NeedOpenSSL3(t)
	t.Parallel()
	dir := t.TempDir()
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca", "--crl-url", "http://127.0.0.1/old.crl")
	e2etest.Tlskit(t, dir, "cert", "issue", "x.example.test", "--ca-dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "revoke", "x.example.test.pem", "--ca-dir", "ca")
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "ca", "--out", "old.crl")

	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca", "--force")
	if strings.Contains(string(e2etest.ReadFile(t, dir, "ca/ca.json")), "old.crl") {
		t.Error("the replaced CA's CRL URL survived ca create --force")
	}
	e2etest.Tlskit(t, dir, "cert", "issue", "y.example.test", "--ca-dir", "ca")
	if strings.Contains(e2etest.X509Text(t, dir, "y.example.test.pem"), "CRL Distribution Points") {
		t.Error("a certificate of the new CA carries the old CA's CRL URL")
	}
	e2etest.Tlskit(t, dir, "ca", "crl", "--ca-dir", "ca", "--out", "new.crl")
	if n := e2etest.CRLNumber(t, dir, "new.crl"); n != "1" {
		t.Errorf("the new CA's first CRL number %q, want 1", n)
	}
	if strings.Contains(e2etest.OpenSSL(t, dir, "crl", "-in", "new.crl", "-noout", "-text"), "Serial Number") {
		t.Error("the new CA's CRL lists the old CA's revocations")
	}

	before := e2etest.Snapshot(t, dir)
	for _, bad := range []struct {
		name string
		args []string
		msg  string
	}{
		{"ldap crl url", []string{"ca", "create", "--dir", "bad", "--crl-url", "ldap://x/cn=ca"}, "--crl-url"},
		{"relative ocsp url", []string{"ca", "create", "--dir", "bad", "--ocsp-url", "ocsp.internal"}, "--ocsp-url"},
		{"crl days 0", []string{"ca", "crl", "--ca-dir", "ca", "--out", "z.crl", "--days", "0"}, "--days"},
		{"crl without --out", []string{"ca", "crl", "--ca-dir", "ca"}, "--out is required"},
		{"revoke without argument", []string{"ca", "revoke", "--ca-dir", "ca"}, "missing CERT_FILE|SERIAL"},
	} {
		r := e2etest.TlskitFails(t, dir, bad.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, bad.msg) {
			t.Errorf("%s: exit %d, want 2 with %q\n%s", bad.name, r.Code, bad.msg, r.Stderr)
		}
	}
	e2etest.SameSnapshot(t, "bad revocation flags", before, e2etest.Snapshot(t, dir))
}
