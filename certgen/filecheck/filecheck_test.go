package filecheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestKind pins the words every refusal of a non-regular file uses (serve's certificate
// loading and --keylog print them).
func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode fs.FileMode
		want string
	}{
		{fs.ModeDir | 0o755, "a directory"},
		{fs.ModeNamedPipe | 0o600, "a named pipe"},
		{fs.ModeSocket | 0o600, "a socket"},
		{fs.ModeDevice | fs.ModeCharDevice | 0o666, "a character device"},
		{fs.ModeDevice | 0o660, "a device"},
		{fs.ModeIrregular, "type ?---------"},
	}
	for _, tt := range tests {
		if got := Kind(tt.mode); got != tt.want {
			t.Errorf("Kind(%v) = %q, want %q", tt.mode, got, tt.want)
		}
	}
}

// TestOwnedByUs: a file this process creates is its own.
func TestOwnedByUs(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !OwnedByUs(fi) {
		t.Errorf("OwnedByUs(%s) = false for a file this process created", p)
	}
}
