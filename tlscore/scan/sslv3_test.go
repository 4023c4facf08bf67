package scan

import (
	"context"
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// sslv3Server answers a ClientHello offering SSL 3.0 (legacy_version 0x0300) with an SSL 3.0
// ServerHello choosing DES-CBC3-SHA when offered, and anything else with a protocol_version
// alert: the shape of a server from 2010. OpenSSL 3 cannot be one, so it is built by hand.
func sslv3Server(t *testing.T) connect.Target {
	t.Helper()
	addr := peertest.Serve(t, func(_ context.Context, c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1<<16)
		n, _ := c.Read(buf)
		recs, _, err := wire.ParseRecords(buf[:n])
		if err != nil || len(recs) == 0 || len(recs[0].Payload) < 4 {
			return
		}
		ch, err := wire.ParseClientHello(recs[0].Payload[4:])
		if err != nil || ch.LegacyVersion != wire.VersionSSL30 || len(ch.SupportedVersions) > 0 {
			c.Write([]byte{21, 3, 0, 0, 2, 2, 70}) // fatal protocol_version
			return
		}
		offered := false
		for _, s := range ch.CipherSuites {
			offered = offered || s == 0x000a
		}
		if !offered {
			c.Write([]byte{21, 3, 0, 0, 2, 2, 40}) // fatal handshake_failure
			return
		}
		var b cryptobyte.Builder
		b.AddUint8(wire.TypeServerHello)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16(wire.VersionSSL30)
			b.AddBytes(make([]byte, 32))
			b.AddUint8(0) // session id
			b.AddUint16(0x000a)
			b.AddUint8(0) // compression
		})
		c.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionSSL30, b.BytesOrPanic()))
	})
	t2, err := connect.ParseTarget(addr, 443)
	if err != nil {
		t.Fatal(err)
	}
	return t2
}

func TestScanFindsSSLv3(t *testing.T) {
	target := sslv3Server(t)
	res, err := Scan(context.Background(), Options{Target: target, Timeout: 2 * time.Second, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Versions {
		switch v.Version {
		case "SSL 3.0":
			if !v.Supported || len(v.Suites) != 1 || v.Suites[0].ID != 0x000a {
				t.Errorf("SSL 3.0: %+v, want supported with DES-CBC3-SHA only", v)
			}
		default:
			if v.Supported {
				t.Errorf("%s reported supported by an SSL 3.0-only server", v.Version)
			}
		}
	}
	found := false
	for _, f := range Findings(res) {
		found = found || (f.ID == "sslv3" && f.Severity == "high")
	}
	if !found {
		t.Errorf("no high sslv3 finding: %+v", Findings(res))
	}
}
