package wire

import (
	"fmt"
	"strings"
	"sync"
)

// unknown16 and unknown8 are the one rendering of an identifier no table knows, so output
// stays greppable and a reader can look the number up in the IANA registry themselves.
func unknown16(v uint16) string { return fmt.Sprintf("unknown (0x%04x)", v) }
func unknown8(v uint8) string   { return fmt.Sprintf("unknown (0x%02x)", v) }

// IsGREASE reports whether v is one of the sixteen RFC 8701 GREASE values (0x0A0A, 0x1A1A, ...
// 0xFAFA). The same values are reserved in cipher suites, groups, extensions, signature
// schemes and versions, so clients send them to keep servers tolerant of unknown values.
func IsGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// Protocol versions as they appear on the wire.
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionName names a protocol version: "SSL 3.0", "TLS 1.0" ... "TLS 1.3", "GREASE", the
// DTLS versions, and pre-standard TLS 1.3 drafts as "TLS 1.3 (draft 28)" because old
// middleboxes and servers still answer with them.
func VersionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	case 0xfeff:
		return "DTLS 1.0"
	case 0xfefd:
		return "DTLS 1.2"
	case 0xfefc:
		return "DTLS 1.3"
	}
	if IsGREASE(v) {
		return "GREASE"
	}
	if v>>8 == 0x7f && v&0xff != 0 {
		return fmt.Sprintf("TLS 1.3 (draft %d)", v&0xff)
	}
	return unknown16(v)
}

// Record content types (RFC 8446 section 5.1, RFC 6520 for heartbeat).
const (
	ContentChangeCipherSpec uint8 = 20
	ContentAlert            uint8 = 21
	ContentHandshake        uint8 = 22
	ContentApplicationData  uint8 = 23
	ContentHeartbeat        uint8 = 24
)

// ContentTypeName names a record content type. ChangeCipherSpec and Alert use the same
// spelling as handshake message names because tlskit lists them in the same timeline.
func ContentTypeName(t uint8) string {
	switch t {
	case ContentChangeCipherSpec:
		return "ChangeCipherSpec"
	case ContentAlert:
		return "Alert"
	case ContentHandshake:
		return "Handshake"
	case ContentApplicationData:
		return "ApplicationData"
	case ContentHeartbeat:
		return "Heartbeat"
	case 25:
		return "tls12_cid"
	case 26:
		return "ACK"
	}
	return unknown8(t)
}

// Handshake message types (IANA "TLS HandshakeType").
const (
	TypeHelloRequest          uint8 = 0
	TypeClientHello           uint8 = 1
	TypeServerHello           uint8 = 2
	TypeHelloVerifyRequest    uint8 = 3
	TypeNewSessionTicket      uint8 = 4
	TypeEndOfEarlyData        uint8 = 5
	TypeEncryptedExtensions   uint8 = 8
	TypeCertificate           uint8 = 11
	TypeServerKeyExchange     uint8 = 12
	TypeCertificateRequest    uint8 = 13
	TypeServerHelloDone       uint8 = 14
	TypeCertificateVerify     uint8 = 15
	TypeClientKeyExchange     uint8 = 16
	TypeFinished              uint8 = 20
	TypeCertificateURL        uint8 = 21
	TypeCertificateStatus     uint8 = 22
	TypeSupplementalData      uint8 = 23
	TypeKeyUpdate             uint8 = 24
	TypeCompressedCertificate uint8 = 25
	TypeNextProtocol          uint8 = 67
	TypeMessageHash           uint8 = 254
)

// HRRRandom is the ServerHello.random value that marks a HelloRetryRequest (RFC 8446 section
// 4.1.3): SHA-256("HelloRetryRequest"). A HelloRetryRequest has no wire type of its own.
const HRRRandom = "\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91" +
	"\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"

// NameHelloRetryRequest, NameChangeCipherSpec and NameAlert are the timeline names for things
// that are not handshake message types on the wire.
const (
	NameHelloRetryRequest = "HelloRetryRequest"
	NameChangeCipherSpec  = "ChangeCipherSpec"
	NameAlert             = "Alert"
)

