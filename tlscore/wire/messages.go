package wire

import (
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// ClientHello is a decoded ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2).
// The raw extension list keeps every extension in order; the fields after it decode the ones
// tlskit reports, each zero when its extension is absent.
type ClientHello struct {
	LegacyVersion      uint16      `json:"legacy_version"`
	LegacyVersionName  string      `json:"legacy_version_name"`
	Random             HexBytes    `json:"random"`
	SessionID          HexBytes    `json:"session_id"`
	SessionIDLength    int         `json:"session_id_length"`
	CipherSuites       []uint16    `json:"cipher_suites"`
	CompressionMethods Uint8List   `json:"compression_methods"`
	Extensions         []Extension `json:"extensions"`

	ServerName              string     `json:"server_name,omitempty"`
	SupportedVersions       []uint16   `json:"supported_versions,omitempty"`
	SupportedGroups         []uint16   `json:"supported_groups,omitempty"`
	KeyShares               []KeyShare `json:"key_shares,omitempty"`
	SignatureAlgorithms     []uint16   `json:"signature_algorithms,omitempty"`
	SignatureAlgorithmsCert []uint16   `json:"signature_algorithms_cert,omitempty"`
	ALPN                    []string   `json:"alpn,omitempty"`
	PSKKeyExchangeModes     Uint8List  `json:"psk_key_exchange_modes,omitempty"`
	ECPointFormats          Uint8List  `json:"ec_point_formats,omitempty"`
	EarlyData               bool       `json:"early_data"`
	SessionTicket           bool       `json:"session_ticket"`
	// SessionTicketLength is the size of the ticket offered for resumption (0 asks for one).
	SessionTicketLength  int  `json:"session_ticket_length,omitempty"`
	StatusRequest        bool `json:"status_request"`
	RenegotiationInfo    bool `json:"renegotiation_info"`
	ExtendedMasterSecret bool `json:"extended_master_secret"`
	EncryptThenMAC       bool `json:"encrypt_then_mac"`
	PostHandshakeAuth    bool `json:"post_handshake_auth"`
	// RecordSizeLimit is nil when the extension is absent.
	RecordSizeLimit     *uint16  `json:"record_size_limit,omitempty"`
	CompressCertificate []uint16 `json:"compress_certificate,omitempty"`
	// EncryptedClientHello reports an encrypted_client_hello extension (real or GREASE ECH;
	// the two are indistinguishable by design).
	EncryptedClientHello bool `json:"encrypted_client_hello"`
	// ECH is that extension decoded (nil when absent).
	ECH *ECHClientHello `json:"ech,omitempty"`
	// PSKIdentities counts pre_shared_key identities offered for resumption.
	PSKIdentities       int      `json:"psk_identities,omitempty"`
	CookieLength        int      `json:"cookie_length,omitempty"`
	PaddingLength       int      `json:"padding_length,omitempty"`
	ApplicationSettings []string `json:"application_settings,omitempty"`
}

const msgClientHello = "ClientHello"

// readHelloPrefix reads legacy_version, random and legacy_session_id, shared by both hellos.
func readHelloPrefix(s *cryptobyte.String, msg string) (vers uint16, random, sid []byte, err error) {
	if !s.ReadUint16(&vers) {
		return 0, nil, nil, malformed(msg, "truncated before legacy_version")
	}
	if !s.ReadBytes(&random, 32) {
		return 0, nil, nil, malformed(msg, "truncated random")
	}
	var sidS cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&sidS) {
		return 0, nil, nil, malformed(msg, "session_id length exceeds message")
	}
	if len(sidS) > 32 {
		return 0, nil, nil, malformed(msg, "session_id is %d bytes, more than 32", len(sidS))
	}
	return vers, random, sidS, nil
}

// ParseClientHello decodes a ClientHello body (without the 4-byte handshake header).
func ParseClientHello(body []byte) (*ClientHello, error) {
	s := cryptobyte.String(body)
	vers, random, sid, err := readHelloPrefix(&s, msgClientHello)
	if err != nil {
		return nil, err
	}
	ch := &ClientHello{
		LegacyVersion:     vers,
		LegacyVersionName: VersionName(vers),
		Random:            random,
		SessionID:         sid,
		SessionIDLength:   len(sid),
	}
	var suites cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&suites) {
		return nil, malformed(msgClientHello, "cipher_suites length exceeds message")
	}
	if len(suites) == 0 || len(suites)%2 != 0 {
		return nil, malformed(msgClientHello, "cipher_suites length %d is not a positive even number", len(suites))
	}
	ch.CipherSuites = make([]uint16, 0, len(suites)/2)
	for !suites.Empty() {
		var cs uint16
		suites.ReadUint16(&cs)
		ch.CipherSuites = append(ch.CipherSuites, cs)
	}
	var comp cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&comp) || comp.Empty() {
		return nil, malformed(msgClientHello, "compression_methods missing or empty")
	}
	ch.CompressionMethods = Uint8List(comp)
	// Hellos from before extensions existed (SSL 3.0 era) simply end here.
	if s.Empty() {
		ch.Extensions = []Extension{}
		return ch, nil
	}
	if ch.Extensions, err = readExtensions(&s, msgClientHello); err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, malformed(msgClientHello, "%d trailing bytes after extensions", len(s))
	}
	for _, e := range ch.Extensions {
		if err := ch.decodeExtension(e); err != nil {
			return nil, wrapExtErr(msgClientHello, e.Type, err)
		}
	}
	return ch, nil
}

