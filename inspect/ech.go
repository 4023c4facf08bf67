package inspect

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Encrypted Client Hello configurations (RFC 9849): the ECHConfigList a server publishes, in
// each form people hold one. wire.ParseECHConfigList decodes it; this file only finds it.

// The forms an ECHConfigList is read from (ECHConfigList.Form, the JSON's form).
const (
	// ECHFormPEM is an ECHCONFIG PEM block, as in the ECH key files of RFC 9934 (a PKCS#8
	// PRIVATE KEY block, then the ECHCONFIG block), which OpenSSL's ECH support, nginx and
	// others read and write.
	ECHFormPEM = "pem"
	// ECHFormBase64 is the whole input as base64 (standard or URL-safe, padded or not, with
	// any whitespace).
	ECHFormBase64 = "base64"
	// ECHFormBinary is the whole input as the ECHConfigList's bytes.
	ECHFormBinary = "binary"
	// ECHFormDNS is the ech SvcParam of a DNS HTTPS or SVCB record (RFC 9848): a zone-file
	// line, dig's output, or the record's presentation value.
	ECHFormDNS = "dns"
)

// ECHConfigList is an ECHConfigList found in the input.
type ECHConfigList struct {
	// Raw is the ECHConfigList as encoded, its length prefix included: what a TLS stack is given.
	Raw []byte
	// Configs are its entries, as wire.ParseECHConfigList decodes them (one of a version other
	// than RFC 9849's keeps only its version and bytes).
	Configs []wire.ECHConfig
	// Form is how it was given: ECHFormPEM, ECHFormBase64, ECHFormBinary or ECHFormDNS.
	Form string
	// Owner is the owner name of the DNS record it came from, when the input was a zone-file
	// line (or dig's answer) and not only the record's value; "" otherwise.
	Owner string
}

// decodeECHBlock decodes the ECHConfigList of an ECHCONFIG PEM block.
func decodeECHBlock(der []byte, index int) (Item, error) {
	configs, err := wire.ParseECHConfigList(der)
	if err != nil {
		return Item{}, &DecodeError{Index: index, PEMType: "ECHCONFIG", Reason: err.Error()}
	}
	return Item{Kind: KindECHConfigList, Index: index, PEMType: "ECHCONFIG",
		ECH: &ECHConfigList{Raw: der, Configs: configs, Form: ECHFormPEM}}, nil
}

// decodeECH reads input that is neither PEM nor any DER structure Decode knows as an
// ECHConfigList, trying in turn:
//
//  1. the whole input as the list's bytes (its length prefix must cover the rest exactly);
//  2. text with the ech SvcParam of DNS HTTPS or SVCB records ("ech=BASE64" or
//     `ech="BASE64"`, as a field of its own): one item per record;
//  3. the whole input as base64 of the list.
//
// ok is false when the input is none of these, and the caller keeps the error it had: input
// that was something else before is not made an ECH error. An error is returned only for input
// that is clearly meant as ECH: an ech SvcParam that does not decode, or bytes (raw, or from
// base64) that carry the RFC 9849 version where a list's first config has it but do not parse.
func decodeECH(data []byte) (items []Item, ok bool, err error) {
	one := func(raw []byte, configs []wire.ECHConfig, form string) []Item {
		return []Item{{Kind: KindECHConfigList, ECH: &ECHConfigList{Raw: raw, Configs: configs, Form: form}}}
	}
	binErr := error(nil)
	if configs, err := wire.ParseECHConfigList(data); err == nil {
		return one(data, configs, ECHFormBinary), true, nil
	} else if echMarked(data) {
		binErr = err
	}
	// Text may begin with the byte-order mark Windows editors write.
	if text := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")); isText(text) {
		if params := findECHParams(text); len(params) > 0 {
			items, err := decodeECHParams(params)
			return items, true, err
		}
		if raw, isB64 := decodeLooseBase64(text); isB64 {
			configs, err := wire.ParseECHConfigList(raw)
			switch {
			case err == nil:
				return one(raw, configs, ECHFormBase64), true, nil
			case echMarked(raw):
				return nil, true, &DecodeError{Reason: err.Error() + " (the input read as base64)"}
			}
		}
	}
	if binErr != nil {
		return nil, true, &DecodeError{Reason: binErr.Error() + " (the input read as binary)"}
	}
	return nil, false, nil
}

