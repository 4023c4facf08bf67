package scan

import (
	"strings"
	"testing"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/wire"
)

func suiteOf(t *testing.T, name string) Suite {
	t.Helper()
	cs, ok := wire.CipherSuiteByName(name)
	if !ok {
		t.Fatalf("no suite %s", name)
	}
	return Suite{ID: cs.ID, Name: cs.Name, OpenSSLName: cs.OpenSSLName, Bits: cs.Bits, ForwardSecrecy: cs.ForwardSecret, AEAD: cs.AEAD, KeyExchange: cs.KeyExchange}
}

func TestFindings(t *testing.T) {
	yes, no := true, false
	modern := &Result{
		Versions: []VersionResult{
			{Version: "TLS 1.2", Supported: true, ServerPreference: &yes, Suites: []Suite{suiteOf(t, "ECDHE-ECDSA-AES128-GCM-SHA256")}},
			{Version: "TLS 1.3", Supported: true, Suites: []Suite{suiteOf(t, "TLS_AES_128_GCM_SHA256")}},
		},
		Groups: []GroupResult{{Name: "X25519MLKEM768", Supported: true}, {Name: "x25519", Supported: true}},
	}
	if f := Findings(modern); len(f) != 0 {
		t.Errorf("a modern server has findings: %+v", f)
	}

	old := &Result{
		Versions: []VersionResult{
			{Version: "SSL 3.0", Supported: true},
			{Version: "TLS 1.0", Supported: true, ServerPreference: &no, Suites: []Suite{suiteOf(t, "DES-CBC3-SHA"), suiteOf(t, "RC4-SHA"), suiteOf(t, "ADH-AES128-SHA")}},
			{Version: "TLS 1.2", Supported: true, Suites: []Suite{suiteOf(t, "AES128-SHA"), suiteOf(t, "NULL-SHA256")}},
			{Version: "TLS 1.3"}, // refused
		},
	}
	got := map[string]string{}
	for _, f := range Findings(old) {
		got[f.ID] = f.Severity
		if strings.Contains(f.Message, "\n") {
			t.Errorf("%s: message is not one line", f.ID)
		}
	}
	want := map[string]string{
		"sslv3": "high", "tls10": "medium", "no-tls13": "low", "des-cipher": "medium", "rc4-cipher": "high",
		"anonymous-cipher": "high", "null-cipher": "high", "no-forward-secrecy": "medium", "cbc-tls12": "low",
		"no-server-preference": "low",
	}
	for id, sev := range want {
		if got[id] != sev {
			t.Errorf("finding %s: severity %q, want %q (all: %v)", id, got[id], sev, got)
		}
	}
	if f := Findings(old); f[0].Severity != "high" || f[len(f)-1].Severity != "low" {
		t.Errorf("findings not ordered by severity: %+v", f)
	}
}

// TestFindingsNeverOnInconclusive checks that no finding rests on what was not seen: a version or
// group whose probes proved nothing, or that was never probed, is not reported as missing.
func TestFindingsNeverOnInconclusive(t *testing.T) {
	tls12 := VersionResult{Version: "TLS 1.2", Supported: true, Suites: []Suite{suiteOf(t, "ECDHE-ECDSA-AES128-GCM-SHA256")}}
	tls13 := VersionResult{Version: "TLS 1.3", Supported: true, Suites: []Suite{suiteOf(t, "TLS_AES_128_GCM_SHA256")}}
	x25519 := GroupResult{Name: "x25519", Supported: true}
	var allInconclusive []VersionResult
	for _, v := range []string{"SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"} {
		allInconclusive = append(allInconclusive, VersionResult{Version: v, Inconclusive: true})
	}
	for _, tc := range []struct {
		name     string
		versions []VersionResult
		groups   []GroupResult
		want     []string // finding ids, in order
	}{
		{"tls13 refused", []VersionResult{tls12, {Version: "TLS 1.3"}}, nil, []string{"no-tls13"}},
		{"tls13 inconclusive", []VersionResult{tls12, {Version: "TLS 1.3", Inconclusive: true}}, nil, nil},
		{"tls13 not probed", []VersionResult{tls12}, nil, nil},
		{"every version inconclusive", allInconclusive, nil, nil},
		{"no post-quantum group", []VersionResult{tls12, tls13}, []GroupResult{x25519, {Name: "X25519MLKEM768"}}, []string{"no-post-quantum"}},
		{"post-quantum group inconclusive", []VersionResult{tls12, tls13}, []GroupResult{x25519, {Name: "X25519MLKEM768", Inconclusive: true}}, nil},
		{"groups not probed", []VersionResult{tls12, tls13}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range Findings(&Result{Versions: tc.versions, Groups: tc.groups}) {
				got = append(got, f.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
		})
	}
}

// The certificate's revocation verdict becomes one finding, and never also "untrusted".
func TestFindingsRevocation(t *testing.T) {
	tests := []struct {
		name      string
		v         inspect.Verification
		rev       revocation.Report
		id, sev   string
		untrusted bool
	}{
		{"revoked", inspect.Verification{Reason: inspect.ReasonRevoked, Error: "x is revoked"}, revocation.Report{Status: "revoked", Error: "x is revoked"}, "cert-revoked", "high", false},
		{"unknown", inspect.Verification{Verified: true}, revocation.Report{Status: "unknown", Error: "the CRL timed out"}, "cert-revocation-unknown", "info", false},
		{"unknown under hard fail", inspect.Verification{Reason: inspect.ReasonRevocationUnknown, Error: "the CRL timed out"}, revocation.Report{Status: "unknown", Error: "the CRL timed out"}, "cert-revocation-unknown", "high", false},
		{"good", inspect.Verification{Verified: true}, revocation.Report{Status: "good"}, "", "", false},
		{"good but untrusted", inspect.Verification{Reason: inspect.ReasonUnknownAuthority, Error: "no root"}, revocation.Report{Status: "good"}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, rev := tt.v, tt.rev
			got := map[string]string{}
			for _, f := range Findings(&Result{Connection: &Connection{Verification: &v, Revocation: &rev}}) {
				got[f.ID] = f.Severity
			}
			if tt.id != "" && got[tt.id] != tt.sev {
				t.Errorf("%s: %q, want %q (all %v)", tt.id, got[tt.id], tt.sev, got)
			}
			if _, ok := got["cert-untrusted"]; ok != tt.untrusted {
				t.Errorf("cert-untrusted %t, want %t (all %v)", ok, tt.untrusted, got)
			}
			if tt.id == "" && (got["cert-revoked"] != "" || got["cert-revocation-unknown"] != "") {
				t.Errorf("a revocation finding on %s: %v", tt.name, got)
			}
		})
	}
}

