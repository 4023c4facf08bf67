package scan

import (
	"errors"
	"fmt"
	"net"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Bounds on what one probe reads from a server before the answer it waits for (a ServerHello,
// an alert, an SSL 2.0 SERVER-HELLO). A first flight with a long certificate chain is tens of
// KiB; the handshake message assembler refuses messages over 256 KiB anyway. TLS 1.2 forbids
// empty handshake, alert and ChangeCipherSpec records (RFC 5246 section 6.2.1) and crypto/tls
// gives up after 16 records that carry nothing, as this does.
const (
	probeMaxBytes        = 256 << 10
	probeMaxEmptyRecords = 16
)

// FloodError says a server sent more than a probe reads before the answer it waits for: more
// bytes than any first flight needs, or records that carry nothing, without end. The server
// is misbehaving, and the probe proves nothing about what it accepts.
type FloodError struct {
	// What is "bytes" or "empty records"; Limit is the bound that was passed.
	What  string
	Limit int
}

func (e *FloodError) Error() string {
	return fmt.Sprintf("the server misbehaved: it sent more than %d %s without an answer", e.Limit, e.What)
}

// flightReader reads a server's answer to a probe within those bounds. It keeps only the bytes
// not yet framed into records (at most one record's worth), so a long answer costs neither
// memory nor a second parse of what was already framed.
type flightReader struct {
	conn     net.Conn
	maxBytes int
	buf      []byte        // one read's worth
	tail     []byte        // read and not yet framed (from framed on): the start of the next record
	framed   int           // bytes of tail handed out as records by the last call of records
	recs     []wire.Record // the records handed out last, whose slice is reused
	total    int           // bytes read
	empty    int           // empty records framed
	err      error         // the bound that was passed, returned from then on
}

func newFlightReader(conn net.Conn, maxBytes int) *flightReader {
	return &flightReader{conn: conn, maxBytes: maxBytes, buf: make([]byte, 8192)}
}

// fill reads once more onto the unframed tail, and returns the read's error (after any bytes
// it brought). It returns a *FloodError instead of reading past maxBytes.
func (r *flightReader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.total >= r.maxBytes {
		r.err = &FloodError{What: "bytes", Limit: r.maxBytes}
		return r.err
	}
	// The records handed out last are done with: drop their bytes, in place.
	r.tail = append(r.tail[:0], r.tail[r.framed:]...)
	r.framed = 0
	n, err := r.conn.Read(r.buf[:min(len(r.buf), r.maxBytes-r.total)])
	r.total += n
	r.tail = append(r.tail, r.buf[:n]...)
	return err
}

// records frames the whole records of the unframed tail. They alias the reader's buffers and
// are valid until the next fill or records. Past probeMaxEmptyRecords empty records it stops before the
// one over the bound, and the next fill returns a *FloodError.
func (r *flightReader) records() ([]wire.Record, error) {
	unframed := r.tail[r.framed:]
	recs, rest, err := wire.AppendRecords(r.recs[:0], unframed)
	r.recs = recs
	for i, rec := range recs {
		if len(rec.Payload) > 0 {
			continue
		}
		if r.empty++; r.empty > probeMaxEmptyRecords {
			r.err = &FloodError{What: "empty records", Limit: probeMaxEmptyRecords}
			return recs[:i], nil
		}
	}
	var nt *wire.NotTLSError
	if errors.As(err, &nt) && r.total-len(unframed) > 0 {
		// ParseRecords takes its input for the start of a stream, and this is not one: a
		// bad header after a record is lost framing, not another protocol answering.
		err = fmt.Errorf("the server's records lost framing (then %q)", nt.Prefix)
	}
	r.framed += len(unframed) - len(rest)
	return recs, err
}

// pending is how many bytes were read and not framed.
func (r *flightReader) pending() int { return len(r.tail) - r.framed }
