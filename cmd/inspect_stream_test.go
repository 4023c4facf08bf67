package cmd

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
)

// TestInspectStreamsWholeReport holds inspect's output, written an item at a time, to the bytes
// of the whole report built and then rendered at once, as inspect did before it streamed
// (wholeRunInspect below is that code): stdout, stderr and the error alike, for text (brief,
// -v, --lint, --match, colour), JSON (one document, and JSON Lines with a failed input among
// them) and PEM, on a bundle of certificates, keys (one encrypted), a request, a CRL, a block
// of unknown type, and text before, between and after the blocks.
func TestInspectStreamsWholeReport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeStreamFixtures(t, dir)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	tests := []struct {
		name   string
		output string
		color  bool
		o      inspectOptions
		args   []string
	}{
		{"text", formatText, false, inspectOptions{passwordFile: "pw"}, []string{"mixed.pem"}},
		{"text colour", formatText, true, inspectOptions{passwordFile: "pw", lint: true}, []string{"mixed.pem", "one.pem"}},
		{"text verbose", formatText, false, inspectOptions{passwordFile: "pw", verbose: true}, []string{"mixed.pem"}},
		{"text lint", formatText, false, inspectOptions{passwordFile: "pw", lint: true}, []string{"mixed.pem"}},
		{"text match", formatText, false, inspectOptions{passwordFile: "pw", verbose: true, match: "key.pem"}, []string{"mixed.pem", "one.pem"}},
		{"text no match", formatText, false, inspectOptions{match: "key.pem"}, []string{"one.pem"}},
		{"text one cert", formatText, false, inspectOptions{}, []string{"one.pem"}},
		{"text several with failure", formatText, false, inspectOptions{passwordFile: "pw"}, []string{"one.pem", "garbage.txt", "mixed.pem"}},
		{"text no password", formatText, false, inspectOptions{}, []string{"mixed.pem"}},
		{"json", formatJSON, false, inspectOptions{passwordFile: "pw", lint: true, match: "key.pem"}, []string{"mixed.pem"}},
		{"json one cert", formatJSON, false, inspectOptions{}, []string{"one.pem"}},
		{"json lines", formatJSON, false, inspectOptions{passwordFile: "pw", lint: true}, []string{"mixed.pem", "garbage.txt", "one.pem"}},
		{"json der", formatJSON, false, inspectOptions{}, []string{"one.der"}},
		{"pem", formatPEM, false, inspectOptions{passwordFile: "pw"}, []string{"mixed.pem", "one.pem"}},
		{"ech forms", formatText, false, inspectOptions{}, []string{"rr.txt", "ech.bin", "bad.pem", "ech.url"}},
		{"ech forms verbose, colour", formatText, true, inspectOptions{verbose: true}, []string{"rr.txt", "ech.pem"}},
		{"ech json lines", formatJSON, false, inspectOptions{}, []string{"rr.txt", "badrr.txt", "ech.pem"}},
		{"ech pem", formatPEM, false, inspectOptions{}, []string{"rr.txt", "ech.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(f func(context.Context, *app, *inspectOptions, []string) error) (string, string, string) {
				streams := NewTestStreams("")
				a := newApp(streams.IOStreams, func(k string) string {
					if tt.color && k == "CLICOLOR_FORCE" {
						return "1"
					}
					return ""
				}, testBuild)
				a.now = func() time.Time { return now }
				a.opts.Output = tt.output
				o := tt.o
				msg := ""
				if err := f(context.Background(), a, &o, tt.args); err != nil {
					msg = errorMessage(err)
				}
				return streams.OutBuf.String(), streams.ErrBuf.String(), msg
			}
			wantOut, wantErr, wantMsg := run(wholeRunInspect)
			gotOut, gotErr, gotMsg := run(runInspect)
			if wantOut == "" && wantMsg == "" {
				t.Fatal("the whole report is empty: the case tests nothing")
			}
			if gotOut != wantOut {
				t.Errorf("stdout differs from the whole report's\n--- streamed ---\n%s\n--- whole ---\n%s", gotOut, wantOut)
			}
			if gotErr != wantErr || gotMsg != wantMsg {
				t.Errorf("stderr %q, error %q; the whole report's: %q, %q", gotErr, gotMsg, wantErr, wantMsg)
			}
		})
	}
}

