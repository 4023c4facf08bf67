package cmd

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/acme"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/certgen/acmeclient"
	"github.com/tlskit/tlskit/inspect/material"
)

func newACMECmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "acme",
		Short: "Get a certificate from an ACME certificate authority (Let's Encrypt, ZeroSSL, step-ca)",
	}
	c.AddCommand(newACMEIssueCmd(a), newACMERenewCmd(a), newACMERevokeCmd(a))
	return c
}

// acmeCAOptions say which CA: its directory and the trust for its TLS certificate.
type acmeCAOptions struct {
	server   string
	serverCA string
}

func (o *acmeCAOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.server, "server", "letsencrypt", "ACME directory URL, or letsencrypt (the default: Let's Encrypt production), letsencrypt-staging, zerossl")
	fs.StringVar(&o.serverCA, "server-ca", "", "trust this CA file for the ACME server's own TLS certificate (Pebble, step-ca), besides the system roots")
}

// acmeSession is what talking to one CA needs: its directory, the HTTP client, the account.
type acmeSession struct {
	directory string
	client    *http.Client
	account   *acmeclient.Account
	created   bool
}

// open resolves the CA and loads this user's account for it (with create, a key is made when
// there is none, but nothing is asked of the CA).
func (o *acmeCAOptions) open(a *app, create bool) (*acmeSession, error) {
	directory, err := o.directoryURL()
	if err != nil {
		return nil, err
	}
	client, err := a.acmeHTTPClient(o.serverCA)
	if err != nil {
		return nil, err
	}
	base, err := a.acmeDataDir()
	if err != nil {
		return nil, err
	}
	dir, err := acmeclient.AccountDir(base, directory)
	if err != nil {
		return nil, usageErrorf("--server: %v", err)
	}
	if !create && !exists(filepath.Join(dir, "account-key.pem")) {
		return &acmeSession{directory: directory, client: client}, nil
	}
	account, created, err := acmeclient.LoadAccount(dir, directory)
	if err != nil {
		return nil, err
	}
	if created {
		a.infof("acme: new account key %s", filepath.Join(dir, "account-key.pem"))
	}
	return &acmeSession{directory: directory, client: client, account: account, created: created}, nil
}

type acmeIssueOptions struct {
	keys        keyOptions
	output      outputOptions
	ca          acmeCAOptions
	email       string
	agreeTOS    bool
	eabKID      string
	eabHMACFile string
	profile     string
	challenge   string
	httpPort    int
	webroot     string
	tlsPort     int
	dnsHook     string
	dnsResolver string
	dnsWait     time.Duration
	hookTimeout time.Duration
	csrFile     string
	httpAddress string
	flags       *pflag.FlagSet // which flags were given: a challenge's own flag given for another is refused
}

