package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/handshake"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Features are what the handshake offers beyond suites and groups: the extensions the server
// answers with, its ALPN and NPN protocols, and resumption.
type Features struct {
	// Version is the version below TLS 1.3 the extension probes used; empty without one.
	Version string `json:"version,omitempty"`
	// Extensions are the extensions of the server's ServerHello to a hello that offered the
	// common ones (TLS 1.2 and older), by name, in its order.
	Extensions []string `json:"extensions"`
	// TLS13Extensions are the extensions of a TLS 1.3 ServerHello and EncryptedExtensions (read
	// by decrypting the server's flight) to a hello that offered the common ones; nil without
	// TLS 1.3.
	TLS13Extensions []string `json:"tls13_extensions,omitempty"`
	// ExtendedMasterSecret (RFC 7627); nil without a version below TLS 1.3.
	ExtendedMasterSecret *bool `json:"extended_master_secret,omitempty"`
	// EncryptThenMAC (RFC 7366), asked with the CBC suites only, since a server echoes it only
	// when it picks one; nil without CBC suites.
	EncryptThenMAC *bool `json:"encrypt_then_mac,omitempty"`
	// ALPN are the protocols the server selected, each offered alone (RFC 7301 lets a server
	// ignore ALPN, so an empty list may also mean it does not use it).
	ALPN []string `json:"alpn"`
	// NPN are the protocols advertised by next_protocol_negotiation; nil when it is not
	// answered.
	NPN []string `json:"npn,omitempty"`
	// SessionIDResumption: a TLS 1.2-or-older session resumed by its session ID alone; nil
	// when not tested (no such version, or no session ID was issued).
	SessionIDResumption *bool `json:"session_id_resumption,omitempty"`
	// TicketResumption12 and TicketResumption13: a session resumed with the server's ticket
	// (RFC 5077; RFC 8446 PSK); nil when the version is not accepted or the handshake failed.
	TicketResumption12 *bool `json:"ticket_resumption_tls12,omitempty"`
	TicketResumption13 *bool `json:"ticket_resumption_tls13,omitempty"`
	// ECH is what the server answered a GREASE Encrypted Client Hello extension with, in the
	// TLS 1.3 extension probe; nil without TLS 1.3 or when that probe failed.
	ECH *ECHOffer `json:"ech,omitempty"`
}

// ECHOffer is a server's answer to a client that sent a GREASE ECH extension (RFC 9849 section
// 6.2): a server with ECH keys sends its configs to retry with in EncryptedExtensions.
type ECHOffer struct {
	// RetryConfigs offered: the server supports ECH.
	RetryConfigs bool `json:"retry_configs"`
	// Configs are those configs, decoded; ConfigList is them as one list (base64 in JSON), as
	// `tlskit handshake --ech` takes it.
	Configs    []inspect.ECHConfigDetails `json:"configs,omitempty"`
	ConfigList []byte                     `json:"config_list,omitempty"`
	// Error says why the configs did not decode.
	Error string `json:"error,omitempty"`
}

// alpnProtocols are the ALPN identifiers offered one at a time: IANA's registry, the
// deprecated SPDY ones included, as testssl offers them.
var alpnProtocols = []string{
	"h2", "http/1.1", "http/1.0", "spdy/3.1", "spdy/3", "spdy/2", "spdy/1", "grpc-exp", "h2-fb",
	"acme-tls/1", "stun.turn", "stun.nat-discovery", "webrtc", "c-webrtc", "ftp", "imap", "pop3",
	"managesieve", "xmpp-client", "xmpp-server", "mqtt", "dot", "coap", "postgresql", "irc", "nntp", "nnsp",
	"sunrpc", "smb",
}

// offeredExtensions are what the extension probe adds to an ordinary hello, so the server can
// answer each.
var offeredExtensions = []wire.Extension{
	{Type: wire.ExtExtendedMasterSecret}, {Type: wire.ExtEncryptThenMAC}, {Type: wire.ExtSessionTicket},
	{Type: wire.ExtStatusRequest, Data: []byte{1, 0, 0, 0, 0}}, {Type: wire.ExtSCT},
	{Type: wire.ExtNextProtocolNegotiation}, {Type: wire.ExtRecordSizeLimit, Data: []byte{0x40, 0x01}},
}

