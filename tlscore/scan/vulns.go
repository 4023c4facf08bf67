package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// scsvFallback is TLS_FALLBACK_SCSV (RFC 7507): "this hello is a retry at a lower version".
const scsvFallback uint16 = 0x5600

// Alert descriptions the checks tell apart.
const (
	alertUnexpectedMessage     uint8 = 10
	alertBadRecordMAC          uint8 = 20
	alertDecryptionFailed      uint8 = 21
	alertHandshakeFailure      uint8 = 40
	alertInappropriateFallback uint8 = 86
)

// checkFuncs are the vulnerability checks by id, in the order they are reported.
func (s *scanner) checkFuncs() []namedCheck {
	return []namedCheck{
		{"heartbleed", s.heartbleed}, {"ccs-injection", s.ccsInjection}, {"robot", s.robot},
		{"ticketbleed", s.ticketbleed}, {"compression", s.compression}, {"fallback-scsv", s.fallbackSCSV},
		{"client-renegotiation", s.clientRenegotiation},
	}
}

type namedCheck struct {
	id  string
	run func(context.Context, map[uint16][]uint16) Check
}

// CheckNames are the names Options.Checks takes: the vulnerability checks, "features"
// (extensions, ALPN, NPN, resumption), "signature-algorithms", "http" (HSTS, compression, the
// banner) and "clients" (client simulation).
func CheckNames() []string {
	var names []string
	for _, c := range (&scanner{}).checkFuncs() {
		names = append(names, c.id)
	}
	return append(names, "features", "signature-algorithms", "http", "clients")
}

// wants reports whether the options ask for the check id (all of them when Checks is nil).
func (o Options) wants(id string) bool {
	return o.Checks == nil || slices.Contains(o.Checks, id)
}

// vulnerabilities runs the checks the options ask for, each on what the enumeration found,
// all at once under the prober's bounds.
func (s *scanner) vulnerabilities(ctx context.Context, found map[uint16][]uint16) []Check {
	var checks []namedCheck
	for _, c := range s.checkFuncs() {
		if s.opts.wants(c.id) && c.id != lastCheck {
			checks = append(checks, c)
		}
	}
	out := make([]Check, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { out[i] = c.run(ctx, found) })
	}
	wg.Wait()
	return out
}

// lastCheck runs once everything else is done (Scan): a server may stall after refusing a
// renegotiation (openssl s_server -www sleeps a second on the refused handshake, serving no one
// meanwhile), and the check itself is over as soon as the refusal comes.
const lastCheck = "client-renegotiation"

// legacyTop is the highest version below TLS 1.3 the server accepted, with its suites; 0 when
// there is none.
func legacyTop(found map[uint16][]uint16) (uint16, []uint16) {
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10, wire.VersionSSL30} {
		if len(found[v]) > 0 {
			return v, found[v]
		}
	}
	return 0, nil
}

// notLegacy is a check's verdict on a server with no version below TLS 1.3, where the
// weakness lives in messages TLS 1.3 no longer has.
func notLegacy(id string) Check {
	return Check{ID: id, Verdict: NotApplicable, Sent: "nothing", Received: "no version below TLS 1.3 is accepted"}
}

// describe says in a few words what a probe that got no ServerHello saw.
func describe(out outcome) string {
	switch {
	case out.alert != nil:
		return out.alert.String() + " alert"
	case out.kind == outRefused:
		return "the connection closed"
	case out.err != nil:
		return "no usable answer (" + out.err.Error() + ")"
	default:
		return "no usable answer"
	}
}

