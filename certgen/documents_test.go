package certgen

import (
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/goldentest"
)

// TestDocumentsGolden pins certgen's JSON documents (docs/json.md) with every key set at least
// once: what cert and ca create report (Summary), ca revoke (RevokeSummary), ca crl
// (CRLSummary), a line of ca serve's log (OCSPLogEntry), and the two files a CA directory keeps
// beside its key, revoked.json (RevocationDB) and ca.json (CASettings), as Encode writes them.
func TestDocumentsGolden(t *testing.T) {
	nb := time.Date(2026, 11, 27, 11, 55, 0, 0, time.UTC)
	na := nb.Add(400 * 24 * time.Hour)

	s := Summary{
		Subject: "CN=app.test", Issuer: "CN=tlskit local CA,O=tlskit local CA",
		SANs:   []string{"DNS:app.test", "IP:127.0.0.1", "email:ops@app.test", "URI:spiffe://app.test/web"},
		Serial: "32dd8b1dba02f6b3145940e31732abb913f9947e", NotBefore: &nb, NotAfter: &na,
		KeyType: "ECDSA P-256", SHA256: "6E:41:FD:C1:62",
		CRLURLs: []string{"http://127.0.0.1:8080/ca.crl"}, OCSPURLs: []string{"http://127.0.0.1:8080/"},
		TrustAnchor: "ca/ca.pem",
		Warnings:    []string{"validity of 400 days exceeds 398, the most browsers accept for publicly trusted certificates"},
	}
	s.Record([]OutputFile{{Path: "app.pem", Kind: "certificate", Mode: 0o644}, {Path: "app-key.pem", Kind: "private key", Mode: 0o600}})
	goldenJSON(t, "summary.json", s)

	ca := Summary{Subject: "CN=tlskit local CA,O=tlskit local CA", Issuer: "CN=tlskit local CA,O=tlskit local CA", SANs: []string{},
		Serial: "01", NotBefore: &nb, NotAfter: &na, KeyType: "ECDSA P-256", IsCA: true, SHA256: "AB:CD", TrustAnchor: "ca/ca.pem", Warnings: []string{}}
	ca.Record([]OutputFile{{Path: "ca/ca.pem", Kind: "certificate", Mode: 0o644}, {Path: "ca/ca-key.pem", Kind: "private key", Mode: 0o600},
		{Path: "ca/ca.json", Kind: "settings", Mode: 0o644}, {Path: "ca/revoked.json", Kind: "revocations", Mode: 0o644}})
	goldenJSON(t, "summary-ca.json", ca)

	entry := Revocation{Serial: "7e3770f7797c6cd8f9926c67f78a65f20dd93139", RevokedAt: nb, Reason: "keyCompromise", Subject: "CN=app.test", NotAfter: &na}
	goldenJSON(t, "revoke.json", RevokeSummary{Revocation: entry, AlreadyRevoked: true, Database: "ca/revoked.json"})

	crl := CRLSummary{Issuer: "CN=tlskit local CA,O=tlskit local CA", Number: 2, ThisUpdate: nb, NextUpdate: nb.Add(7 * 24 * time.Hour),
		Revoked: 1, Format: "pem", Files: []WrittenFile{}, Warnings: []string{"the CRL's next update, 2026-12-04T11:55:00Z, is after the CA expires (2026-12-01T00:00:00Z)"}}
	crl.Record([]OutputFile{{Path: "ca.crl", Kind: "crl", Mode: 0o644}})
	goldenJSON(t, "crl-summary.json", crl)

	goldenJSON(t, "ocsp-log.jsonl", OCSPLogEntry{Time: time.Date(2026, 11, 27, 12, 0, 0, 123e6, time.UTC), Remote: "127.0.0.1:40312", Answer: "revoked 7e3770f7"})

	db := RevocationDB{CRLNumber: 2, Revoked: []Revocation{entry, {Serial: "0102", RevokedAt: nb, Reason: "unspecified"}}}
	goldentest.File(t, *update, "revoked.json", db.Encode())
	goldentest.File(t, *update, "ca.json", CASettings{CRLURL: "http://127.0.0.1:8080/ca.crl", OCSPURL: "http://127.0.0.1:8080/"}.Encode())
}
