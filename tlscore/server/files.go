package server

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"
)

// FileHandler serves the files under dir (directory listings, content types). Every open goes
// through os.Root, so no request path, symlinks included, reaches outside dir. Only
// directories and regular files are served: a FIFO, socket or device is refused with 403
// without being opened (opening a FIFO for reading blocks until a writer comes, holding an OS
// thread each time: over HTTP/2, enough requests exhaust the process's 10 000 threads).
func FileHandler(dir string) (http.Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err // an *fs.PathError naming dir
	}
	files := http.FileServerFS(servedFS{root})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A NUL or bytes that are not UTF-8 cannot name a file of an fs.FS: the request is
		// malformed (net/http would answer the open's error with 500).
		if strings.IndexByte(r.URL.Path, 0) >= 0 || !utf8.ValidString(r.URL.Path) {
			http.Error(w, "400 bad request: malformed path", http.StatusBadRequest)
			return
		}
		files.ServeHTTP(w, r)
	}), nil
}

// servedFS is the file system http.FileServerFS serves, on an os.Root.
type servedFS struct{ root *os.Root }

// Open checks what name is before opening it, then checks what it opened: the file may have
// been replaced in between. The open itself is non-blocking (openNonBlock), so a FIFO swapped
// in after the check cannot block it either; it is then refused like any other.
func (s servedFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	fi, err := s.root.Stat(name)
	if err != nil {
		return nil, servedError(name, err)
	}
	if !servable(fi) {
		return nil, refused(name)
	}
	f, err := s.root.OpenFile(name, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, servedError(name, err)
	}
	if fi, err = f.Stat(); err != nil || !servable(fi) {
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, refused(name)
	}
	return f, nil
}

func servable(fi fs.FileInfo) bool { return fi.Mode().IsRegular() || fi.IsDir() }

// refused is answered with 403 by the file server.
func refused(name string) error {
	return &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
}

// servedError turns an open's error into one the file server answers well: a path that would
// leave the served directory (through a symlink) is "permission denied" (403), and a name that
// cannot exist (too long, a loop of symlinks, a file used as a directory) is "not found" (404),
// instead of an unexplained 500.
func servedError(name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return err
	case strings.Contains(err.Error(), "escapes"), errors.Is(err, syscall.ENXIO):
		// ENXIO: a socket, or a device without a driver, swapped in after the check.
		return refused(name)
	case errors.Is(err, syscall.ENAMETOOLONG), errors.Is(err, syscall.ELOOP), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, syscall.EINVAL):
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return err
}
