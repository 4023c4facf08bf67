//go:build unix

package e2etest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// fixtureRoot holds the directories of a package's fixtures; Main makes it before the tests
// run and removes it after them.
var fixtureRoot string

// Fixture is a directory of files that several tests of a package draw from and none changes
// (certificates and keys, referenced by absolute path), made once per test binary by the first
// test that asks for it. Making it in every test that used it cost e2e/handshake three
// fixtures (a CA, four leaves, one an RSA key) where one serves.
type Fixture struct {
	name   string
	make   func(t testing.TB, dir string)
	once   sync.Once
	dir    string
	failed bool
}

// NewFixture is a fixture called name (its directory's name) that make writes into dir.
func NewFixture(name string, make func(t testing.TB, dir string)) *Fixture {
	return &Fixture{name: name, make: make}
}

// Dir makes the fixture if no test has yet, and returns its directory. A fixture whose making
// failed (in the test that made it) fails every later test that asks for it.
func (f *Fixture) Dir(t testing.TB) string {
	t.Helper()
	f.once.Do(func() {
		if fixtureRoot == "" {
			panic("e2etest: Fixture.Dir called without e2etest.Main as the package's TestMain")
		}
		f.failed = true // until make returns without a failure (t.Fatal ends it early)
		f.dir = filepath.Join(fixtureRoot, f.name)
		if err := os.Mkdir(f.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		f.make(t, f.dir)
		f.failed = t.Failed()
	})
	if f.failed {
		t.Fatalf("the fixture %s could not be made (see the first test that asked for it)", f.name)
	}
	return f.dir
}
