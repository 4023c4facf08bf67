package render

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "CN=example.com, O=Example", "CN=example.com, O=Example"},
		{"unicode kept", "CN=bücher.example", "CN=bücher.example"},
		{"newline", "line1\nline2", `line1\nline2`},
		{"escape sequence", "\x1b[31mred", `\x1b[31mred`},
		{"carriage return", "ok\rFAKE", `ok\rFAKE`},
		{"c1 control", "a\u009bb", `a\u009bb`},
		{"bidi override", "abc\u202edef", `abc\u202edef`},
		{"invalid utf8", "a\xffb", `a\xffb`},
		{"backslash", `a\b`, `a\\b`},
		{"delete", "a\x7fb", `a\x7fb`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;title\x07", "\xff\xfe", "a\u202eb", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if isControl(r) {
				t.Fatalf("Escape(%q) = %q still holds control rune %U", s, out, r)
			}
		}
	})
}
