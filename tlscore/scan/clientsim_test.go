package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlskit/tlskit/tlscore/peertest"
	"github.com/tlskit/tlskit/tlscore/wire"
)

// TestClientProfilesLoad holds the stored profiles to what the simulation needs: each parses as
// one ClientHello, names its client and version, and was captured with SNI localhost (as
// scripts/captureclients runs the clients). A profile that no longer parses fails here. Each
// client the tests run live has a profile.
func TestClientProfilesLoad(t *testing.T) {
	t.Parallel()
	profiles := loadProfiles()
	byFile := map[string]bool{}
	for _, p := range profiles {
		byFile[filepath.Base(p.file)] = true
		if p.err != nil {
			t.Errorf("%s: %v", p.file, p.err)
			continue
		}
		if p.ClientVersion == "" || p.Captured == "" || p.Reported == "" || p.Command == "" {
			t.Errorf("%s: a profile needs client_version, reported, captured and command: %+v", p.file, p)
		}
		if p.hello.ServerName != "localhost" {
			t.Errorf("%s: captured with SNI %q, want localhost", p.file, p.hello.ServerName)
		}
	}
	for _, c := range append(slices.Clone(liveClients), javaClient, chromiumClient) {
		if !byFile[c.profile+".json"] {
			t.Errorf("no profile clients/%s.json for the live client %s", c.profile, c.name)
		}
	}
	if len(profiles) < len(liveClients) {
		t.Errorf("%d profiles, fewer than the %d live clients", len(profiles), len(liveClients))
	}
}

// TestReplayHelloKeepsEveryOtherByte: the replayed hello differs from the client's only in the
// random, the server name and the padding, which keeps the client's total length while it can.
func TestReplayHelloKeepsEveryOtherByte(t *testing.T) {
	t.Parallel()
	random := bytes.Repeat([]byte{0xa5}, 32)
	for _, p := range loadProfiles() {
		if p.err != nil {
			continue // TestClientProfilesLoad fails for it
		}
		t.Run(filepath.Base(p.file), func(t *testing.T) {
			// The same name and the client's own random: the client's bytes exactly.
			same, err := replayHello(p.msg, "localhost", p.hello.Random)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(same, p.msg) {
				t.Fatalf("replay with the captured name and random differs from the capture")
			}
			for _, name := range []string{"a.example", "a-much-longer-server-name.with.several.labels.example.net", ""} {
				got, err := replayHello(p.msg, name, random)
				if err != nil {
					t.Fatalf("%q: %v", name, err)
				}
				checkReplay(t, p.msg, got, name, random)
			}
		})
	}
}

// checkReplay compares a replayed hello with the original: prefix fields but the random equal,
// the same extensions in the same order with the same bytes, but for server_name (serverName,
// or gone) and padding (sized to keep the length, or gone when it cannot).
func checkReplay(t *testing.T, orig, got []byte, serverName string, random []byte) {
	t.Helper()
	a, err := wire.ParseClientHello(orig[4:])
	if err != nil {
		t.Fatal(err)
	}
	b, err := wire.ParseClientHello(got[4:])
	if err != nil {
		t.Fatalf("%q: the replayed hello does not parse: %v", serverName, err)
	}
	if !bytes.Equal(b.Random, random) {
		t.Errorf("%q: random not replaced", serverName)
	}
	prefix := 4 + 2 + 32 + 1 + len(a.SessionID) + 2 + 2*len(a.CipherSuites) + 1 + len(a.CompressionMethods)
	if !bytes.Equal(orig[4:6], got[4:6]) || !bytes.Equal(orig[38:prefix], got[38:prefix]) {
		t.Errorf("%q: legacy_version, session ID, suites or compression changed", serverName)
	}
	if b.ServerName != serverName {
		t.Errorf("%q: server name is %q", serverName, b.ServerName)
	}
	var ta, tb []uint16
	padded := false
	for _, e := range a.Extensions {
		if (e.Type == wire.ExtServerName && serverName == "") || e.Type == wire.ExtPadding {
			padded = padded || e.Type == wire.ExtPadding
			continue
		}
		ta = append(ta, e.Type)
	}
	data := map[uint16][]byte{}
	for _, e := range b.Extensions {
		if e.Type == wire.ExtPadding {
			if len(e.Data) == 0 || bytes.ContainsFunc(e.Data, func(r rune) bool { return r != 0 }) {
				t.Errorf("%q: padding of %d bytes, not all zero", serverName, len(e.Data))
			}
			continue
		}
		tb = append(tb, e.Type)
		data[e.Type] = e.Data
	}
	if !slices.Equal(ta, tb) {
		t.Errorf("%q: extensions %v, want %v (padding aside)", serverName, tb, ta)
	}
	for _, e := range a.Extensions {
		if e.Type != wire.ExtServerName && e.Type != wire.ExtPadding && !bytes.Equal(data[e.Type], e.Data) {
			t.Errorf("%q: %s extension changed", serverName, e.Name)
		}
	}
	if padded {
		unpadded := len(got) - b.PaddingLength
		if b.PaddingLength > 0 {
			unpadded -= 4
		}
		if unpadded < len(orig) && len(got) != len(orig) {
			t.Errorf("%q: padded hello of %d bytes replayed as %d, though %d bytes of padding would keep it", serverName, len(orig), len(got), len(orig)-unpadded)
		}
		if unpadded >= len(orig) && slices.ContainsFunc(b.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtPadding }) {
			t.Errorf("%q: padding kept in a hello grown past the client's padded length", serverName)
		}
	}
}

