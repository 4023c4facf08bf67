package certgen

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"
)

var testNow = time.Date(2026, time.November, 27, 12, 0, 0, 0, time.UTC)

var (
	keyCacheMu sync.Mutex
	keyCache   = map[string]crypto.Signer{}
)

// cachedKey returns a key of the given type, generated once per test binary: RSA generation is
// slow, and the tests are about the profile, not key generation.
func cachedKey(t *testing.T, kt KeyType, slot string) crypto.Signer {
	t.Helper()
	keyCacheMu.Lock()
	defer keyCacheMu.Unlock()
	id := string(kt) + "/" + slot
	if k, ok := keyCache[id]; ok {
		return k
	}
	k, err := GenerateKey(rand.Reader, kt)
	if err != nil {
		t.Fatal(err)
	}
	keyCache[id] = k
	return k
}

func mustHosts(t *testing.T, hosts ...string) SANs {
	t.Helper()
	s, err := ParseHosts(hosts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestRoot(t *testing.T, req CARequest) Issuer {
	t.Helper()
	key := cachedKey(t, KeyECDSAP256, "root:"+req.Subject.CommonName)
	if req.Days == 0 {
		req.Days = DefaultCADays
	}
	if req.Now.IsZero() {
		req.Now = testNow
	}
	if req.Subject.CommonName == "" {
		req.Subject.CommonName = "Test Root"
	}
	cert, err := CreateRootCA(rand.Reader, req, key)
	if err != nil {
		t.Fatal(err)
	}
	return Issuer{Cert: cert, Key: key}
}

func TestLeafProfileByKeyType(t *testing.T) {
	types := []KeyType{KeyECDSAP256, KeyECDSAP384, KeyECDSAP521, KeyRSA2048, KeyEd25519}
	if !testing.Short() {
		types = append(types, KeyRSA3072)
	}
	root := newTestRoot(t, CARequest{PathLen: -1})
	for _, kt := range types {
		t.Run(string(kt), func(t *testing.T) {
			key := cachedKey(t, kt, "leaf")
			req := LeafRequest{SANs: mustHosts(t, "localhost", "127.0.0.1"), Days: DefaultLeafDays, Now: testNow}
			req.Subject.CommonName = "localhost"
			cert, warnings, err := IssueLeaf(rand.Reader, req, key.Public(), root)
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 0 {
				t.Errorf("unexpected warnings %v", warnings)
			}
			_, isRSA := key.Public().(*rsa.PublicKey)
			wantUsage := x509.KeyUsageDigitalSignature
			if isRSA {
				wantUsage |= x509.KeyUsageKeyEncipherment
			}
			if cert.KeyUsage != wantUsage {
				t.Errorf("key usage = %v, want %v", cert.KeyUsage, wantUsage)
			}
			if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
				t.Errorf("EKU = %v, want serverAuth only", cert.ExtKeyUsage)
			}
			if cert.IsCA || !cert.BasicConstraintsValid {
				t.Errorf("want CA:FALSE basic constraints, got IsCA=%v valid=%v", cert.IsCA, cert.BasicConstraintsValid)
			}
			if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() <= 128 || cert.SerialNumber.BitLen() > 159 {
				t.Errorf("serial %x: want positive with 129..159 bits", cert.SerialNumber)
			}
			if !cert.NotBefore.Equal(testNow.Add(-backdate)) {
				t.Errorf("NotBefore = %v, want %v", cert.NotBefore, testNow.Add(-backdate))
			}
			if got := cert.NotAfter.Sub(cert.NotBefore); got != DefaultLeafDays*24*time.Hour {
				t.Errorf("validity = %v, want %d days", got, DefaultLeafDays)
			}
			if len(cert.SubjectKeyId) != 20 {
				t.Errorf("SKI length %d, want 20", len(cert.SubjectKeyId))
			}
			if !bytes.Equal(cert.AuthorityKeyId, root.Cert.SubjectKeyId) {
				t.Errorf("AKI %x does not match the CA's SKI %x", cert.AuthorityKeyId, root.Cert.SubjectKeyId)
			}
			if !bytes.Equal(cert.RawIssuer, root.Cert.RawSubject) {
				t.Error("issuer name is not the CA's subject byte for byte")
			}
			pool := x509.NewCertPool()
			pool.AddCert(root.Cert)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: testNow}); err != nil {
				t.Errorf("Go does not verify the issued certificate: %v", err)
			}
		})
	}
}

