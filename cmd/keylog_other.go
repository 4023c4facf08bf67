//go:build !unix

package cmd

import "io/fs"

// Without O_NOFOLLOW the open follows a symlink (the checks then see the file it points to), and
// Windows file modes say nothing of other users' access (Go shows 0666 or 0444): only the
// regular-file check applies there.
const keyLogOpenFlags = 0

func privateMode(fs.FileInfo) bool { return true }