func (ch *ClientHello) decodeExtension(e Extension) error {
	var err error
	switch e.Type {
	case ExtServerName:
		ch.ServerName, err = serverNameList(e.Data)
	case ExtSupportedVersions:
		ch.SupportedVersions, err = uint16ListExt(e.Data, 1, "versions")
	case ExtSupportedGroups:
		ch.SupportedGroups, err = uint16ListExt(e.Data, 2, "named_group_list")
	case ExtKeyShare:
		ch.KeyShares, err = clientKeyShares(e.Data)
	case ExtSignatureAlgorithms:
		ch.SignatureAlgorithms, err = uint16ListExt(e.Data, 2, "supported_signature_algorithms")
	case ExtSignatureAlgorithmsCert:
		ch.SignatureAlgorithmsCert, err = uint16ListExt(e.Data, 2, "supported_signature_algorithms")
	case ExtALPN:
		ch.ALPN, err = alpnList(e.Data)
	case ExtApplicationSettings, ExtApplicationSettingsOld:
		ch.ApplicationSettings, err = alpnList(e.Data)
	case ExtPSKKeyExchangeModes:
		ch.PSKKeyExchangeModes, err = uint8ListExt(e.Data, "ke_modes")
	case ExtECPointFormats:
		ch.ECPointFormats, err = uint8ListExt(e.Data, "ec_point_format_list")
	case ExtEarlyData:
		ch.EarlyData = true
		err = requireEmpty(e.Data)
	case ExtSessionTicket:
		ch.SessionTicket, ch.SessionTicketLength = true, len(e.Data)
	case ExtStatusRequest:
		ch.StatusRequest = true
		if len(e.Data) == 0 {
			err = extErr("empty")
		}
	case ExtRenegotiationInfo:
		ch.RenegotiationInfo = true
		s := cryptobyte.String(e.Data)
		var rc cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&rc) {
			return extErr("renegotiated_connection length exceeds data")
		}
		err = done(s)
	case ExtExtendedMasterSecret:
		ch.ExtendedMasterSecret = true
		err = requireEmpty(e.Data)
	case ExtEncryptThenMAC:
		ch.EncryptThenMAC = true
		err = requireEmpty(e.Data)
	case ExtPostHandshakeAuth:
		ch.PostHandshakeAuth = true
		err = requireEmpty(e.Data)
	case ExtRecordSizeLimit:
		ch.RecordSizeLimit, err = recordSizeLimitExt(e.Data)
	case ExtCompressCertificate:
		ch.CompressCertificate, err = uint16ListExt(e.Data, 1, "algorithms")
	case ExtEncryptedClientHello:
		ch.EncryptedClientHello = true
		ch.ECH, err = ParseECHClientHello(e.Data)
	case ExtPreSharedKey:
		ch.PSKIdentities, err = pskIdentities(e.Data)
	case ExtCookie:
		s := cryptobyte.String(e.Data)
		var c cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&c) || c.Empty() {
			return extErr("cookie missing or empty")
		}
		ch.CookieLength = len(c)
		err = done(s)
	case ExtPadding:
		ch.PaddingLength = len(e.Data)
	}
	return err
}

// pskIdentities decodes OfferedPsks (RFC 8446 section 4.2.11) far enough to count identities
// and check that every identity has a binder.
func pskIdentities(data []byte) (int, error) {
	s := cryptobyte.String(data)
	var ids, binders cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ids) || !s.ReadUint16LengthPrefixed(&binders) {
		return 0, extErr("truncated identities or binders")
	}
	if err := done(s); err != nil {
		return 0, err
	}
	n := 0
	for !ids.Empty() {
		var id cryptobyte.String
		var age uint32
		if !ids.ReadUint16LengthPrefixed(&id) || id.Empty() || !ids.ReadUint32(&age) {
			return 0, extErr("truncated or empty identity")
		}
		n++
	}
	nb := 0
	for !binders.Empty() {
		var b cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&b) || len(b) < 32 {
			return 0, extErr("truncated or short binder")
		}
		nb++
	}
	if n == 0 || n != nb {
		return 0, extErr("%d identities but %d binders", n, nb)
	}
	return n, nil
}

// ServerHello is a decoded ServerHello or HelloRetryRequest.
type ServerHello struct {
	LegacyVersion     uint16      `json:"legacy_version"`
	LegacyVersionName string      `json:"legacy_version_name"`
	Random            HexBytes    `json:"random"`
	SessionID         HexBytes    `json:"session_id"`
	SessionIDLength   int         `json:"session_id_length"`
	CipherSuite       uint16      `json:"cipher_suite"`
	CipherSuiteName   string      `json:"cipher_suite_name"`
	CompressionMethod uint8       `json:"compression_method"`
	Extensions        []Extension `json:"extensions"`

	IsHelloRetryRequest bool `json:"hello_retry_request"`
	// SelectedVersion is the supported_versions value (TLS 1.3 and later); 0 when absent.
	SelectedVersion uint16 `json:"selected_version,omitempty"`
	// KeyShare is the server's share in a ServerHello; nil in a HelloRetryRequest.
	KeyShare *KeyShare `json:"key_share,omitempty"`
	// SelectedGroup is the group a HelloRetryRequest asks the client to retry with.
	SelectedGroup     uint16 `json:"selected_group,omitempty"`
	SelectedGroupName string `json:"selected_group_name,omitempty"`
	CookieLength      int    `json:"cookie_length,omitempty"`
	// PreSharedKey is the selected_identity when the server accepted a PSK.
	PreSharedKey *uint16 `json:"pre_shared_key,omitempty"`
	// ALPN is the protocol a TLS 1.2 server selected (TLS 1.3 sends it in
	// EncryptedExtensions).
	ALPN                 string    `json:"alpn,omitempty"`
	ServerNameAck        bool      `json:"server_name_ack"`
	SessionTicket        bool      `json:"session_ticket"`
	StatusRequest        bool      `json:"status_request"`
	RenegotiationInfo    bool      `json:"renegotiation_info"`
	ExtendedMasterSecret bool      `json:"extended_master_secret"`
	EncryptThenMAC       bool      `json:"encrypt_then_mac"`
	ECPointFormats       Uint8List `json:"ec_point_formats,omitempty"`
	RecordSizeLimit      *uint16   `json:"record_size_limit,omitempty"`
	SCTListLength        int       `json:"sct_list_length,omitempty"`
	// NPN is the protocols a server advertised in next_protocol_negotiation (never IANA
	// registered; the client picks one, in an encrypted message).
	NPN []string `json:"npn,omitempty"`
	// DowngradeSentinel is set when the random ends with the RFC 8446 section 4.1.3
	// marker a TLS 1.3 server writes when it negotiates an older version: "TLS 1.2" or
	// "TLS 1.1 or below". Seeing it on a connection the client wanted at 1.3 means a
	// downgrade.
	DowngradeSentinel string `json:"downgrade_sentinel,omitempty"`
}

const msgServerHello = "ServerHello"

// Version is the negotiated protocol version: supported_versions when present, otherwise
// the legacy version field (TLS 1.2 and below).
func (sh *ServerHello) Version() uint16 {
	if sh.SelectedVersion != 0 {
		return sh.SelectedVersion
	}
	return sh.LegacyVersion
}

