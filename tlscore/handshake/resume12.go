package handshake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/keyschedule"
	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// session12ID is what a TLS 1.2 session needs to be resumed by its session ID (RFC 5246
// section 7.3), which crypto/tls's client never does: the ID the server gave, the suite, the
// master secret (from the first handshake's key log) and whether it was extended (RFC 7627).
type session12ID struct {
	id, master []byte
	suite      tls12.Suite
	ems        bool
}

// sessionIDOf finds, in a finished TLS 1.2 handshake, a session that can be resumed by its ID;
// why says why not when it cannot.
func sessionIDOf(first *Result) (s *session12ID, why string) {
	if first.Version != "TLS 1.2" {
		return nil, "the server sent no NewSessionTicket, and crypto/tls resumes only by ticket (session-ID resumption is done here for TLS 1.2 only)"
	}
	var sh *wire.ServerHello
	for _, st := range first.Steps {
		if m, ok := st.Details.(*wire.ServerHello); ok && st.Direction == Received {
			sh = m
			break
		}
	}
	if sh == nil || len(sh.SessionID) == 0 {
		return nil, "the server gave neither a session ticket nor a session ID: it does not resume"
	}
	suite, ok := tls12.SuiteByID(sh.CipherSuite)
	if !ok {
		return nil, fmt.Sprintf("the session's suite %s is not one the session-ID resumption speaks", wire.CipherSuiteName(sh.CipherSuite))
	}
	logs, err := keyschedule.ParseKeyLog(first.keyLog)
	if err != nil || len(logs) != 1 {
		return nil, "the first handshake's master secret was not in its key log"
	}
	var master []byte
	for _, l := range logs {
		master = l.MasterSecret
	}
	if len(master) == 0 {
		return nil, "the first handshake's master secret was not in its key log"
	}
	return &session12ID{id: sh.SessionID, master: master, suite: suite, ems: sh.ExtendedMasterSecret}, ""
}

