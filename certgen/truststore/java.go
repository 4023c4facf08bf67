package truststore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultJavaStorePass is the JDK's cacerts password, the same in every JDK.
const DefaultJavaStorePass = "changeit"

// javaStore is the JDK's cacerts, changed through its keytool: the JDK of JAVA_HOME, else the
// one whose keytool is on PATH.
type javaStore struct {
	o        Options
	keytool  string
	keystore string
	looked   bool
}

func (s *javaStore) look() {
	if s.looked {
		return
	}
	s.looked = true
	home := s.o.Getenv("JAVA_HOME")
	if home != "" {
		if kt := filepath.Join(home, "bin", "keytool"); isFile(kt) || isFile(kt+".exe") {
			s.keytool = kt
		}
	} else if kt, err := s.o.LookPath("keytool"); err == nil {
		s.keytool = kt
		// /usr/bin/keytool is a link into the JDK (Debian: /usr/lib/jvm/...), whose cacerts
		// is the one it uses.
		if real, err := filepath.EvalSymlinks(kt); err == nil {
			home = filepath.Dir(filepath.Dir(real))
		}
	}
	if s.keytool == "" || home == "" {
		return
	}
	for _, ks := range []string{
		filepath.Join(home, "lib", "security", "cacerts"),        // JDK 9 and later
		filepath.Join(home, "jre", "lib", "security", "cacerts"), // JDK 8
	} {
		if isFile(ks) {
			s.keystore = ks
			return
		}
	}
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func (s *javaStore) found() bool {
	s.look()
	return s.keytool != "" && s.keystore != ""
}

func (s *javaStore) notFoundHint() (string, string) {
	if s.keytool != "" {
		return "keytool " + s.keytool + " has no cacerts beside it", "set JAVA_HOME to the JDK"
	}
	// JAVA_HOME set is used alone (keytool on PATH is not looked for): saying it is not set
	// would send the user looking in the wrong place.
	if home := s.o.Getenv("JAVA_HOME"); home != "" {
		return "JAVA_HOME=" + home + " has no bin/keytool", "set JAVA_HOME to the JDK whose cacerts should trust the CA"
	}
	return "no JDK: JAVA_HOME is not set and keytool is not on PATH", "set JAVA_HOME to the JDK whose cacerts should trust the CA"
}

func (s *javaStore) storepass() string {
	if s.o.JavaStorePass != "" {
		return s.o.JavaStorePass
	}
	return DefaultJavaStorePass
}

func (s *javaStore) alias(ca CA) string { return "tlskit-" + ca.Fingerprint[:16] }

func (s *javaStore) result(o Outcome, detail string) Result {
	return Result{Store: Java, Location: s.keystore, Outcome: o, Detail: detail}
}

// keytoolJVM are the JVM options every keytool run gets: keytool's messages in English (its
// "Alias name:" and "SHA256:" lines are what is parsed), and a JVM that starts rather than
// optimises (C1 only, the serial collector): 0.28 s instead of 0.57 s per run, measured on
// OpenJDK 17 listing the JDK's cacerts, where a keytool run lasts well under a second.
var keytoolJVM = []string{"-J-Duser.language=en", "-J-Duser.country=US", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"}

func (s *javaStore) run(ctx context.Context, args ...string) ([]byte, error) {
	name := s.keytool
	args = append(append(append([]string{}, keytoolJVM...), args...), "-keystore", s.keystore, "-storepass", s.storepass())
	if !writable(s.keystore) {
		name, args = s.o.asRoot(name, args)
	}
	stdout, stderr, err := s.o.Run(ctx, nil, name, args...)
	if err != nil {
		return stdout, keytoolError(stdout, stderr, err)
	}
	return stdout, nil
}

// keytoolError is keytool's failure in one line. keytool prints "keytool error: ..." on
// stdout, and with -v (which -list -v needs) the stack trace after it, whose last line is
// "\t... 7 more" (measured, OpenJDK 17): that line, not the last, says why.
func keytoolError(stdout, stderr []byte, err error) error {
	for _, text := range [][]byte{stdout, stderr} {
		for _, line := range strings.Split(string(text), "\n") {
			if msg, ok := strings.CutPrefix(strings.TrimSpace(line), "keytool error: "); ok {
				return fmt.Errorf("keytool: %s", msg)
			}
		}
	}
	return toolError("keytool", stdout, stderr, err)
}

// aliases maps each alias of the keystore to its certificate's fingerprint (keytool -list -v
// prints "SHA256: AA:BB:...").
func (s *javaStore) aliases(ctx context.Context) (map[string]string, error) {
	out, err := s.run(ctx, "-list", "-v")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	alias := ""
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if a, ok := strings.CutPrefix(line, "Alias name: "); ok {
			alias = a
			continue
		}
		if fp, ok := strings.CutPrefix(line, "SHA256: "); ok && alias != "" {
			if _, seen := m[alias]; !seen {
				m[alias] = strings.ToLower(strings.ReplaceAll(fp, ":", ""))
			}
		}
	}
	return m, nil
}

// holders are the aliases holding the CA, sorted: they come from a map, and the results that
// name them must not change from one run to the next.
func holders(aliases map[string]string, ca CA) []string {
	var out []string
	for a, fp := range aliases {
		if fp == ca.Fingerprint {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func (s *javaStore) status(ctx context.Context, ca CA) []Result {
	aliases, err := s.aliases(ctx)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	if h := holders(aliases, ca); len(h) > 0 {
		return []Result{s.result(Trusted, aliasDetail(h[0]))}
	}
	return []Result{s.result(NotTrusted, "")}
}

// writable reports whether this process may write the file.
func writable(path string) bool {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

func (s *javaStore) needsRoot(action string) (Result, bool) {
	if writable(s.keystore) || s.o.Sudo {
		return Result{}, false
	}
	r := s.result(Failed, fmt.Sprintf("%s is not writable by this user", s.keystore))
	r.Hint = fmt.Sprintf("add --sudo, which runs keytool through sudo (or run tlskit ca %s --store java as the keystore's owner)", action)
	return r, true
}

// aliasDetail says how a keystore holds the CA, and where an entry came from when tlskit
// knows: Debian's ca-certificates-java names its copies of the system's anchors debian:NAME.
func aliasDetail(alias string) string {
	d := fmt.Sprintf("as alias %q", alias)
	if strings.HasPrefix(alias, "debian:tlskit-") {
		d += " (copied from the system store by Debian's ca-certificates-java; uninstalling the system store removes it)"
	}
	return d
}

func (s *javaStore) install(ctx context.Context, ca CA) []Result {
	aliases, err := s.aliases(ctx)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	if h := holders(aliases, ca); len(h) > 0 {
		return []Result{s.result(AlreadyInstalled, aliasDetail(h[0]))}
	}
	if r, ok := s.needsRoot("install"); ok {
		return []Result{r}
	}
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	defer cleanup()
	if _, err := s.run(ctx, "-importcert", "-noprompt", "-alias", s.alias(ca), "-file", file); err != nil {
		// keytool writes the keystore whole or not at all: nothing to undo.
		return []Result{s.result(Failed, err.Error())}
	}
	return []Result{s.result(Installed, fmt.Sprintf("as alias %q", s.alias(ca)))}
}

func (s *javaStore) uninstall(ctx context.Context, ca CA) []Result {
	aliases, err := s.aliases(ctx)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	var others []string
	own := false
	for _, a := range holders(aliases, ca) {
		if a == s.alias(ca) {
			own = true
		} else {
			others = append(others, a)
		}
	}
	detail := ""
	if len(others) > 0 {
		detail = "still trusted, not installed by tlskit, as alias " + quoteList(others)
	}
	if !own {
		return []Result{s.result(NotInstalled, detail)}
	}
	if r, ok := s.needsRoot("uninstall"); ok {
		return []Result{r}
	}
	if _, err := s.run(ctx, "-delete", "-alias", s.alias(ca)); err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	return []Result{s.result(Removed, detail)}
}
