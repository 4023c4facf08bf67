//go:build unix && !linux

package handshake

import (
	"net"
	"syscall"
	"time"
)

// pendingBytes says whether the peer's bytes are already waiting in the socket, without reading
// them or blocking. ok is false when the connection cannot be asked.
func pendingBytes(c net.Conn) (pending, ok bool) {
	rc, isRaw := rawConnOf(c)
	if !isRaw {
		return false, false
	}
	var buf [1]byte
	var n int
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, _, rerr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait for readiness: this is a look, not a read
	}); err != nil {
		return false, false
	}
	if rerr != nil {
		return false, rerr == syscall.EAGAIN || rerr == syscall.EWOULDBLOCK
	}
	return n > 0, true
}

// settleWindow is how long to look for a following record that is already on its way (tickets
// are written back to back, so the next one trails the first by microseconds).
const settleWindow = 150 * time.Microsecond

// moreComing waits up to settleWindow for bytes to appear in the socket, spinning on a
// non-blocking look: cheaper and far sharper than a timer, which cannot fire sooner than about
// a millisecond. ok is false when the socket cannot be asked.
func moreComing(c net.Conn) (more, ok bool) {
	deadline := time.Now().Add(settleWindow)
	for {
		pending, ok := pendingBytes(c)
		if !ok || pending {
			return pending, ok
		}
		if time.Now().After(deadline) {
			return false, true
		}
	}
}