// ParseServerHello decodes a ServerHello body, including a HelloRetryRequest (a ServerHello
// whose random is HRRRandom, whose key_share holds only a group).
func ParseServerHello(body []byte) (*ServerHello, error) {
	s := cryptobyte.String(body)
	vers, random, sid, err := readHelloPrefix(&s, msgServerHello)
	if err != nil {
		return nil, err
	}
	sh := &ServerHello{
		LegacyVersion:       vers,
		LegacyVersionName:   VersionName(vers),
		Random:              random,
		SessionID:           sid,
		SessionIDLength:     len(sid),
		IsHelloRetryRequest: string(random) == HRRRandom,
	}
	msg := msgServerHello
	if sh.IsHelloRetryRequest {
		msg = NameHelloRetryRequest
	}
	if !s.ReadUint16(&sh.CipherSuite) || !s.ReadUint8(&sh.CompressionMethod) {
		return nil, malformed(msg, "truncated before cipher_suite and compression_method")
	}
	sh.CipherSuiteName = CipherSuiteName(sh.CipherSuite)
	switch string(random[24:]) {
	case "DOWNGRD\x01":
		sh.DowngradeSentinel = "TLS 1.2"
	case "DOWNGRD\x00":
		sh.DowngradeSentinel = "TLS 1.1 or below"
	}
	if s.Empty() {
		sh.Extensions = []Extension{}
		return sh, nil
	}
	if sh.Extensions, err = readExtensions(&s, msg); err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, malformed(msg, "%d trailing bytes after extensions", len(s))
	}
	for _, e := range sh.Extensions {
		if err := sh.decodeExtension(e); err != nil {
			return nil, wrapExtErr(msg, e.Type, err)
		}
	}
	return sh, nil
}

func (sh *ServerHello) decodeExtension(e Extension) error {
	s := cryptobyte.String(e.Data)
	switch e.Type {
	case ExtSupportedVersions:
		if !s.ReadUint16(&sh.SelectedVersion) {
			return extErr("truncated selected_version")
		}
		return done(s)
	case ExtKeyShare:
		if sh.IsHelloRetryRequest {
			if !s.ReadUint16(&sh.SelectedGroup) {
				return extErr("truncated selected_group")
			}
			sh.SelectedGroupName = GroupName(sh.SelectedGroup)
			return done(s)
		}
		ks, err := readKeyShareEntry(&s)
		if err != nil {
			return err
		}
		sh.KeyShare = &ks
		return done(s)
	case ExtCookie:
		var c cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&c) || c.Empty() {
			return extErr("cookie missing or empty")
		}
		sh.CookieLength = len(c)
		return done(s)
	case ExtPreSharedKey:
		var id uint16
		if !s.ReadUint16(&id) {
			return extErr("truncated selected_identity")
		}
		sh.PreSharedKey = &id
		return done(s)
	case ExtALPN:
		protos, err := alpnList(e.Data)
		if err != nil {
			return err
		}
		if len(protos) != 1 {
			return extErr("server selected %d protocols, must be exactly one", len(protos))
		}
		sh.ALPN = protos[0]
	case ExtServerName:
		sh.ServerNameAck = true
		return requireEmpty(e.Data)
	case ExtSessionTicket:
		sh.SessionTicket = true
		return requireEmpty(e.Data)
	case ExtStatusRequest:
		sh.StatusRequest = true
		return requireEmpty(e.Data)
	case ExtRenegotiationInfo:
		sh.RenegotiationInfo = true
		var rc cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&rc) {
			return extErr("renegotiated_connection length exceeds data")
		}
		return done(s)
	case ExtExtendedMasterSecret:
		sh.ExtendedMasterSecret = true
		return requireEmpty(e.Data)
	case ExtEncryptThenMAC:
		sh.EncryptThenMAC = true
		return requireEmpty(e.Data)
	case ExtECPointFormats:
		var err error
		sh.ECPointFormats, err = uint8ListExt(e.Data, "ec_point_format_list")
		return err
	case ExtRecordSizeLimit:
		var err error
		sh.RecordSizeLimit, err = recordSizeLimitExt(e.Data)
		return err
	case ExtSCT:
		var list cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&list) || list.Empty() {
			return extErr("SCT list missing or empty")
		}
		sh.SCTListLength = len(list)
		return done(s)
	case ExtNextProtocolNegotiation:
		// Unlike ALPN's, the list has no overall length: 8-bit-prefixed names to the end.
		sh.NPN = []string{}
		for !s.Empty() {
			var p cryptobyte.String
			if !s.ReadUint8LengthPrefixed(&p) || p.Empty() {
				return extErr("protocol name missing or empty")
			}
			sh.NPN = append(sh.NPN, string(p))
		}
	}
	return nil
}

// EncryptedExtensions is a decoded TLS 1.3 EncryptedExtensions message.
type EncryptedExtensions struct {
	Extensions      []Extension `json:"extensions"`
	ALPN            string      `json:"alpn,omitempty"`
	ServerNameAck   bool        `json:"server_name_ack"`
	SupportedGroups []uint16    `json:"supported_groups,omitempty"`
	EarlyData       bool        `json:"early_data"`
	RecordSizeLimit *uint16     `json:"record_size_limit,omitempty"`
	// MaxFragmentLength is the RFC 6066 code (1 = 2^9 ... 4 = 2^12), 0 when absent.
	MaxFragmentLength uint8 `json:"max_fragment_length,omitempty"`
	// ECHRetryConfigsLength is the size of the ECHConfigList a server sends when it
	// rejected ECH, 0 when absent.
	ECHRetryConfigsLength int `json:"ech_retry_configs_length,omitempty"`
	// ECHRetryConfigs is that ECHConfigList decoded; ECHRetryConfigsError why it did not.
	ECHRetryConfigs      []ECHConfig `json:"ech_retry_configs,omitempty"`
	ECHRetryConfigsError string      `json:"ech_retry_configs_error,omitempty"`
	ApplicationSettings  []string    `json:"application_settings,omitempty"`
}

const msgEncryptedExtensions = "EncryptedExtensions"

// ParseEncryptedExtensions decodes an EncryptedExtensions body.
func ParseEncryptedExtensions(body []byte) (*EncryptedExtensions, error) {
	s := cryptobyte.String(body)
	exts, err := readExtensions(&s, msgEncryptedExtensions)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, malformed(msgEncryptedExtensions, "%d trailing bytes after extensions", len(s))
	}
	ee := &EncryptedExtensions{Extensions: exts}
	for _, e := range exts {
		if err := ee.decodeExtension(e); err != nil {
			return nil, wrapExtErr(msgEncryptedExtensions, e.Type, err)
		}
	}
	return ee, nil
}