// writeStreamFixtures writes mixed.pem (a CA, two leaves, one of them expired and SHA-1 signed
// for --lint, PKCS#8, SEC1, PKCS#1 and encrypted private keys, a request, PKIX and PKCS#1 public
// keys, a CRL, an ECH key file and an unknown block, with text around them), one.pem and one.der
// (a leaf), key.pem (the first leaf's key), pw, garbage.txt, and the ECH files of echFiles.write.
func writeStreamFixtures(t *testing.T, dir string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Stream CA", Organization: []string{"Example <&>"}},
		NotBefore: start, NotAfter: start.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, MaxPathLen: 1,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, name string, key crypto.PublicKey, nb, na time.Time, signer crypto.Signer, alg x509.SignatureAlgorithm) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: nb, NotAfter: na, DNSNames: []string{name, "*." + name}, EmailAddresses: []string{"ops@" + name},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			OCSPServer: []string{"http://ocsp." + name}, CRLDistributionPoints: []string{"http://crl." + name + "/ca.crl"},
			SignatureAlgorithm: alg}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key, signer)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	leafDER := leaf(2, "svc.stream.test", leafKey.Public(), start, start.AddDate(1, 0, 0), caKey, 0)
	// Expired, RSA 1024 and SHA-1: lint errors. Signed by the CA's name with the RSA key, since
	// Go signs SHA-1 only with RSA; only lint reads it.
	rsaCA := *ca
	rsaCA.PublicKey = rsaKey.Public()
	oldDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "old.stream.test"},
		NotBefore: start.AddDate(-3, 0, 0), NotAfter: start.AddDate(-1, 0, 0), DNSNames: []string{"old.stream.test"},
		SignatureAlgorithm: x509.SHA1WithRSA}, &rsaCA, rsaKey.Public(), rsaKey)
	if err != nil && strings.Contains(err.Error(), "SHA1") {
		oldDER, err = x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "old.stream.test"},
			NotBefore: start.AddDate(-3, 0, 0), NotAfter: start.AddDate(-1, 0, 0), DNSNames: []string{"old.stream.test"}}, &rsaCA, rsaKey.Public(), rsaKey)
	}
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatal(err)
	}
	edPKCS8, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := material.EncryptPKCS8(rand.Reader, edPKCS8, []byte("pw"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "req.stream.test"},
		DNSNames: []string{"req.stream.test"}}, leafKey)
	if err != nil {
		t.Fatal(err)
	}
	pkixPub, err := x509.MarshalPKIXPublicKey(edKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(7), ThisUpdate: start, NextUpdate: start.AddDate(1, 0, 0),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(3), RevocationTime: start}}}, ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ech := makeECHFiles(t)
	ech.write(t, dir)
	block := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	mixed := strings.Join([]string{
		"Bag Attributes\n    friendlyName: stream\n",
		block("CERTIFICATE", caDER),
		"subject=CN = svc.stream.test\nissuer=CN = Stream CA\n",
		block("CERTIFICATE", leafDER),
		"\n\n# keys follow\n",
		block("PRIVATE KEY", pkcs8),
		block("EC PRIVATE KEY", sec1),
		block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)),
		"garbage \x01 between blocks\n",
		block("ENCRYPTED PRIVATE KEY", enc),
		block("CERTIFICATE REQUEST", csr),
		block("SOMETHING ELSE", []byte("not known")),
		block("PUBLIC KEY", pkixPub),
		block("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)),
		"-----END NOTHING-----\n",
		block("X509 CRL", crl),
		string(ech.keyFile), // an ECH key file's X25519 key and ECHCONFIG block
		block("CERTIFICATE", oldDER),
		"trailer without newline",
	}, "")
	files := map[string]string{
		"mixed.pem":   mixed,
		"one.pem":     block("CERTIFICATE", leafDER),
		"one.der":     string(leafDER),
		"key.pem":     block("PRIVATE KEY", pkcs8),
		"pw":          "pw\n",
		"garbage.txt": "nothing to see\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// What follows is inspect's run and rendering as they were before streaming (commit bbdb742),
// unchanged but for names: every item decoded, viewed and rendered into one report, then
// written at once.

type wholeInspectReport struct {
	Source string        `json:"source"`
	Items  []inspectItem `json:"items"`
}

func wholeRunInspect(ctx context.Context, a *app, o *inspectOptions, args []string) error {
	var opts inspect.DecodeOptions
	if o.passwordFile != "" {
		pw, err := readPasswordFile(o.passwordFile, "--password-file")
		if err != nil {
			return err
		}
		opts.Password = pw
	}
	var matchKey *inspect.Item
	if o.match != "" {
		items, err := wholeDecodeSource(ctx, a, o.match, opts)
		if err != nil {
			return fmt.Errorf("--match: %w", err)
		}
		for i := range items {
			if items[i].Kind == inspect.KindPrivateKey {
				matchKey = &items[i]
				break
			}
		}
		if matchKey == nil {
			return fmt.Errorf("--match: %s holds no private key", o.match)
		}
	}
	now := a.now()
	tally := newTargetTally("inputs could not be read", len(args))
	several := len(args) > 1
	for n, src := range args {
		items, err := wholeDecodeSource(ctx, a, src, opts)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !strings.HasPrefix(err.Error(), src+":") {
				err = fmt.Errorf("%s: %w", src, err)
			}
			if errors.Is(err, material.ErrPasswordRequired) {
				err = withHint(err, "give the password with --password-file FILE")
			}
			tally.fail(err)
			if several {
				if err := a.reportInspectFailure(src, err, n); err != nil {
					return err
				}
			}
			continue
		}
		rep := wholeInspectReport{Source: src}
		anyMatch := false
		for _, it := range items {
			item := viewItem(it, now, o.lint)
			if matchKey != nil && it.Kind == inspect.KindCertificate {
				m := inspect.KeyMatches(it.Cert, matchKey.PrivateKey)
				item.KeyMatches = &m
				anyMatch = anyMatch || m
			}
			for _, f := range item.Lint {
				if f.Severity == inspect.SeverityError {
					tally.failCheck(fmt.Errorf("%s: certificate %d: %s: %s", src, it.Index, f.ID, f.Message))
				}
			}
			rep.Items = append(rep.Items, item)
		}
		if matchKey != nil && !anyMatch {
			tally.failCheck(fmt.Errorf("the key in %s belongs to no certificate in %s", o.match, src))
		}
		if err := a.wholeWriteInspect(rep, n, len(args), o); err != nil {
			return err
		}
	}
	return tally.err()
}

