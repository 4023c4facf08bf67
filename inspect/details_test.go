package inspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

var detailsNow = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

func detailsKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// detailsIssue signs tmpl with parent/parentKey (nil = self-signed with key), filling only what
// is missing: serial and validity.
func detailsIssue(t testing.TB, tmpl, parent *x509.Certificate, key, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(4242)
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = detailsNow.Add(-24 * time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = detailsNow.Add(90 * 24 * time.Hour)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type testSCT struct {
	version   uint8
	logID     [32]byte
	timestamp uint64
	exts      []byte
	hash, sig uint8
	signature []byte
}

// sctListValue encodes SCTs as the SCT list extension's value, by hand.
func sctListValue(t testing.TB, scts ...testSCT) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1OctetString(sctListTLS(t, scts...))
	return b.BytesOrPanic()
}

func sctListTLS(t testing.TB, scts ...testSCT) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range scts {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(s.version)
				b.AddBytes(s.logID[:])
				b.AddUint64(s.timestamp)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.exts) })
				b.AddUint8(s.hash)
				b.AddUint8(s.sig)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.signature) })
			})
		}
	})
	return b.BytesOrPanic()
}

var (
	logA = testSCT{
		logID:     [32]byte{1, 2, 3},
		timestamp: 1767225600123, // 2026-01-01T00:00:00.123Z
		hash:      4, sig: 3,
		signature: []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02},
	}
	logB = testSCT{
		logID:     [32]byte{0xff, 0xee},
		timestamp: 1767225700000,
		exts:      []byte{9, 9},
		hash:      4, sig: 1,
		signature: []byte{0xAA, 0xBB},
	}
)