var handshakeTypeNames = sync.OnceValue(func() map[uint8]string {
	return map[uint8]string{
		TypeHelloRequest:          "HelloRequest",
		TypeClientHello:           "ClientHello",
		TypeServerHello:           "ServerHello",
		TypeHelloVerifyRequest:    "HelloVerifyRequest",
		TypeNewSessionTicket:      "NewSessionTicket",
		TypeEndOfEarlyData:        "EndOfEarlyData",
		6:                         "HelloRetryRequest", // TLS 1.3 drafts before -22 gave it a type
		TypeEncryptedExtensions:   "EncryptedExtensions",
		9:                         "RequestConnectionId",
		10:                        "NewConnectionId",
		TypeCertificate:           "Certificate",
		TypeServerKeyExchange:     "ServerKeyExchange",
		TypeCertificateRequest:    "CertificateRequest",
		TypeServerHelloDone:       "ServerHelloDone",
		TypeCertificateVerify:     "CertificateVerify",
		TypeClientKeyExchange:     "ClientKeyExchange",
		17:                        "ClientCertificateRequest",
		TypeFinished:              "Finished",
		TypeCertificateURL:        "CertificateURL",
		TypeCertificateStatus:     "CertificateStatus",
		TypeSupplementalData:      "SupplementalData",
		TypeKeyUpdate:             "KeyUpdate",
		TypeCompressedCertificate: "CompressedCertificate",
		26:                        "EktKey",
		TypeNextProtocol:          "NextProtocol",
		TypeMessageHash:           "MessageHash",
	}
})

// HandshakeTypeName names a handshake message type in the CamelCase form tlskit prints
// ("ClientHello", "ServerKeyExchange", ...). Type 2 is always "ServerHello": whether it is a
// HelloRetryRequest depends on the body, which [Message.Name] looks at.
func HandshakeTypeName(t uint8) string {
	if n, ok := handshakeTypeNames()[t]; ok {
		return n
	}
	return unknown8(t)
}

// Alert levels.
const (
	AlertLevelWarning uint8 = 1
	AlertLevelFatal   uint8 = 2
)

// AlertLevelName names an alert level ("warning", "fatal").
func AlertLevelName(l uint8) string {
	switch l {
	case AlertLevelWarning:
		return "warning"
	case AlertLevelFatal:
		return "fatal"
	}
	return unknown8(l)
}

var alertNames = sync.OnceValue(func() map[uint8]string {
	return map[uint8]string{
		0:   "close_notify",
		10:  "unexpected_message",
		20:  "bad_record_mac",
		21:  "decryption_failed",
		22:  "record_overflow",
		30:  "decompression_failure",
		40:  "handshake_failure",
		41:  "no_certificate",
		42:  "bad_certificate",
		43:  "unsupported_certificate",
		44:  "certificate_revoked",
		45:  "certificate_expired",
		46:  "certificate_unknown",
		47:  "illegal_parameter",
		48:  "unknown_ca",
		49:  "access_denied",
		50:  "decode_error",
		51:  "decrypt_error",
		52:  "too_many_cids_requested",
		60:  "export_restriction",
		70:  "protocol_version",
		71:  "insufficient_security",
		80:  "internal_error",
		86:  "inappropriate_fallback",
		90:  "user_canceled",
		100: "no_renegotiation",
		109: "missing_extension",
		110: "unsupported_extension",
		111: "certificate_unobtainable",
		112: "unrecognized_name",
		113: "bad_certificate_status_response",
		114: "bad_certificate_hash_value",
		115: "unknown_psk_identity",
		116: "certificate_required",
		117: "general_error",
		120: "no_application_protocol",
		121: "ech_required",
	}
})

// AlertDescriptionName names an alert description with its RFC spelling ("handshake_failure").
func AlertDescriptionName(d uint8) string {
	if n, ok := alertNames()[d]; ok {
		return n
	}
	return unknown8(d)
}

