package peertest

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// CaptureClientHello is the ClientHello a crypto/tls client with cfg sends: the records it came
// in, and the handshake message (its 4-byte header included). The listener hangs up after
// reading it, so the client's handshake fails; only what it sent matters.
func CaptureClientHello(t testing.TB, cfg *tls.Config) (records, msg []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			return
		}
		defer c.Close()
		tc := tls.Client(c, cfg.Clone())
		tc.SetDeadline(time.Now().Add(5 * time.Second))
		tc.Handshake()
	}()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(5 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("capturing a ClientHello: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	records, msg, err = ReadClientHello(conn)
	if err != nil {
		t.Fatalf("capturing a ClientHello: %v", err)
	}
	return records, msg
}

// ReadClientHello reads handshake records until one whole ClientHello has arrived (a hello
// with large post-quantum key shares spans records) and returns the records and the message.
func ReadClientHello(r io.Reader) (records, msg []byte, err error) {
	var hs []byte
	for {
		if len(hs) >= 4 {
			if n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])); len(hs) >= n {
				if hs[0] != 1 {
					return nil, nil, fmt.Errorf("handshake type %d, want ClientHello", hs[0])
				}
				return records, hs[:n], nil
			}
		}
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, nil, fmt.Errorf("reading record header: %w", err)
		}
		if hdr[0] != 22 {
			return nil, nil, fmt.Errorf("record type %d, want handshake", hdr[0])
		}
		payload := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, nil, fmt.Errorf("reading record: %w", err)
		}
		records = append(append(records, hdr...), payload...)
		hs = append(hs, payload...)
	}
}
