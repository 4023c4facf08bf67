package ech

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/wire"
)

func TestGenerateAndPEM(t *testing.T) {
	k, err := Generate("public.example")
	if err != nil {
		t.Fatal(err)
	}
	configs, err := wire.ParseECHConfigList(k.ConfigList())
	if err != nil || len(configs) != 1 {
		t.Fatalf("config list: %v %v", configs, err)
	}
	c := configs[0]
	if c.PublicName != "public.example" || c.KEM != wire.HPKEKemX25519 || len(c.CipherSuites) != 2 ||
		!bytes.Equal(c.PublicKey, k.PrivateKey.PublicKey().Bytes()) || c.ConfigID != k.Config.ConfigID {
		t.Errorf("config %+v", c)
	}
	file, err := k.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseKeyPEM(file)
	if err != nil {
		t.Fatal(err)
	}
	if !back.PrivateKey.Equal(k.PrivateKey) || !bytes.Equal(back.Config.Raw, k.Config.Raw) {
		t.Error("the key file does not round-trip")
	}
	tk := back.TLSKey(true)
	if !bytes.Equal(tk.Config, k.Config.Raw) || !bytes.Equal(tk.PrivateKey, k.PrivateKey.Bytes()) || !tk.SendAsRetry {
		t.Errorf("TLS key %+v", tk)
	}
	// The key file's config is also a config argument.
	if list, err := ParseConfigArg("@key.pem", func(string) ([]byte, error) { return file, nil }); err != nil || !bytes.Equal(list, k.ConfigList()) {
		t.Errorf("config from the key file: %x %v", list, err)
	}
}

func TestPublicName(t *testing.T) {
	for _, name := range []string{"", "192.0.2.1", "a.b.0x10", "::1", strings.Repeat("a", 256), "localhost", "a..b", "-a.example", "a_b.example", "a.123456789012345678901234", "a.0x1f", "a.0x", strings.Repeat("a", 64) + ".example"} {
		if _, err := Generate(name); err == nil {
			t.Errorf("Generate(%q) took it", name)
		}
	}
	for _, name := range []string{"public.localhost", "public.example", "xn--bcher-kva.example", "a.0xzz", "a.1a"} {
		if _, err := Generate(name); err != nil {
			t.Errorf("Generate(%q): %v", name, err)
		}
	}
}

func TestParseKeyPEMErrors(t *testing.T) {
	k, _ := Generate("public.example")
	other, _ := Generate("public.example")
	der, _ := x509.MarshalPKCS8PrivateKey(k.PrivateKey)
	keyBlock := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	cfgBlock := pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: k.ConfigList()})
	otherCfg := pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: other.ConfigList()})
	p256, _ := ecdh.P256().GenerateKey(rand.Reader)
	p256der, _ := x509.MarshalPKCS8PrivateKey(p256)
	for _, tc := range []struct {
		name, want string
		file       []byte
	}{
		{"empty", "not an ECH key file", nil},
		{"key only", "no ECHCONFIG block", keyBlock},
		{"config only", "no PRIVATE KEY block", cfgBlock},
		{"mismatch", "not for its private key", append(bytes.Clone(keyBlock), otherCfg...)},
		{"two keys", "two private keys", append(append(bytes.Clone(keyBlock), keyBlock...), cfgBlock...)},
		{"P-256", "not an X25519 key", append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p256der}), cfgBlock...)},
		{"certificate", `"CERTIFICATE" PEM block`, append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), cfgBlock...)},
		{"bad config", "config", append(bytes.Clone(keyBlock), pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: []byte{0, 1, 2}})...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseKeyPEM(tc.file); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseConfigArg(t *testing.T) {
	k, _ := Generate("public.example")
	list := k.ConfigList()
	std := base64.StdEncoding.EncodeToString(list)
	files := map[string][]byte{
		"b64":    []byte(std[:10] + "\n" + std[10:] + "\n"),
		"raw":    list,
		"pem":    pem.EncodeToMemory(&pem.Block{Type: "ECHCONFIG", Bytes: list}),
		"cert":   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
		"junk":   []byte("hello, world"),
		"broken": []byte{0, 9, 0xfe, 0x0d},
	}
	read := func(name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return b, nil
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	for _, tc := range []struct{ arg, err string }{
		{std, ""},
		{strings.TrimRight(std, "="), ""},
		{base64.URLEncoding.EncodeToString(list), ""},
		{base64.RawURLEncoding.EncodeToString(list), ""},
		{"@b64", ""}, {"@raw", ""}, {"@pem", ""},
		{"@missing", "reading the ECH config: open missing"},
		{"@cert", "PEM without an ECHCONFIG block"},
		{"@junk", "the ECH config in junk: neither base64 nor an ECHConfigList"},
		{"@broken", "the ECH config in broken: malformed ECHConfigList"},
		{"AAAA", "malformed ECHConfigList"},
		{"", "neither base64"},
		{"not base64!", "neither base64"},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			got, err := ParseConfigArg(tc.arg, read)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if errors.Is(err, fs.ErrNotExist) != strings.Contains(tc.arg, "missing") {
					t.Errorf("error %v lost its cause", err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, list) {
				t.Fatalf("got %x %v", got, err)
			}
		})
	}
}