func (ee *EncryptedExtensions) decodeExtension(e Extension) error {
	var err error
	switch e.Type {
	case ExtALPN:
		var protos []string
		if protos, err = alpnList(e.Data); err != nil {
			return err
		}
		if len(protos) != 1 {
			return extErr("server selected %d protocols, must be exactly one", len(protos))
		}
		ee.ALPN = protos[0]
	case ExtServerName:
		ee.ServerNameAck = true
		err = requireEmpty(e.Data)
	case ExtSupportedGroups:
		ee.SupportedGroups, err = uint16ListExt(e.Data, 2, "named_group_list")
	case ExtEarlyData:
		ee.EarlyData = true
		err = requireEmpty(e.Data)
	case ExtRecordSizeLimit:
		ee.RecordSizeLimit, err = recordSizeLimitExt(e.Data)
	case ExtMaxFragmentLength:
		if len(e.Data) != 1 {
			return extErr("must be 1 byte, has %d", len(e.Data))
		}
		ee.MaxFragmentLength = e.Data[0]
	case ExtEncryptedClientHello:
		if len(e.Data) == 0 {
			return extErr("empty retry_configs")
		}
		ee.ECHRetryConfigsLength = len(e.Data)
		// Configs that do not decode are the server's fault, but the message is otherwise
		// whole: say so rather than refuse it all.
		if configs, cerr := ParseECHConfigList(e.Data); cerr != nil {
			ee.ECHRetryConfigsError = cerr.Error()
		} else {
			ee.ECHRetryConfigs = configs
		}
	case ExtApplicationSettings, ExtApplicationSettingsOld:
		ee.ApplicationSettings, err = alpnList(e.Data)
	}
	return err
}

// CertificateRequest is a decoded CertificateRequest in either the TLS 1.3 form (context and
// extensions) or the TLS 1.0-1.2 form (certificate types, signature algorithms from 1.2,
// authorities).
type CertificateRequest struct {
	// Form is "tls13", "tls12" or "tls10" (TLS 1.0/1.1, which have no signature
	// algorithms).
	Form string `json:"form"`
	// RequestContext is the TLS 1.3 certificate_request_context (empty during the
	// handshake, non-empty for post-handshake authentication).
	RequestContext          HexBytes    `json:"request_context,omitempty"`
	Extensions              []Extension `json:"extensions,omitempty"`
	CertificateTypes        Uint8List   `json:"certificate_types,omitempty"`
	SignatureAlgorithms     []uint16    `json:"signature_algorithms,omitempty"`
	SignatureAlgorithmsCert []uint16    `json:"signature_algorithms_cert,omitempty"`
	// CertificateAuthorities holds the DER distinguished names the server will accept
	// client certificates from; CertificateAuthorityNames renders them (RFC 4514 style).
	CertificateAuthorities    [][]byte `json:"-"`
	CertificateAuthorityNames []string `json:"certificate_authorities,omitempty"`
}

const msgCertificateRequest = "CertificateRequest"

// ParseCertificateRequest decodes a CertificateRequest body. With tls13 false it accepts the
// TLS 1.2 layout and, failing that, the TLS 1.0/1.1 layout (no signature algorithms); the
// two cannot be confused because each leaves bytes the other cannot account for.
func ParseCertificateRequest(body []byte, tls13 bool) (*CertificateRequest, error) {
	if tls13 {
		return parseCertificateRequest13(body)
	}
	cr, err := parseCertificateRequest12(body, true)
	if err == nil {
		return cr, nil
	}
	if cr10, err10 := parseCertificateRequest12(body, false); err10 == nil {
		return cr10, nil
	}
	return nil, err
}

func parseCertificateRequest13(body []byte) (*CertificateRequest, error) {
	s := cryptobyte.String(body)
	var ctx cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&ctx) {
		return nil, malformed(msgCertificateRequest, "certificate_request_context length exceeds message")
	}
	exts, err := readExtensions(&s, msgCertificateRequest)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, malformed(msgCertificateRequest, "%d trailing bytes after extensions", len(s))
	}
	cr := &CertificateRequest{Form: "tls13", RequestContext: HexBytes(ctx), Extensions: exts}
	for _, e := range exts {
		var err error
		switch e.Type {
		case ExtSignatureAlgorithms:
			cr.SignatureAlgorithms, err = uint16ListExt(e.Data, 2, "supported_signature_algorithms")
		case ExtSignatureAlgorithmsCert:
			cr.SignatureAlgorithmsCert, err = uint16ListExt(e.Data, 2, "supported_signature_algorithms")
		case ExtCertificateAuthorities:
			es := cryptobyte.String(e.Data)
			if cr.CertificateAuthorities, err = distinguishedNames(&es, false); err == nil {
				err = done(es)
			}
		}
		if err != nil {
			return nil, wrapExtErr(msgCertificateRequest, e.Type, err)
		}
	}
	// RFC 8446 section 4.3.2: signature_algorithms MUST be specified.
	if cr.SignatureAlgorithms == nil {
		return nil, malformed(msgCertificateRequest, "no signature_algorithms extension")
	}
	cr.CertificateAuthorityNames = dnStrings(cr.CertificateAuthorities)
	return cr, nil
}

func parseCertificateRequest12(body []byte, withSigAlgs bool) (*CertificateRequest, error) {
	s := cryptobyte.String(body)
	var types cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&types) || types.Empty() {
		return nil, malformed(msgCertificateRequest, "certificate_types missing or empty")
	}
	cr := &CertificateRequest{Form: "tls10", CertificateTypes: Uint8List(types)}
	if withSigAlgs {
		cr.Form = "tls12"
		l, err := readUint16List(&s, 2, 1, "supported_signature_algorithms")
		if err != nil {
			return nil, malformed(msgCertificateRequest, "%v", err)
		}
		cr.SignatureAlgorithms = l
	}
	cas, err := distinguishedNames(&s, true)
	if err != nil {
		return nil, malformed(msgCertificateRequest, "certificate_authorities: %v", err)
	}
	if !s.Empty() {
		return nil, malformed(msgCertificateRequest, "%d trailing bytes", len(s))
	}
	cr.CertificateAuthorities = cas
	cr.CertificateAuthorityNames = dnStrings(cas)
	return cr, nil
}

// dnStrings renders DER distinguished names for display. A name that does not parse is shown
// by size instead of failing the message, since the list is advisory.
func dnStrings(names [][]byte) []string {
	if len(names) == 0 {
		return nil
	}
	out := make([]string, len(names))
	for i, der := range names {
		out[i], _ = dn.String(der)
	}
	return out
}

// Certificate is a decoded Certificate message.
type Certificate struct {
	// RequestContext is the TLS 1.3 certificate_request_context.
	RequestContext HexBytes           `json:"request_context,omitempty"`
	Entries        []CertificateEntry `json:"entries"`
}

