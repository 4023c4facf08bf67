// Package goldentest compares what a test renders with a golden file under testdata/, or
// rewrites the file when the package's -update flag is set. Only tests import it.
package goldentest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// JSON encodes v as tlskit writes its documents (a .json file: the indented document; a .jsonl
// file: one compact line; HTML characters as they are) and compares it with testdata/name.
func JSON(t testing.TB, update bool, name string, v any) {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if !strings.HasSuffix(name, ".jsonl") {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	File(t, update, name, b.Bytes())
}

// File compares got with testdata/name, or rewrites the file when update is set.
func File(t testing.TB, update bool, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (go test -run Golden -update writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -run Golden -update rewrites it, if the change is meant; then update docs/json.md)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
