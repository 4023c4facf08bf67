package server

import (
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ReadProgressBytes is how much a client must send for its reads to count as progress: a
// connection on which nothing was written must receive at least this much in every idle
// window. A slowloris that trickles a request body a byte every few seconds moves bytes, but
// not this many (each byte is a 23-byte TLS record; 4 KiB per 2-minute window is 34 bytes a
// second); a real upload, however slow its link, moves far more.
const ReadProgressBytes = 4 << 10

// writeChunk bounds a single write to the socket, so a large write shows its progress piece by
// piece. tls.Conn writes one record (at most 16 KiB and its overhead) at a time anyway.
const writeChunk = 16 << 10

// progressConn is the TCP connection under tls.Server. Once the handshake is over, every read
// and write gets a deadline of --idle-timeout after the connection last made progress, so a
// connection that stops moving bytes is closed whatever state it is in: a request body that
// does not arrive, a response the client does not read, an HTTP/2 connection, an upgraded
// tunnel after its hijack, an echo session. Progress is:
//
//   - a write of up to writeChunk bytes that the kernel accepted (the client is reading); a
//     blocked write has --idle-timeout to get through, counted from when it began;
//   - ReadProgressBytes read since the last progress (a trickle does not count);
//   - a read deadline set from above (net/http does so as each request begins and once its
//     headers are in: each request starts with a full window).
//
// Deadlines set from above (net/http's header and keep-alive timeouts, tls.Conn's close) still
// apply: the earlier of the two wins. Because these deadlines live on the raw connection, the
// *tls.Conn above stays a *tls.Conn, so net/http still sees TLS (r.TLS, HTTP/2 by ALPN).
//
// It also holds the connection's --max-conns slot, given back once, when the connection is
// closed: a hijacked (upgraded) connection keeps its slot for as long as it is open.
type progressConn struct {
	net.Conn
	idle    time.Duration
	release func()
	once    sync.Once
	born    time.Time
	evicted atomic.Bool

	mu       sync.Mutex
	tracking bool      // after the handshake, with a non-zero idle
	userRead time.Time // deadlines set from above; zero means none
	userWrt  time.Time
	last     time.Time // the last progress
	unread   int       // bytes read since last, not yet counted as progress
	writing  time.Time // start of the write in progress, or of its last chunk
	waiting  int       // reads and writes in progress: the server waits on the client
	moved    time.Time // during the handshake, when a byte last moved either way
}

func newProgressConn(c net.Conn, idle time.Duration, release func()) *progressConn {
	return &progressConn{Conn: c, idle: idle, release: release, born: time.Now()}
}

// NetConn is the TCP connection underneath.
func (c *progressConn) NetConn() net.Conn { return c.Conn }

// track starts the progress deadlines (when idle is non-zero) and forgets the handshake's.
func (c *progressConn) track() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.userRead, c.userWrt = time.Time{}, time.Time{}
	if c.idle <= 0 {
		c.Conn.SetDeadline(time.Time{})
		return
	}
	c.tracking = true
	c.last = time.Now()
	c.applyReadLocked()
	c.Conn.SetWriteDeadline(time.Time{})
}

// earliest is the earlier of two deadlines, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func (c *progressConn) applyReadLocked() {
	c.Conn.SetReadDeadline(earliest(c.userRead, c.last.Add(c.idle)))
}

func (c *progressConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.waiting++
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.waiting--
	if n > 0 && !c.tracking {
		c.moved = time.Now()
	}
	if n > 0 && c.tracking {
		c.unread += n
		if c.unread >= ReadProgressBytes {
			c.unread = 0
			c.last = time.Now()
			c.applyReadLocked()
		}
	}
	expired := err != nil && isTimeout(err) && c.expiredLocked(c.userRead, c.last)
	c.mu.Unlock()
	if expired {
		return n, c.stalled()
	}
	return n, err
}

