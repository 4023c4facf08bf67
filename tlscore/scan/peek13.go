package scan

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// The TLS 1.3 peek: a handshake taken as far as the server's CertificateVerify, which is as far
// as the server's side goes before the client has to prove anything. A TLS 1.3 server encrypts
// everything after its ServerHello (EncryptedExtensions, Certificate, CertificateVerify), so the
// peek sends a real key share whose private key it keeps, derives the server's handshake
// traffic secret (RFC 8446 §7.1) and decrypts the flight. It never finishes the handshake: the
// connection is closed once the CertificateVerify is read.

// Bounds on what a peek reads: the byte bound of a probe, a chain of a few certificates per
// message, and a few records more than a server's flight needs.
const (
	peekMaxBytes   = probeMaxBytes
	peekMaxMessage = 128 << 10
	peekMaxRecords = 64
)

// peek13Result is what a TLS 1.3 peek saw. Fields are set as far as the handshake got: a
// HelloRetryRequest and no ServerHello, a ServerHello and nothing decrypted, and so on.
type peek13Result struct {
	// HelloRetryRequest is the server's HelloRetryRequest when it asked for another key share
	// (the peek then retried once, with the group it asked for).
	HelloRetryRequest *wire.ServerHello
	// Hello is the TLS 1.3 ServerHello.
	Hello *wire.ServerHello
	// Group is the key-exchange group of the handshake (the share the ServerHello answered).
	Group uint16
	// EncryptedExtensions is the server's first encrypted message, decoded (ALPN, server name
	// acknowledgement, supported groups, record size limit ...).
	EncryptedExtensions *wire.EncryptedExtensions
	// CertificateRequested: the server sent a CertificateRequest (it asks for a client
	// certificate).
	CertificateRequested bool
	// Certificate is the server's Certificate message, entries leaf first with their DER and
	// TLS 1.3 per-certificate extensions (stapled OCSP, SCTs).
	Certificate *wire.Certificate
	// CertificateVerify holds the signature scheme the server signed the handshake with.
	CertificateVerify *wire.CertificateVerify
}

// Chain is the certificate chain (DER, leaf first), nil when no Certificate was read.
func (r *peek13Result) Chain() [][]byte {
	if r == nil || r.Certificate == nil {
		return nil
	}
	chain := make([][]byte, 0, len(r.Certificate.Entries))
	for _, e := range r.Certificate.Entries {
		chain = append(chain, e.DER)
	}
	return chain
}

// peekCurve is the crypto/ecdh curve of a group, nil for a group the peek cannot share on (the
// post-quantum hybrids, X448, FFDHE).
func peekCurve(group uint16) ecdh.Curve {
	switch group {
	case wire.GroupX25519:
		return ecdh.X25519()
	case wire.GroupSecp256r1:
		return ecdh.P256()
	case wire.GroupSecp384r1:
		return ecdh.P384()
	case wire.GroupSecp521r1:
		return ecdh.P521()
	}
	return nil
}

// peek13 runs a TLS 1.3 peek with the ClientHello of spec (its suites, groups, signature
// algorithms, server name, ALPN), under the prober's bounds. The key share is made here: for
// the group of spec's first KeyShares entry when it has one (its PublicKey is ignored), else
// for the first group of spec.Groups that crypto/ecdh implements. A HelloRetryRequest for
// another group of spec.Groups is followed once.
//
// The outcome is outHello when the flight was read to the CertificateVerify; outRefused when
// the server turned the ClientHello down (an alert or a silent close before any ServerHello,
// or a ServerHello of another version: it has no TLS 1.3 for this offer); outInconclusive
// otherwise (out.hello is then the last ServerHello or HelloRetryRequest read, if any, and
// out.alert an alert after it). The result is never nil and holds what was read.
func (s *scanner) peek13(ctx context.Context, spec wire.ClientHelloSpec) (*peek13Result, outcome) {
	res := &peek13Result{}
	spec.CipherSuites = slices.Clone(spec.CipherSuites)
	spec.Groups = slices.Clone(spec.Groups)
	if spec.Random == nil {
		// A retried ClientHello is the first one with a new share (RFC 8446 §4.1.2): the
		// same random and session ID.
		spec.Random = randomBytes(32)
	}
	if spec.SessionID == nil {
		spec.SessionID = randomBytes(32)
	}
	if !slices.Contains(spec.SupportedVersions, wire.VersionTLS13) {
		spec.SupportedVersions = []uint16{wire.VersionTLS13}
	}
	var group uint16
	if len(spec.KeyShares) > 0 {
		group = spec.KeyShares[0].Group
	} else if i := slices.IndexFunc(spec.Groups, func(g uint16) bool { return peekCurve(g) != nil }); i >= 0 {
		group = spec.Groups[i]
	}
	if peekCurve(group) == nil {
		return res, outcome{kind: outInconclusive, err: fmt.Errorf("peek: no group to make a key share for (%s)", wire.GroupName(group))}
	}
	if !slices.Contains(spec.Groups, group) {
		spec.Groups = append([]uint16{group}, spec.Groups...)
	}
	out := s.p.exchange(ctx, func(conn net.Conn) outcome {
		return peek13Talk(conn, spec, group, res)
	})
	return res, out
}

