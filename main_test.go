package main

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// These tests build the real binary and run it as a user would, to check what only a process
// shows: the -ldflags stamping, exit codes as seen by a shell, and the split of stdout and stderr.

var binary string

// e2eParallel is how many end-to-end tests run at once unless -parallel says otherwise. They
// spend most of their time waiting on processes and peers (user+sys is 70% of wall time with
// 8), so the default of GOMAXPROCS (2 here) left the machine idle: 41 s at 2, 33 s at 8 with
// most tests serial.
const e2eParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(e2eParallel))
	}
	dir, err := os.MkdirTemp("", "tlskit-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tlskit")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-X main.version=v9.8.7 -X main.commit=abc123 -X main.date=2026-11-27T00:00:00Z",
		"-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building tlskit: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	c := exec.Command(binary, args...)
	c.Env = append(os.Environ(), env...)
	var out, errOut strings.Builder
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

func TestBinaryVersionStamped(t *testing.T) {
	out, errOut, code := runBinary(t, nil, "version", "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v["version"] != "v9.8.7" || v["commit"] != "abc123" || v["date"] != "2026-11-27T00:00:00Z" {
		t.Fatalf("build info not stamped by -ldflags: %v", v)
	}
	if v["go_version"] != runtime.Version() || v["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("go_version/platform wrong: %v", v)
	}
}

func TestBinaryUsageExitCode(t *testing.T) {
	out, errOut, code := runBinary(t, nil, "version", "--frobnicate")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if out != "" {
		t.Errorf("stdout should be empty, got %q", out)
	}
	if !strings.HasPrefix(errOut, "tlskit: unknown flag: --frobnicate\n") {
		t.Errorf("stderr = %q", errOut)
	}
}

func TestBinaryNoColorInPipe(t *testing.T) {
	// The test's pipes are not terminals: no colour unless forced, and never with NO_COLOR.
	out, _, _ := runBinary(t, nil, "version")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour in a pipe: %q", out)
	}
	out, _, _ = runBinary(t, []string{"CLICOLOR_FORCE=1"}, "version")
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("CLICOLOR_FORCE=1 gave no colour: %q", out)
	}
	out, _, _ = runBinary(t, []string{"CLICOLOR_FORCE=1", "NO_COLOR=1"}, "version")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR ignored: %q", out)
	}
}
