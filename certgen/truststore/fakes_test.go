package truststore

// Fakes of the stores' tools, run through Options.Run: certutil and keytool keep their
// databases in memory and answer in the real tools' formats (measured on Debian 12: NSS 3.87,
// OpenJDK 17), and the system's update tools rebuild the bundle under Options.Root from the
// anchor directory, as the real ones do. No test runs a real tool or touches a real system path.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// --- certificates ---

var serial atomic.Int64

// newCert makes a certificate from tmpl, signed by parent (self-signed when parent is nil).
func newCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(serial.Add(1))
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func caTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"tlskit tests"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

// newRoot is a self-signed CA certificate and its key.
func newRoot(t testing.TB, cn string) (*x509.Certificate, *ecdsa.PrivateKey) {
	return newCert(t, caTemplate(cn), nil, nil)
}

// testCA is a CA made by NewCA of a new self-signed root.
func testCA(t testing.TB, cn string) CA {
	t.Helper()
	c, _ := newRoot(t, cn)
	ca, err := NewCA(c)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func derFingerprint(der []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(der))
}

// colonHex is a fingerprint as keytool prints it: AA:BB:...
func colonHex(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// --- the test environment ---

// testEnv is a machine: a root for the system store, a HOME for NSS, the tools on PATH (by
// LookPath), the environment, and the fake tools' state.
type testEnv struct {
	t      *testing.T
	root   string // Options.Root
	home   string
	dir    string // scratch space for JDKs and such
	env    map[string]string
	path   map[string]string // tool name → the path LookPath answers
	isRoot bool
	sudo   bool
	goos   string
	pass   string // Options.JavaStorePass

	calls     [][]string // every run: the tool's base name, then its arguments
	names     []string   // every run's name, as given to the Runner
	nss       map[string]*fakeNSSDB
	keystores map[string]*fakeKeystore // by the keystore's real path (links resolved)
	system    *fakeSystem
	mac       fakeKeychain
	win       map[string][]byte // the user's Root store: thumbprint → DER
	// fail makes the next runs of a tool (by base name) fail with this message on stderr,
	// when the arguments contain failArg (any when empty).
	fail map[string]fakeFailure
	// hook, when set, sees each run first: fail true makes the run fail with msg on stderr.
	hook func(base string, args []string) (msg string, fail bool)
	// ctx is the context Do is given; cancel ends it (the user's Ctrl-C).
	ctx    context.Context
	cancel context.CancelFunc
}

type fakeFailure struct {
	msg     string
	withArg string
}

func newTestEnv(t *testing.T) *testEnv {
	e := &testEnv{
		t: t, root: t.TempDir(), home: t.TempDir(), dir: t.TempDir(),
		env: map[string]string{}, path: map[string]string{}, goos: "linux",
		nss: map[string]*fakeNSSDB{}, keystores: map[string]*fakeKeystore{}, fail: map[string]fakeFailure{},
	}
	e.env["HOME"] = e.home
	e.ctx, e.cancel = context.WithCancel(context.Background())
	t.Cleanup(e.cancel)
	return e
}

func (e *testEnv) opts() Options {
	return Options{
		Run:           e.run,
		LookPath:      e.lookPath,
		Getenv:        func(k string) string { return e.env[k] },
		Root:          e.root,
		IsRoot:        func() bool { return e.isRoot },
		Sudo:          e.sudo,
		GOOS:          e.goos,
		JavaStorePass: e.pass,
	}
}

func (e *testEnv) lookPath(name string) (string, error) {
	if p, ok := e.path[name]; ok {
		return p, nil
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// tool puts an executable file named name in a bin directory of the scratch space and on PATH.
func (e *testEnv) tool(name string) string {
	p := filepath.Join(e.dir, "bin", name)
	writeFile(e.t, p, "#!/bin/sh\nexit 1\n", 0o755)
	e.path[name] = p
	return p
}

func (e *testEnv) do(action Action, ca CA, names ...string) []Result {
	e.t.Helper()
	rs, err := Do(e.ctx, e.opts(), action, ca, names)
	if err != nil {
		e.t.Fatalf("Do: %v", err)
	}
	return rs
}

// ran lists the runs whose base name is name.
func (e *testEnv) ran(name string) [][]string {
	var out [][]string
	for _, c := range e.calls {
		if c[0] == name {
			out = append(out, c)
		}
	}
	return out
}

func writeFile(t testing.TB, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run is the fake Runner: it answers for each tool by its base name.
func (e *testEnv) run(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
	base := filepath.Base(name)
	e.calls = append(e.calls, append([]string{base}, args...))
	e.names = append(e.names, name)
	if err := ctx.Err(); err != nil {
		// As ExecRunner: a tool is not started under an ended context.
		return nil, nil, err
	}
	if e.hook != nil {
		if msg, fail := e.hook(base, args); fail {
			return nil, []byte(msg + "\n"), exitError{1}
		}
	}
	if f, ok := e.fail[base]; ok && (f.withArg == "" || slices.Contains(args, f.withArg)) {
		return nil, []byte(f.msg + "\n"), exitError{1}
	}
	switch base {
	case "sudo":
		if len(args) < 2 || args[0] != "--" {
			return nil, []byte("sudo: expected -- COMMAND\n"), exitError{1}
		}
		return e.run(ctx, env, args[1], args[2:]...)
	case "certutil":
		return e.certutil(args)
	case "keytool":
		return e.keytool(args)
	case "update-ca-certificates", "update-ca-trust":
		return e.updateTool(base, args)
	case "security":
		return e.security(args)
	case "certutil.exe":
		return e.winCertutil(args)
	case "install":
		return e.install(args)
	case "rm":
		return e.rm(args)
	}
	e.t.Errorf("fake runner: unexpected tool %s %q", name, args)
	return nil, []byte(base + ": not faked\n"), exitError{127}
}

// parseArgs splits a tool's arguments into its options; valued lists the options that take a
// value.
func parseArgs(args []string, valued ...string) (map[string]string, error) {
	m := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("unexpected argument %q", a)
		}
		if slices.Contains(valued, a) {
			if i+1 == len(args) {
				return nil, fmt.Errorf("%s needs a value", a)
			}
			m[a] = args[i+1]
			i++
			continue
		}
		m[a] = ""
	}
	return m, nil
}

func has(m map[string]string, k string) bool { _, ok := m[k]; return ok }

// --- certutil ---

type fakeNSSCert struct {
	nick, trust string
	der         []byte
}

type fakeNSSDB struct {
	certs   []fakeNSSCert
	corrupt bool // every command fails as on a damaged database
	// addFails makes -A store the certificate and then fail, as an add that half happened.
	addFails bool
	// addIgnored makes -A succeed without storing anything.
	addIgnored bool
	// password is a database with a primary password: -A and -D must log in to its token.
	// Without -f, the real certutil then asks for the password on /dev/tty (not stdin), so a
	// run without -f here is the prompt a user would have seen.
	password bool
}

// nssDB makes an NSS database in dir (cert9.db, or cert8.db when legacy) and registers it
// with the fake certutil.
func (e *testEnv) nssDB(dir string, legacy bool, certs ...fakeNSSCert) *fakeNSSDB {
	file, prefix := "cert9.db", "sql:"
	if legacy {
		file, prefix = "cert8.db", "dbm:"
	}
	writeFile(e.t, filepath.Join(dir, file), "fake", 0o600)
	db := &fakeNSSDB{certs: certs}
	e.nss[prefix+dir] = db
	return db
}

func nssCert(nick, trust string, c *x509.Certificate) fakeNSSCert {
	return fakeNSSCert{nick: nick, trust: trust, der: c.Raw}
}

// find is the index of the certificate of this DER, or -1.
func (db *fakeNSSDB) find(der []byte) int {
	return slices.IndexFunc(db.certs, func(c fakeNSSCert) bool { return string(c.der) == string(der) })
}

// entry is the nickname and trust the database has for the certificate, if it has it.
func (db *fakeNSSDB) entry(c *x509.Certificate) (fakeNSSCert, bool) {
	if i := db.find(c.Raw); i >= 0 {
		return db.certs[i], true
	}
	return fakeNSSCert{}, false
}

func certutilFail(msg string) ([]byte, []byte, error) {
	return nil, []byte("certutil: " + msg + "\n"), exitError{255}
}

func (e *testEnv) certutil(args []string) ([]byte, []byte, error) {
	o, err := parseArgs(args, "-d", "-n", "-t", "-i", "-f")
	if err != nil {
		return certutilFail(err.Error())
	}
	db := e.nss[o["-d"]]
	if db == nil || db.corrupt {
		return certutilFail("function failed: SEC_ERROR_BAD_DATABASE: security library: bad database.")
	}
	if db.password && (has(o, "-A") || has(o, "-D")) {
		if !has(o, "-f") {
			return nil, []byte("Enter Password or Pin for \"NSS Certificate DB\":"), errors.New("PROMPTED on the terminal")
		}
		return certutilFail("could not authenticate to token NSS Certificate DB.: SEC_ERROR_BAD_PASSWORD: The security password entered is incorrect.")
	}
	switch {
	case has(o, "-L") && !has(o, "-n"):
		return db.list(), nil, nil
	case has(o, "-L") && has(o, "-a"):
		return db.pem(o["-n"])
	case has(o, "-L"):
		return db.details(o["-n"])
	case has(o, "-A"):
		return db.add(o["-n"], o["-t"], o["-i"])
	case has(o, "-D"):
		return db.delete(o["-n"])
	}
	return certutilFail(fmt.Sprintf("unexpected command %q", args))
}

// list is `certutil -L -d DB`, byte for byte as NSS 3.87 prints it.
func (db *fakeNSSDB) list() []byte {
	var b strings.Builder
	b.WriteString("\n")
	fmt.Fprintf(&b, "%-60s %-5s\n", "Certificate Nickname", "Trust Attributes")
	fmt.Fprintf(&b, "%-60s %-5s\n", "", "SSL,S/MIME,JAR/XPI")
	b.WriteString("\n")
	for _, c := range db.certs {
		fmt.Fprintf(&b, "%-60s %-5s\n", c.nick, c.trust)
	}
	return []byte(b.String())
}

// byNickname is what `certutil -L -n NICK` prints, in its order (measured, NSS 3.87): the
// nickname's own certificates first, newest first, then every other certificate of the same
// subject.
func (db *fakeNSSDB) byNickname(nick string) []fakeNSSCert {
	var own, others []fakeNSSCert
	var subjects [][]byte
	for i := len(db.certs) - 1; i >= 0; i-- {
		if c := db.certs[i]; c.nick == nick {
			own = append(own, c)
			if x, err := x509.ParseCertificate(c.der); err == nil {
				subjects = append(subjects, x.RawSubject)
			}
		}
	}
	for i := len(db.certs) - 1; i >= 0; i-- {
		c := db.certs[i]
		x, err := x509.ParseCertificate(c.der)
		if c.nick == nick || err != nil {
			continue
		}
		if slices.ContainsFunc(subjects, func(s []byte) bool { return string(s) == string(x.RawSubject) }) {
			others = append(others, c)
		}
	}
	return append(own, others...)
}

func notFoundNick(nick string) ([]byte, []byte, error) {
	return nil, []byte("certutil: Could not find cert: " + nick + "\n: PR_FILE_NOT_FOUND_ERROR: File not found\n"), exitError{255}
}

// pem is `certutil -L -d DB -n NICK -a`.
func (db *fakeNSSDB) pem(nick string) ([]byte, []byte, error) {
	var out []byte
	for _, c := range db.byNickname(nick) {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})...)
	}
	if out == nil {
		return notFoundNick(nick)
	}
	return out, nil, nil
}

