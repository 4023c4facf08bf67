package server

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// h2Start serves h as serve assembles it (Listener, NewHTTPServer, ServeHTTP) with ALPN h2 and
// http/1.1, and returns its address and the pool that trusts its certificate.
func h2Start(t *testing.T, h http.Handler) (string, *x509.CertPool) {
	t.Helper()
	cert, pool := ltCert(t)
	store, err := NewCertStore([]CertSource{{Static: &cert}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(Options{Addr: "127.0.0.1:0", Certs: store, ALPN: []string{"h2", "http/1.1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewHTTPServer(ln, HTTPOptions{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ServeHTTP(ctx, srv, ln) }()
	t.Cleanup(func() { cancel(); <-done; ln.Close() })
	return ln.Addr().String(), pool
}

// h2Attack runs k rapid-reset connections at once, each sending up to perConn streams.
// Each waits up to linger after its last stream for the server's verdict.
func h2Attack(addr string, pool *x509.CertPool, k, perConn int, linger time.Duration) []h2AttackResult {
	res := make([]h2AttackResult, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = h2RapidReset(addr, pool, perConn, linger) }()
	}
	wg.Wait()
	return res
}

// h2CheckCutOff fails unless every connection was sent GOAWAY (ENHANCE_YOUR_CALM) having been
// let in at most maxStreams streams (its last-stream-id says how many).
func h2CheckCutOff(t *testing.T, res []h2AttackResult, maxStreams int) {
	t.Helper()
	goAway, worst, failed := 0, 0, 0
	var firstErr error
	for _, r := range res {
		if r.Err != nil {
			failed++
			firstErr = cmp.Or(firstErr, r.Err)
			continue
		}
		if r.GoAway {
			goAway++
			worst = max(worst, int(r.LastStream+1)/2)
			if r.Code != h2ErrEnhanceYourCalm {
				t.Errorf("GOAWAY error code %#x, want ENHANCE_YOUR_CALM (%#x)", r.Code, h2ErrEnhanceYourCalm)
			}
		}
	}
	t.Logf("%d of %d connections sent GOAWAY, %d could not connect; most streams let in before GOAWAY: %d", goAway, len(res), failed, worst)
	if failed > 0 {
		// A server too busy to finish handshakes is the attack succeeding too.
		t.Errorf("%d of %d attacking connections could not connect, the first: %v", failed, len(res), firstErr)
	}
	if goAway < len(res)-failed {
		t.Errorf("%d of %d rapid-reset connections were never sent GOAWAY", len(res)-failed-goAway, len(res)-failed)
	}
	if worst > maxStreams {
		t.Errorf("a connection was let in %d streams before GOAWAY, want at most %d", worst, maxStreams)
	}
}

// Rapid reset (CVE-2023-44487 style: HEADERS then RST_STREAM, over and over) against the info
// page: 20 connections of up to 5000 streams each. Every connection must get GOAWAY
// (ENHANCE_YOUR_CALM) within 200 streams (the reset budget is 100: the server sees the frames
// up to the 101st reset and not one more), and the heap in use must stay within 40 MB of where
// it started. With no budget 4 of 20 got GOAWAY (Go's own queue limit), the rest ran all 5000
// streams, and the heap peaked at 82 MB; with a budget counted in the handler (which never
// sees a stream reset before its handler started) 2 121 to 4 178 streams got in first, and 2
// of 20 connections were only closed, never sent GOAWAY.
func TestHTTP2RapidResetCutOffWithin200Streams(t *testing.T) {
	addr, pool := h2Start(t, InfoHandler(time.Now))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop := make(chan struct{})
	peak := heapPeak(stop)
	res := h2Attack(addr, pool, 20, 5000, 3*time.Second)
	close(stop)
	grew := int64(<-peak) - int64(base)
	t.Logf("heap in use grew by %.1f MB at its peak", float64(grew)/(1<<20))
	h2CheckCutOff(t, res, 2*h2ResetBudget)
	if grew > 40<<20 {
		t.Errorf("heap in use grew by %d MB under 20 attacking connections, want at most 40 MB", grew>>20)
	}
}

// Long mode (TLSKIT_LONG=1): 300 rapid-reset connections against the real binary's default
// mode; the process's peak RSS (VmHWM) must stay under 300 MB.
func TestHTTP2RapidResetBinaryUnder300MB(t *testing.T) {
	if os.Getenv("TLSKIT_LONG") != "1" {
		t.Skip("long mode: set TLSKIT_LONG=1")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tlskit")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "github.com/tlskit/tlskit")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building tlskit: %v\n%s", err, out)
	}
	certFile := filepath.Join(dir, "cert.pem")
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--write-cert", certFile)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	br := bufio.NewReader(stdout)
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v", err)
	}
	go io.Copy(io.Discard, br) // the connection log
	addr := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "https://"), "/")
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)

	start := time.Now()
	res := h2Attack(addr, pool, 300, 5000, 20*time.Second)
	t.Logf("300 connections done in %v", time.Since(start).Round(time.Millisecond))
	h2CheckCutOff(t, res, 2*h2ResetBudget)
	hwm, err := vmHWM(srv.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tlskit serve peak RSS (VmHWM): %.1f MB", float64(hwm)/(1<<20))
	if hwm > 300<<20 {
		t.Errorf("peak RSS %d MB under 300 rapid-reset connections, want under 300 MB", hwm>>20)
	}
}