func mustOID(t testing.TB, s string) x509.OID {
	t.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestDetailsAllFields(t *testing.T) {
	rootKey, caKey := detailsKey(t), detailsKey(t)
	root := detailsIssue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Root"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, SubjectKeyId: []byte{0xAB, 0xCD, 0x01},
	}, nil, rootKey, nil)
	_, permitted, _ := net.ParseCIDR("10.0.0.0/8")
	_, excluded, _ := net.ParseCIDR("10.1.0.0/16")
	uri, _ := url.Parse("spiffe://example.test/ca")
	tmpl := &x509.Certificate{
		Subject:                     pkix.Name{CommonName: "Intermediate"},
		IsCA:                        true,
		BasicConstraintsValid:       true,
		MaxPathLen:                  0,
		MaxPathLenZero:              true,
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:                 []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		UnknownExtKeyUsage:          []asn1.ObjectIdentifier{{1, 2, 3, 4}},
		SubjectKeyId:                []byte{0x01, 0x02, 0xFE},
		OCSPServer:                  []string{"http://ocsp.example.test"},
		IssuingCertificateURL:       []string{"http://ca.example.test/root.crt"},
		CRLDistributionPoints:       []string{"http://crl.example.test/root.crl"},
		Policies:                    []x509.OID{mustOID(t, "2.23.140.1.2.1"), mustOID(t, "1.3.6.1.4.1.99999.1")},
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"example.test"},
		ExcludedDNSDomains:          []string{"bad.example.test"},
		PermittedIPRanges:           []*net.IPNet{permitted},
		ExcludedIPRanges:            []*net.IPNet{excluded},
		PermittedEmailAddresses:     []string{"example.test"},
		ExcludedEmailAddresses:      []string{"x@example.test"},
		PermittedURIDomains:         []string{".example.test"},
		ExcludedURIDomains:          []string{"bad.example.test"},
		DNSNames:                    []string{"ca.example.test"},
		EmailAddresses:              []string{"ca@example.test"},
		URIs:                        []*url.URL{uri},
		ExtraExtensions: []pkix.Extension{{
			Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, Value: sctListValue(t, logA, logB),
		}, {
			// Extensions nobody knows: Go processes neither, and fails verification on the critical one.
			Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0},
		}, {
			Id: asn1.ObjectIdentifier{1, 2, 3, 5}, Value: []byte{5, 0},
		}},
	}
	c := detailsIssue(t, tmpl, root, caKey, rootKey)
	d := Details(c, detailsNow)

	spki, _ := x509.MarshalPKIXPublicKey(caKey.Public())
	spkiSum := sha256.Sum256(spki)
	sha1Sum := sha1.Sum(c.Raw)
	pathLen0 := 0
	checks := []struct {
		name      string
		got, want any
	}{
		{"subject", d.Subject, "CN=Intermediate"},
		{"issuer", d.Issuer, "CN=Root"},
		{"version", d.Version, 3},
		{"dns_names", d.DNSNames, []string{"ca.example.test"}},
		{"email_addresses", d.EmailAddresses, []string{"ca@example.test"}},
		{"uris", d.URIs, []string{"spiffe://example.test/ca"}},
		{"public_key", d.PublicKey, PublicKeyInfo{
			Type: "ECDSA", Bits: 256, Curve: "P-256",
			SPKISHA256:        "sha256//" + base64.StdEncoding.EncodeToString(spkiSum[:]),
			FingerprintSHA256: hex.EncodeToString(spkiSum[:]),
		}},
		{"key_usage", d.KeyUsage, []string{"digital_signature", "cert_sign", "crl_sign"}},
		{"ext_key_usage", d.ExtKeyUsage, []string{"server_auth", "client_auth", "1.2.3.4"}},
		{"basic_constraints", d.BasicConstraints, &BasicConstraints{CA: true, PathLen: &pathLen0, Critical: true}},
		{"subject_key_id", d.SubjectKeyID, "01:02:FE"},
		{"authority_key_id", d.AuthorityKeyID, "AB:CD:01"},
		{"ocsp_servers", d.OCSPServers, []string{"http://ocsp.example.test"}},
		{"ca_issuers", d.CAIssuers, []string{"http://ca.example.test/root.crt"}},
		{"crl_distribution_points", d.CRLDistributionPoints, []string{"http://crl.example.test/root.crl"}},
		{"policies", d.Policies, []string{"2.23.140.1.2.1", "1.3.6.1.4.1.99999.1"}},
		{"scts", d.SCTs, []SCT{
			{Version: 1, LogID: base64.StdEncoding.EncodeToString(logA.logID[:]),
				Timestamp:  time.Date(2026, 1, 1, 0, 0, 0, 123e6, time.UTC),
				Extensions: "", HashAlgorithm: "sha256", SignatureAlgorithm: "ecdsa",
				Signature: base64.StdEncoding.EncodeToString(logA.signature)},
			{Version: 1, LogID: base64.StdEncoding.EncodeToString(logB.logID[:]),
				Timestamp:  time.UnixMilli(1767225700000).UTC(),
				Extensions: "CQk=", HashAlgorithm: "sha256", SignatureAlgorithm: "rsa",
				Signature: "qrs="},
		}},
		{"sct_error", d.SCTError, ""},
		{"name_constraints", d.NameConstraints, &NameConstraints{
			Critical:           true,
			PermittedDNS:       []string{"example.test"},
			ExcludedDNS:        []string{"bad.example.test"},
			PermittedIPRanges:  []string{"10.0.0.0/8"},
			ExcludedIPRanges:   []string{"10.1.0.0/16"},
			PermittedEmails:    []string{"example.test"},
			ExcludedEmails:     []string{"x@example.test"},
			PermittedURIDomain: []string{".example.test"},
			ExcludedURIDomain:  []string{"bad.example.test"},
		}},
		{"sha1", d.SHA1, material.ColonHex(sha1Sum[:])},
		{"sha1 form", len(d.SHA1), 59},
		{"is_ca", d.IsCA, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	wantExt := map[string]ExtensionInfo{
		"2.5.29.15":               {OID: "2.5.29.15", Name: "key_usage", Critical: true},
		"2.5.29.37":               {OID: "2.5.29.37", Name: "ext_key_usage"},
		"2.5.29.19":               {OID: "2.5.29.19", Name: "basic_constraints", Critical: true},
		"2.5.29.14":               {OID: "2.5.29.14", Name: "subject_key_identifier"},
		"2.5.29.35":               {OID: "2.5.29.35", Name: "authority_key_identifier"},
		"1.3.6.1.5.5.7.1.1":       {OID: "1.3.6.1.5.5.7.1.1", Name: "authority_info_access"},
		"2.5.29.17":               {OID: "2.5.29.17", Name: "subject_alt_name"},
		"2.5.29.30":               {OID: "2.5.29.30", Name: "name_constraints", Critical: true},
		"2.5.29.31":               {OID: "2.5.29.31", Name: "crl_distribution_points"},
		"2.5.29.32":               {OID: "2.5.29.32", Name: "certificate_policies"},
		"1.3.6.1.4.1.11129.2.4.2": {OID: "1.3.6.1.4.1.11129.2.4.2", Name: "ct_sct_list"},
		"1.2.3.4":                 {OID: "1.2.3.4", Critical: true, Unhandled: true},
		"1.2.3.5":                 {OID: "1.2.3.5"},
	}
	if len(d.Extensions) != len(c.Extensions) || len(d.Extensions) != len(wantExt) {
		t.Errorf("got %d extensions %v, want %d", len(d.Extensions), d.Extensions, len(wantExt))
	}
	for i, e := range d.Extensions {
		if e.OID != c.Extensions[i].Id.String() {
			t.Errorf("extension %d is %s, want certificate order (%s)", i, e.OID, c.Extensions[i].Id)
		}
		if w, ok := wantExt[e.OID]; !ok || w != e {
			t.Errorf("extension %+v, want %+v", e, w)
		}
	}
}

func TestDetailsBasicConstraints(t *testing.T) {
	two := 2
	tests := []struct {
		name string
		tmpl x509.Certificate
		want *BasicConstraints
	}{
		{"no extension", x509.Certificate{}, nil},
		{"leaf", x509.Certificate{BasicConstraintsValid: true}, &BasicConstraints{Critical: true}},
		{"ca without limit", x509.Certificate{BasicConstraintsValid: true, IsCA: true, MaxPathLen: -1}, &BasicConstraints{CA: true, Critical: true}},
		{"ca with limit", x509.Certificate{BasicConstraintsValid: true, IsCA: true, MaxPathLen: 2}, &BasicConstraints{CA: true, PathLen: &two, Critical: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := detailsKey(t)
			tmpl := tt.tmpl
			tmpl.Subject = pkix.Name{CommonName: "x"}
			d := Details(detailsIssue(t, &tmpl, nil, k, nil), detailsNow)
			if !reflect.DeepEqual(d.BasicConstraints, tt.want) {
				t.Errorf("basic_constraints = %+v, want %+v", d.BasicConstraints, tt.want)
			}
		})
	}
}

func TestDetailsEmptyListsAndJSON(t *testing.T) {
	k := detailsKey(t)
	c := detailsIssue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "bare"}}, nil, k, nil)
	d := Details(c, detailsNow)
	if d.BasicConstraints != nil || d.NameConstraints != nil || d.SubjectKeyID != "" || d.AuthorityKeyID != "" {
		t.Errorf("absent extensions reported: %+v", d)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"email_addresses", "uris", "key_usage", "ext_key_usage", "ocsp_servers",
		"ca_issuers", "crl_distribution_points", "policies", "scts", "extensions", "dns_names", "ip_addresses"} {
		if v, ok := m[key].([]any); !ok || len(v) != 0 {
			t.Errorf("%s = %#v, want []", key, m[key])
		}
	}
	for _, key := range []string{"subject", "issuer", "serial", "not_before", "not_after", "days_left", "key",
		"signature_algorithm", "is_ca", "self_signed", "sha256", "version", "public_key", "subject_key_id",
		"authority_key_id", "sha1"} {
		if _, ok := m[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, raw)
		}
	}
	for _, key := range []string{"basic_constraints", "name_constraints", "sct_error", "Certificate"} {
		if _, ok := m[key]; ok {
			t.Errorf("JSON has %q: %s", key, raw)
		}
	}
	pk := m["public_key"].(map[string]any)
	for _, key := range []string{"type", "bits", "curve", "spki_sha256", "fingerprint_sha256"} {
		if _, ok := pk[key]; !ok {
			t.Errorf("public_key lacks %q", key)
		}
	}
}