// details is `certutil -L -d DB -n NICK`: each certificate's text, as NSS prints it (the parts
// tlskit reads: the SHA-256 fingerprint, on the line after its heading, and the SSL trust
// flags, one per line).
func (db *fakeNSSDB) details(nick string) ([]byte, []byte, error) {
	certs := db.byNickname(nick)
	if len(certs) == 0 {
		return notFoundNick(nick)
	}
	var b strings.Builder
	for _, c := range certs {
		sum := sha256.Sum256(c.der)
		hexFP := strings.ToUpper(hex.EncodeToString(sum[:]))
		var pairs []string
		for i := 0; i < len(hexFP); i += 2 {
			pairs = append(pairs, hexFP[i:i+2])
		}
		b.WriteString("Certificate:\n    Data:\n        Version: 3 (0x2)\n")
		b.WriteString("    Fingerprint (SHA-256):\n        " + strings.Join(pairs, ":") + "\n")
		b.WriteString("    Fingerprint (SHA1):\n        00:11\n\n    Mozilla-CA-Policy: false (attribute missing)\n")
		b.WriteString("    Certificate Trust Flags:\n        SSL Flags:\n")
		ssl, _, _ := strings.Cut(c.trust, ",")
		if strings.ContainsAny(ssl, "cC") {
			b.WriteString("            Valid CA\n")
		}
		if strings.Contains(ssl, "C") {
			b.WriteString("            Trusted CA\n")
		}
		b.WriteString("        Email Flags:\n        Object Signing Flags:\n\n")
	}
	return []byte(b.String()), nil, nil
}