// features probes the extensions, ALPN, NPN and resumption.
func (s *scanner) features(ctx context.Context, found map[uint16][]uint16) *Features {
	f := &Features{Extensions: []string{}, ALPN: []string{}}
	v, suites := legacyTop(found)
	var wg sync.WaitGroup
	if v != 0 {
		f.Version = wire.VersionName(v)
		wg.Go(func() { s.extensionProbe(ctx, v, suites, f) })
		if cbc := cbcSuites(suites); len(cbc) > 0 {
			wg.Go(func() {
				spec := s.helloSpec(v, cbc)
				spec.ExtraExtensions = []wire.Extension{{Type: wire.ExtEncryptThenMAC}}
				if out := s.p.probe(ctx, spec); out.kind == outHello && out.hello.Version() == v {
					etm := out.hello.EncryptThenMAC
					f.EncryptThenMAC = &etm
				}
			})
		}
		wg.Go(func() { f.SessionIDResumption = s.sessionIDResumption(ctx, v, suites) })
		wg.Go(func() { f.TicketResumption12 = s.ticketResumption(ctx, v) })
	}
	if len(found[wire.VersionTLS13]) > 0 {
		wg.Go(func() { f.TicketResumption13 = s.ticketResumption(ctx, wire.VersionTLS13) })
		wg.Go(func() { f.TLS13Extensions, f.ECH = s.extensions13(ctx, found[wire.VersionTLS13]) })
	}
	wg.Go(func() { f.ALPN = s.alpn(ctx, v, suites, len(found[wire.VersionTLS13]) > 0) })
	wg.Wait()
	return f
}

func cbcSuites(ids []uint16) []uint16 {
	var out []uint16
	for _, id := range ids {
		if cs, ok := wire.CipherSuiteByID(id); ok && isCBC(cs) {
			out = append(out, id)
		}
	}
	return out
}

// extensionProbe offers the common extensions at v and records what the ServerHello answers.
func (s *scanner) extensionProbe(ctx context.Context, v uint16, suites []uint16, f *Features) {
	spec := s.helloSpec(v, suites)
	spec.ALPN = []string{"h2", "http/1.1"}
	spec.ExtraExtensions = offeredExtensions
	out := s.p.probe(ctx, spec)
	if out.kind != outHello || out.hello.Version() != v {
		return
	}
	for _, e := range out.hello.Extensions {
		f.Extensions = append(f.Extensions, wire.ExtensionName(e.Type))
	}
	ems := out.hello.ExtendedMasterSecret
	f.ExtendedMasterSecret = &ems
	f.NPN = out.hello.NPN
}

// extensions13 offers the common extensions in a TLS 1.3 hello, GREASE ECH among them, and
// lists those the server's ServerHello and EncryptedExtensions answer with, in their order, and
// the ECH retry configs; nil when the peek failed.
func (s *scanner) extensions13(ctx context.Context, suites []uint16) ([]string, *ECHOffer) {
	spec := s.spec13(suites, []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1}, 0)
	spec.ALPN = []string{"h2", "http/1.1"}
	spec.ExtraExtensions = []wire.Extension{
		{Type: wire.ExtStatusRequest, Data: []byte{1, 0, 0, 0, 0}}, {Type: wire.ExtSCT},
		{Type: wire.ExtRecordSizeLimit, Data: []byte{0x40, 0x01}},
		{Type: wire.ExtEncryptedClientHello, Data: greaseECH()},
	}
	res, out := s.peek13(ctx, spec)
	if out.kind != outHello || res.Hello == nil || res.EncryptedExtensions == nil {
		return nil, nil
	}
	offer := &ECHOffer{}
	for _, e := range res.EncryptedExtensions.Extensions {
		if e.Type == wire.ExtEncryptedClientHello {
			offer.RetryConfigs, offer.ConfigList = true, e.Data
			if configs, err := wire.ParseECHConfigList(e.Data); err != nil {
				offer.Error = err.Error()
			} else {
				offer.Configs = inspect.DescribeECHConfigs(configs)
			}
		}
	}
	names := []string{}
	for _, e := range append(slices.Clone(res.Hello.Extensions), res.EncryptedExtensions.Extensions...) {
		if n := wire.ExtensionName(e.Type); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, offer
}

