package truststore

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// nssCase is one database's starting content and what an action must leave of it.
type nssCase struct {
	name    string
	action  Action
	setup   func(e *testEnv, db *fakeNSSDB)
	outcome Outcome
	detail  []string // substrings of the detail ("" alone: the detail must be empty)
	hint    string
	// after checks the database afterwards.
	after func(t *testing.T, db *fakeNSSDB)
}

func TestNSS(t *testing.T) {
	ca := testCA(t, "tlskit Test CA")
	other1, _ := newRoot(t, "Someone Else (Root)")
	other2, _ := newRoot(t, "Another One")
	mine := ca.Cert
	label := ca.Label()
	// theirs is a database of other people's certificates, nicknames with spaces and parentheses.
	theirs := func(db *fakeNSSDB) {
		db.certs = append(db.certs, nssCert("Someone Else (Root)", "CT,C,C", other1), nssCert("another one", "C,,", other2))
	}
	hasMine := func(nick, trust string) func(*testing.T, *fakeNSSDB) {
		return func(t *testing.T, db *fakeNSSDB) {
			t.Helper()
			got, ok := db.entry(mine)
			if nick == "" && ok {
				t.Errorf("the CA is left in the database as %q", got.nick)
			}
			if nick != "" && (!ok || got.nick != nick || got.trust != trust) {
				t.Errorf("database has the CA as %+v (present %v), want %q trust %q", got, ok, nick, trust)
			}
			for _, c := range []fakeNSSCert{nssCert("Someone Else (Root)", "CT,C,C", other1), nssCert("another one", "C,,", other2)} {
				if i := db.find(c.der); i >= 0 && (db.certs[i].nick != c.nick || db.certs[i].trust != c.trust) {
					t.Errorf("someone else's entry changed: %+v", db.certs[i])
				}
			}
		}
	}
	for _, tc := range []nssCase{
		{name: "install into a database with several certificates", action: Install, setup: func(e *testEnv, db *fakeNSSDB) { theirs(db) },
			outcome: Installed, detail: []string{`as "` + label + `"`}, after: hasMine(label, "C,,")},
		{name: "install into an empty database", action: Install,
			outcome: Installed, detail: []string{`as "` + label + `"`}, after: hasMine(label, "C,,")},
		{name: "install when already trusted under someone else's nickname", action: Install,
			setup: func(e *testEnv, db *fakeNSSDB) {
				theirs(db)
				db.certs = append(db.certs, nssCert("Corp CA (imported)", "CT,,", mine))
			},
			outcome: AlreadyInstalled, detail: []string{`as "Corp CA (imported)"`}, after: hasMine("Corp CA (imported)", "CT,,")},
		{name: "install when tlskit's entry is there, not trusted for servers", action: Install,
			setup:   func(e *testEnv, db *fakeNSSDB) { db.certs = append(db.certs, nssCert(label, ",,", mine)) },
			outcome: Installed, detail: []string{`as "` + label + `"`}, after: hasMine(label, "C,,")},
		{name: "install when there untrusted under someone else's nickname", action: Install,
			setup: func(e *testEnv, db *fakeNSSDB) {
				theirs(db)
				db.certs = append(db.certs, nssCert("corp (untrusted)", ",,", mine))
			},
			// certutil -A would only set that entry's trust (it keeps the nickname it has), which
			// uninstall could not take back: tlskit leaves someone else's entry alone and says how.
			outcome: Failed, after: hasMine("corp (untrusted)", ",,"),
			detail: []string{`the CA is in this database as "corp (untrusted)"`, "not tlskit's to change"},
			hint:   `certutil -M -d sql:`},
		{name: "install when certutil -A fails: its message, nothing left", action: Install,
			setup:   func(e *testEnv, db *fakeNSSDB) { theirs(db); db.addFails = true },
			outcome: Failed, detail: []string{"SEC_ERROR_ADDING_CERT", "Error adding certificate to database"}, after: hasMine("", "")},
		{name: "install when certutil -A adds nothing: a failure", action: Install,
			setup:   func(e *testEnv, db *fakeNSSDB) { theirs(db); db.addIgnored = true },
			outcome: Failed, detail: []string{"does not list it as a trusted CA"}, after: hasMine("", "")},
		{name: "install into a corrupted database", action: Install, setup: func(e *testEnv, db *fakeNSSDB) { db.corrupt = true },
			outcome: Failed, detail: []string{"certutil: function failed: SEC_ERROR_BAD_DATABASE"}},

		{name: "status: trusted through tlskit", action: Status,
			setup:   func(e *testEnv, db *fakeNSSDB) { theirs(db); db.certs = append(db.certs, nssCert(label, "C,,", mine)) },
			outcome: Trusted, detail: []string{`as "` + label + `" (trust C,,)`}},
		{name: "status: trusted under someone else's nickname", action: Status,
			setup: func(e *testEnv, db *fakeNSSDB) {
				db.certs = append(db.certs, nssCert("corp root (2024)", "CT,C,C", mine))
			},
			outcome: Trusted, detail: []string{`as "corp root (2024)" (trust CT,C,C)`}},
		{name: "status: present, not trusted for servers", action: Status,
			setup:   func(e *testEnv, db *fakeNSSDB) { theirs(db); db.certs = append(db.certs, nssCert(label, ",C,", mine)) },
			outcome: NotTrusted, detail: []string{"present as", "not trusted for TLS servers (trust ,C,)"}},
		{name: "status: absent", action: Status, setup: func(e *testEnv, db *fakeNSSDB) { theirs(db) },
			outcome: NotTrusted, detail: []string{""}},

		{name: "uninstall tlskit's entry, others stay", action: Uninstall,
			setup:   func(e *testEnv, db *fakeNSSDB) { theirs(db); db.certs = append(db.certs, nssCert(label, "C,,", mine)) },
			outcome: Removed, detail: []string{""}, after: func(t *testing.T, db *fakeNSSDB) {
				hasMine("", "")(t, db)
				if len(db.certs) != 2 {
					t.Errorf("others' certificates removed: %d left", len(db.certs))
				}
			}},
		{name: "uninstall leaves someone else's entry of the CA", action: Uninstall,
			setup: func(e *testEnv, db *fakeNSSDB) {
				theirs(db)
				db.certs = append(db.certs, nssCert("Corp CA (imported)", "C,,", mine))
			},
			outcome: NotInstalled, detail: []string{`still held, not installed by tlskit, as "Corp CA (imported)"`},
			after: hasMine("Corp CA (imported)", "C,,")},
		{name: "uninstall when not there", action: Uninstall, setup: func(e *testEnv, db *fakeNSSDB) { theirs(db) },
			outcome: NotInstalled, detail: []string{""}},
		{name: "uninstall when certutil -D fails", action: Uninstall,
			setup: func(e *testEnv, db *fakeNSSDB) {
				db.certs = append(db.certs, nssCert(label, "C,,", mine))
				e.fail["certutil"] = fakeFailure{msg: "certutil: could not delete: SEC_ERROR_READ_ONLY: security library: read-only database.", withArg: "-D"}
			},
			outcome: Failed, detail: []string{"SEC_ERROR_READ_ONLY"}, after: hasMine(label, "C,,")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			dir := filepath.Join(e.home, ".pki", "nssdb")
			db := e.nssDB(dir, false)
			e.tool("certutil")
			if tc.setup != nil {
				tc.setup(e, db)
			}
			rs := e.do(tc.action, ca, NSS)
			if len(rs) != 1 {
				t.Fatalf("results %+v, want one", rs)
			}
			checkResult(t, rs[0], NSS, dir, tc.outcome, tc.detail, tc.hint)
			if tc.after != nil {
				tc.after(t, db)
			}
			for _, c := range e.ran("certutil") {
				if i := slices.Index(c, "-d"); i < 0 || c[i+1] != "sql:"+dir {
					t.Errorf("certutil run without -d sql:%s: %q", dir, c)
				}
			}
		})
	}
}

