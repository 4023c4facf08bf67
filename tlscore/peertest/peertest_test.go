package peertest

import (
	"testing"
)

// fakeTB records how Need ended a test instead of ending this one.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

func TestNeed(t *testing.T) {
	for _, c := range []struct {
		name, require, ci string
		skipped, failed   bool
	}{
		{"developer machine: skip", "", "", true, false},
		{"TLSKIT_REQUIRE_PEERS=1: fail", "1", "", false, true},
		{"CI set: fail", "", "true", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(RequireEnv, c.require)
			t.Setenv("CI", c.ci)
			f := &fakeTB{TB: t}
			if p := Need(f, "tlskit-no-such-peer"); p != "" {
				t.Fatalf("a missing peer found at %q", p)
			}
			if f.skipped != c.skipped || f.failed != c.failed {
				t.Errorf("skipped %v, failed %v; want %v, %v", f.skipped, f.failed, c.skipped, c.failed)
			}
		})
	}
	if p := Need(t, "sh"); p == "" {
		t.Error("sh not found")
	}
}
