package cmd

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/cmd/internal/render"
)

func newCACmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "ca",
		Short: "Manage a small local certificate authority",
	}
	c.AddCommand(newCACreateCmd(a), newCARevokeCmd(a), newCACRLCmd(a), newCAServeCmd(a),
		newCAInstallCmd(a), newCAUninstallCmd(a), newCAStatusCmd(a))
	return c
}

type caCreateOptions struct {
	dir                string
	parentDir          string
	parentPasswordFile string
	subject            subjectOptions
	keys               keyOptions
	days               int
	pathLen            int
	nameConstraints    []string
	crlURL             string
	ocspURL            string
	force              bool
}

func newCACreateCmd(a *app) *cobra.Command {
	o := &caCreateOptions{}
	c := &cobra.Command{
		Use:   "create",
		Short: "Create a local root CA, or an intermediate signed by one",
		Long: `Create a CA in a directory: ca.pem (certificate), ca-key.pem (key, 0600) and, for an
intermediate, root.pem (the root clients trust). The directory defaults to
$XDG_DATA_HOME/tlskit/ca (~/.local/share/tlskit/ca); the path is printed. With --parent-dir the
new CA is an intermediate signed by the CA there, and its ca.pem holds the chain to send after
a leaf (never the root).

--crl-url and --ocsp-url are recorded in the directory (ca.json): every certificate the CA then
issues (cert issue, cert sign, intermediates made under it) carries the CRL distribution point
and the OCSP responder URL. Publish the CRL that 'tlskit ca crl' writes at that URL.`,
		Example: `  tlskit ca create --dir ./ca
  tlskit ca create --dir ./ca-int --parent-dir ./ca --cn "Example Issuing CA"
  tlskit ca create --dir ./ca --name-constraint internal --name-constraint example.test
  tlskit ca create --dir ./ca --name-constraint internal --name-constraint 127.0.0.1 --name-constraint 10.0.0.0/8
  tlskit ca create --dir ./ca --crl-url http://crl.internal/ca.crl`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCACreate(a, o, c.Flags().Changed("path-len"))
		},
	}
	o.register(c.Flags())
	return c
}

// register adds ca create's flags, with their defaults, to fs.
func (o *caCreateOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.dir, "dir", "", "directory for the CA (default $XDG_DATA_HOME/tlskit/ca)")
	fs.StringVar(&o.parentDir, "parent-dir", "", "make an intermediate CA signed by the CA in this directory")
	fs.StringVar(&o.parentPasswordFile, "parent-key-password-file", "", "password of the parent CA's encrypted key")
	o.subject.register(fs)
	o.keys.register(fs, false)
	fs.IntVar(&o.days, "days", certgen.DefaultCADays, "validity in days")
	fs.IntVar(&o.pathLen, "path-len", -1, "how many intermediate CAs may follow this one (default: no limit for a root, one less than the parent's, or 0, for an intermediate)")
	fs.StringArrayVar(&o.nameConstraints, "name-constraint", nil, "permit only names in this DNS domain (example.com; .example.com for subdomains only) or IP range (10.0.0.0/8, 127.0.0.1, fd00::/8); repeatable. A kind of name given no constraint is excluded: DNS constraints alone forbid every IP address, IP ranges alone every DNS name. RFC 5280 name constraints, critical")
	fs.StringVar(&o.crlURL, "crl-url", "", "CRL distribution point (http://...) put into every certificate this CA issues")
	fs.StringVar(&o.ocspURL, "ocsp-url", "", "OCSP responder URL (http://...) put into every certificate this CA issues")
	fs.BoolVar(&o.force, "force", false, "overwrite an existing CA in the directory (its settings and revocations too)")
}

// defaultCACreateOptions are ca create's options with no flag given.
func defaultCACreateOptions() *caCreateOptions {
	o := &caCreateOptions{}
	o.register(pflag.NewFlagSet("ca create", pflag.ContinueOnError))
	return o
}

// settings checks the revocation URLs given to ca create.
func (o *caCreateOptions) settings() (certgen.CASettings, error) {
	var s certgen.CASettings
	var err error
	if o.crlURL != "" {
		if s.CRLURL, err = certgen.CheckRevocationURL(o.crlURL); err != nil {
			return s, usageErrorf("--crl-url: %v", err)
		}
	}
	if o.ocspURL != "" {
		if s.OCSPURL, err = certgen.CheckRevocationURL(o.ocspURL); err != nil {
			return s, usageErrorf("--ocsp-url: %v", err)
		}
	}
	return s, nil
}