// Extension types used by the decoders.
const (
	ExtServerName              uint16 = 0
	ExtMaxFragmentLength       uint16 = 1
	ExtStatusRequest           uint16 = 5
	ExtSupportedGroups         uint16 = 10
	ExtECPointFormats          uint16 = 11
	ExtSignatureAlgorithms     uint16 = 13
	ExtALPN                    uint16 = 16
	ExtSCT                     uint16 = 18
	ExtHeartbeat               uint16 = 15
	ExtPadding                 uint16 = 21
	ExtEncryptThenMAC          uint16 = 22
	ExtExtendedMasterSecret    uint16 = 23
	ExtCompressCertificate     uint16 = 27
	ExtRecordSizeLimit         uint16 = 28
	ExtSessionTicket           uint16 = 35
	ExtPreSharedKey            uint16 = 41
	ExtEarlyData               uint16 = 42
	ExtSupportedVersions       uint16 = 43
	ExtCookie                  uint16 = 44
	ExtPSKKeyExchangeModes     uint16 = 45
	ExtCertificateAuthorities  uint16 = 47
	ExtOIDFilters              uint16 = 48
	ExtPostHandshakeAuth       uint16 = 49
	ExtSignatureAlgorithmsCert uint16 = 50
	ExtKeyShare                uint16 = 51
	ExtApplicationSettingsOld  uint16 = 17513
	ExtApplicationSettings     uint16 = 17613
	ExtEncryptedClientHello    uint16 = 0xfe0d
	ExtECHOuterExtensions      uint16 = 0xfd00
	ExtRenegotiationInfo       uint16 = 0xff01
	ExtNextProtocolNegotiation uint16 = 13172
	ExtChannelID               uint16 = 30032
	ExtQUICTransportParameters uint16 = 57
	ExtDelegatedCredential     uint16 = 34
)

var extensionNames = sync.OnceValue(func() map[uint16]string {
	return map[uint16]string{
		0:      "server_name",
		1:      "max_fragment_length",
		2:      "client_certificate_url",
		3:      "trusted_ca_keys",
		4:      "truncated_hmac",
		5:      "status_request",
		6:      "user_mapping",
		7:      "client_authz",
		8:      "server_authz",
		9:      "cert_type",
		10:     "supported_groups",
		11:     "ec_point_formats",
		12:     "srp",
		13:     "signature_algorithms",
		14:     "use_srtp",
		15:     "heartbeat",
		16:     "application_layer_protocol_negotiation",
		17:     "status_request_v2",
		18:     "signed_certificate_timestamp",
		19:     "client_certificate_type",
		20:     "server_certificate_type",
		21:     "padding",
		22:     "encrypt_then_mac",
		23:     "extended_master_secret",
		24:     "token_binding",
		25:     "cached_info",
		26:     "tls_lts",
		27:     "compress_certificate",
		28:     "record_size_limit",
		29:     "pwd_protect",
		30:     "pwd_clear",
		31:     "password_salt",
		32:     "ticket_pinning",
		33:     "tls_cert_with_extern_psk",
		34:     "delegated_credential",
		35:     "session_ticket",
		36:     "TLMSP",
		37:     "TLMSP_proxying",
		38:     "TLMSP_delegate",
		39:     "supported_ekt_ciphers",
		41:     "pre_shared_key",
		42:     "early_data",
		43:     "supported_versions",
		44:     "cookie",
		45:     "psk_key_exchange_modes",
		47:     "certificate_authorities",
		48:     "oid_filters",
		49:     "post_handshake_auth",
		50:     "signature_algorithms_cert",
		51:     "key_share",
		52:     "transparency_info",
		53:     "connection_id_deprecated",
		54:     "connection_id",
		55:     "external_id_hash",
		56:     "external_session_id",
		57:     "quic_transport_parameters",
		58:     "ticket_request",
		59:     "dnssec_chain",
		60:     "sequence_number_encryption_algorithms",
		61:     "rrc",
		62:     "tls_flags",
		13172:  "next_protocol_negotiation", // never IANA-registered; old Chrome and OpenSSL
		17513:  "application_settings_old",  // Chrome's first ALPS codepoint
		17613:  "application_settings",
		30031:  "channel_id_old",
		30032:  "channel_id",
		0xfd00: "ech_outer_extensions",
		0xfe0d: "encrypted_client_hello",
		0xff01: "renegotiation_info",
	}
})

