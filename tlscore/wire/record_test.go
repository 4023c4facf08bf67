package wire

import (
	"bytes"
	"errors"
	"testing"
)

func rec(typ uint8, vers uint16, payload []byte) []byte {
	return append([]byte{typ, byte(vers >> 8), byte(vers), byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestParseRecords(t *testing.T) {
	hs := rec(22, 0x0301, []byte{1, 0, 0, 0})
	ccs := rec(20, 0x0303, []byte{1})
	app := rec(23, 0x0303, bytes.Repeat([]byte{0xaa}, 100))
	empty := rec(23, 0x0303, nil)
	big := rec(23, 0x0303, make([]byte, MaxRecordLength))

	tests := []struct {
		name     string
		in       []byte
		types    []uint8
		offsets  []int
		restLen  int
		wantErr  any
		errGuess string
	}{
		{name: "empty", in: nil},
		{name: "one", in: hs, types: []uint8{22}, offsets: []int{0}},
		{name: "three", in: cat(hs, ccs, app), types: []uint8{22, 20, 23}, offsets: []int{0, 9, 15}},
		{name: "zero-length record", in: cat(ccs, empty), types: []uint8{20, 23}, offsets: []int{0, 6}},
		{name: "max length", in: big, types: []uint8{23}, offsets: []int{0}},
		{name: "partial header", in: cat(hs, ccs[:3]), types: []uint8{22}, offsets: []int{0}, restLen: 3},
		{name: "partial payload", in: cat(hs, app[:50]), types: []uint8{22}, offsets: []int{0}, restLen: 50},
		{name: "one byte", in: []byte{22}, restLen: 1},
		{name: "too large", in: cat(hs, []byte{23, 3, 3, 0x48, 0x01}), types: []uint8{22}, offsets: []int{0},
			restLen: 5, wantErr: new(*RecordTooLargeError)},
		{name: "too large first", in: []byte{22, 3, 1, 0xff, 0xff}, restLen: 5, wantErr: new(*RecordTooLargeError)},
		{name: "unknown type later", in: cat(hs, rec(99, 0x0303, []byte{1})), types: []uint8{22}, offsets: []int{0},
			restLen: 6, wantErr: new(*UnknownContentTypeError)},
		{name: "bad version later", in: cat(hs, rec(22, 0x0403, []byte{1})), types: []uint8{22}, offsets: []int{0},
			restLen: 6, wantErr: new(*BadRecordVersionError)},
		{name: "HTTP", in: []byte("HTTP/1.1 400 Bad Request\r\n"), restLen: 26, wantErr: new(*NotTLSError), errGuess: "HTTP"},
		{name: "html", in: []byte("<html><body>"), restLen: 12, wantErr: new(*NotTLSError), errGuess: "HTTP"},
		{name: "SMTP", in: []byte("220 mail.example.com ESMTP Postfix\r\n"), restLen: 36, wantErr: new(*NotTLSError), errGuess: "SMTP"},
		{name: "FTP", in: []byte("220 ProFTPD Server ready.\r\n"), restLen: 27, wantErr: new(*NotTLSError), errGuess: "FTP"},
		{name: "POP3", in: []byte("+OK Dovecot ready.\r\n"), restLen: 20, wantErr: new(*NotTLSError), errGuess: "POP3"},
		{name: "IMAP", in: []byte("* OK [CAPABILITY IMAP4rev1] ready\r\n"), restLen: 35, wantErr: new(*NotTLSError), errGuess: "IMAP"},
		{name: "SSH", in: []byte("SSH-2.0-OpenSSH_9.6\r\n"), restLen: 21, wantErr: new(*NotTLSError), errGuess: "SSH"},
		{name: "SSLv2 server hello", in: []byte{0x80, 0x2e, 0x04, 0x00, 0x01}, restLen: 5, wantErr: new(*NotTLSError), errGuess: "SSLv2"},
		{name: "garbage", in: []byte{0x00, 0x01, 0x02, 0x03, 0x04, 0x05}, restLen: 6, wantErr: new(*NotTLSError), errGuess: "unknown"},
		{name: "handshake type with bad major", in: []byte{22, 0x48, 0x54}, restLen: 3, wantErr: new(*NotTLSError), errGuess: "unknown"},
		{name: "short HTTP still not TLS", in: []byte("HT"), restLen: 2, wantErr: new(*NotTLSError), errGuess: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, rest, err := ParseRecords(tt.in)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want %T", tt.wantErr)
				}
				switch target := tt.wantErr.(type) {
				case **RecordTooLargeError:
					if !errors.As(err, target) {
						t.Fatalf("error %T %v", err, err)
					}
				case **UnknownContentTypeError:
					if !errors.As(err, target) {
						t.Fatalf("error %T %v", err, err)
					}
				case **BadRecordVersionError:
					if !errors.As(err, target) {
						t.Fatalf("error %T %v", err, err)
					}
				case **NotTLSError:
					if !errors.As(err, target) {
						t.Fatalf("error %T %v", err, err)
					}
					if (*target).Guess != tt.errGuess {
						t.Errorf("guess %q, want %q (%v)", (*target).Guess, tt.errGuess, err)
					}
				}
			}
			if len(recs) != len(tt.types) {
				t.Fatalf("got %d records, want %d", len(recs), len(tt.types))
			}
			for i, r := range recs {
				if r.Type != tt.types[i] || r.Offset != tt.offsets[i] {
					t.Errorf("record %d: type %d offset %d, want %d at %d", i, r.Type, r.Offset, tt.types[i], tt.offsets[i])
				}
			}
			if len(rest) != tt.restLen {
				t.Errorf("rest %d bytes, want %d", len(rest), tt.restLen)
			}
		})
	}
}

