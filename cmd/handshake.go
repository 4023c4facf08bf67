package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
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
  cat hosts.txt | tlskit handshake - -o json --concurrency 32 | jq -r '.target.host + " " + .version'`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: quickCommand(outputFormats(formatText, formatJSON)),
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
	o.revocation.register(fs, revocation.ModeStaple)
	return c
}

// handshakePlan is the validated configuration shared by every target.
type handshakePlan struct {
	base     handshake.Options
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
	run := func(i int, t connect.Target) {
		opts := plan.base
		opts.Target = t
		opts.StartTLS = o.starttls.forTarget(t)
		res, err := handshake.Run(ctx, opts)
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
				go func(i int, t connect.Target) {
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
		code, err := a.reportHandshake(o, out, len(targets) > 1, i)
		if err != nil {
			return err
		}
		switch code {
		case ExitFailure:
			tally.fail(handshakeError(out.err))
		case ExitCheckFailed:
			tally.failCheck(withHint(errors.New(checkProblem(out.res, o)), verificationHintFor(out.res, o)))
		}
	}
	return tally.err()
}

// handshakeError is a target's failure as the run's error line, with the flags that would
// have helped as its hint.
func handshakeError(err error) error {
	var he *handshake.Error
	if !errors.As(err, &he) {
		return err
	}
	plain := errors.New(he.Error())
	if he.Result == nil {
		return plain
	}
	if ca := he.Result.ClientAuth; ca != nil && ca.Requested && !ca.CertificateSent {
		return withHint(plain, "give a client certificate with --cert and --key")
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
			if _, err := a.streams.Out.Write(material.EncodeCertificatesPEM(res.PeerCertificates...)); err != nil {
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
		r := handshakeRenderer{w: a.streams.Out, p: a.outPalette(), human: a.streams.OutTTY, verbose: o.verbose, now: a.now(), insecure: o.insecure}
		if err := r.render(res); err != nil {
			return code, err
		}
		if several && out.err != nil {
			a.warnTarget(fmt.Errorf("%s: %w", res.Target.Address(), handshakeError(out.err)))
		}
	}
	return code, nil
}

// handshakeRenderer writes the text report: the timeline, the four parts, the timings.
type handshakeRenderer struct {
	w        io.Writer
	p        palette
	human    bool
	verbose  bool
	insecure bool
	now      time.Time
	b        strings.Builder
}

func (r *handshakeRenderer) line(format string, args ...any) {
	fmt.Fprintf(&r.b, format, args...)
	r.b.WriteByte('\n')
}

func (r *handshakeRenderer) render(res *handshake.Result) error {
	esc := render.Escape
	p := r.p
	sni := res.SNI
	if sni == "" {
		sni = "(none)"
	}
	if r.human {
		r.line("%s %s (%s), SNI %s", p.Bold("handshake with"), p.Bold(res.Target.Address()), orDash(res.Address), esc(sni))
	} else {
		r.line("target: %s", res.Target.Address())
		r.line("address: %s", orDash(res.Address))
		r.line("sni: %s", esc(sni))
	}
	if res.StartTLS != "" {
		r.kv("starttls", res.StartTLS)
	}
	if r.human {
		r.line("")
	}
	encryptedSeen := false
	for _, s := range res.Steps {
		name := s.Message
		if s.Encrypted {
			name += "*"
			encryptedSeen = true
		}
		if r.human {
			arrow := p.Accent("→")
			if s.Direction == handshake.Received {
				arrow = p.Good("←")
			}
			r.line("  %8.2f ms  %s  %-22s %s", s.AtMs, arrow, p.Bold(name), esc(s.Summary))
		} else {
			r.line("step: %.3f %s %s %s", s.AtMs, s.Direction, name, esc(s.Summary))
		}
		if r.verbose {
			for _, d := range s.Detail {
				if r.human {
					r.line("  %s %s", strings.Repeat(" ", 16), p.Dim(esc(d)))
				} else {
					r.line("detail: %s", esc(d))
				}
			}
		}
	}
	if encryptedSeen && r.human {
		r.line("%s", p.Dim("  * encrypted on the wire; decrypted with this session's own secrets (TLS 1.3)"))
	}
	if res.Error != "" {
		if r.human {
			r.line("")
			r.line("%s %s", p.Bad("failed:"), esc(res.Error))
		} else {
			r.line("error: %s", esc(res.Error))
		}
		if len(res.Chain) > 0 {
			// The server sent its chain before refusing: how it proved who it is still shows.
			if r.human {
				r.line("")
				r.line("%s %s", p.Bold("authentication"), p.Dim("(the chain the server sent before the handshake failed)"))
			}
			r.chain(res)
		}
		r.timing(res)
		_, err := io.WriteString(r.w, r.b.String())
		return err
	}
	if r.human {
		r.line("")
		r.line("%s %s", p.Bold("1. version       "), res.Version)
		r.line("%s %s", p.Bold("2. cipher suite  "), res.CipherSuite)
		r.line("%s", p.Bold("3. authentication"))
	} else {
		r.line("version: %s", res.Version)
		r.line("cipher_suite: %s", res.CipherSuite)
	}
	r.chain(res)
	r.sessionKeys(res)
	r.timing(res)
	_, err := io.WriteString(r.w, r.b.String())
	return err
}

func (r *handshakeRenderer) kv(key, value string) {
	if r.human {
		r.line("%s %s", r.p.Dim(key+":"), render.Escape(value))
	} else {
		r.line("%s: %s", key, render.Escape(value))
	}
}

func (r *handshakeRenderer) chain(res *handshake.Result) {
	esc := render.Escape
	p := r.p
	for i, c := range res.Chain {
		validity := fmt.Sprintf("%s to %s", c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339))
		names := strings.Join(append(append([]string{}, c.DNSNames...), c.IPAddresses...), ", ")
		if r.human {
			branch, pipe := "├─", "│ "
			if i == len(res.Chain)-1 {
				branch, pipe = "└─", "  "
			}
			left := relativeDays(c.NotAfter.Sub(r.now))
			if c.DaysLeft < 0 {
				left = p.Bad("expired " + left)
			} else if c.DaysLeft < 30 {
				left = p.Warn(left)
			}
			role := "leaf"
			if i > 0 {
				role = "intermediate"
				if c.SelfSigned {
					role = "root"
				}
			}
			r.line("   %s %s %s", branch, p.Bold(esc(c.Subject)), p.Dim("("+role+")"))
			r.line("   %s    issuer     %s", pipe, esc(c.Issuer))
			r.line("   %s    valid      %s (%s)", pipe, validity, left)
			r.line("   %s    key        %s, signed with %s", pipe, c.Key, c.SignatureAlgorithm)
			if names != "" {
				r.line("   %s    names      %s", pipe, esc(names))
			}
			if c.Revocation != nil && c.Revocation.Status != revocation.StatusNotChecked {
				r.line("   %s    revocation %s", pipe, r.revocationColour(c.Revocation.Status)(esc(describeRevocation(c.Revocation, r.now))))
			}
			if r.verbose {
				r.line("   %s    serial     %s", pipe, c.Serial)
				r.line("   %s    sha256     %s", pipe, c.SHA256)
			}
		} else {
			r.line("certificate.%d.subject: %s", i, esc(c.Subject))
			r.line("certificate.%d.issuer: %s", i, esc(c.Issuer))
			r.line("certificate.%d.not_before: %s", i, c.NotBefore.Format(time.RFC3339))
			r.line("certificate.%d.not_after: %s", i, c.NotAfter.Format(time.RFC3339))
			r.line("certificate.%d.days_left: %d", i, c.DaysLeft)
			r.line("certificate.%d.key: %s", i, c.Key)
			r.line("certificate.%d.signature_algorithm: %s", i, c.SignatureAlgorithm)
			r.line("certificate.%d.names: %s", i, esc(names))
			r.line("certificate.%d.sha256: %s", i, c.SHA256)
			if c.Revocation != nil && c.Revocation.Status != revocation.StatusNotChecked {
				r.line("certificate.%d.revocation: %s", i, esc(describeRevocation(c.Revocation, r.now)))
			}
		}
	}
	v := res.Verification
	if v == nil {
		return
	}
	verdict := "OK: the chain leads to a trusted root and is valid for " + res.Target.Host
	if !v.Verified {
		verdict = "FAILED (" + v.Reason + "): " + v.Error
	}
	if r.human {
		colour := p.Good
		if !v.Verified {
			colour = p.Bad
			if r.insecure {
				colour = p.Warn
			}
		}
		r.line("   %s  %s", p.Dim("verification"), colour(esc(verdict)))
		if !v.HostnameOK && v.Reason != inspect.ReasonHostnameMismatch {
			r.line("   %s  %s", p.Dim("hostname    "), p.Bad("the certificate is not valid for "+esc(res.Target.Host)))
		}
	} else {
		r.line("verification.verified: %t", v.Verified)
		if !v.Verified {
			r.line("verification.reason: %s", v.Reason)
			r.line("verification.error: %s", esc(v.Error))
		}
		r.line("verification.hostname_ok: %t", v.HostnameOK)
	}
	if rev := res.Revocation; rev != nil {
		if r.human {
			r.line("   %s    %s", p.Dim("revocation"), r.revocationColour(rev.Status)(esc(describeRevocationReport(rev))))
		} else {
			r.line("revocation.status: %s", rev.Status)
			if rev.Source != "" {
				r.line("revocation.source: %s", rev.Source)
			}
			if rev.Error != "" {
				r.line("revocation.error: %s", esc(rev.Error))
			}
		}
	}
	// The staple is shown on its own only where the revocation lines do not already speak of it.
	if res.OCSP != nil && (res.Revocation == nil || res.Revocation.Status == revocation.StatusOff) {
		what := res.OCSP.Status
		if res.OCSP.Error != "" {
			what += ": " + res.OCSP.Error
		}
		if r.human {
			r.line("   %s  %s", p.Dim("ocsp staple "), r.revocationColour(res.OCSP.Status)(esc(what)))
		} else {
			r.line("ocsp: %s", esc(what))
		}
	}
}

func (r *handshakeRenderer) revocationColour(status string) func(string) string {
	return revocationColour(r.p, status)
}

func (r *handshakeRenderer) sessionKeys(res *handshake.Result) {
	fs := "no"
	if res.ForwardSecrecy {
		fs = "yes"
	}
	ticket := "none"
	if res.Resumption != nil && res.Resumption.TicketOffered {
		ticket = "offered"
		if res.Resumption.TicketLifetimeS > 0 {
			ticket += fmt.Sprintf(" (lifetime %ds)", res.Resumption.TicketLifetimeS)
		}
	}
	alpn := res.ALPN
	if alpn == "" {
		alpn = "none"
	}
	if r.human {
		hrr := ""
		if res.HelloRetry {
			hrr = ", after a HelloRetryRequest"
		}
		r.line("%s %s%s; forward secrecy: %s; resumption ticket: %s; ALPN: %s", r.p.Bold("4. session keys  "),
			orDash(res.KeyExchange), hrr, fs, ticket, render.Escape(alpn))
		if ca := res.ClientAuth; ca != nil && ca.Requested {
			sent := "none sent (no --cert)"
			if ca.CertificateSent {
				sent = "sent " + render.Escape(ca.CertificateSubject)
			}
			r.line("   %s  the server asked for a client certificate: %s", r.p.Dim("client auth "), sent)
		}
	} else {
		r.line("key_exchange: %s", orDash(res.KeyExchange))
		r.line("hello_retry: %t", res.HelloRetry)
		r.line("forward_secrecy: %s", fs)
		r.line("resumption_ticket: %s", ticket)
		r.line("alpn: %s", render.Escape(alpn))
		if ca := res.ClientAuth; ca != nil && ca.Requested {
			r.line("client_auth.requested: true")
			r.line("client_auth.certificate_sent: %t", ca.CertificateSent)
		}
	}
}

func (r *handshakeRenderer) timing(res *handshake.Result) {
	t := res.Timing
	if r.human {
		r.line("")
		st := ""
		if res.StartTLS != "" {
			st = fmt.Sprintf(", starttls %.1f ms", t.StartTLSMs)
		}
		r.line("%s dns %.1f ms, connect %.1f ms%s, handshake %.1f ms, total %.1f ms", r.p.Dim("timing:"), t.DNSMs, t.ConnectMs, st, t.HandshakeMs, t.TotalMs)
		return
	}
	r.line("timing.dns_ms: %.3f", t.DNSMs)
	r.line("timing.connect_ms: %.3f", t.ConnectMs)
	if res.StartTLS != "" {
		r.line("timing.starttls_ms: %.3f", t.StartTLSMs)
	}
	r.line("timing.handshake_ms: %.3f", t.HandshakeMs)
	r.line("timing.total_ms: %.3f", t.TotalMs)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
