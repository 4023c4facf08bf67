package cmd

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/fingerprint"
	"github.com/tlskit/tlskit/tlscore/server"
	"github.com/tlskit/tlskit/tlscore/wire"
)

type serveOptions struct {
	addr              string
	certFiles         []string
	keyFiles          []string
	keyPasswordFile   string
	hosts             []string
	writeCert         string
	force             bool
	dir               string
	proxy             string
	proxyTimeout      time.Duration
	proxyTimeoutSet   bool
	echo              bool
	params            tlsParamFlags
	alpn              []string
	clientAuth        string
	clientCA          string
	keylog            string
	ocsp              string
	handshakeTimeout  time.Duration
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration
	drain             time.Duration
	maxConns          int
	maxHeaderBytes    int
	ech               bool
	echKey            string
	echPublicName     string
}

func newServeCmd(a *app) *cobra.Command {
	o := &serveOptions{}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run a local TLS server that shows every client its own handshake",
		Long: `Start a TLS server in one command. With no --cert it makes an ephemeral certificate for
localhost, 127.0.0.1, ::1 and any --host, issued by the default CA when there is one (so a
machine where 'tlskit ca install' made it trusted trusts serve with no flags), else
self-signed; the first stderr line says which, with its SHA-256 fingerprint. --write-cert saves
what clients must trust: the default CA's root, or the self-signed certificate.

Modes:
  default     HTTP/1.1 and HTTP/2: every request gets the client's own handshake back (version,
              suite, SNI, ALPN, client certificate, the offered ClientHello, JA3 and JA4) as
              text for curl, HTML for browsers, JSON for /json or Accept: application/json
  --dir DIR   static files (directory listings, content types, no escape from DIR)
  --proxy URL TLS-terminating reverse proxy for a local app (HTTP/1.1, HTTP/2, WebSocket,
              X-Forwarded-* headers); a backend that sends no response headers within
              --proxy-timeout gets the client a 504, one that stops moving a body for as long
              has the transfer cut; each failure is in its request's log line, with its cause
  --echo      raw TLS echo, for non-HTTP clients

The first line on stdout is the URL; then one log line per connection, when its handshake ends,
and one per HTTP request (method, path, status, bytes, duration, why it failed), when it is done
(JSON Lines with -o json), until stdout is closed (serving goes on). SIGHUP, or a change on disk, reloads --cert/--key
(regular files up to 1 MiB) without dropping connections; SIGINT/SIGTERM stop accepting, drain
for up to --drain (5s) and exit 0.`,
		Example: `  tlskit serve                                   # https://127.0.0.1:8443/
  tlskit serve --addr 127.0.0.1:0 --write-cert cert.pem
  tlskit serve --cert site.pem --key site-key.pem --dir ./public
  tlskit serve --proxy http://127.0.0.1:3000 --client-auth require --client-ca ca.pem
  tlskit serve --ech-key ech.pem                 # Encrypted Client Hello; the config on stderr`,
		Args:        cobra.NoArgs,
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, _ []string) error {
			o.proxyTimeoutSet = c.Flags().Changed("proxy-timeout")
			return runServe(c.Context(), a, o)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8443", "address to listen on (port 0 picks a free one; all interfaces only if you say so, e.g. :8443)")
	fs.StringArrayVar(&o.certFiles, "cert", nil, "certificate file (with its chain); repeat with --key for several, chosen by SNI")
	fs.StringArrayVar(&o.keyFiles, "key", nil, "private key of the --cert at the same position")
	fs.StringVar(&o.keyPasswordFile, "key-password-file", "", "password of encrypted --key files")
	fs.StringArrayVar(&o.hosts, "host", nil, "extra name for the ephemeral certificate (repeatable)")
	fs.StringVar(&o.writeCert, "write-cert", "", "save what clients must trust to this file: the default CA's root, or the self-signed ephemeral certificate (an existing file only with --force)")
	fs.BoolVar(&o.force, "force", false, "overwrite the --write-cert file")
	fs.StringVar(&o.dir, "dir", "", "serve the files in this directory")
	fs.StringVar(&o.proxy, "proxy", "", "reverse-proxy to this local http:// URL")
	fs.DurationVar(&o.proxyTimeout, "proxy-timeout", server.DefaultProxyTimeout, "with --proxy: time the backend has to send response headers, and to move a body on (either way); not applied to upgraded (WebSocket) connections")
	fs.BoolVar(&o.echo, "echo", false, "echo raw bytes back over TLS instead of HTTP")
	o.params.register(fs, "accept")
	fs.StringSliceVar(&o.alpn, "alpn", nil, "application protocols to offer (default h2,http/1.1 for HTTP; none for --echo)")
	fs.StringVar(&o.clientAuth, "client-auth", "none", "client certificates: none, request or require (verified against --client-ca)")
	fs.StringVar(&o.clientCA, "client-ca", "", "CA certificates that client certificates must chain to")
	fs.StringVar(&o.keylog, "keylog", "", "append session secrets to this file (NSS key log format; created 0600)")
	fs.StringVar(&o.ocsp, "ocsp", "", "DER OCSP response to staple")
	fs.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a client has from connecting to finishing its handshake")
	fs.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "time to read a request's headers")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "close a connection that makes no progress for this long: idle, a request body arriving at under 4 KiB per interval, a response not being read (upgraded connections too)")
	fs.DurationVar(&o.drain, "drain", serveDrain, "on SIGINT/SIGTERM, how long open connections may finish before they are closed (0: at once)")
	fs.IntVar(&o.maxConns, "max-conns", 1024, "connections open at once; more wait to be accepted, and get the slot of one that has made no progress for 1s")
	fs.IntVar(&o.maxHeaderBytes, "max-header-bytes", 64<<10, "largest request header accepted")
	fs.BoolVar(&o.ech, "ech", false, "accept Encrypted Client Hello (RFC 9849) with a fresh X25519 key; the config and its DNS HTTPS record are printed at start-up")
	fs.StringVar(&o.echKey, "ech-key", "", "keep the ECH key in this file (implies --ech): used when it exists, made 0600 when not; --force replaces a file that is not a usable key")
	fs.StringVar(&o.echPublicName, "ech-public-name", "", "the public name of the ECH config, which clients send in the clear; the certificate must be valid for it (default: the --ech-key file's, else public.localhost with the ephemeral certificate, which then covers it, else the first DNS name of --cert with two labels or more)")
	return c
}

