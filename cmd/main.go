package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
)

// Main runs tlskit with the given arguments (without the program name) and returns the exit
// code. It is the only entry point: main.go passes the result to os.Exit.
func Main(args []string, streams *IOStreams, getenv func(string) string, build BuildInfo) int {
	ctx, stop := interruptible(context.Background())
	defer stop()
	a := newApp(streams, getenv, build)
	return a.execute(ctx, newRootCmd(a, args...), args)
}

// interruptible returns a context cancelled, with errInterrupted as its cause, on the first
// SIGINT or SIGTERM. After that first signal the default handling is restored, so a second
// Ctrl-C stops a run that is slow to wind down.
//
// The handlers are installed, and removed, by a goroutine of their own: os/signal does each
// change through a dedicated OS thread it starts on first use, several thread hand-offs that
// would otherwise sit at the start of every run, and a process about to exit need not wait for
// the removal at all.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	done := make(chan struct{})
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(signals)
		select {
		case <-signals:
			cancel(errInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		cancel(nil)
	}
}

// execute runs the command tree and turns its outcome into an exit code, printing any error as
// the one "tlskit: ..." line (plus hint and usage line) that every command shares.
func (a *app) execute(ctx context.Context, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(context.Cause(ctx), errInterrupted) {
		err = errInterrupted
	}
	code := exitCodeFor(err)
	p := a.errPalette()
	prefix := p.Dim("tlskit:")
	fmt.Fprintf(a.streams.Err, "%s %s\n", prefix, p.Bad(errorMessage(err)))
	if hint := hintFor(err); hint != "" {
		fmt.Fprintf(a.streams.Err, "%s hint: %s\n", prefix, sanitizeLine(hint))
	}
	if code == ExitUsage && c != nil {
		use := c.UseLine()
		if c.HasAvailableSubCommands() {
			use = c.CommandPath() + " [command]"
		}
		fmt.Fprintf(a.streams.Err, "Usage: %s\nRun '%s --help' for more.\n", use, c.CommandPath())
	}
	return code
}

// sanitizeLine folds a message onto one line and escapes anything a terminal would act on.
func sanitizeLine(s string) string {
	return render.Escape(strings.TrimSpace(s))
}
