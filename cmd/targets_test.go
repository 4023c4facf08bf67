package cmd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestResolveTargets(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		want     []string
		wantErr  string
		wantCode int
	}{
		{name: "arguments", args: []string{"example.com", "[::1]:8443"}, want: []string{"example.com:443", "[::1]:8443"}},
		{name: "stdin in place", args: []string{"a.example", "-", "z.example:1"}, stdin: "# list\nb.example\n\nc.example:8443\n",
			want: []string{"a.example:443", "b.example:443", "c.example:8443", "z.example:1"}},
		{name: "url", args: []string{"https://example.com:9443/health"}, want: []string{"example.com:9443"}},
		{name: "none", args: nil, wantErr: "no target given", wantCode: ExitUsage},
		{name: "empty stdin", args: []string{"-"}, stdin: "# nothing\n\n", wantErr: "no targets on stdin", wantCode: ExitUsage},
		{name: "stdin twice", args: []string{"-", "-"}, stdin: "a.example\n", wantErr: "more than once", wantCode: ExitUsage},
		{name: "bad argument", args: []string{"bad host"}, wantErr: `invalid target "bad host"`, wantCode: ExitUsage},
		// A bad stdin line is listed in its place with its error (the command reports it and
		// goes on); a bad argument is a usage error before anything runs.
		{name: "bad stdin line", args: []string{"-"}, stdin: "ok.example\nexample.com:0\nz.example\n",
			want: []string{"ok.example:443", `error: stdin line 2: invalid target "example.com:0"`, "z.example:443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(NewTestStreams(tt.stdin).IOStreams, nil, testBuild)
			got, err := a.resolveTargets(tt.args, 443)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if code := exitCodeFor(err); code != tt.wantCode {
					t.Fatalf("exit code %d, want %d", code, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			for _, tg := range got {
				if tg.Err != nil {
					addrs = append(addrs, "error: "+strings.SplitN(tg.Err.Error(), ": port", 2)[0])
					continue
				}
				addrs = append(addrs, tg.Target.Address())
			}
			if strings.Join(addrs, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("targets = %v, want %v", addrs, tt.want)
			}
		})
	}
}

// TestTargetTally pins how a run over several targets ends: the worst outcome, with "could not
// complete" over "a check failed", the one target's own error when there is one target, and a
// count when there are several.
func TestTargetTally(t *testing.T) {
	failure, check := errors.New("b.test:443: connection refused"), errors.New("a.test:443: verification failed")
	for _, tc := range []struct {
		name     string
		total    int
		failures []error
		checks   []error
		code     int
		msg      string
	}{
		{"all fine", 3, nil, nil, ExitOK, ""},
		{"one target fails", 1, []error{failure}, nil, ExitFailure, failure.Error()},
		{"one of several fails", 3, []error{failure}, []error{check}, ExitFailure, "1 of 3 scans could not complete"},
		{"two of several fail", 3, []error{failure, failure}, nil, ExitFailure, "2 of 3 scans could not complete"},
		{"a check fails", 2, nil, []error{check, failure}, ExitCheckFailed, check.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tally := newTargetTally("scans could not complete", tc.total)
			for _, err := range tc.failures {
				tally.fail(err)
			}
			for _, err := range tc.checks {
				tally.failCheck(err)
			}
			err := tally.err()
			if code := exitCodeFor(err); code != tc.code {
				t.Errorf("exit %d, want %d (%v)", code, tc.code, err)
			}
			if msg := fmt.Sprint(err); tc.msg != "" && msg != tc.msg {
				t.Errorf("error %q, want %q", msg, tc.msg)
			}
		})
	}
}