// serveSetup is everything validated before listening.
type serveSetup struct {
	certs *server.CertStore
	// ephemeral is the generated certificate, when there is no --cert.
	ephemeral *ephemeralCert
	listen    server.Options
	handler   http.Handler
	closeLog  func() error
	keylog    io.Writer
	// echKey is the ECH key with --ech.
	echKey *serveECHKey
}

// serveDrain is how long serve, once told to stop, lets open connections finish unless --drain
// says otherwise: long enough for a request in flight, short enough for Ctrl-C to feel prompt.
const serveDrain = 5 * time.Second

func (o *serveOptions) setup(a *app) (*serveSetup, error) {
	modes := 0
	for _, on := range []bool{o.dir != "", o.proxy != "", o.echo} {
		if on {
			modes++
		}
	}
	if modes > 1 {
		return nil, usageErrorf("choose one of --dir, --proxy and --echo")
	}
	if len(o.certFiles) != len(o.keyFiles) {
		return nil, usageErrorf("each --cert needs a --key (got %d and %d)", len(o.certFiles), len(o.keyFiles))
	}
	if o.force && o.writeCert == "" && o.echKey == "" {
		return nil, usageErrorf("--force only lets --write-cert or --ech-key replace its file; give --write-cert FILE or --ech-key FILE")
	}
	o.ech = o.ech || o.echKey != "" || o.echPublicName != ""
	if len(o.certFiles) > 0 && (len(o.hosts) > 0 || o.writeCert != "") {
		return nil, usageErrorf("--host and --write-cert are for the ephemeral certificate; with --cert they would do nothing")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--handshake-timeout", o.handshakeTimeout}, {"--read-header-timeout", o.readHeaderTimeout}, {"--idle-timeout", o.idleTimeout}} {
		if d.v <= 0 {
			return nil, usageErrorf("%s must be greater than zero", d.name)
		}
	}
	if o.proxyTimeoutSet && o.proxy == "" {
		return nil, usageErrorf("--proxy-timeout needs --proxy")
	}
	if o.proxyTimeout <= 0 {
		return nil, usageErrorf("--proxy-timeout must be greater than zero")
	}
	if o.drain < 0 {
		return nil, usageErrorf("--drain must not be negative")
	}
	if o.maxConns < 1 {
		return nil, usageErrorf("--max-conns must be at least 1")
	}
	if o.maxHeaderBytes < 1024 {
		return nil, usageErrorf("--max-header-bytes must be at least 1024")
	}
	s := &serveSetup{closeLog: func() error { return nil }}
	lo := &s.listen
	lo.Addr = o.addr
	lo.HandshakeTimeout = o.handshakeTimeout
	lo.MaxConns = o.maxConns
	lo.IdleTimeout = o.idleTimeout
	lo.Drain = o.drain
	params, err := o.params.parse()
	if err != nil {
		return nil, err
	}
	lo.MinVersion, lo.MaxVersion, lo.CipherSuites, lo.Groups = params.minVersion, params.maxVersion, params.cipherSuites, params.groups
	switch o.clientAuth {
	case "none":
		if o.clientCA != "" {
			return nil, usageErrorf("--client-ca needs --client-auth request or require")
		}
	case "request", "require":
		if o.clientCA == "" {
			return nil, usageErrorf("--client-auth %s needs --client-ca FILE to verify client certificates against", o.clientAuth)
		}
		lo.ClientAuth = tls.VerifyClientCertIfGiven
		if o.clientAuth == "require" {
			lo.ClientAuth = tls.RequireAndVerifyClientCert
		}
		if lo.ClientCAs, _, err = readRoots(a, "--client-ca", o.clientCA); err != nil {
			return nil, err
		}
	default:
		return nil, usageErrorf("--client-auth must be none, request or require")
	}
	lo.ALPN = o.alpn
	if len(lo.ALPN) == 0 && !o.echo {
		lo.ALPN = []string{"h2", "http/1.1"}
	}
	if len(lo.CipherSuites) > 0 && lo.MinVersion < tls.VersionTLS13 && !canCarryHTTP2(lo.CipherSuites) {
		// RFC 9113 §9.2.2: HTTP/2 over TLS 1.2 needs an AES-128-GCM ECDHE suite; net/http refuses
		// to start without one. Serve HTTP/1.1 instead of refusing the user's choice of suites.
		if contains(lo.ALPN, "h2") {
			a.warnf("--ciphers has no TLS_ECDHE_*_WITH_AES_128_GCM_SHA256 suite, which HTTP/2 requires; offering HTTP/1.1 only")
			var alpn []string
			for _, p := range lo.ALPN {
				if p != "h2" {
					alpn = append(alpn, p)
				}
			}
			lo.ALPN = alpn
		}
	}

	switch {
	case o.dir != "":
		h, err := server.FileHandler(o.dir)
		if err != nil {
			return nil, fmt.Errorf("--dir: %w", fileError(err))
		}
		s.handler = h
	case o.proxy != "":
		u, err := url.Parse(o.proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErrorf("--proxy: expected a URL such as http://127.0.0.1:3000")
		}
		s.handler = server.ProxyHandler(server.ProxyOptions{Backend: u, Timeout: o.proxyTimeout})
	case !o.echo:
		s.handler = server.InfoHandler(a.now)
	}
	var staple *server.StapleSource
	if o.ocsp != "" {
		if len(o.certFiles) == 0 {
			return nil, usageErrorf("--ocsp needs --cert: no OCSP response can be for an ephemeral certificate")
		}
		staple = &server.StapleSource{File: o.ocsp, Check: func(der []byte, c tls.Certificate) (time.Time, error) {
			return checkStaple(a, der, c)
		}}
	}
	var echFile *echKeyFile
	if o.ech {
		if echFile, err = readECHKey(o.echKey); err != nil {
			return nil, err
		}
		if len(o.certFiles) == 0 {
			// The ephemeral certificate is for the public name too, so a client whose ECH is
			// rejected can authenticate the retry configs (RFC 9849 section 6.1.7).
			name := echFile.publicName(o.echPublicName)
			if name == "" {
				name = defaultECHPublicName
			}
			if !contains(o.hosts, name) {
				o.hosts = append(o.hosts, name)
			}
		}
	}
	if s.certs, s.ephemeral, err = o.certificates(a, staple); err != nil {
		var se *server.StapleError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("--ocsp: %s cannot be stapled: %v", se.File, se.Err)
		}
		return nil, err
	}
	lo.Certs = s.certs
	if o.ech {
		if lo.MaxVersion != 0 && lo.MaxVersion < tls.VersionTLS13 {
			return nil, usageErrorf("--ech needs TLS 1.3, which --tls-max leaves out")
		}
		if s.echKey, err = o.echKeyFor(a, s.certs, echFile); err != nil {
			return nil, err
		}
		lo.ECHKeys = []tls.EncryptedClientHelloKey{s.echKey.key.TLSKey(true)}
	}
	if o.keylog != "" {
		f, err := openKeyLog(o.keylog)
		if err != nil {
			return nil, err
		}
		lo.KeyLog = &lockedWriter{w: f}
		s.closeLog = f.Close
	}
	return s, nil
}

