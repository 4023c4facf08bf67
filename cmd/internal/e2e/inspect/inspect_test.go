//go:build unix

package inspect

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// End-to-end tests of `tlskit inspect` on material made by the real OpenSSL 3: every field the
// JSON and the text show must agree with what openssl says about the same file, every input
// form (PEM, DER, PKCS#12, encrypted PKCS#8, CSR, CRL, public key, a live server) must be read,
// and bad input must end in one line naming the file, exit 1, never a panic.

// report is `tlskit inspect -o json` for one input, decoded into the test's own structs on
// purpose (not inspect.Report): the documented schema is what is under test.
type report struct {
	Source string `json:"source"`
	Items  []item `json:"items"`
}

type item struct {
	Index       int    `json:"index"`
	Kind        string `json:"kind"`
	PEMType     string `json:"pem_type"`
	FromPKCS12  bool   `json:"from_pkcs12"`
	Encrypted   bool   `json:"encrypted"`
	Certificate *struct {
		Subject            string    `json:"subject"`
		Issuer             string    `json:"issuer"`
		Serial             string    `json:"serial"`
		NotBefore          time.Time `json:"not_before"`
		NotAfter           time.Time `json:"not_after"`
		DaysLeft           int       `json:"days_left"`
		DNSNames           []string  `json:"dns_names"`
		IPAddresses        []string  `json:"ip_addresses"`
		EmailAddresses     []string  `json:"email_addresses"`
		URIs               []string  `json:"uris"`
		Key                string    `json:"key"`
		SignatureAlgorithm string    `json:"signature_algorithm"`
		IsCA               bool      `json:"is_ca"`
		SelfSigned         bool      `json:"self_signed"`
		SHA256             string    `json:"sha256"`
		Version            int       `json:"version"`
		PublicKey          struct {
			Type              string `json:"type"`
			Bits              int    `json:"bits"`
			Curve             string `json:"curve"`
			SPKISHA256        string `json:"spki_sha256"`
			FingerprintSHA256 string `json:"fingerprint_sha256"`
		} `json:"public_key"`
		KeyUsage         []string `json:"key_usage"`
		ExtKeyUsage      []string `json:"ext_key_usage"`
		BasicConstraints *struct {
			CA       bool `json:"ca"`
			PathLen  *int `json:"path_len"`
			Critical bool `json:"critical"`
		} `json:"basic_constraints"`
		SubjectKeyID          string            `json:"subject_key_id"`
		AuthorityKeyID        string            `json:"authority_key_id"`
		OCSPServers           []string          `json:"ocsp_servers"`
		CAIssuers             []string          `json:"ca_issuers"`
		CRLDistributionPoints []string          `json:"crl_distribution_points"`
		Policies              []string          `json:"policies"`
		SCTs                  []json.RawMessage `json:"scts"`
		NameConstraints       *struct {
			Critical     bool     `json:"critical"`
			PermittedDNS []string `json:"permitted_dns"`
			ExcludedDNS  []string `json:"excluded_dns"`
		} `json:"name_constraints"`
		SHA1       string `json:"sha1"`
		Extensions []struct {
			OID      string `json:"oid"`
			Name     string `json:"name"`
			Critical bool   `json:"critical"`
		} `json:"extensions"`
	} `json:"certificate"`
	Request *struct {
		Subject            string   `json:"subject"`
		SANs               []string `json:"sans"`
		Key                keyInfo  `json:"key"`
		SignatureAlgorithm string   `json:"signature_algorithm"`
		SignatureValid     bool     `json:"signature_valid"`
	} `json:"certificate_request"`
	Key *keyInfo `json:"key"`
	CRL *struct {
		Issuer       string    `json:"issuer"`
		Number       string    `json:"number"`
		ThisUpdate   time.Time `json:"this_update"`
		NextUpdate   time.Time `json:"next_update"`
		RevokedCount int       `json:"revoked_count"`
	} `json:"crl"`
	Lint []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"lint"`
	KeyMatches *bool `json:"key_matches"`
}

type keyInfo struct {
	Type       string `json:"type"`
	Bits       int    `json:"bits"`
	Curve      string `json:"curve"`
	SPKISHA256 string `json:"spki_sha256"`
	Private    bool   `json:"private"`
}

// inspectJSON runs `tlskit inspect ARGS... -o json` (which must exit 0) and decodes its one document.
func inspectJSON(t *testing.T, dir string, args ...string) report {
	t.Helper()
	out := e2etest.Tlskit(t, dir, append(append([]string{"inspect"}, args...), "-o", "json")...)
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("inspect %v: not JSON: %v\n%s", args, err, out)
	}
	return rep
}

// keysOf returns the keys of the JSON object at path (object keys) in out's first item.
func keysOf(t *testing.T, out string, path ...string) map[string]bool {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	items, _ := doc["items"].([]any)
	if len(items) == 0 {
		t.Fatalf("no items in:\n%s", out)
	}
	cur, _ := items[0].(map[string]any)
	for _, p := range path {
		cur, _ = cur[p].(map[string]any)
	}
	keys := map[string]bool{}
	for k := range cur {
		keys[k] = true
	}
	return keys
}

// sh runs a shell pipeline in dir and returns its trimmed stdout.
func sh(t *testing.T, dir, script string) string {
	t.Helper()
	r := e2etest.Exec(t, dir, "", nil, "sh", "-c", "set -e; "+script)
	if r.Code != 0 {
		t.Fatalf("sh -c %q: exit %d\n%s", script, r.Code, r.Stderr)
	}
	return strings.TrimSpace(r.Stdout)
}

// after returns what follows "prefix" on openssl's output line that starts with it.
func after(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), prefix); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in:\n%s", prefix, out)
	return ""
}

// selfSigned writes a self-signed ECDSA leaf made with Go (OpenSSL cannot back-date a whole
// validity period) and its key.
func selfSigned(t *testing.T, dir, name string, notBefore, notAfter time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(4242),
		Subject:               pkix.Name{CommonName: name + ".test"},
		DNSNames:              []string{name + ".test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	e2etest.WriteFile(t, dir, name+".pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
}

const fullExts = `-addext subjectAltName=DNS:full.test,IP:192.0.2.1,email:ops@full.test,URI:spiffe://full.test/svc
-addext authorityInfoAccess=OCSP;URI:http://ocsp.full.test,caIssuers;URI:http://ca.full.test/ca.crt
-addext crlDistributionPoints=URI:http://crl.full.test/ca.crl
-addext certificatePolicies=2.23.140.1.2.1
-addext basicConstraints=critical,CA:TRUE,pathlen:0
-addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature
-addext extendedKeyUsage=serverAuth,clientAuth
-addext nameConstraints=critical,permitted;DNS:full.test`

func TestMain(m *testing.M) { e2etest.Main(m) }

func TestInspect(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()

	// The fully loaded certificate and its key.
	args := []string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-subj", "/CN=full.test/O=Example", "-days", "30", "-keyout", "k.pem", "-out", "c.pem"}
	args = append(args, strings.Fields(fullExts)...)
	e2etest.OpenSSL(t, dir, args...)
	e2etest.WriteFile(t, dir, "pw.txt", "secret\n")
	e2etest.WriteFile(t, dir, "wrong.txt", "not-the-password\n")
	e2etest.WriteFile(t, dir, "x.txt", "x\n")

	// What openssl says about it.
	pin := "sha256//" + sh(t, dir, "openssl pkey -in k.pem -pubout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | openssl base64 -A")
	pinHex := strings.Fields(sh(t, dir, "openssl pkey -in k.pem -pubout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r") + " ")[0]
	serial := strings.ToLower(after(t, e2etest.OpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-serial"), "serial="))
	fp256 := after(t, e2etest.OpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha256"), "sha256 Fingerprint=")
	fp1 := after(t, e2etest.OpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha1"), "sha1 Fingerprint=")
	text := e2etest.X509Text(t, dir, "c.pem")
	ski := e2etest.ExtValue(text, "X509v3 Subject Key Identifier:")
	aki := e2etest.ExtValue(text, "X509v3 Authority Key Identifier:")
	if ski == "" || aki == "" {
		t.Fatalf("openssl shows no SKI/AKI:\n%s", text)
	}
	start := sh(t, dir, "openssl x509 -in c.pem -noout -startdate | sed 's/^notBefore=//'")
	end := sh(t, dir, "openssl x509 -in c.pem -noout -enddate | sed 's/^notAfter=//'")
	const osslTime = "Jan _2 15:04:05 2006 MST"
	wantNB, err1 := time.Parse(osslTime, start)
	wantNA, err2 := time.Parse(osslTime, end)
	if err1 != nil || err2 != nil {
		t.Fatalf("openssl dates %q %q: %v %v", start, end, err1, err2)
	}

	// The cases run in parallel once the body has made every file: each reads those and writes
	// files of its own names only.
	t.Run("full-json", func(t *testing.T) {
		t.Parallel()
		out := e2etest.Tlskit(t, dir, "inspect", "c.pem", "-o", "json")
		for _, k := range []string{"subject", "issuer", "serial", "not_before", "not_after", "days_left", "dns_names",
			"ip_addresses", "email_addresses", "uris", "key", "signature_algorithm", "is_ca", "self_signed", "sha256",
			"version", "public_key", "key_usage", "ext_key_usage", "basic_constraints", "subject_key_id",
			"authority_key_id", "ocsp_servers", "ca_issuers", "crl_distribution_points", "policies", "scts",
			"name_constraints", "sha1", "extensions"} {
			if !keysOf(t, out, "certificate")[k] {
				t.Errorf("certificate JSON lacks %q", k)
			}
		}
		for _, k := range []string{"type", "bits", "curve", "spki_sha256", "fingerprint_sha256"} {
			if !keysOf(t, out, "certificate", "public_key")[k] {
				t.Errorf("public_key JSON lacks %q", k)
			}
		}
		for _, k := range []string{"ca", "path_len", "critical"} {
			if !keysOf(t, out, "certificate", "basic_constraints")[k] {
				t.Errorf("basic_constraints JSON lacks %q", k)
			}
		}
		rep := inspectJSON(t, dir, "c.pem")
		if rep.Source != "c.pem" || len(rep.Items) != 1 {
			t.Fatalf("source %q, %d items, want c.pem and 1", rep.Source, len(rep.Items))
		}
		it := rep.Items[0]
		if it.Index != 0 || it.Kind != "certificate" || it.PEMType != "CERTIFICATE" || it.FromPKCS12 || it.Encrypted {
			t.Errorf("item header %+v", it)
		}
		c := it.Certificate
		if c == nil {
			t.Fatal("no certificate object")
		}
		eq := func(what string, got, want any) {
			t.Helper()
			if !jsonEqual(got, want) {
				t.Errorf("%s = %v, want %v", what, got, want)
			}
		}
		// The name as encoded, last RDN first (RFC 4514), as openssl's RFC2253 form shows it:
		// -subj /CN=full.test/O=Example puts CN first in the certificate.
		eq("subject", c.Subject, "O=Example,CN=full.test")
		eq("issuer", c.Issuer, "O=Example,CN=full.test")
		if want := strings.TrimPrefix(strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-subject", "-nameopt", "RFC2253")), "subject="); c.Subject != want {
			t.Errorf("subject %q, openssl -nameopt RFC2253 says %q", c.Subject, want)
		}
		eq("serial", c.Serial, serial)
		eq("not_before", c.NotBefore, wantNB.UTC())
		eq("not_after", c.NotAfter, wantNA.UTC())
		if c.DaysLeft < 28 || c.DaysLeft > 30 {
			t.Errorf("days_left = %d, want about 29", c.DaysLeft)
		}
		eq("dns_names", c.DNSNames, []string{"full.test"})
		eq("ip_addresses", c.IPAddresses, []string{"192.0.2.1"})
		eq("email_addresses", c.EmailAddresses, []string{"ops@full.test"})
		eq("uris", c.URIs, []string{"spiffe://full.test/svc"})
		eq("key", c.Key, "ECDSA P-256")
		eq("signature_algorithm", c.SignatureAlgorithm, "ECDSA-SHA256")
		eq("is_ca", c.IsCA, true)
		eq("self_signed", c.SelfSigned, true)
		eq("sha256", c.SHA256, fp256)
		eq("sha1", c.SHA1, fp1)
		eq("version", c.Version, 3)
		eq("public_key.type", c.PublicKey.Type, "ECDSA")
		eq("public_key.bits", c.PublicKey.Bits, 256)
		eq("public_key.curve", c.PublicKey.Curve, "P-256")
		eq("public_key.spki_sha256", c.PublicKey.SPKISHA256, pin)
		eq("public_key.fingerprint_sha256", c.PublicKey.FingerprintSHA256, pinHex)
		eq("key_usage", c.KeyUsage, []string{"digital_signature", "cert_sign", "crl_sign"})
		eq("ext_key_usage", c.ExtKeyUsage, []string{"server_auth", "client_auth"})
		if bc := c.BasicConstraints; bc == nil || !bc.CA || !bc.Critical || bc.PathLen == nil || *bc.PathLen != 0 {
			t.Errorf("basic_constraints = %+v, want critical CA with path_len 0", bc)
		}
		eq("subject_key_id", c.SubjectKeyID, ski)
		eq("authority_key_id", c.AuthorityKeyID, aki)
		eq("ocsp_servers", c.OCSPServers, []string{"http://ocsp.full.test"})
		eq("ca_issuers", c.CAIssuers, []string{"http://ca.full.test/ca.crt"})
		eq("crl_distribution_points", c.CRLDistributionPoints, []string{"http://crl.full.test/ca.crl"})
		eq("policies", c.Policies, []string{"2.23.140.1.2.1"})
		if c.SCTs == nil || len(c.SCTs) != 0 {
			t.Errorf("scts = %v, want []", c.SCTs)
		}
		if nc := c.NameConstraints; nc == nil || !nc.Critical || !jsonEqual(nc.PermittedDNS, []string{"full.test"}) || len(nc.ExcludedDNS) != 0 {
			t.Errorf("name_constraints = %+v, want critical permitted full.test", nc)
		}
		// Every extension, in openssl's order, with its criticality.
		wantExts := []struct {
			oid, name string
			critical  bool
		}{
			{"2.5.29.14", "subject_key_identifier", false},
			{"2.5.29.35", "authority_key_identifier", false},
			{"2.5.29.17", "subject_alt_name", false},
			{"1.3.6.1.5.5.7.1.1", "authority_info_access", false},
			{"2.5.29.31", "crl_distribution_points", false},
			{"2.5.29.32", "certificate_policies", false},
			{"2.5.29.19", "basic_constraints", true},
			{"2.5.29.15", "key_usage", true},
			{"2.5.29.37", "ext_key_usage", false},
			{"2.5.29.30", "name_constraints", true},
		}
		got := map[string]bool{}
		for _, e := range c.Extensions {
			got[e.OID] = true
			for _, w := range wantExts {
				if w.oid == e.OID && (w.name != e.Name || w.critical != e.Critical) {
					t.Errorf("extension %s = %+v, want name %s critical %v", e.OID, e, w.name, w.critical)
				}
			}
		}
		if len(c.Extensions) != len(wantExts) {
			t.Errorf("%d extensions, want %d: %+v", len(c.Extensions), len(wantExts), c.Extensions)
		}
		for _, w := range wantExts {
			if !got[w.oid] {
				t.Errorf("extension %s (%s) missing", w.oid, w.name)
			}
			// Critical per openssl's text too.
			header := map[string]string{"2.5.29.19": "X509v3 Basic Constraints: critical", "2.5.29.15": "X509v3 Key Usage: critical",
				"2.5.29.30": "X509v3 Name Constraints: critical"}[w.oid]
			if header != "" && !strings.Contains(text, header) {
				t.Errorf("openssl does not show %q", header)
			}
		}
	})

	t.Run("full-text", func(t *testing.T) {
		t.Parallel()
		out := e2etest.Tlskit(t, dir, "inspect", "c.pem", "-v")
		e2etest.MustContain(t, "inspect -v", out,
			"source: c.pem (1 item)",
			"[0] certificate O=Example,CN=full.test",
			"issuer: O=Example,CN=full.test",
			"serial: "+serial,
			wantNB.UTC().Format(time.RFC3339)+" to "+wantNA.UTC().Format(time.RFC3339),
			"sans: full.test, 192.0.2.1, ops@full.test, spiffe://full.test/svc",
			"public key: ECDSA P-256, pin "+pin,
			"signature: ECDSA-SHA256",
			"key usage: digital_signature, cert_sign, crl_sign",
			"extended key usage: server_auth, client_auth",
			"basic constraints: CA:TRUE, path length 0",
			"subject key id: "+ski,
			"authority key id: "+aki,
			"ocsp: http://ocsp.full.test",
			"ca issuers: http://ca.full.test/ca.crt",
			"crl: http://crl.full.test/ca.crl",
			"policies: 2.23.140.1.2.1",
			"permitted names: full.test",
			"sha256: "+fp256,
			"sha1: "+fp1,
		)
	})

	t.Run("pkcs12", func(t *testing.T) {
		t.Parallel()
		e2etest.OpenSSL(t, dir, "pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "b.p12", "-passout", "pass:secret")
		files := []string{"b.p12"}
		r := e2etest.Exec(t, dir, "", nil, "openssl", "pkcs12", "-export", "-legacy", "-in", "c.pem", "-inkey", "k.pem",
			"-out", "legacy.p12", "-passout", "pass:secret")
		if r.Code == 0 {
			files = append(files, "legacy.p12")
		} else {
			t.Logf("openssl pkcs12 -legacy unsupported here (skipping the legacy file): %s", r.Stderr)
		}
		for _, f := range files {
			rep := inspectJSON(t, dir, f, "--password-file", "pw.txt")
			if len(rep.Items) != 2 {
				t.Fatalf("%s: %d items, want certificate + private key", f, len(rep.Items))
			}
			c, k := rep.Items[0], rep.Items[1]
			if c.Kind != "certificate" || !c.FromPKCS12 || c.Certificate == nil || c.Certificate.SHA256 != fp256 || c.PEMType != "" {
				t.Errorf("%s: item 0 = %+v, want the certificate from_pkcs12", f, c)
			}
			if k.Kind != "private_key" || !k.FromPKCS12 || k.Key == nil || !k.Key.Private || k.Key.SPKISHA256 != pin || k.Index != 1 {
				t.Errorf("%s: item 1 = %+v (key %+v), want the private key from_pkcs12", f, k, k.Key)
			}
			text := e2etest.Tlskit(t, dir, "inspect", f, "--password-file", "pw.txt")
			e2etest.MustContain(t, f+" text", text, "certificate (from PKCS#12) O=Example,CN=full.test", "private key (encrypted) (from PKCS#12) ECDSA P-256, pin "+pin)
			if strings.Contains(text, "BEGIN") {
				t.Errorf("%s: text output holds PEM:\n%s", f, text)
			}
			e2etest.ErrorLine(t, f+" wrong password", e2etest.TlskitFails(t, dir, "inspect", f, "--password-file", "wrong.txt"), 1, f, false)
			r := e2etest.TlskitFails(t, dir, "inspect", f)
			e2etest.ErrorLine(t, f+" no password", r, 1, f, true)
			e2etest.MustContain(t, f+" no password", r.Stderr, "--password-file")
			// -o pem never prints the key.
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", f, "--password-file", "pw.txt", "-o", "pem")
			if code != 0 || strings.Contains(out, "PRIVATE") || len(e2etest.PEMBlocks([]byte(out), "CERTIFICATE")) != 1 {
				t.Errorf("%s -o pem: exit %d, stdout:\n%s", f, code, out)
			}
			e2etest.MustContain(t, f+" -o pem stderr", errOut, "private key")
		}
	})

	// Other forms of the same material.
	e2etest.OpenSSL(t, dir, "x509", "-in", "c.pem", "-outform", "DER", "-out", "c.der")
	e2etest.OpenSSL(t, dir, "pkey", "-in", "k.pem", "-outform", "DER", "-out", "k.der")
	e2etest.OpenSSL(t, dir, "pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem")
	e2etest.OpenSSL(t, dir, "req", "-new", "-key", "k.pem", "-subj", "/CN=csr.test", "-addext", "subjectAltName=DNS:csr.test", "-out", "r.csr")
	e2etest.OpenSSL(t, dir, "req", "-new", "-key", "k.pem", "-subj", "/CN=csr.test", "-addext", "subjectAltName=DNS:csr.test", "-outform", "DER", "-out", "r.der")
	e2etest.OpenSSL(t, dir, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "k.pem", "-passout", "pass:x", "-out", "enc.pem")
	e2etest.OpenSSL(t, dir, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "k.pem", "-passout", "pass:x", "-outform", "DER", "-out", "enc.der")

	// A CRL from `openssl ca -gencrl`, with one revoked certificate.
	if err := os.Mkdir(filepath.Join(dir, "crlca"), 0o700); err != nil {
		t.Fatal(err)
	}
	e2etest.WriteFile(t, dir, "crlca/index.txt", "")
	e2etest.WriteFile(t, dir, "crlca/crlnumber", "1000\n")
	e2etest.WriteFile(t, dir, "crlca/ca.cnf", "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndatabase = crlca/index.txt\n"+
		"crlnumber = crlca/crlnumber\ndefault_md = sha256\ndefault_crl_days = 7\n")
	args = []string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=revoked.test",
		"-days", "30", "-keyout", "revoked-key.pem", "-out", "revoked.pem"}
	e2etest.OpenSSL(t, dir, args...)
	e2etest.OpenSSL(t, dir, "ca", "-config", "crlca/ca.cnf", "-keyfile", "k.pem", "-cert", "c.pem", "-revoke", "revoked.pem")
	e2etest.OpenSSL(t, dir, "ca", "-config", "crlca/ca.cnf", "-keyfile", "k.pem", "-cert", "c.pem", "-gencrl", "-out", "crl.pem")
	e2etest.OpenSSL(t, dir, "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der")
	crlNumber := strings.ToLower(strings.TrimPrefix(after(t, e2etest.OpenSSL(t, dir, "crl", "-in", "crl.pem", "-noout", "-crlnumber"), "crlNumber="), "0x"))

	t.Run("forms", func(t *testing.T) {
		t.Parallel()
		rep := inspectJSON(t, dir, "c.der")
		if it := rep.Items; len(it) != 1 || it[0].Kind != "certificate" || it[0].PEMType != "" || it[0].Certificate == nil ||
			it[0].Certificate.SHA256 != fp256 || it[0].Certificate.Serial != serial {
			t.Errorf("c.der: %+v", rep.Items)
		}
		for _, f := range []string{"k.der", "k.pem"} {
			rep = inspectJSON(t, dir, f)
			if it := rep.Items; len(it) != 1 || it[0].Kind != "private_key" || it[0].Key == nil ||
				*it[0].Key != (keyInfo{"ECDSA", 256, "P-256", pin, true}) || it[0].Encrypted {
				t.Errorf("%s: %+v", f, rep.Items)
			}
		}
		for _, f := range []string{"enc.pem", "enc.der"} {
			rep = inspectJSON(t, dir, f, "--password-file", "x.txt")
			if it := rep.Items; len(it) != 1 || it[0].Kind != "private_key" || it[0].Key == nil ||
				*it[0].Key != (keyInfo{"ECDSA", 256, "P-256", pin, true}) || !it[0].Encrypted {
				t.Errorf("%s: %+v", f, rep.Items)
			}
			r := e2etest.TlskitFails(t, dir, "inspect", f)
			e2etest.ErrorLine(t, f+" no password", r, 1, f, true)
			e2etest.ErrorLine(t, f+" wrong password", e2etest.TlskitFails(t, dir, "inspect", f, "--password-file", "wrong.txt"), 1, f, false)
		}
		e2etest.MustContain(t, "enc.pem text", e2etest.Tlskit(t, dir, "inspect", "enc.pem", "--password-file", "x.txt"),
			"private key (encrypted) ECDSA P-256, pin "+pin)
		rep = inspectJSON(t, dir, "pub.pem")
		if it := rep.Items; len(it) != 1 || it[0].Kind != "public_key" || it[0].PEMType != "PUBLIC KEY" || it[0].Key == nil ||
			*it[0].Key != (keyInfo{"ECDSA", 256, "P-256", pin, false}) {
			t.Errorf("pub.pem: %+v", rep.Items)
		}
		for _, f := range []string{"r.csr", "r.der"} {
			rep = inspectJSON(t, dir, f)
			it := rep.Items
			if len(it) != 1 || it[0].Kind != "certificate_request" || it[0].Request == nil {
				t.Errorf("%s: %+v", f, it)
				continue
			}
			q := it[0].Request
			if q.Subject != "CN=csr.test" || !jsonEqual(q.SANs, []string{"DNS:csr.test"}) || q.Key != (keyInfo{"ECDSA", 256, "P-256", pin, false}) ||
				q.SignatureAlgorithm != "ECDSA-SHA256" || !q.SignatureValid {
				t.Errorf("%s: request %+v", f, q)
			}
			if (f == "r.csr") != (it[0].PEMType == "CERTIFICATE REQUEST") {
				t.Errorf("%s: pem_type %q", f, it[0].PEMType)
			}
		}
		e2etest.MustContain(t, "r.csr text", e2etest.Tlskit(t, dir, "inspect", "r.csr"), "certificate request CN=csr.test", "sans: DNS:csr.test",
			"public key: ECDSA P-256, pin "+pin, "signature: ECDSA-SHA256 (valid)")
		revSerial := strings.ToLower(after(t, e2etest.OpenSSL(t, dir, "x509", "-in", "revoked.pem", "-noout", "-serial"), "serial="))
		crlText := e2etest.OpenSSL(t, dir, "crl", "-in", "crl.pem", "-noout", "-text")
		if !strings.Contains(strings.ToLower(crlText), revSerial) {
			t.Fatalf("openssl's CRL does not list %s:\n%s", revSerial, crlText)
		}
		for _, f := range []string{"crl.pem", "crl.der"} {
			rep = inspectJSON(t, dir, f)
			it := rep.Items
			if len(it) != 1 || it[0].Kind != "crl" || it[0].CRL == nil {
				t.Errorf("%s: %+v", f, it)
				continue
			}
			c := it[0].CRL
			if c.Issuer != "O=Example,CN=full.test" || c.Number != crlNumber || c.RevokedCount != 1 ||
				c.NextUpdate.Sub(c.ThisUpdate) != 7*24*time.Hour || time.Since(c.ThisUpdate).Abs() > time.Hour {
				t.Errorf("%s: crl %+v, want issuer full.test, number %s, 1 revoked, 7 days", f, c, crlNumber)
			}
		}
		e2etest.MustContain(t, "crl.pem text", e2etest.Tlskit(t, dir, "inspect", "crl.pem"), "crl O=Example,CN=full.test", "revoked: 1", "next update:")
	})

	t.Run("pem-output", func(t *testing.T) {
		t.Parallel()
		var bundle []byte
		for _, f := range []string{"c.pem", "k.pem", "r.csr", "crl.pem", "pub.pem"} {
			bundle = append(bundle, e2etest.ReadFile(t, dir, f)...)
			bundle = append(bundle, "some text between blocks\n"...)
		}
		e2etest.WriteFile(t, dir, "mixed.pem", string(bundle))
		out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", "mixed.pem", "-o", "pem")
		if code != 0 {
			t.Fatalf("inspect mixed.pem -o pem: exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "PRIVATE KEY") {
			t.Errorf("BUG: -o pem printed a private key:\n%s", out)
		}
		var types []string
		rest := []byte(out)
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			types = append(types, b.Type)
		}
		if strings.TrimSpace(string(rest)) != "" {
			t.Errorf("-o pem: text outside PEM blocks: %q", rest)
		}
		if want := []string{"CERTIFICATE", "CERTIFICATE REQUEST", "X509 CRL", "PUBLIC KEY"}; !jsonEqual(types, want) {
			t.Errorf("-o pem: blocks %v, want %v", types, want)
		}
		// Re-encoded byte for byte.
		for typ, f := range map[string]string{"CERTIFICATE": "c.pem", "CERTIFICATE REQUEST": "r.csr", "X509 CRL": "crl.pem", "PUBLIC KEY": "pub.pem"} {
			got, want := e2etest.PEMBlocks([]byte(out), typ), e2etest.PEMBlocks(e2etest.ReadFile(t, dir, f), typ)
			if len(got) != 1 || len(want) != 1 || !bytes.Equal(got[0], want[0]) {
				t.Errorf("-o pem: %s block differs from %s", typ, f)
			}
		}
		e2etest.MustContain(t, "-o pem stderr", errOut, "mixed.pem", "private key")
		// The DER key alone: nothing on stdout, a warning on stderr.
		out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", "k.der", "-o", "pem")
		if code != 0 || out != "" || !strings.Contains(errOut, "private key") {
			t.Errorf("inspect k.der -o pem: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	// A tlskit-issued leaf and its key, for lint and match.
	e2etest.Tlskit(t, dir, "ca", "create", "--dir", "ca")
	e2etest.Tlskit(t, dir, "cert", "issue", "clean.test", "--ca-dir", "ca", "--out", "leaf.pem", "--key-out", "leaf-key.pem")

	t.Run("lint", func(t *testing.T) {
		t.Parallel()
		// SHA-1 signed leaf from openssl.
		r := e2etest.Exec(t, dir, "", nil, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-sha1", "-subj", "/CN=sha1.test", "-days", "30", "-keyout", "sha1-key.pem", "-out", "sha1.pem",
			"-addext", "subjectAltName=DNS:sha1.test", "-addext", "basicConstraints=critical,CA:FALSE")
		if r.Code != 0 {
			t.Logf("openssl refuses -sha1 here, skipping: %s", r.Stderr)
		} else {
			res := e2etest.TlskitFails(t, dir, "inspect", "sha1.pem", "--lint")
			if res.Code != 3 || !strings.Contains(res.Stderr, "weak-signature") || !strings.Contains(res.Stdout, "lint: error weak-signature") {
				t.Errorf("sha1.pem --lint: exit %d, want 3 with weak-signature\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
			}
		}
		now := time.Now()
		selfSigned(t, dir, "expired", now.Add(-60*24*time.Hour), now.Add(-30*24*time.Hour))
		res := e2etest.TlskitFails(t, dir, "inspect", "expired.pem", "--lint")
		if res.Code != 3 || !strings.Contains(res.Stderr, "expired") {
			t.Errorf("expired.pem --lint: exit %d, want 3 naming expired\nstderr:\n%s", res.Code, res.Stderr)
		}
		// JSON with the finding (exit 3 as well).
		o2, _, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, "inspect", "expired.pem", "--lint", "-o", "json")
		var rep report
		if err := json.Unmarshal([]byte(o2), &rep); err != nil || code != 3 || len(rep.Items) != 1 || len(rep.Items[0].Lint) == 0 ||
			rep.Items[0].Lint[0].ID != "expired" || rep.Items[0].Lint[0].Severity != "error" {
			t.Errorf("expired.pem --lint -o json: exit %d, %v\n%s", code, err, o2)
		}
		// A clean tlskit-issued leaf.
		out := e2etest.Tlskit(t, dir, "inspect", "leaf.pem", "--lint")
		if strings.Contains(out, "lint:") {
			t.Errorf("clean leaf has findings:\n%s", out)
		}
	})

	t.Run("match", func(t *testing.T) {
		t.Parallel()
		rep := inspectJSON(t, dir, "leaf.pem", "--match", "leaf-key.pem")
		if len(rep.Items) != 1 || rep.Items[0].KeyMatches == nil || !*rep.Items[0].KeyMatches {
			t.Errorf("leaf.pem --match leaf-key.pem: %+v", rep.Items)
		}
		rep = inspectJSON(t, dir, "c.pem", "--match", "enc.pem", "--password-file", "x.txt")
		if len(rep.Items) != 1 || rep.Items[0].KeyMatches == nil || !*rep.Items[0].KeyMatches {
			t.Errorf("c.pem --match enc.pem: %+v", rep.Items)
		}
		e2etest.MustContain(t, "--match text", e2etest.Tlskit(t, dir, "inspect", "leaf.pem", "--match", "leaf-key.pem"), "key: matches")
		res := e2etest.TlskitFails(t, dir, "inspect", "leaf.pem", "--match", "k.pem")
		if res.Code != 3 || !strings.Contains(res.Stdout, "key: does not match") {
			t.Errorf("leaf.pem --match k.pem: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
		}
		e2etest.ErrorLine(t, "--match wrong key", res, 3, "k.pem", false)
		e2etest.ErrorLine(t, "--match without key", e2etest.TlskitFails(t, dir, "inspect", "leaf.pem", "--match", "pub.pem"), 1, "pub.pem", false)
	})

	t.Run("bad-input", func(t *testing.T) {
		t.Parallel()
		e2etest.WriteFile(t, dir, "zero.pem", "")
		e2etest.WriteFile(t, dir, "garbage.bin", "this is not a certificate at all\n\x00\x01\x02")
		der := e2etest.ReadFile(t, dir, "c.der")
		e2etest.WriteFile(t, dir, "truncated.der", string(der[:len(der)/2]))
		lines := strings.Split(string(e2etest.ReadFile(t, dir, "c.pem")), "\n")
		lines[3] = "!!!!" + lines[3][4:]
		e2etest.WriteFile(t, dir, "badbase64.pem", strings.Join(lines, "\n"))
		for _, f := range []string{"zero.pem", "garbage.bin", "truncated.der", "badbase64.pem"} {
			e2etest.ErrorLine(t, f, e2etest.TlskitFails(t, dir, "inspect", f), 1, f, false)
		}
		e2etest.ErrorLine(t, "verify CSR", e2etest.TlskitFails(t, dir, "verify", "r.csr", "--ca", "c.pem"), 1, "r.csr", false)

		// 50 MB of random bytes, and the same behind a SEQUENCE header claiming ~2 GB. The
		// bytes come from ChaCha8 with a random seed: crypto/rand took 0.30 s of CPU for them,
		// ChaCha8 0.03 s.
		big := make([]byte, 50<<20)
		var seed [32]byte
		if _, err := rand.Read(seed[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := mrand.NewChaCha8(seed).Read(big); err != nil {
			t.Fatal(err)
		}
		big[0] = 'R'
		if err := os.WriteFile(filepath.Join(dir, "random.bin"), big, 0o600); err != nil {
			t.Fatal(err)
		}
		copy(big, []byte{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff})
		if err := os.WriteFile(filepath.Join(dir, "random.der"), big, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"random.bin", "random.der"} {
			start := time.Now()
			r := e2etest.TlskitFails(t, dir, "inspect", f)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("inspect %s took %v, want < 5s", f, took)
			}
			e2etest.ErrorLine(t, f, r, 1, f, false)
		}

		// The error names the file even when the file's name happens to occur in the message.
		e2etest.WriteFile(t, dir, "empty", "")
		r := e2etest.TlskitFails(t, dir, "inspect", "empty")
		if !strings.HasPrefix(r.Stderr, "tlskit: empty: ") {
			t.Errorf("BUG: an empty file named \"empty\" is not named in the error (cmd/inspect.go only prefixes the "+
				"source when the message does not already contain it as a substring): %q", r.Stderr)
		}
	})

	t.Run("live", func(t *testing.T) {
		t.Parallel()
		s := e2etest.StartServe(t, dir)
		rep := inspectJSON(t, dir, s.Addr())
		if rep.Source != s.Addr() || len(rep.Items) == 0 || rep.Items[0].Certificate == nil {
			t.Fatalf("inspect %s: %+v", s.Addr(), rep)
		}
		c := rep.Items[0].Certificate
		if !strings.Contains(c.Subject, "CN=tlskit serve (ephemeral)") {
			t.Errorf("live leaf subject %q, want CN \"tlskit serve (ephemeral)\"", c.Subject)
		}
		if c.Version != 3 || c.SHA256 == "" || c.PublicKey.SPKISHA256 == "" || rep.Items[0].PEMType != "" {
			t.Errorf("live leaf: %+v", c)
		}
		e2etest.MustContain(t, "live text", e2etest.Tlskit(t, dir, "inspect", s.Addr()), "CN=tlskit serve (ephemeral)")
	})
}

// jsonEqual compares two values by their JSON encodings.
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// TestInspectSeveralInputs checks that every input is read and reported in input order, one
// that cannot be read with its own block of text or JSON line with "error" and "source", and
// that the exit code is the worst: 1 when any could not be read, else 3 when --lint found an
// error. The certificates are made by OpenSSL, and what inspect says of them is OpenSSL's
// subject.
func TestInspectSeveralInputs(t *testing.T) {
	t.Parallel()
	peertest.NeedOpenSSL3(t)
	dir := t.TempDir()
	e2etest.OpenSSL(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=good.test",
		"-addext", "subjectAltName=DNS:good.test", "-days", "30", "-keyout", "good-key.pem", "-out", "good.pem")
	// A leaf without subjectAltName: tlskit's lint calls that an error (no-san).
	e2etest.OpenSSL(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=nosan.test",
		"-addext", "basicConstraints=critical,CA:FALSE", "-days", "30", "-keyout", "nosan-key.pem", "-out", "nosan.pem")
	e2etest.WriteFile(t, dir, "garbage.pem", "not a certificate\n")
	subject := func(file string) string {
		return strings.TrimPrefix(strings.TrimSpace(e2etest.OpenSSL(t, dir, "x509", "-in", file, "-noout", "-subject", "-nameopt", "RFC2253")), "subject=")
	}

	cases := []struct {
		name   string
		inputs []string
		lint   bool
		code   int
		last   string // the run's error line
	}{
		{"some-unreadable", []string{"good.pem", "missing.pem", "garbage.pem", "nosan.pem"}, false, 1, "tlskit: 2 of 4 inputs could not be read"},
		{"unreadable-outranks-lint", []string{"nosan.pem", "missing.pem", "good.pem"}, true, 1, "tlskit: 1 of 3 inputs could not be read"},
		{"lint-error", []string{"good.pem", "nosan.pem"}, true, 3, "tlskit: nosan.pem: certificate 0: no-san"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"inspect"}, c.inputs...)
			if c.lint {
				args = append(args, "--lint")
			}
			out, errOut, code := e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, append(args, "-o", "json")...)
			if code != c.code {
				t.Errorf("BUG: -o json: exit %d, want %d\nstderr:\n%s", code, c.code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(c.inputs) {
				t.Fatalf("BUG: -o json: %d lines for %d inputs:\n%s\nstderr:\n%s", len(lines), len(c.inputs), out, errOut)
			}
			for i, l := range lines {
				var line struct {
					report
					Error string `json:"error"`
				}
				if err := json.Unmarshal([]byte(l), &line); err != nil {
					t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
				}
				in := c.inputs[i]
				if line.Source != in {
					t.Errorf("line %d is for %q, want %q (input order)", i+1, line.Source, in)
				}
				readable := e2etest.Exists(dir, in) && in != "garbage.pem"
				switch {
				case !readable && (line.Error == "" || !strings.HasPrefix(line.Error, in+": ") || len(line.Items) > 0):
					t.Errorf("line %d (%s): error %q and %d items, want an error naming it and no items", i+1, in, line.Error, len(line.Items))
				case readable && (line.Error != "" || len(line.Items) != 1 || line.Items[0].Certificate == nil):
					t.Errorf("line %d (%s): error %q and %d items, want the certificate", i+1, in, line.Error, len(line.Items))
				case readable && line.Items[0].Certificate.Subject != subject(in):
					t.Errorf("line %d (%s): subject %q, openssl says %q", i+1, in, line.Items[0].Certificate.Subject, subject(in))
				}
			}
			if errOut == "" || !strings.HasPrefix(strings.Split(errOut, "\n")[0], c.last) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("-o json: stderr %q, want the one line %q... (each failure is in its JSON line)", errOut, c.last)
			}

			// Text: one block per input, in order; one that cannot be read says why, and warns.
			out, errOut, code = e2etest.RunTlskit(t, dir, []string{"NO_COLOR=1"}, args...)
			if code != c.code {
				t.Errorf("text: exit %d, want %d", code, c.code)
			}
			blocks := regexp.MustCompile(`(?m)^source: (\S+)`).FindAllStringSubmatch(out, -1)
			if len(blocks) != len(c.inputs) {
				t.Fatalf("BUG: text: %d blocks for %d inputs:\n%s", len(blocks), len(c.inputs), out)
			}
			for i, b := range blocks {
				if b[1] != c.inputs[i] {
					t.Errorf("text block %d is for %s, want %s", i+1, b[1], c.inputs[i])
				}
			}
			for _, in := range c.inputs {
				if !e2etest.Exists(dir, in) && !strings.Contains(errOut, "tlskit: warning: "+in+": ") {
					t.Errorf("text: no warning for %s on stderr:\n%s", in, errOut)
				}
			}
			if lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n"); !strings.HasPrefix(lines[len(lines)-1], c.last) {
				t.Errorf("text: last stderr line %q, want %q...", lines[len(lines)-1], c.last)
			}
		})
	}
}
