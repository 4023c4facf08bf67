package wire

import (
	"fmt"
)

// HandshakeHeaderLength is the size of a handshake message header: type and 24-bit length.
const HandshakeHeaderLength = 4

// DefaultMaxMessageSize is the Assembler's default limit on one handshake message body.
// Certificate chains are the largest legitimate messages and real ones stay well under
// 100 KiB, so 256 KiB leaves room for long chains with OCSP staples and SCTs while still
// refusing the 16 MiB a 24-bit length could claim.
const DefaultMaxMessageSize = 256 << 10

// Message is one handshake message. Body and Raw are owned by the Message (not aliased to any
// record), so they stay valid however the caller reuses its read buffers.
type Message struct {
	Type uint8 `json:"type"`
	// Body is the message without its 4-byte header.
	Body []byte `json:"-"`
	// Raw is header plus body, exactly as hashed into the transcript.
	Raw []byte `json:"-"`
}

// Name is the timeline name of the message: the HandshakeTypeName, except that a ServerHello
// carrying HRRRandom is a "HelloRetryRequest".
// HandshakeMessage frames a handshake message body with its 4-byte header (type, uint24 length).
func HandshakeMessage(typ uint8, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func (m Message) Name() string {
	if m.Type == TypeServerHello && IsHelloRetryRequestBody(m.Body) {
		return NameHelloRetryRequest
	}
	return HandshakeTypeName(m.Type)
}

// IsHelloRetryRequestBody reports whether a ServerHello body carries the HelloRetryRequest
// random (bytes 2..34, after legacy_version).
func IsHelloRetryRequestBody(body []byte) bool {
	return len(body) >= 34 && string(body[2:34]) == HRRRandom
}

// TooLargeError says a handshake header claimed a body longer than the Assembler's limit.
// It is returned as soon as the header is complete, before any of the body is buffered.
type TooLargeError struct {
	Type   uint8
	Length int
	Limit  int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s message claims %d bytes, over the %d-byte limit",
		HandshakeTypeName(e.Type), e.Length, e.Limit)
}

// Assembler turns a sequence of handshake record payloads into handshake messages. Messages
// may span records and one record may hold several messages, so the Assembler keeps the
// unfinished tail between calls. The zero value is ready to use with DefaultMaxMessageSize.
//
// After an error the Assembler stays failed and returns the same error, because framing is
// lost and every later byte would be misread.
type Assembler struct {
	// MaxMessageSize limits one message body; 0 means DefaultMaxMessageSize.
	MaxMessageSize int

	hdr  [HandshakeHeaderLength]byte
	nhdr int    // bytes of hdr filled
	body []byte // body bytes of the current message so far
	need int    // body length announced by hdr, valid when nhdr == 4
	err  error
}

// NewAssembler returns an Assembler with the given body limit (0 for the default).
func NewAssembler(maxMessageSize int) *Assembler {
	return &Assembler{MaxMessageSize: maxMessageSize}
}

func (a *Assembler) limit() int {
	if a.MaxMessageSize > 0 {
		return a.MaxMessageSize
	}
	return DefaultMaxMessageSize
}

// Add feeds the payload of one handshake record, in order, and returns the messages it
// completed. payload is not retained.
func (a *Assembler) Add(payload []byte) ([]Message, error) {
	if a.err != nil {
		return nil, a.err
	}
	var out []Message
	for len(payload) > 0 {
		if a.nhdr < HandshakeHeaderLength {
			n := copy(a.hdr[a.nhdr:], payload)
			a.nhdr += n
			payload = payload[n:]
			if a.nhdr < HandshakeHeaderLength {
				break
			}
			a.need = int(a.hdr[1])<<16 | int(a.hdr[2])<<8 | int(a.hdr[3])
			if a.need > a.limit() {
				a.err = &TooLargeError{Type: a.hdr[0], Length: a.need, Limit: a.limit()}
				return out, a.err
			}
			// Grow with the data actually received rather than trusting the header, so a
			// peer that announces a large message and stalls costs little memory.
			a.body = make([]byte, 0, min(a.need, 4096))
			if a.need == 0 {
				// Empty bodies (ServerHelloDone, EndOfEarlyData) complete with the
				// header, even when it is the last thing in the payload.
				out = append(out, a.finish())
				continue
			}
		}
		take := min(a.need-len(a.body), len(payload))
		a.body = append(a.body, payload[:take]...)
		payload = payload[take:]
		if len(a.body) == a.need {
			out = append(out, a.finish())
		}
	}
	return out, nil
}

// finish packages the current message and resets for the next header.
func (a *Assembler) finish() Message {
	raw := make([]byte, HandshakeHeaderLength+len(a.body))
	copy(raw, a.hdr[:])
	copy(raw[HandshakeHeaderLength:], a.body)
	m := Message{Type: a.hdr[0], Raw: raw, Body: raw[HandshakeHeaderLength:]}
	a.nhdr, a.need, a.body = 0, 0, nil
	return m
}

// Pending is the number of bytes buffered towards an unfinished message (header included).
// A non-zero value when the handshake ends means the peer sent a truncated message.
func (a *Assembler) Pending() int {
	return a.nhdr + len(a.body)
}

// PendingType returns the type of the unfinished message, if its header has begun.
func (a *Assembler) PendingType() (uint8, bool) {
	if a.nhdr == 0 {
		return 0, false
	}
	return a.hdr[0], true
}

// Err returns the error that stopped the Assembler, if any.
func (a *Assembler) Err() error { return a.err }

// SplitMessages parses a buffer that must hold only whole handshake messages (a decrypted
// TLS 1.3 flight, a test vector). It applies the same size limit as an Assembler with
// maxMessageSize and fails if the buffer ends mid-message.
func SplitMessages(b []byte, maxMessageSize int) ([]Message, error) {
	a := NewAssembler(maxMessageSize)
	msgs, err := a.Add(b)
	if err != nil {
		return msgs, err
	}
	if p := a.Pending(); p > 0 {
		return msgs, fmt.Errorf("handshake data ends inside a message: %d bytes of an unfinished message", p)
	}
	return msgs, nil
}
