package acmeclient

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/acme"
)

// Account is an ACME account: its key, and the URL the CA gave it (empty until registered).
// It lives in a directory of its own per CA (AccountDir): account-key.pem (0600) and
// account.json.
type Account struct {
	// Dir and Key are never in account.json: the key's one copy is account-key.pem, and the
	// directory is where the account was found, not where it was once made.
	Dir string        `json:"-"`
	Key crypto.Signer `json:"-"`
	URL string        `json:"url"`
	// Email is the contact it was made with.
	Email string `json:"email,omitempty"`
	// Directory is the CA's directory URL it belongs to.
	Directory string `json:"directory"`
}

// Account files in its directory.
const (
	accountKeyFile  = "account-key.pem"
	accountInfoFile = "account.json"
)

// AccountDir is where the account for a CA's directory is kept under base
// ($XDG_DATA_HOME/tlskit/acme): one directory per directory host (and port, and path when a
// host serves several, as Pebble and step-ca can).
func AccountDir(base, directory string) (string, error) {
	u, err := url.Parse(directory)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the ACME directory %q is not a URL", directory)
	}
	// The directory's own path names it when there is more than the usual one (step-ca's
	// /acme/PROVISIONER/directory: two provisioners are two accounts).
	name := u.Host
	p := strings.TrimSuffix(strings.TrimSuffix(path.Clean("/"+u.Path), "/directory"), "/dir")
	if p = strings.Trim(p, "/"); p != "" {
		name += "_" + strings.ReplaceAll(p, "/", "_")
	}
	// A host:port is one path element: ':' is kept (fine on Unix), Windows gets '_'.
	if filepath.Separator == '\\' {
		name = stringsMap(name)
	}
	return filepath.Join(base, name), nil
}

func stringsMap(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == ':' {
			out[i] = '_'
		}
	}
	return string(out)
}

// LoadAccount reads the account in dir, or makes a new key (an ECDSA P-256 key, written 0600
// at once, before the CA knows of it) when there is none.
func LoadAccount(dir, directory string) (*Account, bool, error) {
	a := &Account{Dir: dir, Directory: directory}
	keyPath := filepath.Join(dir, accountKeyFile)
	data, err := os.ReadFile(keyPath)
	switch {
	case err == nil:
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, false, fmt.Errorf("%s: not a PEM key", keyPath)
		}
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", keyPath, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, false, fmt.Errorf("%s: not a signing key", keyPath)
		}
		a.Key = signer
	case errors.Is(err, os.ErrNotExist):
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, false, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, false, fmt.Errorf("account directory: %w", err)
		}
		if err := writeExclusive(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			if errors.Is(err, os.ErrExist) {
				return LoadAccount(dir, directory) // another run made it first
			}
			return nil, false, fmt.Errorf("account key: %w", err)
		}
		a.Key = k
		return a, true, nil
	default:
		return nil, false, fmt.Errorf("account key: %w", err)
	}
	info, err := os.ReadFile(filepath.Join(dir, accountInfoFile))
	if err == nil {
		if err := json.Unmarshal(info, a); err != nil {
			return nil, false, fmt.Errorf("%s: %w", filepath.Join(dir, accountInfoFile), err)
		}
		// An account.json of an earlier tlskit held a copy of the private key: written anew
		// without it.
		var old map[string]json.RawMessage
		if json.Unmarshal(info, &old) == nil && (old["Key"] != nil || old["Dir"] != nil) {
			if err := a.save(); err != nil {
				return nil, false, fmt.Errorf("%s: %w", filepath.Join(dir, accountInfoFile), err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	return a, false, nil
}

// writeExclusive writes a file that must not exist yet, with exactly mode (umask aside): staged
// whole beside it and then hard-linked into place, so that neither a crash nor a second run at
// the same moment ever finds a partial key. (certgen.WriteFiles does the same for a batch; this
// layer may not import it.)
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tlskit-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Link(tmp, path)
}

// save writes account.json (temp file, rename).
func (a *Account) save() error {
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(a.Dir, ".account-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(a.Dir, accountInfoFile))
}

// TermsError is a new account the CA will not make without agreeing to its terms.
type TermsError struct{ URL string }

func (e *TermsError) Error() string {
	return "the CA requires agreeing to its terms of service: " + e.URL
}

// ensureAccount registers the account when it has no URL yet (or the CA no longer knows it):
// with the contact, the terms when agreed, and the external account binding.
func ensureAccount(ctx context.Context, o *Options) error {
	if o.Account.URL != "" {
		o.progress("account", "%s", o.Account.URL)
		return nil
	}
	c := o.client()
	c.KID = ""
	dir, err := c.Discover(ctx)
	if err != nil {
		return caError("reading the ACME directory "+o.Directory, err)
	}
	if dir.Terms != "" && !o.AgreeTOS {
		return &TermsError{URL: dir.Terms}
	}
	acct := &acme.Account{ExternalAccountBinding: o.EAB}
	if o.Email != "" {
		acct.Contact = []string{"mailto:" + o.Email}
	}
	got, err := c.Register(ctx, acct, func(string) bool { return o.AgreeTOS })
	if errors.Is(err, acme.ErrAccountAlreadyExists) {
		got, err = c.GetReg(ctx, "")
	}
	if err != nil {
		return caError("creating the account", err)
	}
	o.Account.URL, o.Account.Email = got.URI, o.Email
	if err := o.Account.save(); err != nil {
		return fmt.Errorf("saving the account: %w", err)
	}
	detail := "created " + got.URI
	if dir.Terms != "" {
		detail += ", terms of service agreed: " + dir.Terms
	}
	o.progress("account", "%s", detail)
	return nil
}
