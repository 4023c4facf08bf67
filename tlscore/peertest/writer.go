package peertest

import (
	"strings"
	"sync"
)

// Writer is a stdout that a test controls: it takes OK writes, then fails every one with Err;
// with Block set, each write waits until Block is closed (a reader that never reads). It keeps
// what it took.
type Writer struct {
	OK    int
	Err   error
	Block chan struct{}

	mu     sync.Mutex
	writes int
	got    strings.Builder
}

func (w *Writer) Write(p []byte) (int, error) {
	if w.Block != nil {
		<-w.Block
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.writes > w.OK {
		return 0, w.Err
	}
	w.got.Write(p)
	return len(p), nil
}

// String is what the writer took.
func (w *Writer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got.String()
}
