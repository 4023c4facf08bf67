package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
)

// fixtureVerify is a fixed verify report of a chain whose leaf a CRL says is revoked and whose
// intermediate is good, so the rendering and JSON of revocation are pinned by golden files.
func fixtureVerify(revoked bool) inspect.VerifyReport {
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := at.Add(-d); return &t }
	in := func(d time.Duration) *time.Time { t := at.Add(d); return &t }
	nb := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	cert := func(subject, issuer string, days int, ca bool) inspect.Certificate {
		return inspect.Certificate{Subject: subject, Issuer: issuer, Serial: "0a", NotBefore: nb, NotAfter: nb.Add(time.Duration(days) * 24 * time.Hour),
			DaysLeft: days - 87, DNSNames: []string{}, IPAddresses: []string{}, Key: "ECDSA P-256", SignatureAlgorithm: "ECDSA-SHA256", IsCA: ca, SHA256: "AA"}
	}
	leaf := cert("CN=svc.test", "CN=Issuing CA", 120, false)
	inter := cert("CN=Issuing CA", "CN=Root CA", 3650, true)
	root := cert("CN=Root CA", "CN=Root CA", 3650, true)
	root.SelfSigned = true
	url := "http://crl.test/issuing.crl"
	leaf.Revocation = &revocation.CertStatus{Status: "good", Source: "crl", URL: url, ThisUpdate: ago(2 * time.Hour), NextUpdate: in(6 * 24 * time.Hour)}
	inter.Revocation = &revocation.CertStatus{Status: "good", Source: "crl", URL: "http://crl.test/root.crl", ThisUpdate: ago(30 * time.Hour), NextUpdate: in(40 * time.Minute)}
	root.Revocation = &revocation.CertStatus{Status: "not_checked"}
	rep := &revocation.Report{Mode: "crl", Status: "good", Source: "crl"}
	v := inspect.Verification{Verified: true, HostnameOK: true, Chain: []string{leaf.Subject, inter.Subject, root.Subject}}
	if revoked {
		leaf.Revocation = &revocation.CertStatus{Status: "revoked", Source: "crl", URL: url, ThisUpdate: ago(2 * time.Hour), NextUpdate: in(6 * 24 * time.Hour),
			RevokedAt: ago(26 * time.Hour), RevocationReason: "keyCompromise"}
		rep = &revocation.Report{Mode: "crl", Status: "revoked", Source: "crl",
			Error: `"CN=svc.test" is revoked since 2026-11-26T10:00:00Z (keyCompromise), says the CRL ` + url}
		v = inspect.Verification{Reason: inspect.ReasonRevoked, Error: rep.Error, HostnameOK: true}
	}
	v.Chains = [][]inspect.Certificate{{leaf, inter, root}}
	return inspect.VerifyReport{File: "svc.pem", At: at, Host: "svc.test", Purpose: "server", Leaf: &leaf, Presented: 2, Verification: v, Revocation: rep}
}

func TestVerifyRendering(t *testing.T) {
	for _, tc := range []struct {
		name    string
		revoked bool
	}{{"verify-crl-good", false}, {"verify-crl-revoked", true}} {
		var b strings.Builder
		if err := renderVerify(&b, newPalette(false), fixtureVerify(tc.revoked), nil); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name+".txt", b.String())
		js, err := json.MarshalIndent(fixtureVerify(tc.revoked), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name+".json", string(js)+"\n")
	}
}

// TestVerifyRenderingFailureShowsChain: a verdict with no verified chain still shows the chain
// as the file presented it, the expired certificate marked and the last one's issuer named, so
// the user sees which certificate is at fault.
func TestVerifyRenderingFailureShowsChain(t *testing.T) {
	rep := fixtureVerify(false)
	leaf, inter := rep.Verification.Chains[0][0], rep.Verification.Chains[0][1]
	leaf.Revocation, inter.Revocation = nil, nil
	inter.NotAfter = rep.At.Add(-48 * time.Hour)
	rep.Verification = inspect.Verification{Reason: inspect.ReasonExpired, Error: `the certificate "CN=Issuing CA" expired on ` + inter.NotAfter.Format(time.RFC3339)}
	rep.Revocation = nil
	var b strings.Builder
	if err := renderVerify(&b, newPalette(false), rep, []inspect.Certificate{leaf, inter}); err != nil {
		t.Fatal(err)
	}
	golden(t, "verify-expired-intermediate.txt", b.String())
}
