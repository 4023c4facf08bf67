package truststore

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// --- macOS: a fake /usr/bin/security over one System keychain ---

type fakeKeychain struct {
	certs   map[string][]byte // SHA-256 → DER
	trusted map[string]bool   // SHA-256 → admin trust settings as an SSL root
}

func readPEMFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: no PEM", path)
	}
	return b.Bytes, nil
}

func sha256Hex(der []byte) string { s := sha256.Sum256(der); return hex.EncodeToString(s[:]) }
func sha1Hex(der []byte) string   { s := sha1.Sum(der); return hex.EncodeToString(s[:]) }

func (e *testEnv) security(args []string) ([]byte, []byte, error) {
	k := &e.mac
	if k.certs == nil {
		k.certs, k.trusted = map[string][]byte{}, map[string]bool{}
	}
	if len(args) == 0 {
		return nil, []byte("security: no command\n"), exitError{2}
	}
	last := args[len(args)-1]
	switch args[0] {
	case "find-certificate": // -a -Z KEYCHAIN
		var b strings.Builder
		for fp, der := range k.certs {
			fmt.Fprintf(&b, "SHA-256 hash: %s\nSHA-1 hash: %s\nkeychain: %q\n", strings.ToUpper(fp), strings.ToUpper(sha1Hex(der)), macSystemKeychain)
		}
		return []byte(b.String()), nil, nil
	case "verify-cert": // -c FILE -p ssl
		der, err := readPEMFile(args[2])
		if err != nil || !k.trusted[sha256Hex(der)] {
			return nil, []byte("Cert Verify Result: CSSMERR_TP_NOT_TRUSTED\n"), exitError{1}
		}
		return []byte("...certificate verification successful.\n"), nil, nil
	case "add-trusted-cert": // -d -r trustRoot -p ssl -k KEYCHAIN FILE
		if !slices.Contains(args, "-d") || !slices.Contains(args, "trustRoot") || !slices.Contains(args, macSystemKeychain) {
			return nil, []byte("security: unexpected add-trusted-cert " + strings.Join(args, " ") + "\n"), exitError{2}
		}
		der, err := readPEMFile(last)
		if err != nil {
			return nil, []byte(err.Error()), exitError{1}
		}
		k.certs[sha256Hex(der)], k.trusted[sha256Hex(der)] = der, true
		return nil, nil, nil
	case "remove-trusted-cert": // -d FILE
		der, err := readPEMFile(last)
		if err != nil || !k.trusted[sha256Hex(der)] {
			return nil, []byte("SecTrustSettingsRemoveTrustSettings: The specified item could not be found in the keychain.\n"), exitError{1}
		}
		delete(k.trusted, sha256Hex(der))
		return nil, nil, nil
	case "delete-certificate": // -Z SHA1 KEYCHAIN
		for fp, der := range k.certs {
			if strings.EqualFold(sha1Hex(der), args[2]) {
				delete(k.certs, fp)
				return nil, nil, nil
			}
		}
		return nil, []byte("Unable to delete certificate matching \"" + args[2] + "\"\n"), exitError{1}
	}
	return nil, []byte("security: unknown command " + args[0] + "\n"), exitError{2}
}

// TestMacStore: the System keychain and its admin trust settings, by fingerprint; root (or
// --sudo) to change them; a certificate already in the keychain but untrusted gets trust
// added and keeps its place on undo.
func TestMacStore(t *testing.T) {
	ca := testCA(t, "Mac CA")
	mac := func(t *testing.T) *testEnv {
		e := newTestEnv(t)
		e.goos = "darwin"
		e.path["security"] = "/usr/bin/security"
		return e
	}
	t.Run("install, status, uninstall", func(t *testing.T) {
		e := mac(t)
		e.isRoot = true
		checkResult(t, e.systemOnly(Status, ca), System, macSystemKeychain, NotTrusted, nil, "")
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, Installed, nil, "")
		if !e.mac.trusted[ca.Fingerprint] {
			t.Fatal("install did not add trust settings")
		}
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, AlreadyInstalled, nil, "")
		checkResult(t, e.systemOnly(Status, ca), System, macSystemKeychain, Trusted, nil, "")
		checkResult(t, e.systemOnly(Uninstall, ca), System, macSystemKeychain, Removed, nil, "")
		if len(e.mac.certs) != 0 || len(e.mac.trusted) != 0 {
			t.Errorf("after uninstall the keychain holds %d certificates, %d trusted", len(e.mac.certs), len(e.mac.trusted))
		}
		checkResult(t, e.systemOnly(Uninstall, ca), System, macSystemKeychain, NotInstalled, nil, "")
	})
	t.Run("not root", func(t *testing.T) {
		e := mac(t)
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, Failed, []string{"needs root"}, "add --sudo, which runs security through sudo (or run sudo tlskit ca install --store system)")
		if len(e.ran("security")) != 1 {
			t.Errorf("ran %q, want only the listing", e.calls)
		}
	})
	t.Run("sudo", func(t *testing.T) {
		e := mac(t)
		e.sudo = true
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, Installed, nil, "")
		if !slices.ContainsFunc(e.names, func(n string) bool { return n == "sudo" }) {
			t.Errorf("runs %q: the change did not go through sudo", e.names)
		}
	})
	t.Run("in the keychain, untrusted", func(t *testing.T) {
		e := mac(t)
		e.isRoot = true
		e.mac.certs, e.mac.trusted = map[string][]byte{ca.Fingerprint: ca.Cert.Raw}, map[string]bool{}
		checkResult(t, e.systemOnly(Status, ca), System, macSystemKeychain, NotTrusted, []string{"not trusted as a root for SSL"}, "")
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, Installed, nil, "")
		// Uninstall with no trust settings must not fail on remove-trusted-cert.
		delete(e.mac.trusted, ca.Fingerprint)
		checkResult(t, e.systemOnly(Uninstall, ca), System, macSystemKeychain, Removed, nil, "")
	})
	t.Run("add fails", func(t *testing.T) {
		e := mac(t)
		e.isRoot = true
		e.hook = func(base string, args []string) (string, bool) {
			return "SecTrustSettingsSetTrustSettings: The authorization was denied since no user interaction was possible.",
				base == "security" && args[0] == "add-trusted-cert"
		}
		checkResult(t, e.systemOnly(Install, ca), System, macSystemKeychain, Failed, []string{"security: SecTrustSettingsSetTrustSettings: The authorization was denied"}, "")
	})
	t.Run("no security tool", func(t *testing.T) {
		e := newTestEnv(t)
		e.goos = "darwin"
		checkResult(t, e.systemOnly(Install, ca), System, "", NotFound, []string{"/usr/bin/security"}, "run tlskit with /usr/bin on PATH")
		if rs := e.do(Install, ca); len(rs) != 0 {
			t.Errorf("default stores with nothing found: %+v", rs)
		}
	})
}

