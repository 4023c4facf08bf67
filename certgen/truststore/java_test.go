package truststore

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// jdk makes a JDK under the scratch space: bin/keytool (a file the fake stands for) and its
// cacerts at cacertsRel (lib/security/cacerts from JDK 9 on, jre/lib/security/cacerts in 8;
// "" for none). It returns the JDK's home and the cacerts path.
func (e *testEnv) jdk(name, cacertsRel string, entries ...fakeKeyEntry) (home, cacerts string) {
	home = filepath.Join(e.dir, "jvm", name)
	writeFile(e.t, filepath.Join(home, "bin", "keytool"), "#!/bin/sh\nexit 1\n", 0o755)
	if cacertsRel == "" {
		return home, ""
	}
	cacerts = filepath.Join(home, cacertsRel)
	e.keystore(cacerts, entries...)
	return home, cacerts
}

func TestJava(t *testing.T) {
	ca := testCA(t, "Java Test CA")
	distro, _ := newRoot(t, "Distro CA")
	other, _ := newRoot(t, "Other CA")
	alias := "tlskit-" + ca.Fingerprint[:16]
	debianAlias := "debian:tlskit-" + ca.Fingerprint[:16] + ".pem"
	base := []fakeKeyEntry{keyEntry("debian:distro_ca.pem", distro), keyEntry("other", other)}
	for _, tc := range []struct {
		name    string
		action  Action
		entries []fakeKeyEntry
		pass    string // Options.JavaStorePass
		fail    fakeFailure
		outcome Outcome
		detail  []string
		after   []string // the keystore's aliases afterwards (nil: unchanged)
	}{
		{name: "install", action: Install, entries: base, outcome: Installed, detail: []string{`as alias "` + alias + `"`},
			after: []string{"debian:distro_ca.pem", "other", alias}},
		{name: "install when there under Debian's alias", action: Install, entries: append(slices.Clone(base), keyEntry(debianAlias, ca.Cert)),
			outcome: AlreadyInstalled, detail: []string{`as alias "` + debianAlias + `"`}},
		{name: "install when keytool -importcert fails", action: Install, entries: base,
			fail:    fakeFailure{msg: "keytool error: java.io.FileNotFoundException: cacerts (Read-only file system)", withArg: "-importcert"},
			outcome: Failed, detail: []string{"Read-only file system"}},
		{name: "uninstall removes only tlskit's alias", action: Uninstall,
			entries: append(slices.Clone(base), keyEntry(alias, ca.Cert), keyEntry(debianAlias, ca.Cert)),
			outcome: Removed, detail: []string{`still trusted, not installed by tlskit, as alias "` + debianAlias + `"`},
			after: []string{"debian:distro_ca.pem", "other", debianAlias}},
		{name: "uninstall of someone else's alias", action: Uninstall, entries: append(slices.Clone(base), keyEntry("corp", ca.Cert)),
			outcome: NotInstalled, detail: []string{`as alias "corp"`}},
		{name: "uninstall when not there", action: Uninstall, entries: base, outcome: NotInstalled, detail: []string{""}},
		{name: "uninstall of an alias of tlskit's name holding another certificate", action: Uninstall,
			entries: append(slices.Clone(base), keyEntry(alias, other)), outcome: NotInstalled, detail: []string{""}},
		{name: "uninstall when keytool -delete fails", action: Uninstall, entries: append(slices.Clone(base), keyEntry(alias, ca.Cert)),
			fail:    fakeFailure{msg: "keytool error: java.io.IOException: Permission denied", withArg: "-delete"},
			outcome: Failed, detail: []string{"keytool: java.io.IOException: Permission denied"}},
		{name: "status: trusted", action: Status, entries: append(slices.Clone(base), keyEntry(alias, ca.Cert)),
			outcome: Trusted, detail: []string{`as alias "` + alias + `"`}},
		{name: "status: not trusted", action: Status, entries: base, outcome: NotTrusted, detail: []string{""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			home, cacerts := e.jdk("java-17", "lib/security/cacerts", tc.entries...)
			e.env["JAVA_HOME"] = home
			e.pass = tc.pass
			if tc.fail.msg != "" {
				e.fail["keytool"] = tc.fail
			}
			rs := e.do(tc.action, ca, Java)
			if len(rs) != 1 {
				t.Fatalf("results %+v", rs)
			}
			checkResult(t, rs[0], Java, cacerts, tc.outcome, tc.detail, "")
			ks := e.keystores[cacerts]
			if tc.after == nil {
				tc.after = aliasesOf(tc.entries)
			}
			if got := ks.aliases(); !slices.Equal(got, tc.after) {
				t.Errorf("aliases afterwards %q, want %q", got, tc.after)
			}
			for _, c := range e.ran("keytool") {
				i, j := slices.Index(c, "-keystore"), slices.Index(c, "-storepass")
				if i < 0 || c[i+1] != cacerts || j < 0 || c[j+1] != DefaultJavaStorePass {
					t.Errorf("keytool run without -keystore %s -storepass changeit: %q", cacerts, c)
				}
			}
		})
	}
}

