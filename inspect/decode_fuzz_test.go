package inspect

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// FuzzDecode checks that Decode never panics, that what it returns is consistent (items in
// increasing Index order, each with the field its Kind promises), that its errors are one line,
// and that DecodeBundle and Each give the same error or the same items.
//
// Run by hand: go test ./inspect -run '^$' -fuzz FuzzDecode -fuzztime 30s
func FuzzDecode(f *testing.F) {
	m := decTestMaterial(f)
	rsa1 := x509.MarshalPKCS1PrivateKey(m.rsaKey)
	sec1, err := x509.MarshalECPrivateKey(m.ecKey)
	if err != nil {
		f.Fatal(err)
	}
	pkix1, err := x509.MarshalPKIXPublicKey(m.edKey.Public())
	if err != nil {
		f.Fatal(err)
	}
	rsaPub := x509.MarshalPKCS1PublicKey(&m.rsaKey.PublicKey)
	legacy := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF",
	}, Bytes: rsa1[:32]})

	ders := [][]byte{m.cert.Raw, m.leaf.Raw, m.csrDER, m.crlDER, m.pkcs8, rsa1, sec1, pkix1, rsaPub, m.encPKCS8, m.p12Empty, m.p12Pass, m.p12RC2}
	for _, d := range ders {
		f.Add(d, false)
		f.Add(d, true)
	}
	bundle := decCat(
		[]byte("subject=CN = leaf\n"),
		decPEM("CERTIFICATE", m.leaf.Raw),
		[]byte("between\n"),
		decPEM("TRUSTED CERTIFICATE", decTrustedAux(m.cert.Raw)),
		decPEM("NEW CERTIFICATE REQUEST", m.csrDER),
		decPEM("PRIVATE KEY", m.pkcs8),
		decPEM("ENCRYPTED PRIVATE KEY", m.encPKCS8),
		decPEM("RSA PRIVATE KEY", rsa1),
		decPEM("EC PRIVATE KEY", sec1),
		decPEM("PUBLIC KEY", pkix1),
		decPEM("RSA PUBLIC KEY", rsaPub),
		decPEM("X509 CRL", m.crlDER),
		decPEM("UNKNOWN THING", []byte("x")),
		[]byte("trailer"),
	)
	f.Add(bundle, true)
	f.Add(bundle, false)
	f.Add(legacy, false)
	f.Add(bytes.Replace(decPEM("CERTIFICATE", m.cert.Raw), []byte("\n"), []byte("\n*\n"), 3), false)
	f.Add([]byte{}, false)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), false)
	f.Add([]byte("-----BEGIN X-----\nAAAA\n-----END Y-----\n-----BEGIN "), false)
	f.Add([]byte("garbage \x00\x01\x02 text"), false)
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00}, true)
	f.Add(m.p12Pass[:len(m.p12Pass)/3], true)
	// A certificate Go refuses (a URI it cannot parse), bare and in PEM after a byte-order mark.
	malformed := mintRaw(f, &x509.Certificate{ExtraExtensions: []pkix.Extension{{Id: oidSAN, Value: rawSAN(f, 6, []byte("http://a b/"))}}})
	f.Add(malformed, false)
	f.Add(decCat([]byte("\xef\xbb\xbf"), decPEM("CERTIFICATE", malformed)), false)

	// ECHConfigLists in each form (ech_test.go), and ones clearly meant as ECH that do not parse.
	ech := echTestFixture(f)
	echB64 := base64.StdEncoding.EncodeToString(ech.list)
	for _, seed := range [][]byte{
		ech.keyFile(), ech.list, ech.single, ech.pkcs8,
		[]byte(echB64), []byte(base64.RawURLEncoding.EncodeToString(ech.list)), []byte(echWrap(echB64, 16)),
		[]byte("example.test. 300 IN HTTPS 1 . alpn=\"h2\" ech=\"" + echB64 + "\"\n"),
		[]byte(";; ANSWER SECTION:\na.test.\t300\tIN\tHTTPS\t1 . ech=" + echB64 + " ; now\n1 . ech=" + base64.StdEncoding.EncodeToString(ech.single)),
		decPEM("ECHCONFIG", ech.list[:len(ech.list)-1]), ech.list[:9], []byte(`1 . ech="`), []byte("1 . ech=AE!x"),
	} {
		f.Add(seed, false)
	}

	f.Fuzz(func(t *testing.T, data []byte, withPassword bool) {
		var opts DecodeOptions
		if withPassword {
			opts.Password = []byte("secret")
		}
		start := time.Now()
		items, err := Decode(data, opts)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Decode took %v", d)
		}
		// A Bundle, which inspect shows an item at a time, holds what Decode returns.
		b, berr := DecodeBundle(context.Background(), data, opts)
		if fmt.Sprint(berr) != fmt.Sprint(err) || (b == nil) != (err != nil) {
			t.Fatalf("DecodeBundle: %v, Decode: %v", berr, err)
		}
		if b != nil {
			if diff := sameItems(bundleItems(t, b), items); diff != "" {
				t.Fatalf("Bundle: %s", diff)
			}
		}
		if err != nil {
			if items != nil {
				t.Fatalf("items returned with error %v", err)
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			var de *DecodeError
			if !errors.As(err, &de) && !errors.Is(err, ErrNothingFound) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(items) == 0 {
			t.Fatal("no items and no error")
		}
		for i, it := range items {
			if i > 0 && it.Index <= items[i-1].Index {
				t.Fatalf("item %d: Index %d after %d", i, it.Index, items[i-1].Index)
			}
			var ok bool
			switch it.Kind {
			case KindCertificate:
				// PublicKey is nil when Go does not know the key's algorithm.
				ok = it.Cert != nil
			case KindCertificateRequest:
				ok = it.CSR != nil
			case KindPrivateKey:
				ok = (it.PrivateKey != nil) != (it.X25519Key != nil) && it.PublicKey != nil
			case KindECHConfigList:
				// What was found is a whole list, which parses again as it did.
				if it.ECH != nil && len(it.ECH.Configs) > 0 {
					again, err := wire.ParseECHConfigList(it.ECH.Raw)
					ok = err == nil && len(again) == len(it.ECH.Configs)
				}
			case KindPublicKey:
				ok = it.PublicKey != nil
			case KindCRL:
				ok = it.CRL != nil
			}
			if !ok {
				t.Fatalf("item %d: kind %q without its content: %+v", i, it.Kind, it)
			}
			if it.Encrypted && !withPassword {
				t.Fatalf("item %d: encrypted key decoded without a password", i)
			}
		}
	})
}
