package cmd

import (
	"cmp"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/tlskit/tlskit/certgen"
)

func newCertCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "cert",
		Short: "Make keys, self-signed certificates, CSRs, and certificates signed by a local CA",
		Long: `Make certificates that modern clients (Chrome, Firefox, Apple, Go, OpenSSL, Python's strict
mode) accept: random 159-bit serials, SANs for every host, SKI/AKI, and key usages that match
the key type. Keys are written 0600, never over an existing file without --force, and a failed
command leaves no file behind.`,
	}
	c.AddCommand(newCertSelfsignCmd(a), newCertCSRCmd(a), newCertIssueCmd(a), newCertSignCmd(a))
	return c
}

// leafOptions are the flags every leaf-making command shares.
type leafOptions struct {
	subject subjectOptions
	keys    keyOptions
	output  outputOptions
	days    int
	client  bool
}

func (o *leafOptions) register(c *cobra.Command, reuseKey bool) {
	fs := c.Flags()
	o.subject.register(fs)
	o.keys.register(fs, reuseKey)
	o.output.defaultExtension = ".pem"
	o.output.register(fs, true, true)
	fs.IntVar(&o.days, "days", certgen.DefaultLeafDays, "validity in days")
	fs.BoolVar(&o.client, "client", false, "allow client authentication too (clientAuth extended key usage)")
}

// leafPlan is what a leaf command decided before writing anything.
type leafPlan struct {
	hosts []string
	sans  certgen.SANs
	req   certgen.LeafRequest
	key   crypto.Signer
	// newKey is true when the key was generated here and so must be written.
	newKey   bool
	warnings []certgen.Warning
	// addressCN is the first host when it is an IP address, email or URI: the CN a CA-issued
	// leaf takes unless one was given or its CA constrains DNS names (nameByAddress).
	addressCN string
}

// plan validates the request and makes or loads the key. selfSigned matters for the default
// CN: a self-signed certificate is named by its first host whatever it is; a CA-issued one
// whose first host is an IP address, email or URI is named so once its CA is known
// (nameByAddress), since under DNS name constraints OpenSSL refuses such a CN.
func (o *leafOptions) plan(a *app, hosts []string, selfSigned bool) (*leafPlan, error) {
	if err := o.output.validate(); err != nil {
		return nil, err
	}
	if err := checkDaysFlag(o.days); err != nil {
		return nil, err
	}
	sans, err := certgen.ParseHosts(hosts)
	if err != nil {
		return nil, err
	}
	kind, defaultCN, _ := certgen.ClassifyHost(hosts[0])
	var addressCN string
	if kind != "DNS" && !selfSigned {
		addressCN, defaultCN = defaultCN, ""
	}
	subject, rawSubject, err := o.subject.build(defaultCN, "")
	if err != nil {
		return nil, err
	}
	key, newKey, err := o.keys.key(a)
	if err != nil {
		return nil, err
	}
	// A CA-issued leaf's validity is checked once it is fitted into the CA's (IssueLeaf).
	var warnings []certgen.Warning
	if selfSigned {
		warnings, err = certgen.LeafPolicy(o.days, key.Public(), o.keys.allowWeak)
	} else {
		warnings, err = certgen.KeyPolicy(key.Public(), o.keys.allowWeak)
	}
	if err != nil {
		return nil, err
	}
	return &leafPlan{
		hosts: hosts, sans: sans, key: key, newKey: newKey, warnings: warnings, addressCN: addressCN,
		req: certgen.LeafRequest{SANs: sans, Subject: subject, RawSubject: rawSubject, Days: o.days, Client: o.client, Now: a.now()},
	}, nil
}

// writeLeaf writes a certificate (with its chain), its key when new, and the optional PKCS#12,
// all or nothing, then reports.
func (o *leafOptions) writeLeaf(a *app, plan *leafPlan, cert *x509.Certificate, chain []*x509.Certificate, trust string, extra []certgen.Warning) error {
	certPath, keyPath := o.output.paths(plan.hosts[0])
	m := o.output.newCertOutput("certificate", certPath, material.EncodeCertificatesPEM(append([]*x509.Certificate{cert}, chain...)...))
	if plan.newKey {
		password, err := o.keys.password()
		if err != nil {
			return err
		}
		if err := m.addKey(a, plan.key, keyPath, password); err != nil {
			return err
		}
	}
	if o.output.p12 != "" {
		password, err := readPasswordFile(o.output.p12PasswordFile, "--p12-password-file")
		if err != nil {
			return err
		}
		p12, err := pkcs12.Modern2023.WithRand(a.random).WithIterations(a.kdfIterations).
			Encode(plan.key, cert, chain, string(password))
		if err != nil {
			return fmt.Errorf("encoding PKCS#12: %w", err)
		}
		m.files = append(m.files, certgen.OutputFile{Path: o.output.p12, Data: p12, Mode: 0o600, Kind: "pkcs12"})
	}
	s := certgen.SummarizeCertificate(cert)
	s.TrustAnchor = trust
	return m.emit(a, o.output.force, s, append(plan.warnings, extra...))
}

