package certgen

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tlskit/tlskit/certgen/filecheck"
)

// OutputFile is one file a command wants to write.
type OutputFile struct {
	Path string      // where it goes
	Data []byte      // the whole contents
	Mode os.FileMode // 0600 for private keys and PKCS#12, 0644 for certificates; applied exactly, whatever the umask
	Kind string      // "certificate", "private key", "csr", "pkcs12"... used in error messages and results
}

// ExistsError says a target file exists and force was not given.
type ExistsError struct{ Path, Kind string }

func (e *ExistsError) Error() string {
	// The remedy (a flag) is the caller's to suggest: this library knows no flags.
	return fmt.Sprintf("%s already exists%s", e.Path, kindSuffix(e.Kind))
}

func kindSuffix(kind string) string {
	if kind == "" {
		return ""
	}
	return " (" + kind + ")"
}

// WriteFiles writes every file or none of them.
//
// Everything is checked before anything is created, every file is staged in full (written,
// chmodded, synced) beside its target, and only then are the targets published. Without force a
// target is published with a hard link, so a file that appears after the checks is reported as
// an *ExistsError rather than overwritten. With force a target is renamed into place, which
// replaces a symlink itself and never writes through it.
//
// The batch is one unit for other writers too: the directories of its targets are locked
// (flock) from the checks to the last publication, so concurrent calls with the same outputs
// (two `cert issue --force` at once) publish one batch after the other, never a certificate of
// one with the key of the other.
//
// Staging leaves nothing behind when the process dies before publishing: on Linux the staged
// file is an unnamed O_TMPFILE inode (the kernel frees it with the process) that is linked into
// place; elsewhere, or on a filesystem without O_TMPFILE, it is a named `.tlskit-*.tmp` file, and
// such files that are older than staleTempAge and ours are removed by the next write to that
// directory.
//
// If anything fails, the temporary files and the targets this call created are removed. A file
// that force replaced cannot be brought back: its old contents are gone once the rename is done.
// Staging every file before publishing any keeps that to failures in the rename itself.
func WriteFiles(files []OutputFile, force bool) error {
	return osOps.writeFiles(files, force)
}

// fileOps holds the operations a batch can fail in part-way through. Tests replace them to
// fail the second file of a batch, which permissions cannot arrange when the tests run as root.
type fileOps struct {
	createTemp func(dir, pattern string) (*os.File, error)
	// openTmpfile opens an unnamed file in dir (O_TMPFILE), or fails where there is none.
	openTmpfile func(dir string) (*os.File, error)
	// link makes newname a hard link to oldname, following oldname if it is a symlink (the
	// /proc/self/fd path of an unnamed file is one).
	link   func(oldname, newname string) error
	rename func(oldname, newname string) error
	// lockDirs takes every directory's lock, waiting for other writers; the returned function
	// releases them.
	lockDirs func(dirs []string) (func(), error)
	now      func() time.Time
	// staged, when set, is called between staging and publishing (a test's place to kill the
	// process).
	staged func()
}

var osOps = fileOps{
	createTemp:  os.CreateTemp,
	openTmpfile: openTmpfile,
	link:        linkFollow,
	rename:      os.Rename,
	lockDirs:    lockDirs,
	now:         time.Now,
}

// Temporary files: the pattern of their names, and the age past which one is taken for the
// leftover of a process that died between staging and publishing (a live one publishes within
// milliseconds, and under the directory lock; the margin covers writers that could not lock).
const (
	tempPrefix   = ".tlskit-"
	tempSuffix   = ".tmp"
	staleTempAge = 5 * time.Minute
)

// pendingFile is one OutputFile on its way to disk, with what a rollback needs to know.
type pendingFile struct {
	OutputFile
	abs     string // operated on, so that relative paths cannot drift with the working directory
	dir     string
	existed bool     // force was given and the target was already there: never ours to remove
	temp    string   // named staged file not yet published or removed
	tmpfile *os.File // or: the unnamed staged file (O_TMPFILE), open until published
	created bool     // this call created the target, so a rollback removes it
}

func (o fileOps) writeFiles(files []OutputFile, force bool) (err error) {
	unlock, err := o.lockDirs(batchDirs(files))
	if err != nil {
		return err
	}
	defer unlock()
	pending, err := planFiles(files, force)
	if err != nil {
		return err
	}
	o.sweepStale(pending)
	defer func() {
		if err != nil {
			rollback(pending)
		}
	}()
	for _, p := range pending {
		if err := o.stage(p); err != nil {
			return fmt.Errorf("writing %s: %w", p.Path, err)
		}
	}
	if o.staged != nil {
		o.staged()
	}
	for _, p := range pending {
		if err := o.commit(p, force); err != nil {
			var ee *ExistsError
			if errors.As(err, &ee) {
				return err
			}
			return fmt.Errorf("writing %s: %w", p.Path, err)
		}
	}
	syncDirs(pending)
	return nil
}

