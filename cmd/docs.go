package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// NewDocsCommand returns the full command tree as a user sees it, for generating the CLI
// reference and man pages (scripts/gendocs). It runs nothing and reads no environment, so the
// generated text is the same on every machine.
func NewDocsCommand() *cobra.Command {
	streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	a := newApp(streams, nil, BuildInfo{Version: "dev"})
	root := newRootCmd(a)
	disableAutoGenTag(root)
	return root
}

func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}