// fallbackSCSV offers the second-highest version the server accepts with TLS_FALLBACK_SCSV,
// as a browser retrying after a failed handshake did: a server that knows better than the
// client's retry must answer inappropriate_fallback (RFC 7507), or an attacker who breaks
// the first handshake downgrades every client (POODLE's way in to SSL 3.0).
func (s *scanner) fallbackSCSV(ctx context.Context, found map[uint16][]uint16) Check {
	c := Check{ID: "fallback-scsv"}
	var accepted []uint16
	for _, v := range slices.Backward(scanVersions) {
		if len(found[v]) > 0 {
			accepted = append(accepted, v)
		}
	}
	if len(accepted) < 2 {
		c.Verdict, c.Sent = NotApplicable, "nothing"
		c.Received = "one version is accepted: there is none to fall back to"
		if len(accepted) == 0 {
			c.Received = "no version is accepted"
		}
		return c
	}
	top, lower := accepted[0], accepted[1]
	spec := s.helloSpec(lower, found[lower])
	spec.CipherSuites = append(spec.CipherSuites, scsvFallback)
	c.Sent = fmt.Sprintf("a %s ClientHello with TLS_FALLBACK_SCSV (the server accepts %s)", wire.VersionName(lower), wire.VersionName(top))
	out := s.p.probe(ctx, spec)
	switch {
	case out.alert != nil && out.alert.Description == alertInappropriateFallback:
		c.Verdict, c.Received = NotVulnerable, out.alert.String()+" alert"
	case out.alert != nil && out.alert.Description == alertHandshakeFailure:
		// Refused, though not in RFC 7507's words (testssl: "probably OK").
		c.Verdict, c.Received = NotVulnerable, out.alert.String()+" alert (RFC 7507 asks for inappropriate_fallback)"
	case out.kind == outHello && out.hello.Version() == lower:
		c.Verdict = Vulnerable
		c.Received = fmt.Sprintf("a %s ServerHello (%s): the downgrade was taken", wire.VersionName(lower), wire.CipherSuiteName(out.hello.CipherSuite))
	default:
		c.Verdict, c.Received = Inconclusive, describe(out)
		if out.kind == outHello {
			c.Received = "a ServerHello for " + wire.VersionName(out.hello.Version())
		}
	}
	return c
}

// compression offers DEFLATE beside no compression at the highest version below TLS 1.3: a
// server that picks it compresses secrets with attacker-chosen text in one record, which CRIME
// reads back from the record lengths. TLS 1.3 has no compression.
func (s *scanner) compression(ctx context.Context, found map[uint16][]uint16) Check {
	v, suites := legacyTop(found)
	if v == 0 {
		return notLegacy("compression")
	}
	spec := s.helloSpec(v, suites)
	spec.CompressionMethods = []uint8{1, 0}
	c := Check{ID: "compression", Sent: fmt.Sprintf("a %s ClientHello offering DEFLATE and null compression", wire.VersionName(v))}
	out := s.p.probe(ctx, spec)
	switch {
	case out.kind == outHello && out.hello.CompressionMethod == 1:
		c.Verdict, c.Received = Vulnerable, "a ServerHello choosing DEFLATE (CRIME)"
	case out.kind == outHello && out.hello.CompressionMethod == 0:
		c.Verdict, c.Received = NotVulnerable, "a ServerHello choosing no compression"
	case out.kind == outHello:
		c.Verdict, c.Received = Inconclusive, fmt.Sprintf("a ServerHello choosing compression method %d, which was not offered", out.hello.CompressionMethod)
	case out.kind == outRefused:
		// The same hello without DEFLATE was taken: this server will not compress.
		c.Verdict, c.Received = NotVulnerable, describe(out)+" (the hello without DEFLATE is accepted)"
	default:
		c.Verdict, c.Received = Inconclusive, describe(out)
	}
	return c
}

// firstFlight is what a TLS 1.2-or-older server sends up to its ServerHelloDone.
type firstFlight struct {
	hello *wire.ServerHello
	certs [][]byte
}

