package handshake

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// This file tests Handshake against hostile or broken peers (served by peertest.Serve).

// bpTarget parses a loopback address as a target.
func bpTarget(t testing.TB, addr string) connect.Target {
	t.Helper()
	tg, err := connect.ParseTarget(addr, 443)
	if err != nil {
		t.Fatalf("ParseTarget(%q): %v", addr, err)
	}
	return tg
}

// bpCheckFailure checks what every failed handshake must give: a *Error holding the
// partial result, a one-line message, and an end within the timeout (plus slack).
func bpCheckFailure(t *testing.T, res *Result, err error, elapsed, timeout time.Duration) *Error {
	t.Helper()
	if elapsed > timeout+time.Second {
		t.Errorf("BUG: Handshake took %v, over its %v timeout (+1s slack)", elapsed.Round(time.Millisecond), timeout)
	}
	if err == nil {
		t.Fatalf("Handshake succeeded against a broken server; result %+v", res)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("BUG: error is not one line: %q", msg)
	}
	if res == nil {
		t.Errorf("BUG: Handshake returned a nil result with its error")
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("error is %T, want *handshake.Error: %v", err, err)
	}
	if he.Result == nil {
		t.Errorf("BUG: Error.Result is nil")
	} else if res != nil && he.Result != res {
		t.Errorf("Error.Result is not the returned result")
	}
	return he
}

// bpHasClientHello reports whether the steps start with the ClientHello tlskit sent.
func bpHasClientHello(steps []Step) bool {
	return len(steps) > 0 && steps[0].Message == "ClientHello" && steps[0].Direction == Sent
}