func TestDetailsBadSCTExtension(t *testing.T) {
	k := detailsKey(t)
	c := detailsIssue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "x"},
		ExtraExtensions: []pkix.Extension{{
			Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}, Value: []byte{0x04, 0x01, 0x00},
		}},
	}, nil, k, nil)
	d := Details(c, detailsNow)
	if len(d.SCTs) != 0 || d.SCTError == "" {
		t.Errorf("scts = %v, sct_error = %q; want none and an error", d.SCTs, d.SCTError)
	}
	if len(d.Extensions) != 1 || d.Extensions[0].Name != "ct_sct_list" {
		t.Errorf("extensions = %+v", d.Extensions)
	}
}

func TestParseSCTList(t *testing.T) {
	v2 := logA
	v2.version = 1
	octets := func(b []byte) []byte {
		var bb cryptobyte.Builder
		bb.AddASN1OctetString(b)
		return bb.BytesOrPanic()
	}
	one := sctListTLS(t, logA)
	far := logA
	far.timestamp = 1 << 63
	unknownAlg := logA
	unknownAlg.hash, unknownAlg.sig = 99, 42
	tests := []struct {
		name    string
		value   []byte
		want    int
		wantErr string
		check   func(t *testing.T, s []SCT)
	}{
		{name: "one", value: sctListValue(t, logA), want: 1},
		{name: "two", value: sctListValue(t, logA, logB), want: 2},
		{name: "unknown version kept by version", value: sctListValue(t, v2, logA), want: 2, check: func(t *testing.T, s []SCT) {
			if s[0] != (SCT{Version: 2}) || s[1].Version != 1 {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "unknown algorithms", value: sctListValue(t, unknownAlg), want: 1, check: func(t *testing.T, s []SCT) {
			if s[0].HashAlgorithm != "unknown(99)" || s[0].SignatureAlgorithm != "unknown(42)" {
				t.Errorf("got %+v", s)
			}
		}},
		{name: "not an octet string", value: []byte{0x30, 0x00}, wantErr: "OCTET STRING"},
		{name: "empty", value: nil, wantErr: "OCTET STRING"},
		{name: "trailing DER", value: append(sctListValue(t, logA), 0), wantErr: "OCTET STRING"},
		{name: "empty list", value: octets([]byte{0, 0}), wantErr: "empty"},
		{name: "list length too long", value: octets(append([]byte{0xff, 0xff}, one[2:]...)), wantErr: "list length"},
		{name: "list trailing", value: octets(append(append([]byte{}, one...), 1)), wantErr: "list length"},
		{name: "truncated SCT", value: octets([]byte{0, 4, 0, 2, 0, 1}), wantErr: "truncated"},
		{name: "SCT length past list", value: octets([]byte{0, 2, 0, 9}), wantErr: "bad length"},
		{name: "empty SCT", value: octets([]byte{0, 2, 0, 0}), wantErr: "empty"},
		{name: "timestamp out of range", value: sctListValue(t, far), wantErr: "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSCTList(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Fatalf("got %d SCTs, want %d", len(got), tt.want)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
	// A trailing byte inside one SCT.
	raw := sctListTLS(t, logA)
	raw = append(raw, 0)
	raw[0], raw[1] = 0, raw[1]+1
	raw[2], raw[3] = 0, raw[3]+1
	if _, err := parseSCTList(octets(raw)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("trailing data in an SCT: err = %v", err)
	}
}

func FuzzParseSCTList(f *testing.F) {
	f.Add(sctListValue(f, logA))
	f.Add(sctListValue(f, logA, logB))
	f.Add([]byte{0x04, 0x02, 0x00, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, value []byte) {
		scts, err := parseSCTList(value)
		if err != nil {
			if scts != nil {
				t.Fatalf("SCTs %v with error %v", scts, err)
			}
			return
		}
		if len(scts) == 0 {
			t.Fatal("no SCTs and no error")
		}
		for _, s := range scts {
			if _, err := json.Marshal(s); err != nil {
				t.Fatalf("SCT %+v does not marshal: %v", s, err)
			}
		}
	})
}

func TestDescribeKey(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name    string
		pub     crypto.PublicKey
		private bool
		want    KeyDetails
	}{
		{"ecdsa p384", p384.Public(), true, KeyDetails{Type: "ECDSA", Bits: 384, Curve: "P-384", Private: true}},
		{"rsa", r.Public(), false, KeyDetails{Type: "RSA", Bits: 2048}},
		{"ed25519", edPub, false, KeyDetails{Type: "Ed25519", Bits: 256}},
		{"unknown", struct{}{}, false, KeyDetails{Type: "struct {}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DescribeKey(tt.pub, tt.private)
			if der, err := x509.MarshalPKIXPublicKey(tt.pub); err == nil {
				sum := sha256.Sum256(der)
				tt.want.SPKISHA256 = "sha256//" + base64.StdEncoding.EncodeToString(sum[:])
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// The JSON of a private key's description holds only public facts.
	raw, _ := json.Marshal(DescribeKey(r.Public(), true))
	if strings.Contains(string(raw), r.D.String()) || strings.Contains(string(raw), base64.StdEncoding.EncodeToString(r.D.Bytes())) {
		t.Errorf("private exponent in %s", raw)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if len(m) != 4 || m["private"] != true {
		t.Errorf("JSON = %s", raw)
	}
}

func TestKeyMatches(t *testing.T) {
	k, other := detailsKey(t), detailsKey(t)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	c := detailsIssue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}}, nil, k, nil)
	edCert := detailsIssue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}}, nil, edKey, nil)
	tests := []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
		want bool
	}{
		{"own key", c, k, true},
		{"other key", c, other, false},
		{"other algorithm", c, edKey, false},
		{"ed25519", edCert, edKey, true},
		{"nil key", c, nil, false},
		{"nil certificate", nil, k, false},
	}
	for _, tt := range tests {
		if got := KeyMatches(tt.cert, tt.key); got != tt.want {
			t.Errorf("%s: KeyMatches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDetailsOpenSSL reads a certificate made by OpenSSL with every extension Details shows.
func TestDetailsOpenSSL(t *testing.T) {
	openssl := peertest.Need(t, "openssl")
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	cmd := exec.Command(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=x", "-days", "30", "-keyout", keyPath, "-out", certPath,
		"-addext", "subjectAltName=DNS:x,IP:1.2.3.4,email:a@x,URI:spiffe://x/y",
		"-addext", "authorityInfoAccess=OCSP;URI:http://ocsp.x,caIssuers;URI:http://ca.x/c.crt",
		"-addext", "crlDistributionPoints=URI:http://crl.x/c.crl",
		"-addext", "certificatePolicies=2.23.140.1.2.1",
		"-addext", "nameConstraints=critical,permitted;DNS:x",
		"-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
		"-addext", "keyUsage=critical,keyCertSign,cRLSign",
		"-addext", "extendedKeyUsage=serverAuth")
	cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	data, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("no PEM from openssl")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	d := Details(c, time.Now())
	zero := 0
	checks := []struct {
		name      string
		got, want any
	}{
		{"subject", d.Subject, "CN=x"},
		{"version", d.Version, 3},
		{"dns_names", d.DNSNames, []string{"x"}},
		{"ip_addresses", d.IPAddresses, []string{"1.2.3.4"}},
		{"email_addresses", d.EmailAddresses, []string{"a@x"}},
		{"uris", d.URIs, []string{"spiffe://x/y"}},
		{"public_key type", d.PublicKey.Type, "ECDSA"},
		{"public_key curve", d.PublicKey.Curve, "P-256"},
		{"public_key bits", d.PublicKey.Bits, 256},
		{"key_usage", d.KeyUsage, []string{"cert_sign", "crl_sign"}},
		{"ext_key_usage", d.ExtKeyUsage, []string{"server_auth"}},
		{"basic_constraints", d.BasicConstraints, &BasicConstraints{CA: true, PathLen: &zero, Critical: true}},
		{"ocsp_servers", d.OCSPServers, []string{"http://ocsp.x"}},
		{"ca_issuers", d.CAIssuers, []string{"http://ca.x/c.crt"}},
		{"crl_distribution_points", d.CRLDistributionPoints, []string{"http://crl.x/c.crl"}},
		{"policies", d.Policies, []string{"2.23.140.1.2.1"}},
		{"name_constraints critical", d.NameConstraints != nil && d.NameConstraints.Critical, true},
		{"name_constraints dns", d.NameConstraints.PermittedDNS, []string{"x"}},
		{"self_signed", d.SelfSigned, true},
		{"subject_key_id set", d.SubjectKeyID != "", true},
		{"sha1", d.SHA1 != "" && strings.Count(d.SHA1, ":") == 19, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	names := map[string]bool{}
	for _, e := range d.Extensions {
		names[e.Name] = e.Critical
	}
	for name, critical := range map[string]bool{
		"subject_alt_name": false, "authority_info_access": false, "crl_distribution_points": false,
		"certificate_policies": false, "name_constraints": true, "basic_constraints": true,
		"key_usage": true, "ext_key_usage": false, "subject_key_identifier": false,
	} {
		got, ok := names[name]
		if !ok || got != critical {
			t.Errorf("extension %s: present %v critical %v, want critical %v (%+v)", name, ok, got, critical, d.Extensions)
		}
	}
	// The SHA-1 matches OpenSSL's own.
	out, err := exec.Command(openssl, "x509", "-in", certPath, "-noout", "-fingerprint", "-sha1").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), d.SHA1) {
		t.Errorf("sha1 %s, openssl says %s", d.SHA1, out)
	}
	// So does the SPKI pin (curl's documented recipe).
	pubDER, err := exec.Command(openssl, "x509", "-in", certPath, "-noout", "-pubkey").Output()
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := pem.Decode(pubDER)
	sum := sha256.Sum256(pb.Bytes)
	if want := "sha256//" + base64.StdEncoding.EncodeToString(sum[:]); d.PublicKey.SPKISHA256 != want {
		t.Errorf("spki_sha256 = %s, want %s", d.PublicKey.SPKISHA256, want)
	}
}

func TestMustStaple(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value []byte // the extension's DER, nil for none
		want  bool
	}{
		{"none", nil, false},
		{"status_request", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, true},
		{"status_request_v2 only", []byte{0x30, 0x03, 0x02, 0x01, 0x11}, false},
		{"both", []byte{0x30, 0x06, 0x02, 0x01, 0x11, 0x02, 0x01, 0x05}, true},
		{"malformed", []byte{0x30, 0x05, 0x02}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &x509.Certificate{}
			if tc.value != nil {
				c.Extensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}, Value: tc.value}}
			}
			if got := MustStaple(c); got != tc.want {
				t.Errorf("MustStaple = %v, want %v", got, tc.want)
			}
		})
	}
}
