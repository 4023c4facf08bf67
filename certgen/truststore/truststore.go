// Package truststore puts a local CA's root certificate into the trust stores of this machine
// (the system's, NSS databases of Firefox and Chromium, the JDK's cacerts), takes it out again,
// and says whether each store trusts it. Each store is judged by the certificate's SHA-256
// fingerprint, never by its name, and reports on its own: one store failing never stops the
// others. Only what this package added is ever removed.
//
// The stores are changed through their own tools (update-ca-certificates, certutil, keytool),
// run through Options.Run. The package never prints, never asks for a password and never
// raises its privileges: where root is needed and the process is not root, the result says so
// and names the command (Options.Sudo runs the tools through sudo, when the user asked).
package truststore

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Store names, in the order stores are tried.
const (
	System = "system"
	NSS    = "nss"
	Java   = "java"
)

// Names are the stores this package knows.
var Names = []string{System, NSS, Java}

// Outcome is what became of one store (one location of it: an NSS database, a keystore).
type Outcome string

const (
	Installed        Outcome = "installed"
	AlreadyInstalled Outcome = "already_installed"
	Removed          Outcome = "removed"
	NotInstalled     Outcome = "not_installed" // uninstall: tlskit had not installed it there
	Trusted          Outcome = "trusted"
	NotTrusted       Outcome = "not_trusted"
	NotFound         Outcome = "not_found" // the store is not on this machine
	Failed           Outcome = "failed"
)

// Result is one store's line.
type Result struct {
	Store string `json:"store"`
	// Location is what was looked at or changed: the anchor file, the NSS database, the keystore.
	Location string  `json:"location,omitempty"`
	Outcome  Outcome `json:"outcome"`
	// Detail says more for people: how it is trusted, what is left, why it failed.
	Detail string `json:"detail,omitempty"`
	// Hint is the next step, when there is one (a command to run as root, a package to install).
	Hint string `json:"hint,omitempty"`
}

// OK reports whether the result is a success for the action asked.
func (r Result) OK() bool {
	switch r.Outcome {
	case Failed, NotTrusted:
		return false
	}
	return true
}

// CA is the certificate to install: a CA's root.
type CA struct {
	Cert *x509.Certificate
	// Fingerprint is the certificate's SHA-256, lower-case hex.
	Fingerprint string
}

// NewCA checks that c can be a trust anchor: a CA certificate that signed itself.
func NewCA(c *x509.Certificate) (CA, error) {
	if !c.IsCA {
		return CA{}, fmt.Errorf("%q is not a CA certificate", c.Subject.String())
	}
	if c.CheckSignatureFrom(c) != nil {
		return CA{}, fmt.Errorf("%q is not self-signed: only a root certificate is installed", c.Subject.String())
	}
	sum := sha256.Sum256(c.Raw)
	return CA{Cert: c, Fingerprint: hex.EncodeToString(sum[:])}, nil
}

// PEM is the certificate in PEM.
func (ca CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Label is the name tlskit gives the certificate in a store: its subject's common name and the
// start of its fingerprint, so two CAs of the same name are two entries, and uninstall finds
// its own entry (it then checks the fingerprint, not the name).
func (ca CA) Label() string {
	name := ca.Cert.Subject.CommonName
	if name == "" {
		name = "tlskit CA"
	}
	return fmt.Sprintf("%s (%s)", name, ca.Fingerprint[:16])
}

// fileName is the file tlskit writes into a directory of trust anchors.
func (ca CA) fileName(ext string) string { return "tlskit-" + ca.Fingerprint[:16] + ext }

// Runner runs a store's tool and returns what it wrote. env is added to the process's
// environment.
type Runner func(ctx context.Context, env []string, name string, args ...string) (stdout, stderr []byte, err error)

// Options are what a store needs to know of its environment.
type Options struct {
	// Run runs the stores' tools (ExecRunner when nil).
	Run Runner
	// LookPath finds a tool (exec.LookPath when nil).
	LookPath func(string) (string, error)
	// Getenv reads the environment (os.Getenv when nil): HOME, JAVA_HOME.
	Getenv func(string) string
	// Root is the file-system root the system store's paths are under ("/" when empty); tests
	// of the system store's logic give a temporary directory.
	Root string
	// IsRoot says whether the process may write the system's trust (os.Geteuid() == 0 when nil).
	IsRoot func() bool
	// Sudo runs the tools that need root through `sudo`, when the user asked for it.
	Sudo bool
	// GOOS is the system (runtime.GOOS when empty).
	GOOS string
	// JavaStorePass is the JDK keystore's password (DefaultJavaStorePass when empty).
	JavaStorePass string
}

// asRoot is the command line that runs name with args with root's rights: through sudo when the
// user asked for it (Sudo) and this process is not root, else as it is.
func (o Options) asRoot(name string, args []string) (string, []string) {
	if o.Sudo && !o.IsRoot() {
		return "sudo", append([]string{"--", name}, args...)
	}
	return name, args
}

// undoTimeout bounds undoing a half-done install.
const undoTimeout = 30 * time.Second

// undoContext is the context an undo runs under: not ended by the caller's cancellation (an
// install that Ctrl-C stopped half-way must still be rolled back, not left half-done), but
// bounded on its own.
func undoContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
}