// readFirstFlight reads the server's first flight to its ServerHelloDone, within the bounds
// of readServerKeyExchange. The outcome is outHello only when the flight is whole.
func readFirstFlight(r *flightReader) (firstFlight, outcome) {
	var ff firstFlight
	var asm wire.Assembler
	asm.MaxMessageSize = skeMaxBytes
	nrec := 0
	fail := func(err error) (firstFlight, outcome) {
		return ff, outcome{kind: outInconclusive, err: err, hello: ff.hello}
	}
	for {
		err := r.fill()
		records, perr := r.records()
		if perr != nil {
			return fail(perr)
		}
		for _, rec := range records {
			if nrec++; nrec > skeMaxRecords {
				return fail(fmt.Errorf("no ServerHelloDone within %d records", skeMaxRecords))
			}
			switch rec.Type {
			case wire.ContentAlert:
				a, aerr := wire.ParseAlert(rec.Payload)
				if aerr != nil {
					return fail(aerr)
				}
				if ff.hello == nil {
					return ff, outcome{kind: outRefused, alert: a}
				}
				return ff, outcome{kind: outInconclusive, alert: a, hello: ff.hello, err: errors.New(a.String() + " alert within the server's first flight")}
			case wire.ContentHandshake:
				msgs, herr := asm.Add(rec.Payload)
				if herr != nil {
					return fail(herr)
				}
				for _, m := range msgs {
					switch {
					case ff.hello == nil && m.Type != wire.TypeServerHello:
						return fail(fmt.Errorf("server sent %s before ServerHello", m.Name()))
					case ff.hello == nil:
						sh, serr := wire.ParseServerHello(m.Body)
						if serr != nil {
							return fail(serr)
						}
						ff.hello = sh
					case m.Type == wire.TypeCertificate:
						if c, cerr := wire.ParseCertificate(m.Body, false); cerr == nil {
							for _, e := range c.Entries {
								ff.certs = append(ff.certs, e.DER)
							}
						}
					case m.Type == wire.TypeServerHelloDone:
						return ff, outcome{kind: outHello, hello: ff.hello}
					}
				}
			default:
				return fail(fmt.Errorf("server sent a %s record within its first flight", wire.ContentTypeName(rec.Type)))
			}
		}
		if err != nil {
			if ff.hello == nil && errors.Is(err, io.EOF) && r.pending() == 0 && asm.Pending() == 0 {
				return ff, outcome{kind: outRefused, err: err}
			}
			return fail(err)
		}
	}
}

// answer is the first record a server sends after a check's message, read with a deadline.
type answer struct {
	rec     wire.Record
	alert   *wire.Alert
	closed  bool // a clean close, nothing sent
	timeout bool // nothing within the wait
	err     error
}

// readAnswer reads the next whole record within wait (the probe deadline still applies).
func readAnswer(conn net.Conn, r *flightReader, wait time.Duration) answer {
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		recs, perr := r.records()
		if perr != nil {
			return answer{err: perr}
		}
		if len(recs) > 0 {
			rec := recs[0]
			rec.Payload = bytes.Clone(rec.Payload)
			a := answer{rec: rec}
			if rec.Type == wire.ContentAlert {
				a.alert, a.err = wire.ParseAlert(rec.Payload)
			}
			return a
		}
		err := r.fill()
		switch {
		case err == nil:
		case isTimeout(err) && r.pending() == 0:
			return answer{timeout: true}
		case errors.Is(err, io.EOF) && r.pending() == 0:
			return answer{closed: true}
		default:
			// A reset is how some servers end a connection they dislike: proof of nothing.
			return answer{err: err}
		}
	}
}

// says renders an answer as evidence.
func (a answer) says() string {
	switch {
	case a.alert != nil:
		return a.alert.String() + " alert"
	case a.closed:
		return "the connection closed"
	case a.timeout:
		return "no answer"
	case a.err != nil:
		return "no usable answer (" + a.err.Error() + ")"
	default:
		return fmt.Sprintf("a %s record of %d bytes", wire.ContentTypeName(a.rec.Type), len(a.rec.Payload))
	}
}

