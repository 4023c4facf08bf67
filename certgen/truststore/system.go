package truststore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// systemFlavor is one Linux family's way of adding a trust anchor: a directory of anchor files,
// the tool that rebuilds the bundle from it, and the bundle OpenSSL, curl and Python read.
type systemFlavor struct {
	name    string
	anchors string
	ext     string // Debian's tool takes only *.crt
	update  []string
	// removal rebuilds the bundle after an anchor was taken away, when update does not undo
	// all of an install (nil: update).
	removal []string
	bundle  string
	// javaMirror is a JDK keystore the update fills from the system's anchors (Debian's
	// ca-certificates-java hook), with the alias javaAlias gives an anchor file.
	javaMirror string
	javaAlias  func(anchorFile string) string
}

// linuxFlavors, tried in order: the first whose anchor directory exists and whose tool is on
// PATH is this machine's.
var linuxFlavors = []systemFlavor{
	{name: "Fedora/RHEL", anchors: "/etc/pki/ca-trust/source/anchors", ext: ".pem", update: []string{"update-ca-trust", "extract"},
		bundle: "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
	{name: "Arch", anchors: "/etc/ca-certificates/trust-source/anchors", ext: ".crt", update: []string{"trust", "extract-compat"},
		bundle: "/etc/ssl/certs/ca-certificates.crt"},
	{name: "openSUSE", anchors: "/etc/pki/trust/anchors", ext: ".pem", update: []string{"update-ca-certificates"},
		bundle: "/etc/ssl/ca-bundle.pem"},
	// Debian, Ubuntu and Alpine. Debian's tool rebuilds the bundle without a removed local
	// anchor, but leaves its two links in /etc/ssl/certs (the NAME.pem link and its hash link,
	// both dangling) unless told --fresh, which redoes every link: measured, the listing of
	// /etc/ssl/certs after install and a plain update differs from before; with --fresh it is
	// the same.
	//
	// Its ca-certificates-java hook copies each new anchor into /etc/ssl/certs/java/cacerts as
	// debian:NAME.pem, and never takes one out again (not even with --fresh, which replaces
	// every entry but keeps the extra ones: measured), so uninstall deletes that entry itself.
	{name: "Debian", anchors: "/usr/local/share/ca-certificates", ext: ".crt", update: []string{"update-ca-certificates"},
		removal: []string{"update-ca-certificates", "--fresh"}, bundle: "/etc/ssl/certs/ca-certificates.crt",
		javaMirror: "/etc/ssl/certs/java/cacerts", javaAlias: func(anchor string) string {
			return "debian:" + strings.TrimSuffix(filepath.Base(anchor), filepath.Ext(anchor)) + ".pem"
		}},
}

type systemStore struct {
	o      Options
	flavor *systemFlavor
	tool   string // the update tool's path
	goos   string
}

func newSystemStore(o Options) *systemStore {
	s := &systemStore{o: o, goos: o.GOOS}
	if s.goos == "" {
		s.goos = runtime.GOOS
	}
	if s.goos != "linux" {
		return s
	}
	for i := range linuxFlavors {
		f := &linuxFlavors[i]
		if st, err := os.Stat(s.path(f.anchors)); err != nil || !st.IsDir() {
			continue
		}
		if tool, ok := s.findTool(f.update[0]); ok {
			s.flavor, s.tool = f, tool
			return s
		}
	}
	return s
}

// sbinDirs are where the update tools live when they are not on PATH.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin"}

// findTool finds an update tool on PATH, else in the sbin directories: Debian's
// update-ca-certificates is in /usr/sbin, which is not on a user's PATH (ENV_PATH in
// /etc/login.defs), and a user would hear there is no system store instead of that it needs
// root (or have --sudo do nothing).
func (s *systemStore) findTool(name string) (string, bool) {
	if tool, err := s.o.LookPath(name); err == nil {
		return tool, true
	}
	for _, dir := range sbinDirs {
		p := s.path(filepath.Join(dir, name))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

func (s *systemStore) found() bool { return s.flavor != nil }

func (s *systemStore) notFoundHint() (string, string) {
	if s.goos != "linux" {
		return fmt.Sprintf("the system store of %s is not supported yet", s.goos), ""
	}
	return "no known trust anchor directory with its tool (update-ca-certificates, update-ca-trust, trust)", "install the ca-certificates package"
}

// path is p under the options' root.
func (s *systemStore) path(p string) string { return filepath.Join(s.o.Root, p) }

func (s *systemStore) anchorFile(ca CA) string {
	return filepath.Join(s.path(s.flavor.anchors), ca.fileName(s.flavor.ext))
}

func (s *systemStore) result(o Outcome, location, detail string) Result {
	return Result{Store: System, Location: location, Outcome: o, Detail: detail}
}

// needsRoot is the result of a change this process may not make.
func (s *systemStore) needsRoot(action string) Result {
	r := s.result(Failed, s.path(s.flavor.anchors), "changing the system trust store needs root")
	r.Hint = fmt.Sprintf("add --sudo, which runs %s through sudo (or run sudo tlskit ca %s --store system)", s.flavor.update[0], action)
	return r
}

// inBundle reports whether the bundle clients read holds the CA.
func (s *systemStore) inBundle(ca CA) (bool, error) {
	data, err := os.ReadFile(s.path(s.flavor.bundle))
	if err != nil {
		return false, err
	}
	return pemHolds(data, ca.Fingerprint), nil
}

// pemHolds reports whether a PEM file has a certificate of this SHA-256 fingerprint.
func pemHolds(data []byte, fingerprint string) bool {
	for _, fp := range pemFingerprints(data) {
		if fp == fingerprint {
			return true
		}
	}
	return false
}

// pemFingerprints are the SHA-256 fingerprints of the certificates of a PEM file.
func pemFingerprints(data []byte) []string {
	var out []string
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type == "CERTIFICATE" {
			sum := sha256.Sum256(b.Bytes)
			out = append(out, hex.EncodeToString(sum[:]))
		}
	}
}

// fileHolds reports whether the file at path is a PEM file holding the CA.
func fileHolds(path, fingerprint string) bool {
	data, err := os.ReadFile(path)
	return err == nil && pemHolds(data, fingerprint)
}

// otherAnchor is an anchor file other than tlskit's that holds the CA, if any.
func (s *systemStore) otherAnchor(ca CA) string {
	dir := s.path(s.flavor.anchors)
	own := s.anchorFile(ca)
	found := ""
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == own || found != "" {
			return nil
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() && info.Size() < 1<<20 && fileHolds(p, ca.Fingerprint) {
			found = p
		}
		return nil
	})
	return found
}

// run runs the store's tool (through sudo when asked and needed). A failure is the tool's,
// named by it, even through sudo: most are the tool's own (sudo's own say "sudo:" anyway).
func (s *systemStore) run(ctx context.Context, name string, args ...string) error {
	tool := filepath.Base(name)
	name, args = s.o.asRoot(name, args)
	stdout, stderr, err := s.o.Run(ctx, nil, name, args...)
	if err != nil {
		return toolError(tool, stdout, stderr, err)
	}
	return nil
}

func (s *systemStore) update(ctx context.Context) error {
	return s.run(ctx, s.tool, s.flavor.update[1:]...)
}

// removalCommand is the command that rebuilds the bundle once an anchor was taken away.
func (s *systemStore) removalCommand() []string {
	if s.flavor.removal != nil {
		return s.flavor.removal
	}
	return s.flavor.update
}

// updateAfterRemoval rebuilds the bundle once an anchor was taken away.
func (s *systemStore) updateAfterRemoval(ctx context.Context) error {
	if s.flavor.removal == nil {
		return s.update(ctx)
	}
	return s.run(ctx, s.tool, s.flavor.removal[1:]...)
}

func (s *systemStore) mayChange() bool { return s.o.IsRoot() || s.o.Sudo }

func (s *systemStore) status(_ context.Context, ca CA) []Result {
	bundle := s.path(s.flavor.bundle)
	ok, err := s.inBundle(ca)
	if err != nil {
		return []Result{s.result(Failed, bundle, fmt.Sprintf("reading the system bundle: %v", unwrapPath(err)))}
	}
	own := s.anchorFile(ca)
	switch {
	case ok && fileHolds(own, ca.Fingerprint):
		return []Result{s.result(Trusted, bundle, "installed by tlskit as "+own)}
	case ok:
		return []Result{s.result(Trusted, bundle, "in the system bundle, not through tlskit's file")}
	case fileHolds(own, ca.Fingerprint):
		r := s.result(NotTrusted, bundle, own+" is in place, but the bundle was not rebuilt from it")
		r.Hint = "run " + strings.Join(s.flavor.update, " ") + " as root"
		return []Result{r}
	}
	return []Result{s.result(NotTrusted, bundle, "")}
}

func (s *systemStore) install(ctx context.Context, ca CA) []Result {
	own := s.anchorFile(ca)
	ok, err := s.inBundle(ca)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return []Result{s.result(Failed, s.path(s.flavor.bundle), fmt.Sprintf("reading the system bundle: %v", unwrapPath(err)))}
	}
	if ok {
		detail := "installed by tlskit as " + own
		if !fileHolds(own, ca.Fingerprint) {
			detail = "already in the system bundle, not through tlskit (uninstall will not remove it)"
		}
		return []Result{s.result(AlreadyInstalled, own, detail)}
	}
	if !s.mayChange() {
		return []Result{s.needsRoot("install")}
	}
	if err := s.writeAnchor(ctx, own, ca.PEM()); err != nil {
		return []Result{s.result(Failed, own, err.Error())}
	}
	if err := s.update(ctx); err != nil {
		return []Result{s.rollBack(ctx, ca, own, err)}
	}
	if ok, err := s.inBundle(ca); err != nil || !ok {
		why := fmt.Errorf("%s ran, but the bundle %s does not have the CA", s.flavor.update[0], s.path(s.flavor.bundle))
		return []Result{s.rollBack(ctx, ca, own, why)}
	}
	return []Result{s.result(Installed, own, "")}
}

