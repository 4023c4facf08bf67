package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/certgen/truststore"
	"github.com/tlskit/tlskit/inspect/material"
)

// caTrustOptions are the flags of ca install, uninstall and status.
type caTrustOptions struct {
	caDir  string
	caCert string
	stores []string
	sudo   bool
}

func (o *caTrustOptions) register(c *cobra.Command, changes bool) {
	fs := c.Flags()
	fs.StringVar(&o.caDir, "ca-dir", "", "CA directory made by 'tlskit ca create' (default: the default CA directory)")
	fs.StringVar(&o.caCert, "ca-cert", "", "a root certificate file instead of a CA directory (a CA replaced since, whose old root is still trusted)")
	fs.StringSliceVar(&o.stores, "store", nil, "trust stores, comma-separated: "+strings.Join(truststore.Names, ", ")+" (default: every store found on this machine)")
	if changes {
		fs.BoolVar(&o.sudo, "sudo", false, "run the system store's tools (and keytool on a keystore this user cannot write) through sudo, which may ask for your password")
	}
}

const caTrustStores = `Stores:
  system  the system's trust (Debian/Ubuntu/Alpine: /usr/local/share/ca-certificates and
          update-ca-certificates; Fedora/RHEL: /etc/pki/ca-trust/source/anchors and
          update-ca-trust; Arch: trust extract-compat; openSUSE): curl, OpenSSL, Python, Go,
          wget and most programs; needs root. macOS: the System keychain, trusted as an SSL
          root (security add-trusted-cert; needs root, and macOS may confirm in a dialog).
          Windows: the current user's Root store (certutil.exe -user; Windows asks you to
          confirm)
  nss     every NSS database of this user: Chromium and Chrome (~/.pki/nssdb) and each Firefox
          profile, through certutil (Debian: libnss3-tools)
  java    the JDK's cacerts (JAVA_HOME, or the JDK of keytool on PATH), through keytool

Each store has its own line: installed, already installed, removed, not installed, trusted, not
trusted, not found or failed (with why and what to do). A store that fails does not stop the
others. The certificate is found by its SHA-256 fingerprint, never by its name, and uninstall
removes only what install added.`

func newCAInstallCmd(a *app) *cobra.Command {
	o := &caTrustOptions{}
	c := &cobra.Command{
		Use:   "install",
		Short: "Trust the local CA in this machine's trust stores (system, NSS, Java)",
		Long: `Add the CA's root certificate (never its key, never an intermediate) to this machine's trust
stores, so curl, browsers and Java trust the certificates it issues with no flags. Without
--ca-dir it is the default CA, created first if there is none (with a note on stderr).

` + caTrustStores + `

Installing twice is harmless. Exit 0 when every store asked for (or found) has the CA, 1 when
any failed; the others are still done.`,
		Example: `  tlskit ca install                      # the default CA, into every store found
  tlskit ca install --sudo               # the system's tools through sudo, the rest as you
  tlskit ca install --store nss,java --ca-dir ./ca`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCATrust(c.Context(), a, o, truststore.Install)
		},
	}
	o.register(c, true)
	return c
}

func newCAUninstallCmd(a *app) *cobra.Command {
	o := &caTrustOptions{}
	c := &cobra.Command{
		Use:   "uninstall",
		Short: "Take the local CA out of the trust stores that tlskit installed it in",
		Long: `Remove the CA's root certificate from the trust stores, where 'tlskit ca install' put it: only
tlskit's own entry (its file, nickname or alias, holding this certificate), never anyone
else's. A store that still trusts the CA through another entry says so. The macOS System
keychain and the Windows Root store give an entry no name tlskit can own: there uninstall takes
this certificate (by its fingerprint) out, whoever put it there.

` + caTrustStores + `

Exit 0 when every store is done, 1 when any failed.`,
		Example: `  tlskit ca uninstall
  tlskit ca uninstall --sudo`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCATrust(c.Context(), a, o, truststore.Uninstall)
		},
	}
	o.register(c, true)
	return c
}