func TestRecordLine(t *testing.T) {
	list := []byte{0, 1, 2}
	for _, tc := range []struct {
		host string
		port int
		alpn []string
		want string
	}{
		{"example.com", 443, []string{"h2", "http/1.1"}, `example.com. 300 IN HTTPS 1 . alpn="h2,http/1.1" ech="AAEC"`},
		{"example.com.", 0, nil, `example.com. 300 IN HTTPS 1 . ech="AAEC"`},
		{"localhost", 8443, []string{"http/1.1"}, `_8443._https.localhost. 300 IN HTTPS 1 localhost. alpn="http/1.1" port=8443 ech="AAEC"`},
	} {
		if got := RecordLine(tc.host, tc.port, tc.alpn, list); got != tc.want {
			t.Errorf("RecordLine(%q, %d)\n got %s\nwant %s", tc.host, tc.port, got, tc.want)
		}
	}
}

func TestUsable(t *testing.T) {
	k, _ := Generate("public.example")
	build := func(edit func(c *wire.ECHConfig)) []byte {
		c := k.Config
		edit(&c)
		raw, err := wire.MarshalECHConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		list, _ := wire.MarshalECHConfigList(raw)
		return list
	}
	good := k.ConfigList()
	for _, tc := range []struct {
		name string
		list []byte
		want string // "" usable
	}{
		{"generated", good, ""},
		{"one label", build(func(c *wire.ECHConfig) { c.PublicName = "localhost" }), "has one label"},
		{"underscore", build(func(c *wire.ECHConfig) { c.PublicName = "a_b.example" }), "not a host name"},
		{"KEM", build(func(c *wire.ECHConfig) { c.KEM = wire.HPKEKemX448 }), "uses the KEM DHKEM(X448, HKDF-SHA512)"},
		{"bad key", build(func(c *wire.ECHConfig) { c.PublicKey = []byte{1, 2, 3} }), "public key that is not one of"},
		{"mandatory extension", build(func(c *wire.ECHConfig) { c.Extensions = []wire.ECHConfigExtension{{Type: 0x8001}} }), "mandatory extension 0x8001"},
		{"no suite", build(func(c *wire.ECHConfig) { c.CipherSuites = []wire.HPKESuite{{KDF: 0x10, AEAD: 1}} }), "no HPKE suite"},
		{"future version", []byte{0, 5, 0xfe, 0x0e, 0, 1, 0}, "of version 0xfe0e"},
		{"one good of two", func() []byte {
			bad := build(func(c *wire.ECHConfig) { c.KEM = 0x7777 })
			l, _ := wire.MarshalECHConfigList(bad[2:], k.Config.Raw)
			return l
		}(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Usable(tc.list)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