type certSelfsignOptions struct{ leafOptions }

func newCertSelfsignCmd(a *app) *cobra.Command {
	o := &certSelfsignOptions{}
	c := &cobra.Command{
		Use:   "selfsign [HOST...]",
		Short: "Make a self-signed certificate and its key",
		Long: `Make a self-signed server certificate and a new key. HOSTs become subject alternative names
by kind: DNS names (one-label wildcards such as *.example.com, IDNs as punycode), IPv4/IPv6
addresses, email addresses and URIs. Without HOSTs: localhost, 127.0.0.1 and ::1.`,
		Example: `  tlskit cert selfsign localhost 127.0.0.1
  tlskit cert selfsign app.internal --key-type rsa-3072 --days 90 --out app.pem --key-out app-key.pem
  tlskit cert selfsign localhost --out - > localhost.pem   # key still goes to localhost-key.pem`,
		Args:        cobra.ArbitraryArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCertSelfsign(a, o, args)
		},
	}
	o.register(c, true)
	return c
}

func runCertSelfsign(a *app, o *certSelfsignOptions, hosts []string) error {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	plan, err := o.plan(a, hosts, true)
	if err != nil {
		return err
	}
	cert, err := certgen.SelfSign(a.random, plan.req, plan.key)
	if err != nil {
		return err
	}
	return o.writeLeaf(a, plan, cert, nil, "", nil)
}

// caSourceOptions locate the CA that signs: a CA directory, or certificate and key files.
type caSourceOptions struct {
	dir          string
	certFile     string
	keyFile      string
	passwordFile string
	// passwordFlag is the flag that gives passwordFile, for messages and hints:
	// --ca-key-password-file unless set (ca create --parent-dir has its own).
	passwordFlag string
	// createDefault makes the default CA when no CA is given and there is none yet (cert
	// issue, as mkcert does on first use).
	createDefault bool
}

func (o *caSourceOptions) register(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&o.dir, "ca-dir", "", "CA directory made by 'tlskit ca create' (default: the default CA directory)")
	fs.StringVar(&o.certFile, "ca-cert", "", "CA certificate file (its intermediates may follow it); use with --ca-key")
	fs.StringVar(&o.keyFile, "ca-key", "", "CA private key file; use with --ca-cert")
	fs.StringVar(&o.passwordFile, "ca-key-password-file", "", "password of an encrypted CA key")
}

// load reads the issuer and says which root clients must trust.
func (o *caSourceOptions) load(a *app) (certgen.Issuer, string, error) {
	certPath, keyPath, trust := o.certFile, o.keyFile, ""
	var settings certgen.CASettings
	switch {
	case o.dir != "" && (o.certFile != "" || o.keyFile != ""):
		return certgen.Issuer{}, "", usageErrorf("give either --ca-dir or --ca-cert with --ca-key, not both")
	case (o.certFile == "") != (o.keyFile == ""):
		return certgen.Issuer{}, "", usageErrorf("--ca-cert and --ca-key go together")
	case o.certFile == "":
		dir := o.dir
		if dir == "" {
			var err error
			if dir, err = a.defaultCADir("--ca-dir"); err != nil {
				return certgen.Issuer{}, "", err
			}
			if certPath, _, _ := certgen.CAPaths(dir); !exists(certPath) {
				if !o.createDefault {
					return certgen.Issuer{}, "", withHint(fmt.Errorf("no CA given and no default CA at %s", dir),
						"create one with 'tlskit ca create', or give --ca-dir or --ca-cert/--ca-key")
				}
				if _, err := a.ensureDefaultCA(); err != nil {
					return certgen.Issuer{}, "", err
				}
			}
		}
		var root string
		certPath, keyPath, root = certgen.CAPaths(dir)
		trust = certPath
		if _, err := os.Stat(root); err == nil {
			trust = root
		}
		var err error
		if settings, err = readCASettings(dir); err != nil {
			return certgen.Issuer{}, "", err
		}
	}
	certPEM, err := readInputFile(certPath, maxPEMFile)
	if err != nil {
		return certgen.Issuer{}, "", fmt.Errorf("CA certificate: %w", err)
	}
	keyPEM, err := readInputFile(keyPath, maxPEMFile)
	if err != nil {
		return certgen.Issuer{}, "", fmt.Errorf("CA key: %w", err)
	}
	passwordFlag := cmp.Or(o.passwordFlag, "--ca-key-password-file")
	var password []byte
	if o.passwordFile != "" {
		if password, err = readPasswordFile(o.passwordFile, passwordFlag); err != nil {
			return certgen.Issuer{}, "", err
		}
	}
	is, err := certgen.LoadIssuer(certPEM, keyPEM, password)
	if err != nil {
		if errors.Is(err, material.ErrPasswordRequired) {
			return certgen.Issuer{}, "", withHint(err, "give the CA key's password with "+passwordFlag+" FILE")
		}
		return certgen.Issuer{}, "", err
	}
	is.Settings = settings
	return is, trust, nil
}

