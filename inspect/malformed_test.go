package inspect

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

var (
	oidSAN      = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}
)

// rawSAN encodes a subjectAltName extension value holding one general name with the given
// context tag (2 dNSName, 6 URI, 7 iPAddress) and bytes, which Go's template API would refuse.
func rawSAN(t testing.TB, tag int, value []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: tag, Bytes: value}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// mintRaw signs tmpl (self-signed, P-256) and returns the DER without parsing it, since
// crypto/x509 may refuse to read what it was made to write.
func mintRaw(t testing.TB, tmpl *x509.Certificate) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(0x01020304)
	}
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestDiagnoseMalformed(t *testing.T) {
	subject := pkix.Name{CommonName: "bad.test", Organization: []string{"Malformed"}}
	withExt := func(exts ...pkix.Extension) []byte {
		return mintRaw(t, &x509.Certificate{Subject: subject, ExtraExtensions: exts})
	}
	goodSAN := pkix.Extension{Id: oidSAN, Value: rawSAN(t, 2, []byte("bad.test"))}
	negative := mintRaw(t, &x509.Certificate{Subject: subject})
	// The serial 0x01020304 is encoded 02 04 01 02 03 04; its top bit set makes it negative.
	if i := bytes.Index(negative, []byte{2, 4, 1, 2, 3, 4}); i < 0 {
		t.Fatal("serial not found in the DER")
	} else {
		negative[i+2] = 0x81
	}

	tests := []struct {
		name    string
		der     []byte
		subject string
		field   string
		detail  string
	}{
		{"URI Go cannot parse", withExt(pkix.Extension{Id: oidSAN, Value: rawSAN(t, 6, []byte("http://a b/"))}),
			"CN=bad.test,O=Malformed", "subject_alt_name extension (2.5.29.17)", `cannot parse URI "http://a b/"`},
		{"IP address of five bytes", withExt(pkix.Extension{Id: oidSAN, Value: rawSAN(t, 7, []byte{127, 0, 0, 1, 2})}),
			"CN=bad.test,O=Malformed", "subject_alt_name extension (2.5.29.17)", "cannot parse IP address of length 5"},
		{"DNS name that is not ASCII", withExt(pkix.Extension{Id: oidSAN, Value: rawSAN(t, 2, []byte("b\xffd.test"))}),
			"CN=bad.test,O=Malformed", "subject_alt_name extension (2.5.29.17)", "SAN dNSName is malformed"},
		// The culprit is the second extension, after a good one.
		{"key usage that is no BIT STRING", withExt(goodSAN, pkix.Extension{Id: oidKeyUsage, Critical: true, Value: []byte{5, 0}}),
			"CN=bad.test,O=Malformed", "key_usage extension (2.5.29.15)", "invalid key usage"},
		{"duplicate extension", withExt(goodSAN, goodSAN),
			"CN=bad.test,O=Malformed", "subject_alt_name extension (2.5.29.17)", "duplicate extension"},
		{"negative serial", negative, "CN=bad.test,O=Malformed", "serial number", "negative serial number"},
		{"not a certificate", []byte{0x30, 3, 2, 1, 1}, "", "", "malformed tbs certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := x509.ParseCertificate(tt.der)
			if err == nil {
				t.Fatal("crypto/x509 parses the certificate; the case tests nothing")
			}
			m := DiagnoseMalformed(tt.der, err)
			if m.Subject != tt.subject || m.Field != tt.field || !strings.Contains(m.Detail, tt.detail) {
				t.Errorf("got subject %q field %q detail %q; want %q %q ~%q", m.Subject, m.Field, m.Detail, tt.subject, tt.field, tt.detail)
			}
			if strings.HasPrefix(m.Detail, "x509: ") {
				t.Errorf("detail %q keeps Go's prefix", m.Detail)
			}
		})
	}
}

// TestMalformedSurfaces checks what a malformed certificate turns into: a verdict naming it for
// verify, and a decode error naming it for inspect (PEM and DER).
func TestMalformedSurfaces(t *testing.T) {
	root := ca(t, "Test Root", nil)
	good := leaf(t, root, nil)
	der := mintRaw(t, &x509.Certificate{Subject: pkix.Name{CommonName: "bad.test"},
		ExtraExtensions: []pkix.Extension{{Id: oidSAN, Value: rawSAN(t, 6, []byte("http://a b/"))}}})
	_, parseErr := x509.ParseCertificate(der)
	if parseErr == nil {
		t.Fatal("the certificate parses")
	}

	v := MalformedChain([]*x509.Certificate{good.cert}, 3, der, parseErr, VerifyOptions{Host: "www.example.test"})
	want := `certificate 2 of 3 is malformed: "CN=bad.test": Go refuses its subject_alt_name extension (2.5.29.17): cannot parse URI "http://a b/"`
	if v.Verified || v.Reason != ReasonMalformed || !strings.HasPrefix(v.Error, want) || !v.HostnameOK {
		t.Errorf("MalformedChain = %+v\nwant reason malformed, hostname_ok, error starting %s", v, want)
	}
	if v.Malformed == nil || v.Malformed.Index != 1 || v.Malformed.Subject != "CN=bad.test" {
		t.Errorf("Malformed = %+v, want index 1 and the subject", v.Malformed)
	}
	if v := MalformedChain(nil, 1, der, parseErr, VerifyOptions{Host: "bad.test"}); v.HostnameOK {
		t.Error("hostname_ok with no leaf to judge")
	}

	pemIn := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good.cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	for _, in := range []struct {
		name, want string
		data       []byte
	}{
		{"pem", `block 2 (CERTIFICATE): malformed certificate "CN=bad.test": Go refuses its subject_alt_name extension (2.5.29.17): cannot parse URI`, pemIn},
		{"der", `malformed certificate "CN=bad.test": Go refuses its subject_alt_name extension (2.5.29.17): cannot parse URI`, der},
	} {
		t.Run(in.name, func(t *testing.T) {
			_, err := Decode(in.data, DecodeOptions{})
			var de *DecodeError
			if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), in.want) {
				t.Errorf("Decode error %v\nwant a *DecodeError starting %s", err, in.want)
			}
		})
	}
}