func TestHandshakeBadPeers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		timeout time.Duration
		// handle is the server; nil with addr set means there is no server.
		handle func(ctx context.Context, c net.Conn)
		// addr, when set, is dialled instead of a server running handle.
		addr  func(t *testing.T) string
		stage connect.Stage
		// want are substrings the error must all contain.
		want []string
		// slow is true when the failure is a timeout: the handshake must last about the
		// timeout, not end early.
		slow bool
		// startTLS is the Error's StartTLS: the protocol the greeting asked for.
		startTLS string
		// noClientHello is true for failures before TLS starts.
		noClientHello bool
		check         func(t *testing.T, res *Result)
	}{
		{
			name:    "plain HTTP server",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				peertest.ReadRecord(c)
				io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request")
				peertest.Drain(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"HTTP"},
		},
		{
			name:    "SMTP greeting",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				io.WriteString(c, "220 mail ESMTP\r\n")
				peertest.Drain(c)
			},
			stage:    connect.StageHandshake,
			want:     []string{"SMTP greeting"},
			startTLS: "smtp",
		},
		{
			name:    "SSH banner",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n")
				peertest.Drain(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"SSH"},
		},
		{
			name:    "silent server",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				peertest.Drain(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"timed out"},
			slow:  true,
		},
		{
			name:    "drips a record header one byte every 250 ms",
			timeout: time.Second,
			handle: func(ctx context.Context, c net.Conn) {
				go peertest.Drain(c)
				drip := []byte{22, 0x03, 0x03, 0x00, 0x7a, 2, 0x00, 0x00, 0x76, 0x03, 0x03}
				for i := 0; ; i++ {
					b := byte(0x42)
					if i < len(drip) {
						b = drip[i]
					}
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					if !peertest.Sleep(ctx, 250*time.Millisecond) {
						return
					}
				}
			},
			stage: connect.StageHandshake,
			want:  []string{"timed out"},
			slow:  true,
		},
		{
			name:    "closes after the ClientHello",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				peertest.ReadRecord(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"closed the connection"},
		},
		{
			name:    "fatal alert after the ClientHello",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				peertest.ReadRecord(c)
				c.Write([]byte{21, 0x03, 0x03, 0x00, 0x02, 0x02, 40})
				peertest.Drain(c)
			},
			stage: connect.StageHandshake,
			want:  []string{"handshake_failure"},
			check: func(t *testing.T, res *Result) {
				for _, s := range res.Steps {
					if s.Message == "Alert" && s.Direction == Received {
						if !strings.Contains(s.Summary, "handshake_failure") {
							t.Errorf("alert step summary %q does not name handshake_failure", s.Summary)
						}
						return
					}
				}
				t.Errorf("BUG: no received Alert step; steps %+v", res.Steps)
			},
		},
		{
			name:    "resets after the ClientHello",
			timeout: 500 * time.Millisecond,
			handle: func(ctx context.Context, c net.Conn) {
				peertest.ReadRecord(c)
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			},
			stage: connect.StageHandshake,
			want:  []string{"reset"},
		},
		{
			name:    "connection refused",
			timeout: 500 * time.Millisecond,
			addr: func(t *testing.T) string {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				return addr
			},
			stage:         connect.StageConnect,
			want:          []string{"connecting to 127.0.0.1:", "connection refused"},
			noClientHello: true,
		},
		{
			name:    "DNS failure",
			timeout: 2 * time.Second,
			addr: func(t *testing.T) string {
				return "does-not-exist.invalid:443"
			},
			stage:         connect.StageDNS,
			want:          []string{"looking up does-not-exist.invalid"},
			noClientHello: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var addr string
			if tt.addr != nil {
				addr = tt.addr(t)
			} else {
				addr = peertest.Serve(t, tt.handle)
			}
			start := time.Now()
			res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), Timeout: tt.timeout, Resolver: peertest.NoDNS()})
			elapsed := time.Since(start)
			he := bpCheckFailure(t, res, err, elapsed, tt.timeout)
			t.Logf("error after %v: %v", elapsed.Round(time.Millisecond), err)
			if he.Stage != tt.stage {
				t.Errorf("stage %q, want %q (error %q)", he.Stage, tt.stage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("BUG: error %q does not mention %q", err, w)
				}
			}
			if he.StartTLS != tt.startTLS {
				t.Errorf("StartTLS %q, want %q", he.StartTLS, tt.startTLS)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("the library's message names a flag: %q", err)
			}
			if tt.slow && elapsed < tt.timeout*9/10 {
				t.Errorf("timed out after %v, before the %v timeout", elapsed, tt.timeout)
			}
			if res == nil {
				return
			}
			if tt.noClientHello {
				if len(res.Steps) != 0 {
					t.Errorf("steps before TLS started: %+v", res.Steps)
				}
			} else if !bpHasClientHello(res.Steps) {
				t.Errorf("BUG: steps do not start with the ClientHello sent: %+v", res.Steps)
			}
			if res.Timing.TotalMs < 0 || res.Timing.DNSMs < 0 || res.Timing.ConnectMs < 0 || res.Timing.HandshakeMs < 0 {
				t.Errorf("negative timing %+v", res.Timing)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

// TestHandshakeHugeHandshakeMessage is a server whose ServerHello claims to be 16 MiB and which
// then sends junk without end: the handshake must fail fast with bounded memory and a bounded
// transcript. It does not run in parallel so the heap measurement sees only this handshake.
func TestHandshakeHugeHandshakeMessage(t *testing.T) {
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		if _, err := peertest.ReadRecord(c); err != nil {
			return
		}
		go peertest.Drain(c)
		// A full-size handshake record whose message header claims 2^24-1 bytes.
		rec := make([]byte, 5+0x4000)
		copy(rec, []byte{22, 0x03, 0x03, 0x40, 0x00, 2, 0xff, 0xff, 0xff})
		for i := 9; i < len(rec); i++ {
			rec[i] = 0xa5
		}
		junk := make([]byte, 64<<10)
		for i := range junk {
			junk[i] = 0x5a
		}
		if _, err := c.Write(rec); err != nil {
			return
		}
		for ctx.Err() == nil {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	})

	const timeout = 2 * time.Second
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := Run(context.Background(), Options{Target: bpTarget(t, addr), Timeout: timeout})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)

	he := bpCheckFailure(t, res, err, elapsed, timeout)
	t.Logf("error after %v: %v", elapsed.Round(time.Millisecond), err)
	if he.Stage != connect.StageHandshake {
		t.Errorf("stage %q, want handshake", he.Stage)
	}
	if strings.Contains(err.Error(), "timed out") {
		t.Errorf("BUG: the oversized message was not rejected, the handshake timed out: %v", err)
	}
	if !strings.Contains(err.Error(), "16777215") && !strings.Contains(err.Error(), "exceeds") && !strings.Contains(err.Error(), "too large") {
		t.Errorf("error %q does not say the handshake message is too large", err)
	}
	const bound = 64 << 20
	if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
		t.Errorf("BUG: the handshake allocated %d MiB (bound %d MiB)", grew>>20, bound>>20)
	}
	if after.HeapAlloc > before.HeapAlloc && after.HeapAlloc-before.HeapAlloc > bound {
		t.Errorf("BUG: the heap grew by %d MiB (bound %d MiB)", (after.HeapAlloc-before.HeapAlloc)>>20, bound>>20)
	}
	if res == nil {
		return
	}
	if !bpHasClientHello(res.Steps) {
		t.Errorf("BUG: steps do not start with the ClientHello sent: %+v", res.Steps)
	}
	recorded := 0
	for _, s := range res.Steps {
		recorded += s.Length
	}
	if recorded > DefaultRecordLimit {
		t.Errorf("BUG: steps account for %d bytes, over DefaultRecordLimit %d", recorded, DefaultRecordLimit)
	}

	// The same server with a small recording cap: the transcript is cut and says so.
	res, err = Run(context.Background(), Options{Target: bpTarget(t, addr), Timeout: timeout, RecordLimit: 4096})
	if err == nil {
		t.Fatal("Handshake succeeded with a 16 MiB ServerHello")
	}
	if res == nil || !res.TranscriptTruncated {
		t.Errorf("BUG: a 16 KiB record over a 4 KiB recording cap did not set TranscriptTruncated")
	}
}

