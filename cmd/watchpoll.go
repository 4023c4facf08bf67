//go:build !tlskit_e2e

package cmd

import "time"

// watchPoll is how often `tlskit serve` looks at its certificate, key and --ocsp files for a
// change on disk; 0 is the server package's default (server.DefaultWatchPoll). A release build
// has no way to change it; see watchpoll_e2e.go for the end-to-end tests' build.
func watchPoll(func(string) string) time.Duration { return 0 }
