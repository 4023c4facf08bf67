package server

import (
	"slices"
	"testing"
)

// FuzzFrameTracker: whatever a client sends, the tracker never panics, finds the same frames
// whether the bytes come in one read or cut at any point, and untilBoundary stops exactly
// where scan reports the next frame starting.
func FuzzFrameTracker(f *testing.F) {
	preface := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	f.Add(append(appendFrameHeader(slices.Clone(preface), 0, 0x4, 0, 0), appendFrameHeader(nil, 2, frameHeaders, 5, 1)...), uint8(3))
	f.Add(appendFrameHeader(slices.Clone(preface), 1<<24-1, 0x0, 0, 1), uint8(1))
	f.Add([]byte("PRI"), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		collect := func(chunks ...[]byte) []frameHeader {
			tr := frameTracker{prefix: len(preface)}
			var got []frameHeader
			for _, c := range chunks {
				tr.scan(c, func(_ int, h frameHeader) bool { got = append(got, h); return true })
			}
			return got
		}
		at := min(int(cut), len(b))
		whole, split := collect(b), collect(b[:at], b[at:])
		if !slices.Equal(whole, split) {
			t.Fatalf("one read: %v; cut at %d: %v", whole, at, split)
		}
		tr := frameTracker{prefix: len(preface)}
		boundaries := 0
		for rest := b; len(rest) > 0; {
			k := tr.untilBoundary(rest)
			if k <= 0 || k > len(rest) {
				t.Fatalf("untilBoundary took %d of %d bytes", k, len(rest))
			}
			rest = rest[k:]
			if tr.atBoundary() {
				boundaries++
			}
		}
		// The end of the preface is a boundary, then the end of every frame; a frame's
		// header is reported when it completes, its end only once its payload is in, so the
		// last frame may still be open.
		prefaceEnd := 0
		if len(b) >= len(preface) {
			prefaceEnd = 1
		}
		if complete := boundaries - prefaceEnd; complete != len(whole) && complete != len(whole)-1 {
			t.Fatalf("%d boundaries for %d frames", boundaries, len(whole))
		}
	})
}
