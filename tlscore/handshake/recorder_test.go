package handshake

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// linearTimeAt is the lookup Stream.TimeAt replaced, kept as the reference: the time of the
// first chunk that ends past off, scanning from the start.
func linearTimeAt(s Stream, off int) time.Duration {
	for i, end := range s.ends {
		if off < end {
			return s.at[i]
		}
	}
	if len(s.at) > 0 {
		return s.at[len(s.at)-1]
	}
	return 0
}

// TestStreamTimeAtMatchesLinearScan compares TimeAt with the linear scan on random chunkings
// (empty chunks and offsets before, inside and past the stream included).
func TestStreamTimeAtMatchesLinearScan(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(12, 8))
	for _, tc := range []struct {
		name      string
		chunks    int
		maxLen    int
		emptyEach int // every emptyEach-th chunk is empty (0: none)
	}{
		{"empty stream", 0, 0, 0},
		{"one chunk", 1, 50, 0},
		{"one-byte chunks", 200, 1, 0},
		{"mixed sizes", 100, 300, 0},
		{"with empty chunks", 100, 20, 3},
		{"only empty chunks", 5, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < 20; round++ {
				var s Stream
				for i := 0; i < tc.chunks; i++ {
					n := 0
					if tc.maxLen > 0 && (tc.emptyEach == 0 || i%tc.emptyEach != 0) {
						n = 1 + rng.IntN(tc.maxLen)
					}
					s.add(Chunk{Dir: Received, At: time.Duration(i+1) * time.Millisecond, Data: make([]byte, n)})
				}
				for off := -2; off <= len(s.Data)+2; off++ {
					if got, want := s.TimeAt(off), linearTimeAt(s, off); got != want {
						t.Fatalf("round %d: TimeAt(%d) = %v, the linear scan says %v (ends %v)", round, off, got, want, s.ends)
					}
				}
			}
		})
	}
}

// oneByteRecordChunks frames handshake messages as records of one payload byte each, every
// record its own received chunk a microsecond after the last: the worst case for the decoder,
// as many records as chunks.
func oneByteRecordChunks(msgs ...[]byte) []Chunk {
	var chunks []Chunk
	for _, m := range msgs {
		for _, b := range m {
			chunks = append(chunks, Chunk{Dir: Received, At: time.Duration(len(chunks)+1) * time.Microsecond,
				Data: []byte{wire.ContentHandshake, 3, 3, 0, 1, b}})
		}
	}
	return chunks
}

// handshakeMsg is a handshake message of type typ with body.
func handshakeMsg(typ uint8, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// bigFlight is a TLS 1.2 server flight: a ServerHello, a Certificate message holding one
// certSize-byte entry, and a ServerHelloDone.
func bigFlight(certSize int) [][]byte {
	sh := []byte{3, 3}
	sh = append(sh, make([]byte, 32)...)                                      // random
	sh = append(sh, 0)                                                        // session id
	sh = append(sh, 0xc0, 0x2b, 0)                                            // ECDHE-ECDSA-AES128-GCM-SHA256, no compression
	cert := []byte{byte(certSize >> 16), byte(certSize >> 8), byte(certSize)} // one entry
	cert = append(cert, make([]byte, certSize)...)
	list := append([]byte{byte(len(cert) >> 16), byte(len(cert) >> 8), byte(len(cert))}, cert...)
	return [][]byte{handshakeMsg(wire.TypeServerHello, sh), handshakeMsg(wire.TypeCertificate, list), handshakeMsg(wire.TypeServerHelloDone, nil)}
}

// TestTranscriptOneByteRecordsBounded decodes a 1 MiB recording (the recorder's cap) of
// one-byte records, one chunk each: 174 000 records. Scanning the chunks for every record's
// time made this quadratic: 1.7 s for 33 000 records, so about 50 s for these; now 0.1-0.2 s. The bound is a hang criterion (10 s), not a speed
// measurement: BenchmarkTranscriptOneByteRecords is that.
func TestTranscriptOneByteRecordsBounded(t *testing.T) {
	t.Parallel()
	flight := bigFlight(DefaultRecordLimit/6 - 200)
	chunks := oneByteRecordChunks(flight...)
	done := make(chan *Result, 1)
	go func() {
		res := &Result{}
		newTranscriptDecoder(chunks, nil, decodeOptions{}).finish(res, nil)
		done <- res
	}()
	select {
	case res := <-done:
		var got []string
		for _, s := range res.Steps {
			got = append(got, fmt.Sprintf("%s@%v", s.Message, s.AtMs))
		}
		// A received message is timed by the chunk that brought its last byte.
		sh, cert := len(flight[0]), len(flight[1])
		want := []string{
			fmt.Sprintf("ServerHello@%v", ms(time.Duration(sh)*time.Microsecond)),
			fmt.Sprintf("Certificate@%v", ms(time.Duration(sh+cert)*time.Microsecond)),
			fmt.Sprintf("ServerHelloDone@%v", ms(time.Duration(len(chunks))*time.Microsecond)),
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("steps %v, want %v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("BUG: decoding %d one-byte records did not end within 10 s", len(chunks))
	}
}

// BenchmarkTranscriptOneByteRecords decodes flights of one-byte records, one chunk each; the
// time per record stays flat as the flight grows: 0.56, 0.72, 0.64 us per record for 4 000,
// 33 000 and 164 000 records, where the scan of the chunks took 6 and 53 us for the first two.
func BenchmarkTranscriptOneByteRecords(b *testing.B) {
	for _, records := range []int{4 << 10, 32 << 10, 160 << 10} {
		chunks := oneByteRecordChunks(bigFlight(records)...)
		b.Run(fmt.Sprintf("records=%d", len(chunks)), func(b *testing.B) {
			for b.Loop() {
				newTranscriptDecoder(chunks, nil, decodeOptions{}).finish(&Result{}, nil)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(chunks)), "ns/record")
		})
	}
}

// TestRecordingConnChunkCap is a peer whose bytes arrive one per read, 300 000 of them: the
// recorder keeps at most DefaultRecordLimit/bytesPerChunk (65 536) chunks, says it truncated,
// and allocates under 32 MiB doing so, net.Pipe's own share included (measured 20 MiB; 99 MiB
// and 300 000 chunks without the cap). Not parallel, so the allocation figure is its own.
func TestRecordingConnChunkCap(t *testing.T) {
	const bytes = 300_000
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		one := []byte{0x42}
		for range bytes {
			if _, err := b.Write(one); err != nil {
				return
			}
		}
		b.Close()
	}()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rec := NewRecordingConn(a, time.Now(), 0)
	got, err := io.Copy(io.Discard, rec)
	chunks := len(rec.Chunks())
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d chunks kept, %d KiB allocated", chunks, alloc>>10)
	if err != nil || got != bytes {
		t.Fatalf("read %d bytes (err %v), want %d: recording must not change what is read", got, err, bytes)
	}
	if limit := DefaultRecordLimit / bytesPerChunk; chunks > limit {
		t.Errorf("BUG: kept %d chunks, over the cap of %d", chunks, limit)
	}
	if !rec.Truncated() {
		t.Errorf("Truncated() is false after %d one-byte reads", bytes)
	}
	if alloc > 32<<20 {
		t.Errorf("BUG: recording %d one-byte reads allocated %d MiB (bound 32 MiB)", bytes, alloc>>20)
	}
}