// CertificateEntry is one certificate in the chain, leaf first.
type CertificateEntry struct {
	DER    []byte `json:"-"`
	Length int    `json:"length"`
	// Extensions are the TLS 1.3 per-certificate extensions.
	Extensions []Extension `json:"extensions,omitempty"`
	// OCSPResponse is a stapled OCSP response from a TLS 1.3 status_request extension.
	OCSPResponse       []byte `json:"-"`
	OCSPResponseLength int    `json:"ocsp_response_length,omitempty"`
	// SCTs are serialized Signed Certificate Timestamps from a TLS 1.3
	// signed_certificate_timestamp extension.
	SCTs     [][]byte `json:"-"`
	SCTCount int      `json:"sct_count,omitempty"`
}

const msgCertificate = "Certificate"

// ParseCertificate decodes a Certificate body in the TLS 1.3 form (request context and
// per-certificate extensions) or the TLS 1.2 form. An empty chain is legal: it is how a
// client declines a certificate request.
func ParseCertificate(body []byte, tls13 bool) (*Certificate, error) {
	s := cryptobyte.String(body)
	c := &Certificate{Entries: []CertificateEntry{}}
	if tls13 {
		var ctx cryptobyte.String
		if !s.ReadUint8LengthPrefixed(&ctx) {
			return nil, malformed(msgCertificate, "certificate_request_context length exceeds message")
		}
		c.RequestContext = HexBytes(ctx)
	}
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) {
		return nil, malformed(msgCertificate, "certificate_list length exceeds message")
	}
	if !s.Empty() {
		return nil, malformed(msgCertificate, "%d trailing bytes after certificate_list", len(s))
	}
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) {
			return nil, malformed(msgCertificate, "certificate %d: length exceeds list", len(c.Entries))
		}
		if der.Empty() {
			return nil, malformed(msgCertificate, "certificate %d is empty", len(c.Entries))
		}
		ent := CertificateEntry{DER: der, Length: len(der)}
		if tls13 {
			exts, err := readExtensions(&list, msgCertificate)
			if err != nil {
				return nil, err
			}
			ent.Extensions = exts
			for _, e := range exts {
				if err := ent.decodeExtension(e); err != nil {
					return nil, wrapExtErr(msgCertificate, e.Type, err)
				}
			}
		}
		c.Entries = append(c.Entries, ent)
	}
	return c, nil
}

func (ent *CertificateEntry) decodeExtension(e Extension) error {
	s := cryptobyte.String(e.Data)
	switch e.Type {
	case ExtStatusRequest:
		var typ uint8
		var resp cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&resp) || resp.Empty() {
			return extErr("truncated or empty OCSP response")
		}
		if typ != 1 {
			return extErr("status_type %d, want 1 (ocsp)", typ)
		}
		ent.OCSPResponse, ent.OCSPResponseLength = resp, len(resp)
		return done(s)
	case ExtSCT:
		scts, err := readSCTList(&s)
		if err != nil {
			return err
		}
		ent.SCTs, ent.SCTCount = scts, len(scts)
		return done(s)
	}
	return nil
}

func readSCTList(s *cryptobyte.String) ([][]byte, error) {
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || list.Empty() {
		return nil, extErr("SCT list missing or empty")
	}
	var out [][]byte
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return nil, extErr("truncated or empty SCT")
		}
		out = append(out, sct)
	}
	return out, nil
}

// CertificateStatus is a decoded CertificateStatus message (RFC 6066 section 8, RFC 6961).
type CertificateStatus struct {
	// StatusType is 1 (ocsp) or 2 (ocsp_multi).
	StatusType uint8 `json:"status_type"`
	// OCSPResponse is the stapled response (the first non-empty one for ocsp_multi).
	OCSPResponse       []byte `json:"-"`
	OCSPResponseLength int    `json:"ocsp_response_length"`
	// Responses counts the responses in an ocsp_multi list (1 for ocsp).
	Responses int `json:"responses"`
}

const msgCertificateStatus = "CertificateStatus"

// ParseCertificateStatus decodes a CertificateStatus body.
func ParseCertificateStatus(body []byte) (*CertificateStatus, error) {
	s := cryptobyte.String(body)
	cs := &CertificateStatus{}
	if !s.ReadUint8(&cs.StatusType) {
		return nil, malformed(msgCertificateStatus, "empty")
	}
	var resp cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&resp) {
		return nil, malformed(msgCertificateStatus, "response length exceeds message")
	}
	if !s.Empty() {
		return nil, malformed(msgCertificateStatus, "%d trailing bytes", len(s))
	}
	switch cs.StatusType {
	case 1:
		if resp.Empty() {
			return nil, malformed(msgCertificateStatus, "empty OCSP response")
		}
		cs.OCSPResponse, cs.OCSPResponseLength, cs.Responses = resp, len(resp), 1
	case 2:
		for !resp.Empty() {
			var r cryptobyte.String
			if !resp.ReadUint24LengthPrefixed(&r) {
				return nil, malformed(msgCertificateStatus, "truncated response in ocsp_multi list")
			}
			cs.Responses++
			if cs.OCSPResponse == nil && !r.Empty() {
				cs.OCSPResponse, cs.OCSPResponseLength = r, len(r)
			}
		}
		if cs.Responses == 0 {
			return nil, malformed(msgCertificateStatus, "empty ocsp_multi list")
		}
	default:
		return nil, malformed(msgCertificateStatus, "unknown status_type %d", cs.StatusType)
	}
	return cs, nil
}

// ServerKeyExchange is a decoded ServerKeyExchange. Which fields are set depends on
// KeyExchange; raw values are kept for callers that verify the signature or rate the group.
type ServerKeyExchange struct {
	KeyExchange string `json:"key_exchange"`

	// ECDHE: CurveType is 3 (named_curve); Group names the curve.
	CurveType uint8  `json:"curve_type,omitempty"`
	Group     uint16 `json:"group,omitempty"`
	GroupName string `json:"group_name,omitempty"`

	// DHE: the prime's size in bits (the number that matters for Logjam-style weakness),
	// the generator, and the raw values.
	DHPrimeBits int    `json:"dh_p_bits,omitempty"`
	DHGenerator string `json:"dh_g,omitempty"`
	DHPrime     []byte `json:"-"`
	DHG         []byte `json:"-"`

	// RSA (export): the temporary key's modulus size.
	RSAModulusBits int `json:"rsa_modulus_bits,omitempty"`

	// PSK variants: the identity hint.
	PSKIdentityHint       string `json:"psk_identity_hint,omitempty"`
	PSKIdentityHintLength int    `json:"psk_identity_hint_length,omitempty"`

	// SRP: the group prime's size in bits.
	SRPPrimeBits int `json:"srp_n_bits,omitempty"`

	// PublicKey is the server's ephemeral public value (ECDH point, DH Ys or SRP B).
	PublicKey       []byte `json:"-"`
	PublicKeyLength int    `json:"public_key_length,omitempty"`

	// Signed reports a signature after the parameters. Anonymous suites have none, and
	// TLS 1.0/1.1 signatures carry no scheme (SignatureScheme 0).
	Signed              bool   `json:"signed"`
	SignatureScheme     uint16 `json:"signature_scheme,omitempty"`
	SignatureSchemeName string `json:"signature_scheme_name,omitempty"`
	SignatureLength     int    `json:"signature_length,omitempty"`
	Signature           []byte `json:"-"`
	// Params are the raw signed parameters (what the signature covers, after the randoms).
	Params []byte `json:"-"`
}