// checkStaple refuses an OCSP response that is not for the served leaf, is not signed by its
// issuer (when --cert holds the issuer) or has expired; a valid one that says revoked is
// stapled, with a warning, since it is the truth.
func checkStaple(a *app, der []byte, c tls.Certificate) (time.Time, error) {
	// The issuer is whichever certificate of the chain signed the leaf, in whatever order the
	// file has them.
	var issuer *x509.Certificate
	for _, raw := range c.Certificate[1:] {
		if cand, err := x509.ParseCertificate(raw); err == nil && c.Leaf.CheckSignatureFrom(cand) == nil {
			issuer = cand
			break
		}
	}
	r, err := revocation.CheckStaple(der, c.Leaf, issuer, a.now())
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case r.Status != revocation.StatusGood:
		a.warnf("--ocsp: the response says the certificate is %s", r.Status)
	case issuer == nil:
		a.warnf("--ocsp: the response's signature is not checked: --cert holds no issuer certificate")
	}
	var until time.Time
	if r.NextUpdate != nil {
		// Clients allow the same skew past nextUpdate as tlskit does.
		until = r.NextUpdate.Add(revocation.Skew)
	}
	return until, nil
}

// ephemeralCert is serve's own certificate, made when there is no --cert: issued by the default
// CA when there is one (so a machine that trusts it, 'tlskit ca install', trusts serve), else
// self-signed.
type ephemeralCert struct {
	leaf *x509.Certificate
	// trust is what a client must trust, and what --write-cert saves: the default CA's root,
	// or the self-signed certificate itself.
	trust *x509.Certificate
	// issuer says where it came from, for the first log lines.
	issuer string
}

