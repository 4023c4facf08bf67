package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tests of the idle timeout as a bound on progress: a connection that moves no bytes, or only
// a trickle of them, for --idle-timeout is closed and its --max-conns slot freed, in whatever
// state it is; connections that keep moving are not.

const pgIdle = 300 * time.Millisecond

// pgHandler: POST / reads the body, /ignore answers without reading it, /big writes up to
// 256 MiB, /drip writes 1 KiB every 100 ms for 0.8 s (/stream for 1.2 s), /file writes 256 KiB through a small
// socket send buffer (so the writes wait on the client); anything else says ok.
func pgHandler() (http.Handler, *pgStats) {
	st := &pgStats{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			if r.Method == http.MethodPost {
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
					return
				}
			}
		case "/big":
			st.mu.Lock()
			st.big++
			st.mu.Unlock()
			buf := make([]byte, 32<<10)
			for i := 0; i < 8<<10; i++ {
				if _, err := w.Write(buf); err != nil {
					return
				}
			}
			return
		case "/drip", "/stream":
			n := 8
			if r.URL.Path == "/stream" {
				n = 7 // 0.7 s: more than twice the eviction delay TestFullServerKeepsMovingTransfer sets
			}
			buf := bytes.Repeat([]byte("x"), 1024)
			for i := 0; i < n; i++ {
				if _, err := w.Write(buf); err != nil {
					return
				}
				http.NewResponseController(w).Flush()
				time.Sleep(100 * time.Millisecond)
			}
			return
		case "/file":
			if c, ok := connOf(r); ok {
				if tcp := hsTCP(c); tcp != nil {
					tcp.SetWriteBuffer(16 << 10)
				}
			}
			start := time.Now()
			w.Write(make([]byte, 256<<10))
			st.mu.Lock()
			st.fileWrite = time.Since(start)
			st.mu.Unlock()
			return
		}
		io.WriteString(w, "ok")
	}), st
}

type pgStats struct {
	mu        sync.Mutex
	fileWrite time.Duration
	big       int // /big responses begun
}

// waitBig waits until n /big responses have begun (their clients then hold their slots as
// non-readers), polling every millisecond for up to 5 s. It replaces a fixed 100 ms sleep.
func (st *pgStats) waitBig(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st.mu.Lock()
		big := st.big
		st.mu.Unlock()
		if big >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d /big responses begun after 5s", big, n)
		}
	}
}

// pgDrip sends an HTTP/1.1 request head, then its body one byte every 50 ms (six bytes per
// idle window: progress of a sort, but a trickle) until the connection fails or stop closes.
func pgDrip(c net.Conn, head string, stop <-chan struct{}) {
	if _, err := io.WriteString(c, head); err != nil {
		return
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		c.SetWriteDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("a")); err != nil {
			return
		}
	}
}

// pgClosed waits up to limit for the server to close c, reading whatever it sends; it returns
// how long that took and how many bytes came, or an error if c is still open.
func pgClosed(c net.Conn, limit time.Duration) (time.Duration, int64, error) {
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	n, err := io.Copy(io.Discard, c)
	took := time.Since(start)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return took, n, fmt.Errorf("still open after %v (%d bytes read)", limit, n)
	}
	return took, n, nil
}