// ExtensionName names a TLS extension with its IANA spelling ("server_name", "key_share").
// A few widely deployed unregistered codepoints (NPN, ALPS, Channel ID) are named too because
// real clients send them.
func ExtensionName(t uint16) string {
	if n, ok := extensionNames()[t]; ok {
		return n
	}
	if IsGREASE(t) {
		return "GREASE"
	}
	return unknown16(t)
}

// Named groups (IANA "TLS Supported Groups").
const (
	GroupSecp256r1             uint16 = 23
	GroupSecp384r1             uint16 = 24
	GroupSecp521r1             uint16 = 25
	GroupX25519                uint16 = 29
	GroupX448                  uint16 = 30
	GroupFFDHE2048             uint16 = 256
	GroupFFDHE3072             uint16 = 257
	GroupFFDHE4096             uint16 = 258
	GroupFFDHE6144             uint16 = 259
	GroupFFDHE8192             uint16 = 260
	GroupMLKEM512              uint16 = 512
	GroupMLKEM768              uint16 = 513
	GroupMLKEM1024             uint16 = 514
	GroupSecP256r1MLKEM768     uint16 = 0x11eb
	GroupX25519MLKEM768        uint16 = 0x11ec
	GroupSecP384r1MLKEM1024    uint16 = 0x11ed
	GroupX25519Kyber768Draft00 uint16 = 0x6399
)

// groupNames holds display names. The NIST curves print as "P-256" (the FIPS spelling users
// know from Go and browsers) rather than IANA's "secp256r1"; GroupByName accepts both.
var groupNames = sync.OnceValue(func() map[uint16]string {
	return map[uint16]string{
		1:      "sect163k1",
		2:      "sect163r1",
		3:      "sect163r2",
		4:      "sect193r1",
		5:      "sect193r2",
		6:      "sect233k1",
		7:      "sect233r1",
		8:      "sect239k1",
		9:      "sect283k1",
		10:     "sect283r1",
		11:     "sect409k1",
		12:     "sect409r1",
		13:     "sect571k1",
		14:     "sect571r1",
		15:     "secp160k1",
		16:     "secp160r1",
		17:     "secp160r2",
		18:     "secp192k1",
		19:     "secp192r1",
		20:     "secp224k1",
		21:     "secp224r1",
		22:     "secp256k1",
		23:     "P-256",
		24:     "P-384",
		25:     "P-521",
		26:     "brainpoolP256r1",
		27:     "brainpoolP384r1",
		28:     "brainpoolP512r1",
		29:     "x25519",
		30:     "x448",
		31:     "brainpoolP256r1tls13",
		32:     "brainpoolP384r1tls13",
		33:     "brainpoolP512r1tls13",
		34:     "GC256A",
		35:     "GC256B",
		36:     "GC256C",
		37:     "GC256D",
		38:     "GC512A",
		39:     "GC512B",
		40:     "GC512C",
		41:     "curveSM2",
		256:    "ffdhe2048",
		257:    "ffdhe3072",
		258:    "ffdhe4096",
		259:    "ffdhe6144",
		260:    "ffdhe8192",
		512:    "MLKEM512",
		513:    "MLKEM768",
		514:    "MLKEM1024",
		0x11eb: "SecP256r1MLKEM768",
		0x11ec: "X25519MLKEM768",
		0x11ed: "SecP384r1MLKEM1024",
		0x6399: "X25519Kyber768Draft00",
		0x639a: "SecP256r1Kyber768Draft00",
		0xff01: "arbitrary_explicit_prime_curves",
		0xff02: "arbitrary_explicit_char2_curves",
	}
})

// groupAliases are extra spellings users type: OpenSSL's ("prime256v1"), IANA's
// ("secp256r1"), and short ones ("p256"). Keys are normalised with normName.
var groupAliases = sync.OnceValue(func() map[string]uint16 {
	return map[string]uint16{
		"secp256r1":  23,
		"prime256v1": 23,
		"secp384r1":  24,
		"secp521r1":  25,
		"prime192v1": 19,
		"curve25519": 29,
		"curve448":   30,
		"sm2":        41,
	}
})

var groupByName = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, len(groupNames())+len(groupAliases()))
	for id, n := range groupNames() {
		m[normName(n)] = id
	}
	for n, id := range groupAliases() {
		m[normName(n)] = id
	}
	return m
})