func runCACreate(a *app, o *caCreateOptions, pathLenSet bool) error {
	s, m, err := createCA(a, o, pathLenSet)
	if err != nil {
		return err
	}
	return m.report(a, s, nil)
}

// createCA makes the CA o describes and writes its files; reporting it is the caller's.
func createCA(a *app, o *caCreateOptions, pathLenSet bool) (certgen.Summary, *certOutput, error) {
	fail := func(err error) (certgen.Summary, *certOutput, error) { return certgen.Summary{}, nil, err }
	if err := checkDaysFlag(o.days); err != nil {
		return fail(err)
	}
	if pathLenSet && o.pathLen < 0 {
		return fail(usageErrorf("--path-len must be 0 or more"))
	}
	settings, err := o.settings()
	if err != nil {
		return fail(err)
	}
	dir, createParents := o.dir, false
	if dir == "" {
		if u := a.sudoUser(); u != nil {
			return fail(withHint(fmt.Errorf("through sudo, the default CA directory is %s's, and a CA root made there would lock them out of it", u.Username),
				"run 'tlskit ca create' as "+u.Username+", or give --dir for root's own CA"))
		}
		if dir, err = a.defaultCADir("--dir"); err != nil {
			return fail(err)
		}
		createParents = true
	}

	var parent *certgen.Issuer
	var parentRoot *x509.Certificate
	if o.parentDir != "" {
		src := caSourceOptions{dir: o.parentDir, passwordFile: o.parentPasswordFile, passwordFlag: "--parent-key-password-file"}
		is, trustPath, err := src.load(a)
		if err != nil {
			return fail(fmt.Errorf("parent CA: %w", err))
		}
		parent = &is
		rootPEM, err := readInputFile(trustPath, maxPEMFile)
		if err != nil {
			return fail(fmt.Errorf("parent CA root: %w", err))
		}
		roots, err := material.ParseCertificates(rootPEM)
		if err != nil {
			return fail(fmt.Errorf("parent CA root %s: %w", trustPath, err))
		}
		parentRoot = roots[len(roots)-1]
	}

	depth := 0
	if parent != nil {
		depth = len(parent.Chain) + 1
	}
	defaultCN := defaultCAName(depth)
	subject, rawSubject, err := o.subject.build(defaultCN, "tlskit local CA")
	if err != nil {
		return fail(err)
	}
	key, _, err := o.keys.key(a)
	if err != nil {
		return fail(err)
	}
	req := certgen.CARequest{Subject: subject, RawSubject: rawSubject, Days: o.days, PathLen: o.pathLen, NameConstraints: o.nameConstraints, Now: a.now()}
	if !pathLenSet {
		req.PathLen = -1
	}
	var cert *x509.Certificate
	if parent == nil {
		cert, err = certgen.CreateRootCA(a.random, req, key)
	} else {
		cert, err = certgen.CreateIntermediateCA(a.random, req, key.Public(), *parent)
	}
	if err != nil {
		return fail(err)
	}

	password, err := o.keys.password()
	if err != nil {
		return fail(err)
	}
	certPath, keyPath, rootPath := certgen.CAPaths(dir)
	chain := []*x509.Certificate{cert}
	if parent != nil {
		chain = append(chain, parent.Chain...)
	}
	m := &certOutput{existsHint: "a CA already exists there; choose another --dir, or add --force to replace it"}
	m.files = append(m.files, certgen.OutputFile{Path: certPath, Data: material.EncodeCertificatesPEM(chain...), Mode: 0o644, Kind: "certificate"})
	if err := m.addKey(a, key, keyPath, password); err != nil {
		return fail(err)
	}
	trust := certPath
	if parentRoot != nil {
		m.files = append(m.files, certgen.OutputFile{Path: rootPath, Data: material.EncodeCertificatesPEM(parentRoot), Mode: 0o644, Kind: "root"})
		trust = rootPath
	}
	m.files = append(m.files, stateFiles(dir, settings)...)

	// Replacing a CA orphans everything it issued: say so once it is done.
	_, statErr := os.Stat(certPath)
	replacing := o.force && statErr == nil
	// The old root is kept beside the new CA (replaced-<fingerprint>.pem): trust stores that
	// 'tlskit ca install' gave it trust it until it is taken out, which needs the certificate.
	keptRoot := ""
	if replacing {
		if old, err := readCARoot(dir); err == nil {
			sum := sha256.Sum256(old.Raw)
			keptRoot = filepath.Join(dir, "replaced-"+hex.EncodeToString(sum[:8])+".pem")
			m.files = append(m.files, certgen.OutputFile{Path: keptRoot, Data: material.EncodeCertificatesPEM(old), Mode: 0o644, Kind: "replaced root"})
		}
	}
	created, err := ensureCADir(dir, createParents)
	if err != nil {
		return fail(err)
	}
	if err := m.write(a, o.force); err != nil {
		if created {
			_ = os.Remove(dir)
		}
		return fail(err)
	}
	if replacing {
		msg := fmt.Sprintf("replaced the CA in %s: certificates it issued before no longer verify, and clients that trusted the old CA must trust %s anew", dir, trust)
		if keptRoot != "" {
			msg += fmt.Sprintf("; the old root is kept as %s, and 'tlskit ca uninstall --ca-cert %s' takes it out of the trust stores 'tlskit ca install' put it in", keptRoot, keptRoot)
		}
		a.warnf("%s", msg)
	}
	if password == nil {
		a.infof("note: %s is unencrypted (mode 0600); anyone who reads it can issue certificates your clients trust (--key-password-file encrypts it)", keyPath)
	}
	s := certgen.SummarizeCertificate(cert)
	s.TrustAnchor = trust
	return s, m, nil
}