// TestSlowBodyClosedAfterIdle: a request body sent a byte every 50 ms, with --idle-timeout
// 300ms, is closed within 1.8 idle timeouts (540 ms), over HTTP/1.1 whether or not the handler
// reads the body (net/http reads up to 256 KiB of what a handler left), and over HTTP/2. Before,
// only ReadHeaderTimeout and IdleTimeout were set and the connection stayed open for as long as
// the client dripped (4 s here, forever in real life). The bound is below two idle timeouts on
// purpose: a timed-out read alone does not end a connection (net/http writes its 400, which is
// progress, and reads on), so without closing it at the first one it lasted 2 x 300 ms.
func TestSlowBodyClosedAfterIdle(t *testing.T) {
	t.Parallel()
	bound := pgIdle * 18 / 10
	h, _ := pgHandler()
	s := hsStart(t, h, hsConfig{idle: pgIdle})
	for _, tc := range []struct{ name, head string }{
		{"HTTP/1.1 body read by the handler", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"},
		{"HTTP/1.1 body the handler ignores", "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"},
		{"HTTP/1.1 chunked body", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each on its own connection: the four wait out their idle timeouts together
			c := s.dial(t, 0)
			stop := make(chan struct{})
			defer close(stop)
			go pgDrip(c, tc.head, stop)
			took, _, err := pgClosed(c, 4*time.Second)
			t.Logf("closed after %v", took.Round(time.Millisecond))
			if err != nil || took > bound {
				t.Errorf("BUG: a body dripping 1 byte/50ms with idle timeout %v: closed after %v, want under %v (%v)", pgIdle, took, bound, err)
			}
		})
	}
	t.Run("HTTP/2", func(t *testing.T) {
		t.Parallel()
		c := s.client(true, 4*time.Second)
		defer c.CloseIdleConnections()
		pr, pw := io.Pipe()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			defer pw.Close()
			for i := 0; i < 100000; i++ {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := pw.Write([]byte("a")); err != nil {
					return
				}
			}
		}()
		start := time.Now()
		resp, err := c.Post(s.url+"/", "application/octet-stream", pr)
		took := time.Since(start)
		status := "none"
		if err == nil {
			status = resp.Status
			resp.Body.Close()
		}
		t.Logf("ended after %v: %v, status %s", took.Round(time.Millisecond), err, status)
		if took > bound || (err == nil && resp.StatusCode == http.StatusOK) {
			t.Errorf("BUG: an HTTP/2 body dripping 1 byte/50ms with idle timeout %v lasted %v (%v, %s)", pgIdle, took, err, status)
		}
	})
}

