//go:build unix

// Package acme_test runs `tlskit acme issue` against Pebble, the ACME test server Let's
// Encrypt maintains, in -strict mode, with pebble-challtestsrv as its DNS server: both on
// 127.0.0.1, started per test, installed by .ci/run with go install at a pinned version.
package acme_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

func TestMain(m *testing.M) { e2etest.Main(m) }

// pebble is a running Pebble and its challenge test server.
type pebble struct {
	dir      string // the test's directory: pebble.pem (its TLS certificate), root.pem
	url      string // the ACME directory
	httpPort string // where Pebble's VA fetches http-01 answers
	tlsPort  string // where it makes tls-alpn-01 handshakes
	mgmt     string // Pebble's management interface (https)
	dns      string // pebble-challtestsrv's DNS server (HOST:PORT)
	ctsMgmt  string // its management interface (http), which sets TXT records
}

// startPebble starts pebble-challtestsrv (DNS on loopback, every name 127.0.0.1) and Pebble
// (-strict, no VA sleep) with a TLS certificate tlskit made, and fetches Pebble's root.
func startPebble(t *testing.T) *pebble { return startPebbleWith(t, pebbleConfig{}) }

// pebbleConfig changes Pebble's configuration from startPebble's.
type pebbleConfig struct {
	eabKeys map[string]string // External account binding required, with these MAC keys by KID
	env     []string          // e.g. PEBBLE_WFE_NONCEREJECT
}

func startPebbleWith(t *testing.T, pc pebbleConfig) *pebble {
	t.Helper()
	dir := t.TempDir()
	p := &pebble{dir: dir, httpPort: peertest.FreePort(t), tlsPort: peertest.FreePort(t)}
	ctsMgmt := peertest.FreePort(t)
	p.ctsMgmt = "http://127.0.0.1:" + ctsMgmt
	dns := peertest.Start(t, peertest.Program{
		Name: "pebble-challtestsrv",
		Args: func(port string) []string {
			return []string{"-dnsserver", "127.0.0.1:" + port, "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "",
				"-management", "127.0.0.1:" + ctsMgmt, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""}
		},
		Ready: func(port, out string) bool {
			return strings.Contains(out, "DNS server on 127.0.0.1:"+port) && strings.Contains(out, "management server on 127.0.0.1:"+ctsMgmt)
		},
	})
	e2etest.Tlskit(t, dir, "cert", "selfsign", "localhost", "127.0.0.1", "--out", "pebble.pem", "--key-out", "pebble-key.pem")
	mgmt := peertest.FreePort(t)
	srv := peertest.Start(t, peertest.Program{
		Name: "pebble", Dir: dir, Env: append([]string{"PEBBLE_VA_NOSLEEP=1"}, pc.env...),
		Args: func(port string) []string {
			cfg := map[string]any{"pebble": map[string]any{
				"listenAddress": "127.0.0.1:" + port, "managementListenAddress": "127.0.0.1:" + mgmt,
				"certificate": "pebble.pem", "privateKey": "pebble-key.pem",
				"httpPort": mustAtoi(t, p.httpPort), "tlsPort": mustAtoi(t, p.tlsPort),
				"externalAccountBindingRequired": pc.eabKeys != nil,
				"externalAccountMACKeys":         pc.eabKeys,
				// The polls' Retry-After: Pebble's defaults (3 s, 5 s) are most of a run's time.
				"retryAfter": map[string]any{"authz": 1, "order": 1},
				"profiles": map[string]any{
					"default":    map[string]any{"description": "default", "validityPeriod": 7776000},
					"shortlived": map[string]any{"description": "six days", "validityPeriod": 518400},
				},
			}}
			data, _ := json.Marshal(cfg)
			e2etest.WriteFile(t, dir, "pebble-config.json", string(data))
			return []string{"-strict", "-config", "pebble-config.json", "-dnsserver", dns.Addr()}
		},
		Ready: func(port, out string) bool { return strings.Contains(out, "Listening on: 127.0.0.1:"+port) },
	})
	p.url = "https://127.0.0.1:" + srv.Port + "/dir"
	p.dns = dns.Addr()
	p.mgmt = "https://127.0.0.1:" + mgmt
	e2etest.WriteFile(t, dir, "root.pem", string(p.get(t, "/roots/0")))
	return p
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// get fetches a path of Pebble's management interface.
func (p *pebble) get(t *testing.T, path string) []byte {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e2etest.ReadFile(t, p.dir, "pebble.pem"))
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	// Pebble says it listens once its ACME listener is up; its management listener starts
	// beside it, and may take a moment more.
	resp, err := c.Get(p.mgmt + path)
	for deadline := time.Now().Add(3 * time.Second); err != nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err = c.Get(p.mgmt + path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s%s: %s\n%s", p.mgmt, path, resp.Status, body)
	}
	return body
}

