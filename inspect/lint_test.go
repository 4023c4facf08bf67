package inspect

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/certgen"
)

// lintCA is a CA that issues the lint test leaves, so they carry an authority key identifier.
type lintCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newLintCA(t *testing.T) lintCA {
	t.Helper()
	k := detailsKey(t)
	c := detailsIssue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "Lint CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: detailsNow.Add(-48 * time.Hour), NotAfter: detailsNow.Add(3650 * 24 * time.Hour),
	}, nil, k, nil)
	return lintCA{c, k}
}

// leafFor issues a clean server certificate, changed by mod before signing.
func (ca lintCA) leafFor(t *testing.T, key crypto.Signer, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "www.example.test"},
		DNSNames:              []string{"www.example.test"},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if mod != nil {
		mod(tmpl)
	}
	if key == nil {
		key = detailsKey(t)
	}
	return detailsIssue(t, tmpl, ca.cert, key, ca.key)
}

func findingIDs(f []Finding) []string {
	ids := []string{}
	for _, x := range f {
		ids = append(ids, x.Severity+":"+x.ID)
	}
	return ids
}

func TestLint(t *testing.T) {
	ca := newLintCA(t)
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	day := 24 * time.Hour
	tests := []struct {
		name string
		cert func(t *testing.T) *x509.Certificate
		want []string // severity:id, in the order Lint returns them
	}{
		{"clean leaf", func(t *testing.T) *x509.Certificate { return ca.leafFor(t, nil, nil) }, []string{}},
		{"clean CA", func(t *testing.T) *x509.Certificate { return ca.cert }, []string{}},
		{"expired", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.NotBefore, c.NotAfter = detailsNow.Add(-90*day), detailsNow.Add(-time.Hour)
			})
		}, []string{"error:expired"}},
		{"not yet valid", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.NotBefore, c.NotAfter = detailsNow.Add(day), detailsNow.Add(90*day)
			})
		}, []string{"error:not-yet-valid"}},
		{"expires soon", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.NotAfter = detailsNow.Add(29 * day) })
		}, []string{"warning:expires-soon"}},
		{"not soon at 31 days", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.NotAfter = detailsNow.Add(31 * day) })
		}, []string{}},
		{"weak signature", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SignatureAlgorithm = x509.SHA1WithRSA
			return c
		}, []string{"error:weak-signature"}},
		{"md5 signature", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SignatureAlgorithm = x509.MD5WithRSA
			return c
		}, []string{"error:weak-signature"}},
		{"weak signature on a root is info", func(t *testing.T) *x509.Certificate {
			c := *ca.cert
			c.SignatureAlgorithm = x509.SHA1WithRSA
			return &c
		}, []string{"info:weak-signature"}},
		{"weak rsa key", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, rsa1024, func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageKeyEncipherment })
		}, []string{"error:weak-rsa-key"}},
		{"no san", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames = nil })
		}, []string{"error:no-san"}},
		{"no san, no cn", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames, c.Subject = nil, pkix.Name{Organization: []string{"O"}} })
		}, []string{"error:no-san"}},
		{"validity 398 days is fine", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.NotBefore = detailsNow.Add(-day)
				c.NotAfter = c.NotBefore.Add(398 * day)
			})
		}, []string{}},
		{"validity over 398", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.NotBefore = detailsNow.Add(-day)
				c.NotAfter = c.NotBefore.Add(399 * day)
			})
		}, []string{"warning:validity-over-398"}},
		{"validity over 825", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.NotBefore = detailsNow.Add(-day)
				c.NotAfter = c.NotBefore.Add(826 * day)
			})
		}, []string{"error:validity-over-825"}},
		{"ca with server auth", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.IsCA = true
				c.KeyUsage |= x509.KeyUsageCertSign
			})
		}, []string{"warning:ca-on-leaf"}},
		{"key encipherment on ecdsa", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageKeyEncipherment })
		}, []string{"warning:key-encipherment-on-ecdsa"}},
		{"missing aki", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.AuthorityKeyId = nil
			return c
		}, []string{"error:missing-aki"}},
		{"self-signed without aki", func(t *testing.T) *x509.Certificate {
			k := detailsKey(t)
			return detailsIssue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"x"}}, nil, k, nil)
		}, []string{}},
		{"serial zero", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SerialNumber = big.NewInt(0)
			return c
		}, []string{"error:serial-zero"}},
		{"serial negative", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SerialNumber = big.NewInt(-5)
			return c
		}, []string{"error:serial-negative"}},
		{"serial of 20 octets", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SerialNumber = new(big.Int).Lsh(big.NewInt(1), 158) // top bit clear: 20 octets
			return c
		}, []string{}},
		{"serial too long", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, nil, nil)
			c.SerialNumber = new(big.Int).Lsh(big.NewInt(1), 159) // top bit set: 21 octets
			return c
		}, []string{"error:serial-too-long"}},
		{"wildcard public suffix", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames = []string{"*.com", "*.example.com"} })
		}, []string{"error:wildcard-public-suffix"}},
		{"wildcard known suffix", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames = []string{"*.CO.UK"} })
		}, []string{"error:wildcard-public-suffix"}},
		{"wildcard in cn only", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames, c.Subject.CommonName = nil, "*.test" })
		}, []string{"error:no-san", "error:wildcard-public-suffix"}},
		{"ordinary wildcard", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames = []string{"*.example.test"} })
		}, []string{}},
		{"ed25519 leaf", func(t *testing.T) *x509.Certificate { return ca.leafFor(t, edKey, nil) }, []string{"info:ed25519-leaf"}},
		{"unknown critical extension", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.ExtraExtensions = []pkix.Extension{{Id: []int{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}}
			})
		}, []string{"error:unhandled-critical-extension"}},
		{"unknown extension, not critical", func(t *testing.T) *x509.Certificate {
			return ca.leafFor(t, nil, func(c *x509.Certificate) {
				c.ExtraExtensions = []pkix.Extension{{Id: []int{1, 2, 3, 4}, Value: []byte{5, 0}}}
			})
		}, []string{}},
		{"missing ski on ca", func(t *testing.T) *x509.Certificate {
			c := *ca.cert
			c.SubjectKeyId = nil
			return &c
		}, []string{"warning:missing-ski"}},
		{"several, ordered", func(t *testing.T) *x509.Certificate {
			c := ca.leafFor(t, edKey, func(c *x509.Certificate) {
				c.DNSNames = nil
				c.NotAfter = detailsNow.Add(10 * day)
				c.IsCA = true
				c.KeyUsage |= x509.KeyUsageCertSign
			})
			c.AuthorityKeyId, c.SubjectKeyId = nil, nil
			c.SerialNumber = big.NewInt(0)
			return c
		}, []string{"error:missing-aki", "error:serial-zero", "warning:ca-on-leaf", "warning:expires-soon", "warning:missing-ski"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lint(tt.cert(t), detailsNow)
			if ids := findingIDs(got); !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("findings %v, want %v\n%+v", ids, tt.want, got)
			}
			for _, f := range got {
				if f.Message == "" {
					t.Errorf("%s has no message", f.ID)
				}
			}
		})
	}
}

