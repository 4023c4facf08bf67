package connect

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"example.com", "example.com:8443", "[::1]:443", "::1", "https://example.com/x?y",
		"smtp://mail:25", "bücher.example", "[fe80::1%eth0]:1", "https://[::1", "1.2.3.4:0",
		"https://u@h", "a..b", "xn--", "[::ffff:1.2.3.4]:65535", "https://h:/", "-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseTarget(in, 443)
		if err != nil {
			var te *TargetError
			if !errors.As(err, &te) {
				t.Fatalf("ParseTarget(%q) error %T is not a *TargetError", in, err)
			}
			return
		}
		if got.Host == "" {
			t.Fatalf("ParseTarget(%q) accepted with no host: %+v", in, got)
		}
		if got.Port < 1 || got.Port > 65535 {
			t.Fatalf("ParseTarget(%q) accepted with port %d", in, got.Port)
		}
		if strings.ContainsAny(got.Host, " /@[]") {
			t.Fatalf("ParseTarget(%q) host %q holds a delimiter", in, got.Host)
		}
		// What we print back must parse to the same place.
		again, err := ParseTarget(got.Address(), 443)
		if err != nil {
			t.Fatalf("Address() %q of %q does not parse: %v", got.Address(), in, err)
		}
		if again.Host != got.Host || again.Port != got.Port {
			t.Fatalf("round trip of %q: %+v then %+v", in, got, again)
		}
	})
}
