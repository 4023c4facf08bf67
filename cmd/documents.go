package cmd

import "github.com/tlskit/tlskit/tlscore/connect"

// The JSON documents that are the CLI's own. Every other document tlskit prints is a library's
// result type (docs/json.md lists each with its home and golden file); these three describe
// the run itself, not anything a library computes, so they live here. Pinned by
// testdata/golden/version.json (TestVersionJSON), target-failure.jsonl and listening.jsonl
// (TestCLIDocumentsGolden).

// BuildInfo describes the binary: what the release process stamped into it, or, for a plain
// `go build`/`go install`, what the Go toolchain recorded. It is the JSON of `tlskit version`:
// facts about the program, which main.go passes in, not about certificates or connections.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// targetFailure is the JSON line of a target that could not be done, among several (JSON
// Lines, docs/json.md): which target, and why. handshake's line is its whole result instead,
// which still shows what was seen. It is the CLI's: a library that fails returns an error, and
// only the CLI decides that a failed target still gets a line.
type targetFailure struct {
	Target *connect.Target `json:"target,omitempty"`
	Source string          `json:"source,omitempty"`
	Error  string          `json:"error"`
}

// listeningEvent is the first JSON line of `tlskit serve` and `tlskit ca serve`: where the
// server listens, for a script that started it. It is the CLI's: the URL is built from the
// address the command itself bound, and neither server library announces anything.
type listeningEvent struct {
	Event string `json:"event"` // always "listening"
	URL   string `json:"url"`
	// ECH is serve's ECH config, with --ech.
	ECH *echAnnouncement `json:"ech,omitempty"`
}