// certificates loads --cert/--key pairs, or makes the ephemeral certificate (returned too, so
// it can be announced and saved once the server is listening).
func (o *serveOptions) certificates(a *app, staple *server.StapleSource) (*server.CertStore, *ephemeralCert, error) {
	var password []byte
	if o.keyPasswordFile != "" {
		var err error
		if password, err = readPasswordFile(o.keyPasswordFile, "--key-password-file"); err != nil {
			return nil, nil, err
		}
	}
	if len(o.certFiles) > 0 {
		load := func(certPEM, keyPEM []byte) (tls.Certificate, error) { return keyPair(certPEM, keyPEM, password) }
		var sources []server.CertSource
		for i := range o.certFiles {
			sources = append(sources, server.CertSource{CertFile: o.certFiles[i], KeyFile: o.keyFiles[i], Load: load, MaxBytes: maxPEMFile})
		}
		store, err := server.NewCertStore(sources, staple)
		var se *server.StapleError
		if errors.As(err, &se) {
			return nil, nil, err
		}
		if err != nil {
			err = fmt.Errorf("loading certificates: %w", err)
			if errors.Is(err, material.ErrPasswordRequired) {
				return nil, nil, withHint(err, "give the key's password with --key-password-file FILE")
			}
			return nil, nil, err
		}
		return store, nil, nil
	}

	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, o.hosts...)
	sans, err := certgen.ParseHosts(hosts)
	if err != nil {
		return nil, nil, err
	}
	key, err := certgen.GenerateKey(a.random, certgen.KeyECDSAP256)
	if err != nil {
		return nil, nil, err
	}
	req := certgen.LeafRequest{SANs: sans, Days: 7, Now: a.now()}
	req.Subject.CommonName = "tlskit serve (ephemeral)"
	tc, eph, selfSigned := issueFromDefaultCA(a, req, key)
	if eph != nil {
		store, err := server.NewCertStore([]server.CertSource{{Static: &tc}}, nil)
		return store, eph, err
	}
	cert, err := certgen.SelfSign(a.random, req, key)
	if err != nil {
		return nil, nil, err
	}
	tc = tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	store, err := server.NewCertStore([]server.CertSource{{Static: &tc}}, nil)
	return store, &ephemeralCert{leaf: cert, trust: cert, issuer: selfSigned}, err
}