// peek13Talk is the peek's conversation on one connection.
func peek13Talk(conn net.Conn, spec wire.ClientHelloSpec, group uint16, res *peek13Result) outcome {
	curve := peekCurve(group)
	key, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return outcome{kind: outInconclusive, err: fmt.Errorf("peek: making a %s key: %w", wire.GroupName(group), err)}
	}
	spec.KeyShares = []wire.KeyShareSpec{{Group: group, PublicKey: key.PublicKey().Bytes()}}
	ch1, err := wire.MarshalClientHello(spec)
	if err != nil {
		return outcome{kind: outInconclusive, err: fmt.Errorf("peek: %w", err)}
	}
	if _, err := conn.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS10, ch1)); err != nil {
		return outcome{kind: outInconclusive, err: fmt.Errorf("peek: sending the ClientHello: %w", err)}
	}
	pr := &plainReader{r: newFlightReader(conn, peekMaxBytes)}
	pr.asm.MaxMessageSize = peekMaxMessage
	m, out := pr.next(nil)
	if m == nil {
		return out
	}
	sh, out := serverHello13(*m, spec, nil)
	if sh == nil {
		return out
	}
	transcript := [][]byte{ch1, m.Raw}
	if sh.IsHelloRetryRequest {
		res.HelloRetryRequest = sh
		g := sh.SelectedGroup
		switch {
		case g == group:
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: HelloRetryRequest for %s, the group already shared", wire.GroupName(g))}
		case !slices.Contains(spec.Groups, g):
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: HelloRetryRequest for %s, which was not offered", wire.GroupName(g))}
		case peekCurve(g) == nil:
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: HelloRetryRequest for %s, which the peek cannot make a key share for", wire.GroupName(g))}
		}
		group, curve = g, peekCurve(g)
		if key, err = curve.GenerateKey(rand.Reader); err != nil {
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: making a %s key: %w", wire.GroupName(g), err)}
		}
		spec.KeyShares = []wire.KeyShareSpec{{Group: g, PublicKey: key.PublicKey().Bytes()}}
		for _, e := range sh.Extensions {
			if e.Type == wire.ExtCookie {
				// The cookie goes back as it came, extension header and all.
				spec.ExtraExtensions = append(slices.Clone(spec.ExtraExtensions), wire.Extension{Type: wire.ExtCookie, Data: e.Data})
			}
		}
		ch2, err := wire.MarshalClientHello(spec)
		if err != nil {
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: the second ClientHello: %w", err)}
		}
		if _, err := conn.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, ch2)); err != nil {
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: sending the second ClientHello: %w", err)}
		}
		mh, err := keyschedule.MessageHash(sh.CipherSuite, ch1)
		if err != nil {
			return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: %w", err)}
		}
		transcript = [][]byte{mh, m.Raw, ch2}
		hrr := sh
		if m, out = pr.next(hrr); m == nil {
			return out
		}
		if sh, out = serverHello13(*m, spec, hrr); sh == nil {
			return out
		}
		if sh.IsHelloRetryRequest {
			return outcome{kind: outInconclusive, hello: sh, err: errors.New("peek: a second HelloRetryRequest")}
		}
		if sh.CipherSuite != hrr.CipherSuite {
			return outcome{kind: outInconclusive, hello: sh, err: errors.New("peek: the ServerHello's suite is not the HelloRetryRequest's")}
		}
		transcript = append(transcript, m.Raw)
	}
	res.Hello = sh
	if sh.KeyShare == nil || sh.KeyShare.Group != group {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: the ServerHello has no %s key share", wire.GroupName(group))}
	}
	res.Group = group
	peer, err := curve.NewPublicKey(sh.KeyShare.PublicKey)
	if err != nil {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: the server's %s share: %w", wire.GroupName(group), err)}
	}
	shared, err := key.ECDH(peer)
	if err != nil {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: %s: %w", wire.GroupName(group), err)}
	}
	th, err := keyschedule.TranscriptHash(sh.CipherSuite, transcript...)
	if err != nil {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: %w", err)}
	}
	_, serverSecret, err := keyschedule.HandshakeTrafficSecrets(sh.CipherSuite, shared, th)
	if err != nil {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: %w", err)}
	}
	dec, err := keyschedule.NewRecordDecrypter(sh.CipherSuite, serverSecret)
	if err != nil {
		return outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: %w", err)}
	}
	if pr.asm.Pending() > 0 {
		return outcome{kind: outInconclusive, hello: sh, err: errors.New("peek: plaintext handshake data after the ServerHello")}
	}
	out = readEncryptedFlight(pr, dec, res)
	out.hello = sh
	return out
}

