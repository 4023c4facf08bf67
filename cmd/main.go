package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
)

// Main runs tlskit with the given arguments (without the program name) and returns the exit
// code. It is the only entry point: main.go passes the result to os.Exit.
func Main(args []string, streams *IOStreams, getenv func(string) string, build BuildInfo) int {
	return mainWith(args, streams, getenv, build, nil)
}

// mainWith is Main with configure applied to the run before it starts: the in-process tests'
// hook (export_test.go), never reachable from the binary.
func mainWith(args []string, streams *IOStreams, getenv func(string) string, build BuildInfo, configure func(*app)) int {
	ctx, guard := interruptible(context.Background())
	defer guard.stop()
	a := newApp(streams, getenv, build)
	if configure != nil {
		configure(a)
	}
	a.interrupts = guard
	guard.installAfter(quickRunGrace)
	return a.execute(ctx, newRootCmd(a, args...), args)
}

// quickRunGrace is how long a quick command (handshake, inspect, verify, version) runs before
// its signal handlers go in. Installing them costs about 0.3 ms of CPU and a locked OS thread
// (os/signal changes the signal mask through a thread of its own), a tenth of a local
// handshake; a run that is over within the grace has nothing to wind down, and a signal
// before it finds the default disposition, which ends the process at once (status 130 or 143
// in the shell). Every other command installs them before it starts (see
// annotationQuickCommand).
const quickRunGrace = 20 * time.Millisecond

// interrupts turns the first SIGINT or SIGTERM into the cancellation of the run's context,
// with errInterrupted as its cause. After that first signal the default handling is restored,
// so a second Ctrl-C stops a run that is slow to wind down.
type interrupts struct {
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu        sync.Mutex
	installed bool
	stopped   bool
	timer     *time.Timer
}

func interruptible(parent context.Context) (context.Context, *interrupts) {
	ctx, cancel := context.WithCancelCause(parent)
	return ctx, &interrupts{cancel: cancel, done: make(chan struct{})}
}

// install puts the handlers in, once; it does nothing after stop.
func (in *interrupts) install() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.installed || in.stopped {
		return
	}
	in.installed = true
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	// Removal is left to this goroutine: a process about to exit need not wait for it.
	go func() {
		defer signal.Stop(signals)
		select {
		case <-signals:
			in.cancel(errInterrupted)
		case <-in.done:
		}
	}()
}

// installAfter installs the handlers once d has passed, unless install or stop came first.
func (in *interrupts) installAfter(d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.installed && !in.stopped && in.timer == nil {
		in.timer = time.AfterFunc(d, in.install)
	}
}

// stop removes the handlers (in the background) and cancels the context.
func (in *interrupts) stop() {
	in.mu.Lock()
	if !in.stopped {
		in.stopped = true
		close(in.done)
		if in.timer != nil {
			in.timer.Stop()
		}
	}
	in.mu.Unlock()
	in.cancel(nil)
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
	// A failure the report on stdout already states is printed once on a terminal (stdout and
	// stderr are the same screen); in a pipe or file stderr still carries it for the script.
	if !(isSaidOnStdout(err) && a.streams.OutTTY && a.streams.ErrTTY) {
		fmt.Fprintf(a.streams.Err, "%s %s\n", prefix, p.Bad(errorMessage(err)))
	}
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
