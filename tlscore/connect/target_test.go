package connect

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in      string
		want    Target // Input is filled in from in
		wantErr string // substring of the error; empty means success
	}{
		{in: "example.com", want: Target{Host: "example.com", Port: 443}},
		{in: "Example.COM.", want: Target{Host: "example.com", Port: 443}},
		{in: "example.com:8443", want: Target{Host: "example.com", Port: 8443}},
		{in: "localhost:1", want: Target{Host: "localhost", Port: 1}},
		{in: "localhost:65535", want: Target{Host: "localhost", Port: 65535}},
		{in: "_svc.internal", want: Target{Host: "_svc.internal", Port: 443}},
		{in: "127.0.0.1", want: Target{Host: "127.0.0.1", Port: 443}},
		{in: "127.0.0.1:853", want: Target{Host: "127.0.0.1", Port: 853}},
		{in: "[::1]:8443", want: Target{Host: "::1", Port: 8443}},
		{in: "[::1]", want: Target{Host: "::1", Port: 443}},
		{in: "::1", want: Target{Host: "::1", Port: 443}},
		{in: "2001:DB8::1", want: Target{Host: "2001:db8::1", Port: 443}},
		{in: "[fe80::1%eth0]:443", want: Target{Host: "fe80::1%eth0", Port: 443}},
		{in: "bücher.example", want: Target{Host: "xn--bcher-kva.example", Port: 443}},
		{in: "https://example.com", want: Target{Scheme: "https", Host: "example.com", Port: 443}},
		{in: "https://example.com/", want: Target{Scheme: "https", Host: "example.com", Port: 443, Path: "/"}},
		{in: "HTTPS://example.com:8443/a/b?q=1", want: Target{Scheme: "https", Host: "example.com", Port: 8443, Path: "/a/b?q=1"}},
		{in: "https://[::1]:9443/x", want: Target{Scheme: "https", Host: "::1", Port: 9443, Path: "/x"}},
		{in: "https://[::1]", want: Target{Scheme: "https", Host: "::1", Port: 443}},
		{in: "smtps://mail.example.com", want: Target{Scheme: "smtps", Host: "mail.example.com", Port: 465}},
		{in: "imap://mail.example.com", want: Target{Scheme: "imap", Host: "mail.example.com", Port: 143}},

		{in: "", wantErr: "empty"},
		{in: "example.com:", wantErr: "missing port"},
		{in: "example.com:0", wantErr: "out of range"},
		{in: "example.com:65536", wantErr: "out of range"},
		{in: "example.com:99999999999999999999", wantErr: "out of range"},
		{in: "example.com:-1", wantErr: "not a number"},
		{in: "example.com:https", wantErr: "not a number"},
		{in: "exa mple.com", wantErr: "space"},
		{in: "example.com\n", wantErr: "control"},
		{in: "[::1", wantErr: "missing ']'"},
		{in: "[::1]443", wantErr: "expected ':port'"},
		{in: "[::1]:", wantErr: "missing port"},
		{in: "[example.com]:443", wantErr: "IPv6"},
		{in: "[127.0.0.1]:443", wantErr: "IPv6"},
		{in: "::1:443:x", wantErr: "[address]:port"},
		{in: "example.com/path", wantErr: "https://host:port/path"},
		{in: "user@example.com", wantErr: "'@'"},
		{in: "http://example.com", wantErr: "not TLS"},
		{in: "gopher://example.com", wantErr: "unknown scheme"},
		{in: "https://", wantErr: "missing host"},
		{in: "https://user:pw@example.com", wantErr: "credentials"},
		{in: "https://example.com:", wantErr: "missing port"},
		{in: "https://example.com:0", wantErr: "out of range"},
		{in: "-bad.example", wantErr: "starts or ends with '-'"},
		{in: "a..b", wantErr: "empty label"},
		{in: ".", wantErr: "missing host"},
		{in: "1.2.3", wantErr: "not a valid IP address"},
		{in: "256.0.0.1", wantErr: "not a valid IP address"},
		{in: "exa!mple.com", wantErr: "invalid character"},
		{in: strings.Repeat("a", 64) + ".com", wantErr: "longer than 63"},
		{in: strings.Repeat("abcdefgh.", 29) + "com", wantErr: "longer than 253"},
		{in: strings.Repeat("a", 3000), wantErr: "longer than 2048"},
		{in: "\xff.example", wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in, 443)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseTarget(%q) = %+v, want error containing %q", tt.in, got, tt.wantErr)
				}
				var te *TargetError
				if !errors.As(err, &te) {
					t.Fatalf("error %v is %T, want *TargetError", err, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			tt.want.Input = tt.in
			if got != tt.want {
				t.Fatalf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTargetAddressAndServerName(t *testing.T) {
	tests := []struct {
		in, addr, sni string
	}{
		{"example.com", "example.com:443", "example.com"},
		{"[::1]:8443", "[::1]:8443", ""},
		{"127.0.0.1:8443", "127.0.0.1:8443", ""},
		{"https://Example.com.:444/", "example.com:444", "example.com"},
	}
	for _, tt := range tests {
		target, err := ParseTarget(tt.in, 443)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", tt.in, err)
		}
		if got := target.Address(); got != tt.addr {
			t.Errorf("%q: Address() = %q, want %q", tt.in, got, tt.addr)
		}
		if got := target.ServerName(); got != tt.sni {
			t.Errorf("%q: ServerName() = %q, want %q", tt.in, got, tt.sni)
		}
	}
}

func TestParseTargetDefaultPort(t *testing.T) {
	got, err := ParseTarget("mail.example.com", 465)
	if err != nil || got.Port != 465 {
		t.Fatalf("got %+v, %v; want port 465", got, err)
	}
	if _, err := ParseTarget("example.com", 0); err == nil {
		t.Fatal("default port 0 accepted")
	}
}

func TestParseTargetList(t *testing.T) {
	in := "# production\nexample.com\n\n  [::1]:8443  \n\t# indented comment\nhttps://example.org/x\n"
	got, err := ParseTargetList(strings.NewReader(in), "stdin", 443)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com:443", "[::1]:8443", "example.org:443"}
	if len(got) != len(want) {
		t.Fatalf("got %d targets %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].Err != nil || got[i].Target.Address() != want[i] {
			t.Errorf("target %d = %s (%v), want %s", i, got[i].Target.Address(), got[i].Err, want[i])
		}
	}

	// A bad line is listed in its place with its error; the lines after it are still read.
	got, err = ParseTargetList(strings.NewReader("ok.example\n\nbad host\nnext.example\n"), "stdin", 443)
	if err != nil || len(got) != 3 {
		t.Fatalf("got %d entries, %v; want 3 and no error", len(got), err)
	}
	if e := got[1].Err; e == nil || !strings.Contains(e.Error(), "stdin line 3: invalid target \"bad host\"") {
		t.Errorf("entry 2 error = %v, want it to name stdin line 3", e)
	}
	if got[2].Err != nil || got[2].Target.Address() != "next.example:443" {
		t.Errorf("the line after the bad one: %+v", got[2])
	}

	_, err = ParseTargetList(strings.NewReader("ok.example\n"+strings.Repeat("x", 5000)+"\n"), "stdin", 443)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error = %v, want an over-long line 2 refused", err)
	}
}

func TestNormalizeHostname(t *testing.T) {
	tests := []struct{ in, want string }{
		{"LocalHost", "localhost"},
		{"münchen.de", "xn--mnchen-3ya.de"},
		{"xn--mnchen-3ya.de", "xn--mnchen-3ya.de"},
		{"a-b.c_d.example.", "a-b.c_d.example"},
		{"123.example", "123.example"},
	}
	for _, tt := range tests {
		got, err := NormalizeHostname(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeHostname(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
