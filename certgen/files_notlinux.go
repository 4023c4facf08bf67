//go:build !linux

package certgen

import "os"

// openTmpfile is nil where there is no O_TMPFILE: staged files are named, and swept.
var openTmpfile func(dir string) (*os.File, error)

// linkFollow is os.Link: only Linux stages unnamed files, linked through /proc.
func linkFollow(oldname, newname string) error { return os.Link(oldname, newname) }