// issueFromDefaultCA issues serve's certificate from the default CA, when there is one whose
// key can be used without a password; when it cannot, serve says why and falls back to a
// self-signed certificate rather than refusing to start. With no certificate from the CA it
// returns how to describe the self-signed one: never "there is no default CA" when there is one.
func issueFromDefaultCA(a *app, req certgen.LeafRequest, key crypto.Signer) (tls.Certificate, *ephemeralCert, string) {
	const noCA = "self-signed (there is no default CA; 'tlskit ca install' makes one and has this machine trust it)"
	dir, err := a.defaultCADir("--ca-dir")
	if err != nil {
		return tls.Certificate{}, nil, noCA
	}
	if certPath, _, _ := certgen.CAPaths(dir); !exists(certPath) {
		return tls.Certificate{}, nil, noCA
	}
	is, _, err := (&caSourceOptions{dir: dir}).load(a)
	if err == nil {
		var cert *x509.Certificate
		if cert, _, err = certgen.IssueLeaf(a.random, req, key.Public(), is); err == nil {
			var root *x509.Certificate
			if root, err = readCARoot(dir); err == nil {
				chain := [][]byte{cert.Raw, is.Cert.Raw}
				for _, c := range is.Chain {
					chain = append(chain, c.Raw)
				}
				return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: cert},
					&ephemeralCert{leaf: cert, trust: root, issuer: fmt.Sprintf("issued by the default CA %q (%s)", is.Cert.Subject.CommonName, dir)}, ""
			}
		}
	}
	a.warnf("not using the default CA in %s (%v); serving a self-signed certificate", dir, err)
	return tls.Certificate{}, nil, "self-signed (the default CA in " + dir + " could not be used)"
}

func runServe(ctx context.Context, a *app, o *serveOptions) error {
	s, err := o.setup(a)
	if err != nil {
		return err
	}
	defer s.closeLog()
	setServeMemoryLimits()
	go returnIdleMemory(ctx)

	logger := newEventLog(ctx, a, s.listen.Drain)
	defer logger.close()
	s.listen.Events = logger.log
	ja4 := func(ch *wire.ClientHello) string { fp, _ := fingerprint.JA4(ch, false); return fp }
	ln, err := server.Listen(s.listen, ja4)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.addr, err)
	}
	defer ln.Close()

	if e := s.ephemeral; e != nil {
		c := e.leaf
		if o.writeCert != "" {
			// Never over an existing file without --force, as everywhere else: the file is only
			// good for this run's certificate, but the path may be someone else's file.
			f := certgen.OutputFile{Path: o.writeCert, Data: material.EncodeCertificatesPEM(e.trust), Mode: 0o644, Kind: "certificate"}
			if err := certgen.WriteFiles([]certgen.OutputFile{f}, o.force); err != nil {
				if ee := (*certgen.ExistsError)(nil); errors.As(err, &ee) {
					return withHint(err, "choose another --write-cert file, or add --force to replace it")
				}
				return err
			}
		}
		a.infof("ephemeral certificate for %s, %s, SHA-256 %s", strings.Join(append(c.DNSNames, ipStrings(c)...), ", "), e.issuer, material.Fingerprint(c))
	}
	// Listen for SIGHUP before telling anyone where we are: a reload requested right after the
	// URL line must not find the default action (terminate) still in place.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	scheme := "https"
	if o.echo {
		scheme = "tls" // raw TLS: no HTTP client should be pointed at it
	}
	var echInfo *echAnnouncement
	if k := s.echKey; k != nil {
		ann := k.announcement(ln.Addr().(*net.TCPAddr), s.listen.ALPN, o.echKey)
		echInfo = &ann
		a.infof("ECH key %s: public name %s, config id %d", k.from, ann.PublicName, ann.ConfigID)
		a.infof("ECH config list: %s", ann.ConfigList)
		a.infof("ECH DNS record: %s", ann.HTTPSRecord)
	}
	if err := a.announce(scheme, ln.Addr().(*net.TCPAddr), echInfo); err != nil {
		return err
	}
	// Only now does a closed stdout stop being fatal (see eventLog.start): a reader gone before
	// the URL line ends the run quietly, as for every other command.
	logger.start()
	go s.certs.Watch(ctx, server.WatchOptions{Poll: watchPoll(a.getenv), Reload: hup, OnReload: func(err error) { reportReload(a, err) }})

	if o.echo {
		return server.ServeEcho(ctx, ln, o.idleTimeout)
	}
	srv, err := server.NewHTTPServer(ln, server.HTTPOptions{
		Handler:           s.handler,
		ReadHeaderTimeout: o.readHeaderTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    o.maxHeaderBytes,
		OnRequest:         logger.request,
	})
	if err != nil {
		return err
	}
	if err := server.ServeHTTP(ctx, srv, ln); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// announce prints the URL as the first line of stdout (a JSON object with -o json), so a script
