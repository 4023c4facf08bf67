// Package filecheck holds the facts tlskit checks about a local file before it trusts it with
// key material or reads it into memory: what kind of file it is, and who owns it. Certificate
// loading (tlscore/server), key log files (cmd) and safe file writing (certgen) share it, so a
// refusal names a file's kind in the same words wherever it comes from. It depends on nothing
// else in tlskit, so any package may use it.
package filecheck

import "io/fs"

// Kind names what a file that is not a regular file is, for an error message: "a named pipe",
// "a character device" and so on.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	default:
		return "type " + m.Type().String()
	}
}
