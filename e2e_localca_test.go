//go:build unix

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// End-to-end tests of the local CA's limits (name constraints over DNS names and IP addresses,
// a leaf's validity within its CA's) and of its revocation (ca revoke, ca crl), each judged by
// OpenSSL in the same run.

// osslSign makes a leaf for the SAN given (an openssl subjectAltName value) signed by a CA
// directory's key with openssl itself, bypassing tlskit's refusal, so that OpenSSL's verdict on
// such a certificate can be compared with tlskit's.
func osslSign(t *testing.T, dir, caDir, san, out string) {
	t.Helper()
	writeFile(t, dir, out+".ext", "subjectAltName="+san+"\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"+
		"extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
	ossl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/O=tlskit test",
		"-keyout", out+"-key.pem", "-out", out+".csr")
	ossl(t, dir, "x509", "-req", "-in", out+".csr", "-CA", caDir+"/ca.pem", "-CAkey", caDir+"/ca-key.pem", "-days", "30",
		"-extfile", out+".ext", "-out", out)
}

// tkVerifyReason runs tlskit verify -o json and returns its exit code and reason.
func tkVerifyReason(t *testing.T, dir, file, ca, host string) (int, string) {
	t.Helper()
	out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "verify", file, "--ca", ca, "--host", host, "-o", "json")
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
func TestE2ENameConstraintsIPs(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "dns", "--name-constraint", "internal")
	tk(t, dir, "ca", "create", "--dir", "mixed", "--name-constraint", "internal", "--name-constraint", "127.0.0.1/32", "--name-constraint", "10.0.0.0/8")
	tk(t, dir, "ca", "create", "--dir", "ip", "--name-constraint", "10.0.0.0/8")

	mustContain(t, "DNS-only CA", x509Text(t, dir, "dns/ca.pem"),
		"X509v3 Name Constraints: critical", "DNS:internal", "Excluded:", "IP:0.0.0.0/0.0.0.0", "IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0")
	mixed := x509Text(t, dir, "mixed/ca.pem")
	mustContain(t, "mixed CA", mixed, "DNS:internal", "IP:127.0.0.1/255.255.255.255", "IP:10.0.0.0/255.0.0.0")
	if strings.Contains(mixed, "Excluded:") {
		t.Errorf("mixed CA excludes names although both kinds are permitted:\n%s", mixed)
	}
	mustContain(t, "IP-only CA", x509Text(t, dir, "ip/ca.pem"), "IP:10.0.0.0/255.0.0.0", "Excluded:", "DNS:")

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
	for i, tt := range tests {
		file := "leaf" + string(rune('a'+i)) + ".pem"
		host := tt.hosts[0]
		args := append([]string{"cert", "issue"}, tt.hosts...)
		args = append(args, "--ca-dir", tt.ca, "--out", file, "--key-out", "key-"+file)
		if tt.osslSAN == "" {
			tk(t, dir, args...)
			verifyServer(t, dir, tt.ca+"/ca.pem", file, false)
			if code, reason := tkVerifyReason(t, dir, file, tt.ca+"/ca.pem", host); code != 0 {
				t.Errorf("%s: tlskit verify exit %d (%s), OpenSSL says OK", tt.name, code, reason)
			}
			continue
		}
		before := snapshot(t, dir)
		r := tkFail(t, dir, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "tlskit: "+host+" is outside the names the CA") {
			t.Errorf("%s: exit %d, want 2 with a one-line refusal naming %s\n%s", tt.name, r.code, host, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout %q", tt.name, r.stdout)
		}
		sameSnapshot(t, tt.name, before, snapshot(t, dir))

		// The same certificate made by openssl: rejected by OpenSSL and by tlskit verify alike.
		osslSign(t, dir, tt.ca, tt.osslSAN, file)
		v := execIn(t, dir, "", nil, "openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", tt.ca+"/ca.pem", file)
		if v.code == 0 || !strings.Contains(v.stdout+v.stderr, tt.osslSays) {
			t.Errorf("%s: openssl verify exit %d, want %q:\n%s%s", tt.name, v.code, tt.osslSays, v.stdout, v.stderr)
		}
		if code, reason := tkVerifyReason(t, dir, file, tt.ca+"/ca.pem", host); code != 3 || reason != "name_constraints" {
			t.Errorf("%s: tlskit verify exit %d reason %q, want 3 name_constraints (OpenSSL: %s)", tt.name, code, reason, tt.osslSays)
		}
	}
}

// 11b. A leaf asked to outlive its CA ends with the CA, with a warning that says so; inspect
// --lint then finds nothing wrong with its validity, and OpenSSL verifies it.
func TestE2ELeafValidityWithinCA(t *testing.T) {
	needOpenSSL(t)
	t.Parallel()
	dir := t.TempDir()
	tk(t, dir, "ca", "create", "--dir", "short", "--days", "30")
	tk(t, dir, "ca", "create", "--dir", "int", "--parent-dir", "short", "--days", "20")

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
		out, errOut, code := runIn(t, dir, []string{"NO_COLOR=1"}, "cert", "issue", "svc.example.test", "--ca-dir", tt.ca, "--days", tt.days,
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
		leafEnd := strings.TrimSpace(ossl(t, dir, "x509", "-in", file, "-noout", "-enddate"))
		caEnd := strings.TrimSpace(ossl(t, dir, "x509", "-in", tt.ca+"/ca.pem", "-noout", "-enddate"))
		if (leafEnd == caEnd) != tt.cut {
			t.Errorf("%s: leaf %s, CA %s; want equal = %v", tt.name, leafEnd, caEnd, tt.cut)
		}

		// Lint agrees: no validity finding at all, and no error.
		lint, lintErr, lintCode := runIn(t, dir, []string{"NO_COLOR=1"}, "inspect", file, "--lint", "-o", "json")
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