// checkResult compares a result with what is wanted: detail is substrings of the detail (a
// lone "" wants it empty, nil does not look).
func checkResult(t *testing.T, r Result, store, location string, outcome Outcome, detail []string, hint string) {
	t.Helper()
	if r.Store != store || r.Outcome != outcome || location != "" && r.Location != location {
		t.Errorf("result %+v, want store %s, location %s, outcome %s", r, store, location, outcome)
	}
	if len(detail) == 1 && detail[0] == "" {
		if r.Detail != "" {
			t.Errorf("detail %q, want none", r.Detail)
		}
	} else {
		for _, d := range detail {
			if !strings.Contains(r.Detail, d) {
				t.Errorf("detail %q does not say %q", r.Detail, d)
			}
		}
	}
	if !strings.Contains(r.Hint, hint) {
		t.Errorf("hint %q does not say %q", r.Hint, hint)
	}
}

func TestNSSSeveralDatabases(t *testing.T) {
	ca := testCA(t, "Multi CA")
	e := newTestEnv(t)
	chromium := filepath.Join(e.home, ".pki", "nssdb")
	snap := filepath.Join(e.home, "snap", "chromium", "current", ".pki", "nssdb")
	ff := filepath.Join(e.home, ".mozilla", "firefox", "abcd.default-release")
	legacy := filepath.Join(e.home, ".mozilla", "firefox", "old.default")
	broken := filepath.Join(e.home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox", "x.default")
	e.nssDB(chromium, false)
	e.nssDB(snap, false)
	e.nssDB(ff, false)
	e.nssDB(legacy, true)
	e.nssDB(broken, false).corrupt = true
	// Not databases: a profile directory without one, a file where a profile would be.
	writeFile(t, filepath.Join(e.home, ".mozilla", "firefox", "profiles.ini"), "[General]\n", 0o644)
	writeFile(t, filepath.Join(e.home, ".mozilla", "firefox", "empty.profile", "prefs.js"), "", 0o644)
	e.tool("certutil")

	rs := e.do(Install, ca)
	want := map[string]Outcome{chromium: Installed, snap: Installed, ff: Installed, legacy: Installed, broken: Failed}
	if len(rs) != len(want) {
		t.Fatalf("results %+v, want one per database (%d)", rs, len(want))
	}
	for _, r := range rs {
		if r.Store != NSS || r.Outcome != want[r.Location] {
			t.Errorf("%s: %s (%s), want %s", r.Location, r.Outcome, r.Detail, want[r.Location])
		}
		// certutil's own line, which names certutil already.
		if want := "certutil: function failed: SEC_ERROR_BAD_DATABASE: security library: bad database."; r.Location == broken && r.Detail != want {
			t.Errorf("detail %q, want %q", r.Detail, want)
		}
	}
	if got, ok := e.nss["dbm:"+legacy].entry(ca.Cert); !ok || got.trust != "C,," {
		t.Errorf("the legacy database (dbm:) has %+v, want the CA trusted", got)
	}
	// The broken database failed alone; uninstall then removes from every other one.
	rs = e.do(Uninstall, ca)
	for _, r := range rs {
		if w := map[bool]Outcome{true: Failed, false: Removed}[r.Location == broken]; r.Outcome != w {
			t.Errorf("uninstall %s: %s (%s), want %s", r.Location, r.Outcome, r.Detail, w)
		}
	}
}

func TestNSSWithoutCertutil(t *testing.T) {
	e := newTestEnv(t)
	a := filepath.Join(e.home, ".pki", "nssdb")
	b := filepath.Join(e.home, ".mozilla", "firefox", "p.default")
	e.nssDB(a, false)
	e.nssDB(b, false)
	ca := testCA(t, "No Tool CA")
	for _, action := range []Action{Install, Uninstall, Status} {
		rs := e.do(action, ca)
		if len(rs) != 2 {
			t.Fatalf("results %+v, want one per database", rs)
		}
		for i, dir := range []string{a, b} {
			checkResult(t, rs[i], NSS, dir, Failed, []string{"certutil (NSS tools) is not installed"}, "libnss3-tools")
		}
	}
	if len(e.calls) != 0 {
		t.Errorf("tools ran: %q", e.calls)
	}
}

func TestNSSNoDatabase(t *testing.T) {
	for _, home := range []string{"empty", "unset"} {
		t.Run(home, func(t *testing.T) {
			e := newTestEnv(t)
			e.tool("certutil")
			if home == "unset" {
				delete(e.env, "HOME")
			}
			ca := testCA(t, "No DB CA")
			if rs := e.do(Install, ca); len(rs) != 0 {
				t.Errorf("default stores: %+v, want nothing", rs)
			}
			rs := e.do(Install, ca, NSS)
			if len(rs) != 1 {
				t.Fatalf("results %+v", rs)
			}
			checkResult(t, rs[0], NSS, "", NotFound, []string{"no NSS database"}, "start Chromium or Firefox")
			if !Failure(rs[0], true) {
				t.Errorf("a named store not found is not a failure")
			}
		})
	}
}

func TestNSSTrustColumn(t *testing.T) {
	// The listing's lines as certutil prints them, a nickname longer than the column included.
	long := "a very long nickname that goes past the sixty column padding of certutil (x)"
	for _, tc := range []struct{ line, nick, trust string }{
		{"a b (c)                                                      C,,  ", "a b (c)", "C,,"},
		{"zz plain                                                     CT,C,C", "zz plain", "CT,C,C"},
		{long + " C,,  ", long, "C,,"},
		{"untrusted                                                    ,,   ", "untrusted", ",,"},
		{"Certificate Nickname                                         Trust Attributes", "", ""},
		{"                                                             SSL,S/MIME,JAR/XPI", "", ""},
		{"", "", ""},
	} {
		m := nssTrustColumn.FindStringSubmatch(tc.line)
		nick, trust := "", ""
		if m != nil && !strings.HasPrefix(m[2], "SSL,") {
			nick, trust = strings.TrimSpace(m[1]), m[2]
		}
		if nick != tc.nick || trust != tc.trust {
			t.Errorf("%q: nickname %q trust %q, want %q %q", tc.line, nick, trust, tc.nick, tc.trust)
		}
	}
}

func TestIsWindowsCertutil(t *testing.T) {
	for p, want := range map[string]bool{
		`C:\Windows\System32\certutil.exe`: true,
		`c:\WINDOWS\system32\CERTUTIL.EXE`: true,
		`C:\nss\bin\certutil.exe`:          false,
		"/usr/bin/certutil":                false,
	} {
		if isWindowsCertutil(p) != want {
			t.Errorf("isWindowsCertutil(%q) = %v", p, !want)
		}
	}
}

// TestNSSCertificatesOfOneSubject: NSS prints, for a nickname, its own certificate and then
// every other of the same subject (a regenerated CA keeps its name), each with its own trust.
// Each certificate is judged by its own: crediting them all with the nickname's once made an
// untrusted CA look trusted when a trusted twin of the same name was there.
func TestNSSCertificatesOfOneSubject(t *testing.T) {
	ca := testCA(t, "Same Name CA")
	twin, _ := newRoot(t, "Same Name CA")
	for _, tc := range []struct {
		name    string
		action  Action
		certs   []fakeNSSCert
		outcome Outcome
		detail  []string
		hint    string
	}{
		{"status: the twin trusted, this CA not", Status,
			[]fakeNSSCert{nssCert("twin", "C,,", twin), nssCert("someone else", ",,", ca.Cert)}, NotTrusted, []string{`present as "someone else", but not trusted for TLS servers`}, ""},
		{"status: this CA trusted, the twin not", Status,
			[]fakeNSSCert{nssCert("twin", ",,", twin), nssCert(ca.Label(), "C,,", ca.Cert)}, Trusted, []string{`as "` + ca.Label() + `"`}, ""},
		{"install beside a trusted twin", Install,
			[]fakeNSSCert{nssCert("twin", "C,,", twin)}, Installed, []string{`as "` + ca.Label() + `"`}, ""},
		{"uninstall leaves the twin", Uninstall,
			[]fakeNSSCert{nssCert("twin", "C,,", twin), nssCert(ca.Label(), "C,,", ca.Cert)}, Removed, []string{""}, ""},
		{"one nickname on both, differing trusts: each its own", Status,
			[]fakeNSSCert{nssCert("shared", "C,,", twin), nssCert("shared", ",,", ca.Cert)}, NotTrusted, []string{`present as "shared"`}, ""},
		{"tlskit's nickname on another certificate too: uninstall does not guess", Uninstall,
			[]fakeNSSCert{nssCert(ca.Label(), "C,,", twin), nssCert(ca.Label(), "C,,", ca.Cert)}, Failed,
			[]string{"is on more than one certificate"}, "certutil -L -d sql:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			dir := filepath.Join(e.home, ".pki", "nssdb")
			db := e.nssDB(dir, false, tc.certs...)
			e.tool("certutil")
			rs := e.do(tc.action, ca, NSS)
			checkResult(t, rs[0], NSS, dir, tc.outcome, tc.detail, tc.hint)
			if _, ok := db.entry(twin); !ok {
				t.Errorf("the twin of the same name is gone from the database")
			}
		})
	}
}

