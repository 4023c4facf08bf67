package cmd

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/wire"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryFlagCompletes: every flag that takes a value is known to completion as taking one
// of a list of values, a directory, a file, or free text, so a new flag cannot silently
// complete to the files of the working directory.
func TestEveryFlagCompletes(t *testing.T) {
	a := newApp(NewTestStreams("").IOStreams, nil, testBuild)
	root := newRootCmd(a)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Value.Type() == "bool" || f.NoOptDefVal != "" {
				return
			}
			_, listed := flagValues(c, f.Name)
			known := listed || directoryFlags[f.Name] || fileFlags[f.Name] || strings.HasSuffix(f.Name, "-file") || freeText[f.Name]
			if !known {
				t.Errorf("%s --%s: not classified for completion (completion.go)", c.CommandPath(), f.Name)
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

// TestCompletedValuesAreAccepted: each value completion offers is one its flag's parser takes.
func TestCompletedValuesAreAccepted(t *testing.T) {
	c := &cobra.Command{Annotations: outputFormats(formatText, formatJSON)}
	check := func(flag string, accept func(string) bool) {
		values, ok := flagValues(c, flag)
		if !ok || len(values) == 0 {
			t.Fatalf("--%s: no values", flag)
		}
		for _, v := range values {
			if !accept(v) {
				t.Errorf("--%s: completion offers %q, which the flag refuses", flag, v)
			}
		}
	}
	check("key-type", func(v string) bool { _, err := certgen.ParseKeyType(v); return err == nil })
	check("tls-min", func(v string) bool { _, err := parseTLSVersion(v, "--tls-min"); return err == nil })
	check("ciphers", func(v string) bool {
		cs, ok := wire.CipherSuiteByName(v)
		return ok && !cs.TLS13 && goSupportsSuite(cs.ID)
	})
	check("groups", func(v string) bool { id, ok := wire.GroupByName(v); return ok && goSupportsGroup(tls.CurveID(id)) })
	check("reason", func(v string) bool { _, err := certgen.ParseRevocationReason(v); return err == nil })
	check("starttls", func(v string) bool { return starttlsFlag(v).check() == nil })
	check("fail-on", func(v string) bool { _, ok := severityRank[v]; return ok || v == "none" })
	check("revocation", func(v string) bool { _, err := revocation.ParseMode(v); return err == nil })
	// These two are judged inside their commands: run them so they stop right after.
	check("purpose", func(v string) bool {
		res := runCLI(t, "verify", "no-such-chain.pem", "--purpose", v)
		return !strings.Contains(res.stderr, "--purpose must be")
	})
	check("client-auth", func(v string) bool {
		res := runCLI(t, "serve", "--client-auth", v, "--client-ca", "no-such-ca.pem", "--addr", "127.0.0.1:0")
		return res.code != ExitOK && !strings.Contains(res.stderr, "--client-auth must be") && !strings.Contains(res.stderr, "unknown")
	})
	check("output", func(v string) bool { return v == formatText || v == formatJSON })
	check("store", isKnownStore)
	check("challenge", func(v string) bool {
		// --server is judged after --challenge: its error shows the challenge was taken.
		args := []string{"acme", "issue", "x.test", "--challenge", v, "--server", "no-such-ca"}
		if v == "dns-01" {
			args = append(args, "--dns-hook", "true")
		}
		res := runCLI(t, args...)
		return strings.Contains(res.stderr, "--server: expected") && !strings.Contains(res.stderr, "--challenge")
	})
	check("server", func(v string) bool { o := acmeCAOptions{server: v}; _, err := o.directoryURL(); return err == nil })
}
