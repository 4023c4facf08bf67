package scan

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
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

// TestSilentOnOldHellosOnly checks that a TLS server that never answers the hellos of old
// versions (SSL 2.0 to TLS 1.1) is scanned, not taken for a silent port: its answer to the
// scan's full handshake, which starts first, shows it speaks TLS.
func TestSilentOnOldHellosOnly(t *testing.T) {
	t.Parallel()
	_, _, pair := testCert(t, "ecdsa")
	backend := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pair}})
	port := badServer(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		if hdr[0] != wire.ContentHandshake { // SSL 2.0
			_, _ = io.Copy(io.Discard, c)
			return
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if len(body) > 6 && binary.BigEndian.Uint16(body[4:6]) < wire.VersionTLS12 {
			_, _ = io.Copy(io.Discard, c)
			return
		}
		up, err := net.Dial("tcp", backend.Addr().String())
		if err != nil {
			return
		}
		defer up.Close()
		if _, err := up.Write(append(hdr, body...)); err != nil {
			return
		}
		go func() {
			// The client's side closing (or the test's cleanup closing it) ends the backend's
			// too, so the copy below returns instead of waiting out the backend.
			_, _ = io.Copy(up, c)
			up.Close()
		}()
		_, _ = io.Copy(c, up)
	})
	// One probe at a time, so the first may well be an old hello that is never answered.
	res, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: 300 * time.Millisecond, Parallel: 1})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, v := range []string{"TLS 1.2", "TLS 1.3"} {
		if !version(t, res, v).Supported {
			t.Errorf("%s not found", v)
		}
	}
	for _, v := range []string{"SSL 3.0", "TLS 1.0", "TLS 1.1"} {
		if vr := version(t, res, v); vr.Supported || !vr.Inconclusive {
			t.Errorf("%s: supported %t, inconclusive %t; want inconclusive (never answered)", v, vr.Supported, vr.Inconclusive)
		}
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
