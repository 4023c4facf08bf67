//go:build !tlskit_e2e

package cmd

import (
	"testing"

	"github.com/tlskit/tlskit/inspect/material"
)

// TestReleaseBuildIgnoresE2EHooks: the variables that the end-to-end tests' build reads
// (kdfcost_e2e.go, watchpoll_e2e.go) change nothing in a release build.
func TestReleaseBuildIgnoresE2EHooks(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"TLSKIT_E2E_KDF_ITERATIONS": "1000", "TLSKIT_E2E_WATCH_POLL": "50ms"}[k]
	}
	if n := defaultKDFIterations(getenv); n != material.DefaultPBKDF2Iterations {
		t.Errorf("PBKDF2 cost %d with TLSKIT_E2E_KDF_ITERATIONS set, want the release %d", n, material.DefaultPBKDF2Iterations)
	}
	if d := watchPoll(getenv); d != 0 {
		t.Errorf("watch poll %v with TLSKIT_E2E_WATCH_POLL set, want 0 (the server's default)", d)
	}
}
