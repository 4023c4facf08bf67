//go:build !unix

package server

import "io/fs"

// fileID is zero where a FileInfo carries no inode: time and size alone tell a change.
func fileID(fs.FileInfo) uint64 { return 0 }
