package dn

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
)

func TestParsePKIX(t *testing.T) {
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
			parsed, err := Parse(tt.in)
			got := parsed.PKIX()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q).PKIX() = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Fatalf("Parse(%q).PKIX() = %q, want %q", tt.in, got.String(), tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"CN=a,O=b", `CN=a\,b`, `/CN=a/O=b`, `CN="x,y"`, `CN=\41`, "CN=a+OU=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse(s)
	})
}

// TestParse checks the order the attributes are encoded in (what openssl prints
// with -nameopt RFC2253 is the reverse of the slash form and the same as the RFC 4514 form), the
// attributes Go's pkix.Name has no field for, and --cn/--org applied on top.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		set  [][2]string
		want string // String of the encoding
	}{
		{in: "/CN=app/O=Example", want: "O=Example,CN=app"},
		{in: "CN=app,O=Example", want: "CN=app,O=Example"},
		{in: "/DC=test/DC=example/O=Acme/CN=x.test/emailAddress=ops@example.test",
			want: "emailAddress=ops@example.test,CN=x.test,O=Acme,DC=example,DC=test"},
		{in: "UID=alice,DC=example,DC=test", want: "UID=alice,DC=example,DC=test"},
		{in: "e=a@b.test,CN=x", want: "emailAddress=a@b.test,CN=x"},
		{in: "/O=Acme/CN=old", set: [][2]string{{"CN", "new"}}, want: "CN=new,O=Acme"},
		{in: "/C=US/CN=x", set: [][2]string{{"O", "Acme"}}, want: "CN=x,O=Acme,C=US"},
		{in: "/O=A/OU=Ops/O=B", set: [][2]string{{"O", "C"}}, want: "OU=Ops,O=C"},
		{in: "/C=US/O=Acme", set: [][2]string{{"CN", "added"}}, want: "CN=added,O=Acme,C=US"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			subj, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range tc.set {
				subj.Set(kv[0], kv[1])
			}
			der, err := subj.DER()
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := String(der); got != tc.want {
				t.Errorf("encoded as %q, want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"DC=caf\u00e9", "emailAddress=\u00e9@x.test", "CN=a,SERIALNUMBER=1,SERIALNUMBER=2", "FOO=x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	// DC and emailAddress are IA5Strings; the rest as Go encodes them.
	subj, _ := Parse("/DC=test/CN=x")
	der, _ := subj.DER()
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(der, &seq); err != nil {
		t.Fatal(err)
	}
	var raw []asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw[0].FullBytes, []byte{asn1.TagIA5String, 4, 't', 'e', 's', 't'}) {
		t.Errorf("DC not an IA5String: %x", raw[0].FullBytes)
	}
	if !bytes.Contains(raw[1].FullBytes, []byte{asn1.TagPrintableString, 1, 'x'}) {
		t.Errorf("CN not a PrintableString: %x", raw[1].FullBytes)
	}
}
