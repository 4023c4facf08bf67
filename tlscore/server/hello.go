package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// maxHelloBytes bounds what is buffered while waiting for a complete ClientHello: real ones are
// a few KiB (post-quantum key shares included); a client that sends more is not a TLS client
// worth waiting for.
const maxHelloBytes = 64 << 10

// helloConn reads a connection's ClientHello in full before anyone else reads, keeps its raw
// bytes and decoded form, then replays the bytes to crypto/tls as if untouched.
type helloConn struct {
	net.Conn

	once   sync.Once
	replay []byte

	// Set once the ClientHello has been read (or reading it failed).
	Raw   []byte // the handshake message, header included
	Hello *wire.ClientHello
	Err   error
}

// NotTLSError says a client sent something other than a ClientHello.
type NotTLSError struct{ Guess string }

func (e *NotTLSError) Error() string {
	if e.Guess == "unknown" || e.Guess == "" {
		return "client did not speak TLS"
	}
	return fmt.Sprintf("client sent %s, not TLS", e.Guess)
}

// readHello reads records until the first handshake message is complete. Errors are kept in
// Err; the bytes read so far are still replayed, so crypto/tls reports its own view too.
func (c *helloConn) readHello() {
	buf := make([]byte, 0, 2048)
	tmp := make([]byte, 4096)
	asm := wire.NewAssembler(maxHelloBytes)
	parsed := 0
	for {
		n, err := c.Conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if n > 0 {
			recs, _, perr := wire.ParseRecords(buf[parsed:])
			var nt *wire.NotTLSError
			if errors.As(perr, &nt) {
				c.Err = &NotTLSError{Guess: nt.Guess}
				c.replay = buf
				return
			}
			if perr != nil {
				c.Err = fmt.Errorf("malformed record: %w", perr)
				c.replay = buf
				return
			}
			for _, r := range recs {
				parsed += 5 + len(r.Payload)
				if r.Type != wire.ContentHandshake {
					c.Err = fmt.Errorf("client sent a %s record before its ClientHello", wire.ContentTypeName(r.Type))
					c.replay = buf
					return
				}
				msgs, aerr := asm.Add(r.Payload)
				if aerr != nil {
					c.Err = aerr
					c.replay = buf
					return
				}
				if len(msgs) > 0 {
					m := msgs[0]
					c.Raw = m.Raw
					if m.Type != wire.TypeClientHello {
						c.Err = fmt.Errorf("client sent %s instead of a ClientHello", m.Name())
					} else if ch, err := wire.ParseClientHello(m.Body); err != nil {
						c.Err = err
					} else {
						c.Hello = ch
					}
					c.replay = buf
					return
				}
			}
		}
		if len(buf) > maxHelloBytes {
			c.Err = errors.New("ClientHello larger than 64 KiB")
			c.replay = buf
			return
		}
		if err != nil {
			c.Err = err
			c.replay = buf
			return
		}
	}
}

func (c *helloConn) Read(p []byte) (int, error) {
	c.once.Do(c.readHello)
	if len(c.replay) > 0 {
		n := copy(p, c.replay)
		c.replay = c.replay[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// HelloOf returns the ClientHello a server connection received, if it came through this
// package's listener.
func HelloOf(c *tls.Conn) (raw []byte, hello *wire.ClientHello) {
	hc, ok := c.NetConn().(*helloConn)
	if !ok {
		return nil, nil
	}
	return hc.Raw, hc.Hello
}