// TestReplayHelloPadding: padding shrinks and grows with the name, and goes when it cannot
// absorb a longer one; a hello without server_name gets none.
func TestReplayHelloPadding(t *testing.T) {
	t.Parallel()
	mk := func(name string, pad int) []byte {
		spec := wire.ClientHelloSpec{CipherSuites: []uint16{0x1301}, ServerName: name, SupportedVersions: []uint16{wire.VersionTLS13},
			Groups: []uint16{wire.GroupX25519}, KeyShares: []wire.KeyShareSpec{{Group: wire.GroupX25519, PublicKey: make([]byte, 32)}}}
		if pad >= 0 {
			spec.ExtraExtensions = []wire.Extension{{Type: wire.ExtPadding, Data: make([]byte, pad)}}
		}
		msg, err := wire.MarshalClientHello(spec)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	random := make([]byte, 32)
	for _, tc := range []struct {
		name       string
		msg        []byte
		serverName string
		wantLen    int
		wantPad    int // -1: no padding extension
	}{
		{"shorter name, more padding", mk("localhost", 20), "a.b", len(mk("localhost", 20)), 26},
		{"longer name, less padding", mk("localhost", 20), "localhost.test", len(mk("localhost", 20)), 15},
		{"no name, more padding", mk("localhost", 20), "", len(mk("localhost", 20)), 20 + 18},
		{"too long a name drops it", mk("localhost", 3), "localhost.example", len(mk("localhost.example", -1)), -1},
		{"no server_name stays without", mk("", 10), "example.com", len(mk("", 10)), 10},
		{"no padding", mk("localhost", -1), "example.com", len(mk("example.com", -1)), -1},
	} {
		got, err := replayHello(tc.msg, tc.serverName, random)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ch, err := wire.ParseClientHello(got[4:])
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		pad := -1
		for _, e := range ch.Extensions {
			if e.Type == wire.ExtPadding {
				pad = len(e.Data)
			}
		}
		if len(got) != tc.wantLen || pad != tc.wantPad {
			t.Errorf("%s: %d bytes with padding %d, want %d with %d", tc.name, len(got), pad, tc.wantLen, tc.wantPad)
		}
		wantName := tc.serverName
		if !bytes.Contains(tc.msg, []byte("localhost")) {
			wantName = ""
		}
		if ch.ServerName != wantName {
			t.Errorf("%s: server name %q, want %q", tc.name, ch.ServerName, wantName)
		}
	}
}

// negotiated is what a real client and a server agreed on, in ClientResult's terms.
type negotiated struct {
	Version, CipherSuite, Group string
	DHBits                      int
	HRR                         bool
}

func (n negotiated) String() string {
	s := n.Version + " " + n.CipherSuite + " " + n.Group
	if n.DHBits > 0 {
		s += fmt.Sprintf("DH %d bits", n.DHBits)
	}
	if n.HRR {
		s += " (after a HelloRetryRequest)"
	}
	return s
}

// liveClient runs one real client against 127.0.0.1:port with SNI localhost; it sends an HTTP
// request after the handshake (for servers that answer one) and returns what it printed.
type liveClient struct {
	name, profile, bin string
	run                func(ctx context.Context, t *testing.T, port string) (string, error)
}

const liveRequest = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"

func runOut(ctx context.Context, stdin, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), peertest.OpenSSLEnv...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// The cheap clients, run against every server. Java (about 1.4 s of CPU: the JDK compiles the
// source in memory) and Chromium (about 1 s of CPU over its processes) are run against one server
// each, to keep the package's tests quick on two cores. Firefox ESR is not run live at all: it
// takes 4-5 s to start headless, and needs Marionette to be driven; its replays, and those of
// Java and Chromium on the other servers, are held to their own offer instead
// (TestClientSimulation).
var liveClients = []liveClient{
	{"curl", "curl", "curl", func(ctx context.Context, _ *testing.T, port string) (string, error) {
		return runOut(ctx, "", "curl", "-sk", "--max-time", "10", "--resolve", "localhost:"+port+":127.0.0.1", "https://localhost:"+port+"/")
	}},
	{"openssl s_client", "openssl", "openssl", func(ctx context.Context, _ *testing.T, port string) (string, error) {
		return runOut(ctx, liveRequest, "openssl", "s_client", "-connect", "127.0.0.1:"+port, "-servername", "localhost", "-ign_eof")
	}},
	{"gnutls-cli", "gnutls", "gnutls-cli", func(ctx context.Context, _ *testing.T, port string) (string, error) {
		return runOut(ctx, liveRequest, "gnutls-cli", "--insecure", "--sni-hostname=localhost", "-p", port, "127.0.0.1")
	}},
	{"Python", "python", "python3", func(ctx context.Context, _ *testing.T, port string) (string, error) {
		return runOut(ctx, "", "python3", "-c", pythonLive, port)
	}},
	{"Go", "go", "", func(ctx context.Context, _ *testing.T, port string) (string, error) {
		// As the profile's net/http client: crypto/tls's defaults, ALPN h2 and http/1.1.
		d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}}
		c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+port)
		if err != nil {
			return "", err
		}
		defer c.Close()
		_, _ = c.Write([]byte(liveRequest))
		var b bytes.Buffer
		_, _ = b.ReadFrom(c)
		return b.String(), nil
	}},
}

