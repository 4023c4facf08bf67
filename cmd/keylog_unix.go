//go:build unix

package cmd

import (
	"io/fs"
	"syscall"
)

const keyLogOpenFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// privateMode reports whether only the owner may access the file.
func privateMode(fi fs.FileInfo) bool { return fi.Mode().Perm()&0o077 == 0 }