const msgServerKeyExchange = "ServerKeyExchange"

// normKX folds the spellings callers may pass ("ecdhe", "DHE_PSK") onto CipherSuite's.
func normKX(kx string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.TrimSpace(kx)), "_", "-")
}

// ParseServerKeyExchange decodes a ServerKeyExchange body. kx is the negotiated suite's
// CipherSuite.KeyExchange ("ECDHE", "DHE", "PSK", "DHE-PSK", "ECDHE-PSK", "RSA-PSK", "RSA"
// for export RSA, "SRP"); version is the negotiated version, which decides whether a
// signature starts with a SignatureScheme (TLS 1.2) or not (SSL 3.0-TLS 1.1).
func ParseServerKeyExchange(body []byte, kx string, version uint16) (*ServerKeyExchange, error) {
	kx = normKX(kx)
	s := cryptobyte.String(body)
	ske := &ServerKeyExchange{KeyExchange: kx}
	signable := true
	var err error
	switch kx {
	case "ECDHE", "ECDH":
		err = ske.readECParams(&s)
	case "DHE", "DH":
		err = ske.readDHParams(&s)
	case "RSA":
		err = ske.readRSAParams(&s)
	case "SRP":
		err = ske.readSRPParams(&s)
	case "PSK", "RSA-PSK", "DHE-PSK", "ECDHE-PSK":
		signable = false
		var hint cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&hint) {
			return nil, malformed(msgServerKeyExchange, "psk_identity_hint length exceeds message")
		}
		ske.PSKIdentityHint, ske.PSKIdentityHintLength = string(hint), len(hint)
		switch kx {
		case "DHE-PSK":
			err = ske.readDHParams(&s)
		case "ECDHE-PSK":
			err = ske.readECParams(&s)
		}
	default:
		return nil, fmt.Errorf("decoding %s: unsupported key exchange %q", msgServerKeyExchange, kx)
	}
	if err != nil {
		return nil, err
	}
	ske.Params = body[:len(body)-len(s)]
	if s.Empty() {
		return ske, nil
	}
	if !signable {
		return nil, malformed(msgServerKeyExchange, "%d trailing bytes after %s parameters", len(s), kx)
	}
	if err := ske.readSignature(&s, version); err != nil {
		return nil, err
	}
	return ske, nil
}

func (ske *ServerKeyExchange) readECParams(s *cryptobyte.String) error {
	if !s.ReadUint8(&ske.CurveType) {
		return malformed(msgServerKeyExchange, "truncated before curve_type")
	}
	if ske.CurveType != 3 {
		// explicit_prime (1) and explicit_char2 (2) curves were deprecated by RFC 8422 and
		// no maintained stack sends them; decoding their parameter blocks is not worth it.
		return malformed(msgServerKeyExchange, "curve_type %d is not named_curve (3)", ske.CurveType)
	}
	if !s.ReadUint16(&ske.Group) {
		return malformed(msgServerKeyExchange, "truncated named curve")
	}
	ske.GroupName = GroupName(ske.Group)
	var point cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&point) || point.Empty() {
		return malformed(msgServerKeyExchange, "public point missing or empty")
	}
	ske.PublicKey, ske.PublicKeyLength = point, len(point)
	return nil
}

func readBigNum(s *cryptobyte.String, what string) ([]byte, error) {
	var v cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&v) || v.Empty() {
		return nil, malformed(msgServerKeyExchange, "%s missing or empty", what)
	}
	return v, nil
}

func (ske *ServerKeyExchange) readDHParams(s *cryptobyte.String) error {
	p, err := readBigNum(s, "dh_p")
	if err != nil {
		return err
	}
	g, err := readBigNum(s, "dh_g")
	if err != nil {
		return err
	}
	ys, err := readBigNum(s, "dh_Ys")
	if err != nil {
		return err
	}
	ske.DHPrime, ske.DHG = p, g
	ske.DHPrimeBits = new(big.Int).SetBytes(p).BitLen()
	gi := new(big.Int).SetBytes(g)
	if gi.IsUint64() {
		ske.DHGenerator = gi.String()
	} else {
		ske.DHGenerator = "0x" + gi.Text(16)
	}
	ske.PublicKey, ske.PublicKeyLength = ys, len(ys)
	return nil
}

func (ske *ServerKeyExchange) readRSAParams(s *cryptobyte.String) error {
	mod, err := readBigNum(s, "rsa_modulus")
	if err != nil {
		return err
	}
	if _, err := readBigNum(s, "rsa_exponent"); err != nil {
		return err
	}
	ske.RSAModulusBits = new(big.Int).SetBytes(mod).BitLen()
	return nil
}

func (ske *ServerKeyExchange) readSRPParams(s *cryptobyte.String) error {
	n, err := readBigNum(s, "srp_N")
	if err != nil {
		return err
	}
	if _, err := readBigNum(s, "srp_g"); err != nil {
		return err
	}
	var salt cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&salt) || salt.Empty() {
		return malformed(msgServerKeyExchange, "srp_s missing or empty")
	}
	b, err := readBigNum(s, "srp_B")
	if err != nil {
		return err
	}
	ske.SRPPrimeBits = new(big.Int).SetBytes(n).BitLen()
	ske.PublicKey, ske.PublicKeyLength = b, len(b)
	return nil
}

