//go:build unix

package server

import (
	"io/fs"
	"syscall"
)

// fileID is the file's inode: a file replaced by rename has a new one even when its time and
// size are the old file's.
func fileID(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Ino)
	}
	return 0
}
