package cmd

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/tlskit/tlskit/certgen/filecheck"
)

// openKeyLog opens the --keylog file of handshake and serve for appending: created 0600 if it is
// not there; refused if it is a symlink (never followed, so a link planted in a shared directory
// cannot send the secrets elsewhere), not a regular file, someone else's, or open to group or
// others (the session secrets would be readable by them). The checks are made on the opened
// file (fstat), not on the path beforehand, so the file cannot be swapped between check and use.
// Refusals are plain errors (exit 1: a file that cannot be written, docs/exit-codes.md).
// The writer returned serialises the lines of concurrent handshakes (handshake --concurrency,
// serve's connections), so a caller hands it to the TLS library as it is.
func openKeyLog(path string) (*keyLog, error) {
	// keyLogOpenFlags adds O_NOFOLLOW, and O_NONBLOCK so that a FIFO without a reader fails
	// instead of blocking the open (a regular file ignores it).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|keyLogOpenFlags, 0o600)
	if err != nil {
		// Say why in words where the errno would puzzle (ELOOP, ENXIO).
		if fi, lerr := os.Lstat(path); lerr == nil {
			if err := keyLogRefusal(path, fi); err != nil {
				return nil, err
			}
		}
		return nil, fmt.Errorf("--keylog: %w", fileError(err))
	}
	fi, err := f.Stat()
	if err == nil {
		err = keyLogRefusal(path, fi)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &keyLog{lockedWriter: lockedWriter{w: f}, f: f}, nil
}

// keyLog is an open --keylog file.
type keyLog struct {
	lockedWriter
	f *os.File
}

func (k *keyLog) Close() error { return k.f.Close() }

// lockedWriter serialises writes from concurrent handshakes, so that key log lines never
// interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// keyLogRefusal is the reason a key log file is not written to, or nil.
func keyLogRefusal(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("--keylog: %s is a symbolic link, which tlskit does not follow for session secrets", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("--keylog: %s is not a regular file (it is %s)", path, filecheck.Kind(fi.Mode()))
	case !filecheck.OwnedByUs(fi):
		return fmt.Errorf("--keylog: %s belongs to another user, who could read the session secrets", path)
	case !privateMode(fi):
		return fmt.Errorf("--keylog: %s has mode %#o, open to group or others, who could read the session secrets (chmod 600 it, or choose a new file)", path, uint32(fi.Mode().Perm()))
	}
	return nil
}
