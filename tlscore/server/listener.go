package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tlskit/tlskit/tlscore/names/dn"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// Options configure the listener's TLS and its limits.
type Options struct {
	Addr         string
	Certs        *CertStore
	MinVersion   uint16
	MaxVersion   uint16
	CipherSuites []uint16
	Groups       []tls.CurveID
	ALPN         []string
	ClientAuth   tls.ClientAuthType
	ClientCAs    *x509.CertPool
	KeyLog       io.Writer
	// ECHKeys are the Encrypted Client Hello keys (RFC 9849) a client may encrypt its hello
	// to; those marked SendAsRetry are offered to a client whose ECH could not be decrypted.
	ECHKeys []tls.EncryptedClientHelloKey
	// HandshakeTimeout bounds the time from accept to a finished handshake (10s when 0).
	HandshakeTimeout time.Duration
	// MaxConns caps connections open at once (1024 when 0); further clients wait in the
	// kernel's accept queue. A connection holds its slot until it is closed, upgraded
	// (hijacked) ones included. With IdleTimeout set, a client waiting for a slot gets the one
	// of the connection that has gone longest without progress, once that is EvictAfter (or
	// IdleTimeout, if shorter).
	MaxConns int
	// EvictAfter is how long a connection must have made no progress to be closed for a
	// client waiting for a slot (DefaultEvictAfter when 0).
	EvictAfter time.Duration
	// IdleTimeout closes an established connection that makes no progress for this long: no
	// write gets through and fewer than ReadProgressBytes arrive (progressConn). 0 means no
	// such bound.
	IdleTimeout time.Duration
	// Drain is how long ServeHTTP and ServeEcho, once their context ends, let the connections
	// still open finish before closing them. 0 closes them at once: the caller chooses the
	// grace (serve promises 5 s), so a test need not sit through it.
	Drain time.Duration
	// Events receives one event per connection when the handshake ends, well or badly. It is
	// called from the connection's goroutine and must not block for long.
	Events func(Event)
}

// Event is what a connection's handshake showed: the log line of `tlskit serve`.
type Event struct {
	Time        time.Time `json:"time"`
	Remote      string    `json:"remote"`
	SNI         string    `json:"sni"`
	Version     string    `json:"version,omitempty"`
	CipherSuite string    `json:"cipher_suite,omitempty"`
	ALPN        string    `json:"alpn,omitempty"`
	JA4         string    `json:"ja4,omitempty"`
	ClientCert  string    `json:"client_certificate,omitempty"`
	HandshakeMs float64   `json:"handshake_ms"`
	Error       string    `json:"error,omitempty"`
	// Cause is the error Error describes, for a caller that tells causes apart (ErrEvicted,
	// whose hint names a setting of the caller's, not this package's).
	Cause error `json:"-"`
	// ECH is what the client's Encrypted Client Hello showed; nil when it sent none.
	ECH   *ECHView          `json:"ech,omitempty"`
	Hello *wire.ClientHello `json:"-"`
}

// ECHView is what a client's Encrypted Client Hello showed the server: the outer ClientHello
// carries the public name in the clear, and, when the server could decrypt it, the inner one
// carries the name the client meant.
type ECHView struct {
	// Accepted: the inner ClientHello was decrypted and used. Not accepted, the outer one was
	// (a GREASE extension, or a config the server has no key for); the client is then sent the
	// retry configs.
	Accepted bool   `json:"accepted"`
	OuterSNI string `json:"outer_sni"`
	// InnerSNI is the name the outer hello hid, known only when accepted.
	InnerSNI string `json:"inner_sni,omitempty"`
	ConfigID uint8  `json:"config_id"`
}

// ECHOf says what a connection's ECH was, from the outer ClientHello as received and the state
// of the finished handshake; nil when the client sent no ECH extension.
func ECHOf(outer *wire.ClientHello, cs tls.ConnectionState) *ECHView {
	if outer == nil || outer.ECH == nil || outer.ECH.Type != "outer" {
		return nil
	}
	v := &ECHView{Accepted: cs.ECHAccepted, OuterSNI: capSNI(outer.ServerName), ConfigID: outer.ECH.ConfigID}
	if cs.ECHAccepted {
		v.InnerSNI = capSNI(cs.ServerName)
	}
	return v
}

// ErrEvicted is a handshake closed to give its slot to a client waiting for one (MaxConns).
var ErrEvicted = errors.New("closed during the handshake to make room for another client")

