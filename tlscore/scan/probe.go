package scan

import (
	"context"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// outcomeKind classifies what a single probe connection learned.
type outcomeKind int

const (
	// outHello: the server answered with a ServerHello (or HelloRetryRequest).
	outHello outcomeKind = iota
	// outRefused: the server sent an alert, or closed cleanly before saying anything. Both
	// are how servers turn down an offer.
	outRefused
	// outInconclusive: timeout, reset, garbage, malformed messages. Proves nothing.
	outInconclusive
	// outDialError: no connection was made at all.
	outDialError
)

type outcome struct {
	kind  outcomeKind
	hello *wire.ServerHello
	// v2 is an SSL 2.0 SERVER-HELLO, set only by probeSSLv2.
	v2    *wire.SSLv2ServerHello
	alert *wire.Alert
	err   error
	// ske is the ServerKeyExchange, set only by probeSKE when one was read and parsed.
	ske *wire.ServerKeyExchange
	// certs is the Certificate message's chain (DER, leaf first), read by probeSKE on its way
	// to the ServerKeyExchange (TLS 1.2 and older send it in the clear).
	certs [][]byte
}

// limiter is a token bucket with a burst of one: connections start at most every interval,
// each given the next start time as it asks. The interval is 1% over 1/rate: a late timer (or
// a slow dial) lets the connection after it start less than an interval later, and at exactly
// 1/rate that fitted 101 connections into one second at --rate 100 as an observer counts them.
// Taking turns by actual start times instead kept the bound but made the scan 17% slower (each
// timer's lateness added up).
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(rate int) *limiter {
	return &limiter{interval: time.Second / time.Duration(rate) * 101 / 100}
}

func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prober makes probe connections, bounded in concurrency and rate.
type prober struct {
	opts   Options
	sem    chan struct{}
	lim    *limiter
	probes atomic.Int64
	// connected counts probes that got a TCP connection; dialErr keeps the last dial error,
	// so a scan of an unreachable target can fail instead of reporting "nothing supported".
	connected atomic.Int64
	// active and maxActive count connections in flight, for tests of the Parallel bound.
	active, maxActive atomic.Int64
	// stop ends the scan early, once the peer is known not to speak TLS.
	stop    context.CancelFunc
	mu      sync.Mutex
	dialErr error
	peer    peerEvidence
}

// peerEvidence is what the probes learned about the peer itself, whatever it accepts: whether
// it ever answered in TLS and, until it does, what it did instead.
type peerEvidence struct {
	// spoke: a probe (or the scan's one full handshake) got a TLS or SSL 2.0 answer: a hello,
	// an alert, an SSL 2.0 error.
	spoke bool
	// notTLS is the first answer in another protocol (an HTTP response, an SMTP banner).
	notTLS *wire.NotTLSError
	// silent: a probe got not one byte back within its timeout; silentStartTLS: so did a
	// STARTTLS upgrade.
	silent, silentStartTLS bool
	// startTLS is the first STARTTLS upgrade that failed otherwise.
	startTLS error
	// unproven is the first probe error that proved nothing (a reset, a malformed answer).
	unproven error
}

func newProber(opts Options, stop context.CancelFunc) *prober {
	return &prober{
		opts: opts,
		sem:  make(chan struct{}, opts.Parallel),
		lim:  newLimiter(opts.Rate),
		stop: stop,
	}
}

// observe records what a probe's outcome says about the peer. A peer that answers a
// ClientHello in another protocol, or not at all within the timeout, before anything has
// answered in TLS, does not speak TLS: the scan stops there, since every other probe would only
// learn the same after as long a wait. (A TLS server answers the scan's full handshake, which
// starts first, within milliseconds.) received is what the peer sent after the hello, or after
// the STARTTLS upgrade when that failed. Outcomes of a scan already stopped say nothing.
func (p *prober) observe(ctx context.Context, out outcome, received int64, startTLSErr error) {
	if ctx.Err() != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ev := &p.peer
	var nt *wire.NotTLSError
	silent := received == 0 && isTimeout(out.err)
	switch {
	case startTLSErr != nil && silent:
		ev.silentStartTLS = true
	case startTLSErr != nil:
		// Not conclusive on its own: a server may turn away a connection over its limit
		// ("421 too many connections") while it upgrades the others.
		if ev.startTLS == nil {
			ev.startTLS = startTLSErr
		}
	case answeredTLS(out):
		ev.spoke = true
	case errors.As(out.err, &nt):
		if ev.notTLS == nil {
			ev.notTLS = nt
		}
	case silent:
		ev.silent = true
	}
	if unproven(out) && ev.unproven == nil {
		ev.unproven = out.err
	}
	if !ev.spoke && (ev.notTLS != nil || ev.silent || ev.silentStartTLS) {
		p.stop()
	}
}

// sawTLS records that the peer answered in TLS outside the probes.
func (p *prober) sawTLS() {
	p.mu.Lock()
	p.peer.spoke = true
	p.mu.Unlock()
}

// answeredTLS reports whether a probe got an answer in TLS or SSL 2.0, whatever it said.
func answeredTLS(out outcome) bool {
	var se *wire.SSLv2Error
	return out.kind == outHello || out.alert != nil || errors.As(out.err, &se) || errors.Is(out.err, errAnsweredInTLS)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errAnsweredInTLS is an SSL 2.0 probe answered with a TLS ServerHello: a refusal of SSL 2.0 by
// a server that speaks TLS.
var errAnsweredInTLS = errors.New("the server answered SSL 2.0 in TLS")

// countingConn counts the bytes read, so a probe can tell silence from a slow answer.
type countingConn struct {
	net.Conn
	n int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n += int64(n)
	return n, err
}

// probe sends one ClientHello on a fresh connection and reads up to the ServerHello.
func (p *prober) probe(ctx context.Context, spec wire.ClientHelloSpec) outcome {
	out := p.run(ctx, spec, readServerHello)
	if out.kind == outRefused && out.alert == nil {
		// A close without a word is how many servers refuse, but also what an overloaded
		// server or a middlebox does to a connection: ask once more before believing it, so
		// a dropped probe does not silently hide an accepted suite.
		out = p.run(ctx, spec, readServerHello)
	}
	return out
}

// probeSKE sends one ClientHello and reads on past the ServerHello (and Certificate) to the
// ServerKeyExchange, within the probe deadline and a bound on records and bytes.
func (p *prober) probeSKE(ctx context.Context, spec wire.ClientHelloSpec) outcome {
	return p.run(ctx, spec, readServerKeyExchange)
}

// probeSSLv2 offers every SSL 2.0 cipher kind in an SSL 2.0 CLIENT-HELLO and reads the answer:
// an SSL 2.0 SERVER-HELLO means the server speaks SSL 2.0.
func (p *prober) probeSSLv2(ctx context.Context) outcome {
	kinds := make([]uint32, len(wire.SSLv2Ciphers))
	for i, c := range wire.SSLv2Ciphers {
		kinds[i] = c.Kind
	}
	hello, err := wire.MarshalSSLv2ClientHello(kinds, randomBytes(16))
	if err != nil {
		return outcome{kind: outInconclusive, err: err}
	}
	out := p.send(ctx, hello, readSSLv2ServerHello)
	if out.kind == outRefused && out.alert == nil {
		out = p.send(ctx, hello, readSSLv2ServerHello) // as probe: a silent close is asked twice
	}
	return out
}

// run dials, sends the ClientHello for spec and hands the connection to read.
func (p *prober) run(ctx context.Context, spec wire.ClientHelloSpec, read func(net.Conn) outcome) outcome {
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		return outcome{kind: outInconclusive, err: err}
	}
	// SSL 3.0 and TLS 1.0 record layers say their own version; later hellos use 0x0301 for
	// the record, as common clients do, which the most servers accept.
	recVers := spec.Version
	if recVers == 0 || recVers > wire.VersionTLS10 {
		recVers = wire.VersionTLS10
	}
	return p.send(ctx, wire.WrapRecords(wire.ContentHandshake, recVers, hello), read)
}

// send dials (within the concurrency and rate bounds), writes hello and hands the connection
// to read.
func (p *prober) send(ctx context.Context, hello []byte, read func(net.Conn) outcome) outcome {
	return p.exchange(ctx, func(conn net.Conn) outcome {
		if _, err := conn.Write(hello); err != nil {
			return outcome{kind: outInconclusive, err: err}
		}
		return read(conn)
	})
}

// slot waits for room under --parallel and then for the next connection --rate allows; every
// connection of a scan, probes' and Go handshakes' alike, takes one.
func (p *prober) slot(ctx context.Context) (release func(), err error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := p.lim.wait(ctx); err != nil {
		<-p.sem
		return nil, err
	}
	return func() { <-p.sem }, nil
}

// exchange dials (within the concurrency and rate bounds, upgrading with STARTTLS when asked)
// and hands the connection to talk, under the probe deadline: a probe of one ClientHello, or a
// check's conversation of several flights. The outcome says what the peer is, as a probe's.
func (p *prober) exchange(ctx context.Context, talk func(net.Conn) outcome) outcome {
	release, err := p.slot(ctx)
	if err != nil {
		return outcome{kind: outInconclusive, err: err}
	}
	defer release()
	pctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	p.probes.Add(1)
	conn, _, err := connect.Dial(pctx, connect.DialOptions{Host: p.opts.Target.Host, Port: p.opts.Target.Port})
	if err != nil {
		p.mu.Lock()
		p.dialErr = err
		p.mu.Unlock()
		return outcome{kind: outDialError, err: err}
	}
	cc := &countingConn{Conn: conn}
	if p.opts.StartTLS != "" {
		if err := connect.StartTLS(pctx, cc, p.opts.StartTLS, p.opts.ServerName); err != nil {
			conn.Close()
			out := outcome{kind: outInconclusive, err: err}
			p.observe(ctx, out, cc.n, err)
			return out
		}
	}
	p.connected.Add(1)
	for n := p.active.Add(1); ; {
		m := p.maxActive.Load()
		if n <= m || p.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	defer p.active.Add(-1)
	defer conn.Close()
	if dl, ok := pctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Close the connection if the scan is cancelled, so a blocked read ends promptly.
	stop := context.AfterFunc(pctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	before := cc.n
	out := talk(cc)
	p.observe(ctx, out, cc.n-before, nil)
	return out
}

// readSSLv2ServerHello reads the answer to an SSL 2.0 CLIENT-HELLO. A SERVER-HELLO for version 2
// is acceptance; an SSL 2.0 ERROR, a TLS alert, a TLS answer or a clean close is refusal (a TLS
// server does not speak SSL 2.0); anything else proves nothing.
func readSSLv2ServerHello(conn net.Conn) outcome {
	r := newFlightReader(conn, probeMaxBytes)
	for {
		err := r.fill()
		if r.pending() > 0 && r.tail[0]&0x80 == 0 {
			// A TLS record header: the server answered in TLS.
			return readSSLv2AnsweredInTLS(r, err)
		}
		if r.pending() > 0 {
			// An SSL 2.0 record is at most 32 KiB: the reader's bound covers it whole.
			body, perr := wire.ParseSSLv2Record(r.tail)
			if perr == nil {
				sh, herr := wire.ParseSSLv2ServerHello(body)
				var se *wire.SSLv2Error
				switch {
				case errors.As(herr, &se):
					return outcome{kind: outRefused, err: herr}
				case herr != nil:
					return outcome{kind: outInconclusive, err: herr}
				case sh.Version != wire.VersionSSL20:
					return outcome{kind: outInconclusive, err: fmt.Errorf("SSL 2.0 SERVER-HELLO for version 0x%04x", sh.Version)}
				}
				return outcome{kind: outHello, v2: sh}
			}
			if !errors.Is(perr, wire.ErrSSLv2Short) {
				return outcome{kind: outInconclusive, err: perr}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && r.pending() == 0 {
				return outcome{kind: outRefused, err: err}
			}
			return outcome{kind: outInconclusive, err: err}
		}
	}
}

// readSSLv2AnsweredInTLS reads on an answer to the SSL 2.0 probe that came in TLS records: an
// alert is a refusal; so is a ServerHello, from a TLS server that took the hello for an SSL
// 2.0-compatible TLS one: it speaks TLS and not SSL 2.0. Anything else proves nothing. err is
// the error of the read that brought the first bytes.
func readSSLv2AnsweredInTLS(r *flightReader, err error) outcome {
	var asm wire.Assembler
	first := true
	for {
		records, perr := r.records()
		for _, rec := range records {
			switch {
			case first && rec.Type == wire.ContentAlert:
				a, aerr := wire.ParseAlert(rec.Payload)
				if aerr != nil {
					return outcome{kind: outInconclusive, err: aerr}
				}
				return outcome{kind: outRefused, alert: a}
			case rec.Type != wire.ContentHandshake:
				return outcome{kind: outInconclusive, err: fmt.Errorf("the server answered SSL 2.0 with a TLS %s record", wire.ContentTypeName(rec.Type))}
			}
			first = false
			msgs, herr := asm.Add(rec.Payload)
			if herr == nil && len(msgs) == 0 {
				continue
			}
			if herr == nil && msgs[0].Type == wire.TypeServerHello {
				if _, serr := wire.ParseServerHello(msgs[0].Body); serr == nil {
					return outcome{kind: outRefused, err: errAnsweredInTLS}
				}
			}
			return outcome{kind: outInconclusive, err: errors.New("the server answered SSL 2.0 with a TLS record that is not a ServerHello")}
		}
		if perr != nil {
			return outcome{kind: outInconclusive, err: perr}
		}
		if err != nil {
			return outcome{kind: outInconclusive, err: err}
		}
		err = r.fill()
	}
}

// readServerHello reads records until the first handshake message or an alert.
func readServerHello(conn net.Conn) outcome {
	r := newFlightReader(conn, probeMaxBytes)
	var asm wire.Assembler
	for {
		err := r.fill()
		records, perr := r.records()
		if perr != nil {
			return outcome{kind: outInconclusive, err: perr}
		}
		for _, rec := range records {
			switch rec.Type {
			case wire.ContentAlert:
				a, aerr := wire.ParseAlert(rec.Payload)
				if aerr != nil {
					return outcome{kind: outInconclusive, err: aerr}
				}
				return outcome{kind: outRefused, alert: a}
			case wire.ContentHandshake:
				msgs, herr := asm.Add(rec.Payload)
				if herr != nil {
					return outcome{kind: outInconclusive, err: herr}
				}
				if len(msgs) == 0 {
					continue
				}
				m := msgs[0]
				if m.Type != wire.TypeServerHello {
					return outcome{kind: outInconclusive,
						err: fmt.Errorf("server sent %s before ServerHello", m.Name())}
				}
				sh, serr := wire.ParseServerHello(m.Body)
				if serr != nil {
					return outcome{kind: outInconclusive, err: serr}
				}
				return outcome{kind: outHello, hello: sh}
			default:
				return outcome{kind: outInconclusive,
					err: fmt.Errorf("server sent a %s record before ServerHello", wire.ContentTypeName(rec.Type))}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && r.pending() == 0 && asm.Pending() == 0 {
				// A clean close with nothing said: how many servers refuse an offer.
				return outcome{kind: outRefused, err: err}
			}
			return outcome{kind: outInconclusive, err: err}
		}
	}
}

// Bounds on what readServerKeyExchange reads: a ServerHello, a certificate chain and the
// ServerKeyExchange fit in a few records.
const (
	skeMaxBytes   = 64 << 10
	skeMaxRecords = 16
)

// readServerKeyExchange reads the server's first flight of a TLS 1.2-or-older handshake up
// to the ServerKeyExchange: ServerHello, then optionally Certificate and CertificateStatus. A
// TLS 1.3 ServerHello or a HelloRetryRequest ends the read at once, with no error.
// The ServerKeyExchange is decoded with the chosen suite's key exchange and the
// ServerHello's version. The outcome's ske is nil when the server sent none, the
// message did not parse, or a bound was hit; kind and hello are as for readServerHello.
func readServerKeyExchange(conn net.Conn) outcome {
	r := newFlightReader(conn, skeMaxBytes)
	var asm wire.Assembler
	asm.MaxMessageSize = skeMaxBytes
	var res outcome
	res.kind = outInconclusive
	nrec := 0
	for {
		err := r.fill()
		records, perr := r.records()
		if perr != nil {
			res.err = perr
			return res
		}
		for _, rec := range records {
			if nrec++; nrec > skeMaxRecords {
				res.err = fmt.Errorf("no ServerKeyExchange within %d records", skeMaxRecords)
				return res
			}
			switch rec.Type {
			case wire.ContentAlert:
				if res.hello == nil {
					a, aerr := wire.ParseAlert(rec.Payload)
					if aerr != nil {
						res.err = aerr
						return res
					}
					return outcome{kind: outRefused, alert: a}
				}
				// The server took the hello and then gave up before signing (as Go's does when
				// none of the client's signature algorithms fits its certificate): the alert
				// is kept, the outcome stays inconclusive as to suites and groups.
				res.err = errors.New("alert before ServerKeyExchange")
				if a, aerr := wire.ParseAlert(rec.Payload); aerr == nil {
					res.alert = a
					res.err = fmt.Errorf("%s alert before ServerKeyExchange", a)
				}
				return res
			case wire.ContentHandshake:
				msgs, herr := asm.Add(rec.Payload)
				if herr != nil {
					res.err = herr
					return res
				}
				for _, m := range msgs {
					if res.hello == nil {
						if m.Type != wire.TypeServerHello {
							res.err = fmt.Errorf("server sent %s before ServerHello", m.Name())
							return res
						}
						sh, serr := wire.ParseServerHello(m.Body)
						if serr != nil {
							res.err = serr
							return res
						}
						res.kind, res.hello = outHello, sh
						if sh.IsHelloRetryRequest || sh.Version() == wire.VersionTLS13 {
							// Nothing more is in the clear: TLS 1.3 encrypts the rest, and after a
							// HelloRetryRequest the server waits for a second ClientHello. (Only a
							// hello offering TLS 1.3, a client simulation's, gets either.)
							return res
						}
						continue
					}
					switch m.Type {
					case wire.TypeCertificate:
						if c, cerr := wire.ParseCertificate(m.Body, false); cerr == nil {
							for _, e := range c.Entries {
								res.certs = append(res.certs, e.DER)
							}
						}
						continue
					case wire.TypeCertificateStatus:
						continue
					case wire.TypeServerKeyExchange:
						cs, ok := wire.CipherSuiteByID(res.hello.CipherSuite)
						if !ok {
							res.err = fmt.Errorf("unknown suite %04x", res.hello.CipherSuite)
							return res
						}
						res.ske, res.err = wire.ParseServerKeyExchange(m.Body, cs.KeyExchange, res.hello.Version())
						return res
					default:
						res.err = fmt.Errorf("server sent %s, no ServerKeyExchange", m.Name())
						return res
					}
				}
			default:
				res.err = fmt.Errorf("server sent a %s record before ServerKeyExchange", wire.ContentTypeName(rec.Type))
				return res
			}
		}
		if err != nil {
			if res.hello == nil && errors.Is(err, io.EOF) && r.pending() == 0 && asm.Pending() == 0 {
				return outcome{kind: outRefused, err: err}
			}
			res.err = err
			return res
		}
	}
}

// keyShare makes a real public key for a group, or nil when the group is not one we can
// generate.
func keyShare(group uint16) []byte {
	var curve ecdh.Curve
	switch group {
	case wire.GroupX25519:
		curve = ecdh.X25519()
	case wire.GroupSecp256r1:
		curve = ecdh.P256()
	case wire.GroupSecp384r1:
		curve = ecdh.P384()
	case wire.GroupSecp521r1:
		curve = ecdh.P521()
	case wire.GroupX25519MLKEM768:
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil
		}
		x := keyShare(wire.GroupX25519)
		if x == nil {
			return nil
		}
		// draft-ietf-tls-ecdhe-mlkem: ML-KEM-768 encapsulation key, then the X25519 share.
		return append(dk.EncapsulationKey().Bytes(), x...)
	case wire.GroupSecP256r1MLKEM768:
		dk, err := mlkem.GenerateKey768()
		if err != nil {
			return nil
		}
		// For the NIST-curve hybrids the ECDH share comes first.
		return append(keyShare(wire.GroupSecp256r1), dk.EncapsulationKey().Bytes()...)
	case wire.GroupSecP384r1MLKEM1024:
		dk, err := mlkem.GenerateKey1024()
		if err != nil {
			return nil
		}
		return append(keyShare(wire.GroupSecp384r1), dk.EncapsulationKey().Bytes()...)
	case wire.GroupX448:
		// The standard library has no X448; any 56 bytes are a public key to the server (RFC
		// 7748 needs no validation), and the handshake is never completed.
		return randomBytes(56)
	case wire.GroupFFDHE2048, wire.GroupFFDHE3072, wire.GroupFFDHE4096, wire.GroupFFDHE6144, wire.GroupFFDHE8192:
		// RFC 7919 groups use generator 2, so 2^k for a small k is a genuine public value in
		// the prime-order subgroup (servers check 1 < y < p-1 and y^q = 1) without needing
		// the primes themselves: the value is big-endian, padded to the prime's length.
		size := map[uint16]int{wire.GroupFFDHE2048: 256, wire.GroupFFDHE3072: 384, wire.GroupFFDHE4096: 512,
			wire.GroupFFDHE6144: 768, wire.GroupFFDHE8192: 1024}[group]
		y := make([]byte, size)
		k := 64 + int(randomBytes(1)[0])%64 // 2^64..2^127: far below any of the primes
		y[size-1-k/8] = 1 << (k % 8)
		return y
	default:
		return nil
	}
	k, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	return k.PublicKey().Bytes()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
