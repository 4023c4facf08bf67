package scan

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// peerFaults are the flaws a legacyPeer has, each as the advisory describes the vulnerable
// servers' behaviour on the wire. The zero value is a fixed server.
type peerFaults struct {
	// heartbeat: the peer negotiates RFC 6520 heartbeats (a fixed one answers honest requests
	// and drops lying ones); heartbleed: it answers a request with payload_length bytes of
	// its memory, whatever the request carried (OpenSSL 1.0.1 to 1.0.1f).
	heartbeat, heartbleed bool
	// ccsInjection: an early ChangeCipherSpec is taken in silence and the read side switches to
	// keys from an empty master secret, so the next record fails to decrypt (decryption_failed,
	// as OpenSSL before 1.0.1h said of a record shorter than a CBC block).
	ccsInjection bool
	// compress: the peer picks DEFLATE when offered (OpenSSL built with zlib, before 1.1.0).
	compress bool
	// noFallbackCheck: a TLS_FALLBACK_SCSV hello at a lower version is served like any other.
	noFallbackCheck bool
	// robot: a ClientKeyExchange whose decryption does not start 00 02 is refused at once with
	// handshake_failure, where a well-padded one waits for the Finished and fails on its MAC:
	// the first-bytes oracle the ROBOT paper found in F5, Citrix and others. A fixed peer fails
	// them all on the Finished.
	robot bool
	// robotShortened: a badly padded ClientKeyExchange is refused with handshake_failure as
	// soon as it is read, unless ChangeCipherSpec and Finished came with it (they are read
	// within 5 ms), which then fail on the Finished like any other: the oracle the paper found
	// only in its shortened message flow.
	robotShortened bool
}

// legacyPeer is a hand-built TLS 1.0-1.2 server that takes TLS_RSA_WITH_AES_128_CBC_SHA with
// the RSA test certificate, sends its first flight and then reacts to what the checks send,
// with the given faults. It never completes a handshake: the checks never need it to.
func legacyPeer(t *testing.T, f peerFaults) int {
	t.Helper()
	_, _, pair := testCert(t, "rsa")
	return badServer(t, func(c net.Conn) {
		defer c.Close()
		// testssl waits seconds between the messages of its CCS check.
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		ch, err := readClientHello(c)
		if err != nil {
			// Refuse an SSL 2.0 hello as a TLS-only server does: close, once its bytes are read
			// (a close over unread bytes is a reset, which proves nothing).
			_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			_, _ = io.Copy(io.Discard, c)
			return
		}
		vers := min(ch.LegacyVersion, wire.VersionTLS12)
		sendAlert := func(desc uint8) { _, _ = c.Write(wire.WrapRecords(wire.ContentAlert, vers, []byte{2, desc})) }
		if vers < wire.VersionTLS10 || !slices.Contains(ch.CipherSuites, 0x002f) {
			sendAlert(alertHandshakeFailure)
			return
		}
		if slices.Contains(ch.CipherSuites, scsvFallback) && vers < wire.VersionTLS12 && !f.noFallbackCheck {
			sendAlert(alertInappropriateFallback)
			return
		}
		comp := uint8(0)
		if f.compress && slices.Contains(ch.CompressionMethods, 1) {
			comp = 1
		}
		var exts []wire.Extension
		if slices.Contains(ch.CipherSuites, scsvRenegotiation) || ch.RenegotiationInfo {
			exts = append(exts, wire.Extension{Type: wire.ExtRenegotiationInfo, Data: []byte{0}})
		}
		heartbeats := f.heartbeat && slices.ContainsFunc(ch.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtHeartbeat })
		if heartbeats {
			exts = append(exts, wire.Extension{Type: wire.ExtHeartbeat, Data: []byte{1}})
		}
		flight := serverHelloMsg(vers, 0x002f, comp, randomBytes(32), exts)
		flight = append(flight, certificateMsg(pair.Certificate)...)
		flight = append(flight, wire.TypeServerHelloDone, 0, 0, 0)
		if _, err := c.Write(wire.WrapRecords(wire.ContentHandshake, vers, flight)); err != nil {
			return
		}
		// Its "memory": what a heartbeat over-read would copy out.
		memory := bytes.Repeat([]byte("-----BEGIN RSA PRIVATE KEY-----\n"), 1024)
		keysChanged, keyExchanged, finishedNext, badPadding := false, false, false, false
		hdr := make([]byte, 5)
		for {
			if badPadding {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
			}
			if _, err := io.ReadFull(c, hdr); err != nil {
				var ne net.Error
				if badPadding && errors.As(err, &ne) && ne.Timeout() {
					sendAlert(alertHandshakeFailure)
				}
				return
			}
			if badPadding {
				badPadding = false
				_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
			}
			body := make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
			if _, err := io.ReadFull(c, body); err != nil {
				return
			}
			switch {
			case keysChanged:
				// Under keys from an empty master secret a one-byte record is no CBC record.
				sendAlert(alertDecryptionFailed)
				return
			case finishedNext:
				// The client's Finished, under keys this peer never shares with anyone.
				sendAlert(alertBadRecordMAC)
				return
			}
			switch hdr[0] {
			case wire.ContentHandshake:
				if keyExchanged || len(body) < 6 || body[0] != wire.TypeClientKeyExchange {
					return
				}
				key := pair.PrivateKey.(*rsa.PrivateKey)
				block := new(big.Int).Exp(new(big.Int).SetBytes(body[6:]), key.D, key.N).FillBytes(make([]byte, key.Size()))
				if f.robot && (block[0] != 0 || block[1] != 2) {
					sendAlert(alertHandshakeFailure)
					return
				}
				badPadding = f.robotShortened && (block[0] != 0 || block[1] != 2)
				keyExchanged = true
			case wire.ContentHeartbeat:
				if !heartbeats || len(body) < 3 || body[0] != 1 {
					continue
				}
				claimed := int(binary.BigEndian.Uint16(body[1:3]))
				var payload []byte
				switch {
				case f.heartbleed:
					// Copies claimed bytes from where the payload starts, past its end.
					payload = append(body[3:], memory...)[:claimed]
				case 3+claimed+16 <= len(body):
					payload = body[3 : 3+claimed]
				default:
					continue // RFC 6520: a lying request is dropped silently
				}
				resp := append([]byte{2, byte(claimed >> 8), byte(claimed)}, payload...)
				resp = append(resp, randomBytes(16)...)
				if _, err := c.Write(wire.WrapRecords(wire.ContentHeartbeat, vers, resp)); err != nil {
					return
				}
			case wire.ContentChangeCipherSpec:
				if keyExchanged {
					finishedNext = true
					continue
				}
				if !f.ccsInjection {
					sendAlert(alertUnexpectedMessage)
					return
				}
				keysChanged = true
			default:
				return
			}
		}
	})
}