// add is `certutil -A -d DB -n NICK -t TRUST -i FILE`. As measured, adding a certificate the
// database has already sets its trust and keeps its nickname.
func (db *fakeNSSDB) add(nick, trust, file string) ([]byte, []byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return certutilFail(fmt.Sprintf("unable to open %q for reading (-2, 2).", file))
	}
	b, _ := pem.Decode(data)
	if b == nil || nick == "" || trust == "" {
		return certutilFail("could not decode certificate: SEC_ERROR_INPUT_LEN: security library has experienced an input length error.")
	}
	if db.addIgnored {
		return nil, nil, nil
	}
	if i := db.find(b.Bytes); i >= 0 {
		db.certs[i].trust = trust
	} else {
		db.certs = append(db.certs, fakeNSSCert{nick: nick, trust: trust, der: b.Bytes})
	}
	if db.addFails {
		return certutilFail("could not add certificate to token or database: SEC_ERROR_ADDING_CERT: Error adding certificate to database.")
	}
	return nil, nil, nil
}

// delete is `certutil -D -d DB -n NICK`: it deletes one certificate of the nickname, the
// newest (as measured).
func (db *fakeNSSDB) delete(nick string) ([]byte, []byte, error) {
	for i := len(db.certs) - 1; i >= 0; i-- {
		if db.certs[i].nick == nick {
			db.certs = slices.Delete(db.certs, i, i+1)
			return nil, nil, nil
		}
	}
	return certutilFail(fmt.Sprintf("could not find certificate named %q: SEC_ERROR_INVALID_ARGS: security library: invalid arguments.", nick))
}

