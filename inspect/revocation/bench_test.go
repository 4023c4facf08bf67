package revocation

import (
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"
)

// BenchmarkCRL20000 is the budget: a CRL of 20 000 entries (about 1 MB, with reason
// codes, as a large CA's partition) parsed, its signature and scope checked, and a serial that
// is not on it looked up, in under 20 ms. scripts/bench-crl.sh runs it beside openssl.
func BenchmarkCRL20000(b *testing.B) {
	p := newPKI(b, withCDP("http://127.0.0.1/a.crl"))
	der := bigCRL(b, p.inter, 20000)
	b.ReportMetric(float64(len(der)), "crl_bytes")
	b.ResetTimer()
	for b.Loop() {
		crl, err := ParseCRL(der)
		if err != nil {
			b.Fatal(err)
		}
		if r := JudgeCRL(crl, p.leaf.cert, p.inter.cert, testNow); r.Status != StatusGood {
			b.Fatal(r.Error)
		}
	}
}

// bigCRL makes a CRL of n entries with 20-byte serials, as CAs use.
func bigCRL(tb testing.TB, issuer *testCert, n int) []byte {
	tb.Helper()
	entries := make([]x509.RevocationListEntry, n)
	limit := new(big.Int).Lsh(big.NewInt(1), 159)
	for i := range entries {
		serial, err := rand.Int(rand.Reader, limit)
		if err != nil {
			tb.Fatal(err)
		}
		entries[i] = x509.RevocationListEntry{SerialNumber: serial, RevocationTime: testNow.Add(-time.Duration(i) * time.Minute), ReasonCode: 1 + i%5}
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(7), ThisUpdate: testNow.Add(-time.Hour), NextUpdate: testNow.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, issuer.cert, issuer.key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
