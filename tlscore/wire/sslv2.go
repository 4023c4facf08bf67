package wire

import (
	"errors"
	"fmt"
)

// SSL 2.0 is only ever probed for (scan reports a server that still speaks it): these are the
// CLIENT-HELLO tlskit sends and the SERVER-HELLO or ERROR it reads back, from the SSL 2.0
// specification (draft-hickman-netscape-ssl-00), whose messages and record header differ from
// every later version's.

// VersionSSL20 is SSL 2.0's version number as its hellos carry it.
const VersionSSL20 uint16 = 0x0002

// SSL 2.0 message types.
const (
	SSLv2MsgError       = 0
	SSLv2MsgClientHello = 1
	SSLv2MsgServerHello = 4
)

// SSLv2Cipher is one SSL 2.0 cipher kind: a three-byte value, where TLS suites have two.
type SSLv2Cipher struct {
	Kind        uint32 // the three bytes, e.g. 0x010080
	Name        string // the specification's, e.g. SSL_CK_RC4_128_WITH_MD5
	OpenSSLName string
	Bits        int    // effective key bits
	Cipher      string // the bulk cipher in CipherSuite.Cipher's words ("RC4-128", "3DES-EDE-CBC")
}

// Suite describes the cipher kind in the terms of a TLS cipher suite, so that what is judged of
// suites (RC4, DES, EXPORT) is judged of SSL 2.0's too: RSA key transport and authentication,
// MD5 for the MAC, export when the key is cut to 40 bits. ID is 0: SSL 2.0 kinds have no
// two-byte number.
func (c SSLv2Cipher) Suite() CipherSuite {
	return CipherSuite{Name: c.Name, OpenSSLName: c.OpenSSLName, KeyExchange: "RSA", Auth: "RSA",
		Cipher: c.Cipher, Bits: c.Bits, MAC: "MD5", Export: c.Bits == 40}
}

// SSLv2Ciphers are the cipher kinds of the SSL 2.0 specification, plus the 64-bit RC4 one
// that OpenSSL and others shipped.
var SSLv2Ciphers = []SSLv2Cipher{
	{0x010080, "SSL_CK_RC4_128_WITH_MD5", "RC4-MD5", 128, "RC4-128"},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "EXP-RC4-MD5", 40, "RC4-40"},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", "RC2-CBC-MD5", 128, "RC2-128-CBC"},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", "EXP-RC2-CBC-MD5", 40, "RC2-40-CBC"},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", "IDEA-CBC-MD5", 128, "IDEA-CBC"},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", "DES-CBC-MD5", 56, "DES-CBC"},
	{0x0700c0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "DES-CBC3-MD5", 168, "3DES-EDE-CBC"},
	{0x080080, "SSL_CK_RC4_64_WITH_MD5", "RC4-64-MD5", 64, "RC4-64"},
}

// SSLv2CipherByKind looks a cipher kind up; ok is false for one not in SSLv2Ciphers.
func SSLv2CipherByKind(kind uint32) (SSLv2Cipher, bool) {
	for _, c := range SSLv2Ciphers {
		if c.Kind == kind {
			return c, true
		}
	}
	return SSLv2Cipher{}, false
}

// MarshalSSLv2ClientHello builds an SSL 2.0 CLIENT-HELLO record (two-byte header) offering
// kinds, with no session id and challenge as the challenge (16 to 32 bytes).
func MarshalSSLv2ClientHello(kinds []uint32, challenge []byte) ([]byte, error) {
	if len(challenge) < 16 || len(challenge) > 32 {
		return nil, fmt.Errorf("sslv2: challenge is %d bytes, want 16 to 32", len(challenge))
	}
	if len(kinds) == 0 {
		return nil, errors.New("sslv2: no cipher kinds to offer")
	}
	body := []byte{SSLv2MsgClientHello, byte(VersionSSL20 >> 8), byte(VersionSSL20)}
	body = append(body, byte(3*len(kinds)>>8), byte(3*len(kinds)), 0, 0, 0, byte(len(challenge)))
	for _, k := range kinds {
		body = append(body, byte(k>>16), byte(k>>8), byte(k))
	}
	body = append(body, challenge...)
	if len(body) > 0x7fff {
		return nil, errors.New("sslv2: CLIENT-HELLO too long")
	}
	return append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...), nil
}

