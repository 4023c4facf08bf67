package wire

import (
	"bytes"
	"errors"
	"testing"
)

func hsMsg(typ uint8, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func TestAssembler(t *testing.T) {
	ch := hsMsg(1, bytes.Repeat([]byte{1}, 300))
	sh := hsMsg(2, bytes.Repeat([]byte{2}, 90))
	shd := hsMsg(14, nil)
	cert := hsMsg(11, bytes.Repeat([]byte{3}, 40000))

	tests := []struct {
		name    string
		chunks  [][]byte
		types   []uint8
		pending int
	}{
		{"one message one record", [][]byte{ch}, []uint8{1}, 0},
		{"three in one record", [][]byte{cat(sh, cert, shd)}, []uint8{2, 11, 14}, 0},
		{"spanning records", [][]byte{cert[:16384], cert[16384:32768], cert[32768:]}, []uint8{11}, 0},
		{"split header", [][]byte{sh[:2], sh[2:3], sh[3:]}, []uint8{2}, 0},
		{"empty body last in record", [][]byte{cat(sh, shd)}, []uint8{2, 14}, 0},
		{"empty body header split", [][]byte{shd[:1], shd[1:]}, []uint8{14}, 0},
		{"tail pending", [][]byte{cat(sh, ch[:10])}, []uint8{2}, 10},
		{"header only pending", [][]byte{ch[:3]}, nil, 3},
		{"empty payloads ignored", [][]byte{nil, sh, {}}, []uint8{2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Assembler
			var got []Message
			for _, c := range tt.chunks {
				ms, err := a.Add(c)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ms...)
			}
			if len(got) != len(tt.types) {
				t.Fatalf("got %d messages, want %d", len(got), len(tt.types))
			}
			all := cat(tt.chunks...)
			off := 0
			for i, m := range got {
				if m.Type != tt.types[i] {
					t.Errorf("message %d type %d, want %d", i, m.Type, tt.types[i])
				}
				if !bytes.Equal(m.Raw, all[off:off+len(m.Raw)]) || !bytes.Equal(m.Body, m.Raw[4:]) {
					t.Errorf("message %d bytes differ from input", i)
				}
				off += len(m.Raw)
			}
			if a.Pending() != tt.pending {
				t.Errorf("Pending() = %d, want %d", a.Pending(), tt.pending)
			}
		})
	}
}

func TestAssemblerOwnsBytes(t *testing.T) {
	buf := hsMsg(2, []byte{9, 9, 9})
	var a Assembler
	ms, err := a.Add(buf)
	if err != nil || len(ms) != 1 {
		t.Fatal(ms, err)
	}
	buf[5] = 0
	if ms[0].Body[1] != 9 {
		t.Errorf("message aliases the caller's buffer")
	}
}

func TestAssemblerTooLarge(t *testing.T) {
	a := NewAssembler(1000)
	// The header alone must trigger the error, with nothing of the body buffered.
	ms, err := a.Add([]byte{1, 0, 0x03, 0xe9})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Type != 1 || tl.Length != 1001 || tl.Limit != 1000 || len(ms) != 0 {
		t.Fatalf("Add = %v, %v", ms, err)
	}
	if a.Pending() > HandshakeHeaderLength {
		t.Errorf("buffered %d bytes of a refused message", a.Pending())
	}
	if _, err2 := a.Add([]byte{1}); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
	if a.Err() != err {
		t.Errorf("Err() = %v", a.Err())
	}
	if tl.Error() != "ClientHello message claims 1001 bytes, over the 1000-byte limit" {
		t.Errorf("message %q", tl.Error())
	}

	// Messages before the oversized one are still returned.
	var b Assembler
	ms, err = b.Add(cat(hsMsg(2, []byte{1}), []byte{11, 0xff, 0xff, 0xff}, make([]byte, 100)))
	if !errors.As(err, &tl) || len(ms) != 1 || tl.Limit != DefaultMaxMessageSize {
		t.Errorf("Add = %d messages, %v", len(ms), err)
	}

	// Exactly at the limit is fine.
	c := NewAssembler(10)
	ms, err = c.Add(hsMsg(4, make([]byte, 10)))
	if err != nil || len(ms) != 1 {
		t.Errorf("at limit: %v, %v", ms, err)
	}
}

func TestAssemblerPendingType(t *testing.T) {
	var a Assembler
	if _, ok := a.PendingType(); ok {
		t.Error("PendingType on empty assembler")
	}
	a.Add([]byte{11, 0})
	if typ, ok := a.PendingType(); !ok || typ != 11 {
		t.Errorf("PendingType = %d, %v", typ, ok)
	}
}

func TestSplitMessages(t *testing.T) {
	ms, err := SplitMessages(cat(hsMsg(8, []byte{0, 0}), hsMsg(20, make([]byte, 32))), 0)
	if err != nil || len(ms) != 2 || ms[1].Type != 20 {
		t.Fatalf("SplitMessages = %v, %v", ms, err)
	}
	if _, err := SplitMessages(hsMsg(8, []byte{0, 0})[:5], 0); err == nil {
		t.Error("truncated buffer accepted")
	}
	var tl *TooLargeError
	if _, err := SplitMessages(hsMsg(11, make([]byte, 20)), 10); !errors.As(err, &tl) {
		t.Errorf("limit not applied: %v", err)
	}
}
