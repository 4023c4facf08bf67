package truststore

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHelperProcess is the child ExecRunner runs in these tests (the test binary itself, so
// no real tool runs): it prints what TRUSTSTORE_HELPER asks.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("TRUSTSTORE_HELPER")
	if mode == "" {
		return
	}
	switch mode {
	case "echo":
		fmt.Fprintf(os.Stdout, "out %s\n", strings.Join(os.Args[len(os.Args)-1:], " "))
		fmt.Fprintln(os.Stderr, "err line")
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stderr, "helper: it broke")
		os.Exit(3)
	case "sleep":
		time.Sleep(10 * time.Second)
		os.Exit(0)
	}
	os.Exit(2)
}

func helper(mode string) (name string, env []string, args []string) {
	return os.Args[0], []string{"TRUSTSTORE_HELPER=" + mode}, []string{"-test.run=^TestHelperProcess$", "--", "arg1"}
}

func TestExecRunner(t *testing.T) {
	name, env, args := helper("echo")
	stdout, stderr, err := ExecRunner(context.Background(), env, name, args...)
	if err != nil || string(stdout) != "out arg1\n" || string(stderr) != "err line\n" {
		t.Errorf("echo: %q %q %v", stdout, stderr, err)
	}

	name, env, args = helper("fail")
	stdout, stderr, err = ExecRunner(context.Background(), env, name, args...)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || string(stderr) != "helper: it broke\n" {
		t.Errorf("fail: %q %q %v", stdout, stderr, err)
	}
	if got := toolError("helper", stdout, stderr, err).Error(); got != "helper: it broke" {
		t.Errorf("toolError %q", got)
	}
}

func TestExecRunnerInterrupted(t *testing.T) {
	// The caller's context ending (an interrupt, the caller's own deadline) is not the tool
	// running past ToolTimeout.
	name, env, args := helper("sleep")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := ExecRunner(ctx, env, name, args...)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("ExecRunner ran on after its context ended")
	}
	if err == nil || strings.Contains(err.Error(), "did not finish within") || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("err %v, want an interruption, not a timeout", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, _, err = ExecRunner(ctx, env, name, args...)
	if err == nil || strings.Contains(err.Error(), "did not finish within") || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err %v, want the cancellation", err)
	}
}

func TestWithDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Run == nil || o.LookPath == nil || o.Getenv == nil || o.IsRoot == nil || o.Root != "/" {
		t.Errorf("defaults %+v", o)
	}
	if o.IsRoot() != (os.Geteuid() == 0) {
		t.Errorf("IsRoot %v", o.IsRoot())
	}
	kept := Options{Root: "/x", IsRoot: func() bool { return true }}.withDefaults()
	if kept.Root != "/x" || !kept.IsRoot() {
		t.Errorf("given options replaced: %+v", kept)
	}
}
