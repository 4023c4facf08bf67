package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/material"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/handshake"
)

type verifyOptions struct {
	caFile        string
	intermediates string
	host          string
	at            string
	purpose       string
	revocation    revocationFlags
}

func newVerifyCmd(a *app) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify CHAIN_FILE",
		Short: "Say whether a certificate chain is valid, for a name and a purpose, and why not",
		Long: `Verify the chain in CHAIN_FILE (PEM or DER; "-" reads stdin): the first certificate is the
leaf, the rest are untrusted intermediates. Prints every chain that could be built, as a tree, or
the exact reason none could.

Revocation is checked with --revocation crl, ocsp or auto (fetching each certificate's CRL or
asking its OCSP responder, within --timeout) or against local CRL files with --crl; a revoked
certificate makes the chain invalid (reason revoked), and a status that cannot be determined is
a warning unless --revocation-hard-fail.

Exit codes: 0 valid, 3 invalid, 1 the file could not be read, 2 usage.`,
		Example: `  tlskit verify site.pem --host www.example.com
  tlskit verify leaf.pem --intermediates chain.pem --ca root.pem --at 2027-01-01T00:00:00Z
  tlskit handshake example.com --pem | tlskit verify - --host example.com
  tlskit verify site.pem --ca ca/root.pem --crl ca/crl.pem        # a local CRL, no network
  tlskit verify chain.pem --revocation auto --revocation-hard-fail`,
		Args:        cobra.ExactArgs(1),
		Annotations: networkCommand(quickCommand(outputFormats(formatText, formatJSON))),
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(c.Context(), a, o, args[0])
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.caFile, "ca", "", "trust only the certificates in this file (default: the system roots)")
	fs.StringVar(&o.intermediates, "intermediates", "", "more untrusted intermediates that may complete the chain")
	fs.StringVar(&o.host, "host", "", "host name or IP address the leaf must be valid for")
	fs.StringVar(&o.at, "at", "", "verify as of this time (RFC 3339), for reproducible results")
	fs.StringVar(&o.purpose, "purpose", "server", "what the leaf is for: server, client or any")
	o.revocation.register(fs, revocation.ModeStaple)
	return c
}

func runVerify(ctx context.Context, a *app, o *verifyOptions, file string) error {
	opts := inspect.VerifyOptions{AllChains: true, Now: a.now(), PresentedBy: "the file"}
	rp, err := o.revocation.build(a.opts.Timeout)
	if err != nil {
		return err
	}
	switch o.purpose {
	case "server":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case "client":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	case "any":
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	default:
		return usageErrorf("--purpose must be server, client or any")
	}
	if o.at != "" {
		t, err := time.Parse(time.RFC3339, o.at)
		if err != nil {
			return usageErrorf("--at: %q is not an RFC 3339 time (e.g. 2027-01-01T00:00:00Z)", o.at)
		}
		opts.Now = t
	}
	if o.host != "" {
		if addr, err := netip.ParseAddr(strings.Trim(o.host, "[]")); err == nil {
			opts.Host = addr.String()
		} else if h, err := connect.NormalizeHostname(o.host); err == nil {
			opts.Host = h
		} else {
			return usageErrorf("--host: %v", err)
		}
	}
	chain, chainErr := readCertFile(a, "certificate chain", file)
	var malformed *material.CertificateError
	if chainErr != nil && !errors.As(chainErr, &malformed) {
		return chainErr
	}
	if o.intermediates != "" {
		if opts.Intermediates, err = readCertFile(a, "--intermediates", o.intermediates); err != nil {
			return err
		}
	}
	var roots []*x509.Certificate
	if o.caFile != "" {
		if opts.Roots, roots, err = readRoots(a, "--ca", o.caFile); err != nil {
			return err
		}
	}
	if malformed != nil {
		// Go refuses a certificate of the chain itself: that is the verdict, not a read error.
		// Nothing of such a chain is looked up for revocation.
		rev := revocation.Report{Mode: rp.opts.Mode, Status: revocation.StatusNotChecked}
		if rp.opts.Mode == revocation.ModeOff {
			rev.Status = revocation.StatusOff
		}
		return reportVerify(a, o, file, opts, chain, malformed.Total,
			inspect.MalformedChain(chain, malformed.Total, malformed.DER, malformed.Err, opts), &rev)
	}

	v := inspect.VerifyChain(chain, opts)
	rev := checkChainRevocation(ctx, a, chain, append(append(append([]*x509.Certificate{}, chain...), opts.Intermediates...), roots...), &v, rp, opts.Now)
	a.warnRevocation(file, &rev, rp.hardFail)
	return reportVerify(a, o, file, opts, chain, len(chain), v, &rev)
}