// readCASettings reads a CA directory's ca.json; a CA made without --crl-url or --ocsp-url has
// none.
func readCASettings(dir string) (certgen.CASettings, error) {
	path := filepath.Join(dir, certgen.CASettingsFile)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return certgen.CASettings{}, nil
	}
	data, err := readInputFile(path, maxPEMFile)
	if err != nil {
		return certgen.CASettings{}, fmt.Errorf("CA settings: %w", err)
	}
	s, err := certgen.ParseCASettings(data)
	if err != nil {
		return certgen.CASettings{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

type certIssueOptions struct {
	leafOptions
	ca caSourceOptions
}

func newCertIssueCmd(a *app) *cobra.Command {
	o := &certIssueOptions{}
	c := &cobra.Command{
		Use:   "issue HOST...",
		Short: "Make a certificate and key signed by a local CA",
		Long: `Make a server certificate (and a new key, or --key to reuse one) signed by a CA made with
'tlskit ca create'. Without --ca-dir or --ca-cert it is the default CA, created first if there
is none (with a note on stderr); 'tlskit ca install' has this machine trust it. The certificate
file holds the leaf followed by any intermediates, never the root: point clients at the root
(printed as "trust") to accept it.`,
		Example: `  tlskit cert issue localhost 127.0.0.1         # from the default CA
  tlskit ca install                             # trust it here (system, browsers, Java)
  tlskit ca create --dir ./ca
  tlskit cert issue localhost 127.0.0.1 --ca-dir ./ca
  curl --cacert ./ca/ca.pem https://localhost:8443/`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCertIssue(a, o, args)
		},
	}
	o.register(c, true)
	o.ca.register(c)
	o.ca.createDefault = true
	return c
}

func runCertIssue(a *app, o *certIssueOptions, hosts []string) error {
	plan, err := o.plan(a, hosts, false)
	if err != nil {
		return err
	}
	issuer, trust, err := o.ca.load(a)
	if err != nil {
		return err
	}
	if err := o.nameByAddress(plan, append([]*x509.Certificate{issuer.Cert}, issuer.Chain...)); err != nil {
		return err
	}
	cert, warnings, err := certgen.IssueLeaf(a.random, plan.req, plan.key.Public(), issuer)
	if err != nil {
		return err
	}
	return o.writeLeaf(a, plan, cert, issuer.Chain, trust, warnings)
}

// nameByAddress gives a leaf whose first host is an IP address, email or URI that host as CN,
// as cert selfsign does, so that no certificate has an empty subject, unless a CA of the
// chain constrains names: OpenSSL checks a CN that could be a host name (digits and dots can)
// against DNS constraints and refuses the leaf (certgen likewise), while the SAN says it all.
func (o *leafOptions) nameByAddress(plan *leafPlan, chain []*x509.Certificate) error {
	if plan.addressCN == "" || plan.req.Subject.CommonName != "" {
		return nil
	}
	for _, c := range chain {
		if certgen.ConstrainsNames(c) {
			return nil
		}
	}
	subject, raw, err := o.subject.build(plan.addressCN, "")
	if err != nil {
		return err
	}
	plan.req.Subject, plan.req.RawSubject = subject, raw
	return nil
}

type certSignOptions struct {
	output    outputOptions
	ca        caSourceOptions
	days      int
	client    bool
	allowWeak bool
}

func newCertSignCmd(a *app) *cobra.Command {
	o := &certSignOptions{}
	c := &cobra.Command{
		Use:   "sign CSR_FILE",
		Short: "Sign a certificate request with a local CA",
		Long: `Sign someone's PKCS#10 request (PEM or DER; "-" reads stdin). The request's signature is
checked; only its subject and SANs are copied, never other requested extensions, and tlskit's
own server profile is applied. A request without SANs uses its CN as the one SAN.`,
		Example: `  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=app.internal -keyout app-key.pem -out app.csr
  tlskit cert sign app.csr --ca-dir ./ca --out app.pem`,
		Args:        cobra.ExactArgs(1),
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCertSign(a, o, args[0])
		},
	}
	o.output.defaultExtension = ".pem"
	o.output.register(c.Flags(), false, false)
	o.ca.register(c)
	c.Flags().IntVar(&o.days, "days", certgen.DefaultLeafDays, "validity in days")
	c.Flags().BoolVar(&o.client, "client", false, "allow client authentication too (clientAuth extended key usage)")
	weakKeyFlag(c.Flags(), &o.allowWeak, "allow a requested RSA key below 2048 bits")
	return c
}

