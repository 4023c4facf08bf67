//go:build unix

package filecheck

import (
	"io/fs"
	"os"
	"syscall"
)

// OwnedByUs reports whether this process's (effective) user owns the file.
func OwnedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
