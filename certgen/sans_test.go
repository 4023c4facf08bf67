package certgen

import (
	"errors"
	"strings"
	"testing"
)

func TestParseHosts(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		want    []string // SANs.Strings()
		wantErr string
	}{
		{name: "dns and ips", hosts: []string{"localhost", "127.0.0.1", "::1"}, want: []string{"DNS:localhost", "IP:127.0.0.1", "IP:::1"}},
		{name: "case and trailing dot", hosts: []string{"App.Example.COM."}, want: []string{"DNS:app.example.com"}},
		{name: "wildcard", hosts: []string{"*.example.com"}, want: []string{"DNS:*.example.com"}},
		{name: "idn", hosts: []string{"bücher.example"}, want: []string{"DNS:xn--bcher-kva.example"}},
		{name: "idn wildcard", hosts: []string{"*.bücher.example"}, want: []string{"DNS:*.xn--bcher-kva.example"}},
		{name: "email", hosts: []string{"ops@Example.com"}, want: []string{"email:ops@example.com"}},
		{name: "uri", hosts: []string{"spiffe://example.org/ns/prod/sa/web"}, want: []string{"URI:spiffe://example.org/ns/prod/sa/web"}},
		{name: "bracketed v6", hosts: []string{"[2001:db8::1]"}, want: []string{"IP:2001:db8::1"}},
		{name: "v4-mapped v6 becomes v4", hosts: []string{"::ffff:10.0.0.1"}, want: []string{"IP:10.0.0.1"}},
		{name: "duplicates dropped", hosts: []string{"a.example", "A.example", "a.example."}, want: []string{"DNS:a.example"}},
		{name: "kinds grouped", hosts: []string{"10.0.0.1", "a.example"}, want: []string{"DNS:a.example", "IP:10.0.0.1"}},

		{name: "empty", hosts: []string{""}, wantErr: "empty"},
		{name: "space", hosts: []string{"bad host"}, wantErr: "space"},
		{name: "bang", hosts: []string{"exa!mple.com"}, wantErr: "invalid character"},
		{name: "wildcard tld", hosts: []string{"*.com"}, wantErr: "at least two labels"},
		{name: "partial wildcard", hosts: []string{"f*.example.com"}, wantErr: "whole leftmost label"},
		{name: "inner wildcard", hosts: []string{"a.*.example.com"}, wantErr: "whole leftmost label"},
		{name: "double wildcard", hosts: []string{"*.*.example.com"}, wantErr: "whole leftmost label"},
		{name: "bare star", hosts: []string{"*"}, wantErr: "whole leftmost label"},
		{name: "zone", hosts: []string{"fe80::1%eth0"}, wantErr: "zone"},
		{name: "bad email", hosts: []string{"@example.com"}, wantErr: "email"},
		{name: "bad email domain", hosts: []string{"a@exa mple"}, wantErr: "space"},
		{name: "non-ascii uri", hosts: []string{"https://bücher.example/"}, wantErr: "ASCII"},
		{name: "bad ip-like", hosts: []string{"256.1.1.1"}, wantErr: "not a valid IP"},
		{name: "long label", hosts: []string{strings.Repeat("a", 64) + ".example"}, wantErr: "longer than 63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHosts(tt.hosts)
			if tt.wantErr != "" {
				var he *HostError
				if err == nil || !errors.As(err, &he) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseHosts(%q) error = %v, want a *HostError containing %q", tt.hosts, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Strings(), " ") != strings.Join(tt.want, " ") {
				t.Fatalf("ParseHosts(%q) = %v, want %v", tt.hosts, got.Strings(), tt.want)
			}
		})
	}
}

func TestDefaultBaseName(t *testing.T) {
	tests := map[string]string{
		"localhost":                "localhost",
		"*.example.com":            "_wildcard.example.com",
		"::1":                      "__1",
		"spiffe://example.org/a/b": "spiffe___example.org_a_b",
		"ops@example.com":          "ops@example.com",
		"../../etc/passwd":         "_.._etc_passwd",
		"":                         "cert",
	}
	for in, want := range tests {
		if got := DefaultBaseName(in); got != want {
			t.Errorf("DefaultBaseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseHosts(f *testing.F) {
	for _, s := range []string{"localhost", "*.example.com", "::1", "a@b.example", "spiffe://x/y", "bücher.example", "*", "[::1]", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		sans, err := ParseHosts([]string{h})
		if err != nil {
			return
		}
		if sans.Empty() {
			t.Fatalf("ParseHosts(%q) accepted with no SAN", h)
		}
		for _, d := range sans.DNSNames {
			if strings.Count(d, "*") > 1 || (strings.Contains(d, "*") && !strings.HasPrefix(d, "*.")) {
				t.Fatalf("ParseHosts(%q) produced a bad wildcard %q", h, d)
			}
		}
		if name := DefaultBaseName(h); strings.ContainsAny(name, "/\\:*") || name == "" {
			t.Fatalf("DefaultBaseName(%q) = %q is not a safe file name", h, name)
		}
	})
}