// --- keytool ---

type fakeKeyEntry struct {
	alias string
	der   []byte
}

type fakeKeystore struct {
	entries []fakeKeyEntry
}

// keystore makes a keystore file at path and registers it with the fake keytool.
func (e *testEnv) keystore(path string, entries ...fakeKeyEntry) *fakeKeystore {
	writeFile(e.t, path, "fake keystore", 0o644)
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		e.t.Fatal(err)
	}
	ks := &fakeKeystore{entries: entries}
	e.keystores[real] = ks
	return ks
}

func keyEntry(alias string, c *x509.Certificate) fakeKeyEntry {
	return fakeKeyEntry{alias: alias, der: c.Raw}
}

func (ks *fakeKeystore) holds(alias string) ([]byte, bool) {
	for _, en := range ks.entries {
		if en.alias == alias {
			return en.der, true
		}
	}
	return nil, false
}

func (ks *fakeKeystore) aliases() []string {
	var out []string
	for _, en := range ks.entries {
		out = append(out, en.alias)
	}
	return out
}

// keytoolFail is keytool's failure: its message on stdout (with -v, followed by the stack
// trace, as measured), nothing on stderr.
func keytoolFail(exception string, verbose bool) ([]byte, []byte, error) {
	out := "keytool error: " + exception + "\n"
	if verbose {
		out += exception + "\n" +
			"\tat java.base/sun.security.provider.JavaKeyStore.engineLoad(JavaKeyStore.java:813)\n" +
			"\tat java.base/java.security.KeyStore.load(KeyStore.java:1473)\n" +
			"\tat java.base/sun.security.tools.keytool.Main.doCommands(Main.java:1300)\n" +
			"Caused by: java.security.UnrecoverableKeyException: Password verification failed\n" +
			"\tat java.base/sun.security.provider.JavaKeyStore.engineLoad(JavaKeyStore.java:811)\n" +
			"\t... 7 more\n"
	}
	return []byte(out), nil, exitError{1}
}

func (e *testEnv) keytool(args []string) ([]byte, []byte, error) {
	o, err := parseArgs(args, "-alias", "-file", "-keystore", "-storepass")
	if err != nil {
		return keytoolFail("java.lang.RuntimeException: "+err.Error(), false)
	}
	verbose := has(o, "-v")
	real, err := filepath.EvalSymlinks(o["-keystore"])
	ks := e.keystores[real]
	if err != nil || ks == nil {
		return keytoolFail("java.lang.Exception: Keystore file does not exist: "+o["-keystore"], verbose)
	}
	if o["-storepass"] != DefaultJavaStorePass {
		return keytoolFail("java.io.IOException: Keystore was tampered with, or password was incorrect", verbose)
	}
	switch {
	case has(o, "-list") && verbose:
		return ks.list(), nil, nil
	case has(o, "-importcert") && has(o, "-noprompt"):
		return ks.importCert(o["-alias"], o["-file"])
	case has(o, "-delete"):
		return ks.delete(o["-alias"])
	}
	return keytoolFail(fmt.Sprintf("java.lang.RuntimeException: unexpected command %q", args), false)
}

