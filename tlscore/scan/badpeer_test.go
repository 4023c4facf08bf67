package scan

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// badServer runs handle for every connection (peertest.Serve) and returns the port. A
// connection stays open after handle returns, until the test ends (a silent peer is a handler
// that returns at once), unless handle closes it.
func badServer(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		handle(c)
		<-ctx.Done()
	})
	_, port, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(port)
	return n
}

func readHello(c net.Conn) {
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Read(buf)
}

// TestBadPeers checks that a peer that never answers in TLS is no scan result but a
// *NotScannedError saying what it did (a scan of it would list every version as inconclusive
// and nothing accepted), and that a silent one stops the scan after its first probes' timeout
// instead of one timeout per probe.
func TestBadPeers(t *testing.T) {
	t.Parallel()
	const timeout, parallel = 700 * time.Millisecond, 2
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
		why    string // in the error
		// maxConns bounds the connections the scan makes (0: not checked): the first wave of
		// probes and the full handshake, no more.
		maxConns int64
	}{
		{"silent", func(c net.Conn) { readHello(c) /* then never answer */ }, "does not speak TLS (it answered no ClientHello within 700ms)", parallel + 1},
		{"garbage", func(c net.Conn) {
			readHello(c)
			_, _ = c.Write([]byte("\x16\x03\x03\x00\x06\x02\x00\x00\x02\xff\xff"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}, "answered in TLS, but no version it accepts could be determined", 0},
		{"http", func(c net.Conn) {
			readHello(c)
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}, "does not speak TLS (it answered with an HTTP response; is this a plain-HTTP port?)", 0},
		{"smtp-banner", func(c net.Conn) {
			_, _ = c.Write([]byte("220 mail.test ESMTP\r\n"))
			readHello(c)
			_, _ = c.Write([]byte("500 5.5.2 what?\r\n"))
			c.Close()
		}, "does not speak TLS (it answered with a plaintext SMTP greeting)", 0},
		{"reset", func(c net.Conn) {
			readHello(c)
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, "gave no usable TLS answer", 0},
		{"half-serverhello", func(c net.Conn) {
			readHello(c)
			// A record header promising more than is ever sent, then a reset.
			_, _ = c.Write([]byte("\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03"))
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}, "gave no usable TLS answer", 0},
		{"close", func(c net.Conn) {
			readHello(c)
			c.Close()
		}, "does not speak TLS (it closed every connection without answering)", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int64
			port := badServer(t, func(c net.Conn) {
				conns.Add(1)
				tc.handle(c)
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Scan(ctx, Options{Target: localTarget(port), Timeout: timeout, Parallel: parallel})
			t.Logf("%s: %v, %d connections: %v", tc.name, time.Since(start).Round(time.Millisecond), conns.Load(), err)
			var ne *NotScannedError
			if !errors.As(err, &ne) {
				t.Fatalf("Scan: error %v (%T), result %+v; want a *NotScannedError", err, err, res)
			}
			if res != nil {
				t.Errorf("a result came with the error: %+v", res)
			}
			if want := localTarget(port).Address() + " " + tc.why; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start %q", err, want)
			}
			if tc.maxConns > 0 && conns.Load() > tc.maxConns {
				t.Errorf("BUG: the scan made %d connections to a silent peer, each waiting out its %v timeout; the first %d show it is silent",
					conns.Load(), timeout, tc.maxConns)
			}
		})
	}
}

// TestMisbehavingPeersAddNoSuites scans peers that misbehave part of the time or all of it: a
// Go TLS server behind a front that drops every second connection unread, a port that accepts
// and never answers, and two that answer each hello with garbage (an HTTP response and then
// junk; a truncated ServerHello). The scan must end (well within 30 s at a 1 s timeout), with a
// result or an error, and never report a suite, version or group the peer did not accept:
// dropped probes may cost completeness, which is logged, not asserted.
func TestMisbehavingPeersAddNoSuites(t *testing.T) {
	t.Parallel()
	_, _, pair := testCert(t, "ecdsa")
	// Go's server with a fixed TLS 1.2 suite list; TLS 1.3 suites are not configurable.
	goSuites := []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}
	goCfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, CipherSuites: goSuites}
	goAccepts := map[string]bool{}
	for _, id := range goSuites {
		goAccepts["TLS 1.2 "+tls.CipherSuiteName(id)] = true
	}
	for _, id := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256} {
		goAccepts["TLS 1.3 "+tls.CipherSuiteName(id)] = true
	}

	for _, tc := range []struct {
		name   string
		handle func(n int64, c net.Conn)
		tls    bool // a real TLS server answers some connections
	}{
		{name: "drop-every-second", tls: true, handle: func(n int64, c net.Conn) {
			defer c.Close()
			if n%2 == 0 {
				return // close without reading
			}
			peertest.ServeTLSConfig(c, goCfg, 5*time.Second)
		}},
		{name: "stall-after-accept", handle: func(n int64, c net.Conn) {
			peertest.Drain(c) // never answers; returns when the client or the cleanup closes c
		}},
		{name: "garbage", handle: func(n int64, c net.Conn) {
			defer c.Close()
			readHello(c)
			junk := []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			for i := 0; i < 64; i++ {
				junk = append(junk, byte(i*37+11))
			}
			_, _ = c.Write(junk)
		}},
		{name: "garbage-tls-like", handle: func(n int64, c net.Conn) {
			defer c.Close()
			readHello(c)
			// A handshake record holding a truncated, nonsensical ServerHello.
			_, _ = c.Write([]byte{0x16, 0x03, 0x03, 0x00, 0x08, 0x02, 0x00, 0x00, 0x40, 0x03, 0x03, 0xde, 0xad})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int64
			port := badServer(t, func(c net.Conn) { tc.handle(conns.Add(1), c) })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Scan(ctx, Options{Target: localTarget(port), ServerName: "localhost", Roots: testRoots(t, "ecdsa"), Timeout: time.Second})
			took := time.Since(start)
			t.Logf("after %v, %d connections: %v", took.Round(time.Millisecond), conns.Load(), err)
			if took > 30*time.Second {
				t.Errorf("scan took %v, want under 30s", took)
			}
			if err != nil {
				return // nothing reported, nothing invented
			}
			pairs := map[string]bool{}
			var inc []string
			for _, v := range res.Versions {
				if v.Inconclusive {
					inc = append(inc, v.Version)
				}
				if v.Supported && !tc.tls {
					t.Errorf("BUG: %s reported supported by a peer that speaks no TLS", v.Version)
				}
				for _, s := range v.Suites {
					pairs[v.Version+" "+s.Name] = true
					if !tc.tls || !goAccepts[v.Version+" "+s.Name] {
						t.Errorf("BUG: reported %s %s, which the peer never accepts", v.Version, s.Name)
					}
				}
			}
			for _, g := range res.Groups {
				if g.Supported && !tc.tls {
					t.Errorf("BUG: group %s reported supported by a peer that speaks no TLS", g.Name)
				}
			}
			t.Logf("found %v of the %d pairs Go accepts, inconclusive %v, %d probes", sortedKeys(pairs), len(goAccepts), inc, res.Probes)
		})
	}
}

