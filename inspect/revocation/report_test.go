package revocation

import (
	"testing"
	"time"
)

// TestDocumentsGolden pins the revocation objects that handshake, verify and scan embed
// (docs/json.md, Revocation): the chain's verdict (Report), one certificate's (CertStatus), and
// a stapled OCSP response as judged (OCSPResult, handshake's `ocsp`), every key set once.
func TestDocumentsGolden(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration) *time.Time {
		t := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).Add(d)
		return &t
	}
	goldenJSON(t, "report.json", Report{Mode: ModeAuto, Status: StatusRevoked, Source: "staple,crl",
		Error: `"CN=www.example.test" is revoked since 2026-11-26T10:00:00Z (keyCompromise), says the CRL http://crl.example.test/1.crl`})
	goldenJSON(t, "cert-status.json", CertStatus{Status: StatusRevoked, Source: "crl", URL: "http://crl.example.test/1.crl", File: "local.crl",
		ThisUpdate: at(-2 * time.Hour), NextUpdate: at(22 * time.Hour), RevokedAt: at(-26 * time.Hour), RevocationReason: "keyCompromise",
		Error: "pinned here only for its key: OCSP http://ocsp.example.test/: timed out"})
	goldenJSON(t, "ocsp.json", OCSPResult{Status: StatusRevoked, ProducedAt: at(-time.Hour), ThisUpdate: at(-time.Hour), NextUpdate: at(6 * 24 * time.Hour),
		RevokedAt: at(-26 * time.Hour), RevocationReason: "keyCompromise", Signer: "delegated responder CN=Example OCSP,O=Example",
		Error: "pinned here only for its key"})
}
