package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/tlscore/connect"
)

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		wantUsage string
	}{
		{"unknown flag", []string{"--bogus"}, "tlskit: unknown flag: --bogus", "Usage: tlskit [command]"},
		{"unknown flag on subcommand", []string{"version", "--bogus"}, "tlskit: unknown flag: --bogus", "Usage: tlskit version [flags]"},
		{"unknown command", []string{"bogus"}, `tlskit: unknown command "bogus" for "tlskit"`, "Usage: tlskit [command]"},
		{"suggestion", []string{"verison"}, `did you mean "version"?`, "Usage: tlskit [command]"},
		{"extra argument", []string{"version", "extra"}, `tlskit: unknown command "extra" for "tlskit version"`, "Usage: tlskit version [flags]"},
		{"bad output", []string{"version", "-o", "yaml"}, `tlskit: invalid argument "yaml" for "-o, --output" flag: must be one of text, json`, "Usage:"},
		{"unsupported output", []string{"version", "-o", "pem"}, `tlskit: invalid argument "pem" for "-o, --output" flag: must be one of text, json`, "Usage:"},
		{"pem on inspect only", []string{"inspect", "x.pem", "-o", "yaml"}, `must be one of text, json, pem`, "Usage:"},
		{"output on completion", []string{"completion", "bash", "-o", "json"}, "tlskit: unknown shorthand flag: 'o' in -o", "Usage:"},
		{"zero timeout", []string{"--timeout", "0", "handshake", "x"}, `tlskit: invalid argument "0" for "--timeout" flag: must be greater than zero`, "Usage:"},
		{"bad timeout", []string{"--timeout", "soon", "handshake", "x"}, `is not a duration`, "Usage:"},
		{"unknown completion shell", []string{"completion", "tcsh"}, `tlskit: unknown command "tcsh" for "tlskit completion"`, "Usage:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, tt.args...)
			if res.code != ExitUsage {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", res.code, ExitUsage, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout should be empty on a usage error, got %q", res.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
			if !strings.HasPrefix(lines[0], "tlskit: ") {
				t.Errorf("first stderr line %q does not start with 'tlskit: '", lines[0])
			}
			if !strings.Contains(lines[0], tt.wantErr) {
				t.Errorf("first stderr line %q does not contain %q", lines[0], tt.wantErr)
			}
			if !strings.Contains(res.stderr, tt.wantUsage) {
				t.Errorf("stderr does not show the usage line %q:\n%s", tt.wantUsage, res.stderr)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	res := runCLI(t, "version", "--output", "json")
	if res.code != ExitOK || res.stderr != "" {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	var got BuildInfo
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("version -o json is not JSON: %v\n%s", err, res.stdout)
	}
	if got != testBuild {
		t.Fatalf("version JSON = %+v, want %+v", got, testBuild)
	}
	var keys map[string]any
	_ = json.Unmarshal([]byte(res.stdout), &keys)
	for _, k := range []string{"version", "commit", "date", "go_version", "platform"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON lacks key %q", k)
		}
	}
	golden(t, "version.json", res.stdout)
}

func TestVersionText(t *testing.T) {
	pipe := runCLI(t, "version")
	if pipe.code != ExitOK {
		t.Fatalf("exit %d: %s", pipe.code, pipe.stderr)
	}
	golden(t, "version.txt", pipe.stdout)

	tty := cliRun{args: []string{"version"}, outTTY: true, env: map[string]string{"NO_COLOR": "1"}}.run(t)
	golden(t, "version.txt", tty.stdout) // one layout: a terminal's is a pipe's

	colour := cliRun{args: []string{"version"}, outTTY: true}.run(t)
	golden(t, "version-tty-color.txt", colour.stdout)
}

func TestVersionFlag(t *testing.T) {
	res := runCLI(t, "--version")
	if res.code != ExitOK || res.stdout != "tlskit v1.2.3\n" {
		t.Fatalf("--version: exit %d, stdout %q", res.code, res.stdout)
	}
}

func TestColorPolicy(t *testing.T) {
	tests := []struct {
		name   string
		tty    bool
		env    map[string]string
		flags  []string
		colour bool
	}{
		{"pipe", false, nil, nil, false},
		{"terminal", true, nil, nil, true},
		{"terminal NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"terminal --no-color", true, nil, []string{"--no-color"}, false},
		{"terminal TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"pipe CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": "1"}, nil, true},
		{"pipe CLICOLOR_FORCE=0", false, map[string]string{"CLICOLOR_FORCE": "0"}, nil, false},
		{"CLICOLOR_FORCE beats TERM=dumb", false, map[string]string{"CLICOLOR_FORCE": "1", "TERM": "dumb"}, nil, true},
		{"NO_COLOR beats CLICOLOR_FORCE", true, map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, nil, false},
		{"--no-color beats CLICOLOR_FORCE", false, map[string]string{"CLICOLOR_FORCE": "1"}, []string{"--no-color"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// stdout: the version report.
			out := cliRun{args: append([]string{"version"}, tt.flags...), env: tt.env, outTTY: tt.tty}.run(t)
			if got := hasANSI(out.stdout); got != tt.colour {
				t.Errorf("stdout colour = %v, want %v:\n%q", got, tt.colour, out.stdout)
			}
			// stderr: an error line, decided independently of stdout.
			errRun := cliRun{args: append([]string{"bogus"}, tt.flags...), env: tt.env, errTTY: tt.tty}.run(t)
			if got := hasANSI(errRun.stderr); got != tt.colour {
				t.Errorf("stderr colour = %v, want %v:\n%q", got, tt.colour, errRun.stderr)
			}
		})
	}
}

func TestColorIsPerStream(t *testing.T) {
	// stdout piped, stderr a terminal: the data stays plain while the error is coloured.
	res := cliRun{args: []string{"version", "--bogus"}, errTTY: true}.run(t)
	if !hasANSI(res.stderr) {
		t.Errorf("stderr on a terminal should be coloured: %q", res.stderr)
	}
	res = cliRun{args: []string{"version"}, errTTY: true}.run(t)
	if hasANSI(res.stdout) {
		t.Errorf("stdout in a pipe must not be coloured: %q", res.stdout)
	}
}

func TestHelpAndCompletion(t *testing.T) {
	for _, args := range [][]string{{}, {"--help"}, {"help"}, {"version", "--help"}, {"help", "version"}} {
		res := runCLI(t, args...)
		if res.code != ExitOK || !strings.Contains(res.stdout, "Usage:") || res.stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, res.code, res.stdout, res.stderr)
		}
	}
	for shell, marker := range map[string]string{
		"bash":       "# bash completion V2 for tlskit",
		"zsh":        "#compdef tlskit",
		"fish":       "complete -c tlskit",
		"powershell": "Register-ArgumentCompleter",
	} {
		res := runCLI(t, "completion", shell)
		if res.code != ExitOK || !strings.Contains(res.stdout, marker) {
			t.Errorf("completion %s: exit %d, output lacks %q (stderr %q)", shell, res.code, marker, res.stderr)
		}
	}
}

func TestExitCodeFor(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("dial tcp: connection refused"), ExitFailure},
		{"usage", usageErrorf("bad"), ExitUsage},
		{"wrapped usage", fmt.Errorf("context: %w", usageErrorf("bad")), ExitUsage},
		{"check", checkFailed(errors.New("certificate expired")), ExitCheckFailed},
		{"hinted check keeps its code", withHint(checkFailed(errors.New("x")), "try --insecure"), ExitCheckFailed},
		{"target error", &connect.TargetError{Input: "x", Reason: "y"}, ExitUsage},
		{"interrupted", fmt.Errorf("dial: %w", errInterrupted), ExitInterrupted},
		{"timeout", context.DeadlineExceeded, ExitFailure},
	}
	for _, tt := range tests {
		if got := exitCodeFor(tt.err); got != tt.want {
			t.Errorf("%s: exitCodeFor(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestErrorLineAndHint(t *testing.T) {
	streams := NewTestStreams("")
	a := newApp(streams.IOStreams, nil, testBuild)
	root := newRootCmd(a)
	root.AddCommand(&cobra.Command{
		Use: "fail",
		RunE: func(*cobra.Command, []string) error {
			return withHint(checkFailed(errors.New("Certificate expired\n\x1b[31mfake line")), "renew it")
		},
	})
	code := a.execute(context.Background(), root, []string{"fail"})
	if code != ExitCheckFailed {
		t.Fatalf("exit %d, want %d", code, ExitCheckFailed)
	}
	want := "tlskit: certificate expired\\n\\x1b[31mfake line\ntlskit: hint: renew it\n"
	if got := streams.ErrBuf.String(); got != want {
		t.Fatalf("stderr = %q, want %q", got, want)
	}
}

func TestInterruptExits130(t *testing.T) {
	streams := NewTestStreams("")
	a := newApp(streams.IOStreams, nil, testBuild)
	root := newRootCmd(a)
	started := make(chan struct{})
	root.AddCommand(&cobra.Command{
		Use: "wait",
		RunE: func(c *cobra.Command, _ []string) error {
			close(started)
			<-c.Context().Done()
			return fmt.Errorf("waiting: %w", c.Context().Err())
		},
	})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-started
		cancel(errInterrupted)
	}()
	done := make(chan int)
	go func() { done <- a.execute(ctx, root, []string{"wait"}) }()
	select {
	case code := <-done:
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want %d", code, ExitInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("command did not stop when its context was cancelled")
	}
	if got := streams.ErrBuf.String(); got != "tlskit: interrupted\n" {
		t.Fatalf("stderr = %q", got)
	}
}

func TestQuietSilencesDiagnosticsNotErrors(t *testing.T) {
	streams := NewTestStreams("")
	a := newApp(streams.IOStreams, nil, testBuild)
	root := newRootCmd(a)
	root.AddCommand(&cobra.Command{
		Use: "warn",
		RunE: func(*cobra.Command, []string) error {
			a.warnf("something odd")
			a.infof("progress")
			return errors.New("it failed")
		},
	})
	code := a.execute(context.Background(), root, []string{"warn", "-q"})
	if code != ExitFailure {
		t.Fatalf("exit %d", code)
	}
	if got := streams.ErrBuf.String(); got != "tlskit: it failed\n" {
		t.Fatalf("stderr with -q = %q, want only the error", got)
	}

	streams = NewTestStreams("")
	a = newApp(streams.IOStreams, nil, testBuild)
	root = newRootCmd(a)
	root.AddCommand(&cobra.Command{Use: "warn", RunE: func(*cobra.Command, []string) error {
		a.warnf("something odd")
		return nil
	}})
	if code := a.execute(context.Background(), root, []string{"warn"}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if got := streams.ErrBuf.String(); got != "tlskit: warning: something odd\n" {
		t.Fatalf("stderr = %q", got)
	}
}

func TestTimeoutFlagParsed(t *testing.T) {
	streams := NewTestStreams("")
	a := newApp(streams.IOStreams, nil, testBuild)
	root := newRootCmd(a)
	noop := &cobra.Command{Use: "noop", Annotations: networkCommand(map[string]string{}), RunE: func(*cobra.Command, []string) error { return nil }}
	root.AddCommand(noop)
	a.addSharedFlags(noop)
	if code := a.execute(context.Background(), root, []string{"noop", "--timeout", "2.5"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, streams.ErrBuf)
	}
	if a.opts.Timeout != 2500*time.Millisecond {
		t.Fatalf("timeout = %v, want 2.5s", a.opts.Timeout)
	}
	a2 := newApp(NewTestStreams("").IOStreams, nil, testBuild)
	newRootCmd(a2)
	if a2.opts.Timeout != 10*time.Second {
		t.Fatalf("default timeout = %v, want 10s", a2.opts.Timeout)
	}
}

func TestFirstCommandArg(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"version"}, "version"},
		{[]string{"-o", "json", "version"}, "version"},
		{[]string{"--output=json", "handshake", "x"}, "handshake"},
		{[]string{"--timeout", "5s", "-q", "cert", "selfsign"}, "cert"},
		{[]string{"--", "version"}, ""},
		{[]string{"--help"}, ""},
	}
	for _, tt := range tests {
		if got := firstCommandArg(tt.args); got != tt.want {
			t.Errorf("firstCommandArg(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
	// Global flags before the command still reach it when only its subtree is built.
	res := runCLI(t, "-o", "json", "version")
	if res.code != ExitOK || !strings.HasPrefix(res.stdout, "{") {
		t.Fatalf("-o json version: exit %d, %q", res.code, res.stdout)
	}
	res = runCLI(t, "cert", "bogus")
	if res.code != ExitUsage || !strings.Contains(res.stderr, `unknown command "bogus" for "tlskit cert"`) {
		t.Fatalf("cert bogus: exit %d, %q", res.code, res.stderr)
	}
}

// TestInterruptHandlersInstalledPerCommand checks when each kind of command gets its signal
// handlers: commands that write files, serve or scan before they run; quick read-only commands
// not at all unless they outlast the grace (Main's timer, not exercised here).
func TestInterruptHandlersInstalledPerCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"version"}, false},
		{[]string{"inspect", "testdata/none.pem"}, false},
		{[]string{"verify", "testdata/none.pem"}, false},
		{[]string{"handshake", "-"}, false},
		{[]string{"cert", "selfsign", "--out", "-", "--key-out", "KEYDIR/key.pem"}, true},
		{[]string{"ca", "create", "--dir", "/nonexistent/dir/ca"}, true},
		{[]string{"scan", "-"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// Whatever a command writes goes to a directory of the test's own.
			dir := t.TempDir()
			for i, arg := range tc.args {
				tc.args[i] = strings.ReplaceAll(arg, "KEYDIR", dir)
			}
			streams := NewTestStreams("")
			a := newApp(streams.IOStreams, nil, testBuild)
			ctx, in := interruptible(context.Background())
			a.interrupts = in
			a.execute(ctx, newRootCmd(a, tc.args...), tc.args)
			in.mu.Lock()
			got := in.installed
			in.mu.Unlock()
			in.stop()
			if got != tc.want {
				t.Errorf("handlers installed = %v, want %v (stderr %q)", got, tc.want, streams.ErrBuf.String())
			}
		})
	}
}

// TestInterruptsLifecycle checks the handlers' bookkeeping: a grace that ends installs them, a
// stop before it does not, install is idempotent, and once installed a SIGINT cancels the run's
// context with errInterrupted.
func TestInterruptsLifecycle(t *testing.T) {
	installed := func(in *interrupts) bool {
		in.mu.Lock()
		defer in.mu.Unlock()
		return in.installed
	}

	_, early := interruptible(context.Background())
	early.installAfter(time.Hour)
	early.stop()
	early.install()
	if installed(early) {
		t.Error("install after stop put handlers in")
	}

	ctx, in := interruptible(context.Background())
	defer in.stop()
	in.installAfter(time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for !installed(in) {
		if time.Now().After(deadline) {
			t.Fatal("the grace ended but the handlers were never installed")
		}
		time.Sleep(time.Millisecond)
	}
	in.install() // a second time: no second registration, no panic
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
		if cause := context.Cause(ctx); !errors.Is(cause, errInterrupted) {
			t.Errorf("cause = %v, want errInterrupted", cause)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
}
