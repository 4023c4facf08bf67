// Package cmd is tlskit's command-line interface: the cobra command tree, flags, rendering and
// colour, and the mapping from errors to exit codes. It is the only package that knows cobra,
// fatih/color or the process's streams; the libraries (tlscore, certgen, inspect) return results
// and typed errors, and this package decides how they look and how the process exits.
package cmd

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Output formats. Every reporting command takes text and json; some add pem.
const (
	formatText = "text"
	formatJSON = "json"
	formatPEM  = "pem"
)

const outputAnnotation = "tlskit/output-formats"

// annotationQuickCommand marks a command that only reads and reports, and usually ends within
// milliseconds: its signal handlers wait for quickRunGrace. Every other command (those that
// write files, serve, scan) has them installed before it runs.
const annotationQuickCommand = "tlskit/quick"

// outputFormats declares which -o values a command supports.
func outputFormats(formats ...string) map[string]string {
	return map[string]string{outputAnnotation: strings.Join(formats, ",")}
}

// annotationNetwork marks a command that connects to servers: it takes --timeout.
const annotationNetwork = "tlskit/network"

// networkCommand marks a command's annotations as a network command's (annotationNetwork).
func networkCommand(annotations map[string]string) map[string]string {
	annotations[annotationNetwork] = "yes"
	return annotations
}

// quickCommand marks a command's annotations as a quick command's (annotationQuickCommand).
func quickCommand(annotations map[string]string) map[string]string {
	annotations[annotationQuickCommand] = "yes"
	return annotations
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	Output  string
	NoColor bool
	Quiet   bool
	Timeout time.Duration
}

// app is one run of tlskit: its streams, environment, build information and global options.
// Commands get it through their constructors instead of reaching for package-level state.
type app struct {
	streams *IOStreams
	getenv  func(string) string
	build   BuildInfo
	opts    globalOptions
	// random and now are the sources of randomness and time handed to the libraries.
	random io.Reader
	now    func() time.Time
	// kdfIterations is the PBKDF2 cost of the keys and PKCS#12 files tlskit encrypts:
	// material.DefaultPBKDF2Iterations, lowered only by tests: in-process ones through mainWith,
	// the end-to-end binary through its build tag (kdfcost_e2e.go).
	kdfIterations int
	// interrupts turns Ctrl-C into the cancellation of the run's context (nil in tests that
	// build commands without Main).
	interrupts *interrupts
}

func newApp(streams *IOStreams, getenv func(string) string, build BuildInfo) *app {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &app{streams: streams, getenv: getenv, build: build, random: rand.Reader, now: time.Now,
		kdfIterations: defaultKDFIterations(getenv)}
}

func (a *app) colors() colorPolicy {
	return colorPolicy{disabledByFlag: a.opts.NoColor, getenv: a.getenv}
}

// outPalette styles what goes to stdout; errPalette what goes to stderr.
func (a *app) outPalette() palette { return newPalette(a.colors().enabled(a.streams.OutTTY)) }
func (a *app) errPalette() palette { return newPalette(a.colors().enabled(a.streams.ErrTTY)) }

// warnf prints a diagnostic warning on stderr unless --quiet.
func (a *app) warnf(format string, args ...any) {
	if a.opts.Quiet {
		return
	}
	p := a.errPalette()
	fmt.Fprintf(a.streams.Err, "%s %s\n", p.Dim("tlskit:"), p.Warn("warning: "+sanitizeLine(fmt.Sprintf(format, args...))))
}

// infof prints progress or other diagnostics on stderr unless --quiet.
func (a *app) infof(format string, args ...any) {
	if a.opts.Quiet {
		return
	}
	// With the prefix every diagnostic has, so a script's stderr is one program's, line by line.
	fmt.Fprintf(a.streams.Err, "%s %s\n", a.errPalette().Dim("tlskit:"), sanitizeLine(fmt.Sprintf(format, args...)))
}