// planFiles checks the whole batch before anything is created, so that the common mistakes (a
// typo in a directory, a file left from an earlier run) cost nothing to undo.
func planFiles(files []OutputFile, force bool) ([]*pendingFile, error) {
	pending := make([]*pendingFile, 0, len(files))
	seen := make(map[string]*pendingFile, len(files))
	for _, f := range files {
		if f.Path == "" {
			return nil, fmt.Errorf("no path given for the %s file", kindOrDefault(f.Kind))
		}
		// Mode 0 is a caller that forgot to set it; other bits would be dropped by chmod.
		if f.Mode == 0 || f.Mode&^fs.ModePerm != 0 {
			return nil, fmt.Errorf("writing %s: invalid file mode %#o", f.Path, uint32(f.Mode))
		}
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if prev, ok := seen[abs]; ok {
			return nil, fmt.Errorf("%s would be written twice (%s and %s)", f.Path, kindOrDefault(prev.Kind), kindOrDefault(f.Kind))
		}
		p := &pendingFile{OutputFile: f, abs: abs, dir: filepath.Dir(abs)}
		seen[abs] = p

		shownDir := filepath.Dir(f.Path)
		fi, err := os.Stat(p.dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("output directory %q does not exist", shownDir)
		case err != nil:
			return nil, fmt.Errorf("output directory %q: %w", shownDir, unwrapPath(err))
		case !fi.IsDir():
			return nil, fmt.Errorf("output directory %q is not a directory", shownDir)
		}

		// Lstat, not Stat: a symlink is itself the thing that exists (even when it dangles), and
		// force replaces the link rather than the file it points to.
		fi, err = os.Lstat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("writing %s: %w", f.Path, unwrapPath(err))
		case fi.IsDir():
			return nil, fmt.Errorf("writing %s: it is a directory", f.Path)
		case !force:
			return nil, &ExistsError{Path: f.Path, Kind: f.Kind}
		default:
			p.existed = true
		}
		pending = append(pending, p)
	}
	return pending, nil
}

func kindOrDefault(kind string) string {
	if kind == "" {
		return "output"
	}
	return kind
}

// unwrapPath drops an *os.PathError's own path where the message already names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// batchDirs is the directories a batch writes in, each once, in the order they are locked (a
// fixed order, so that two batches over the same directories cannot deadlock).
func batchDirs(files []OutputFile) []string {
	seen := make(map[string]bool, len(files))
	var dirs []string
	for _, f := range files {
		abs, err := filepath.Abs(f.Path)
		if err != nil || f.Path == "" {
			continue // planFiles reports it
		}
		if d := filepath.Dir(abs); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	return dirs
}

// sweepStale removes, from each target directory, the named temporary files a process left when
// it died between staging and publishing: only files with our name pattern, regular, owned by
// this user and older than staleTempAge. It is best effort: a file it cannot remove is no reason
// to fail a write.
func (o fileOps) sweepStale(pending []*pendingFile) {
	for _, dir := range pendingDirs(pending) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, tempPrefix) || !strings.HasSuffix(name, tempSuffix) || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil || !fi.Mode().IsRegular() || !filecheck.OwnedByUs(fi) || o.now().Sub(fi.ModTime()) < staleTempAge {
				continue
			}
			_ = os.Remove(filepath.Join(dir, name))
		}
	}
}

// stage writes the file in full beside its target, in the same directory so that publishing it
// is a link or rename within one filesystem: unnamed (O_TMPFILE) where the system has it, named
// otherwise.
func (o fileOps) stage(p *pendingFile) error {
	if o.openTmpfile != nil {
		if f, err := o.openTmpfile(p.dir); err == nil {
			if err := fillStaged(f, p.Data, p.Mode); err != nil {
				f.Close()
				return err
			}
			if _, err := os.Stat(procFDPath(f)); err == nil {
				p.tmpfile = f
				return nil
			}
			// No /proc to link it from: stage it again, named.
			f.Close()
		}
		// Unsupported here (old kernel, a filesystem without it): the named file below. A
		// failure with a real cause fails there again and is reported from there.
	}
	return o.stageNamed(p)
}