// normName folds case and drops '-' and '_' so "P-256", "p256" and "P_256" are one key; no two
// names in the group table collide under this folding (a test checks).
func normName(s string) string {
	return nameFolder.Replace(strings.ToLower(strings.TrimSpace(s)))
}

var nameFolder = strings.NewReplacer("-", "", "_", "")

// GroupName names a named group: "x25519", "P-256", "X25519MLKEM768", "ffdhe2048", "GREASE"...
func GroupName(id uint16) string {
	if n, ok := groupNames()[id]; ok {
		return n
	}
	if IsGREASE(id) {
		return "GREASE"
	}
	return unknown16(id)
}

// GroupByName looks a group up by any common spelling, case-insensitively: display names
// ("P-256", "X25519MLKEM768"), IANA names ("secp256r1"), OpenSSL names ("prime256v1") and short
// forms ("p256", "p384", "p521").
func GroupByName(name string) (uint16, bool) {
	id, ok := groupByName()[normName(name)]
	return id, ok
}

// Signature schemes (RFC 8446 section 4.2.3 and the IANA registry).
const (
	SigRSAPKCS1SHA1      uint16 = 0x0201
	SigECDSASHA1         uint16 = 0x0203
	SigRSAPKCS1SHA256    uint16 = 0x0401
	SigECDSAP256SHA256   uint16 = 0x0403
	SigRSAPKCS1SHA384    uint16 = 0x0501
	SigECDSAP384SHA384   uint16 = 0x0503
	SigRSAPKCS1SHA512    uint16 = 0x0601
	SigECDSAP521SHA512   uint16 = 0x0603
	SigRSAPSSRSAESHA256  uint16 = 0x0804
	SigRSAPSSRSAESHA384  uint16 = 0x0805
	SigRSAPSSRSAESHA512  uint16 = 0x0806
	SigEd25519           uint16 = 0x0807
	SigEd448             uint16 = 0x0808
	SigRSAPSSPSSSHA256   uint16 = 0x0809
	SigRSAPSSPSSSHA384   uint16 = 0x080a
	SigRSAPSSPSSSHA512   uint16 = 0x080b
	SigMLDSA44           uint16 = 0x0904
	SigMLDSA65           uint16 = 0x0905
	SigMLDSA87           uint16 = 0x0906
	SigECDSABrainpool256 uint16 = 0x081a
	SigECDSABrainpool384 uint16 = 0x081b
	SigECDSABrainpool512 uint16 = 0x081c
)

var sigSchemeNames = sync.OnceValue(func() map[uint16]string {
	return map[uint16]string{
		0x0201: "rsa_pkcs1_sha1",
		0x0203: "ecdsa_sha1",
		0x0401: "rsa_pkcs1_sha256",
		0x0403: "ecdsa_secp256r1_sha256",
		0x0420: "rsa_pkcs1_sha256_legacy",
		0x0501: "rsa_pkcs1_sha384",
		0x0503: "ecdsa_secp384r1_sha384",
		0x0520: "rsa_pkcs1_sha384_legacy",
		0x0601: "rsa_pkcs1_sha512",
		0x0603: "ecdsa_secp521r1_sha512",
		0x0620: "rsa_pkcs1_sha512_legacy",
		0x0704: "eccsi_sha256",
		0x0705: "iso_ibs1",
		0x0706: "iso_ibs2",
		0x0707: "iso_chinese_ibs",
		0x0708: "sm2sig_sm3",
		0x0709: "gostr34102012_256a",
		0x070a: "gostr34102012_256b",
		0x070b: "gostr34102012_256c",
		0x070c: "gostr34102012_256d",
		0x070d: "gostr34102012_512a",
		0x070e: "gostr34102012_512b",
		0x070f: "gostr34102012_512c",
		0x0804: "rsa_pss_rsae_sha256",
		0x0805: "rsa_pss_rsae_sha384",
		0x0806: "rsa_pss_rsae_sha512",
		0x0807: "ed25519",
		0x0808: "ed448",
		0x0809: "rsa_pss_pss_sha256",
		0x080a: "rsa_pss_pss_sha384",
		0x080b: "rsa_pss_pss_sha512",
		0x081a: "ecdsa_brainpoolP256r1tls13_sha256",
		0x081b: "ecdsa_brainpoolP384r1tls13_sha384",
		0x081c: "ecdsa_brainpoolP512r1tls13_sha512",
		0x0904: "mldsa44",
		0x0905: "mldsa65",
		0x0906: "mldsa87",
	}
})