// echMarked reports whether b starts as an ECHConfigList whose first config is of RFC 9849's
// version: a length, then 0xfe0d. Random bytes, or base64 of text, rarely do.
func echMarked(b []byte) bool {
	return len(b) >= 4 && binary.BigEndian.Uint16(b[2:]) == wire.ECHConfigVersion
}

// isText reports whether data can be text that people or dig wrote: UTF-8 without NUL bytes.
func isText(data []byte) bool {
	return utf8.Valid(data) && bytes.IndexByte(data, 0) < 0
}

// decodeLooseBase64 decodes data as base64 of the standard or the URL-safe alphabet, with or
// without padding, ignoring whitespace anywhere; isB64 is false when it is not that.
func decodeLooseBase64(data []byte) (raw []byte, isB64 bool) {
	s := make([]byte, 0, len(data))
	std, url, pad := false, false, 0
	for _, c := range data {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		case c == '=':
			pad++
			continue
		case pad > 0:
			return nil, false // padding only at the end
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		default:
			return nil, false
		}
		s = append(s, c)
	}
	if len(s) == 0 || pad > 2 || std && url {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	raw = make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(raw, s)
	if err != nil {
		return nil, false
	}
	return raw[:n], true
}

// echParam is one ech SvcParam found in text: its value as written, the line it is on (from 1),
// and the owner name of the record when the line is a whole record.
type echParam struct {
	value string
	line  int
	owner string
}

// findECHParams finds every ech SvcParam in text: a whitespace-separated field "ech=VALUE" or
// `ech="VALUE"` on a line that is not a zone-file comment. A line holding a whole record
// (OWNER [TTL] [CLASS] HTTPS|SVCB ...) also gives the record's owner name.
func findECHParams(data []byte) []echParam {
	var params []echParam
	for n, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), ";") {
			continue
		}
		if i := strings.Index(line, ";"); i >= 0 && !strings.Contains(line[:i], `"`) {
			line = line[:i] // a comment after the record (base64 holds no ";")
		}
		fields := strings.Fields(line)
		owner := ""
		if len(fields) > 1 && line[0] != ' ' && line[0] != '\t' {
			for _, f := range fields[1:min(len(fields), 5)] {
				if strings.EqualFold(f, "HTTPS") || strings.EqualFold(f, "SVCB") {
					owner = fields[0]
					break
				}
			}
		}
		for _, f := range fields {
			if len(f) < 4 || !strings.EqualFold(f[:4], "ech=") {
				continue
			}
			params = append(params, echParam{value: f[4:], line: n + 1, owner: owner})
		}
	}
	return params
}

// decodeECHParams decodes each ech SvcParam's value (base64, RFC 9848; a quoted value is
// unquoted) as an ECHConfigList: one item each, or the first one's error.
func decodeECHParams(params []echParam) ([]Item, error) {
	var items []Item
	for i, p := range params {
		fail := func(format string, args ...any) error {
			return &DecodeError{Index: i, Reason: fmt.Sprintf("line %d: the ech SvcParam ", p.line) + fmt.Sprintf(format, args...)}
		}
		v := p.value
		if strings.HasPrefix(v, `"`) {
			unq, ok := strings.CutSuffix(v[1:], `"`)
			if !ok {
				return nil, fail("has no closing quote")
			}
			v = unq
		}
		if v == "" {
			return nil, fail("is empty")
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			var isB64 bool
			if raw, isB64 = decodeLooseBase64([]byte(v)); !isB64 {
				return nil, fail("is not base64 (%v)", err)
			}
		}
		configs, err := wire.ParseECHConfigList(raw)
		if err != nil {
			return nil, fail("is a %v", err)
		}
		items = append(items, Item{Kind: KindECHConfigList, Index: i,
			ECH: &ECHConfigList{Raw: raw, Configs: configs, Form: ECHFormDNS, Owner: p.owner}})
	}
	return items, nil
}