func newCAStatusCmd(a *app) *cobra.Command {
	o := &caTrustOptions{}
	c := &cobra.Command{
		Use:   "status",
		Short: "Say, store by store, whether this machine trusts the local CA",
		Long: `Check each trust store for the CA's root certificate by its SHA-256 fingerprint: the system's
bundle (what OpenSSL and curl read), each NSS database (trusted for TLS servers), the JDK's
cacerts.

` + caTrustStores + `

Exit 0 when every store asked for (or found) trusts the CA, 3 when one does not, 1 when a
store could not be read.`,
		Example: `  tlskit ca status
  tlskit ca status --store system -o json`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			return runCATrust(c.Context(), a, o, truststore.Status)
		},
	}
	o.register(c, false)
	return c
}

// trustLine is one store's JSON line: its result and the CA it is about.
type trustLine struct {
	truststore.Result
	CA       string `json:"ca"`
	CASHA256 string `json:"ca_sha256"`
}

func runCATrust(ctx context.Context, a *app, o *caTrustOptions, action truststore.Action) error {
	for _, s := range o.stores {
		if !isKnownStore(s) {
			return usageErrorf("--store: unknown store %q (known: %s)", s, strings.Join(truststore.Names, ", "))
		}
	}
	if o.caCert != "" && o.caDir != "" {
		return usageErrorf("give either --ca-dir or --ca-cert, not both")
	}
	root, from, err := a.trustRoot(o, action)
	if err != nil {
		return err
	}
	ca, err := truststore.NewCA(root)
	if err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	results, err := truststore.Do(ctx, truststore.Options{Getenv: a.getenv, Sudo: o.sudo}, action, ca, o.stores)
	if err != nil {
		return err
	}
	explicit := len(o.stores) > 0
	if err := a.reportTrust(ca, results); err != nil {
		return err
	}
	failed, untrusted := 0, 0
	for _, r := range results {
		switch {
		case r.Outcome == truststore.NotTrusted, action == truststore.Status && explicit && r.Outcome == truststore.NotFound:
			// A store asked about that is not here does not trust the CA either.
			untrusted++
		case truststore.Failure(r, explicit):
			failed++
		}
	}
	switch {
	case len(results) == 0:
		return withHint(errors.New("no trust store found on this machine"), "name one with --store "+strings.Join(truststore.Names, ","))
	case failed > 0:
		return saidOnStdout(fmt.Errorf("%d of %d trust store lines failed", failed, len(results)))
	case untrusted > 0:
		return saidOnStdout(checkFailed(fmt.Errorf("%d of %d trust store lines do not trust %s", untrusted, len(results), ca.Cert.Subject.CommonName)))
	}
	return nil
}

func isKnownStore(s string) bool {
	for _, n := range truststore.Names {
		if s == n {
			return true
		}
	}
	return false
}

// trustRoot is the root certificate the action is about, and where it came from: --ca-cert,
// else the CA of --ca-dir or the default one (which install creates when there is none).
func (a *app) trustRoot(o *caTrustOptions, action truststore.Action) (*x509.Certificate, string, error) {
	if o.caCert != "" {
		certs, err := readCertFile(a, "--ca-cert", o.caCert)
		if err != nil {
			return nil, "", err
		}
		return certs[len(certs)-1], o.caCert, nil
	}
	dir, err := a.trustedCADir(o.caDir, action == truststore.Install)
	if err != nil {
		return nil, "", err
	}
	root, err := readCARoot(dir)
	return root, dir, err
}

// trustedCADir is --ca-dir, else the default CA, which install creates when there is none.
func (a *app) trustedCADir(flag string, create bool) (string, error) {
	if flag != "" || !create {
		return (&caDirOptions{dir: flag}).resolve(a)
	}
	return a.ensureDefaultCA()
}