func TestSelfSign(t *testing.T) {
	key := cachedKey(t, KeyECDSAP256, "self")
	req := LeafRequest{SANs: mustHosts(t, "localhost", "::1"), Days: 30, Client: true, Now: testNow}
	cert, err := SelfSign(rand.Reader, req, key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert.AuthorityKeyId, cert.SubjectKeyId) || len(cert.SubjectKeyId) == 0 {
		t.Errorf("self-signed AKI %x should equal SKI %x", cert.AuthorityKeyId, cert.SubjectKeyId)
	}
	if len(cert.ExtKeyUsage) != 2 || cert.ExtKeyUsage[1] != x509.ExtKeyUsageClientAuth {
		t.Errorf("EKU = %v, want serverAuth+clientAuth", cert.ExtKeyUsage)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: testNow}); err != nil {
		t.Errorf("self-signed certificate does not verify against itself: %v", err)
	}
	if _, err := SelfSign(rand.Reader, LeafRequest{Days: 30, Now: testNow}, key); err == nil {
		t.Error("a certificate without SANs was made")
	}
}

func TestCAProfile(t *testing.T) {
	root := newTestRoot(t, CARequest{PathLen: -1, NameConstraints: []string{"example.test"}})
	c := root.Cert
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != -1 {
		t.Errorf("root: IsCA=%v MaxPathLen=%d", c.IsCA, c.MaxPathLen)
	}
	if c.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("root key usage %v lacks keyCertSign|cRLSign", c.KeyUsage)
	}
	if !c.PermittedDNSDomainsCritical || len(c.PermittedDNSDomains) != 1 || c.PermittedDNSDomains[0] != "example.test" {
		t.Errorf("name constraints = %v critical=%v", c.PermittedDNSDomains, c.PermittedDNSDomainsCritical)
	}
	for _, ext := range c.Extensions {
		if ext.Id.Equal([]int{2, 5, 29, 19}) && !ext.Critical {
			t.Error("basic constraints must be critical on a CA")
		}
	}

	// Name constraints are enforced when issuing.
	key := cachedKey(t, KeyECDSAP256, "leaf")
	ok := LeafRequest{SANs: mustHosts(t, "a.example.test", "*.b.example.test"), Days: 30, Now: testNow}
	if _, _, err := IssueLeaf(rand.Reader, ok, key.Public(), root); err != nil {
		t.Errorf("name within constraints refused: %v", err)
	}
	bad := LeafRequest{SANs: mustHosts(t, "a.example.test", "evil.test"), Days: 30, Now: testNow}
	_, _, err := IssueLeaf(rand.Reader, bad, key.Public(), root)
	var pe *ProfileError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "evil.test") {
		t.Errorf("name outside constraints: err = %v, want ProfileError naming evil.test", err)
	}
}

func TestIntermediatePathLength(t *testing.T) {
	root := newTestRoot(t, CARequest{Subject: subjectCN("Path Root"), PathLen: 1})
	ikey := cachedKey(t, KeyECDSAP256, "int")
	inter, err := CreateIntermediateCA(rand.Reader, CARequest{Subject: subjectCN("Int"), Days: 365, PathLen: -1, Now: testNow}, ikey.Public(), root)
	if err != nil {
		t.Fatal(err)
	}
	if inter.MaxPathLen != 0 || !inter.MaxPathLenZero {
		t.Errorf("intermediate under pathlen 1: MaxPathLen = %d, want 0", inter.MaxPathLen)
	}
	if !bytes.Equal(inter.AuthorityKeyId, root.Cert.SubjectKeyId) {
		t.Error("intermediate AKI does not match root SKI")
	}
	// An intermediate with path length 0 cannot sign another CA.
	is := Issuer{Cert: inter, Key: ikey, Chain: []*x509.Certificate{inter}}
	_, err = CreateIntermediateCA(rand.Reader, CARequest{Subject: subjectCN("Too deep"), Days: 365, PathLen: -1, Now: testNow}, ikey.Public(), is)
	var pe *ProfileError
	if !errors.As(err, &pe) {
		t.Errorf("signing a CA under path length 0: err = %v, want ProfileError", err)
	}
	// Asking for more than the parent allows is refused.
	_, err = CreateIntermediateCA(rand.Reader, CARequest{Subject: subjectCN("Wide"), Days: 365, PathLen: 1, Now: testNow}, ikey.Public(), root)
	if !errors.As(err, &pe) {
		t.Errorf("path length 1 under 1: err = %v, want ProfileError", err)
	}

	// A leaf through the intermediate verifies with the chain.
	leafKey := cachedKey(t, KeyECDSAP256, "leaf")
	leaf, _, err := IssueLeaf(rand.Reader, LeafRequest{SANs: mustHosts(t, "svc.test"), Days: 30, Now: testNow}, leafKey.Public(), is)
	if err != nil {
		t.Fatal(err)
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inters.AddCert(inter)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "svc.test", CurrentTime: testNow}); err != nil {
		t.Errorf("leaf through intermediate: %v", err)
	}
}

