package truststore

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// systemOnly runs the action on the system store alone.
func (e *testEnv) systemOnly(action Action, ca CA) Result {
	e.t.Helper()
	rs := e.do(action, ca, System)
	if len(rs) != 1 {
		e.t.Fatalf("results %+v, want one", rs)
	}
	return rs[0]
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// someoneElsesAnchor puts someone else's anchor file holding c into the anchor directory.
func (e *testEnv) someoneElsesAnchor(rel string, certs ...[]byte) string {
	p := filepath.Join(e.root, e.system.anchors, rel)
	writeFile(e.t, p, string(slices.Concat(certs...)), 0o644)
	return p
}

func TestSystemInstallDebian(t *testing.T) {
	ca := testCA(t, "System CA")
	e := newTestEnv(t)
	e.debian()
	e.isRoot = true
	own := e.anchorPath(ca, ".crt")

	r := e.systemOnly(Install, ca)
	checkResult(t, r, System, own, Installed, []string{""}, "")
	st, err := os.Stat(own)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("anchor mode %v, want 0644", st.Mode().Perm())
	}
	if !fileHolds(own, ca.Fingerprint) || !e.bundleHolds(ca) {
		t.Errorf("anchor holds the CA %v, bundle holds it %v", fileHolds(own, ca.Fingerprint), e.bundleHolds(ca))
	}
	if got := e.ran("update-ca-certificates"); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("update runs %q, want one, without arguments", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(own)); len(entries) != 1 {
		t.Errorf("anchor directory holds %v, want only tlskit's file (no temporary file left)", entries)
	}

	r = e.systemOnly(Status, ca)
	checkResult(t, r, System, filepath.Join(e.root, e.system.bundle), Trusted, []string{"installed by tlskit as " + own}, "")

	e.calls = nil
	r = e.systemOnly(Install, ca)
	checkResult(t, r, System, own, AlreadyInstalled, []string{"installed by tlskit as " + own}, "")
	if len(e.calls) != 0 {
		t.Errorf("a second install ran %q", e.calls)
	}
}

func TestSystemInstallFailures(t *testing.T) {
	ca := testCA(t, "Failing CA")
	for _, tc := range []struct {
		name   string
		setup  func(e *testEnv)
		detail []string
		hint   string
		// updates are the update runs wanted (each its arguments).
		updates [][]string
	}{
		{name: "not root, no --sudo", setup: func(e *testEnv) { e.isRoot = false },
			detail: []string{"needs root"}, hint: "sudo tlskit ca install --store system"},
		{name: "the update tool fails: its message, the anchor rolled back", setup: func(e *testEnv) {
			e.fail["update-ca-certificates"] = fakeFailure{msg: "E: /etc/ssl/certs is read-only"}
		}, detail: []string{"update-ca-certificates: E: /etc/ssl/certs is read-only", "rebuilding the bundle failed again"},
			updates: [][]string{{}, {"--fresh"}}},
		{name: "the update tool fails once", setup: func(e *testEnv) {
			// Fail only the first run: the rollback's --fresh succeeds.
			first := true
			e.hook = func(base string, args []string) (string, bool) {
				if base == "update-ca-certificates" && first {
					first = false
					return "E: interrupted", true
				}
				return "", false
			}
		}, detail: []string{"update-ca-certificates: E: interrupted"}, updates: [][]string{{}, {"--fresh"}}},
		{name: "Ctrl-C during the update: still rolled back", setup: func(e *testEnv) {
			first := true
			e.hook = func(base string, args []string) (string, bool) {
				if base == "update-ca-certificates" && first {
					first = false
					e.cancel()
					return "interrupted", true
				}
				return "", false
			}
		}, detail: []string{"update-ca-certificates: interrupted"}, updates: [][]string{{}, {"--fresh"}}},
		{name: "the tool succeeds without the CA in the bundle", setup: func(e *testEnv) { e.system.lie = true },
			detail: []string{"update-ca-certificates ran, but the bundle", "does not have the CA"}, updates: [][]string{{}, {"--fresh"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.debian()
			e.isRoot = true
			tc.setup(e)
			own := e.anchorPath(ca, ".crt")
			r := e.systemOnly(Install, ca)
			checkResult(t, r, System, "", Failed, tc.detail, tc.hint)
			if tc.name == "the update tool fails once" && strings.Contains(r.Detail, "again") {
				t.Errorf("detail %q says the rollback's rebuild failed", r.Detail)
			}
			if exists(own) {
				t.Errorf("%s is left in place", own)
			}
			if e.bundleHolds(ca) {
				t.Errorf("the bundle holds the CA")
			}
			var updates [][]string
			for _, c := range e.ran("update-ca-certificates") {
				updates = append(updates, c[1:])
			}
			if len(updates) != len(tc.updates) {
				t.Fatalf("update runs %q, want %q", updates, tc.updates)
			}
			for i := range updates {
				if !slices.Equal(updates[i], tc.updates[i]) {
					t.Errorf("update runs %q, want %q", updates, tc.updates)
				}
			}
		})
	}
}

func TestSystemUninstall(t *testing.T) {
	ca := testCA(t, "Removed CA")
	e := newTestEnv(t)
	e.debian()
	e.isRoot = true
	unrelated, _ := newRoot(t, "Unrelated Local CA")
	keep := e.someoneElsesAnchor("local.crt", pemOf(unrelated))
	if r := e.systemOnly(Install, ca); r.Outcome != Installed {
		t.Fatalf("install: %+v", r)
	}
	own := e.anchorPath(ca, ".crt")
	e.calls = nil

	r := e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, own, Removed, []string{""}, "")
	if exists(own) || !exists(keep) {
		t.Errorf("tlskit's file left %v, the other file kept %v", exists(own), exists(keep))
	}
	if e.bundleHolds(ca) {
		t.Errorf("the bundle still holds the CA")
	}
	if got := e.ran("update-ca-certificates"); len(got) != 1 || !slices.Equal(got[0][1:], []string{"--fresh"}) {
		t.Errorf("update runs %q, want one update-ca-certificates --fresh", got)
	}
	r = e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, own, NotInstalled, []string{""}, "")
	r = e.systemOnly(Status, ca)
	checkResult(t, r, System, "", NotTrusted, []string{""}, "")
}

