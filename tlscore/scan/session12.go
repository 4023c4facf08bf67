package scan

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// session12 is a TLS 1.2 connection completed by hand: what a check needs to talk to a server
// under the session's own keys (crypto/tls cannot, for one, start a renegotiation). It is a
// probe, not a secure client: the certificate and the ServerKeyExchange signature are not
// verified, since a scanner must get through to servers whatever their certificate. The server's
// Finished is verified, so the keys are known to be the server's.
type session12 struct {
	conn  net.Conn
	r     *flightReader
	queue []wire.Record // framed and not yet handed out; payloads are owned copies
	nrec  int           // records read
	rerr  error         // the read error that ends the stream, once the queue is empty

	suite                      tls12.Suite
	hello                      *wire.ServerHello
	clientRandom, serverRandom []byte
	transcript                 []byte
	master                     []byte
	ems                        bool
	group                      uint16 // the ECDHE curve; 0 for RSA key transport
	// clientVerify and serverVerify are the Finished verify_data, which a renegotiation's
	// renegotiation_info must carry (RFC 5746 section 3.5).
	clientVerify, serverVerify []byte
	// out and in protect records once each side's ChangeCipherSpec is sent or read; pendingIn
	// waits for the server's.
	out, in, pendingIn *tls12.RecordCipher
	msgs               []wire.Message // assembled and not yet handed out
}

// Bounds on what a session reads: a first handshake, a renegotiation's first flight and some
// application data fit in far fewer bytes and records.
const (
	session12MaxBytes   = 256 << 10
	session12MaxRecords = 64
)

// errServerClosed is the end of the server's stream, between records; it is an io.EOF.
type errServerClosed struct{}

func (errServerClosed) Error() string { return "the server closed the connection" }
func (errServerClosed) Unwrap() error { return io.EOF }

// alertError is an alert the server sent where a message was expected.
type alertError struct{ alert *wire.Alert }

func (e *alertError) Error() string { return "the server sent " + e.alert.String() }

// offersEMS says whether a hello spec asks for the extended master secret.
func offersEMS(spec wire.ClientHelloSpec) bool {
	return slices.ContainsFunc(spec.ExtraExtensions, func(e wire.Extension) bool { return e.Type == wire.ExtExtendedMasterSecret })
}

// handshake12 completes a TLS 1.2 handshake on conn with the ClientHello spec describes
// (offering session12's suites; see suite12ByID). It adds TLS_EMPTY_RENEGOTIATION_INFO_SCSV
// unless spec carries renegotiation_info, so the server says whether it renegotiates securely.
// The extended master secret is used when spec offers it and the server echoes it. Reads stay
// within the conn's deadline and session12MaxBytes/session12MaxRecords. On an error the
// session is returned too (nil only when nothing was sent), with what was learned: its
// ServerHello, when one came. An alert from the server is an *alertError in the chain.
func handshake12(conn net.Conn, spec wire.ClientHelloSpec) (*session12, error) {
	s := &session12{conn: conn, r: newFlightReader(conn, session12MaxBytes)}
	if !slices.Contains(spec.CipherSuites, scsvRenegotiation) &&
		!slices.ContainsFunc(spec.ExtraExtensions, func(e wire.Extension) bool { return e.Type == wire.ExtRenegotiationInfo }) {
		spec.CipherSuites = append(slices.Clone(spec.CipherSuites), scsvRenegotiation)
	}
	if spec.Version == 0 {
		spec.Version = wire.VersionTLS12
	}
	if spec.Random == nil {
		spec.Random = randomBytes(32)
	}
	s.clientRandom = spec.Random
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		return nil, err
	}
	s.transcript = append(s.transcript, hello...)
	// The record layer says TLS 1.0 in the first hello, as the probes' do and as common
	// clients do, for the servers that reject anything newer there.
	if _, err := conn.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS10, hello)); err != nil {
		return nil, fmt.Errorf("sending the ClientHello: %w", err)
	}
	if err := s.readServerFlight(spec); err != nil {
		return s, err
	}
	if err := s.readServerFinished(); err != nil {
		return s, err
	}
	return s, nil
}