// javaClient is run against the TLS 1.2 openssl s_server, which prefers DHE.
var javaClient = liveClient{"Java", "java", "java", func(ctx context.Context, t *testing.T, port string) (string, error) {
	src := filepath.Join(t.TempDir(), "Client.java")
	if err := os.WriteFile(src, []byte(javaLive), 0o644); err != nil {
		return "", err
	}
	return runOut(ctx, "", "java", src, port)
}}

// chromiumClient is run against the Go TLS 1.3 server, where the post-quantum group makes the
// choice interesting.
var chromiumClient = liveClient{"Chromium", "chromium", "chromium", func(ctx context.Context, t *testing.T, port string) (string, error) {
	return runOut(ctx, "", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
		"--ignore-certificate-errors", "--user-data-dir="+t.TempDir(),
		"--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
		"--timeout=5000", "--dump-dom", "https://localhost:"+port+"/")
}}

// pythonLive and javaLive are scripts/captureclients's PythonClient and JavaClient (the clients
// the profiles were captured with), reading whatever the server answers.
const pythonLive = `import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10), server_hostname="localhost")
print(s.version(), s.cipher()[0])
s.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.write(b.decode("utf-8", "replace"))
`

const javaLive = `import javax.net.ssl.*;
import java.io.*;
import java.security.cert.X509Certificate;
import java.util.List;

public class Client {
    public static void main(String[] args) throws Exception {
        TrustManager[] trustAll = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustAll, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(args[0]))) {
            s.setSoTimeout(10000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("localhost")));
            s.setSSLParameters(p);
            OutputStream o = s.getOutputStream();
            o.write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes("US-ASCII"));
            o.flush();
            s.getInputStream().transferTo(System.out);
        }
    }
}
`