func TestSystemTrustedThroughSomeoneElsesAnchor(t *testing.T) {
	ca := testCA(t, "Shared CA")
	other, _ := newRoot(t, "Other")
	e := newTestEnv(t)
	e.debian()
	e.isRoot = true
	// Someone else's file holds the CA, second in a bundle of two, in a subdirectory.
	theirs := e.someoneElsesAnchor("corp/roots.crt", pemOf(other), ca.PEM())
	if _, _, err := e.updateTool("update-ca-certificates", nil); err != nil {
		t.Fatal(err)
	}
	e.calls = nil

	r := e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, e.anchorPath(ca, ".crt"), NotInstalled, []string{"still trusted, but not through tlskit", theirs + " holds it"}, "")
	r = e.systemOnly(Status, ca)
	checkResult(t, r, System, "", Trusted, []string{"not through tlskit's file"}, "")
	r = e.systemOnly(Install, ca)
	checkResult(t, r, System, "", AlreadyInstalled, []string{"not through tlskit", "uninstall will not remove it"}, "")
	if len(e.calls) != 0 || !exists(theirs) {
		t.Errorf("ran %q; their file kept %v", e.calls, exists(theirs))
	}

	// With tlskit's own file too, uninstall removes it and says who still trusts the CA.
	os.Remove(theirs)
	if _, _, err := e.updateTool("update-ca-certificates", nil); err != nil {
		t.Fatal(err)
	}
	if r := e.systemOnly(Install, ca); r.Outcome != Installed {
		t.Fatalf("install: %+v", r)
	}
	e.someoneElsesAnchor("corp/roots.crt", pemOf(other), ca.PEM())
	r = e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, "", Removed, []string{"still trusted through another file: " + theirs}, "")
}

func TestSystemSudo(t *testing.T) {
	ca := testCA(t, "Sudo CA")
	e := newTestEnv(t)
	e.debian()
	e.sudo = true
	tool := e.path["update-ca-certificates"]
	own := e.anchorPath(ca, ".crt")

	r := e.systemOnly(Install, ca)
	checkResult(t, r, System, own, Installed, nil, "")
	if !e.bundleHolds(ca) {
		t.Errorf("the bundle does not hold the CA")
	}
	r = e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, own, Removed, nil, "")
	if exists(own) {
		t.Errorf("%s left", own)
	}
	sudos := e.ran("sudo")
	if len(sudos) != 4 {
		t.Fatalf("sudo runs %q, want 4", sudos)
	}
	want := [][]string{
		{"sudo", "--", "install", "-m", "0644", "TMP", own},
		{"sudo", "--", tool},
		{"sudo", "--", "rm", "-f", "--", own},
		{"sudo", "--", tool, "--fresh"},
	}
	for i, c := range sudos {
		if i == 0 && len(c) == 7 {
			c[5] = "TMP" // install's source is a temporary file
		}
		if !slices.Equal(c, want[i]) {
			t.Errorf("run %d: %q, want %q", i, c, want[i])
		}
	}
	// Every change went through sudo: nothing ran outside it.
	for i, c := range e.calls {
		if c[0] != "sudo" && (i == 0 || e.calls[i-1][0] != "sudo") {
			t.Errorf("%q ran without sudo", c)
		}
	}
	// sudo as root is not needed.
	e.isRoot, e.calls = true, nil
	e.systemOnly(Install, ca)
	if len(e.ran("sudo")) != 0 {
		t.Errorf("ran sudo as root: %q", e.calls)
	}
}

