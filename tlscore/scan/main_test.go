package scan

import (
	"flag"
	"os"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// scanParallel is how many parallel tests run at once unless -parallel says otherwise: the
// tests wait on peers (openssl s_server, sslscan) and on probe timeouts far more than they
// compute (user+sys 3.5-4 s). Measured on this 2-core machine, of the test binary: 8.3 s wall
// at 2 (GOMAXPROCS), 5.3 s at 4, 5.0 s at 6, 4.4 s at 8, 4.2 s at 10; the floor is the
// sslscan comparison of ALL:@SECLEVEL=0 (3.5 s, most of it sslscan waiting on s_server), which
// starts once the tests declared before it have let it. (Before the fixtures were shared, 6
// was best: 6.5 s, and 7.8 s at 8.)
const scanParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	peertest.DefaultParallel(scanParallel)
	os.Exit(m.Run())
}
