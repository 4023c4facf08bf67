package inspect

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// TestDescribeItemEveryKind views one item of each kind Decode finds, as inspect's report
// shows them: a certificate (with lint when asked), a request with its SANs and a checked
// signature, a private and a public key, and a CRL with its number.
func TestDescribeItemEveryKind(t *testing.T) {
	key := detailsKey(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ca := detailsIssue(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Report CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil, key, key)
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "req.test"},
		DNSNames: []string{"req.test"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}, key)
	if err != nil {
		t.Fatal(err)
	}
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(0x2a), ThisUpdate: now, NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(7), RevocationTime: now}}}, ca, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	var bundle []byte
	for _, b := range []pem.Block{{Type: "CERTIFICATE", Bytes: ca.Raw}, {Type: "CERTIFICATE REQUEST", Bytes: csrDER},
		{Type: "PRIVATE KEY", Bytes: keyDER}, {Type: "PUBLIC KEY", Bytes: pubDER}, {Type: "X509 CRL", Bytes: crlDER}} {
		bundle = append(bundle, pem.EncodeToMemory(&b)...)
	}
	items, err := Decode(bundle, DecodeOptions{})
	if err != nil || len(items) != 5 {
		t.Fatalf("Decode: %d items, %v", len(items), err)
	}
	cert := DescribeItem(items[0], now, true)
	if cert.Certificate == nil || cert.Certificate.Subject != "CN=Report CA" || cert.Lint == nil {
		t.Errorf("certificate: %+v", cert)
	}
	if noLint := DescribeItem(items[0], now, false); noLint.Lint != nil {
		t.Errorf("lint findings without lint: %+v", noLint.Lint)
	}
	req := DescribeItem(items[1], now, false).Request
	if req == nil || req.Subject != "CN=req.test" || strings.Join(req.SANs, ",") != "DNS:req.test,IP:127.0.0.1" || !req.SignatureValid {
		t.Errorf("request: %+v", req)
	}
	if priv := DescribeItem(items[2], now, false).Key; priv == nil || !priv.Private || priv.Type != "ECDSA" {
		t.Errorf("private key: %+v", priv)
	}
	if pub := DescribeItem(items[3], now, false).Key; pub == nil || pub.Private || pub.SPKISHA256 == "" {
		t.Errorf("public key: %+v", pub)
	}
	if crl := DescribeItem(items[4], now, false).CRL; crl == nil || crl.Number != "2a" || crl.RevokedCount != 1 || crl.Issuer != "CN=Report CA" {
		t.Errorf("CRL: %+v", crl)
	}
}

// TestApplyRevocation folds revocation into a verdict: revoked fails the chain, an unproven
// status fails it only under hard-fail (saying which certificates), and a chain that already
// failed keeps its first reason.
func TestApplyRevocation(t *testing.T) {
	good := revocation.CertStatus{Status: revocation.StatusGood}
	unknown := revocation.CertStatus{Status: revocation.StatusUnknown}
	for _, tc := range []struct {
		name       string
		verified   bool
		rep        revocation.Report
		hardFail   bool
		wantOK     bool
		wantReason string
		wantError  string
	}{
		{"good", true, revocation.Report{Status: revocation.StatusGood, Proven: true, Certificates: []revocation.CertStatus{good}}, true, true, "", ""},
		{"revoked", true, revocation.Report{Status: revocation.StatusRevoked, Error: "certificate 0 revoked"}, false, false, ReasonRevoked, "certificate 0 revoked"},
		{"unknown, soft-fail", true, revocation.Report{Status: revocation.StatusUnknown, Error: "no answer"}, false, true, "", ""},
		{"unknown, hard-fail", true, revocation.Report{Status: revocation.StatusUnknown, Error: "no answer"}, true, false, ReasonRevocationUnknown, "no answer"},
		{"partly checked, hard-fail", true, revocation.Report{Status: revocation.StatusGood, Mode: revocation.ModeOCSP,
			Certificates: []revocation.CertStatus{good, unknown, unknown}}, true, false, ReasonRevocationUnknown,
			"certificates 1, 2 of the chain (0 is the leaf) are not proven unrevoked (revocation mode ocsp)"},
		{"already failed", false, revocation.Report{Status: revocation.StatusRevoked}, true, false, ReasonExpired, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verification{Verified: tc.verified}
			if !tc.verified {
				v.Reason = ReasonExpired
			}
			ApplyRevocation(v, tc.rep, tc.hardFail)
			if v.Verified != tc.wantOK || v.Reason != tc.wantReason || v.Error != tc.wantError {
				t.Errorf("verified %v, reason %q, error %q; want %v, %q, %q", v.Verified, v.Reason, v.Error, tc.wantOK, tc.wantReason, tc.wantError)
			}
		})
	}
}

// TestAttachRevocation matches the checked path to the certificates shown, which may lack the
// root or hold others.
func TestAttachRevocation(t *testing.T) {
	key := detailsKey(t)
	mk := func(cn string) *x509.Certificate {
		return detailsIssue(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}, nil, key, key)
	}
	leaf, inter, root, stray := mk("leaf"), mk("inter"), mk("root"), mk("stray")
	rep := revocation.Report{Certificates: []revocation.CertStatus{{Status: revocation.StatusGood}, {Status: revocation.StatusRevoked}, {Status: revocation.StatusNotChecked}}}
	shown := []*x509.Certificate{leaf, stray, inter}
	views := make([]Certificate, len(shown))
	AttachRevocation(views, shown, rep, []*x509.Certificate{leaf, inter, root})
	if views[0].Revocation == nil || views[0].Revocation.Status != revocation.StatusGood ||
		views[1].Revocation != nil ||
		views[2].Revocation == nil || views[2].Revocation.Status != revocation.StatusRevoked {
		t.Errorf("statuses attached: %+v, %+v, %+v", views[0].Revocation, views[1].Revocation, views[2].Revocation)
	}
	AttachRevocation(views[:1], shown, rep, []*x509.Certificate{leaf}) // fewer views than shown: no panic
}
