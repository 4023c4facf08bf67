package cmd

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tlskit/tlskit/cmd/internal/render"

	"github.com/tlskit/tlskit/tlscore/connect"
)

// resolveTargets turns a networked command's arguments into targets, in input order. "-" reads
// more targets from stdin, one a line (blank lines and '#' comments skipped), where it stands.
// An argument that does not parse is a usage error naming it; a stdin line that does not is
// listed with its error (naming the line), for the command to report in its place while the
// other targets go on (reportBadTarget).
func (a *app) resolveTargets(args []string, defaultPort int) ([]connect.ListedTarget, error) {
	var targets []connect.ListedTarget
	readStdin := false
	for _, arg := range args {
		if arg == "-" {
			if readStdin {
				return nil, usageErrorf("'-' (read targets from stdin) given more than once")
			}
			readStdin = true
			listed, err := connect.ParseTargetList(a.streams.In, "stdin", defaultPort)
			if err != nil {
				return nil, err
			}
			targets = append(targets, listed...)
			continue
		}
		t, err := connect.ParseTarget(arg, defaultPort)
		if err != nil {
			return nil, err
		}
		targets = append(targets, connect.ListedTarget{Target: t})
	}
	if len(targets) == 0 {
		if readStdin {
			return nil, usageErrorf("no targets on stdin")
		}
		return nil, usageErrorf("no target given")
	}
	return targets, nil
}

// reportBadTarget gives a stdin line that is not a target its place among several targets'
// output: a JSON line with source and error, or a block of text saying what (a "handshake
// with" or "scan of") failed; the run goes on, and counts it as not done.
func (a *app) reportBadTarget(err error, what string, index int) error {
	source := "stdin"
	if te := (*connect.TargetError)(nil); errors.As(err, &te) && te.Line > 0 {
		source = fmt.Sprintf("%s line %d", te.Source, te.Line)
	}
	if a.opts.Output == formatJSON {
		return a.writeJSONLine(targetFailure{Source: source, Error: errorMessage(err)})
	}
	p := a.outPalette()
	var b strings.Builder
	if index > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s %s\n%s %s\n", p.Bold(what), source, p.Bad("failed:"), render.Escape(errorMessage(err)))
	_, werr := io.WriteString(a.streams.Out, b.String())
	return werr
}

// targetTally is how a command that takes several targets ends its run (docs/exit-codes.md):
// every target is tried and reported on its own, and the run's exit code is the worst of
// theirs. "Could not complete" outranks "a check failed": a script must see that some target
// was not judged at all.
type targetTally struct {
	// failed says what befell the targets that could not complete, after their count:
	// "handshakes could not complete", "inputs could not be read".
	failed       string
	total        int
	failures     int
	firstFailure error // the first target that could not complete, as its own error
	firstCheck   error // the first failed check, for the line exit 3 prints
}

func newTargetTally(failed string, total int) *targetTally {
	return &targetTally{failed: failed, total: total}
}

// fail counts a target that could not complete.
func (t *targetTally) fail(err error) {
	t.failures++
	if t.firstFailure == nil {
		t.firstFailure = err
	}
}

// failCheck counts a target that completed but failed a check.
func (t *targetTally) failCheck(err error) {
	if t.firstCheck == nil {
		t.firstCheck = err
	}
}

// err is the run's outcome: nil, the one target's own error, a count of the targets that could
// not complete, or the first failed check (exit 3).
func (t *targetTally) err() error {
	switch {
	case t.failures > 0 && t.total == 1:
		return t.firstFailure
	case t.failures > 0:
		return fmt.Errorf("%d of %d %s", t.failures, t.total, t.failed)
	case t.firstCheck != nil:
		return checkFailed(t.firstCheck)
	}
	return nil
}

// warnTarget says on stderr that one of several targets could not be done (err names it); the
// run's own error line only counts them.
func (a *app) warnTarget(err error) {
	a.warnf("%s", errorMessage(err))
}

// stdinOnce refuses a flag that reads stdin ("-") when the targets are read from it too: the
// first reader would take all of it, and the roots of handshake are read while it dials.
func stdinOnce(flag, path string, args []string) error {
	if path == "-" && slices.Contains(args, "-") {
		return usageErrorf("%s - and the target - cannot both read stdin", flag)
	}
	return nil
}