func newACMEIssueCmd(a *app) *cobra.Command {
	o := &acmeIssueOptions{}
	c := &cobra.Command{
		Use:   "issue NAME...",
		Short: "Get a certificate for NAMEs from an ACME CA, proving control with a challenge",
		Long: `Get a certificate from a certificate authority that speaks ACME (RFC 8555): Let's Encrypt,
ZeroSSL, Google Trust Services, step-ca, Pebble. The account is made on first use and kept under
$XDG_DATA_HOME/tlskit/acme/<directory host>/ (its key 0600); --agree-tos accepts the CA's terms,
whose URL is printed. Each name (a DNS name, or an IP address where the CA offers it) is
proved with the --challenge:

  http-01      the CA fetches http://NAME/.well-known/acme-challenge/TOKEN: tlskit answers on
               --http-port (80 unless told; the CA always asks port 80, so forward it there)
               or writes the token file under --webroot DIR for the web server that is there
               (and removes it after)
  tls-alpn-01  the CA connects to NAME:443 with TLS and ALPN acme-tls/1: tlskit answers on
               --tls-port (443 unless told; forward 443 to it)
  dns-01       the CA looks up the TXT record _acme-challenge.NAME: --dns-hook CMD adds it
               (and removes it after) at your DNS provider, run by the shell with
               TLSKIT_ACME_ACTION (add, remove), TLSKIT_ACME_DOMAIN, TLSKIT_ACME_RECORD and
               TLSKIT_ACME_VALUE in its environment; tlskit then waits until the record is seen
               (through --dns-resolver, else the system's resolver), up to --dns-wait. The only
               challenge for wildcard names (*.example.com).

The certificate (with the CA's intermediates) and a new key are written like cert issue does:
all or nothing, the key 0600, never over an existing file without --force. Progress is on
stderr, one line per step; a refused authorization shows the CA's problem document.`,
		Example: `  tlskit acme issue example.com www.example.com --email me@example.com --agree-tos
  tlskit acme issue example.com --webroot /var/www/html --server letsencrypt-staging
  tlskit acme issue app.test --server https://127.0.0.1:14000/dir --server-ca pebble.minica.pem --http-port 5002`,
		Args:        cobra.ArbitraryArgs,
		Annotations: networkCommand(outputFormats(formatText, formatJSON)),
		RunE: func(c *cobra.Command, names []string) error {
			return runACMEIssue(c.Context(), a, o, names)
		},
	}
	fs := c.Flags()
	o.ca.register(fs)
	o.register(fs)
	fs.StringVar(&o.csrFile, "csr", "", "finalize with this CSR (PEM or DER; its names are the certificate's, and its key stays yours) instead of a new key")
	o.keys.register(fs, true)
	o.output.defaultExtension = ".pem"
	o.output.register(fs, true, false)
	return c
}

// register adds the account and challenge flags acme issue and renew share.
func (o *acmeIssueOptions) register(fs *pflag.FlagSet) {
	o.flags = fs
	fs.StringVar(&o.email, "email", "", "contact address for a new account")
	fs.BoolVar(&o.agreeTOS, "agree-tos", false, "agree to the CA's terms of service (needed to make an account at a CA that has terms)")
	fs.StringVar(&o.eabKID, "eab-kid", "", "external account binding key ID, from the CA (ZeroSSL, Google, some private CAs)")
	fs.StringVar(&o.eabHMACFile, "eab-hmac-file", "", "file holding the external account binding HMAC key (base64url, as the CA gives it)")
	fs.StringVar(&o.profile, "profile", "", "certificate profile the CA offers (e.g. shortlived)")
	fs.StringVar(&o.challenge, "challenge", acmeclient.HTTP01, "how to prove control of each name: http-01, tls-alpn-01 or dns-01")
	fs.IntVar(&o.httpPort, "http-port", 80, "port the http-01 answer listens on (standalone)")
	fs.StringVar(&o.webroot, "webroot", "", "with http-01: write the answer under this document root instead of listening")
	fs.StringVar(&o.httpAddress, "http-address", "", "address the http-01 and tls-alpn-01 answers listen on (default: every address of this machine)")
	fs.IntVar(&o.tlsPort, "tls-port", 443, "port the tls-alpn-01 answer listens on")
	fs.StringVar(&o.dnsHook, "dns-hook", "", "with dns-01: command (run by the shell) that adds and removes the TXT record")
	fs.StringVar(&o.dnsResolver, "dns-resolver", "", "with dns-01: DNS server (HOST:PORT) to check the record with, instead of the system's resolver")
	fs.DurationVar(&o.dnsWait, "dns-wait", acmeclient.DefaultPropagationWait, "with dns-01: how long to wait for the record to be seen")
	fs.DurationVar(&o.hookTimeout, "dns-hook-timeout", acmeclient.DefaultHookTimeout, "with dns-01: how long each run of --dns-hook may take")
}

