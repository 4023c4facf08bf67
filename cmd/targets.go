package cmd

import (
	"fmt"
	"slices"

	"github.com/tlskit/tlskit/tlscore/connect"
)

// resolveTargets turns a networked command's arguments into targets, in input order. "-" reads
// more targets from stdin, one a line (blank lines and '#' comments skipped), where it stands.
// Any target that does not parse is a usage error naming it (and its stdin line).
func (a *app) resolveTargets(args []string, defaultPort int) ([]connect.Target, error) {
	var targets []connect.Target
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
		targets = append(targets, t)
	}
	if len(targets) == 0 {
		if readStdin {
			return nil, usageErrorf("no targets on stdin")
		}
		return nil, usageErrorf("no target given")
	}
	return targets, nil
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
