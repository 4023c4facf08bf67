//go:build unix

package catrust

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tlskit/tlskit/cmd/internal/e2etest"
	"github.com/tlskit/tlskit/tlscore/peertest"
)

// keystoreEntries lists a keystore with `keytool -list -v` and maps each alias to its
// certificate's SHA-256 fingerprint as keytool prints it (AA:BB:...).
func keystoreEntries(t *testing.T, keytool, keystore string) map[string]string {
	t.Helper()
	// The JVM's quick compiler and serial collector cut a listing's CPU by half (0.85 to 0.46 s
	// user, measured); the output is the same.
	r := e2etest.Exec(t, "", "", nil, keytool, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC",
		"-list", "-v", "-keystore", keystore, "-storepass", "changeit")
	if r.Code != 0 {
		t.Fatalf("keytool -list -v -keystore %s -storepass changeit: exit %d\n%s%s", keystore, r.Code, lastLines(r.Stdout, 5), r.Stderr)
	}
	m := map[string]string{}
	alias := ""
	for _, line := range strings.Split(r.Stdout, "\n") {
		line = strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(line, "Alias name: "); ok {
			alias = a
			continue
		}
		if fp, ok := strings.CutPrefix(line, "SHA256: "); ok && alias != "" {
			if _, seen := m[alias]; !seen {
				m[alias] = fp
			}
		}
	}
	if len(m) == 0 {
		t.Fatalf("keytool -list -v -keystore %s: no entries read from:\n%s", keystore, lastLines(r.Stdout, 20))
	}
	return m
}

