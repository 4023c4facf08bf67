package scan

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// badServer accepts connections and hands each to handle; it stops at cleanup.
func badServer(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func readHello(c net.Conn) {
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Read(buf)
}

func TestBadPeers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		handle func(net.Conn)
	}{
		{"silent", func(c net.Conn) { readHello(c) /* then never answer */ }},
		{"garbage", func(c net.Conn) {
			readHello(c)
			_, _ = c.Write([]byte("\x16\x03\x03\x00\x06\x02\x00\x00\x02\xff\xff"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}},
		{"http", func(c net.Conn) {
			readHello(c)
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}},
		{"reset", func(c net.Conn) {
			readHello(c)
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
		{"half-serverhello", func(c net.Conn) {
			readHello(c)
			// A record header promising more than is ever sent, then a reset.
			_, _ = c.Write([]byte("\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03"))
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port := badServer(t, tc.handle)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			res, err := Scan(ctx, Options{Target: localTarget(port), Timeout: 700 * time.Millisecond})
			d := time.Since(start)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			t.Logf("%s: %v, %d probes", tc.name, d, res.Probes)
			if d > 10*time.Second {
				t.Errorf("scan took %v", d)
			}
			for _, v := range res.Versions {
				if v.Supported || len(v.Suites) > 0 {
					t.Errorf("%s reported supported with %v", v.Version, suiteIDs(v))
				}
				if !v.Inconclusive {
					t.Errorf("%s not marked inconclusive", v.Version)
				}
			}
			for _, g := range res.Groups {
				if g.Supported {
					t.Errorf("group %s reported supported", g.Name)
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
