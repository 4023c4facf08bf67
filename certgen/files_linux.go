package certgen

import (
	"os"

	"golang.org/x/sys/unix"
)

// openTmpfile opens an unnamed regular file in dir (O_TMPFILE, Linux 3.11+; ext4, xfs, btrfs,
// tmpfs and others). Without O_EXCL it can be linked into dir later.
func openTmpfile(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_WRONLY|unix.O_TMPFILE, 0o600)
}

// linkFollow is link(2) that follows oldname when it is a symlink: os.Link does not, and
// /proc/self/fd/N is one.
func linkFollow(oldname, newname string) error {
	if err := unix.Linkat(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: err}
	}
	return nil
}
