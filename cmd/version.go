package cmd

import (
	"github.com/spf13/cobra"

	"github.com/tlskit/tlskit/cmd/internal/render"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print tlskit's version, commit, build date, Go version and platform",
		Example: `  tlskit version
  tlskit version -o json | jq -r .version`,
		Args:        cobra.NoArgs,
		Annotations: quickCommand(outputFormats(formatText, formatJSON)),
		RunE: func(c *cobra.Command, _ []string) error {
			return runVersion(a)
		},
	}
}

func runVersion(a *app) error {
	b := a.build
	if a.opts.Output == formatJSON {
		return a.writeJSON(b)
	}
	out := a.streams.Out
	p := a.outPalette()
	if _, err := out.Write([]byte(p.Bold("tlskit") + " " + p.Accent(render.Escape(b.Version)) + "\n")); err != nil {
		return err
	}
	fields := []render.Field{
		{Key: "commit", Value: b.Commit},
		{Key: "built", Value: b.Date},
		{Key: "go", Value: b.GoVersion},
		{Key: "platform", Value: b.Platform},
	}
	return render.WriteFields(out, fields, render.FieldStyle{Indent: "  ", Key: p.Dim})
}