func TestNSSUndoFailures(t *testing.T) {
	ca := testCA(t, "NSS Undo CA")
	t.Run("the half-added entry cannot be deleted", func(t *testing.T) {
		e := newTestEnv(t)
		dir := filepath.Join(e.home, ".pki", "nssdb")
		e.nssDB(dir, false).addFails = true
		e.tool("certutil")
		e.fail["certutil"] = fakeFailure{msg: "certutil: could not delete: SEC_ERROR_READ_ONLY: security library: read-only database.", withArg: "-D"}
		rs := e.do(Install, ca, NSS)
		checkResult(t, rs[0], NSS, dir, Failed, []string{"SEC_ERROR_ADDING_CERT", `the entry "` + ca.Label() + `" it left could not be removed`, "SEC_ERROR_READ_ONLY", "'tlskit ca uninstall --store nss' removes it"}, "")
	})
	t.Run("a nickname's certificates cannot be fetched", func(t *testing.T) {
		e := newTestEnv(t)
		dir := filepath.Join(e.home, ".pki", "nssdb")
		e.nssDB(dir, false, nssCert("x (y)", "C,,", ca.Cert))
		e.tool("certutil")
		e.fail["certutil"] = fakeFailure{msg: "certutil: could not find certificate named \"x (y)\"", withArg: "-n"}
		for _, action := range []Action{Install, Uninstall, Status} {
			rs := e.do(action, ca, NSS)
			checkResult(t, rs[0], NSS, dir, Failed, []string{`certutil: could not find certificate named "x (y)"`}, "")
		}
	})
}