// serverHello13 parses the first message of the server's answer as a TLS 1.3 ServerHello (or
// HelloRetryRequest) to spec. A ServerHello of an older version is a refusal of TLS 1.3;
// one whose suite was not offered proves nothing.
func serverHello13(m wire.Message, spec wire.ClientHelloSpec, prev *wire.ServerHello) (*wire.ServerHello, outcome) {
	if m.Type != wire.TypeServerHello {
		return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: server sent %s before ServerHello", m.Name())}
	}
	sh, err := wire.ParseServerHello(m.Body)
	if err != nil {
		return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: %w", err)}
	}
	if v := sh.Version(); v != wire.VersionTLS13 {
		return nil, outcome{kind: outRefused, hello: sh, err: fmt.Errorf("peek: the server answered with %s", wire.VersionName(v))}
	}
	if !slices.Contains(spec.CipherSuites, sh.CipherSuite) {
		return nil, outcome{kind: outInconclusive, hello: sh, err: fmt.Errorf("peek: the server chose %s, which was not offered", wire.CipherSuiteName(sh.CipherSuite))}
	}
	return sh, outcome{}
}

// plainReader reads the plaintext handshake messages before the encryption starts, skipping
// the middlebox-compatibility ChangeCipherSpec, and counts the records against peekMaxRecords.
type plainReader struct {
	r    *flightReader
	asm  wire.Assembler
	recs []wire.Record // framed and not yet handled
	nrec int
	err  error // the error of the last fill, once recs are handled
}

// record returns the next record (valid until the next call), or an error: the read's, a
// framing error, or the record bound.
func (p *plainReader) record() (wire.Record, error) {
	for len(p.recs) == 0 {
		if p.err != nil {
			return wire.Record{}, p.err
		}
		p.err = p.r.fill()
		recs, perr := p.r.records()
		if perr != nil {
			return wire.Record{}, perr
		}
		p.recs = recs
	}
	rec := p.recs[0]
	p.recs = p.recs[1:]
	if p.nrec++; p.nrec > peekMaxRecords {
		return wire.Record{}, fmt.Errorf("no CertificateVerify within %d records", peekMaxRecords)
	}
	return rec, nil
}

// next returns the next plaintext handshake message, or nil and the outcome that ends the peek:
// an alert or a silent close before any ServerHello (prev nil) is a refusal, anything else
// proves nothing.
func (p *plainReader) next(prev *wire.ServerHello) (*wire.Message, outcome) {
	for {
		rec, err := p.record()
		if err != nil {
			if errors.Is(err, io.EOF) && p.r.pending() == 0 && p.asm.Pending() == 0 {
				return nil, outcome{kind: outRefused, hello: prev, err: err}
			}
			return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: %w", err)}
		}
		switch rec.Type {
		case wire.ContentAlert:
			a, aerr := wire.ParseAlert(rec.Payload)
			if aerr != nil {
				return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: %w", aerr)}
			}
			return nil, outcome{kind: outRefused, hello: prev, alert: a}
		case wire.ContentChangeCipherSpec:
			continue
		case wire.ContentHandshake:
			msgs, herr := p.asm.Add(rec.Payload)
			if herr != nil {
				return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: %w", herr)}
			}
			if len(msgs) == 0 {
				continue
			}
			if len(msgs) > 1 || p.asm.Pending() > 0 {
				// A ServerHello is the last message of its record in TLS 1.3: what follows it
				// is encrypted (or, after a HelloRetryRequest, the client's turn).
				return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: plaintext handshake data after %s", msgs[0].Name())}
			}
			return &msgs[0], outcome{}
		default:
			return nil, outcome{kind: outInconclusive, hello: prev, err: fmt.Errorf("peek: server sent a %s record before ServerHello", wire.ContentTypeName(rec.Type))}
		}
	}
}

