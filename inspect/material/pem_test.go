package material

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"
)

// TestReadersAcceptByteOrderMark checks that every PEM reader takes text saved with a UTF-8
// byte-order mark, as Windows editors write it, at the start and before a concatenated file.
func TestReadersAcceptByteOrderMark(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bom.test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: tmpl.Subject}, key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := EncodePrivateKeyPEM(rand.Reader, key, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})
	bom := []byte("\xef\xbb\xbf")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	certs := func(t *testing.T, in []byte, want int) {
		got, err := ParseCertificates(in)
		if err != nil || len(got) != want {
			t.Fatalf("ParseCertificates: %d certificates, %v; want %d", len(got), err, want)
		}
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"certificate", func(t *testing.T) { certs(t, cat(bom, certPEM), 1) }},
		{"two concatenated files, each with a mark", func(t *testing.T) { certs(t, cat(bom, certPEM, bom, certPEM), 2) }},
		{"mark, then a blank line", func(t *testing.T) { certs(t, cat(bom, []byte("\r\n"), certPEM), 1) }},
		{"private key", func(t *testing.T) {
			k, err := ParsePrivateKey(cat(bom, keyPEM), nil)
			if err != nil || !key.Equal(k) {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
		}},
		{"certificate request", func(t *testing.T) {
			csr, err := ParseCSR(cat(bom, csrPEM))
			if err != nil || csr.Subject.CommonName != "bom.test" {
				t.Fatalf("ParseCSR: %v", err)
			}
		}},
		{"DER is left alone", func(t *testing.T) {
			if got := StripBOM(der); !bytes.Equal(got, der) {
				t.Fatal("StripBOM changed DER input")
			}
			certs(t, der, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

// TestParseCertificatesMalformed checks that a certificate Go refuses is reported as one, with
// its position and the certificates before it, while input that is no certificate is not.
func TestParseCertificatesMalformed(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "good.test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	good, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	// A subjectAltName with an IP address of five bytes, which crypto/x509 writes but will not read.
	tmpl.ExtraExtensions = []pkix.Extension{{Id: []int{2, 5, 29, 17}, Value: []byte{0x30, 0x07, 0x87, 0x05, 127, 0, 0, 1, 2}}}
	bad, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: tmpl.Subject}, key)
	if err != nil {
		t.Fatal(err)
	}
	block := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }

	tests := []struct {
		name         string
		in           []byte
		index, total int // of the malformed certificate; -1: not a CertificateError
		parsed       int
	}{
		{"PEM, second of three", bytes.Join([][]byte{block(good), block(bad), block(good)}, nil), 1, 3, 1},
		{"PEM, first", block(bad), 0, 1, 0},
		{"DER", bad, 0, 1, 0},
		{"DER request", csr, -1, 0, 0},
		{"DER garbage", []byte{0x30, 0x03, 0x02, 0x01, 0x01}, -1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, err := ParseCertificates(tt.in)
			var ce *CertificateError
			if tt.index < 0 {
				if err == nil || errors.As(err, &ce) {
					t.Fatalf("got %v, want an error that is not a *CertificateError", err)
				}
				return
			}
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CertificateError", err)
			}
			if ce.Index != tt.index || ce.Total != tt.total || !bytes.Equal(ce.DER, bad) || len(certs) != tt.parsed {
				t.Errorf("index %d total %d, %d parsed; want %d %d %d", ce.Index, ce.Total, len(certs), tt.index, tt.total, tt.parsed)
			}
		})
	}
}
