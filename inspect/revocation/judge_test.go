package revocation

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

func TestJudgeOCSP(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf, inter := p.leaf.cert, p.inter.cert
	responder := newCert(t, "Test OCSP Responder", false, p.inter, withEKU(x509.ExtKeyUsageOCSPSigning))
	noEKU := newCert(t, "Test Not A Responder", false, p.inter)
	expiredResponder := newCert(t, "Test Old Responder", false, p.inter, withEKU(x509.ExtKeyUsageOCSPSigning),
		withValidity(testNow.Add(-48*time.Hour), testNow.Add(-time.Hour)))
	other := newCert(t, "Unrelated", true, nil)
	otherResponder := newCert(t, "Unrelated Responder", false, other, withEKU(x509.ExtKeyUsageOCSPSigning))
	sibling := newCert(t, "sibling.test", false, p.inter)
	// A certificate of another CA with the same serial as the leaf.
	twin := newCert(t, "twin.test", false, other, withSerial(leaf.SerialNumber.Int64()))

	revokedWith := func(reason int) ocspOpt {
		return func(r *ocsp.Response) {
			r.Status, r.RevokedAt, r.RevocationReason = ocsp.Revoked, testNow.Add(-3*time.Hour), reason
		}
	}
	status := func(s int) ocspOpt { return func(r *ocsp.Response) { r.Status = s } }
	times := func(this, next time.Time) ocspOpt {
		return func(r *ocsp.Response) { r.ThisUpdate, r.NextUpdate = this, next }
	}

	tests := []struct {
		name   string
		der    []byte
		issuer *x509.Certificate
		want   string
		errHas string
		signer string
	}{
		{"issuer signed, issuer embedded (openssl -rsigner CA)", ocspResponse(t, leaf, inter, p.inter, true), inter, StatusGood, "", "issuer"},
		{"issuer signed, nothing embedded (-resp_no_certs)", ocspResponse(t, leaf, inter, p.inter, false), inter, StatusGood, "", "issuer"},
		{"delegated responder with OCSPSigning", ocspResponse(t, leaf, inter, responder, true), inter, StatusGood, "", "delegated responder CN=Test OCSP Responder"},
		{"delegated responder without OCSPSigning", ocspResponse(t, leaf, inter, noEKU, true), inter, StatusInvalid, "id-kp-OCSPSigning", ""},
		{"delegated responder expired", ocspResponse(t, leaf, inter, expiredResponder, true), inter, StatusInvalid, "not valid now", ""},
		{"delegated responder not embedded", ocspResponse(t, leaf, inter, responder, false), inter, StatusInvalid, "not signed by the issuer", ""},
		{"unrelated signer, embedded", ocspResponse(t, leaf, inter, other, true), inter, StatusInvalid, "did not certify", ""},
		{"unrelated signer, not embedded", ocspResponse(t, leaf, inter, other, false), inter, StatusInvalid, "not signed by the issuer", ""},
		{"responder of another CA", ocspResponse(t, leaf, inter, otherResponder, true), inter, StatusInvalid, "did not certify", ""},
		{"issuer unknown", ocspResponse(t, leaf, inter, p.inter, false), nil, StatusInvalid, "neither sent nor trusted", ""},
		{"another serial of the same CA, revoked", ocspResponse(t, sibling.cert, inter, p.inter, true, revokedWith(ocsp.KeyCompromise)), inter, StatusInvalid, "another certificate", ""},
		{"same serial, another issuer", ocspResponse(t, twin.cert, other.cert, other, true), inter, StatusInvalid, "another issuer", ""},
		{"revoked with a reason", ocspResponse(t, leaf, inter, p.inter, true, revokedWith(ocsp.KeyCompromise)), inter, StatusRevoked, "", "issuer"},
		{"responder does not know it", ocspResponse(t, leaf, inter, p.inter, true, status(ocsp.Unknown)), inter, StatusUnknown, "", "issuer"},
		{"expired nextUpdate", ocspResponse(t, leaf, inter, p.inter, true, times(testNow.Add(-48*time.Hour), testNow.Add(-time.Hour))), inter, StatusInvalid, "expired", "issuer"},
		{"within the skew", ocspResponse(t, leaf, inter, p.inter, true, times(testNow.Add(-48*time.Hour), testNow.Add(-2*time.Minute))), inter, StatusGood, "", "issuer"},
		{"thisUpdate in the future", ocspResponse(t, leaf, inter, p.inter, true, times(testNow.Add(time.Hour), testNow.Add(48*time.Hour))), inter, StatusInvalid, "in the future", "issuer"},
		{"no nextUpdate", ocspResponse(t, leaf, inter, p.inter, true, times(testNow.Add(-time.Hour), time.Time{})), inter, StatusGood, "", "issuer"},
		{"garbage", []byte("not ocsp"), inter, StatusInvalid, "not a valid OCSP response", ""},
		{"tryLater", ocsp.TryLaterErrorResponse, inter, StatusInvalid, "try later", ""},
		{"empty", nil, inter, StatusInvalid, "not a valid OCSP response", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JudgeOCSP(tt.der, leaf, tt.issuer, testNow)
			if got.Status != tt.want {
				t.Fatalf("status %q (%s), want %q", got.Status, got.Error, tt.want)
			}
			if !strings.Contains(got.Error, tt.errHas) {
				t.Errorf("error %q does not say %q", got.Error, tt.errHas)
			}
			if tt.errHas == "" && got.Error != "" {
				t.Errorf("unexpected error %q", got.Error)
			}
			if got.Signer != tt.signer {
				t.Errorf("signer %q, want %q", got.Signer, tt.signer)
			}
		})
	}

	t.Run("revocation details", func(t *testing.T) {
		got := JudgeOCSP(ocspResponse(t, leaf, inter, p.inter, true, revokedWith(ocsp.KeyCompromise)), leaf, inter, testNow)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(testNow.Add(-3*time.Hour)) || got.RevocationReason != "keyCompromise" {
			t.Errorf("revoked at %v reason %q", got.RevokedAt, got.RevocationReason)
		}
	})
}