// directoryURL is --server: a short name or a URL.
func (o *acmeCAOptions) directoryURL() (string, error) {
	if u, ok := acmeclient.Directories[o.server]; ok {
		return u, nil
	}
	if !strings.HasPrefix(o.server, "https://") && !strings.HasPrefix(o.server, "http://") {
		names := make([]string, 0, len(acmeclient.Directories))
		for n := range acmeclient.Directories {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", usageErrorf("--server: expected an ACME directory URL (https://...) or one of %s", strings.Join(names, ", "))
	}
	return o.server, nil
}

func runACMEIssue(ctx context.Context, a *app, o *acmeIssueOptions, names []string) error {
	switch {
	case o.csrFile == "" && len(names) == 0:
		return usageErrorf("give the NAMEs to certify, or --csr FILE")
	case o.csrFile != "" && len(names) > 0:
		return usageErrorf("with --csr the names are the CSR's: give no NAME")
	case o.csrFile != "" && (o.keys.keyFile != "" || o.keys.flags.Changed("key-type") || o.keys.passwordFile != ""):
		return usageErrorf("--csr carries its own key: --key, --key-type and --key-password-file are for a request tlskit makes")
	}
	if err := o.output.validate(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	// The session (and a new account's key) once the challenge's listener is open: obtain.
	return o.obtain(ctx, a, nil, names, "", o.output)
}

// beforeOrder judges what can be judged of an order for names before the CA is asked (the
// names against the challenge, the files it would replace) and reads the external account
// binding, if any.
func (o *acmeIssueOptions) beforeOrder(names []string, out outputOptions) (*acme.ExternalAccountBinding, error) {
	if err := o.checkNames(names); err != nil {
		return nil, err
	}
	if err := o.refuseExisting(out, names[0]); err != nil {
		return nil, err
	}
	if o.eabKID == "" {
		return nil, nil
	}
	return readEAB(o.eabKID, o.eabHMACFile)
}

// refuseExisting refuses, before the CA is asked, to overwrite what out would replace without
// --force: a certificate issued and then not written would count against the CA's rate
// limits for nothing. first is the first name, which names the files by default.
func (o *acmeIssueOptions) refuseExisting(out outputOptions, first string) error {
	if out.force {
		return nil
	}
	certPath, keyPath := out.paths(first)
	for _, p := range []string{certPath, keyPath} {
		if p != "" && p != "-" && exists(p) && (p != keyPath || o.csrFile == "" && o.keys.keyFile == "") {
			return withHint(fmt.Errorf("%s exists", p), "choose another --out/--key-out, or add --force to replace it")
		}
	}
	return nil
}

// check judges the flags before anything is read or asked.
func (o *acmeIssueOptions) check() error {
	switch o.challenge {
	case acmeclient.HTTP01, acmeclient.TLSALPN01:
	case acmeclient.DNS01:
		if o.dnsHook == "" {
			return usageErrorf("--challenge dns-01 needs --dns-hook CMD, which adds and removes the TXT record")
		}
	default:
		return usageErrorf("--challenge must be http-01, tls-alpn-01 or dns-01")
	}
	if o.webroot != "" && o.challenge != acmeclient.HTTP01 {
		return usageErrorf("--webroot is for http-01")
	}
	if o.dnsHook != "" && o.challenge != acmeclient.DNS01 {
		return usageErrorf("--dns-hook is for --challenge dns-01")
	}
	if o.tlsPort < 1 || o.tlsPort > 65535 {
		return usageErrorf("--tls-port must be 1 to 65535")
	}
	if o.dnsWait <= 0 || o.hookTimeout <= 0 {
		return usageErrorf("--dns-wait and --dns-hook-timeout must be greater than zero")
	}
	if _, err := o.ca.directoryURL(); err != nil {
		return err
	}
	if o.httpPort < 1 || o.httpPort > 65535 {
		return usageErrorf("--http-port must be 1 to 65535")
	}
	if o.httpAddress != "" && net.ParseIP(o.httpAddress) == nil {
		return usageErrorf("--http-address must be an IP address of this machine")
	}
	if (o.eabKID == "") != (o.eabHMACFile == "") {
		return usageErrorf("--eab-kid and --eab-hmac-file go together")
	}
	if o.dnsResolver != "" {
		if _, port, err := net.SplitHostPort(o.dnsResolver); err != nil || port == "" {
			return usageErrorf("--dns-resolver must be HOST:PORT (e.g. 127.0.0.1:53), not %q", o.dnsResolver)
		}
	}
	if err := o.checkChallengeFlags(); err != nil {
		return err
	}
	if o.webroot != "" {
		// Judged now: a webroot that is not there would fail only after the CA made the order.
		if st, err := os.Stat(o.webroot); err != nil || !st.IsDir() {
			return usageErrorf("--webroot %s: not a directory (give the document root the web server serves)", o.webroot)
		}
	}
	return nil
}

// checkChallengeFlags refuses a challenge's own flag given for another challenge, which would
// otherwise be parsed and do nothing.
func (o *acmeIssueOptions) checkChallengeFlags() error {
	listener := o.challenge == acmeclient.TLSALPN01 || o.challenge == acmeclient.HTTP01 && o.webroot == ""
	for _, f := range []struct {
		name, isFor string
		applies     bool
	}{
		{"http-port", "http-01 answered by tlskit's own listener (not --webroot)", o.challenge == acmeclient.HTTP01 && o.webroot == ""},
		{"http-address", "the http-01 and tls-alpn-01 listeners (not --webroot or dns-01)", listener},
		{"tls-port", "--challenge tls-alpn-01", o.challenge == acmeclient.TLSALPN01},
		{"dns-resolver", "--challenge dns-01", o.challenge == acmeclient.DNS01},
		{"dns-wait", "--challenge dns-01", o.challenge == acmeclient.DNS01},
		{"dns-hook-timeout", "--challenge dns-01", o.challenge == acmeclient.DNS01},
	} {
		if !f.applies && o.flags != nil && o.flags.Changed(f.name) {
			return usageErrorf("--%s is for %s, not --challenge %s", f.name, f.isFor, o.challenge)
		}
	}
	return nil
}

// checkNames refuses, before the CA is asked, the names the challenge cannot prove: a wildcard
// needs dns-01 (RFC 8555 7.1.3), an IP address cannot have dns-01 (RFC 8738 7).
func (o *acmeIssueOptions) checkNames(names []string) error {
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "*.") && o.challenge != acmeclient.DNS01:
			return withHint(usageErrorf("%s: a wildcard name can only be proved with dns-01", n), "use --challenge dns-01 --dns-hook CMD")
		case net.ParseIP(n) != nil && o.challenge == acmeclient.DNS01:
			return withHint(usageErrorf("%s: an IP address cannot be proved with dns-01", n), "use --challenge http-01 or tls-alpn-01")
		}
	}
	return nil
}