func TestIssuerValidate(t *testing.T) {
	root := newTestRoot(t, CARequest{PathLen: -1})
	other := cachedKey(t, KeyECDSAP256, "other")
	if err := (Issuer{Cert: root.Cert, Key: other}).Validate(); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Errorf("mismatched key: %v", err)
	}
	leafKey := cachedKey(t, KeyECDSAP256, "leaf")
	leaf, err := SelfSign(rand.Reader, LeafRequest{SANs: mustHosts(t, "x.test"), Days: 1, Now: testNow}, leafKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := (Issuer{Cert: leaf, Key: leafKey}).Validate(); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("leaf as CA: %v", err)
	}
}

// A leaf never outlives its CA: the days asked for are cut to the CA's notAfter with a warning
// that says so, and the validity warnings are about the period the certificate really has, as
// inspect's lint sees it.
func TestLeafValidityFitsCA(t *testing.T) {
	tests := []struct {
		name      string
		caDays    int
		leafDays  int
		wantDays  int // the leaf's validity in days; 0: ends with the CA
		nWarnings int
		wantWarns []string
	}{
		{name: "within the CA", caDays: 3650, leafDays: 397, wantDays: 397},
		// The CA was made a minute earlier, so what is left of it is a minute short of 30 days.
		{name: "outlives a short CA", caDays: 30, leafDays: 90, nWarnings: 1, wantWarns: []string{"validity cut to 29 days", "the 90 days asked for"}},
		{name: "cut, and still over 825", caDays: 900, leafDays: 1000, nWarnings: 2, wantWarns: []string{"validity cut to 899 days", "exceeds 825"}},
		{name: "cut to under 398: no validity warning", caDays: 200, leafDays: 900, nWarnings: 1, wantWarns: []string{"validity cut to 199 days"}},
		{name: "over 825 within the CA", caDays: 3650, leafDays: 826, wantDays: 826, nWarnings: 1, wantWarns: []string{"exceeds 825"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := newTestRoot(t, CARequest{Subject: subjectCN("Root " + tt.name), Days: tt.caDays, PathLen: -1})
			key := cachedKey(t, KeyECDSAP256, "leaf")
			// Issued a minute after the CA, as a user would.
			req := LeafRequest{SANs: mustHosts(t, "x.test"), Days: tt.leafDays, Now: testNow.Add(time.Minute)}
			leaf, warnings, err := IssueLeaf(rand.Reader, req, key.Public(), root)
			if err != nil {
				t.Fatal(err)
			}
			if leaf.NotAfter.After(root.Cert.NotAfter) {
				t.Errorf("leaf notAfter %s is after the CA's %s", leaf.NotAfter, root.Cert.NotAfter)
			}
			if tt.wantDays == 0 && !leaf.NotAfter.Equal(root.Cert.NotAfter) {
				t.Errorf("leaf notAfter %s, want the CA's %s", leaf.NotAfter, root.Cert.NotAfter)
			}
			if tt.wantDays != 0 && leaf.NotAfter.Sub(leaf.NotBefore) != time.Duration(tt.wantDays)*24*time.Hour {
				t.Errorf("leaf validity %s, want %d days", leaf.NotAfter.Sub(leaf.NotBefore), tt.wantDays)
			}
			joined := ""
			for _, w := range warnings {
				joined += string(w) + "\n"
			}
			if len(warnings) != tt.nWarnings {
				t.Errorf("warnings = %q, want %d containing %q", joined, tt.nWarnings, tt.wantWarns)
			}
			for _, want := range tt.wantWarns {
				if !strings.Contains(joined, want) {
					t.Errorf("warnings = %q, want one containing %q", joined, want)
				}
			}
		})
	}
}

func TestIssueFromExpiredCARefused(t *testing.T) {
	root := newTestRoot(t, CARequest{Subject: subjectCN("Expired Root"), Days: 30, PathLen: -1})
	key := cachedKey(t, KeyECDSAP256, "leaf")
	req := LeafRequest{SANs: mustHosts(t, "x.test"), Days: 30, Now: testNow.Add(60 * 24 * time.Hour)}
	_, _, err := IssueLeaf(rand.Reader, req, key.Public(), root)
	var pe *ProfileError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("err = %v, want a ProfileError saying the CA expired", err)
	}
}

