package cmd

import (
	"github.com/fatih/color"
)

// colorPolicy decides, once per run, whether a given stream gets ANSI colour. The decision is
// made per stream (stdout may be a pipe while stderr is a terminal), and it is applied to our own
// color.Color values rather than by flipping fatih/color's global NoColor switch.
type colorPolicy struct {
	disabledByFlag bool
	getenv         func(string) string
}

// enabled reports whether a stream that is (or is not) a terminal should be coloured.
// Precedence, strongest first: --no-color, NO_COLOR (any non-empty value, per no-color.org),
// CLICOLOR_FORCE (non-empty and not "0"), TERM=dumb, then whether the stream is a terminal.
func (p colorPolicy) enabled(isTTY bool) bool {
	if p.disabledByFlag || p.getenv("NO_COLOR") != "" {
		return false
	}
	if force := p.getenv("CLICOLOR_FORCE"); force != "" && force != "0" {
		return true
	}
	if p.getenv("TERM") == "dumb" {
		return false
	}
	return isTTY
}

// palette is the small set of styles tlskit uses on one stream. Every method returns the
// string unchanged when colour is off for that stream, so renderers can call them freely.
type palette struct {
	good, bad, warn, dim, bold, accent *color.Color
}

func newPalette(enabled bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		good:   mk(color.FgGreen),
		bad:    mk(color.FgRed, color.Bold),
		warn:   mk(color.FgYellow),
		dim:    mk(color.Faint),
		bold:   mk(color.Bold),
		accent: mk(color.FgCyan),
	}
}

func (p palette) Good(s string) string   { return p.good.Sprint(s) }
func (p palette) Bad(s string) string    { return p.bad.Sprint(s) }
func (p palette) Warn(s string) string   { return p.warn.Sprint(s) }
func (p palette) Dim(s string) string    { return p.dim.Sprint(s) }
func (p palette) Bold(s string) string   { return p.bold.Sprint(s) }
func (p palette) Accent(s string) string { return p.accent.Sprint(s) }
