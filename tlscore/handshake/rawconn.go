package handshake

import (
	"net"
	"syscall"
)

// rawConnOf gives the file descriptor access of a connection, when it has one. The common case,
// a TCP connection, is asked for by its concrete type: asserting an interface to another
// interface builds the method table at run time on first use, a measurable cost in a run this
// short.
func rawConnOf(c net.Conn) (syscall.RawConn, bool) {
	var sc syscall.Conn
	if tcp, isTCP := c.(*net.TCPConn); isTCP {
		sc = tcp
	} else if s, isSys := c.(syscall.Conn); isSys {
		sc = s
	} else {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}
