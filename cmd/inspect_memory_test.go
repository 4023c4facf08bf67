package cmd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// inspectMemoryChild, in the environment, makes TestInspectMemoryBounded the child that runs
// inspect: "FORMAT PEMFILE RESULTFILE".
const inspectMemoryChild = "TLSKIT_TEST_INSPECT_MEMORY"

// TestInspectMemoryBounded holds `tlskit inspect` of an 8 MiB bundle of 13 000 certificates to
// a peak of the Go runtime's memory (what it has mapped and not given back: RSS, near enough)
// under 6 times the input, in text -v and in JSON. Before streaming, a bundle's items and
// their views were all held and the whole output buffered: 17x the input for -v and 25-28x for
// -o json (133-139 and 199-225 MiB for 8 MiB); since, 2.4-3.1x in both.
//
// Each run is a child process with GOGC=100, so nothing else in the heap (other tests, a GOGC
// in the environment) moves the figure. The peak is sampled, and a sample can only miss a
// peak, never make one up; the real peak still moves with when collections fall (2.4-3.2x
// measured), which leaves the 6x bound its margin. The memory held before streaming grew over
// the whole run (about a second), which sampling every 200 µs does not miss.
func TestInspectMemoryBounded(t *testing.T) {
	if spec := os.Getenv(inspectMemoryChild); spec != "" {
		inspectMemoryRun(t, spec)
		return
	}
	// Parallel: each figure is a child process's own, which other tests do not move.
	t.Parallel()
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.pem")
	size := writeLargeBundle(t, bundle, 8<<20)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			result := filepath.Join(dir, format+".peak")
			c := exec.Command(os.Args[0], "-test.run=^TestInspectMemoryBounded$")
			c.Env = append(os.Environ(), "GOGC=100", "GOMEMLIMIT=off",
				inspectMemoryChild+"="+format+" "+bundle+" "+result)
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			data, err := os.ReadFile(result)
			if err != nil {
				t.Fatal(err)
			}
			peak, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			ratio := float64(peak) / float64(size)
			t.Logf("%s: peak %.1f MiB for %.1f MiB of input (%.1fx)", format, float64(peak)/(1<<20), float64(size)/(1<<20), ratio)
			if ratio > 6 {
				t.Errorf("%s: peak memory %.1f MiB is %.1fx the %.1f MiB input, want at most 6x", format, float64(peak)/(1<<20), ratio, float64(size)/(1<<20))
			}
		})
	}
}

// inspectMemoryRun is the child: it runs inspect on the bundle, output discarded, and writes the
// peak it sampled to the result file.
func inspectMemoryRun(t *testing.T, spec string) {
	f := strings.Fields(spec)
	if len(f) != 3 {
		t.Fatalf("bad %s: %q", inspectMemoryChild, spec)
	}
	args := []string{"inspect", f[1], "-v"}
	if f[0] == "json" {
		args = []string{"inspect", f[1], "-o", "json"}
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		metrics.Read(s)
		if v := s[0].Value.Uint64() - s[1].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	sample()
	base := peak.Load()
	var out countingWriter
	streams := &IOStreams{In: strings.NewReader(""), Out: &out, Err: io.Discard}
	code := Main(args, streams, nil, testBuild)
	close(stop)
	<-done
	sample()
	if code != ExitOK || out.n == 0 {
		t.Fatalf("inspect: exit %d, %d bytes out", code, out.n)
	}
	// What the test binary had mapped before inspect ran is not inspect's.
	if err := os.WriteFile(f[2], []byte(fmt.Sprint(peak.Load()-base)), 0o644); err != nil {
		t.Fatal(err)
	}
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// writeLargeBundle writes at least size bytes of PEM: 100 certificates from one CA (so that none
// is self-signed, which would spend the test's time checking signatures), repeated. It returns
// the size written.
func writeLargeBundle(t *testing.T, path string, size int) int {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bundle CA"},
		NotBefore: start, NotAfter: start.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	for i := range 100 {
		name := fmt.Sprintf("host%d.bundle.test", i)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: name, Organization: []string{"Example"}},
			NotBefore: start, NotAfter: start.AddDate(1, 0, 0), DNSNames: []string{name, "www." + name},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		pem.Encode(&one, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	data := bytes.Repeat(one.Bytes(), size/one.Len()+1)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return len(data)
}
