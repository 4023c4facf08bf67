package handshake

import (
	"net"
	"slices"
	"sync"
	"time"
)

// Direction says which way bytes went on a connection, from tlskit's side.
type Direction string

const (
	Sent     Direction = "sent"
	Received Direction = "received"
)

// Chunk is what one Read or Write moved, with when it happened.
type Chunk struct {
	Dir  Direction
	At   time.Duration // since the recorder started, on the monotonic clock
	Data []byte
}

// DefaultRecordLimit caps how many bytes a recorder keeps: a handshake is a few KiB to a few
// hundred; a peer that sends more must not make tlskit grow without bound.
const DefaultRecordLimit = 1 << 20

// bytesPerChunk is what the chunk cap allows each chunk on average: a recorder keeps at most
// limit/bytesPerChunk chunks (65 536 under the default limit; a handshake has a few dozen).
// Each chunk costs some 60 bytes kept beyond its data, and more in allocations, so a peer that
// sent its bytes one per read made 300 000 bytes cost 99 MiB of allocations (20 MiB capped).
const bytesPerChunk = 16

// RecordingConn wraps a connection and keeps a timestamped copy of every byte read and written,
// up to a limit (of bytes, and of chunks). crypto/tls drives it; the transcript is decoded afterwards, so recording never
// changes what goes on the wire.
type RecordingConn struct {
	net.Conn
	start time.Time
	limit int

	mu        sync.Mutex
	chunks    []Chunk
	kept      int
	truncated bool
	onRead    func()
}

// setReadHook installs a function called after every read that returned bytes (nil removes it).
func (c *RecordingConn) setReadHook(f func()) {
	c.mu.Lock()
	c.onRead = f
	c.mu.Unlock()
}

// NewRecordingConn starts recording c. start is the zero point of the timestamps, so DNS and
// TCP connect time can be counted from the same moment.
func NewRecordingConn(c net.Conn, start time.Time, limit int) *RecordingConn {
	if limit <= 0 {
		limit = DefaultRecordLimit
	}
	return &RecordingConn{Conn: c, start: start, limit: limit}
}

func (c *RecordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.record(Received, p[:n])
		c.mu.Lock()
		hook := c.onRead
		c.mu.Unlock()
		if hook != nil {
			hook()
		}
	}
	return n, err
}

func (c *RecordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.record(Sent, p[:n])
	}
	return n, err
}

func (c *RecordingConn) record(dir Direction, p []byte) {
	at := time.Since(c.start)
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.limit - c.kept
	if room <= 0 || len(c.chunks) >= max(c.limit/bytesPerChunk, 1) {
		c.truncated = true
		return
	}
	if len(p) > room {
		p = p[:room]
		c.truncated = true
	}
	c.chunks = append(c.chunks, Chunk{Dir: dir, At: at, Data: append([]byte(nil), p...)})
	c.kept += len(p)
}

// Chunks returns what was recorded so far, in order.
func (c *RecordingConn) Chunks() []Chunk {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Chunk(nil), c.chunks...)
}

// Truncated reports whether the limit cut the recording short.
func (c *RecordingConn) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}

// Stream is one direction of a recording as a byte stream, with the time each byte arrived.
type Stream struct {
	Data []byte
	// ends[i] is the offset just past chunk i, at[i] its time.
	ends []int
	at   []time.Duration
}

// add appends one chunk of this direction.
func (s *Stream) add(ch Chunk) {
	s.Data = append(s.Data, ch.Data...)
	s.ends = append(s.ends, len(s.Data))
	s.at = append(s.at, ch.At)
}

// TimeAt is when the byte at offset off was sent or received: the time of the first chunk
// that ends past it (the last chunk's for an offset beyond the stream, 0 for an empty one).
// It is a binary search over the chunk ends, which only grow: the decoder asks once or twice
// per record, and a peer that sends one-byte records in as many reads made a scan of the
// chunks quadratic (minutes of CPU for a 1 MiB recording).
func (s Stream) TimeAt(off int) time.Duration {
	if len(s.at) == 0 {
		return 0
	}
	i, _ := slices.BinarySearch(s.ends, off+1) // the first end >= off+1, i.e. > off
	return s.at[min(i, len(s.at)-1)]
}