// ECHConfigListDetails is what an ECHConfigList holds (docs/json.md).
type ECHConfigListDetails struct {
	// Form is how the list was given: "pem", "base64", "binary" or "dns".
	Form string `json:"form"`
	// Owner is the owner name of the DNS record it came from, when the input named it.
	Owner string `json:"owner,omitempty"`
	// Length is the list's size in bytes, its length prefix included.
	Length  int                `json:"length"`
	Configs []ECHConfigDetails `json:"configs"`
}

// ECHConfigDetails is one ECHConfig of a list. One of RFC 9849's version (Supported) has its
// contents; one of any other version, which clients skip, only its version and size.
type ECHConfigDetails struct {
	// Version is the config's version in hex: "0xfe0d" for RFC 9849's.
	Version   string `json:"version"`
	Supported bool   `json:"supported"`
	// Length is the config's size in bytes, its version and length included.
	Length int `json:"length"`
	*ECHConfigContents
}

// ECHConfigContents are the fields of an ECHConfig of RFC 9849's version.
type ECHConfigContents struct {
	ConfigID uint8  `json:"config_id"`
	KEMID    uint16 `json:"kem_id"`
	// KEM names the HPKE KEM ("DHKEM(X25519, HKDF-SHA256)"), or gives its code point in hex.
	KEM string `json:"kem"`
	// PublicKey is the HPKE public key in lower-case hex, whole.
	PublicKey         string           `json:"public_key"`
	CipherSuites      []ECHCipherSuite `json:"cipher_suites"`
	MaximumNameLength uint8            `json:"maximum_name_length"`
	PublicName        string           `json:"public_name"`
	Extensions        []ECHExtension   `json:"extensions"`
}

// ECHCipherSuite is an HPKE symmetric cipher suite: a KDF and an AEAD, by code point and name.
type ECHCipherSuite struct {
	KDFID  uint16 `json:"kdf_id"`
	KDF    string `json:"kdf"`
	AEADID uint16 `json:"aead_id"`
	AEAD   string `json:"aead"`
}

// ECHExtension is one extension of an ECHConfig. A mandatory one (the type's high bit set)
// makes a client that does not know it skip the config.
type ECHExtension struct {
	Type      uint16 `json:"type"`
	Length    int    `json:"length"`
	Mandatory bool   `json:"mandatory"`
	// Data is the extension's contents in lower-case hex.
	Data string `json:"data"`
}

// DescribeECHConfigList views an ECHConfigList.
func DescribeECHConfigList(l *ECHConfigList) *ECHConfigListDetails {
	return &ECHConfigListDetails{Form: l.Form, Owner: l.Owner, Length: len(l.Raw), Configs: DescribeECHConfigs(l.Configs)}
}

// DescribeECHConfigs is each config's view: the one JSON form of an ECHConfig in every tlskit
// document (inspect's, a handshake's retry configs, a scan's).
func DescribeECHConfigs(configs []wire.ECHConfig) []ECHConfigDetails {
	out := []ECHConfigDetails{}
	for _, c := range configs {
		cd := ECHConfigDetails{Version: fmt.Sprintf("0x%04x", c.Version), Supported: c.Supported(), Length: len(c.Raw)}
		if c.Supported() {
			cc := &ECHConfigContents{ConfigID: c.ConfigID, KEMID: c.KEM, KEM: wire.HPKEKEMName(c.KEM),
				PublicKey: c.PublicKey.String(), CipherSuites: []ECHCipherSuite{}, MaximumNameLength: c.MaximumNameLength,
				PublicName: c.PublicName, Extensions: []ECHExtension{}}
			for _, s := range c.CipherSuites {
				cc.CipherSuites = append(cc.CipherSuites, ECHCipherSuite{KDFID: s.KDF, KDF: wire.HPKEKDFName(s.KDF),
					AEADID: s.AEAD, AEAD: wire.HPKEAEADName(s.AEAD)})
			}
			for _, e := range c.Extensions {
				cc.Extensions = append(cc.Extensions, ECHExtension{Type: e.Type, Length: len(e.Data), Mandatory: e.Mandatory(), Data: e.Data.String()})
			}
			cd.ECHConfigContents = cc
		}
		out = append(out, cd)
	}
	return out
}