func TestLeafPolicy(t *testing.T) {
	ec := cachedKey(t, KeyECDSAP256, "leaf").Public()
	ed := cachedKey(t, KeyEd25519, "leaf").Public()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		days      int
		pub       crypto.PublicKey
		allowWeak bool
		warn      string
		wantErr   string
	}{
		{name: "default", days: 397, pub: ec},
		{name: "398 is fine", days: 398, pub: ec},
		{name: "over public limit", days: 399, pub: ec, warn: "exceeds 398"},
		{name: "825 still under apple", days: 825, pub: ec, warn: "exceeds 398"},
		{name: "over apple limit", days: 826, pub: ec, warn: "exceeds 825"},
		{name: "ed25519", days: 30, pub: ed, warn: "Ed25519"},
		{name: "weak rsa refused", days: 30, pub: &weak.PublicKey, wantErr: "too weak"},
		{name: "weak rsa allowed", days: 30, pub: &weak.PublicKey, allowWeak: true, warn: "1024 bits"},
		{name: "zero days", days: 0, pub: ec, wantErr: "1 to 36500"},
		{name: "negative days", days: -5, pub: ec, wantErr: "1 to 36500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := LeafPolicy(tt.days, tt.pub, tt.allowWeak)
			if tt.wantErr != "" {
				var pe *ProfileError
				if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ProfileError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			joined := ""
			for _, x := range w {
				joined += string(x) + "\n"
			}
			if tt.warn == "" && len(w) != 0 || tt.warn != "" && !strings.Contains(joined, tt.warn) {
				t.Fatalf("warnings = %q, want %q", joined, tt.warn)
			}
		})
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, kt := range []KeyType{KeyECDSAP256, KeyRSA2048, KeyEd25519} {
		key := cachedKey(t, kt, "leaf")
		plain, err := material.EncodePrivateKeyPEM(rand.Reader, key, nil, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(plain, []byte("-----BEGIN PRIVATE KEY-----")) {
			t.Errorf("%s: unencrypted key is not PKCS#8 PEM", kt)
		}
		back, err := material.ParsePrivateKey(plain, nil)
		if err != nil || !material.PublicKeysEqual(back.Public(), key.Public()) {
			t.Errorf("%s: round trip: %v", kt, err)
		}
	}
	// Encrypted: the default iteration count makes this slower, so once.
	key := cachedKey(t, KeyECDSAP256, "leaf")
	enc, err := material.EncodePrivateKeyPEM(rand.Reader, key, []byte("s3cret"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(enc, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
		t.Fatal("encrypted key has the wrong PEM type")
	}
	if _, err := material.ParsePrivateKey(enc, nil); !errors.Is(err, material.ErrPasswordRequired) {
		t.Errorf("no password: %v, want ErrPasswordRequired", err)
	}
	if _, err := material.ParsePrivateKey(enc, []byte("wrong")); !errors.Is(err, material.ErrIncorrectPassword) {
		t.Errorf("wrong password: %v, want ErrIncorrectPassword", err)
	}
	back, err := material.ParsePrivateKey(enc, []byte("s3cret"))
	if err != nil || !material.PublicKeysEqual(back.Public(), key.Public()) {
		t.Errorf("right password: %v", err)
	}
	if _, err := material.ParsePrivateKey([]byte("not a key"), nil); err == nil {
		t.Error("garbage parsed as a key")
	}
}

func TestParseCSR(t *testing.T) {
	key := cachedKey(t, KeyECDSAP256, "leaf")
	csr, err := CreateCSR(rand.Reader, subjectCN("req.test"), nil, mustHosts(t, "req.test", "10.1.2.3"), key)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := material.ParseCSR(EncodeCSRPEM(csr))
	if err != nil {
		t.Fatal(err)
	}
	sans, err := SANsFromCSR(parsed)
	if err != nil || strings.Join(sans.Strings(), " ") != "DNS:req.test IP:10.1.2.3" {
		t.Fatalf("SANs = %v, %v", sans.Strings(), err)
	}
	// Corrupt the signature: the last byte of the DER is inside it.
	raw := append([]byte(nil), csr.Raw...)
	raw[len(raw)-1] ^= 0xff
	if _, err := material.ParseCSR(raw); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("bad signature: %v", err)
	}
	if _, err := material.ParseCSR([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); err == nil {
		t.Error("a certificate PEM was taken as a request")
	}
}

func subjectCN(cn string) (n pkix.Name) {
	n.CommonName = cn
	return n
}
