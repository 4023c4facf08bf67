package truststore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
)

// macSystemKeychain is the keychain whose admin trust settings every user's TLS clients
// (Safari, Chrome, curl with Secure Transport, Go) honour.
const macSystemKeychain = "/Library/Keychains/System.keychain"

// macStore is macOS's system trust: the certificate in the System keychain, trusted as a root
// for SSL in the admin trust settings, through /usr/bin/security. Changing it needs root (and
// macOS may still ask for confirmation in a dialog of its own, which tlskit cannot answer).
type macStore struct {
	o        Options
	security string
	looked   bool
}

func (s *macStore) look() {
	if s.looked {
		return
	}
	s.looked = true
	if p, err := s.o.LookPath("security"); err == nil {
		s.security = p
	}
}

func (s *macStore) found() bool {
	s.look()
	return s.security != ""
}

func (s *macStore) notFoundHint() (string, string) {
	return "/usr/bin/security is not on PATH", "run tlskit with /usr/bin on PATH"
}

func (s *macStore) result(o Outcome, detail string) Result {
	return Result{Store: System, Location: macSystemKeychain, Outcome: o, Detail: detail}
}

func (s *macStore) run(ctx context.Context, args ...string) ([]byte, error) {
	name, args := s.o.asRoot(s.security, args)
	stdout, stderr, err := s.o.Run(ctx, nil, name, args...)
	if err != nil {
		return stdout, toolError("security", stdout, stderr, err)
	}
	return stdout, nil
}

// inKeychain reports whether the System keychain holds the certificate: `find-certificate -a
// -Z` prints each one's "SHA-256 hash:" (and SHA-1) line.
func (s *macStore) inKeychain(ctx context.Context, ca CA) (bool, error) {
	stdout, stderr, err := s.o.Run(ctx, nil, s.security, "find-certificate", "-a", "-Z", macSystemKeychain)
	if err != nil {
		return false, toolError("security", stdout, stderr, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	for sc.Scan() {
		if h, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "SHA-256 hash: "); ok && strings.EqualFold(h, ca.Fingerprint) {
			return true, nil
		}
	}
	return false, nil
}

// trustedForSSL reports whether macOS trusts the certificate as a root for TLS: verify-cert
// builds its chain (itself) against the trust settings.
func (s *macStore) trustedForSSL(ctx context.Context, ca CA) bool {
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return false
	}
	defer cleanup()
	_, _, err = s.o.Run(ctx, nil, s.security, "verify-cert", "-c", file, "-p", "ssl")
	return err == nil
}

func (s *macStore) status(ctx context.Context, ca CA) []Result {
	in, err := s.inKeychain(ctx, ca)
	switch {
	case err != nil:
		return []Result{s.result(Failed, err.Error())}
	case in && s.trustedForSSL(ctx, ca):
		return []Result{s.result(Trusted, "")}
	case in:
		return []Result{s.result(NotTrusted, "in the System keychain, but not trusted as a root for SSL")}
	}
	return []Result{s.result(NotTrusted, "")}
}

func (s *macStore) needsRoot(action string) (Result, bool) {
	if s.o.IsRoot() || s.o.Sudo {
		return Result{}, false
	}
	r := s.result(Failed, "changing the System keychain's trust needs root")
	r.Hint = fmt.Sprintf("add --sudo, which runs security through sudo (or run sudo tlskit ca %s --store system)", action)
	return r, true
}

func (s *macStore) install(ctx context.Context, ca CA) []Result {
	in, err := s.inKeychain(ctx, ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	if in && s.trustedForSSL(ctx, ca) {
		return []Result{s.result(AlreadyInstalled, "")}
	}
	if r, ok := s.needsRoot("install"); ok {
		return []Result{r}
	}
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	defer cleanup()
	// -d: the admin trust settings (every user's); -r trustRoot -p ssl: a root for TLS only.
	if _, err := s.run(ctx, "add-trusted-cert", "-d", "-r", "trustRoot", "-p", "ssl", "-k", macSystemKeychain, file); err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	if !s.trustedForSSL(ctx, ca) {
		detail := "security add-trusted-cert ran, but macOS does not trust the certificate for SSL"
		if err := s.remove(ctx, ca, file, true, !in); err != nil {
			detail += "; undoing it failed too: " + err.Error()
		}
		return []Result{s.result(Failed, detail)}
	}
	return []Result{s.result(Installed, "")}
}

// remove takes the trust settings away (when there are some: remove-trusted-cert fails on a
// certificate without) and, when asked, the certificate out of the keychain (by its SHA-1,
// which is how security names one).
func (s *macStore) remove(ctx context.Context, ca CA, file string, trust, deleteCert bool) error {
	if trust {
		if _, err := s.run(ctx, "remove-trusted-cert", "-d", file); err != nil {
			return err
		}
	}
	if !deleteCert {
		return nil
	}
	sum := sha1.Sum(ca.Cert.Raw)
	_, err := s.run(ctx, "delete-certificate", "-Z", strings.ToUpper(hex.EncodeToString(sum[:])), macSystemKeychain)
	return err
}

func (s *macStore) uninstall(ctx context.Context, ca CA) []Result {
	in, err := s.inKeychain(ctx, ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	if !in {
		return []Result{s.result(NotInstalled, "")}
	}
	if r, ok := s.needsRoot("uninstall"); ok {
		return []Result{r}
	}
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	defer cleanup()
	if err := s.remove(ctx, ca, file, s.trustedForSSL(ctx, ca), true); err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	return []Result{s.result(Removed, "")}
}