// list is `keytool -list -v`, in OpenJDK 17's format.
func (ks *fakeKeystore) list() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "Keystore type: JKS\nKeystore provider: SUN\n\nYour keystore contains %d entries\n\n", len(ks.entries))
	for _, en := range ks.entries {
		c, err := x509.ParseCertificate(en.der)
		if err != nil {
			panic(err)
		}
		sha1 := strings.Repeat("AB:", 19) + "AB"
		fmt.Fprintf(&b, "Alias name: %s\nCreation date: Dec 4, 2026\nEntry type: trustedCertEntry\n\n", en.alias)
		fmt.Fprintf(&b, "Owner: %s\nIssuer: %s\nSerial number: %x\n", c.Subject, c.Issuer, c.SerialNumber)
		fmt.Fprintf(&b, "Valid from: %s until: %s\n", c.NotBefore.Format(time.UnixDate), c.NotAfter.Format(time.UnixDate))
		fmt.Fprintf(&b, "Certificate fingerprints:\n\t SHA1: %s\n\t SHA256: %s\n", sha1, colonHex(en.der))
		b.WriteString("Signature algorithm name: SHA256withECDSA\nSubject Public Key Algorithm: 256-bit EC (secp256r1) key\nVersion: 3\n\n")
		b.WriteString("Extensions: \n\n#1: ObjectId: 2.5.29.19 Criticality=true\nBasicConstraints:[\n  CA:true\n  PathLen: no limit\n]\n\n\n\n")
		b.WriteString("*******************************************\n*******************************************\n\n\n")
	}
	return []byte(b.String())
}

func (ks *fakeKeystore) importCert(alias, file string) ([]byte, []byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return keytoolFail("java.io.FileNotFoundException: "+file+" (No such file or directory)", false)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return keytoolFail("java.lang.Exception: Input not an X.509 certificate", false)
	}
	if _, ok := ks.holds(alias); ok {
		return keytoolFail("java.lang.Exception: Certificate not imported, alias <"+alias+"> already exists", false)
	}
	ks.entries = append(ks.entries, fakeKeyEntry{alias: alias, der: b.Bytes})
	return nil, []byte("Certificate was added to keystore\n"), nil
}

func (ks *fakeKeystore) delete(alias string) ([]byte, []byte, error) {
	i := slices.IndexFunc(ks.entries, func(en fakeKeyEntry) bool { return en.alias == alias })
	if i < 0 {
		return keytoolFail("java.lang.Exception: Alias <"+alias+"> does not exist", false)
	}
	ks.entries = slices.Delete(ks.entries, i, i+1)
	return nil, nil, nil
}

// --- the system store's tools ---

// fakeSystem is a Linux family's trust: the anchor directory its update tool reads, the
// bundle it writes (the distribution's own certificates, then the anchors), and Debian's Java
// hook.
type fakeSystem struct {
	tool    string // the update tool's base name
	args    []string
	anchors string // under Root
	ext     string // only anchors of this extension count ("" for every file)
	bundle  string // under Root
	distro  []byte // the distribution's certificates, always in the bundle
	// javaMirror is the keystore Debian's ca-certificates-java hook adds each anchor to.
	javaMirror string
	// lie makes the tool succeed without rebuilding the bundle.
	lie bool
}

// debian lays out Debian's trust under Root, with update-ca-certificates on PATH.
func (e *testEnv) debian() *fakeSystem {
	distro, _ := newRoot(e.t, "Distro Root CA")
	s := &fakeSystem{tool: "update-ca-certificates", anchors: "usr/local/share/ca-certificates", ext: ".crt",
		bundle: "etc/ssl/certs/ca-certificates.crt", distro: pemOf(distro)}
	e.setSystem(s, filepath.Join(e.root, "usr/sbin/update-ca-certificates"))
	return s
}

// fedora lays out Fedora's trust under Root, with update-ca-trust on PATH.
func (e *testEnv) fedora() *fakeSystem {
	distro, _ := newRoot(e.t, "Distro Root CA")
	s := &fakeSystem{tool: "update-ca-trust", args: []string{"extract"}, anchors: "etc/pki/ca-trust/source/anchors",
		bundle: "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", distro: pemOf(distro)}
	e.setSystem(s, filepath.Join(e.root, "usr/bin/update-ca-trust"))
	return s
}