// ensureDefaultCA returns the default CA's directory, creating the CA there (with ca create's
// defaults, and a note on stderr) when there is none yet, as mkcert does on first use.
func (a *app) ensureDefaultCA() (string, error) {
	dir, err := a.defaultCADir("--ca-dir")
	if err != nil {
		return "", err
	}
	certPath, _, _ := certgen.CAPaths(dir)
	if _, err := os.Stat(certPath); err == nil {
		return dir, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		// There may well be a CA there that this user cannot see: never make one over it.
		return "", fmt.Errorf("cannot read the CA in %s: %w", dir, fileError(err))
	}
	if u := a.sudoUser(); u != nil {
		// Made by root in the user's home, the CA's files would be root's: the user could not
		// read its key afterwards.
		return "", withHint(fmt.Errorf("no default CA in %s, and tlskit running through sudo does not make one in %s's home", dir, u.Username),
			"make it as "+u.Username+" first ('tlskit ca create'), or run 'tlskit ca install --sudo' as "+u.Username)
	}
	// With no --dir, ca create makes the default directory and its parents.
	s, _, err := createCA(a, defaultCACreateOptions(), false)
	if err != nil {
		var ee *certgen.ExistsError
		if errors.As(err, &ee) && exists(certPath) {
			return dir, nil // another run made it first
		}
		return "", fmt.Errorf("creating the default CA: %w", err)
	}
	a.infof("created the local CA %q in %s", s.Subject, dir)
	return dir, nil
}

// readCARoot is the root certificate of the CA in dir: root.pem for an intermediate CA, else
// its own certificate. The key is never read.
func readCARoot(dir string) (*x509.Certificate, error) {
	certPath, _, rootPath := certgen.CAPaths(dir)
	path := certPath
	if exists(rootPath) {
		path = rootPath
	}
	data, err := readInputFile(path, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	certs, err := material.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("CA certificate %s: %w", path, err)
	}
	return certs[len(certs)-1], nil
}

// outcomeWords are the text layout's words for each outcome.
var outcomeWords = map[truststore.Outcome]string{
	truststore.Installed:        "installed",
	truststore.AlreadyInstalled: "already installed",
	truststore.Removed:          "removed",
	truststore.NotInstalled:     "not installed",
	truststore.Trusted:          "trusted",
	truststore.NotTrusted:       "not trusted",
	truststore.NotFound:         "not found",
	truststore.Failed:           "failed",
}

// reportTrust prints one line per store: JSON Lines with -o json, else a line naming the CA and
// an aligned line per store (with its hint indented below it).
func (a *app) reportTrust(ca truststore.CA, results []truststore.Result) error {
	if a.opts.Output == formatJSON {
		for _, r := range results {
			if err := a.writeJSONLine(trustLine{Result: r, CA: ca.Cert.Subject.String(), CASHA256: ca.Fingerprint}); err != nil {
				return err
			}
		}
		return nil
	}
	pal := a.outPalette()
	var b strings.Builder
	// The subject is the file's: a control character in it must not reach the terminal.
	fmt.Fprintf(&b, "CA %s, SHA-256 %s\n", sanitizeLine(ca.Cert.Subject.String()), material.Fingerprint(ca.Cert))
	for _, r := range results {
		word := outcomeWords[r.Outcome]
		styled := pal.Good(word)
		switch r.Outcome {
		case truststore.Failed, truststore.NotTrusted:
			styled = pal.Bad(word)
		case truststore.NotFound, truststore.NotInstalled:
			styled = pal.Dim(word)
		}
		line := fmt.Sprintf("%-7s %s%s", r.Store, styled, strings.Repeat(" ", 19-len(word)))
		where := r.Location
		if r.Detail != "" {
			if where != "" {
				where += ": "
			}
			where += r.Detail
		}
		fmt.Fprintf(&b, "%s%s\n", line, sanitizeLine(where))
		if r.Hint != "" {
			fmt.Fprintf(&b, "        %s %s\n", pal.Dim("hint:"), sanitizeLine(r.Hint))
		}
	}
	_, err := fmt.Fprint(a.streams.Out, b.String())
	return err
}
