package revocation

import (
	"bytes"
	"crypto/x509"
	"math/big"
	"slices"
	"testing"

	"golang.org/x/crypto/ocsp"
)

// FuzzJudgeOCSP feeds arbitrary bytes to the OCSP judge as a response about a fixed leaf: it
// must never panic, and never give a verdict on what the issuer (or its responder) did not sign.
func FuzzJudgeOCSP(f *testing.F) {
	p := newPKI(f)
	f.Add(ocspResponse(f, p.leaf.cert, p.inter.cert, p.inter, true))
	f.Add(ocspResponse(f, p.leaf.cert, p.inter.cert, p.inter, false))
	f.Add(ocspResponse(f, p.leaf.cert, p.inter.cert, newCert(f, "x", true, nil), false))
	f.Add(ocspResponse(f, p.leaf.cert, p.inter.cert, newCert(f, "r", false, p.inter, withEKU(x509.ExtKeyUsageOCSPSigning)), true))
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x03})
	f.Fuzz(func(t *testing.T, der []byte) {
		got := JudgeOCSP(der, p.leaf.cert, p.inter.cert, testNow)
		switch got.Status {
		case StatusGood, StatusRevoked, StatusUnknown:
			// An independent check of what a verdict requires: a response about this serial,
			// signed by the issuer's key or by a responder the issuer certified for OCSP.
			resp, err := ocsp.ParseResponseForCert(der, p.leaf.cert, nil)
			if err != nil {
				t.Fatalf("%s, but x/crypto/ocsp refuses it: %v", got.Status, err)
			}
			if resp.SerialNumber.Cmp(p.leaf.cert.SerialNumber) != 0 {
				t.Fatalf("%s for serial %v", got.Status, resp.SerialNumber)
			}
			byIssuer := resp.CheckSignatureFrom(p.inter.cert) == nil
			byResponder := resp.Certificate != nil && resp.Certificate.CheckSignatureFrom(p.inter.cert) == nil &&
				slices.Contains(resp.Certificate.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) && resp.CheckSignatureFrom(resp.Certificate) == nil
			if !byIssuer && !byResponder {
				t.Fatalf("%s, but neither the issuer nor a responder it certified signed it", got.Status)
			}
		case StatusInvalid:
			if got.Error == "" {
				t.Fatal("invalid without a reason")
			}
		default:
			t.Fatalf("status %q", got.Status)
		}
	})
}

// FuzzJudgeCRL parses arbitrary bytes as a CRL and judges a fixed leaf with it.
func FuzzJudgeCRL(f *testing.F) {
	p := newPKI(f, withCDP("http://127.0.0.1/a.crl"))
	f.Add(newCRL(f, p.inter).Header.Raw)
	f.Add(newCRL(f, p.inter, revoked(p.leaf.cert.SerialNumber, 1)).Header.Raw)
	f.Add([]byte("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		crl, err := ParseCRL(data)
		if err != nil {
			return
		}
		got := JudgeCRL(crl, p.leaf.cert, p.inter.cert, testNow)
		if got.Status == StatusInvalid && got.Error == "" {
			t.Fatal("invalid without a reason")
		}
	})
}

// FuzzParseIssuingDP reads arbitrary issuing distribution point extensions.
func FuzzParseIssuingDP(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x81, 0x01, 0xff})
	f.Add([]byte{0x30, 0x0c, 0xa0, 0x0a, 0xa0, 0x08, 0x86, 0x06, 'h', 't', 't', 'p', ':', '/'})
	p := newPKI(f, withCDP("http://127.0.0.1/a.crl"))
	f.Fuzz(func(t *testing.T, der []byte) {
		_, _ = parseIssuingDP(der)
		_ = checkIssuingDP(der, p.leaf.cert)
	})
}

// FuzzCRLLazyParse checks the lazy CRL parser against crypto/x509's full one: ParseCRL accepts
// exactly what crypto/x509 accepts, with the same header, the same number of entries,
// and every entry found by Lookup with its time and reason.
func FuzzCRLLazyParse(f *testing.F) {
	p := newPKI(f)
	f.Add(newCRL(f, p.inter).Header.Raw)
	f.Add(newCRL(f, p.inter, revoked(p.leaf.cert.SerialNumber, 1), revoked(big.NewInt(-5), 0), revoked(big.NewInt(128), 6)).Header.Raw)
	f.Add(bigCRL(f, p.inter, 5))
	f.Fuzz(func(t *testing.T, der []byte) {
		full, err := x509.ParseRevocationList(der)
		lazy, lerr := parseCRL(der)
		switch {
		case err != nil && lerr == nil:
			t.Fatalf("ParseCRL accepts what crypto/x509 refuses (%v)", err)
		case err != nil:
			return
		case lerr != nil:
			t.Fatalf("crypto/x509 accepts what ParseCRL refuses: %v", lerr)
		}
		h := lazy.Header
		if !bytes.Equal(h.RawIssuer, full.RawIssuer) || !h.ThisUpdate.Equal(full.ThisUpdate) || !h.NextUpdate.Equal(full.NextUpdate) ||
			len(h.Extensions) != len(full.Extensions) || !bytes.Equal(h.RawTBSRevocationList, full.RawTBSRevocationList) ||
			!bytes.Equal(h.Signature, full.Signature) || h.SignatureAlgorithm != full.SignatureAlgorithm {
			t.Fatalf("headers differ:\n%+v\n%+v", h, full)
		}
		if lazy.Entries != len(full.RevokedCertificateEntries) {
			t.Fatalf("%d entries, crypto/x509 has %d", lazy.Entries, len(full.RevokedCertificateEntries))
		}
		for _, e := range full.RevokedCertificateEntries {
			got, err := lazy.Lookup(e.SerialNumber)
			if err != nil || got == nil {
				t.Fatalf("serial %v not found: %v", e.SerialNumber, err)
			}
			if !got.RevocationTime.Equal(e.RevocationTime) || (got.HasReason && got.ReasonCode != e.ReasonCode) {
				t.Fatalf("entry %v: %+v, crypto/x509 says %+v", e.SerialNumber, got, e)
			}
		}
	})
}