// TestLintCertgen: what tlskit itself makes is clean, bar the informational Ed25519 note.
func TestLintCertgen(t *testing.T) {
	sans, err := certgen.ParseHosts([]string{"example.test", "*.example.test", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kt := range []certgen.KeyType{certgen.KeyECDSAP256, certgen.KeyECDSAP384, certgen.KeyRSA2048, certgen.KeyEd25519} {
		t.Run(string(kt), func(t *testing.T) {
			key, err := certgen.GenerateKey(rand.Reader, kt)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := certgen.SelfSign(rand.Reader, certgen.LeafRequest{SANs: sans, Days: 90, Now: detailsNow, Client: true}, key)
			if err != nil {
				t.Fatal(err)
			}
			rootKey, err := certgen.GenerateKey(rand.Reader, kt)
			if err != nil {
				t.Fatal(err)
			}
			root, err := certgen.CreateRootCA(rand.Reader, certgen.CARequest{Subject: pkix.Name{CommonName: "Root"}, Days: 3650, PathLen: 0, Now: detailsNow}, rootKey)
			if err != nil {
				t.Fatal(err)
			}
			issued, _, err := certgen.IssueLeaf(rand.Reader, certgen.LeafRequest{SANs: sans, Days: 397, Now: detailsNow}, key.Public(), certgen.Issuer{Cert: root, Key: rootKey})
			if err != nil {
				t.Fatal(err)
			}
			for name, c := range map[string]*x509.Certificate{"self-signed": leaf, "root": root, "issued": issued} {
				for _, f := range Lint(c, detailsNow) {
					if f.Severity != SeverityInfo || (f.ID == "ed25519-leaf" && kt != certgen.KeyEd25519) {
						t.Errorf("%s: unexpected %+v", name, f)
					}
				}
				if kt == certgen.KeyEd25519 && name != "root" {
					if ids := findingIDs(Lint(c, detailsNow)); !reflect.DeepEqual(ids, []string{"info:ed25519-leaf"}) {
						t.Errorf("%s: %v", name, ids)
					}
				}
				// The full view of a certgen certificate reads back what the profile put in.
				d := Details(c, detailsNow)
				if d.SubjectKeyID == "" || d.AuthorityKeyID == "" || d.BasicConstraints == nil {
					t.Errorf("%s: identifiers or basic constraints missing: %+v", name, d)
				}
			}
		})
	}
}

func TestLintOrderAndJSON(t *testing.T) {
	f := []Finding{
		{ID: "b", Severity: SeverityInfo}, {ID: "z", Severity: SeverityError}, {ID: "a", Severity: SeverityWarning},
		{ID: "a", Severity: SeverityError}, {ID: "c", Severity: SeverityInfo},
	}
	sortFindings(f)
	var got []string
	for _, x := range f {
		got = append(got, x.Severity+":"+x.ID)
	}
	want := []string{"error:a", "error:z", "warning:a", "info:b", "info:c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}

	ca := newLintCA(t)
	raw, err := json.Marshal(Lint(ca.leafFor(t, nil, nil), detailsNow))
	if err != nil || string(raw) != "[]" {
		t.Errorf("clean JSON = %s, %v; want []", raw, err)
	}
	c := ca.leafFor(t, nil, func(c *x509.Certificate) { c.DNSNames = nil })
	raw, _ = json.Marshal(Lint(c, detailsNow))
	for _, key := range []string{`"id":"no-san"`, `"severity":"error"`, `"message":`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON %s lacks %s", raw, key)
		}
	}
}
