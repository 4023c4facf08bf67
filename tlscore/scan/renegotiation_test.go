package scan

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/tls12"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// checkScanner is a scanner of a loopback port for running one check on its own.
func checkScanner(t *testing.T, port int, timeout time.Duration) *scanner {
	t.Helper()
	opts := Options{Target: localTarget(port), Timeout: timeout, Parallel: 2, Rate: 1000}
	_, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	return &scanner{p: newProber(opts, stop), opts: opts, states: map[uint16]*versionState{}}
}

// tls12Found is an enumeration that found the given TLS 1.2 suites.
func tls12Found(ids ...uint16) map[uint16][]uint16 {
	return map[uint16][]uint16{wire.VersionTLS12: ids}
}

// testsslRenegotiation runs testssl --renegotiation on a port and returns its
// secure_client_renego finding as "SEVERITY finding".
func testsslRenegotiation(t *testing.T, port int) string {
	t.Helper()
	f, ok := byID(runTestssl(t, localAddr(port), "--renegotiation"))["secure_client_renego"]
	if !ok {
		t.Fatal("testssl gave no secure_client_renego finding")
	}
	return f.Severity + " " + f.Finding
}

// TestClientRenegotiationVersusTestssl runs the check beside testssl --renegotiation
// (secure_client_renego) on the same servers in the same run. testssl drives openssl s_client
// and types "R": a renegotiation that completes is VULNERABLE; on an HTTP server (all of these)
// it then tries four times a second apart, and calls it HIGH "DoS threat" when all four
// complete, "not vulnerable, mitigated" when the server stops them. The check asks once: both
// of testssl's vulnerable answers are Vulnerable here.
//
// OpenSSL 3.0's s_server refuses client-initiated renegotiation by default (a warning
// no_renegotiation alert; SSL_OP_ALLOW_CLIENT_RENEGOTIATION is off since 3.0) and allows it
// with -client_renegotiation; -no_renegotiation refuses it too. gnutls-serv 3.7 renegotiates
// at the client's request. Go's server never renegotiates: it ends the connection with a fatal
// unexpected_message alert.
func TestClientRenegotiationVersusTestssl(t *testing.T) {
	t.Parallel()
	needTestssl(t)
	peertest.NeedOpenSSL3(t)
	rsaCert, rsaKey, rsaPair := testCert(t, "rsa")
	ecdhe := []uint16{0xc030, 0xc02f, 0xcca8}
	openssl := func(args ...string) func(t *testing.T) int {
		return func(t *testing.T) int { return startOpenSSL(t, args...) }
	}
	for _, tc := range []struct {
		name     string
		start    func(t *testing.T) int // one server, started twice: s_server serves one connection at a time
		found    []uint16
		want     Verdict
		received string // in the check's Received
		// reference: testssl runs on it too (each run costs some 3 s of CPU, so only on the
		// servers whose answers differ).
		reference bool
	}{
		{"openssl default", openssl(), ecdhe, NotVulnerable, "warning alert no_renegotiation", true},
		{"openssl -client_renegotiation", openssl("-client_renegotiation"), ecdhe, Vulnerable, "an encrypted ServerHello (TLS 1.2, ECDHE-RSA-AES256-GCM-SHA384): the server renegotiated, its renegotiation_info bound to the first handshake", true},
		{"openssl -client_renegotiation RSA-CBC", openssl("-client_renegotiation", "-tls1_2", "-cipher", "AES128-SHA"), []uint16{0x002f}, Vulnerable, "an encrypted ServerHello (TLS 1.2, AES128-SHA)", false},
		{"openssl -no_renegotiation", openssl("-no_renegotiation"), ecdhe, NotVulnerable, "warning alert no_renegotiation", false},
		{"gnutls-serv default", func(t *testing.T) int {
			port, _ := itoaPort(peertest.GnuTLSServer(t, "", rsaCert, rsaKey).Port)
			return port
		}, ecdhe, Vulnerable, "the server renegotiated, its renegotiation_info bound to the first handshake", true},
		{"go", func(t *testing.T) int {
			return goHTTPServer(t, &tls.Config{Certificates: []tls.Certificate{rsaPair}})
		}, ecdhe, NotVulnerable, "fatal alert unexpected_message", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ours := tc.start(t)
			theirs := make(chan string, 1)
			if tc.reference {
				theirsPort := tc.start(t)
				go func() { theirs <- testsslRenegotiation(t, theirsPort) }()
			}
			c := checkScanner(t, ours, 3*time.Second).clientRenegotiation(context.Background(), tls12Found(tc.found...))
			t.Logf("check: %+v", c)
			if c.ID != "client-renegotiation" || c.Verdict != tc.want || !strings.Contains(c.Received, tc.received) {
				t.Errorf("check %+v, want %s with %q", c, tc.want, tc.received)
			}
			if !strings.HasPrefix(c.Sent, "an encrypted ClientHello after a completed TLS 1.2 handshake (") {
				t.Errorf("Sent %q", c.Sent)
			}
			if !tc.reference {
				return
			}
			ref := <-theirs
			t.Logf("testssl: %s", ref)
			theyFlag := strings.Contains(ref, "VULNERABLE")
			if theyFlag != (c.Verdict == Vulnerable) || (!theyFlag && !strings.HasPrefix(ref, "OK ")) {
				t.Errorf("the check says %s, testssl %q", c.Verdict, ref)
			}
		})
	}
}