// Listener accepts TCP connections, completes their TLS handshakes concurrently (never in the
// accept loop), and hands out only established *tls.Conn values, so an http.Server serving it
// sees ordinary TLS connections (r.TLS, HTTP/2 by ALPN).
type Listener struct {
	inner   net.Listener
	opts    Options
	cfg     *tls.Config
	ready   chan *tls.Conn
	slots   chan struct{}
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	ja4     func(*wire.ClientHello) string
	closeMu sync.Mutex
	closed  bool

	connMu sync.Mutex
	conns  map[*progressConn]struct{} // every connection holding a slot
}

// Listen starts listening. ja4 computes the fingerprint shown in events (nil for none).
func Listen(opts Options, ja4 func(*wire.ClientHello) string) (*Listener, error) {
	if opts.Certs == nil {
		return nil, errors.New("no certificates")
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 10 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 1024
	}
	inner, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	l := &Listener{
		inner: inner,
		opts:  opts,
		ready: make(chan *tls.Conn),
		slots: make(chan struct{}, opts.MaxConns),
		done:  make(chan struct{}),
		ja4:   ja4,
		conns: map[*progressConn]struct{}{},
	}
	l.cfg = &tls.Config{
		GetCertificate:   opts.Certs.GetCertificate,
		MinVersion:       opts.MinVersion,
		MaxVersion:       opts.MaxVersion,
		CipherSuites:     opts.CipherSuites,
		CurvePreferences: opts.Groups,
		NextProtos:       opts.ALPN,
		ClientAuth:       opts.ClientAuth,
		ClientCAs:        opts.ClientCAs,
		KeyLogWriter:     opts.KeyLog,
		// crypto/tls asks for MinVersion TLS 1.3 with ECH keys, but only a client that offers
		// ECH is held to it: older clients still get the versions configured.
		EncryptedClientHelloKeys: opts.ECHKeys,
	}
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Addr is the address actually listened on (with the real port for ":0").
func (l *Listener) Addr() net.Addr { return l.inner.Addr() }

// TLSConfig is the configuration handshakes use (for servers that need its NextProtos).
func (l *Listener) TLSConfig() *tls.Config { return l.cfg }

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		raw, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if l.isClosed() {
				return
			}
			// Out of file descriptors and the like: back off rather than spin.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		// The one connection accepted beyond the cap waits here for a slot, and makes room.
		if !l.takeSlot() {
			raw.Close()
			return
		}
		var pc *progressConn
		// From here on the slot is given back when the connection is closed, whoever closes it.
		pc = newProgressConn(raw, l.opts.IdleTimeout, func() {
			l.connMu.Lock()
			delete(l.conns, pc)
			l.connMu.Unlock()
			<-l.slots
		})
		l.connMu.Lock()
		l.conns[pc] = struct{}{}
		l.connMu.Unlock()
		go l.handshake(pc)
	}
}

// DefaultEvictAfter is how long a connection must have gone without progress (see
// progressConn) to be closed for a client waiting for a slot: with every slot taken by
// connections that stall (slow bodies, clients that do not read, idle tunnels and keep-alives)
// until the idle timeout, a real client would otherwise wait that long. A transfer that keeps
// moving is never closed.
const DefaultEvictAfter = time.Second

// evictPoll is how often a client waiting for a slot looks again for one to take.
const evictPoll = 100 * time.Millisecond

// takeSlot waits for a free slot, making room while every slot is taken; it reports false
// once the listener is closed.
func (l *Listener) takeSlot() bool {
	select {
	case l.slots <- struct{}{}:
		return true
	case <-l.done:
		return false
	default:
	}
	var tick <-chan time.Time
	if l.opts.IdleTimeout > 0 {
		t := time.NewTicker(evictPoll)
		defer t.Stop()
		tick = t.C
		l.evictStalest()
	}
	for {
		select {
		case l.slots <- struct{}{}:
			return true
		case <-l.done:
			return false
		case <-tick:
			l.evictStalest()
		}
	}
}

// evictStalest closes the connection that has gone longest without progress, if that is
// long enough.
func (l *Listener) evictStalest() {
	evictAfter := l.opts.EvictAfter
	if evictAfter <= 0 {
		evictAfter = DefaultEvictAfter
	}
	after := min(evictAfter, l.opts.IdleTimeout)
	var (
		stalest *progressConn
		since   time.Time
	)
	l.connMu.Lock()
	for pc := range l.conns {
		if t, waiting := pc.quietSince(); waiting && (stalest == nil || t.Before(since)) {
			stalest, since = pc, t
		}
	}
	l.connMu.Unlock()
	if stalest != nil && time.Since(since) >= after {
		stalest.evict()
	}
}

func (l *Listener) isClosed() bool {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	return l.closed
}

