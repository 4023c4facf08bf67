package wire

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Encrypted Client Hello (RFC 9849): the ECHConfigList a server publishes (in DNS, RFC 9848, or
// as retry configs), and the encrypted_client_hello extension of a ClientHello.

// ECHConfigVersion is the version of the ECHConfig RFC 9849 defines (the draft-13 code point
// kept by the RFC).
const ECHConfigVersion uint16 = 0xfe0d

// HPKE algorithm identifiers (RFC 9180 section 7, and the IANA HPKE registry).
const (
	HPKEKemP256   uint16 = 0x0010
	HPKEKemP384   uint16 = 0x0011
	HPKEKemP521   uint16 = 0x0012
	HPKEKemX25519 uint16 = 0x0020
	HPKEKemX448   uint16 = 0x0021

	HPKEKdfSHA256 uint16 = 0x0001
	HPKEKdfSHA384 uint16 = 0x0002
	HPKEKdfSHA512 uint16 = 0x0003

	HPKEAeadAES128GCM uint16 = 0x0001
	HPKEAeadAES256GCM uint16 = 0x0002
	HPKEAeadChaCha20  uint16 = 0x0003
)

var hpkeKEMNames = map[uint16]string{
	HPKEKemP256: "DHKEM(P-256, HKDF-SHA256)", HPKEKemP384: "DHKEM(P-384, HKDF-SHA384)",
	HPKEKemP521: "DHKEM(P-521, HKDF-SHA512)", HPKEKemX25519: "DHKEM(X25519, HKDF-SHA256)",
	HPKEKemX448: "DHKEM(X448, HKDF-SHA512)", 0x0040: "ML-KEM-512", 0x0041: "ML-KEM-768",
	0x0042: "ML-KEM-1024", 0x0050: "MLKEM768-P256", 0x0051: "MLKEM1024-P384", 0x647a: "MLKEM768-X25519",
}

var hpkeKDFNames = map[uint16]string{
	HPKEKdfSHA256: "HKDF-SHA256", HPKEKdfSHA384: "HKDF-SHA384", HPKEKdfSHA512: "HKDF-SHA512",
	0x0010: "SHAKE128", 0x0011: "SHAKE256",
}

var hpkeAEADNames = map[uint16]string{
	HPKEAeadAES128GCM: "AES-128-GCM", HPKEAeadAES256GCM: "AES-256-GCM", HPKEAeadChaCha20: "ChaCha20Poly1305",
	0xffff: "Export-only",
}

func hpkeName(names map[uint16]string, id uint16) string {
	if n, ok := names[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", id)
}

// HPKEKEMName names an HPKE KEM ("DHKEM(X25519, HKDF-SHA256)"), or gives its code point.
func HPKEKEMName(id uint16) string { return hpkeName(hpkeKEMNames, id) }

// HPKEKDFName names an HPKE KDF ("HKDF-SHA256").
func HPKEKDFName(id uint16) string { return hpkeName(hpkeKDFNames, id) }

// HPKEAEADName names an HPKE AEAD ("AES-128-GCM").
func HPKEAEADName(id uint16) string { return hpkeName(hpkeAEADNames, id) }

// HPKESuite is an HpkeSymmetricCipherSuite: a KDF and an AEAD.
type HPKESuite struct {
	KDF  uint16 `json:"kdf_id"`
	AEAD uint16 `json:"aead_id"`
}

// MarshalJSON writes the suite with its names, as the rest of the codec's JSON does.
func (s HPKESuite) MarshalJSON() ([]byte, error) {
	return fmt.Appendf(nil, `{"kdf_id":%d,"kdf":%q,"aead_id":%d,"aead":%q}`, s.KDF, HPKEKDFName(s.KDF), s.AEAD, HPKEAEADName(s.AEAD)), nil
}

func (s HPKESuite) String() string { return HPKEKDFName(s.KDF) + " + " + HPKEAEADName(s.AEAD) }

// ECHConfigExtension is one extension of an ECHConfig; a type with the high bit set is
// mandatory: a client that does not know it must skip the config.
type ECHConfigExtension struct {
	Type uint16   `json:"type"`
	Data HexBytes `json:"data"`
}

// Mandatory reports whether a client must understand the extension to use the config.
func (e ECHConfigExtension) Mandatory() bool { return e.Type&0x8000 != 0 }

// ECHConfig is one entry of an ECHConfigList. A config of a version other than
// ECHConfigVersion keeps only its version and raw contents, which clients skip.
type ECHConfig struct {
	Version uint16 `json:"version"`
	// Raw is the whole ECHConfig (version and length included), which a TLS stack is given.
	Raw               HexBytes             `json:"-"`
	ConfigID          uint8                `json:"config_id"`
	KEM               uint16               `json:"kem_id"`
	PublicKey         HexBytes             `json:"public_key"`
	CipherSuites      []HPKESuite          `json:"cipher_suites"`
	MaximumNameLength uint8                `json:"maximum_name_length"`
	PublicName        string               `json:"public_name"`
	Extensions        []ECHConfigExtension `json:"extensions"`
}

// Supported reports whether the config is of the version this codec decodes.
func (c ECHConfig) Supported() bool { return c.Version == ECHConfigVersion }

const msgECHConfigList = "ECHConfigList"

// ParseECHConfigList decodes an ECHConfigList (the uint16-length-prefixed list of ECHConfigs
// found in DNS's ech SvcParam and in retry_configs). Configs of unknown versions are kept
// undecoded, as RFC 9849 section 4 has clients skip them; malformed bytes are an error.
func ParseECHConfigList(b []byte) ([]ECHConfig, error) {
	s := cryptobyte.String(b)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) {
		return nil, malformed(msgECHConfigList, "length exceeds the %d bytes given", len(b))
	}
	if !s.Empty() {
		return nil, malformed(msgECHConfigList, "%d trailing bytes after the list", len(s))
	}
	if list.Empty() {
		return nil, malformed(msgECHConfigList, "empty list")
	}
	var configs []ECHConfig
	for i := 0; !list.Empty(); i++ {
		start := list
		var version uint16
		var contents cryptobyte.String
		if !list.ReadUint16(&version) || !list.ReadUint16LengthPrefixed(&contents) {
			return nil, malformed(msgECHConfigList, "config %d truncated", i)
		}
		c := ECHConfig{Version: version, Raw: HexBytes(start[:len(start)-len(list)])}
		if version == ECHConfigVersion {
			if err := c.parseContents(contents); err != nil {
				return nil, malformed(msgECHConfigList, "config %d: %v", i, err)
			}
		}
		configs = append(configs, c)
	}
	return configs, nil
}

func (c *ECHConfig) parseContents(s cryptobyte.String) error {
	var pub, suites, name, exts cryptobyte.String
	if !s.ReadUint8(&c.ConfigID) || !s.ReadUint16(&c.KEM) || !s.ReadUint16LengthPrefixed(&pub) {
		return fmt.Errorf("truncated key config")
	}
	if pub.Empty() {
		return fmt.Errorf("empty public key")
	}
	c.PublicKey = HexBytes(pub)
	if !s.ReadUint16LengthPrefixed(&suites) {
		return fmt.Errorf("truncated cipher suites")
	}
	if suites.Empty() || len(suites)%4 != 0 {
		return fmt.Errorf("cipher suites of %d bytes, not a non-empty multiple of 4", len(suites))
	}
	for !suites.Empty() {
		var cs HPKESuite
		suites.ReadUint16(&cs.KDF)
		suites.ReadUint16(&cs.AEAD)
		c.CipherSuites = append(c.CipherSuites, cs)
	}
	if !s.ReadUint8(&c.MaximumNameLength) || !s.ReadUint8LengthPrefixed(&name) {
		return fmt.Errorf("truncated public name")
	}
	if name.Empty() {
		return fmt.Errorf("empty public name")
	}
	c.PublicName = string(name)
	if !s.ReadUint16LengthPrefixed(&exts) {
		return fmt.Errorf("truncated extensions")
	}
	c.Extensions = []ECHConfigExtension{}
	for !exts.Empty() {
		var e ECHConfigExtension
		var data cryptobyte.String
		if !exts.ReadUint16(&e.Type) || !exts.ReadUint16LengthPrefixed(&data) {
			return fmt.Errorf("truncated extension")
		}
		e.Data = HexBytes(data)
		c.Extensions = append(c.Extensions, e)
	}
	if !s.Empty() {
		return fmt.Errorf("%d trailing bytes after the extensions", len(s))
	}
	return nil
}

// MarshalECHConfig encodes one ECHConfig of ECHConfigVersion from its fields (Raw and Version
// are ignored).
func MarshalECHConfig(c ECHConfig) ([]byte, error) {
	switch {
	case len(c.PublicKey) == 0:
		return nil, fmt.Errorf("building ECHConfig: empty public key")
	case len(c.CipherSuites) == 0:
		return nil, fmt.Errorf("building ECHConfig: no cipher suites")
	case len(c.PublicName) == 0 || len(c.PublicName) > 255:
		return nil, fmt.Errorf("building ECHConfig: public name of %d bytes, must be 1 to 255", len(c.PublicName))
	}
	var b cryptobyte.Builder
	b.AddUint16(ECHConfigVersion)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint8(c.ConfigID)
		b.AddUint16(c.KEM)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c.PublicKey) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, cs := range c.CipherSuites {
				b.AddUint16(cs.KDF)
				b.AddUint16(cs.AEAD)
			}
		})
		b.AddUint8(c.MaximumNameLength)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(c.PublicName)) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range c.Extensions {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("building ECHConfig: %w", err)
	}
	return out, nil
}