// readClientHello reads and parses one ClientHello in handshake records.
func readClientHello(c net.Conn) (*wire.ClientHello, error) {
	var asm wire.Assembler
	hdr := make([]byte, 5)
	for {
		if _, err := io.ReadFull(c, hdr); err != nil {
			return nil, err
		}
		if hdr[0] != wire.ContentHandshake {
			return nil, errors.New("not a TLS handshake record (an SSL 2.0 hello?)")
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
		if _, err := io.ReadFull(c, body); err != nil {
			return nil, err
		}
		msgs, err := asm.Add(body)
		if err != nil {
			return nil, err
		}
		if len(msgs) > 0 {
			return wire.ParseClientHello(msgs[0].Body)
		}
	}
}

// serverHelloMsg builds a TLS 1.2-or-older ServerHello handshake message.
func serverHelloMsg(vers, suite uint16, comp uint8, sid []byte, exts []wire.Extension) []byte {
	var b cryptobyte.Builder
	b.AddUint8(wire.TypeServerHello)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16(vers)
		random := make([]byte, 32)
		_, _ = rand.Read(random)
		b.AddBytes(random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sid) })
		b.AddUint16(suite)
		b.AddUint8(comp)
		if len(exts) == 0 {
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range exts {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
			}
		})
	})
	return b.BytesOrPanic()
}

// certificateMsg builds a TLS 1.2-or-older Certificate message.
func certificateMsg(chain [][]byte) []byte {
	var b cryptobyte.Builder
	b.AddUint8(wire.TypeCertificate)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, der := range chain {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(der) })
			}
		})
	})
	return b.BytesOrPanic()
}

// ticketbleedFront stands before a Go TLS 1.2 server that issues tickets and does what F5's
// stacks did (CVE-2016-9244): when it resumes a session for a ClientHello whose session ID is
// shorter than 32 bytes, its ServerHello echoes 32 bytes, the rest from its memory. Everything
// else passes through untouched.
func ticketbleedFront(t *testing.T, backend net.Listener) int {
	t.Helper()
	return badServer(t, func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		up, err := net.Dial("tcp", backend.Addr().String())
		if err != nil {
			return
		}
		defer up.Close()
		first, err := readRecord(c)
		if err != nil {
			return
		}
		var sid []byte
		if msgs, err := wire.SplitMessages(first[5:], 1<<16); err == nil && len(msgs) > 0 && msgs[0].Type == wire.TypeClientHello {
			if ch, err := wire.ParseClientHello(msgs[0].Body); err == nil {
				sid = ch.SessionID
			}
		}
		if _, err := up.Write(first); err != nil {
			return
		}
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		answer, err := readRecord(up)
		if err != nil {
			return
		}
		// The ServerHello opens the first record: 5 bytes of record header, 4 of message
		// header, 2 of version, 32 of random, then the session ID's length and bytes.
		const at = 5 + 4 + 2 + 32
		if len(sid) > 0 && len(sid) < 32 && len(answer) > at+1+len(sid) && answer[5] == wire.TypeServerHello &&
			int(answer[at]) == len(sid) && bytes.Equal(answer[at+1:at+1+len(sid)], sid) {
			leak := bytes.Repeat([]byte{0xa5}, 32-len(sid))
			grown := slices.Concat(answer[:at], []byte{32}, sid, leak, answer[at+1+len(sid):])
			binary.BigEndian.PutUint16(grown[3:5], uint16(len(grown)-5))
			n := int(answer[6])<<16 | int(answer[7])<<8 | int(answer[8]) + len(leak)
			grown[6], grown[7], grown[8] = byte(n>>16), byte(n>>8), byte(n)
			answer = grown
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
		_, _ = io.Copy(c, up)
	})
}

// readRecord reads one whole TLS record, header included.
func readRecord(c net.Conn) ([]byte, error) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:5]))
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, err
	}
	return append(hdr, body...), nil
}