// can start the server and read where it is.
func (a *app) announce(scheme string, addr *net.TCPAddr, echInfo *echAnnouncement) error {
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	u := scheme + "://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
	if scheme != "tls" {
		u += "/"
	}
	var err error
	if a.opts.Output == formatJSON {
		err = a.writeJSONLine(listeningEvent{Event: "listening", URL: u, ECH: echInfo})
	} else {
		_, err = fmt.Fprintln(a.streams.Out, u)
	}
	return err
}

// reportReload tells of a reload of the certificates (on SIGHUP or a change on disk).
func reportReload(a *app, err error) {
	var se *server.StapleError
	switch {
	case errors.As(err, &se):
		a.warnf("certificates reloaded, but not stapling %s: %v", se.File, se.Err)
	case err != nil:
		a.warnf("certificate reload failed, still serving the previous certificates: %v", err)
	default:
		a.infof("certificates reloaded")
	}
}

// formatEvent is the stable text form of a connection's log line.
func formatEvent(ev server.Event) string {
	fields := []string{logTime(ev.Time), ev.Remote}
	if ev.Error != "" {
		fields = append(fields, "error="+quoteIfSpace(ev.Error))
		if ev.SNI != "" {
			fields = append(fields, "sni="+quoteIfSpace(ev.SNI))
		}
		fields = append(fields, echFields(ev.ECH)...)
	} else {
		fields = append(fields, "sni="+quoteIfSpace(orNone(ev.SNI)))
		fields = append(fields, echFields(ev.ECH)...)
		fields = append(fields, "version="+strings.ReplaceAll(ev.Version, " ", ""), "cipher="+ev.CipherSuite, "alpn="+quoteIfSpace(orNone(ev.ALPN)))
		if ev.ClientCert != "" {
			fields = append(fields, "client="+quoteIfSpace(ev.ClientCert))
		}
	}
	if ev.JA4 != "" {
		fields = append(fields, "ja4="+ev.JA4)
	}
	fields = append(fields, fmt.Sprintf("handshake_ms=%.2f", ev.HandshakeMs))
	return strings.Join(fields, " ")
}

// echFields are a log line's ECH fields: ech=accepted with the public name the hello showed
// (sni= is then the name it hid), or ech=rejected; none without ECH.
func echFields(e *server.ECHView) []string {
	if e == nil {
		return nil
	}
	verdict := "rejected"
	if e.Accepted {
		verdict = "accepted"
	}
	return []string{"ech=" + verdict, "outer_sni=" + quoteIfSpace(orNone(e.OuterSNI))}
}

// quoteIfSpace escapes a value that came from a client (control characters, backslashes) and
// quotes it when it holds a space or a quote, so each field stays one token: key="a b".
func quoteIfSpace(s string) string {
	s = render.Escape(s)
	if strings.ContainsAny(s, " \"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}

func ipStrings(c *x509.Certificate) []string {
	var out []string
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// canCarryHTTP2 reports whether a TLS 1.2 suite list includes one HTTP/2 may use.
func canCarryHTTP2(suites []uint16) bool {
	for _, id := range suites {
		if id == tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 || id == tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
			return true
		}
	}
	return false
}
