package handshake

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// settleWindow is how long to wait for a following record that is already on its way (servers
// write their tickets back to back, so the next one trails the first by tens of microseconds).
// ppoll adds the kernel's timer slack (50 us by default) on top. Against OpenSSL 3.0, which
// writes two tickets, every one of 200 runs saw both with 60 us, and 199 of 200 with 30 us.
const settleWindow = 100 * time.Microsecond

// moreComing waits up to settleWindow for the peer's next bytes to reach the socket, without
// reading them. It sleeps in ppoll(2), whose timeout has microsecond precision, where a Go timer
// would round up to a millisecond and a spin would take the core the server needs to write
// what is being waited for. ok is false when the socket cannot be asked.
func moreComing(c net.Conn) (more, ok bool) {
	return moreComingWithin(c, settleWindow)
}

// moreComingWithin is moreComing with the window given.
func moreComingWithin(c net.Conn, window time.Duration) (more, ok bool) {
	rc, isRaw := rawConnOf(c)
	if !isRaw {
		return false, false
	}
	deadline := time.Now().Add(window)
	var perr error
	if err := rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			left := time.Until(deadline)
			if left < 0 {
				left = 0
			}
			ts := unix.NsecToTimespec(left.Nanoseconds())
			var n int
			n, perr = unix.Ppoll(fds, &ts, nil)
			switch {
			case perr == unix.EINTR: // the Go runtime's own signals; wait out the rest
				continue
			case perr == nil:
				more = n > 0
			}
			return true // never let the runtime wait for readiness: this is a look, not a read
		}
	}); err != nil || perr != nil {
		return false, false
	}
	return more, true
}
