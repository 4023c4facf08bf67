//go:build unix

package catrust

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// The Debian system store's paths (certgen/truststore/system.go).
const (
	anchorDir  = "/usr/local/share/ca-certificates"
	certsDir   = "/etc/ssl/certs"
	bundleFile = "/etc/ssl/certs/ca-certificates.crt"
	javaMirror = "/etc/ssl/certs/java/cacerts" // filled from the anchors by ca-certificates-java
)

// systemTrustEnv, set to 1, runs TestSystemStore where peers are not required (a developer's
// machine, as root).
const systemTrustEnv = "TLSKIT_SYSTEM_TRUST_TESTS"

// systemState is what of the machine's trust the system store may change: the anchor
// directory (names, modes, link targets, contents), the names and link targets of
// /etc/ssl/certs, the fingerprints in the bundle, and the aliases (with fingerprints) of
// Debian's Java keystore.
type systemState map[string][]string

func snapshotSystem(t *testing.T, keytool string) systemState {
	t.Helper()
	st := systemState{}
	err := filepath.WalkDir(anchorDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		entry := p + " " + info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			entry += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			entry += " " + hex.EncodeToString(sum[:8])
		}
		st["anchors"] = append(st["anchors"], entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(certsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		entry := d.Name()
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(filepath.Join(certsDir, d.Name()))
			entry += " -> " + target
		}
		st["/etc/ssl/certs"] = append(st["/etc/ssl/certs"], entry)
	}
	data, err := os.ReadFile(bundleFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, der := range e2etest.PEMBlocks(data, "CERTIFICATE") {
		sum := sha256.Sum256(der)
		st["bundle"] = append(st["bundle"], hex.EncodeToString(sum[:]))
	}
	if keytool != "" {
		for alias, fp := range keystoreEntries(t, keytool, javaMirror) {
			st["java"] = append(st["java"], alias+" "+fp)
		}
	}
	for _, v := range st {
		sort.Strings(v)
	}
	return st
}

// diffSystem lists what differs between two snapshots.
func diffSystem(before, after systemState) []string {
	var diffs []string
	for _, part := range []string{"anchors", "/etc/ssl/certs", "bundle", "java"} {
		was, now := map[string]int{}, map[string]int{}
		for _, v := range before[part] {
			was[v]++
		}
		for _, v := range after[part] {
			now[v]++
		}
		for v, n := range now {
			if n > was[v] {
				diffs = append(diffs, fmt.Sprintf("%s: new %s", part, v))
			}
		}
		for v, n := range was {
			if n > now[v] {
				diffs = append(diffs, fmt.Sprintf("%s: gone %s", part, v))
			}
		}
	}
	sort.Strings(diffs)
	return diffs
}

// trustClient is a program that verifies servers against the system's default trust.
type trustClient struct {
	name  string
	bin   string
	args  func(port string) []string
	ok    func(r e2etest.Result) bool // it verified the server and got the page
	whyNo string                      // what it says when it does not trust the server
}

// textPage is the line of tlskit serve's plain-text page (what it shows a client that asks
// for neither HTML nor JSON, tlscore/server/info.go) that says the connection's version.
var textPage = regexp.MustCompile(`(?m)^version:\s+TLS 1\.3$`)

// pyClient fetches / over HTTPS with Python's default context (the system's trust, host name
// checked) through http.client, which reads no proxy settings.
const pyClient = `import http.client, ssl, sys
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ssl.create_default_context(), timeout=10)
try:
    c.request("GET", "/")
    body = c.getresponse().read().decode()
except ssl.SSLCertVerificationError as e:
    print("verify failed:", e.verify_message)
    sys.exit(3)
print(body)
`

func trustClients(t *testing.T) []trustClient {
	t.Helper()
	return []trustClient{
		{name: "curl", bin: peertest.Need(t, "curl"),
			args: func(port string) []string {
				return []string{"-sS", "--max-time", "10", "--noproxy", "*", "https://localhost:" + port + "/"}
			},
			ok:    func(r e2etest.Result) bool { return r.Code == 0 && textPage.MatchString(r.Stdout) },
			whyNo: "SSL certificate problem: unable to get local issuer certificate"},
		{name: "openssl s_client", bin: peertest.Need(t, "openssl"),
			args: func(port string) []string {
				return []string{"s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost",
					"-verify_return_error", "-verify_hostname", "localhost"}
			},
			ok: func(r e2etest.Result) bool {
				return r.Code == 0 && strings.Contains(r.Stdout, "Verify return code: 0 (ok)")
			},
			whyNo: "unable to get local issuer certificate"},
		{name: "python3 ssl.create_default_context", bin: peertest.Need(t, "python3"),
			args:  func(port string) []string { return []string{"-c", pyClient, port} },
			ok:    func(r e2etest.Result) bool { return r.Code == 0 && textPage.MatchString(r.Stdout) },
			whyNo: "verify failed: unable to get local issuer certificate"},
		// Go's crypto/x509 system roots, through tlskit itself.
		{name: "tlskit handshake (Go)", bin: e2etest.Binary(),
			args:  func(port string) []string { return []string{"handshake", "localhost:" + port, "--no-color"} },
			ok:    func(r e2etest.Result) bool { return r.Code == 0 },
			whyNo: "verification failed"},
	}
}

// checkClients has every client connect to the server and checks each verdict.
func checkClients(t *testing.T, when string, clients []trustClient, home, dir, port string, trusted bool) {
	t.Helper()
	for _, c := range clients {
		args := c.args(port)
		r := probe(t, dir, clientEnv(home), 20*time.Second, c.bin, args...)
		out := r.Stdout + r.Stderr
		repro := fmt.Sprintf("(env -u SSL_CERT_FILE -u SSL_CERT_DIR -u CURL_CA_BUNDLE %s %s)", c.bin, strings.Join(args, " "))
		switch {
		case trusted && !c.ok(r):
			t.Errorf("%s: %s did not trust the server (exit %d) %s\n%s", when, c.name, r.Code, repro, lastLines(out, 15))
		case !trusted && c.ok(r):
			t.Errorf("%s: %s trusted the server (exit 0), want it refused %s", when, c.name, repro)
		case !trusted && (r.Code == 0 || !strings.Contains(out, c.whyNo)):
			t.Errorf("%s: %s failed (exit %d) but not with %q %s\n%s", when, c.name, r.Code, c.whyNo, repro, lastLines(out, 15))
		}
	}
}

// TestSystemStore installs a CA into this machine's system trust (Debian's
// /usr/local/share/ca-certificates and update-ca-certificates) and has curl, OpenSSL, Python
// and Go, each with its default trust, connect to a tlskit serve whose certificate the CA
// issued: refused before, trusted after install, refused after uninstall. The machine's trust
// is then what it was: the anchor directory, /etc/ssl/certs, the bundle's certificates and
// Debian's Java keystore, all compared with a snapshot taken first. The uninstall and that
// comparison run in a cleanup, so a test that fails midway still leaves nothing behind.
func TestSystemStore(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 || (os.Getenv(peertest.RequireEnv) != "1" && os.Getenv(systemTrustEnv) != "1") {
		t.Skipf("changes this machine's system trust store (%s, update-ca-certificates, %s) and restores it: "+
			"runs only as root (euid is %d) with %s=1 or %s=1", anchorDir, javaMirror, os.Geteuid(), peertest.RequireEnv, systemTrustEnv)
	}
	peertest.Need(t, "update-ca-certificates")
	if st, err := os.Stat(anchorDir); err != nil || !st.IsDir() {
		t.Fatalf("update-ca-certificates is here but %s is not a directory (%v): not the Debian layout this test knows", anchorDir, err)
	}
	keytool := ""
	if _, err := os.Stat(javaMirror); err == nil {
		keytool = peertest.Need(t, "keytool")
	}
	clients := trustClients(t)
	lockMachineTrust(t)
	if keytool != "" {
		// TestJavaStore's copy of the JDK keystore is taken before this test changes it.
		if real, err := filepath.EvalSymlinks(keytool); err == nil {
			cacertsBeforeChanges(filepath.Join(filepath.Dir(filepath.Dir(real)), "lib", "security", "cacerts"))
		}
	}

	removeLeftovers(t)
	if keytool != "" {
		// On a fresh image whose ca-certificates was upgraded after ca-certificates-java built
		// the Java keystore, the keystore lags /etc/ssl/certs, and the first install's
		// update-ca-certificates brings it in step: dozens of roots new or gone, which the
		// comparisons would count against tlskit. Bring it in step first, as any package
		// update does (on a machine already in step this changes nothing).
		if r := e2etest.Exec(t, "", "", nil, "update-ca-certificates"); r.Code != 0 {
			t.Fatalf("update-ca-certificates before the snapshot: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	}
	e := newEnv(t)
	ca := e.makeCA(t)
	anchor := filepath.Join(anchorDir, "tlskit-"+ca.fp16()+".crt")
	mirrorAlias := "debian:tlskit-" + ca.fp16() + ".pem"
	before := snapshotSystem(t, keytool)
	t.Cleanup(func() { restoreSystem(t, e, ca, keytool, before) })

	s := e.serve(t)
	checkClients(t, "before install", clients, e.home, e.dir, s.Port, false)
	oneLine(t, "status before install", e.caJSON(t, ca, 3, "status", "--store", "system", "--ca-dir", "ca"), "system", "not_trusted")

	start := time.Now()
	e.caText(t, ca, 0, "system", "installed", anchor, "install", "--store", "system", "--ca-dir", "ca")
	t.Logf("ca install --store system took %v", time.Since(start).Round(time.Millisecond))
	if info, err := os.Stat(anchor); err != nil {
		t.Errorf("after install: %v", err)
	} else {
		if info.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", anchor, info.Mode().Perm())
		}
		if got := readCA(t, anchor); got.fp != ca.fp {
			t.Errorf("%s holds the certificate %s, want the CA's %s", anchor, got.fp, ca.fp)
		}
	}
	if keytool != "" {
		t.Logf("Debian's Java hook put the CA into %s as %q", javaMirror, aliasesOf(keystoreEntries(t, keytool, javaMirror), ca.colonFP()))
	}
	checkClients(t, "after install", clients, e.home, e.dir, s.Port, true)
	e.caText(t, ca, 0, "system", "trusted", bundleFile+": installed by tlskit as "+anchor, "status", "--store", "system", "--ca-dir", "ca")
	e.caText(t, ca, 0, "system", "already installed", anchor, "install", "--store", "system", "--ca-dir", "ca")

	start = time.Now()
	e.caText(t, ca, 0, "system", "removed", anchor, "uninstall", "--store", "system", "--ca-dir", "ca")
	t.Logf("ca uninstall --store system took %v", time.Since(start).Round(time.Millisecond))
	if e2etest.Exists(anchorDir, filepath.Base(anchor)) {
		t.Errorf("after uninstall %s is still there", anchor)
	}
	if keytool != "" {
		if got := aliasesOf(keystoreEntries(t, keytool, javaMirror), ca.colonFP()); len(got) > 0 {
			t.Errorf("after uninstall %s still holds the CA as %q (want %q deleted)", javaMirror, got, mirrorAlias)
		}
	}
	checkClients(t, "after uninstall", clients, e.home, e.dir, s.Port, false)
	oneLine(t, "status after uninstall", e.caJSON(t, ca, 3, "status", "--store", "system", "--ca-dir", "ca"), "system", "not_trusted")

	t.Run("tool fails half-way", func(t *testing.T) { toolFailsHalfWay(t, e, ca, keytool, before) })
	t.Run("not root", func(t *testing.T) { notRoot(t, e, ca, before, keytool) })
}

// toolFailsHalfWay: an update-ca-certificates that does its whole job (the bundle rebuilt,
// Debian's Java hook run) and then fails. tlskit must say so on the line, exit 1, and leave
// nothing behind: its anchor out again, the bundle and the Java keystore as before.
func toolFailsHalfWay(t *testing.T, e *env, ca caCert, keytool string, before systemState) {
	real := peertest.Need(t, "update-ca-certificates")
	bin := t.TempDir()
	once := filepath.Join(bin, "failed-once")
	script := fmt.Sprintf("#!/bin/sh\n%s \"$@\" >/dev/null 2>&1 || exit $?\n"+
		"if [ ! -e %s ]; then : > %s; echo 'E: the disk filled up while writing the bundle' >&2; exit 1; fi\n", real, once, once)
	if err := os.WriteFile(filepath.Join(bin, "update-ca-certificates"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	fe := *e
	fe.extra = append(append([]string{}, e.extra...), "PATH="+bin+":"+os.Getenv("PATH"))
	l := oneLine(t, "install with a tool that fails after its work", fe.caJSON(t, ca, 1, "install", "--store", "system", "--ca-dir", "ca"), "system", "failed")
	if !strings.Contains(l.Detail, "update-ca-certificates: E: the disk filled up while writing the bundle") {
		t.Errorf("detail %q does not say what the tool said", l.Detail)
	}
	if _, err := os.Stat(once); err != nil {
		t.Fatalf("the failing tool never ran (%v): tlskit did not take update-ca-certificates from PATH", err)
	}
	if diffs := diffSystem(before, snapshotSystem(t, keytool)); len(diffs) > 0 {
		t.Errorf("after the failed install the system trust differs from before (half installed):\n%s", strings.Join(diffs, "\n"))
	}
	oneLine(t, "status after the failed install", e.caJSON(t, ca, 3, "status", "--store", "system", "--ca-dir", "ca"), "system", "not_trusted")
}

// notRoot: as a user who may not change the system's trust (nobody), install fails on its
// line with the command to run, status still reads the bundle, and nothing changes.
func notRoot(t *testing.T, e *env, ca caCert, before systemState, keytool string) {
	runuser := peertest.Need(t, "runuser")
	// Everything nobody needs, readable by it: the binary, the CA's certificate, a HOME.
	shared, err := os.MkdirTemp("", "tlskit-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	bin := filepath.Join(shared, "tlskit")
	data, err := os.ReadFile(e2etest.Binary())
	if err != nil {
		t.Fatal(err)
	}
	caDir := filepath.Join(shared, "ca")
	home := filepath.Join(shared, "home")
	for _, d := range []string{shared, caDir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(caDir, "ca.pem"), e2etest.ReadFile(t, e.dir, "ca/ca.pem"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(want int, args ...string) []storeLine {
		t.Helper()
		argv := append([]string{"-u", "nobody", "--", "env", "HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, "xdg"), "NO_COLOR=1", bin}, args...)
		r := e2etest.Exec(t, shared, "", nil, runuser, argv...)
		if r.Code != want {
			t.Errorf("runuser %s: exit %d, want %d\n%s%s", strings.Join(argv, " "), r.Code, want, r.Stdout, r.Stderr)
		}
		return parseLines(t, r.Stdout)
	}
	l := oneLine(t, "install as nobody", run(1, "ca", "install", "--store", "system", "--ca-dir", caDir, "-o", "json"), "system", "failed")
	if !strings.Contains(l.Detail, "needs root") || !strings.Contains(l.Hint, "sudo tlskit ca install --store system") {
		t.Errorf("install as nobody: %s; want it to say root is needed, and the command", l)
	}
	oneLine(t, "status as nobody", run(3, "ca", "status", "--store", "system", "--ca-dir", caDir, "-o", "json"), "system", "not_trusted")
	// A CA directory nobody may not read (the test's own, 0700 and root's): one line, exit 1.
	argv := []string{"-u", "nobody", "--", "env", "HOME=" + home, "NO_COLOR=1", bin, "ca", "install", "--store", "system", "--ca-dir", filepath.Join(e.dir, "ca")}
	if r := e2etest.Exec(t, shared, "", nil, runuser, argv...); r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, "tlskit: cannot read the CA in ") || !strings.Contains(r.Stderr, "permission denied") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("install from an unreadable CA directory as nobody: exit %d, stdout %q, stderr %q; want exit 1 and one line saying permission denied", r.Code, r.Stdout, r.Stderr)
	}
	if diffs := diffSystem(before, snapshotSystem(t, keytool)); len(diffs) > 0 {
		t.Errorf("after install as nobody the system trust differs from before:\n%s", strings.Join(diffs, "\n"))
	}
}

// removeLeftovers fails the test, after taking them out, on anchors of this test's CAs that an
// earlier run left in the real store: a run killed by go test's timeout never ran its cleanup.
func removeLeftovers(t *testing.T) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(anchorDir, "tlskit-*.crt"))
	var left []string
	for _, m := range matches {
		if c := readCA(t, m); strings.Contains(c.subject, testCAName) {
			left = append(left, m)
			os.Remove(m)
		}
	}
	if len(left) == 0 {
		return
	}
	r := e2etest.Exec(t, "", "", nil, "update-ca-certificates", "--fresh")
	t.Fatalf("an earlier run left its CA in the system store (%s): removed, and update-ca-certificates --fresh exited %d; "+
		"Debian's Java keystore may still hold debian:tlskit-* entries of it", strings.Join(left, ", "), r.Code)
}

// restoreSystem is TestSystemStore's cleanup: tlskit's uninstall (a no-op when the test got
// that far), then by hand whatever it left, each leftover an error, then the comparison with
// the snapshot taken before.
func restoreSystem(t *testing.T, e *env, ca caCert, keytool string, before systemState) {
	t.Helper()
	e.tlskit(t, 0, "ca", "uninstall", "--store", "system", "--ca-dir", "ca")
	anchor := filepath.Join(anchorDir, "tlskit-"+ca.fp16()+".crt")
	if _, err := os.Lstat(anchor); err == nil {
		t.Errorf("cleanup: %s was left after tlskit ca uninstall; removing it and running update-ca-certificates --fresh", anchor)
		os.Remove(anchor)
		if r := e2etest.Exec(t, "", "", nil, "update-ca-certificates", "--fresh"); r.Code != 0 {
			t.Errorf("cleanup: update-ca-certificates --fresh: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	}
	after := snapshotSystem(t, keytool)
	alias := "debian:tlskit-" + ca.fp16() + ".pem"
	for _, entry := range after["java"] {
		if strings.HasPrefix(entry, alias+" ") {
			t.Errorf("cleanup: %s still holds %q after tlskit ca uninstall; deleting it", javaMirror, alias)
			e2etest.Exec(t, "", "", nil, keytool, "-delete", "-alias", alias, "-keystore", javaMirror, "-storepass", "changeit")
			after = snapshotSystem(t, keytool)
			break
		}
	}
	if diffs := diffSystem(before, after); len(diffs) > 0 {
		t.Errorf("after the test the system trust differs from before:\n%s", strings.Join(diffs, "\n"))
	}
}