func TestSystemSudoFails(t *testing.T) {
	ca := testCA(t, "Sudo Fails CA")
	e := newTestEnv(t)
	e.debian()
	e.sudo = true
	e.fail["sudo"] = fakeFailure{msg: "sudo: a password is required"}
	r := e.systemOnly(Install, ca)
	checkResult(t, r, System, e.anchorPath(ca, ".crt"), Failed, []string{"install: sudo: a password is required"}, "")
	if strings.Contains(r.Detail, "sudo: sudo:") {
		t.Errorf("detail %q", r.Detail)
	}
}

func TestSystemSudoToolFails(t *testing.T) {
	// The tool run through sudo failed, not sudo: the detail names the tool.
	ca := testCA(t, "Sudo Tool CA")
	e := newTestEnv(t)
	e.debian()
	e.sudo = true
	e.fail["update-ca-certificates"] = fakeFailure{msg: "E: /etc/ssl/certs is read-only"}
	r := e.systemOnly(Install, ca)
	checkResult(t, r, System, e.anchorPath(ca, ".crt"), Failed, []string{"update-ca-certificates: E: /etc/ssl/certs is read-only"}, "")
	if strings.Contains(r.Detail, "sudo:") {
		t.Errorf("detail %q blames sudo", r.Detail)
	}
	if exists(e.anchorPath(ca, ".crt")) {
		t.Errorf("the anchor is left")
	}
}

func TestSystemNotRootUninstall(t *testing.T) {
	ca := testCA(t, "Root Needed CA")
	e := newTestEnv(t)
	e.debian()
	e.isRoot = true
	if r := e.systemOnly(Install, ca); r.Outcome != Installed {
		t.Fatalf("install: %+v", r)
	}
	e.isRoot, e.calls = false, nil
	r := e.systemOnly(Uninstall, ca)
	checkResult(t, r, System, "", Failed, []string{"needs root"}, "sudo tlskit ca uninstall --store system")
	if len(e.calls) != 0 || !exists(e.anchorPath(ca, ".crt")) {
		t.Errorf("ran %q, or removed the anchor", e.calls)
	}
	// Status needs no root.
	checkResult(t, e.systemOnly(Status, ca), System, "", Trusted, nil, "")
}

func TestSystemStatus(t *testing.T) {
	ca := testCA(t, "Status CA")
	t.Run("anchor in place, bundle not rebuilt", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		writeFile(t, e.anchorPath(ca, ".crt"), string(ca.PEM()), 0o644)
		checkResult(t, e.systemOnly(Status, ca), System, "", NotTrusted, []string{"the bundle was not rebuilt from it"}, "run update-ca-certificates as root")
	})
	t.Run("no bundle", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		os.Remove(filepath.Join(e.root, e.system.bundle))
		checkResult(t, e.systemOnly(Status, ca), System, filepath.Join(e.root, e.system.bundle), Failed, []string{"reading the system bundle", "no such file"}, "")
	})
	t.Run("install with no bundle yet", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		e.isRoot = true
		os.Remove(filepath.Join(e.root, e.system.bundle))
		checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
	})
}