// acme runs `tlskit acme issue ARGS... --server <pebble> --server-ca pebble.pem` in dir, with
// XDG_DATA_HOME under dir (the accounts).
func (p *pebble) acme(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	args = append(append([]string{"acme", "issue"}, args...), "--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem"))
	return e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg")}, args...)
}

// TestIssueHTTP01 gets a certificate for two DNS names and an IP address with http-01
// answered by tlskit's own listener; the chain verifies with tlskit and openssl against
// Pebble's root, and tlskit serve serves it to curl. A second run reuses the account.
func TestIssueHTTP01(t *testing.T) {
	t.Parallel()
	peertest.Need(t, "curl")
	p := startPebble(t)
	dir := t.TempDir()
	out, errOut, code := p.acme(t, dir, "app.test", "www.app.test", "127.0.0.1", "--http-port", p.httpPort, "--agree-tos", "--email", "me@app.test", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, step := range []string{"tlskit: acme: account: created https://", "terms of service agreed", "tlskit: acme: order: ",
		"tlskit: acme: authorization: app.test: http-01", "tlskit: acme: challenge: www.app.test: http-01 valid",
		"tlskit: acme: authorization: 127.0.0.1: http-01", "tlskit: acme: finalize: ", "tlskit: acme: download: "} {
		e2etest.MustContain(t, "progress on stderr", errOut, step)
	}
	var s struct {
		Files []struct{ Path, Kind string } `json:"files"`
		SANs  []string                      `json:"sans"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("JSON summary: %v\n%s", err, out)
	}
	if len(s.Files) != 2 || strings.Join(s.SANs, " ") != "DNS:app.test DNS:www.app.test IP:127.0.0.1" {
		t.Errorf("summary files %v sans %v", s.Files, s.SANs)
	}
	if st, err := os.Stat(filepath.Join(dir, "app.test-key.pem")); err != nil {
		t.Errorf("key file: %v", err)
	} else if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v; want 0600", st.Mode().Perm())
	}
	chain := e2etest.PEMBlocks(e2etest.ReadFile(t, dir, "app.test.pem"), "CERTIFICATE")
	if len(chain) < 2 {
		t.Fatalf("app.test.pem holds %d certificates, want the leaf and Pebble's intermediate", len(chain))
	}
	var inter strings.Builder
	for _, der := range chain[1:] {
		inter.Write(e2etest.PEMCertificate(der))
	}
	e2etest.WriteFile(t, dir, "inter.pem", inter.String())
	root := filepath.Join(p.dir, "root.pem")
	if o := e2etest.OpenSSL(t, dir, "verify", "-CAfile", root, "-untrusted", "inter.pem", "-purpose", "sslserver", "-verify_hostname", "www.app.test", "app.test.pem"); !strings.Contains(o, "app.test.pem: OK") {
		t.Errorf("openssl verify: %s", o)
	}
	for _, host := range []string{"app.test", "www.app.test", "127.0.0.1"} {
		e2etest.Tlskit(t, dir, "verify", "app.test.pem", "--ca", root, "--host", host)
	}
	srv := e2etest.StartServe(t, dir, "--cert", "app.test.pem", "--key", "app.test-key.pem")
	r := e2etest.Exec(t, dir, "", nil, "curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", root,
		"--resolve", "app.test:"+srv.Port+":127.0.0.1", "https://app.test:"+srv.Port+"/")
	if r.Code != 0 || r.Stdout != "200" {
		t.Errorf("curl through the issued certificate: exit %d, %q %s", r.Code, r.Stdout, r.Stderr)
	}

	// Again, with a profile: the account is the one made above, the certificate six days long;
	// another --email cannot change it, and says so.
	_, errOut, code = p.acme(t, dir, "app.test", "--http-port", p.httpPort, "--profile", "shortlived", "--out", "short.pem", "--key-out", "short-key.pem", "--email", "other@app.test")
	if code != 0 || strings.Contains(errOut, "created") || !strings.Contains(errOut, "tlskit: acme: account: https://") ||
		!strings.Contains(errOut, "warning: acme: --email other@app.test ignored: the account https://") || !strings.Contains(errOut, "(with me@app.test)") {
		t.Errorf("second run: exit %d, want the account reused and --email's warning\n%s", code, errOut)
	}
	leaf := parseLeaf(t, e2etest.ReadFile(t, dir, "short.pem"))
	if days := leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24; days > 7 {
		t.Errorf("--profile shortlived: the certificate lasts %.1f days, want six", days)
	}

	// Revoked, by the account and by the certificate's own key: Pebble's management interface
	// then says so, with the reason.
	for _, tc := range []struct {
		cert   string
		args   []string
		reason int
	}{
		{"app.test.pem", []string{"--reason", "key-compromise"}, 1},
		{"short.pem", []string{"--key", "short-key.pem", "--reason", "superseded"}, 4},
	} {
		serial := fmt.Sprintf("%x", parseLeaf(t, e2etest.ReadFile(t, dir, tc.cert)).SerialNumber)
		if st := p.certStatus(t, serial); st.Status != "Valid" {
			t.Fatalf("%s before revoking: %+v", tc.cert, st)
		}
		args := append([]string{"acme", "revoke", tc.cert, "--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem")}, tc.args...)
		out, errOut, code := e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg")}, args...)
		if code != 0 || !strings.Contains(out, "revoked "+tc.cert+" (serial "+serial) {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		if st := p.certStatus(t, serial); st.Status != "Revoked" || st.Reason != tc.reason {
			t.Errorf("%s after tlskit acme revoke %v: Pebble says %+v, want Revoked with reason %d", tc.cert, tc.args, st, tc.reason)
		}
	}
	// No account and no key: nothing made, a hint.
	_, errOut, code = e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "other")}, "acme", "revoke", "app.test.pem",
		"--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem"))
	if code != 1 || !strings.Contains(errOut, "no account for this CA here") || !strings.Contains(errOut, "--key KEY_FILE") {
		t.Errorf("revoke with no account: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "other")); err == nil {
		t.Error("revoke with no account made one")
	}
}

// certStatus is what Pebble's management interface says of a certificate, by serial.
type certStatus struct {
	Status string
	Reason int
}

func (p *pebble) certStatus(t *testing.T, serial string) certStatus {
	t.Helper()
	var st certStatus
	if err := json.Unmarshal(p.get(t, "/cert-status-by-serial/"+serial), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func parseLeaf(t *testing.T, data []byte) *x509.Certificate {
	t.Helper()
	blocks := e2etest.PEMBlocks(data, "CERTIFICATE")
	if len(blocks) == 0 {
		t.Fatal("no certificate")
	}
	c, err := x509.ParseCertificate(blocks[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// webServer serves root over HTTP on 127.0.0.1:port, as a site's own web server would.
func webServer(t *testing.T, port, root string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(root)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// TestIssueWebroot: http-01 through the site's own web server: tlskit writes the answer under
// --webroot and takes it away after, directories it made included.
func TestIssueWebroot(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	site := filepath.Join(dir, "site")
	os.Mkdir(site, 0o755)
	e2etest.WriteFile(t, site, "index.html", "hello\n")
	webServer(t, p.httpPort, site)
	if out, errOut, code := p.acme(t, dir, "web.test", "--webroot", site, "--agree-tos"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	entries, _ := os.ReadDir(site)
	if len(entries) != 1 || entries[0].Name() != "index.html" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the webroot holds %v after the run, want only index.html (the token and .well-known taken away)", names)
	}
	parseLeaf(t, e2etest.ReadFile(t, dir, "web.test.pem"))
}

// TestIssueTLSALPN01: tls-alpn-01 answered by tlskit's own TLS listener, for a name and an IP
// address (whose validation names it in reverse-DNS form, RFC 8738).
func TestIssueTLSALPN01(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	out, errOut, code := p.acme(t, dir, "alpn.test", "127.0.0.1", "--challenge", "tls-alpn-01", "--tls-port", p.tlsPort, "--agree-tos")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	e2etest.MustContain(t, "progress", errOut, "tlskit: acme: challenge: alpn.test: tls-alpn-01 valid", "tlskit: acme: challenge: 127.0.0.1: tls-alpn-01 valid")
	e2etest.Tlskit(t, dir, "verify", "alpn.test.pem", "--ca", filepath.Join(p.dir, "root.pem"), "--host", "127.0.0.1")
}

// dnsHook is a --dns-hook that sets and clears the TXT record through pebble-challtestsrv's
// management interface (the DNS server Pebble asks), as a hook would at a DNS provider, and
// notes each run in log.
func (p *pebble) dnsHook(log string) string {
	return fmt.Sprintf(`echo "$TLSKIT_ACME_ACTION $TLSKIT_ACME_DOMAIN $TLSKIT_ACME_RECORD" >> %s; `+
		`if [ "$TLSKIT_ACME_ACTION" = add ]; then curl -sf -X POST -d "{\"host\":\"$TLSKIT_ACME_RECORD\",\"value\":\"$TLSKIT_ACME_VALUE\"}" %s/set-txt; `+
		`else curl -sf -X POST -d "{\"host\":\"$TLSKIT_ACME_RECORD\"}" %s/clear-txt; fi`, log, p.ctsMgmt, p.ctsMgmt)
}

// TestIssueDNS01: dns-01 through a hook, for a wildcard and its base name: the hook adds each
// record, tlskit waits until the DNS server shows it, and the hook removes each after.
func TestIssueDNS01(t *testing.T) {
	t.Parallel()
	peertest.Need(t, "curl")
	p := startPebble(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "hook.log")
	out, errOut, code := p.acme(t, dir, "dns.test", "*.dns.test", "--challenge", "dns-01", "--dns-hook", p.dnsHook(log),
		"--dns-resolver", p.dns, "--agree-tos", "--out", "wild.pem", "--key-out", "wild-key.pem")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	e2etest.MustContain(t, "progress", errOut, "tlskit: acme: dns-01: running the DNS hook: add _acme-challenge.dns.test. TXT",
		"tlskit: acme: dns-01: _acme-challenge.dns.test. is seen", "tlskit: acme: challenge: dns.test: dns-01 valid")
	runs := strings.Split(strings.TrimSpace(string(e2etest.ReadFile(t, dir, "hook.log"))), "\n")
	adds, removes := 0, 0
	for _, r := range runs {
		switch {
		case r == "add dns.test _acme-challenge.dns.test.":
			adds++
		case r == "remove dns.test _acme-challenge.dns.test.":
			removes++
		default:
			t.Errorf("hook run %q", r)
		}
	}
	if adds != 2 || removes != 2 {
		t.Errorf("hook runs %q: want two adds (the name and its wildcard share the record) and two removes", runs)
	}
	leaf := parseLeaf(t, e2etest.ReadFile(t, dir, "wild.pem"))
	if strings.Join(leaf.DNSNames, " ") != "*.dns.test dns.test" && strings.Join(leaf.DNSNames, " ") != "dns.test *.dns.test" {
		t.Errorf("names %v", leaf.DNSNames)
	}
	e2etest.Tlskit(t, dir, "verify", "wild.pem", "--ca", filepath.Join(p.dir, "root.pem"), "--host", "any.dns.test")
}

// post sends a JSON body to a path of Pebble's management interface.
func (p *pebble) post(t *testing.T, path string, body any) {
	t.Helper()
	data, _ := json.Marshal(body)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e2etest.ReadFile(t, p.dir, "pebble.pem"))
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	resp, err := c.Post(p.mgmt+path, "application/json", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s %s", path, resp.Status, b)
	}
}

// TestRenew: --if-due asks the CA's renewal information (ARI): a fresh certificate is not due
// (exit 0, nothing changed); once Pebble's window for it is in the past (set through its
// management interface) it is renewed, both files replaced; the new order names the one it
// replaces, which Pebble refuses to have replaced twice. A renewal that cannot run leaves the
// files alone.
func TestRenew(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	dir := t.TempDir()
	renew := func(args ...string) (string, int) {
		t.Helper()
		args = append(append([]string{"acme", "renew"}, args...), "--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem"), "--http-port", p.httpPort)
		_, errOut, code := e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg")}, args...)
		return errOut, code
	}
	if _, errOut, code := p.acme(t, dir, "renew.test", "--http-port", p.httpPort, "--agree-tos"); code != 0 {
		t.Fatalf("issue: exit %d\n%s", code, errOut)
	}
	oldCert, oldKey := e2etest.ReadFile(t, dir, "renew.test.pem"), e2etest.ReadFile(t, dir, "renew.test-key.pem")

	errOut, code := renew("renew.test.pem", "--if-due")
	if code != 0 || !strings.Contains(errOut, "tlskit: acme: renew.test.pem is not due for renewal until ") || !strings.Contains(errOut, "the CA's renewal window") {
		t.Errorf("--if-due on a fresh certificate: exit %d\n%s", code, errOut)
	}
	if string(e2etest.ReadFile(t, dir, "renew.test.pem")) != string(oldCert) {
		t.Error("--if-due changed the certificate although not due")
	}
	// For a script, one JSON document either way; and, asked from a machine with no account yet,
	// a renewal that is not due makes none.
	fresh := filepath.Join(dir, "fresh-xdg")
	out, errOut, code := e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + fresh}, "acme", "renew", "renew.test.pem", "--if-due", "-o", "json",
		"--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem"))
	var notDue struct {
		Renewed     *bool
		Certificate string
		DueFrom     string `json:"due_from"`
		Basis       string
	}
	if err := json.Unmarshal([]byte(out), &notDue); code != 0 || err != nil || notDue.Renewed == nil || *notDue.Renewed ||
		notDue.Certificate != "renew.test.pem" || notDue.Basis != "renewal_info" || notDue.DueFrom == "" {
		t.Errorf("--if-due -o json, not due: exit %d, %+v (%v)\n%s%s", code, notDue, err, out, errOut)
	}
	accountKeys := func(xdg string) []string {
		keys, _ := filepath.Glob(filepath.Join(xdg, "tlskit", "acme", "*", "account-key.pem"))
		return keys
	}
	if keys := accountKeys(fresh); len(keys) != 0 || len(accountKeys(filepath.Join(dir, "xdg"))) != 1 {
		t.Errorf("a renewal that was not due made an account key (%v), or issue's is not where it is looked for", keys)
	}

	p.post(t, "/set-renewal-info/", map[string]string{"Certificate": string(oldCert),
		"ARIResponse": `{"suggestedWindow": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}}`})
	errOut, code = renew("renew.test.pem", "--if-due")
	if code != 0 || !strings.Contains(errOut, "is due for renewal since 2020-01-01T00:00:00Z") {
		t.Fatalf("--if-due inside the window: exit %d\n%s", code, errOut)
	}
	newCert, newKey := e2etest.ReadFile(t, dir, "renew.test.pem"), e2etest.ReadFile(t, dir, "renew.test-key.pem")
	if string(newCert) == string(oldCert) || string(newKey) == string(oldKey) {
		t.Error("the renewal did not replace the certificate and its key")
	}
	if got := parseLeaf(t, newCert); strings.Join(got.DNSNames, " ") != "renew.test" {
		t.Errorf("renewed for %v", got.DNSNames)
	}
	e2etest.Tlskit(t, dir, "verify", "renew.test.pem", "--ca", filepath.Join(p.dir, "root.pem"), "--host", "renew.test")

	// The old certificate was named as replaced: Pebble refuses to have it replaced again
	// (which shows "replaces" arrived), and the renewal orders without naming it.
	e2etest.WriteFile(t, dir, "old.pem", string(oldCert))
	errOut, code = renew("old.pem", "--key-out", "old-key.pem")
	if code != 0 || !strings.Contains(errOut, "the CA says the certificate was already replaced; ordering without naming it") {
		t.Errorf("renewing the already-replaced certificate again: exit %d, want Pebble's alreadyReplaced and an order without it\n%s", code, errOut)
	}

	// A renewal that cannot run (its port taken) keeps both files.
	ln, err := net.Listen("tcp", ":"+p.httpPort)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if errOut, code := renew("renew.test.pem"); code != 1 {
		t.Errorf("renewal with the port taken: exit %d\n%s", code, errOut)
	}
	if string(e2etest.ReadFile(t, dir, "renew.test.pem")) != string(newCert) || string(e2etest.ReadFile(t, dir, "renew.test-key.pem")) != string(newKey) {
		t.Error("a failed renewal changed the files")
	}
}

// TestIssueEABBadNoncesCSR: a CA that requires external account binding refuses an account
// without one and takes one with --eab-kid/--eab-hmac-file; a fifth of the nonces it is sent
// are rejected as bad (PEBBLE_WFE_NONCEREJECT), and each request is retried; --csr finalizes with
// the user's own request, whose key tlskit never sees.
func TestIssueEABBadNoncesCSR(t *testing.T) {
	t.Parallel()
	const hmac = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
	p := startPebbleWith(t, pebbleConfig{eabKeys: map[string]string{"kid-1": hmac}, env: []string{"PEBBLE_WFE_NONCEREJECT=20"}})
	dir := t.TempDir()
	_, errOut, code := p.acme(t, dir, "eab.test", "--http-port", p.httpPort, "--agree-tos")
	if code != 1 || !strings.Contains(errOut, "externalAccountRequired") {
		t.Errorf("without EAB: exit %d, want the CA's externalAccountRequired\n%s", code, errOut)
	}
	e2etest.WriteFile(t, dir, "hmac", hmac+"\n")
	if out, errOut, code := p.acme(t, dir, "eab.test", "--http-port", p.httpPort, "--agree-tos", "--eab-kid", "kid-1", "--eab-hmac-file", "hmac"); code != 0 {
		t.Fatalf("with EAB and bad nonces: exit %d\n%s%s", code, out, errOut)
	}
	parseLeaf(t, e2etest.ReadFile(t, dir, "eab.test.pem"))

	e2etest.Tlskit(t, dir, "cert", "csr", "own.test", "www.own.test", "--out", "own.csr", "--key-out", "own-key.pem")
	keyBefore := e2etest.ReadFile(t, dir, "own-key.pem")
	out, errOut, code := p.acme(t, dir, "--csr", "own.csr", "--http-port", p.httpPort, "--out", "own.pem", "-o", "json")
	if code != 0 {
		t.Fatalf("--csr: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "-key.pem") || string(e2etest.ReadFile(t, dir, "own-key.pem")) != string(keyBefore) {
		t.Errorf("--csr wrote a key:\n%s", out)
	}
	leaf := parseLeaf(t, e2etest.ReadFile(t, dir, "own.pem"))
	if strings.Join(leaf.DNSNames, " ") != "own.test www.own.test" {
		t.Errorf("--csr: names %v, want the CSR's", leaf.DNSNames)
	}
	// The certificate is for the CSR's key: it and own-key.pem make a pair serve loads.
	e2etest.StartServe(t, dir, "--cert", "own.pem", "--key", "own-key.pem")
}

// postCTS sends a JSON body to pebble-challtestsrv's management interface.
func (p *pebble) postCTS(t *testing.T, path string, body any) {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(p.ctsMgmt+path, "application/json", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s%s: %s", p.ctsMgmt, path, resp.Status)
	}
}

// TestIssueFailures: what goes wrong says why on one line with what to do, exits 1 (2 for
// usage), and writes no file.
func TestIssueFailures(t *testing.T) {
	t.Parallel()
	p := startPebble(t)
	t.Run("terms not agreed", func(t *testing.T) {
		dir := t.TempDir()
		_, errOut, code := p.acme(t, dir, "terms.test", "--http-port", p.httpPort)
		if code != 1 || !strings.Contains(errOut, "tlskit: the CA requires agreeing to its terms of service: ") ||
			!strings.Contains(errOut, "tlskit: hint: read them, then run again with --agree-tos") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		noFiles(t, dir, "terms.test")
	})
	t.Run("authorization refused", func(t *testing.T) {
		// The answer written where the site's web server does not serve (a wrong --webroot):
		// Pebble's VA gets 404, and the authorization is invalid with its problem document.
		dir := t.TempDir()
		served, wrong := filepath.Join(dir, "served"), filepath.Join(dir, "wrong")
		os.Mkdir(served, 0o755)
		os.Mkdir(wrong, 0o755)
		webServer(t, p.httpPort, served)
		_, errOut, code := p.acme(t, dir, "refused.test", "--webroot", wrong, "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "tlskit: authorization for refused.test failed (http-01): unauthorized: ") ||
			!strings.Contains(errOut, "404") || !strings.Contains(errOut, "tlskit: hint: the CA could not see the answer") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		noFiles(t, dir, "refused.test")
		if entries, _ := os.ReadDir(wrong); len(entries) != 0 {
			t.Errorf("the webroot keeps %d entries after a failed run, want the token taken away", len(entries))
		}
	})
	t.Run("name pointed elsewhere", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("127.0.0.2 is a loopback address on Linux only")
		}
		// pebble-challtestsrv answers refused.test with 127.0.0.2, where nothing listens (tlskit
		// answers on 127.0.0.1 only): Pebble's VA cannot connect, and says so per identifier.
		dir := t.TempDir()
		p.postCTS(t, "/add-a", map[string]any{"host": "elsewhere.test.", "addresses": []string{"127.0.0.2"}})
		_, errOut, code := p.acme(t, dir, "elsewhere.test", "--http-port", p.httpPort, "--http-address", "127.0.0.1", "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "tlskit: authorization for elsewhere.test failed (http-01): connection: ") ||
			!strings.Contains(errOut, "127.0.0.2") || !strings.Contains(errOut, "tlskit: hint: the CA could not see the answer") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		noFiles(t, dir, "elsewhere.test")
	})
	t.Run("port in use", func(t *testing.T) {
		dir := t.TempDir()
		ln, err := net.Listen("tcp", ":"+p.httpPort)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		_, errOut, code := p.acme(t, dir, "busy.test", "--http-port", p.httpPort, "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "tlskit: listening on :"+p.httpPort+": ") || !strings.Contains(errOut, "--http-port") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		noFiles(t, dir, "busy.test")
		if _, err := os.Stat(filepath.Join(dir, "xdg")); err == nil {
			t.Errorf("an account was made although the run could not answer a challenge")
		}
	})
	t.Run("dns hook fails", func(t *testing.T) {
		dir := t.TempDir()
		log := filepath.Join(dir, "hook.log")
		hook := `echo "$TLSKIT_ACME_ACTION" >> ` + log + `; [ "$TLSKIT_ACME_ACTION" = remove ] || { echo "provider said no: bad API token" >&2; exit 3; }`
		_, errOut, code := p.acme(t, dir, "hookfail.test", "--challenge", "dns-01", "--dns-hook", hook, "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "the DNS hook (add) exit status 3: provider said no: bad API token") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		if got := strings.Fields(string(e2etest.ReadFile(t, dir, "hook.log"))); strings.Join(got, " ") != "add remove" {
			t.Errorf("hook runs %q, want add then remove (remove even after add failed)", got)
		}
		noFiles(t, dir, "hookfail.test")
	})
	t.Run("dns hook hangs", func(t *testing.T) {
		dir := t.TempDir()
		// The hook leaves a child behind (as a provider's CLI might): the timeout must kill the
		// whole process group, not only the shell.
		pidFile := filepath.Join(dir, "child.pid")
		hook := `if [ "$TLSKIT_ACME_ACTION" = add ]; then sleep 30 & echo $! > ` + pidFile + `; wait; fi`
		start := time.Now()
		_, errOut, code := p.acme(t, dir, "hang.test", "--challenge", "dns-01", "--dns-hook", hook, "--dns-hook-timeout", "300ms", "--agree-tos")
		if took := time.Since(start); code != 1 || !strings.Contains(errOut, "the DNS hook (add) did not finish within 300ms") || took > 5*time.Second {
			t.Errorf("exit %d after %v\n%s", code, took, errOut)
		}
		pid := strings.TrimSpace(string(e2etest.ReadFile(t, dir, "child.pid")))
		// Killed, it is gone once reaped, or a zombie until then (its parent, the shell, was
		// killed too, and init reaps it).
		alive := func() bool {
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			if err != nil {
				return false
			}
			f := strings.Fields(string(stat))
			return len(f) > 2 && f[2] != "Z"
		}
		for deadline := time.Now().Add(2 * time.Second); alive() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if alive() {
			t.Errorf("the hook's child %s outlived the hook's timeout", pid)
		}
	})
	t.Run("files exist", func(t *testing.T) {
		// Refused before the CA is asked, without --force.
		dir := t.TempDir()
		e2etest.WriteFile(t, dir, "taken.test.pem", "mine\n")
		_, errOut, code := p.acme(t, dir, "taken.test", "--http-port", p.httpPort, "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "tlskit: taken.test.pem exists") || strings.Contains(errOut, "acme: order") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		if got := string(e2etest.ReadFile(t, dir, "taken.test.pem")); got != "mine\n" {
			t.Errorf("the existing file became %q", got)
		}
	})
	t.Run("CA down", func(t *testing.T) {
		dir := t.TempDir()
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		down := ln.Addr().String()
		ln.Close()
		start := time.Now()
		_, errOut, code := e2etest.RunTlskit(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg")}, "acme", "issue", "down.test",
			"--server", "https://"+down+"/dir", "--http-port", peertest.FreePort(t), "--agree-tos")
		if code != 1 || !strings.Contains(errOut, "reading the ACME directory https://"+down+"/dir") || !strings.Contains(errOut, "connection refused") || time.Since(start) > 20*time.Second {
			t.Errorf("exit %d after %v\n%s", code, time.Since(start), errOut)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		// Ctrl-C while the DNS hook runs: exit 130, the hook's remove still run, no file.
		dir := t.TempDir()
		log := filepath.Join(dir, "hook.log")
		hook := `echo "$TLSKIT_ACME_ACTION" >> ` + log + `; [ "$TLSKIT_ACME_ACTION" = add ] && sleep 30; true`
		proc := e2etest.StartProcessEnv(t, dir, []string{"XDG_DATA_HOME=" + filepath.Join(dir, "xdg")}, "acme", "issue", "int.test",
			"--server", p.url, "--server-ca", filepath.Join(p.dir, "pebble.pem"), "--challenge", "dns-01", "--dns-hook", hook, "--agree-tos")
		defer proc.Stdout.Close()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if data, _ := os.ReadFile(log); strings.Contains(string(data), "add") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the hook never ran\n%s", proc.Stderr.String())
			}
		}
		proc.Cmd.Process.Signal(os.Interrupt)
		select {
		case <-proc.Exited:
		case <-time.After(10 * time.Second):
			proc.Cmd.Process.Kill()
			t.Fatalf("still running 10 s after SIGINT\n%s", proc.Stderr.String())
		}
		if proc.Code != 130 {
			t.Errorf("%s after SIGINT, want exit 130\n%s", proc.Status, proc.Stderr.String())
		}
		if got := strings.Fields(string(e2etest.ReadFile(t, dir, "hook.log"))); strings.Join(got, " ") != "add remove" {
			t.Errorf("hook runs %q, want add then remove: the record is taken away on Ctrl-C too", got)
		}
		noFiles(t, dir, "int.test")
	})
	t.Run("usage", func(t *testing.T) {
		dir := t.TempDir()
		for _, tc := range []struct {
			args []string
			says string
		}{
			{[]string{"x.test", "--challenge", "dns-01"}, "--challenge dns-01 needs --dns-hook CMD"},
			{[]string{"x.test", "--challenge", "tls-alpn-01", "--webroot", "."}, "--webroot is for http-01"},
			{[]string{"x.test", "--eab-kid", "k"}, "--eab-kid and --eab-hmac-file go together"},
			{[]string{"me@x.test"}, "not email addresses or URIs"},
			{[]string{}, "give the NAMEs to certify, or --csr FILE"},
			{[]string{"x.test", "--csr", "x.csr"}, "with --csr the names are the CSR's"},
		} {
			_, errOut, code := p.acme(t, dir, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.says) {
				t.Errorf("%v: exit %d\n%s", tc.args, code, errOut)
			}
		}
	})
}

func noFiles(t *testing.T, dir, name string) {
	t.Helper()
	for _, f := range []string{name + ".pem", name + "-key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written by a run that failed", f)
		}
	}
}
