//go:build !unix

package certgen

import "io/fs"

// lockDirs does nothing where there is no flock: batches are not ordered against concurrent
// writers there.
func lockDirs(dirs []string) (func(), error) { return func() {}, nil }

// ownedByUs cannot tell the owner here; the name pattern and the age decide.
func ownedByUs(fs.FileInfo) bool { return true }