func runCertSign(a *app, o *certSignOptions, csrPath string) error {
	if err := checkDaysFlag(o.days); err != nil {
		return err
	}
	data, err := readCSRInput(a, csrPath)
	if err != nil {
		return err
	}
	csr, err := material.ParseCSR(data)
	if err != nil {
		return fmt.Errorf("%s: %w", csrPath, err)
	}
	sans, err := certgen.SANsFromCSR(csr)
	if err != nil {
		return fmt.Errorf("%s: %w", csrPath, err)
	}
	warnings, err := certgen.KeyPolicy(csr.PublicKey, o.allowWeak)
	if err != nil {
		return fmt.Errorf("%s: %w", csrPath, err)
	}
	if dropped := certgen.UncopiedExtensions(csr); len(dropped) > 0 {
		warnings = append(warnings, certgen.Warning(fmt.Sprintf("the request asks for %s; not copied: only its subject and subject alternative names are, and the CA sets the rest (a leaf certificate)", strings.Join(dropped, ", "))))
	}
	issuer, trust, err := o.ca.load(a)
	if err != nil {
		return err
	}
	// The subject is the request's, byte for byte, as openssl x509 -req keeps it.
	req := certgen.LeafRequest{SANs: sans, Subject: csr.Subject, RawSubject: csr.RawSubject, Days: o.days, Client: o.client, Now: a.now()}
	cert, more, err := certgen.IssueLeaf(a.random, req, csr.PublicKey, issuer)
	if err != nil {
		return err
	}
	first := csr.Subject.CommonName
	if first == "" {
		first = sans.FirstHost()
	}
	certPath, _ := o.output.paths(first)
	m := o.output.newCertOutput("certificate", certPath, material.EncodeCertificatesPEM(append([]*x509.Certificate{cert}, issuer.Chain...)...))
	s := certgen.SummarizeCertificate(cert)
	s.TrustAnchor = trust
	return m.emit(a, o.output.force, s, append(warnings, more...))
}

func readCSRInput(a *app, path string) ([]byte, error) {
	if path == "-" {
		data, err := readAllLimited(a.streams.In, maxPEMFile)
		if err != nil {
			return nil, fmt.Errorf("reading request from stdin: %w", err)
		}
		return data, nil
	}
	return readInputFile(path, maxPEMFile)
}

type certCSROptions struct {
	subject subjectOptions
	keys    keyOptions
	output  outputOptions
}

func newCertCSRCmd(a *app) *cobra.Command {
	o := &certCSROptions{}
	c := &cobra.Command{
		Use:   "csr HOST...",
		Short: "Make a PKCS#10 certificate request (and a new key, or --key to reuse one)",
		Example: `  tlskit cert csr app.example.com www.app.example.com --org "Example Inc"
  tlskit cert csr app.example.com --key app-key.pem --out - | tlskit cert sign - --ca-dir ./ca`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCertCSR(a, o, args)
		},
	}
	fs := c.Flags()
	o.subject.register(fs)
	o.keys.register(fs, true)
	o.output.defaultExtension = ".csr"
	o.output.register(fs, true, false)
	return c
}

func runCertCSR(a *app, o *certCSROptions, hosts []string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	sans, err := certgen.ParseHosts(hosts)
	if err != nil {
		return err
	}
	_, defaultCN, _ := certgen.ClassifyHost(hosts[0])
	subject, rawSubject, err := o.subject.build(defaultCN, "")
	if err != nil {
		return err
	}
	key, newKey, err := o.keys.key(a)
	if err != nil {
		return err
	}
	warnings, err := certgen.LeafPolicy(certgen.DefaultLeafDays, key.Public(), o.keys.allowWeak)
	if err != nil {
		return err
	}
	csr, err := certgen.CreateCSR(a.random, subject, rawSubject, sans, key)
	if err != nil {
		return err
	}
	csrPath, keyPath := o.output.paths(hosts[0])
	m := o.output.newCertOutput("csr", csrPath, certgen.EncodeCSRPEM(csr))
	if newKey {
		password, err := o.keys.password()
		if err != nil {
			return err
		}
		if err := m.addKey(a, key, keyPath, password); err != nil {
			return err
		}
	}
	return m.emit(a, o.output.force, certgen.SummarizeCSR(csr), warnings)
}
