package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tlskit/tlskit/certgen"
	"github.com/tlskit/tlskit/tlscore/connect"
)

// Exit codes, the same for every command (docs/exit-codes.md).
const (
	ExitOK          = 0   // it ran and every check passed
	ExitFailure     = 1   // could not complete: network, DNS, timeout, handshake refused, I/O
	ExitUsage       = 2   // bad flags or arguments
	ExitCheckFailed = 3   // completed, but a check failed
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// cliError carries an exit code and an optional hint along with the error it wraps. Commands
// build it through usageError, checkFailed and withHint; exitCodeFor reads it.
type cliError struct {
	code int
	err  error
	hint string
	// onStdout says the text report on stdout already states this failure: on a terminal,
	// where stdout and stderr are one screen, the error line would say it twice.
	onStdout bool
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// usageErrorf reports bad flags or arguments (exit 2). The usage line is printed after it.
func usageErrorf(format string, args ...any) error {
	return &cliError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// checkFailed marks an error as "ran to completion, but a check did not pass" (exit 3).
func checkFailed(err error) error {
	return &cliError{code: ExitCheckFailed, err: err}
}

// withHint attaches a next step to an error, printed as "tlskit: hint: ...". The exit code of
// the wrapped error is kept.
func withHint(err error, hint string) error {
	code := exitCodeFor(err)
	return &cliError{code: code, err: err, hint: hint}
}

// saidOnStdout marks a failure that the text report on stdout states (verify's "not valid:"
// line, handshake's verification section); its exit code and hint are kept.
func saidOnStdout(err error) error {
	return &cliError{code: exitCodeFor(err), err: err, onStdout: true}
}

// isSaidOnStdout reports whether saidOnStdout marked err or an error it wraps.
func isSaidOnStdout(err error) bool {
	for e := err; e != nil; {
		var ce *cliError
		if !errors.As(e, &ce) {
			return false
		}
		if ce.onStdout {
			return true
		}
		e = ce.err
	}
	return false
}

// errInterrupted is the cause of the run's context when a signal cancels it.
var errInterrupted = errors.New("interrupted")

// exitCodeFor maps an error to its exit code. It is the one place that knows the mapping: from
// our own cliError, from the libraries' typed errors, and from interruption.
func exitCodeFor(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errInterrupted) {
		return ExitInterrupted
	}
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.code
	}
	var (
		te *connect.TargetError
		he *certgen.HostError
		pe *certgen.ProfileError
	)
	if errors.As(err, &te) || errors.As(err, &he) || errors.As(err, &pe) {
		return ExitUsage
	}
	return ExitFailure
}

// hintFor returns the innermost hint attached to an error chain, if any, or else the hint for
// a library's typed error: libraries say what went wrong, and only cmd names the flags.
func hintFor(err error) string {
	var ce *cliError
	for e := err; e != nil; {
		if !errors.As(e, &ce) {
			break
		}
		if ce.hint != "" {
			return ce.hint
		}
		e = ce.err
	}
	return libraryHint(err)
}

// libraryHint is the next step for the libraries' typed errors that have one flag as the way out.
func libraryHint(err error) string {
	var we *certgen.WeakKeyError
	if errors.As(err, &we) {
		return "--allow-weak-key allows it (only for tests: clients refuse it)"
	}
	return ""
}

// errorMessage renders an error as the one line that follows "tlskit: ". Messages start lower
// case and never span lines: anything that would break the line (a peer's text, a wrapped
// multi-line error) is folded.
func errorMessage(err error) string {
	msg := err.Error()
	if errors.Is(err, errInterrupted) {
		msg = "interrupted"
	} else if errors.Is(err, context.DeadlineExceeded) && !strings.Contains(msg, "timeout") && !strings.Contains(msg, "timed out") {
		msg += " (timed out)"
	}
	var pe *os.PathError
	if errors.As(err, &pe) && msg == pe.Error() {
		msg = fmt.Sprintf("%s: %s", pe.Path, pe.Err)
	}
	msg = sanitizeLine(msg)
	if msg == "" {
		return "unknown error"
	}
	return lowerFirst(msg)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	// Keep acronyms ("TLS handshake failed", "DNS ...") as they are; only lower a capital that
	// starts an ordinary word.
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && (s[1] < 'A' || s[1] > 'Z') {
		return string(s[0]+('a'-'A')) + s[1:]
	}
	return s
}
