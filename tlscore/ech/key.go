package ech

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Key is a server's ECH key: an X25519 HPKE private key and the ECHConfig that publishes its
// public half.
type Key struct {
	// Config is the ECHConfig, decoded; Config.Raw is the encoding clients get, byte for byte.
	Config     wire.ECHConfig
	PrivateKey *ecdh.PrivateKey
}

// DefaultSuites are the HPKE suites a generated config offers: HKDF-SHA256 with AES-128-GCM,
// and with ChaCha20Poly1305 for clients without AES hardware.
var DefaultSuites = []wire.HPKESuite{
	{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadAES128GCM},
	{KDF: wire.HPKEKdfSHA256, AEAD: wire.HPKEAeadChaCha20},
}

// Generate makes a fresh key whose config names publicName, the name the outer ClientHello
// carries in the clear. The config id is random, so two keys rarely share one.
func Generate(publicName string) (*Key, error) {
	if err := checkPublicName(publicName); err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the ECH key: %w", err)
	}
	id := make([]byte, 1)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generating the ECH config id: %w", err)
	}
	cfg := wire.ECHConfig{
		Version: wire.ECHConfigVersion, ConfigID: id[0], KEM: wire.HPKEKemX25519,
		PublicKey: priv.PublicKey().Bytes(), CipherSuites: DefaultSuites,
		PublicName: publicName, Extensions: []wire.ECHConfigExtension{},
	}
	raw, err := wire.MarshalECHConfig(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Raw = raw
	return &Key{Config: cfg, PrivateKey: priv}, nil
}

// checkPublicName holds the public name to RFC 9849 section 4 (a DNS name, not an IP address)
// and to what clients accept: crypto/tls and browsers skip a config whose name has one label
// ("localhost") or characters beyond letters, digits and inner hyphens.
func checkPublicName(name string) error {
	switch {
	case name == "":
		return errors.New("the ECH public name is empty")
	case len(name) > 253:
		return fmt.Errorf("the ECH public name is %d bytes, at most 253", len(name))
	case isIPv4ish(name) || strings.Contains(name, ":"):
		return fmt.Errorf("the ECH public name %q is an IP address; it must be a DNS name", name)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return fmt.Errorf("the ECH public name %q has one label; clients skip such configs (use a name like public.%s)", name, name)
	}
	for _, l := range labels {
		if len(l) > 63 {
			return fmt.Errorf("the ECH public name %q has a label of %d bytes, at most 63", name, len(l))
		}
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") || strings.ContainsFunc(l, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
		}) {
			return fmt.Errorf("the ECH public name %q is not a host name of letters, digits and inner hyphens", name)
		}
	}
	return nil
}

// usableKEMs are the KEMs crypto/tls's ECH client implements.
var usableKEMs = map[uint16]bool{wire.HPKEKemX25519: true, wire.HPKEKemP256: true, wire.HPKEKemP384: true, wire.HPKEKemP521: true}

// usableKDFs and usableAEADs are the HPKE algorithms it implements.
var (
	usableKDFs  = map[uint16]bool{wire.HPKEKdfSHA256: true, wire.HPKEKdfSHA384: true, wire.HPKEKdfSHA512: true}
	usableAEADs = map[uint16]bool{wire.HPKEAeadAES128GCM: true, wire.HPKEAeadAES256GCM: true, wire.HPKEAeadChaCha20: true}
)

// Usable says whether a client can use one of the list's configs (of this RFC's version, a
// KEM and a suite it implements, a valid public name, no mandatory extension it does not know:
// it knows none), and if none, why not the first: a handshake would otherwise fail with
// crypto/tls's "no valid configs".
func Usable(list []byte) error {
	configs, err := wire.ParseECHConfigList(list)
	if err != nil {
		return err
	}
	var why []string
	for _, c := range configs {
		reason := unusable(c)
		if reason == "" {
			return nil
		}
		why = append(why, fmt.Sprintf("config %d %s", c.ConfigID, reason))
	}
	return fmt.Errorf("no config in the list can be used: %s", strings.Join(why, "; "))
}

func unusable(c wire.ECHConfig) string {
	if !c.Supported() {
		return fmt.Sprintf("is of version 0x%04x", c.Version)
	}
	if err := checkPublicName(c.PublicName); err != nil {
		return "has an unusable public name: " + strings.TrimPrefix(err.Error(), "the ECH public name ")
	}
	if !usableKEMs[c.KEM] {
		return "uses the KEM " + wire.HPKEKEMName(c.KEM)
	}
	if kem, err := hpke.NewKEM(c.KEM); err != nil {
		return "uses the KEM " + wire.HPKEKEMName(c.KEM)
	} else if _, err := kem.NewPublicKey(c.PublicKey); err != nil {
		return "has a public key that is not one of " + wire.HPKEKEMName(c.KEM)
	}
	for _, e := range c.Extensions {
		if e.Mandatory() {
			return fmt.Sprintf("has the mandatory extension 0x%04x", e.Type)
		}
	}
	for _, cs := range c.CipherSuites {
		if usableKDFs[cs.KDF] && usableAEADs[cs.AEAD] {
			return ""
		}
	}
	return "has no HPKE suite a client implements"
}

// isIPv4ish is RFC 9849 section 6.1.7's test (after the WHATWG URL standard): a name whose
// last label is all digits, or 0x followed by hex digits, is an IPv4 address.
func isIPv4ish(name string) bool {
	labels := strings.Split(strings.TrimSuffix(name, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	isAll := func(s, digits string) bool {
		return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !strings.ContainsRune(digits, r) })
	}
	if hex, ok := strings.CutPrefix(last, "0x"); ok {
		return hex == "" || isAll(hex, "0123456789abcdef")
	}
	return isAll(last, "0123456789")
}