// TestSilentOnOldHellosOnly checks that a TLS server that never answers the hellos of old
// versions (SSL 2.0 to TLS 1.1) is scanned, not taken for a silent port: TLS 1.2 and 1.3 are
// found, the old versions are inconclusive. Any answer in TLS shows the peer speaks it, and the
// scan's full handshake (Go's TLS stack, started first) is one: the second case answers that
// alone and no probe at all, and the scan must still not stop at the first silent probe as it
// does for a silent port ("does not speak TLS"), but end with no version determined.
//
// The unanswered probes wait out their timeouts together, 0.7 s for both cases. The test ran
// the first case alone with one probe at a time, 3.15 s, so that the first probe
// "may well be an old hello"; it was not (the TLS 1.3 probe, started last, went first and was
// answered), so the full handshake was never the only evidence there, as it is in the second.
func TestSilentOnOldHellosOnly(t *testing.T) {
	t.Parallel()
	_, _, pair := testCert(t, "ecdsa")
	backend := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}})
	for _, tc := range []struct {
		name   string
		answer func(ch *wire.ClientHello) bool // which TLS hellos reach the server
		opts   Options
		// onlyFullHandshake: no probe is answered, so no version can be determined.
		onlyFullHandshake bool
	}{
		{"old hellos unanswered", func(ch *wire.ClientHello) bool { return ch.LegacyVersion >= wire.VersionTLS12 },
			Options{Timeout: 300 * time.Millisecond}, false},
		// Only Go's full handshake offers ALPN; the probes never do. All 14 probes start at
		// once, and the full handshake must have its answer before the first of them gives up:
		// within 600 ms, where it takes a few milliseconds.
		{"only the full handshake answered", func(ch *wire.ClientHello) bool { return len(ch.ALPN) > 0 },
			Options{Timeout: 600 * time.Millisecond, Parallel: 16}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := helloFront(t, backend, func(_, body []byte) frontAction {
				if body == nil || len(body) < 4 { // SSL 2.0
					return frontSilent
				}
				if ch, err := wire.ParseClientHello(body[4:]); err == nil && tc.answer(ch) {
					return frontForward
				}
				return frontSilent
			})
			start := time.Now()
			opts := tc.opts
			opts.Target = localTarget(port)
			res, err := Scan(context.Background(), opts)
			t.Logf("%v: %v", time.Since(start).Round(time.Millisecond), err)
			if tc.onlyFullHandshake {
				var ne *NotScannedError
				if !errors.As(err, &ne) || !strings.Contains(err.Error(), "answered in TLS, but no version it accepts could be determined") {
					t.Fatalf("Scan: %v (%T), result %+v; want a *NotScannedError saying it answered in TLS", err, err, res)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			for _, v := range []string{"TLS 1.2", "TLS 1.3"} {
				if !version(t, res, v).Supported {
					t.Errorf("%s not found", v)
				}
			}
			for _, v := range []string{"SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"} {
				if vr := version(t, res, v); vr.Supported || !vr.Inconclusive {
					t.Errorf("%s: supported %t, inconclusive %t; want inconclusive (never answered)", v, vr.Supported, vr.Inconclusive)
				}
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	_, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: time.Second})
	if err == nil {
		t.Fatal("scan of a closed port succeeded")
	}
}

func TestCancelled(t *testing.T) {
	t.Parallel()
	port := badServer(t, func(c net.Conn) { readHello(c) })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Scan(ctx, Options{Target: localTarget(port), Timeout: 10 * time.Second})
	if err == nil {
		t.Fatal("cancelled scan returned no error")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancelled scan took %v", d)
	}
}
