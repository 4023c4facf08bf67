package dn

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func oid(t *testing.T, s string) asn1.ObjectIdentifier {
	t.Helper()
	var o asn1.ObjectIdentifier
	for _, part := range splitDots(s) {
		o = append(o, part)
	}
	return o
}

func splitDots(s string) []int {
	var out []int
	n := 0
	for _, c := range s + "." {
		if c == '.' {
			out = append(out, n)
			n = 0
			continue
		}
		n = n*10 + int(c-'0')
	}
	return out
}

func der(t testing.TB, seq pkix.RDNSequence) []byte {
	t.Helper()
	b, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func atv(t *testing.T, o string, v any) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid(t, o), Value: v}
}

// TestMatchesPkixForGoNames: names Go builds render exactly as pkix.Name.String renders them once
// encoded and parsed back (as in a certificate; DER sorts the values of a multi-valued RDN), so
// nothing tlskit printed before changes for them.
func TestMatchesPkixForGoNames(t *testing.T) {
	for _, n := range []pkix.Name{
		{CommonName: "localhost"},
		{CommonName: "tlskit local CA root@vm", Organization: []string{"tlskit local CA"}},
		{Country: []string{"US"}, Province: []string{"CA"}, Locality: []string{"San Francisco"},
			Organization: []string{"Acme, Inc.", "Other"}, OrganizationalUnit: []string{"Ops+Dev"},
			CommonName: " #lead and trail ", SerialNumber: "42", StreetAddress: []string{"1 Main St"}, PostalCode: []string{"94000"}},
		{CommonName: `back\slash "quoted" <angle> semi;colon`},
	} {
		b := der(t, n.ToRDNSequence())
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(b, &seq); err != nil {
			t.Fatal(err)
		}
		var parsed pkix.Name
		parsed.FillFromRDNSequence(&seq)
		want := parsed.String()
		got, ok := String(b)
		if !ok || got != want {
			t.Errorf("got %q, pkix says %q", got, want)
		}
	}
}

func TestNamesGoDoesNotKnow(t *testing.T) {
	for _, tc := range []struct {
		name string
		seq  pkix.RDNSequence
		want string
	}{
		{
			name: "openssl -subj /DC=com/DC=example/CN=x/emailAddress=a@b",
			seq: pkix.RDNSequence{
				{atv(t, "0.9.2342.19200300.100.1.25", "com")},
				{atv(t, "0.9.2342.19200300.100.1.25", "example")},
				{atv(t, "2.5.4.3", "x")},
				{atv(t, "1.2.840.113549.1.9.1", "a@b")},
			},
			want: "emailAddress=a@b,CN=x,DC=example,DC=com",
		},
		{
			name: "order kept, multi-valued RDN",
			seq: pkix.RDNSequence{
				{atv(t, "2.5.4.3", "svc"), atv(t, "2.5.4.11", "Ops")},
				{atv(t, "2.5.4.10", "Acme")},
			},
			want: "O=Acme,CN=svc+OU=Ops",
		},
		{
			name: "people",
			seq: pkix.RDNSequence{
				{atv(t, "2.5.4.42", "Ada")}, {atv(t, "2.5.4.4", "Lovelace")}, {atv(t, "2.5.4.12", "Countess")},
				{atv(t, "0.9.2342.19200300.100.1.1", "ada")},
			},
			want: "UID=ada,title=Countess,SN=Lovelace,GN=Ada",
		},
		{
			name: "unknown type: dotted OID and hex, as pkix",
			seq:  pkix.RDNSequence{{atv(t, "1.2.3.4", "x")}},
			want: "1.2.3.4=#130178",
		},
		{
			name: "known type with a value that is not a string",
			seq:  pkix.RDNSequence{{atv(t, "2.5.4.3", 7)}},
			want: "2.5.4.3=#020107",
		},
		{
			name: "escaping in names pkix does not know",
			seq:  pkix.RDNSequence{{atv(t, "0.9.2342.19200300.100.1.25", "a,b")}},
			want: `DC=a\,b`,
		},
		{name: "empty", seq: pkix.RDNSequence{}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := String(der(t, tc.seq))
			if !ok || got != tc.want {
				t.Errorf("got %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}

func TestUnparseable(t *testing.T) {
	for _, b := range [][]byte{nil, {0x30}, {0x30, 0x03, 0x31, 0x01}, {0x04, 0x00}, append(der(t, pkix.RDNSequence{}), 0)} {
		if s, ok := String(b); ok || s == "" {
			t.Errorf("%x: %q, %v; want a note and false", b, s, ok)
		}
	}
}

func FuzzString(f *testing.F) {
	f.Add(der(f, pkix.Name{CommonName: "x", Organization: []string{"y"}}.ToRDNSequence()))
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := String(b)
		if !ok {
			return
		}
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(b, &seq); err != nil {
			t.Fatalf("String accepted what asn1 refuses: %q", s)
		}
	})
}