// A CertID matches on serial and on the issuer's name and key hashes (responses about several
// certificates are judged against openssl in TestOCSPAgainstOpenSSL).
func TestCertIDMatching(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ids, err := parseCertIDs(mustTBS(t, ocspResponse(t, p.leaf.cert, p.inter.cert, p.inter, false)))
	if err != nil || len(ids) != 1 || ids[0].serial.Cmp(p.leaf.cert.SerialNumber) != 0 || ids[0].hash.String() != "SHA-1" {
		t.Fatalf("CertIDs %+v, %v", ids, err)
	}
	if _, err := matchCertID(ids, p.leaf.cert, p.inter.cert); err != nil {
		t.Errorf("own CertID not matched: %v", err)
	}
	if _, err := matchCertID(ids, p.leaf.cert, p.root.cert); err == nil || !strings.Contains(err.Error(), "another issuer") {
		t.Errorf("CertID matched another issuer: %v", err)
	}
}

func mustTBS(t *testing.T, der []byte) []byte {
	t.Helper()
	r, err := ocsp.ParseResponse(der, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.TBSResponseData
}

func TestJudgeCRL(t *testing.T) {
	t.Parallel()
	p := newPKI(t, withCDP("http://127.0.0.1/a.crl"))
	leaf := p.leaf.cert
	other := newCert(t, "Unrelated", true, nil)
	idp := func(der []byte, critical bool) crlOpt {
		return crlExt(pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 28}, Critical: critical, Value: der})
	}
	// IssuingDistributionPoint { distributionPoint [0] { fullName [0] { URI [6] } } }
	idpURI := func(uri string) []byte {
		gn := append([]byte{0x86, byte(len(uri))}, uri...)
		full := append([]byte{0xa0, byte(len(gn))}, gn...)
		dp := append([]byte{0xa0, byte(len(full))}, full...)
		return append([]byte{0x30, byte(len(dp))}, dp...)
	}
	onlyCA := []byte{0x30, 0x03, 0x82, 0x01, 0xff}
	onlyUser := []byte{0x30, 0x03, 0x81, 0x01, 0xff}

	tests := []struct {
		name   string
		crl    *CRL
		cert   *x509.Certificate
		issuer *x509.Certificate
		want   string
		errHas string
	}{
		{"not listed", newCRL(t, p.inter, revoked(big.NewInt(7), 1)), leaf, p.inter.cert, StatusGood, ""},
		{"listed", newCRL(t, p.inter, revoked(big.NewInt(7), 1), revoked(leaf.SerialNumber, 1)), leaf, p.inter.cert, StatusRevoked, ""},
		{"removeFromCRL is not revoked", newCRL(t, p.inter, revoked(leaf.SerialNumber, 8)), leaf, p.inter.cert, StatusGood, ""},
		{"signed by another key", newCRLWithIssuerName(t, p.inter.cert, other), leaf, p.inter.cert, StatusInvalid, "signature does not verify"},
		{"another issuer", newCRL(t, other), leaf, p.inter.cert, StatusInvalid, "not by the certificate's issuer"},
		{"expired", newCRL(t, p.inter, crlTimes(testNow.Add(-10*24*time.Hour), testNow.Add(-24*time.Hour))), leaf, p.inter.cert, StatusInvalid, "expired"},
		{"from the future", newCRL(t, p.inter, crlTimes(testNow.Add(time.Hour), testNow.Add(48*time.Hour))), leaf, p.inter.cert, StatusInvalid, "in the future"},
		{"issuer unknown", newCRL(t, p.inter), leaf, nil, StatusInvalid, "neither sent nor trusted"},
		{"partition that covers it", newCRL(t, p.inter, idp(idpURI("http://127.0.0.1/a.crl"), true)), leaf, p.inter.cert, StatusGood, ""},
		{"another partition", newCRL(t, p.inter, idp(idpURI("http://127.0.0.1/b.crl"), true)), leaf, p.inter.cert, StatusInvalid, "partition"},
		{"only CA certificates", newCRL(t, p.inter, idp(onlyCA, true)), leaf, p.inter.cert, StatusInvalid, "only CA certificates"},
		{"only end-entity certificates, for a CA", newCRL(t, p.root, idp(onlyUser, true)), p.inter.cert, p.root.cert, StatusInvalid, "only end-entity"},
		{"only end-entity certificates, for a leaf", newCRL(t, p.inter, idp(onlyUser, true)), leaf, p.inter.cert, StatusGood, ""},
		{"delta CRL", newCRL(t, p.inter, crlExt(pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: []byte{2, 1, 1}})), leaf, p.inter.cert, StatusInvalid, "delta"},
		{"unknown critical extension", newCRL(t, p.inter, crlExt(pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}})), leaf, p.inter.cert, StatusInvalid, "1.2.3.4"},
		{"unknown critical extension on another entry", newCRL(t, p.inter, revokedWithExt(big.NewInt(9), pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 5}, Critical: true, Value: []byte{5, 0}})), leaf, p.inter.cert, StatusInvalid, "1.2.3.5"},
		{"unknown non-critical extension on another entry", newCRL(t, p.inter, revokedWithExt(big.NewInt(9), pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 5}, Value: []byte{5, 0}})), leaf, p.inter.cert, StatusGood, ""},
		{"unknown non-critical extension", newCRL(t, p.inter, crlExt(pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{5, 0}})), leaf, p.inter.cert, StatusGood, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := JudgeCRL(tt.crl, tt.cert, tt.issuer, testNow)
			if got.Status != tt.want {
				t.Fatalf("status %q (%s), want %q", got.Status, got.Error, tt.want)
			}
			if !strings.Contains(got.Error, tt.errHas) || (tt.errHas == "" && got.Error != "") {
				t.Errorf("error %q, want one saying %q", got.Error, tt.errHas)
			}
		})
	}

	t.Run("revocation details", func(t *testing.T) {
		got := JudgeCRL(newCRL(t, p.inter, revoked(leaf.SerialNumber, 1)), leaf, p.inter.cert, testNow)
		if got.RevokedAt == nil || !got.RevokedAt.Equal(testNow.Add(-2*time.Hour)) || got.RevocationReason != "keyCompromise" || got.Number != "1" {
			t.Errorf("%+v", got)
		}
	})
}

