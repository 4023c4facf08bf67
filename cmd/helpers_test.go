package cmd

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/goldentest"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

// testBuild is fixed build information so rendered output is reproducible.
var testBuild = BuildInfo{
	Version:   "v1.2.3",
	Commit:    "0123456789abcdef0123456789abcdef01234567",
	Date:      "2026-11-27T10:00:00Z",
	GoVersion: "go1.26.8",
	Platform:  "linux/amd64",
}

// cliRun describes one run of the CLI through Main with captured streams.
type cliRun struct {
	args   []string
	env    map[string]string
	stdin  string
	outTTY bool
	errTTY bool
	// fullKDFCost keeps the production PBKDF2 cost for keys the run encrypts.
	fullKDFCost bool
}

type cliResult struct {
	code   int
	stdout string
	stderr string
}

func (r cliRun) run(t *testing.T) cliResult {
	t.Helper()
	streams := NewTestStreams(r.stdin)
	streams.OutTTY, streams.ErrTTY = r.outTTY, r.errTTY
	env := r.env
	if env == nil {
		env = map[string]string{}
	}
	getenv := func(k string) string { return env[k] }
	code := mainWith(r.args, streams.IOStreams, getenv, testBuild, func(a *app) {
		if !r.fullKDFCost {
			a.kdfIterations = TestKDFIterations
		}
	})
	return cliResult{code: code, stdout: streams.OutBuf.String(), stderr: streams.ErrBuf.String()}
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	return cliRun{args: args}.run(t)
}

// golden compares got with testdata/golden/NAME, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldentest.File(t, *update, filepath.Join("golden", name), []byte(got))
}

func hasANSI(s string) bool { return strings.Contains(s, "\x1b[") }