// MarshalECHConfigList wraps encoded ECHConfigs (as MarshalECHConfig or ECHConfig.Raw give
// them) into an ECHConfigList.
func MarshalECHConfigList(configs ...[]byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, c := range configs {
			b.AddBytes(c)
		}
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("building ECHConfigList: %w", err)
	}
	return out, nil
}

// ECHClientHello is the encrypted_client_hello extension of a ClientHello: in the outer hello
// the HPKE suite, config id, encapsulated key and encrypted inner hello; in the inner one
// only its type. A GREASE ECH extension looks like an outer one by design.
type ECHClientHello struct {
	// Type is "outer" or "inner".
	Type          string    `json:"type"`
	CipherSuite   HPKESuite `json:"cipher_suite,omitzero"`
	ConfigID      uint8     `json:"config_id"`
	EncLength     int       `json:"enc_length"`
	PayloadLength int       `json:"payload_length"`
}

// ParseECHClientHello decodes the data of a ClientHello's encrypted_client_hello extension.
func ParseECHClientHello(data []byte) (*ECHClientHello, error) {
	s := cryptobyte.String(data)
	var typ uint8
	if !s.ReadUint8(&typ) {
		return nil, extErr("empty")
	}
	switch typ {
	case 1:
		if !s.Empty() {
			return nil, extErr("inner with %d bytes after its type", len(s))
		}
		return &ECHClientHello{Type: "inner"}, nil
	case 0:
	default:
		return nil, extErr("unknown ECHClientHelloType %d", typ)
	}
	e := &ECHClientHello{Type: "outer"}
	var enc, payload cryptobyte.String
	if !s.ReadUint16(&e.CipherSuite.KDF) || !s.ReadUint16(&e.CipherSuite.AEAD) || !s.ReadUint8(&e.ConfigID) ||
		!s.ReadUint16LengthPrefixed(&enc) || !s.ReadUint16LengthPrefixed(&payload) {
		return nil, extErr("truncated outer")
	}
	if payload.Empty() {
		return nil, extErr("empty payload")
	}
	if !s.Empty() {
		return nil, extErr("%d trailing bytes", len(s))
	}
	e.EncLength, e.PayloadLength = len(enc), len(payload)
	return e, nil
}