func aliasesOf(entries []fakeKeyEntry) []string {
	var out []string
	for _, en := range entries {
		out = append(out, en.alias)
	}
	return out
}

func TestJavaFindsTheJDK(t *testing.T) {
	ca := testCA(t, "Find CA")
	type layout struct{ javaHome, pathKeytool, keystore string }
	for _, tc := range []struct {
		name  string
		setup func(e *testEnv) layout
		// notFound is the detail wanted when the store is not found.
		notFound, hint string
	}{
		{name: "JAVA_HOME", setup: func(e *testEnv) layout {
			home, ks := e.jdk("jdk-21", "lib/security/cacerts")
			e.env["JAVA_HOME"] = home
			return layout{home, "", ks}
		}},
		{name: "JAVA_HOME wins over keytool on PATH", setup: func(e *testEnv) layout {
			home, ks := e.jdk("jdk-21", "lib/security/cacerts")
			other, _ := e.jdk("jdk-17", "lib/security/cacerts")
			e.path["keytool"] = filepath.Join(other, "bin", "keytool")
			e.env["JAVA_HOME"] = home
			return layout{home, "", ks}
		}},
		{name: "keytool on PATH through a link into the JDK", setup: func(e *testEnv) layout {
			home, ks := e.jdk("java-17-openjdk-amd64", "lib/security/cacerts")
			// /usr/bin/keytool → /etc/alternatives/keytool → the JDK's bin/keytool.
			alt := filepath.Join(e.dir, "etc", "alternatives", "keytool")
			link := filepath.Join(e.dir, "usr", "bin", "keytool")
			for _, l := range [][2]string{{filepath.Join(home, "bin", "keytool"), alt}, {alt, link}} {
				if err := os.MkdirAll(filepath.Dir(l[1]), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(l[0], l[1]); err != nil {
					t.Fatal(err)
				}
			}
			e.path["keytool"] = link
			return layout{"", link, ks}
		}},
		{name: "JDK 8: jre/lib/security/cacerts", setup: func(e *testEnv) layout {
			home, ks := e.jdk("java-8", "jre/lib/security/cacerts")
			e.env["JAVA_HOME"] = home
			return layout{home, "", ks}
		}},
		{name: "JDK 8 on PATH", setup: func(e *testEnv) layout {
			home, ks := e.jdk("java-8", "jre/lib/security/cacerts")
			e.path["keytool"] = filepath.Join(home, "bin", "keytool")
			return layout{"", filepath.Join(home, "bin", "keytool"), ks}
		}},
		{name: "cacerts a link (Debian: to /etc/ssl/certs/java/cacerts)", setup: func(e *testEnv) layout {
			home, _ := e.jdk("java-17", "")
			real := filepath.Join(e.dir, "etc", "ssl", "certs", "java", "cacerts")
			e.keystore(real)
			ks := filepath.Join(home, "lib", "security", "cacerts")
			if err := os.MkdirAll(filepath.Dir(ks), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, ks); err != nil {
				t.Fatal(err)
			}
			e.env["JAVA_HOME"] = home
			return layout{home, "", ks}
		}},
		{name: "no JDK", setup: func(e *testEnv) layout { return layout{} },
			notFound: "JAVA_HOME is not set and keytool is not on PATH", hint: "set JAVA_HOME"},
		{name: "JAVA_HOME without keytool", setup: func(e *testEnv) layout {
			e.env["JAVA_HOME"] = filepath.Join(e.dir, "jvm", "nothing-here")
			// JAVA_HOME is what the user chose: keytool on PATH is not used instead.
			e.jdk("other", "lib/security/cacerts")
			e.path["keytool"] = filepath.Join(e.dir, "jvm", "other", "bin", "keytool")
			return layout{}
		}, notFound: "JAVA_HOME=" + "JDK" + " has no bin/keytool", hint: "set JAVA_HOME to the JDK"},
		{name: "keytool without cacerts", setup: func(e *testEnv) layout {
			home, _ := e.jdk("broken", "")
			e.path["keytool"] = filepath.Join(home, "bin", "keytool")
			return layout{}
		}, notFound: "has no cacerts beside it", hint: "set JAVA_HOME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			l := tc.setup(e)
			rs := e.do(Install, ca, Java)
			if len(rs) != 1 {
				t.Fatalf("results %+v", rs)
			}
			if tc.notFound != "" {
				tc.notFound = strings.ReplaceAll(tc.notFound, "JDK", e.env["JAVA_HOME"])
				checkResult(t, rs[0], Java, "", NotFound, []string{tc.notFound}, tc.hint)
				if len(e.calls) != 0 {
					t.Errorf("tools ran: %q", e.calls)
				}
				return
			}
			checkResult(t, rs[0], Java, l.keystore, Installed, nil, "")
			kt := l.pathKeytool
			if l.javaHome != "" {
				kt = filepath.Join(l.javaHome, "bin", "keytool")
			}
			if len(e.calls) == 0 {
				t.Fatal("keytool never ran")
			}
			for _, name := range e.names {
				if name != kt {
					t.Errorf("ran %s, want %s", name, kt)
				}
			}
		})
	}
}

