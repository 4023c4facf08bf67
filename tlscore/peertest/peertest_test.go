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
				t.Errorf("Need: skipped %v, failed %v; want %v, %v", f.skipped, f.failed, c.skipped, c.failed)
			}
			// Find never skips: it fails where peers are required, else reports false.
			g := &fakeTB{TB: t}
			if _, ok := Find(g, "tlskit-no-such-peer"); ok || g.skipped || g.failed != c.failed {
				t.Errorf("Find: found %v, skipped %v, failed %v; want false, false, %v", ok, g.skipped, g.failed, c.failed)
			}
		})
	}
	if p := Need(t, "sh"); p == "" {
		t.Error("sh not found")
	}
	if p, ok := Find(t, "sh"); !ok || p == "" {
		t.Error("Find: sh not found")
	}
}
