package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect/material"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/ech"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

type handshakeOptions struct {
	sni         string
	noSNI       bool
	alpn        []string
	params      tlsParamFlags
	caFile      string
	insecure    bool
	certFile    string
	keyFile     string
	keyPassword string
	starttls    starttlsFlag
	connectTo   string
	proxy       string
	keylog      string
	pem         bool
	warnDays    int
	concurrency int
	verbose     bool
	revocation  revocationFlags
	ech         string
	echRetry    bool
	dnsServer   string
	resume      bool
}

func newHandshakeCmd(a *app) *cobra.Command {
	o := &handshakeOptions{}
	c := &cobra.Command{
		Use:   "handshake TARGET...",
		Short: "Run a real TLS handshake and show every step, decrypted and timed",
		Long: `Run a real TLS handshake with each TARGET (host, host:port, [v6]:port, https://host:port/path,
or - for targets on stdin; localhost and *.localhost are always the loopback addresses, RFC 6761)
and show what happened: every handshake message in order with its
time (TLS 1.3's encrypted messages decrypted with the session's own keys), then the four parts
of a handshake: the version agreed, the cipher suite chosen, how the server proved who it is
(its chain, verified separately so a bad chain is still shown), and how the session keys were
made.

Revocation: a stapled OCSP response is judged by default (--revocation staple); --revocation crl,
ocsp or auto look each certificate up (within --timeout), --crl FILE checks local CRLs. An
undetermined status is a warning, or a failure with --revocation-hard-fail.

Exit codes: 0 verified, 1 could not complete, 3 verification failed (a revoked certificate
included, or an unproven one with --revocation-hard-fail) or a certificate expires within
--warn-days (--insecure turns a verification failure into a warning).`,
		Example: `  tlskit handshake example.com
  tlskit handshake localhost:8443 --ca ca.pem -v
  tlskit handshake mail.example.com:25              # STARTTLS smtp, from the port
  tlskit handshake example.com --pem | openssl x509 -noout -dates
  tlskit handshake example.com --revocation auto --revocation-hard-fail
  tlskit handshake example.com --ech auto --resume    # ECH from DNS, then a resumed handshake
  cat hosts.txt | tlskit handshake - -o json --concurrency 32 | jq -r '.target.host + " " + .version'`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: networkCommand(quickCommand(outputFormats(formatText, formatJSON))),
		RunE: func(c *cobra.Command, args []string) error {
			return runHandshake(c.Context(), a, o, args)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.sni, "sni", "", "server name to send (default: the target's host name)")
	fs.BoolVar(&o.noSNI, "no-sni", false, "send no server name")
	fs.StringSliceVar(&o.alpn, "alpn", nil, "application protocols to offer, e.g. h2,http/1.1")
	o.params.register(fs, "offer")
	fs.StringVar(&o.caFile, "ca", "", "verify against the certificates in this PEM file instead of the system roots")
	fs.BoolVar(&o.insecure, "insecure", false, "report a failed verification as a warning and exit 0")
	fs.StringVar(&o.certFile, "cert", "", "client certificate to offer when the server asks (PEM, with its chain)")
	fs.StringVar(&o.keyFile, "key", "", "private key of --cert")
	fs.StringVar(&o.keyPassword, "key-password-file", "", "password of an encrypted --key")
	o.starttls.register(fs, "first", ", e.g. 25 -> smtp")
	fs.StringVar(&o.connectTo, "connect-to", "", "connect to this HOST:PORT instead, keeping the target's name for SNI and verification")
	fs.StringVar(&o.proxy, "proxy", "", "connect through this HTTP proxy (http://HOST:PORT) with CONNECT")
	fs.StringVar(&o.keylog, "keylog", "", "append the session secrets to this file (NSS key log format, for Wireshark; created 0600)")
	fs.BoolVar(&o.pem, "pem", false, "print only the server's chain as PEM on stdout")
	fs.IntVar(&o.warnDays, "warn-days", 0, "exit 3 when a certificate in the chain expires within this many days")
	fs.IntVar(&o.concurrency, "concurrency", 8, "handshakes to run at once with several targets")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "show every message's details (offered suites, extensions, signature algorithms)")
	fs.StringVar(&o.ech, "ech", "", "use Encrypted Client Hello with this ECHConfigList: base64, @FILE (base64, PEM or raw), or auto to look it up in the target's DNS HTTPS record")
	fs.BoolVar(&o.echRetry, "ech-retry", false, "when the server rejects --ech with retry configs its certificate authenticates, try once more with them")
	fs.BoolVar(&o.resume, "resume", false, "run a second handshake with the session the first one got (TLS 1.3 PSK, TLS 1.2 ticket or session ID) and show what it skipped")
	fs.StringVar(&o.dnsServer, "dns-server", "", "with --ech auto, ask this resolver (HOST:PORT) instead of /etc/resolv.conf's")
	o.revocation.register(fs, revocation.ModeStaple)
	return c
}