// readServerFlight reads ServerHello to ServerHelloDone and answers it with the client's
// flight, up to and including its Finished.
func (s *session12) readServerFlight(spec wire.ClientHelloSpec) error {
	asm := wire.Assembler{MaxMessageSize: session12MaxBytes}
	var leaf *x509.Certificate
	var ske *wire.ServerKeyExchange
	certRequested := false
	for done := false; !done; {
		m, err := s.readHandshake(&asm)
		if err != nil {
			if s.hello == nil {
				return fmt.Errorf("reading the ServerHello: %w", err)
			}
			return fmt.Errorf("reading the server's first flight: %w", err)
		}
		if s.hello == nil && m.Type != wire.TypeServerHello {
			return fmt.Errorf("the server sent %s before ServerHello", m.Name())
		}
		s.transcript = append(s.transcript, m.Raw...)
		switch m.Type {
		case wire.TypeServerHello:
			if s.hello != nil {
				return errors.New("the server sent a second ServerHello")
			}
			if err := s.acceptServerHello(m.Body, spec); err != nil {
				return err
			}
		case wire.TypeCertificate:
			c, err := wire.ParseCertificate(m.Body, false)
			if err != nil {
				return err
			}
			if len(c.Entries) == 0 {
				return errors.New("the server's Certificate message is empty")
			}
			if leaf, err = x509.ParseCertificate(c.Entries[0].DER); err != nil {
				return fmt.Errorf("the server's certificate: %w", err)
			}
		case wire.TypeCertificateStatus:
		case wire.TypeServerKeyExchange:
			if ske, err = wire.ParseServerKeyExchange(m.Body, s.suite.CipherSuite().KeyExchange, wire.VersionTLS12); err != nil {
				return err
			}
		case wire.TypeCertificateRequest:
			certRequested = true
		case wire.TypeServerHelloDone:
			done = true
		default:
			return fmt.Errorf("the server sent %s in its first flight", m.Name())
		}
	}
	if asm.Pending() > 0 || len(s.queue) > 0 || len(s.msgs) > 0 {
		return errors.New("the server sent more after ServerHelloDone")
	}

	premaster, cke, err := s.keyExchange(leaf, ske)
	if err != nil {
		return err
	}
	var flight []byte
	if certRequested {
		// No client certificate: an empty list, which a server that requires one refuses.
		flight = append(flight, wire.HandshakeMessage(wire.TypeCertificate, []byte{0, 0, 0})...)
	}
	flight = append(flight, wire.HandshakeMessage(wire.TypeClientKeyExchange, cke)...)
	s.transcript = append(s.transcript, flight...)
	if s.ems {
		s.master = s.suite.PRF(premaster, "extended master secret", s.suite.TranscriptHash(s.transcript), 48)
	} else {
		s.master = s.suite.PRF(premaster, "master secret", append(slices.Clone(s.clientRandom), s.serverRandom...), 48)
	}
	client, server, err := tls12.Keys(s.suite, s.master, s.clientRandom, s.serverRandom)
	if err != nil {
		return err
	}
	if err := s.writeRecord(wire.ContentHandshake, flight); err != nil {
		return fmt.Errorf("sending the ClientKeyExchange: %w", err)
	}
	if err := s.writeRecord(wire.ContentChangeCipherSpec, []byte{1}); err != nil {
		return fmt.Errorf("sending the ChangeCipherSpec: %w", err)
	}
	s.out, s.in = client, nil
	s.clientVerify = s.suite.PRF(s.master, "client finished", s.suite.TranscriptHash(s.transcript), 12)
	fin := wire.HandshakeMessage(wire.TypeFinished, s.clientVerify)
	s.transcript = append(s.transcript, fin...)
	if err := s.writeRecord(wire.ContentHandshake, fin); err != nil {
		return fmt.Errorf("sending the Finished: %w", err)
	}
	s.pendingIn = server
	return nil
}

// acceptServerHello checks the ServerHello against what was offered and keeps what the rest
// of the handshake needs.
func (s *session12) acceptServerHello(body []byte, spec wire.ClientHelloSpec) error {
	sh, err := wire.ParseServerHello(body)
	if err != nil {
		return err
	}
	s.hello = sh
	if v := sh.Version(); v != wire.VersionTLS12 {
		return fmt.Errorf("the server chose %s, not TLS 1.2", wire.VersionName(v))
	}
	if !slices.Contains(spec.CipherSuites, sh.CipherSuite) || sh.CipherSuite == scsvRenegotiation {
		return fmt.Errorf("the server chose %s, which was not offered", wire.CipherSuiteName(sh.CipherSuite))
	}
	if sh.CompressionMethod != 0 {
		return fmt.Errorf("the server chose compression method %d, which was not offered", sh.CompressionMethod)
	}
	var ok bool
	if s.suite, ok = tls12.SuiteByID(sh.CipherSuite); !ok {
		return fmt.Errorf("the server chose %s, which this client does not implement", wire.CipherSuiteName(sh.CipherSuite))
	}
	for _, e := range sh.Extensions {
		// RFC 5746 section 3.4: a first handshake's renegotiated_connection is empty.
		if e.Type == wire.ExtRenegotiationInfo && !bytes.Equal(e.Data, []byte{0}) {
			return fmt.Errorf("the server's renegotiation_info is not empty in a first handshake (%x)", e.Data)
		}
	}
	s.serverRandom = slices.Clone([]byte(sh.Random))
	s.ems = sh.ExtendedMasterSecret && offersEMS(spec)
	if sh.ExtendedMasterSecret && !offersEMS(spec) {
		return errors.New("the server sent extended_master_secret, which was not offered")
	}
	return nil
}