// recordingServer is a Go TLS server with cfg that records each completed handshake's
// choices and closes the connection.
func recordingServer(t *testing.T, cfg *tls.Config) (port string, got <-chan negotiated) {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan negotiated, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := c.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				cs := tc.ConnectionState()
				ch <- negotiated{Version: wire.VersionName(cs.Version), CipherSuite: wire.CipherSuiteName(cs.CipherSuite),
					Group: wire.GroupName(uint16(cs.CurveID)), HRR: cs.HelloRetryRequest}
			}()
		}
	}()
	_, port, _ = net.SplitHostPort(l.Addr().String())
	return port, ch
}

// simulate runs the client simulation against 127.0.0.1:port with SNI localhost.
func simulate(t *testing.T, port int) map[string]ClientResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := Options{Target: localTarget(port), ServerName: "localhost", Timeout: 5 * time.Second, Parallel: 4, Rate: 250}
	s := &scanner{p: newProber(opts, cancel), opts: opts}
	res := s.simulateClients(ctx)
	out := map[string]ClientResult{}
	for _, r := range res {
		out[r.Client] = r
	}
	if n := int(s.p.probes.Load()); n < len(res) {
		t.Errorf("%d probe connections for %d clients", n, len(res))
	}
	return out
}

// simServer is a server to compare the real clients and their replays on.
type simServer struct {
	name string
	// start starts one instance and returns its port.
	start func(t *testing.T) int
	// live runs a real client against an instance and returns what it negotiated, as far as the
	// server or the client tells (fields it cannot tell are empty and not compared).
	live func(ctx context.Context, t *testing.T, c liveClient) (negotiated, error)
	// heavy are the costly clients also run live against this server.
	heavy []liveClient
}

// liveSlots bounds the real clients running at once across the tests, one per core of the
// two-core machines the tests run on: 24 at once took 17 s where this takes under 4.
var liveSlots = make(chan struct{}, 2)

// TestClientSimulation holds each replayed profile to its real client: the real client is run
// against a server, what it negotiated is read (from the server's ConnectionState for the Go
// servers; for openssl s_server from its -www status page, and the group from s_client's own
// report), the profile is replayed against an instance of the same server, and version, suite
// and group must agree. Profiles of clients not run live (Firefox, and Chromium but on one
// server) must get an answer their client can go on with: a version, suite and group it offered.
func TestClientSimulation(t *testing.T) {
	t.Parallel()
	_, _, rsaPair := testCert(t, "rsa")
	_, _, ecPair := testCert(t, "ecdsa")
	goServer := func(cfg *tls.Config) simServer {
		return simServer{
			start: func(t *testing.T) int { return goTLSServer(t, cfg).Addr().(*net.TCPAddr).Port },
			live: func(ctx context.Context, t *testing.T, c liveClient) (negotiated, error) {
				port, got := recordingServer(t, cfg)
				out, err := c.run(ctx, t, port)
				select {
				case n := <-got:
					return n, nil
				case <-time.After(2 * time.Second):
					return negotiated{}, fmt.Errorf("no handshake completed (client error %v): %s", err, tail(out))
				}
			},
		}
	}
	tls13 := goServer(&tls.Config{Certificates: []tls.Certificate{ecPair}, MinVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.CurveP256}})
	tls13.name, tls13.heavy = "go-tls13-mlkem-p256", []liveClient{chromiumClient}
	tls12 := goServer(&tls.Config{Certificates: []tls.Certificate{rsaPair}, MaxVersion: tls.VersionTLS12,
		CipherSuites:     []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
		CurvePreferences: []tls.CurveID{tls.CurveP384, tls.CurveP521, tls.X25519}})
	tls12.name = "go-tls12-p384"
	// Server-preferred suites: CHACHA20 first in TLS 1.3; groups P-384 then x25519.
	ossl13 := openSSLSimServer("openssl-s_server", "-serverpref", "-groups", "P-384:X25519",
		"-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
		"-cipher", "ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256")
	// TLS 1.2 at most, server-preferred: DHE first (for the clients that offer it), then a CBC
	// suite before GCM; curves P-521 then P-256.
	ossl12 := openSSLSimServer("openssl-s_server-tls12", "-no_tls1_3", "-serverpref", "-groups", "P-521:P-256",
		"-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-GCM-SHA256")
	ossl12.heavy = []liveClient{javaClient}
	servers := []simServer{tls13, tls12, ossl13, ossl12}

	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			replay := simulate(t, srv.start(t))
			clients := slices.Clone(liveClients)
			clients = append(clients, srv.heavy...)
			live := map[string]bool{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, c := range clients {
				if c.bin != "" {
					if _, ok := peertest.Find(t, c.bin); !ok {
						continue
					}
				}
				p := profileFor(t, c.profile)
				live[p.Client] = true
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					liveSlots <- struct{}{}
					start := time.Now()
					want, err := srv.live(ctx, t, c)
					<-liveSlots
					took := time.Since(start).Round(time.Millisecond)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Errorf("%s live (%v): %v", c.name, took, err)
						return
					}
					got := replay[p.Client]
					t.Logf("%s: live %v (%v); replay %+v", c.name, want, took, got)
					compareReplay(t, c.name, want, got)
				})
			}
			wg.Wait()
			for _, p := range loadProfiles() {
				if live[p.Client] || p.err != nil {
					continue
				}
				got := replay[p.Client]
				t.Logf("%s (not run live): replay %+v", p.Client, got)
				if got.Version == "" || got.Error != "" || got.Refused != "" {
					t.Errorf("%s: replay got no usable answer: %+v", p.Client, got)
				}
			}
		})
	}
}