// obtain gets a certificate for names (replacing the certificate of CertID replaces, when
// renewing; sess nil opens this user's session once the challenge can be answered) and
// writes it and its key where out says: the key and the CSR first, so nothing is
// asked of the CA for a request that cannot be made; the files only once the CA issued.
func (o *acmeIssueOptions) obtain(ctx context.Context, a *app, sess *acmeSession, names []string, replaces string, out outputOptions) error {
	if o.csrFile != "" {
		return o.obtainForCSR(ctx, a, sess, out)
	}
	sans, err := certgen.ParseHosts(names)
	if err != nil {
		return err
	}
	if len(sans.EmailAddresses) > 0 || len(sans.URIs) > 0 {
		return usageErrorf("ACME certifies DNS names and IP addresses, not email addresses or URIs")
	}
	eab, err := o.beforeOrder(names, out)
	if err != nil {
		return err
	}
	key, newKey, err := o.keys.key(a)
	if err != nil {
		return err
	}
	warnings, err := certgen.KeyPolicy(key.Public(), o.keys.allowWeak)
	if err != nil {
		return err
	}
	csr, err := certgen.CreateCSR(a.random, certgenSubject(names[0]), nil, sans, key)
	if err != nil {
		return err
	}
	res, err := o.order(ctx, a, sess, eab, names, replaces, csr.Raw)
	if err != nil {
		return err
	}
	plan := &leafPlan{hosts: names, key: key, newKey: newKey, warnings: warnings}
	leafOut := leafOptions{keys: o.keys, output: out}
	return leafOut.writeLeaf(a, plan, res.Chain[0], res.Chain[1:], "", nil)
}