// writeJSON writes one JSON document to stdout, indented for people and parseable by jq.
func (a *app) writeJSON(v any) error {
	return writeJSONTo(a.streams.Out, v)
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// writeJSONLine writes one compact JSON object on its own line (JSON Lines), for commands that
// report on several targets.
func (a *app) writeJSONLine(v any) error {
	enc := json.NewEncoder(a.streams.Out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// commandConstructors are the top-level commands, by name.
var commandConstructors = []struct {
	name string
	make func(*app) *cobra.Command
}{
	{"version", newVersionCmd},
	{"handshake", newHandshakeCmd},
	{"serve", newServeCmd},
	{"verify", newVerifyCmd},
	{"inspect", newInspectCmd},
	{"scan", newScanCmd},
	{"cert", newCertCmd},
	{"ca", newCACmd},
	{"acme", newACMECmd},
}

// newRootCmd builds the command tree for one run. When args name a command, only that command's
// subtree is built: constructing every command's flags and help costs a few hundred
// microseconds at start-up, a noticeable share of a loopback handshake. Help, completion and
// anything unrecognised get the whole tree (listings, suggestions).
func newRootCmd(a *app, args ...string) *cobra.Command {
	root := &cobra.Command{
		Use:   "tlskit",
		Short: "A TLS toolkit: handshakes, certificates, a local server, inspection and scanning",
		Long: `tlskit runs real TLS handshakes and shows every step, makes keys, certificates and a
local CA that modern clients accept, serves TLS locally, inspects and verifies certificate
material, and scans which versions and cipher suites a server accepts.

Data goes to stdout (text, or JSON with -o json); diagnostics go to stderr. Exit codes:
0 success, 1 could not complete, 2 usage, 3 a check failed, 130 interrupted.`,
		Version:       a.build.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          runGroup,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			if a.interrupts != nil && c.Annotations[annotationQuickCommand] == "" {
				a.interrupts.install()
			}
			// pflag writes its own deprecation notice into cobra's flag-error buffer, which
			// nobody reads: say it here, as every other warning is said.
			c.Flags().Visit(func(f *pflag.Flag) {
				if f.Deprecated != "" {
					a.warnf("--%s is deprecated: %s", f.Name, f.Deprecated)
				}
			})
			return nil
		},
	}
	root.SetVersionTemplate("tlskit {{.Version}}\n")
	// --version without cobra's -v: -v is --verbose on every command that has it, so
	// `tlskit -v handshake HOST` is a verbose handshake, not the version with the command ignored.
	root.Flags().Bool("version", false, "print the version (as 'tlskit version' does)")

	flags := root.PersistentFlags()
	flags.BoolVar(&a.opts.NoColor, "no-color", false, "never colour output (also NO_COLOR, TERM=dumb)")
	flags.BoolVarP(&a.opts.Quiet, "quiet", "q", false, "no diagnostics on stderr (errors are still printed)")

	wanted := firstCommandArg(args)
	full := true
	for _, c := range commandConstructors {
		if c.name == wanted {
			root.AddCommand(c.make(a))
			full = false
		}
	}
	if full {
		for _, c := range commandConstructors {
			root.AddCommand(c.make(a))
		}
	}

	root.SetIn(a.streams.In)
	root.SetOut(a.streams.Out)
	root.SetErr(a.streams.Err)
	if full {
		root.CompletionOptions.HiddenDefaultCmd = false
		root.InitDefaultCompletionCmd()
		root.InitDefaultHelpCmd()
	} else {
		root.CompletionOptions.DisableDefaultCmd = true
	}
	finishTree(root)
	a.addSharedFlags(root)
	addCompletions(root)
	return root
}

// addSharedFlags gives each command the shared flags that mean something to it, and only
// those: -o with the formats the command writes (outputFormats), --timeout where it connects
// (networkCommand). As global flags they were advertised everywhere: -o pem on commands that
// refused it, --timeout on commands that never connect.
func (a *app) addSharedFlags(c *cobra.Command) {
	if formats := c.Annotations[outputAnnotation]; formats != "" {
		list := strings.Split(formats, ",")
		names := strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
		c.Flags().VarP(newEnumValue(formatText, &a.opts.Output, list...), "output", "o", "output format: "+names)
	}
	if c.Annotations[annotationNetwork] != "" {
		c.Flags().Var(newDurationValue(10*time.Second, &a.opts.Timeout, false), "timeout",
			"time limit for each connection (e.g. 10s, 1m, 500ms, or seconds)")
	}
	for _, sub := range c.Commands() {
		a.addSharedFlags(sub)
	}
}

// firstCommandArg returns the first argument that is not a global flag or its value: the name
// of the command to run, or "" when there is none.
func firstCommandArg(args []string) string {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return ""
		case arg == "-o" || arg == "--output" || arg == "--timeout":
			i++ // the flag's value
		case strings.HasPrefix(arg, "-"):
		default:
			return arg
		}
	}
	return ""
}

// finishTree applies the conventions every command shares, so a new command cannot forget them:
// argument and flag errors become usage errors (exit 2), and a command group given an unknown
// subcommand says so instead of printing help and exiting 0.
func finishTree(c *cobra.Command) {
	c.SetFlagErrorFunc(func(fc *cobra.Command, err error) error {
		if !fc.HasParent() && strings.Contains(err.Error(), "unknown shorthand flag: 'v'") {
			return withHint(usageErrorf("%s", err.Error()),
				"-v is --verbose, a flag of the command it follows (tlskit handshake -v HOST); the version is tlskit --version")
		}
		return usageErrorf("%s", err.Error())
	})
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = runGroup
	}
	if validate := c.Args; validate != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := validate(cmd, args); err != nil {
				return usageErrorf("%s", argumentsMessage(cmd, args, err))
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		finishTree(sub)
	}
}

// argumentsMessage says what is wrong with a command's arguments in the words of its usage line
// ("missing TARGET (one or more)", "verify takes one CHAIN_FILE, not 2"), instead of cobra's "requires at
// least 1 arg(s), only received 0". Other refusals (an unknown subcommand) keep cobra's message.
func argumentsMessage(c *cobra.Command, args []string, err error) string {
	spec := strings.TrimSpace(strings.TrimPrefix(c.Use, c.Name()))
	if spec == "" || strings.HasPrefix(spec, "-") || strings.HasPrefix(spec, "[") {
		return err.Error()
	}
	if len(args) == 0 {
		if more, ok := strings.CutSuffix(spec, "..."); ok {
			return "missing " + more + " (one or more)"
		}
		return "missing " + spec
	}
	if !strings.HasSuffix(spec, "...") {
		return fmt.Sprintf("%s takes one %s, not %d: %s", c.Name(), spec, len(args), strings.Join(args, " "))
	}
	return err.Error()
}

// runGroup runs a command that only groups subcommands: with no arguments it shows help, with
// anything else it is a usage error naming the closest subcommands.
func runGroup(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return c.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return usageErrorf("%s", msg)
}