// TestFindingsSSLv2Suites checks that SSL 2.0's cipher kinds are judged as what they are. They
// have no two-byte ID, and were looked up as ID 0 (TLS_NULL_WITH_NULL_NULL): an SSL 2.0 server
// with RC4-MD5 got a high null-cipher finding and no rc4-cipher one.
func TestFindingsSSLv2Suites(t *testing.T) {
	var suites []Suite
	for _, name := range []string{"RC4-MD5", "EXP-RC2-CBC-MD5", "DES-CBC3-MD5"} {
		for _, c := range wire.SSLv2Ciphers {
			if c.OpenSSLName == name {
				suites = append(suites, Suite{SSLv2Kind: c.Kind, Name: c.Name, OpenSSLName: c.OpenSSLName, Bits: c.Bits, KeyExchange: "RSA"})
			}
		}
	}
	r := &Result{Versions: []VersionResult{{Version: "SSL 2.0", Supported: true, Suites: suites}}}
	got := map[string]string{}
	for _, f := range Findings(r) {
		got[f.ID] = f.Message
	}
	for _, id := range []string{"sslv2", "rc4-cipher", "export-cipher", "des-cipher"} {
		if _, ok := got[id]; !ok {
			t.Errorf("no %s finding (all: %v)", id, got)
		}
	}
	if msg, ok := got["null-cipher"]; ok {
		t.Errorf("SSL 2.0 suites reported as NULL ciphers: %s", msg)
	}
}

// TestFindingsCountEachWeakness: a suite with several weaknesses is under each finding. An
// anonymous RC4 or 3DES suite used to be only "anonymous-cipher", so a server offering
// ADH-RC4-MD5 and ADH-DES-CBC3-SHA alone had no RC4 and no DES/3DES finding (sslscan and
// testssl list them under RC4 and 3DES/SWEET32).
func TestFindingsCountEachWeakness(t *testing.T) {
	r := &Result{Versions: []VersionResult{{Version: "TLS 1.0", Supported: true,
		Suites: []Suite{suiteOf(t, "ADH-RC4-MD5"), suiteOf(t, "ADH-DES-CBC3-SHA")}}}}
	got := map[string]string{}
	for _, f := range Findings(r) {
		got[f.ID] = f.Message
	}
	for id, says := range map[string]string{
		"anonymous-cipher": "2 anonymous (unauthenticated) suite(s)",
		"rc4-cipher":       "1 RC4 suite(s) accepted, e.g. TLS 1.0 TLS_DH_anon_WITH_RC4_128_MD5",
		"des-cipher":       "1 DES/3DES suite(s) accepted, e.g. TLS 1.0 TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
	} {
		if !strings.Contains(got[id], says) {
			t.Errorf("%s: %q, want it to say %q", id, got[id], says)
		}
	}
}

// TestFindingsUntrustedAgainstWhat: the untrusted-certificate finding names the roots used:
// the system's, or those given (scan --ca), not "the system roots" whatever was asked.
func TestFindingsUntrustedAgainstWhat(t *testing.T) {
	for _, given := range []bool{false, true} {
		r := &Result{Connection: &Connection{Verification: &inspect.Verification{Reason: inspect.ReasonUnknownAuthority, Error: "unknown authority"}}, rootsGiven: given}
		want := "certificate not verified against the system roots: unknown authority"
		if given {
			want = "certificate not verified against the roots given: unknown authority"
		}
		var msg string
		for _, f := range Findings(r) {
			if f.ID == "cert-untrusted" {
				msg = f.Message
			}
		}
		if msg != want {
			t.Errorf("roots given %v: %q, want %q", given, msg, want)
		}
	}
}