// keyExchange makes the premaster secret and the ClientKeyExchange body.
func (s *session12) keyExchange(leaf *x509.Certificate, ske *wire.ServerKeyExchange) (premaster, cke []byte, err error) {
	switch s.suite.CipherSuite().KeyExchange {
	case "ECDHE":
		if ske == nil {
			return nil, nil, errors.New("the server sent no ServerKeyExchange for an ECDHE suite")
		}
		var curve ecdh.Curve
		switch ske.Group {
		case wire.GroupX25519:
			curve = ecdh.X25519()
		case wire.GroupSecp256r1:
			curve = ecdh.P256()
		case wire.GroupSecp384r1:
			curve = ecdh.P384()
		default:
			return nil, nil, fmt.Errorf("the server chose the curve %s, which this client does not implement", wire.GroupName(ske.Group))
		}
		peer, err := curve.NewPublicKey(ske.PublicKey)
		if err != nil {
			return nil, nil, fmt.Errorf("the server's %s share: %w", wire.GroupName(ske.Group), err)
		}
		priv, err := curve.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		if premaster, err = priv.ECDH(peer); err != nil {
			return nil, nil, fmt.Errorf("ECDH with the server's %s share: %w", wire.GroupName(ske.Group), err)
		}
		s.group = ske.Group
		pub := priv.PublicKey().Bytes()
		return premaster, append([]byte{byte(len(pub))}, pub...), nil
	case "RSA":
		if leaf == nil {
			return nil, nil, errors.New("the server sent no certificate for an RSA key transport suite")
		}
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, nil, fmt.Errorf("the server's certificate has a %T key, not RSA, for an RSA key transport suite", leaf.PublicKey)
		}
		// The premaster secret starts with the version the client offered (RFC 5246 7.4.7.1).
		premaster = append([]byte{3, 3}, randomBytes(46)...)
		enc, err := rsa.EncryptPKCS1v15(rand.Reader, pub, premaster)
		if err != nil {
			return nil, nil, fmt.Errorf("encrypting the premaster secret: %w", err)
		}
		return premaster, append([]byte{byte(len(enc) >> 8), byte(len(enc))}, enc...), nil
	}
	return nil, nil, fmt.Errorf("key exchange %s is not implemented", s.suite.CipherSuite().KeyExchange)
}

// readServerFinished reads the server's ChangeCipherSpec (after a NewSessionTicket, should it
// send one) and checks its Finished.
func (s *session12) readServerFinished() error {
	asm := wire.Assembler{MaxMessageSize: session12MaxBytes}
	for s.in == nil {
		rec, err := s.nextRecord()
		if err != nil {
			return fmt.Errorf("reading the server's ChangeCipherSpec: %w", err)
		}
		switch rec.Type {
		case wire.ContentChangeCipherSpec:
			if !bytes.Equal(rec.Payload, []byte{1}) || asm.Pending() > 0 {
				return errors.New("malformed ChangeCipherSpec from the server")
			}
			s.in, s.pendingIn = s.pendingIn, nil
		case wire.ContentHandshake:
			msgs, err := asm.Add(rec.Payload)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if m.Type != wire.TypeNewSessionTicket {
					return fmt.Errorf("the server sent %s before its ChangeCipherSpec", m.Name())
				}
				s.transcript = append(s.transcript, m.Raw...)
			}
		case wire.ContentAlert:
			return alertFrom(rec.Payload)
		default:
			return fmt.Errorf("the server sent a %s record before its ChangeCipherSpec", wire.ContentTypeName(rec.Type))
		}
	}
	want := s.suite.PRF(s.master, "server finished", s.suite.TranscriptHash(s.transcript), 12)
	m, err := s.readHandshake(&asm)
	if err != nil {
		return fmt.Errorf("reading the server's Finished: %w", err)
	}
	if m.Type != wire.TypeFinished {
		return fmt.Errorf("the server sent %s instead of Finished", m.Name())
	}
	if !bytes.Equal(m.Body, want) {
		return errors.New("the server's Finished does not verify: it does not hold the session's keys")
	}
	s.transcript = append(s.transcript, m.Raw...)
	s.serverVerify = slices.Clone(m.Body)
	return nil
}

