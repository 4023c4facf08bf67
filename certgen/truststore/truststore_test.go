package truststore

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNewCA(t *testing.T) {
	root, rootKey := newRoot(t, "Test Root CA")
	inter, _ := newCert(t, caTemplate("Test Intermediate CA"), root, rootKey)
	leaf, _ := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "leaf.test"}, DNSNames: []string{"leaf.test"}}, root, rootKey)
	selfLeaf, _ := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "self.test"}, BasicConstraintsValid: true}, nil, nil)
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		err  string // "" for a CA
	}{
		{"self-signed root", root, ""},
		{"intermediate", inter, "is not self-signed"},
		{"leaf", leaf, "is not a CA certificate"},
		{"self-signed non-CA", selfLeaf, "is not a CA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := NewCA(tc.cert)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), tc.cert.Subject.CommonName) {
					t.Fatalf("NewCA: err %v, want one naming %q and saying %q", err, tc.cert.Subject.CommonName, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := derFingerprint(tc.cert.Raw); ca.Fingerprint != want {
				t.Errorf("Fingerprint %s, want %s", ca.Fingerprint, want)
			}
			if want := "Test Root CA (" + ca.Fingerprint[:16] + ")"; ca.Label() != want {
				t.Errorf("Label %q, want %q", ca.Label(), want)
			}
			if !pemHolds(ca.PEM(), ca.Fingerprint) {
				t.Errorf("PEM does not hold the certificate")
			}
		})
	}
}

func TestLabelWithoutCommonName(t *testing.T) {
	tmpl := caTemplate("")
	tmpl.Subject = pkix.Name{Organization: []string{"No CN"}}
	c, _ := newCert(t, tmpl, nil, nil)
	ca, err := NewCA(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := "tlskit CA (" + ca.Fingerprint[:16] + ")"; ca.Label() != want {
		t.Errorf("Label %q, want %q", ca.Label(), want)
	}
	if want := "tlskit-" + ca.Fingerprint[:16] + ".crt"; ca.fileName(".crt") != want {
		t.Errorf("fileName %q, want %q", ca.fileName(".crt"), want)
	}
}

func TestToolError(t *testing.T) {
	base := errors.New("exit status 1")
	for _, tc := range []struct {
		name           string
		stdout, stderr string
		want           string
	}{
		{"last line of stderr", "ignored\n", "first\nsecond line  \n\n", "tool: second line"},
		{"stdout when stderr is empty", "out one\nout two\n", "", "tool: out two"},
		{"stdout when stderr is blank", "out\n", " \n\t\n", "tool: out"},
		{"the error when both are empty", "", "", "tool: exit status 1"},
		{"a line that names the tool already", "", "tool: bad database.\n", "tool: bad database."},
		{"a line that names another", "", "toolbox: x\n", "tool: toolbox: x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := toolError("tool", []byte(tc.stdout), []byte(tc.stderr), base)
			if err.Error() != tc.want {
				t.Errorf("toolError = %q, want %q", err, tc.want)
			}
		})
	}
	if err := toolError("tool", nil, nil, base); !errors.Is(err, base) {
		t.Errorf("toolError does not wrap the error when it says only it: %v", err)
	}
}

func TestFailure(t *testing.T) {
	for _, tc := range []struct {
		outcome            Outcome
		ok                 bool
		failure, failNamed bool
	}{
		{Installed, true, false, false},
		{AlreadyInstalled, true, false, false},
		{Removed, true, false, false},
		{NotInstalled, true, false, false},
		{Trusted, true, false, false},
		{NotTrusted, false, true, true},
		{Failed, false, true, true},
		{NotFound, true, false, true},
	} {
		r := Result{Outcome: tc.outcome}
		if r.OK() != tc.ok || Failure(r, false) != tc.failure || Failure(r, true) != tc.failNamed {
			t.Errorf("%s: OK %v, Failure(default) %v, Failure(named) %v; want %v, %v, %v",
				tc.outcome, r.OK(), Failure(r, false), Failure(r, true), tc.ok, tc.failure, tc.failNamed)
		}
	}
}

func stores(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Store)
	}
	return out
}

func TestDo(t *testing.T) {
	ca := testCA(t, "Do CA")
	// setup makes a machine with the stores named: "system" (Debian), "nss" (one database),
	// "java" (a JDK on PATH).
	setup := func(t *testing.T, present ...string) *testEnv {
		e := newTestEnv(t)
		e.isRoot = true
		for _, p := range present {
			switch p {
			case System:
				e.debian()
			case NSS:
				e.nssDB(filepath.Join(e.home, ".pki", "nssdb"), false)
				e.tool("certutil")
			case Java:
				jdk := filepath.Join(e.dir, "jdk")
				writeFile(t, filepath.Join(jdk, "bin", "keytool"), "", 0o755)
				e.keystore(filepath.Join(jdk, "lib", "security", "cacerts"))
				e.path["keytool"] = filepath.Join(jdk, "bin", "keytool")
			}
		}
		return e
	}
	for _, tc := range []struct {
		name    string
		present []string
		action  Action
		names   []string
		want    []string  // the results' stores, in order
		wantOut []Outcome // their outcomes
		failed  []bool    // Failure(r, names given)
	}{
		{"default: every store found", []string{System, NSS, Java}, Install, nil,
			[]string{System, NSS, Java}, []Outcome{Installed, Installed, Installed}, []bool{false, false, false}},
		{"default: only the stores found", []string{NSS}, Install, nil,
			[]string{NSS}, []Outcome{Installed}, []bool{false}},
		{"default: no store found", nil, Status, nil, nil, nil, nil},
		{"named: in the order named", []string{System, NSS, Java}, Status, []string{Java, System},
			[]string{Java, System}, []Outcome{NotTrusted, NotTrusted}, []bool{true, true}},
		{"named: a missing store is not found, and a failure", []string{System}, Install, []string{System, Java},
			[]string{System, Java}, []Outcome{Installed, NotFound}, []bool{false, true}},
		{"named: uninstall of nothing", []string{NSS}, Uninstall, []string{NSS},
			[]string{NSS}, []Outcome{NotInstalled}, []bool{false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, tc.present...)
			rs := e.do(tc.action, ca, tc.names...)
			if got := stores(rs); !slices.Equal(got, tc.want) {
				t.Fatalf("stores %q, want %q (results %+v)", got, tc.want, rs)
			}
			for i, r := range rs {
				if r.Outcome != tc.wantOut[i] || Failure(r, len(tc.names) > 0) != tc.failed[i] {
					t.Errorf("%s: %s (failure %v), want %s (failure %v): %+v", r.Store, r.Outcome, Failure(r, len(tc.names) > 0), tc.wantOut[i], tc.failed[i], r)
				}
			}
		})
	}
}

