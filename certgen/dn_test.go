package certgen

import (
	"strings"
	"testing"
)

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in      string
		want    string // pkix.Name.String() of the result
		wantErr string
	}{
		{in: "CN=example.com", want: "CN=example.com"},
		{in: "CN=example.com,O=Example", want: "CN=example.com,O=Example"},
		{in: "cn=a, o=B, ou=C, c=DE, l=Berlin, st=BE", want: "CN=a,OU=C,O=B,L=Berlin,ST=BE,C=DE"},
		{in: `CN=x,O=Example\, Inc`, want: `CN=x,O=Example\, Inc`},
		{in: `CN=x,O="Example, Inc"`, want: `CN=x,O=Example\, Inc`},
		{in: `CN=caf\C3\A9`, want: "CN=café"},
		{in: "CN=a+O=b", want: "CN=a,O=b"},
		{in: "/CN=app/O=Example Inc/C=US", want: "CN=app,O=Example Inc,C=US"},
		{in: `/CN=a\/b`, want: "CN=a/b"},
		{in: "O=Only Org", want: "O=Only Org"},
		{in: "SERIALNUMBER=42,CN=x", want: "SERIALNUMBER=42,CN=x"},

		{in: "", wantErr: "empty subject"},
		{in: "CN", wantErr: "no '='"},
		{in: "CN=", wantErr: "empty value"},
		{in: "=x", wantErr: "no type"},
		{in: "CN=a,CN=b", wantErr: "more than one CN"},
		{in: "C=Germany", wantErr: "two-letter"},
		{in: "XYZ=1", wantErr: "unsupported subject attribute"},
		{in: `CN=a\`, wantErr: "lone"},
		{in: `CN="a`, wantErr: "unterminated quote"},
		{in: "CN=a\x01b", wantErr: "control character"},
		{in: "CN=" + strings.Repeat("x", 300), wantErr: "longer than"},
		{in: `CN=\FF`, wantErr: "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSubject(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSubject(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Fatalf("ParseSubject(%q) = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
}

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{"CN=a,O=b", `CN=a\,b`, `/CN=a/O=b`, `CN="x,y"`, `CN=\41`, "CN=a+OU=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseSubject(s)
	})
}