// hog sends GET path and never reads the response, with a 4 KiB receive buffer.
func pgHog(t *testing.T, s *hsServer, path string) net.Conn {
	c := s.dial(t, 4096)
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNonReadingClientFreesSlot: a client that asks for a large response and never reads it,
// with --max-conns 1, used to hold the only slot forever (10 such clients held --max-conns 10).
// Now, with --idle-timeout 300ms, its connection is closed and a real client is answered within
// 3 s.
func TestNonReadingClientFreesSlot(t *testing.T) {
	t.Parallel()
	h, st := pgHandler()
	s := hsStart(t, h, hsConfig{maxConns: 1, idle: pgIdle})
	hog := pgHog(t, s, "/big")
	st.waitBig(t, 1) // it has the slot, and its response is being written
	status, took, err := s.get("/", 3*time.Second)
	t.Logf("real client behind a non-reading one: %d after %v (%v)", status, took.Round(time.Millisecond), err)
	if err != nil || status != 200 {
		t.Errorf("BUG: with --max-conns 1 held by a client that does not read, a real request got %d, %v after %v", status, err, took)
	}
	took, n, err := pgClosed(hog, 3*time.Second)
	if err != nil || n >= 256<<20 {
		t.Errorf("BUG: the non-reading client's connection: %v, %d bytes", err, n)
	}
	t.Logf("the non-reading client got %d of 256 MiB before the close", n)
}

// TestSlowClientFloodSlotsFreed: --max-conns 4 filled by two clients dripping bodies and two
// that do not read; once they time out (--idle-timeout 300ms) a real request is answered, within
// 3 s. Before, it waited for as long as they stayed (1 024 slow clients served 0 of 7 real
// requests in 60 s).
func TestSlowClientFloodSlotsFreed(t *testing.T) {
	t.Parallel()
	h, st := pgHandler()
	s := hsStart(t, h, hsConfig{maxConns: 4, idle: pgIdle})
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 2; i++ {
		go pgDrip(s.dial(t, 0), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", stop)
		pgHog(t, s, "/big")
	}
	st.waitBig(t, 2) // every slot is held (a dial returns after the handshake, so after its slot)
	status, took, err := s.get("/", 3*time.Second)
	t.Logf("real client behind 4 slow ones: %d after %v (%v)", status, took.Round(time.Millisecond), err)
	if err != nil || status != 200 {
		t.Errorf("BUG: a real request behind 4 slow clients with --max-conns 4: %d, %v after %v", status, err, took)
	}
}

// TestMovingTransfersOutliveIdle: what keeps moving is not cut, however long it takes: a
// response the server writes a KiB at a time every 100 ms for 0.8 s (2.7 idle windows, the
// client sending nothing meanwhile), over HTTP/1.1 and HTTP/2, and a 256 KiB response the
// client reads slowly (8 KiB every 30 ms, through small socket buffers, so the server's writes
// wait on it for longer than the idle timeout in all). The three run at once.
func TestMovingTransfersOutliveIdle(t *testing.T) {
	t.Parallel()
	h, st := pgHandler()
	s := hsStart(t, h, hsConfig{idle: pgIdle})
	var wg sync.WaitGroup
	for _, h2 := range []bool{false, true} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := s.client(h2, 5*time.Second)
			defer c.CloseIdleConnections()
			resp, err := c.Get(s.url + "/drip")
			if err != nil {
				t.Errorf("BUG: drip, HTTP/2 %v: %v", h2, err)
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(b) != 8<<10 {
				t.Errorf("BUG: a response written 1 KiB/100ms over %s: %d bytes, %v", resp.Proto, len(b), err)
			}
		}()
	}
	defer wg.Wait()

	c := s.dial(t, 16<<10)
	io.WriteString(c, "GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	buf := make([]byte, 8<<10)
	var got int
	for {
		n, err := io.ReadFull(resp.Body, buf)
		got += n
		if err != nil {
			break
		}
		time.Sleep(30 * time.Millisecond)
	}
	st.mu.Lock()
	wrote := st.fileWrite
	st.mu.Unlock()
	t.Logf("slow reader: %d bytes in %v; the server's write took %v", got, time.Since(start).Round(time.Millisecond), wrote.Round(time.Millisecond))
	if got != 256<<10 {
		t.Errorf("BUG: a slow reader of 256 KiB got %d bytes", got)
	}
	if wrote < pgIdle {
		t.Logf("the server's write never waited longer than the idle timeout; the slow-reader case proved little")
	}
}

// pgTunnel opens an upgraded connection through the proxy and returns it once the 101 is in.
func pgTunnel(t *testing.T, s *hsServer) net.Conn {
	t.Helper()
	c := s.dial(t, 0)
	c.SetDeadline(time.Now().Add(3 * time.Second))
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || br.Buffered() > 0 {
		t.Fatalf("upgrade: %s, %d bytes buffered", resp.Status, br.Buffered())
	}
	c.SetDeadline(time.Time{})
	return c
}

// TestUpgradeHoldsSlotAndIdles: the slot of an upgraded (hijacked) connection used to be freed
// at the hijack, so 300 WebSocket tunnels stayed open with --max-conns 10, and nothing ever
// closed an idle one. Now, with --max-conns 3, three busy tunnels keep a fourth client waiting
// (no handshake within 800 ms, though that is more than the 400 ms idle timeout); it is served
// once one tunnel closes; and tunnels left idle are closed within 2 s.
func TestUpgradeHoldsSlotAndIdles(t *testing.T) {
	t.Parallel()
	const idle = 400 * time.Millisecond
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		brw.Flush()
		io.Copy(c, brw) // echo
	}))
	defer backend.Close()
	u, _ := url.Parse(backend.URL)
	s := hsStart(t, ProxyHandler(ProxyOptions{Backend: u}), hsConfig{maxConns: 3, idle: idle})

	var tunnels []net.Conn
	stops := []chan struct{}{}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		c := pgTunnel(t, s)
		tunnels = append(tunnels, c)
		stop := make(chan struct{})
		stops = append(stops, stop)
		wg.Add(1)
		go func() { // busy: a message and its echo every 100 ms
			defer wg.Done()
			buf := make([]byte, 5)
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				c.SetDeadline(time.Now().Add(2 * time.Second))
				if _, err := io.WriteString(c, "ping\n"); err != nil {
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
			}
		}()
	}

	addr := s.ln.Addr().String()
	dial := func(limit time.Duration) error {
		d := &net.Dialer{Timeout: limit}
		c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: s.pool})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(800 * time.Millisecond); err == nil {
		t.Errorf("BUG: a fourth connection was served while 3 tunnels held --max-conns 3")
	}
	close(stops[0])
	tunnels[0].Close()
	start := time.Now()
	if err := dial(3 * time.Second); err != nil {
		t.Errorf("a fourth connection once a tunnel closed: %v", err)
	}
	t.Logf("fourth connection served %v after a tunnel closed", time.Since(start).Round(time.Millisecond))

	// The other two go quiet: the server closes them.
	close(stops[1])
	close(stops[2])
	wg.Wait()
	for i, c := range tunnels[1:] {
		took, _, err := pgClosed(c, 3*time.Second)
		t.Logf("idle tunnel %d closed after %v", i+1, took.Round(time.Millisecond))
		if err != nil || took > 2*time.Second {
			t.Errorf("BUG: idle tunnel %d with idle timeout %v: %v", i+1, idle, err)
		}
	}
	if !strings.HasPrefix(backend.URL, "http://127.0.0.1") {
		t.Fatalf("backend not on loopback: %s", backend.URL)
	}
}