func itoaPort(s string) (int, error) {
	var n int
	_, err := fmt.Sscan(s, &n)
	return n, err
}

// fakeServer12 is a hand-built TLS 1.2 server (TLS_RSA_WITH_AES_128_GCM_SHA256, the RSA test
// certificate, secure renegotiation and the extended master secret when offered) whose every
// step after the ServerHello can go wrong on purpose. After the handshake it reads the
// client's encrypted record, hands its ClientHello to hellos, and answers with answer, which
// writes records under the session's keys.
type fakeServer12 struct {
	closeAfterHello bool // close right after the ServerHello
	badFinished     bool // a Finished whose verify_data is off by a bit
	insecure        bool // no renegotiation_info: a server without RFC 5746
	answer          func(write func(typ uint8, payload []byte), c net.Conn)
}

// renegHello is what fakeServer12 saw of a renegotiating ClientHello.
type renegHello struct {
	hello        *wire.ClientHello
	clientVerify []byte
	err          error
}

func (f fakeServer12) start(t *testing.T) (port int, hellos chan renegHello) {
	t.Helper()
	_, _, pair := testCert(t, "rsa")
	key := pair.PrivateKey.(*rsa.PrivateKey)
	suite, _ := tls12.SuiteByID(0x009c)
	hellos = make(chan renegHello, 4)
	port = badServer(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fail := func(err error) { hellos <- renegHello{err: err} }
		_, chMsg, err := peertest.ReadClientHello(c)
		if err != nil {
			fail(err)
			return
		}
		ch, err := wire.ParseClientHello(chMsg[4:])
		if err != nil {
			fail(err)
			return
		}
		sr := randomBytes(32)
		sh := append([]byte{3, 3}, sr...)
		sh = append(sh, 0, 0x00, 0x9c, 0)
		exts := []byte{0xff, 0x01, 0, 1, 0}
		if f.insecure {
			exts = nil
		}
		if ch.ExtendedMasterSecret {
			exts = append(exts, 0, 23, 0, 0)
		}
		sh = append(append(sh, byte(len(exts)>>8), byte(len(exts))), exts...)
		shMsg := wire.HandshakeMessage(wire.TypeServerHello, sh)
		if f.closeAfterHello {
			_, _ = c.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, shMsg))
			return
		}
		der := pair.Certificate[0]
		certs := append([]byte{byte(len(der) >> 16), byte(len(der) >> 8), byte(len(der))}, der...)
		certs = append([]byte{byte(len(certs) >> 16), byte(len(certs) >> 8), byte(len(certs))}, certs...)
		flight := bytes.Join([][]byte{shMsg, wire.HandshakeMessage(wire.TypeCertificate, certs), wire.HandshakeMessage(wire.TypeServerHelloDone, nil)}, nil)
		transcript := append(append([]byte{}, chMsg...), flight...)
		_, _ = c.Write(wire.WrapRecords(wire.ContentHandshake, wire.VersionTLS12, flight))

		rec, err := peertest.ReadRecord(c)
		if err != nil || rec[0] != wire.ContentHandshake || rec[5] != wire.TypeClientKeyExchange {
			fail(fmt.Errorf("no ClientKeyExchange: %x %v", rec, err))
			return
		}
		transcript = append(transcript, rec[5:]...)
		pre, err := rsa.DecryptPKCS1v15(nil, key, rec[11:])
		if err != nil {
			fail(err)
			return
		}
		var master []byte
		if ch.ExtendedMasterSecret {
			master = suite.PRF(pre, "extended master secret", suite.TranscriptHash(transcript), 48)
		} else {
			master = suite.PRF(pre, "master secret", append(append([]byte{}, ch.Random...), sr...), 48)
		}
		client, server, err := tls12.Keys(suite, master, ch.Random, sr)
		if err != nil {
			fail(err)
			return
		}
		if rec, err = peertest.ReadRecord(c); err != nil || rec[0] != wire.ContentChangeCipherSpec {
			fail(fmt.Errorf("no ChangeCipherSpec: %x %v", rec, err))
			return
		}
		rec, err = peertest.ReadRecord(c)
		if err != nil {
			fail(err)
			return
		}
		fin, err := client.Open(rec[0], rec[5:])
		if err != nil {
			fail(fmt.Errorf("the client's Finished: %w", err))
			return
		}
		if want := wire.HandshakeMessage(wire.TypeFinished, suite.PRF(master, "client finished", suite.TranscriptHash(transcript), 12)); !bytes.Equal(fin, want) {
			fail(fmt.Errorf("the client's Finished %x, want %x", fin, want))
			return
		}
		transcript = append(transcript, fin...)
		verify := suite.PRF(master, "server finished", suite.TranscriptHash(transcript), 12)
		if f.badFinished {
			verify[0] ^= 1
		}
		write := func(typ uint8, payload []byte) {
			sealed, _ := server.Seal(typ, payload)
			_, _ = c.Write(append([]byte{typ, 3, 3, byte(len(sealed) >> 8), byte(len(sealed))}, sealed...))
		}
		_, _ = c.Write([]byte{wire.ContentChangeCipherSpec, 3, 3, 0, 1, 1})
		write(wire.ContentHandshake, wire.HandshakeMessage(wire.TypeFinished, verify))

		if rec, err = peertest.ReadRecord(c); err != nil {
			fail(err)
			return
		}
		pt, err := client.Open(rec[0], rec[5:])
		if err != nil || rec[0] != wire.ContentHandshake || len(pt) < 4 || pt[0] != wire.TypeClientHello {
			fail(fmt.Errorf("no encrypted ClientHello (%x, %v)", pt, err))
			return
		}
		reneg, err := wire.ParseClientHello(pt[4:])
		hellos <- renegHello{hello: reneg, clientVerify: fin[4:], err: err}
		if f.answer != nil {
			f.answer(write, c)
		}
	})
	return port, hellos
}

