//go:build unix

package catrust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// newNSSDB makes an empty NSS database (no password) in dir, as Chromium does on first start.
func newNSSDB(t *testing.T, certutil, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if r := e2etest.Exec(t, "", "", nil, certutil, "-N", "-d", "sql:"+dir, "--empty-password"); r.Code != 0 {
		t.Fatalf("certutil -N -d sql:%s --empty-password: exit %d\n%s%s", dir, r.Code, r.Stdout, r.Stderr)
	}
}

// nssList is `certutil -L -d sql:DIR`.
func nssList(t *testing.T, certutil, dir string) string {
	t.Helper()
	r := e2etest.Exec(t, "", "", nil, certutil, "-L", "-d", "sql:"+dir)
	if r.Code != 0 {
		t.Fatalf("certutil -L -d sql:%s: exit %d\n%s%s", dir, r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// nssTrust is the trust column of a nickname in certutil -L's listing, and whether it is there.
func nssTrust(listing, nick string) (string, bool) {
	for _, line := range strings.Split(listing, "\n") {
		if rest, ok := strings.CutPrefix(line, nick+" "); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// page is what tlskit serve's page shows a TLS 1.3 client (tlscore/server/info.go).
const page = "<th>TLS version</th><td>TLS 1.3</td>"

// chromium loads url in a headless Chromium, with HOME (whose ~/.pki/nssdb it trusts) and a
// fresh profile, and returns the DOM it dumps and its stderr.
func chromium(t *testing.T, bin, home, url string) e2etest.Result {
	t.Helper()
	profile := t.TempDir()
	// As root Chromium refuses to start without --no-sandbox. Nothing it does may leave the
	// machine: no background networking, component updates, sync, QUIC or proxy.
	start := time.Now()
	r := probe(t, profile, clientEnv(home), 30*time.Second, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-proxy-server",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--dump-dom", url)
	t.Logf("chromium --dump-dom %s: exit %d in %v", url, r.Code, time.Since(start).Round(time.Millisecond))
	if r.Code != 0 {
		t.Fatalf("chromium --dump-dom %s: exit %d\nstderr:\n%s", url, r.Code, lastLines(r.Stderr, 20))
	}
	return r
}

// wantRefused checks that Chromium refused the page for its certificate's issuer.
func wantRefused(t *testing.T, when string, r e2etest.Result) {
	t.Helper()
	if strings.Contains(r.Stdout, page) {
		t.Errorf("%s: Chromium loaded the page (%q in its DOM), want it refused", when, page)
	}
	if !strings.Contains(r.Stderr, "ERR_CERT_AUTHORITY_INVALID") {
		t.Errorf("%s: Chromium did not say ERR_CERT_AUTHORITY_INVALID; stderr:\n%s", when, lastLines(r.Stderr, 20))
	}
}

// TestNSSStore installs the CA into ~/.pki/nssdb of a HOME of the test's own and has a real
// headless Chromium, which trusts that database on Linux, load tlskit serve's page: refused
// before, shown after install, refused again after uninstall. A second, corrupt database (a
// Firefox profile) fails on its own line while the good one is still done.
func TestNSSStore(t *testing.T) {
	t.Parallel()
	certutil := peertest.Need(t, "certutil")
	chrome := peertest.Need(t, "chromium")
	e := newEnv(t)
	ca := e.makeCA(t)
	nssdb := filepath.Join(e.home, ".pki", "nssdb")
	// A store named with --store that is not here fails the run: no NSS database in HOME.
	l := oneLine(t, "install with no NSS database", e.caJSON(t, ca, 1, "install", "--store", "nss", "--ca-dir", "ca"), "nss", "not_found")
	if !strings.Contains(l.Detail, e.home) || l.Hint == "" {
		t.Errorf("not_found line %s: want a detail naming HOME %s and a hint", l, e.home)
	}
	newNSSDB(t, certutil, nssdb)
	s := e.serve(t)
	url := s.At("localhost", "/")

	wantRefused(t, "before install", chromium(t, chrome, e.home, url))
	oneLine(t, "status before install", e.caJSON(t, ca, 3, "status", "--store", "nss", "--ca-dir", "ca"), "nss", "not_trusted")

	e.caText(t, ca, 0, "nss", "installed", nssdb+`: as "`+ca.nickname()+`"`, "install", "--store", "nss", "--ca-dir", "ca")
	if trust, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); !ok || trust != "C,," {
		t.Errorf("after install, certutil -L -d sql:%s: nickname %q has trust %q (listed %v), want C,,", nssdb, ca.nickname(), trust, ok)
	}
	if r := chromium(t, chrome, e.home, url); !strings.Contains(r.Stdout, page) {
		t.Errorf("after install, Chromium's DOM lacks %q:\n%s\nstderr:\n%s", page, lastLines(r.Stdout, 10), lastLines(r.Stderr, 20))
	}
	oneLine(t, "install again", e.caJSON(t, ca, 0, "install", "--store", "nss", "--ca-dir", "ca"), "nss", "already_installed")
	oneLine(t, "status after install", e.caJSON(t, ca, 0, "status", "--store", "nss", "--ca-dir", "ca"), "nss", "trusted")

	e.caText(t, ca, 0, "nss", "removed", nssdb, "uninstall", "--store", "nss", "--ca-dir", "ca")
	if _, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); ok {
		t.Errorf("after uninstall, certutil -L -d sql:%s still lists %q", nssdb, ca.nickname())
	}
	wantRefused(t, "after uninstall", chromium(t, chrome, e.home, url))
	oneLine(t, "status after uninstall", e.caJSON(t, ca, 3, "status", "--store", "nss", "--ca-dir", "ca"), "nss", "not_trusted")

	t.Run("corrupt database", func(t *testing.T) {
		profile := filepath.Join(e.home, ".mozilla", "firefox", "x.default")
		if err := os.MkdirAll(profile, 0o700); err != nil {
			t.Fatal(err)
		}
		garbage := []byte(strings.Repeat("not an SQLite database\n", 200))
		bad := filepath.Join(profile, "cert9.db")
		if err := os.WriteFile(bad, garbage, 0o600); err != nil {
			t.Fatal(err)
		}
		var twice []string
		twiceDetail := ""
		byDB := func(what string, lines []storeLine, good, broken string) {
			t.Helper()
			got := map[string]storeLine{}
			for _, l := range lines {
				if l.Store != "nss" {
					t.Errorf("%s: line of store %q: %s", what, l.Store, l)
				}
				got[l.Location] = l
			}
			if len(lines) != 2 || got[nssdb].Outcome != good || got[profile].Outcome != broken {
				t.Errorf("%s: want %s %s and %s %s, got:\n%s", what, nssdb, good, profile, broken, joinLines(lines))
			}
			if d := got[profile].Detail; !strings.Contains(d, "SEC_ERROR_BAD_DATABASE") {
				t.Errorf("%s: the corrupt database's detail %q does not say why (certutil: SEC_ERROR_BAD_DATABASE)", what, d)
			} else if strings.Contains(d, "certutil: certutil:") {
				twice = append(twice, what)
				twiceDetail = d
			}
		}
		byDB("install", e.caJSON(t, ca, 1, "install", "--store", "nss", "--ca-dir", "ca"), "installed", "failed")
		if _, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); !ok {
			t.Errorf("the good database %s lacks %q after an install that failed only for %s", nssdb, ca.nickname(), profile)
		}
		byDB("status", e.caJSON(t, ca, 1, "status", "--store", "nss", "--ca-dir", "ca"), "trusted", "failed")
		byDB("uninstall", e.caJSON(t, ca, 1, "uninstall", "--store", "nss", "--ca-dir", "ca"), "removed", "failed")
		if _, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); ok {
			t.Errorf("after uninstall, certutil -L -d sql:%s still lists %q", nssdb, ca.nickname())
		}
		sameBytes(t, "the corrupt database after install, status and uninstall", bad, garbage)
		// certutil's own message starts "certutil: function failed: ...": tlskit once put
		// "certutil: " before it again.
		if len(twice) > 0 {
			t.Errorf("%s: the corrupt database's detail names certutil twice: %q\nrepro: %s",
				strings.Join(twice, ", "), twiceDetail, e.repro([]string{"ca", "install", "--store", "nss", "--ca-dir", "ca", "-o", "json"})+
					"  (with a garbage "+bad+")")
		}
	})
}

// TestDefaultCA checks that install without --ca-dir makes the default CA under
// XDG_DATA_HOME once (with a note on stderr) and that status and uninstall use it but never
// make one.
func TestDefaultCA(t *testing.T) {
	t.Parallel()
	certutil := peertest.Need(t, "certutil")
	e := newEnv(t)
	nssdb := filepath.Join(e.home, ".pki", "nssdb")
	newNSSDB(t, certutil, nssdb)
	caDir := filepath.Join(e.xdg(), "tlskit", "ca")

	for _, action := range []string{"status", "uninstall"} {
		r := e.tlskit(t, 1, "ca", action, "--store", "nss")
		e2etest.MustContain(t, action+" with no default CA: stderr", r.Stderr, caDir)
		if e2etest.Exists(caDir, "ca.pem") {
			t.Fatalf("ca %s made the default CA in %s; only install may", action, caDir)
		}
	}

	r := e.tlskit(t, 0, "ca", "install", "--store", "nss")
	e2etest.MustContain(t, "first install: stderr", r.Stderr, "created the local CA", caDir)
	ca := readCA(t, filepath.Join(caDir, "ca.pem"))
	if trust, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); !ok || trust != "C,," {
		t.Errorf("after install, %s: %q has trust %q (listed %v), want C,,", nssdb, ca.nickname(), trust, ok)
	}
	r = e.tlskit(t, 0, "ca", "install", "--store", "nss")
	if strings.Contains(r.Stderr, "created") {
		t.Errorf("second install made a CA again: %s", r.Stderr)
	}
	oneLine(t, "second install", e.caJSON(t, ca, 0, "install", "--store", "nss"), "nss", "already_installed")
	oneLine(t, "status", e.caJSON(t, ca, 0, "status", "--store", "nss"), "nss", "trusted")
	oneLine(t, "uninstall", e.caJSON(t, ca, 0, "uninstall", "--store", "nss"), "nss", "removed")
	if _, ok := nssTrust(nssList(t, certutil, nssdb), ca.nickname()); ok {
		t.Errorf("after uninstall, %s still lists %q", nssdb, ca.nickname())
	}
}