// SSLv2ServerHello is what a server that speaks SSL 2.0 answers a CLIENT-HELLO with.
type SSLv2ServerHello struct {
	SessionIDHit    bool
	CertificateType uint8
	Version         uint16
	Certificate     []byte
	// Kinds are the cipher kinds the server offers from the client's list.
	Kinds        []uint32
	ConnectionID []byte
}

// SSLv2Error is an SSL 2.0 ERROR message: the server's refusal (0x0001 is NO-CIPHER-ERROR).
type SSLv2Error struct {
	Code uint16
}

func (e *SSLv2Error) Error() string {
	names := map[uint16]string{1: "no cipher", 2: "no certificate", 4: "bad certificate", 6: "unsupported certificate type"}
	if n, ok := names[e.Code]; ok {
		return "sslv2: server error: " + n
	}
	return fmt.Sprintf("sslv2: server error 0x%04x", e.Code)
}

// ErrSSLv2Short says more bytes are needed for a whole SSL 2.0 record.
var ErrSSLv2Short = errors.New("sslv2: record incomplete")

// sslv2MaxRecord bounds what ParseSSLv2Record accepts: the two-byte header allows 32767 bytes,
// far more than a SERVER-HELLO with a certificate chain needs; anything larger is not SSL 2.0.
const sslv2MaxRecord = 0x7fff

// ParseSSLv2Record reads one SSL 2.0 record from the start of stream and returns its body. Only
// the two-byte header (top bit set) is accepted, which is what servers send for hellos; a
// TLS record, or anything else, is a *DecodeError.
func ParseSSLv2Record(stream []byte) (body []byte, err error) {
	if len(stream) < 2 {
		return nil, ErrSSLv2Short
	}
	if stream[0]&0x80 == 0 {
		return nil, malformed("SSL 2.0 record", "not a two-byte header (0x%02x 0x%02x)", stream[0], stream[1])
	}
	n := int(stream[0]&0x7f)<<8 | int(stream[1])
	if n == 0 || n > sslv2MaxRecord {
		return nil, malformed("SSL 2.0 record", "length %d", n)
	}
	if len(stream) < 2+n {
		return nil, ErrSSLv2Short
	}
	return stream[2 : 2+n], nil
}

// ParseSSLv2ServerHello decodes a record body: a SERVER-HELLO, or an ERROR returned as an
// *SSLv2Error; anything else is a *DecodeError.
func ParseSSLv2ServerHello(body []byte) (*SSLv2ServerHello, error) {
	if len(body) == 0 {
		return nil, malformed("SSL 2.0 message", "empty")
	}
	switch body[0] {
	case SSLv2MsgError:
		if len(body) < 3 {
			return nil, malformed("SSL 2.0 ERROR", "truncated")
		}
		return nil, &SSLv2Error{Code: uint16(body[1])<<8 | uint16(body[2])}
	case SSLv2MsgServerHello:
	default:
		return nil, malformed("SSL 2.0 message", "type %d where SERVER-HELLO was expected", body[0])
	}
	if len(body) < 11 {
		return nil, malformed("SSL 2.0 SERVER-HELLO", "truncated")
	}
	u16 := func(i int) int { return int(body[i])<<8 | int(body[i+1]) }
	sh := &SSLv2ServerHello{
		SessionIDHit:    body[1] != 0,
		CertificateType: body[2],
		Version:         uint16(u16(3)),
	}
	certLen, specsLen, idLen := u16(5), u16(7), u16(9)
	if specsLen%3 != 0 {
		return nil, malformed("SSL 2.0 SERVER-HELLO", "cipher specs length %d is not a multiple of 3", specsLen)
	}
	rest := body[11:]
	if len(rest) != certLen+specsLen+idLen {
		return nil, malformed("SSL 2.0 SERVER-HELLO", "announces %d bytes and holds %d", certLen+specsLen+idLen, len(rest))
	}
	sh.Certificate = rest[:certLen]
	specs := rest[certLen : certLen+specsLen]
	for i := 0; i < len(specs); i += 3 {
		sh.Kinds = append(sh.Kinds, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	sh.ConnectionID = rest[certLen+specsLen:]
	return sh, nil
}
