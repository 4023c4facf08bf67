package scan

import (
	"flag"
	"os"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// scanParallel is how many parallel tests run at once unless -parallel says otherwise: the
// tests wait on peers (openssl s_server, sslscan) and on probe timeouts far more than they
// compute (user+sys 3-7 s). Measured on this 2-core machine: 13.5 s wall at 2 (GOMAXPROCS),
// 9.1 s at 4, 6.5 s at 6, 7.8 s at 8.
const scanParallel = 6

func TestMain(m *testing.M) {
	flag.Parse()
	peertest.DefaultParallel(scanParallel)
	os.Exit(m.Run())
}