func (e *testEnv) setSystem(s *fakeSystem, toolPath string) {
	if err := os.MkdirAll(filepath.Join(e.root, s.anchors), 0o755); err != nil {
		e.t.Fatal(err)
	}
	writeFile(e.t, filepath.Join(e.root, s.bundle), string(s.distro), 0o644)
	writeFile(e.t, toolPath, "#!/bin/sh\nexit 1\n", 0o755)
	e.path[s.tool] = toolPath
	e.system = s
}

func (e *testEnv) anchorPath(ca CA, ext string) string {
	return filepath.Join(e.root, e.system.anchors, "tlskit-"+ca.Fingerprint[:16]+ext)
}

func (e *testEnv) bundleHolds(ca CA) bool {
	data, err := os.ReadFile(filepath.Join(e.root, e.system.bundle))
	if err != nil {
		e.t.Fatal(err)
	}
	return pemHolds(data, ca.Fingerprint)
}

// updateTool rebuilds the bundle from the anchors, like update-ca-certificates (with or
// without --fresh) and update-ca-trust extract.
func (e *testEnv) updateTool(base string, args []string) ([]byte, []byte, error) {
	s := e.system
	if s == nil || s.tool != base {
		return nil, []byte(base + ": no such tool here\n"), exitError{127}
	}
	if base == "update-ca-certificates" && len(args) > 0 && !slices.Equal(args, []string{"--fresh"}) ||
		base == "update-ca-trust" && !slices.Equal(args, []string{"extract"}) {
		return nil, []byte(fmt.Sprintf("%s: unexpected arguments %q\n", base, args)), exitError{2}
	}
	if s.lie {
		return []byte("Updating certificates in /etc/ssl/certs...\n0 added, 0 removed; done.\n"), nil, nil
	}
	bundle := append([]byte(nil), s.distro...)
	var added []string
	dir := filepath.Join(e.root, s.anchors)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || s.ext != "" && filepath.Ext(p) != s.ext || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		bundle = append(bundle, data...)
		added = append(added, p)
		return nil
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(e.root, s.bundle), bundle, 0o644)
	}
	if err != nil {
		return nil, []byte(base + ": " + err.Error() + "\n"), exitError{1}
	}
	e.javaHook(added)
	return []byte(fmt.Sprintf("Updating certificates in /etc/ssl/certs...\n%d added, 0 removed; done.\n", len(added))), nil, nil
}

// javaHook is Debian's ca-certificates-java: each anchor into the JDK keystore as
// debian:NAME.pem, added, never removed.
func (e *testEnv) javaHook(anchors []string) {
	if e.system.javaMirror == "" {
		return
	}
	real, err := filepath.EvalSymlinks(filepath.Join(e.root, e.system.javaMirror))
	ks := e.keystores[real]
	if err != nil || ks == nil {
		return
	}
	for _, a := range anchors {
		alias := "debian:" + strings.TrimSuffix(filepath.Base(a), filepath.Ext(a)) + ".pem"
		data, _ := os.ReadFile(a)
		b, _ := pem.Decode(data)
		if _, ok := ks.holds(alias); !ok && b != nil {
			ks.entries = append(ks.entries, fakeKeyEntry{alias: alias, der: b.Bytes})
		}
	}
}

// install is `install -m 0644 SRC DST`.
func (e *testEnv) install(args []string) ([]byte, []byte, error) {
	if len(args) != 4 || args[0] != "-m" || args[1] != "0644" {
		return nil, []byte(fmt.Sprintf("install: unexpected arguments %q\n", args)), exitError{1}
	}
	data, err := os.ReadFile(args[2])
	if err == nil {
		err = os.WriteFile(args[3], data, 0o644)
	}
	if err == nil {
		err = os.Chmod(args[3], 0o644)
	}
	if err != nil {
		return nil, []byte("install: " + err.Error() + "\n"), exitError{1}
	}
	return nil, nil, nil
}

// rm is `rm -f -- PATH`.
func (e *testEnv) rm(args []string) ([]byte, []byte, error) {
	if len(args) != 3 || args[0] != "-f" || args[1] != "--" {
		return nil, []byte(fmt.Sprintf("rm: unexpected arguments %q\n", args)), exitError{1}
	}
	if err := os.Remove(args[2]); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, []byte("rm: " + err.Error() + "\n"), exitError{1}
	}
	return nil, nil, nil
}