// vmHWM is a process's peak resident set size in bytes.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// The tracker finds the same frames however the stream is cut into reads: every split point
// of a preface and four frames (one with an empty payload, one larger than a read).
func TestFrameTrackerAnySplit(t *testing.T) {
	var stream []byte
	stream = append(stream, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"...)
	frames := []frameHeader{{0, 0x4, 0}, {5, frameHeaders, 1}, {300, 0x0, 1}, {4, frameRSTStream, 3}}
	for _, f := range frames {
		stream = appendFrameHeader(stream, f.length, f.typ, 0, f.stream)
		stream = append(stream, make([]byte, f.length)...)
	}
	for _, chunk := range []int{1, 2, 7, 9, 10, 64, len(stream)} {
		tr := frameTracker{prefix: 24}
		var got []frameHeader
		for i := 0; i < len(stream); i += chunk {
			tr.scan(stream[i:min(i+chunk, len(stream))], func(at int, h frameHeader) bool {
				got = append(got, h)
				return true
			})
		}
		if fmt.Sprint(got) != fmt.Sprint(frames) || !tr.atBoundary() {
			t.Errorf("reads of %d bytes: frames %v (at a boundary: %v), want %v", chunk, got, tr.atBoundary(), frames)
		}
	}
}

// A GOAWAY due while the server is in the middle of a frame goes out right after that frame,
// never inside it: the bytes on the wire are the server's first frame, the GOAWAY, then the
// rest, whatever the server's writes look like.
func TestH2MeterGoAwayBetweenFrames(t *testing.T) {
	first := append(appendFrameHeader(nil, 10, 0x0, 0, 1), make([]byte, 10)...)
	second := append(appendFrameHeader(nil, 3, 0x0, 0, 3), 1, 2, 3)
	goAway := []byte("GOAWAY")
	for split := 1; split < len(first); split++ {
		var wire strings.Builder
		m := &h2Meter{}
		write := func(p []byte) {
			m.wmu.Lock()
			defer m.wmu.Unlock()
			m.writeLocked(p, func(b []byte) (int, error) { return wire.WriteString(string(b)) })
		}
		write(first[:split])
		m.goAwayDue = goAway
		write(append(first[split:len(first):len(first)], second...))
		want := string(first) + string(goAway) + string(second)
		if wire.String() != want {
			t.Fatalf("split at %d: wrote %q, want %q", split, wire.String(), want)
		}
	}
}

// A well-behaved client past h2StreamsPerConn is sent a graceful GOAWAY and reconnects:
// 1 100 sequential requests from Go's own client all succeed, over exactly 2 connections.
func TestHTTP2GracefulGoAwayAfterStreamBudget(t *testing.T) {
	addr, pool := h2Start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	var conns atomic.Int32
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "localhost"},
		ForceAttemptHTTP2: true,
		DialTLSContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			conns.Add(1)
			d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2"}}}
			return d.DialContext(ctx, network, a)
		},
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range h2StreamsPerConn + 100 {
		resp, err := client.Get("https://" + addr + "/")
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("request %d went over %s, want HTTP/2", i+1, resp.Proto)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d requests used %d connections, want 2 (GOAWAY after %d streams)", h2StreamsPerConn+100, n, h2StreamsPerConn)
	}
}
