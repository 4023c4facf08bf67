package truststore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// nssDB is one NSS certificate database: Chromium's and Chrome's shared one on Linux, or a
// Firefox profile's.
type nssDB struct {
	dir string
	// prefix is certutil's database type: "sql:" for cert9.db, "dbm:" for the legacy cert8.db.
	prefix string
}

func (d nssDB) arg() string { return d.prefix + d.dir }

// nssStore is every NSS database of the user, changed through NSS's certutil (Debian
// libnss3-tools), which is not Windows' certutil.exe.
type nssStore struct {
	o        Options
	dbs      []nssDB
	certutil string
	looked   bool
}

func (s *nssStore) look() {
	if s.looked {
		return
	}
	s.looked = true
	home := s.o.Getenv("HOME")
	if home == "" {
		return
	}
	// Chromium and Chrome on Linux share ~/.pki/nssdb (the snap has its own).
	for _, d := range []string{
		filepath.Join(home, ".pki", "nssdb"),
		filepath.Join(home, "snap", "chromium", "current", ".pki", "nssdb"),
	} {
		if db, ok := nssDatabase(d); ok {
			s.dbs = append(s.dbs, db)
		}
	}
	// Firefox: every profile of the package, the snap, the Flatpak and macOS.
	for _, root := range []string{
		filepath.Join(home, ".mozilla", "firefox"),
		filepath.Join(home, "snap", "firefox", "common", ".mozilla", "firefox"),
		filepath.Join(home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),
		filepath.Join(home, "Library", "Application Support", "Firefox", "Profiles"),
	} {
		entries, err := os.ReadDir(root)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				if db, ok := nssDatabase(filepath.Join(root, e.Name())); ok {
					s.dbs = append(s.dbs, db)
				}
			}
		}
	}
	if p, err := s.o.LookPath("certutil"); err == nil && !isWindowsCertutil(p) {
		s.certutil = p
	}
}

