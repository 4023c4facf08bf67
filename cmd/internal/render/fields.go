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

// FieldStyle says how a list of fields is styled. There is one layout, on a terminal and in a
// pipe alike: keys in a column, values aligned after them (machines read -o json).
type FieldStyle struct {
	// Indent is written before each line.
	Indent string
	// Key styles a key (colour); nil leaves it plain.
	Key func(string) string
}

// WriteFields writes fields one a line. Values are escaped, since they may come from a peer.
func WriteFields(w io.Writer, fields []Field, style FieldStyle) error {
	width := 0
	for _, f := range fields {
		width = max(width, len(f.Key))
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(style.Indent)
		key := f.Key
		pad := strings.Repeat(" ", width-len(key)+2)
		if style.Key != nil {
			key = style.Key(key)
		}
		b.WriteString(key + pad + Escape(f.Value))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
