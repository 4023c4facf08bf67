package render

import (
	"fmt"
	"io"
	"strings"
)

// Field is one labelled value in a report.
type Field struct {
	Key   string
	Value string
}

// FieldStyle says how a list of fields is laid out.
type FieldStyle struct {
	// Human aligns values in a column and styles the keys, for a terminal. When false, fields
	// are written as stable, greppable "key: value" lines.
	Human bool
	// Indent is written before each line.
	Indent string
	// Key styles a key (colour); nil leaves it plain. It is applied in both layouts, since
	// CLICOLOR_FORCE asks for colour in a pipe too.
	Key func(string) string
}

// WriteFields writes fields one a line. Values are escaped, since they may come from a peer.
func WriteFields(w io.Writer, fields []Field, style FieldStyle) error {
	width := 0
	if style.Human {
		for _, f := range fields {
			width = max(width, len(f.Key))
		}
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(style.Indent)
		if style.Human {
			key := f.Key
			pad := strings.Repeat(" ", width-len(key)+2)
			if style.Key != nil {
				key = style.Key(key)
			}
			b.WriteString(key + pad + Escape(f.Value))
		} else {
			key := f.Key + ":"
			if style.Key != nil {
				key = style.Key(key)
			}
			b.WriteString(key + " " + Escape(f.Value))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