func TestJavaKeytoolFailureSaysWhy(t *testing.T) {
	// keytool -list -v prints its error on stdout, then (with -v) the stack trace: the detail
	// is the error, not the trace's last line ("... 7 more").
	ca := testCA(t, "Password CA")
	for _, action := range []Action{Install, Uninstall, Status} {
		e := newTestEnv(t)
		home, cacerts := e.jdk("java-17", "lib/security/cacerts")
		e.env["JAVA_HOME"] = home
		e.pass = "not-changeit"
		rs := e.do(action, ca, Java)
		checkResult(t, rs[0], Java, cacerts, Failed, []string{"keytool: java.io.IOException: Keystore was tampered with, or password was incorrect"}, "")
		if strings.Contains(rs[0].Detail, "more") || strings.Contains(rs[0].Detail, "keytool error") {
			t.Errorf("detail %q", rs[0].Detail)
		}
		for _, c := range e.ran("keytool") {
			if i := slices.Index(c, "-storepass"); c[i+1] != "not-changeit" {
				t.Errorf("ran %q, want the password given", c)
			}
		}
	}
}

func TestJavaSeveralAliasesSaidInOneOrder(t *testing.T) {
	// The aliases holding the CA come from a map: the detail must not change from run to run.
	ca := testCA(t, "Many Aliases CA")
	alias := "tlskit-" + ca.Fingerprint[:16]
	for _, tc := range []struct {
		action Action
		want   string
	}{
		{Status, `as alias "corp-b"`},
		{Install, `as alias "corp-b"`},
		{Uninstall, `still trusted, not installed by tlskit, as alias "corp-b", "debian:tlskit.pem", "zz"`},
	} {
		e := newTestEnv(t)
		home, cacerts := e.jdk("java-17", "lib/security/cacerts")
		e.env["JAVA_HOME"] = home
		for i := 0; i < 20; i++ {
			ks := e.keystores[cacerts]
			ks.entries = []fakeKeyEntry{keyEntry("zz", ca.Cert), keyEntry(alias, ca.Cert), keyEntry("debian:tlskit.pem", ca.Cert), keyEntry("corp-b", ca.Cert)}
			if tc.action != Uninstall {
				// Only others' aliases: the first of them, by name.
				ks.entries = slices.Delete(ks.entries, 1, 2)
			}
			rs := e.do(tc.action, ca, Java)
			if rs[0].Detail != tc.want {
				t.Fatalf("run %d: detail %q, want %q", i, rs[0].Detail, tc.want)
			}
		}
	}
}

func TestJavaKeystoreNotWritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root may write a read-only file: this test needs a user")
	}
	ca := testCA(t, "Read-only CA")
	e := newTestEnv(t)
	home, cacerts := e.jdk("java-17", "lib/security/cacerts")
	e.env["JAVA_HOME"] = home
	if err := os.Chmod(cacerts, 0o444); err != nil {
		t.Fatal(err)
	}
	rs := e.do(Install, ca, Java)
	checkResult(t, rs[0], Java, cacerts, Failed, []string{"is not writable by this user"}, "--sudo")
	if len(e.ran("keytool")) != 1 {
		t.Errorf("keytool runs %q, want only the listing", e.ran("keytool"))
	}
	// With --sudo, the change goes through sudo.
	e.sudo = true
	rs = e.do(Install, ca, Java)
	checkResult(t, rs[0], Java, cacerts, Installed, nil, "")
	if got := e.ran("sudo"); len(got) == 0 || !slices.Contains(got[len(got)-1], "-importcert") {
		t.Errorf("sudo runs %q, want the import through sudo", got)
	}
}

func TestJavaDanglingKeytoolLink(t *testing.T) {
	e := newTestEnv(t)
	link := filepath.Join(e.dir, "bin", "keytool")
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(e.dir, "gone", "bin", "keytool"), link); err != nil {
		t.Fatal(err)
	}
	e.path["keytool"] = link
	rs := e.do(Status, testCA(t, "Dangling CA"), Java)
	checkResult(t, rs[0], Java, "", NotFound, []string{"keytool " + link + " has no cacerts beside it"}, "set JAVA_HOME")
}