func wholeDecodeSource(ctx context.Context, a *app, src string, opts inspect.DecodeOptions) ([]inspect.Item, error) {
	var data []byte
	var err error
	switch {
	case src == "-":
		data, err = readAllLimited(a.streams.In, 64<<20)
	default:
		data, err = readInputFile(src, 64<<20)
	}
	if err != nil {
		return nil, err
	}
	return inspect.DecodeContext(ctx, data, opts)
}

func (a *app) wholeWriteInspect(rep wholeInspectReport, n, total int, o *inspectOptions) error {
	switch a.opts.Output {
	case formatJSON:
		// The streamed document is held to the library's type (inspect.Report) encoded whole.
		doc := inspect.Report{Source: rep.Source}
		for _, it := range rep.Items {
			doc.Items = append(doc.Items, it.ItemReport)
		}
		if total > 1 {
			return a.writeJSONLine(doc)
		}
		return a.writeJSON(doc)
	case formatPEM:
		skipped := 0
		for _, it := range rep.Items {
			if it.raw == nil {
				if it.Kind == inspect.KindPrivateKey {
					skipped++
				}
				continue
			}
			if err := pem.Encode(a.streams.Out, &pem.Block{Type: it.pem, Bytes: it.raw}); err != nil {
				return err
			}
		}
		if skipped > 0 {
			a.warnf("%s: %d private key(s) not printed: tlskit never prints private key material", rep.Source, skipped)
		}
		return nil
	}
	var b strings.Builder
	p := a.outPalette()
	if n > 0 {
		b.WriteString("\n")
	}
	certs := 0
	for _, it := range rep.Items {
		if it.Kind == inspect.KindCertificate {
			certs++
		}
	}
	fmt.Fprintf(&b, "%s %s (%d item%s)\n", p.Bold("source:"), render.Escape(rep.Source), len(rep.Items), plural(len(rep.Items)))
	brief := certs > 1 && !o.verbose
	for _, it := range rep.Items {
		writeInspectItem(&b, p, it, brief, o.verbose)
	}
	_, err := io.WriteString(a.streams.Out, b.String())
	return err
}

