package server

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// FileHandler serves the files under dir (directory listings, content types). Every open goes
// through os.Root, so no request path, symlinks included, reaches outside dir.
func FileHandler(dir string) (http.Handler, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err // an *fs.PathError naming dir
	}
	return http.FileServerFS(confinedFS{root.FS()}), nil
}

// confinedFS reports a path that would leave the served directory (through a symlink) as
// "permission denied", which the file server answers with 403, instead of an unexplained 500.
type confinedFS struct{ fs.FS }

func (c confinedFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && strings.Contains(err.Error(), "escapes") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return f, err
}