func (ske *ServerKeyExchange) readSignature(s *cryptobyte.String, version uint16) error {
	if version >= VersionTLS12 {
		if !s.ReadUint16(&ske.SignatureScheme) {
			return malformed(msgServerKeyExchange, "truncated signature algorithm")
		}
		ske.SignatureSchemeName = SignatureSchemeName(ske.SignatureScheme)
	}
	var sig cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&sig) || sig.Empty() {
		return malformed(msgServerKeyExchange, "signature missing or empty")
	}
	if !s.Empty() {
		return malformed(msgServerKeyExchange, "%d trailing bytes after signature", len(*s))
	}
	ske.Signed, ske.Signature, ske.SignatureLength = true, sig, len(sig)
	return nil
}

// CertificateVerify is a decoded CertificateVerify.
type CertificateVerify struct {
	// SignatureScheme is 0 before TLS 1.2, whose signatures carry no algorithm.
	SignatureScheme     uint16 `json:"signature_scheme,omitempty"`
	SignatureSchemeName string `json:"signature_scheme_name,omitempty"`
	SignatureLength     int    `json:"signature_length"`
	Signature           []byte `json:"-"`
}

const msgCertificateVerify = "CertificateVerify"

// ParseCertificateVerify decodes a CertificateVerify body; version decides whether the
// signature is preceded by a scheme (TLS 1.2 and 1.3) or not.
func ParseCertificateVerify(body []byte, version uint16) (*CertificateVerify, error) {
	s := cryptobyte.String(body)
	cv := &CertificateVerify{}
	if version >= VersionTLS12 {
		if !s.ReadUint16(&cv.SignatureScheme) {
			return nil, malformed(msgCertificateVerify, "truncated signature scheme")
		}
		cv.SignatureSchemeName = SignatureSchemeName(cv.SignatureScheme)
	}
	var sig cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&sig) || sig.Empty() {
		return nil, malformed(msgCertificateVerify, "signature missing or empty")
	}
	if !s.Empty() {
		return nil, malformed(msgCertificateVerify, "%d trailing bytes", len(s))
	}
	cv.Signature, cv.SignatureLength = sig, len(sig)
	return cv, nil
}

// ClientKeyExchange is a decoded ClientKeyExchange.
type ClientKeyExchange struct {
	Length int `json:"length"`
	// PublicKeyLength is the client's ephemeral value (ECDH point, DH Yc, SRP A) or, for
	// RSA key transport, the encrypted premaster secret.
	PublicKeyLength int    `json:"public_key_length,omitempty"`
	PublicKey       []byte `json:"-"`
	PSKIdentity     string `json:"psk_identity,omitempty"`
	// KeyTransport is true for RSA key transport: the value is the premaster secret encrypted
	// to the server's key, not a public key of the client's.
	KeyTransport bool `json:"-"`
}

const msgClientKeyExchange = "ClientKeyExchange"

// ParseClientKeyExchange decodes a ClientKeyExchange body. With kx "" it only measures the
// body; otherwise kx and version (as for ParseServerKeyExchange) select the layout.
func ParseClientKeyExchange(body []byte, kx string, version uint16) (*ClientKeyExchange, error) {
	kx = normKX(kx)
	cke := &ClientKeyExchange{Length: len(body)}
	if kx == "" {
		return cke, nil
	}
	s := cryptobyte.String(body)
	psk := strings.HasSuffix(kx, "-PSK") || kx == "PSK"
	if psk {
		var id cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&id) {
			return nil, malformed(msgClientKeyExchange, "psk_identity length exceeds message")
		}
		cke.PSKIdentity = string(id)
		kx = strings.TrimSuffix(kx, "-PSK")
	}
	var v cryptobyte.String
	ok := true
	switch kx {
	case "PSK":
	case "RSA":
		cke.KeyTransport = true
		if version == VersionSSL30 && !psk {
			// SSL 3.0 sends the encrypted premaster secret without a length prefix.
			v, s = s, nil
		} else {
			ok = s.ReadUint16LengthPrefixed(&v)
		}
		ok = ok && !v.Empty()
	case "ECDHE", "ECDH":
		// Static ECDH with a fixed-key client certificate may send an empty point.
		ok = s.ReadUint8LengthPrefixed(&v) && (kx == "ECDH" || !v.Empty())
	case "DHE", "DH", "SRP":
		ok = s.ReadUint16LengthPrefixed(&v) && (kx == "DH" || !v.Empty())
	default:
		return nil, fmt.Errorf("decoding %s: unsupported key exchange %q", msgClientKeyExchange, kx)
	}
	if !ok {
		return nil, malformed(msgClientKeyExchange, "public value missing, empty or longer than the message")
	}
	if !s.Empty() {
		return nil, malformed(msgClientKeyExchange, "%d trailing bytes", len(s))
	}
	cke.PublicKey, cke.PublicKeyLength = v, len(v)
	return cke, nil
}

// Finished is a decoded Finished message.
type Finished struct {
	VerifyDataLength int    `json:"verify_data_length"`
	VerifyData       []byte `json:"-"`
}

// ParseFinished decodes a Finished body. Its length depends on the suite (12 bytes in TLS
// 1.2, the hash size in TLS 1.3, 36 in SSL 3.0) so only emptiness is rejected here.
func ParseFinished(body []byte) (*Finished, error) {
	if len(body) == 0 {
		return nil, malformed("Finished", "empty verify_data")
	}
	return &Finished{VerifyDataLength: len(body), VerifyData: body}, nil
}

// NewSessionTicket is a decoded NewSessionTicket (RFC 5077 form for TLS 1.2, RFC 8446 section
// 4.6.1 for TLS 1.3).
type NewSessionTicket struct {
	LifetimeSeconds uint32 `json:"lifetime_seconds"`
	// AgeAdd, Nonce and Extensions exist only in TLS 1.3.
	AgeAdd       uint32      `json:"age_add,omitempty"`
	Nonce        HexBytes    `json:"nonce,omitempty"`
	NonceLength  int         `json:"nonce_length"`
	TicketLength int         `json:"ticket_length"`
	Ticket       []byte      `json:"-"`
	Extensions   []Extension `json:"extensions,omitempty"`
	// MaxEarlyDataSize is from the early_data extension; nil when the ticket does not allow
	// 0-RTT.
	MaxEarlyDataSize *uint32 `json:"max_early_data_size,omitempty"`
}

const msgNewSessionTicket = "NewSessionTicket"