// TestFullServerEvictsStalled: with every slot taken by connections that have stalled (two
// slow bodies, two clients that do not read) and an idle timeout of 30 s, a
// real client is answered within 3 s: the connection longest without progress is closed for it
// once it has been quiet for EvictAfter (here 300 ms; 1 s by default). Before, it waited for
// the idle timeout (1 024 slow bodies served 0 of 7 real requests in 60 s, and 2 minutes with
// the progress bound alone).
func TestFullServerEvictsStalled(t *testing.T) {
	t.Parallel()
	h, st := pgHandler()
	s := hsStart(t, h, hsConfig{maxConns: 4, idle: 30 * time.Second, evictAfter: 300 * time.Millisecond})
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < 2; i++ {
		go pgDrip(s.dial(t, 0), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", stop)
	}
	pgHog(t, s, "/big")
	pgHog(t, s, "/big")
	st.waitBig(t, 2) // every slot is held (a dial returns after the handshake, so after its slot)
	status, took, err := s.get("/", 3*time.Second)
	t.Logf("real client behind 4 stalled ones: %d after %v (%v)", status, took.Round(time.Millisecond), err)
	if err != nil || status != 200 {
		t.Errorf("BUG: a real request with --max-conns 4 held by stalled clients: %d, %v after %v", status, err, took)
	}
}

// TestFullServerKeepsMovingTransfer: a download that keeps moving is not closed for a client
// waiting for its slot (--max-conns 1); the waiting client is served once the download is over
// and its connection, now an idle keep-alive, has been quiet for EvictAfter (here 300 ms, less
// than the download takes, so a moving transfer that were taken for a quiet one would be).
func TestFullServerKeepsMovingTransfer(t *testing.T) {
	t.Parallel()
	h, _ := pgHandler()
	s := hsStart(t, h, hsConfig{maxConns: 1, idle: 30 * time.Second, evictAfter: 300 * time.Millisecond})
	c := s.client(false, 10*time.Second)
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.url + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	type result struct {
		status int
		took   time.Duration
		err    error
	}
	waiting := make(chan result, 1)
	go func() {
		status, _, err := s.get("/", 10*time.Second)
		waiting <- result{status, time.Since(start), err}
	}()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	downloaded := time.Since(start)
	if err != nil || len(b) != 7<<10 {
		t.Errorf("BUG: a moving download with a client waiting for its slot: %d bytes, %v", len(b), err)
	}
	r := <-waiting
	t.Logf("download over after %v; the waiting client answered %d after %v (%v)", downloaded.Round(time.Millisecond), r.status, r.took.Round(time.Millisecond), r.err)
	if r.err != nil || r.status != 200 {
		t.Errorf("the waiting client: %d, %v", r.status, r.err)
	}
	if r.took < downloaded {
		t.Errorf("BUG: the waiting client was served (after %v) before the download was over (%v)", r.took, downloaded)
	}
}

// A connection is a candidate for eviction only while its server side waits on the client (a
// read or write in progress), and during the handshake any byte moved counts as progress.
// Before, a handshake was quiet since its accept whatever the server was doing, so on a loaded
// machine a real client whose handshake took over a second (the server's CPU, not the
// client) was closed for a waiting one just as it finished: 4 of 14 real requests under the
// combined attack of scripts/attack-serve ended in EOF.
func TestQuietSinceOnlyWhileWaitingOnClient(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	pc := newProgressConn(server, time.Minute, nil)
	defer pc.Close()
	if _, waiting := pc.quietSince(); waiting {
		t.Fatal("a connection with nothing in progress (the server busy) counted as waiting on its client")
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		pc.Read(make([]byte, 1))
	}()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(time.Millisecond) {
		if since, waiting := pc.quietSince(); waiting {
			if !since.Equal(pc.born) {
				t.Errorf("a handshake that has read nothing is quiet since %v, want its accept %v", since, pc.born)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a read in progress did not count as waiting on the client")
		}
	}
	time.Sleep(5 * time.Millisecond)
	before := time.Now()
	client.Write([]byte{22})
	<-read
	if _, waiting := pc.quietSince(); waiting {
		t.Error("still waiting on the client after the read returned")
	}
	pc.mu.Lock()
	moved := pc.moved
	pc.mu.Unlock()
	if moved.Before(before) {
		t.Errorf("a byte read during the handshake did not count as progress (moved %v, read at %v)", moved, before)
	}
}
