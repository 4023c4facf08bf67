package certgen

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// The responder's answers, judged by the same OCSP judge handshake and verify use.
func TestAnswerOCSP(t *testing.T) {
	root := newTestRoot(t, CARequest{PathLen: -1})
	other := newTestRoot(t, CARequest{PathLen: -1, Subject: pkix.Name{CommonName: "Other Root"}})
	leaf := func(is Issuer, name string) *x509.Certificate {
		req := LeafRequest{SANs: mustHosts(t, name), Days: 90, Now: testNow}
		req.Subject.CommonName = name
		c, _, err := IssueLeaf(rand.Reader, req, cachedKey(t, KeyECDSAP256, "leaf").(crypto.Signer).Public(), is)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good, bad, stranger := leaf(root, "good.test"), leaf(root, "bad.test"), leaf(other, "stranger.test")
	db := EmptyRevocationDB()
	db.Add(RevocationFor(bad, ReasonKeyCompromise, testNow.Add(-time.Hour)))
	request := func(c *x509.Certificate, is Issuer) []byte {
		r, err := ocsp.CreateRequest(c, is.Cert, &ocsp.RequestOptions{Hash: crypto.SHA256})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, tt := range []struct {
		name   string
		cert   *x509.Certificate
		req    []byte
		want   string // JudgeOCSP's status, or the error response
		reason string
	}{
		{"good", good, request(good, root), revocation.StatusGood, ""},
		{"revoked", bad, request(bad, root), revocation.StatusRevoked, "keyCompromise"},
		{"another CA's certificate", stranger, request(stranger, other), "unauthorized", ""},
		{"garbage", good, []byte("not a request"), "malformed request", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			der, status := AnswerOCSP(root, db, tt.req, testNow)
			switch tt.want {
			case "unauthorized", "malformed request":
				if _, err := ocsp.ParseResponse(der, nil); err == nil || status[:len(tt.want)] != tt.want {
					t.Fatalf("answer %q, parse error %v", status, err)
				}
				return
			}
			got := revocation.JudgeOCSP(der, tt.cert, root.Cert, testNow)
			if got.Status != tt.want || got.Signer != "issuer" || got.RevocationReason != tt.reason {
				t.Fatalf("%+v (answer %q)", got, status)
			}
			if got.NextUpdate == nil || got.NextUpdate.Sub(testNow) != OCSPValidity {
				t.Errorf("next update %v", got.NextUpdate)
			}
		})
	}
}