// firstFlightThen sends spec's hello, reads the first flight, and hands the connection on to
// then, which says what the check concluded. A flight that does not come whole is
// Inconclusive.
func (s *scanner) firstFlightThen(ctx context.Context, c *Check, spec wire.ClientHelloSpec, then func(conn net.Conn, r *flightReader, ff firstFlight)) {
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		c.Verdict, c.Received = Inconclusive, err.Error()
		return
	}
	rv := min(spec.Version, wire.VersionTLS10)
	s.p.exchange(ctx, func(conn net.Conn) outcome {
		if _, err := conn.Write(wire.WrapRecords(wire.ContentHandshake, rv, hello)); err != nil {
			c.Verdict, c.Received = Inconclusive, err.Error()
			return outcome{kind: outInconclusive, err: err}
		}
		r := newFlightReader(conn, probeMaxBytes)
		ff, out := readFirstFlight(r)
		if out.kind != outHello {
			c.Verdict, c.Received = Inconclusive, "no whole first flight: "+describe(out)
			return out
		}
		then(conn, r, ff)
		return out
	})
}

// answerWait is how long a check waits for an answer the fixed servers give at once (an
// alert), before it concludes the message was swallowed; within the probe timeout.
func (s *scanner) answerWait() time.Duration {
	return min(s.opts.Timeout/2, 1500*time.Millisecond)
}

// heartbleed sends a heartbeat request whose payload_length claims 16 KiB but that carries no
// payload, then a well-formed one, before the handshake ends (as the Heartbleed exploits did,
// CVE-2014-0160). A vulnerable server copies 16 KiB of its memory into its response; a fixed
// one drops the lying request silently (RFC 6520 section 4) and answers the honest one.
func (s *scanner) heartbleed(ctx context.Context, found map[uint16][]uint16) Check {
	v, suites := legacyTop(found)
	if v == 0 {
		return notLegacy("heartbleed")
	}
	c := Check{ID: "heartbleed", Sent: fmt.Sprintf("a %s ClientHello offering heartbeats", wire.VersionName(v))}
	spec := s.helloSpec(v, suites)
	spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtHeartbeat, Data: []byte{1}}) // peer_allowed_to_send
	s.firstFlightThen(ctx, &c, spec, func(conn net.Conn, r *flightReader, ff firstFlight) {
		if !slices.ContainsFunc(ff.hello.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtHeartbeat }) {
			c.Verdict, c.Received = NotVulnerable, "a ServerHello without the heartbeat extension: heartbeats are off"
			return
		}
		honest := make([]byte, 16)
		_, _ = rand.Read(honest)
		lying := []byte{1, 0x40, 0x00} // heartbeat_request, payload_length 16384, no payload
		good := append([]byte{1, 0, 16}, honest...)
		good = append(good, make([]byte, 16)...) // the padding RFC 6520 asks for
		c.Sent += ", then a heartbeat request claiming 16384 bytes of payload with none, and a well-formed one with 16"
		if _, err := conn.Write(append(wire.WrapRecords(wire.ContentHeartbeat, v, lying), wire.WrapRecords(wire.ContentHeartbeat, v, good)...)); err != nil {
			c.Verdict, c.Received = Inconclusive, err.Error()
			return
		}
		a := readAnswer(conn, r, s.opts.Timeout)
		switch {
		case a.err != nil && a.alert == nil:
			c.Verdict, c.Received = Inconclusive, a.says()
		case a.rec.Type == wire.ContentHeartbeat && len(a.rec.Payload) >= 3 && a.rec.Payload[0] == 2:
			claimed := int(binary.BigEndian.Uint16(a.rec.Payload[1:3]))
			switch {
			case claimed == 16 && len(a.rec.Payload) >= 19 && bytes.Equal(a.rec.Payload[3:19], honest):
				c.Verdict = NotVulnerable
				c.Received = "a heartbeat response to the well-formed request only: the lying one was dropped"
			case claimed == 16384 && len(a.rec.Payload) > 3+16+16:
				// More than the honest request could have been answered with: the response
				// may span records, so its first one is enough.
				c.Verdict = Vulnerable
				c.Received = fmt.Sprintf("a heartbeat response claiming 16384 bytes, %d of them in its first record, to the request that carried none: the server's memory", len(a.rec.Payload)-3)
			default:
				c.Verdict = Inconclusive
				c.Received = fmt.Sprintf("a heartbeat response claiming %d bytes in a record of %d, matching neither request", claimed, len(a.rec.Payload))
			}
		case a.rec.Type == wire.ContentHeartbeat:
			c.Verdict, c.Received = Inconclusive, a.says()
		default:
			// An alert, a close or silence: the lying request got nothing back.
			c.Verdict, c.Received = NotVulnerable, a.says()+" to the heartbeat requests"
		}
	})
	return c
}