// TestRecordingConnLimit feeds a recorder more than its cap in both directions.
func TestRecordingConnLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 1000} {
		a, b := net.Pipe()
		rec := NewRecordingConn(a, time.Now(), limit)
		want := limit
		if want == 0 {
			want = DefaultRecordLimit
		}
		total := 3 * DefaultRecordLimit
		go func() {
			buf := make([]byte, 64<<10)
			for n := 0; n < total; n += len(buf) {
				if _, err := b.Write(buf); err != nil {
					return
				}
			}
			b.Close()
		}()
		got, err := io.Copy(io.Discard, rec)
		if err != nil || got != int64(total) {
			t.Fatalf("read %d bytes (err %v), want %d: recording must not change what is read", got, err, total)
		}
		go io.Copy(io.Discard, b)
		rec.Write(make([]byte, 100))
		kept := 0
		for _, c := range rec.Chunks() {
			kept += len(c.Data)
		}
		if kept != want {
			t.Errorf("limit %d: kept %d bytes, want %d", limit, kept, want)
		}
		if !rec.Truncated() {
			t.Errorf("limit %d: Truncated() is false after %d bytes", limit, total)
		}
		a.Close()
	}
}

// TestAwaitTicketsHonoursDeadline is a server that completes a TLS 1.3 handshake and then drips
// the bytes of a never-ending record, one every 10ms. Handshake bounds the connection with a
// deadline and then waits for session tickets; that wait must stay within the deadline however
// the server behaves. The round trip is given as 40ms, a real network's, so the drip is steady
// relative to the wait (on loopback the 2ms wait makes an end-to-end test timing-dependent).
func TestAwaitTicketsHonoursDeadline(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, peertest.ServerConfig(t))
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		go peertest.Drain(c)
		// An application data record header, then its body a byte at a time.
		drip := []byte{23, 0x03, 0x03, 0x40, 0x00}
		for i := 0; ; i++ {
			b := byte(0x33)
			if i < len(drip) {
				b = drip[i]
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec := NewRecordingConn(conn, time.Now(), 0)
	watch := &ticketWatch{}
	tc := tls.Client(rec, &tls.Config{ServerName: "localhost", RootCAs: peertest.Roots(t), ClientSessionCache: watch})
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("negotiated %s, want TLS 1.3", VersionName(v))
	}
	// What Handshake does: the context's deadline is on the connection.
	const left = 500 * time.Millisecond
	conn.SetDeadline(time.Now().Add(left))
	start := time.Now()
	done := make(chan struct{})
	go func() {
		awaitTickets(rec, tc, watch, ticketWindow(40*time.Millisecond, 0))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(left + time.Second):
		t.Errorf("BUG: awaitTickets still waiting %v after the connection's deadline (%v): it replaces the read deadline and waits again whenever a byte arrives, so a server dripping bytes after the handshake holds Handshake past its Timeout (until the 1 MiB recording cap fills)",
			time.Since(start).Round(time.Millisecond)-left, left)
		close(stop)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("awaitTickets did not return after the drip stopped")
		}
	}
}

