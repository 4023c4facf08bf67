package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/connect"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// testCert makes a self-signed certificate ("rsa" or "ecdsa") and writes cert.pem and
// key.pem to a temporary directory.
func testCert(t *testing.T, kind string) (certFile, keyFile string, pair tls.Certificate) {
	t.Helper()
	var key any
	var pub any
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	case "ecdsa":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, kind+"-cert.pem"), filepath.Join(dir, kind+"-key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pair, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pair
}

// freePort is a loopback port nothing listens on (for a while).
func freePort(t *testing.T) int {
	t.Helper()
	port, err := strconv.Atoi(peertest.FreePort(t))
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// startOpenSSL runs openssl s_server -www with an RSA certificate and extra arguments on a free
// port and returns the port once it listens.
func startOpenSSL(t *testing.T, args ...string) int {
	t.Helper()
	certFile, keyFile, _ := testCert(t, "rsa")
	port, err := strconv.Atoi(peertest.OpenSSLServer(t, "", certFile, keyFile, args...).Port)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }

func localTarget(port int) connect.Target {
	return connect.Target{Input: "127.0.0.1:" + itoa(port), Host: "127.0.0.1", Port: port}
}

func runScan(t *testing.T, port int, timeout time.Duration) (*Result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := Scan(ctx, Options{Target: localTarget(port), Timeout: timeout})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return res, time.Since(start)
}

func version(t *testing.T, r *Result, name string) VersionResult {
	t.Helper()
	for _, v := range r.Versions {
		if v.Version == name {
			return v
		}
	}
	t.Fatalf("no %s in result", name)
	return VersionResult{}
}

func suiteIDs(v VersionResult) []uint16 {
	var out []uint16
	for _, s := range v.Suites {
		out = append(out, s.ID)
	}
	return out
}

func sortedIDs(v VersionResult) []uint16 {
	ids := suiteIDs(v)
	slices.Sort(ids)
	return ids
}

// supportedOnly checks that exactly the named versions are supported and none inconclusive.
func supportedOnly(t *testing.T, r *Result, names ...string) {
	t.Helper()
	for _, v := range r.Versions {
		want := slices.Contains(names, v.Version)
		if v.Supported != want {
			t.Errorf("%s supported = %v, want %v", v.Version, v.Supported, want)
		}
		if v.Inconclusive {
			t.Errorf("%s inconclusive", v.Version)
		}
		if !v.Supported && len(v.Suites) > 0 {
			t.Errorf("%s unsupported but lists suites %v", v.Version, suiteIDs(v))
		}
	}
}

// goTLSServer is a Go TLS server with cfg on 127.0.0.1 that completes each handshake and
// closes; it stops at cleanup.
func goTLSServer(t *testing.T, cfg *tls.Config) net.Listener {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return l
}