// ccsInjection sends a ChangeCipherSpec right after the server's first flight, before any key
// exchange: a vulnerable OpenSSL (CVE-2014-0224) took it and switched to keys made from an
// empty master secret, so it then failed to decrypt the next record (decryption_failed or
// bad_record_mac); a fixed server answers the early ChangeCipherSpec with unexpected_message.
func (s *scanner) ccsInjection(ctx context.Context, found map[uint16][]uint16) Check {
	v, suites := legacyTop(found)
	if v == 0 {
		return notLegacy("ccs-injection")
	}
	c := Check{ID: "ccs-injection", Sent: fmt.Sprintf("a ChangeCipherSpec right after the server's %s first flight", wire.VersionName(v))}
	s.firstFlightThen(ctx, &c, s.helloSpec(v, suites), func(conn net.Conn, r *flightReader, _ firstFlight) {
		ccs := wire.WrapRecords(wire.ContentChangeCipherSpec, v, []byte{1})
		if _, err := conn.Write(ccs); err != nil {
			c.Verdict, c.Received = Inconclusive, err.Error()
			return
		}
		first := readAnswer(conn, r, s.answerWait())
		if !first.timeout {
			c.Verdict, c.Received = ccsVerdict(first), first.says()
			return
		}
		// Swallowed: does the server now expect encrypted records?
		c.Sent += ", and another after it was taken in silence"
		if _, err := conn.Write(ccs); err != nil {
			c.Verdict, c.Received = Inconclusive, err.Error()
			return
		}
		second := readAnswer(conn, r, s.opts.Timeout)
		c.Verdict = ccsVerdict(second)
		c.Received = "no answer to the first; " + second.says() + " to the second"
		if c.Verdict == Vulnerable {
			c.Received += ": the server had switched to keys from an empty master secret"
		}
	})
	return c
}

// ccsVerdict judges the server's answer to an early ChangeCipherSpec.
func ccsVerdict(a answer) Verdict {
	switch {
	case a.alert != nil && (a.alert.Description == alertBadRecordMAC || a.alert.Description == alertDecryptionFailed):
		return Vulnerable
	case a.alert != nil, a.closed:
		return NotVulnerable
	case a.timeout:
		// Taken twice without a word: nothing shows the keys changed (testssl counts this as
		// not vulnerable; it proves nothing either way).
		return Inconclusive
	default:
		return Inconclusive
	}
}