// serverHelloMsg is a TLS 1.2 ServerHello choosing TLS_RSA_WITH_AES_128_GCM_SHA256.

// TestClientRenegotiationAnswers holds the check to each way a server can answer (or not) the
// renegotiating ClientHello, and to first handshakes that fail, with a hand-built server.
func TestClientRenegotiationAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		srv      fakeServer12
		want     Verdict
		received string
		reneg    bool // the server must have seen the renegotiating ClientHello
	}{
		{"insecure renegotiation", fakeServer12{insecure: true, answer: func(w func(uint8, []byte), _ net.Conn) {
			w(wire.ContentHandshake, serverHelloMsg(wire.VersionTLS12, 0x009c, 0, nil, nil))
		}}, Vulnerable, "an encrypted ServerHello (TLS 1.2, AES128-GCM-SHA256): the server renegotiated", true},
		{"renegotiates after a HelloRequest and data", fakeServer12{answer: func(w func(uint8, []byte), _ net.Conn) {
			w(wire.ContentHandshake, wire.HandshakeMessage(wire.TypeHelloRequest, nil))
			w(wire.ContentApplicationData, []byte("hello"))
			w(wire.ContentAlert, []byte{1, 112}) // warning unrecognized_name: read past
			w(wire.ContentHandshake, serverHelloMsg(wire.VersionTLS12, 0x009c, 0, nil, nil))
		}}, Vulnerable, "an encrypted ServerHello (TLS 1.2, AES128-GCM-SHA256): the server renegotiated, without renegotiation_info bound to the first handshake (after a HelloRequest, 5 bytes of application data, warning alert unrecognized_name)", true},
		{"application data without end", fakeServer12{answer: func(w func(uint8, []byte), _ net.Conn) {
			for range 100 {
				w(wire.ContentApplicationData, []byte("more"))
			}
		}}, Inconclusive, "no answer to the ClientHello within 32 records (after 128 bytes of application data in 32 records)", true},
		{"no_renegotiation", fakeServer12{answer: func(w func(uint8, []byte), _ net.Conn) {
			w(wire.ContentAlert, []byte{1, 100})
		}}, NotVulnerable, "warning alert no_renegotiation", true},
		{"fatal alert", fakeServer12{answer: func(w func(uint8, []byte), _ net.Conn) {
			w(wire.ContentAlert, []byte{2, 40})
		}}, NotVulnerable, "fatal alert handshake_failure", true},
		{"close", fakeServer12{answer: func(_ func(uint8, []byte), c net.Conn) { c.Close() }}, NotVulnerable, "the server closed the connection", true},
		{"reset", fakeServer12{answer: func(_ func(uint8, []byte), c net.Conn) {
			_ = c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}}, NotVulnerable, "the server reset the connection", true},
		{"silence", fakeServer12{answer: func(_ func(uint8, []byte), c net.Conn) { peertest.Drain(c) }}, NotVulnerable, "no answer within the timeout", true},
		{"an unauthenticated record", fakeServer12{answer: func(_ func(uint8, []byte), c net.Conn) {
			_, _ = c.Write([]byte{wire.ContentHandshake, 3, 3, 0, 40})
			_, _ = c.Write(bytes.Repeat([]byte{7}, 40))
		}}, Inconclusive, "bad_record_mac", true},
		{"a Certificate instead", fakeServer12{answer: func(w func(uint8, []byte), _ net.Conn) {
			w(wire.ContentHandshake, wire.HandshakeMessage(wire.TypeCertificate, []byte{0, 0, 0}))
		}}, Inconclusive, "an encrypted Certificate instead of a ServerHello", true},
		{"close after the ServerHello", fakeServer12{closeAfterHello: true}, Inconclusive, "the first handshake failed: reading the server's first flight: the server closed the connection", false},
		{"wrong Finished", fakeServer12{badFinished: true}, Inconclusive, "the first handshake failed: the server's Finished does not verify", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			port, hellos := tc.srv.start(t)
			c := checkScanner(t, port, time.Second).clientRenegotiation(context.Background(), tls12Found(0x009c))
			t.Logf("%+v", c)
			if tc.reneg && strings.Contains(c.Sent, "without renegotiation_info") != tc.srv.insecure {
				t.Errorf("Sent %q", c.Sent)
			}
			if c.Verdict != tc.want || !strings.Contains(c.Received, tc.received) {
				t.Errorf("check %+v, want %s with %q", c, tc.want, tc.received)
			}
			if !tc.reneg {
				return
			}
			select {
			case h := <-hellos:
				if h.err != nil {
					t.Fatalf("the server: %v", h.err)
				}
				// RFC 5746 3.5: renegotiation_info with the client's verify_data, and no SCSV.
				var info []byte
				for _, e := range h.hello.Extensions {
					if e.Type == wire.ExtRenegotiationInfo {
						info = e.Data
					}
				}
				want := append([]byte{12}, h.clientVerify...)
				if tc.srv.insecure {
					want = nil // the server does not do RFC 5746
				}
				if !bytes.Equal(info, want) {
					t.Errorf("renegotiation_info %x, want %x", info, want)
				}
				for _, id := range h.hello.CipherSuites {
					if id == scsvRenegotiation {
						t.Error("the renegotiating hello carries the SCSV")
					}
				}
			default:
				t.Error("the server saw no renegotiating ClientHello")
			}
		})
	}
}

// TestClientRenegotiationNotApplicable: without TLS 1.2, or with none of the suites the check's
// client implements, no connection is made.
func TestClientRenegotiationNotApplicable(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	for _, tc := range []struct {
		found    map[uint16][]uint16
		received string
	}{
		{map[uint16][]uint16{wire.VersionTLS13: {0x1301}, wire.VersionTLS11: {0x002f}}, "does not accept TLS 1.2"},
		{tls12Found(0x009e, 0x0041), "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	} {
		s := checkScanner(t, port, time.Second)
		c := s.clientRenegotiation(context.Background(), tc.found)
		if c.Verdict != NotApplicable || !strings.Contains(c.Received, tc.received) || s.p.probes.Load() != 0 {
			t.Errorf("%v: %+v after %d connections, want not applicable with %q", tc.found, c, s.p.probes.Load(), tc.received)
		}
	}
	// A closed port: no conclusion.
	c := checkScanner(t, port, time.Second).clientRenegotiation(context.Background(), tls12Found(0xc02f))
	if c.Verdict != Inconclusive {
		t.Errorf("closed port: %+v", c)
	}
}
