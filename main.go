// Command tlskit is a command-line TLS toolkit: handshakes, certificates, a local server,
// inspection and scanning. All behaviour lives in package cmd and the libraries; this file
// only carries the build information stamped in by -ldflags and turns the result into an exit code.
package main

import (
	"os"

	"github.com/tlskit/tlskit/cmd"
)

// Set by the linker: -X main.version=... -X main.commit=... -X main.date=...
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	build := cmd.ResolveBuildInfo(version, commit, date)
	os.Exit(cmd.Main(os.Args[1:], cmd.SystemStreams(), os.Getenv, build))
}
