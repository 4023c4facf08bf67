//go:build unix

package process

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
)

// What only the built binary shows, run as a shell runs it: the -ldflags stamping, exit codes,
// the split of stdout and stderr, colour in a pipe, and Ctrl-C.

func TestMain(m *testing.M) { e2etest.Main(m) }

func TestVersionStamped(t *testing.T) {
	out, errOut, code := e2etest.RunTlskit(t, "", nil, "version", "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if v["version"] != e2etest.StampedVersion || v["commit"] != e2etest.StampedCommit || v["date"] != e2etest.StampedDate {
		t.Fatalf("build info not stamped by -ldflags: %v", v)
	}
	if v["go_version"] != runtime.Version() || v["platform"] != runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("go_version/platform wrong: %v", v)
	}
}

func TestUsageExitCode(t *testing.T) {
	out, errOut, code := e2etest.RunTlskit(t, "", nil, "version", "--frobnicate")
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

func TestNoColorInPipe(t *testing.T) {
	// The test's pipes are not terminals: no colour unless forced, and never with NO_COLOR.
	out, _, _ := e2etest.RunTlskit(t, "", nil, "version")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour in a pipe: %q", out)
	}
	out, _, _ = e2etest.RunTlskit(t, "", []string{"CLICOLOR_FORCE=1"}, "version")
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("CLICOLOR_FORCE=1 gave no colour: %q", out)
	}
	out, _, _ = e2etest.RunTlskit(t, "", []string{"CLICOLOR_FORCE=1", "NO_COLOR=1"}, "version")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR ignored: %q", out)
	}
}
