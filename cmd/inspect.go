package cmd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

type inspectOptions struct {
	passwordFile string
	match        string
	verbose      bool
	lint         bool
}

func newInspectCmd(a *app) *cobra.Command {
	o := &inspectOptions{}
	c := &cobra.Command{
		Use:   "inspect FILE|-|HOST:PORT...",
		Short: "Show what any certificate material is: certificates, requests, keys, CRLs, PKCS#12, ECH configs, a live chain",
		Long: `Read certificates, certificate requests, private and public keys, CRLs and PKCS#12 files, as
PEM (any number of blocks, text around them) or DER, from files, stdin ("-") or a live server
(HOST:PORT fetches the chain it sends), and show what they are. Private key material is never
printed: keys are described by type, size and public-key pin.

Encrypted Client Hello configurations (an ECHConfigList, RFC 9849) are read from an ECH key
file's ECHCONFIG block (RFC 9934: the key is described, never printed), from the list's bytes or
base64 of them, and from the ech= of DNS HTTPS or SVCB records (a zone-file line, dig's output):
each config's version, id, KEM, public key, cipher suites, public name and extensions.

A bundle of several certificates is shown one line per certificate unless -v. --lint adds
findings (exit 3 when any is an error); --match KEYFILE says which certificate a key belongs to
(exit 3 when none). -o json gives every field; -o pem re-encodes what was read (never private
keys; an ECHConfigList as an ECHCONFIG block).`,
		Example: `  tlskit inspect cert.pem
  tlskit inspect /etc/ssl/certs/ca-certificates.crt
  tlskit inspect bundle.p12 --password-file pw.txt
  tlskit inspect example.com:443 --lint
  tlskit inspect cert.pem --match key.pem
  tlskit inspect ech.pem
  dig +short HTTPS example.com | tlskit inspect -`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: networkCommand(quickCommand(outputFormats(formatText, formatJSON, formatPEM))),
		RunE: func(c *cobra.Command, args []string) error {
			return runInspect(c.Context(), a, o, args)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.passwordFile, "password-file", "", "password for encrypted keys and PKCS#12 files")
	fs.StringVar(&o.match, "match", "", "say whether the private key in this file belongs to each certificate")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "show every field of every certificate, also in bundles (and long ECH public keys whole)")
	fs.BoolVar(&o.lint, "lint", false, "check certificates against what clients accept (exit 3 on an error finding)")
	return c
}

// inspectItem is one item as inspect shows it: its report (inspect.ItemReport, what -o json
// writes) and, for -o pem, its DER and PEM block type.
type inspectItem struct {
	inspect.ItemReport

	raw []byte // DER, for -o pem
	pem string // block type for -o pem
}

func runInspect(ctx context.Context, a *app, o *inspectOptions, args []string) error {
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
		b, err := decodeSource(ctx, a, o.match, opts)
		if err != nil {
			return fmt.Errorf("--match: %w", err)
		}
		errFound := errors.New("found")
		err = b.Each(ctx, func(it inspect.Item) error {
			if it.Kind != inspect.KindPrivateKey {
				return nil
			}
			matchKey = &it
			return errFound
		})
		if err != nil && !errors.Is(err, errFound) {
			return err
		}
		if matchKey == nil {
			return fmt.Errorf("--match: %s holds no private key", o.match)
		}
	}
	now := a.now()
	tally := newTargetTally("inputs could not be read", len(args))
	several := len(args) > 1
	for n, src := range args {
		b, err := decodeSource(ctx, a, src, opts)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // interrupted: the rest would be too
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
		// Each item is viewed, judged and written before the next is decoded: a bundle's items
		// are never all in memory at once (docs/architecture.md).
		anyMatch := false
		view := func(it inspect.Item) inspectItem {
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
			return item
		}
		if err := a.writeInspect(ctx, src, b, view, n, len(args), o); err != nil {
			return err
		}
		if matchKey != nil && !anyMatch {
			tally.failCheck(fmt.Errorf("the key in %s belongs to no certificate in %s", o.match, src))
		}
	}
	return tally.err()
}

// reportInspectFailure gives one of several inputs that could not be read its place in the
// output: a JSON line with error, or its own block of text (none with -o pem) and a warning.
func (a *app) reportInspectFailure(src string, err error, index int) error {
	var werr error
	switch a.opts.Output {
	case formatJSON:
		return a.writeJSONLine(targetFailure{Source: src, Error: errorMessage(err)})
	case formatPEM:
	default:
		p := a.outPalette()
		gap := ""
		if index > 0 {
			gap = "\n"
		}
		_, werr = fmt.Fprintf(a.streams.Out, "%s%s %s\n  %s %s\n", gap, p.Bold("source:"), render.Escape(src), p.Bad("failed:"), strings.TrimPrefix(errorMessage(err), src+": "))
	}
	if werr != nil {
		return werr
	}
	a.warnTarget(err)
	return nil
}