func TestParseRecordsPayloads(t *testing.T) {
	in := cat(rec(22, 0x0303, []byte("abc")), rec(21, 0x0303, []byte{2, 40}))
	recs, rest, err := ParseRecords(in)
	if err != nil || len(rest) != 0 || len(recs) != 2 {
		t.Fatalf("ParseRecords = %v, %d rest, %v", recs, len(rest), err)
	}
	if string(recs[0].Payload) != "abc" || recs[0].Version != 0x0303 || recs[0].Length() != 3 {
		t.Errorf("record 0 = %+v", recs[0])
	}
	// Appending to a payload must not overwrite the next record in the shared buffer.
	_ = append(recs[0].Payload, 'X')
	if recs[1].Type != 21 || !bytes.Equal(recs[1].Payload, []byte{2, 40}) || in[8] != 21 {
		t.Errorf("record 1 clobbered: %+v", recs[1])
	}
	// Feeding byte by byte must reach the same records once the stream is complete.
	var buf []byte
	var got []Record
	for _, c := range in {
		buf = append(buf, c)
		rs, r, err := ParseRecords(buf)
		if err != nil {
			t.Fatalf("incremental: %v", err)
		}
		got = append(got, rs...)
		buf = append([]byte(nil), r...)
	}
	if len(got) != 2 || len(buf) != 0 {
		t.Errorf("incremental parse gave %d records, %d left", len(got), len(buf))
	}
}

func TestNotTLSErrorMessage(t *testing.T) {
	_, _, err := ParseRecords([]byte("SSH-2.0-x\r\n"))
	if err == nil || err.Error() != `peer did not speak TLS: the response looks like SSH (first bytes "SSH-2.0-x\r\n")` {
		t.Errorf("message %v", err)
	}
}

func TestWrapRecords(t *testing.T) {
	for _, n := range []int{0, 1, MaxPlaintextLength - 1, MaxPlaintextLength, MaxPlaintextLength + 1, 3*MaxPlaintextLength + 7} {
		payload := bytes.Repeat([]byte{7}, n)
		out := WrapRecords(ContentHandshake, VersionTLS10, payload)
		recs, rest, err := ParseRecords(out)
		if err != nil || len(rest) != 0 {
			t.Fatalf("n=%d: %v, %d rest", n, err, len(rest))
		}
		wantRecs := max(1, (n+MaxPlaintextLength-1)/MaxPlaintextLength)
		if len(recs) != wantRecs {
			t.Errorf("n=%d: %d records, want %d", n, len(recs), wantRecs)
		}
		var joined []byte
		for _, r := range recs {
			if r.Type != ContentHandshake || r.Version != VersionTLS10 || len(r.Payload) > MaxPlaintextLength {
				t.Errorf("n=%d: bad record %+v", n, r)
			}
			joined = append(joined, r.Payload...)
		}
		if !bytes.Equal(joined, payload) {
			t.Errorf("n=%d: payload changed", n)
		}
	}
}