// stageNamed stages the file as a named temporary file beside its target.
func (o fileOps) stageNamed(p *pendingFile) error {
	f, err := o.createTemp(p.dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return err
	}
	p.temp = f.Name()
	err = fillStaged(f, p.Data, p.Mode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fillStaged writes, chmods and syncs a staged file.
func fillStaged(f *os.File, data []byte, mode os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		// CreateTemp's 0600 and OpenFile's mode are both filtered by the umask; chmod is not.
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	return err
}

// procFDPath names an open file through /proc, which is how an unnamed file is linked without
// CAP_DAC_READ_SEARCH (linkat's AT_EMPTY_PATH needs it).
func procFDPath(f *os.File) string {
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}

// nameStaged gives an unnamed staged file a temporary name beside its target, for a rename over
// the target (a link cannot replace a file). The name lives for the microseconds until that
// rename; a process killed in between leaves it for sweepStale.
func (o fileOps) nameStaged(p *pendingFile) error {
	src := procFDPath(p.tmpfile)
	var err error
	for range 10 {
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return err
		}
		name := filepath.Join(p.dir, tempPrefix+hex.EncodeToString(r[:])+tempSuffix)
		if err = o.link(src, name); err == nil {
			p.temp = name
			return nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return err
}

// closeStaged closes an unnamed staged file, which frees it unless it was linked.
func closeStaged(p *pendingFile) {
	if p.tmpfile != nil {
		_ = p.tmpfile.Close()
		p.tmpfile = nil
	}
}

func (o fileOps) commit(p *pendingFile, force bool) error {
	if p.tmpfile != nil {
		defer closeStaged(p)
		if force {
			if err := o.nameStaged(p); err != nil {
				// A filesystem that takes O_TMPFILE but not links: stage it named instead.
				closeStaged(p)
				if err := o.stageNamed(p); err != nil {
					return err
				}
			}
		} else {
			return o.commitUnnamed(p)
		}
	}
	if force {
		if err := o.rename(p.temp, p.abs); err != nil {
			return err
		}
		p.temp = ""
		p.created = !p.existed
		return nil
	}
	if err := o.publishLink(p.temp, p); err != nil {
		return err
	}
	if err := os.Remove(p.temp); err != nil {
		return err
	}
	p.temp = ""
	return nil
}

// commitUnnamed links an unnamed staged file into place, which fails if the target exists.
func (o fileOps) commitUnnamed(p *pendingFile) error {
	return o.publishLink(procFDPath(p.tmpfile), p)
}

// publishLink publishes the staged file at staged as p's target with a hard link, which fails
// (an *ExistsError) if the target exists. Filesystems without hard links fail in ways that
// differ by OS and filesystem (EPERM on FAT, ENOTSUP, EXDEV on some network and overlay mounts,
// Windows error codes), so any other failure falls back to exclusive creation, which is just as
// safe against clobbering. A failure with a real cause fails there again and is reported from
// there.
func (o fileOps) publishLink(staged string, p *pendingFile) error {
	err := o.link(staged, p.abs)
	if err == nil {
		p.created = true
		return nil
	}
	if !errors.Is(err, fs.ErrExist) {
		err = writeExclusive(p)
	}
	if errors.Is(err, fs.ErrExist) {
		return &ExistsError{Path: p.Path, Kind: p.Kind}
	}
	return err
}

// writeExclusive publishes without a hard link. Unlike a link it is not atomic: a crash part-way
// can leave a short file, which is why it is only the fallback.
func writeExclusive(p *pendingFile) error {
	f, err := os.OpenFile(p.abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, p.Mode)
	if err != nil {
		return err
	}
	p.created = true
	_, err = f.Write(p.Data)
	if err == nil {
		err = f.Chmod(p.Mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rollback is best effort: the error that caused it is the one worth reporting.
func rollback(pending []*pendingFile) {
	for _, p := range pending {
		closeStaged(p)
		if p.temp != "" {
			_ = os.Remove(p.temp)
			p.temp = ""
		}
		if p.created {
			_ = os.Remove(p.abs)
			p.created = false
		}
	}
}

// syncDirs makes the new directory entries durable, not just the files' contents. Some
// platforms (Windows) cannot sync a directory; the files are already synced, so that is only a
// smaller guarantee, not a failure.
func syncDirs(pending []*pendingFile) {
	for _, dir := range pendingDirs(pending) {
		d, err := os.Open(dir)
		if err != nil {
			continue
		}
		_ = d.Sync()
		_ = d.Close()
	}
}

// pendingDirs is the directories the pending files go to, each once, in the batch's order.
func pendingDirs(pending []*pendingFile) []string {
	seen := make(map[string]bool, len(pending))
	var dirs []string
	for _, p := range pending {
		if !seen[p.dir] {
			seen[p.dir] = true
			dirs = append(dirs, p.dir)
		}
	}
	return dirs
}
