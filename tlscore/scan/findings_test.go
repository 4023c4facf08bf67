package scan

import (
	"strings"
	"testing"

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