// stateFiles are the settings and revocation files of a new CA. Settings are written when there
// are any; and whatever a CA this one replaces (--force) left there is replaced too, so its URLs
// and revocations never apply to the new CA. Without --force, a stray file is refused like any
// other existing file.
func stateFiles(dir string, settings certgen.CASettings) []certgen.OutputFile {
	var files []certgen.OutputFile
	settingsPath := filepath.Join(dir, certgen.CASettingsFile)
	if !settings.Empty() || exists(settingsPath) {
		files = append(files, certgen.OutputFile{Path: settingsPath, Data: settings.Encode(), Mode: 0o644, Kind: "settings"})
	}
	if dbPath := filepath.Join(dir, certgen.RevocationsFile); exists(dbPath) {
		files = append(files, certgen.OutputFile{Path: dbPath, Data: certgen.EmptyRevocationDB().Encode(), Mode: 0o644, Kind: "revocations"})
	}
	return files
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// ensureCADir makes the CA directory (0700) if needed. An explicit --dir may be new, but its
// parent must exist, so a typo does not quietly build a tree somewhere unexpected.
func ensureCADir(dir string, createParents bool) (created bool, err error) {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return false, fmt.Errorf("%s exists and is not a directory", dir)
		}
		return false, nil
	}
	mk := os.Mkdir
	if createParents {
		mk = os.MkdirAll
	}
	if err := mk(dir, 0o700); err != nil {
		return false, fmt.Errorf("creating CA directory: %w", fileError(err))
	}
	return true, nil
}

// defaultCAName names a CA after who made it and where, as mkcert does, so two people's local
// CAs are told apart in a trust store. Intermediates are numbered by depth, so a child never
// carries its parent's name (which would make it look self-signed).
func defaultCAName(depth int) string {
	who := "tlskit"
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		who += "@" + h
	}
	kind := "local CA"
	if depth > 0 {
		kind = fmt.Sprintf("intermediate CA %d", depth)
	}
	name := "tlskit " + kind + " " + who
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// caDirOptions locate a CA directory for the commands that keep state in it.
type caDirOptions struct {
	dir          string
	passwordFile string
}

func (o *caDirOptions) register(c *cobra.Command, withKey bool) {
	c.Flags().StringVar(&o.dir, "ca-dir", "", "CA directory made by 'tlskit ca create' (default: the default CA directory)")
	if withKey {
		c.Flags().StringVar(&o.passwordFile, "ca-key-password-file", "", "password of an encrypted CA key")
	}
}

