package cmd

import (
	"testing"
	"time"

	"github.com/tlskit/tlskit/certgen"
)

// The output of ca revoke and ca crl, text (pipe and terminal) and JSON, pinned.
func TestCARevocationRendering(t *testing.T) {
	at := time.Date(2026, 11, 27, 11, 55, 0, 0, time.UTC)
	na := at.Add(397 * 24 * time.Hour)
	revoked := certgen.RevokeSummary{
		Revocation: certgen.Revocation{Serial: "32dd8b1dba02f6b3145940e31732abb913f9947e", RevokedAt: at, Reason: "keyCompromise", Subject: "CN=app.test", NotAfter: &na},
		Database:   "ca/revoked.json",
	}
	bySerial := certgen.RevokeSummary{
		Revocation:     certgen.Revocation{Serial: "0102", RevokedAt: at, Reason: "unspecified"},
		AlreadyRevoked: true,
		Database:       "ca/revoked.json",
	}
	crl := certgen.CRLSummary{
		Files:      []certgen.WrittenFile{{Path: "ca.crl", Kind: "crl", Mode: "0644"}},
		Issuer:     "CN=Example Root,O=Example",
		Number:     2,
		ThisUpdate: at,
		NextUpdate: at.Add(7 * 24 * time.Hour),
		Revoked:    1,
		Format:     "pem",
		Warnings:   []string{},
	}
	for _, tc := range []struct {
		name   string
		tty    bool
		output string
		report func(a *app) error
	}{
		{"ca-revoke.txt", false, formatText, func(a *app) error { return a.reportRevoke(revoked) }},
		{"ca-revoke.txt", true, formatText, func(a *app) error { return a.reportRevoke(revoked) }},
		{"ca-revoke.json", false, formatJSON, func(a *app) error { return a.reportRevoke(revoked) }},
		{"ca-revoke-again.json", false, formatJSON, func(a *app) error { return a.reportRevoke(bySerial) }},
		{"ca-crl.txt", false, formatText, func(a *app) error { return a.reportCRL(crl) }},
		{"ca-crl.txt", true, formatText, func(a *app) error { return a.reportCRL(crl) }},
		{"ca-crl.json", false, formatJSON, func(a *app) error { return a.reportCRL(crl) }},
	} {
		streams := NewTestStreams("")
		streams.OutTTY = tc.tty
		a := newApp(streams.IOStreams, func(k string) string {
			if k == "NO_COLOR" {
				return "1"
			}
			return ""
		}, testBuild)
		a.now = func() time.Time { return at.Add(5 * time.Minute) }
		a.opts.Output = tc.output
		if err := tc.report(a); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, streams.OutBuf.String())
	}
}
