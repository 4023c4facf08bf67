package wire

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// HexBytes is raw bytes that render as a lower-case hex string in JSON and text, for values a
// reader compares by eye (randoms, session IDs, contexts) rather than base64.
type HexBytes []byte

// MarshalText implements encoding.TextMarshaler.
func (h HexBytes) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(out, h)
	return out, nil
}

// UnmarshalText implements encoding.TextUnmarshaler, so documented JSON round-trips.
func (h *HexBytes) UnmarshalText(b []byte) error {
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		return fmt.Errorf("decoding hex: %w", err)
	}
	*h = out
	return nil
}

func (h HexBytes) String() string { return hex.EncodeToString(h) }

// Uint8List is a list of 8-bit code points. It exists because encoding/json renders []uint8
// as base64, which would hide values like compression methods and point formats.
type Uint8List []uint8

// MarshalJSON renders the list as a JSON array of numbers.
func (l Uint8List) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("null"), nil
	}
	out := make([]byte, 0, 2+4*len(l))
	out = append(out, '[')
	for i, v := range l {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(v), 10)
	}
	return append(out, ']'), nil
}

// Extension is one extension as it appeared in a message, kept in wire order so output can
// show exactly what the peer sent (order is itself a fingerprint).
type Extension struct {
	Type   uint16 `json:"type"`
	Name   string `json:"name"`
	Length int    `json:"length"`
	Data   []byte `json:"-"`
}

// DecodeError says a handshake message or alert is malformed. Message is the message name
// ("ClientHello"); Reason says what is wrong with which field.
type DecodeError struct {
	Message string
	Reason  string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("malformed %s: %s", e.Message, e.Reason)
}

func malformed(msg, format string, args ...any) error {
	return &DecodeError{Message: msg, Reason: fmt.Sprintf(format, args...)}
}
