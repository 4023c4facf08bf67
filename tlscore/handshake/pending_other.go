//go:build !unix

package handshake

import "net"

// moreComing cannot look into the socket on this platform; callers fall back to a timer.
func moreComing(net.Conn) (more, ok bool) { return false, false }
