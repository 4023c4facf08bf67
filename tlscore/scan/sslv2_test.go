package scan

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// sslv2Server answers an SSL 2.0 CLIENT-HELLO the way a server from the 1990s did: with a
// SERVER-HELLO listing the cipher kinds it shares with the client (or an ERROR when it shares
// none), and anything else by closing. OpenSSL 3 cannot be one, so it is built by hand from
// the SSL 2.0 specification.
func sslv2Server(t *testing.T, supports []uint32) int {
	t.Helper()
	_, _, pair := testCert(t, "rsa")
	return badServer(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(c, hdr); err != nil || hdr[0]&0x80 == 0 {
			return // not an SSL 2.0 record: a TLS hello, which this server does not speak
		}
		body := make([]byte, int(hdr[0]&0x7f)<<8|int(hdr[1]))
		if _, err := io.ReadFull(c, body); err != nil || len(body) < 9 || body[0] != wire.SSLv2MsgClientHello {
			return
		}
		specsLen := int(body[3])<<8 | int(body[4])
		if 9+specsLen > len(body) {
			return
		}
		var shared []uint32
		for i := 9; i+3 <= 9+specsLen; i += 3 {
			k := uint32(body[i])<<16 | uint32(body[i+1])<<8 | uint32(body[i+2])
			if slices.Contains(supports, k) {
				shared = append(shared, k)
			}
		}
		var msg []byte
		if len(shared) == 0 {
			msg = []byte{wire.SSLv2MsgError, 0x00, 0x01} // NO-CIPHER-ERROR
		} else {
			cert := pair.Certificate[0]
			connID := []byte("0123456789abcdef")
			msg = []byte{wire.SSLv2MsgServerHello, 0, 1, 0, 2, byte(len(cert) >> 8), byte(len(cert)),
				byte(3 * len(shared) >> 8), byte(3 * len(shared)), 0, byte(len(connID))}
			msg = append(msg, cert...)
			for _, k := range shared {
				msg = append(msg, byte(k>>16), byte(k>>8), byte(k))
			}
			msg = append(msg, connID...)
		}
		_, _ = c.Write(append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...))
		_, _ = io.Copy(io.Discard, c)
	})
}

func TestScanFindsSSLv2(t *testing.T) {
	t.Parallel()
	res, _ := runScan(t, sslv2Server(t, []uint32{0x0700c0, 0x010080, 0x123456}), 3*time.Second)
	v := version(t, res, "SSL 2.0")
	if !v.Supported || v.Inconclusive {
		t.Fatalf("SSL 2.0: %+v, want supported", v)
	}
	var names []string
	for _, s := range v.Suites {
		names = append(names, s.OpenSSLName)
		if s.ID != 0 || s.SSLv2Kind == 0 || s.Bits == 0 || s.KeyExchange != "RSA" {
			t.Errorf("suite %+v", s)
		}
	}
	// In the order the server listed them (this one keeps the client's); 0x123456, which
	// tlskit never offers, is not among them.
	if !slices.Equal(names, []string{"RC4-MD5", "DES-CBC3-MD5"}) {
		t.Errorf("SSL 2.0 ciphers %v, want [RC4-MD5 DES-CBC3-MD5]", names)
	}
	for _, other := range res.Versions[1:] {
		if other.Supported {
			t.Errorf("%s reported supported by an SSL 2.0-only server", other.Version)
		}
	}
	if res.Versions[0].Version != "SSL 2.0" {
		t.Errorf("versions start with %s, want SSL 2.0", res.Versions[0].Version)
	}
	found := false
	for _, f := range Findings(res) {
		found = found || (f.ID == "sslv2" && f.Severity == "high")
	}
	if !found {
		t.Errorf("no high sslv2 finding in %+v", Findings(res))
	}
}

// TestScanSSLv2NoSharedCipher is an SSL 2.0 server that shares no cipher with the client and
// says so with an ERROR: SSL 2.0 is refused, conclusively. It speaks no TLS, so the scan as a
// whole has no version it accepts to report, and says which versions it could not judge: all
// but SSL 2.0.
func TestScanSSLv2NoSharedCipher(t *testing.T) {
	t.Parallel()
	port := sslv2Server(t, []uint32{0x123456})
	opts := Options{Target: localTarget(port), Timeout: 3 * time.Second, Parallel: 1, Rate: 250}
	out := newProber(opts, func() {}).probeSSLv2(context.Background())
	if v := sslv2Result(out); v.Supported || v.Inconclusive {
		t.Errorf("SSL 2.0: %+v (probe %+v), want refused", v, out)
	}
	_, err := Scan(context.Background(), Options{Target: localTarget(port), Timeout: 3 * time.Second})
	var ne *NotScannedError
	if !errors.As(err, &ne) {
		t.Fatalf("Scan: %v (%T), want a *NotScannedError", err, err)
	}
	if !strings.Contains(err.Error(), "the probes of SSL 3.0, TLS 1.0, TLS 1.1, TLS 1.2, TLS 1.3 proved nothing") {
		t.Errorf("error %q should name every version but SSL 2.0 as undetermined", err)
	}
}
