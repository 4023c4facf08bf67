//go:build unix

package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenKeyLog: --keylog (handshake and serve) never follows a symlink and never appends
// session secrets to a file others can read. Before the fix it followed links (appending to
// their target, or creating it) and appended to an existing 0644 file.
func TestOpenKeyLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the --keylog path
		want  string                                // "" = opened
	}{
		{"new file", func(t *testing.T, dir string) string { return filepath.Join(dir, "new.log") }, ""},
		{"existing 0600", func(t *testing.T, dir string) string { return keyLogFile(t, dir, "own.log", 0o600) }, ""},
		{"existing 0644", func(t *testing.T, dir string) string { return keyLogFile(t, dir, "open.log", 0o644) }, "has mode 0644, open to group or others"},
		{"existing 0620", func(t *testing.T, dir string) string { return keyLogFile(t, dir, "gw.log", 0o620) }, "has mode 0620"},
		{"symlink to a private file", func(t *testing.T, dir string) string {
			return keyLogLink(t, dir, keyLogFile(t, dir, "target.log", 0o600))
		}, "is a symbolic link"},
		{"dangling symlink", func(t *testing.T, dir string) string {
			return keyLogLink(t, dir, filepath.Join(dir, "would-be-created.log"))
		}, "is a symbolic link"},
		{"fifo without a reader", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, "is not a regular file (it is a named pipe)"},
		// The kind is named in serve's words for the same file (certgen/filecheck): "a
		// character device"; before the two shared one namer, --keylog said "a device".
		{"device", func(t *testing.T, dir string) string { return "/dev/null" }, "is not a regular file (it is a character device)"},
		{"directory", func(t *testing.T, dir string) string { return dir }, "not a regular file (it is a directory)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tt.setup(t, dir)
			f, err := openKeyLog(path)
			if tt.want != "" {
				if err == nil {
					f.Close()
					t.Fatalf("opened %s", path)
				}
				if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "--keylog: ") || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %q, want one line with %q", err, tt.want)
				}
				if _, err := os.Lstat(filepath.Join(dir, "would-be-created.log")); err == nil {
					t.Fatal("the symlink's target was created")
				}
				if b, err := os.ReadFile(filepath.Join(dir, "target.log")); err == nil && string(b) != "old line\n" {
					t.Fatalf("the symlink's target was written: %q", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("CLIENT_RANDOM 00 11\n")); err != nil {
				t.Fatal(err)
			}
			f.Close()
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm()&0o077 != 0 {
				t.Fatalf("mode %v (%v)", fi.Mode(), err)
			}
			if b, _ := os.ReadFile(path); !strings.HasSuffix(string(b), "CLIENT_RANDOM 00 11\n") {
				t.Fatalf("contents %q", b)
			}
		})
	}
}

// TestOpenKeyLogOtherOwner: a private file of another user (say one planted in /tmp for a
// root run to append to) is refused too. Root only: chown needs it.
func TestOpenKeyLogOtherOwner(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	path := keyLogFile(t, t.TempDir(), "planted.log", 0o600)
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if f, err := openKeyLog(path); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		if f != nil {
			f.Close()
		}
		t.Fatalf("err = %v", err)
	}
}

// TestKeyLogRefusedByCommands: handshake and serve refuse such a file before doing anything
// else, with one line and exit 1.
func TestKeyLogRefusedByCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open := keyLogFile(t, dir, "open.log", 0o644)
	link := keyLogLink(t, dir, keyLogFile(t, dir, "target.log", 0o600))
	for _, args := range [][]string{
		{"handshake", "127.0.0.1:1", "--keylog", open},
		{"handshake", "127.0.0.1:1", "--keylog", link},
		{"serve", "--addr", "127.0.0.1:0", "--keylog", open},
		{"serve", "--addr", "127.0.0.1:0", "--keylog", link},
	} {
		r := runCLI(t, args...)
		if r.code != ExitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "tlskit: --keylog: ") {
			t.Errorf("%q: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func keyLogFile(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyLogLink(t *testing.T, dir, target string) string {
	t.Helper()
	p := filepath.Join(dir, "link.log")
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	return p
}