func TestSystemFlavors(t *testing.T) {
	ca := testCA(t, "Flavor CA")
	t.Run("Fedora", func(t *testing.T) {
		e := newTestEnv(t)
		e.fedora()
		e.isRoot = true
		own := e.anchorPath(ca, ".pem")
		checkResult(t, e.systemOnly(Install, ca), System, own, Installed, nil, "")
		if !e.bundleHolds(ca) {
			t.Errorf("the bundle does not hold the CA")
		}
		checkResult(t, e.systemOnly(Uninstall, ca), System, own, Removed, nil, "")
		for _, c := range e.ran("update-ca-trust") {
			if !slices.Equal(c[1:], []string{"extract"}) {
				t.Errorf("ran %q, want update-ca-trust extract", c)
			}
		}
		if n := len(e.ran("update-ca-trust")); n != 2 {
			t.Errorf("update-ca-trust ran %d times, want 2", n)
		}
	})
	t.Run("Fedora's directory without its tool is not Fedora", func(t *testing.T) {
		e := newTestEnv(t)
		if err := os.MkdirAll(filepath.Join(e.root, "etc/pki/ca-trust/source/anchors"), 0o755); err != nil {
			t.Fatal(err)
		}
		e.debian()
		e.isRoot = true
		checkResult(t, e.systemOnly(Install, ca), System, e.anchorPath(ca, ".crt"), Installed, nil, "")
	})
	t.Run("Debian's tool without its directory", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		os.RemoveAll(filepath.Join(e.root, "usr/local/share/ca-certificates"))
		checkResult(t, e.systemOnly(Install, ca), System, "", NotFound, []string{"no known trust anchor directory"}, "install the ca-certificates package")
	})
}

func TestSystemJavaMirror(t *testing.T) {
	ca := testCA(t, "Mirror CA")
	other, _ := newRoot(t, "Other CA")
	mirrorAlias := "debian:tlskit-" + ca.Fingerprint[:16] + ".pem"
	setup := func(t *testing.T) (*testEnv, *fakeKeystore) {
		e := newTestEnv(t)
		s := e.debian()
		e.isRoot = true
		s.javaMirror = "etc/ssl/certs/java/cacerts"
		ks := e.keystore(filepath.Join(e.root, s.javaMirror), keyEntry("debian:distro_root_ca.pem", other))
		e.tool("keytool")
		return e, ks
	}
	t.Run("the hook's entry is deleted with the anchor", func(t *testing.T) {
		e, ks := setup(t)
		checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
		if der, ok := ks.holds(mirrorAlias); !ok || derFingerprint(der) != ca.Fingerprint {
			t.Fatalf("the hook did not add %s: %q", mirrorAlias, ks.aliases())
		}
		checkResult(t, e.systemOnly(Uninstall, ca), System, "", Removed, []string{""}, "")
		if got := ks.aliases(); !slices.Equal(got, []string{"debian:distro_root_ca.pem"}) {
			t.Errorf("keystore aliases %q, want only the distribution's", got)
		}
		if d := e.ran("keytool"); len(d) != 2 || !slices.Contains(d[1], "-delete") || !slices.Contains(d[1], mirrorAlias) {
			t.Errorf("keytool runs %q, want a listing then -delete -alias %s", d, mirrorAlias)
		}
	})
	t.Run("the alias holding another certificate is kept", func(t *testing.T) {
		e, ks := setup(t)
		ks.entries = append(ks.entries, keyEntry(mirrorAlias, other))
		checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
		checkResult(t, e.systemOnly(Uninstall, ca), System, "", Removed, nil, "")
		if _, ok := ks.holds(mirrorAlias); !ok {
			t.Errorf("%s deleted though it held another certificate", mirrorAlias)
		}
		for _, c := range e.ran("keytool") {
			if slices.Contains(c, "-delete") {
				t.Errorf("ran %q", c)
			}
		}
	})
	t.Run("without keytool nothing is checked", func(t *testing.T) {
		e, ks := setup(t)
		delete(e.path, "keytool")
		checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
		checkResult(t, e.systemOnly(Uninstall, ca), System, "", Removed, nil, "")
		if len(e.ran("keytool")) != 0 {
			t.Errorf("keytool ran")
		}
		if _, ok := ks.holds(mirrorAlias); !ok {
			t.Errorf("the fake hook should have added the entry")
		}
	})
	t.Run("a failing delete fails the uninstall, saying what was done", func(t *testing.T) {
		e, _ := setup(t)
		checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
		e.fail["keytool"] = fakeFailure{msg: "keytool error: java.io.IOException: Read-only file system", withArg: "-delete"}
		checkResult(t, e.systemOnly(Uninstall, ca), System, "", Failed,
			[]string{"was removed and the bundle rebuilt, but deleting " + mirrorAlias, "Read-only file system"}, "")
	})
	t.Run("a failed install deletes the hook's entry too", func(t *testing.T) {
		e, ks := setup(t)
		// The update adds the anchor to the keystore, then fails.
		e.hook = func(base string, args []string) (string, bool) {
			if base == "update-ca-certificates" && len(args) == 0 {
				e.updateTool(base, args)
				return "E: run-parts: /etc/ca-certificates/update.d/jks-keystore exited with return code 1", true
			}
			return "", false
		}
		checkResult(t, e.systemOnly(Install, ca), System, "", Failed, []string{"jks-keystore exited"}, "")
		if _, ok := ks.holds(mirrorAlias); ok {
			t.Errorf("%s left after the rollback", mirrorAlias)
		}
	})
}