// --- Windows: a fake certutil.exe over the user's Root store ---

func (e *testEnv) winCertutil(args []string) ([]byte, []byte, error) {
	if e.win == nil {
		e.win = map[string][]byte{}
	}
	if len(args) < 4 || args[0] != "-user" || args[2] != "Root" {
		return nil, []byte("CertUtil: unexpected " + strings.Join(args, " ") + "\n"), exitError{2}
	}
	notFound := []byte("CertUtil: -store command FAILED: 0x80092004 (-2146885628 CRYPT_E_NOT_FOUND)\n")
	switch args[1] {
	case "-store":
		der, ok := e.win[strings.ToLower(args[3])]
		if !ok {
			return notFound, nil, exitError{1}
		}
		return []byte("Root\n================ Certificate 0 ================\nCert Hash(sha1): " + sha1Hex(der) + "\nCertUtil: -store command completed successfully.\n"), nil, nil
	case "-addstore":
		der, err := readPEMFile(args[3])
		if err != nil {
			return nil, []byte(err.Error()), exitError{1}
		}
		e.win[sha1Hex(der)] = der
		return []byte("CertUtil: -addstore command completed successfully.\n"), nil, nil
	case "-delstore":
		if _, ok := e.win[strings.ToLower(args[3])]; !ok {
			return notFound, nil, exitError{1}
		}
		delete(e.win, strings.ToLower(args[3]))
		return []byte("CertUtil: -delstore command completed successfully.\n"), nil, nil
	}
	return nil, []byte("CertUtil: unknown verb\n"), exitError{2}
}

// TestWinStore: the current user's Root store by thumbprint, no administrator needed; a
// declined Windows warning is a failed line that says so.
func TestWinStore(t *testing.T) {
	ca := testCA(t, "Windows CA")
	win := func(t *testing.T) *testEnv {
		e := newTestEnv(t)
		e.goos = "windows"
		e.path["certutil.exe"] = "C:/Windows/System32/certutil.exe" // forward slashes: filepath.Base on the test's own system
		return e
	}
	t.Run("install, status, uninstall", func(t *testing.T) {
		e := win(t)
		checkResult(t, e.systemOnly(Status, ca), System, winLocation, NotTrusted, nil, "")
		checkResult(t, e.systemOnly(Install, ca), System, winLocation, Installed, []string{"thumbprint " + sha1Hex(ca.Cert.Raw)}, "")
		checkResult(t, e.systemOnly(Install, ca), System, winLocation, AlreadyInstalled, nil, "")
		checkResult(t, e.systemOnly(Status, ca), System, winLocation, Trusted, nil, "")
		checkResult(t, e.systemOnly(Uninstall, ca), System, winLocation, Removed, nil, "")
		if len(e.win) != 0 {
			t.Errorf("after uninstall the store holds %d certificates", len(e.win))
		}
		checkResult(t, e.systemOnly(Uninstall, ca), System, winLocation, NotInstalled, nil, "")
	})
	t.Run("warning declined", func(t *testing.T) {
		e := win(t)
		e.hook = func(base string, args []string) (string, bool) {
			return "CertUtil: -addstore command FAILED: 0x800704c7 (WIN32: 1223 ERROR_CANCELLED)", base == "certutil.exe" && args[1] == "-addstore"
		}
		checkResult(t, e.systemOnly(Install, ca), System, winLocation, Failed, []string{"ERROR_CANCELLED", "declining Windows' security warning"}, "")
	})
	t.Run("no certutil.exe", func(t *testing.T) {
		e := newTestEnv(t)
		e.goos = "windows"
		checkResult(t, e.systemOnly(Status, ca), System, "", NotFound, []string{"certutil.exe"}, `add %SystemRoot%\System32 to PATH`)
	})
}