// newCRLWithIssuerName makes a CRL that names issuer but is signed by signer's key.
func newCRLWithIssuerName(t *testing.T, issuer *x509.Certificate, signer *testCert) *CRL {
	t.Helper()
	fake := *issuer
	fake.PublicKey = signer.cert.PublicKey
	fake.SubjectKeyId = signer.cert.SubjectKeyId
	return newCRL(t, &testCert{cert: &fake, key: signer.key})
}

func TestParseReason(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"keyCompromise": 1, "key-compromise": 1, "KEY_COMPROMISE": 1, "superseded": 4, "certificatehold": 6, "0": 0, "10": 10} {
		if got, err := ParseReason(in); err != nil || got != want {
			t.Errorf("ParseReason(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "compromised", "11", "removeFromCRL", "8"} {
		if _, err := ParseReason(bad); err == nil {
			t.Errorf("ParseReason(%q) accepted", bad)
		}
	}
	if ReasonName(1) != "keyCompromise" || ReasonName(7) != "reason 7" {
		t.Error("ReasonName")
	}
}

func revokedWithExt(serial *big.Int, ext pkix.Extension) crlOpt {
	return func(l *x509.RevocationList) {
		l.RevokedCertificateEntries = append(l.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber: serial, RevocationTime: testNow.Add(-2 * time.Hour), ExtraExtensions: []pkix.Extension{ext},
		})
	}
}

// ParseCRLs reads every CRL of a bundle, with text around them as `openssl crl -text` writes;
// ParseCRL refuses a bundle rather than read its first CRL only.
func TestParseCRLs(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	a, b := newCRL(t, p.root), newCRL(t, p.inter)
	pemOf := func(c *CRL) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: c.Header.Raw}))
	}
	bundle := "Certificate Revocation List (CRL):\n  Version 2\n" + pemOf(a) + "\n" + pemOf(b)
	crls, err := ParseCRLs([]byte(bundle))
	if err != nil || len(crls) != 2 || !bytes.Equal(crls[1].Header.RawIssuer, p.inter.cert.RawSubject) {
		t.Fatalf("%d CRLs, %v", len(crls), err)
	}
	if _, err := ParseCRL([]byte(bundle)); err == nil || !strings.Contains(err.Error(), "2 CRLs") {
		t.Errorf("ParseCRL of a bundle: %v", err)
	}
	if _, err := ParseCRLs([]byte(pemOf(a) + "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n")); err == nil || !strings.Contains(err.Error(), "CERTIFICATE") {
		t.Errorf("a certificate among CRLs: %v", err)
	}
	if got, err := ParseCRLs(a.Header.Raw); err != nil || len(got) != 1 {
		t.Errorf("DER: %v", err)
	}
}
