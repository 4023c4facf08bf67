package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/scan"
)

type scanOptions struct {
	caFile     string
	starttls   starttlsFlag
	sni        string
	parallel   int
	rate       int
	failOn     string
	checks     string
	revocation revocationFlags
}

func newScanCmd(a *app) *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "scan TARGET...",
		Short: "Find which TLS versions, cipher suites and groups a server accepts",
		Long: `Probe a server with hand-built ClientHellos (not Go's TLS stack, which cannot offer most legacy
suites) and list the protocol versions, cipher suites (in the server's preference order when it
has one) and key-exchange groups it accepts, with findings about weak settings.

Exit codes: 0 no finding at or above --fail-on, 3 otherwise, 1 could not scan (unreachable, not
TLS, or no version could be determined). With several targets every one is scanned and the
worst code wins.`,
		Example: `  tlskit scan example.com
  tlskit scan 127.0.0.1:8443 -o json | jq '.versions[] | select(.supported) | .version'
  tlskit scan mail.example.com:443 --fail-on medium`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: networkCommand(outputFormats(formatText, formatJSON)),
		RunE: func(c *cobra.Command, args []string) error {
			return runScan(c.Context(), a, o, args)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.sni, "sni", "", "server name to send (default: the target's host name)")
	fs.StringVar(&o.caFile, "ca", "", "verify the certificate against these roots instead of the system's")
	o.starttls.register(fs, "before each probe", "")
	fs.IntVar(&o.parallel, "parallel", 8, "probe connections at once")
	fs.IntVar(&o.rate, "rate", 250, "most new connections per second, so a scan never floods a server")
	fs.StringVar(&o.checks, "checks", "all", "what to check beyond the versions, suites and groups, comma-separated: "+strings.Join(scan.CheckNames(), ", ")+"; all or none")
	fs.StringVar(&o.failOn, "fail-on", "high", "exit 3 on a finding of this severity or worse: info (any finding), low, medium or high; none never does")
	o.revocation.register(fs, revocation.ModeStaple)
	return c
}

func runScan(ctx context.Context, a *app, o *scanOptions, args []string) error {
	threshold, ok := severityRank[o.failOn]
	if !ok && o.failOn != "none" {
		return usageErrorf("--fail-on must be info, low, medium, high or none, not %q", o.failOn)
	}
	if o.parallel < 1 || o.parallel > 64 {
		return usageErrorf("--parallel must be 1 to 64")
	}
	if o.rate < 1 {
		return usageErrorf("--rate must be at least 1")
	}
	if err := o.starttls.check(); err != nil {
		return err
	}
	checks, err := parseChecks(o.checks)
	if err != nil {
		return err
	}
	if err := stdinOnce("--ca", o.caFile, args); err != nil {
		return err
	}
	var roots *x509.CertPool
	if o.caFile != "" {
		var err error
		if roots, _, err = readRoots(a, "--ca", o.caFile); err != nil {
			return err
		}
	}
	rp, err := o.revocation.build(a.opts.Timeout)
	if err != nil {
		return err
	}
	targets, err := a.resolveTargets(args, 443)
	if err != nil {
		return err
	}
	tally := newTargetTally("scans could not complete", len(targets))
	several := len(targets) > 1
	for i, lt := range targets {
		if lt.Err != nil {
			tally.fail(lt.Err)
			if several {
				if err := a.reportBadTarget(lt.Err, "scan of", i); err != nil {
					return err
				}
			}
			continue
		}
		t := lt.Target
		sni := t.ServerName()
		if o.sni != "" {
			sni = o.sni
		}
		res, err := scan.Scan(ctx, scan.Options{Target: t, ServerName: sni, Timeout: a.opts.Timeout, Parallel: o.parallel, Rate: o.rate,
			StartTLS: o.starttls.forTarget(t), Roots: roots, Now: a.now, Revocation: rp.opts, RevocationHardFail: rp.hardFail,
			Checks: checks})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // interrupted: the rest would be too
			}
			err = scanError(t, err)
			tally.fail(err)
			if several {
				if err := a.reportScanFailure(t, err, i); err != nil {
					return err
				}
			}
			continue
		}
		rep := scan.NewReport(res)
		if c := res.Connection; c != nil {
			a.warnRevocation(t.Address(), c.Revocation, rp.hardFail)
		}
		if a.opts.Output == formatJSON {
			if several {
				err = a.writeJSONLine(rep)
			} else {
				err = a.writeJSON(rep)
			}
		} else {
			err = renderScan(a.streams.Out, a.outPalette(), rep, i > 0)
		}
		if err != nil {
			return err
		}
		for _, f := range rep.Findings {
			if o.failOn != "none" && severityRank[f.Severity] >= threshold {
				tally.failCheck(fmt.Errorf("%s: %s finding %s: %s", t.Address(), f.Severity, f.ID, f.Message))
				break
			}
		}
	}
	return tally.err()
}