// ToolTimeout bounds each run of a store's tool.
const ToolTimeout = 2 * time.Minute

// ExecRunner runs the tool with os/exec, its output captured, under ToolTimeout.
func ExecRunner(ctx context.Context, env []string, name string, args ...string) ([]byte, []byte, error) {
	run, cancel := context.WithTimeout(ctx, ToolTimeout)
	defer cancel()
	cmd := exec.CommandContext(run, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	// Only ToolTimeout running out is a timeout: the caller's context ending (an interrupt,
	// its own deadline) is said as such.
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = fmt.Errorf("%s was interrupted: %w", name, ctx.Err())
	case run.Err() != nil:
		err = fmt.Errorf("%s did not finish within %v", name, ToolTimeout)
	}
	return []byte(out.String()), []byte(errb.String()), err
}

func (o Options) withDefaults() Options {
	if o.Run == nil {
		o.Run = ExecRunner
	}
	if o.LookPath == nil {
		o.LookPath = exec.LookPath
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Root == "" {
		o.Root = "/"
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.IsRoot == nil {
		o.IsRoot = func() bool { return os.Geteuid() == 0 }
	}
	return o
}

// toolError is a tool's failure in one line: its last line of stderr (or stdout), else err.
// The tool's name is said once: certutil starts its lines with it already ("certutil:
// function failed: ...").
func toolError(name string, stdout, stderr []byte, err error) error {
	for _, text := range [][]byte{stderr, stdout} {
		lines := strings.Split(strings.TrimSpace(string(text)), "\n")
		last := strings.TrimSpace(lines[len(lines)-1])
		// NSS's tools end with ": CODE: words" on a line of its own, after the line that says
		// what failed ("certutil: Could not find cert: X"): the two are one message.
		if strings.HasPrefix(last, ": ") && len(lines) > 1 {
			last = strings.TrimSpace(lines[len(lines)-2]) + last
		}
		if last != "" {
			if strings.HasPrefix(last, name+": ") {
				return errors.New(last)
			}
			return fmt.Errorf("%s: %s", name, last)
		}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// quoteList is names each quoted, comma-separated: "a", "b". (Quoting the joined list with %q
// would escape the quotes between them.)
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// ErrUnknownStore is a store name this package does not know.
var ErrUnknownStore = errors.New("unknown trust store")

// Action is what is done to each store.
type Action int

const (
	Install Action = iota
	Uninstall
	Status
)

// store is one kind of trust store. Each method returns one result per location (several NSS
// databases), or one result saying the store is not found.
type store interface {
	install(ctx context.Context, ca CA) []Result
	uninstall(ctx context.Context, ca CA) []Result
	status(ctx context.Context, ca CA) []Result
	// found reports whether the store exists on this machine, for the default of every store
	// found.
	found() bool
}

func newStore(name string, o Options) (store, error) {
	switch name {
	case System:
		switch o.GOOS {
		case "darwin":
			return &macStore{o: o}, nil
		case "windows":
			return &winStore{o: o}, nil
		}
		return newSystemStore(o), nil
	case NSS:
		return &nssStore{o: o}, nil
	case Java:
		return &javaStore{o: o}, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownStore, name, strings.Join(Names, ", "))
}

// Do applies the action to the named stores (every store found on this machine when names is
// empty) and returns their results, store by store, in the order named. A store named but not
// found is a NotFound result, which with names given is a failure (Result.OK is false for
// it then: the user asked for that store).
func Do(ctx context.Context, o Options, action Action, ca CA, names []string) ([]Result, error) {
	o = o.withDefaults()
	explicit := len(names) > 0
	if !explicit {
		names = Names
	}
	// --store nss,nss is one store, done once.
	seen := map[string]bool{}
	names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { dup := seen[n]; seen[n] = true; return dup })
	var stores []store
	for _, n := range names {
		s, err := newStore(n, o)
		if err != nil {
			return nil, err
		}
		stores = append(stores, s)
	}
	var out []Result
	for i, s := range stores {
		if !s.found() {
			if explicit {
				out = append(out, notFound(names[i], s))
			}
			continue
		}
		var rs []Result
		switch action {
		case Install:
			rs = s.install(ctx, ca)
		case Uninstall:
			rs = s.uninstall(ctx, ca)
		default:
			rs = s.status(ctx, ca)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// notFound is the line of a store that is not on this machine.
func notFound(name string, s store) Result {
	r := Result{Store: name, Outcome: NotFound}
	if h, ok := s.(interface{ notFoundHint() (string, string) }); ok {
		r.Detail, r.Hint = h.notFoundHint()
	}
	return r
}

// Failure reports whether a result of a requested store is a failure: a failed action, a store
// that does not trust the CA (status), or a store asked for by name that is not here.
func Failure(r Result, explicit bool) bool {
	return !r.OK() || (explicit && r.Outcome == NotFound)
}