// TestNSSPrimaryPasswordNeverPrompts: a database with a primary password (a Firefox profile's,
// often) makes certutil -A and -D log in, and certutil asks on the terminal itself unless given a
// password file. tlskit gives it an empty one: the line fails at once, with a hint, and no
// prompt ever reaches the user.
func TestNSSPrimaryPasswordNeverPrompts(t *testing.T) {
	ca := testCA(t, "Password CA")
	e := newTestEnv(t)
	dir := filepath.Join(e.home, ".mozilla", "firefox", "p.default")
	db := e.nssDB(dir, false)
	db.password = true
	e.tool("certutil")
	r := e.do(Install, ca)
	if len(r) != 1 {
		t.Fatalf("results %+v", r)
	}
	checkResult(t, r[0], NSS, dir, Failed, []string{"SEC_ERROR_BAD_PASSWORD"}, "primary password")
	if strings.Contains(r[0].Detail, "PROMPTED") {
		t.Errorf("certutil asked for the password on the terminal: %q", r[0].Detail)
	}
	// tlskit's entry put there before the password was set: uninstall fails the same way.
	db.certs = append(db.certs, nssCert(ca.Label(), "C,,", ca.Cert))
	r = e.do(Uninstall, ca)
	checkResult(t, r[0], NSS, dir, Failed, []string{"SEC_ERROR_BAD_PASSWORD"}, "primary password")
	for _, c := range e.ran("certutil") {
		if (slices.Contains(c, "-A") || slices.Contains(c, "-D")) && !slices.Contains(c, "-f") {
			t.Errorf("%q may prompt for a password", c)
		}
	}
}

// TestNSSNicknameWithLeadingSpaces: nicknames start in the listing's first column, so spaces
// before one are its own; trimming them once made every action on that database fail
// ("Could not find cert"), someone else's odd nickname breaking tlskit's line.
func TestNSSNicknameWithLeadingSpaces(t *testing.T) {
	ca := testCA(t, "Spaces CA")
	other, _ := newRoot(t, "Other CA")
	e := newTestEnv(t)
	dir := filepath.Join(e.home, ".pki", "nssdb")
	e.nssDB(dir, false, nssCert("  spaced  ", "C,,", other))
	e.tool("certutil")
	checkResult(t, e.do(Install, ca, NSS)[0], NSS, dir, Installed, nil, "")
	checkResult(t, e.do(Status, ca, NSS)[0], NSS, dir, Trusted, nil, "")
	checkResult(t, e.do(Uninstall, ca, NSS)[0], NSS, dir, Removed, nil, "")
}
