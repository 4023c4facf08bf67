package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
	"github.com/tlskit/tlskit/tlscore/scan"
)

type scanOptions struct {
	sni      string
	parallel int
	rate     int
	failOn   string
}

func newScanCmd(a *app) *cobra.Command {
	o := &scanOptions{}
	c := &cobra.Command{
		Use:   "scan TARGET...",
		Short: "Find which TLS versions, cipher suites and groups a server accepts",
		Long: `Probe a server with hand-built ClientHellos (not Go's TLS stack, which cannot offer most legacy
suites) and list the protocol versions, cipher suites (in the server's preference order when it
has one) and key-exchange groups it accepts, with findings about weak settings.

Exit codes: 0 no finding at or above --fail-on, 3 otherwise, 1 could not scan.`,
		Example: `  tlskit scan example.com
  tlskit scan 127.0.0.1:8443 -o json | jq '.versions[] | select(.supported) | .version'
  tlskit scan mail.example.com:443 --fail-on medium`,
		Args:        cobra.MinimumNArgs(1),
		Annotations: outputFormats(formatText, formatJSON),
		RunE: func(c *cobra.Command, args []string) error {
			return runScan(c.Context(), a, o, args)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.sni, "sni", "", "server name to send (default: the target's host name)")
	fs.IntVar(&o.parallel, "parallel", 8, "probe connections at once")
	fs.IntVar(&o.rate, "rate", 100, "most new connections per second, so a scan never floods a server")
	fs.StringVar(&o.failOn, "fail-on", "high", "exit 3 on a finding of this severity or worse: low, medium or high (none to never)")
	return c
}

// scanReport is the JSON of `tlskit scan` (docs/json.md).
type scanReport struct {
	*scan.Result
	Findings []scan.Finding `json:"findings"`
}

func runScan(ctx context.Context, a *app, o *scanOptions, args []string) error {
	threshold, ok := severityRank[o.failOn]
	if !ok && o.failOn != "none" {
		return usageErrorf("--fail-on must be low, medium, high or none")
	}
	if o.parallel < 1 || o.parallel > 64 {
		return usageErrorf("--parallel must be 1 to 64")
	}
	if o.rate < 1 {
		return usageErrorf("--rate must be at least 1")
	}
	targets, err := a.resolveTargets(args, 443)
	if err != nil {
		return err
	}
	failed := 0
	var firstFinding string
	for i, t := range targets {
		sni := t.ServerName()
		if o.sni != "" {
			sni = o.sni
		}
		res, err := scan.Scan(ctx, scan.Options{Target: t, ServerName: sni, Timeout: a.opts.Timeout, Parallel: o.parallel, Rate: o.rate})
		if err != nil {
			return fmt.Errorf("scanning %s: %w", t.Address(), err)
		}
		rep := scanReport{Result: res, Findings: scan.Findings(res)}
		if a.opts.Output == formatJSON {
			if len(targets) > 1 {
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
				failed++
				if firstFinding == "" {
					firstFinding = fmt.Sprintf("%s: %s finding %s: %s", t.Address(), f.Severity, f.ID, f.Message)
				}
				break
			}
		}
	}
	if failed > 0 {
		return checkFailed(fmt.Errorf("%s", firstFinding))
	}
	return nil
}

var severityRank = map[string]int{"info": 0, "low": 1, "medium": 2, "high": 3}

func renderScan(w io.Writer, p palette, rep scanReport, gap bool) error {
	var b strings.Builder
	if gap {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s (%d probes)\n", p.Bold("scan of"), rep.Target.Address(), rep.Probes)
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
	var groups []string
	for _, g := range rep.Groups {
		if g.Supported {
			groups = append(groups, g.Name)
		}
	}
	fmt.Fprintf(&b, "groups:  %s\n", orDash(strings.Join(groups, ", ")))
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