func compareReplay(t *testing.T, client string, want negotiated, got ClientResult) {
	t.Helper()
	if got.Error != "" || got.Refused != "" {
		t.Errorf("%s: live %v, but the replay got %+v", client, want, got)
		return
	}
	if got.Version != want.Version || got.CipherSuite != want.CipherSuite ||
		(want.Group != "" && got.Group != want.Group) || (want.DHBits != 0 && got.DHBits != want.DHBits) || (want.Version == "TLS 1.3" && want.Group != "" && got.HelloRetryRequest != want.HRR) {
		t.Errorf("%s: live %v, replay %s %s %s (hello_retry_request %v)", client, want, got.Version, got.CipherSuite, got.Group, got.HelloRetryRequest)
	}
}

func profileFor(t *testing.T, file string) clientProfile {
	t.Helper()
	for _, p := range loadProfiles() {
		if filepath.Base(p.file) == file+".json" {
			return p
		}
	}
	t.Fatalf("no profile clients/%s.json", file)
	return clientProfile{}
}

func tail(s string) string {
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}

// openSSLSimServer is openssl s_server -www with an RSA certificate and args. What was
// negotiated comes from its status page, which names the version and suite; the group (or DHE
// prime size) only from s_client, which reports it ("Server Temp Key").
func openSSLSimServer(name string, args ...string) simServer {
	return simServer{
		name:  name,
		start: func(t *testing.T) int { return startOpenSSL(t, args...) },
		live: func(ctx context.Context, t *testing.T, c liveClient) (negotiated, error) {
			port := itoa(startOpenSSL(t, args...))
			out, err := c.run(ctx, t, port)
			// The SSL-Session section: "Protocol  : TLSv1.2", "Cipher    : ECDHE-RSA-AES256-SHA".
			// (The "New, TLSv1.0, Cipher is ..." line above it names the suite's first version.)
			m := regexp.MustCompile(`(?s)SSL-Session:\s*Protocol\s*: (\S+)\s*Cipher\s*: (\S+)`).FindStringSubmatch(out)
			if m == nil {
				return negotiated{}, fmt.Errorf("no s_server status page (client error %v): %s", err, tail(out))
			}
			var n negotiated
			n.Version = map[string]string{"TLSv1": "TLS 1.0", "TLSv1.1": "TLS 1.1", "TLSv1.2": "TLS 1.2", "TLSv1.3": "TLS 1.3"}[m[1]]
			cs, ok := suiteByOpenSSLName(m[2])
			if n.Version == "" || !ok {
				return n, fmt.Errorf("s_server's status page says %s %s", m[1], m[2])
			}
			n.CipherSuite = cs
			// "Server Temp Key: X25519, 253 bits", "Server Temp Key: ECDH, secp384r1, 384 bits",
			// "Server Temp Key: DH, 2048 bits".
			if c.profile == "openssl" {
				if g := regexp.MustCompile(`Server Temp Key: DH, (\d+) bits`).FindStringSubmatch(out); g != nil {
					n.DHBits, _ = strconv.Atoi(g[1])
				} else if g := regexp.MustCompile(`Server Temp Key: (?:ECDH, )?([^,]+),`).FindStringSubmatch(out); g != nil {
					id, ok := wire.GroupByName(g[1])
					if !ok {
						return n, fmt.Errorf("s_client's temp key %q is no group", g[1])
					}
					n.Group = wire.GroupName(id)
				} else {
					return n, fmt.Errorf("s_client reported no temp key: %s", tail(out))
				}
			}
			return n, nil
		},
	}
}

