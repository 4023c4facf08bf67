package handshake

import (
	"net"
	"testing"
	"time"
)

// TestMoreComing checks the look into the socket: bytes already there are seen, and are still
// there afterwards for the real read; an empty socket is reported empty once the window ends.
func TestMoreComing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	defer server.Close()

	if more, ok := moreComing(client); !ok || more {
		t.Fatalf("empty socket: moreComing = %v, %v; want false, true", more, ok)
	}
	if _, err := server.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	// The byte crosses loopback in microseconds; allow for a slow machine.
	deadline := time.Now().Add(5 * time.Second)
	for {
		more, ok := moreComing(client)
		if !ok {
			t.Fatal("moreComing could not ask the socket")
		}
		if more {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a byte waiting in the socket was never seen")
		}
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 2)
	if n, err := client.Read(buf); err != nil || string(buf[:n]) != "x" {
		t.Fatalf("the byte looked at is gone: read %q, %v", buf[:n], err)
	}
	// A byte that arrives during the window is waited for. The window is long, and the byte
	// comes well inside it, so this says nothing about speed; a look that did not wait (a
	// zero timeout) would report nothing.
	go func() {
		time.Sleep(20 * time.Millisecond)
		server.Write([]byte("y"))
	}()
	if more, ok := moreComingWithin(client, 30*time.Second); !ok || !more {
		t.Errorf("a byte arriving within the window: moreComing = %v, %v; want true, true", more, ok)
	}
	if more, ok := moreComing(struct{ net.Conn }{client}); ok || more {
		t.Errorf("a connection without a file descriptor: moreComing = %v, %v; want false, false", more, ok)
	}
}