// aliasesOf are the aliases holding a fingerprint, sorted.
func aliasesOf(entries map[string]string, colonFP string) []string {
	var out []string
	for a, fp := range entries {
		if fp == colonFP {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// cacertsCopy is the real JDK keystore's bytes, read once, before TestSystemStore changes it:
// that test reads it too (through cacertsBeforeChanges) holding the machine's trust, before its
// first change, and sync.Once makes a concurrent caller wait for the one read.
var cacertsCopy struct {
	once sync.Once
	data []byte
	err  error
}

func cacertsBeforeChanges(path string) ([]byte, error) {
	cacertsCopy.once.Do(func() { cacertsCopy.data, cacertsCopy.err = os.ReadFile(path) })
	return cacertsCopy.data, cacertsCopy.err
}

// realJDK finds keytool on PATH and the JDK it belongs to (its links resolved): the keytool
// binary itself and the JDK's cacerts (itself a link on Debian, into /etc/ssl/certs/java).
func realJDK(t *testing.T) (keytool, cacerts string) {
	t.Helper()
	onPath := peertest.Need(t, "keytool")
	keytool, err := filepath.EvalSymlinks(onPath)
	if err != nil {
		t.Fatal(err)
	}
	cacerts = filepath.Join(filepath.Dir(filepath.Dir(keytool)), "lib", "security", "cacerts")
	if _, err := os.Stat(cacerts); err != nil {
		t.Fatalf("keytool %s (%s) has no cacerts at %s: %v", onPath, keytool, cacerts, err)
	}
	return keytool, cacerts
}

// fakeJDK is a JAVA_HOME of the test's own: bin/keytool a link to the real keytool and, when
// cacerts is given, lib/security/cacerts a copy of it (mode 0644).
func fakeJDK(t *testing.T, keytool string, cacerts []byte) (home, keystore string) {
	t.Helper()
	home = t.TempDir()
	keystore = filepath.Join(home, "lib", "security", "cacerts")
	for _, d := range []string{filepath.Join(home, "bin"), filepath.Dir(keystore)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(keytool, filepath.Join(home, "bin", "keytool")); err != nil {
		t.Fatal(err)
	}
	if cacerts != nil {
		if err := os.WriteFile(keystore, cacerts, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home, keystore
}

// TestJavaStore installs the CA into a copy of the JDK's cacerts (JAVA_HOME a directory of the
// test's own whose bin/keytool is the real one), reads it back with keytool by fingerprint,
// removes it, and checks what a bad keystore and a JDK without cacerts do. The real cacerts
// is never touched.
func TestJavaStore(t *testing.T) {
	t.Parallel()
	keytool, realCacerts := realJDK(t)
	// Copied as it was before TestSystemStore changes anything (which rewrites it through
	// Debian's hook and checks it is as before when it is done), so this test need not wait
	// for that one: it never names the real keystore, only JAVA_HOME's copy.
	realBytes, err := cacertsBeforeChanges(realCacerts)
	if err != nil {
		t.Fatal(err)
	}

	e := newEnv(t)
	ca := e.makeCA(t)
	javaHome, keystore := fakeJDK(t, keytool, realBytes)
	e.extra = []string{"JAVA_HOME=" + javaHome}
	before := keystoreEntries(t, keytool, keystore)
	alias := "tlskit-" + ca.fp16()
	javaLine := func(what string, lines []storeLine, outcome string) storeLine {
		t.Helper()
		l := oneLine(t, what, lines, "java", outcome)
		if l.Location != keystore {
			t.Errorf("%s: location %q, want the keystore of JAVA_HOME %q", what, l.Location, keystore)
		}
		return l
	}

	// (status before install is the same verdict as status after uninstall, below: each run
	// here is a JVM or two, so each verdict is asked once.)
	e.caText(t, ca, 0, "java", "installed", keystore+`: as alias "`+alias+`"`, "install", "--store", "java", "--ca-dir", "ca")
	after := keystoreEntries(t, keytool, keystore)
	if got := aliasesOf(after, ca.colonFP()); len(got) != 1 || got[0] != alias {
		t.Errorf("after install, keytool -list -v -keystore %s shows the CA's SHA-256 %s under %q, want under %q only",
			keystore, ca.colonFP(), got, alias)
	}
	if len(after) != len(before)+1 {
		t.Errorf("after install the keystore has %d entries, want %d (the %d before and tlskit's)", len(after), len(before)+1, len(before))
	}

	javaLine("install again", e.caJSON(t, ca, 0, "install", "--store", "java", "--ca-dir", "ca"), "already_installed")
	l := javaLine("status after install", e.caJSON(t, ca, 0, "status", "--store", "java", "--ca-dir", "ca"), "trusted")
	e2etest.MustContain(t, "status after install: detail", l.Detail, alias)

	e.caText(t, ca, 0, "java", "removed", keystore, "uninstall", "--store", "java", "--ca-dir", "ca")
	gone := keystoreEntries(t, keytool, keystore)
	if got := aliasesOf(gone, ca.colonFP()); len(got) != 0 {
		t.Errorf("after uninstall, keytool still shows the CA's SHA-256 under %q", got)
	}
	if strings.Join(sortedKeys(gone), ",") != strings.Join(sortedKeys(before), ",") {
		t.Errorf("after uninstall the keystore's aliases differ from before: %d entries, %d before", len(gone), len(before))
	}
	javaLine("status after uninstall", e.caJSON(t, ca, 3, "status", "--store", "java", "--ca-dir", "ca"), "not_trusted")
	javaLine("uninstall again", e.caJSON(t, ca, 0, "uninstall", "--store", "java", "--ca-dir", "ca"), "not_installed")

	t.Run("garbage keystore", func(t *testing.T) {
		// Root may write any file whatever its mode, so a read-only keystore proves nothing
		// here; a keystore keytool cannot read is a failure root meets too.
		garbage := []byte("this is not a keystore\n")
		if err := os.WriteFile(keystore, garbage, 0o644); err != nil {
			t.Fatal(err)
		}
		// install, status and uninstall all start with the same listing, whose failure the
		// unit tests follow through each; here it is keytool's own words that matter.
		l := javaLine("install into a garbage keystore", e.caJSON(t, ca, 1, "install", "--store", "java", "--ca-dir", "ca"), "failed")
		// keytool writes its error, and with -v the Java stack trace after it, to stdout: the
		// detail was once the trace's last line (a stack frame), not keytool's message.
		if !strings.HasPrefix(l.Detail, "keytool: ") || strings.Contains(l.Detail, "at java.") || !strings.Contains(l.Detail, "Unrecognized keystore format") {
			t.Errorf("detail %q, want keytool's own error (\"Unrecognized keystore format\"): %s", l.Detail,
				e.repro([]string{"ca", "install", "--store", "java", "--ca-dir", "ca"}))
		}
		sameBytes(t, "the garbage keystore after the failed runs", keystore, garbage)
	})

	t.Run("no cacerts", func(t *testing.T) {
		// A store named with --store that is not here is a failure: a JDK without cacerts.
		bare, _ := fakeJDK(t, keytool, nil)
		e := *e
		e.extra = []string{"JAVA_HOME=" + bare}
		l := oneLine(t, "install into a JDK without cacerts", e.caJSON(t, ca, 1, "install", "--store", "java", "--ca-dir", "ca"), "java", "not_found")
		if !strings.Contains(l.Detail, "cacerts") || l.Hint == "" {
			t.Errorf("not_found line %s: want a detail naming cacerts and a hint", l)
		}
		// status: a store asked about that is not here does not trust the CA (exit 3).
		oneLine(t, "status of a JDK without cacerts", e.caJSON(t, ca, 3, "status", "--store", "java", "--ca-dir", "ca"), "java", "not_found")
	})
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