// reportVerify prints the verdict on the chain in file, of which the certificates in chain
// parsed (all of them, or those before a malformed one), and returns the exit status.
func reportVerify(a *app, o *verifyOptions, file string, opts inspect.VerifyOptions, chain []*x509.Certificate, presented int,
	v inspect.Verification, rev *revocation.Report) error {
	// The report's time is to the second, as every time tlskit writes (docs/json.md).
	rep := inspect.VerifyReport{File: file, At: opts.Now.UTC().Truncate(time.Second), Host: opts.Host, Purpose: o.purpose,
		Presented: presented, Verification: v, Revocation: rev}
	if len(chain) > 0 {
		leaf := inspect.Describe(chain[0], opts.Now)
		rep.Leaf = &leaf
	}
	if a.opts.Output == formatJSON {
		if err := a.writeJSON(rep); err != nil {
			return err
		}
	} else if err := renderVerify(a.streams.Out, a.outPalette(), rep, describeAll(chain, opts.Now)); err != nil {
		return err
	}
	if !v.Verified {
		err := withHint(checkFailed(fmt.Errorf("%s: %s (%s)", file, v.Error, v.Reason)), verificationHint(v.Reason, true))
		if a.opts.Output != formatJSON {
			err = saidOnStdout(err)
		}
		return err
	}
	return nil
}

// checkChainRevocation looks up the revocation of the verified path (else the chain as given),
// with certs to find issuers in, and folds the verdict into v.
func checkChainRevocation(ctx context.Context, a *app, chain, certs []*x509.Certificate, v *inspect.Verification, rp revocationPlan, now time.Time) revocation.Report {
	path := v.Path
	if path == nil {
		path = chain
	}
	ro := rp.opts
	ro.Now, ro.PathVerified = now, v.Path != nil
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.Timeout)
	defer cancel()
	rev := revocation.Check(ctx, path, certs, nil, ro)
	if len(v.Chains) > 0 {
		inspect.AttachRevocation(v.Chains[0], path, rev, path)
	}
	inspect.ApplyRevocation(v, rev, rp.hardFail)
	return rev
}

// verificationHint is the next step for a chain that failed for reason, presented by a file
// (tlskit verify) or by a server; "" when there is none to give.
func verificationHint(reason string, file bool) string {
	switch {
	case reason == inspect.ReasonIncompleteChain && file:
		return "give the missing intermediate with --intermediates FILE (or, if that issuer is a root you trust, with --ca FILE)"
	case reason == inspect.ReasonIncompleteChain:
		return "the server must send its intermediate certificates after its own: put the CA's full chain in the server's certificate file (or, if that issuer is a private root, trust it with --ca FILE)"
	case reason == inspect.ReasonUnknownAuthority && file:
		return "if the issuer is a root you trust, give it with --ca FILE; if it is an intermediate, with --intermediates FILE"
	case reason == inspect.ReasonUnknownAuthority:
		return "if the issuer is a root you trust, give it with --ca FILE; if it is an intermediate, the server must send it; --insecure skips verification"
	case reason == inspect.ReasonSelfSigned && file:
		return "if you trust this certificate itself, give it with --ca FILE"
	case reason == inspect.ReasonSelfSigned:
		return "if you trust this server's own certificate, give it with --ca FILE (tlskit serve --write-cert saves one); --insecure skips verification"
	}
	return ""
}

// verificationHintFor is the hint for a handshake whose failed verification checkProblem
// reports ("" when what it reports is something else, or nothing failed).
func verificationHintFor(res *handshake.Result, o *handshakeOptions) string {
	if v := res.Verification; v != nil && !v.Verified && !o.insecure {
		return verificationHint(v.Reason, false)
	}
	return ""
}

