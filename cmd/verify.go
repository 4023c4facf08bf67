package cmd

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore"
)

type verifyOptions struct {
	caFile        string
	intermediates string
	host          string
	at            string
	purpose       string
}

func newVerifyCmd(a *app) *cobra.Command {
	o := &verifyOptions{}
	c := &cobra.Command{
		Use:   "verify CHAIN_FILE",
		Short: "Say whether a certificate chain is valid, for a name and a purpose, and why not",
		Long: `Verify the chain in CHAIN_FILE (PEM or DER; "-" reads stdin): the first certificate is the
leaf, the rest are untrusted intermediates. Prints every chain that could be built, as a tree, or
the exact reason none could.

Exit codes: 0 valid, 3 invalid, 1 the file could not be read, 2 usage.`,
		Example: `  tlskit verify site.pem --host www.example.com
  tlskit verify leaf.pem --intermediates chain.pem --ca root.pem --at 2027-01-01T00:00:00Z
  tlskit handshake example.com --pem | tlskit verify - --host example.com`,
		Args:        cobra.ExactArgs(1),
		Annotations: quickCommand(outputFormats(formatText, formatJSON)),
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(a, o, args[0])
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.caFile, "ca", "", "trust only the certificates in this file (default: the system roots)")
	fs.StringVar(&o.intermediates, "intermediates", "", "more untrusted intermediates that may complete the chain")
	fs.StringVar(&o.host, "host", "", "host name or IP address the leaf must be valid for")
	fs.StringVar(&o.at, "at", "", "verify as of this time (RFC 3339), for reproducible results")
	fs.StringVar(&o.purpose, "purpose", "server", "what the leaf is for: server, client or any")
	return c
}

// verifyReport is the JSON of `tlskit verify` (docs/json.md).
type verifyReport struct {
	File         string               `json:"file"`
	At           time.Time            `json:"at"`
	Host         string               `json:"host,omitempty"`
	Purpose      string               `json:"purpose"`
	Leaf         inspect.Certificate  `json:"leaf"`
	Presented    int                  `json:"presented"`
	Verification inspect.Verification `json:"verification"`
}

func runVerify(a *app, o *verifyOptions, file string) error {
	opts := inspect.VerifyOptions{AllChains: true, Now: a.now()}
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
		} else if h, err := tlscore.NormalizeHostname(o.host); err == nil {
			opts.Host = h
		} else {
			return usageErrorf("--host: %v", err)
		}
	}
	chain, err := readChainFile(a, file, "certificate chain")
	if err != nil {
		return err
	}
	if o.intermediates != "" {
		if opts.Intermediates, err = readChainFile(a, o.intermediates, "--intermediates"); err != nil {
			return err
		}
	}
	if o.caFile != "" {
		roots, err := readChainFile(a, o.caFile, "--ca")
		if err != nil {
			return err
		}
		opts.Roots = x509.NewCertPool()
		for _, c := range roots {
			opts.Roots.AddCert(c)
		}
	}

	v := inspect.VerifyChain(chain, opts)
	rep := verifyReport{File: file, At: opts.Now.UTC(), Host: opts.Host, Purpose: o.purpose,
		Leaf: inspect.Describe(chain[0], opts.Now), Presented: len(chain), Verification: v}
	if a.opts.Output == formatJSON {
		if err := a.writeJSON(rep); err != nil {
			return err
		}
	} else if err := renderVerify(a.streams.Out, a.outPalette(), a.streams.OutTTY, rep); err != nil {
		return err
	}
	if !v.Verified {
		return checkFailed(fmt.Errorf("%s: %s (%s)", file, v.Error, v.Reason))
	}
	return nil
}

// readChainFile reads certificates from a file ("-" is stdin), refusing what is not one.
func readChainFile(a *app, path, what string) ([]*x509.Certificate, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = readAllLimited(a.streams.In, 64<<20)
	} else {
		data, err = readInputFile(path, 64<<20)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if block, _ := pem.Decode(data); block != nil && strings.Contains(block.Type, "CERTIFICATE REQUEST") {
		return nil, fmt.Errorf("%s: %s is a certificate request, not a certificate (sign it first: tlskit cert sign)", what, path)
	}
	certs, err := certgen.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", what, path, err)
	}
	return certs, nil
}

func renderVerify(w io.Writer, p palette, human bool, rep verifyReport) error {
	var b strings.Builder
	esc := render.Escape
	v := rep.Verification
	if !human {
		fmt.Fprintf(&b, "file: %s\n", esc(rep.File))
		fmt.Fprintf(&b, "at: %s\n", rep.At.Format(time.RFC3339))
		if rep.Host != "" {
			fmt.Fprintf(&b, "host: %s\n", rep.Host)
		}
		fmt.Fprintf(&b, "purpose: %s\n", rep.Purpose)
		fmt.Fprintf(&b, "leaf: %s\n", esc(rep.Leaf.Subject))
		fmt.Fprintf(&b, "verified: %t\n", v.Verified)
		if !v.Verified {
			fmt.Fprintf(&b, "reason: %s\n", v.Reason)
			fmt.Fprintf(&b, "error: %s\n", esc(v.Error))
		}
		if rep.Host != "" {
			fmt.Fprintf(&b, "hostname_ok: %t\n", v.HostnameOK)
		}
		for i, ch := range v.Chains {
			var subjects []string
			for _, c := range ch {
				subjects = append(subjects, esc(c.Subject))
			}
			fmt.Fprintf(&b, "chain.%d: %s\n", i, strings.Join(subjects, " <- "))
		}
		_, err := io.WriteString(w, b.String())
		return err
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
		}
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
