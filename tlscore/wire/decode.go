package wire

import "fmt"

// Decoder decodes a handshake's messages in order. Several messages cannot be decoded
// without knowing the negotiated version and key exchange (Certificate, CertificateRequest,
// ServerKeyExchange, ClientKeyExchange, NewSessionTicket, CertificateVerify), so the Decoder
// learns them from the ServerHello it decodes. Feed it the messages of both directions in
// the order they were sent; the zero value is ready.
type Decoder struct {
	// Version and CipherSuite are learned from the ServerHello; a caller that already
	// knows them (decrypting TLS 1.3 messages separately) may set them directly.
	Version     uint16
	CipherSuite uint16
}

// Decode decodes one message and returns a pointer to its struct (*ClientHello,
// *ServerHello, *Certificate, ...), or *UnknownMessage for types without a decoder. Errors
// are *DecodeError for malformed messages.
func (d *Decoder) Decode(m Message) (any, error) {
	tls13 := d.Version >= VersionTLS13
	kx := ""
	if cs, ok := CipherSuiteByID(d.CipherSuite); ok {
		kx = cs.KeyExchange
	}
	switch m.Type {
	case TypeClientHello:
		return ParseClientHello(m.Body)
	case TypeServerHello:
		sh, err := ParseServerHello(m.Body)
		if err != nil {
			return nil, err
		}
		d.Version, d.CipherSuite = sh.Version(), sh.CipherSuite
		return sh, nil
	case TypeEncryptedExtensions:
		return ParseEncryptedExtensions(m.Body)
	case TypeCertificate:
		return ParseCertificate(m.Body, tls13)
	case TypeCertificateRequest:
		return ParseCertificateRequest(m.Body, tls13)
	case TypeCertificateStatus:
		return ParseCertificateStatus(m.Body)
	case TypeServerKeyExchange:
		if kx == "" {
			return nil, fmt.Errorf("decoding %s: no ServerHello seen, key exchange unknown", msgServerKeyExchange)
		}
		return ParseServerKeyExchange(m.Body, kx, d.Version)
	case TypeServerHelloDone:
		return ParseServerHelloDone(m.Body)
	case TypeCertificateVerify:
		return ParseCertificateVerify(m.Body, d.Version)
	case TypeClientKeyExchange:
		return ParseClientKeyExchange(m.Body, kx, d.Version)
	case TypeFinished:
		return ParseFinished(m.Body)
	case TypeNewSessionTicket:
		return ParseNewSessionTicket(m.Body, tls13)
	case TypeKeyUpdate:
		return ParseKeyUpdate(m.Body)
	case TypeEndOfEarlyData:
		return ParseEndOfEarlyData(m.Body)
	case TypeMessageHash:
		return ParseMessageHash(m.Body)
	case TypeCompressedCertificate:
		return ParseCompressedCertificate(m.Body)
	case TypeHelloRequest:
		if err := parseEmpty("HelloRequest", m.Body); err != nil {
			return nil, err
		}
		return &HelloRequest{}, nil
	}
	return &UnknownMessage{Type: m.Type, Name: HandshakeTypeName(m.Type), Length: len(m.Body)}, nil
}