// ticketbleed takes a session ticket from the server, then offers it back with a 16-byte
// session ID: a server that resumes must echo the ID as sent (RFC 5077 section 3.4). F5's
// stacks echoed 32 bytes whatever the length, the rest from their memory (CVE-2016-9244).
func (s *scanner) ticketbleed(ctx context.Context, found map[uint16][]uint16) Check {
	v, suites := legacyTop(found)
	if v == 0 {
		return notLegacy("ticketbleed")
	}
	c := Check{ID: "ticketbleed"}
	ticket, ems, why := s.sessionTicket(ctx, v)
	if ticket == nil {
		c.Verdict, c.Sent, c.Received = NotApplicable, fmt.Sprintf("a %s handshake", wire.VersionName(v)), "no session ticket was issued"
		if why != "" {
			// No handshake to take a ticket from: the ServerHello still says whether the
			// server would issue one (RFC 5077 section 3.2).
			switch acked, known := s.acksTickets(ctx, v, suites); {
			case !known:
				c.Verdict, c.Received = Inconclusive, why
			case acked:
				c.Verdict, c.Received = Inconclusive, "the server acknowledges session_ticket, but "+why
			default:
				c.Sent = fmt.Sprintf("a %s ClientHello asking for a session ticket", wire.VersionName(v))
				c.Received = "a ServerHello without session_ticket: no ticket would be issued"
			}
		}
		return c
	}
	sid := make([]byte, 16)
	_, _ = rand.Read(sid)
	spec := s.helloSpec(v, suites)
	spec.SessionID = sid
	spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtSessionTicket, Data: ticket})
	if ems {
		// RFC 7627 forbids resuming a session with the extended master secret without it, and
		// one without it with it: offer it as the ticket's session had it.
		spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtExtendedMasterSecret})
	}
	c.Sent = fmt.Sprintf("a %s ClientHello with the server's own %d-byte session ticket and a 16-byte session ID", wire.VersionName(v), len(ticket))
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		c.Verdict, c.Received = Inconclusive, err.Error()
		return c
	}
	var sh *wire.ServerHello
	var resumed bool
	out := s.p.send(ctx, wire.WrapRecords(wire.ContentHandshake, min(v, wire.VersionTLS10), hello), func(conn net.Conn) outcome {
		var o outcome
		sh, resumed, o = readResumption(newFlightReader(conn, probeMaxBytes))
		return o
	})
	switch {
	case sh == nil:
		c.Verdict, c.Received = NotVulnerable, describe(out)
		if unproven(out) {
			c.Verdict = Inconclusive
		}
	case !resumed:
		// A full handshake: the ticket was not taken back, and the echo cannot show.
		c.Verdict, c.Received = Inconclusive, "a full handshake: the ticket was not resumed, so the session ID echo cannot be observed"
	case bytes.Equal(sh.SessionID, sid):
		c.Verdict, c.Received = NotVulnerable, "a resumption echoing the 16-byte session ID as sent"
	case len(sh.SessionID) > len(sid) && bytes.HasPrefix(sh.SessionID, sid):
		c.Verdict = Vulnerable
		c.Received = fmt.Sprintf("a resumption echoing a %d-byte session ID: the 16 bytes sent and %d from the server's memory", len(sh.SessionID), len(sh.SessionID)-len(sid))
	default:
		c.Verdict, c.Received = Inconclusive, fmt.Sprintf("a resumption with a %d-byte session ID that is not the one sent", len(sh.SessionID))
	}
	return c
}

// acksTickets asks for a session ticket in a raw ClientHello and says whether the ServerHello
// acknowledged it; known is false when no ServerHello came.
func (s *scanner) acksTickets(ctx context.Context, v uint16, suites []uint16) (acked, known bool) {
	spec := s.helloSpec(v, suites)
	spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtSessionTicket})
	var probe Check
	s.firstFlightThen(ctx, &probe, spec, func(_ net.Conn, _ *flightReader, ff firstFlight) {
		known = true
		acked = slices.ContainsFunc(ff.hello.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtSessionTicket })
	})
	return acked, known
}

