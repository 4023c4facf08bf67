package cmd

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/certgen"
)

func newCACmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "ca",
		Short: "Manage a small local certificate authority",
	}
	c.AddCommand(newCACreateCmd(a))
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
a leaf (never the root).`,
		Example: `  tlskit ca create --dir ./ca
  tlskit ca create --dir ./ca-int --parent-dir ./ca --cn "Example Issuing CA"
  tlskit ca create --dir ./ca --name-constraint internal --name-constraint example.test
  tlskit ca create --dir ./ca --name-constraint internal --name-constraint 127.0.0.1 --name-constraint 10.0.0.0/8`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCACreate(a, o, c.Flags().Changed("path-len"))
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.dir, "dir", "", "directory for the CA (default $XDG_DATA_HOME/tlskit/ca)")
	fs.StringVar(&o.parentDir, "parent-dir", "", "make an intermediate CA signed by the CA in this directory")
	fs.StringVar(&o.parentPasswordFile, "parent-key-password-file", "", "password of the parent CA's encrypted key")
	o.subject.register(fs)
	o.keys.register(fs, false)
	fs.IntVar(&o.days, "days", certgen.DefaultCADays, "validity in days")
	fs.IntVar(&o.pathLen, "path-len", -1, "how many intermediate CAs may follow this one (default: no limit for a root, one less than the parent's, or 0, for an intermediate)")
	fs.StringArrayVar(&o.nameConstraints, "name-constraint", nil, "permit only names in this DNS domain (example.com; .example.com for subdomains only) or IP range (10.0.0.0/8, 127.0.0.1, fd00::/8); repeatable. A kind of name given no constraint is excluded: DNS constraints alone forbid every IP address, IP ranges alone every DNS name. RFC 5280 name constraints, critical")
	fs.BoolVar(&o.force, "force", false, "overwrite an existing CA in the directory")
	return c
}

func runCACreate(a *app, o *caCreateOptions, pathLenSet bool) error {
	if err := checkDaysFlag(o.days); err != nil {
		return err
	}
	if pathLenSet && o.pathLen < 0 {
		return usageErrorf("--path-len must be 0 or more")
	}
	dir, createParents := o.dir, false
	if dir == "" {
		home, _ := os.UserHomeDir()
		var err error
		if dir, err = certgen.DefaultCADir(a.getenv, runtime.GOOS, home); err != nil {
			return err
		}
		createParents = true
	}

	var parent *certgen.Issuer
	var parentRoot *x509.Certificate
	if o.parentDir != "" {
		src := caSourceOptions{dir: o.parentDir, passwordFile: o.parentPasswordFile}
		is, trustPath, err := src.load(a)
		if err != nil {
			return fmt.Errorf("parent CA: %w", err)
		}
		parent = &is
		rootPEM, err := readInputFile(trustPath, maxPEMFile)
		if err != nil {
			return fmt.Errorf("parent CA root: %w", err)
		}
		roots, err := certgen.ParseCertificates(rootPEM)
		if err != nil {
			return fmt.Errorf("parent CA root %s: %w", trustPath, err)
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
		return err
	}
	key, _, err := o.keys.key(a)
	if err != nil {
		return err
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
		return err
	}

	password, err := o.keys.password()
	if err != nil {
		return err
	}
	keyPEM, err := certgen.EncodePrivateKeyPEM(a.random, key, password)
	if err != nil {
		return err
	}
	certPath, keyPath, rootPath := certgen.CAPaths(dir)
	chain := []*x509.Certificate{cert}
	if parent != nil {
		chain = append(chain, parent.Chain...)
	}
	files := []certgen.OutputFile{
		{Path: certPath, Data: certgen.EncodeCertificatesPEM(chain...), Mode: 0o644, Kind: "certificate"},
		{Path: keyPath, Data: keyPEM, Mode: 0o600, Kind: "private key"},
	}
	trust := certPath
	if parentRoot != nil {
		files = append(files, certgen.OutputFile{Path: rootPath, Data: certgen.EncodeCertificatesPEM(parentRoot), Mode: 0o644, Kind: "root"})
		trust = rootPath
	}

	created, err := ensureCADir(dir, createParents)
	if err != nil {
		return err
	}
	if err := certgen.WriteFiles(files, o.force); err != nil {
		if created {
			_ = os.Remove(dir)
		}
		var ee *certgen.ExistsError
		if errors.As(err, &ee) {
			return withHint(err, "a CA already exists there; choose another --dir, or add --force to replace it")
		}
		return err
	}
	s := certgen.SummarizeCertificate(cert)
	s.Record(files)
	s.TrustAnchor = trust
	if password == nil {
		a.infof("note: %s is unencrypted (mode 0600); anyone who reads it can issue certificates your clients trust (--key-password-file encrypts it)", keyPath)
	}
	return a.reportSummary(s, false)
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