// greaseECH is a GREASE encrypted_client_hello extension (RFC 9849 section 6.2): an outer one
// with a random config id, a random X25519 "encapsulated key" and a random payload of the size
// a real inner hello would have, which a server without the config cannot tell from one.
func greaseECH() []byte {
	b := []byte{0, 0, 1, 0, 1} // outer; HKDF-SHA256, AES-128-GCM
	b = append(b, randomBytes(1)...)
	b = append(b, 0, 32)
	b = append(b, randomBytes(32)...)
	const payload = 208 // a padded inner hello and its 16-byte tag
	b = append(b, payload>>8, payload&0xff)
	return append(b, randomBytes(payload)...)
}

// alpn offers each protocol of alpnProtocols alone and lists those the server selected:
// with raw probes at the version below TLS 1.3 (the ServerHello says it), or, on a TLS
// 1.3-only server, where the choice is encrypted, with a handshake by Go's TLS stack each.
func (s *scanner) alpn(ctx context.Context, v uint16, suites []uint16, tls13 bool) []string {
	if v == 0 && !tls13 {
		return []string{}
	}
	chosen := make([]bool, len(alpnProtocols))
	var wg sync.WaitGroup
	for i, p := range alpnProtocols {
		wg.Go(func() {
			if v != 0 {
				spec := s.helloSpec(v, suites)
				spec.ALPN = []string{p}
				out := s.p.probe(ctx, spec)
				chosen[i] = out.kind == outHello && out.hello.ALPN == p
				return
			}
			cs, _, err := s.goHandshake(ctx, &tls.Config{MinVersion: tls.VersionTLS13, NextProtos: []string{p}})
			chosen[i] = err == nil && cs.NegotiatedProtocol == p
		})
	}
	wg.Wait()
	out := []string{}
	for i, p := range alpnProtocols {
		if chosen[i] {
			out = append(out, p)
		}
	}
	return out
}

// goTLS runs a handshake with Go's TLS stack over a probe connection, never verified (the
// certificate is judged elsewhere), with every suite Go has and cfg for the rest, and hands the
// connection to then when it completes. A failed handshake is classified as a probe's answer
// (goFailure), so a server that closes every connection is still seen to.
func (s *scanner) goTLS(ctx context.Context, cfg *tls.Config, then func(tc *tls.Conn, tap *helloTap) outcome) error {
	cfg = cfg.Clone()
	cfg.ServerName = s.opts.ServerName
	cfg.InsecureSkipVerify = true //nolint:gosec // a probe: the certificate is judged elsewhere
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS10
	}
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		cfg.CipherSuites = append(cfg.CipherSuites, cs.ID)
	}
	var herr error
	out := s.p.exchange(ctx, func(conn net.Conn) outcome {
		tap := &helloTap{Conn: conn}
		tc := tls.Client(tap, cfg)
		if herr = tc.HandshakeContext(ctx); herr != nil {
			return goFailure(herr, tap.read)
		}
		return then(tc, tap)
	})
	if herr == nil && out.kind == outDialError {
		herr = out.err
	}
	return herr
}

// goFailure is what a failed Go handshake says about the peer, as a probe would have it: an
// alert or a clean close before a word is a TLS server's refusal, anything else proves nothing.
func goFailure(err error, read []byte) outcome {
	switch recs, _, perr := wire.ParseRecords(read); {
	case len(read) == 0 && errors.Is(err, io.EOF):
		return outcome{kind: outRefused, err: err}
	case perr == nil && len(recs) > 0 && recs[0].Type == wire.ContentAlert:
		if a, aerr := wire.ParseAlert(recs[0].Payload); aerr == nil {
			return outcome{kind: outRefused, alert: a, err: err}
		}
	case perr == nil && len(recs) > 0 && recs[0].Type == wire.ContentHandshake:
		// A ServerHello and then a failure of Go's: the server speaks TLS.
		if sh := firstServerHello(read); sh != nil {
			return outcome{kind: outHello, hello: sh, err: err}
		}
	}
	return outcome{kind: outInconclusive, err: err}
}