// decodeSource reads one input: stdin, a file, or a live server's chain. The input is checked
// whole before anything of it is shown, so a bad block anywhere shows nothing but the error.
func decodeSource(ctx context.Context, a *app, src string, opts inspect.DecodeOptions) (*inspect.Bundle, error) {
	var data []byte
	var err error
	switch {
	case src == "-":
		data, err = readAllLimited(a.streams.In, 64<<20)
	default:
		if _, statErr := os.Stat(src); statErr != nil && looksLikeHost(src) {
			return fetchChain(ctx, a, src)
		}
		data, err = readInputFile(src, 64<<20)
	}
	if err != nil {
		return nil, err
	}
	return inspect.DecodeBundle(ctx, data, opts)
}

// looksLikeHost reports whether an argument that is not a file names a server.
func looksLikeHost(s string) bool {
	if !strings.Contains(s, ":") || strings.ContainsAny(s, `/\`) && !strings.Contains(s, "://") {
		return false
	}
	_, err := connect.ParseTarget(s, 443)
	return err == nil
}

func fetchChain(ctx context.Context, a *app, src string) (*inspect.Bundle, error) {
	t, err := connect.ParseTarget(src, 443)
	if err != nil {
		return nil, err
	}
	res, err := handshake.Run(ctx, handshake.Options{Target: t, Timeout: a.opts.Timeout, Now: a.now})
	if err != nil {
		if res == nil || len(res.PeerCertificates) == 0 {
			return nil, handshakeError(err)
		}
		// The server sent its whole chain and refused afterwards: the chain is what was asked
		// for, so it is shown, and the refusal is a warning (inspect has no --cert to offer).
		a.warnf("%s: %s; its chain is shown as it was sent", src, refusalAfterChain(res, err))
	}
	var items []inspect.Item
	for i, c := range res.PeerCertificates {
		items = append(items, inspect.Item{Kind: inspect.KindCertificate, Index: i, Cert: c, PublicKey: c.PublicKey})
	}
	if len(items) == 0 {
		return nil, errors.New("the server sent no certificate")
	}
	return inspect.NewBundle(items), nil
}

// refusalAfterChain says why a server refused a handshake after sending its chain.
func refusalAfterChain(res *handshake.Result, err error) string {
	if ca := res.ClientAuth; ca != nil && ca.Requested && !ca.CertificateSent {
		return "the server asked for a client certificate and refused the handshake without one"
	}
	return "the handshake failed after the server sent its chain (" + errorMessage(handshakeError(err)) + ")"
}

func viewItem(it inspect.Item, now time.Time, lint bool) inspectItem {
	v := inspectItem{ItemReport: inspect.DescribeItem(it, now, lint)}
	switch it.Kind {
	case inspect.KindCertificate:
		v.raw, v.pem = it.Cert.Raw, "CERTIFICATE"
	case inspect.KindCertificateRequest:
		v.raw, v.pem = it.CSR.Raw, "CERTIFICATE REQUEST"
	case inspect.KindPublicKey:
		if der, err := x509.MarshalPKIXPublicKey(it.PublicKey); err == nil {
			v.raw, v.pem = der, "PUBLIC KEY"
		}
	case inspect.KindCRL:
		v.raw, v.pem = it.CRL.Raw, "X509 CRL"
	case inspect.KindECHConfigList:
		// As an ECH key file holds it (RFC 9934), whatever form it was read from.
		v.raw, v.pem = it.ECH.Raw, "ECHCONFIG"
	}
	return v
}

// writeInspect writes one input's report, an item at a time: view turns each item into what is
// shown. The bytes are those of the whole report rendered at once (TestInspectStreamsWholeReport).
func (a *app) writeInspect(ctx context.Context, src string, b *inspect.Bundle, view func(inspect.Item) inspectItem, n, total int, o *inspectOptions) error {
	// Buffered because a bundle's brief listing is a short write per certificate; flushed before
	// returning, so that stdout is complete before anything goes to stderr after it.
	w := bufio.NewWriterSize(a.streams.Out, 64<<10)
	defer func() {
		if ctx.Err() != nil {
			// Interrupted between two items: what is buffered ends with a whole one, so stdout
			// stops at an item's end rather than wherever the buffer last filled.
			w.Flush()
		}
	}()
	each := func(f func(inspectItem) error) error {
		return b.Each(ctx, func(it inspect.Item) error { return f(view(it)) })
	}
	var err error
	switch a.opts.Output {
	case formatJSON:
		if err = writeInspectJSON(w, src, b.Len(), total > 1, each); err == nil {
			err = w.Flush()
		}
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("writing JSON: %w", err)
		}
		return err
	case formatPEM:
		skipped := 0
		err = each(func(it inspectItem) error {
			if it.raw == nil {
				if it.Kind == inspect.KindPrivateKey {
					skipped++
				}
				return nil
			}
			return pem.Encode(w, &pem.Block{Type: it.pem, Bytes: it.raw})
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			return err
		}
		if skipped > 0 {
			a.warnf("%s: %d private key(s) not printed: tlskit never prints private key material", src, skipped)
		}
		return nil
	}
	p := a.outPalette()
	if n > 0 {
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "%s %s (%d item%s)\n", p.Bold("source:"), render.Escape(src), b.Len(), plural(b.Len()))
	brief := b.Count(inspect.KindCertificate) > 1 && !o.verbose
	err = each(func(it inspectItem) error {
		writeInspectItem(w, p, it, brief, o.verbose)
		// A failed write sticks to w, and Write returns it: stop decoding what cannot be shown.
		_, err := w.Write(nil)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	return err
}

// writeInspectJSON writes one input's JSON document, an inspect.Report of count items, indented
// as writeJSON does, or, as one line among several inputs, compact as writeJSONLine does. Each
// item is encoded on its own, which gives the same bytes as encoding the whole Report:
// indentation depends only on depth.
func writeInspectJSON(w io.Writer, src string, count int, line bool, each func(func(inspectItem) error) error) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	open, sep, end := "{\n  \"source\": %s,\n  \"items\": [\n    ", ",\n    ", "\n  ]\n}\n"
	if line {
		open, sep, end = "{\"source\":%s,\"items\":[", ",", "]}\n"
	} else {
		enc.SetIndent("    ", "  ")
	}
	encode := func(v any) ([]byte, error) {
		buf.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
	}
	source, err := encode(src)
	if err != nil {
		return err
	}
	if count == 0 {
		// What the whole report's nil slice encodes to; a decoded input always has an item.
		format := "{\n  \"source\": %s,\n  \"items\": null\n}\n"
		if line {
			format = "{\"source\":%s,\"items\":null}\n"
		}
		_, err := fmt.Fprintf(w, format, source)
		return err
	}
	if _, err := fmt.Fprintf(w, open, source); err != nil {
		return err
	}
	first := true
	err = each(func(it inspectItem) error {
		if !first {
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
		}
		first = false
		data, err := encode(it.ItemReport)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, end)
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// writeInspectItem writes one item's text: brief is a bundle's one line per certificate,
// verbose shows long values (an ECH public key) whole.
func writeInspectItem(b io.Writer, p palette, it inspectItem, brief, verbose bool) {
	esc := render.Escape
	field := func(k, v string) { fmt.Fprintf(b, "  %s %s\n", p.Dim(k+":"), esc(v)) }
	list := func(k string, vs []string) {
		if len(vs) > 0 {
			field(k, strings.Join(vs, ", "))
		}
	}
	origin := ""
	if it.FromPKCS12 {
		origin = " (from PKCS#12)"
	}
	switch {
	case it.Certificate != nil:
		c := it.Certificate
		left := validityLeft(c.DaysLeft)
		if c.DaysLeft < 0 {
			left = p.Bad(left)
		}
		if brief {
			fmt.Fprintf(b, "[%d] %s | until %s (%s) | %s\n", it.Index, esc(c.Subject), c.NotAfter.Format("2006-01-02"), left, c.SHA256[:23])
			writeFindings(b, p, it)
			return
		}
		fmt.Fprintf(b, "[%d] %s%s %s\n", it.Index, p.Bold("certificate"), origin, esc(c.Subject))
		writeCertificateFields(b, p, c, left)
		field("sha256", c.SHA256)
		field("sha1", c.SHA1)
		if it.KeyMatches != nil {
			if *it.KeyMatches {
				fmt.Fprintf(b, "  %s %s\n", p.Dim("key:"), p.Good("matches"))
			} else {
				fmt.Fprintf(b, "  %s %s\n", p.Dim("key:"), p.Bad("does not match"))
			}
		}
		writeFindings(b, p, it)
	case it.Request != nil:
		r := it.Request
		fmt.Fprintf(b, "[%d] %s %s\n", it.Index, p.Bold("certificate request"), esc(r.Subject))
		list("sans", r.SANs)
		field("public key", describeKeyLine(r.Key))
		field("signature", fmt.Sprintf("%s (%s)", r.SignatureAlgorithm, map[bool]string{true: "valid", false: "INVALID"}[r.SignatureValid]))
		list("requested extensions", r.RequestedExtensions)
	case it.Key != nil:
		kind := "public key"
		if it.Key.Private {
			kind = "private key"
			if it.Encrypted {
				kind = "private key (encrypted)"
			}
		}
		fmt.Fprintf(b, "[%d] %s%s %s\n", it.Index, p.Bold(kind), origin, describeKeyLine(*it.Key))
	case it.CRL != nil:
		c := it.CRL
		fmt.Fprintf(b, "[%d] %s %s\n", it.Index, p.Bold("crl"), esc(c.Issuer))
		field("this update", c.ThisUpdate.Format(time.RFC3339))
		if !c.NextUpdate.IsZero() {
			field("next update", c.NextUpdate.Format(time.RFC3339))
		}
		field("revoked", fmt.Sprint(c.RevokedCount))
	case it.ECHConfigList != nil:
		writeECHConfigList(b, p, it, verbose)
	}
}

// writeECHConfigList writes an ECHConfigList: a line for the list, then each config, its
// fields indented under it; a config of a version other than RFC 9849's is one line saying it
// is skipped, as clients skip it.
func writeECHConfigList(b io.Writer, p palette, it inspectItem, verbose bool) {
	esc := render.Escape
	l := it.ECHConfigList
	from := ""
	if l.Owner != "" {
		from = " from the DNS record of " + esc(l.Owner)
	}
	fmt.Fprintf(b, "[%d] %s (%d config%s, %d bytes)%s\n", it.Index, p.Bold("ech config list"), len(l.Configs), plural(len(l.Configs)), l.Length, from)
	field := func(k, v string) { fmt.Fprintf(b, "    %s %s\n", p.Dim(k+":"), v) }
	for i, c := range l.Configs {
		head := p.Dim(fmt.Sprintf("config %d:", i))
		if !c.Supported {
			fmt.Fprintf(b, "  %s version %s, %s (%d bytes)\n", head, c.Version, p.Warn("unknown: skipped"), c.Length)
			continue
		}
		fmt.Fprintf(b, "  %s version %s (RFC 9849)\n", head, c.Version)
		field("config id", fmt.Sprint(c.ConfigID))
		field("kem", fmt.Sprintf("%s (0x%04x)", esc(c.KEM), c.KEMID))
		field("public key", echPublicKey(c.PublicKey, verbose))
		var suites []string
		for _, s := range c.CipherSuites {
			suites = append(suites, s.KDF+" + "+s.AEAD)
		}
		field("cipher suites", esc(strings.Join(suites, ", ")))
		field("public name", esc(c.PublicName))
		maxName := fmt.Sprint(c.MaximumNameLength)
		if c.MaximumNameLength == 0 {
			maxName += " (not given)"
		}
		field("maximum name length", maxName)
		exts := "none"
		if len(c.Extensions) > 0 {
			var list []string
			for _, e := range c.Extensions {
				s := fmt.Sprintf("0x%04x (%d byte%s", e.Type, e.Length, plural(e.Length))
				if e.Mandatory {
					s += ", " + p.Warn("mandatory")
				}
				list = append(list, s+")")
			}
			exts = strings.Join(list, ", ")
		}
		field("extensions", exts)
	}
}

// echPublicKey is an ECH config's public key in hex: whole up to 32 bytes (an X25519 key), or
// with -v; otherwise its first 16 bytes and its size (-o json has it whole).
func echPublicKey(h string, verbose bool) string {
	if n := len(h) / 2; n > 32 && !verbose {
		return fmt.Sprintf("%s... (%d bytes)", h[:32], n)
	}
	return h
}

// Extensions whose contents writeCertificateFields shows as fields of their own.
const (
	oidSAN             = "2.5.29.17"
	oidKeyUsage        = "2.5.29.15"
	oidExtKeyUsage     = "2.5.29.37"
	oidBasicConstraint = "2.5.29.19"
	oidSubjectKeyID    = "2.5.29.14"
	oidAuthorityKeyID  = "2.5.29.35"
	oidAIA             = "1.3.6.1.5.5.7.1.1"
	oidCRLDP           = "2.5.29.31"
	oidPolicies        = "2.5.29.32"
	oidSCTList         = "1.3.6.1.4.1.11129.2.4.2"
	oidNameConstraints = "2.5.29.30"
)

// writeCertificateFields writes a certificate's fields from its issuer to its public key and
// extensions. A field that comes from a critical extension says "(critical)"; every extension
// not shown as a field is listed on an "extensions:" line by name (or OID), so that none goes
// unseen, and one Go does not handle says so.
func writeCertificateFields(b io.Writer, p palette, c *inspect.CertificateDetails, left string) {
	esc := render.Escape
	exts := map[string]inspect.ExtensionInfo{}
	for _, e := range c.Extensions {
		exts[e.OID] = e
	}
	shown := map[string]bool{}
	// from marks the field as showing extension oid, and says so when it is critical.
	from := func(oid string) string {
		shown[oid] = true
		if exts[oid].Critical {
			return " " + p.Warn("(critical)")
		}
		return ""
	}
	field := func(k, v, oid string) {
		mark := ""
		if oid != "" {
			mark = from(oid)
		}
		fmt.Fprintf(b, "  %s %s%s\n", p.Dim(k+":"), esc(v), mark)
	}
	list := func(k string, vs []string, oid string) {
		if len(vs) > 0 {
			field(k, strings.Join(vs, ", "), oid)
		}
	}
	field("issuer", c.Issuer, "")
	field("serial", c.Serial, "")
	fmt.Fprintf(b, "  %s %s to %s (%s)\n", p.Dim("validity:"), c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339), left)
	var sans []string
	sans = append(sans, c.DNSNames...)
	sans = append(sans, c.IPAddresses...)
	sans = append(sans, c.EmailAddresses...)
	sans = append(sans, c.URIs...)
	list("sans", sans, oidSAN)
	field("public key", c.Key+", pin "+c.PublicKey.SPKISHA256, "")
	field("signature", c.SignatureAlgorithm, "")
	list("key usage", c.KeyUsage, oidKeyUsage)
	list("extended key usage", c.ExtKeyUsage, oidExtKeyUsage)
	if bc := c.BasicConstraints; bc != nil {
		v := "CA:FALSE"
		if bc.CA {
			v = "CA:TRUE"
			if bc.PathLen != nil {
				v += fmt.Sprintf(", path length %d", *bc.PathLen)
			}
		}
		field("basic constraints", v, oidBasicConstraint)
	}
	if c.SubjectKeyID != "" {
		field("subject key id", c.SubjectKeyID, oidSubjectKeyID)
	}
	if c.AuthorityKeyID != "" {
		field("authority key id", c.AuthorityKeyID, oidAuthorityKeyID)
	}
	list("ocsp", c.OCSPServers, oidAIA)
	list("ca issuers", c.CAIssuers, oidAIA)
	list("crl", c.CRLDistributionPoints, oidCRLDP)
	list("policies", c.Policies, oidPolicies)
	for _, s := range c.SCTs {
		field("sct", s.LogID+" at "+s.Timestamp.Format(time.RFC3339), oidSCTList)
	}
	if nc := c.NameConstraints; nc != nil {
		list("permitted names", append(append([]string{}, nc.PermittedDNS...), nc.PermittedIPRanges...), oidNameConstraints)
		list("excluded names", append(append([]string{}, nc.ExcludedDNS...), nc.ExcludedIPRanges...), oidNameConstraints)
	}
	var rest []string
	for _, e := range c.Extensions {
		if shown[e.OID] {
			continue
		}
		name := e.OID
		if e.Name != "" {
			name = e.Name + " (" + e.OID + ")"
		}
		switch {
		case e.Unhandled:
			name += " " + p.Bad("(critical, not understood: verifiers refuse the certificate)")
		case e.Critical:
			name += " " + p.Warn("(critical)")
		}
		rest = append(rest, name)
	}
	if len(rest) > 0 {
		fmt.Fprintf(b, "  %s %s\n", p.Dim("extensions:"), strings.Join(rest, ", "))
	}
}

func describeKeyLine(k inspect.KeyDetails) string {
	return material.KeyAlgorithm{Type: k.Type, Bits: k.Bits, Curve: k.Curve}.String() + ", pin " + k.SPKISHA256
}

func writeFindings(b io.Writer, p palette, it inspectItem) {
	for _, f := range it.Lint {
		sev := f.Severity
		switch sev {
		case inspect.SeverityError:
			sev = p.Bad(sev)
		case inspect.SeverityWarning:
			sev = p.Warn(sev)
		}
		fmt.Fprintf(b, "  %s %s %s: %s\n", p.Dim("lint:"), sev, f.ID, render.Escape(f.Message))
	}
}
