//go:build tlskit_e2e

package cmd

import "time"

// e2eWatchPollEnv shortens, in the binary the end-to-end tests build (with -tags tlskit_e2e;
// cmd/internal/e2etest), how often `tlskit serve` looks at its files for a change on disk, for
// the tests that wait for one to be noticed: at the default second, e2e/revocation's staple
// reload case slept through two polls (2.2 s of its package's 3.3 s). Release builds do not
// compile this file.
const e2eWatchPollEnv = "TLSKIT_E2E_WATCH_POLL"

func watchPoll(getenv func(string) string) time.Duration {
	if d, err := time.ParseDuration(getenv(e2eWatchPollEnv)); err == nil && d >= 10*time.Millisecond {
		return d
	}
	return 0
}