// order runs the order for names with the CSR, the challenge's solver open for it.
func (o *acmeIssueOptions) order(ctx context.Context, a *app, sess *acmeSession, eab *acme.ExternalAccountBinding, names []string, replaces string, csrDER []byte) (*acmeclient.Result, error) {
	solver, closeSolver, err := o.solver(a)
	if err != nil {
		return nil, err
	}
	defer closeSolver()
	if sess == nil || sess.account == nil {
		// Only now: a port in use must not leave an account key behind.
		if sess, err = o.ca.open(a, true); err != nil {
			return nil, err
		}
	}
	if acct := sess.account; acct != nil && acct.URL != "" {
		// Registered already: these only shape a new account, and ACME keeps the old one's.
		if o.email != "" && o.email != acct.Email {
			a.warnf("acme: --email %s ignored: the account %s exists (with %s)", o.email, acct.URL, orNone(acct.Email))
		}
		if eab != nil {
			a.warnf("acme: --eab-kid ignored: the account %s exists and is bound already", acct.URL)
		}
	}
	res, err := acmeclient.Issue(ctx, acmeclient.Options{
		Directory: sess.directory, HTTPClient: sess.client, Account: sess.account, Email: o.email, AgreeTOS: o.agreeTOS,
		EAB: eab, Profile: o.profile, Replaces: replaces, Solver: solver, UserAgent: "tlskit/" + a.build.Version,
		Progress: func(s acmeclient.Step) { a.infof("acme: %s: %s", s.What, s.Detail) },
	}, acmeclient.Identifiers(names), csrDER)
	if err != nil {
		return nil, acmeError(err)
	}
	return res, nil
}

// obtainForCSR gets a certificate for the user's own CSR: its names, its key (which tlskit
// never sees), only the certificate written.
func (o *acmeIssueOptions) obtainForCSR(ctx context.Context, a *app, sess *acmeSession, out outputOptions) error {
	data, err := readCSRInput(a, o.csrFile)
	if err != nil {
		return err
	}
	csr, err := material.ParseCSR(data)
	if err != nil {
		return fmt.Errorf("%s: %w", o.csrFile, err)
	}
	names := append([]string{}, csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: the CSR names no DNS name or IP address (ACME CAs take the names from its SANs)", o.csrFile)
	}
	if len(csr.EmailAddresses) > 0 || len(csr.URIs) > 0 {
		return fmt.Errorf("%s: the CSR asks for email addresses or URIs, which ACME does not certify", o.csrFile)
	}
	warnings, err := certgen.KeyPolicy(csr.PublicKey, o.keys.allowWeak)
	if err != nil {
		return fmt.Errorf("%s: %w", o.csrFile, err)
	}
	eab, err := o.beforeOrder(names, out)
	if err != nil {
		return err
	}
	res, err := o.order(ctx, a, sess, eab, names, "", csr.Raw)
	if err != nil {
		return err
	}
	plan := &leafPlan{hosts: names, warnings: warnings}
	leafOut := leafOptions{keys: o.keys, output: out}
	return leafOut.writeLeaf(a, plan, res.Chain[0], res.Chain[1:], "", nil)
}