func (c *progressConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), writeChunk)]
		c.mu.Lock()
		began := time.Now()
		if c.tracking {
			c.writing = began
			c.Conn.SetWriteDeadline(earliest(c.userWrt, began.Add(c.idle)))
		}
		c.waiting++
		c.mu.Unlock()
		n, err := c.Conn.Write(chunk)
		written += n
		c.mu.Lock()
		c.waiting--
		c.writing = time.Time{}
		if n > 0 && !c.tracking {
			c.moved = time.Now()
		}
		if err != nil && isTimeout(err) && c.expiredLocked(c.userWrt, began) {
			c.mu.Unlock()
			return written, c.stalled()
		}
		if n > 0 && c.tracking {
			// The client took our bytes: it is alive, so a read waiting meanwhile (net/http's
			// background read during a download, the far side of a tunnel) waits on.
			c.last = time.Now()
			c.applyReadLocked()
		}
		c.mu.Unlock()
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (c *progressConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tracking {
		return c.Conn.SetDeadline(t)
	}
	c.setReadLocked(t)
	return c.setWriteLocked(t)
}

func (c *progressConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tracking {
		return c.Conn.SetReadDeadline(t)
	}
	c.setReadLocked(t)
	return nil
}

func (c *progressConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.tracking {
		return c.Conn.SetWriteDeadline(t)
	}
	return c.setWriteLocked(t)
}

// setReadLocked records a read deadline from above; it marks a new phase (a request begins,
// its headers are in), so the window starts afresh.
func (c *progressConn) setReadLocked(t time.Time) {
	c.userRead = t
	c.last = time.Now()
	c.unread = 0
	c.applyReadLocked()
}

// setWriteLocked records a write deadline from above; a write in progress keeps the rest of
// its own window (every write sets its own deadline as it begins).
func (c *progressConn) setWriteLocked(t time.Time) error {
	c.userWrt = t
	d := t
	if !c.writing.IsZero() {
		d = earliest(t, c.writing.Add(c.idle))
	}
	return c.Conn.SetWriteDeadline(d)
}

// expiredLocked reports whether an operation that timed out was ended by the progress
// deadline (since+idle) rather than by one set from above, which net/http handles itself.
func (c *progressConn) expiredLocked(user, since time.Time) bool {
	if !c.tracking {
		return false
	}
	dl := since.Add(c.idle)
	if !user.IsZero() && !user.After(dl) {
		return false
	}
	return !time.Now().Before(dl)
}

// ErrNoProgress ends every operation on a connection closed for making no progress. It is a
// timeout (os.ErrDeadlineExceeded).
var ErrNoProgress = fmt.Errorf("connection made no progress for the idle timeout: %w", os.ErrDeadlineExceeded)

// stalled closes a connection that made no progress in time and frees its slot now: a timed
// out read or write is not the end of a connection to net/http (it may write an error
// response, which extends the deadline, and read on), nor to a tunnel's other direction.
func (c *progressConn) stalled() error {
	c.Conn.Close()
	c.releaseSlot()
	return ErrNoProgress
}

// quietSince is when the connection last made progress, and whether it is waiting on its
// client at all. Only a connection with a read or write in progress is: one whose server side
// is busy (a handshake computing its signature, a handler at work) has the next move itself,
// and on a loaded machine that can take seconds. During the handshake any byte is progress
// (it is bounded by --handshake-timeout as a whole); before, it was quiet since its accept,
// so a client whose handshake took over a second on a busy server was closed for another the
// moment it finished (issue 12's combined attack: 4 of 14 real requests, EOF).
func (c *progressConn) quietSince() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == 0 {
		return time.Time{}, false
	}
	if c.tracking {
		return c.last, true
	}
	if c.moved.After(c.born) {
		return c.moved, true
	}
	return c.born, true
}

// evict closes the connection to give its slot to a client waiting for one.
func (c *progressConn) evict() {
	c.evicted.Store(true)
	c.Conn.Close()
	c.releaseSlot()
}

func isEvicted(c net.Conn) bool {
	pc, ok := c.(*progressConn)
	return ok && pc.evicted.Load()
}

// Close closes the connection and gives its slot back.
func (c *progressConn) Close() error {
	err := c.Conn.Close()
	c.releaseSlot()
	return err
}

func (c *progressConn) releaseSlot() {
	c.once.Do(func() {
		if c.release != nil {
			c.release()
		}
	})
}
