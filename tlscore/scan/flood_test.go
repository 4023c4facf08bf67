package scan

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Servers that answer a probe with data without end (issue 12, item 9): the SSL 2.0 probe kept
// every byte and re-framed all of them on each read (182 MB after 30 s, a core pinned, against
// endless empty records), and the TLS probes read empty records until their deadline. Every
// probe must end promptly with a *FloodError, whatever its deadline, allocating little.

// floodEmptyRecords answers with empty handshake records until the client goes away.
func floodEmptyRecords(c net.Conn) {
	readHello(c)
	batch := make([]byte, 0, 5*800)
	for range 800 {
		batch = append(batch, wire.ContentHandshake, 3, 3, 0, 0)
	}
	for {
		if _, err := c.Write(batch); err != nil {
			return
		}
	}
}

// floodTinyRecords answers with a ServerHello header claiming 250 KiB (under the 256 KiB
// message limit), then its body one byte per record, without end: every record carries a
// byte, and no message ever completes within what a probe should read.
func floodTinyRecords(c net.Conn) {
	readHello(c)
	n := 250 << 10
	var batch []byte
	for _, b := range []byte{wire.TypeServerHello, byte(n >> 16), byte(n >> 8), byte(n)} {
		batch = append(batch, wire.ContentHandshake, 3, 3, 0, 1, b)
	}
	if _, err := c.Write(batch); err != nil {
		return
	}
	batch = batch[:0]
	for range 800 {
		batch = append(batch, wire.ContentHandshake, 3, 3, 0, 1, 0x42)
	}
	for {
		if _, err := c.Write(batch); err != nil {
			return
		}
	}
}

// TestProbesEndOnFloods runs each probe reader against each flood with a 3 s deadline: it must
// end with a *FloodError (or, for the ServerKeyExchange probe, its message limit) within
// 1.5 s, having allocated under 1 MiB (measured: 180-400 KiB, in 1-4 ms). Before the bounds,
// against empty records the SSL 2.0 and ServerHello probes ran to their 3 s deadline having
// allocated 1.7 and 2.3 GB; against tiny records the SSL 2.0 probe did the same (1.8 GB) and
// the ServerHello probe read 1.5 MB to a malformed message (31 MB allocated). Not parallel,
// so the allocation figure is this test's own.
func TestProbesEndOnFloods(t *testing.T) {
	const (
		timeout  = 3 * time.Second
		maxTime  = 1500 * time.Millisecond
		maxAlloc = 1 << 20
	)
	probes := []struct {
		name string
		run  func(p *prober, s *scanner) outcome
	}{
		{"SSLv2", func(p *prober, s *scanner) outcome { return p.probeSSLv2(context.Background()) }},
		{"ServerHello", func(p *prober, s *scanner) outcome {
			return p.probe(context.Background(), s.helloSpec(wire.VersionTLS12, []uint16{0xc02f}))
		}},
		{"ServerKeyExchange", func(p *prober, s *scanner) outcome {
			return p.probeSKE(context.Background(), s.helloSpec(wire.VersionTLS12, []uint16{0x009e}))
		}},
	}
	floods := []struct {
		name   string
		handle func(net.Conn)
	}{
		{"empty records", floodEmptyRecords},
		{"tiny records", floodTinyRecords},
	}
	for _, fl := range floods {
		port := badServer(t, fl.handle)
		for _, pr := range probes {
			t.Run(pr.name+"/"+fl.name, func(t *testing.T) {
				opts := Options{Target: localTarget(port), Timeout: timeout, Parallel: 1, Rate: 1000}
				p := newProber(opts, func() {})
				s := &scanner{p: p, opts: opts}
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				out := pr.run(p, s)
				elapsed := time.Since(start)
				runtime.ReadMemStats(&after)
				alloc := after.TotalAlloc - before.TotalAlloc
				t.Logf("after %v, %d KiB allocated: kind %d, %v", elapsed.Round(time.Millisecond), alloc>>10, out.kind, out.err)
				var fe *FloodError
				var tl *wire.TooLargeError
				switch {
				case errors.As(out.err, &fe):
				case pr.name == "ServerKeyExchange" && errors.As(out.err, &tl):
					// Its 64 KiB message limit refuses the 250 KiB claim outright.
				default:
					t.Errorf("BUG: the probe ended with %v, not a *FloodError", out.err)
				}
				if out.kind != outInconclusive {
					t.Errorf("outcome kind %d, want inconclusive", out.kind)
				}
				if elapsed > maxTime {
					t.Errorf("BUG: the probe took %v (bound %v)", elapsed.Round(time.Millisecond), maxTime)
				}
				if alloc > maxAlloc {
					t.Errorf("BUG: the probe allocated %d KiB (bound %d KiB)", alloc>>10, maxAlloc>>10)
				}
			})
		}
	}
}

// TestScanOfFloodingServer: a whole scan of a server that floods every probe with empty
// records ends well within one probe deadline and reports the server as misbehaving.
func TestScanOfFloodingServer(t *testing.T) {
	t.Parallel()
	port := badServer(t, floodEmptyRecords)
	start := time.Now()
	_, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: 5 * time.Second, Parallel: 4})
	elapsed := time.Since(start)
	t.Logf("after %v: %v", elapsed.Round(time.Millisecond), err)
	var ne *NotScannedError
	if !errors.As(err, &ne) {
		t.Fatalf("Scan: %v (%T), want a *NotScannedError", err, err)
	}
	if !strings.Contains(err.Error(), "misbehaved") {
		t.Errorf("error %q does not say the server misbehaved", err)
	}
	if elapsed > 4*time.Second {
		t.Errorf("BUG: the scan took %v, most of a 5 s probe deadline", elapsed.Round(time.Millisecond))
	}
}