// solver is the challenge's solver, its listener open (so a port in use fails before the CA is
// asked), and what closes it.
func (o *acmeIssueOptions) solver(a *app) (acmeclient.Solver, func(), error) {
	switch o.challenge {
	case acmeclient.TLSALPN01:
		s := &acmeclient.TLSALPNSolver{Addr: net.JoinHostPort(o.httpAddress, strconv.Itoa(o.tlsPort))}
		if err := s.Listen(); err != nil {
			return nil, nil, withHint(err, "free the port, or choose another with --tls-port (and forward port 443 to it)")
		}
		return s, func() { s.Close() }, nil
	case acmeclient.DNS01:
		return &acmeclient.DNSHookSolver{Hook: o.dnsHook, Resolver: o.dnsResolver, Wait: o.dnsWait, HookTimeout: o.hookTimeout,
			Progress: func(msg string) { a.infof("acme: dns-01: %s", msg) }}, func() {}, nil
	}
	s := &acmeclient.HTTPSolver{Addr: net.JoinHostPort(o.httpAddress, strconv.Itoa(o.httpPort)), Webroot: o.webroot}
	if err := s.Listen(); err != nil {
		return nil, nil, withHint(err, "free the port, choose another with --http-port (and forward port 80 to it), or use --webroot DIR")
	}
	return s, func() { s.Close() }, nil
}

// certgenSubject is the CSR's subject: the first name as CN, as certbot and lego ask (CAs
// take the names from the SANs; Let's Encrypt copies a CN that is one of them).
func certgenSubject(first string) pkix.Name {
	n := pkix.Name{}
	if len(first) <= 64 {
		n.CommonName = first
	}
	return n
}

// acmeError attaches the next step to the errors a user can act on.
func acmeError(err error) error {
	var te *acmeclient.TermsError
	var ae *acmeclient.AuthorizationError
	switch {
	case errors.As(err, &te):
		return withHint(err, "read them, then run again with --agree-tos")
	case errors.As(err, &ae):
		switch ae.Challenge {
		case acmeclient.DNS01:
			return withHint(err, "the CA did not see the TXT record: check the hook's provider, and give --dns-wait more time")
		case acmeclient.TLSALPN01:
			return withHint(err, "the CA could not see the answer: check that the name resolves to this machine and that the CA reaches port 443")
		}
		return withHint(err, "the CA could not see the answer: check that the name resolves to this machine and that the CA reaches it (port 80 for http-01)")
	}
	return err
}

// acmeHTTPClient talks to the CA: the system roots plus --server-ca, --timeout per request.
func (a *app) acmeHTTPClient(serverCA string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if serverCA != "" {
		pool, _, err := readRoots(a, "--server-ca", serverCA)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	timeout := a.opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// acmeDataDir is where ACME accounts are kept: beside the default CA, $XDG_DATA_HOME/tlskit/acme.
func (a *app) acmeDataDir() (string, error) {
	dir, err := a.defaultCADir("--server")
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(dir), "acme"), nil
}

// readEAB reads the external account binding's HMAC key (base64url, as CAs hand it out).
func readEAB(kid, file string) (*acme.ExternalAccountBinding, error) {
	data, err := readPasswordFile(file, "--eab-hmac-file")
	if err != nil {
		return nil, err
	}
	key, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(string(data)), "="))
	if err != nil || len(key) == 0 {
		return nil, usageErrorf("--eab-hmac-file: not a base64url key")
	}
	return &acme.ExternalAccountBinding{KID: kid, Key: key}, nil
}

type acmeRevokeOptions struct {
	ca              acmeCAOptions
	reason          string
	keyFile         string
	keyPasswordFile string
}

