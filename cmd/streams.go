package cmd

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IOStreams are the three standard streams of one run, with whether each is a terminal.
// Commands never touch os.Stdin/os.Stdout/os.Stderr directly, so tests can run the whole CLI
// against buffers and simulate a terminal on either output stream independently.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	InTTY  bool
	OutTTY bool
	ErrTTY bool
	// OutWidth is stdout's terminal width in columns, 0 when stdout is not a terminal (or it
	// cannot say): long lists wrap at it, with a hanging indent.
	OutWidth int
}

// SystemStreams returns the process's real standard streams with terminal detection.
func SystemStreams() *IOStreams {
	s := &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		Err:    os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
	}
	if s.OutTTY {
		s.OutWidth = terminalWidth(os.Stdout)
	}
	return s
}

func isTerminal(f *os.File) bool {
	fd := f.Fd()
	return isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
}

// TestStreams are IOStreams backed by buffers, for tests. No stream is a terminal unless the
// test says so.
type TestStreams struct {
	*IOStreams
	InBuf  *bytes.Buffer
	OutBuf *bytes.Buffer
	ErrBuf *bytes.Buffer
}

// NewTestStreams returns streams that read from stdin and record everything written.
func NewTestStreams(stdin string) *TestStreams {
	in := bytes.NewBufferString(stdin)
	out, errBuf := &bytes.Buffer{}, &bytes.Buffer{}
	return &TestStreams{
		IOStreams: &IOStreams{In: in, Out: out, Err: errBuf},
		InBuf:     in,
		OutBuf:    out,
		ErrBuf:    errBuf,
	}
}
