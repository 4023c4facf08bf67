package server

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/tlskit/tlskit/certgen/filecheck"
)

// MaxCertFileBytes bounds each certificate or key file read, the cap tlskit puts on every PEM
// file it is given: a server that re-reads its files every time they change must not be made
// to read a multi-gigabyte file into memory.
const MaxCertFileBytes = 1 << 20

// ErrNotRegularFile is a certificate, key or staple path that names a named pipe, device,
// socket or directory: reading one can block forever (a FIFO with no writer) or never end
// (/dev/zero), and a server re-reads its files on every change.
var ErrNotRegularFile = errors.New("not a regular file")

// ErrFileTooLarge is a file over its size limit.
var ErrFileTooLarge = errors.New("file too large")

// readRegularFile reads a regular file of at most limit bytes; every error is a *fs.PathError. It never blocks on what the
// path names: a FIFO or device is refused from its stat, and the open itself is non-blocking
// in case the path is swapped for one between the stat and the open.
func readRegularFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, st, limit); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(path, st, limit); err != nil {
		return nil, err
	}
	// limit+1 bytes at most, in case the file grows after the stat.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err // a *fs.PathError naming the file
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (over %d bytes)", ErrFileTooLarge, limit)}
	}
	return data, nil
}

// checkRegular refuses what readRegularFile must not read, as a *fs.PathError so the caller
// can name the file or not.
func checkRegular(path string, st fs.FileInfo, limit int64) error {
	if !st.Mode().IsRegular() {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegularFile, filecheck.Kind(st.Mode()))}
	}
	if st.Size() > limit {
		return &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w (%d bytes, the limit is %d)", ErrFileTooLarge, st.Size(), limit)}
	}
	return nil
}

// fileState is what the watcher compares to tell that a file changed: a rewrite in place
// changes its time or size, a replacement by rename (or a symlink pointed elsewhere) its
// identity, and a deleted file shows as missing.
type fileState struct {
	missing bool
	mtime   time.Time
	size    int64
	mode    fs.FileMode
	id      uint64 // inode where the system has one
}

func statFile(path string) fileState {
	st, err := os.Stat(path)
	if err != nil {
		return fileState{missing: true}
	}
	return fileState{mtime: st.ModTime(), size: st.Size(), mode: st.Mode().Type(), id: fileID(st)}
}

func (a fileState) equal(b fileState) bool {
	return a.missing == b.missing && a.mtime.Equal(b.mtime) && a.size == b.size && a.mode == b.mode && a.id == b.id
}