// resolve returns the CA directory, which must hold a CA.
func (o *caDirOptions) resolve(a *app) (string, error) {
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = a.defaultCADir("--ca-dir"); err != nil {
			return "", err
		}
	}
	certPath, _, _ := certgen.CAPaths(dir)
	if _, err := os.Stat(certPath); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			// There may well be a CA there: this user cannot see it.
			return "", fmt.Errorf("cannot read the CA in %s: %w", dir, fileError(err))
		}
		return "", withHint(fmt.Errorf("no CA in %s: %w", dir, fileError(err)), "create one with 'tlskit ca create --dir DIR', or give --ca-dir")
	}
	return dir, nil
}

// lockWait bounds how long a command waits for another run to release the CA directory.
const lockWait = 10 * time.Second

type caRevokeOptions struct {
	ca     caDirOptions
	reason string
}

func newCARevokeCmd(a *app) *cobra.Command {
	o := &caRevokeOptions{}
	c := &cobra.Command{
		Use:   "revoke CERT_FILE|SERIAL",
		Short: "Record that a certificate this CA issued is revoked",
		Long: `Record a revocation in the CA directory's revoked.json, for the next 'tlskit ca crl'. Give the
certificate (PEM or DER; its issuer and signature are checked, so a certificate of another CA
is refused) or its serial number in hex (as 'tlskit inspect' or 'openssl x509 -serial' print
it; colons allowed). A path is tried first. Revoking a certificate again changes nothing: the
first time and reason stand.

Reasons (RFC 5280): ` + strings.Join(certgen.ReasonNames(), ", ") + `; any case, with
hyphens or underscores (key-compromise). Without --reason the CRL entry has no reason code,
as RFC 5280 asks for "unspecified".`,
		Example: `  tlskit ca revoke app.pem --ca-dir ./ca --reason key-compromise
  tlskit ca revoke 3a:5f:09:c2 --ca-dir ./ca --reason superseded
  tlskit ca crl --ca-dir ./ca --out ca.crl --force`,
		Args:        cobra.ExactArgs(1),
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runCARevoke(c.Context(), a, o, args[0])
		},
	}
	o.ca.register(c, false)
	c.Flags().StringVar(&o.reason, "reason", "", "why: "+strings.Join(certgen.ReasonNames(), ", "))
	return c
}