func newACMERevokeCmd(a *app) *cobra.Command {
	o := &acmeRevokeOptions{}
	c := &cobra.Command{
		Use:   "revoke CERT_FILE",
		Short: "Ask the ACME CA that issued a certificate to revoke it",
		Long: `Revoke a certificate the CA issued: signed by this user's account at that CA (the one acme issue
made), or with --key by the certificate's own private key (no account needed, as when the
key leaked). --reason takes the RFC 5280 names: ` + strings.Join(certgen.ReasonNames(), ", ") + `.`,
		Example: `  tlskit acme revoke example.com.pem
  tlskit acme revoke example.com.pem --reason key-compromise --key example.com-key.pem`,
		Args:        cobra.ExactArgs(1),
		Annotations: networkCommand(map[string]string{}),
		RunE: func(c *cobra.Command, args []string) error {
			return runACMERevoke(c.Context(), a, o, args[0])
		},
	}
	fs := c.Flags()
	o.ca.register(fs)
	fs.StringVar(&o.reason, "reason", "unspecified", "revocation reason: "+strings.Join(certgen.ReasonNames(), ", "))
	fs.StringVar(&o.keyFile, "key", "", "sign with the certificate's own private key instead of the account")
	fs.StringVar(&o.keyPasswordFile, "key-password-file", "", "password of an encrypted --key")
	return c
}

func runACMERevoke(ctx context.Context, a *app, o *acmeRevokeOptions, certFile string) error {
	reason, err := certgen.ParseRevocationReason(o.reason)
	if err != nil {
		return usageErrorf("--reason: %v", err)
	}
	if o.keyPasswordFile != "" && o.keyFile == "" {
		return usageErrorf("--key-password-file needs --key")
	}
	certs, err := readCertFile(a, "certificate", certFile)
	if err != nil {
		return err
	}
	var key crypto.Signer
	if o.keyFile != "" {
		var password []byte
		if o.keyPasswordFile != "" {
			if password, err = readPasswordFile(o.keyPasswordFile, "--key-password-file"); err != nil {
				return err
			}
		}
		if key, err = readPrivateKey(o.keyFile, password); err != nil {
			return err
		}
	}
	sess, err := o.ca.open(a, false)
	if err != nil {
		return err
	}
	if key == nil && sess.account == nil {
		return withHint(fmt.Errorf("revoking %s: %w", certFile, acmeclient.ErrNoAccount), "sign with the certificate's own key: --key KEY_FILE")
	}
	err = acmeclient.Revoke(ctx, acmeclient.Options{Directory: sess.directory, HTTPClient: sess.client, Account: sess.account,
		UserAgent: "tlskit/" + a.build.Version}, certs[0].Raw, key, int(reason))
	if errors.Is(err, acmeclient.ErrNoAccount) {
		return withHint(fmt.Errorf("revoking %s: %w", certFile, err), "sign with the certificate's own key: --key KEY_FILE")
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.streams.Out, "revoked %s (serial %x, reason %s)\n", certFile, certs[0].SerialNumber, reason)
	return err
}

type acmeRenewOptions struct {
	acmeIssueOptions
	ifDue bool
}

func newACMERenewCmd(a *app) *cobra.Command {
	o := &acmeRenewOptions{}
	c := &cobra.Command{
		Use:   "renew CERT_FILE",
		Short: "Renew a certificate from its ACME CA, now or (with --if-due) when the CA says it is time",
		Long: `Get a new certificate for the names of CERT_FILE from the CA, and replace CERT_FILE and its key
(--key-out, default the file beside it, NAME-key.pem for NAME.pem) with the new ones, both or
neither: until the CA has issued, nothing is touched, so a failed renewal keeps the old files.

With --if-due it renews only when it is time, and otherwise exits 0 having changed nothing,
so it can run from cron: when the CA offers ACME Renewal Information (RFC 9773), from the start
of the window it suggests (which a CA moves to now for a certificate it must revoke); else once
a third of the certificate's lifetime is left. The new order names the certificate it
replaces. The challenge flags are acme issue's. With -o json a renewal prints what acme issue
does, and a certificate not yet due {"renewed": false, "due_from": ..., "basis": ...}.`,
		Example: `  tlskit acme renew example.com.pem --if-due     # from cron, daily
  tlskit acme renew example.com.pem --webroot /var/www/html`,
		Args:        cobra.ExactArgs(1),
		Annotations: networkCommand(outputFormats(formatText, formatJSON)),
		RunE: func(c *cobra.Command, args []string) error {
			return runACMERenew(c.Context(), a, o, args[0])
		},
	}
	fs := c.Flags()
	o.ca.register(fs)
	o.register(fs)
	fs.BoolVar(&o.ifDue, "if-due", false, "renew only when due (the CA's renewal window, else a third of the lifetime left); exit 0 otherwise")
	o.keys.register(fs, true)
	fs.StringVar(&o.output.keyOut, "key-out", "", "write the new key here (default: beside CERT_FILE, NAME-key.pem)")
	return c
}

