package certgen

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseRevocationReason(t *testing.T) {
	tests := []struct {
		in   string
		want RevocationReason
		err  bool
	}{
		{in: "unspecified", want: ReasonUnspecified},
		{in: "keyCompromise", want: ReasonKeyCompromise},
		{in: "key-compromise", want: ReasonKeyCompromise},
		{in: "KEY_COMPROMISE", want: ReasonKeyCompromise},
		{in: "keycompromise", want: ReasonKeyCompromise},
		{in: "cACompromise", want: ReasonCACompromise},
		{in: "ca-compromise", want: ReasonCACompromise},
		{in: "affiliation-changed", want: ReasonAffiliationChanged},
		{in: "superseded", want: ReasonSuperseded},
		{in: "cessation-of-operation", want: ReasonCessationOfOperation},
		{in: "certificate-hold", want: ReasonCertificateHold},
		{in: "privilege-withdrawn", want: ReasonPrivilegeWithdrawn},
		{in: "aa-compromise", want: ReasonAACompromise},
		{in: "removeFromCRL", err: true},
		{in: "compromised", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		got, err := ParseRevocationReason(tt.in)
		if tt.err {
			if err == nil || !strings.Contains(err.Error(), "keyCompromise") {
				t.Errorf("%q: err = %v, want an error listing the names", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	// Every name reads back as itself, with its RFC 5280 code.
	codes := map[string]int{"unspecified": 0, "keyCompromise": 1, "cACompromise": 2, "affiliationChanged": 3, "superseded": 4,
		"cessationOfOperation": 5, "certificateHold": 6, "privilegeWithdrawn": 9, "aACompromise": 10}
	for _, name := range ReasonNames() {
		r, err := ParseRevocationReason(name)
		if err != nil || r.String() != name || int(r) != codes[name] {
			t.Errorf("%s: %d %v", name, r, err)
		}
	}
}

func TestParseSerial(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "7e3770f7797c6cd8", want: "7e3770f7797c6cd8"},
		{in: "7E:37:70:F7", want: "7e3770f7"},
		{in: "0x0102", want: "0102"},
		{in: "serial=0AFF", want: "0aff"},
		{in: "1", want: "01"},
		{in: "0", err: "not positive"},
		{in: "xyz", err: "not a hexadecimal serial"},
		{in: "", err: "not a hexadecimal serial"},
		{in: strings.Repeat("7f", 21), err: "longer than"},
	}
	for _, tt := range tests {
		n, err := ParseSerial(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || FormatSerial(n) != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.in, n, err, tt.want)
		}
	}
}

func TestCheckIssuedBy(t *testing.T) {
	root := newTestRoot(t, CARequest{Subject: subjectCN("Revoking Root"), PathLen: -1})
	other := newTestRoot(t, CARequest{Subject: subjectCN("Other Root"), PathLen: -1})
	// A CA with the same name as root but another key: the issuer name matches, the signature not.
	twinKey := cachedKey(t, KeyECDSAP256, "twin-key")
	twinCert, err := CreateRootCA(rand.Reader, CARequest{Subject: subjectCN("Revoking Root"), Days: 30, PathLen: -1, Now: testNow}, twinKey)
	if err != nil {
		t.Fatal(err)
	}
	twin := Issuer{Cert: twinCert, Key: twinKey}
	key := cachedKey(t, KeyECDSAP256, "leaf")
	issue := func(is Issuer) *x509.Certificate {
		c, _, err := IssueLeaf(rand.Reader, LeafRequest{SANs: mustHosts(t, "x.test"), Days: 30, Now: testNow}, key.Public(), is)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		want string
	}{
		{name: "issued by it", cert: issue(root)},
		{name: "another CA's", cert: issue(other), want: "not by this CA"},
		{name: "same name, other key", cert: issue(twin), want: "does not verify"},
		{name: "the CA itself", cert: root.Cert, want: "CA's own certificate"},
	}
	for _, tt := range tests {
		err := CheckIssuedBy(tt.cert, root.Cert)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var pe *ProfileError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want a ProfileError containing %q", tt.name, err, tt.want)
		}
	}
}

func TestRevocationDBRoundTrip(t *testing.T) {
	db := EmptyRevocationDB()
	first := Revocation{Serial: "0a0b", RevokedAt: testNow, Reason: "keyCompromise", Subject: "CN=x"}
	if _, added := db.Add(first); !added {
		t.Fatal("first revocation not added")
	}
	again := Revocation{Serial: "0a0b", RevokedAt: testNow.Add(time.Hour), Reason: "superseded"}
	if got, added := db.Add(again); added || got.Reason != "keyCompromise" || !got.RevokedAt.Equal(testNow) {
		t.Errorf("re-revoking: added=%v entry=%+v, want the first entry kept", added, got)
	}
	db.CRLNumber = 4
	back, err := ParseRevocationDB(db.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if back.CRLNumber != 4 || len(back.Revoked) != 1 || back.Revoked[0].Serial != "0a0b" || back.Revoked[0].Subject != "CN=x" {
		t.Errorf("round trip: %+v", back)
	}

	bad := []struct{ name, json, want string }{
		{"garbage", `{`, "not a tlskit revocation database"},
		{"unknown field", `{"version":1,"crl_number":0,"revoked":[],"extra":1}`, "unknown field"},
		{"version", `{"version":2,"crl_number":0,"revoked":[]}`, "version 2"},
		{"negative number", `{"version":1,"crl_number":-1,"revoked":[]}`, "negative"},
		{"bad serial", `{"version":1,"crl_number":0,"revoked":[{"serial":"ZZ","revoked_at":"2026-01-01T00:00:00Z","reason":"superseded"}]}`, "serial"},
		{"upper-case serial", `{"version":1,"crl_number":0,"revoked":[{"serial":"0A","revoked_at":"2026-01-01T00:00:00Z","reason":"superseded"}]}`, "lower-case hex"},
		{"duplicate", `{"version":1,"crl_number":0,"revoked":[{"serial":"0a","revoked_at":"2026-01-01T00:00:00Z","reason":"superseded"},{"serial":"0a","revoked_at":"2026-01-01T00:00:00Z","reason":"superseded"}]}`, "twice"},
		{"bad reason", `{"version":1,"crl_number":0,"revoked":[{"serial":"0a","revoked_at":"2026-01-01T00:00:00Z","reason":"oops"}]}`, "unknown revocation reason"},
		{"no time", `{"version":1,"crl_number":0,"revoked":[{"serial":"0a","reason":"superseded"}]}`, "no revoked_at"},
	}
	for _, tt := range bad {
		if _, err := ParseRevocationDB([]byte(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// Many revocations at once, as `xargs -P` would run them: the lock keeps every one.
func TestUpdateRevocationDBConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- UpdateRevocationDB(context.Background(), dir, func(db *RevocationDB) error {
				db.Add(Revocation{Serial: FormatSerial(big.NewInt(int64(i + 1))), RevokedAt: testNow, Reason: "superseded"})
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := ReadRevocationDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Revoked) != n {
		t.Errorf("%d entries after %d concurrent revocations", len(db.Revoked), n)
	}
	if _, err := os.Lstat(filepath.Join(dir, LockFile)); err == nil {
		t.Error("lock file left behind")
	}
}

func TestUpdateRevocationDBLockedAndFailing(t *testing.T) {
	dir := t.TempDir()
	if err := UpdateRevocationDB(context.Background(), dir, func(db *RevocationDB) error {
		db.Add(Revocation{Serial: "01", RevokedAt: testNow, Reason: "superseded"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, RevocationsFile))

	// A failing update writes nothing.
	boom := errors.New("boom")
	if err := UpdateRevocationDB(context.Background(), dir, func(db *RevocationDB) error {
		db.Add(Revocation{Serial: "02", RevokedAt: testNow, Reason: "superseded"})
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, RevocationsFile)); string(after) != string(before) {
		t.Errorf("a failed update changed the database:\n%s", after)
	}

	// A held lock: waited for until the context ends, then a LockedError naming it.
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*lockRetry)
	defer cancel()
	err := UpdateRevocationDB(ctx, dir, func(*RevocationDB) error { return nil })
	var le *LockedError
	if !errors.As(err, &le) || le.Path != filepath.Join(dir, LockFile) {
		t.Errorf("err = %v, want a LockedError", err)
	}

	// A damaged database is refused, not overwritten.
	if err := os.Remove(filepath.Join(dir, LockFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, RevocationsFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpdateRevocationDB(context.Background(), dir, func(*RevocationDB) error { return nil }); err == nil || !strings.Contains(err.Error(), RevocationsFile) {
		t.Errorf("damaged database: err = %v", err)
	}
}

var oidReasonCode = asn1.ObjectIdentifier{2, 5, 29, 21}

func TestCreateCRL(t *testing.T) {
	root := newTestRoot(t, CARequest{Subject: subjectCN("CRL Root"), PathLen: -1})
	revoked := []Revocation{
		{Serial: "0a", RevokedAt: testNow.Add(-time.Hour), Reason: "keyCompromise"},
		{Serial: "0b", RevokedAt: testNow.Add(-2 * time.Hour), Reason: "unspecified"},
		{Serial: "0c", RevokedAt: testNow.Add(-3 * time.Hour), Reason: "aACompromise"},
	}
	crl, err := CreateCRL(rand.Reader, root, CRLRequest{Number: 7, Now: testNow, Days: 7, Revoked: revoked})
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(root.Cert); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if crl.Number.Int64() != 7 || !crl.ThisUpdate.Equal(testNow) || !crl.NextUpdate.Equal(testNow.Add(7*24*time.Hour)) {
		t.Errorf("number %v, thisUpdate %s, nextUpdate %s", crl.Number, crl.ThisUpdate, crl.NextUpdate)
	}
	if string(crl.AuthorityKeyId) != string(root.Cert.SubjectKeyId) {
		t.Error("CRL authority key identifier is not the CA's subject key identifier")
	}
	want := []struct {
		serial  int64
		reason  int
		hasCode bool
	}{{10, 1, true}, {11, 0, false}, {12, 10, true}}
	if len(crl.RevokedCertificateEntries) != len(want) {
		t.Fatalf("%d entries", len(crl.RevokedCertificateEntries))
	}
	for i, e := range crl.RevokedCertificateEntries {
		hasCode := false
		for _, ext := range e.Extensions {
			hasCode = hasCode || ext.Id.Equal(oidReasonCode)
		}
		if e.SerialNumber.Int64() != want[i].serial || e.ReasonCode != want[i].reason || hasCode != want[i].hasCode ||
			!e.RevocationTime.Equal(revoked[i].RevokedAt) {
			t.Errorf("entry %d: serial %v reason %d (extension %v) at %s; want %+v", i, e.SerialNumber, e.ReasonCode, hasCode, e.RevocationTime, want[i])
		}
	}

	bad := []struct {
		name string
		is   Issuer
		req  CRLRequest
		want string
	}{
		{"zero days", root, CRLRequest{Number: 1, Now: testNow, Days: 0}, "1 to 366 days"},
		{"too many days", root, CRLRequest{Number: 1, Now: testNow, Days: 400}, "1 to 366 days"},
		{"number zero", root, CRLRequest{Number: 0, Now: testNow, Days: 7}, "positive"},
		{"bad entry", root, CRLRequest{Number: 1, Now: testNow, Days: 7, Revoked: []Revocation{{Serial: "zz", Reason: "superseded"}}}, "hexadecimal"},
		{"not a CA", leafIssuer(t), CRLRequest{Number: 1, Now: testNow, Days: 7}, "not a CA"},
	}
	for _, tt := range bad {
		if _, err := CreateCRL(rand.Reader, tt.is, tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// A CA without cRLSign may not sign a CRL; crypto/x509 refuses too, but CheckCanSignCRL says so
// before a CRL number is spent.
func TestCheckCanSignCRL(t *testing.T) {
	key := cachedKey(t, KeyECDSAP256, "nocrlsign")
	tmpl, err := caTemplate(rand.Reader, CARequest{Subject: subjectCN("No CRL Sign"), Days: 30, PathLen: -1, Now: testNow}, NameConstraints{}, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	tmpl.KeyUsage = x509.KeyUsageCertSign
	tmpl.AuthorityKeyId = tmpl.SubjectKeyId
	cert, err := create(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCanSignCRL(Issuer{Cert: cert, Key: key}); err == nil || !strings.Contains(err.Error(), "cRLSign") {
		t.Errorf("err = %v, want a refusal naming cRLSign", err)
	}
}

func leafIssuer(t *testing.T) Issuer {
	key := cachedKey(t, KeyECDSAP256, "leaf")
	c, err := SelfSign(rand.Reader, LeafRequest{SANs: mustHosts(t, "x.test"), Days: 1, Now: testNow}, key)
	if err != nil {
		t.Fatal(err)
	}
	return Issuer{Cert: c, Key: key}
}

// Certificates a CA with settings issues carry its URLs: leaves and intermediates.
func TestIssuerSettingsURLs(t *testing.T) {
	root := newTestRoot(t, CARequest{Subject: subjectCN("URL Root"), PathLen: -1})
	root.Settings = CASettings{CRLURL: "http://127.0.0.1/root.crl", OCSPURL: "http://127.0.0.1/ocsp"}
	key := cachedKey(t, KeyECDSAP256, "leaf")
	leaf, _, err := IssueLeaf(rand.Reader, LeafRequest{SANs: mustHosts(t, "x.test"), Days: 30, Now: testNow}, key.Public(), root)
	if err != nil {
		t.Fatal(err)
	}
	ikey := cachedKey(t, KeyECDSAP256, "int")
	inter, err := CreateIntermediateCA(rand.Reader, CARequest{Subject: subjectCN("URL Int"), Days: 30, PathLen: -1, Now: testNow}, ikey.Public(), root)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*x509.Certificate{"leaf": leaf, "intermediate": inter} {
		if fmt.Sprint(c.CRLDistributionPoints) != "[http://127.0.0.1/root.crl]" || fmt.Sprint(c.OCSPServer) != "[http://127.0.0.1/ocsp]" {
			t.Errorf("%s: CRL DP %v, OCSP %v", name, c.CRLDistributionPoints, c.OCSPServer)
		}
	}
	if len(root.Cert.CRLDistributionPoints) != 0 {
		t.Error("the root itself carries a CRL distribution point")
	}
}

func TestCASettings(t *testing.T) {
	good := CASettings{CRLURL: "http://crl.internal/ca.crl", OCSPURL: "http://127.0.0.1:8080/"}
	back, err := ParseCASettings(good.Encode())
	if err != nil || back.CRLURL != good.CRLURL || back.OCSPURL != good.OCSPURL {
		t.Errorf("round trip: %+v %v", back, err)
	}
	for _, tt := range []struct{ url, want string }{
		{"http://crl.internal/ca.crl", ""},
		{"https://crl.internal/ca.crl", ""},
		{"ldap://ldap.internal/cn=ca", "must be http://"},
		{"crl.internal/ca.crl", "must be http://"},
		{"http:///ca.crl", "no host"},
		{"http://user:pw@crl.internal/", "user information"},
		{"http://crl.internal/ca.crl#x", "fragment"},
		{"http://bücher.example/ca.crl", "ASCII"},
		{"http://crl.internal/\x7f", "invalid URL"},
	} {
		_, err := CheckRevocationURL(tt.url)
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.url, err, tt.want)
		}
	}
	for _, bad := range []string{`{"version":1,"crl_url":"ftp://x/"}`, `{"version":9}`, `{"version":1,"x":1}`, `[]`} {
		if _, err := ParseCASettings([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// A hand-edited revoked.json or a serial argument: never a panic, and whatever parses writes
// back to the same thing.
func FuzzParseRevocationDB(f *testing.F) {
	db := EmptyRevocationDB()
	db.Add(Revocation{Serial: "0a0b", RevokedAt: testNow, Reason: "keyCompromise", Subject: "CN=x"})
	f.Add(db.Encode())
	f.Add([]byte(`{"version":1,"crl_number":3,"revoked":[]}`))
	f.Add([]byte(`{"version":1,"crl_number":0,"revoked":[{"serial":"00","revoked_at":"2026-01-01T00:00:00Z","reason":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseRevocationDB(data)
		if err != nil {
			return
		}
		back, err := ParseRevocationDB(db.Encode())
		if err != nil {
			t.Fatalf("re-parsing what Encode wrote: %v", err)
		}
		if string(back.Encode()) != string(db.Encode()) {
			t.Fatal("Encode is not stable")
		}
	})
}

func FuzzParseSerial(f *testing.F) {
	for _, s := range []string{"7e:37:70", "serial=0AFF", "0x01", "", "0", strings.Repeat("f", 41)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSerial(s)
		if err != nil {
			return
		}
		if n.Sign() <= 0 || len(n.Bytes()) > maxSerialOctets {
			t.Fatalf("%q parsed to %v", s, n)
		}
		if m, err := ParseSerial(FormatSerial(n)); err != nil || m.Cmp(n) != 0 {
			t.Fatalf("%q: %s does not read back: %v", s, FormatSerial(n), err)
		}
	})
}