// scanError names the target in an error that does not already.
// parseChecks reads --checks: nil for all, an empty list for none, else the names given.
func parseChecks(list string) ([]string, error) {
	switch strings.TrimSpace(list) {
	case "all":
		return nil, nil
	case "none", "":
		return []string{}, nil
	}
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(scan.CheckNames(), name) {
			return nil, usageErrorf("--checks: no check %q (the checks are %s, or all, or none)", name, strings.Join(scan.CheckNames(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func scanError(t connect.Target, err error) error {
	var ns *scan.NotScannedError
	if errors.As(err, &ns) {
		if ns.StartTLS != "" {
			return withHint(err, "try --starttls "+ns.StartTLS)
		}
		return err
	}
	return fmt.Errorf("scanning %s: %w", t.Address(), err)
}

// reportScanFailure gives one of several targets that could not be scanned its place in the
// output: a JSON line with error, or its own block of text and a warning.
func (a *app) reportScanFailure(t connect.Target, err error, index int) error {
	if a.opts.Output == formatJSON {
		return a.writeJSONLine(targetFailure{Target: &t, Error: errorMessage(err)})
	}
	p := a.outPalette()
	var b strings.Builder
	if index > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s\n%s %s\n", p.Bold("scan of"), t.Address(), p.Bad("failed:"), errorMessage(err))
	if _, werr := io.WriteString(a.streams.Out, b.String()); werr != nil {
		return werr
	}
	a.warnTarget(err)
	return nil
}

var severityRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3}

func renderScan(w io.Writer, p palette, rep scan.Report, gap bool) error {
	var b strings.Builder
	if gap {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s (%d probes)\n", p.Bold("scan of"), rep.Target.Address(), rep.Probes)
	// Sections as testssl has them, shorter: a blank line and a bold title each.
	section := func(title string) { fmt.Fprintf(&b, "\n%s\n", p.Bold(title)) }
	section("protocols and cipher suites")
	for _, v := range rep.Versions {
		state := p.Dim("not offered")
		switch {
		case v.Inconclusive:
			state = p.Warn("inconclusive")
		case v.Supported:
			state = p.Good("accepted")
		}
		pref := ""
		if v.ServerPreference != nil {
			pref = ", client's order"
			if *v.ServerPreference {
				pref = ", server's order"
			}
		}
		fmt.Fprintf(&b, "%-8s %s%s\n", v.Version, state, pref)
		for _, s := range v.Suites {
			fs := "no FS"
			if s.ForwardSecrecy {
				fs = "FS"
			}
			fmt.Fprintf(&b, "  %-48s %-32s %4d bits  %s\n", s.Name, s.OpenSSLName, s.Bits, fs)
		}
	}
	var groups, unknown []string
	for _, g := range rep.Groups {
		switch {
		case g.Supported:
			groups = append(groups, g.Name)
		case g.Inconclusive:
			unknown = append(unknown, g.Name)
		}
	}
	section("key exchange")
	fmt.Fprintf(&b, "groups:  %s\n", orNone(strings.Join(groups, ", ")))
	if len(unknown) > 0 {
		fmt.Fprintf(&b, "%s %s\n", p.Warn("groups inconclusive:"), strings.Join(unknown, ", "))
	}
	if len(rep.TLS12Groups) > 0 {
		// Per certificate type (and DHE for the FFDHE groups), in the order probed.
		// Curves whose probes got no answer on a line of their own, as for groups: above, so
		// that they do not read as refused.
		var auths []string
		byAuth, unknownByAuth := map[string][]string{}, map[string][]string{}
		for _, g := range rep.TLS12Groups {
			if _, seen := byAuth[g.Auth]; !seen {
				auths = append(auths, g.Auth)
				byAuth[g.Auth] = nil
			}
			switch {
			case g.Supported:
				byAuth[g.Auth] = append(byAuth[g.Auth], g.Name)
			case g.Inconclusive:
				unknownByAuth[g.Auth] = append(unknownByAuth[g.Auth], g.Name)
			}
		}
		var parts, unknownParts []string
		for _, a := range auths {
			parts = append(parts, a+" "+orNone(strings.Join(byAuth[a], ", ")))
			if u := unknownByAuth[a]; len(u) > 0 {
				unknownParts = append(unknownParts, a+" "+strings.Join(u, ", "))
			}
		}
		version := rep.TLS12Groups[0].Version
		fmt.Fprintf(&b, "%s groups: %s\n", version, strings.Join(parts, "; "))
		if len(unknownParts) > 0 {
			fmt.Fprintf(&b, "%s %s\n", p.Warn(version+" groups inconclusive:"), strings.Join(unknownParts, "; "))
		}
	}
	if len(rep.DH) > 0 {
		var dh []string
		for _, g := range rep.DH {
			d := fmt.Sprintf("%s %s %d bits", g.Version, g.Auth, g.Bits)
			if g.Prime != "" {
				d += " (" + g.Prime + ")"
			}
			dh = append(dh, d)
		}
		fmt.Fprintf(&b, "dh:      %s\n", strings.Join(dh, "; "))
	}
	if c := rep.Connection; c != nil {
		section("certificate and connection")
		if c.Error != "" {
			fmt.Fprintf(&b, "handshake: %s\n", render.Escape(c.Error))
			if len(c.Chain) > 0 {
				leaf := c.Chain[0]
				fmt.Fprintf(&b, "certificate (from a probe): %s, %s, until %s (%s)\n", render.Escape(leaf.Subject), leaf.Key, leaf.NotAfter.Format("2006-01-02"), validityLeft(leaf.DaysLeft))
			}
		} else {
			if len(c.Chain) > 0 {
				leaf := c.Chain[0]
				fmt.Fprintf(&b, "certificate: %s, %s, until %s (%s)\n", render.Escape(leaf.Subject), leaf.Key, leaf.NotAfter.Format("2006-01-02"), validityLeft(leaf.DaysLeft))
			}
			fmt.Fprintf(&b, "alpn: %s\n", orNone(render.Escape(c.ALPN)))
			ocsp := "no"
			if c.OCSPStapled {
				ocsp = "yes (" + c.OCSPStatus + ")"
			}
			if c.MustStaple {
				ocsp += "; the certificate requires it (must-staple)"
			}
			fmt.Fprintf(&b, "ocsp stapling: %s\n", ocsp)
			if rev := c.Revocation; rev != nil && rev.Status != revocation.StatusNotChecked && rev.Status != revocation.StatusOff {
				fmt.Fprintf(&b, "revocation: %s\n", render.Escape(describeRevocationReport(rev)))
			}
			ticket := fmt.Sprint(c.ResumptionTicket)
			if c.TicketLifetimeS > 0 {
				ticket += fmt.Sprintf(" (lifetime %ds)", c.TicketLifetimeS)
			}
			fmt.Fprintf(&b, "resumption ticket: %s\n", ticket)
		}
	}
	if rep.Features != nil || rep.SecureRenegotiation != nil || len(rep.SignatureAlgorithms) > 0 {
		section("handshake features")
		if f := rep.Features; f != nil {
			renderFeatures(&b, f)
		}
		for _, sa := range rep.SignatureAlgorithms {
			who := sa.Version
			if sa.Auth != "" {
				who += " " + sa.Auth
			}
			line := orNone(strings.Join(sa.Accepted, ", "))
			if sa.IgnoresList {
				line += " (it ignores the list offered)"
			}
			if len(sa.Fallback) > 0 {
				line += "; falls back to " + strings.Join(sa.Fallback, ", ")
			}
			fmt.Fprintf(&b, "signature algorithms %s: %s\n", who, line)
			if len(sa.Inconclusive) > 0 {
				fmt.Fprintf(&b, "%s %s\n", p.Warn("signature algorithms "+who+" inconclusive:"), strings.Join(sa.Inconclusive, ", "))
			}
		}
		if sr := rep.SecureRenegotiation; sr != nil {
			word := "yes"
			if !*sr {
				word = p.Bad("no")
			}
			fmt.Fprintf(&b, "secure renegotiation (RFC 5746): %s\n", word)
		}
	}
	if h := rep.HTTP; h != nil {
		section("http")
		renderHTTP(&b, p, h)
	}
	if len(rep.Checks) > 0 {
		section("vulnerabilities")
		for _, c := range rep.Checks {
			// Padded before it is coloured, so the columns are those of a pipe.
			verdict := fmt.Sprintf("%-15s", c.Verdict)
			switch c.Verdict {
			case scan.Vulnerable:
				verdict = p.Bad(verdict)
			case scan.NotVulnerable:
				verdict = p.Good(verdict)
			case scan.Inconclusive:
				verdict = p.Warn(verdict)
			default:
				verdict = p.Dim(verdict)
			}
			fmt.Fprintf(&b, "%-21s %s %s\n", c.ID, verdict, render.Escape(c.Received))
		}
	}
	if len(rep.Clients) > 0 {
		section("client simulation")
		renderClients(&b, rep.Clients)
	}
	if len(rep.Findings) > 0 {
		section("findings")
	}
	for _, f := range rep.Findings {
		sev := f.Severity
		switch f.Severity {
		case "high":
			sev = p.Bad(sev)
		case "medium", "low":
			sev = p.Warn(sev)
		}
		fmt.Fprintf(&b, "finding: %s %s: %s\n", sev, f.ID, render.Escape(f.Message))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderFeatures writes the extensions, ALPN, NPN and resumption lines.
func renderFeatures(b *strings.Builder, f *scan.Features) {
	yesNo := func(v *bool) string {
		switch {
		case v == nil:
			return "not tested"
		case *v:
			return "yes"
		default:
			return "no"
		}
	}
	if f.Version != "" {
		fmt.Fprintf(b, "%s extensions: %s\n", f.Version, orNone(strings.Join(f.Extensions, ", ")))
		etm := "no CBC suites"
		if f.EncryptThenMAC != nil {
			etm = yesNo(f.EncryptThenMAC)
		}
		fmt.Fprintf(b, "extended master secret: %s; encrypt-then-MAC: %s\n", yesNo(f.ExtendedMasterSecret), etm)
	}
	if f.TLS13Extensions != nil {
		fmt.Fprintf(b, "TLS 1.3 extensions: %s\n", orNone(strings.Join(f.TLS13Extensions, ", ")))
	}
	fmt.Fprintf(b, "alpn protocols: %s\n", orNone(render.Escape(strings.Join(f.ALPN, ", "))))
	if f.NPN != nil {
		fmt.Fprintf(b, "npn protocols: %s\n", orNone(render.Escape(strings.Join(f.NPN, ", "))))
	}
	fmt.Fprintf(b, "resumption: session ID %s; TLS 1.2 ticket %s; TLS 1.3 ticket %s\n",
		yesNo(f.SessionIDResumption), yesNo(f.TicketResumption12), yesNo(f.TicketResumption13))
	if e := f.ECH; e != nil {
		switch {
		case !e.RetryConfigs:
			fmt.Fprintf(b, "encrypted client hello: no retry configs to a GREASE ECH extension (no ECH)\n")
		case e.Error != "":
			fmt.Fprintf(b, "encrypted client hello: retry configs that do not decode: %s\n", render.Escape(e.Error))
		default:
			var names []string
			for _, c := range e.Configs {
				if c.Supported {
					names = append(names, fmt.Sprintf("config %d for public name %s", c.ConfigID, c.PublicName))
				}
			}
			fmt.Fprintf(b, "encrypted client hello: supported; retry configs %s\n", render.Escape(orNone(strings.Join(names, ", "))))
		}
	}
}

// renderHTTP writes what the HTTP request showed: the answer, HSTS, compression.
func renderHTTP(b *strings.Builder, p palette, h *scan.HTTPResult) {
	if !h.HTTP {
		fmt.Fprintf(b, "not HTTP: %s\n", render.Escape(h.Error))
		return
	}
	line := fmt.Sprintf("%d %s (%s over %s)", h.Status, h.Reason, h.Proto, h.TLSVersion)
	if h.Server != nil {
		line += ", server " + strconv.Quote(*h.Server)
	}
	if h.Location != "" {
		line += ", to " + h.Location
	}
	fmt.Fprintf(b, "answer:  %s\n", render.Escape(line))
	switch hs := h.HSTS; {
	case hs == nil:
		fmt.Fprintf(b, "hsts:    %s\n", p.Warn("none"))
	case hs.Error != "":
		fmt.Fprintf(b, "hsts:    %s (%s)\n", p.Warn("ignored by browsers"), render.Escape(hs.Error))
	default:
		parts := []string{fmt.Sprintf("max-age %d (%s)", *hs.MaxAge, hstsDays(*hs.MaxAge))}
		if hs.IncludeSubDomains {
			parts = append(parts, "includeSubDomains")
		}
		if hs.Preload {
			parts = append(parts, "preload")
		}
		fmt.Fprintf(b, "hsts:    %s\n", strings.Join(parts, ", "))
	}
	enc := "none"
	if h.ContentEncoding != "" {
		enc = p.Warn(render.Escape(h.ContentEncoding)) + " (BREACH)"
	}
	fmt.Fprintf(b, "compression: %s\n", enc)
}

func hstsDays(seconds int64) string {
	if seconds < 86400 {
		return fmt.Sprintf("%d hours", seconds/3600)
	}
	return fmt.Sprintf("%d days", seconds/86400)
}

// renderClients writes a line per simulated client: what it would get, or how it is refused.
func renderClients(b *strings.Builder, clients []scan.ClientResult) {
	for _, c := range clients {
		name := c.Client + " " + c.ClientVersion
		var got string
		switch {
		case c.Refused != "":
			got = "refused: " + c.Refused
		case c.Error != "" && c.Version == "":
			got = "no answer: " + c.Error
		default:
			kx := c.Group
			if kx == "" && c.DHBits > 0 {
				kx = fmt.Sprintf("DHE %d bits", c.DHBits)
			}
			if c.HelloRetryRequest {
				kx += " (after a HelloRetryRequest)"
			}
			got = strings.TrimRight(fmt.Sprintf("%-8s %-44s %s", c.Version, c.CipherSuite, kx), " ")
			if c.Error != "" {
				got += "; the client would abort: " + c.Error
			}
		}
		fmt.Fprintf(b, "%-36s %s\n", render.Escape(name), render.Escape(got))
	}
}