// rollBack takes tlskit's anchor out again after a failed install, so nothing is left half
// done, and says why the install failed.
func (s *systemStore) rollBack(ctx context.Context, ca CA, own string, why error) Result {
	ctx, cancel := undoContext(ctx)
	defer cancel()
	detail := why.Error()
	if err := s.removeAnchor(ctx, own); err != nil {
		detail += fmt.Sprintf("; %s is left in place (%v): 'tlskit ca uninstall --store system' removes it", own, err)
	} else if err := s.updateAfterRemoval(ctx); err != nil {
		detail += fmt.Sprintf("; %s was removed, but rebuilding the bundle failed again (%v), so the bundle may still hold the CA: run %s as root", own, err, strings.Join(s.removalCommand(), " "))
	} else if err := s.cleanJavaMirror(ctx, own, ca); err != nil {
		detail += "; " + err.Error()
	}
	return s.result(Failed, own, detail)
}

func (s *systemStore) uninstall(ctx context.Context, ca CA) []Result {
	own := s.anchorFile(ca)
	if !fileHolds(own, ca.Fingerprint) {
		detail := ""
		if ok, _ := s.inBundle(ca); ok {
			detail = "still trusted, but not through tlskit"
			if other := s.otherAnchor(ca); other != "" {
				detail += ": " + other + " holds it"
			}
		}
		return []Result{s.result(NotInstalled, own, detail)}
	}
	if !s.mayChange() {
		return []Result{s.needsRoot("uninstall")}
	}
	if err := s.removeAnchor(ctx, own); err != nil {
		return []Result{s.result(Failed, own, err.Error())}
	}
	if err := s.updateAfterRemoval(ctx); err != nil {
		return []Result{s.result(Failed, own, fmt.Sprintf("%s was removed, but rebuilding the bundle failed: %v", own, err))}
	}
	if err := s.cleanJavaMirror(ctx, own, ca); err != nil {
		return []Result{s.result(Failed, own, fmt.Sprintf("%s was removed and the bundle rebuilt, but %v", own, err))}
	}
	detail := ""
	if ok, _ := s.inBundle(ca); ok {
		detail = "still trusted through another file"
		if other := s.otherAnchor(ca); other != "" {
			detail += ": " + other
		}
	}
	return []Result{s.result(Removed, own, detail)}
}