// isWindowsCertutil tells Windows' own certutil.exe, which manages Windows' stores, from NSS's.
func isWindowsCertutil(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".exe") && strings.Contains(strings.ToLower(path), `\windows\`)
}

// nssDatabase reports the database in dir, if there is one.
func nssDatabase(dir string) (nssDB, bool) {
	if st, err := os.Stat(filepath.Join(dir, "cert9.db")); err == nil && st.Mode().IsRegular() {
		return nssDB{dir: dir, prefix: "sql:"}, true
	}
	if st, err := os.Stat(filepath.Join(dir, "cert8.db")); err == nil && st.Mode().IsRegular() {
		return nssDB{dir: dir, prefix: "dbm:"}, true
	}
	return nssDB{}, false
}

func (s *nssStore) found() bool {
	s.look()
	return len(s.dbs) > 0
}

func (s *nssStore) notFoundHint() (string, string) {
	return "no NSS database (~/.pki/nssdb for Chromium and Chrome, a Firefox profile) for HOME=" + s.o.Getenv("HOME"),
		"start Chromium or Firefox once to create one"
}

func (s *nssStore) result(db nssDB, o Outcome, detail string) Result {
	return Result{Store: NSS, Location: db.dir, Outcome: o, Detail: detail}
}

// Changing a database (-A, -D) logs in to its token. certutil asks for a primary password on
// /dev/tty, not stdin, so a run that could ask is given an empty password file (-f): a
// protected database then fails at once with SEC_ERROR_BAD_PASSWORD, and tlskit never prompts.

// failed is a failed change of db; a database with a primary password gets a hint.
func (s *nssStore) failed(db nssDB, detail string) Result {
	r := s.result(db, Failed, detail)
	if strings.Contains(detail, "SEC_ERROR_BAD_PASSWORD") {
		r.Hint = "this database has a primary password, which tlskit never asks for: import the CA in the browser's certificate settings, or run certutil -d " + db.arg() + " yourself"
	}
	return r
}

// missingTool is every database's line when certutil is not installed.
func (s *nssStore) missingTool() []Result {
	var out []Result
	for _, db := range s.dbs {
		r := s.result(db, Failed, "certutil (NSS tools) is not installed")
		r.Hint = "install it: apt install libnss3-tools (Debian, Ubuntu), dnf install nss-tools (Fedora), pacman -S nss (Arch), brew install nss (macOS)"
		out = append(out, r)
	}
	return out
}

// nssEntry is a certificate of a database: its nickname, trust flags and fingerprint.
type nssEntry struct {
	nick string
	// trust is "C,," (SSL, S/MIME, code signing), or the trusts of its nickname's lines, with
	// nssTrustOr between, when they differ (see entries).
	trust       string
	fingerprint string
}

// nssTrustOr is between the trusts of an entry whose own is not known.
const nssTrustOr = " or "

// trustsServers reports whether the entry is a trusted CA for TLS servers: under every trust
// it may have.
func (e nssEntry) trustsServers() bool {
	for _, t := range strings.Split(e.trust, nssTrustOr) {
		if ssl, _, _ := strings.Cut(t, ","); !strings.ContainsAny(ssl, "C") {
			return false
		}
	}
	return true
}

// trustUnknown reports whether the entry's own trust cannot be told from its nickname's.
func (e nssEntry) trustUnknown() bool { return strings.Contains(e.trust, nssTrustOr) }

var nssTrustColumn = regexp.MustCompile(`^(.*\S)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$`)

// entries lists the database's certificates, each nickname's certificates fetched in PEM and
// judged by fingerprint (a nickname can hold several).
func (s *nssStore) entries(ctx context.Context, db nssDB) ([]nssEntry, error) {
	stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-L", "-d", db.arg())
	if err != nil {
		return nil, toolError("certutil", stdout, stderr, err)
	}
	// The listing has a line per certificate: a nickname holding several (of one subject) is
	// listed once for each, with that certificate's trust, and its PEM has them all in another
	// order (measured, NSS 3.87: the listing oldest first, the PEM newest first). So each
	// nickname is fetched once, and when its lines' trusts differ, its certificates have
	// them all: none of them is counted trusted, since which one is cannot be told.
	var nicks []string
	trusts := map[string][]string{}
	for _, line := range strings.Split(string(stdout), "\n") {
		m := nssTrustColumn.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(m[2], "SSL,") {
			continue // blank, or the header "SSL,S/MIME,JAR/XPI"
		}
		nick := strings.TrimSpace(m[1])
		if _, seen := trusts[nick]; !seen {
			nicks = append(nicks, nick)
		}
		if !slices.Contains(trusts[nick], m[2]) {
			trusts[nick] = append(trusts[nick], m[2])
		}
	}
	var out []nssEntry
	for _, nick := range nicks {
		pemOut, stderr, err := s.o.Run(ctx, nil, s.certutil, "-L", "-d", db.arg(), "-n", nick, "-a")
		if err != nil {
			return nil, toolError("certutil", pemOut, stderr, err)
		}
		for _, fp := range pemFingerprints(pemOut) {
			out = append(out, nssEntry{nick: nick, trust: strings.Join(trusts[nick], nssTrustOr), fingerprint: fp})
		}
	}
	return out, nil
}

func (s *nssStore) holding(ctx context.Context, db nssDB, ca CA) ([]nssEntry, error) {
	all, err := s.entries(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []nssEntry
	for _, e := range all {
		if e.fingerprint == ca.Fingerprint {
			out = append(out, e)
		}
	}
	return out, nil
}

// eachDB is one result per database, from f, or every database's failed line when certutil is
// not installed.
func (s *nssStore) eachDB(f func(nssDB) Result) []Result {
	if s.certutil == "" {
		return s.missingTool()
	}
	var out []Result
	for _, db := range s.dbs {
		out = append(out, f(db))
	}
	return out
}

func (s *nssStore) status(ctx context.Context, ca CA) []Result {
	return s.eachDB(func(db nssDB) Result { return s.statusOne(ctx, db, ca) })
}

func (s *nssStore) statusOne(ctx context.Context, db nssDB, ca CA) Result {
	held, err := s.holding(ctx, db, ca)
	switch {
	case err != nil:
		return s.result(db, Failed, err.Error())
	case trusted(held) != nil:
		return s.result(db, Trusted, fmt.Sprintf("as %q (trust %s)", trusted(held).nick, trusted(held).trust))
	case len(held) > 0 && held[0].trustUnknown():
		return s.result(db, NotTrusted, "present, but "+unknownTrust(held[0]))
	case len(held) > 0:
		return s.result(db, NotTrusted, fmt.Sprintf("present as %q, but not trusted for TLS servers (trust %s)", held[0].nick, held[0].trust))
	}
	return s.result(db, NotTrusted, "")
}

// unknownTrust says why an entry whose trust is not known is not counted trusted.
func unknownTrust(e nssEntry) string {
	return fmt.Sprintf("%q holds several certificates, of trusts %s: certutil's listing cannot say which is this CA's", e.nick, e.trust)
}

func trusted(held []nssEntry) *nssEntry {
	for i := range held {
		if held[i].trustsServers() {
			return &held[i]
		}
	}
	return nil
}

func (s *nssStore) install(ctx context.Context, ca CA) []Result {
	return s.eachDB(func(db nssDB) Result { return s.installOne(ctx, db, ca) })
}

func (s *nssStore) installOne(ctx context.Context, db nssDB, ca CA) Result {
	held, err := s.holding(ctx, db, ca)
	if err != nil {
		return s.result(db, Failed, err.Error())
	}
	if e := trusted(held); e != nil {
		return s.result(db, AlreadyInstalled, fmt.Sprintf("as %q", e.nick))
	}
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return s.result(db, Failed, err.Error())
	}
	defer cleanup()
	// C,, : a CA trusted to issue TLS server certificates, nothing else.
	if stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-A", "-d", db.arg(), "-t", "C,,", "-n", ca.Label(), "-i", file, "-f", os.DevNull); err != nil {
		return s.failed(db, s.undo(ctx, db, ca, toolError("certutil", stdout, stderr, err)))
	}
	held, err = s.holding(ctx, db, ca)
	if err != nil || trusted(held) == nil {
		why := fmt.Errorf("certutil added it, but the database does not list it as a trusted CA")
		if err != nil {
			why = err
		} else if len(held) > 0 && held[0].trustUnknown() {
			why = errors.New("certutil added it, but " + unknownTrust(held[0]))
		}
		return s.result(db, Failed, s.undo(ctx, db, ca, why))
	}
	// A certificate the database had already keeps its nickname (certutil -A only sets its
	// trust, measured): then the entry is someone else's, which uninstall leaves.
	if e := trusted(held); e.nick != ca.Label() {
		return s.result(db, Installed, fmt.Sprintf("as %q, the nickname it was under untrusted (uninstall will not remove it)", e.nick))
	}
	return s.result(db, Installed, fmt.Sprintf("as %q", ca.Label()))
}

// undo deletes tlskit's entry after a failed install, and says why the install failed.
func (s *nssStore) undo(ctx context.Context, db nssDB, ca CA, why error) string {
	held, _ := s.holding(ctx, db, ca)
	for _, e := range held {
		if e.nick == ca.Label() {
			if stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-D", "-d", db.arg(), "-n", e.nick, "-f", os.DevNull); err != nil {
				return fmt.Sprintf("%v; the entry %q it left could not be removed (%v): 'tlskit ca uninstall --store nss' removes it", why, e.nick, toolError("certutil", stdout, stderr, err))
			}
		}
	}
	return why.Error()
}

func (s *nssStore) uninstall(ctx context.Context, ca CA) []Result {
	return s.eachDB(func(db nssDB) Result { return s.uninstallOne(ctx, db, ca) })
}

func (s *nssStore) uninstallOne(ctx context.Context, db nssDB, ca CA) Result {
	held, err := s.holding(ctx, db, ca)
	if err != nil {
		return s.result(db, Failed, err.Error())
	}
	removed := false
	var others []string
	for _, e := range held {
		if e.nick != ca.Label() {
			others = append(others, e.nick)
			continue
		}
		// Only tlskit's own entry: its name and, checked above, its fingerprint.
		if stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-D", "-d", db.arg(), "-n", e.nick, "-f", os.DevNull); err != nil {
			return s.failed(db, toolError("certutil", stdout, stderr, err).Error())
		}
		removed = true
	}
	detail := ""
	if len(others) > 0 {
		sort.Strings(others)
		detail = "still held, not installed by tlskit, as " + quoteList(others)
	}
	if removed {
		return s.result(db, Removed, detail)
	}
	return s.result(db, NotInstalled, detail)
}

// tempPEM writes the CA to a temporary file for a tool that reads a file.
func tempPEM(ca CA) (string, func(), error) {
	f, err := os.CreateTemp("", "tlskit-ca-*.pem")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	if _, err := f.Write(ca.PEM()); err != nil {
		f.Close()
		cleanup()
		return "", nil, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return f.Name(), cleanup, nil
}
