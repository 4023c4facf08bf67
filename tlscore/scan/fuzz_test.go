package scan

import (
	"net"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// FuzzReadServerHello feeds arbitrary server bytes to the probe readers: they must never panic,
// and must never report a ServerHello they could not parse.
func FuzzReadServerHello(f *testing.F) {
	hello, _ := wire.MarshalClientHello(wire.ClientHelloSpec{Version: wire.VersionTLS12, CipherSuites: []uint16{0xc02f}})
	f.Add(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, hello))
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte{})
	f.Add([]byte{0x80, 0x03, 0x00, 0x00, 0x01}) // SSL 2.0 ERROR
	f.Add([]byte{0x80, 0x11, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 'c', 0x01, 0x00, 0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, read := range []func(net.Conn) outcome{readServerHello, readServerKeyExchange, readSSLv2ServerHello} {
			client, server := net.Pipe()
			go func() {
				server.Write(data)
				server.Close()
			}()
			client.SetDeadline(time.Now().Add(time.Second))
			out := read(client)
			client.Close()
			if out.kind == outHello && out.hello == nil && out.v2 == nil {
				t.Fatalf("a ServerHello outcome without a ServerHello for %x", data)
			}
		}
		// The checks' readers: the first flight to ServerHelloDone, and what follows a
		// ServerHello (a resumption or not).
		for _, read := range []func(*flightReader) (*wire.ServerHello, outcome){
			func(r *flightReader) (*wire.ServerHello, outcome) {
				ff, out := readFirstFlight(r)
				return ff.hello, out
			},
			func(r *flightReader) (*wire.ServerHello, outcome) { sh, _, out := readResumption(r); return sh, out },
		} {
			client, server := net.Pipe()
			go func() {
				server.Write(data)
				server.Close()
			}()
			client.SetDeadline(time.Now().Add(time.Second))
			sh, out := read(newFlightReader(client, probeMaxBytes))
			client.Close()
			if out.kind == outHello && (sh == nil || out.hello == nil) {
				t.Fatalf("a whole-flight outcome without a ServerHello for %x", data)
			}
		}
		// An answer after a check's message, whatever it is, is classified, never a panic.
		client, server := net.Pipe()
		go func() {
			server.Write(data)
			server.Close()
		}()
		_ = readAnswer(client, newFlightReader(client, probeMaxBytes), time.Second).says()
		client.Close()
	})
}
