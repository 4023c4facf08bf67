// Command captureclients records the ClientHello of each TLS client installed on this machine, as
// `tlskit serve` sees it, for the client simulation of `tlskit scan` (tlscore/scan/clientsim.go):
//
//	go run ./scripts/captureclients -out tlscore/scan/clients
//
// It builds tlskit (or runs -tlskit PATH), starts `tlskit serve --addr 127.0.0.1:0 -o json` (the
// info mode, with an ephemeral certificate), points each client at https://localhost:PORT/json
// on 127.0.0.1 with SNI "localhost", and reads the client_hello.raw that serve answered with: the
// handshake message the client sent. Each client's profile is written to OUT/NAME.json with the
// client's name, its version as the client reports it, the date, the command that was run, and
// the hello in hex. A client that is not installed is skipped with a message on stderr; one that
// is installed and fails makes the run fail (its old profile, if any, is left alone).
//
// Clients: curl, openssl s_client, gnutls-cli, Python's ssl module, Go's net/http (this program
// itself: the Go that runs it), headless Chromium, headless Firefox ESR (driven over Marionette,
// the only way to read a page back from it) and Java (a single-file source program with the
// JDK's default SSLContext). Nothing leaves 127.0.0.1: the browsers get fresh profiles, no
// background networking, and a dead proxy for every host but localhost.
//
// It is run by hand when the installed clients change, never by the tests: the profiles are
// test data and also what the scan replays.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Profile is one client's stored ClientHello (tlscore/scan/clients/*.json; clientsim.go reads the
// same keys).
type Profile struct {
	Client        string `json:"client"`
	ClientVersion string `json:"client_version"`
	// Reported is what the client printed when asked its version (the first line or lines).
	Reported string `json:"reported"`
	Captured string `json:"captured"` // date, YYYY-MM-DD (UTC)
	// Command is how the client was run against `tlskit serve` (PORT for the port).
	Command string `json:"command"`
	// ClientHello is the handshake message (4-byte header included), in hex.
	ClientHello string `json:"client_hello"`
}

// client is one client to capture: file is the profile's name (OUT/file.json), bin the command
// that must be installed, version asks it its version, fetch runs it against u
// (https://localhost:PORT/json) and returns what it received.
type client struct {
	name, file, bin string
	version         func(ctx context.Context) (short, reported string, err error)
	fetch           func(ctx context.Context, u *url.URL, tmp string) (body []byte, command string, err error)
}

const request = "GET /json HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n"

func main() {
	out := flag.String("out", "tlscore/scan/clients", "directory for the profiles")
	tlskit := flag.String("tlskit", "", "tlskit binary to run (default: go build the module in the current directory)")
	only := flag.String("only", "", "capture only these clients (comma-separated profile names: curl,openssl,...)")
	timeout := flag.Duration("timeout", 60*time.Second, "time each client has")
	flag.Parse()
	if err := run(*out, *tlskit, *only, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "captureclients:", err)
		os.Exit(1)
	}
}