// resume12 offers the session's ID in a hand-built ClientHello (crypto/tls's client cannot) on
// a new connection, recorded like any handshake. A server that resumes echoes the ID and sends
// ChangeCipherSpec and a Finished, which is checked with the session's master secret; the
// client then sends its own, so the abbreviated handshake is complete (RFC 5246 section 7.3).
// A server that does not resume starts a full handshake, which is abandoned.
func resume12(ctx context.Context, opts Options, sess *session12ID) (*Result, bool, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	if opts.Gate != nil {
		release, err := opts.Gate(ctx)
		if err != nil {
			return nil, false, &Error{Stage: connect.StageConnect, Addr: opts.Target.Address(), Err: err}
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	serverName, _, sni := serverNames(opts)
	res := &Result{Target: opts.Target, SNI: sni, Steps: []Step{}, Chain: []inspect.Certificate{}}
	dialTo := dialTarget(opts)
	start := time.Now()
	conn, dt, err := connect.Dial(ctx, connect.DialOptions{Host: dialTo.Host, Port: dialTo.Port, Proxy: opts.Proxy, Resolver: opts.Resolver})
	res.Timing.DNSMs, res.Timing.ConnectMs, res.Address = ms(dt.DNS), ms(dt.Connect), dt.Address
	if err != nil {
		res.Timing.TotalMs = ms(time.Since(start))
		return res, false, connectError(err, dialTo, res)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := runStartTLS(ctx, conn, opts, serverName, res, start); err != nil {
		return res, false, err
	}
	rec := NewRecordingConn(conn, start, opts.RecordLimit)
	hsStart := time.Now()
	// A cancelled run (Ctrl-C, a scan that stops) ends the conversation at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	dl, _ := ctx.Deadline()
	resumed, done, herr := abbreviated12(rec, sess, sni, opts.ALPN, dl)
	if done.IsZero() {
		done = time.Now()
	}
	res.Timing.HandshakeMs = ms(done.Sub(hsStart))
	res.Timing.TotalMs = ms(time.Since(start))
	decodeTranscript(res, rec, nil, decodeOptions{verbose: opts.Verbose})
	res.TranscriptTruncated = rec.Truncated()
	// The timeline says what the session ID did, which the messages alone do not.
	for i, st := range res.Steps {
		switch m := st.Details.(type) {
		case *wire.ClientHello:
			res.Steps[i].Summary += fmt.Sprintf("; resuming: session ID offered (%d bytes)", len(m.SessionID))
		case *wire.ServerHello:
			if bytes.Equal(m.SessionID, sess.id) {
				res.Steps[i].Summary += ", the session ID echoed: resuming"
			} else {
				res.Steps[i].Summary += ", a new session ID: a full handshake"
			}
		}
	}
	if herr != nil {
		return res, false, &Error{Stage: connect.StageHandshake, Addr: dialTo.Address(), Err: explainHandshakeError(herr, res), Result: res}
	}
	if resumed {
		res.Version, res.CipherSuite = "TLS 1.2", sess.suite.CipherSuite().Name
		res.KeyExchange = "none (resumed)"
		res.ForwardSecrecy = sess.suite.CipherSuite().KeyExchange == "ECDHE"
		res.didResume = true
	}
	return res, resumed, nil
}

// abbreviated12 runs the client's side of an abbreviated TLS 1.2 handshake on conn; resumed is
// false (and the error nil) when the server chose a full handshake instead. done is when the
// client's Finished went out: the handshake's end, before the wait for a refusal of it.
// deadline is the run's (zero for none): the wait for a refusal keeps within it.
func abbreviated12(conn net.Conn, sess *session12ID, sni string, alpn []string, deadline time.Time) (resumed bool, done time.Time, err error) {
	spec := wire.ClientHelloSpec{
		Version:    wire.VersionTLS12,
		SessionID:  sess.id,
		ServerName: sni,
		// The session's own suite, which a resuming server must choose (RFC 5246 section
		// 7.4.1.2), and the renegotiation SCSV.
		CipherSuites:        []uint16{sess.suite.CipherSuite().ID, 0x00ff},
		Groups:              []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupSecp384r1},
		ECPointFormats:      true,
		SignatureAlgorithms: []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		ALPN:                alpn,
	}
	if sess.ems {
		// RFC 7627 section 5.3: a session with the extended master secret is resumed only
		// with it offered again.
		spec.ExtraExtensions = append(spec.ExtraExtensions, wire.Extension{Type: wire.ExtExtendedMasterSecret})
	}
	hello, err := wire.MarshalClientHello(spec)
	if err != nil {
		return false, time.Time{}, err
	}
	if _, err := conn.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS10, hello)); err != nil {
		return false, time.Time{}, err
	}
	sentAt := time.Now()
	var rtt time.Duration
	r := &records12{conn: conn}
	transcript := bytes.Clone(hello)
	var asm wire.Assembler
	asm.MaxMessageSize = 64 << 10
	var sh *wire.ServerHello
	var serverRandom []byte
	// ServerHello, then (resuming) an optional NewSessionTicket, then ChangeCipherSpec.
	for sh == nil || r.peekType() != wire.ContentChangeCipherSpec {
		typ, payload, err := r.next()
		if err != nil {
			return false, time.Time{}, err
		}
		if typ == wire.ContentAlert {
			return false, time.Time{}, fmt.Errorf("server sent alert %s", alertName(payload))
		}
		if typ != wire.ContentHandshake {
			return false, time.Time{}, fmt.Errorf("the server sent a %s record before its ChangeCipherSpec", wire.ContentTypeName(typ))
		}
		msgs, err := asm.Add(payload)
		if err != nil {
			return false, time.Time{}, err
		}
		for _, m := range msgs {
			switch {
			case sh == nil && m.Type == wire.TypeServerHello:
				if sh, err = wire.ParseServerHello(m.Body); err != nil {
					return false, time.Time{}, err
				}
				rtt = time.Since(sentAt)
				if !bytes.Equal(sh.SessionID, sess.id) || sh.CipherSuite != sess.suite.CipherSuite().ID {
					return false, time.Time{}, nil // a new session: the server does a full handshake
				}
				if sh.ExtendedMasterSecret != sess.ems {
					// RFC 7627 section 5.3: the client aborts such a resumption.
					return false, time.Time{}, fmt.Errorf("the server resumed the session with extended_master_secret %v, where the session had %v", sh.ExtendedMasterSecret, sess.ems)
				}
				serverRandom = sh.Random
			case sh != nil && m.Type == wire.TypeNewSessionTicket:
			default:
				return false, time.Time{}, fmt.Errorf("the server sent %s where a resumption has ChangeCipherSpec", m.Name())
			}
			transcript = append(transcript, m.Raw...)
		}
	}
	if _, _, err := r.next(); err != nil { // the ChangeCipherSpec peeked at
		return false, time.Time{}, err
	}
	client, server, err := tls12.Keys(sess.suite, sess.master, hello[4+2:4+2+32], serverRandom)
	if err != nil {
		return false, time.Time{}, err
	}
	typ, frag, err := r.next()
	if err != nil {
		return false, time.Time{}, err
	}
	if typ != wire.ContentHandshake {
		return false, time.Time{}, fmt.Errorf("the server sent a %s record after its ChangeCipherSpec, not its Finished", wire.ContentTypeName(typ))
	}
	fin, err := server.Open(typ, frag)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("the server's Finished does not decrypt under the session's master secret: %v", err)
	}
	want := wire.HandshakeMessage(wire.TypeFinished, sess.suite.PRF(sess.master, "server finished", sess.suite.TranscriptHash(transcript), 12))
	if !bytes.Equal(fin, want) {
		return false, time.Time{}, errors.New("the server's Finished does not verify: it does not hold the session's master secret")
	}
	transcript = append(transcript, fin...)
	ours := wire.HandshakeMessage(wire.TypeFinished, sess.suite.PRF(sess.master, "client finished", sess.suite.TranscriptHash(transcript), 12))
	sealed, err := client.Seal(wire.ContentHandshake, ours)
	if err != nil {
		return false, time.Time{}, err
	}
	flight := wire.WrapRecords(wire.ContentChangeCipherSpec, wire.VersionTLS12, []byte{1})
	flight = append(flight, wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, sealed)...)
	if _, err := conn.Write(flight); err != nil {
		return false, time.Time{}, err
	}
	done = time.Now()
	// A server that rejects the client's Finished says so at once with an alert; one that takes
	// it waits for data. Three round trips (the ServerHello's), at least 30 ms, tell them apart.
	wait := min(max(3*rtt, 30*time.Millisecond), 500*time.Millisecond)
	if !deadline.IsZero() {
		wait = min(wait, time.Until(deadline))
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	if typ, payload, err := r.next(); err == nil {
		if typ == wire.ContentAlert {
			if pt, oerr := server.Open(typ, payload); oerr == nil {
				payload = pt
			}
			return false, done, fmt.Errorf("the server refused the client's Finished: alert %s", alertName(payload))
		}
	}
	if notify, err := client.Seal(wire.ContentAlert, []byte{1, 0}); err == nil { // close_notify
		_, _ = conn.Write(wire.WrapRecords(wire.ContentAlert, wire.VersionTLS12, notify))
	}
	return true, done, nil
}

