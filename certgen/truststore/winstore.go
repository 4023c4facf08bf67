package truststore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
)

// winStore is the current user's Root store on Windows, through Windows' own certutil.exe
// (not NSS's certutil): no administrator rights needed. Adding a root there makes Windows show
// a security warning that the user must accept; that dialog is Windows', not tlskit's, and a
// declined one is a failed line.
type winStore struct {
	o        Options
	certutil string
	looked   bool
}

func (s *winStore) look() {
	if s.looked {
		return
	}
	s.looked = true
	if p, err := s.o.LookPath("certutil.exe"); err == nil {
		s.certutil = p
	}
}

func (s *winStore) found() bool {
	s.look()
	return s.certutil != ""
}

func (s *winStore) notFoundHint() (string, string) {
	return "certutil.exe (Windows) is not on PATH", `add %SystemRoot%\System32 to PATH`
}

// thumbprint is the certificate's SHA-1, the name Windows' stores know it by.
func thumbprint(ca CA) string {
	sum := sha1.Sum(ca.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

const winLocation = `CurrentUser\Root`

func (s *winStore) result(o Outcome, detail string) Result {
	return Result{Store: System, Location: winLocation, Outcome: o, Detail: detail}
}

// held reports whether the user's Root store has the certificate: `certutil -user -store Root
// THUMBPRINT` succeeds only when it does, and then prints its SHA-1 hash, checked here as well
// (Windows names certificates by SHA-1 only).
func (s *winStore) held(ctx context.Context, ca CA) bool {
	stdout, _, err := s.o.Run(ctx, nil, s.certutil, "-user", "-store", "Root", thumbprint(ca))
	if err != nil {
		return false
	}
	flat := strings.ToLower(strings.NewReplacer(" ", "", ":", "").Replace(string(stdout)))
	return strings.Contains(flat, thumbprint(ca))
}

func (s *winStore) status(ctx context.Context, ca CA) []Result {
	if s.held(ctx, ca) {
		return []Result{s.result(Trusted, "thumbprint "+thumbprint(ca))}
	}
	return []Result{s.result(NotTrusted, "")}
}

func (s *winStore) install(ctx context.Context, ca CA) []Result {
	if s.held(ctx, ca) {
		return []Result{s.result(AlreadyInstalled, "thumbprint "+thumbprint(ca))}
	}
	file, cleanup, err := tempPEM(ca)
	if err != nil {
		return []Result{s.result(Failed, err.Error())}
	}
	defer cleanup()
	if stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-user", "-addstore", "Root", file); err != nil {
		return []Result{s.result(Failed, toolError("certutil", stdout, stderr, err).Error()+" (declining Windows' security warning fails it too)")}
	}
	if !s.held(ctx, ca) {
		return []Result{s.result(Failed, fmt.Sprintf("certutil added it, but the %s store does not hold it", winLocation))}
	}
	return []Result{s.result(Installed, "thumbprint "+thumbprint(ca))}
}

func (s *winStore) uninstall(ctx context.Context, ca CA) []Result {
	if !s.held(ctx, ca) {
		return []Result{s.result(NotInstalled, "")}
	}
	if stdout, stderr, err := s.o.Run(ctx, nil, s.certutil, "-user", "-delstore", "Root", thumbprint(ca)); err != nil {
		return []Result{s.result(Failed, toolError("certutil", stdout, stderr, err).Error())}
	}
	return []Result{s.result(Removed, "")}
}
