package scan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.json golden files from the current output")

// goldenJSON encodes v as tlskit writes it (a .json file: the indented document; a .jsonl file:
// one compact line; HTML characters as they are) and compares it with testdata/NAME.
func goldenJSON(t *testing.T, name string, v any) {
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
	golden(t, name, b.Bytes())
}

// golden compares got with testdata/NAME, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
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
		t.Errorf("JSON differs from %s (go test -run Golden -update rewrites it, if the change is meant; then update docs/json.md)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