func runCARevoke(ctx context.Context, a *app, o *caRevokeOptions, target string) error {
	reason := certgen.ReasonUnspecified
	if o.reason != "" {
		var err error
		if reason, err = certgen.ParseRevocationReason(o.reason); err != nil {
			return usageErrorf("--reason: %v", err)
		}
	}
	dir, err := o.ca.resolve(a)
	if err != nil {
		return err
	}
	caCert, err := readCACertificate(dir)
	if err != nil {
		return err
	}
	entry, err := revocationOf(a, target, caCert, reason)
	if err != nil {
		return err
	}
	var result certgen.RevokeSummary
	ctx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	err = certgen.UpdateRevocationDB(ctx, dir, func(db *certgen.RevocationDB) error {
		var added bool
		result.Revocation, added = db.Add(entry)
		result.AlreadyRevoked = !added
		if !added {
			// Nothing to write: the error only stops the update (see errUnchanged below).
			return errUnchanged
		}
		return nil
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return lockHint(err)
	}
	result.Database = filepath.Join(dir, certgen.RevocationsFile)
	if result.AlreadyRevoked {
		msg := fmt.Sprintf("%s was already revoked on %s (%s); that entry stands", result.Serial, result.RevokedAt.Format(time.RFC3339), result.Reason)
		if o.reason != "" && result.Reason != reason.String() {
			msg += fmt.Sprintf(", not %s", reason)
		}
		a.warnf("%s", msg)
	} else {
		a.infof("note: run 'tlskit ca crl' to publish a CRL that lists it")
	}
	return a.reportRevoke(result)
}

// reportRevoke prints what ca revoke recorded.
func (a *app) reportRevoke(result certgen.RevokeSummary) error {
	if a.opts.Output == formatJSON {
		return a.writeJSON(result)
	}
	fields := []render.Field{{Key: "serial", Value: result.Serial}}
	if result.Subject != "" {
		fields = append(fields, render.Field{Key: "subject", Value: result.Subject})
	}
	status := "revoked"
	if result.AlreadyRevoked {
		status = "already revoked"
	}
	fields = append(fields,
		render.Field{Key: "status", Value: status},
		render.Field{Key: "revoked_at", Value: result.RevokedAt.Format(time.RFC3339)},
		render.Field{Key: "reason", Value: result.Reason},
		render.Field{Key: "database", Value: result.Database})
	return writeFieldsOut(a, fields)
}

// errUnchanged stops an update of the revocation database that has nothing to write.
var errUnchanged = errors.New("unchanged")

// revocationOf builds the entry for a CERT_FILE or SERIAL argument. A file must be a
// certificate this CA issued; a serial is taken as given.
func revocationOf(a *app, target string, caCert *x509.Certificate, reason certgen.RevocationReason) (certgen.Revocation, error) {
	if st, err := os.Stat(target); err == nil && !st.IsDir() {
		data, err := readInputFile(target, maxPEMFile)
		if err != nil {
			return certgen.Revocation{}, err
		}
		certs, err := material.ParseCertificates(data)
		if err != nil {
			return certgen.Revocation{}, fmt.Errorf("%s: %w", target, err)
		}
		if err := certgen.CheckIssuedBy(certs[0], caCert); err != nil {
			return certgen.Revocation{}, fmt.Errorf("%s: %w", target, err)
		}
		return certgen.RevocationFor(certs[0], reason, a.now()), nil
	}
	serial, err := certgen.ParseSerial(target)
	if err != nil {
		return certgen.Revocation{}, usageErrorf("%s is not a file, and %v", target, err)
	}
	return certgen.Revocation{Serial: certgen.FormatSerial(serial), RevokedAt: a.now().UTC().Truncate(time.Second), Reason: reason.String()}, nil
}

// readCACertificate reads the CA's own certificate from its directory.
func readCACertificate(dir string) (*x509.Certificate, error) {
	certPath, _, _ := certgen.CAPaths(dir)
	data, err := readInputFile(certPath, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	certs, err := material.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", certPath, err)
	}
	return certs[0], nil
}

// lockHint says what to do about a CA directory that stays locked.
func lockHint(err error) error {
	var le *certgen.LockedError
	if errors.As(err, &le) {
		return withHint(err, "if no other tlskit is working on this CA, a run was interrupted: remove "+le.Path)
	}
	return err
}

type caCRLOptions struct {
	ca    caDirOptions
	out   string
	days  int
	der   bool
	force bool
}

func newCACRLCmd(a *app) *cobra.Command {
	o := &caCRLOptions{}
	c := &cobra.Command{
		Use:   "crl --out FILE",
		Short: "Sign a CRL of every certificate this CA has revoked",
		Long: `Sign a complete CRL listing every revocation in the CA directory, with the next CRL number
(kept in the directory: it only increases), thisUpdate now and nextUpdate --days later, and each
entry's reason code. PEM by default, --der for DER (what a CRL distribution point usually
serves). Publish it at the CA's --crl-url before nextUpdate, and run this again to renew it.`,
		Example: `  tlskit ca crl --ca-dir ./ca --out ca.crl.pem
  tlskit ca crl --ca-dir ./ca --out /srv/www/ca.crl --der --days 30 --force
  openssl crl -in ca.crl.pem -CAfile ./ca/ca.pem -noout`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCACRL(c.Context(), a, o)
		},
	}
	o.ca.register(c, true)
	fs := c.Flags()
	fs.StringVar(&o.out, "out", "", "write the CRL here (required)")
	fs.IntVar(&o.days, "days", certgen.DefaultCRLDays, "days until nextUpdate")
	fs.BoolVar(&o.der, "der", false, "write DER instead of PEM")
	fs.BoolVar(&o.force, "force", false, "overwrite an existing file")
	return c
}