// ParseNewSessionTicket decodes a NewSessionTicket body.
func ParseNewSessionTicket(body []byte, tls13 bool) (*NewSessionTicket, error) {
	s := cryptobyte.String(body)
	t := &NewSessionTicket{}
	if !s.ReadUint32(&t.LifetimeSeconds) {
		return nil, malformed(msgNewSessionTicket, "truncated lifetime")
	}
	if tls13 {
		var nonce cryptobyte.String
		if !s.ReadUint32(&t.AgeAdd) || !s.ReadUint8LengthPrefixed(&nonce) {
			return nil, malformed(msgNewSessionTicket, "truncated ticket_age_add or nonce")
		}
		t.Nonce, t.NonceLength = HexBytes(nonce), len(nonce)
	}
	var ticket cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&ticket) {
		return nil, malformed(msgNewSessionTicket, "ticket length exceeds message")
	}
	t.Ticket, t.TicketLength = ticket, len(ticket)
	if !tls13 {
		if !s.Empty() {
			return nil, malformed(msgNewSessionTicket, "%d trailing bytes", len(s))
		}
		return t, nil
	}
	if ticket.Empty() {
		return nil, malformed(msgNewSessionTicket, "empty ticket")
	}
	exts, err := readExtensions(&s, msgNewSessionTicket)
	if err != nil {
		return nil, err
	}
	if !s.Empty() {
		return nil, malformed(msgNewSessionTicket, "%d trailing bytes after extensions", len(s))
	}
	t.Extensions = exts
	for _, e := range exts {
		if e.Type != ExtEarlyData {
			continue
		}
		es := cryptobyte.String(e.Data)
		var max uint32
		if !es.ReadUint32(&max) || !es.Empty() {
			return nil, wrapExtErr(msgNewSessionTicket, e.Type, extErr("must be a 4-byte max_early_data_size"))
		}
		t.MaxEarlyDataSize = &max
	}
	return t, nil
}

// KeyUpdate is a decoded KeyUpdate.
type KeyUpdate struct {
	// RequestUpdate is 0 (update_not_requested) or 1 (update_requested).
	RequestUpdate uint8 `json:"request_update"`
	Requested     bool  `json:"update_requested"`
}

// ParseKeyUpdate decodes a KeyUpdate body.
func ParseKeyUpdate(body []byte) (*KeyUpdate, error) {
	if len(body) != 1 {
		return nil, malformed("KeyUpdate", "body is %d bytes, want 1", len(body))
	}
	if body[0] > 1 {
		return nil, malformed("KeyUpdate", "request_update %d is neither 0 nor 1", body[0])
	}
	return &KeyUpdate{RequestUpdate: body[0], Requested: body[0] == 1}, nil
}

// Alert is a decoded alert record.
type Alert struct {
	Level           uint8  `json:"level"`
	LevelName       string `json:"level_name"`
	Description     uint8  `json:"description"`
	DescriptionName string `json:"description_name"`
}

// ParseAlert decodes a plaintext alert record payload, which must be exactly one alert.
func ParseAlert(payload []byte) (*Alert, error) {
	if len(payload) != 2 {
		return nil, malformed(NameAlert, "payload is %d bytes, want 2", len(payload))
	}
	return &Alert{
		Level:           payload[0],
		LevelName:       AlertLevelName(payload[0]),
		Description:     payload[1],
		DescriptionName: AlertDescriptionName(payload[1]),
	}, nil
}

func (a *Alert) String() string {
	return a.LevelName + " " + a.DescriptionName
}

// EndOfEarlyData, ServerHelloDone and HelloRequest have empty bodies; their decoded form is
// an empty struct so every message has one.
type (
	EndOfEarlyData  struct{}
	ServerHelloDone struct{}
	HelloRequest    struct{}
)

func parseEmpty(name string, body []byte) error {
	if len(body) != 0 {
		return malformed(name, "body must be empty, has %d bytes", len(body))
	}
	return nil
}

// ParseEndOfEarlyData checks an EndOfEarlyData body, which must be empty.
func ParseEndOfEarlyData(body []byte) (*EndOfEarlyData, error) {
	if err := parseEmpty("EndOfEarlyData", body); err != nil {
		return nil, err
	}
	return &EndOfEarlyData{}, nil
}

// ParseServerHelloDone checks a ServerHelloDone body, which must be empty.
func ParseServerHelloDone(body []byte) (*ServerHelloDone, error) {
	if err := parseEmpty("ServerHelloDone", body); err != nil {
		return nil, err
	}
	return &ServerHelloDone{}, nil
}

// MessageHash is the synthetic message RFC 8446 section 4.4.1 puts in the transcript after a
// HelloRetryRequest; it never crosses the wire but appears in transcripts tlskit shows.
type MessageHash struct {
	HashLength int    `json:"hash_length"`
	Hash       []byte `json:"-"`
}

// ParseMessageHash decodes a MessageHash body (the hash of ClientHello1).
func ParseMessageHash(body []byte) (*MessageHash, error) {
	switch len(body) {
	case 32, 48, 64:
	default:
		return nil, malformed("MessageHash", "hash is %d bytes, not a SHA-2 size", len(body))
	}
	return &MessageHash{HashLength: len(body), Hash: body}, nil
}

// CompressedCertificate is a decoded RFC 8879 CompressedCertificate.
type CompressedCertificate struct {
	Algorithm          uint16 `json:"algorithm"`
	AlgorithmName      string `json:"algorithm_name"`
	UncompressedLength int    `json:"uncompressed_length"`
	CompressedLength   int    `json:"compressed_length"`
	Compressed         []byte `json:"-"`
}

// ParseCompressedCertificate decodes a CompressedCertificate body. The claimed uncompressed
// length is reported, not trusted: decompressing is the caller's job and must enforce its
// own limit.
func ParseCompressedCertificate(body []byte) (*CompressedCertificate, error) {
	s := cryptobyte.String(body)
	cc := &CompressedCertificate{}
	var ulen uint32
	var comp cryptobyte.String
	if !s.ReadUint16(&cc.Algorithm) || !s.ReadUint24(&ulen) || !s.ReadUint24LengthPrefixed(&comp) {
		return nil, malformed("CompressedCertificate", "truncated")
	}
	if comp.Empty() || ulen == 0 {
		return nil, malformed("CompressedCertificate", "empty compressed or uncompressed certificate")
	}
	if !s.Empty() {
		return nil, malformed("CompressedCertificate", "%d trailing bytes", len(s))
	}
	cc.AlgorithmName = CertificateCompressionName(cc.Algorithm)
	cc.UncompressedLength, cc.Compressed, cc.CompressedLength = int(ulen), comp, len(comp)
	return cc, nil
}

// UnknownMessage is what Decoder returns for message types it has no decoder for, so the
// timeline still shows them.
type UnknownMessage struct {
	Type   uint8  `json:"type"`
	Name   string `json:"name"`
	Length int    `json:"length"`
}
