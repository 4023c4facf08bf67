//go:build unix

package server

import "syscall"

// openNonBlock makes opening a FIFO return at once instead of waiting for a writer, and keeps a
// terminal device from becoming the process's controlling terminal. Reads from regular files
// and directories are unaffected.
const openNonBlock = syscall.O_NONBLOCK | syscall.O_NOCTTY