// suiteByOpenSSLName is the IANA name of a suite OpenSSL names its own way.
func suiteByOpenSSLName(name string) (string, bool) {
	for _, cs := range wire.CipherSuites() {
		if cs.OpenSSLName == name || cs.Name == name {
			return cs.Name, true
		}
	}
	return "", false
}

// TestClientResult maps outcomes to what a simulated client gets: the server's choice, a
// refusal, nothing learned, or an answer the real client would abort on.
func TestClientResult(t *testing.T) {
	t.Parallel()
	ch := &wire.ClientHello{LegacyVersion: wire.VersionTLS12, CipherSuites: []uint16{0x1301, 0xc02f, 0x009e},
		SupportedVersions: []uint16{wire.VersionTLS13, wire.VersionTLS12}, SupportedGroups: []uint16{wire.GroupX25519, wire.GroupSecp256r1, wire.GroupFFDHE2048},
		KeyShares: []wire.KeyShare{{Group: wire.GroupX25519}}}
	sh13 := func(suite, group uint16, hrr bool) *wire.ServerHello {
		sh := &wire.ServerHello{LegacyVersion: wire.VersionTLS12, SelectedVersion: wire.VersionTLS13, CipherSuite: suite, IsHelloRetryRequest: hrr}
		if hrr {
			sh.SelectedGroup = group
		} else {
			sh.KeyShare = &wire.KeyShare{Group: group}
		}
		return sh
	}
	sh12 := &wire.ServerHello{LegacyVersion: wire.VersionTLS12, CipherSuite: 0xc02f}
	dhe := &wire.ServerHello{LegacyVersion: wire.VersionTLS12, CipherSuite: 0x009e}
	base := ClientResult{Client: "c", ClientVersion: "1"}
	for _, tc := range []struct {
		name string
		out  outcome
		want ClientResult
	}{
		{"TLS 1.3", outcome{kind: outHello, hello: sh13(0x1301, wire.GroupX25519, false)},
			ClientResult{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "x25519"}},
		{"HelloRetryRequest", outcome{kind: outHello, hello: sh13(0x1301, wire.GroupSecp256r1, true)},
			ClientResult{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "P-256", HelloRetryRequest: true}},
		{"ECDHE", outcome{kind: outHello, hello: sh12, ske: &wire.ServerKeyExchange{Group: wire.GroupSecp256r1}},
			ClientResult{Version: "TLS 1.2", CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Group: "P-256"}},
		{"DHE, own prime", outcome{kind: outHello, hello: dhe, ske: &wire.ServerKeyExchange{DHPrimeBits: 1024, DHPrime: []byte{0xff, 0xfb}}},
			ClientResult{Version: "TLS 1.2", CipherSuite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", DHBits: 1024}},
		{"no ServerKeyExchange read", outcome{kind: outHello, hello: sh12, err: errors.New("server sent a alert record")},
			ClientResult{Version: "TLS 1.2", CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Error: "server sent a alert record"}},
		{"alert", outcome{kind: outRefused, alert: &wire.Alert{Description: 40, DescriptionName: "handshake_failure"}},
			ClientResult{Refused: "handshake_failure alert"}},
		{"close", outcome{kind: outRefused, err: io.EOF}, ClientResult{Refused: "connection closed"}},
		{"timeout", outcome{kind: outInconclusive, err: errors.New("i/o timeout")}, ClientResult{Error: "i/o timeout"}},
		{"suite not offered", outcome{kind: outHello, hello: sh13(0x1302, wire.GroupX25519, false)},
			ClientResult{Version: "TLS 1.3", CipherSuite: "TLS_AES_256_GCM_SHA384", Group: "x25519",
				Error: "the server chose TLS_AES_256_GCM_SHA384, which the client did not offer"}},
		{"group not offered", outcome{kind: outHello, hello: sh13(0x1301, wire.GroupSecp384r1, false)},
			ClientResult{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "P-384",
				Error: "the server chose the group P-384, which the client did not offer"}},
		{"retry for a share sent", outcome{kind: outHello, hello: sh13(0x1301, wire.GroupX25519, true)},
			ClientResult{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "x25519", HelloRetryRequest: true,
				Error: "the server asked for a x25519 key share, which the client had sent"}},
	} {
		want := tc.want
		want.Client, want.ClientVersion = base.Client, base.ClientVersion
		if got := clientResult(base, ch, tc.out); got != want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, want)
		}
	}
}

