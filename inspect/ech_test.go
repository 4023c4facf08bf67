package inspect

import (
	"bytes"
	"crypto/ecdh"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// echFixture is an ECH key pair as an ECH key file holds it (RFC 9934), made from fixed bytes so
// that the goldens are stable: the X25519 key, and a list of two configs for its public key (one
// of RFC 9849's version, with a mandatory extension and one that is not, then one of a later
// version, which clients skip).
type echFixture struct {
	key   *ecdh.PrivateKey
	pkcs8 []byte
	list  []byte
	// single is a list of one config, with no extensions.
	single []byte
}

func echTestFixture(tb testing.TB) echFixture {
	tb.Helper()
	seed := bytes.Repeat([]byte{0x5a}, 32)
	key, err := ecdh.X25519().NewPrivateKey(seed)
	if err != nil {
		tb.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	config := func(id uint8, exts []wire.ECHConfigExtension) []byte {
		c, err := wire.MarshalECHConfig(wire.ECHConfig{ConfigID: id, KEM: wire.HPKEKemX25519, PublicKey: key.PublicKey().Bytes(),
			CipherSuites:      []wire.HPKESuite{{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM}, {KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadChaCha20}},
			MaximumNameLength: 0, PublicName: "public.example.test", Extensions: exts})
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	future := []byte{0xfe, 0x0e, 0x00, 0x03, 0x01, 0x02, 0x03}
	list, err := wire.MarshalECHConfigList(config(7, []wire.ECHConfigExtension{{Type: 0x1234, Data: []byte{1, 2}}, {Type: 0xfe01}}), future)
	if err != nil {
		tb.Fatal(err)
	}
	single, err := wire.MarshalECHConfigList(config(42, nil))
	if err != nil {
		tb.Fatal(err)
	}
	return echFixture{key: key, pkcs8: pkcs8, list: list, single: single}
}

// keyFile is the ECH key file of RFC 9934: the private key, then the ECHCONFIG block.
func (f echFixture) keyFile() []byte {
	return decCat(decPEM("PRIVATE KEY", f.pkcs8), decPEM("ECHCONFIG", f.list))
}

func echWrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// TestDecodeECH reads an ECHConfigList in every form people hold one, each to the same configs.
func TestDecodeECH(t *testing.T) {
	f := echTestFixture(t)
	b64 := base64.StdEncoding.EncodeToString(f.list)
	one64 := base64.StdEncoding.EncodeToString(f.single)
	url := base64.RawURLEncoding.EncodeToString(f.list)
	if !strings.ContainsAny(url, "-_") {
		// The fixture's bytes must tell the alphabets apart for the URL-safe case to mean anything.
		t.Fatalf("the URL-safe encoding %q has no URL-safe character", url)
	}
	type want struct {
		index int
		form  string
		owner string
		list  []byte
	}
	tests := []struct {
		name  string
		in    string
		items []want
	}{
		{"binary", string(f.list), []want{{0, ECHFormBinary, "", f.list}}},
		{"base64", b64, []want{{0, ECHFormBase64, "", f.list}}},
		{"base64 with a newline", b64 + "\n", []want{{0, ECHFormBase64, "", f.list}}},
		{"base64 without padding", strings.TrimRight(b64, "="), []want{{0, ECHFormBase64, "", f.list}}},
		{"base64 wrapped, crlf, indented", "  " + strings.ReplaceAll(echWrap(b64, 20), "\n", "\r\n  "), []want{{0, ECHFormBase64, "", f.list}}},
		{"base64 after a byte-order mark", "\xef\xbb\xbf" + b64 + "\n", []want{{0, ECHFormBase64, "", f.list}}},
		{"url-safe base64", url, []want{{0, ECHFormBase64, "", f.list}}},
		{"url-safe base64 padded", base64.URLEncoding.EncodeToString(f.list), []want{{0, ECHFormBase64, "", f.list}}},
		{"zone-file line, quoted", `example.test. 300 IN HTTPS 1 . alpn="h2,h3" ech="` + b64 + "\"\n", []want{{0, ECHFormDNS, "example.test.", f.list}}},
		{"zone-file line, tabs, no ttl", "example.test.\tIN\tHTTPS\t1 . ech=" + b64 + " port=8443", []want{{0, ECHFormDNS, "example.test.", f.list}}},
		{"presentation value only", `1 . alpn="h2" ech=` + b64, []want{{0, ECHFormDNS, "", f.list}}},
		{"svcb record", "_dns.resolver.test. 60 IN SVCB 1 dns.test. alpn=dot ech=" + one64, []want{{0, ECHFormDNS, "_dns.resolver.test.", f.single}}},
		{"dig output with comments and two records", ";; ANSWER SECTION:\n" +
			"a.test.\t\t300\tIN\tHTTPS\t1 . alpn=\"h2\" ech=" + b64 + " ; the current key\n" +
			"; b.test. 300 IN HTTPS 1 . ech=AAAA (a commented-out record)\n" +
			"b.test.\t\t300\tIN\tHTTPS\t2 . ech=\"" + one64 + "\" ipv4hint=192.0.2.1\n",
			[]want{{0, ECHFormDNS, "a.test.", f.list}, {1, ECHFormDNS, "b.test.", f.single}}},
		{"mandatory names ech too", `1 . mandatory=alpn,ech alpn=h2 ech=` + one64, []want{{0, ECHFormDNS, "", f.single}}},
		{"ech config pem", string(decPEM("ECHCONFIG", f.list)), []want{{0, ECHFormPEM, "", f.list}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode([]byte(tt.in), DecodeOptions{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(items) != len(tt.items) {
				t.Fatalf("%d items, want %d: %+v", len(items), len(tt.items), items)
			}
			for i, w := range tt.items {
				it := items[i]
				if it.Kind != KindECHConfigList || it.ECH == nil || it.Index != w.index {
					t.Fatalf("item %d: %+v", i, it)
				}
				if it.ECH.Form != w.form || it.ECH.Owner != w.owner || !bytes.Equal(it.ECH.Raw, w.list) {
					t.Errorf("item %d: form %q owner %q raw %x; want %q %q %x", i, it.ECH.Form, it.ECH.Owner, it.ECH.Raw, w.form, w.owner, w.list)
				}
				configs, _ := wire.ParseECHConfigList(w.list)
				if !reflect.DeepEqual(it.ECH.Configs, configs) {
					t.Errorf("item %d: configs %+v", i, it.ECH.Configs)
				}
			}
			// The streaming view gives the same.
			b, err := DecodeBundle(t.Context(), []byte(tt.in), DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := sameItems(bundleItems(t, b), items); diff != "" {
				t.Error(diff)
			}
			if b.Count(KindECHConfigList) != len(tt.items) {
				t.Errorf("Count = %d", b.Count(KindECHConfigList))
			}
		})
	}
}

// TestDecodeECHKeyFile reads the ECH key file of RFC 9934: the X25519 private key (described,
// as keys are, by type and pin) and the ECHConfigList of the block after it.
func TestDecodeECHKeyFile(t *testing.T) {
	f := echTestFixture(t)
	items, err := Decode(decCat([]byte("# made by a key manager\n"), f.keyFile()), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d items: %+v", len(items), items)
	}
	key, ech := items[0], items[1]
	if key.Kind != KindPrivateKey || key.PEMType != "PRIVATE KEY" || key.PrivateKey != nil || key.X25519Key == nil || !key.X25519Key.Equal(f.key) {
		t.Errorf("key item: %+v", key)
	}
	if ech.Kind != KindECHConfigList || ech.Index != 1 || ech.PEMType != "ECHCONFIG" || ech.ECH.Form != ECHFormPEM || !bytes.Equal(ech.ECH.Raw, f.list) {
		t.Errorf("ECH item: %+v", ech)
	}
	d := DescribeItem(key, time.Time{}, false)
	spki, _ := x509.MarshalPKIXPublicKey(f.key.PublicKey())
	if d.Key == nil || !d.Key.Private || d.Key.Type != "X25519" || d.Key.Bits != 253 || d.Key.SPKISHA256 != DescribeKey(f.key.PublicKey(), true).SPKISHA256 || len(spki) == 0 {
		t.Errorf("key described as %+v", d.Key)
	}
	// The same key as DER (openssl genpkey -algorithm X25519 -outform DER).
	der, err := Decode(f.pkcs8, DecodeOptions{})
	if err != nil || len(der) != 1 || der[0].Kind != KindPrivateKey || der[0].X25519Key == nil {
		t.Errorf("DER X25519 key: %+v, %v", der, err)
	}
}

// TestDescribeECHConfigList views a list: each config of RFC 9849's version with its fields,
// one of another version by its version and size only.
func TestDescribeECHConfigList(t *testing.T) {
	f := echTestFixture(t)
	items, err := Decode(f.list, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := DescribeItem(items[0], time.Time{}, true).ECHConfigList
	pub := f.key.PublicKey().Bytes()
	want := &ECHConfigListDetails{Form: ECHFormBinary, Length: len(f.list), Configs: []ECHConfigDetails{
		{Version: "0xfe0d", Supported: true, Length: len(f.list) - 2 - 7, ECHConfigContents: &ECHConfigContents{
			ConfigID: 7, KEMID: 0x0020, KEM: "DHKEM(X25519, HKDF-SHA256)", PublicKey: wire.HexBytes(pub).String(),
			CipherSuites: []ECHCipherSuite{{1, "HKDF-SHA256", 1, "AES-128-GCM"}, {1, "HKDF-SHA256", 3, "ChaCha20Poly1305"}},
			PublicName:   "public.example.test",
			Extensions:   []ECHExtension{{Type: 0x1234, Length: 2, Data: "0102"}, {Type: 0xfe01, Mandatory: true, Data: ""}}}},
		{Version: "0xfe0e", Length: 7},
	}}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
		for i := range d.Configs {
			t.Logf("config %d: %+v %+v", i, d.Configs[i], d.Configs[i].ECHConfigContents)
		}
	}
}

// TestDecodeECHErrors: input clearly meant as ECH (an ECHCONFIG block, an ech SvcParam, bytes
// with RFC 9849's version where the first config's is) that does not decode is one line saying
// why; a Decode error, so inspect exits 1 as for any input it cannot read.
func TestDecodeECHErrors(t *testing.T) {
	f := echTestFixture(t)
	truncated := f.list[:len(f.list)-3]
	b64 := base64.StdEncoding.EncodeToString(f.list)
	tests := []struct {
		name     string
		in       []byte
		index    int
		pemType  string
		contains string
	}{
		{"truncated ECHCONFIG block", decCat(decPEM("PRIVATE KEY", f.pkcs8), decPEM("ECHCONFIG", truncated)), 1, "ECHCONFIG",
			"block 2 (ECHCONFIG): malformed ECHConfigList: length exceeds"},
		{"empty ECHCONFIG block", decPEM("ECHCONFIG", nil), 0, "ECHCONFIG", "malformed ECHConfigList"},
		{"ech= not base64", []byte("example.test. IN HTTPS 1 . ech=AE!x"), 0, "", "line 1: the ech SvcParam is not base64"},
		{"ech= empty", []byte(`1 . ech=""`), 0, "", "line 1: the ech SvcParam is empty"},
		{"ech= unterminated quote", []byte(`1 . ech="` + b64), 0, "", "has no closing quote"},
		{"ech= truncated list, second record", []byte("1 . ech=" + b64 + "\n1 . ech=" + base64.StdEncoding.EncodeToString(truncated) + "\n"), 1, "",
			"line 2: the ech SvcParam is a malformed ECHConfigList: length exceeds"},
		{"ech= of bytes that are no list", []byte("1 . ech=aGVsbG8="), 0, "", "the ech SvcParam is a malformed ECHConfigList"},
		{"base64 of a truncated list", []byte(base64.StdEncoding.EncodeToString(truncated)), 0, "", "malformed ECHConfigList: length exceeds the 90 bytes given (the input read as base64)"},
		{"truncated binary list", truncated, 0, "", "(the input read as binary)"},
		{"binary list and a newline", append(append([]byte{}, f.list...), '\n'), 0, "", "1 trailing bytes after the list (the input read as binary)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := Decode(tt.in, DecodeOptions{})
			if err == nil {
				t.Fatalf("no error: %+v", items)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Index != tt.index || de.PEMType != tt.pemType {
				t.Errorf("error %T %+v, want a DecodeError of index %d type %q", err, err, tt.index, tt.pemType)
			}
			if !strings.Contains(err.Error(), tt.contains) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tt.contains)
			}
			if _, berr := DecodeBundle(t.Context(), tt.in, DecodeOptions{}); berr == nil || berr.Error() != err.Error() {
				t.Errorf("DecodeBundle: %v", berr)
			}
		})
	}
}

// TestDecodeECHLeavesOtherInputs holds the ECH forms to what they add: every kind that decoded
// before decodes as before, and input that was nothing before (base64 of something else, text
// that mentions ech, bytes that are no list) is still nothing, with the error it had, never an
// ECH error.
func TestDecodeECHLeavesOtherInputs(t *testing.T) {
	m := decTestMaterial(t)
	f := echTestFixture(t)
	for _, tt := range []struct {
		name string
		in   []byte
		kind Kind
	}{
		{"pem certificate", decPEM("CERTIFICATE", m.cert.Raw), KindCertificate},
		{"pem certificate with an ech= comment around it", decCat([]byte("ech=AAAA\n"), decPEM("CERTIFICATE", m.cert.Raw)), KindCertificate},
		{"der certificate", m.cert.Raw, KindCertificate},
		{"der crl", m.crlDER, KindCRL},
		{"der pkcs8", m.pkcs8, KindPrivateKey},
		{"der pkcs12", m.p12Empty, KindCertificate},
		{"ECHCONFIG beside a certificate", decCat(decPEM("CERTIFICATE", m.cert.Raw), decPEM("ECHCONFIG", f.single)), KindCertificate},
	} {
		items, err := Decode(tt.in, DecodeOptions{})
		if err != nil || len(items) == 0 || items[0].Kind != tt.kind {
			t.Errorf("%s: %v, %+v", tt.name, err, items)
		}
	}
	for _, tt := range []struct {
		name, in, err string
	}{
		{"text", "not a certificate\n", "neither PEM nor DER"},
		{"one word of base64 alphabet", "notacertificate", "neither PEM nor DER"},
		{"base64 of text", base64.StdEncoding.EncodeToString([]byte("hello, world")), "neither PEM nor DER"},
		{"base64 of a DER certificate", base64.StdEncoding.EncodeToString(m.cert.Raw), "neither PEM nor DER"},
		{"tiny base64", "AAAA", "neither PEM nor DER"},
		{"ech in prose", "the ech = config goes here; see tech=notes and mandatory=ech\n", "neither PEM nor DER"},
		{"binary, not ECH", "\x00\x05\x01\x02\x03", "neither PEM nor DER"},
		{"DER-like bytes, not ECH", "\x30\x03\x02\x01\x05", "the DER is not a certificate"},
		{"empty", "", "the input is empty"},
	} {
		_, err := Decode([]byte(tt.in), DecodeOptions{})
		var de *DecodeError
		if !errors.Is(err, ErrNothingFound) || errors.As(err, &de) || !strings.Contains(fmtErr(err), tt.err) {
			t.Errorf("%s: error %v, want ErrNothingFound with %q", tt.name, err, tt.err)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
