package server

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// In-process tests of the listener against misbehaving clients: everything the binary's
// end-to-end tests cannot see, above all that no goroutine is left behind.

// ltCert is a self-signed ECDSA certificate for localhost and 127.0.0.1.
func ltCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(42),
		Subject:               pkix.Name{CommonName: "listener test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// ltServer is a Listener with an echo server on its accepted connections and a record of its
// events.
type ltServer struct {
	ln       *Listener
	pool     *x509.CertPool
	mu       sync.Mutex
	events   []Event
	accepted sync.WaitGroup // the accept loop and every echo goroutine
}

func ltStart(t *testing.T, timeout time.Duration, maxConns int) *ltServer {
	t.Helper()
	cert, pool := ltCert(t)
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &ltServer{pool: pool}
	ln, err := Listen(Options{
		Addr:             "127.0.0.1:0",
		Certs:            store,
		ALPN:             []string{"echo"},
		HandshakeTimeout: timeout,
		MaxConns:         maxConns,
		Events: func(ev Event) {
			s.mu.Lock()
			s.events = append(s.events, ev)
			s.mu.Unlock()
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.accepted.Add(1)
	go func() {
		defer s.accepted.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			go func() {
				defer s.accepted.Done()
				defer ln.Release(c)
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.accepted.Wait()
	})
	return s
}

func (s *ltServer) addr() string { return s.ln.Addr().String() }

func (s *ltServer) eventsFor(remotes map[string]bool) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, ev := range s.events {
		if remotes[ev.Remote] {
			out = append(out, ev)
		}
	}
	return out
}

// waitEvents waits up to limit for an event for each of remotes.
func (s *ltServer) waitEvents(remotes map[string]bool, limit time.Duration) []Event {
	deadline := time.Now().Add(limit)
	for {
		evs := s.eventsFor(remotes)
		if len(evs) >= len(remotes) || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ltClientHello returns the records of a crypto/tls client's ClientHello, captured over a pipe.
func ltClientHello(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	c1, c2 := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tls.Client(c1, cfg).Handshake()
		c1.Close()
	}()
	defer func() {
		c2.Close()
		<-done
	}()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c2, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(c2, body); err != nil {
		t.Fatal(err)
	}
	return append(hdr, body...)
}

func ltDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ltClosedByPeer reads c until the peer closes it (EOF or reset), up to limit.
func ltClosedByPeer(c net.Conn, limit time.Duration) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(limit))
	b, err := io.ReadAll(c)
	if err == nil || errors.Is(err, syscall.ECONNRESET) {
		return b, nil
	}
	return b, err
}

// ltSettle waits until runtime.NumGoroutine() is at most want, up to limit, and returns the last
// count.
func ltSettle(want int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ltStacks is every goroutine's stack, for a failure message.
func ltStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

func TestListenerHostileClientsNoGoroutineLeak(t *testing.T) {
	before := ltSettle(0, 200*time.Millisecond) // whatever is running already
	const timeout = 300 * time.Millisecond
	s := ltStart(t, timeout, 0)
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()
	hello := ltClientHello(t, &tls.Config{ServerName: "localhost", RootCAs: s.pool})

	type client struct {
		kind string
		conn net.Conn
	}
	var clients []client
	hostile := map[string]bool{}
	add := func(kind string, send []byte) {
		c := ltDial(t, s.addr())
		if send != nil {
			if _, err := c.Write(send); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
		}
		clients = append(clients, client{kind, c})
		hostile[c.LocalAddr().String()] = true
	}
	for i := 0; i < 200; i++ {
		add("silent", nil)
	}
	for i := 0; i < 20; i++ {
		add("garbage", []byte("\xde\xad\xbe\xef not TLS at all\r\n"))
		add("half ClientHello", hello[:len(hello)/2])
		add("HTTP request", []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
		add("ClientHello then silence", hello)
		add("TLS alert", []byte{21, 3, 3, 0, 2, 2, 40})
	}
	// Connect and hang up at once.
	for i := 0; i < 20; i++ {
		c := ltDial(t, s.addr())
		hostile[c.LocalAddr().String()] = true
		c.Close()
	}
	// Well-behaved clients, some of them idle for a while, all served.
	var good []*tls.Conn
	for i := 0; i < 25; i++ {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.addr(),
			&tls.Config{ServerName: "localhost", RootCAs: s.pool, NextProtos: []string{"echo"}})
		if err != nil {
			t.Fatalf("good client %d with hostile ones around: %v", i, err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		msg := fmt.Sprintf("hello %d\n", i)
		io.WriteString(c, msg)
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("good client %d: echo %q %v", i, got, err)
		}
		good = append(good, c)
	}

	// The server closes every hostile connection by itself within the handshake timeout.
	for _, c := range clients {
		b, err := ltClosedByPeer(c.conn, timeout+2*time.Second)
		if err != nil {
			t.Errorf("%s: not closed by the server: %v", c.kind, err)
		}
		if c.kind != "HTTP request" && len(b) > 0 && c.kind != "ClientHello then silence" {
			t.Errorf("%s: the server answered %q", c.kind, b)
		}
		c.conn.Close()
	}
	for _, c := range good {
		c.Close()
	}
	evs := s.waitEvents(hostile, 2*time.Second)
	if len(evs) != len(hostile) {
		t.Errorf("%d events for %d hostile connections", len(evs), len(hostile))
	}
	for _, ev := range evs {
		if ev.Error == "" {
			t.Errorf("hostile connection %s logged without an error: %+v", ev.Remote, ev)
		}
	}

	if n := ltSettle(base, 5*time.Second); n > base {
		t.Fatalf("%d goroutines 5s after every client left, %d before they came:\n%s", n, base, ltStacks())
	}
	s.ln.Close()
	s.accepted.Wait()
	if n := ltSettle(before, 5*time.Second); n > before {
		t.Fatalf("%d goroutines after Close, %d before Listen:\n%s", n, before, ltStacks())
	}
}

// TestListenerSilentClientsLoggedAsTimeout: a client that connects and says nothing, or stops
// halfway through its ClientHello, must be logged as a timeout, every time.
func TestListenerSilentClientsLoggedAsTimeout(t *testing.T) {
	t.Parallel()
	s := ltStart(t, 300*time.Millisecond, 0)
	hello := ltClientHello(t, &tls.Config{ServerName: "localhost", RootCAs: s.pool})
	remotes := map[string]bool{}
	var conns []net.Conn
	for i := 0; i < 60; i++ {
		c := ltDial(t, s.addr())
		if i%2 == 1 {
			c.Write(hello[:len(hello)/2])
		}
		conns = append(conns, c)
		remotes[c.LocalAddr().String()] = true
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	evs := s.waitEvents(remotes, 3*time.Second)
	kinds := map[string]int{}
	for _, ev := range evs {
		e := ev.Error
		if i := strings.Index(e, "read tcp "); i >= 0 {
			e = e[:i] + "read tcp ADDR..."
		}
		kinds[e]++
	}
	const want = "timed out waiting for a ClientHello"
	if len(evs) != len(remotes) || kinds[want] != len(remotes) {
		t.Errorf("BUG: %d silent/half-hello clients logged as %v, want all %d as %q. The handshake's context "+
			"and the connection deadline (listener.go handshake) expire at the same instant; when crypto/tls's "+
			"context watcher closes the connection first, helloConn's read fails with net.ErrClosed and "+
			"describeHandshakeError reports \"bad ClientHello: ... use of closed network connection\".",
			len(evs), kinds, len(remotes), want)
	}
}

// TestListenerHTTPRequestGets400: a plain HTTP request on the TLS port gets a short 400 answer
// pointing at https, and is logged as HTTP.
func TestListenerHTTPRequestGets400(t *testing.T) {
	s := ltStart(t, 2*time.Second, 0)
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
		"HEAD / HTTP/1.0\r\n\r\n",
	} {
		c := ltDial(t, s.addr())
		start := time.Now()
		c.Write([]byte(req))
		b, err := ltClosedByPeer(c, 3*time.Second)
		c.Close()
		if err != nil || time.Since(start) > time.Second {
			t.Errorf("%q: closed after %v, err %v", req, time.Since(start), err)
		}
		evs := s.waitEvents(map[string]bool{c.LocalAddr().String(): true}, 2*time.Second)
		logged := "<none>"
		if len(evs) == 1 {
			logged = evs[0].Error
		}
		if !bytes.HasPrefix(b, []byte("HTTP/1.")) || !bytes.Contains(b, []byte(" 400 ")) || !bytes.Contains(b, []byte("https://")) ||
			logged != "client sent HTTP, not TLS" {
			t.Errorf("BUG: %q on the TLS port: answer %q, logged %q; want a 400 answer naming https:// and "+
				"\"client sent HTTP, not TLS\". readHello relies on wire's NotTLSError guess, which recognises "+
				"HTTP responses (\"HTTP/\", \"<html\") but not requests, so the answer is never sent.", req, b, logged)
		}
	}
}

// TestListenerSlotsReleased: failed handshakes and closed connections give their --max-conns
// slot back, and a client waiting for a slot is served once one frees up.
func TestListenerSlotsReleased(t *testing.T) {
	t.Parallel()
	// The handshake timeout frees the silent clients' slots; it must also be long enough for
	// the good clients' handshakes on a loaded machine (300 ms was not: "echo: EOF").
	const timeout = time.Second
	s := ltStart(t, timeout, 3)
	cfg := &tls.Config{ServerName: "localhost", RootCAs: s.pool, NextProtos: []string{"echo"}}
	roundTrip := func(what string, limit time.Duration) {
		t.Helper()
		start := time.Now()
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.addr(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "x")
		b := make([]byte, 1)
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatalf("%s: echo: %v", what, err)
		}
		if took := time.Since(start); took > limit {
			t.Errorf("%s: took %v, want under %v", what, took, limit)
		}
	}
	// All slots held by silent clients: the next client waits for the first timeout.
	var silent []net.Conn
	for i := 0; i < 3; i++ {
		silent = append(silent, ltDial(t, s.addr()))
	}
	roundTrip("client queued behind 3 silent ones", timeout+2*time.Second)
	for _, c := range silent {
		c.Close()
	}
	// Failed handshakes, then many sequential good clients: slots must come back every time.
	for i := 0; i < 6; i++ {
		c := ltDial(t, s.addr())
		c.Write([]byte("nonsense\r\n"))
		ltClosedByPeer(c, 2*time.Second)
		c.Close()
	}
	for i := 0; i < 12; i++ {
		roundTrip(fmt.Sprintf("sequential client %d", i), time.Second)
		// Until the server has seen the close and given the slot back.
		for deadline := time.Now().Add(5 * time.Second); len(s.ln.slots) > 0; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("sequential client %d: %d slots still held 5s after every client left", i, len(s.ln.slots))
			}
		}
	}
}

// TestListenerLongSNICapped: a ClientHello may carry a 60 KB server_name, which was logged
// verbatim, 60 KB a line. The event carries at most 255 bytes of it (the longest DNS name) and
// says how long it was.
func TestListenerLongSNICapped(t *testing.T) {
	t.Parallel()
	s := ltStart(t, 300*time.Millisecond, 0)
	sni := strings.Repeat("a", 60000) + ".example"
	msg, err := wire.MarshalClientHello(wire.ClientHelloSpec{
		ServerName:        sni,
		CipherSuites:      []uint16{tls.TLS_AES_128_GCM_SHA256},
		SupportedVersions: []uint16{tls.VersionTLS13},
		Groups:            []uint16{uint16(tls.X25519)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var recs []byte
	for len(msg) > 0 {
		n := min(len(msg), 16384)
		recs = append(recs, 22, 3, 1, byte(n>>8), byte(n))
		recs = append(recs, msg[:n]...)
		msg = msg[n:]
	}
	c := ltDial(t, s.addr())
	defer c.Close()
	c.Write(recs)
	evs := s.waitEvents(map[string]bool{c.LocalAddr().String(): true}, 3*time.Second)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	got := evs[0].SNI
	want := strings.Repeat("a", 255) + "...[60008 bytes]"
	if got != want {
		t.Errorf("BUG: a %d-byte SNI logged as %d bytes (%.40q...), want %q", len(sni), len(got), got, want)
	}
}

func TestCapSNI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"example.com", "example.com"},
		{strings.Repeat("b", 255), strings.Repeat("b", 255)},
		{strings.Repeat("b", 256), strings.Repeat("b", 255) + "...[256 bytes]"},
		// A multi-byte character across the cut is left out whole.
		{strings.Repeat("b", 254) + "é" + "x", strings.Repeat("b", 254) + "...[257 bytes]"},
	} {
		if got := capSNI(tc.in); got != tc.want {
			t.Errorf("capSNI(%d bytes) = %q, want %q", len(tc.in), got, tc.want)
		}
	}
}

// TestListenerEvictedHandshakeEvent: a handshake closed to make room for a waiting client is
// logged as ErrEvicted, its description without the CLI's flag: it used to read "... (--max-conns)",
// a flag this package does not have; cmd now adds that hint.
func TestListenerEvictedHandshakeEvent(t *testing.T) {
	t.Parallel()
	cert, pool := ltCert(t)
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 4)
	ln, err := Listen(Options{
		Addr: "127.0.0.1:0", Certs: store, MaxConns: 1, IdleTimeout: 200 * time.Millisecond,
		HandshakeTimeout: 10 * time.Second, Events: func(ev Event) { events <- ev },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	silent := ltDial(t, ln.Addr().String())
	defer silent.Close()
	// The silent client has the only slot before the real one comes.
	for deadline := time.Now().Add(5 * time.Second); len(ln.slots) < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the silent client never took the slot")
		}
	}
	waiting, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{ServerName: "localhost", RootCAs: pool})
	if err != nil {
		t.Fatalf("the waiting client: %v", err)
	}
	waiting.Close()
	// The waiting client's event may come first: the slot is free once the silent connection
	// is closed, before its handshake goroutine reports.
	for timeout := time.After(5 * time.Second); ; {
		select {
		case ev := <-events:
			if ev.Remote != silent.LocalAddr().String() {
				continue
			}
			if !errors.Is(ev.Cause, ErrEvicted) || ev.Error != ErrEvicted.Error() || strings.Contains(ev.Error, "--") {
				t.Errorf("the silent client's event %+v, want ErrEvicted, described as %q", ev, ErrEvicted)
			}
			return
		case <-timeout:
			t.Fatal("no event for the evicted handshake")
		}
	}
}