// cleanJavaMirror deletes the entry the update's Java hook made of tlskit's anchor, when it
// holds this CA: the hook adds but never removes.
func (s *systemStore) cleanJavaMirror(ctx context.Context, own string, ca CA) error {
	if s.flavor.javaMirror == "" || !isFile(s.path(s.flavor.javaMirror)) {
		return nil
	}
	keytool, err := s.o.LookPath("keytool")
	if err != nil {
		return nil // no JDK tools: nothing can have read that keystore's entry either
	}
	j := &javaStore{o: s.o, keytool: keytool, keystore: s.path(s.flavor.javaMirror), looked: true}
	aliases, err := j.aliases(ctx)
	if err != nil {
		return fmt.Errorf("checking %s: %v", j.keystore, err)
	}
	alias := s.flavor.javaAlias(own)
	if aliases[alias] != ca.Fingerprint {
		return nil
	}
	if _, err := j.run(ctx, "-delete", "-alias", alias); err != nil {
		return fmt.Errorf("deleting %s from %s: %v", alias, j.keystore, err)
	}
	return nil
}

// writeAnchor writes the anchor file whole (a temporary file renamed into place), mode 0644:
// the tool never sees half a certificate.
func (s *systemStore) writeAnchor(ctx context.Context, path string, data []byte) error {
	if s.o.Sudo && !s.o.IsRoot() {
		tmp, err := os.CreateTemp("", "tlskit-ca-*.pem")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(data); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return s.run(ctx, "install", "-m", "0644", tmp.Name(), path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tlskit-*.tmp")
	if err != nil {
		return fmt.Errorf("writing the anchor: %w", unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	return nil
}

func (s *systemStore) removeAnchor(ctx context.Context, path string) error {
	if s.o.Sudo && !s.o.IsRoot() {
		return s.run(ctx, "rm", "-f", "--", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the path an *fs.PathError repeats when the message names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}