// readEncryptedFlight decrypts the server's records after its ServerHello with dec and reads
// EncryptedExtensions, an optional CertificateRequest, Certificate and CertificateVerify into
// res. It stops at the CertificateVerify (outHello). Garbage, records that do not decrypt, an
// alert, messages out of order or over the bounds are outInconclusive, with what was read so
// far kept in res.
func readEncryptedFlight(p *plainReader, dec *keyschedule.RecordDecrypter, res *peek13Result) outcome {
	var asm wire.Assembler
	asm.MaxMessageSize = peekMaxMessage
	fail := func(format string, args ...any) outcome {
		return outcome{kind: outInconclusive, err: fmt.Errorf("peek: "+format, args...)}
	}
	for {
		rec, err := p.record()
		if err != nil {
			return fail("reading the server's encrypted flight: %w", err)
		}
		switch rec.Type {
		case wire.ContentChangeCipherSpec:
			continue
		case wire.ContentApplicationData:
		case wire.ContentAlert:
			// A plaintext alert after the ServerHello: the server could not read our (absent)
			// answer, or gave up.
			a, _ := wire.ParseAlert(rec.Payload)
			out := fail("plaintext alert after the ServerHello")
			out.alert = a
			return out
		default:
			return fail("a %s record after the ServerHello", wire.ContentTypeName(rec.Type))
		}
		// The header, as it came, is the AEAD's additional data.
		raw := append([]byte{rec.Type, byte(rec.Version >> 8), byte(rec.Version), byte(len(rec.Payload) >> 8), byte(len(rec.Payload))}, rec.Payload...)
		typ, plain, err := dec.Decrypt(raw)
		if err != nil {
			return fail("decrypting the server's flight: %w", err)
		}
		switch typ {
		case wire.ContentHandshake:
		case wire.ContentAlert:
			a, aerr := wire.ParseAlert(plain)
			if aerr != nil {
				return fail("%w", aerr)
			}
			out := fail("%s alert within the server's encrypted flight", a)
			out.alert = a
			return out
		default:
			return fail("an encrypted %s record within the server's flight", wire.ContentTypeName(typ))
		}
		msgs, herr := asm.Add(plain)
		if herr != nil {
			return fail("%w", herr)
		}
		for _, m := range msgs {
			if out, done := res.add(m); done {
				return out
			}
		}
	}
}

// add takes one decrypted handshake message in the order RFC 8446 §4 sets; done is set when
// the peek has ended, with its outcome.
func (res *peek13Result) add(m wire.Message) (out outcome, done bool) {
	fail := func(format string, args ...any) (outcome, bool) {
		return outcome{kind: outInconclusive, err: fmt.Errorf("peek: "+format, args...)}, true
	}
	switch {
	case res.EncryptedExtensions == nil:
		if m.Type != wire.TypeEncryptedExtensions {
			return fail("server sent %s, not EncryptedExtensions", m.Name())
		}
		ee, err := wire.ParseEncryptedExtensions(m.Body)
		if err != nil {
			return fail("%w", err)
		}
		res.EncryptedExtensions = ee
	case res.Certificate == nil && m.Type == wire.TypeCertificateRequest && !res.CertificateRequested:
		if _, err := wire.ParseCertificateRequest(m.Body, true); err != nil {
			return fail("%w", err)
		}
		res.CertificateRequested = true
	case res.Certificate == nil:
		if m.Type != wire.TypeCertificate {
			// A Finished here is a PSK handshake, which the peek never offers.
			return fail("server sent %s, not Certificate", m.Name())
		}
		c, err := wire.ParseCertificate(m.Body, true)
		if err != nil {
			return fail("%w", err)
		}
		if len(c.Entries) == 0 {
			return fail("the server's Certificate is empty")
		}
		res.Certificate = c
	default:
		if m.Type != wire.TypeCertificateVerify {
			return fail("server sent %s, not CertificateVerify", m.Name())
		}
		cv, err := wire.ParseCertificateVerify(m.Body, wire.VersionTLS13)
		if err != nil {
			return fail("%w", err)
		}
		res.CertificateVerify = cv
		return outcome{kind: outHello}, true
	}
	return outcome{}, false
}