func TestSystemToolInSbinNotOnPath(t *testing.T) {
	// Debian's update-ca-certificates is in /usr/sbin, which is not on a user's PATH
	// (/etc/login.defs ENV_PATH): the store is still found, so a user is told it needs root
	// (or --sudo works) instead of hearing there is no system store.
	ca := testCA(t, "Sbin CA")
	e := newTestEnv(t)
	e.debian()
	tool := e.path["update-ca-certificates"]
	delete(e.path, "update-ca-certificates")
	if want := filepath.Join(e.root, "usr", "sbin", "update-ca-certificates"); tool != want {
		t.Fatalf("the fake tool is at %s, want %s", tool, want)
	}
	checkResult(t, e.systemOnly(Install, ca), System, "", Failed, []string{"needs root"}, "--sudo")
	if rs := e.do(Status, ca); len(rs) != 1 || rs[0].Store != System {
		t.Errorf("default stores %+v, want the system store found", rs)
	}
	e.sudo = true
	checkResult(t, e.systemOnly(Install, ca), System, "", Installed, nil, "")
	if got := e.ran("sudo"); len(got) != 2 || !slices.Equal(got[1], []string{"sudo", "--", tool}) {
		t.Errorf("sudo runs %q, want the second to run %s", got, tool)
	}
	// A file that is not executable is no tool.
	os.Chmod(tool, 0o644)
	checkResult(t, e.systemOnly(Status, ca), System, "", NotFound, nil, "ca-certificates")
}

func TestSystemUndoFailures(t *testing.T) {
	ca := testCA(t, "Undo CA")
	t.Run("install: the anchor cannot be taken out again", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		e.sudo = true
		e.fail["update-ca-certificates"] = fakeFailure{msg: "E: broken"}
		e.fail["rm"] = fakeFailure{msg: "rm: cannot remove: Operation not permitted"}
		own := e.anchorPath(ca, ".crt")
		r := e.systemOnly(Install, ca)
		checkResult(t, r, System, own, Failed, []string{"update-ca-certificates: E: broken", own + " is left in place", "Operation not permitted", "'tlskit ca uninstall --store system' removes it"}, "")
		if !exists(own) {
			t.Errorf("the detail says %s is left, but it is not", own)
		}
	})
	t.Run("install: the Java hook's entry cannot be deleted", func(t *testing.T) {
		e := newTestEnv(t)
		s := e.debian()
		e.isRoot = true
		s.lie = true
		s.javaMirror = "etc/ssl/certs/java/cacerts"
		e.keystore(filepath.Join(e.root, s.javaMirror))
		e.tool("keytool")
		e.fail["keytool"] = fakeFailure{msg: "keytool error: java.io.IOException: Invalid keystore format"}
		r := e.systemOnly(Install, ca)
		checkResult(t, r, System, "", Failed, []string{"does not have the CA", "; checking " + filepath.Join(e.root, s.javaMirror), "Invalid keystore format"}, "")
	})
	t.Run("uninstall: the anchor cannot be removed", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		e.isRoot = true
		if r := e.systemOnly(Install, ca); r.Outcome != Installed {
			t.Fatalf("install: %+v", r)
		}
		e.isRoot, e.sudo = false, true
		e.fail["rm"] = fakeFailure{msg: "rm: cannot remove: Read-only file system"}
		checkResult(t, e.systemOnly(Uninstall, ca), System, "", Failed, []string{"rm: cannot remove: Read-only file system"}, "")
		if len(e.ran("update-ca-certificates")) != 1 {
			t.Errorf("the bundle was rebuilt though the anchor was not removed")
		}
	})
	t.Run("uninstall: the bundle cannot be rebuilt", func(t *testing.T) {
		e := newTestEnv(t)
		e.debian()
		e.isRoot = true
		if r := e.systemOnly(Install, ca); r.Outcome != Installed {
			t.Fatalf("install: %+v", r)
		}
		e.fail["update-ca-certificates"] = fakeFailure{msg: "E: broken"}
		own := e.anchorPath(ca, ".crt")
		checkResult(t, e.systemOnly(Uninstall, ca), System, own, Failed, []string{own + " was removed, but rebuilding the bundle failed: update-ca-certificates: E: broken"}, "")
	})
}
