package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// RecordHeaderLength is the size of a TLS record header: type, version, length.
const RecordHeaderLength = 5

// MaxPlaintextLength is the largest record fragment a sender may produce (2^14).
const MaxPlaintextLength = 1 << 14

// MaxRecordLength is the largest record length ParseRecords accepts: 2^14 + 2048, the TLS 1.2
// TLSCiphertext limit (RFC 5246 section 6.2.3). TLS 1.3 lowers the limit to 2^14 + 256, but
// the record header cannot tell the two apart (TLS 1.3 records say 0x0303) and a TLS 1.2 peer
// using CBC padding or compression may legally exceed 2^14 + 256, so the looser bound is the
// one that never rejects a conforming peer while still capping memory per record.
const MaxRecordLength = MaxPlaintextLength + 2048

// Record is one TLS record as read from the wire.
type Record struct {
	Type    uint8  `json:"type"`
	Version uint16 `json:"version"`
	// Payload is the record body; it aliases the stream passed to ParseRecords.
	Payload []byte `json:"-"`
	// Offset is where the record header starts in that stream, so a caller can point at
	// the exact bytes when reporting.
	Offset int `json:"offset"`
}

// Length is the payload length.
func (r Record) Length() int { return len(r.Payload) }

// NotTLSError says the peer's first bytes are not a TLS record. Guess names the protocol the
// bytes look like: "HTTP", "SMTP", "FTP", "POP3", "IMAP", "SSH", "SSLv2", or "unknown", which
// usually means the wrong port or a plaintext service.
type NotTLSError struct {
	Guess string
	// Prefix holds up to the first 16 bytes seen, for the caller to show.
	Prefix []byte
}

func (e *NotTLSError) Error() string {
	if e.Guess == "unknown" {
		return fmt.Sprintf("peer did not speak TLS (first bytes %q)", e.Prefix)
	}
	return fmt.Sprintf("peer did not speak TLS: the response looks like %s (first bytes %q)", e.Guess, e.Prefix)
}

// RecordTooLargeError says a record header claimed a length above MaxRecordLength.
type RecordTooLargeError struct {
	Offset int
	Type   uint8
	Length int
	Limit  int
}

func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("record at offset %d (%s) claims %d bytes, over the %d-byte limit",
		e.Offset, ContentTypeName(e.Type), e.Length, e.Limit)
}

// UnknownContentTypeError says a record after the first had a content type TLS does not
// define, which means the stream lost framing or the peer is broken.
type UnknownContentTypeError struct {
	Offset int
	Type   uint8
}

func (e *UnknownContentTypeError) Error() string {
	return fmt.Sprintf("record at offset %d has unknown content type %d", e.Offset, e.Type)
}

// BadRecordVersionError says a record's version field does not start with major version 3,
// so the bytes are not a TLS record even though the content type was plausible.
type BadRecordVersionError struct {
	Offset  int
	Version uint16
}

func (e *BadRecordVersionError) Error() string {
	return fmt.Sprintf("record at offset %d has version 0x%04x, not a TLS version", e.Offset, e.Version)
}

// knownContentType reports the record types TLS 1.0-1.3 define.
func knownContentType(t uint8) bool {
	return t >= ContentChangeCipherSpec && t <= ContentHeartbeat
}

// ParseRecords splits stream into complete records. rest holds trailing bytes that do not
// yet form a whole record (a header or payload still to arrive); the caller prepends them to
// the next read. Records' payloads alias stream.
//
// The first record is checked more suspiciously than later ones: if its type or version is
// not TLS, the error is a *NotTLSError naming the protocol the bytes resemble, because that
// is almost always a plaintext service or the wrong port. Later bad headers give
// *UnknownContentTypeError or *BadRecordVersionError; an oversized length gives
// *RecordTooLargeError. On error, records holds what was parsed before the bad header and
// rest starts at it.
func ParseRecords(stream []byte) (records []Record, rest []byte, err error) {
	return AppendRecords(nil, stream)
}