func runACMERenew(ctx context.Context, a *app, o *acmeRenewOptions, certFile string) error {
	if err := o.output.validate(); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	certs, err := readCertFile(a, "certificate", certFile)
	if err != nil {
		return err
	}
	leaf := certs[0]
	names := append([]string{}, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return fmt.Errorf("%s names no DNS name or IP address to renew", certFile)
	}
	// No account key yet: a renewal that is not due, or cannot run, must not leave one behind
	// (order makes it once the challenge's solver is open).
	sess, err := o.ca.open(a, false)
	if err != nil {
		return err
	}
	replaces := ""
	if acmeclient.OffersARI(ctx, acmeclient.Options{Directory: sess.directory, HTTPClient: sess.client}) {
		replaces, _ = acmeclient.CertID(leaf)
	}
	if o.ifDue {
		opts := acmeclient.Options{Directory: sess.directory, HTTPClient: sess.client}
		w, err := acmeclient.RenewalInfo(ctx, opts, leaf)
		if err != nil && !errors.Is(err, acmeclient.ErrNoARI) {
			// The CA's window is advice: without it the lifetime rule decides.
			a.warnf("acme: renewal information unavailable (%v); judging by the certificate's lifetime", err)
		}
		due, from := acmeclient.Due(leaf, w, a.now())
		how := "a third of its lifetime left"
		if w != nil {
			how = fmt.Sprintf("the CA's renewal window, %s to %s", w.Start.UTC().Format(time.RFC3339), w.End.UTC().Format(time.RFC3339))
			if w.ExplanationURL != "" {
				how += ", " + w.ExplanationURL
			}
		}
		if !due {
			a.infof("acme: %s is not due for renewal until %s (%s); nothing changed", certFile, from.UTC().Format(time.RFC3339), how)
			if a.opts.Output == formatJSON {
				return a.writeJSON(notDueJSON{Renewed: false, Certificate: certFile, DueFrom: from.UTC().Format(time.RFC3339), Basis: basis(w)})
			}
			return nil
		}
		a.infof("acme: %s is due for renewal since %s (%s)", certFile, from.UTC().Format(time.RFC3339), how)
	}
	out := outputOptions{out: certFile, keyOut: o.output.keyOut, force: true}
	if out.keyOut == "" {
		out.keyOut = strings.TrimSuffix(certFile, filepath.Ext(certFile)) + "-key.pem"
	}
	return o.obtain(ctx, a, sess, names, replaces, out)
}

// notDueJSON is renew --if-due's document when nothing was renewed, so that a script reading
// stdout always gets one (a renewal prints certgen.Summary, which has no "renewed" key).
type notDueJSON struct {
	Renewed     bool   `json:"renewed"`
	Certificate string `json:"certificate"`
	DueFrom     string `json:"due_from"`
	Basis       string `json:"basis"`
}

// basis names what decided a renewal's due date: the CA's window or the lifetime rule.
func basis(w *acmeclient.Window) string {
	if w != nil {
		return "renewal_info"
	}
	return "lifetime"
}
