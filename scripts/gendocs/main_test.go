package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tlskit/tlskit/tlscore/peertest"
)

// TestDocsAreCurrent fails when docs/cli or docs/man differ from what the command tree
// generates now: a command or flag changed without `go run ./scripts/gendocs`.
func TestDocsAreCurrent(t *testing.T) {
	fresh := t.TempDir()
	if err := generate(fresh); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"cli", "man"} {
		want := readDir(t, filepath.Join(fresh, sub))
		got := readDir(t, filepath.Join("..", "..", "docs", sub))
		for name, content := range want {
			committed, ok := got[name]
			if !ok {
				t.Errorf("docs/%s/%s is missing; run: go run ./scripts/gendocs", sub, name)
				continue
			}
			if !bytes.Equal(committed, content) {
				t.Errorf("docs/%s/%s is stale; run: go run ./scripts/gendocs", sub, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("docs/%s/%s documents nothing that exists; run: go run ./scripts/gendocs", sub, name)
			}
		}
	}
}

func TestGenerateIsReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := generate(a); err != nil {
		t.Fatal(err)
	}
	if err := generate(b); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"cli", "man"} {
		x, y := readDir(t, filepath.Join(a, sub)), readDir(t, filepath.Join(b, sub))
		if len(x) == 0 || len(x) != len(y) {
			t.Fatalf("%s: %d then %d files", sub, len(x), len(y))
		}
		for name := range x {
			if !bytes.Equal(x[name], y[name]) {
				t.Errorf("%s/%s differs between two runs", sub, name)
			}
		}
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	return files
}

// TestManPagesReadable: every page has its own title, no Go zero value as a default, the EXIT
// STATUS, ENVIRONMENT and FILES sections, and passes `mandoc -Tlint -W warning` (the lint
// Debian's man-db ecosystem uses) with nothing to say.
func TestManPagesReadable(t *testing.T) {
	mandoc := peertest.Need(t, "mandoc")
	dir := t.TempDir()
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	pages := readDir(t, filepath.Join(dir, "man"))
	if len(pages) == 0 {
		t.Fatal("no man pages")
	}
	for name, content := range pages {
		title := strings.ToUpper(strings.TrimSuffix(name, ".1"))
		text := string(content)
		if !strings.Contains(text, `.TH "`+title+`" "1" `) {
			t.Errorf("%s: title is not %s(1):\n%s", name, title, strings.SplitN(text, "\n", 3)[1])
		}
		for _, zero := range []string{`\fP=[]`, `\fP=""`, `[=false]`} {
			if strings.Contains(text, zero) {
				t.Errorf("%s: a Go zero value as a default (%s)", name, zero)
			}
		}
		for _, section := range []string{".SH EXIT STATUS", ".SH ENVIRONMENT", ".SH FILES"} {
			if !strings.Contains(text, section) {
				t.Errorf("%s: no %s", name, section)
			}
		}
		out, err := exec.Command(mandoc, "-Tlint", "-W", "warning", filepath.Join(dir, "man", name)).CombinedOutput()
		if len(out) > 0 {
			t.Errorf("%s: mandoc -Tlint -W warning (%v):\n%s", name, err, out)
		}
	}
}