// AppendRecords is ParseRecords appending to records, so a reader that frames a stream read
// by read can reuse one slice (a peer sending one-byte records makes thousands per read).
func AppendRecords(records []Record, stream []byte) ([]Record, []byte, error) {
	off := 0
	for {
		if len(stream)-off == 0 {
			return records, stream[off:], nil
		}
		hdr := stream[off:]
		if off == 0 {
			if nt := sniffNotTLS(hdr); nt != nil {
				return records, stream, nt
			}
		} else if !knownContentType(hdr[0]) {
			return records, hdr, &UnknownContentTypeError{Offset: off, Type: hdr[0]}
		}
		if len(hdr) < RecordHeaderLength {
			return records, hdr, nil
		}
		typ := hdr[0]
		vers := binary.BigEndian.Uint16(hdr[1:3])
		n := int(binary.BigEndian.Uint16(hdr[3:5]))
		if vers>>8 != 3 {
			return records, hdr, &BadRecordVersionError{Offset: off, Version: vers}
		}
		if n > MaxRecordLength {
			return records, hdr, &RecordTooLargeError{Offset: off, Type: typ, Length: n, Limit: MaxRecordLength}
		}
		if len(hdr) < RecordHeaderLength+n {
			return records, hdr, nil
		}
		end := RecordHeaderLength + n
		records = append(records, Record{
			Type:    typ,
			Version: vers,
			Payload: hdr[RecordHeaderLength:end:end],
			Offset:  off,
		})
		off += end
	}
}

// plaintextBanners maps greeting prefixes to the protocol that sends them. Servers that speak
// first (SMTP, FTP, POP3, IMAP, SSH) answer a ClientHello with their banner; HTTP servers
// answer it with a 400 response.
var plaintextBanners = []struct {
	prefix string
	guess  string
}{
	{"HTTP/", "HTTP"},
	{"220 ", "SMTP"},
	{"220-", "SMTP"},
	{"+OK", "POP3"},
	{"* OK", "IMAP"},
	{"* PREAUTH", "IMAP"},
	{"SSH-", "SSH"},
	{"<html", "HTTP"},
	{"<!DOCTYPE", "HTTP"},
	// Requests, for a server reading what a plain-HTTP client sent to its TLS port.
	{"GET ", "HTTP"},
	{"POST ", "HTTP"},
	{"HEAD ", "HTTP"},
	{"PUT ", "HTTP"},
	{"DELETE ", "HTTP"},
	{"OPTIONS ", "HTTP"},
	{"PATCH ", "HTTP"},
	{"CONNECT ", "HTTP"},
	{"PRI * HTTP/2", "HTTP"},
}

// sniffNotTLS returns a *NotTLSError when the first bytes of a stream cannot start a TLS
// record, judging from as many header bytes as are present so a short read is not condemned
// for bytes it does not have yet.
func sniffNotTLS(b []byte) *NotTLSError {
	bad := !knownContentType(b[0])
	if !bad && len(b) >= 2 && b[1] != 3 {
		bad = true
	}
	if !bad {
		return nil
	}
	prefix := bytes.Clone(b[:min(len(b), 16)])
	for _, p := range plaintextBanners {
		if len(b) >= len(p.prefix) && bytes.EqualFold(b[:len(p.prefix)], []byte(p.prefix)) {
			guess := p.guess
			// SMTP and FTP share the 220 greeting; FTP daemons almost always name
			// themselves in it ("220 ProFTPD", "220 (vsFTPd 3.0.5)").
			if guess == "SMTP" && bytes.Contains(bytes.ToUpper(b[:min(len(b), 512)]), []byte("FTP")) {
				guess = "FTP"
			}
			return &NotTLSError{Guess: guess, Prefix: prefix}
		}
	}
	// An SSLv2 record has a two-byte header with the top bit set, and a handshake message
	// type of 1 (CLIENT-HELLO), 4 (SERVER-HELLO) or 0 (ERROR with the 3-byte header) next.
	if b[0]&0x80 != 0 && len(b) >= 3 && (b[2] == 1 || b[2] == 4) {
		return &NotTLSError{Guess: "SSLv2", Prefix: prefix}
	}
	// A TLS alert or handshake type with a non-3 major version often is an SSLv2 response
	// too, but without that shape there is nothing better than unknown to say.
	return &NotTLSError{Guess: "unknown", Prefix: prefix}
}
