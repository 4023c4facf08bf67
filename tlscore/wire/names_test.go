package wire

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

func TestIsGREASE(t *testing.T) {
	for i := 0; i < 16; i++ {
		v := uint16(i<<12 | 0x0a00 | i<<4 | 0x0a)
		if !IsGREASE(v) {
			t.Errorf("IsGREASE(0x%04x) = false", v)
		}
	}
	for _, v := range []uint16{0, 0x0a0b, 0x1a0a, 0x0303, 0xfafb, 0xabab, 0x0a1a} {
		if IsGREASE(v) {
			t.Errorf("IsGREASE(0x%04x) = true", v)
		}
	}
}

func TestVersionName(t *testing.T) {
	tests := []struct {
		v    uint16
		want string
	}{
		{0x0300, "SSL 3.0"},
		{0x0301, "TLS 1.0"},
		{0x0302, "TLS 1.1"},
		{0x0303, "TLS 1.2"},
		{0x0304, "TLS 1.3"},
		{0x2a2a, "GREASE"},
		{0x7f1c, "TLS 1.3 (draft 28)"},
		{0xfefd, "DTLS 1.2"},
		{0x1234, "unknown (0x1234)"},
		{0x0305, "unknown (0x0305)"},
	}
	for _, tt := range tests {
		if got := VersionName(tt.v); got != tt.want {
			t.Errorf("VersionName(0x%04x) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestHRRRandom(t *testing.T) {
	sum := sha256.Sum256([]byte("HelloRetryRequest"))
	if string(sum[:]) != HRRRandom {
		t.Fatalf("HRRRandom = %x, want %x", HRRRandom, sum)
	}
}

func TestHandshakeTypeName(t *testing.T) {
	tests := []struct {
		t    uint8
		want string
	}{
		{1, "ClientHello"},
		{2, "ServerHello"},
		{4, "NewSessionTicket"},
		{5, "EndOfEarlyData"},
		{8, "EncryptedExtensions"},
		{11, "Certificate"},
		{12, "ServerKeyExchange"},
		{13, "CertificateRequest"},
		{14, "ServerHelloDone"},
		{15, "CertificateVerify"},
		{16, "ClientKeyExchange"},
		{20, "Finished"},
		{22, "CertificateStatus"},
		{24, "KeyUpdate"},
		{25, "CompressedCertificate"},
		{254, "MessageHash"},
		{99, "unknown (0x63)"},
	}
	for _, tt := range tests {
		if got := HandshakeTypeName(tt.t); got != tt.want {
			t.Errorf("HandshakeTypeName(%d) = %q, want %q", tt.t, got, tt.want)
		}
	}
	if ContentTypeName(ContentChangeCipherSpec) != NameChangeCipherSpec || ContentTypeName(ContentAlert) != NameAlert {
		t.Errorf("record type names differ from the timeline names")
	}
	hrr := Message{Type: TypeServerHello, Body: append([]byte{3, 3}, HRRRandom...)}
	if hrr.Name() != "HelloRetryRequest" {
		t.Errorf("HRR message named %q", hrr.Name())
	}
	sh := Message{Type: TypeServerHello, Body: make([]byte, 40)}
	if sh.Name() != "ServerHello" {
		t.Errorf("ServerHello named %q", sh.Name())
	}
}

func TestAlertNames(t *testing.T) {
	tests := []struct {
		d    uint8
		want string
	}{
		{0, "close_notify"},
		{10, "unexpected_message"},
		{20, "bad_record_mac"},
		{40, "handshake_failure"},
		{42, "bad_certificate"},
		{48, "unknown_ca"},
		{70, "protocol_version"},
		{86, "inappropriate_fallback"},
		{112, "unrecognized_name"},
		{116, "certificate_required"},
		{120, "no_application_protocol"},
		{121, "ech_required"},
		{200, "unknown (0xc8)"},
	}
	for _, tt := range tests {
		if got := AlertDescriptionName(tt.d); got != tt.want {
			t.Errorf("AlertDescriptionName(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if AlertLevelName(1) != "warning" || AlertLevelName(2) != "fatal" || AlertLevelName(3) != "unknown (0x03)" {
		t.Errorf("AlertLevelName wrong")
	}
}

func TestExtensionName(t *testing.T) {
	tests := []struct {
		e    uint16
		want string
	}{
		{0, "server_name"},
		{10, "supported_groups"},
		{16, "application_layer_protocol_negotiation"},
		{23, "extended_master_secret"},
		{27, "compress_certificate"},
		{35, "session_ticket"},
		{41, "pre_shared_key"},
		{43, "supported_versions"},
		{51, "key_share"},
		{57, "quic_transport_parameters"},
		{17513, "application_settings_old"},
		{0x44cd, "application_settings"},
		{0xfe0d, "encrypted_client_hello"},
		{65281, "renegotiation_info"},
		{0xdada, "GREASE"},
		{40, "unknown (0x0028)"},
		{0x1234, "unknown (0x1234)"},
	}
	for _, tt := range tests {
		if got := ExtensionName(tt.e); got != tt.want {
			t.Errorf("ExtensionName(%d) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestGroupNames(t *testing.T) {
	tests := []struct {
		id   uint16
		want string
	}{
		{23, "P-256"},
		{24, "P-384"},
		{25, "P-521"},
		{29, "x25519"},
		{30, "x448"},
		{256, "ffdhe2048"},
		{260, "ffdhe8192"},
		{0x11ec, "X25519MLKEM768"},
		{0x11eb, "SecP256r1MLKEM768"},
		{0x11ed, "SecP384r1MLKEM1024"},
		{0x6399, "X25519Kyber768Draft00"},
		{31, "brainpoolP256r1tls13"},
		{1, "sect163k1"},
		{22, "secp256k1"},
		{0x3a3a, "GREASE"},
		{0x0999, "unknown (0x0999)"},
	}
	for _, tt := range tests {
		if got := GroupName(tt.id); got != tt.want {
			t.Errorf("GroupName(%d) = %q, want %q", tt.id, got, tt.want)
		}
	}
	lookups := []struct {
		name string
		want uint16
		ok   bool
	}{
		{"x25519mlkem768", 0x11ec, true},
		{"X25519MLKEM768", 0x11ec, true},
		{"x25519", 29, true},
		{"X25519", 29, true},
		{"p256", 23, true},
		{"P-256", 23, true},
		{"secp256r1", 23, true},
		{"prime256v1", 23, true},
		{"p384", 24, true},
		{"secp384r1", 24, true},
		{"P-521", 25, true},
		{"p521", 25, true},
		{"x448", 30, true},
		{"ffdhe2048", 256, true},
		{"FFDHE4096", 258, true},
		{"secp256r1mlkem768", 0x11eb, true},
		{"secp384r1mlkem1024", 0x11ed, true},
		{"mlkem768", 513, true},
		{"brainpoolP256r1tls13", 31, true},
		{" p-384 ", 24, true},
		{"p257", 0, false},
		{"", 0, false},
	}
	for _, tt := range lookups {
		got, ok := GroupByName(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GroupByName(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	// normName must not merge two table entries into one key.
	seen := map[string]uint16{}
	for id, n := range groupNames() {
		if prev, dup := seen[normName(n)]; dup {
			t.Errorf("groups %d and %d collide as %q", prev, id, normName(n))
		}
		seen[normName(n)] = id
	}
	for id, n := range groupNames() {
		if got, ok := GroupByName(n); !ok || got != id {
			t.Errorf("GroupByName(GroupName(%d)=%q) = %d, %v", id, n, got, ok)
		}
	}
}

func TestSignatureSchemeName(t *testing.T) {
	tests := []struct {
		s    uint16
		want string
	}{
		{0x0401, "rsa_pkcs1_sha256"},
		{0x0403, "ecdsa_secp256r1_sha256"},
		{0x0804, "rsa_pss_rsae_sha256"},
		{0x0809, "rsa_pss_pss_sha256"},
		{0x0807, "ed25519"},
		{0x0904, "mldsa44"},
		{0x0905, "mldsa65"},
		{0x0906, "mldsa87"},
		{0x0201, "rsa_pkcs1_sha1"},
		{0x0203, "ecdsa_sha1"},
		{0x0202, "dsa_sha1"},
		{0x0101, "rsa_pkcs1_md5"},
		{0x0402, "dsa_sha256"},
		{0x4a4a, "GREASE"},
		{0x0b0b, "unknown (0x0b0b)"},
	}
	for _, tt := range tests {
		if got := SignatureSchemeName(tt.s); got != tt.want {
			t.Errorf("SignatureSchemeName(0x%04x) = %q, want %q", tt.s, got, tt.want)
		}
		if tt.want == "GREASE" || strings.HasPrefix(tt.want, "unknown") {
			continue
		}
		if got, ok := SignatureSchemeByName(strings.ToUpper(tt.want)); !ok || got != tt.s {
			t.Errorf("SignatureSchemeByName(%q) = 0x%04x, %v", tt.want, got, ok)
		}
	}
}

func TestCipherSuiteTable(t *testing.T) {
	ids := map[uint16]bool{}
	names := map[string]uint16{}
	for _, cs := range CipherSuites() {
		if ids[cs.ID] {
			t.Errorf("duplicate id 0x%04x", cs.ID)
		}
		ids[cs.ID] = true
		for _, n := range []string{cs.Name, cs.OpenSSLName} {
			if n == "" {
				continue
			}
			if prev, dup := names[strings.ToUpper(n)]; dup && prev != cs.ID {
				t.Errorf("name %q used by 0x%04x and 0x%04x", n, prev, cs.ID)
			}
			names[strings.ToUpper(n)] = cs.ID
		}
		if cs.SCSV {
			continue
		}
		if cs.KeyExchange == "UNKNOWN" || cs.KeyExchange == "" || cs.Cipher == "" || cs.Auth == "" {
			t.Errorf("%v: grammar did not describe it: %+v", cs, cs)
		}
		if cs.AEAD != (cs.MAC == "AEAD") {
			t.Errorf("%v: AEAD %v but MAC %q", cs, cs.AEAD, cs.MAC)
		}
		if cs.TLS13 && cs.OpenSSLName != "" && cs.OpenSSLName != cs.Name {
			t.Errorf("%v: TLS 1.3 OpenSSL name %q differs from IANA", cs, cs.OpenSSLName)
		}
	}
	suites := CipherSuites()
	for i := 1; i < len(suites); i++ {
		if suites[i-1].ID >= suites[i].ID {
			t.Errorf("table not in ID order at 0x%04x", suites[i].ID)
		}
	}

	want := []CipherSuite{
		{ID: 0xC02B, Name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", OpenSSLName: "ECDHE-ECDSA-AES128-GCM-SHA256",
			KeyExchange: "ECDHE", Auth: "ECDSA", Cipher: "AES-128-GCM", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true},
		{ID: 0x009E, Name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", OpenSSLName: "DHE-RSA-AES128-GCM-SHA256",
			KeyExchange: "DHE", Auth: "RSA", Cipher: "AES-128-GCM", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true},
		{ID: 0x000A, Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", OpenSSLName: "DES-CBC3-SHA",
			KeyExchange: "RSA", Auth: "RSA", Cipher: "3DES-EDE-CBC", Bits: 112, MAC: "SHA1"},
		{ID: 0x1301, Name: "TLS_AES_128_GCM_SHA256", OpenSSLName: "TLS_AES_128_GCM_SHA256",
			KeyExchange: "TLS13", Auth: "TLS13", Cipher: "AES-128-GCM", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true, TLS13: true},
		{ID: 0x1305, Name: "TLS_AES_128_CCM_8_SHA256", OpenSSLName: "TLS_AES_128_CCM_8_SHA256",
			KeyExchange: "TLS13", Auth: "TLS13", Cipher: "AES-128-CCM8", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true, TLS13: true},
		{ID: 0xCCA8, Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", OpenSSLName: "ECDHE-RSA-CHACHA20-POLY1305",
			KeyExchange: "ECDHE", Auth: "RSA", Cipher: "CHACHA20-POLY1305", Bits: 256, MAC: "AEAD", AEAD: true, ForwardSecret: true},
		{ID: 0x0005, Name: "TLS_RSA_WITH_RC4_128_SHA", OpenSSLName: "RC4-SHA",
			KeyExchange: "RSA", Auth: "RSA", Cipher: "RC4-128", Bits: 128, MAC: "SHA1"},
		{ID: 0x0003, Name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", OpenSSLName: "EXP-RC4-MD5",
			KeyExchange: "RSA", Auth: "RSA", Cipher: "RC4-40", Bits: 40, MAC: "MD5", Export: true},
		{ID: 0x0014, Name: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", OpenSSLName: "EXP-EDH-RSA-DES-CBC-SHA",
			KeyExchange: "DHE", Auth: "RSA", Cipher: "DES40-CBC", Bits: 40, MAC: "SHA1", ForwardSecret: true, Export: true},
		{ID: 0x00A6, Name: "TLS_DH_anon_WITH_AES_128_GCM_SHA256", OpenSSLName: "ADH-AES128-GCM-SHA256",
			KeyExchange: "DHE", Auth: "ANON", Cipher: "AES-128-GCM", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true, Anonymous: true},
		{ID: 0xC018, Name: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", OpenSSLName: "AECDH-AES128-SHA",
			KeyExchange: "ECDHE", Auth: "ANON", Cipher: "AES-128-CBC", Bits: 128, MAC: "SHA1", ForwardSecret: true, Anonymous: true},
		{ID: 0xC0AA, Name: "TLS_PSK_DHE_WITH_AES_128_CCM_8", OpenSSLName: "DHE-PSK-AES128-CCM8",
			KeyExchange: "DHE-PSK", Auth: "PSK", Cipher: "AES-128-CCM8", Bits: 128, MAC: "AEAD", AEAD: true, ForwardSecret: true},
		{ID: 0x00AC, Name: "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", OpenSSLName: "RSA-PSK-AES128-GCM-SHA256",
			KeyExchange: "RSA-PSK", Auth: "RSA", Cipher: "AES-128-GCM", Bits: 128, MAC: "AEAD", AEAD: true},
		{ID: 0x0002, Name: "TLS_RSA_WITH_NULL_SHA", OpenSSLName: "NULL-SHA",
			KeyExchange: "RSA", Auth: "RSA", Cipher: "NULL", Bits: 0, MAC: "SHA1"},
		{ID: 0x0096, Name: "TLS_RSA_WITH_SEED_CBC_SHA", OpenSSLName: "SEED-SHA",
			KeyExchange: "RSA", Auth: "RSA", Cipher: "SEED-CBC", Bits: 128, MAC: "SHA1"},
		{ID: 0xC061, Name: "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", OpenSSLName: "ECDHE-ARIA256-GCM-SHA384",
			KeyExchange: "ECDHE", Auth: "RSA", Cipher: "ARIA-256-GCM", Bits: 256, MAC: "AEAD", AEAD: true, ForwardSecret: true},
		{ID: 0x0088, Name: "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", OpenSSLName: "DHE-RSA-CAMELLIA256-SHA",
			KeyExchange: "DHE", Auth: "RSA", Cipher: "CAMELLIA-256-CBC", Bits: 256, MAC: "SHA1", ForwardSecret: true},
		{ID: 0xC021, Name: "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", OpenSSLName: "SRP-RSA-AES-256-CBC-SHA",
			KeyExchange: "SRP", Auth: "RSA", Cipher: "AES-256-CBC", Bits: 256, MAC: "SHA1"},
		{ID: 0xC0B4, Name: "TLS_SHA256_SHA256",
			KeyExchange: "TLS13", Auth: "TLS13", Cipher: "NULL", MAC: "SHA256", ForwardSecret: true, TLS13: true},
		{ID: 0xC103, Name: "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L",
			KeyExchange: "TLS13", Auth: "TLS13", Cipher: "KUZNYECHIK-MGM-L", Bits: 256, MAC: "AEAD", AEAD: true, ForwardSecret: true, TLS13: true},
		{ID: 0x00FF, Name: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", SCSV: true},
		{ID: 0x5600, Name: "TLS_FALLBACK_SCSV", SCSV: true},
	}
	for _, w := range want {
		got, ok := CipherSuiteByID(w.ID)
		if !ok || got != w {
			t.Errorf("CipherSuiteByID(0x%04x) =\n %+v, %v\nwant\n %+v", w.ID, got, ok, w)
		}
		if n := CipherSuiteName(w.ID); n != w.Name {
			t.Errorf("CipherSuiteName(0x%04x) = %q", w.ID, n)
		}
	}

	byName := []struct {
		name string
		want uint16
	}{
		{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02B},
		{"ecdhe-ecdsa-aes128-gcm-sha256", 0xC02B},
		{"tls_aes_128_gcm_sha256", 0x1301},
		{"TLS13-AES-128-GCM-SHA256", 0x1301},
		{"DES-CBC3-SHA", 0x000A},
		{"EDH-RSA-DES-CBC3-SHA", 0x0016},
		{"DHE-RSA-DES-CBC3-SHA", 0x0016},
		{"TLS_FALLBACK_SCSV", 0x5600},
		{" AES128-SHA ", 0x002F},
	}
	for _, tt := range byName {
		got, ok := CipherSuiteByName(tt.name)
		if !ok || got.ID != tt.want {
			t.Errorf("CipherSuiteByName(%q) = 0x%04x, %v; want 0x%04x", tt.name, got.ID, ok, tt.want)
		}
	}
	if _, ok := CipherSuiteByName("NOT-A-SUITE"); ok {
		t.Errorf("CipherSuiteByName accepted nonsense")
	}
	if g, ok := CipherSuiteByID(0x7a7a); !ok || g.Name != "GREASE" {
		t.Errorf("GREASE suite = %+v, %v", g, ok)
	}
	if n := CipherSuiteName(0x1399); n != "unknown (0x1399)" {
		t.Errorf("CipherSuiteName(unknown) = %q", n)
	}
}

// TestCipherSuitesMatchOpenSSL checks every suite the local OpenSSL can name against the
// table, so the OpenSSL names are verified by OpenSSL itself rather than by memory.
func TestCipherSuitesMatchOpenSSL(t *testing.T) {
	path := peertest.Need(t, "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0").Output()
	if err != nil {
		t.Skipf("openssl ciphers failed: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[1] != "-" {
			t.Errorf("unexpected openssl line %q", sc.Text())
			continue
		}
		hi, lo, ok := strings.Cut(f[0], ",")
		h, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 8)
		l, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 8)
		if !ok || err1 != nil || err2 != nil {
			t.Errorf("bad id in openssl line %q", sc.Text())
			continue
		}
		id := uint16(h)<<8 | uint16(l)
		cs, found := CipherSuiteByID(id)
		if !found {
			t.Errorf("openssl suite 0x%04x %s missing from table", id, f[2])
			continue
		}
		if cs.OpenSSLName != f[2] {
			t.Errorf("0x%04x: table OpenSSL name %q, openssl says %q", id, cs.OpenSSLName, f[2])
		}
		n++
	}
	if n == 0 {
		t.Fatalf("openssl listed no suites")
	}
	t.Logf("checked %d suites against %s", n, path)
}

func TestMinorNames(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{ContentTypeName(20), "ChangeCipherSpec"},
		{ContentTypeName(22), "Handshake"},
		{ContentTypeName(23), "ApplicationData"},
		{ContentTypeName(24), "Heartbeat"},
		{ContentTypeName(25), "tls12_cid"},
		{ContentTypeName(26), "ACK"},
		{ContentTypeName(99), "unknown (0x63)"},
		{CompressionMethodName(0), "null"},
		{CompressionMethodName(1), "DEFLATE"},
		{CompressionMethodName(64), "LZS"},
		{CompressionMethodName(2), "unknown (0x02)"},
		{CertificateCompressionName(1), "zlib"},
		{CertificateCompressionName(2), "brotli"},
		{CertificateCompressionName(3), "zstd"},
		{CertificateCompressionName(0x0a0a), "GREASE"},
		{CertificateCompressionName(9), "unknown (0x0009)"},
		{PSKKeyExchangeModeName(0), "psk_ke"},
		{PSKKeyExchangeModeName(1), "psk_dhe_ke"},
		{PSKKeyExchangeModeName(2), "unknown (0x02)"},
		{ECPointFormatName(0), "uncompressed"},
		{ECPointFormatName(1), "ansiX962_compressed_prime"},
		{ECPointFormatName(2), "ansiX962_compressed_char2"},
		{ECPointFormatName(3), "unknown (0x03)"},
		{ClientCertificateTypeName(1), "rsa_sign"},
		{ClientCertificateTypeName(64), "ecdsa_sign"},
		{ClientCertificateTypeName(2), "dss_sign"},
		{ClientCertificateTypeName(200), "unknown (0xc8)"},
		{mustSuite(t, 0xc02f).String(), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)"},
		{(&RecordTooLargeError{Offset: 5, Type: 22, Length: 20000, Limit: MaxRecordLength}).Error(),
			"record at offset 5 (Handshake) claims 20000 bytes, over the 18432-byte limit"},
		{(&UnknownContentTypeError{Offset: 9, Type: 99}).Error(), "record at offset 9 has unknown content type 99"},
		{(&BadRecordVersionError{Offset: 0, Version: 0x4854}).Error(), "record at offset 0 has version 0x4854, not a TLS version"},
		{(&NotTLSError{Guess: "unknown", Prefix: []byte{0, 1}}).Error(), `peer did not speak TLS (first bytes "\x00\x01")`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func mustSuite(t *testing.T, id uint16) CipherSuite {
	t.Helper()
	cs, ok := CipherSuiteByID(id)
	if !ok {
		t.Fatalf("no suite 0x%04x", id)
	}
	return cs
}
