//go:build unix

package acmeclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestHookEnds: a hook that hangs is ended by its own timeout, or by the caller's context
// (Ctrl-C), and the error says which; neither reads "signal: killed".
func TestHookEnds(t *testing.T) {
	t.Parallel()
	interrupted, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	for _, tc := range []struct {
		name        string
		ctx         context.Context
		hookTimeout time.Duration
		want        string
		canceled    bool
	}{
		{"timeout", context.Background(), 50 * time.Millisecond, "the DNS hook (add) did not finish within 50ms", false},
		{"interrupted", interrupted, time.Minute, "the DNS hook (add) interrupted: context canceled", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &DNSHookSolver{Hook: "sleep 30", HookTimeout: tc.hookTimeout}
			err := s.run(tc.ctx, "add", "example.test", "_acme-challenge.example.test", "v")
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "signal") {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if errors.Is(err, context.Canceled) != tc.canceled {
				t.Errorf("errors.Is(err, context.Canceled) = %v", !tc.canceled)
			}
		})
	}
}