// TestAwaitTicketsBufferedTicket is a Go server, which sends its session ticket right behind
// its Finished, so the ticket reaches the client in the same read as the handshake and waits in
// crypto/tls's buffer, and then holds the connection open. No socket read announces the ticket;
// awaitTickets must still notice it was processed and stop, instead of waiting out its first
// window (here 30 s, so a miss cannot pass for a slow machine).
func TestAwaitTicketsBufferedTicket(t *testing.T) {
	t.Parallel()
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, peertest.ServerConfig(t))
		tc.SetDeadline(time.Now().Add(40 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		io.Copy(io.Discard, tc) // says nothing more until the client goes
	})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(40 * time.Second))
	rec := NewRecordingConn(conn, time.Now(), 0)
	watch := &ticketWatch{}
	tc := tls.Client(rec, &tls.Config{ServerName: "localhost", RootCAs: peertest.Roots(t), ClientSessionCache: watch})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- awaitTickets(rec, tc, watch, 30*time.Second) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("awaitTickets: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("awaitTickets waited out its window although the ticket had been processed")
	}
	var tickets int
	res := &Result{}
	decodeTranscript(res, rec, nil, decodeOptions{})
	for _, s := range res.Steps {
		if s.Message == "NewSessionTicket" || s.Message == "EncryptedRecord" {
			tickets++
		}
	}
	if tickets == 0 {
		t.Errorf("no ticket in the recording: %s", ttNames(res.Steps))
	}
}

// TestHandshakeRootsFuncError checks that roots that fail to load end the handshake before
// anything is sent, with their own error, and win over a connection that failed meanwhile.
func TestHandshakeRootsFuncError(t *testing.T) {
	t.Parallel()
	badRoots := errors.New("the roots file is not PEM")
	received := make(chan int, 1)
	addr := peertest.Serve(t, func(ctx context.Context, c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := io.Copy(io.Discard, c)
		received <- int(n)
	})
	res, err := Run(context.Background(), Options{
		Target: bpTarget(t, addr), Timeout: 5 * time.Second,
		RootsFunc: func() (*x509.CertPool, error) { return nil, badRoots },
	})
	if err != badRoots {
		t.Fatalf("err = %v, want the roots error itself", err)
	}
	if res == nil || len(res.Steps) != 0 {
		t.Errorf("result %+v, want one with no steps", res)
	}
	select {
	case n := <-received:
		if n != 0 {
			t.Errorf("the server received %d bytes; nothing should be sent", n)
		}
	case <-time.After(5 * time.Second):
		t.Error("the connection was not closed")
	}

	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := Run(context.Background(), Options{
		Target: bpTarget(t, closed), Timeout: 5 * time.Second,
		RootsFunc: func() (*x509.CertPool, error) { return nil, badRoots },
	}); err != badRoots {
		t.Errorf("unreachable target: err = %v, want the roots error", err)
	}

	// And good roots are the ones verification uses.
	res, err = Run(context.Background(), Options{
		Target: bpTarget(t, peertest.Serve(t, func(ctx context.Context, c net.Conn) { peertest.ServeTLS(t, c) })), Timeout: 5 * time.Second,
		RootsFunc: func() (*x509.CertPool, error) { return peertest.Roots(t), nil },
	})
	if err != nil || res.Verification == nil || !res.Verification.Verified {
		t.Errorf("with good roots: err %v, verification %+v", err, res.Verification)
	}
}

// TestTicketWindow: the wait for tickets follows the slower of the round trip and the
// handshake, within its floor and its cap.
func TestTicketWindow(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		rtt, handshake, want time.Duration
	}{
		{50 * time.Microsecond, 3 * ms, 50 * ms},  // a quiet loopback: the floor
		{50 * time.Microsecond, 45 * ms, 90 * ms}, // a loaded one: the server's pace
		{30 * ms, 20 * ms, 120 * ms},              // a distant server: four round trips
		{30 * ms, 100 * ms, 200 * ms},
		{100 * ms, 90 * ms, 250 * ms}, // the cap
		{ms, 2 * time.Second, 250 * ms},
	} {
		if got := ticketWindow(tc.rtt, tc.handshake); got != tc.want {
			t.Errorf("ticketWindow(%v, %v) = %v, want %v", tc.rtt, tc.handshake, got, tc.want)
		}
	}
}