// handshakePlan is the validated configuration shared by every target.
type handshakePlan struct {
	base handshake.Options
	// echAuto: the ECH config of each target comes from its DNS HTTPS record.
	echAuto  bool
	echDNS   ech.LookupOptions
	closeLog func() error
	// roots reads and parses --ca (once); nil without --ca.
	roots func() (*x509.CertPool, error)
}

// rootsError is --ca failing to load, told apart from a handshake's own failure: it is the
// run's error, reported as it is and never as one target's outcome.
type rootsError struct{ err error }

func (e *rootsError) Error() string { return e.err.Error() }
func (e *rootsError) Unwrap() error { return e.err }

func (o *handshakeOptions) build(a *app) (*handshakePlan, error) {
	p := &handshakePlan{closeLog: func() error { return nil }}
	b := &p.base
	b.Timeout = a.opts.Timeout
	b.Now = a.now
	b.Verbose = o.verbose
	b.Resume = o.resume
	var err error
	params, err := o.params.parse()
	if err != nil {
		return nil, err
	}
	b.MinVersion, b.MaxVersion, b.CipherSuites, b.Groups = params.minVersion, params.maxVersion, params.cipherSuites, params.groups
	if o.sni != "" && o.noSNI {
		return nil, usageErrorf("--sni and --no-sni contradict each other")
	}
	if o.sni != "" {
		if b.ServerName, err = connect.NormalizeHostname(o.sni); err != nil {
			return nil, usageErrorf("--sni: %v", err)
		}
	}
	b.NoSNI = o.noSNI
	for _, p := range o.alpn {
		if p == "" || len(p) > 255 {
			return nil, usageErrorf("--alpn: protocol names are 1 to 255 bytes")
		}
	}
	b.ALPN = o.alpn
	if o.caFile != "" {
		// Read and parsed while the connection is made: Handshake asks for the roots once
		// connected, before it sends anything (see runHandshake for several targets).
		caFile := o.caFile
		p.roots = sync.OnceValues(func() (*x509.CertPool, error) {
			pool, _, err := readRoots(a, "--ca", caFile)
			if err != nil {
				return nil, &rootsError{err}
			}
			return pool, nil
		})
		go p.roots()
		b.RootsFunc = p.roots
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, usageErrorf("--cert and --key go together")
	}
	if o.certFile != "" {
		cert, err := loadKeyPair(o.certFile, o.keyFile, o.keyPassword)
		if err != nil {
			return nil, err
		}
		b.ClientCertificate = cert
	}
	if err := o.starttls.check(); err != nil {
		return nil, err
	}
	if o.connectTo != "" {
		t, err := connect.ParseTarget(o.connectTo, 443)
		if err != nil {
			if to, ok := curlConnectTo(o.connectTo); ok {
				return nil, withHint(usageErrorf("--connect-to takes HOST:PORT, where to connect; %q is curl's HOST1:PORT1:HOST2:PORT2 form", o.connectTo),
					"the target is the name; give only where to connect: --connect-to "+to)
			}
			return nil, usageErrorf("--connect-to: %v", err)
		}
		b.ConnectTo = &t
	}
	if o.proxy != "" {
		u, err := url.Parse(o.proxy)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "") {
			return nil, usageErrorf("--proxy: expected http://HOST:PORT")
		}
		b.Proxy = u
	}
	if o.warnDays < 0 {
		return nil, usageErrorf("--warn-days must be 0 or more")
	}
	rp, err := o.revocation.build(a.opts.Timeout)
	if err != nil {
		return nil, err
	}
	b.Revocation, b.RevocationHardFail = rp.opts, rp.hardFail
	if o.concurrency < 1 || o.concurrency > 1024 {
		return nil, usageErrorf("--concurrency must be 1 to 1024")
	}
	if err := o.buildECH(p); err != nil {
		return nil, err
	}
	if o.keylog != "" {
		kl, err := openKeyLog(o.keylog)
		if err != nil {
			return nil, err
		}
		b.KeyLog, p.closeLog = kl, kl.Close
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handshakeOutcome is one target's result, kept in input order.
type handshakeOutcome struct {
	res *handshake.Result
	err error
	// badTarget: a stdin line that is not a target, never run (err says why).
	badTarget bool
}

func runHandshake(ctx context.Context, a *app, o *handshakeOptions, args []string) error {
	if err := stdinOnce("--ca", o.caFile, args); err != nil {
		return err
	}
	plan, err := o.build(a)
	if err != nil {
		return err
	}
	defer plan.closeLog()
	if o.pem && a.opts.Output == formatJSON {
		return usageErrorf("--pem and -o json cannot be combined")
	}
	targets, err := a.resolveTargets(args, 443)
	if err != nil {
		return err
	}

	outcomes := make([]handshakeOutcome, len(targets))
	done := make([]chan struct{}, len(targets))
	for i := range done {
		done[i] = make(chan struct{})
	}
	run := func(i int, lt connect.ListedTarget) {
		if lt.Err != nil {
			outcomes[i] = handshakeOutcome{err: lt.Err, badTarget: true}
			return
		}
		t := lt.Target
		opts := plan.base
		opts.Target = t
		opts.StartTLS = o.starttls.forTarget(t)
		if (plan.echAuto || len(opts.ECHConfigList) > 0) && opts.StartTLS != "" {
			outcomes[i] = handshakeOutcome{err: withHint(usageErrorf("%s: --ech needs TLS from the first byte, and this target means STARTTLS %s", t.Address(), opts.StartTLS),
				"add --starttls none to speak TLS at once")}
			return
		}
		var record *ech.HTTPSRecord
		if plan.echAuto {
			var err error
			if record, err = lookupECH(ctx, t, opts, plan.echDNS); err != nil {
				outcomes[i] = handshakeOutcome{err: err}
				return
			}
			opts.ECHConfigList = record.ConfigList
			if to, moved := echEndpoint(t, record); moved && opts.ConnectTo == nil {
				opts.ConnectTo = &to // the service is where its record says (RFC 9460 section 2.4.3)
			}
		}
		res, err := handshake.Run(ctx, opts)
		if res != nil && res.ECH != nil && record != nil {
			res.ECH.DNSRecord = record
		}
		outcomes[i] = handshakeOutcome{res: res, err: err}
	}
	if len(targets) == 1 {
		// One target needs no dispatcher: running it here spares two goroutines, their stacks
		// and a thread hand-off, which is measurable in a run that takes a few milliseconds.
		run(0, targets[0])
		close(done[0])
		if re := (*rootsError)(nil); errors.As(outcomes[0].err, &re) {
			return re.err
		}
	} else {
		// Several targets share the roots: a bad --ca stops the run before any of them.
		if plan.roots != nil {
			if _, err := plan.roots(); err != nil {
				return errors.Unwrap(err)
			}
		}
		sem := make(chan struct{}, o.concurrency)
		go func() {
			for i, t := range targets {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					for j := i; j < len(targets); j++ {
						outcomes[j].err = ctx.Err()
						close(done[j])
					}
					return
				}
				go func(i int, t connect.ListedTarget) {
					defer func() { <-sem; close(done[i]) }()
					run(i, t)
				}(i, t)
			}
		}()
	}

	// Print in input order as each result becomes available.
	tally := newTargetTally("handshakes could not complete", len(targets))
	for i := range targets {
		<-done[i]
		out := outcomes[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		if out.badTarget {
			// Alone, it is the run's error line (a usage error); among others, it has its place.
			tally.fail(out.err)
			if len(targets) > 1 {
				if err := a.reportBadTarget(out.err, "handshake with", i); err != nil {
					return err
				}
			}
			continue
		}
		code, err := a.reportHandshake(o, out, len(targets) > 1, i)
		if err != nil {
			return err
		}
		switch code {
		case ExitFailure:
			failure := handshakeError(out.err)
			if a.opts.Output != formatJSON && !o.pem && out.res != nil {
				failure = saidOnStdout(failure) // the report's "failed:" line states it
			}
			tally.fail(failure)
		case ExitCheckFailed:
			problem := withHint(errors.New(checkProblem(out.res, o)), verificationHintFor(out.res, o))
			if a.opts.Output != formatJSON && !o.pem {
				problem = saidOnStdout(problem) // the report's verification line states it
			}
			tally.failCheck(problem)
		}
	}
	return tally.err()
}

// curlConnectTo recognises curl's --connect-to HOST1:PORT1:HOST2:PORT2 (an IPv6 address in
// brackets) and returns its HOST2:PORT2, the part tlskit's --connect-to takes.
func curlConnectTo(v string) (string, bool) {
	var parts []string
	for rest := v; rest != ""; {
		var part string
		if strings.HasPrefix(rest, "[") {
			end := strings.Index(rest, "]")
			if end < 0 {
				return "", false
			}
			part, rest = rest[:end+1], rest[end+1:]
			if rest != "" && !strings.HasPrefix(rest, ":") {
				return "", false
			}
			rest = strings.TrimPrefix(rest, ":")
		} else {
			part, rest, _ = strings.Cut(rest, ":")
		}
		parts = append(parts, part)
	}
	if len(parts) != 4 || parts[2] == "" {
		return "", false
	}
	// curl lets HOST1 and PORT1 be empty (any host, any port); HOST2:PORT2 is always given.
	for i, port := range []string{parts[1], parts[3]} {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil && (i == 1 || port != "") {
			return "", false
		}
	}
	return parts[2] + ":" + parts[3], true
}

// handshakeError is a target's failure as the run's error line, with the flags that would
// have helped as its hint.
func handshakeError(err error) error {
	var he *handshake.Error
	if !errors.As(err, &he) {
		return err
	}
	plain := errors.New(he.Error())
	if he.StartTLS != "" {
		return withHint(plain, "try --starttls "+he.StartTLS)
	}
	if he.Result == nil {
		return plain
	}
	if ca := he.Result.ClientAuth; ca != nil && ca.Requested && !ca.CertificateSent {
		return withHint(plain, "give a client certificate with --cert and --key")
	}
	for _, st := range he.Result.Steps {
		if st.Direction == handshake.Received && st.Message == "Alert" && strings.Contains(st.Summary, "protocol_version") {
			if he.Result.ECH != nil {
				// ECH is TLS 1.3's: no lower version can help.
				return withHint(plain, "the server refused TLS 1.3, which ECH needs")
			}
			// The server speaks none of the versions offered (1.2 and 1.3 unless asked).
			return withHint(plain, "the server refused every TLS version offered; an older server may speak only TLS 1.0 or 1.1: try --tls-min 1.0 (or set the range with --tls-min/--tls-max)")
		}
	}
	return plain
}

// checkProblem is the error line for exit 3: the check the target failed.
func checkProblem(res *handshake.Result, o *handshakeOptions) string {
	if v := res.Verification; v != nil && !v.Verified && !o.insecure {
		return fmt.Sprintf("%s: verification failed: %s", res.Target.Address(), v.Error)
	}
	if msg := expiringSoon(res, o.warnDays); msg != "" {
		return fmt.Sprintf("%s: %s", res.Target.Address(), msg)
	}
	return res.Target.Address() + ": a check failed"
}

func expiringSoon(res *handshake.Result, days int) string {
	if days <= 0 {
		return ""
	}
	for _, c := range res.Chain {
		if c.DaysLeft < days {
			return fmt.Sprintf("%q expires in %d days (--warn-days %d)", c.Subject, c.DaysLeft, days)
		}
	}
	return ""
}

// pemComment names a target's chain in --pem output: the target, and the address connected to.
func pemComment(res *handshake.Result) string {
	if res.Address == "" || res.Address == res.Target.Address() {
		return res.Target.Address()
	}
	return res.Target.Address() + " (" + res.Address + ")"
}

// reportHandshake prints one target's outcome and returns its exit code.
func (a *app) reportHandshake(o *handshakeOptions, out handshakeOutcome, several bool, index int) (int, error) {
	res := out.res
	code := ExitOK
	if out.err != nil {
		code = ExitFailure
		if res != nil {
			res.Error = errorMessage(handshakeError(out.err))
		}
	} else {
		if v := res.Verification; v != nil && !v.Verified {
			if o.insecure {
				a.warnf("%s: verification failed (%s): %s; continuing because of --insecure", res.Target.Address(), v.Reason, v.Error)
			} else {
				code = ExitCheckFailed
			}
		}
		if expiringSoon(res, o.warnDays) != "" {
			code = ExitCheckFailed
		}
		a.warnRevocation(res.Target.Address(), res.Revocation, o.revocation.hardFail)
	}
	if res == nil {
		return code, nil
	}
	switch {
	case o.pem:
		// A handshake the server refused after sending its chain (it requires a client
		// certificate) still has the chain to print; the exit code says the handshake failed.
		if len(res.PeerCertificates) > 0 {
			var b []byte
			if several {
				// Which chain is whose: a comment line, text outside the PEM blocks that
				// openssl and tlskit inspect pass over.
				b = fmt.Appendf(b, "# %s\n", render.Escape(pemComment(res)))
			}
			b = append(b, material.EncodeCertificatesPEM(res.PeerCertificates...)...)
			if _, err := a.streams.Out.Write(b); err != nil {
				return code, err
			}
		}
		if several && out.err != nil {
			a.warnTarget(fmt.Errorf("%s: %w", res.Target.Address(), handshakeError(out.err)))
		}
	case a.opts.Output == formatJSON:
		var err error
		if several {
			err = a.writeJSONLine(res)
		} else {
			err = a.writeJSON(res)
		}
		if err != nil {
			return code, err
		}
	default:
		if several && index > 0 {
			fmt.Fprintln(a.streams.Out)
		}
		if err := a.renderHandshakeText(res, o); err != nil {
			return code, err
		}
		if several && out.err != nil {
			a.warnTarget(fmt.Errorf("%s: %w", res.Target.Address(), handshakeError(out.err)))
		}
	}
	return code, nil
}

// orNone is s, or "none" when it is empty: the one word every command and the serve log use
// for a value that is absent (no SNI, no ALPN, no group), where there were "-", "(none)" and
// "none" before.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
