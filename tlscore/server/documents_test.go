package server

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect"
	"github.com/tlskit/tlskit/tlscore/goldentest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestDocumentsGolden pins the server's JSON documents (docs/json.md, tlskit serve) with every
// key set at least once: a connection's log line (Event; error is set beside a completed
// handshake only to pin its key) and the info mode's /json answer (ClientReport, made by Report
// and AddHello from a ClientHello built by wire, and encoded as InfoHandler encodes it).
func TestDocumentsGolden(t *testing.T) {
	goldenJSON(t, "event.jsonl", Event{
		Time: time.Date(2026, 11, 27, 12, 0, 0, 123e6, time.UTC), Remote: "127.0.0.1:50512", SNI: "localhost",
		Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "h2", JA4: "t13d0206h2_777cda164f4b_e12c865f31a5",
		ClientCert: "CN=client.test", HandshakeMs: 1.52, Error: "HTTP/2 client cut off with GOAWAY: rapid reset (more than 100 streams reset within 10s)",
		ECH: &ECHView{Accepted: true, OuterSNI: "public.localhost", InnerSNI: "localhost", ConfigID: 42},
	})

	raw, err := wire.MarshalClientHello(wire.ClientHelloSpec{
		Random:              bytes.Repeat([]byte{0x5a}, 32),
		CipherSuites:        []uint16{0x1301, 0xc02b},
		ServerName:          "localhost",
		SupportedVersions:   []uint16{wire.VersionTLS13, wire.VersionTLS12},
		Groups:              []uint16{29, 23},
		KeyShares:           []wire.KeyShareSpec{{Group: 29, PublicKey: bytes.Repeat([]byte{0x42}, 32)}},
		SignatureAlgorithms: []uint16{0x0403, 0x0804},
		ALPN:                []string{"h2", "http/1.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := wire.ParseClientHello(raw[4:])
	if err != nil {
		t.Fatal(err)
	}
	r := &http.Request{RemoteAddr: "127.0.0.1:50512", Proto: "HTTP/2.0", TLS: &tls.ConnectionState{
		Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, CurveID: tls.X25519,
		ServerName: "localhost", NegotiatedProtocol: "h2", DidResume: true,
	}}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	rep := Report(r, now)
	rep.AddHello(raw, ch)
	// Set by hand: ECHOf reads it from the outer hello and the state, pinned in TestECHEvents.
	rep.ECH = &ECHView{Accepted: true, OuterSNI: "public.localhost", InnerSNI: "localhost", ConfigID: 42}
	nb := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	// Set by hand: Report describes r.TLS.PeerCertificates[0] with inspect.Describe, pinned there.
	rep.ClientCertificate = &inspect.Certificate{
		Subject: "CN=client.test", Issuer: "CN=Example Client CA,O=Example", Serial: "0c",
		NotBefore: nb, NotAfter: nb.Add(120 * 24 * time.Hour), DaysLeft: 33,
		DNSNames: []string{}, IPAddresses: []string{}, Key: "Ed25519", SignatureAlgorithm: "Ed25519", SHA256: "AA:BB",
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b) // as InfoHandler's: indented, HTML escaped (encoding/json's default)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		t.Fatal(err)
	}
	goldentest.File(t, *update, "client-report.json", b.Bytes())
}