// TestInspectJSONEmptyItems pins writeInspectJSON's document for no items to what the whole
// report's nil slice encodes to, indented and as a JSON line (no decoded input has no items, so
// the comparison above cannot reach it).
func TestInspectJSONEmptyItems(t *testing.T) {
	none := func(func(inspectItem) error) error { return nil }
	for _, line := range []bool{false, true} {
		var got, want bytes.Buffer
		if err := writeInspectJSON(&got, "a<b>", 0, line, none); err != nil {
			t.Fatal(err)
		}
		a := newApp(&IOStreams{Out: &want}, nil, testBuild)
		rep := inspect.Report{Source: "a<b>"}
		if line {
			a.writeJSONLine(rep)
		} else {
			a.writeJSON(rep)
		}
		if got.String() != want.String() {
			t.Errorf("line %v: %q, want %q", line, got.String(), want.String())
		}
	}
}

// Ctrl-C during a bundle's output ends stdout after a whole item: the text report ends with a
// complete certificate line, the JSON with a complete item object, the PEM with a complete
// block. Before, the buffered tail was dropped and stdout ended wherever the 64 KiB buffer
// last filled (mid-line, mid-block).
func TestInspectInterruptedEndsAtAnItem(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bundle.pem")
	writeLargeBundle(t, path, 256<<10) // about 300 certificates: several buffer fills
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := inspect.DecodeBundle(context.Background(), data, inspect.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		format string
		ends   func(string) bool
	}{
		{formatText, func(s string) bool { return strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\n\n") }},
		{formatJSON, func(s string) bool { return strings.HasSuffix(strings.TrimRight(s, " \n"), "}") }},
		{formatPEM, func(s string) bool { return strings.HasSuffix(s, "-----END CERTIFICATE-----\n") }},
	} {
		t.Run(c.format, func(t *testing.T) {
			var out bytes.Buffer
			a := newApp(&IOStreams{Out: &out, Err: io.Discard}, nil, testBuild)
			a.opts.Output = c.format
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			seen := 0
			view := func(it inspect.Item) inspectItem {
				if seen++; seen == 250 {
					cancel() // as Ctrl-C does, while item 250 is being shown
				}
				return viewItem(it, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), false)
			}
			err := a.writeInspect(ctx, path, b, view, 0, 1, &inspectOptions{verbose: true})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want the cancellation", err)
			}
			got := out.String()
			if out.Len() < 64<<10 || !c.ends(got) {
				t.Errorf("%d bytes written, ending %q: want stdout to end after a whole item", out.Len(), got[max(0, len(got)-80):])
			}
		})
	}
}
