//go:build unix

// Unix only: the mode tests need syscall.Umask, which Windows lacks, and they share this file
// with the other WriteFiles tests.

package certgen

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func certOut(path string) OutputFile {
	return OutputFile{Path: path, Data: []byte("CERT " + filepath.Base(path)), Mode: 0o644, Kind: "certificate"}
}

func keyOut(path string) OutputFile {
	return OutputFile{Path: path, Data: []byte("KEY " + filepath.Base(path)), Mode: 0o600, Kind: "private key"}
}

func csrOut(path string) OutputFile {
	return OutputFile{Path: path, Data: []byte("CSR " + filepath.Base(path)), Mode: 0o644, Kind: "csr"}
}

// writeTestFile sets the mode explicitly so the result does not depend on the umask.
func writeTestFile(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// treeEntry is what the tests compare of a directory entry: enough to notice anything created,
// removed, rewritten or chmodded.
type treeEntry struct {
	mode fs.FileMode
	data string // a regular file's contents or a symlink's destination
}

// snapshotTree lists everything under root, without following symlinks.
func snapshotTree(t *testing.T, root string) map[string]treeEntry {
	t.Helper()
	got := make(map[string]treeEntry)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := treeEntry{mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			e.data, err = os.Readlink(path)
		case info.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(path)
			e.data = string(b)
		}
		rel, _ := filepath.Rel(root, path)
		got[rel] = e
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func checkTree(t *testing.T, root string, want map[string]treeEntry) {
	t.Helper()
	got := snapshotTree(t, root)
	if maps.Equal(got, want) {
		return
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[name]; !ok {
			t.Errorf("%s: unexpected %v %q", name, got[name].mode, got[name].data)
		} else if w != got[name] {
			t.Errorf("%s: got %v %q, want %v %q", name, got[name].mode, got[name].data, w.mode, w.data)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: missing", name)
		}
	}
}

// checkWritten checks each file has exactly its data and mode, and that no temporary file is
// left anywhere under root.
func checkWritten(t *testing.T, root string, files []OutputFile) {
	t.Helper()
	for _, f := range files {
		info, err := os.Lstat(f.Path)
		if err != nil {
			t.Errorf("%s: %v", f.Path, err)
			continue
		}
		if !info.Mode().IsRegular() || info.Mode().Perm() != f.Mode {
			t.Errorf("%s: mode %v, want regular file %v", f.Path, info.Mode(), f.Mode)
		}
		if b, err := os.ReadFile(f.Path); err != nil || string(b) != string(f.Data) {
			t.Errorf("%s: contents %q (%v), want %q", f.Path, b, err, f.Data)
		}
	}
	for name := range snapshotTree(t, root) {
		if strings.HasPrefix(filepath.Base(name), ".tlskit-") {
			t.Errorf("temporary file left behind: %s", name)
		}
	}
}

// withLink is osOps with another link.
func withLink(link func(oldname, newname string) error) fileOps {
	o := osOps
	o.link = link
	return o
}

// namedStaging is o staging named temporary files, as on systems or filesystems without
// O_TMPFILE.
func namedStaging(o fileOps) fileOps {
	o.openTmpfile = nil
	return o
}

// linkUnsupported fails the way os.Link does on a filesystem without hard links.
func linkUnsupported(oldname, newname string) error {
	return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EPERM}
}

// No t.Parallel: the umask belongs to the process, and parallel tests only start once the
// sequential ones have finished.
func TestWriteFilesModesIgnoreUmask(t *testing.T) {
	commits := []struct {
		name     string
		ops      fileOps
		force    bool
		existing bool
	}{
		{name: "hard link", ops: osOps},
		{name: "fallback without hard links", ops: withLink(linkUnsupported)},
		{name: "named staging", ops: namedStaging(osOps)},
		{name: "named staging, fallback without hard links", ops: namedStaging(withLink(linkUnsupported))},
		{name: "force over existing files", ops: osOps, force: true, existing: true},
	}
	for _, umask := range []int{0o000, 0o077} {
		for _, c := range commits {
			t.Run(fmt.Sprintf("umask %03o/%s", umask, c.name), func(t *testing.T) {
				old := syscall.Umask(umask)
				t.Cleanup(func() { syscall.Umask(old) })
				dir := t.TempDir()
				files := []OutputFile{
					keyOut(filepath.Join(dir, "localhost-key.pem")),
					certOut(filepath.Join(dir, "localhost.pem")),
					{Path: filepath.Join(dir, "localhost.p12"), Data: []byte("P12"), Mode: 0o600, Kind: "pkcs12"},
				}
				if c.existing {
					for _, f := range files {
						writeTestFile(t, f.Path, "old", 0o666)
					}
				}
				if err := c.ops.writeFiles(files, c.force); err != nil {
					t.Fatal(err)
				}
				checkWritten(t, dir, files)
			})
		}
	}
}

// Relative paths need a working directory, and t.Chdir rules out t.Parallel.
func TestWriteFilesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	files := []OutputFile{certOut("localhost.pem"), keyOut("localhost-key.pem")}
	if err := WriteFiles(files, false); err != nil {
		t.Fatal(err)
	}
	checkWritten(t, dir, files)

	err := WriteFiles([]OutputFile{keyOut("localhost-key.pem")}, false)
	const want = "localhost-key.pem already exists (private key)"
	if err == nil || err.Error() != want {
		t.Errorf("rewriting: got %v, want %q", err, want)
	}

	// The same file named relatively and absolutely is still the same file.
	err = WriteFiles([]OutputFile{certOut("new.pem"), keyOut(filepath.Join(dir, "new.pem"))}, true)
	if err == nil || !strings.Contains(err.Error(), "would be written twice (certificate and private key)") {
		t.Errorf("duplicate: got %v", err)
	}
	if _, err := os.Lstat("new.pem"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("duplicate batch created new.pem (%v)", err)
	}
}