func TestDoNotFoundHints(t *testing.T) {
	e := newTestEnv(t)
	rs := e.do(Status, testCA(t, "Hint CA"), System, NSS, Java)
	want := map[string]string{System: "ca-certificates", NSS: "start Chromium or Firefox", Java: "JAVA_HOME"}
	for _, r := range rs {
		if r.Outcome != NotFound || r.Detail == "" || !strings.Contains(r.Hint, want[r.Store]) {
			t.Errorf("%s: %+v, want not_found with a detail and a hint naming %q", r.Store, r, want[r.Store])
		}
	}
	if len(e.calls) != 0 {
		t.Errorf("tools ran for stores not found: %q", e.calls)
	}
}

func TestDoUnknownStore(t *testing.T) {
	e := newTestEnv(t)
	e.debian()
	e.isRoot = true
	ca := testCA(t, "Unknown CA")
	rs, err := Do(context.Background(), e.opts(), Install, ca, []string{System, "keychain"})
	if !errors.Is(err, ErrUnknownStore) || !strings.Contains(err.Error(), `"keychain"`) || rs != nil {
		t.Fatalf("Do = %v, %v; want ErrUnknownStore naming the store", rs, err)
	}
	if len(e.calls) != 0 {
		t.Errorf("a store was changed before the unknown name was refused: %q", e.calls)
	}
}

func TestDoDebianMachine(t *testing.T) {
	// Debian: the JDK's cacerts is a link to /etc/ssl/certs/java/cacerts, the keystore the
	// system store's Java hook fills. Installing everywhere puts the CA there once (the java
	// store sees the hook's entry), and uninstalling everywhere takes it out again.
	ca := testCA(t, "Debian Machine CA")
	e := newTestEnv(t)
	s := e.debian()
	e.isRoot = true
	s.javaMirror = "etc/ssl/certs/java/cacerts"
	ks := e.keystore(filepath.Join(e.root, s.javaMirror))
	jdk := filepath.Join(e.root, "usr", "lib", "jvm", "java-17-openjdk-amd64")
	writeFile(t, filepath.Join(jdk, "bin", "keytool"), "", 0o755)
	if err := os.MkdirAll(filepath.Join(jdk, "lib", "security"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(e.root, s.javaMirror), filepath.Join(jdk, "lib", "security", "cacerts")); err != nil {
		t.Fatal(err)
	}
	e.path["keytool"] = filepath.Join(jdk, "bin", "keytool")
	e.nssDB(filepath.Join(e.home, ".pki", "nssdb"), false)
	e.tool("certutil")
	mirror := "debian:tlskit-" + ca.Fingerprint[:16] + ".pem"

	outcomes := func(rs []Result) []Outcome {
		var out []Outcome
		for _, r := range rs {
			out = append(out, r.Outcome)
		}
		return out
	}
	for _, step := range []struct {
		action  Action
		want    []Outcome
		aliases []string
	}{
		{Install, []Outcome{Installed, Installed, AlreadyInstalled}, []string{mirror}},
		{Status, []Outcome{Trusted, Trusted, Trusted}, []string{mirror}},
		{Uninstall, []Outcome{Removed, Removed, NotInstalled}, nil},
		{Status, []Outcome{NotTrusted, NotTrusted, NotTrusted}, nil},
	} {
		rs := e.do(step.action, ca)
		if got := outcomes(rs); !slices.Equal(got, step.want) || !slices.Equal(stores(rs), Names) {
			t.Fatalf("action %d: %q %q, want %q (%+v)", step.action, stores(rs), got, step.want, rs)
		}
		if got := ks.aliases(); !slices.Equal(got, step.aliases) {
			t.Errorf("action %d: keystore aliases %q, want %q", step.action, got, step.aliases)
		}
	}
}

// TestDoOnceEachStore: a store named twice is done once.
func TestDoOnceEachStore(t *testing.T) {
	ca := testCA(t, "Twice CA")
	e := newTestEnv(t)
	if rs := e.do(Status, ca, NSS, NSS, Java, NSS); len(rs) != 2 || rs[0].Store != NSS || rs[1].Store != Java {
		t.Errorf("results %+v, want nss then java, once each", rs)
	}
}

// TestToolErrorJoinsNSSLines: NSS's tools say what failed on one line and the error code on
// the next, which begins with ": "; the two are one message.
func TestToolErrorJoinsNSSLines(t *testing.T) {
	err := toolError("certutil", nil, []byte("certutil: Could not find cert:  spaced\n: PR_FILE_NOT_FOUND_ERROR: File not found\n"), exitError{255})
	if want := "certutil: Could not find cert:  spaced: PR_FILE_NOT_FOUND_ERROR: File not found"; err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
}
