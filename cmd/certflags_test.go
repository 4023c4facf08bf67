package cmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadAllLimited checks the reader under every input (inspect's 64 MiB cap among them):
// whole bytes from a regular file (one buffer of its size), from a file read part way (the
// size a hint only), and from a stream in chunks, read one byte at a time or all at once,
// around the chunk sizes; and the refusal of one byte over the limit, either way.
func TestReadAllLimited(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 5<<20+3) // over 4 MiB: several chunks, one of the largest size
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, n := range []int{0, 1, 511, 512, 513, 1536, 1537, 100 << 10, len(data)} {
		in := data[:n]
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, in, 0o600); err != nil {
			t.Fatal(err)
		}
		readers := map[string]func() io.Reader{
			"stream":   func() io.Reader { return bytes.NewReader(in) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) },
			"file": func() io.Reader {
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { f.Close() })
				return f
			},
		}
		if n > 1<<20 {
			delete(readers, "one byte") // slow, and the small sizes cover its chunking
		}
		for name, r := range readers {
			for _, limit := range []int64{int64(n), int64(n) + 1, 64 << 20} {
				got, err := readAllLimited(r(), limit)
				if err != nil || !bytes.Equal(got, in) {
					t.Fatalf("%s of %d bytes, limit %d: %d bytes, %v", name, n, limit, len(got), err)
				}
			}
			if n > 0 {
				if _, err := readAllLimited(r(), int64(n-1)); err == nil || !strings.Contains(err.Error(), "larger than") {
					t.Errorf("%s of %d bytes, limit %d: %v, want refused", name, n, n-1, err)
				}
			}
		}
	}
	// A file read part way, as stdin may be: its size is more than what is left.
	if err := os.WriteFile(filepath.Join(dir, "f"), data[:4096], 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	if got, err := readAllLimited(f, 64<<20); err != nil || !bytes.Equal(got, data[1000:4096]) {
		t.Fatalf("file read part way: %d bytes, %v", len(got), err)
	}
	// A file that grew after its size was taken: read on past the buffer of that size.
	if err := os.WriteFile(filepath.Join(dir, "small"), data[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "small"))
	if err != nil {
		t.Fatal(err)
	}
	grown := statReader{bytes.NewReader(data[:5000]), st}
	if got, err := readAllLimited(grown, 64<<20); err != nil || !bytes.Equal(got, data[:5000]) {
		t.Fatalf("file that grew: %d bytes, %v", len(got), err)
	}
}

// statReader reads one thing and says, through Stat, it is a file of another size.
type statReader struct {
	io.Reader
	st os.FileInfo
}

func (r statReader) Stat() (os.FileInfo, error) { return r.st, nil }

// TestReadAllLimitedAllocates holds what reading an 8 MiB input allocates (runtime.MemStats
// TotalAlloc counts every byte allocated, whenever the GC runs) to the input's size from a
// regular file (before, io.ReadAll: 2.03x, 16.3 MiB), and to twice that and one chunk from a
// stream (2.13x; io.ReadAll 2.03x, and 2.46x at inspect's 64 MiB cap).
func TestReadAllLimitedAllocates(t *testing.T) {
	data, path := readTestInput(t)
	const slack = 512 << 10 // the reader's own small allocations, and any other goroutine's meanwhile
	for _, tc := range []struct {
		name  string
		r     io.Reader
		bound uint64
	}{
		{"file", openTestFile(t, path), uint64(len(data)) + slack},
		{"stream", bytes.NewReader(data), 2*uint64(len(data)) + 1<<20 + slack},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		got, err := readAllLimited(tc.r, 64<<20)
		runtime.ReadMemStats(&after)
		if err != nil || len(got) != len(data) {
			t.Fatalf("%s: %d bytes, %v", tc.name, len(got), err)
		}
		n := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s: allocated %.1f MiB (%.2fx the input)", tc.name, float64(n)/(1<<20), float64(n)/float64(len(data)))
		if n > tc.bound {
			t.Errorf("%s: reading %d MiB allocated %.1f MiB, want at most %.1f MiB", tc.name, len(data)>>20, float64(n)/(1<<20), float64(tc.bound)/(1<<20))
		}
	}
}

// TestReadAllLimitedHeapGoal checks that reading a large stream leaves the GC's next goal based
// on the input, not on the chunks it was read into, which a collection during the final copy
// finds live: at most GOGC more than the live heap with the input in it (+1 MiB). GOGC is 10 so
// that collections are frequent and one does fall during the copy, as one did reading 64 MiB
// at the default 100. Before: a goal of 25.3 MiB, 17.1 over the heap before reading, where 9.7
// is right; and inspect of 64 MiB piped peaked at 275 MB RSS (150 MB since).
func TestReadAllLimitedHeapGoal(t *testing.T) {
	data, _ := readTestInput(t)
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	got, err := readAllLimited(bytes.NewReader(data), 64<<20)
	metrics.Read(s)
	goal := s[1].Value.Uint64()
	if err != nil || len(got) != len(data) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	want := uint64(1.1*float64(live+uint64(len(data)))) + 1<<20
	t.Logf("goal %.1f MiB over the heap before reading (%.1f MiB live); at most %.1f MiB", float64(goal-min(goal, live))/(1<<20), float64(live)/(1<<20), float64(want-live)/(1<<20))
	if goal > want {
		t.Errorf("after reading %d MiB the GC's goal is %.1f MiB, want at most %.1f MiB", len(data)>>20, float64(goal)/(1<<20), float64(want)/(1<<20))
	}
	// Both stay live, so that what the goal should be does not depend on the compiler.
	runtime.KeepAlive(got)
	runtime.KeepAlive(data)
}

// readTestInput writes 8 MiB to a file and returns the bytes and the file's path.
func readTestInput(t *testing.T) ([]byte, string) {
	t.Helper()
	data := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return data, path
}

func openTestFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