// ConfigList is the ECHConfigList holding this key's config alone: what DNS publishes.
func (k *Key) ConfigList() []byte {
	list, _ := wire.MarshalECHConfigList(k.Config.Raw) // one config of at most ~300 bytes always fits
	return list
}

// TLSKey is the key as crypto/tls's server takes it; retry says whether a client that used
// another config is sent this one to retry with.
func (k *Key) TLSKey(retry bool) tls.EncryptedClientHelloKey {
	return tls.EncryptedClientHelloKey{Config: k.Config.Raw, PrivateKey: k.PrivateKey.Bytes(), SendAsRetry: retry}
}

// PEM block types of an ECH key file, the layout OpenSSL's ECH work and the servers built on
// it use: the PKCS#8 private key, then the ECHConfigList it belongs to.
const (
	pemPrivateKey = "PRIVATE KEY"
	pemECHConfig  = "ECHCONFIG"
)

// MarshalPEM encodes the key file: the private key (PKCS#8) and the ECHConfigList.
func (k *Key) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the ECH key: %w", err)
	}
	var out bytes.Buffer
	_ = pem.Encode(&out, &pem.Block{Type: pemPrivateKey, Bytes: der})
	_ = pem.Encode(&out, &pem.Block{Type: pemECHConfig, Bytes: k.ConfigList()})
	return out.Bytes(), nil
}

// ParseKeyPEM reads a key file: one PKCS#8 X25519 private key and one ECHConfigList whose
// first config's public key is that key's.
func ParseKeyPEM(data []byte) (*Key, error) {
	var priv *ecdh.PrivateKey
	var list []byte
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case pemPrivateKey:
			if priv != nil {
				return nil, errors.New("two private keys in the ECH key file")
			}
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("the ECH private key: %w", err)
			}
			x, ok := k.(*ecdh.PrivateKey)
			if !ok || x.Curve() != ecdh.X25519() {
				return nil, fmt.Errorf("the ECH private key is a %T, not an X25519 key", k)
			}
			priv = x
		case pemECHConfig:
			if list != nil {
				return nil, errors.New("two ECHCONFIG blocks in the ECH key file")
			}
			list = block.Bytes
		default:
			return nil, fmt.Errorf("a %q PEM block in the ECH key file, which holds only PRIVATE KEY and ECHCONFIG", block.Type)
		}
	}
	switch {
	case priv == nil && list == nil:
		return nil, errors.New("not an ECH key file: no PRIVATE KEY and ECHCONFIG PEM blocks")
	case priv == nil:
		return nil, errors.New("the ECH key file has no PRIVATE KEY block")
	case list == nil:
		return nil, errors.New("the ECH key file has no ECHCONFIG block")
	}
	configs, err := wire.ParseECHConfigList(list)
	if err != nil {
		return nil, fmt.Errorf("the ECH key file's config: %w", err)
	}
	for _, c := range configs {
		if c.Supported() && c.KEM == wire.HPKEKemX25519 && bytes.Equal(c.PublicKey, priv.PublicKey().Bytes()) {
			return &Key{Config: c, PrivateKey: priv}, nil
		}
	}
	return nil, errors.New("the ECH key file's config is not for its private key")
}

// RecordLine is the zone-file line that publishes list for host:port (RFC 9460 with the ech
// SvcParam of RFC 9848): the owner is host itself for port 443, else _PORT._https.host, whose
// record then names host as its target and port as its port.
func RecordLine(host string, port int, alpn []string, list []byte) string {
	host = strings.TrimSuffix(host, ".") + "."
	owner, target, params := host, ".", ""
	if port != 443 && port != 0 {
		owner, target, params = fmt.Sprintf("_%d._https.%s", port, host), host, fmt.Sprintf(" port=%d", port)
	}
	if len(alpn) > 0 {
		params = fmt.Sprintf(" alpn=%q", strings.Join(alpn, ",")) + params
	}
	return fmt.Sprintf("%s 300 IN HTTPS 1 %s%s ech=%q", owner, target, params, base64.StdEncoding.EncodeToString(list))
}

// ParseConfigArg reads an ECHConfigList the way users give one: base64 (standard or URL-safe,
// padded or not), or @FILE holding base64, an ECHCONFIG PEM block (an ECH key file too) or the
// raw list. readFile is os.ReadFile outside tests. The list is checked to parse.
func ParseConfigArg(arg string, readFile func(string) ([]byte, error)) ([]byte, error) {
	data := []byte(arg)
	from := "the ECH config"
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		b, err := readFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading the ECH config: %w", err)
		}
		data, from = b, "the ECH config in "+name
	}
	list, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	if _, err := wire.ParseECHConfigList(list); err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return list, nil
}

// decodeConfig takes the bytes of a config argument or file to the list's bytes.
func decodeConfig(data []byte) ([]byte, error) {
	if block, _ := pem.Decode(data); block != nil {
		for rest := data; block != nil; block, rest = pem.Decode(rest) {
			if block.Type == pemECHConfig {
				return block.Bytes, nil
			}
		}
		return nil, errors.New("PEM without an ECHCONFIG block")
	}
	text := strings.Join(strings.Fields(string(data)), "")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(text) > 0 {
			return b, nil
		}
	}
	// Not text: the raw list, which ParseECHConfigList judges.
	if len(data) >= 2 && !isPrintable(data) {
		return data, nil
	}
	return nil, errors.New("neither base64 nor an ECHConfigList")
}

func isPrintable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c > 0x7e {
			return false
		}
	}
	return true
}
