package wire

import (
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// ClientHelloSpec describes a ClientHello to build by hand, for probing servers with offers
// crypto/tls would never make (single suites, old versions, odd groups).
type ClientHelloSpec struct {
	// Version is legacy_version; 0 means TLS 1.2 (0x0303), which TLS 1.3 requires.
	Version uint16
	// Random must be 32 bytes; nil means fresh random bytes.
	Random []byte
	// SessionID is at most 32 bytes. TLS 1.3 clients in middlebox-compatibility mode send
	// 32 random bytes; scanners may want the same to look ordinary.
	SessionID    []byte
	CipherSuites []uint16
	// ServerName adds server_name when non-empty.
	ServerName string
	// SupportedVersions adds supported_versions when non-empty (needed for TLS 1.3).
	SupportedVersions []uint16
	// Groups adds supported_groups when non-empty.
	Groups []uint16
	// KeyShares adds key_share when non-empty.
	KeyShares []KeyShareSpec
	// SignatureAlgorithms adds signature_algorithms when non-empty.
	SignatureAlgorithms []uint16
	// ALPN adds application_layer_protocol_negotiation when non-empty.
	ALPN []string
	// ECPointFormats adds ec_point_formats offering only uncompressed, which TLS 1.0-1.2
	// servers of the RFC 4492 era require before they pick an ECDHE suite.
	ECPointFormats bool
	// ExtraExtensions are appended after the ones above, in order, with their Data as is.
	ExtraExtensions []Extension
	// CompressionMethods replaces the null-only list (nil) of compression methods; a scanner
	// offers DEFLATE (1) to see whether a server would compress (CRIME).
	CompressionMethods []uint8
}

// KeyShareSpec is one key_share entry to send.
type KeyShareSpec struct {
	Group     uint16
	PublicKey []byte
}

// MarshalClientHello builds a ClientHello handshake message (4-byte header included) from
// spec. Extensions are emitted in the order the ClientHelloSpec fields are listed. It rejects
// specs that would produce a malformed message (bad lengths, duplicate extensions) because a
// scanner that sends garbage learns nothing about the server.
func MarshalClientHello(spec ClientHelloSpec) ([]byte, error) {
	vers := spec.Version
	if vers == 0 {
		vers = VersionTLS12
	}
	random := spec.Random
	if random == nil {
		random = make([]byte, 32)
		if _, err := rand.Read(random); err != nil {
			return nil, fmt.Errorf("building ClientHello: reading random: %w", err)
		}
	}
	if len(random) != 32 {
		return nil, fmt.Errorf("building ClientHello: random is %d bytes, want 32", len(random))
	}
	if len(spec.SessionID) > 32 {
		return nil, fmt.Errorf("building ClientHello: session ID is %d bytes, at most 32", len(spec.SessionID))
	}
	if len(spec.CipherSuites) == 0 {
		return nil, fmt.Errorf("building ClientHello: no cipher suites")
	}
	for _, p := range spec.ALPN {
		if len(p) == 0 || len(p) > 255 {
			return nil, fmt.Errorf("building ClientHello: ALPN protocol %q must be 1-255 bytes", p)
		}
	}
	if spec.ServerName != "" && len(spec.ServerName) > 0xffff-5 {
		return nil, fmt.Errorf("building ClientHello: server name too long")
	}

	exts, err := specExtensions(spec)
	if err != nil {
		return nil, err
	}
	seen := make(map[uint16]bool, len(exts))
	for _, e := range exts {
		if seen[e.Type] {
			return nil, fmt.Errorf("building ClientHello: duplicate %s extension", ExtensionName(e.Type))
		}
		seen[e.Type] = true
	}

	var b cryptobyte.Builder
	b.AddUint8(TypeClientHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		b.AddBytes(random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(spec.SessionID) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, cs := range spec.CipherSuites {
				b.AddUint16(cs)
			}
		})
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			if len(spec.CompressionMethods) == 0 {
				b.AddUint8(0)
			}
			b.AddBytes(spec.CompressionMethods)
		})
		if len(exts) == 0 {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("building ClientHello: %w", err)
	}
	return out, nil
}

// specExtensions encodes the extensions a spec asks for, in field order.
func specExtensions(spec ClientHelloSpec) ([]Extension, error) {
	var exts []Extension
	add := func(typ uint16, f func(b *cryptobyte.Builder)) error {
		var b cryptobyte.Builder
		f(&b)
		data, err := b.Bytes()
		if err != nil {
			return fmt.Errorf("building ClientHello: %s extension: %w", ExtensionName(typ), err)
		}
		exts = append(exts, Extension{Type: typ, Name: ExtensionName(typ), Length: len(data), Data: data})
		return nil
	}
	u16s := func(l []uint16) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			for _, v := range l {
				b.AddUint16(v)
			}
		}
	}
	var errs []error
	if spec.ServerName != "" {
		errs = append(errs, add(ExtServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(0) // host_name
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(spec.ServerName)) })
			})
		}))
	}
	if spec.ECPointFormats {
		errs = append(errs, add(ExtECPointFormats, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // uncompressed
		}))
	}
	if len(spec.Groups) > 0 {
		errs = append(errs, add(ExtSupportedGroups, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(u16s(spec.Groups))
		}))
	}
	if len(spec.SignatureAlgorithms) > 0 {
		errs = append(errs, add(ExtSignatureAlgorithms, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(u16s(spec.SignatureAlgorithms))
		}))
	}
	if len(spec.ALPN) > 0 {
		errs = append(errs, add(ExtALPN, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, p := range spec.ALPN {
					b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
				}
			})
		}))
	}
	if len(spec.SupportedVersions) > 0 {
		errs = append(errs, add(ExtSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(u16s(spec.SupportedVersions))
		}))
	}
	if len(spec.KeyShares) > 0 {
		for _, ks := range spec.KeyShares {
			if len(ks.PublicKey) == 0 {
				return nil, fmt.Errorf("building ClientHello: empty key share for %s", GroupName(ks.Group))
			}
		}
		errs = append(errs, add(ExtKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, ks := range spec.KeyShares {
					b.AddUint16(ks.Group)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ks.PublicKey) })
				}
			})
		}))
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, e := range spec.ExtraExtensions {
		if len(e.Data) > 0xffff {
			return nil, fmt.Errorf("building ClientHello: %s extension data is %d bytes, over 65535",
				ExtensionName(e.Type), len(e.Data))
		}
		exts = append(exts, Extension{Type: e.Type, Name: ExtensionName(e.Type), Length: len(e.Data), Data: e.Data})
	}
	return exts, nil
}

// WrapRecords frames payload as records of contentType, splitting it into fragments of at
// most 2^14 bytes (the plaintext limit). An empty payload yields one empty record, which is
// legal for application data and lets a caller probe how a peer treats it.
func WrapRecords(contentType uint8, version uint16, payload []byte) []byte {
	n := (len(payload) + MaxPlaintextLength - 1) / MaxPlaintextLength
	if n == 0 {
		n = 1
	}
	out := make([]byte, 0, len(payload)+n*RecordHeaderLength)
	for first := true; first || len(payload) > 0; first = false {
		frag := payload[:min(len(payload), MaxPlaintextLength)]
		payload = payload[len(frag):]
		out = append(out, contentType, byte(version>>8), byte(version),
			byte(len(frag)>>8), byte(len(frag)))
		out = append(out, frag...)
	}
	return out
}