func alertName(payload []byte) string {
	if a, err := wire.ParseAlert(payload); err == nil {
		return a.LevelName + " " + a.DescriptionName
	}
	return "(malformed)"
}

// records12 reads whole records from conn with wire's framing (which refuses bad headers and
// oversized records), at most 256 KiB in all.
type records12 struct {
	conn  net.Conn
	buf   []byte
	read  int
	ready []wire.Record
}

const records12Max = 256 << 10

// fill reads until a whole record is framed.
func (r *records12) fill() error {
	for len(r.ready) == 0 {
		recs, rest, err := wire.ParseRecords(r.buf)
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			r.ready, r.buf = recs, bytes.Clone(rest)
			return nil
		}
		if r.read > records12Max {
			return errors.New("the server sent too much for a resumption")
		}
		tmp := make([]byte, 16<<10)
		n, err := r.conn.Read(tmp)
		r.buf = append(r.buf, tmp[:n]...)
		r.read += n
		switch {
		case n > 0:
		case errors.Is(err, io.EOF):
			return errors.New("server closed the connection during the handshake")
		case err != nil:
			return err
		}
	}
	return nil
}

func (r *records12) peekType() uint8 {
	if r.fill() != nil {
		return 0
	}
	return r.ready[0].Type
}

func (r *records12) next() (uint8, []byte, error) {
	if err := r.fill(); err != nil {
		return 0, nil, err
	}
	rec := r.ready[0]
	r.ready = r.ready[1:]
	return rec.Type, bytes.Clone(rec.Payload), nil
}