func TestWriteFilesEmptyBatch(t *testing.T) {
	t.Parallel()
	if err := WriteFiles(nil, false); err != nil {
		t.Fatal(err)
	}
}

func TestExistsErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *ExistsError
		want string
	}{
		{&ExistsError{Path: "localhost-key.pem", Kind: "private key"}, "localhost-key.pem already exists (private key)"},
		{&ExistsError{Path: "out/ca.pem"}, "out/ca.pem already exists"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestWriteFilesRefusesExisting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, target string)
	}{
		{"file", func(t *testing.T, dir, target string) {
			writeTestFile(t, target, "old key", 0o640)
		}},
		{"symlink", func(t *testing.T, dir, target string) {
			writeTestFile(t, filepath.Join(dir, "elsewhere.pem"), "elsewhere", 0o644)
			if err := os.Symlink("elsewhere.pem", target); err != nil {
				t.Fatal(err)
			}
		}},
		{"dangling symlink", func(t *testing.T, dir, target string) {
			if err := os.Symlink("nowhere.pem", target); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := []OutputFile{
				certOut(filepath.Join(dir, "localhost.pem")),
				keyOut(filepath.Join(dir, "localhost-key.pem")),
				csrOut(filepath.Join(dir, "localhost.csr")),
			}
			tt.setup(t, dir, files[1].Path)
			before := snapshotTree(t, dir)

			err := WriteFiles(files, false)
			var ee *ExistsError
			if !errors.As(err, &ee) {
				t.Fatalf("got %v, want an *ExistsError", err)
			}
			if ee.Path != files[1].Path || ee.Kind != "private key" {
				t.Errorf("got %+v, want the private key's path", ee)
			}
			checkTree(t, dir, before)
		})
	}
}

func TestWriteFilesForce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, target string)
	}{
		{"over a file", func(t *testing.T, dir, target string) {
			writeTestFile(t, target, "old key", 0o644)
		}},
		{"over a symlink", func(t *testing.T, dir, target string) {
			if err := os.Symlink(filepath.Join("..", "keep", "dest.pem"), target); err != nil {
				t.Fatal(err)
			}
		}},
		{"over a dangling symlink", func(t *testing.T, dir, target string) {
			if err := os.Symlink("nowhere.pem", target); err != nil {
				t.Fatal(err)
			}
		}},
		{"nothing there", func(t *testing.T, dir, target string) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			// A file outside the output directory that a symlink may point to: it must survive.
			keep := filepath.Join(root, "keep")
			out := filepath.Join(root, "out")
			for _, d := range []string{keep, out} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeTestFile(t, filepath.Join(keep, "dest.pem"), "precious", 0o644)
			files := []OutputFile{
				certOut(filepath.Join(out, "localhost.pem")),
				keyOut(filepath.Join(out, "localhost-key.pem")),
			}
			tt.setup(t, out, files[1].Path)
			keepBefore := snapshotTree(t, keep)

			if err := WriteFiles(files, true); err != nil {
				t.Fatal(err)
			}
			checkWritten(t, root, files)
			checkTree(t, keep, keepBefore)
		})
	}
}

