package truststore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// nssEntry is a certificate of a database: the nickname it is under, its fingerprint and
// whether it is trusted as a CA for TLS servers.
type nssEntry struct {
	nick        string
	fingerprint string
	trusted     bool
	// trust is the listing's trust column for the nickname ("C,,": SSL, S/MIME, code signing).
	trust string
	// shared: the nickname is on more than one certificate, so deleting by it is not precise.
	shared bool
}

var nssTrustColumn = regexp.MustCompile(`^(.*\S)\s+([a-zA-Z]*,[a-zA-Z]*,[a-zA-Z]*)\s*$`)

// entries lists the database's certificates with their own trust. `certutil -L` gives the
// nicknames; `certutil -L -n NICK` then prints the nickname's own certificate first and after
// it every other certificate of the same subject, each with its SHA-256 and its trust flags
// (measured, NSS 3.87: two CAs named alike, one trusted, one not; -D -n deletes the
// nickname's own). So the first block (the first k, for a nickname listed k times) is the
// nickname's, with the trust that certificate has, whichever others share its subject; crediting
// every printed certificate with the nickname's trust once made an untrusted CA look trusted.
func (s *nssStore) entries(ctx context.Context, db nssDB) ([]nssEntry, error) {
	stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-L", "-d", db.arg())
	if err != nil {
		return nil, toolError("certutil", stdout, stderr, err)
	}
	var nicks []string
	listed := map[string]int{}
	trust := map[string]string{}
	for _, line := range strings.Split(string(stdout), "\n") {
		m := nssTrustColumn.FindStringSubmatch(line)
		if m == nil || strings.HasPrefix(m[2], "SSL,") {
			continue // blank, or the header "SSL,S/MIME,JAR/XPI"
		}
		// Nicknames start in the first column: only the padding after one is not its own.
		nick := strings.TrimRight(m[1], " \t")
		if listed[nick] == 0 {
			nicks = append(nicks, nick)
		}
		listed[nick]++
		trust[nick] = m[2]
	}
	var out []nssEntry
	for _, nick := range nicks {
		text, stderr, err := s.o.Run(ctx, nil, s.certutil, "-L", "-d", db.arg(), "-n", nick)
		if err != nil && strings.Contains(string(stderr), "PR_FILE_NOT_FOUND_ERROR") {
			// A nickname that ends in spaces is padded out of recognition in the listing (its
			// trailing spaces look like the column's): it cannot be looked up, and cannot be
			// tlskit's, whose nicknames end in ")". Someone else's odd entry must not fail the
			// whole database.
			continue
		}
		if err != nil {
			return nil, toolError("certutil", text, stderr, err)
		}
		blocks := nssBlocks(string(text))
		for i := 0; i < listed[nick] && i < len(blocks); i++ {
			out = append(out, nssEntry{nick: nick, fingerprint: blocks[i].fingerprint, trusted: blocks[i].trustedCA,
				trust: trust[nick], shared: listed[nick] > 1})
		}
	}
	return out, nil
}

// nssBlock is one certificate of `certutil -L -n NICK`'s output.
type nssBlock struct {
	fingerprint string
	trustedCA   bool // "Trusted CA" among its SSL flags
}

// nssBlocks reads the certificates of `certutil -L -n NICK`: each starts at a "Certificate:"
// line, has "Fingerprint (SHA-256):" with the value on the next line, and "SSL Flags:" with
// one flag per line below it until "Email Flags:".
func nssBlocks(text string) []nssBlock {
	var out []nssBlock
	lines := strings.Split(text, "\n")
	inSSL := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "Certificate:"):
			out = append(out, nssBlock{})
			inSSL = false
		case len(out) == 0:
		case t == "Fingerprint (SHA-256):" && i+1 < len(lines):
			out[len(out)-1].fingerprint = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lines[i+1]), ":", ""))
		case t == "SSL Flags:":
			inSSL = true
		case strings.HasSuffix(t, "Flags:"):
			inSSL = false
		case inSSL && t == "Trusted CA":
			out[len(out)-1].trustedCA = true
		}
	}
	return out
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
	case len(held) > 0:
		return s.result(db, NotTrusted, fmt.Sprintf("present as %q, but not trusted for TLS servers (trust %s)", held[0].nick, held[0].trust))
	}
	return s.result(db, NotTrusted, "")
}

func trusted(held []nssEntry) *nssEntry {
	for i := range held {
		if held[i].trusted {
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
	for _, e := range held {
		if e.nick != ca.Label() {
			// Someone else's entry of this very certificate, untrusted: certutil -A would only
			// set its trust, which uninstall could then not take back.
			r := s.result(db, Failed, fmt.Sprintf("the CA is in this database as %q, not trusted for TLS servers, and that entry is not tlskit's to change", e.nick))
			r.Hint = fmt.Sprintf("trust it yourself (certutil -M -d %s -n %q -t C,,), or remove it (certutil -D -d %s -n %q) and install again", db.arg(), e.nick, db.arg(), e.nick)
			return r
		}
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
	if err != nil || trusted(held) == nil || trusted(held).nick != ca.Label() {
		why := fmt.Errorf("certutil added it, but the database does not list it as a trusted CA under %q", ca.Label())
		if err != nil {
			why = err
		}
		return s.result(db, Failed, s.undo(ctx, db, ca, why))
	}
	return s.result(db, Installed, fmt.Sprintf("as %q", ca.Label()))
}

// undo deletes tlskit's entry after a failed install, and says why the install failed.
func (s *nssStore) undo(ctx context.Context, db nssDB, ca CA, why error) string {
	ctx, cancel := undoContext(ctx)
	defer cancel()
	held, err := s.holding(ctx, db, ca)
	if err != nil {
		return fmt.Sprintf("%v; whether it left an entry %q is unknown (%v): 'tlskit ca uninstall --store nss' removes one", why, ca.Label(), err)
	}
	for _, e := range held {
		if e.nick == ca.Label() && !e.shared {
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
		if e.shared {
			// Another certificate carries tlskit's nickname too: -D would take one of them.
			r := s.result(db, Failed, fmt.Sprintf("the nickname %q is on more than one certificate, so deleting by it could take another's", e.nick))
			r.Hint = fmt.Sprintf("see them with certutil -L -d %s -n %q, and delete the right one with certutil -D", db.arg(), e.nick)
			return r
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