// FuzzReplayHello: replaying any bytes as a stored hello never panics, and what it builds from a
// hello that parses parses, with the new name.
func FuzzReplayHello(f *testing.F) {
	for _, p := range loadProfiles() {
		if p.err == nil {
			f.Add(p.msg, "example.com")
		}
	}
	msg, _ := wire.MarshalClientHello(wire.ClientHelloSpec{CipherSuites: []uint16{0x1301}, ServerName: "a",
		ExtraExtensions: []wire.Extension{{Type: wire.ExtPadding, Data: make([]byte, 3)}}})
	f.Add(msg, "")
	f.Add([]byte{1, 0, 0, 0}, "x")
	random := make([]byte, 32)
	f.Fuzz(func(t *testing.T, msg []byte, name string) {
		if len(name) > 255 || strings.ContainsRune(name, 0) {
			return
		}
		got, err := replayHello(msg, name, random)
		if err != nil {
			return
		}
		ch, err := wire.ParseClientHello(got[4:])
		if err != nil {
			t.Fatalf("replay of %x for %q does not parse: %v", msg, name, err)
		}
		orig, _ := wire.ParseClientHello(msg[4:])
		had := slices.ContainsFunc(orig.Extensions, func(e wire.Extension) bool { return e.Type == wire.ExtServerName })
		if want := map[bool]string{true: name}[had]; ch.ServerName != want {
			t.Fatalf("replay of %x for %q names %q, want %q", msg, name, ch.ServerName, want)
		}
	})
}

// TestClientSimulationRefused: a TLS 1.3-only server with P-521 alone turns away the clients
// that do not offer P-521 (Chromium) with an alert, and asks those that offer it without a share
// (Go, OpenSSL) for one with a HelloRetryRequest.
func TestClientSimulationRefused(t *testing.T) {
	t.Parallel()
	_, _, ecPair := testCert(t, "ecdsa")
	l := goTLSServer(t, &tls.Config{Certificates: []tls.Certificate{ecPair}, MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.CurveP521}})
	got := simulate(t, l.Addr().(*net.TCPAddr).Port)
	for _, p := range loadProfiles() {
		t.Logf("%+v", got[p.Client])
	}
	if r := got["Chromium"]; r.Refused != "handshake_failure alert" || r.Version != "" {
		t.Errorf("Chromium: %+v, want a handshake_failure alert", r)
	}
	for _, c := range []string{"Go", "openssl s_client"} {
		if r := got[c]; r.Version != "TLS 1.3" || r.Group != "P-521" || !r.HelloRetryRequest || r.Error != "" {
			t.Errorf("%s: %+v, want a HelloRetryRequest for P-521", c, r)
		}
	}
}