func TestWriteFilesRejectsBadBatches(t *testing.T) {
	t.Parallel()
	// In paths and messages, DIR stands for the test's directory. Each batch starts with a file
	// that could be written, to show that validation fails before anything is created.
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		files []OutputFile
		force bool
		want  string
	}{
		{
			name:  "missing output directory",
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/missing/a-key.pem")},
			want:  `output directory "DIR/missing" does not exist`,
		},
		{
			name:  "missing output directory, with force",
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/missing/a-key.pem")},
			force: true,
			want:  `output directory "DIR/missing" does not exist`,
		},
		{
			name:  "output directory is a file",
			setup: func(t *testing.T, dir string) { writeTestFile(t, dir+"/file", "x", 0o644) },
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/file/a-key.pem")},
			want:  `output directory "DIR/file" is not a directory`,
		},
		{
			name:  "duplicate path",
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/a.pem")},
			want:  "DIR/a.pem would be written twice (certificate and private key)",
		},
		{
			name:  "duplicate path once cleaned, with force",
			setup: func(t *testing.T, dir string) { mustMkdir(t, dir+"/sub") },
			files: []OutputFile{certOut("DIR/b.pem"), certOut("DIR/a.pem"), keyOut("DIR/sub/../a.pem")},
			force: true,
			want:  "DIR/sub/../a.pem would be written twice (certificate and private key)",
		},
		{
			name:  "target is a directory",
			setup: func(t *testing.T, dir string) { mustMkdir(t, dir+"/a-key.pem") },
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/a-key.pem")},
			want:  "writing DIR/a-key.pem: it is a directory",
		},
		{
			name:  "target is a directory, with force",
			setup: func(t *testing.T, dir string) { mustMkdir(t, dir+"/a-key.pem") },
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("DIR/a-key.pem")},
			force: true,
			want:  "writing DIR/a-key.pem: it is a directory",
		},
		{
			name:  "empty path",
			files: []OutputFile{certOut("DIR/a.pem"), keyOut("")},
			want:  "no path given for the private key file",
		},
		{
			name:  "no mode",
			files: []OutputFile{certOut("DIR/a.pem"), {Path: "DIR/b.pem", Data: []byte("x"), Kind: "certificate"}},
			want:  "writing DIR/b.pem: invalid file mode 0",
		},
		{
			name:  "not a permission mode",
			files: []OutputFile{certOut("DIR/a.pem"), {Path: "DIR/b.pem", Data: []byte("x"), Mode: fs.ModeSetuid | 0o644}},
			want:  "writing DIR/b.pem: invalid file mode 040000644",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			files := slices.Clone(tt.files)
			for i := range files {
				files[i].Path = strings.ReplaceAll(files[i].Path, "DIR", dir)
			}
			before := snapshotTree(t, dir)
			err := WriteFiles(files, tt.force)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("got %v, want %q", err, want)
			}
			checkTree(t, dir, before)
		})
	}
}

func mustMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// A batch that fails part-way must leave the directories exactly as they were: the first file
// published is removed again, and the third file's staged temporary file with it.
func TestWriteFilesRollsBack(t *testing.T) {
	t.Parallel()
	errInjected := errors.New("injected failure")
	const raced = "written by someone else"

	tests := []struct {
		name string
		// ops fails the batch at its second file, whose target is second.
		ops      func(t *testing.T, second string) fileOps
		force    bool
		existing bool // the first file exists before the batch (force only)
		asRoot   bool // false when the failure relies on permissions, which root ignores
		check    func(t *testing.T, err error, second string)
	}{
		{
			name: "second target appears before its link",
			ops: func(t *testing.T, second string) fileOps {
				o := osOps
				o.link = func(oldname, newname string) error {
					if newname == second {
						writeTestFile(t, second, raced, 0o644)
					}
					return osOps.link(oldname, newname)
				}
				return o
			},
			asRoot: true,
			check:  wantExistsError,
		},
		{
			name: "second target appears before its fallback",
			ops: func(t *testing.T, second string) fileOps {
				o := osOps
				o.link = func(oldname, newname string) error {
					if newname == second {
						writeTestFile(t, second, raced, 0o644)
					}
					return linkUnsupported(oldname, newname)
				}
				return o
			},
			asRoot: true,
			check:  wantExistsError,
		},
		{
			name: "second rename fails",
			ops: func(t *testing.T, second string) fileOps {
				o := osOps
				o.rename = func(oldname, newname string) error {
					if newname == second {
						return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errInjected}
					}
					return os.Rename(oldname, newname)
				}
				return o
			},
			force:  true,
			asRoot: true,
			check:  wantInjected(errInjected),
		},
		{
			// The replaced first file cannot be restored; what matters is that it is not
			// deleted as though this call had created it.
			name: "second rename fails after replacing the first file",
			ops: func(t *testing.T, second string) fileOps {
				o := osOps
				o.rename = func(oldname, newname string) error {
					if newname == second {
						return errInjected
					}
					return os.Rename(oldname, newname)
				}
				return o
			},
			force:    true,
			existing: true,
			asRoot:   true,
			check:    wantInjected(errInjected),
		},
		{
			// Without O_TMPFILE, or where it fails: the named file is the last resort.
			name: "second temporary file cannot be created",
			ops: func(t *testing.T, second string) fileOps {
				o := osOps
				o.openTmpfile = func(dir string) (*os.File, error) {
					if dir == filepath.Dir(second) || osOps.openTmpfile == nil {
						return nil, errInjected
					}
					return osOps.openTmpfile(dir)
				}
				o.createTemp = func(dir, pattern string) (*os.File, error) {
					if dir == filepath.Dir(second) {
						return nil, errInjected
					}
					return os.CreateTemp(dir, pattern)
				}
				return o
			},
			asRoot: true,
			check:  wantInjected(errInjected),
		},
		{
			name: "second directory is read-only",
			ops: func(t *testing.T, second string) fileOps {
				dir := filepath.Dir(second)
				if err := os.Chmod(dir, 0o555); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(dir, 0o755) })
				return osOps
			},
			check: func(t *testing.T, err error, second string) {
				if !errors.Is(err, fs.ErrPermission) || !strings.HasPrefix(err.Error(), "writing "+second+": ") {
					t.Errorf("got %v, want a permission error for %s", err, second)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.asRoot && os.Geteuid() == 0 {
				t.Skip("root ignores directory permissions")
			}
			root := t.TempDir()
			a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
			mustMkdir(t, a)
			mustMkdir(t, b)
			files := []OutputFile{
				certOut(filepath.Join(a, "localhost.pem")),
				keyOut(filepath.Join(b, "localhost-key.pem")),
				csrOut(filepath.Join(a, "localhost.csr")),
			}
			if tt.existing {
				writeTestFile(t, files[0].Path, "old cert", 0o600)
			}
			ops := tt.ops(t, files[1].Path)
			want := snapshotTree(t, root)

			err := ops.writeFiles(files, tt.force)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, err, files[1].Path)
			if _, err := os.Lstat(files[1].Path); err == nil {
				want["b/localhost-key.pem"] = treeEntry{mode: 0o644, data: raced}
			}
			if tt.existing {
				want["a/localhost.pem"] = treeEntry{mode: 0o644, data: string(files[0].Data)}
			}
			checkTree(t, root, want)
		})
	}
}

func wantExistsError(t *testing.T, err error, second string) {
	t.Helper()
	var ee *ExistsError
	if !errors.As(err, &ee) || ee.Path != second {
		t.Errorf("got %v, want an *ExistsError for %s", err, second)
	}
}

func wantInjected(injected error) func(t *testing.T, err error, second string) {
	return func(t *testing.T, err error, second string) {
		t.Helper()
		if !errors.Is(err, injected) || !strings.HasPrefix(err.Error(), "writing "+second+": ") {
			t.Errorf("got %v, want the injected failure, wrapped with the path %s", err, second)
		}
	}
}

// Temporary files go beside their targets so that publishing them never crosses filesystems:
// named so that one left by a crash is recognisably tlskit's, or (Linux) unnamed in the target's
// directory and linked from /proc.
func TestWriteFilesStagesBesideTarget(t *testing.T) {
	t.Parallel()
	for _, named := range []bool{true, false} {
		if !named && osOps.openTmpfile == nil {
			continue
		}
		root := t.TempDir()
		a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
		mustMkdir(t, a)
		mustMkdir(t, b)
		files := []OutputFile{certOut(filepath.Join(a, "localhost.pem")), keyOut(filepath.Join(b, "localhost-key.pem"))}

		var links []string
		o := osOps
		if named {
			o = namedStaging(o)
		}
		o.link = func(oldname, newname string) error {
			links = append(links, oldname+" -> "+newname)
			staged, base := oldname, filepath.Base(oldname)
			ok := strings.HasPrefix(base, ".tlskit-") && strings.HasSuffix(base, ".tmp")
			if !named {
				// An unnamed file shows as "DIR/#INODE (deleted)".
				target, err := os.Readlink(oldname)
				staged, ok = target, err == nil && strings.HasPrefix(oldname, "/proc/self/fd/")
			}
			if !ok || filepath.Dir(staged) != filepath.Dir(newname) {
				t.Errorf("named %v: staged %s (%s) for %s", named, oldname, staged, newname)
			}
			return osOps.link(oldname, newname)
		}
		if err := o.writeFiles(files, false); err != nil {
			t.Fatal(err)
		}
		if len(links) != len(files) {
			t.Errorf("published with %d links, want %d: %q", len(links), len(files), links)
		}
		checkWritten(t, root, files)
	}
}