// goHandshake is goTLS that only shakes hands: it returns the connection state and the first
// bytes the server sent (its ServerHello). When read is set it then waits briefly for what a
// TLS 1.3 server sends after the handshake (its tickets), which Go reads only when the
// application reads.
func (s *scanner) goHandshake(ctx context.Context, cfg *tls.Config, read ...bool) (tls.ConnectionState, []byte, error) {
	var ticket chan struct{}
	if len(read) > 0 && read[0] && cfg.ClientSessionCache != nil {
		ticket = make(chan struct{}, 1)
		cfg = cfg.Clone()
		cfg.ClientSessionCache = &ticketSignal{ClientSessionCache: cfg.ClientSessionCache, put: ticket}
	}
	var state tls.ConnectionState
	var first []byte
	err := s.goTLS(ctx, cfg, func(tc *tls.Conn, tap *helloTap) outcome {
		if ticket != nil {
			// Read until the first ticket is stored, or a while: the server sends its tickets
			// as soon as it has the client's Finished, and nothing else may come.
			_ = tc.SetReadDeadline(time.Now().Add(s.answerWait()))
			read := make(chan struct{})
			go func() { _, _ = tc.Read(make([]byte, 1)); close(read) }()
			select {
			case <-ticket:
			case <-read:
			}
			_ = tc.SetReadDeadline(time.Unix(1, 0))
			<-read
		}
		state, first = tc.ConnectionState(), tap.read
		// close_notify: OpenSSL forgets a session whose connection ends without it, and a
		// session-ID resumption would then be refused for that alone.
		_ = tc.Close()
		return outcome{kind: outHello}
	})
	return state, first, err
}

// firstServerHello parses the ServerHello that opens what a server sent.
func firstServerHello(stream []byte) *wire.ServerHello {
	recs, _, err := wire.ParseRecords(stream)
	if err != nil && len(recs) == 0 || len(recs) == 0 || recs[0].Type != wire.ContentHandshake {
		return nil
	}
	msgs, err := wire.SplitMessages(recs[0].Payload, 1<<16)
	if err != nil || len(msgs) == 0 || msgs[0].Type != wire.TypeServerHello {
		return nil
	}
	sh, err := wire.ParseServerHello(msgs[0].Body)
	if err != nil {
		return nil
	}
	return sh
}

// ticketResumption makes two handshakes at version v with one session cache and says
// whether the second resumed; nil when the first failed.
func (s *scanner) ticketResumption(ctx context.Context, v uint16) *bool {
	// The mechanism of `tlskit handshake --resume`, each connection within the scan's bounds.
	ho := handshakeOptions(s.opts, time.Now)
	ho.MinVersion, ho.MaxVersion, ho.Resume, ho.ResumeTicketOnly = v, v, true, true
	ho.Gate = s.p.slot
	res, err := handshake.Run(ctx, ho)
	if err != nil || res.Resumption == nil || res.Resumption.Resumed == nil {
		return nil
	}
	r := res.Resumption.Resumed
	switch {
	case !res.Resumption.TicketOffered:
		no := false // no ticket came: nothing to resume with
		return &no
	case r.Error != "":
		return nil // the second connection failed: not known
	}
	return &r.Accepted
}

// sessionIDResumption takes a session ID from one handshake (tickets off, so the server
// keeps the session itself) and offers it back in a probe: a server that resumes echoes it
// and goes on to ChangeCipherSpec. nil when no session ID was issued or the probes failed.
func (s *scanner) sessionIDResumption(ctx context.Context, v uint16, suites []uint16) *bool {
	cfg := &tls.Config{MinVersion: v, MaxVersion: v, SessionTicketsDisabled: true}
	_, first, err := s.goHandshake(ctx, cfg)
	if err != nil {
		return nil
	}
	sh := firstServerHello(first)
	if sh == nil || len(sh.SessionID) == 0 {
		return nil
	}
	spec := s.helloSpec(v, suites)
	spec.SessionID = sh.SessionID
	if sh.ExtendedMasterSecret {
		spec.ExtraExtensions = []wire.Extension{{Type: wire.ExtExtendedMasterSecret}}
	}
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		return nil
	}
	var got *wire.ServerHello
	var resumed bool
	s.p.send(ctx, wire.WrapRecords(wire.ContentHandshake, min(v, wire.VersionTLS10), hello), func(conn net.Conn) outcome {
		var out outcome
		got, resumed, out = readResumption(newFlightReader(conn, probeMaxBytes))
		return out
	})
	if got == nil {
		return nil
	}
	ok := resumed && bytes.Equal(got.SessionID, sh.SessionID)
	return &ok
}

// ticketSignal is a session cache that says when a ticket has been stored.
type ticketSignal struct {
	tls.ClientSessionCache
	put chan struct{}
}

func (t *ticketSignal) Put(key string, cs *tls.ClientSessionState) {
	t.ClientSessionCache.Put(key, cs)
	select {
	case t.put <- struct{}{}:
	default:
	}
}
