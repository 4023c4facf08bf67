package handshake

import (
	"flag"
	"os"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// handshakeParallel is how many parallel tests run at once unless -parallel says otherwise:
// the bad-peer, proxy and STARTTLS cases each wait out a 1-2 s timeout on an idle CPU.
// Measured on this 2-core machine: 7.4 s wall at 2 (GOMAXPROCS), 5.2 s at 4, 5.1-5.3 s at 6
// and 8 (the serial one-byte-records test, 1.9 s, and the 2 s drip are then the floor).
const handshakeParallel = 4

func TestMain(m *testing.M) {
	flag.Parse()
	peertest.DefaultParallel(handshakeParallel)
	os.Exit(m.Run())
}