// describeAll describes each certificate of a chain at the time of the verdict.
func describeAll(chain []*x509.Certificate, at time.Time) []inspect.Certificate {
	out := make([]inspect.Certificate, len(chain))
	for i, c := range chain {
		out[i] = inspect.Describe(c, at)
	}
	return out
}

// renderVerify writes the verdict in the one text layout: the verified chains as trees, or,
// when nothing verified, the chain as the file presented it, so the user sees which
// certificate is at fault (an expired one is marked so), then the verdict line.
func renderVerify(w io.Writer, p palette, rep inspect.VerifyReport, presented []inspect.Certificate) error {
	var b strings.Builder
	esc := render.Escape
	v := rep.Verification
	if len(v.Chains) == 0 && len(presented) > 0 {
		header := "presented chain (not verified)"
		if (v.Reason == inspect.ReasonHostnameMismatch || v.Reason == inspect.ReasonCNWithoutSAN) && rep.Host != "" {
			// Only the name failed: the chain is not what is at fault.
			header = "presented chain (not valid for " + esc(rep.Host) + ")"
		}
		fmt.Fprintf(&b, "%s\n", p.Bold(header))
		for depth, c := range presented {
			role := "intermediate"
			switch {
			case depth == 0:
				role = "leaf"
			case c.SelfSigned:
				role = "self-signed"
			}
			var marks []string
			switch {
			case rep.At.After(c.NotAfter):
				marks = append(marks, p.Bad("expired "+c.NotAfter.Format("2006-01-02")))
			case rep.At.Before(c.NotBefore):
				marks = append(marks, p.Bad("not valid before "+c.NotBefore.Format("2006-01-02")))
			}
			indent, branch := strings.Repeat("   ", depth), ""
			if depth > 0 {
				branch = "└─ "
			}
			line := fmt.Sprintf("  %s%s%s %s", indent, branch, p.Bold(esc(c.Subject)), p.Dim("("+role+", until "+c.NotAfter.Format("2006-01-02")+")"))
			if len(marks) > 0 {
				line += " " + strings.Join(marks, ", ")
			}
			fmt.Fprintf(&b, "%s\n", line)
			if depth == len(presented)-1 && !c.SelfSigned {
				pad := "   " // under the subject, past the branch
				if depth > 0 {
					pad = "      "
				}
				fmt.Fprintf(&b, "  %s%s%s %s\n", indent, pad, p.Dim("issued by"), esc(c.Issuer))
			}
		}
	}
	for i, ch := range v.Chains {
		fmt.Fprintf(&b, "%s\n", p.Bold(fmt.Sprintf("chain %d", i+1)))
		for depth, c := range ch {
			role := "intermediate"
			switch {
			case depth == 0:
				role = "leaf"
			case depth == len(ch)-1:
				role = "trusted root"
			}
			indent := strings.Repeat("   ", depth)
			branch := ""
			if depth > 0 {
				branch = "└─ "
			}
			fmt.Fprintf(&b, "  %s%s%s %s\n", indent, branch, p.Bold(esc(c.Subject)), p.Dim("("+role+", until "+c.NotAfter.Format("2006-01-02")+")"))
			if i == 0 && c.Revocation != nil && c.Revocation.Status != revocation.StatusNotChecked {
				pad := "   " // under the subject, past the branch
				if depth > 0 {
					pad = "      "
				}
				fmt.Fprintf(&b, "  %s%s%s %s\n", indent, pad, p.Dim("revocation"), revocationColour(p, c.Revocation.Status)(esc(describeRevocation(c.Revocation, rep.At))))
			}
		}
	}
	// A revoked chain is said by the "not valid" line; good and unknown get a line of their own.
	if rev := rep.Revocation; rev != nil && (rev.Status == revocation.StatusGood || rev.Status == revocation.StatusUnknown) {
		fmt.Fprintf(&b, "%s %s\n", p.Dim("revocation:"), revocationColour(p, rev.Status)(esc(describeRevocationReport(rev))))
	}
	if v.Verified {
		what := "valid"
		if rep.Host != "" {
			what += " for " + rep.Host
		}
		fmt.Fprintf(&b, "%s %s, purpose %s, at %s\n", p.Good("verified:"), what, rep.Purpose, rep.At.Format(time.RFC3339))
	} else {
		fmt.Fprintf(&b, "%s %s (%s)\n", p.Bad("not valid:"), esc(v.Error), v.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