// readHandshake returns the next handshake message, reading (and decrypting) records as
// needed. Anything but handshake records is an error; an alert is an *alertError.
func (s *session12) readHandshake(asm *wire.Assembler) (wire.Message, error) {
	for {
		if m, ok := s.pendingMsg(); ok {
			return m, nil
		}
		typ, payload, err := s.readRecord()
		if err != nil {
			return wire.Message{}, err
		}
		switch typ {
		case wire.ContentHandshake:
			msgs, err := asm.Add(payload)
			if err != nil {
				return wire.Message{}, err
			}
			s.msgs = append(s.msgs, msgs...)
		case wire.ContentAlert:
			return wire.Message{}, alertFrom(payload)
		default:
			return wire.Message{}, fmt.Errorf("the server sent a %s record during the handshake", wire.ContentTypeName(typ))
		}
	}
}

func (s *session12) pendingMsg() (wire.Message, bool) {
	if len(s.msgs) == 0 {
		return wire.Message{}, false
	}
	m := s.msgs[0]
	s.msgs = s.msgs[1:]
	return m, true
}

func alertFrom(payload []byte) error {
	a, err := wire.ParseAlert(payload)
	if err != nil {
		return err
	}
	return &alertError{alert: a}
}

// writeRecord sends payload as records of contentType, protected once the client's
// ChangeCipherSpec has been sent.
func (s *session12) writeRecord(contentType uint8, payload []byte) error {
	if s.out == nil {
		_, err := s.conn.Write(wire.WrapRecords(contentType, wire.VersionTLS12, payload))
		return err
	}
	var out []byte
	for first := true; first || len(payload) > 0; first = false {
		frag := payload[:min(len(payload), wire.MaxPlaintextLength)]
		payload = payload[len(frag):]
		sealed, err := s.out.Seal(contentType, frag)
		if err != nil {
			return err
		}
		out = append(out, contentType, 3, 3, byte(len(sealed)>>8), byte(len(sealed)))
		out = append(out, sealed...)
	}
	_, err := s.conn.Write(out)
	return err
}

// readRecord returns the next record's type and payload, decrypted once the server's
// ChangeCipherSpec has been read. A record that fails authentication is tls12.ErrBadRecordMAC.
func (s *session12) readRecord() (contentType uint8, payload []byte, err error) {
	rec, err := s.nextRecord()
	if err != nil {
		return 0, nil, err
	}
	if s.in == nil {
		return rec.Type, rec.Payload, nil
	}
	pt, err := s.in.Open(rec.Type, rec.Payload)
	if err != nil {
		return 0, nil, err
	}
	if len(pt) > wire.MaxPlaintextLength {
		return 0, nil, fmt.Errorf("the server sent a %d-byte record, over the plaintext limit", len(pt))
	}
	return rec.Type, pt, nil
}

// nextRecord returns the next record as framed, within the bounds.
func (s *session12) nextRecord() (wire.Record, error) {
	for len(s.queue) == 0 {
		if s.rerr != nil {
			return wire.Record{}, s.rerr
		}
		err := s.r.fill()
		recs, perr := s.r.records()
		for _, rec := range recs {
			rec.Payload = slices.Clone(rec.Payload)
			s.queue = append(s.queue, rec)
		}
		switch {
		case perr != nil:
			s.rerr = perr
		case err != nil && errors.Is(err, io.EOF) && s.r.pending() > 0:
			s.rerr = fmt.Errorf("the server closed the connection inside a record: %w", io.ErrUnexpectedEOF)
		case errors.Is(err, io.EOF):
			s.rerr = errServerClosed{}
		case err != nil:
			s.rerr = err
		}
	}
	if s.nrec++; s.nrec > session12MaxRecords {
		s.queue = nil
		s.rerr = &FloodError{What: "records", Limit: session12MaxRecords}
		return wire.Record{}, s.rerr
	}
	rec := s.queue[0]
	s.queue = s.queue[1:]
	return rec, nil
}

// ServerHello is the first handshake's ServerHello.
func (s *session12) serverHello() *wire.ServerHello { return s.hello }

// secureRenegotiation says whether the server's ServerHello carried renegotiation_info.
func (s *session12) secureRenegotiation() bool { return s.hello != nil && s.hello.RenegotiationInfo }

// verifyData is the client's and the server's Finished verify_data.
func (s *session12) verifyData() (client, server []byte) { return s.clientVerify, s.serverVerify }