// legacyHash and legacySig name the two bytes of a TLS 1.2 SignatureAndHashAlgorithm pair
// (RFC 5246 section 7.4.1.4.1) for pairs RFC 8446 did not give a scheme name.
var (
	legacyHash = map[uint16]string{1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512"}
	legacySig  = map[uint16]string{1: "rsa_pkcs1", 2: "dsa", 3: "ecdsa"}
)

// SignatureSchemeName names a signature scheme: "rsa_pss_rsae_sha256", "ed25519", "mldsa65",
// TLS 1.2 hash/signature pairs such as "dsa_sha256" or "rsa_pkcs1_md5", and "GREASE".
func SignatureSchemeName(s uint16) string {
	if n, ok := sigSchemeNames()[s]; ok {
		return n
	}
	if IsGREASE(s) {
		return "GREASE"
	}
	if h, ok := legacyHash[s>>8]; ok {
		if sig, ok := legacySig[s&0xff]; ok {
			return sig + "_" + h
		}
	}
	return unknown16(s)
}

var sigSchemeByName = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, 64)
	for id, n := range sigSchemeNames() {
		m[strings.ToLower(n)] = id
	}
	for h, hn := range legacyHash {
		for s, sn := range legacySig {
			id := h<<8 | s
			if _, named := sigSchemeNames()[id]; !named {
				m[sn+"_"+hn] = id
			}
		}
	}
	return m
})

// SignatureSchemeByName looks a scheme up by the name SignatureSchemeName gives it,
// case-insensitively.
func SignatureSchemeByName(name string) (uint16, bool) {
	id, ok := sigSchemeByName()[strings.ToLower(strings.TrimSpace(name))]
	return id, ok
}

// CompressionMethodName names a record compression method (only null survives in practice;
// DEFLATE is what CRIME exploited, so seeing it offered matters).
func CompressionMethodName(m uint8) string {
	switch m {
	case 0:
		return "null"
	case 1:
		return "DEFLATE"
	case 64:
		return "LZS"
	}
	return unknown8(m)
}

// CertificateCompressionName names an RFC 8879 certificate compression algorithm.
func CertificateCompressionName(a uint16) string {
	switch a {
	case 1:
		return "zlib"
	case 2:
		return "brotli"
	case 3:
		return "zstd"
	}
	if IsGREASE(a) {
		return "GREASE"
	}
	return unknown16(a)
}

// PSKKeyExchangeModeName names a psk_key_exchange_modes value.
func PSKKeyExchangeModeName(m uint8) string {
	switch m {
	case 0:
		return "psk_ke"
	case 1:
		return "psk_dhe_ke"
	}
	return unknown8(m)
}

// ECPointFormatName names an ec_point_formats value.
func ECPointFormatName(f uint8) string {
	switch f {
	case 0:
		return "uncompressed"
	case 1:
		return "ansiX962_compressed_prime"
	case 2:
		return "ansiX962_compressed_char2"
	}
	return unknown8(f)
}

// ClientCertificateTypeName names a TLS 1.2 CertificateRequest certificate_types value.
func ClientCertificateTypeName(t uint8) string {
	switch t {
	case 1:
		return "rsa_sign"
	case 2:
		return "dss_sign"
	case 3:
		return "rsa_fixed_dh"
	case 4:
		return "dss_fixed_dh"
	case 5:
		return "rsa_ephemeral_dh"
	case 6:
		return "dss_ephemeral_dh"
	case 20:
		return "fortezza_dms"
	case 64:
		return "ecdsa_sign"
	case 65:
		return "rsa_fixed_ecdh"
	case 66:
		return "ecdsa_fixed_ecdh"
	case 67:
		return "gost_sign256"
	case 68:
		return "gost_sign512"
	}
	return unknown8(t)
}