func run(out, tlskit, only string, timeout time.Duration) error {
	tmp, err := os.MkdirTemp("", "captureclients-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if tlskit == "" {
		tlskit = filepath.Join(tmp, "tlskit")
		build := exec.Command("go", "build", "-o", tlskit, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building tlskit: %w", err)
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, stop, err := startServe(ctx, tlskit)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintln(os.Stderr, "tlskit serve at", u)

	var failed []string
	for _, c := range clients() {
		if only != "" && !strings.Contains(","+only+",", ","+c.file+",") {
			continue
		}
		if c.bin != "" {
			if _, err := exec.LookPath(c.bin); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %s is not installed: skipped\n", c.name, c.bin)
				continue
			}
		}
		p, err := capture(ctx, c, u, tmp, timeout)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", c.name, err)
			failed = append(failed, c.name)
			continue
		}
		var data bytes.Buffer
		enc := json.NewEncoder(&data)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		_ = enc.Encode(p)
		path := filepath.Join(out, c.file+".json")
		if err := os.WriteFile(path, data.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s %s: %d-byte ClientHello -> %s\n", p.Client, p.ClientVersion, len(p.ClientHello)/2, path)
	}
	if len(failed) > 0 {
		return fmt.Errorf("capture failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

// startServe runs `tlskit serve` on a free loopback port and returns its /json URL, with the name
// localhost.
func startServe(ctx context.Context, tlskit string) (*url.URL, func(), error) {
	cmd := exec.CommandContext(ctx, tlskit, "serve", "--addr", "127.0.0.1:0", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		stop()
		return nil, nil, errors.New("tlskit serve printed no listening line")
	}
	var ev struct{ Event, URL string }
	if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Event != "listening" {
		stop()
		return nil, nil, fmt.Errorf("tlskit serve's first line %q is not its listening line", sc.Text())
	}
	go func() { // its log lines, one per connection and request
		for sc.Scan() {
		}
	}()
	lu, err := url.Parse(ev.URL)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &url.URL{Scheme: "https", Host: "localhost:" + lu.Port(), Path: "/json"}, stop, nil
}

func capture(ctx context.Context, c client, u *url.URL, tmp string, timeout time.Duration) (*Profile, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	short, reported, err := c.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking its version: %w", err)
	}
	dir, err := os.MkdirTemp(tmp, c.file+"-")
	if err != nil {
		return nil, err
	}
	body, command, err := c.fetch(ctx, u, dir)
	if err != nil {
		return nil, err
	}
	raw, err := helloFrom(body)
	if err != nil {
		return nil, err
	}
	return &Profile{
		Client: c.name, ClientVersion: short, Reported: reported,
		Captured: time.Now().UTC().Format(time.DateOnly),
		Command:  strings.NewReplacer(u.Port(), "PORT", dir, "TMP").Replace(command), ClientHello: raw,
	}, nil
}

// helloFrom finds serve's /json document in what a client received (an HTTP response, a
// browser's page source with the JSON in a <pre>) and returns its client_hello.raw.
func helloFrom(body []byte) (string, error) {
	i := bytes.Index(body, []byte(`{`))
	for ; i >= 0; i = nextBrace(body, i) {
		var doc struct {
			ClientHello struct {
				Raw string `json:"raw"`
			} `json:"client_hello"`
		}
		dec := json.NewDecoder(bytes.NewReader(body[i:]))
		if err := dec.Decode(&doc); err == nil && doc.ClientHello.Raw != "" {
			if _, err := hex.DecodeString(doc.ClientHello.Raw); err != nil {
				return "", fmt.Errorf("client_hello.raw is not hex: %w", err)
			}
			return doc.ClientHello.Raw, nil
		}
	}
	if len(body) > 300 {
		body = body[:300]
	}
	return "", fmt.Errorf("no client_hello.raw in what the client received: %q", body)
}

func nextBrace(b []byte, i int) int {
	j := bytes.Index(b[i+1:], []byte(`{`))
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// output runs a command and returns its stdout (and stderr, for the version commands that print
// there).
func output(ctx context.Context, stdin string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil && out.Len() == 0 {
		return nil, fmt.Errorf("%s: %w: %s", name, err, firstLine(errb.String()))
	}
	return append(out.Bytes(), errb.Bytes()...), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// versionOf runs a version command and picks the short version with re (its first group) from
// its first line.
func versionOf(re string, name string, args ...string) func(ctx context.Context) (string, string, error) {
	return func(ctx context.Context) (string, string, error) {
		out, err := output(ctx, "", name, args...)
		if err != nil {
			return "", "", err
		}
		line := firstLine(string(out))
		m := regexp.MustCompile(re).FindStringSubmatch(line)
		if m == nil {
			return "", "", fmt.Errorf("no version in %q", line)
		}
		return strings.Join(m[1:], " "), line, nil
	}
}

func clients() []client {
	return []client{
		{name: "curl", file: "curl", bin: "curl",
			version: versionOf(`^curl (\S+) .*?((?:OpenSSL|GnuTLS|LibreSSL|BoringSSL|wolfSSL|NSS)/\S+)`, "curl", "--version"),
			fetch: func(ctx context.Context, u *url.URL, _ string) ([]byte, string, error) {
				args := []string{"-sk", "--max-time", "20", "--resolve", "localhost:" + u.Port() + ":127.0.0.1", u.String()}
				b, err := output(ctx, "", "curl", args...)
				return b, "curl " + strings.Join(args, " "), err
			}},
		{name: "openssl s_client", file: "openssl", bin: "openssl",
			version: versionOf(`^OpenSSL (\S+)`, "openssl", "version"),
			fetch: func(ctx context.Context, u *url.URL, _ string) ([]byte, string, error) {
				args := []string{"s_client", "-connect", "127.0.0.1:" + u.Port(), "-servername", "localhost", "-quiet", "-ign_eof"}
				b, err := output(ctx, request, "openssl", args...)
				return b, "openssl " + strings.Join(args, " "), err
			}},
		{name: "gnutls-cli", file: "gnutls", bin: "gnutls-cli",
			version: versionOf(`^gnutls-cli (\S+)`, "gnutls-cli", "--version"),
			fetch: func(ctx context.Context, u *url.URL, _ string) ([]byte, string, error) {
				args := []string{"--insecure", "--sni-hostname=localhost", "-p", u.Port(), "127.0.0.1"}
				b, err := output(ctx, request, "gnutls-cli", args...)
				return b, "gnutls-cli " + strings.Join(args, " "), err
			}},
		{name: "Python", file: "python", bin: "python3",
			version: func(ctx context.Context) (string, string, error) {
				out, err := output(ctx, "", "python3", "-c", "import ssl, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION.split()[1]); print(sys.version.replace(chr(10), ' ')); print(ssl.OPENSSL_VERSION)")
				if err != nil {
					return "", "", err
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) != 3 {
					return "", "", fmt.Errorf("unexpected %q", out)
				}
				f := strings.Fields(lines[0])
				return f[0] + " ssl " + f[1], "Python " + lines[1] + "; ssl " + lines[2], nil
			},
			fetch: func(ctx context.Context, u *url.URL, _ string) ([]byte, string, error) {
				b, err := output(ctx, "", "python3", "-c", PythonClient, u.Port())
				return b, "python3 -c '<PythonClient, scripts/captureclients>' PORT", err
			}},
		{name: "Go", file: "go", bin: "",
			version: func(ctx context.Context) (string, string, error) {
				return strings.TrimPrefix(runtime.Version(), "go"), "go version " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + " (net/http, GODEBUG defaults of module go " + moduleGo() + ")", nil
			},
			fetch: func(ctx context.Context, u *url.URL, _ string) ([]byte, string, error) {
				tr := http.DefaultTransport.(*http.Transport).Clone()
				tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
				tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, "tcp", "127.0.0.1:"+u.Port())
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
				if err != nil {
					return nil, "", err
				}
				resp, err := (&http.Client{Transport: tr}).Do(req)
				if err != nil {
					return nil, "", err
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return b, "net/http Client, Transport cloned from DefaultTransport, InsecureSkipVerify", err
			}},
		{name: "Chromium", file: "chromium", bin: "chromium",
			version: versionOf(`^Chromium (\S+)`, "chromium", "--version"),
			fetch: func(ctx context.Context, u *url.URL, tmp string) ([]byte, string, error) {
				args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
					"--disable-component-update", "--disable-sync", "--no-default-browser-check", "--no-first-run",
					"--ignore-certificate-errors", "--user-data-dir=" + tmp,
					// Every host but localhost goes to a dead proxy, and resolves to nothing.
					"--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
					"--dump-dom", u.String()}
				b, err := output(ctx, "", "chromium", args...)
				return b, "chromium " + strings.Join(args, " "), err
			}},
		{name: "Firefox ESR", file: "firefox", bin: "firefox-esr",
			version: versionOf(`^Mozilla Firefox (\S+)`, "firefox-esr", "--version"),
			fetch:   fetchFirefox},
		{name: "Java", file: "java", bin: "java",
			version: func(ctx context.Context) (string, string, error) {
				out, err := output(ctx, "", "java", "-version")
				if err != nil {
					return "", "", err
				}
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				m := regexp.MustCompile(`version "([^"]+)"`).FindStringSubmatch(lines[0])
				if m == nil || len(lines) < 2 {
					return "", "", fmt.Errorf("no version in %q", out)
				}
				return m[1], strings.TrimSpace(lines[0]) + "; " + strings.TrimSpace(lines[1]), nil
			},
			fetch: func(ctx context.Context, u *url.URL, tmp string) ([]byte, string, error) {
				src := filepath.Join(tmp, "Client.java")
				if err := os.WriteFile(src, []byte(JavaClient), 0o644); err != nil {
					return nil, "", err
				}
				b, err := output(ctx, "", "java", src, u.Port())
				return b, "java Client.java PORT (JavaClient, scripts/captureclients)", err
			}},
	}
}

// moduleGo is the go directive of the module (the GODEBUG defaults crypto/tls follows).
func moduleGo() string {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		return "?"
	}
	m := regexp.MustCompile(`(?m)^go (\S+)`).FindSubmatch(data)
	if m == nil {
		return "?"
	}
	return string(m[1])
}

// PythonClient is Python's ssl module with its default context (verification off): the client
// of a Python program that uses ssl.create_default_context().
const PythonClient = `import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20), server_hostname="localhost")
s.sendall(b"GET /json HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode("utf-8", "replace"))
`

// JavaClient is the JDK's default SSLContext ("TLS") with a trust-everything trust manager. SNI
// is set by hand: the JDK sends none for a name without a dot, such as localhost.
const JavaClient = `import javax.net.ssl.*;
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
            s.setSoTimeout(20000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("localhost")));
            s.setSSLParameters(p);
            OutputStream o = s.getOutputStream();
            o.write("GET /json HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes("US-ASCII"));
            o.flush();
            s.getInputStream().transferTo(System.out);
        }
    }
}
`

// firefoxPrefs keep a headless Firefox on the machine: no updates, telemetry, safe browsing,
// captive-portal or connectivity checks, prefetching or remote settings, and a dead proxy for
// every host but localhost; the JSON viewer is off, so the page source is the JSON itself.
var firefoxPrefs = map[string]any{
	"app.update.enabled": false, "app.update.auto": false, "app.normandy.enabled": false,
	"datareporting.healthreport.uploadEnabled": false, "datareporting.policy.dataSubmissionEnabled": false,
	"toolkit.telemetry.enabled": false, "toolkit.telemetry.unified": false, "toolkit.telemetry.server": "",
	"browser.safebrowsing.malware.enabled": false, "browser.safebrowsing.phishing.enabled": false,
	"browser.safebrowsing.downloads.enabled": false, "browser.safebrowsing.provider.mozilla.updateURL": "",
	"network.captive-portal-service.enabled": false, "network.connectivity-service.enabled": false,
	"network.dns.disablePrefetch": true, "network.prefetch-next": false, "network.http.speculative-parallel-limit": 0,
	"extensions.update.enabled": false, "extensions.getAddons.cache.enabled": false, "services.settings.server": "",
	"browser.startup.page": 0, "browser.startup.homepage": "about:blank", "browser.newtabpage.enabled": false,
	"browser.shell.checkDefaultBrowser": false, "browser.aboutwelcome.enabled": false,
	"devtools.jsonview.enabled": false, "network.trr.mode": 5,
	"network.proxy.type": 1, "network.proxy.http": "127.0.0.1", "network.proxy.http_port": 9,
	"network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": 9, "network.proxy.no_proxies_on": "localhost, 127.0.0.1",
	"network.proxy.allow_hijacking_localhost": false,
}

// fetchFirefox starts a headless Firefox ESR with a fresh profile and Marionette on a free port,
// and over Marionette opens a session that accepts the ephemeral certificate, loads u and reads
// the page source back.
func fetchFirefox(ctx context.Context, u *url.URL, tmp string) ([]byte, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	var prefs strings.Builder
	prefs.WriteString(fmt.Sprintf("user_pref(%q, %d);\n", "marionette.port", port))
	for k, v := range firefoxPrefs {
		val, _ := json.Marshal(v)
		prefs.WriteString(fmt.Sprintf("user_pref(%q, %s);\n", k, val))
	}
	if err := os.WriteFile(filepath.Join(tmp, "user.js"), []byte(prefs.String()), 0o644); err != nil {
		return nil, "", err
	}
	args := []string{"--headless", "--marionette", "--no-remote", "--profile", tmp, "about:blank"}
	cmd := exec.CommandContext(ctx, "firefox-esr", args...)
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1", "MOZ_DISABLE_AUTO_SAFE_MODE=1")
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &errb, &errb
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	command := "firefox-esr " + strings.Join(args, " ") + " (fresh profile, user.js in scripts/captureclients; Marionette: WebDriver:Navigate, WebDriver:GetPageSource)"

	var conn net.Conn
	for {
		conn, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, "", fmt.Errorf("Marionette never listened: %w: %s", ctx.Err(), firstLine(errb.String()))
		case <-time.After(200 * time.Millisecond):
		}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	m := &marionette{r: bufio.NewReader(conn), w: conn}
	if _, err := m.read(); err != nil { // the greeting
		return nil, "", fmt.Errorf("Marionette greeting: %w", err)
	}
	if _, err := m.call("WebDriver:NewSession", map[string]any{"acceptInsecureCerts": true}); err != nil {
		return nil, "", err
	}
	if _, err := m.call("WebDriver:Navigate", map[string]any{"url": u.String()}); err != nil {
		return nil, "", err
	}
	res, err := m.call("WebDriver:GetPageSource", map[string]any{})
	if err != nil {
		return nil, "", err
	}
	var src struct{ Value string }
	if err := json.Unmarshal(res, &src); err != nil {
		return nil, "", fmt.Errorf("GetPageSource: %w", err)
	}
	_, _ = m.call("Marionette:Quit", map[string]any{"flags": []string{"eForceQuit"}})
	return []byte(src.Value), command, nil
}

// marionette speaks Firefox's remote protocol: "LEN:JSON" frames, commands [0, id, name, params]
// answered by [1, id, error, result].
type marionette struct {
	r  *bufio.Reader
	w  io.Writer
	id int
}

func (m *marionette) read() ([]byte, error) {
	n, err := m.r.ReadString(':')
	if err != nil {
		return nil, err
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
	if err != nil || size < 0 || size > 64<<20 {
		return nil, fmt.Errorf("bad frame length %q", n)
	}
	b := make([]byte, size)
	_, err = io.ReadFull(m.r, b)
	return b, err
}

func (m *marionette) call(name string, params any) (json.RawMessage, error) {
	m.id++
	msg, _ := json.Marshal([]any{0, m.id, name, params})
	if _, err := fmt.Fprintf(m.w, "%d:%s", len(msg), msg); err != nil {
		return nil, err
	}
	for {
		b, err := m.read()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var resp []json.RawMessage
		if err := json.Unmarshal(b, &resp); err != nil || len(resp) != 4 {
			return nil, fmt.Errorf("%s: unexpected answer %q", name, b)
		}
		var id int
		_ = json.Unmarshal(resp[1], &id)
		if id != m.id {
			continue
		}
		if string(resp[2]) != "null" {
			return nil, fmt.Errorf("%s: %s", name, resp[2])
		}
		return resp[3], nil
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
