package keyschedule_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/tlskit/tlskit/tlscore/keyschedule"
)

// unhex decodes hex written with any whitespace in it, as RFC text has.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// sealRecord builds the protected record a TLS 1.3 sender would send with this secret at this
// sequence number, for an inner plaintext the caller lays out (content, type, padding). It
// builds the AEAD and the nonce itself rather than borrowing from package keys, so tests that
// round-trip through it check RecordDecrypter against an independent writer; only the key
// derivation is shared, and the RFC 8448 tests pin that down.
func sealRecord(t testing.TB, suite uint16, secret []byte, seq uint64, inner []byte) []byte {
	t.Helper()
	key, iv, err := keyschedule.TrafficKeys(suite, secret)
	if err != nil {
		t.Fatal(err)
	}
	var aead cipher.AEAD
	switch suite {
	case 0x1301, 0x1302:
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		aead, err = cipher.NewGCM(block)
		if err != nil {
			t.Fatal(err)
		}
	case 0x1303:
		aead, err = chacha20poly1305.New(key)
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("sealRecord: no AEAD for suite %#04x", suite)
	}
	nonce := bytes.Clone(iv)
	var seqBytes [8]byte
	binary.BigEndian.PutUint64(seqBytes[:], seq)
	for i := range seqBytes {
		nonce[len(nonce)-8+i] ^= seqBytes[i]
	}
	n := len(inner) + aead.Overhead()
	header := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return aead.Seal(header, nonce, inner, header)
}

// record is one TLS record cut from a byte stream.
type record struct {
	typ uint8
	raw []byte // header and payload
}

// splitRecords cuts a recorded TCP stream into TLS records by their 5-byte headers. (tlskit's
// real splitter lives in another package; this one only serves these tests.)
func splitRecords(stream []byte) ([]record, error) {
	var out []record
	for len(stream) > 0 {
		if len(stream) < 5 {
			return out, fmt.Errorf("%d stray bytes at the end of the stream", len(stream))
		}
		n := 5 + int(binary.BigEndian.Uint16(stream[3:5]))
		if len(stream) < n {
			return out, fmt.Errorf("last record truncated: %d of %d bytes", len(stream), n)
		}
		out = append(out, record{typ: stream[0], raw: stream[:n:n]})
		stream = stream[n:]
	}
	return out, nil
}

// handshakeTypes lists the handshake messages in a concatenation of handshake-type record
// contents (messages may span records, and records may hold several messages).
func handshakeTypes(data []byte) ([]uint8, error) {
	var types []uint8
	for len(data) > 0 {
		if len(data) < 4 {
			return types, fmt.Errorf("%d stray bytes after the last handshake message", len(data))
		}
		n := 4 + (int(data[1])<<16 | int(data[2])<<8 | int(data[3]))
		if len(data) < n {
			return types, fmt.Errorf("handshake message type %d truncated: %d of %d bytes", data[0], len(data), n)
		}
		types = append(types, data[0])
		data = data[n:]
	}
	return types, nil
}

// recordingConn keeps a copy of every byte crypto/tls reads and writes, the way tlskit's
// handshake command records the wire.
type recordingConn struct {
	net.Conn
	mu            sync.Mutex
	read, written bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) streams() (read, written []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.read.Bytes()), bytes.Clone(c.written.Bytes())
}

// lockedBuffer is a KeyLogWriter target; crypto/tls may write key log lines from whichever
// goroutine drives the connection.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}