// handshake completes one connection's handshake under the deadline and either hands it to
// Accept or closes it, reporting the outcome either way.
func (l *Listener) handshake(raw *progressConn) {
	start := time.Now()
	hc := &helloConn{Conn: raw}
	tc := tls.Server(hc, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.HandshakeTimeout)
	defer cancel()
	raw.SetDeadline(start.Add(l.opts.HandshakeTimeout))
	err := tc.HandshakeContext(ctx)
	ev := Event{Time: start.UTC(), Remote: raw.RemoteAddr().String(), HandshakeMs: float64(time.Since(start).Microseconds()) / 1000, Hello: hc.Hello}
	if hc.Hello != nil {
		ev.SNI = capSNI(hc.Hello.ServerName)
		if l.ja4 != nil {
			ev.JA4 = l.ja4(hc.Hello)
		}
	}
	if err != nil {
		// A client whose ECH was not accepted may give up on the retry configs mid-handshake.
		ev.ECH = ECHOf(hc.Hello, tc.ConnectionState())
		if ctx.Err() != nil {
			// The deadline ended it; how crypto/tls happened to notice (a closed connection, a
			// timeout) does not matter.
			err = context.DeadlineExceeded
		}
		if isEvicted(raw) {
			ev.Error, ev.Cause = ErrEvicted.Error(), ErrEvicted
		} else {
			ev.Error, ev.Cause = describeHandshakeError(err, hc, raw), err
		}
		l.emit(ev)
		tc.Close()
		return
	}
	raw.track()
	cs := tc.ConnectionState()
	if ev.ECH = ECHOf(hc.Hello, cs); ev.ECH != nil && ev.ECH.Accepted {
		ev.SNI = ev.ECH.InnerSNI // the name the client meant; the outer one is in ECH
	}
	ev.Version = wire.VersionName(cs.Version)
	ev.CipherSuite = tls.CipherSuiteName(cs.CipherSuite)
	ev.ALPN = cs.NegotiatedProtocol
	if len(cs.PeerCertificates) > 0 {
		ev.ClientCert = dn.Subject(cs.PeerCertificates[0])
	}
	l.emit(ev)
	select {
	case l.ready <- tc:
	case <-l.done:
		tc.Close()
	}
}

// maxLoggedSNI is the most of a client's server_name an event carries: 255 bytes is the
// longest DNS name, and a ClientHello may carry 64 KiB of anything.
const maxLoggedSNI = 255

// capSNI cuts an overlong SNI (at a UTF-8 boundary) and says how long it was.
func capSNI(s string) string {
	if len(s) <= maxLoggedSNI {
		return s
	}
	cut := maxLoggedSNI
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s...[%d bytes]", s[:cut], len(s))
}

func (l *Listener) emit(ev Event) {
	if l.opts.Events != nil {
		l.opts.Events(ev)
	}
}

// describeHandshakeError says, in a few words, why a client's handshake failed.
func describeHandshakeError(err error, hc *helloConn, raw net.Conn) string {
	var nt *NotTLSError
	switch {
	case errors.As(hc.Err, &nt):
		if nt.Guess == "HTTP" {
			// A browser or curl pointed at http:// on our port: tell it, then close.
			io.WriteString(raw, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThis is a TLS port: use https://\n")
		}
		return nt.Error()
	case hc.Hello == nil && (isTimeout(hc.Err) || errors.Is(err, context.DeadlineExceeded)):
		return "timed out waiting for a ClientHello"
	case hc.Hello == nil && (errors.Is(hc.Err, io.EOF) || errors.Is(hc.Err, io.ErrUnexpectedEOF)):
		return "client closed the connection before its ClientHello"
	case hc.Hello == nil && hc.Err != nil:
		return "bad ClientHello: " + hc.Err.Error()
	case isTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return "handshake timed out"
	case errors.Is(err, io.EOF):
		return "client closed the connection during the handshake"
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// Accept returns the next connection whose handshake succeeded. It is a plain *tls.Conn, so
// servers recognise it as TLS; its slot is freed when it is closed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Release frees the connection slot of a connection Accept returned, if closing it has not
// already; calling it again, or for a connection that is not a Listener's, does nothing.
// Closing the connection is enough; Release is for servers that free slots as they see
// connections end (http.Server's ConnState).
func (l *Listener) Release(c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok {
		return
	}
	if hc, ok := tc.NetConn().(*helloConn); ok {
		if pc, ok := hc.Conn.(*progressConn); ok {
			pc.releaseSlot()
		}
	}
}

// Close stops accepting; established connections are the server's to close.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		l.closeMu.Lock()
		l.closed = true
		l.closeMu.Unlock()
		close(l.done)
		err = l.inner.Close()
	})
	return err
}
