// Package render holds the text-rendering pieces every command shares. It never decides colour
// and never writes to a stream by itself.
package render

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape makes text from an untrusted source (a peer's certificate subject, an alert, an error
// that quotes network data) safe to print on a terminal: control characters, including ESC and
// the C1 range, and invalid UTF-8 are written as Go escapes, so nothing a server sends can move
// the cursor, recolour the screen or fake a line of output. Printable Unicode is kept as it is.
func Escape(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case r == '\\':
			b.WriteString(`\\`)
		case isControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) ||
		// Bidirectional overrides and isolates can reorder what a terminal shows.
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x2028 || r == 0x2029
}