func runCACRL(ctx context.Context, a *app, o *caCRLOptions) error {
	if o.out == "" {
		return usageErrorf("--out is required")
	}
	if o.out == "-" {
		return usageErrorf("--out -: write the CRL to a file")
	}
	if o.days < 1 || o.days > certgen.MaxCRLDays {
		return usageErrorf("--days must be between 1 and %d, not %d", certgen.MaxCRLDays, o.days)
	}
	// Refuse an existing file before a CRL number is spent on it.
	if exists(o.out) && !o.force {
		return crlWriteError(&certgen.ExistsError{Path: o.out, Kind: "crl"})
	}
	dir, err := o.ca.resolve(a)
	if err != nil {
		return err
	}
	issuer, _, err := (&caSourceOptions{dir: dir, passwordFile: o.ca.passwordFile}).load(a)
	if err != nil {
		return err
	}
	if err := certgen.CheckCanSignCRL(issuer); err != nil {
		return err
	}

	// The number is taken and stored before the CRL is signed and written: a run that fails
	// after this skips a number, which RFC 5280 allows, where reusing one is not.
	var db certgen.RevocationDB
	lockCtx, cancel := context.WithTimeout(ctx, lockWait)
	defer cancel()
	err = certgen.UpdateRevocationDB(lockCtx, dir, func(d *certgen.RevocationDB) error {
		d.CRLNumber++
		db = *d
		return nil
	})
	if err != nil {
		return lockHint(err)
	}
	crl, err := certgen.CreateCRL(a.random, issuer, certgen.CRLRequest{Number: db.CRLNumber, Now: a.now(), Days: o.days, Revoked: db.Revoked})
	if err != nil {
		return err
	}
	data, format := certgen.EncodeCRLPEM(crl.Raw), "pem"
	if o.der {
		data, format = crl.Raw, "der"
	}
	files := []certgen.OutputFile{{Path: o.out, Data: data, Mode: 0o644, Kind: "crl"}}
	if err := certgen.WriteFiles(files, o.force); err != nil {
		return crlWriteError(err)
	}
	s := certgen.SummarizeCRL(crl, format)
	s.Record(files)
	if crl.NextUpdate.After(issuer.Cert.NotAfter) {
		s.Warnings = append(s.Warnings, fmt.Sprintf("the CRL's next update, %s, is after the CA expires (%s)",
			crl.NextUpdate.UTC().Format(time.RFC3339), issuer.Cert.NotAfter.UTC().Format(time.RFC3339)))
	}
	return a.reportCRL(s)
}

// reportCRL prints what ca crl wrote.
func (a *app) reportCRL(s certgen.CRLSummary) error {
	for _, w := range s.Warnings {
		a.warnf("%s", w)
	}
	if a.opts.Output == formatJSON {
		return a.writeJSON(s)
	}
	var fields []render.Field
	for _, f := range s.Files {
		fields = append(fields, render.Field{Key: f.Kind, Value: f.Path})
	}
	next := s.NextUpdate.Format(time.RFC3339) + " (" + relativeDays(s.NextUpdate.Sub(a.now())) + ")"
	return writeFieldsOut(a, append(fields,
		render.Field{Key: "issuer", Value: s.Issuer},
		render.Field{Key: "crl number", Value: fmt.Sprint(s.Number)},
		render.Field{Key: "this update", Value: s.ThisUpdate.Format(time.RFC3339)},
		render.Field{Key: "next update", Value: next},
		render.Field{Key: "revoked", Value: fmt.Sprint(s.Revoked)},
		render.Field{Key: "format", Value: s.Format},
	))
}

// crlWriteError adds the --force hint to a refusal to overwrite a CRL.
func crlWriteError(err error) error {
	var ee *certgen.ExistsError
	if errors.As(err, &ee) {
		return withHint(err, "choose another --out, or add --force to replace it")
	}
	return err
}

// writeFieldsOut prints fields on stdout, laid out as reportSummary lays them out.
func writeFieldsOut(a *app, fields []render.Field) error {
	for i := range fields {
		fields[i].Key = strings.ReplaceAll(fields[i].Key, "_", " ")
	}
	return render.WriteFields(a.streams.Out, fields, render.FieldStyle{Key: a.outPalette().Dim})
}

// sudoUser is the user who ran tlskit through sudo, when this is a root process sudo started
// for someone else (and XDG_DATA_HOME was not kept): `sudo tlskit ca install` means that
// user's default CA, not root's, which sudo's HOME=/root would give.
func (a *app) sudoUser() *user.User {
	name := a.getenv("SUDO_USER")
	if name == "" || name == "root" || os.Geteuid() != 0 || a.getenv("XDG_DATA_HOME") != "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil || u.HomeDir == "" {
		return nil
	}
	return u
}

// defaultCADir is the default CA directory of this user; flag is the one that gives another,
// named in the hint when there is no home to find it in.
func (a *app) defaultCADir(flag string) (string, error) {
	home, _ := os.UserHomeDir()
	if u := a.sudoUser(); u != nil {
		home = u.HomeDir
	}
	dir, err := certgen.DefaultCADir(a.getenv, runtime.GOOS, home)
	if errors.Is(err, certgen.ErrNoHome) {
		return "", withHint(err, "give "+flag)
	}
	return dir, err
}