// readResumption reads a TLS 1.2-or-older ServerHello and what follows it far enough to tell
// a resumption (ChangeCipherSpec next, after an optional NewSessionTicket) from a full
// handshake (a Certificate or key exchange next).
func readResumption(r *flightReader) (sh *wire.ServerHello, resumed bool, out outcome) {
	var asm wire.Assembler
	asm.MaxMessageSize = skeMaxBytes
	for nrec := 0; ; {
		err := r.fill()
		records, perr := r.records()
		if perr != nil {
			return sh, false, outcome{kind: outInconclusive, err: perr}
		}
		for _, rec := range records {
			if nrec++; nrec > skeMaxRecords {
				return sh, false, outcome{kind: outInconclusive, err: errors.New("no end to the server's first flight")}
			}
			switch {
			case rec.Type == wire.ContentAlert && sh == nil:
				a, aerr := wire.ParseAlert(rec.Payload)
				if aerr != nil {
					return nil, false, outcome{kind: outInconclusive, err: aerr}
				}
				return nil, false, outcome{kind: outRefused, alert: a}
			case rec.Type == wire.ContentChangeCipherSpec && sh != nil:
				return sh, true, outcome{kind: outHello, hello: sh}
			case rec.Type != wire.ContentHandshake:
				return sh, false, outcome{kind: outInconclusive, err: fmt.Errorf("a %s record in the server's first flight", wire.ContentTypeName(rec.Type))}
			}
			msgs, herr := asm.Add(rec.Payload)
			if herr != nil {
				return sh, false, outcome{kind: outInconclusive, err: herr}
			}
			for _, m := range msgs {
				switch {
				case sh == nil && m.Type == wire.TypeServerHello:
					parsed, serr := wire.ParseServerHello(m.Body)
					if serr != nil {
						return nil, false, outcome{kind: outInconclusive, err: serr}
					}
					sh = parsed
				case sh == nil:
					return nil, false, outcome{kind: outInconclusive, err: fmt.Errorf("server sent %s before ServerHello", m.Name())}
				case m.Type != wire.TypeNewSessionTicket:
					return sh, false, outcome{kind: outHello, hello: sh}
				}
			}
		}
		if err != nil {
			if sh == nil && errors.Is(err, io.EOF) && r.pending() == 0 {
				return nil, false, outcome{kind: outRefused, err: err}
			}
			return sh, false, outcome{kind: outInconclusive, err: err, hello: sh}
		}
	}
}

// ticketCatcher is a one-entry session cache that keeps the ticket Go's client was given.
type ticketCatcher struct {
	mu     sync.Mutex
	ticket []byte
}

func (t *ticketCatcher) Get(string) (*tls.ClientSessionState, bool) { return nil, false }

func (t *ticketCatcher) Put(_ string, cs *tls.ClientSessionState) {
	if cs == nil {
		return
	}
	if id, _, err := cs.ResumptionState(); err == nil && len(id) > 0 {
		t.mu.Lock()
		t.ticket = bytes.Clone(id)
		t.mu.Unlock()
	}
}

// sessionTicket runs one full handshake at version v with Go's TLS stack and returns the
// session ticket the server issued and whether the session has the extended master secret
// (which Go's session state keeps to itself: the ServerHello says it), or nil and why not.
func (s *scanner) sessionTicket(ctx context.Context, v uint16) (ticket []byte, ems bool, why string) {
	catcher := &ticketCatcher{}
	// In TLS 1.2 the ticket comes before the server's Finished: the handshake has it.
	_, first, err := s.goHandshake(ctx, &tls.Config{MinVersion: v, MaxVersion: v, ClientSessionCache: catcher})
	if err != nil {
		return nil, false, "no handshake to take a ticket from: " + err.Error()
	}
	if sh := firstServerHello(first); sh != nil {
		ems = sh.ExtendedMasterSecret
	}
	catcher.mu.Lock()
	defer catcher.mu.Unlock()
	return catcher.ticket, ems, ""
}

// helloTap keeps the first bytes a connection reads: the server's ServerHello record.
type helloTap struct {
	net.Conn
	read []byte
}

func (h *helloTap) Read(b []byte) (int, error) {
	n, err := h.Conn.Read(b)
	if room := 16<<10 - len(h.read); room > 0 {
		h.read = append(h.read, b[:min(n, room)]...)
	}
	return n, err
}
