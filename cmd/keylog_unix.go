//go:build unix

package cmd

import (
	"io/fs"
	"os"
	"syscall"
)

const keyLogOpenFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// privateMode reports whether only the owner may access the file.
func privateMode(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o077 == 0 }
